//! Asking for a secret: a request link that carries the asker's X25519 public key, a
//! sealed answer only the asker can open, and an answer link that holds nothing that
//! decrypts. Version `otsq1`; the full specification, with test vectors, is the
//! "Requests" part of `docs/ENVELOPE.md`. age's X25519 recipient stanza is the model.
//!
//! ```text
//! pk      = X25519(sk, 9)                       the asker's key pair; sk never leaves its device
//! fp(pk)  = crockford32(SHA-256("otsq1 fingerprint" || pk)[0..8] >> 4)   12 characters
//! epk     = X25519(esk, 9)                      the sender's one-time key pair
//! ss      = X25519(esk, pk) = X25519(sk, epk)   refused if all zero
//! K       = HKDF-SHA256(salt = epk || pk, ikm = ss, info = "otsq1 content key")
//! access  = b64url(HKDF-SHA256(salt = epk || pk, ikm = ss, info = "otsq1 access"))
//! seal(p) = "otsq1." || b64url(AES-256-GCM(K, nonce = 0^12, pad(p), aad = "otsq1."))
//! ```
//!
//! `p` is an `ots2` payload (text, a file or both, see [`crate::payload`]) and `pad` pads
//! it with zeros to its size class, as `ots2` envelopes do.
//!
//! `access` is sent to the v1 API as the secret's `passphrase`, so the server gives the
//! answer out only to whoever can compute `ss`: the sender, who forgets `esk`, and the
//! asker. The nonce is fixed because `K` is fresh for every `esk`, which is used once.
//!
//! The X25519 function itself is behind the `x25519` feature (the CLI and the tests): the
//! browser app computes `ss` with WebCrypto and passes it in as a [`SharedSecret`], so
//! this module adds no curve arithmetic to its WebAssembly.

use std::fmt;
use std::str::FromStr;

use aes_gcm::aead::{AeadInOut, Nonce};
use aes_gcm::{Aes256Gcm, Key, KeyInit};
use hkdf::Hkdf;
use sha2::{Digest as _, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::b64;
use crate::link::{LinkError, Server};
use crate::payload::{self, Payload};

/// The version tag that starts every sealed answer, dot included.
pub const ANSWER_PREFIX: &str = "otsq1.";
/// HKDF `info` for the answer's content key.
const CONTENT_INFO: &[u8] = b"otsq1 content key";
/// HKDF `info` for the access value (the v1 passphrase).
const ACCESS_INFO: &[u8] = b"otsq1 access";
/// The domain of the fingerprint hash.
const FINGERPRINT_DOMAIN: &[u8] = b"otsq1 fingerprint";
/// Bytes of an X25519 key (public, private or shared).
pub const KEY_LEN: usize = 32;
/// Characters of a public key's text form.
pub const KEY_TEXT_LEN: usize = 43;
/// Bytes of the AES-GCM tag.
const TAG_LEN: usize = 16;
/// The most characters a request's note may have.
pub const NOTE_MAX_CHARS: usize = 200;
/// How long a request lives unless the asker says otherwise: 7 days, in seconds.
pub const DEFAULT_LIFETIME: u64 = 7 * 24 * 3600;
/// The alphabet of fingerprints: Crockford's base32 (no I, L, O, U).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of a fingerprint (60 bits).
pub const FINGERPRINT_LEN: usize = 12;

/// Why a request key, answer or fingerprint could not be read, made or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Bad text: the link or payload is damaged, or a key is not a usable X25519 key.
    #[error("malformed request or answer")]
    Malformed,
    /// Authentication failed: another key pair, or altered or truncated ciphertext.
    /// Deliberately one opaque error.
    #[error("decryption failed")]
    Decrypt,
}

/// An X25519 public key: the asker's (in the request link) or the sender's one-time key
/// (in the answer link). Text form: base64url without padding, 43 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// A key from its 32 bytes (RFC 7748's little-endian u-coordinate).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw key.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The short fingerprint both screens show, so that sender and asker can compare it.
    pub fn fingerprint(&self) -> Fingerprint {
        let digest = Sha256::new()
            .chain_update(FINGERPRINT_DOMAIN)
            .chain_update(self.0)
            .finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Fingerprint(u64::from_be_bytes(first) >> 4)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64::encode(&self.0))
    }
}

