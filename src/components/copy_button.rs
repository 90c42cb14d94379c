//! A button that copies a text, announces it, and can clear the clipboard afterwards.

use std::time::Duration;

use leptos::prelude::*;

use crate::clipboard;
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
        leptos::task::spawn_local(async move {
            let done = clipboard::copy(&value).await;
            set_copied.set(done);
            if done {
                set_timeout(move || set_copied.set(false), Duration::from_secs(3));
                clipboard::clear_later(value, clear_after);
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
