//! A file in a secret, on the sending side: picked, dropped onto the form or pasted into
//! the text field. Its size is checked before its bytes are even read, so a file that
//! cannot fit gets a message (with the limit and how far over it is) and no request is
//! made; what was typed stays as it was. Drawn without Leptos (`dom.rs`), for the create
//! form and the answer form alike.

use std::cell::RefCell;
use std::rc::Rc;

use ots_core::filename;
use ots_core::payload::File;
use web_sys::{ClipboardEvent, DragEvent, Event, HtmlInputElement};

use crate::dom::{self, El, show};
use crate::fmt;
use crate::i18n::{Key, current_locale, text, text_filled};

/// Why the last file was not taken.
enum Refusal {
    TooLarge {
        name: String,
        needed: usize,
        limit: usize,
    },
    Unreadable,
}

/// The bytes the server would receive with a file of these (name, type, content)
/// lengths, and the server's limit.
pub struct Budget {
    /// What would be sent with a file of these lengths, as the form stands.
    pub needed: Box<dyn Fn((usize, usize, usize)) -> usize>,
    /// The server's `secret_max_bytes`.
    pub limit: Box<dyn Fn() -> usize>,
}

struct Slot {
    file: RefCell<Option<File>>,
    budget: Budget,
    /// Runs when the file changes, so the form redraws its figures.
    changed: Box<dyn Fn()>,
    input: HtmlInputElement,
    /// The chosen file's line, while there is one, and its "left" figure. It is drawn
    /// when the file is taken: a line kept off the page would miss language changes.
    chosen: RefCell<Option<(El, El)>>,
    plain: El,
    error: El,
}

/// The file part of a form: a visible picker, the chosen file's name and size with what
/// is left of the limit, and why a file was refused.
#[derive(Clone)]
pub struct FileSlot {
    slot: Rc<Slot>,
    /// The field, to place in the form.
    pub element: El,
}

impl FileSlot {
    /// An empty slot; `changed` runs whenever a file is taken or let go.
    pub fn new(budget: Budget, changed: impl Fn() + 'static) -> Self {
        let input = El::new("input")
            .attr("id", "secret-file")
            .attr("type", "file")
            .attr("data-testid", "file-input")
            .attr("aria-describedby", "file-hint");
        let plain = El::new("p")
            .attr("class", "notice")
            .attr("data-testid", "file-plain")
            .text_with(|| text(Key::FilePlain));
        let error = El::new("p")
            .attr("class", "error")
            .attr("role", "alert")
            .attr("data-testid", "file-error");
        let element = El::new("div")
            .attr("class", "field file-pick")
            .child(
                El::new("label")
                    .attr("for", "secret-file")
                    .text_with(|| text(Key::FileAdd)),
            )
            .child(&input)
            .child(
                El::new("p")
                    .attr("id", "file-hint")
                    .attr("class", "hint")
                    .text_with(|| text(Key::FileHint)),
            )
            .child(&plain)
            .child(&error);
        let this = Self {
            slot: Rc::new(Slot {
                file: RefCell::new(None),
                budget,
                changed: Box::new(changed),
                input: input.cast(),
                chosen: RefCell::default(),
                plain,
                error,
            }),
            element,
        };
        let picker = this.clone();
        input.on("change", move |_| {
            if let Some(file) = picker.slot.input.files().and_then(|f| f.get(0)) {
                picker.take(file);
            }
        });
        this.redraw(0, true);
        this
    }

