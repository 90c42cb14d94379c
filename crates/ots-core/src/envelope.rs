//! The browser-encryption envelope: the only text posted as the OTS `secret` when the
//! client encrypts. Format versions `ots1` (the plaintext as is) and `ots2` (a typed,
//! padded payload, see [`crate::payload`], and an access value always derived from the
//! key, see [`ots2_access`]); the full specification, with test vectors, is
//! `docs/ENVELOPE.md`.
//!
//! ```text
//! K       = HKDF-SHA256(salt = "", ikm = fk, info = "ots1 content key")
//! seal[fk](m) = "ots1." || b64url(nonce || AES-256-GCM(K, nonce, m, aad = "ots1."))
//!
//! salt    = HKDF-SHA256(salt = "", ikm = fk, info = "ots1 argon2id salt")[0..16]
//! A       = Argon2id(passphrase, salt, m, t, p, out = 64)
//! access  = b64url(A[0..32])            (sent to the API as the OTS passphrase)
//! K       = HKDF-SHA256(salt = "", ikm = fk || A[32..64], info = "ots1 content key")
//! seal[fk, passphrase](m) = header || b64url(nonce || AES-256-GCM(K, nonce, m, aad = header))
//!   where header = "ots1.a2id.<m>.<t>.<p>."
//! ```
//!
//! `b64url` is RFC 4648 §5 without padding. `fk` is the 256-bit fragment key carried in
//! the link's fragment, which never reaches a server.

use std::fmt;
use std::str::FromStr;

use aes_gcm::aead::{AeadInOut, Nonce};
use aes_gcm::{Aes256Gcm, Key, KeyInit};
use argon2::{Algorithm, Argon2, Params, Version as Argon2Version};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::b64;

/// The version tag that starts every `ots1` envelope, dot included.
pub const PREFIX: &str = "ots1.";
/// The KDF tag of a passphrase-protected envelope.
const KDF_TAG: &str = "a2id.";
/// HKDF `info` for the Argon2id salt (both versions share the Argon2id stage).
const SALT_INFO: &[u8] = b"ots1 argon2id salt";
/// HKDF `info` for the `ots2` access value.
const ACCESS_INFO: &[u8] = b"ots2 access";

/// The envelope format version, named by the header's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `ots1.`: the plaintext as is; the API passphrase only with a user passphrase.
    V1,
    /// `ots2.`: a typed, padded [`crate::payload::Payload`]; the API passphrase is always
    /// [`ots2_access`].
    V2,
}

impl Version {
    /// The tag that starts the envelope, dot included: `ots1.` or `ots2.`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::V1 => PREFIX,
            Self::V2 => "ots2.",
        }
    }

    /// HKDF `info` for the content key.
    fn content_info(self) -> &'static [u8] {
        match self {
            Self::V1 => b"ots1 content key",
            Self::V2 => b"ots2 content key",
        }
    }
}

/// Bytes of the AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of the AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// Bytes of the fragment key.
pub const KEY_LEN: usize = 32;
/// Characters of a fragment key's text form (and of an `access` string).
pub const KEY_TEXT_LEN: usize = 43;
/// Bytes of the Argon2id salt.
const SALT_LEN: usize = 16;

/// Why an envelope could not be read, made or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Bad text, version, parameters or key text: the link or payload is damaged.
    #[error("malformed envelope")]
    Malformed,
    /// Authentication failed: wrong key, wrong passphrase, or altered or truncated
    /// ciphertext. Deliberately one opaque error.
    #[error("decryption failed")]
    Decrypt,
    /// The envelope is passphrase-protected and no passphrase was given.
    #[error("passphrase required")]
    PassphraseRequired,
    /// Argon2id failed (for instance, memory could not be allocated).
    #[error("key derivation failed")]
    Kdf,
}

fn b64(bytes: &[u8]) -> String {
    b64::encode(bytes)
}

/// Strict base64url: no padding, no whitespace, no stray trailing bits.
fn unb64(text: &str) -> Result<Vec<u8>, EnvelopeError> {
    b64::decode(text).ok_or(EnvelopeError::Malformed)
}

