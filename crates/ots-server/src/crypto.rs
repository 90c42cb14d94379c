//! Encryption at rest, passphrase hashing and token hashing.
//!
//! - at rest, version 2:
//!   `k = HKDF-SHA256(ikm = master, salt = "ots-server at-rest v1", info = secret_key)`,
//!   `seal(k, m) = 0x02 || id(8) || nonce(12) || AES-256-GCM(k, nonce, m, aad = secret_key)`,
//!   where `id = HKDF-SHA256(ikm = master, salt = "ots-server master key id v1")[..8]` names
//!   the master key, so a store can refuse to hand a value to an instance that cannot open
//!   it. Version 1 (no id, `0x01 || nonce || ct`) is still opened.
//! - passphrase: `"a2id$m$t$p$" || b64(salt16) || "$" || b64(argon2id(pass, salt, 32))`.
//!   The passphrase is an access check only, never part of the key (as in v0.24+).
//!   An access value that encrypted links derive (the canonical base64url of 32 bytes,
//!   docs/ENVELOPE.md) is stored as `"s256$" || b64(salt16) || "$" || b64(SHA-256(salt ||
//!   pass))`: it holds 256 random bits, so a slow hash guards nothing and would cost a core
//!   tens of milliseconds on every create and reveal of an `ots2` secret.
//! - API token: the accounts file stores `hex(SHA-256(token))`; tokens are 256-bit
//!   random, so a fast hash is enough and keeps authentication cheap.
//! - new keys: [`new_key`], from 320 bits of OS randomness.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Sealed values written before the key id existed: `0x01 || nonce || ct`.
const AT_REST_V1: u8 = 1;
/// `0x02 || id || nonce || ct`.
const AT_REST_V2: u8 = 2;
const HKDF_SALT: &[u8] = b"ots-server at-rest v1";
const KEY_ID_SALT: &[u8] = b"ots-server master key id v1";

/// A master key's fingerprint: an HKDF output, which tells nothing about the key.
pub type KeyId = [u8; 8];

/// Crypto failures stay opaque: wrong key, bad tag and truncation are one error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// The ciphertext could not be opened.
    #[error("decrypt failed")]
    Decrypt,
    /// The system random source failed.
    #[error("random source failed")]
    Random,
    /// A stored hash could not be parsed.
    #[error("malformed hash")]
    Malformed,
}

/// The server's 256-bit master key.
#[derive(Clone)]
pub struct MasterKey {
    key: Zeroizing<[u8; 32]>,
    id: KeyId,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut id = [0u8; 8];
        Hkdf::<Sha256>::new(Some(KEY_ID_SALT), &bytes)
            .expand(&[], &mut id)
            .expect("8-byte HKDF output is valid");
        MasterKey {
            key: Zeroizing::new(bytes),
            id,
        }
    }

    /// The key's fingerprint, kept by the store and in every sealed value.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).map_err(|_| CryptoError::Random)?;
        let key = Self::from_bytes(k);
        k.zeroize();
        Ok(key)
    }

    /// Parses 64 hex characters (surrounding whitespace ignored).
    pub fn from_hex(s: &str) -> Option<Self> {
        let bytes = hex_decode(s.trim())?;
        let arr: [u8; 32] = bytes.as_slice().try_into().ok()?;
        Some(Self::from_bytes(arr))
    }

    /// Hex form, for writing the key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex(&self.key[..]))
    }

    /// Loads the key from `path`, or creates it there (mode 0600) when absent.
    pub fn load_or_create(path: &std::path::Path) -> std::io::Result<Self> {
        use std::io::Write as _;
        match std::fs::read_to_string(path) {
            Ok(s) => Self::from_hex(&s).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "master key file must hold 64 hex characters",
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let key = Self::generate().map_err(std::io::Error::other)?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt as _;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path)?;
                f.write_all(key.to_hex().as_bytes())?;
                f.write_all(b"\n")?;
                f.sync_all()?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }

    fn cipher_for(&self, secret_key: &str) -> Aes256Gcm {
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.key[..]);
        let mut k = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte maximum.
        hk.expand(secret_key.as_bytes(), &mut k[..])
            .expect("32-byte HKDF output is valid");
        Aes256Gcm::new_from_slice(&k[..]).expect("AES-256 key is 32 bytes")
    }

    /// Encrypts a secret value under its per-secret key.
    pub fn seal(&self, secret_key: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let ct = self
            .cipher_for(secret_key)
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: secret_key.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        let mut out = Vec::with_capacity(1 + 8 + 12 + ct.len());
        out.push(AT_REST_V2);
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts what [`MasterKey::seal`] produced for the same key.
    pub fn open(&self, secret_key: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let body = match (sealed.first(), sealed_key_id(sealed)) {
            (Some(&AT_REST_V1), _) => &sealed[1..],
            (Some(&AT_REST_V2), Some(id)) if id == self.id => &sealed[9..],
            _ => return Err(CryptoError::Decrypt),
        };
        if body.len() < 12 + 16 {
            return Err(CryptoError::Decrypt);
        }
        let nonce: [u8; 12] = body[..12].try_into().map_err(|_| CryptoError::Decrypt)?;
        self.cipher_for(secret_key)
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &body[12..],
                    aad: secret_key.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt)
    }
}

