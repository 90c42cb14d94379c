//! The parts the small builds load on demand (`src/parts.rs`): Argon2id, the QR code and
//! the Sent history, as exports that `parts.rs` calls through the boot script's loader.
//! Built with the `parts` feature alone, so it links none of the screens.

use ots_core::envelope::{self, KdfParams};
use ots_web::history::{self, Entry};
use wasm_bindgen::prelude::wasm_bindgen;
use zeroize::Zeroizing;

fn main() {}

/// Argon2id's 64-byte output `A` for a passphrase, a salt and parameters written as
/// `KdfParams` writes them (`m.t.p`, checked again here), or nothing if it failed.
#[wasm_bindgen]
pub fn argon2id(passphrase: String, salt: &[u8], params: &str) -> Option<js_sys::Uint8Array> {
    let passphrase = Zeroizing::new(passphrase);
    let params: KdfParams = params.parse().ok()?;
    let out = envelope::argon2id(passphrase.as_bytes(), salt, &params).ok()?;
    // Copied straight into JavaScript: the only copy in this module's memory is wiped.
    Some(js_sys::Uint8Array::from(&out[..]))
}

/// A QR code of `text` as `[svg path, size in modules]`, or nothing if it is too long.
#[wasm_bindgen]
pub fn qr_path(text: &str) -> Option<js_sys::Array> {
    let (d, size) = ots_web::qr::qr_path(text)?;
    Some(
        [wasm_bindgen::JsValue::from(d), size.into()]
            .iter()
            .collect(),
    )
}

/// Keeps an entry (`Entry::encode`'s text) in the Sent history; true once stored.
#[wasm_bindgen]
pub async fn remember(encoded: String) -> bool {
    match Entry::decode(&encoded) {
        Some(entry) => history::remember(&entry).await.is_ok(),
        None => false,
    }
}