/// HKDF-SHA256 with an empty salt, filling `out`.
fn hkdf(ikm: &[u8], info: &[u8], out: &mut [u8]) {
    Hkdf::<Sha256>::new(None, ikm)
        .expand(info, out)
        .expect("HKDF-SHA256 can expand up to 8160 bytes; we ask for at most 32");
}

/// The random 256-bit key that the link's fragment carries.
///
/// Text form: base64url without padding, 43 characters. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct FragmentKey([u8; KEY_LEN]);

impl FragmentKey {
    /// A key from 32 random bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw key.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for FragmentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FragmentKey(…)")
    }
}

impl fmt::Display for FragmentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64(&self.0))
    }
}

impl FromStr for FragmentKey {
    type Err = EnvelopeError;

    /// Exactly 43 base64url characters with canonical trailing bits.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != KEY_TEXT_LEN {
            return Err(EnvelopeError::Malformed);
        }
        let bytes = Zeroizing::new(unb64(text)?);
        let array =
            <[u8; KEY_LEN]>::try_from(bytes.as_slice()).map_err(|_| EnvelopeError::Malformed)?;
        Ok(Self(array))
    }
}

/// Argon2id cost parameters, validated so that a hostile link or payload cannot make
/// the recipient's browser allocate gigabytes. Text form `<m_kib>.<t>.<p>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KdfParams {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl KdfParams {
    /// OWASP's Argon2id recommendation: 19 MiB, 2 passes, 1 lane.
    pub const DEFAULT: Self = Self {
        m_kib: 19_456,
        t: 2,
        p: 1,
    };
    /// Largest memory accepted, in KiB (256 MiB).
    pub const MAX_M_KIB: u32 = 262_144;
    /// Most passes accepted.
    pub const MAX_T: u32 = 10;
    /// Most lanes accepted.
    pub const MAX_P: u32 = 4;

    /// Parameters within the accepted ranges: `1 <= t <= 10`, `1 <= p <= 4`,
    /// `8 * p <= m_kib <= 262144`; [`EnvelopeError::Malformed`] otherwise.
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self, EnvelopeError> {
        let ok = (1..=Self::MAX_T).contains(&t)
            && (1..=Self::MAX_P).contains(&p)
            && m_kib <= Self::MAX_M_KIB
            && m_kib >= 8 * p;
        if ok {
            Ok(Self { m_kib, t, p })
        } else {
            Err(EnvelopeError::Malformed)
        }
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.m_kib, self.t, self.p)
    }
}

/// A canonical decimal: digits only, no sign, no leading zero, fits in a u32.
fn parse_decimal(text: &str) -> Result<u32, EnvelopeError> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical {
        text.parse().map_err(|_| EnvelopeError::Malformed)
    } else {
        Err(EnvelopeError::Malformed)
    }
}

impl FromStr for KdfParams {
    type Err = EnvelopeError;

    /// `<m_kib>.<t>.<p>` in canonical decimals, within the accepted ranges.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.split('.');
        let (Some(m), Some(t), Some(p), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(EnvelopeError::Malformed);
        };
        Self::new(parse_decimal(m)?, parse_decimal(t)?, parse_decimal(p)?)
    }
}

/// What a passphrase yields: the `access` string the API sees and the key half that
/// never leaves the client. `Debug` shows neither.
#[derive(Clone)]
pub struct DerivedPassphrase {
    access: Zeroizing<String>,
    /// `A[0..32]`, which `access` encodes and [`ots2_access`] hashes.
    gate: Zeroizing<[u8; KEY_LEN]>,
    key: Zeroizing<[u8; KEY_LEN]>,
    params: KdfParams,
}

impl DerivedPassphrase {
    /// `b64url(A[0..32])`, 43 characters: send it as the OTS `passphrase` when creating,
    /// revealing and burning. The server learns this, never the passphrase.
    pub fn access(&self) -> &str {
        &self.access
    }

    /// The parameters it was derived with (they go into the envelope header).
    pub fn params(&self) -> &KdfParams {
        &self.params
    }
}

