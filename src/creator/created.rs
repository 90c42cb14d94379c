//! The links and details of a secret just created, drawn without Leptos (`dom.rs`), as
//! the Reveal screen is: the first piece of a create screen that can be its own small
//! build (docs/FIRST-SCREEN.md). The full app hosts it (`pages/create.rs`).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use zeroize::Zeroizing;

use crate::dom::{self, El, window};
use crate::draft::Outcome;
use crate::fmt;
use crate::i18n::{Key, current_locale, text, text_filled};
use crate::parts::{self, Missing};
use crate::widgets::copy_button;

/// What the buttons copy, in one place that leaving the screen empties: the link carries
/// the decryption key, and a generated password is a secret.
struct Held {
    link: Zeroizing<String>,
    key: Option<Zeroizing<String>>,
    generated: Option<Zeroizing<String>>,
}

/// The drawn result, as a handle to forget what it holds with.
pub struct CreatedScreen(Rc<RefCell<Option<Held>>>);

impl CreatedScreen {
    /// Wipes the link, the key and a generated password from the screen's memory (the
    /// host removes the screen itself).
    pub fn forget(&self) {
        self.0.borrow_mut().take();
    }
}

/// What `part` of the held values is, while the screen holds them.
fn read(held: &Rc<RefCell<Option<Held>>>, part: fn(&Held) -> Option<&str>) -> String {
    held.borrow()
        .as_ref()
        .and_then(part)
        .unwrap_or_default()
        .to_owned()
}