/// The id of the master key that sealed `sealed` (`None` for version 1 values).
pub fn sealed_key_id(sealed: &[u8]) -> Option<KeyId> {
    match sealed.split_first() {
        Some((&AT_REST_V2, rest)) => rest.get(..8)?.try_into().ok(),
        _ => None,
    }
}

/// Argon2id cost for passphrases (OWASP's m=19 MiB, t=2, p=1).
#[derive(Debug, Clone, Copy)]
pub struct PassphraseCost {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for PassphraseCost {
    fn default() -> Self {
        PassphraseCost {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }
    }
}

fn argon2(m: u32, t: u32, p: u32, pass: &[u8], salt: &[u8]) -> Result<[u8; 32], CryptoError> {
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(|_| CryptoError::Malformed)?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    a.hash_password_into(pass, salt, &mut out)
        .map_err(|_| CryptoError::Malformed)?;
    Ok(out)
}

/// Whether `pass` is a derived access value: exactly the canonical unpadded base64url of
/// 32 bytes. Nobody types that; clients derive it from a 256-bit key.
fn is_derived_access(pass: &str) -> bool {
    pass.len() == 43
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(pass)
            .is_ok_and(|bytes| bytes.len() == 32)
}

fn salted_sha256(salt: &[u8], pass: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt)
        .chain_update(pass.as_bytes())
        .finalize()
        .into()
}

/// Hashes a passphrase (slow by design unless it is a derived access value: call it off
/// the async runtime).
pub fn hash_passphrase(pass: &str, cost: PassphraseCost) -> Result<String, CryptoError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| CryptoError::Random)?;
    if is_derived_access(pass) {
        let h = salted_sha256(&salt, pass);
        return Ok(format!("s256${}${}", B64.encode(salt), B64.encode(h)));
    }
    let h = argon2(cost.m_kib, cost.t, cost.p, pass.as_bytes(), &salt)?;
    Ok(format!(
        "a2id${}${}${}${}${}",
        cost.m_kib,
        cost.t,
        cost.p,
        B64.encode(salt),
        B64.encode(h)
    ))
}

/// Checks a passphrase against [`hash_passphrase`]'s output in constant time.
pub fn verify_passphrase(pass: &str, stored: &str) -> Result<bool, CryptoError> {
    let mut it = stored.split('$');
    let kind = it.next();
    if kind == Some("s256") {
        let mut part = || {
            it.next()
                .and_then(|s| B64.decode(s).ok())
                .ok_or(CryptoError::Malformed)
        };
        let (salt, want) = (part()?, part()?);
        return Ok(bool::from(salted_sha256(&salt, pass)[..].ct_eq(&want[..])));
    }
    if kind != Some("a2id") {
        return Err(CryptoError::Malformed);
    }
    let mut num = || -> Result<u32, CryptoError> {
        it.next()
            .and_then(|s| s.parse().ok())
            .ok_or(CryptoError::Malformed)
    };
    let (m, t, p) = (num()?, num()?, num()?);
    let salt = it
        .next()
        .and_then(|s| B64.decode(s).ok())
        .ok_or(CryptoError::Malformed)?;
    let want = it
        .next()
        .and_then(|s| B64.decode(s).ok())
        .ok_or(CryptoError::Malformed)?;
    let got = argon2(m, t, p, pass.as_bytes(), &salt)?;
    Ok(bool::from(got[..].ct_eq(&want[..])))
}

/// `hex(SHA-256(token))`, the form the accounts file stores.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes())[..])
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Decodes hex (either case); `None` on odd length or a non-hex digit.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks(2)
        .map(|c| {
            let h = (c[0] as char).to_digit(16)?;
            let l = (c[1] as char).to_digit(16)?;
            u8::try_from(h * 16 + l).ok()
        })
        .collect()
}