impl fmt::Debug for DerivedPassphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DerivedPassphrase")
            .field("access", &"…")
            .field("key", &"…")
            .field("params", &self.params)
            .finish()
    }
}

/// Runs Argon2id on the passphrase with a salt derived from the fragment key.
///
/// `salt = HKDF-SHA256(ikm = fk, info = "ots1 argon2id salt")[0..16]`,
/// `A = Argon2id(passphrase, salt, m, t, p, out = 64)`; `access = b64url(A[0..32])`, and
/// `A[32..64]` joins the fragment key in the content key. The passphrase is used as its
/// UTF-8 bytes, without normalization. This is slow by design (tens to hundreds of ms).
pub fn derive_passphrase(
    passphrase: &str,
    fk: &FragmentKey,
    params: &KdfParams,
) -> Result<DerivedPassphrase, EnvelopeError> {
    let out = argon2id(passphrase.as_bytes(), &kdf_salt(fk), params)?;
    Ok(derived_from(&out, params))
}

/// The Argon2id salt for a fragment key: `HKDF-SHA256(ikm = fk, info = "ots1 argon2id
/// salt")[0..16]`.
pub fn kdf_salt(fk: &FragmentKey) -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    hkdf(fk.as_bytes(), SALT_INFO, &mut salt);
    salt
}

/// The Argon2id stage of [`derive_passphrase`] alone: `A = Argon2id(passphrase, salt, m,
/// t, p, out = 64)`. Separate so that a browser can run it in code loaded only when a
/// passphrase is used.
pub fn argon2id(
    passphrase: &[u8],
    salt: &[u8],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 64]>, EnvelopeError> {
    let argon_params =
        Params::new(params.m_kib, params.t, params.p, Some(64)).map_err(|_| EnvelopeError::Kdf)?;
    let mut out = Zeroizing::new([0u8; 64]);
    Argon2::new(Algorithm::Argon2id, Argon2Version::V0x13, argon_params)
        .hash_password_into(passphrase, salt, &mut out[..])
        .map_err(|_| EnvelopeError::Kdf)?;
    Ok(out)
}

/// The passphrase's keys from the Argon2id output `A` made with `params`.
pub fn derived_from(out: &[u8; 64], params: &KdfParams) -> DerivedPassphrase {
    let (access, key) = out.split_at(KEY_LEN);
    let mut key_half = Zeroizing::new([0u8; KEY_LEN]);
    key_half.copy_from_slice(key);
    let mut gate = Zeroizing::new([0u8; KEY_LEN]);
    gate.copy_from_slice(access);
    DerivedPassphrase {
        access: Zeroizing::new(b64(access)),
        gate,
        key: key_half,
        params: *params,
    }
}

/// The API passphrase of an `ots2` secret, sent on create, reveal and burn:
/// `b64url(HKDF-SHA256(salt = "", ikm = fk [|| A[0..32]], info = "ots2 access"))`, with
/// `A[0..32]` when a passphrase protects the secret. Without the fragment key nobody can
/// compute it, so a link seen without its fragment can neither consume nor burn the
/// secret; it reveals nothing about the content key, which uses another `info`.
pub fn ots2_access(fk: &FragmentKey, pass: Option<&DerivedPassphrase>) -> Zeroizing<String> {
    let mut ikm = Zeroizing::new([0u8; 2 * KEY_LEN]);
    ikm[..KEY_LEN].copy_from_slice(fk.as_bytes());
    let ikm_len = match pass {
        Some(p) => {
            ikm[KEY_LEN..].copy_from_slice(&p.gate[..]);
            2 * KEY_LEN
        }
        None => KEY_LEN,
    };
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    hkdf(&ikm[..ikm_len], ACCESS_INFO, &mut out[..]);
    Zeroizing::new(b64(&out[..]))
}

/// A sealed envelope: `"ots1." | "ots2."`, then `[ "a2id.<m>.<t>.<p>." ]
/// b64url(nonce || ciphertext || tag)`.
///
/// `FromStr` accepts only the canonical text (surrounding ASCII whitespace aside), so
/// `Display` gives back exactly what was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    version: Version,
    kdf: Option<KdfParams>,
    nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the tag.
    sealed: Vec<u8>,
}

