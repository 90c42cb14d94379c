//! The create form, drawn without Leptos (`dom.rs`): share a text or a file, or generate
//! a password, with a passphrase, a lifetime, encryption, a recipient and a server. What
//! it does without a view is `draft.rs`'s. The fields hold what the user typed: the form
//! reads them when it redraws its figures and when it is sent, so the secret is not
//! copied into a second place that would need wiping too.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use ots_core::password::CharSets;
use web_sys::{Element, HtmlInputElement};
use zeroize::Zeroizing;

use super::Shared;
use super::account::AccountPanel;
use super::created::{self, CreatedScreen};
use super::fields::{Fields, fields};
use super::server::{ServerPicker, ServerStatus};
use crate::config::{Encryption, Settings};
use crate::dom::{self, El, focus_soon, show};
use crate::draft::{Draft, Mode, payload_len, remember, submit, validate};
use crate::file_pick::{Budget, FileSlot};
use crate::fmt;
use crate::i18n::{Key, current_locale, text, text_filled};

/// The drawn create screen, as a handle to give it the settings and to forget with.
pub struct CreateScreen(Rc<Form>);

struct Form {
    shared: Rc<Shared>,
    root: El,
    /// The form and the account panel, hidden while a result is shown.
    composing: El,
    fields: Fields,
    file: FileSlot,
    status: Rc<ServerStatus>,
    picker: Rc<ServerPicker>,
    account: Rc<AccountPanel>,
    pending: Cell<bool>,
    error: Cell<Option<Key>>,
    /// Whether the user has changed anything yet.
    composing_started: Cell<bool>,
    /// The result of the last creation, while it is shown.
    created: RefCell<Option<(El, CreatedScreen)>>,
}

impl CreateScreen {
    /// Draws the form into `section`, an empty `<section>`, with what was typed into the
    /// page's static field before the app started.
    pub fn draw(section: &Element, shared: Rc<Shared>) -> Self {
        let form = Rc::new_cyclic(|this: &Weak<Form>| build(section, shared, this.clone()));
        form.listen();
        let typed = crate::prerender::take_secret();
        if !typed.is_empty() {
            form.composing_started.set(true);
            crate::parts::prefetch();
        }
        form.fields.secret.set_value(&typed);
        form.apply_settings();
        // The form works from here (the server is asked once the settings are in): the
        // bench's per-screen figures stop here.
        crate::mark("ots:screen");
        Self(form)
    }

    /// The settings are in, or changed: the defaults they name apply, and the server
    /// they name is asked whether it answers.
    pub fn set_settings(&self, settings: Settings) {
        *self.0.shared.settings.borrow_mut() = settings;
        self.0.apply_settings();
        self.0.status.check(&self.0.shared);
    }

    /// Wipes what was typed, the file, and a shown result with its link and key.
    pub fn forget(&self) {
        self.0.wipe();
        if let Some((_, screen)) = self.0.created.borrow_mut().take() {
            screen.forget();
        }
    }
}

fn build(section: &Element, shared: Rc<Shared>, this: Weak<Form>) -> Form {
    let redraw = {
        let this = this.clone();
        Rc::new(move || {
            if let Some(form) = this.upgrade() {
                form.redraw();
            }
        }) as Rc<dyn Fn()>
    };
    let fields = fields();
    let file = {
        let (needed_by, limit_of) = (this.clone(), Rc::clone(&shared));
        let budget = Budget {
            needed: Box::new(move |lens| {
                needed_by
                    .upgrade()
                    .map_or(0, |form| form.payload_len(Some(lens)))
            }),
            limit: Box::new(move || limit_of.settings.borrow().limits.secret_max_bytes),
        };
        let redraw = Rc::clone(&redraw);
        FileSlot::new(budget, move || redraw())
    };
    let status = ServerStatus::new();
    let picker = {
        let (this, redraw) = (this.clone(), Rc::clone(&redraw));
        let changed = Rc::new(move || {
            if let Some(form) = this.upgrade() {
                form.status.check(&form.shared);
            }
            redraw();
        });
        ServerPicker::new(Rc::clone(&shared), changed)
    };
    let account = {
        let this = this.clone();
        let changed = Rc::new(move || {
            if let Some(form) = this.upgrade() {
                form.fill_ttl(form.fields.ttl.value());
                form.redraw();
            }
        });
        AccountPanel::new(Rc::clone(&shared), changed)
    };
    let _ = fields
        .share_part
        .0
        .insert_adjacent_element("afterend", &file.element.0);
    let _ = fields.advanced.0.append_child(&picker.element.0);
    let _ = fields
        .form
        .0
        .insert_adjacent_element("afterbegin", &status.element.0);
    let heading = El::new("h1")
        .attr("id", "create-title")
        .text_with(|| text(Key::CreateTitle));
    let _ = fields.form.0.prepend_with_node_1(&heading.0);
    let composing = El::new("div")
        .attr("class", "composing")
        .child(&fields.form)
        .child(&account.element);
    let root = El(section.clone()).child(&composing);
    Form {
        shared,
        root,
        composing,
        fields,
        file,
        status,
        picker,
        account,
        pending: Cell::new(false),
        error: Cell::new(None),
        composing_started: Cell::new(false),
        created: RefCell::new(None),
    }
}

