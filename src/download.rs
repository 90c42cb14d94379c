//! Handing a revealed file to the browser's download manager. No views: both builds'
//! file cards use it.

use std::time::Duration;

use ots_core::payload::File;
use wasm_bindgen::{JsCast as _, JsValue};

use crate::dom::{document, set_timeout};

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
