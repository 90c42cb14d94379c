//! Browser glue for the envelope: randomness from `crypto.getRandomValues` (getrandom's
//! `wasm_js` backend) and payloads in and out. The format itself lives in
//! `ots_core::envelope` and `ots_core::payload`.

use ots_core::envelope::{
    self, DerivedPassphrase, Envelope, EnvelopeError, FragmentKey, KdfParams, Version,
};
use ots_core::payload::{self, Payload};
use zeroize::Zeroizing;

use crate::parts::{self, DeriveError};

/// `N` random bytes.
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // Every browser that runs WebAssembly has crypto.getRandomValues.
    getrandom::fill(&mut bytes).expect("crypto.getRandomValues is available");
    bytes
}

/// Fills a buffer with random bytes (for the password generator).
pub fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("crypto.getRandomValues is available");
}

/// A secret sealed for posting.
pub struct Sealed {
    /// The envelope text, the only thing the server receives.
    pub envelope: String,
    /// The key for the link's fragment.
    pub key: FragmentKey,
    /// The passphrase's Argon2id parameters, if it protects the encryption.
    pub kdf: Option<KdfParams>,
    /// What to send as the API's passphrase: derived from the key (and the passphrase),
    /// never the passphrase itself.
    pub access: Zeroizing<String>,
}

/// Seals a payload into an `ots2` envelope under a fresh key, and the passphrase when
/// there is one (its Argon2id from the part that carries it, `parts.rs`).
pub async fn seal(payload: &Payload, passphrase: Option<&str>) -> Result<Sealed, DeriveError> {
    let key = FragmentKey::from_bytes(random());
    let derived = match passphrase {
        Some(p) => Some(parts::derive_passphrase(p, &key, &KdfParams::default()).await?),
        None => None,
    };
    Ok(seal_with(payload, key, derived.as_ref()))
}

/// Seals a payload under `key`, and a derived passphrase when there is one.
pub fn seal_with(
    payload: &Payload,
    key: FragmentKey,
    derived: Option<&DerivedPassphrase>,
) -> Sealed {
    let sealed = payload::seal(&key, random(), payload, derived);
    Sealed {
        envelope: sealed.to_string(),
        kdf: derived.map(|d| *d.params()),
        access: envelope::ots2_access(&key, derived),
        key,
    }
}

/// Opens an envelope's text, of either version: an `ots1` envelope holds UTF-8 text.
pub fn open(
    text: &str,
    key: &FragmentKey,
    pass: Option<&DerivedPassphrase>,
) -> Result<Payload, EnvelopeError> {
    let sealed: Envelope = text.parse()?;
    match sealed.version() {
        Version::V1 => {
            let bytes = envelope::open(&sealed, key, pass)?;
            let text = std::str::from_utf8(&bytes).map_err(|_| EnvelopeError::Malformed)?;
            Ok(Payload::text(text))
        }
        Version::V2 => payload::open(&sealed, key, pass),
    }
}