/// Exactly 32 bytes in canonical base64url; [`RequestError::Malformed`] otherwise.
fn key_bytes(text: &str) -> Result<[u8; KEY_LEN], RequestError> {
    if text.len() != KEY_TEXT_LEN {
        return Err(RequestError::Malformed);
    }
    let bytes = Zeroizing::new(b64::decode(text).ok_or(RequestError::Malformed)?);
    <[u8; KEY_LEN]>::try_from(bytes.as_slice()).map_err(|_| RequestError::Malformed)
}

impl FromStr for PublicKey {
    type Err = RequestError;

    /// Exactly 43 base64url characters with canonical trailing bits.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        key_bytes(text).map(Self)
    }
}

/// 60 bits of a hash of a request's public key, written as 12 characters of Crockford's
/// base32: `7KQ2-9MXD-A4TF` on screens ([`fmt::Display`]), `7KQ29MXDA4TF` in answer links
/// ([`Fingerprint::compact`]). It names the request an answer belongs to, and lets people
/// check that a request link was not swapped on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// The 12 characters without separators.
    pub fn compact(&self) -> String {
        (0..FINGERPRINT_LEN)
            .rev()
            .map(|i| char::from(CROCKFORD[((self.0 >> (5 * i)) & 31) as usize]))
            .collect()
    }
}

impl fmt::Display for Fingerprint {
    /// `XXXX-XXXX-XXXX`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.compact();
        write!(f, "{}-{}-{}", &c[0..4], &c[4..8], &c[8..12])
    }
}

impl FromStr for Fingerprint {
    type Err = RequestError;

    /// Either form, with or without the dashes, in upper case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let compact: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
        let dashes_ok = text.len() == FINGERPRINT_LEN
            || (text.len() == FINGERPRINT_LEN + 2
                && text.as_bytes()[4] == b'-'
                && text.as_bytes()[9] == b'-');
        if compact.len() != FINGERPRINT_LEN || !dashes_ok {
            return Err(RequestError::Malformed);
        }
        compact.iter().try_fold(Self(0), |acc, &c| {
            let digit = CROCKFORD
                .iter()
                .position(|&a| a == c)
                .ok_or(RequestError::Malformed)?;
            Ok(Self(acc.0 << 5 | digit as u64))
        })
    }
}

/// The X25519 output shared by the sender's one-time key and the asker's key. In the
/// browser it comes from WebCrypto's `deriveBits`; `Debug` never shows it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret([u8; KEY_LEN]);

impl SharedSecret {
    /// The 32 bytes of an X25519 result.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(…)")
    }
}

/// What the key agreement yields: the answer's content key and the `access` value the
/// server gates the reveal with. `Debug` shows neither.
#[derive(Clone)]
pub struct AnswerKeys {
    key: Zeroizing<[u8; KEY_LEN]>,
    access: Zeroizing<String>,
}

impl AnswerKeys {
    /// `b64url(HKDF(…, "otsq1 access"))`, 43 characters: the v1 `passphrase` of the
    /// answer, sent when it is shared and when it is revealed.
    pub fn access(&self) -> &str {
        &self.access
    }
}

impl fmt::Debug for AnswerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AnswerKeys(…)")
    }
}

/// Derives the answer's keys from the key agreement: `ss`, the sender's one-time public
/// key `epk` and the asker's public key `pk`. An all-zero `ss` (a low-order key in a
/// link) is [`RequestError::Malformed`], as RFC 7748 §6.1 advises.
pub fn answer_keys(
    ss: &SharedSecret,
    epk: &PublicKey,
    pk: &PublicKey,
) -> Result<AnswerKeys, RequestError> {
    if ss.0.iter().all(|&b| b == 0) {
        return Err(RequestError::Malformed);
    }
    let mut salt = [0u8; 2 * KEY_LEN];
    salt[..KEY_LEN].copy_from_slice(&epk.0);
    salt[KEY_LEN..].copy_from_slice(&pk.0);
    let hkdf = Hkdf::<Sha256>::new(Some(&salt), &ss.0);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let mut access = Zeroizing::new([0u8; KEY_LEN]);
    for (info, out) in [(CONTENT_INFO, &mut *key), (ACCESS_INFO, &mut *access)] {
        hkdf.expand(info, out)
            .expect("HKDF-SHA256 can expand up to 8160 bytes; we ask for 32");
    }
    Ok(AnswerKeys {
        key,
        access: Zeroizing::new(b64::encode(&*access)),
    })
}

