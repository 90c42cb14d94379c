//! The recipient's side of a file in a secret: its name, size and type as text, and a
//! button that downloads the exact bytes under the sanitised name. Nothing is previewed
//! or rendered: the Blob is typed `application/octet-stream` whatever the sender said.

use std::time::Duration;

use leptos::prelude::*;
use ots_core::payload::File;
use wasm_bindgen::{JsCast as _, JsValue};

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

/// Hands the bytes to the browser's download manager through a short-lived Blob URL.
pub fn save_file(file: &File) -> Result<(), JsValue> {
    let bytes = js_sys::Uint8Array::from(file.bytes());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(
        &js_sys::Array::of1(&bytes),
        &options,
    )?;
    // The Blob holds its own copy: wipe this one.
    bytes.fill(0, 0, bytes.length());
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let link: web_sys::HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    link.set_href(&url);
    link.set_download(file.name());
    link.click();
    // The download has started from the URL; drop it on the next turn, after the click.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        Duration::from_millis(0),
    );
    Ok(())
}