    /// Takes a file from the browser: refused at once if it cannot fit, else read.
    pub fn take(&self, picked: web_sys::File) {
        let name = filename::sanitize(&picked.name());
        let media_type = filename::media_type(&picked.type_(), &name);
        // A `File`'s size is a double; anything past usize is too large anyway.
        let size = picked.size().clamp(0.0, usize::MAX as f64) as usize;
        let budget = &self.slot.budget;
        let needed = (budget.needed)((name.len(), media_type.len(), size));
        let limit = (budget.limit)();
        if needed > limit {
            // It was meant to replace any earlier file: that one goes too.
            self.set(None);
            return self.refuse(Some(Refusal::TooLarge {
                name,
                needed,
                limit,
            }));
        }
        self.refuse(None);
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(picked.array_buffer()).await {
                Ok(buffer) => {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    this.set(Some(File::new(&name, &media_type, bytes)));
                }
                Err(_) => this.refuse(Some(Refusal::Unreadable)),
            }
        });
    }

    /// A paste into the text field: a pasted file is taken instead of its name as text.
    pub fn paste(&self, event: &Event) {
        let event: &ClipboardEvent = wasm_bindgen::JsCast::unchecked_ref(event);
        if let Some(file) = event
            .clipboard_data()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            event.prevent_default();
            self.take(file);
        }
    }

    /// A drop onto the form.
    pub fn drop_on(&self, event: &Event) {
        let event: &DragEvent = wasm_bindgen::JsCast::unchecked_ref(event);
        if let Some(file) = event
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            event.prevent_default();
            self.take(file);
        }
    }

    /// Forgets the file (its bytes are wiped when dropped) and any refusal.
    pub fn clear(&self) {
        self.refuse(None);
        self.set(None);
    }

    /// The file, if one is attached.
    pub fn file(&self) -> Option<File> {
        self.slot.file.borrow().clone()
    }

    /// The attached file's (name, type, content) lengths.
    pub fn lens(&self) -> Option<(usize, usize, usize)> {
        self.slot
            .file
            .borrow()
            .as_ref()
            .map(crate::draft::file_lens)
    }

    /// Redraws what depends on the rest of the form: what is left of the limit with
    /// `used` bytes, and whether the server could read the file (`encrypt` off).
    pub fn redraw(&self, used: usize, encrypt: bool) {
        let slot = &self.slot;
        show(&slot.plain, !encrypt && slot.file.borrow().is_some());
        if let Some((_, left)) = &*slot.chosen.borrow() {
            let left_bytes = (slot.budget.limit)().saturating_sub(used);
            dom::set_text_with(
                &left.0,
                Box::new(move || {
                    let left = fmt::number(current_locale(), left_bytes);
                    text_filled(Key::FileLeft, &[("left", &left)])
                }),
            );
        }
    }

    fn set(&self, file: Option<File>) {
        // The control names no file unless one is attached, and then picking the same
        // file again fires `change` again.
        if file.is_none() {
            self.slot.input.set_value("");
        }
        if let Some((line, _)) = self.slot.chosen.take() {
            line.0.remove();
        }
        if let Some(file) = &file {
            let line = self.chosen_line(file);
            let _ = self.slot.plain.0.before_with_node_1(&line.0.0);
            *self.slot.chosen.borrow_mut() = Some(line);
        }
        *self.slot.file.borrow_mut() = file;
        (self.slot.changed)();
    }

    /// The chosen file's name and size, what is left, and a button to remove it.
    fn chosen_line(&self, file: &File) -> (El, El) {
        let bytes = file.bytes().len();
        let left = El::new("span").attr("data-testid", "file-left");
        let remover = self.clone();
        let line = El::new("p")
            .attr("class", "file-chosen")
            .attr("data-testid", "file-chosen")
            .child(
                El::new("span")
                    .attr("data-testid", "file-chosen-name")
                    .text(file.name()),
            )
            .child(dom::document().create_text_node(" · "))
            .child(El::new("span").text_with(move || {
                let size = fmt::number(current_locale(), bytes);
                text_filled(Key::FileBytes, &[("size", &size)])
            }))
            .child(dom::document().create_text_node(" · "))
            .child(&left)
            .child(dom::document().create_text_node(" "))
            .child(
                El::new("button")
                    .attr("type", "button")
                    .attr("data-testid", "file-remove")
                    .text_with(|| text(Key::FileRemove))
                    .on("click", move |_| remover.clear()),
            );
        (line, left)
    }

    fn refuse(&self, refusal: Option<Refusal>) {
        dom::set_text_with(
            &self.slot.error.0,
            Box::new(move || match &refusal {
                None => String::new(),
                Some(Refusal::Unreadable) => text(Key::FileUnreadable),
                Some(Refusal::TooLarge {
                    name,
                    needed,
                    limit,
                }) => {
                    let locale = current_locale();
                    text_filled(
                        Key::FileTooLarge,
                        &[
                            ("name", name),
                            ("needed", &fmt::number(locale, *needed)),
                            ("max", &fmt::number(locale, *limit)),
                            ("over", &fmt::number(locale, needed - limit)),
                        ],
                    )
                }
            }),
        );
    }
}