/// A sealed answer, as the server stores it: `otsq1.` and the base64url ciphertext.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedAnswer(Vec<u8>);

impl SealedAnswer {
    /// Whether `text` is meant to be a sealed answer (has the tag), well-formed or not.
    pub fn detect(text: &str) -> bool {
        text.trim_ascii().starts_with(ANSWER_PREFIX)
    }
}

impl fmt::Debug for SealedAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedAnswer({} bytes)", self.0.len())
    }
}

impl fmt::Display for SealedAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ANSWER_PREFIX}{}", b64::encode(&self.0))
    }
}

impl FromStr for SealedAnswer {
    type Err = RequestError;

    /// `otsq1.` and canonical base64url of at least the 16-byte tag; surrounding ASCII
    /// whitespace is ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let payload = text
            .trim_ascii()
            .strip_prefix(ANSWER_PREFIX)
            .ok_or(RequestError::Malformed)?;
        let bytes = b64::decode(payload).ok_or(RequestError::Malformed)?;
        if bytes.len() < TAG_LEN {
            return Err(RequestError::Malformed);
        }
        Ok(Self(bytes))
    }
}

fn cipher(keys: &AnswerKeys) -> Aes256Gcm {
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(*keys.key))
}

/// Seals a payload for the asker, padded to its size class.
///
/// # Panics
/// Only if the payload exceeds AES-GCM's limit of 64 GiB.
pub fn seal(keys: &AnswerKeys, payload: &Payload) -> SealedAnswer {
    let mut buffer = payload.encode().to_vec();
    buffer.resize(payload::padded_len(buffer.len()), 0);
    cipher(keys)
        .encrypt_in_place(
            &Nonce::<Aes256Gcm>::default(),
            ANSWER_PREFIX.as_bytes(),
            &mut buffer,
        )
        .expect("AES-GCM encrypts anything under 64 GiB");
    SealedAnswer(buffer)
}

/// Opens a sealed answer; every authentication failure is [`RequestError::Decrypt`], and
/// an authentic payload that does not decode is [`RequestError::Malformed`].
pub fn open(keys: &AnswerKeys, sealed: &SealedAnswer) -> Result<Payload, RequestError> {
    let mut buffer = Zeroizing::new(sealed.0.clone());
    cipher(keys)
        .decrypt_in_place(
            &Nonce::<Aes256Gcm>::default(),
            ANSWER_PREFIX.as_bytes(),
            &mut *buffer,
        )
        .map_err(|_| RequestError::Decrypt)?;
    Payload::decode(&buffer).map_err(|_| RequestError::Malformed)
}

/// Characters of unpadded base64 for `n` bytes: `ceil(4n / 3)`.
fn b64_len(n: usize) -> usize {
    n.saturating_mul(4).saturating_add(2) / 3
}

/// The exact length of a sealed answer's text for a payload of `payload_len` encoded
/// bytes ([`payload::encoded_len`]).
pub fn sealed_len(payload_len: usize) -> usize {
    ANSWER_PREFIX.len() + b64_len(payload::padded_len(payload_len).saturating_add(TAG_LEN))
}

/// The largest payload, in encoded bytes, whose sealed answer fits in `limit_bytes`, or
/// `None` if not even the smallest class does: 7,424 in Onetime Secret's 10,000.
pub fn max_payload_len(limit_bytes: usize) -> Option<usize> {
    let chars = limit_bytes.saturating_sub(ANSWER_PREFIX.len());
    let cap = (chars / 4 * 3 + chars % 4 * 3 / 4).saturating_sub(TAG_LEN);
    payload::largest_class(cap)
}

/// Whether `note` may stand in a request link: 1 to [`NOTE_MAX_CHARS`] characters, none
/// of them a control character or a bidirectional override that could disguise the
/// text around it.
pub fn note_is_valid(note: &str) -> bool {
    let count = note.chars().count();
    (1..=NOTE_MAX_CHARS).contains(&count)
        && !note.chars().any(|c| {
            c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
}

/// A request link: `#/q/<b64url(pk)>?e=<expiry>[&n=<note>][&r=…|&api=…]`. Everything in it
/// is public: whoever has the link can read the note and answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLink {
    /// The asker's public key.
    pub public_key: PublicKey,
    /// What the asker asks for, if they said; see [`note_is_valid`].
    pub note: Option<String>,
    /// When the request expires, in Unix seconds; an answer after it is refused.
    pub expires: u64,
    /// Where the answer is to be stored.
    pub server: Server,
}

/// An answer link: `#/a/<secret_key>/<b64url(epk)>?f=<fingerprint>[&r=…|&api=…]`. It holds
/// the secret's key, the sender's one-time public key and the request's fingerprint:
/// nothing that decrypts, and nothing that reveals without the asker's private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerLink {
    /// The OTS secret key of the sealed answer.
    pub secret_key: String,
    /// The sender's one-time public key.
    pub ephemeral: PublicKey,
    /// The fingerprint of the request it answers, so the asker's device finds its key.
    pub to: Fingerprint,
    /// Where the answer is stored.
    pub server: Server,
}

