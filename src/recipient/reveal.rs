//! The recipient's Reveal screen: nothing is consumed until they press Reveal, and the
//! secret leaves the page, and memory, when they leave it. The work is `crate::reveal`'s;
//! this file only draws it, with the full app's markup and test ids.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ots_core::link::{PassphraseHint, RevealLink};
use ots_core::payload::Payload;
use ots_core::wire::ApiErrorKind;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use zeroize::Zeroizing;

use crate::api::{self, Api, ApiError, Credentials};
use crate::config::Settings;
use crate::dom::{self, El, window};
use crate::i18n::{Key, text};
use crate::reveal::{RevealError, reveal};
use crate::widgets::{copy_button, file_card};
use crate::{page, storage};

/// Work that waits for the settings.
type Waiting = Vec<Box<dyn FnOnce(&Settings)>>;

/// What the screen needs from the page around it: the settings, a live region, and the
/// account to call the API with.
#[derive(Clone)]
pub struct Shell {
    settings: Rc<RefCell<Option<Settings>>>,
    waiting: Rc<RefCell<Waiting>>,
    announce: Rc<dyn Fn(&str)>,
    account: Option<Credentials>,
}

impl Shell {
    /// A shell whose live region says what `announce` is given.
    pub fn new(announce: impl Fn(&str) + 'static, account: Option<Credentials>) -> Self {
        Self {
            settings: Rc::default(),
            waiting: Rc::default(),
            announce: Rc::new(announce),
            account,
        }
    }

    /// The settings are in, or changed: work that waited for them runs now.
    pub fn set_settings(&self, settings: Settings) {
        *self.settings.borrow_mut() = Some(settings);
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        if let Some(settings) = &*self.settings.borrow() {
            for job in waiting {
                job(settings);
            }
        }
    }

    /// Runs `job` with the settings: now, or as soon as they are in (a Reveal pressed
    /// before `config.json` arrived goes to the server the settings name).
    fn with_settings(&self, job: Box<dyn FnOnce(&Settings)>) {
        match &*self.settings.borrow() {
            Some(settings) => job(settings),
            None => self.waiting.borrow_mut().push(job),
        }
    }
}

/// The revealed secret, while it is on the screen; every listener reads it from here, so
/// taking it out wipes it (dropping a payload wipes its text and bytes).
pub type Revealed = Rc<RefCell<Option<Payload>>>;

struct Screen {
    link: RevealLink,
    shell: Shell,
    section: El,
    /// The form, or the revealed secret: what follows the heading.
    shown: RefCell<Option<Element>>,
    revealed: Revealed,
    asks_passphrase: Cell<bool>,
    pending: Cell<bool>,
}

/// The screen for one link, as a handle to forget its secret with.
#[derive(Clone)]
pub struct RevealScreen(Rc<Screen>);

impl RevealScreen {
    /// Draws the screen for `link` into `section`, an empty `<section>`.
    pub fn draw(section: &Element, link: RevealLink, shell: Shell) -> Self {
        Self(draw(section, link, shell))
    }

    /// Takes the secret off the screen and out of memory.
    pub fn forget(&self) {
        self.0.forget();
    }

    /// A press on Reveal made before the screen was drawn (on the page's static screen):
    /// reveal, unless a passphrase is asked for first, whose field then takes the focus.
    pub fn press(&self) {
        let selector = match self.0.asks_passphrase.get() {
            true => "#reveal-passphrase",
            false => "[data-testid=reveal]",
        };
        let target = self
            .0
            .section
            .0
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        match (target, self.0.asks_passphrase.get()) {
            (Some(field), true) => drop(field.focus()),
            (Some(button), false) => button.click(),
            (None, _) => {}
        }
    }
}

fn draw(section: &Element, link: RevealLink, shell: Shell) -> Rc<Screen> {
    let section = El(section.clone())
        .attr("class", "card reveal")
        .attr("aria-labelledby", "reveal-title")
        .child(
            El::new("h1")
                .attr("id", "reveal-title")
                .text_with(|| text(Key::RevealTitle)),
        );
    let asks_passphrase = link.passphrase != PassphraseHint::None || link.key.is_none();
    if matches!(link.passphrase, PassphraseHint::Kdf(_)) {
        // Argon2id will be needed: its part loads while the recipient types.
        crate::parts::prefetch();
    }
    let screen = Rc::new(Screen {
        link,
        shell,
        section: section.clone(),
        shown: RefCell::default(),
        revealed: Rc::default(),
        asks_passphrase: Cell::new(asks_passphrase),
        pending: Cell::new(false),
    });
    let kept = storage::kept_revealed(&screen.link.secret_key).is_some();
    screen.show(form(&screen, kept));
    // The secret leaves the page, and memory, when the user leaves.
    let leaving = Rc::clone(&screen);
    dom::listen(&window(), "pagehide", Box::new(move |_| leaving.forget()));
    screen
}

impl Screen {
    fn show(&self, content: El) {
        if let Some(old) = self.shown.replace(Some(content.0.clone())) {
            old.remove();
        }
        let _ = self.section.0.append_child(&content.0);
    }

    /// Takes the secret off the screen and out of memory; the form comes back.
    fn forget(self: &Rc<Self>) {
        if self.revealed.borrow_mut().take().is_some() {
            self.show(form(self, false));
        }
    }

    fn shown_revealed(self: &Rc<Self>, payload: Payload) {
        *self.revealed.borrow_mut() = Some(payload);
        self.show(revealed_view(self));
        (self.shell.announce)(&text(Key::RevealedDeleted));
        if let Some(heading) = dom::document()
            .query_selector("[data-testid=revealed-title]")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = heading.focus();
        }
    }
}

