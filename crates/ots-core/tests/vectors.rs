//! Known-answer tests for the `ots1` envelope. `vectors.json` comes from `vectors.py`, an
//! independent Python implementation of docs/ENVELOPE.md, so passing here means the Rust
//! code and the document agree.

use ots_core::envelope::{
    self, Envelope, EnvelopeError, FragmentKey, KdfParams, NONCE_LEN, derive_passphrase,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    version: String,
    vectors: Vec<Good>,
    failures: Vec<Bad>,
}

#[derive(Deserialize)]
struct Good {
    name: String,
    key: String,
    nonce: String,
    plaintext: String,
    passphrase: Option<String>,
    kdf: Option<String>,
    access: Option<String>,
    envelope: String,
}

#[derive(Deserialize)]
struct Bad {
    name: String,
    key: String,
    envelope: String,
    passphrase: Option<String>,
    error: String,
}

fn load() -> Vectors {
    serde_json::from_str(include_str!("vectors.json")).expect("vectors.json parses")
}

fn nonce(hex: &str) -> [u8; NONCE_LEN] {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex nonce"))
        .collect();
    bytes.try_into().expect("12-byte nonce")
}

#[test]
fn seal_reproduces_every_vector() {
    let v = load();
    assert_eq!(v.version, "ots1");
    for g in &v.vectors {
        let fk: FragmentKey = g.key.parse().expect("vector key parses");
        assert_eq!(fk.to_string(), g.key, "{}", g.name);
        let derived = match (&g.passphrase, &g.kdf) {
            (Some(p), Some(k)) => {
                let params: KdfParams = k.parse().expect("vector params parse");
                let d = derive_passphrase(p, &fk, &params).expect("derives");
                assert_eq!(Some(d.access()), g.access.as_deref(), "{}: access", g.name);
                Some(d)
            }
            _ => None,
        };
        let sealed = envelope::seal(
            &fk,
            nonce(&g.nonce),
            g.plaintext.as_bytes(),
            derived.as_ref(),
        );
        assert_eq!(sealed.to_string(), g.envelope, "{}: envelope", g.name);
        assert_eq!(
            g.envelope.len(),
            envelope::sealed_len(g.plaintext.len(), sealed.kdf().as_ref()),
            "{}: sealed_len",
            g.name
        );

        let parsed: Envelope = g.envelope.parse().expect("vector envelope parses");
        let opened = envelope::open(&parsed, &fk, derived.as_ref()).expect("vector opens");
        assert_eq!(
            opened.as_slice(),
            g.plaintext.as_bytes(),
            "{}: plaintext",
            g.name
        );
    }
}

#[test]
fn every_failure_vector_fails_as_documented() {
    for b in load().failures {
        let fk: FragmentKey = b.key.parse().expect("vector key parses");
        let result = b.envelope.parse::<Envelope>().and_then(|env| {
            let derived = match (&b.passphrase, env.kdf()) {
                (Some(p), Some(params)) => Some(derive_passphrase(p, &fk, &params)?),
                _ => None,
            };
            envelope::open(&env, &fk, derived.as_ref())
        });
        let expected = match b.error.as_str() {
            "decrypt" => EnvelopeError::Decrypt,
            "malformed" => EnvelopeError::Malformed,
            "passphrase_required" => EnvelopeError::PassphraseRequired,
            other => panic!("unknown error name {other}"),
        };
        assert_eq!(result.err(), Some(expected), "{}", b.name);
    }
}
