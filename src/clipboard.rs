//! Copying to the clipboard, and clearing a copied secret from it later. No views: both
//! builds' copy buttons use it.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::dom::{document, set_timeout, window};

/// Copies `value`; whether the browser took it.
pub async fn copy(value: &str) -> bool {
    let clipboard = window().navigator().clipboard();
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(value))
        .await
        .is_ok()
}

/// Empties the clipboard `seconds` from now if it still holds `value` (0: never).
pub fn clear_later(value: String, seconds: u32) {
    let value = Zeroizing::new(value);
    if seconds == 0 {
        return;
    }
    set_timeout(
        move || wasm_bindgen_futures::spawn_local(clear_if_unchanged(value)),
        Duration::from_secs(seconds.into()),
    );
}

async fn clear_if_unchanged(value: Zeroizing<String>) {
    let clipboard = window().navigator().clipboard();
    let current = wasm_bindgen_futures::JsFuture::from(clipboard.read_text()).await;
    // Reading needs permission; without it, clear anyway only while we have focus.
    let ours = match current {
        Ok(text) => text.as_string().is_some_and(|t| t == *value),
        Err(_) => document().has_focus().unwrap_or(false),
    };
    if ours {
        let _ = wasm_bindgen_futures::JsFuture::from(clipboard.write_text("")).await;
    }
}
