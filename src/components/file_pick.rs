//! The creator's side of a file in a secret: picked, dropped onto the form or pasted into
//! the text field. Its size is checked before its bytes are even read, so a file that
//! cannot fit gets a message (with the limit and how far over it is) and no request is
//! made; what was typed stays as it was.

use leptos::prelude::*;
use ots_core::filename;
use ots_core::payload::File;

use crate::fmt;
use crate::i18n::{Key, tr, use_i18n};

/// The file slot of the create form: the chosen file and why the last one was refused.
#[derive(Clone, Copy)]
pub struct FileSlot {
    /// The file, once read.
    pub file: RwSignal<Option<File>>,
    refused: RwSignal<Option<String>>,
    /// What the server would receive with a file of these (name, type, content) lengths.
    needed: Callback<(usize, usize, usize), usize>,
    limit: Signal<usize>,
}

impl FileSlot {
    /// An empty slot; `needed` gives the bytes sent with a file of (name, type, content)
    /// lengths, and `limit` the server's `secret_max_bytes`.
    pub fn new(needed: Callback<(usize, usize, usize), usize>, limit: Signal<usize>) -> Self {
        Self {
            file: RwSignal::new(None),
            refused: RwSignal::new(None),
            needed,
            limit,
        }
    }

    /// Takes a file from the browser: refused at once if it cannot fit, else read.
    pub fn take(self, picked: web_sys::File) {
        let i18n = use_i18n();
        let name = filename::sanitize(&picked.name());
        let media_type = filename::media_type(&picked.type_(), &name);
        // A `File`'s size is a double; anything past usize is too large anyway.
        let size = picked.size().clamp(0.0, usize::MAX as f64) as usize;
        let needed = self.needed.run((name.len(), media_type.len(), size));
        let limit = self.limit.get_untracked();
        if needed > limit {
            // It was meant to replace any earlier file: that one goes too.
            self.file.set(None);
            let locale = i18n.locale.get_untracked();
            self.refused.set(Some(i18n.tf(
                Key::FileTooLarge,
                &[
                    ("name", &name),
                    ("needed", &fmt::number(locale, needed)),
                    ("max", &fmt::number(locale, limit)),
                    ("over", &fmt::number(locale, needed - limit)),
                ],
            )));
            return;
        }
        self.refused.set(None);
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(picked.array_buffer()).await {
                Ok(buffer) => {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    self.file.set(Some(File::new(&name, &media_type, bytes)));
                }
                Err(_) => self.refused.set(Some(i18n.t(Key::FileUnreadable))),
            }
        });
    }

    /// A paste into the text field: a pasted file is taken instead of its name as text.
    pub fn paste(self, ev: leptos::ev::ClipboardEvent) {
        if let Some(file) = ev
            .clipboard_data()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            ev.prevent_default();
            self.take(file);
        }
    }

    /// A drop onto the form.
    pub fn drop(self, ev: leptos::ev::DragEvent) {
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            ev.prevent_default();
            self.take(file);
        }
    }

    /// Forgets the file (its bytes are wiped when dropped) and any refusal.
    pub fn clear(self) {
        self.file.set(None);
        self.refused.set(None);
    }
}

/// The file part of the create form: a visible picker, the chosen file's name and size
/// with what is left of the limit, and why a file was refused.
#[component]
pub fn FilePick(
    /// The slot this picker fills.
    files: FileSlot,
    /// Bytes the server would receive as the form stands (the live counter's figure).
    #[prop(into)]
    used: Signal<usize>,
    /// Whether the secret is encrypted here; if not, the server can read the file.
    #[prop(into)]
    encrypt: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let slot = files;
    let input = NodeRef::<leptos::html::Input>::new();
    let on_change = move |ev: leptos::ev::Event| {
        let picked: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = picked.files().and_then(|f| f.get(0)) {
            slot.take(file);
        }
    };
    // The control names no file unless one is attached (removed, refused, or sent and
    // cleared), and then picking the same file again fires `change` again.
    Effect::new(move |_| {
        if slot.file.with(Option::is_none)
            && let Some(input) = input.get()
        {
            input.set_value("");
        }
    });
    let chosen = move || {
        slot.file.with(|f| {
            f.as_ref().map(|f| {
                let locale = i18n.locale.get();
                let left = slot.limit.get().saturating_sub(used.get());
                let size = fmt::number(locale, f.bytes().len());
                let left = fmt::number(locale, left);
                view! {
                    <p class="file-chosen" data-testid="file-chosen">
                        <span data-testid="file-chosen-name">{f.name().to_owned()}</span>" · "
                        {i18n.tf(Key::FileBytes, &[("size", &size)])}" · "
                        <span data-testid="file-left">{i18n.tf(Key::FileLeft, &[("left", &left)])}</span>
                        " "
                        <button type="button" data-testid="file-remove" on:click=move |_| slot.clear()>
                            {tr(Key::FileRemove)}
                        </button>
                    </p>
                }
            })
        })
    };
    let plain = move || !encrypt.get() && slot.file.with(Option::is_some);
    view! {
        <div class="field file-pick">
            <label for="secret-file">{tr(Key::FileAdd)}</label>
            <input id="secret-file" type="file" data-testid="file-input" node_ref=input
                aria-describedby="file-hint" on:change=on_change />
            <p id="file-hint" class="hint">{tr(Key::FileHint)}</p>
            {chosen}
            <p class="notice" data-testid="file-plain" hidden=move || !plain()>{tr(Key::FilePlain)}</p>
            <p class="error" role="alert" data-testid="file-error">{move || slot.refused.get()}</p>
        </div>
    }
}
