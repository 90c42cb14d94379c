//! A button that copies a text, announces it, and can clear the clipboard afterwards.

use std::time::Duration;

use leptos::prelude::*;

use crate::i18n::{Key, use_i18n};

/// Copies `text` to the clipboard and says so through an aria-live region.
#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    text: Signal<String>,
    /// The button's label.
    label: Key,
    /// `data-testid` of the button.
    testid: &'static str,
    /// Clear the clipboard this many seconds later (0: never), for copied secrets.
    #[prop(optional)]
    clear_after: u32,
) -> impl IntoView {
    let i18n = use_i18n();
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        let value = text.get_untracked();
        let clipboard = window().navigator().clipboard();
        leptos::task::spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&value))
                .await
                .is_ok();
            set_copied.set(done);
            if done {
                set_timeout(move || set_copied.set(false), Duration::from_secs(3));
            }
            if done && clear_after > 0 {
                set_timeout(
                    move || clear_clipboard_if_unchanged(value),
                    Duration::from_secs(clear_after.into()),
                );
            }
        });
    };
    view! {
        <button type="button" class="copy" data-testid=testid on:click=copy>
            {move || i18n.t(if copied.get() { Key::Copied } else { label })}
        </button>
        <span class="sr-only" aria-live="polite">
            {move || if copied.get() { i18n.t(Key::CopiedAnnouncement) } else { String::new() }}
        </span>
    }
}

/// Empties the clipboard if it still holds `value` (when the page may still read it).
fn clear_clipboard_if_unchanged(value: String) {
    let clipboard = window().navigator().clipboard();
    leptos::task::spawn_local(async move {
        let current = wasm_bindgen_futures::JsFuture::from(clipboard.read_text()).await;
        // Reading needs permission; without it, clear anyway only while we have focus.
        let ours = match current {
            Ok(text) => text.as_string().is_some_and(|t| t == value),
            Err(_) => document().has_focus().unwrap_or(false),
        };
        if ours {
            let _ = wasm_bindgen_futures::JsFuture::from(clipboard.write_text("")).await;
        }
        drop(zeroize::Zeroizing::new(value));
    });
}