/// Reads the request-specific link parameters left over after the common ones.
pub(crate) fn request_from_parts(
    key: &str,
    extra: &[(String, String)],
    server: Server,
) -> Result<RequestLink, LinkError> {
    let public_key = key.parse().map_err(|_| LinkError::BadKey)?;
    let (mut note, mut expires) = (None, None);
    for (name, value) in extra {
        match name.as_str() {
            "n" if value.is_empty() => {}
            "n" if note_is_valid(value) => note = Some(value.clone()),
            "e" => expires = Some(canonical_u64(value).ok_or(LinkError::Malformed)?),
            "n" => return Err(LinkError::Malformed),
            _ => {}
        }
    }
    Ok(RequestLink {
        public_key,
        note,
        expires: expires.ok_or(LinkError::Malformed)?,
        server,
    })
}

/// Reads an answer link's parts left over after the common parameters.
pub(crate) fn answer_from_parts(
    secret_key: String,
    epk: &str,
    extra: &[(String, String)],
    server: Server,
) -> Result<AnswerLink, LinkError> {
    let ephemeral = epk.parse().map_err(|_| LinkError::BadKey)?;
    let to = extra
        .iter()
        .find(|(name, _)| name == "f")
        .ok_or(LinkError::Malformed)?
        .1
        .as_str();
    if to.len() != FINGERPRINT_LEN {
        return Err(LinkError::Malformed);
    }
    Ok(AnswerLink {
        secret_key,
        ephemeral,
        to: to.parse().map_err(|_| LinkError::Malformed)?,
        server,
    })
}

/// A decimal without sign or leading zero.
fn canonical_u64(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// The asker's X25519 private key, with the curve arithmetic of the `x25519` feature.
#[cfg(feature = "x25519")]
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RequestSecret([u8; KEY_LEN]);

#[cfg(feature = "x25519")]
impl RequestSecret {
    /// A private key from 32 random bytes (clamped by X25519 when used).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads the text that [`RequestSecret::export`] wrote.
    pub fn import(text: &str) -> Result<Self, RequestError> {
        key_bytes(text).map(Self)
    }

    /// The key as 43 base64url characters, for the asker's own storage only.
    pub fn export(&self) -> Zeroizing<String> {
        Zeroizing::new(b64::encode(&self.0))
    }

    /// `pk = X25519(sk, 9)`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(x25519_dalek::x25519(
            self.0,
            x25519_dalek::X25519_BASEPOINT_BYTES,
        ))
    }

    /// The asker's side of the agreement: the answer's keys for the one-time key `epk`.
    pub fn answer_keys(&self, epk: &PublicKey) -> Result<AnswerKeys, RequestError> {
        let ss = SharedSecret(x25519_dalek::x25519(self.0, epk.0));
        answer_keys(&ss, epk, &self.public_key())
    }
}

#[cfg(feature = "x25519")]
impl fmt::Debug for RequestSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestSecret(…)")
    }
}

