//! Bootstrap only: mounts the full app. Everything else lives in the library so tests can
//! mount it.
fn main() {
    ots_web::mount(ots_web::pages::all);
}

// The bench's hooks live in the full app's build, where `ots-bench` calls them, and not
// in the recipient's.

/// Bench hook: milliseconds to seal `bytes` of text (no passphrase), measured in the page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_seal_ms(bytes: usize) -> f64 {
    let text = "s".repeat(bytes);
    let t0 = js_sys::Date::now();
    let key = ots_core::envelope::FragmentKey::from_bytes(ots_web::crypto::random());
    let sealed = ots_web::crypto::seal_with(&ots_core::payload::Payload::text(&text), key, None);
    let elapsed = js_sys::Date::now() - t0;
    if sealed.envelope.is_empty() {
        f64::NAN
    } else {
        elapsed
    }
}

/// Bench hook: milliseconds for one Argon2id passphrase derivation at the default cost.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_kdf_ms() -> f64 {
    let key = ots_core::envelope::FragmentKey::from_bytes(ots_web::crypto::random());
    let params = ots_core::envelope::KdfParams::default();
    let t0 = js_sys::Date::now();
    let derived = ots_core::envelope::derive_passphrase("correct horse", &key, &params);
    let elapsed = js_sys::Date::now() - t0;
    if derived.is_ok() { elapsed } else { f64::NAN }
}