impl Envelope {
    /// The format version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The Argon2id parameters if the envelope is passphrase-protected.
    pub fn kdf(&self) -> Option<KdfParams> {
        self.kdf
    }

    /// Whether a revealed secret looks like an envelope (rather than plain text from
    /// another client). It may still fail to parse.
    pub fn detect(text: &str) -> bool {
        let text = text.trim_ascii_start();
        [Version::V1, Version::V2]
            .iter()
            .any(|v| text.starts_with(v.tag()))
    }

    /// The header: everything before the payload, trailing dot included. It is the AAD.
    fn header(&self) -> String {
        header(self.version, self.kdf.as_ref())
    }
}

fn header(version: Version, kdf: Option<&KdfParams>) -> String {
    let tag = version.tag();
    match kdf {
        None => tag.to_owned(),
        Some(k) => format!("{tag}{KDF_TAG}{k}."),
    }
}

impl fmt::Display for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut payload = Vec::with_capacity(NONCE_LEN + self.sealed.len());
        payload.extend_from_slice(&self.nonce);
        payload.extend_from_slice(&self.sealed);
        write!(f, "{}{}", self.header(), b64(&payload))
    }
}

impl FromStr for Envelope {
    type Err = EnvelopeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim_ascii();
        let (version, rest) = [Version::V1, Version::V2]
            .into_iter()
            .find_map(|v| Some((v, text.strip_prefix(v.tag())?)))
            .ok_or(EnvelopeError::Malformed)?;
        let (kdf, payload) = match rest.rsplit_once('.') {
            None => (None, rest),
            Some((params, payload)) => {
                let params = params
                    .strip_prefix(KDF_TAG)
                    .ok_or(EnvelopeError::Malformed)?;
                (Some(params.parse::<KdfParams>()?), payload)
            }
        };
        let bytes = unb64(payload)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(EnvelopeError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = <[u8; NONCE_LEN]>::try_from(nonce).map_err(|_| EnvelopeError::Malformed)?;
        Ok(Self {
            version,
            kdf,
            nonce,
            sealed: sealed.to_vec(),
        })
    }
}

/// `K = HKDF-SHA256(salt = "", ikm = fk [|| pk], info = "ots<v> content key")`, as a cipher.
fn content_cipher(
    version: Version,
    fk: &FragmentKey,
    pass: Option<&DerivedPassphrase>,
) -> Aes256Gcm {
    let mut ikm = Zeroizing::new([0u8; 2 * KEY_LEN]);
    ikm[..KEY_LEN].copy_from_slice(fk.as_bytes());
    let ikm_len = match pass {
        Some(p) => {
            ikm[KEY_LEN..].copy_from_slice(&p.key[..]);
            2 * KEY_LEN
        }
        None => KEY_LEN,
    };
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    hkdf(&ikm[..ikm_len], version.content_info(), &mut key[..]);
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key))
}

/// Seals `plaintext` into an `ots1` envelope under the fragment key, and under the
/// passphrase too if `pass` is given. `nonce` must be 12 fresh random bytes: never reuse
/// one with the same key. New secrets use `ots2` ([`crate::payload::seal`]).
///
/// # Panics
/// Only if `plaintext` exceeds AES-GCM's limit of 64 GiB.
pub fn seal(
    fk: &FragmentKey,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
    pass: Option<&DerivedPassphrase>,
) -> Envelope {
    seal_version(Version::V1, fk, nonce, plaintext, pass)
}

/// [`seal`] for either version; `plaintext` is what the AEAD encrypts (for `ots2`, the
/// padded payload).
pub(crate) fn seal_version(
    version: Version,
    fk: &FragmentKey,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
    pass: Option<&DerivedPassphrase>,
) -> Envelope {
    let kdf = pass.map(|p| p.params);
    let aad = header(version, kdf.as_ref());
    let mut buffer = plaintext.to_vec();
    content_cipher(version, fk, pass)
        .encrypt_in_place(
            &Nonce::<Aes256Gcm>::from(nonce),
            aad.as_bytes(),
            &mut buffer,
        )
        .expect("AES-GCM encrypts anything under 64 GiB");
    Envelope {
        version,
        kdf,
        nonce,
        sealed: buffer,
    }
}

