//! The links and details of a secret just created.

use leptos::prelude::*;

use crate::app::use_app;
use crate::components::{CopyButton, QrCode};
use crate::draft::Outcome;
use crate::fmt;
use crate::i18n::{Key, tr, use_i18n};

/// Shows the recipient link (copy, QR), the private receipt link and the details.
#[component]
pub fn Created(
    /// What was created.
    outcome: Outcome,
    /// "Create another" was pressed.
    on_another: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app();
    let heading = NodeRef::<leptos::html::H1>::new();
    // Move focus to the result, so keyboard and screen-reader users land on it.
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
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
    let clear_after = state.settings.with_untracked(|s| s.clipboard_clear_seconds);
    let note = if encrypted {
        Key::ResultEncrypted
    } else {
        Key::ResultPlain
    };
    // Focus lands on the heading; the live region adds what kind of link it is.
    state.announce(i18n.t(note));
    let expires = receipt.created + receipt.secret_ttl.unwrap_or(receipt.ttl);
    let ttl = receipt.secret_ttl.unwrap_or(receipt.ttl);
    let passphrase = receipt.passphrase_required;
    let recipients = receipt.recipient.join(", ");
    let link_signal = Signal::derive({
        let link = link.clone();
        move || link.clone()
    });
    // A short text that tells the recipient what the link is, until when, and that it
    // works once: in the creator's language, which is usually the recipient's.
    let instructions = Signal::derive({
        let link = link.clone();
        move || {
            let when = fmt::datetime(i18n.locale.get(), expires);
            i18n.tf(
                Key::ShareInstructions,
                &[("link", &link), ("expires", &when)],
            )
        }
    });
    let can_share = js_sys::Reflect::has(&window().navigator(), &"share".into()).unwrap_or(false);
    let share = move |_| {
        let navigator = window().navigator();
        let data = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&data, &"text".into(), &instructions.get_untracked().into());
        if let Ok(share) = js_sys::Reflect::get(&navigator, &"share".into())
            .and_then(wasm_bindgen::JsCast::dyn_into::<js_sys::Function>)
        {
            // The user may cancel the share sheet; nothing to report then.
            let _ = share.call1(&navigator, &data);
        }
    };
    view! {
        <section class="card result" data-testid="result" aria-labelledby="result-title">
            <h1 id="result-title" data-testid="result-title" tabindex="-1" node_ref=heading>{tr(Key::ResultTitle)}</h1>
            <p class="notice" data-testid="result-note">{tr(note)}</p>
            {generated.map(|value| {
                let shown = value.clone();
                view! {
                    <div class="field">
                        <h2>{tr(Key::GeneratedTitle)}</h2>
                        <p class="hint">{tr(Key::GeneratedOnce)}</p>
                        <code class="secret-value" data-testid="generated-value">{shown}</code>
                        <CopyButton text=Signal::derive(move || value.clone()) label=Key::CopyPassword testid="copy-generated" clear_after=clear_after />
                    </div>
                }
            })}
            <div class="field">
                <h2>{tr(Key::RecipientLinkTitle)}</h2>
                <a class="link" data-testid="recipient-link" href=link.clone()>{link.clone()}</a>
                <div class="actions">
                    <CopyButton text=link_signal label=Key::CopyLink testid="copy-link" />
                    {link_without_key.map(|without| view! {
                        <CopyButton text=Signal::derive(move || without.clone()) label=Key::CopyLinkWithoutKey testid="copy-link-without-key" />
                    })}
                    {key_text.map(|key| view! {
                        <CopyButton text=Signal::derive(move || key.clone()) label=Key::CopyKey testid="copy-key" />
                    })}
                    <CopyButton text=instructions label=Key::CopyWithInstructions testid="copy-with-instructions" />
                    {can_share.then(|| view! {
                        <button type="button" data-testid="share" on:click=share>{tr(Key::ShareButton)}</button>
                    })}
                </div>
                <QrCode text=link_signal label=Signal::derive(move || i18n.t(Key::QrLabel)) />
            </div>
            <div class="field private">
                <h2>{tr(Key::ReceiptLinkTitle)}</h2>
                <p class="hint">{tr(Key::ReceiptLinkPrivate)}</p>
                <a class="link" data-testid="receipt-link" href=receipt_link.clone()>{receipt_link.clone()}</a>
                <CopyButton text=Signal::derive(move || receipt_link.clone()) label=Key::CopyReceiptLink testid="copy-receipt-link" />
            </div>
            <dl class="details" data-testid="details">
                <dt>{tr(Key::Expires)}</dt>
                <dd data-testid="expires">{move || {
                    let locale = i18n.locale.get();
                    format!("{} ({})", fmt::datetime(locale, expires), fmt::time_left(locale, ttl))
                }}</dd>
                <dt>{tr(Key::PassphraseRequired)}</dt>
                <dd data-testid="passphrase-required">{move || i18n.t(if passphrase { Key::Yes } else { Key::No })}</dd>
                {(!recipients.is_empty()).then(|| view! {
                    <dt>{tr(Key::RecipientLabel)}</dt>
                    <dd data-testid="recipient-obscured">{recipients.clone()}</dd>
                })}
            </dl>
            <button type="button" class="primary" data-testid="create-another" on:click=move |_| on_another.run(())>
                {tr(Key::CreateAnother)}
            </button>
        </section>
    }
}
