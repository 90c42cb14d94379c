//! A request's fingerprint, shown on the asker's and the sender's screens alike.

use leptos::prelude::*;

use crate::i18n::{Key, tr};

/// A request's fingerprint, large enough to read out, with what to do with it.
#[component]
pub fn Fingerprint(
    /// `XXXX-XXXX-XXXX`.
    text: String,
    /// What the reader should do with it.
    hint: Key,
) -> impl IntoView {
    view! {
        <div class="field fingerprint">
            <h2 id="fingerprint-label">{tr(Key::FingerprintLabel)}</h2>
            <p><code class="fingerprint-value" data-testid="fingerprint" aria-labelledby="fingerprint-label">{text}</code></p>
            <p class="hint">{tr(hint)}</p>
        </div>
    }
}
