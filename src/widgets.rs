//! The pieces the screens drawn without Leptos share: the copy button and the file card,
//! with the full app's markup (`components/copy_button.rs`, `components/file_download.rs`).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ots_core::payload::{File, Payload};

use crate::clipboard;
use crate::dom::{self, El, set_timeout};
use crate::download::save_file;
use crate::fmt;
use crate::i18n::{Key, current_locale, text, text_filled};

/// Copies what `value` gives at the click (the secret, read from where the screen keeps
/// it, so this never-dropped listener holds no copy), says so, and clears the clipboard
/// `clear_after` seconds later. Returns the button and its live region.
pub fn copy_button(
    value: impl Fn() -> String + 'static,
    label: Key,
    testid: &str,
    clear_after: u32,
) -> [El; 2] {
    let said = El::new("span")
        .attr("class", "sr-only")
        .attr("aria-live", "polite");
    let button = El::new("button")
        .attr("type", "button")
        .attr("class", "copy")
        .attr("data-testid", testid)
        .text_with(move || text(label));
    let (shown, live) = (button.0.clone(), said.0.clone());
    let button = button.on("click", move |_| {
        let value = value();
        let (shown, live) = (shown.clone(), live.clone());
        wasm_bindgen_futures::spawn_local(async move {
            if !clipboard::copy(&value).await {
                return;
            }
            dom::set_text_with(&shown, Box::new(|| text(Key::Copied)));
            dom::set_text_with(&live, Box::new(|| text(Key::CopiedAnnouncement)));
            set_timeout(
                move || {
                    dom::set_text_with(&shown, Box::new(move || text(label)));
                    dom::set_text_with(&live, Box::new(String::new));
                },
                Duration::from_secs(3),
            );
            clipboard::clear_later(value, clear_after);
        });
    });
    [button, said]
}

/// A revealed file: its name, size and type as text, and a button that downloads the
/// file `revealed` holds at the click.
pub fn file_card(file: &File, revealed: Rc<RefCell<Option<Payload>>>) -> El {
    let size = file.bytes().len();
    let failed = El::new("p").attr("class", "error").attr("role", "alert");
    let list = El::new("dl")
        .child(El::new("dt").text_with(|| text(Key::FileName)))
        .child(
            El::new("dd")
                .attr("data-testid", "file-name")
                .text(file.name()),
        )
        .child(El::new("dt").text_with(|| text(Key::FileSize)))
        .child(
            El::new("dd")
                .attr("data-testid", "file-size")
                .text_with(move || {
                    let size = fmt::number(current_locale(), size);
                    text_filled(Key::FileBytes, &[("size", &size)])
                }),
        )
        .child(El::new("dt").text_with(|| text(Key::FileType)))
        .child(
            El::new("dd")
                .attr("data-testid", "file-type")
                .text(file.media_type()),
        );
    let shown_failure = failed.0.clone();
    let download = El::new("button")
        .attr("type", "button")
        .attr("class", "primary")
        .attr("data-testid", "download-file")
        .text_with(|| text(Key::FileDownload))
        .on("click", move |_| {
            let saved = revealed
                .borrow()
                .as_ref()
                .and_then(Payload::file)
                .map(save_file);
            let failure = !matches!(saved, Some(Ok(())));
            dom::set_text_with(
                &shown_failure,
                Box::new(move || match failure {
                    true => text(Key::ErrorUnexpected),
                    false => String::new(),
                }),
            );
        });
    El::new("div")
        .attr("class", "file-card")
        .attr("data-testid", "revealed-file")
        .child(&list)
        .child(
            El::new("p")
                .attr("class", "hint")
                .text_with(|| text(Key::FileNotOpened)),
        )
        .child(&download)
        .child(&failed)
}

/// `<div class="field">` with a label for the control `id`, and the control, which
/// carries that `id` itself (`components/field.rs` in the full app's views).
pub fn field(id: &str, label: Key, control: &El) -> El {
    El::new("div")
        .attr("class", "field")
        .child(
            El::new("label")
                .attr("for", id)
                .text_with(move || text(label)),
        )
        .child(control)
}
