//! Parts that the small builds load on demand rather than at start (docs/FIRST-SCREEN.md):
//! Argon2id, needed only with a passphrase; the QR code, and the Sent history, needed
//! only once a secret is created. The full app links them (the `parts` feature). A small
//! build asks the boot script's `otsPart()` for the `ots-parts` build
//! (`src/bin/ots-parts.rs`) the first time one is needed; a part that cannot load
//! (offline, or a page from before a deploy) is [`Missing`], and the screen says so.

use ots_core::envelope::{self, DerivedPassphrase, EnvelopeError, FragmentKey, KdfParams};
use zeroize::Zeroizing;

use crate::history::Entry;

/// A part could not load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing;

/// Why a passphrase could not be derived.
#[derive(Debug, Clone, PartialEq)]
pub enum DeriveError {
    /// The part that derives could not load.
    Missing,
    /// Argon2id refused (the parameters, or no memory).
    Failed(EnvelopeError),
}

/// Derives a passphrase's keys (`envelope::derive_passphrase`), with Argon2id from the
/// part that carries it.
pub async fn derive_passphrase(
    passphrase: &str,
    key: &FragmentKey,
    params: &KdfParams,
) -> Result<DerivedPassphrase, DeriveError> {
    let salt = envelope::kdf_salt(key);
    let out = argon2id(passphrase, &salt, params).await?;
    Ok(envelope::derived_from(&out, params))
}

/// Starts loading the parts, so they are in when needed (a small build's page only).
pub fn prefetch() {
    #[cfg(not(feature = "parts"))]
    wasm_bindgen_futures::spawn_local(async {
        let _ = on_demand::module().await;
    });
}

#[cfg(feature = "parts")]
async fn argon2id(
    passphrase: &str,
    salt: &[u8],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 64]>, DeriveError> {
    envelope::argon2id(passphrase.as_bytes(), salt, params).map_err(DeriveError::Failed)
}

/// A QR code of `text`, as an SVG path and its size in modules; `None` if the text is
/// too long for one.
#[cfg(feature = "parts")]
pub async fn qr_path(text: &str) -> Result<Option<(String, i32)>, Missing> {
    Ok(crate::qr::qr_path(text))
}

/// Keeps a created secret's receipt in the Sent history (IndexedDB).
#[cfg(feature = "parts")]
pub async fn remember(entry: Entry) -> bool {
    crate::history::remember(&entry).await.is_ok()
}

#[cfg(not(feature = "parts"))]
async fn argon2id(
    passphrase: &str,
    salt: &[u8],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 64]>, DeriveError> {
    let mut out = Zeroizing::new([0u8; 64]);
    let filled = on_demand::call(
        "argon2id",
        &[
            passphrase.into(),
            js_sys::Uint8Array::from(salt).into(),
            params.to_string().into(),
        ],
    )
    .await
    .map_err(|Missing| DeriveError::Missing)?;
    let filled = js_sys::Uint8Array::new(&filled);
    if filled.length() != 64 {
        return Err(DeriveError::Failed(EnvelopeError::Kdf));
    }
    filled.copy_to(&mut out[..]);
    // The Argon2id output leaves the JavaScript heap as it leaves this function.
    filled.fill(0, 0, 64);
    Ok(out)
}

#[cfg(not(feature = "parts"))]
pub async fn qr_path(text: &str) -> Result<Option<(String, i32)>, Missing> {
    let drawn = on_demand::call("qr_path", &[text.into()]).await?;
    let part = |i: u32| js_sys::Reflect::get(&drawn, &i.into()).ok();
    let d = part(0).and_then(|d| d.as_string());
    let size = part(1).and_then(|s| s.as_f64());
    Ok(d.zip(size).map(|(d, size)| (d, size as i32)))
}

#[cfg(not(feature = "parts"))]
pub async fn remember(entry: Entry) -> bool {
    on_demand::call("remember", &[entry.encode().into()])
        .await
        .is_ok_and(|done| done.is_truthy())
}

/// Loading the `ots-parts` build, through the boot script's loader.
#[cfg(not(feature = "parts"))]
mod on_demand {
    use js_sys::{Array, Function, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::Missing;
    use crate::dom::window;

    /// The parts' exports: loaded once by `otsPart()`, which tries again after a failure.
    pub async fn module() -> Result<JsValue, Missing> {
        let load = Reflect::get(&window(), &"otsPart".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or(Missing)?;
        let promise = load.call0(&JsValue::NULL).map_err(|_| Missing)?;
        JsFuture::from(Promise::from(promise))
            .await
            .map_err(|_| Missing)
    }

    /// Calls the export `name` with `args`; it settles what it returns if a promise.
    pub async fn call(name: &str, args: &[JsValue]) -> Result<JsValue, Missing> {
        let module = module().await?;
        let export = Reflect::get(&module, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or(Missing)?;
        let args: Array = args.iter().collect();
        let answer = export.apply(&module, &args).map_err(|_| Missing)?;
        match answer.dyn_into::<Promise>() {
            Ok(promise) => JsFuture::from(promise).await.map_err(|_| Missing),
            Err(value) => Ok(value),
        }
    }
}
