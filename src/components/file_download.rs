//! The recipient's side of a file in a secret: its name, size and type as text, and a
//! button that downloads the exact bytes under the sanitised name. Nothing is previewed
//! or rendered: the Blob is typed `application/octet-stream` whatever the sender said.

use leptos::prelude::*;
use ots_core::payload::File;

use crate::download::save_file;
use crate::fmt;
use crate::i18n::{Key, tr, use_i18n};

/// Shows a revealed file and offers it for download.
#[component]
pub fn FileDownload(
    /// The file from the secret (its name is already sanitised).
    file: File,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = file.name().to_owned();
    let media_type = file.media_type().to_owned();
    let size = file.bytes().len();
    let file = StoredValue::new(file);
    let failed = RwSignal::new(false);
    let download = move |_| failed.set(file.with_value(save_file).is_err());
    view! {
        <div class="file-card" data-testid="revealed-file">
            <dl>
                <dt>{tr(Key::FileName)}</dt>
                <dd data-testid="file-name">{name}</dd>
                <dt>{tr(Key::FileSize)}</dt>
                <dd data-testid="file-size">{move || i18n.tf(Key::FileBytes, &[("size", &fmt::number(i18n.locale.get(), size))])}</dd>
                <dt>{tr(Key::FileType)}</dt>
                <dd data-testid="file-type">{media_type}</dd>
            </dl>
            <p class="hint">{tr(Key::FileNotOpened)}</p>
            <button type="button" class="primary" data-testid="download-file" on:click=download>
                {tr(Key::FileDownload)}
            </button>
            <p class="error" role="alert">{move || failed.get().then(|| i18n.t(Key::ErrorUnexpected))}</p>
        </div>
    }
}
