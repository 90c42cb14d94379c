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

/// The `ots2` part of vectors.json: typed, padded payloads and the derived access value.
mod ots2 {
    use ots_core::envelope::{self, Envelope, EnvelopeError, FragmentKey, derive_passphrase};
    use ots_core::filename;
    use ots_core::payload::{self, File, Payload};
    use serde::Deserialize;
    use zeroize::Zeroizing;

    #[derive(Deserialize)]
    struct Ots2 {
        vectors: Vec<Good>,
        failures: Vec<Bad>,
        plain: Plain,
        names: Vec<(String, String)>,
        classes: Vec<(usize, usize)>,
    }

    #[derive(Deserialize)]
    struct FileVector {
        name: String,
        #[serde(rename = "type")]
        media_type: String,
        bytes_hex: String,
    }

    #[derive(Deserialize)]
    struct Good {
        name: String,
        key: String,
        nonce: String,
        text: Option<String>,
        file: Option<FileVector>,
        passphrase: Option<String>,
        kdf: Option<String>,
        payload_hex: String,
        padded_len: usize,
        access: String,
        envelope: String,
    }

    #[derive(Deserialize)]
    struct Bad {
        name: String,
        key: String,
        envelope: String,
        error: String,
    }

    #[derive(Deserialize)]
    struct Plain {
        file: FileVector,
        text: String,
    }

    fn load() -> Ots2 {
        let all: serde_json::Value =
            serde_json::from_str(include_str!("vectors.json")).expect("vectors.json parses");
        serde_json::from_value(all["ots2"].clone()).expect("the ots2 section parses")
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn payload(text: Option<&String>, file: Option<&FileVector>) -> Payload {
        let file = file.map(|f| File::new(&f.name, &f.media_type, hex(&f.bytes_hex)));
        Payload::new(text.map(|t| Zeroizing::new(t.clone())), file).expect("a payload")
    }

    #[test]
    fn seal_reproduces_every_vector_and_opens_it() {
        let v = load();
        assert_eq!(v.vectors.len(), 5);
        for g in &v.vectors {
            let fk: FragmentKey = g.key.parse().expect("key");
            let pass = match (&g.passphrase, &g.kdf) {
                (Some(p), Some(k)) => {
                    Some(derive_passphrase(p, &fk, &k.parse().expect("params")).expect("derives"))
                }
                _ => None,
            };
            assert_eq!(
                envelope::ots2_access(&fk, pass.as_ref()).as_str(),
                g.access,
                "{}: access",
                g.name
            );
            let p = payload(g.text.as_ref(), g.file.as_ref());
            assert_eq!(
                p.encode().as_slice(),
                hex(&g.payload_hex),
                "{}: payload",
                g.name
            );
            assert_eq!(
                payload::padded_len(p.encode().len()),
                g.padded_len,
                "{}",
                g.name
            );
            let nonce = hex(&g.nonce).try_into().expect("12 bytes");
            let sealed = payload::seal(&fk, nonce, &p, pass.as_ref());
            assert_eq!(sealed.to_string(), g.envelope, "{}: envelope", g.name);
            assert_eq!(
                g.envelope.len(),
                payload::sealed_len(p.encode().len(), sealed.kdf().as_ref()),
                "{}: sealed_len",
                g.name
            );
            let parsed: Envelope = g.envelope.parse().expect("parses");
            let opened = payload::open(&parsed, &fk, pass.as_ref()).expect("opens");
            assert_eq!(opened, p, "{}: opened", g.name);
        }
    }

    #[test]
    fn every_failure_vector_fails_as_documented() {
        for b in load().failures {
            let fk: FragmentKey = b.key.parse().expect("key");
            let result = b.envelope.parse::<Envelope>().and_then(|env| {
                if env.version() == envelope::Version::V1 {
                    // Relabelled as ots1, it must not open as ots1 either.
                    envelope::open(&env, &fk, None).map(|_| Payload::text(""))
                } else {
                    payload::open(&env, &fk, None)
                }
            });
            let expected = match b.error.as_str() {
                "decrypt" => EnvelopeError::Decrypt,
                "malformed" => EnvelopeError::Malformed,
                other => panic!("unknown error name {other}"),
            };
            assert_eq!(result.err(), Some(expected), "{}", b.name);
        }
    }

    #[test]
    fn the_plain_form_names_and_classes_agree() {
        let v = load();
        let p = payload(None, Some(&v.plain.file));
        assert_eq!(payload::to_plain(&p).as_str(), v.plain.text);
        assert_eq!(payload::from_plain(&v.plain.text), Some(p));
        for (input, want) in &v.names {
            assert_eq!(&filename::sanitize(input), want, "{input:?}");
        }
        for (n, want) in v.classes {
            assert_eq!(payload::padded_len(n), want, "{n}");
        }
    }
}