impl Form {
    fn listen(self: &Rc<Self>) {
        let form = || self.fields.form.clone();
        // Every change to a control redraws the figures that depend on it. The first one
        // also starts loading the parts a creation needs (Argon2id with a passphrase, the
        // QR code and the Sent history after it): a visitor who only looks pays nothing.
        for event in ["input", "change"] {
            let this = Rc::clone(self);
            form().on(event, move |_| {
                if !this.composing_started.replace(true) {
                    crate::parts::prefetch();
                }
                this.redraw();
            });
        }
        let this = Rc::clone(self);
        form().on("submit", move |event| {
            event.prevent_default();
            this.send();
        });
        form().on("dragover", |event| event.prevent_default());
        let this = Rc::clone(self);
        form().on("drop", move |event| match this.mode() {
            Mode::Share => this.file.drop_on(&event),
            Mode::Generate => event.prevent_default(),
        });
        let this = Rc::clone(self);
        let secret: &web_sys::EventTarget = &self.fields.secret;
        dom::listen(
            secret,
            "paste",
            Box::new(move |event| this.file.paste(&event)),
        );
    }

    fn mode(&self) -> Mode {
        let offered = self.shared.settings.borrow().features.generate;
        match offered && self.fields.generate.checked() {
            true => Mode::Generate,
            false => Mode::Share,
        }
    }

    fn encrypt(&self) -> bool {
        self.fields.encrypt.checked()
    }

    /// The bytes the server would see, with a file of `file`'s lengths.
    fn payload_len(&self, file: Option<(usize, usize, usize)>) -> usize {
        let secret = Zeroizing::new(self.fields.secret.value());
        let with_passphrase = !self.fields.passphrase.value().is_empty();
        payload_len(&secret, file, self.encrypt(), with_passphrase)
    }

    fn ttl_seconds(&self) -> Option<u64> {
        match self.fields.ttl.value().as_str() {
            "custom" => ots_core::limits::parse_duration(&self.fields.ttl_custom.value()),
            n => n.parse().ok(),
        }
    }

    /// The settings are in, or changed: their lifetime and encryption defaults apply.
    fn apply_settings(&self) {
        let (default_ttl, encryption) = {
            let settings = self.shared.settings.borrow();
            (settings.ttl_default, settings.encryption)
        };
        self.fill_ttl(default_ttl.to_string());
        self.fields
            .encrypt
            .set_checked(encryption != Encryption::Off);
        self.picker.redraw(&self.shared);
        self.redraw();
    }

    /// The lifetimes this account may choose, with `chosen` selected if it is one.
    fn fill_ttl(&self, chosen: String) {
        let (options, default) = {
            let settings = self.shared.settings.borrow();
            let max = settings.limits.ttl_max(self.shared.signed_in());
            let options: Vec<u64> = settings
                .ttl_options
                .iter()
                .copied()
                .filter(|t| *t <= max)
                .collect();
            (options, settings.ttl_default.to_string())
        };
        let select = &self.fields.ttl;
        select.set_inner_html("");
        for seconds in options {
            let option = El::new("option")
                .attr("value", &seconds.to_string())
                .text_with(move || fmt::duration(current_locale(), seconds));
            let _ = select.append_child(&option.0);
        }
        let custom = El::new("option")
            .attr("value", "custom")
            .text_with(|| text(Key::TtlCustom));
        let _ = select.append_child(&custom.0);
        select.set_value(&chosen);
        if select.value() != chosen {
            select.set_value(&default);
        }
    }

