//! Browser glue for the envelope: randomness from `crypto.getRandomValues` (getrandom's
//! `wasm_js` backend) and text in and out. The format itself lives in `ots_core::envelope`.

use ots_core::envelope::{
    self, DerivedPassphrase, Envelope, EnvelopeError, FragmentKey, KdfParams,
};
use zeroize::Zeroizing;

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
    /// What to send as the API's passphrase: derived, never the passphrase itself.
    pub access: Option<Zeroizing<String>>,
}

/// Seals `plaintext` under a fresh key, and the passphrase when there is one.
pub fn seal(plaintext: &str, passphrase: Option<&str>) -> Result<Sealed, EnvelopeError> {
    let key = FragmentKey::from_bytes(random());
    let derived = passphrase
        .map(|p| envelope::derive_passphrase(p, &key, &KdfParams::default()))
        .transpose()?;
    let sealed = envelope::seal(&key, random(), plaintext.as_bytes(), derived.as_ref());
    Ok(Sealed {
        envelope: sealed.to_string(),
        kdf: derived.as_ref().map(|d| *d.params()),
        access: derived.map(|d| Zeroizing::new(d.access().to_owned())),
        key,
    })
}

/// Opens an envelope's text into the secret's text.
pub fn open(
    text: &str,
    key: &FragmentKey,
    pass: Option<&DerivedPassphrase>,
) -> Result<Zeroizing<String>, EnvelopeError> {
    let sealed: Envelope = text.parse()?;
    let bytes = envelope::open(&sealed, key, pass)?;
    String::from_utf8(bytes.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::Malformed)
}