/// Opens an envelope of either version and returns what the AEAD sealed: the plaintext
/// of an `ots1` envelope, the padded payload of an `ots2` one (which
/// [`crate::payload::open`] decodes). A passphrase-protected one needs `pass`, derived with
/// [`Envelope::kdf`]'s parameters ([`EnvelopeError::PassphraseRequired`] otherwise); for
/// one without, `pass` is ignored. Every authentication failure is
/// [`EnvelopeError::Decrypt`].
pub fn open(
    envelope: &Envelope,
    fk: &FragmentKey,
    pass: Option<&DerivedPassphrase>,
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    // A passphrase derived with other parameters than the header's makes another key, so
    // the AEAD check refuses it like any wrong passphrase: no separate guard is needed.
    let pass = match (envelope.kdf, pass) {
        (None, _) => None,
        (Some(_), None) => return Err(EnvelopeError::PassphraseRequired),
        (Some(_), Some(p)) => Some(p),
    };
    let aad = envelope.header();
    let mut buffer = Zeroizing::new(envelope.sealed.clone());
    content_cipher(envelope.version, fk, pass)
        .decrypt_in_place(
            &Nonce::<Aes256Gcm>::from(envelope.nonce),
            aad.as_bytes(),
            &mut *buffer,
        )
        .map_err(|_| EnvelopeError::Decrypt)?;
    Ok(buffer)
}

/// Characters of unpadded base64 for `n` bytes: `ceil(4n / 3)`.
fn b64_len(n: usize) -> usize {
    n.saturating_mul(4).saturating_add(2) / 3
}

/// The exact length, in bytes (all ASCII), of the `ots1` envelope text for a plaintext of
/// `plaintext_len` bytes. (`ots2` headers have the same length, so this also gives an
/// `ots2` envelope's length from its padded payload's.)
pub fn sealed_len(plaintext_len: usize, kdf: Option<&KdfParams>) -> usize {
    header(Version::V1, kdf)
        .len()
        .saturating_add(b64_len(plaintext_len.saturating_add(NONCE_LEN + TAG_LEN)))
}