/// A new key from 320 bits of OS randomness: the same base36 form as
/// [`ots_core::keys::new_key`].
pub fn new_key() -> Result<String, CryptoError> {
    let mut bytes = Zeroizing::new([0u8; 40]);
    getrandom::fill(&mut bytes[..]).map_err(|_| CryptoError::Random)?;
    Ok(ots_core::keys::new_key(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> MasterKey {
        MasterKey::from_bytes([7u8; 32])
    }

    #[test]
    fn seal_open_roundtrip() {
        let k = key();
        let sealed = k.seal("abc", b"hello").expect("seal");
        assert_eq!(&k.open("abc", &sealed).expect("open")[..], b"hello");
    }

    #[test]
    fn an_empty_value_round_trips_and_debug_hides_the_key() {
        let k = key();
        let sealed = k.seal("abc", b"").expect("seal");
        assert!(k.open("abc", &sealed).expect("open").is_empty());
        // One byte short of a nonce and a tag is refused before decryption.
        assert!(k.open("abc", &sealed[..sealed.len() - 1]).is_err());
        assert_eq!(format!("{k:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn flipping_any_byte_fails() {
        let k = key();
        let sealed = k.seal("abc", b"hello").expect("seal");
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert_eq!(
                k.open("abc", &t).map(|_| ()),
                Err(CryptoError::Decrypt),
                "byte {i}"
            );
        }
        assert!(k.open("abd", &sealed).is_err(), "bound to the secret key");
        assert!(MasterKey::from_bytes([8; 32]).open("abc", &sealed).is_err());
        assert!(k.open("abc", &sealed[..sealed.len() - 1]).is_err());
    }

    #[test]
    fn sealed_values_name_their_key_and_version_1_still_opens() {
        let k = key();
        let other = MasterKey::from_bytes([8; 32]);
        assert_ne!(k.id(), other.id());
        let sealed = k.seal("abc", b"hello").expect("seal");
        assert_eq!(sealed_key_id(&sealed), Some(k.id()));
        assert!(other.open("abc", &sealed).is_err());
        // A version 1 value: the same ciphertext without the id.
        let mut v1 = vec![AT_REST_V1];
        v1.extend_from_slice(&sealed[9..]);
        assert_eq!(sealed_key_id(&v1), None);
        assert_eq!(&k.open("abc", &v1).expect("open v1")[..], b"hello");
    }

    #[test]
    fn passphrase_hash_verifies() {
        let cost = PassphraseCost {
            m_kib: 64,
            t: 1,
            p: 1,
        };
        let h = hash_passphrase("s3cret", cost).expect("hash");
        assert!(verify_passphrase("s3cret", &h).expect("verify"));
        assert!(!verify_passphrase("s3creT", &h).expect("verify"));
        assert!(verify_passphrase("x", "bogus").is_err());
    }

    #[test]
    fn a_derived_access_value_is_hashed_fast_and_anything_else_with_argon2id() {
        // A cost this high would take seconds: only the fast path can pass this test.
        let slow = PassphraseCost {
            m_kib: 262_144,
            t: 10,
            p: 1,
        };
        let access = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        let h = hash_passphrase(access, slow).expect("hash");
        assert!(h.starts_with("s256$"), "{h}");
        assert!(verify_passphrase(access, &h).expect("verify"));
        assert!(
            !verify_passphrase("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh4", &h).expect("verify")
        );
        assert!(!verify_passphrase("", &h).expect("verify"));
        let cheap = PassphraseCost {
            m_kib: 64,
            t: 1,
            p: 1,
        };
        // 42 or 44 characters, a non-canonical last character, the standard alphabet:
        // typed passphrases, all through Argon2id.
        for typed in [
            &access[..42],
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+",
        ] {
            let h = hash_passphrase(typed, cheap).expect("hash");
            assert!(h.starts_with("a2id$64$1$1$"), "{typed}: {h}");
            assert!(verify_passphrase(typed, &h).expect("verify"));
        }
        assert!(verify_passphrase(access, "s256$AAAA").is_err());
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn master_key_file_is_created_0600_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/master.key");
        let a = MasterKey::load_or_create(&path).expect("create");
        let b = MasterKey::load_or_create(&path).expect("load");
        assert_eq!(a.to_hex(), b.to_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // An unreadable key file is an error, never replaced by a new key.
        let bad = dir.path().join("bad.key");
        std::fs::write(&bad, [0xff, 0xfe]).expect("write");
        let e = MasterKey::load_or_create(&bad).expect_err("not UTF-8");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        std::fs::write(&bad, "abc").expect("write");
        let e = MasterKey::load_or_create(&bad).expect_err("not 64 hex");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    }
}