/// Draws the result for `outcome` into `section` (an empty `<section>`): the recipient
/// link (copy, share, QR), the private receipt link and the details. `clear_after` is the
/// settings' clipboard delay for a generated password; `announce` says what kind of link
/// it is; `on_another` runs when "Create another" is pressed.
pub fn draw(
    section: &Element,
    outcome: Outcome,
    clear_after: u32,
    announce: impl Fn(&str),
    on_another: impl Fn() + 'static,
) -> CreatedScreen {
    let Outcome {
        receipt,
        link,
        link_without_key,
        key_text,
        receipt_link,
        receipt_route: _,
        generated,
        encrypted,
    } = outcome;
    let note = if encrypted {
        Key::ResultEncrypted
    } else {
        Key::ResultPlain
    };
    let ttl = receipt.secret_ttl.unwrap_or(receipt.ttl);
    let expires = receipt.created + ttl;
    let held = Rc::new(RefCell::new(Some(Held {
        link: Zeroizing::new(link.clone()),
        key: key_text.map(Zeroizing::new),
        generated: generated.clone().map(Zeroizing::new),
    })));
    // A short text that tells the recipient what the link is, until when, and that it
    // works once: in the creator's language, which is usually the recipient's.
    let instructions = {
        let held = Rc::clone(&held);
        move || {
            let when = fmt::datetime(current_locale(), expires);
            let link = read(&held, |h| Some(&h.link));
            text_filled(
                Key::ShareInstructions,
                &[("link", &link), ("expires", &when)],
            )
        }
    };

    let section = El(section.clone())
        .attr("class", "card result")
        .attr("data-testid", "result")
        .attr("aria-labelledby", "result-title")
        .child(
            El::new("h1")
                .attr("id", "result-title")
                .attr("data-testid", "result-title")
                .attr("tabindex", "-1")
                .text_with(|| text(Key::ResultTitle)),
        )
        .child(
            El::new("p")
                .attr("class", "notice")
                .attr("data-testid", "result-note")
                .text_with(move || text(note)),
        );
    if let Some(value) = generated.map(Zeroizing::new) {
        let shown = El::new("code")
            .attr("class", "secret-value")
            .attr("data-testid", "generated-value")
            .text(&value);
        let field = El::new("div")
            .attr("class", "field")
            .child(El::new("h2").text_with(|| text(Key::GeneratedTitle)))
            .child(
                El::new("p")
                    .attr("class", "hint")
                    .text_with(|| text(Key::GeneratedOnce)),
            )
            .child(&shown);
        let source = Rc::clone(&held);
        let copy = copy_button(
            move || read(&source, |h| h.generated.as_deref().map(String::as_str)),
            Key::CopyPassword,
            "copy-generated",
            clear_after,
        );
        append(&field, copy);
        let _ = section.0.append_child(&field.0);
    }

    let actions = El::new("div").attr("class", "actions");
    let source = Rc::clone(&held);
    let copy_link = move || read(&source, |h| Some(&h.link));
    append(
        &actions,
        copy_button(copy_link, Key::CopyLink, "copy-link", 0),
    );
    if let Some(without) = link_without_key {
        let copy = copy_button(
            move || without.clone(),
            Key::CopyLinkWithoutKey,
            "copy-link-without-key",
            0,
        );
        append(&actions, copy);
    }
    if held.borrow().as_ref().is_some_and(|h| h.key.is_some()) {
        let source = Rc::clone(&held);
        let copy = move || read(&source, |h| h.key.as_deref().map(String::as_str));
        append(&actions, copy_button(copy, Key::CopyKey, "copy-key", 0));
    }
    append(
        &actions,
        copy_button(
            instructions.clone(),
            Key::CopyWithInstructions,
            "copy-with-instructions",
            0,
        ),
    );
    if Reflect::has(&window().navigator(), &"share".into()).unwrap_or(false) {
        let share = El::new("button")
            .attr("type", "button")
            .attr("data-testid", "share")
            .text_with(|| text(Key::ShareButton))
            .on("click", move |_| share_text(&instructions()));
        let _ = actions.0.append_child(&share.0);
    }
    let recipient_field = El::new("div")
        .attr("class", "field")
        .child(El::new("h2").text_with(|| text(Key::RecipientLinkTitle)))
        .child(
            El::new("a")
                .attr("class", "link")
                .attr("data-testid", "recipient-link")
                .attr("href", &link)
                .text(&link),
        )
        .child(&actions);
    // The QR code comes from a part loaded on demand (`parts.rs`): it joins the field
    // once that is in, or the field says it could not load.
    let qr_slot = recipient_field.0.clone();
    let qr_text = link.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let drawn = match parts::qr_path(&qr_text).await {
            Ok(path) => path.map(qr_code),
            Err(Missing) => Some(
                El::new("p")
                    .attr("class", "hint")
                    .attr("data-testid", "qr-missing")
                    .text_with(|| text(Key::PartMissing)),
            ),
        };
        if let Some(drawn) = drawn {
            let _ = qr_slot.append_child(&drawn.0);
        }
    });
    let receipt_field = El::new("div")
        .attr("class", "field private")
        .child(El::new("h2").text_with(|| text(Key::ReceiptLinkTitle)))
        .child(
            El::new("p")
                .attr("class", "hint")
                .text_with(|| text(Key::ReceiptLinkPrivate)),
        )
        .child(
            El::new("a")
                .attr("class", "link")
                .attr("data-testid", "receipt-link")
                .attr("href", &receipt_link)
                .text(&receipt_link),
        );
    append(
        &receipt_field,
        copy_button(
            move || receipt_link.clone(),
            Key::CopyReceiptLink,
            "copy-receipt-link",
            0,
        ),
    );

    let passphrase = receipt.passphrase_required;
    let details = El::new("dl")
        .attr("class", "details")
        .attr("data-testid", "details")
        .child(El::new("dt").text_with(|| text(Key::Expires)))
        .child(
            El::new("dd")
                .attr("data-testid", "expires")
                .text_with(move || {
                    let locale = current_locale();
                    format!(
                        "{} ({})",
                        fmt::datetime(locale, expires),
                        fmt::time_left(locale, ttl)
                    )
                }),
        )
        .child(El::new("dt").text_with(|| text(Key::PassphraseRequired)))
        .child(
            El::new("dd")
                .attr("data-testid", "passphrase-required")
                .text_with(move || text(if passphrase { Key::Yes } else { Key::No })),
        );
    let recipients = receipt.recipient.join(", ");
    if !recipients.is_empty() {
        let _ = details
            .0
            .append_child(&El::new("dt").text_with(|| text(Key::RecipientLabel)).0);
        let _ = details.0.append_child(
            &El::new("dd")
                .attr("data-testid", "recipient-obscured")
                .text(&recipients)
                .0,
        );
    }
    let another = El::new("button")
        .attr("type", "button")
        .attr("class", "primary")
        .attr("data-testid", "create-another")
        .text_with(|| text(Key::CreateAnother))
        .on("click", move |_| on_another());
    let section = section
        .child(&recipient_field)
        .child(&receipt_field)
        .child(&details)
        .child(&another);

    // Focus lands on the heading; the live region adds what kind of link it is.
    announce(&text(note));
    if let Some(heading) = section
        .0
        .query_selector("#result-title")
        .ok()
        .flatten()
        .and_then(|h| h.dyn_into::<HtmlElement>().ok())
    {
        let _ = heading.focus();
    }
    CreatedScreen(held)
}

fn append(parent: &El, children: [El; 2]) {
    for child in children {
        let _ = parent.0.append_child(&child.0);
    }
}

/// Offers `text` to the system's share sheet (the user may cancel it: nothing to report).
fn share_text(text: &str) {
    let navigator = window().navigator();
    let data = js_sys::Object::new();
    let _ = Reflect::set(&data, &"text".into(), &text.into());
    if let Ok(share) =
        Reflect::get(&navigator, &"share".into()).and_then(|f| f.dyn_into::<js_sys::Function>())
    {
        let _ = share.call1(&navigator, &data);
    }
}

/// A QR code from its SVG path and size, drawn in the page (no image service, no script).
fn qr_code((d, size): (String, i32)) -> El {
    let svg = El::svg("svg")
        .attr("class", "qr")
        .attr("data-testid", "qr")
        .attr("role", "img")
        .attr("viewBox", &format!("0 0 {size} {size}"))
        .attr("shape-rendering", "crispEdges")
        .child(
            El::svg("rect")
                .attr("width", "100%")
                .attr("height", "100%")
                .attr("fill", "#fff"),
        )
        .child(El::svg("path").attr("d", &d).attr("fill", "#000"));
    dom::set_attribute_with(&svg.0, "aria-label", Box::new(|| text(Key::QrLabel)));
    svg
}