/// The largest plaintext, in bytes, whose `ots1` envelope fits in `limit_bytes` (0 if
/// none does). With the OTS limit of 10 000 bytes: 7 468 without a passphrase, 7 457 with
/// the default parameters. (For `ots2`, see [`crate::payload::max_payload_len`].)
pub fn max_plaintext_len(limit_bytes: usize, kdf: Option<&KdfParams>) -> usize {
    let payload_chars = limit_bytes.saturating_sub(header(Version::V1, kdf).len());
    // floor(3c/4) bytes fit in c characters of unpadded base64.
    (payload_chars / 4 * 3 + payload_chars % 4 * 3 / 4).saturating_sub(NONCE_LEN + TAG_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fk(seed: u8) -> FragmentKey {
        FragmentKey::from_bytes([seed; KEY_LEN])
    }

    /// Cheap parameters so tests run fast.
    fn small() -> KdfParams {
        KdfParams::new(64, 1, 1).expect("valid")
    }

    fn derived(passphrase: &str, key: &FragmentKey) -> DerivedPassphrase {
        derive_passphrase(passphrase, key, &small()).expect("derives")
    }

    #[test]
    fn fragment_key_text_round_trips_and_is_43_chars() {
        let key = FragmentKey::from_bytes(core::array::from_fn(|i| u8::try_from(i).unwrap_or(0)));
        let text = key.to_string();
        assert_eq!(text.len(), KEY_TEXT_LEN);
        assert_eq!(text.parse::<FragmentKey>(), Ok(key));
    }

    #[test]
    fn fragment_key_rejects_bad_text() {
        let good = fk(7).to_string();
        for bad in [
            String::new(),
            good[..42].to_owned(),
            format!("{good}A"),
            format!("{}=", &good[..42]),
            format!("{}+", &good[..42]),
            format!("{}/", &good[..42]),
            format!("{} ", &good[..42]),
        ] {
            assert_eq!(
                bad.parse::<FragmentKey>(),
                Err(EnvelopeError::Malformed),
                "{bad:?}"
            );
        }
        // The last character carries 4 unused bits: non-zero ones are refused, so one key
        // has exactly one text form.
        let mut chars: Vec<char> = good.chars().collect();
        chars[42] = 'B';
        let odd: String = chars.into_iter().collect();
        assert_eq!(odd.parse::<FragmentKey>(), Err(EnvelopeError::Malformed));
    }

    #[test]
    fn debug_output_redacts_keys() {
        let key = fk(1);
        assert_eq!(format!("{key:?}"), "FragmentKey(…)");
        let d = format!("{:?}", derived("secret words", &key));
        assert!(!d.contains(derived("secret words", &key).access()));
        assert!(d.contains("…"));
    }

    #[test]
    fn kdf_params_parse_and_guard() {
        assert_eq!("19456.2.1".parse::<KdfParams>(), Ok(KdfParams::DEFAULT));
        assert_eq!(KdfParams::DEFAULT.to_string(), "19456.2.1");
        assert!("262144.10.4".parse::<KdfParams>().is_ok());
        assert!("8.1.1".parse::<KdfParams>().is_ok());
        for bad in [
            "",
            "1.1",
            "1.1.1.1",
            "262145.1.1",
            "64.11.1",
            "64.1.5",
            "31.1.4",
            "0.1.1",
            "64.0.1",
            "64.1.0",
            "064.1.1",
            "+64.1.1",
            "64.1.1 ",
            "64..1",
            "a.b.c",
            "99999999999.1.1",
        ] {
            assert_eq!(
                bad.parse::<KdfParams>(),
                Err(EnvelopeError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn derived_passphrase_reports_its_params() {
        // The CLI compares these with the envelope header to reuse a derivation.
        let other = KdfParams::new(72, 1, 1).expect("ok");
        let key = fk(1);
        assert_eq!(derived("a", &key).params(), &small());
        let d = derive_passphrase("a", &key, &other).expect("derives");
        assert_eq!(d.params(), &other);
    }

    #[test]
    fn access_is_43_chars_and_depends_on_everything() {
        let a = derived("correct horse", &fk(1));
        assert_eq!(a.access().len(), KEY_TEXT_LEN);
        assert_ne!(a.access(), derived("correct horsf", &fk(1)).access());
        assert_ne!(a.access(), derived("correct horse", &fk(2)).access());
        let other = derive_passphrase(
            "correct horse",
            &fk(1),
            &KdfParams::new(64, 2, 1).expect("ok"),
        )
        .expect("derives");
        assert_ne!(a.access(), other.access());
    }

    #[test]
    fn ots2_access_needs_the_key_and_the_passphrase() {
        let a = ots2_access(&fk(1), None);
        assert_eq!(a.len(), KEY_TEXT_LEN);
        assert_eq!(ots2_access(&fk(1), None), a);
        assert_ne!(ots2_access(&fk(2), None), a);
        let p = derived("correct horse", &fk(1));
        let with = ots2_access(&fk(1), Some(&p));
        assert_ne!(with, a);
        // Not ots1's access either: the server of one version learns nothing for the other.
        assert_ne!(with.as_str(), p.access());
        assert_ne!(
            ots2_access(&fk(1), Some(&derived("correct horsf", &fk(1)))),
            with
        );
    }

    #[test]
    fn versions_have_their_own_tag_and_key() {
        let text = seal_version(Version::V2, &fk(1), [0; NONCE_LEN], b"hi", None).to_string();
        assert!(text.starts_with("ots2."));
        let env: Envelope = text.parse().expect("parses");
        assert_eq!(env.version(), Version::V2);
        assert_eq!(open(&env, &fk(1), None).expect("opens").as_slice(), b"hi");
        assert!(Envelope::detect(&text));
        // Same key, nonce and plaintext under ots1: another ciphertext (another key).
        let v1 = seal(&fk(1), [0; NONCE_LEN], b"hi", None).to_string();
        assert_ne!(v1[5..], text[5..]);
    }

    #[test]
    fn seal_open_without_passphrase() {
        let env = seal(&fk(1), [9; NONCE_LEN], b"hello", None);
        assert!(env.to_string().starts_with("ots1."));
        assert_eq!(env.kdf(), None);
        let text = env.to_string();
        let parsed: Envelope = text.parse().expect("parses");
        assert_eq!(parsed, env);
        assert_eq!(
            open(&parsed, &fk(1), None).expect("opens").as_slice(),
            b"hello"
        );
        assert_eq!(text.len(), sealed_len(5, None));
    }

    #[test]
    fn seal_open_with_passphrase() {
        let key = fk(3);
        let pass = derived("hunter22", &key);
        let env = seal(&key, [1; NONCE_LEN], b"s3cret", Some(&pass));
        let text = env.to_string();
        assert!(text.starts_with("ots1.a2id.64.1.1."));
        assert_eq!(text.len(), sealed_len(6, Some(&small())));
        let parsed: Envelope = text.parse().expect("parses");
        assert_eq!(parsed.kdf(), Some(small()));
        assert_eq!(
            open(&parsed, &key, Some(&pass)).expect("opens").as_slice(),
            b"s3cret"
        );
        assert_eq!(
            open(&parsed, &key, None),
            Err(EnvelopeError::PassphraseRequired)
        );
        assert_eq!(
            open(&parsed, &key, Some(&derived("hunter23", &key))),
            Err(EnvelopeError::Decrypt)
        );
        // The fragment key alone is not enough, and neither is the passphrase alone.
        assert_eq!(
            open(&parsed, &fk(4), Some(&pass)),
            Err(EnvelopeError::Decrypt)
        );
    }

    #[test]
    fn a_passphrase_for_other_params_is_refused() {
        let key = fk(3);
        let pass = derived("hunter22", &key);
        let env = seal(&key, [1; NONCE_LEN], b"x", Some(&pass));
        let other = derive_passphrase("hunter22", &key, &KdfParams::new(72, 1, 1).expect("ok"))
            .expect("derives");
        assert_eq!(open(&env, &key, Some(&other)), Err(EnvelopeError::Decrypt));
    }

    #[test]
    fn wrong_key_is_decrypt() {
        let env = seal(&fk(1), [0; NONCE_LEN], b"hello", None);
        assert_eq!(open(&env, &fk(2), None), Err(EnvelopeError::Decrypt));
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        let env = seal(&fk(1), [0; NONCE_LEN], b"hello", None);
        let padded = format!("  {env}\r\n");
        assert_eq!(padded.parse::<Envelope>(), Ok(env));
        assert!(Envelope::detect(&padded));
        assert!(!Envelope::detect("hello ots1."));
    }

    #[test]
    fn malformed_texts() {
        let env = seal(&fk(1), [0; NONCE_LEN], b"hello", None).to_string();
        let payload = env.strip_prefix(PREFIX).expect("prefix");
        for bad in [
            String::new(),
            "ots1.".to_owned(),
            format!("ots3.{payload}"),
            format!("OTS1.{payload}"),
            format!("ots1.x.{payload}"),
            format!("ots1.a2id.{payload}"),
            format!("ots1.a2id.64.1.{payload}"),
            format!("ots1.a2id.999999.1.1.{payload}"),
            format!("ots1.a2id.64.1.1.x.{payload}"),
            format!("ots1.{payload}="),
            format!("ots1.{payload}!"),
            format!("ots1.{}", &payload[..36]),
        ] {
            assert_eq!(
                bad.parse::<Envelope>(),
                Err(EnvelopeError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn any_single_character_flip_fails() {
        for pass in [false, true] {
            let key = fk(5);
            let derived = pass.then(|| derived("pass phrase", &key));
            let text = seal(&key, [7; NONCE_LEN], b"attack at dawn", derived.as_ref()).to_string();
            for i in 0..text.len() {
                for flip in [0x01u8, 0x20] {
                    let mut bytes = text.clone().into_bytes();
                    bytes[i] ^= flip;
                    let Ok(altered) = String::from_utf8(bytes) else {
                        continue;
                    };
                    let result = altered
                        .parse::<Envelope>()
                        .and_then(|e| open(&e, &key, derived.as_ref()));
                    assert!(
                        matches!(
                            result,
                            Err(EnvelopeError::Malformed | EnvelopeError::Decrypt)
                        ),
                        "flip {flip:#x} at {i} of {text}: {result:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn any_single_byte_flip_in_the_binary_payload_is_decrypt() {
        let key = fk(5);
        let env = seal(&key, [7; NONCE_LEN], b"attack at dawn", None);
        for i in 0..NONCE_LEN + env.sealed.len() {
            let mut altered = env.clone();
            if i < NONCE_LEN {
                altered.nonce[i] ^= 0x80;
            } else {
                altered.sealed[i - NONCE_LEN] ^= 0x80;
            }
            let reparsed: Envelope = altered.to_string().parse().expect("still well-formed");
            assert_eq!(
                open(&reparsed, &key, None),
                Err(EnvelopeError::Decrypt),
                "byte {i}"
            );
        }
    }

    #[test]
    fn every_truncation_fails() {
        let key = fk(5);
        let text = seal(&key, [7; NONCE_LEN], b"attack at dawn", None).to_string();
        for end in 0..text.len() {
            let result = text[..end]
                .parse::<Envelope>()
                .and_then(|e| open(&e, &key, None));
            assert!(result.is_err(), "truncated to {end}");
        }
    }

    #[test]
    fn lengths_for_the_ots_limit() {
        assert_eq!(max_plaintext_len(10_000, None), 7468);
        assert_eq!(max_plaintext_len(10_000, Some(&KdfParams::DEFAULT)), 7457);
        assert_eq!(max_plaintext_len(10, None), 0);
        assert_eq!(max_plaintext_len(0, None), 0);
        assert_eq!(sealed_len(0, None), 5 + 38);
        assert_eq!(header(Version::V1, Some(&KdfParams::DEFAULT)).len(), 20);
        assert_eq!(header(Version::V2, Some(&KdfParams::DEFAULT)).len(), 20);
    }

    proptest! {
        #[test]
        fn max_plaintext_len_is_tight(limit in 0usize..20_000, with_kdf: bool) {
            let kdf = with_kdf.then_some(KdfParams::DEFAULT);
            let n = max_plaintext_len(limit, kdf.as_ref());
            if sealed_len(0, kdf.as_ref()) <= limit {
                prop_assert!(sealed_len(n, kdf.as_ref()) <= limit);
                prop_assert!(sealed_len(n + 1, kdf.as_ref()) > limit);
            } else {
                prop_assert_eq!(n, 0);
            }
        }

        #[test]
        fn round_trip_without_passphrase(
            key: [u8; 32],
            nonce: [u8; 12],
            plaintext in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let key = FragmentKey::from_bytes(key);
            let env = seal(&key, nonce, &plaintext, None);
            let text = env.to_string();
            prop_assert_eq!(text.len(), sealed_len(plaintext.len(), None));
            let parsed = text.parse::<Envelope>().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parsed.to_string(), text);
            let opened = open(&parsed, &key, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(opened.as_slice(), plaintext.as_slice());
        }
    }

    proptest! {
        // Argon2 makes each case slower: fewer cases.
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn round_trip_with_passphrase(
            key: [u8; 32],
            nonce: [u8; 12],
            passphrase in "\\PC{0,40}",
            plaintext in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let key = FragmentKey::from_bytes(key);
            let pass = derive_passphrase(&passphrase, &key, &small())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let text = seal(&key, nonce, &plaintext, Some(&pass)).to_string();
            prop_assert_eq!(text.len(), sealed_len(plaintext.len(), Some(&small())));
            let parsed = text.parse::<Envelope>().map_err(|e| TestCaseError::fail(e.to_string()))?;
            // The recipient derives again from the link's parameters.
            let again = derive_passphrase(&passphrase, &key, &parsed.kdf().unwrap_or_default())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(again.access(), pass.access());
            let opened = open(&parsed, &key, Some(&again))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(opened.as_slice(), plaintext.as_slice());
        }
    }
}