/// The sender's side of the agreement: from 32 fresh random bytes (`esk`, used once and
/// dropped), the one-time public key for the answer link and the answer's keys.
#[cfg(feature = "x25519")]
pub fn answer_to(
    esk: [u8; KEY_LEN],
    pk: &PublicKey,
) -> Result<(PublicKey, AnswerKeys), RequestError> {
    let esk = Zeroizing::new(esk);
    let epk = PublicKey(x25519_dalek::x25519(
        *esk,
        x25519_dalek::X25519_BASEPOINT_BYTES,
    ));
    let ss = SharedSecret(x25519_dalek::x25519(*esk, pk.0));
    Ok((epk, answer_keys(&ss, &epk, pk)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(seed: u8) -> AnswerKeys {
        let pk = PublicKey([seed; KEY_LEN]);
        let mut ss = [seed ^ 0x55; KEY_LEN];
        ss[0] = 1;
        answer_keys(&SharedSecret(ss), &PublicKey([7; KEY_LEN]), &pk).expect("non-zero")
    }

    #[test]
    fn fingerprints_read_back_in_both_forms() {
        let fp = PublicKey([3; KEY_LEN]).fingerprint();
        let shown = fp.to_string();
        assert_eq!(shown.len(), 14);
        assert_eq!(&shown[4..5], "-");
        assert_eq!(shown.parse(), Ok(fp));
        assert_eq!(fp.compact().parse(), Ok(fp));
        assert_ne!(PublicKey([4; KEY_LEN]).fingerprint(), fp);
        for bad in [
            "",
            "0000-0000-000",
            "0000-0000-000I",
            "000000000000-",
            "0000--0000000",
            "00000-000-0000",
            "0000-0000-000a",
        ] {
            assert_eq!(
                bad.parse::<Fingerprint>(),
                Err(RequestError::Malformed),
                "{bad}"
            );
        }
        assert_eq!("ZZZZZZZZZZZZ".parse(), Ok(Fingerprint((1 << 60) - 1)));
    }

    #[test]
    fn an_all_zero_agreement_is_refused() {
        let zero = SharedSecret([0; KEY_LEN]);
        let pk = PublicKey([1; KEY_LEN]);
        assert_eq!(
            answer_keys(&zero, &pk, &pk).err(),
            Some(RequestError::Malformed)
        );
    }

    #[test]
    fn access_depends_on_every_input() {
        let base = |ss: u8, epk: u8, pk: u8| {
            answer_keys(
                &SharedSecret([ss; KEY_LEN]),
                &PublicKey([epk; KEY_LEN]),
                &PublicKey([pk; KEY_LEN]),
            )
            .expect("non-zero")
            .access()
            .to_owned()
        };
        let a = base(1, 2, 3);
        assert_eq!(a.len(), 43);
        assert_ne!(a, base(9, 2, 3));
        assert_ne!(a, base(1, 9, 3));
        assert_ne!(a, base(1, 2, 9));
        // The access value is not the content key.
        let k = keys(1);
        assert_ne!(k.access(), b64::encode(&*k.key));
        assert_eq!(format!("{k:?}"), "AnswerKeys(…)");
    }

    #[test]
    fn seal_opens_only_with_the_same_keys_and_every_flip_fails() {
        let sealed = seal(&keys(1), &Payload::text("attack at dawn"));
        let text = sealed.to_string();
        assert!(text.starts_with(ANSWER_PREFIX));
        assert_eq!(text.len(), sealed_len(1 + 4 + 14));
        // Padded: a short answer is as long as any other in its class.
        assert_eq!(
            text.len(),
            seal(&keys(1), &Payload::text("")).to_string().len()
        );
        let parsed: SealedAnswer = text.parse().expect("parses");
        assert_eq!(
            open(&keys(1), &parsed).expect("opens").text_part(),
            Some("attack at dawn")
        );
        assert_eq!(open(&keys(2), &parsed), Err(RequestError::Decrypt));
        for i in 0..sealed.0.len() {
            let mut altered = sealed.clone();
            altered.0[i] ^= 0x01;
            assert_eq!(open(&keys(1), &altered), Err(RequestError::Decrypt), "{i}");
        }
        for end in 0..sealed.0.len() {
            let cut = SealedAnswer(sealed.0[..end].to_vec());
            assert!(
                cut.to_string()
                    .parse::<SealedAnswer>()
                    .and_then(|c| open(&keys(1), &c))
                    .is_err(),
                "{end}"
            );
        }
    }

    #[test]
    fn malformed_answers_are_refused() {
        let good = seal(&keys(1), &Payload::text("x")).to_string();
        let payload = &good[ANSWER_PREFIX.len()..];
        for bad in [
            String::new(),
            ANSWER_PREFIX.to_owned(),
            format!("ots1.{payload}"),
            format!("otsq2.{payload}"),
            format!("{good}="),
            format!("{good}!"),
            format!("{ANSWER_PREFIX}{}", &payload[..20]),
        ] {
            assert_eq!(
                bad.parse::<SealedAnswer>(),
                Err(RequestError::Malformed),
                "{bad}"
            );
        }
        assert!(SealedAnswer::detect(&format!(" {good}\n")));
        assert!(!SealedAnswer::detect("ots1.abc"));
    }

    #[test]
    fn lengths_for_the_ots_limit() {
        assert_eq!(max_payload_len(10_000), Some(7424));
        assert!(sealed_len(7424) <= 10_000);
        assert_eq!(sealed_len(0), 6 + b64_len(1024 + 16));
        assert_eq!(max_payload_len(1000), None);
    }

    #[test]
    fn an_authentic_payload_that_does_not_decode_is_malformed() {
        let k = keys(1);
        let mut buffer = vec![0x07u8; 1024];
        cipher(&k)
            .encrypt_in_place(
                &Nonce::<Aes256Gcm>::default(),
                ANSWER_PREFIX.as_bytes(),
                &mut buffer,
            )
            .expect("encrypts");
        assert_eq!(
            open(&k, &SealedAnswer(buffer)).err(),
            Some(RequestError::Malformed)
        );
    }

    #[test]
    fn notes_refuse_control_and_bidi_characters() {
        assert!(note_is_valid("VPN password for the Berlin office"));
        assert!(note_is_valid("Wi-Fi ☃ 🔐"));
        assert!(note_is_valid(&"é".repeat(NOTE_MAX_CHARS)));
        for bad in [
            String::new(),
            "é".repeat(NOTE_MAX_CHARS + 1),
            "line\nbreak".to_owned(),
            "tab\there".to_owned(),
            "evil \u{202e}txt.exe".to_owned(),
            "isolate \u{2066}x".to_owned(),
        ] {
            assert!(!note_is_valid(&bad), "{bad:?}");
        }
    }

    #[cfg(feature = "x25519")]
    #[test]
    fn both_sides_agree_and_a_third_key_does_not() {
        let asker = RequestSecret::from_bytes([1; KEY_LEN]);
        let pk = asker.public_key();
        let (epk, sender) = answer_to([2; KEY_LEN], &pk).expect("agrees");
        let mine = asker.answer_keys(&epk).expect("agrees");
        assert_eq!(mine.access(), sender.access());
        let sealed = seal(&sender, &Payload::text("hunter2"));
        assert_eq!(
            open(&mine, &sealed).expect("opens").text_part(),
            Some("hunter2")
        );
        let other = RequestSecret::from_bytes([3; KEY_LEN]);
        let theirs = other.answer_keys(&epk).expect("agrees");
        assert_ne!(theirs.access(), sender.access());
        assert_eq!(open(&theirs, &sealed), Err(RequestError::Decrypt));
        assert_eq!(
            RequestSecret::import(&asker.export())
                .expect("reads back")
                .public_key(),
            pk
        );
        assert_eq!(format!("{asker:?}"), "RequestSecret(…)");
        // A low-order key in a link (here u = 0) gives an all-zero agreement: refused.
        let low = PublicKey([0; KEY_LEN]);
        assert_eq!(
            answer_to([2; KEY_LEN], &low).err(),
            Some(RequestError::Malformed)
        );
        assert_eq!(asker.answer_keys(&low).err(), Some(RequestError::Malformed));
    }

    proptest! {
        #[test]
        fn public_keys_and_fingerprints_round_trip(bytes: [u8; 32]) {
            let pk = PublicKey(bytes);
            prop_assert_eq!(pk.to_string().parse::<PublicKey>(), Ok(pk));
            let fp = pk.fingerprint();
            prop_assert!(fp.0 < 1 << 60);
            prop_assert_eq!(fp.to_string().parse::<Fingerprint>(), Ok(fp));
            prop_assert_eq!(fp.compact().parse::<Fingerprint>(), Ok(fp));
        }

        #[test]
        fn sealed_answers_round_trip(seed: u8, plaintext in "\\PC{0,400}") {
            let k = keys(seed);
            let payload = Payload::text(&plaintext);
            let text = seal(&k, &payload).to_string();
            prop_assert_eq!(text.len(), sealed_len(payload.encode().len()));
            let parsed = text.parse::<SealedAnswer>().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parsed.to_string(), text);
            let opened = open(&k, &parsed).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(opened, payload);
        }

        #[test]
        fn max_payload_len_is_tight(limit in 0usize..20_000) {
            match max_payload_len(limit) {
                Some(n) => {
                    prop_assert!(sealed_len(n) <= limit);
                    prop_assert!(sealed_len(n + 1) > limit);
                }
                None => prop_assert!(sealed_len(0) > limit),
            }
        }
    }
}