fn form(screen: &Rc<Screen>, kept: bool) -> El {
    let note = if kept {
        Key::RevealKept
    } else {
        Key::RevealNothingConsumed
    };
    let button = El::new("button")
        .attr("type", "submit")
        .attr("class", "primary")
        .attr("data-testid", "reveal")
        .attr("aria-busy", "false")
        .text_with(|| text(Key::RevealButton));
    // Always on the page, so a new error is announced.
    let alert = El::new("div").attr("role", "alert");
    let form = El::new("form").attr("novalidate", "").child(
        El::new("p")
            .attr("class", "notice")
            .attr("data-testid", "reveal-note")
            .text_with(move || text(note)),
    );
    let (passphrase, input) = passphrase_field();
    if screen.asks_passphrase.get() {
        let _ = form.0.append_child(&passphrase.0);
    }
    let form = form.child(&button).child(&alert);
    let (screen, shown_form) = (Rc::clone(screen), form.0.clone());
    form.on("submit", move |event| {
        event.prevent_default();
        if screen.pending.replace(true) {
            return;
        }
        let _ = button.0.set_attribute("aria-busy", "true");
        dom::set_text_with(&button.0, Box::new(|| text(Key::Revealing)));
        let typed = Zeroizing::new(input.value());
        let (screen, button, alert, passphrase, input, form) = (
            Rc::clone(&screen),
            button.clone(),
            alert.clone(),
            passphrase.clone(),
            input.clone(),
            shown_form.clone(),
        );
        let shell = screen.shell.clone();
        shell.with_settings(Box::new(move |settings| {
            let api = Api {
                base: api::base_url(settings, &screen.link.server, &page::page_url()),
                auth: screen.shell.account.clone(),
            };
            let link = screen.link.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = reveal(link, typed, api).await;
                screen.pending.set(false);
                let _ = button.0.set_attribute("aria-busy", "false");
                dom::set_text_with(&button.0, Box::new(|| text(Key::RevealButton)));
                match result {
                    Ok(payload) => {
                        input.set_value("");
                        screen.shown_revealed(payload);
                    }
                    Err(error) => {
                        let unknown = matches!(
                            &error,
                            RevealError::Api(ApiError::Server {
                                kind: ApiErrorKind::UnknownSecret,
                                ..
                            })
                        );
                        if unknown && !screen.asks_passphrase.replace(true) {
                            let _ = form.insert_before(&passphrase.0, Some(&button.0));
                        }
                        alert.0.set_text_content(None);
                        let _ = alert.0.append_child(&error_view(&error).0);
                    }
                }
            });
        }));
    })
}

/// The passphrase field, and its input.
fn passphrase_field() -> (El, HtmlInputElement) {
    let input = El::new("input")
        .attr("id", "reveal-passphrase")
        .attr("data-testid", "reveal-passphrase")
        .attr("type", "password")
        .attr("autocomplete", "off");
    let field = El::new("div")
        .attr("class", "field")
        .child(
            El::new("label")
                .attr("for", "reveal-passphrase")
                .text_with(|| text(Key::PassphraseLabel)),
        )
        .child(&input);
    (field, input.cast())
}

fn error_view(error: &RevealError) -> El {
    let message = error.message();
    let view = El::new("div")
        .attr("class", "error")
        .attr("data-testid", "reveal-error")
        .child(El::new("p").text_with(move || text(message)));
    match error.may_have_counted() {
        true => view.child(
            El::new("p")
                .attr("data-testid", "may-have-counted")
                .text_with(|| text(Key::RevealMayHaveCounted)),
        ),
        false => view,
    }
}

fn revealed_view(screen: &Rc<Screen>) -> El {
    let revealed = Rc::clone(&screen.revealed);
    let payload = revealed.borrow();
    let secret_text = payload.as_ref().and_then(Payload::text_part);
    let view = El::new("div").attr("class", "field").child(
        El::new("h2")
            .attr("tabindex", "-1")
            .attr("data-testid", "revealed-title")
            .text_with(|| text(Key::RevealedTitle)),
    );
    let actions = El::new("div").attr("class", "actions");
    let has_text = secret_text.is_some();
    if let Some(secret_text) = secret_text {
        let _ = view.0.append_child(
            &El::new("pre")
                .attr("class", "secret-value")
                .attr("data-testid", "revealed-value")
                .text(secret_text)
                .0,
        );
    }
    if let Some(file) = payload.as_ref().and_then(Payload::file) {
        let _ = view
            .0
            .append_child(&file_card(file, Rc::clone(&revealed)).0);
    }
    drop(payload);
    if has_text {
        let source = Rc::clone(&revealed);
        let clear_after = screen
            .shell
            .settings
            .borrow()
            .as_ref()
            .map_or(0, |s| s.clipboard_clear_seconds);
        let copy = move || {
            source
                .borrow()
                .as_ref()
                .and_then(Payload::text_part)
                .unwrap_or_default()
                .to_owned()
        };
        for part in copy_button(copy, Key::CopySecret, "copy-secret", clear_after) {
            let _ = actions.0.append_child(&part.0);
        }
    }
    let closing = Rc::clone(screen);
    let close = El::new("button")
        .attr("type", "button")
        .attr("data-testid", "close-secret")
        .text_with(|| text(Key::CloseSecret))
        .on("click", move |_| {
            closing.forget();
            storage::forget_revealed(&closing.link.secret_key);
            page::forget_kept_key();
            let _ = window().location().set_hash("#/");
        });
    view.child(
        El::new("p")
            .attr("class", "notice")
            .attr("data-testid", "deleted-note")
            .text_with(|| text(Key::RevealedDeleted)),
    )
    .child(actions.child(&close))
}