    /// Redraws everything that follows the controls, the settings and the account.
    fn redraw(&self) {
        let f = &self.fields;
        let (features, encryption, limits) = {
            let s = self.shared.settings.borrow();
            (s.features, s.encryption, s.limits.clone())
        };
        let mode = self.mode();
        let encrypt = self.encrypt();
        show(&f.tabs, features.generate);
        show(&f.share_part, mode == Mode::Share);
        show(&self.file.element, mode == Mode::Share);
        show(&f.generate_part, mode == Mode::Generate);

        let used = self.payload_len(self.file.lens());
        let limit = limits.secret_max_bytes;
        let over = mode == Mode::Share && used > limit;
        let _ = f.secret.set_attribute("aria-invalid", &over.to_string());
        let _ = f
            .byte_count
            .0
            .set_attribute("class", if over { "hint over" } else { "hint" });
        let count = if encrypt {
            Key::ByteCountEncrypted
        } else {
            Key::ByteCount
        };
        dom::set_text_with(
            &f.byte_count.0,
            Box::new(move || {
                let locale = current_locale();
                let (used, max) = (fmt::number(locale, used), fmt::number(locale, limit));
                text_filled(count, &[("used", &used), ("max", &max)])
            }),
        );
        self.file.redraw(used, encrypt);

        let hint = match encrypt {
            true => Key::PassphraseHintEncrypted,
            false => Key::PassphraseHint,
        };
        dom::set_text_with(&f.passphrase_hint.0, Box::new(move || text(hint)));

        show(&f.ttl_custom_part, f.ttl.value() == "custom");
        let (min, max) = (limits.ttl_min, limits.ttl_max(self.shared.signed_in()));
        dom::set_text_with(
            &f.ttl_hint.0,
            Box::new(move || {
                let locale = current_locale();
                let (min, max) = (fmt::duration(locale, min), fmt::duration(locale, max));
                text_filled(Key::TtlCustomHint, &[("min", &min), ("max", &max)])
            }),
        );

        show(&f.encrypt_part, encryption != Encryption::Off);
        f.encrypt.set_disabled(encryption == Encryption::Required);
        let hint = match encrypt {
            true => Key::EncryptHintOn,
            false => Key::EncryptHintOff,
        };
        dom::set_text_with(&f.encrypt_hint.0, Box::new(move || text(hint)));

        show(
            &f.recipient_part,
            self.shared.signed_in() && features.recipient,
        );
        show(&self.picker.element, features.servers);
        show(&self.account.element, features.account);

        let pending = self.pending.get();
        let _ = f.submit.0.set_attribute("aria-busy", &pending.to_string());
        let _ = f
            .submit
            .0
            .set_attribute("aria-disabled", &pending.to_string());
        let label = match (pending, mode) {
            (true, _) => Key::Creating,
            (false, Mode::Generate) => Key::GenerateButton,
            (false, Mode::Share) => Key::CreateButton,
        };
        dom::set_text_with(&f.submit.0, Box::new(move || text(label)));

        let error = self.error.get();
        let origin = self.shared.api().base;
        dom::set_text_with(
            &f.error.0,
            Box::new(move || match error {
                None => String::new(),
                Some(key @ Key::ErrorCors) => text_filled(key, &[("origin", &origin)]),
                Some(key @ Key::ErrorSecretTooLong) => {
                    let max = fmt::number(current_locale(), limit);
                    text_filled(key, &[("max", &max)])
                }
                Some(key) => text(key),
            }),
        );
    }

    /// What the form holds, as the pipeline takes it.
    fn draft(&self) -> Draft {
        let f = &self.fields;
        let [uppercase, lowercase, numbers, symbols, exclude_ambiguous] =
            f.sets.each_ref().map(HtmlInputElement::checked);
        Draft {
            mode: self.mode(),
            secret: Zeroizing::new(f.secret.value()),
            file: self.file.file(),
            passphrase: Zeroizing::new(f.passphrase.value()),
            ttl: self.ttl_seconds().unwrap_or(0),
            recipient: match self.shared.signed_in() {
                true => f.recipient.value(),
                false => String::new(),
            },
            share_domain: f.share_domain.value(),
            encrypt: self.encrypt(),
            length: f.length.value().parse().unwrap_or(20),
            sets: CharSets {
                uppercase,
                lowercase,
                numbers,
                symbols,
                exclude_ambiguous,
            },
            server: self.shared.server.borrow().clone(),
            locale: current_locale(),
        }
    }

    /// Checks the draft, then creates the secret and shows its links.
    fn send(self: &Rc<Self>) {
        if self.pending.get() {
            return; // a second submit while the first is in flight is ignored
        }
        let draft = self.draft();
        let settings = self.shared.settings.borrow().clone();
        if let Err(key) = validate(&draft, &settings, self.shared.signed_in()) {
            self.error.set(Some(key));
            return self.redraw();
        }
        self.error.set(None);
        self.pending.set(true);
        self.redraw();
        let api = self.shared.api();
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let history = settings.features.history;
            let clear_after = settings.clipboard_clear_seconds;
            let created = submit(draft, api, settings).await;
            this.pending.set(false);
            match created {
                Ok(outcome) => {
                    if history {
                        remember(&outcome);
                    }
                    this.wipe();
                    let result = El::new("section");
                    let _ = this.root.0.append_child(&result.0);
                    show(&this.composing, false);
                    let again = Rc::downgrade(&this);
                    let announce = |said: &str| (this.shared.announce)(said);
                    let screen = created::draw(&result.0, outcome, clear_after, announce, {
                        move || {
                            if let Some(form) = again.upgrade() {
                                form.again();
                            }
                        }
                    });
                    *this.created.borrow_mut() = Some((result, screen));
                }
                Err(error) => this.error.set(Some(error.message())),
            }
            this.redraw();
        });
    }

    /// "Create another": the result goes, and the form comes back empty.
    fn again(&self) {
        if let Some((result, screen)) = self.created.borrow_mut().take() {
            screen.forget();
            result.0.remove();
        }
        show(&self.composing, true);
        self.redraw();
        // Back to the form: start at its heading; the next result is announced afresh.
        (self.shared.announce)("");
        focus_soon("#create-title");
    }

    /// Empties what the user typed that is secret, and the file.
    fn wipe(&self) {
        let f = &self.fields;
        for typed in [&f.passphrase, &f.recipient] {
            typed.set_value("");
        }
        f.secret.set_value("");
        self.file.clear();
    }
}
