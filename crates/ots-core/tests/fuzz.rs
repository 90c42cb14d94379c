//! Fuzzing the parsers that take input from links and from the network: the `ots1.` and
//! `ots2.` envelopes (with their fragment key and Argon2id parameters), the `ots2`
//! payload that a sender controls entirely (with the file-name sanitiser and the
//! unencrypted `ots2-plain.` form), and the link / route parser (with the form decoding
//! under it, request and answer links included), and the `otsq1.` sealed answer with
//! its keys and fingerprints. No input may panic, and whatever
//! parses must print back to a text that parses to the same value.
//!
//! Inputs: the corpus under `fuzz/corpus/<target>/` (replayed as is, and mutated byte
//! by byte), structured near-misses, and arbitrary text. Cases per property:
//! `PROPTEST_CASES` (default 1,000); `scripts/fuzz.sh` runs 100,000. A failure is saved
//! under `proptest-regressions/` and replayed first on the next run: commit it, and add
//! the shrunk input to the corpus.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use ots_core::envelope::{Envelope, FragmentKey, KdfParams, open};
use ots_core::filename;
use ots_core::link::{Route, origin};
use ots_core::payload::{self, Payload};
use ots_core::request::{self, Fingerprint, PublicKey, SealedAnswer};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

/// The seed inputs of one target, one file each, as bytes.
fn corpus_bytes(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(seeds.len() >= 10, "the {target} corpus is missing");
    seeds
}

/// The seed inputs of one target, as text.
fn corpus(target: &str) -> Vec<String> {
    corpus_bytes(target)
        .into_iter()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect()
}

/// A seed with a few byte edits (insert, delete, replace), as a mutating fuzzer would.
fn mutated(seeds: Vec<String>) -> impl Strategy<Value = String> {
    mutated_bytes(seeds.into_iter().map(String::into_bytes).collect())
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// [`mutated`] on bytes.
fn mutated_bytes(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let edit = (any::<prop::sample::Index>(), 0u8..3, any::<u8>());
    (
        prop::sample::select(seeds),
        prop::collection::vec(edit, 1..5),
    )
        .prop_map(|(seed, edits)| {
            let mut bytes = seed;
            for (at, op, byte) in edits {
                let i = at.index(bytes.len() + 1);
                match op {
                    0 => bytes.insert(i, byte),
                    1 if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ if i < bytes.len() => bytes[i] = byte,
                    _ => bytes.push(byte),
                }
            }
            bytes
        })
}

/// The envelope target: parse, and on success print back canonically and try to open.
fn check_envelope(input: &str) -> Result<(), TestCaseError> {
    let _ = Envelope::detect(input);
    if let Ok(env) = input.parse::<Envelope>() {
        let text = env.to_string();
        prop_assert_eq!(&text, input.trim_ascii(), "only canonical text parses");
        prop_assert_eq!(text.parse::<Envelope>().ok(), Some(env.clone()));
        // A wrong key (or a missing passphrase) is an error, never a panic.
        let _ = open(&env, &FragmentKey::from_bytes([7; 32]), None);
        let _ = payload::open(&env, &FragmentKey::from_bytes([7; 32]), None);
    }
    for part in input.split(['.', '/', '#']) {
        if let Ok(k) = part.parse::<FragmentKey>() {
            prop_assert_eq!(k.to_string(), part);
        }
    }
    if let Some(params) = input
        .strip_prefix("ots1.a2id.")
        .or_else(|| input.strip_prefix("ots2.a2id."))
        && let Ok(k) = params.parse::<KdfParams>()
    {
        prop_assert_eq!(k.to_string().parse::<KdfParams>().ok(), Some(k));
    }
    Ok(())
}

/// The payload target: whatever decodes re-encodes to what decodes the same, with a
/// clean name; the unencrypted form and the sanitiser never panic.
fn check_payload(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(p) = Payload::decode(bytes) {
        let again = Payload::decode(&p.encode());
        prop_assert_eq!(again.as_ref(), Ok(&p));
        if let Some(f) = p.file() {
            prop_assert_eq!(filename::sanitize(f.name()), f.name());
            prop_assert!(filename::is_media_type(f.media_type()));
        }
        let plain = payload::from_plain(&payload::to_plain(&p));
        prop_assert_eq!(plain.as_ref(), Some(&p));
    }
    let text = String::from_utf8_lossy(bytes);
    let _ = payload::from_plain(&text);
    let _ = payload::from_plain(&format!("{}{text}", payload::PLAIN_PREFIX));
    let name = filename::sanitize(&text);
    prop_assert_eq!(filename::sanitize(&name), name);
    Ok(())
}

/// The request target: sealed answers, public keys and fingerprints parse only from
/// their canonical text, print back to it, and a wrong key is an error, never a panic.
fn check_request(input: &str) -> Result<(), TestCaseError> {
    let _ = SealedAnswer::detect(input);
    if let Ok(sealed) = input.parse::<SealedAnswer>() {
        let text = sealed.to_string();
        prop_assert_eq!(&text, input.trim_ascii(), "only canonical text parses");
        prop_assert_eq!(text.parse::<SealedAnswer>().ok(), Some(sealed.clone()));
        let pk = PublicKey::from_bytes([9; 32]);
        let keys =
            request::answer_keys(&request::SharedSecret::from_bytes([7; 32]), &pk, &pk).unwrap();
        let _ = request::open(&keys, &sealed);
    }
    for part in input.split(['.', '/', '#', '?', '=', '&']) {
        if let Ok(k) = part.parse::<PublicKey>() {
            prop_assert_eq!(k.to_string(), part);
            let _ = request::RequestSecret::from_bytes([5; 32]).answer_keys(&k);
        }
        if let Ok(f) = part.parse::<Fingerprint>() {
            prop_assert!(f.to_string() == part || f.compact() == part);
        }
    }
    let _ = request::note_is_valid(input);
    Ok(())
}

/// The link target: parse, and on success round-trip through the fragment.
fn check_link(input: &str) -> Result<(), TestCaseError> {
    let _ = origin(input);
    let _ = ots_core::form::parse(input);
    let _ = ots_core::form::percent_decode(input);
    if let Ok(route) = Route::parse(input) {
        let fragment = route.to_string();
        prop_assert_eq!(Route::parse(&fragment), Ok(route.clone()), "{}", fragment);
        let url = route.to_url("https://app.example/ots/");
        prop_assert_eq!(Route::parse(&url), Ok(route), "{}", url);
    }
    Ok(())
}

#[test]
fn corpus_replays() {
    for seed in corpus("envelope") {
        check_envelope(&seed).unwrap_or_else(|e| panic!("{seed:?}: {e}"));
    }
    for seed in corpus("link") {
        check_link(&seed).unwrap_or_else(|e| panic!("{seed:?}: {e}"));
    }
    for seed in corpus_bytes("payload") {
        check_payload(&seed).unwrap_or_else(|e| panic!("{seed:?}: {e}"));
    }
    for seed in corpus("request") {
        check_request(&seed).unwrap_or_else(|e| panic!("{seed:?}: {e}"));
        check_link(&seed).unwrap_or_else(|e| panic!("{seed:?}: {e}"));
    }
}

fn b64url(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/="
                .map(char::from)
                .to_vec(),
        ),
        len,
    )
    .prop_map(|c| c.into_iter().collect())
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..300_000).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "0[0-9]{1,4}|-1|\\+1|1e3| 1|".prop_map(String::from),
    ]
}

/// Near-misses of the envelope grammar.
fn envelope_like() -> impl Strategy<Value = String> {
    let kdf = prop::option::of((number(), number(), number())).prop_map(|k| {
        k.map(|(m, t, p)| format!("a2id.{m}.{t}.{p}."))
            .unwrap_or_default()
    });
    (
        prop::sample::select(vec![
            "ots1.",
            "OTS1.",
            "ots2.",
            "ots2-plain.",
            "ots3.",
            "ots1",
            " ots1.",
            "",
        ]),
        kdf,
        b64url(0..140),
        prop::sample::select(vec!["", " ", "\n", ".", "..", "é"]),
    )
        .prop_map(|(prefix, kdf, payload, tail)| format!("{prefix}{kdf}{payload}{tail}"))
}

/// Near-misses of the link grammar.
fn link_like() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "",
        "#",
        "#/",
        "https://app.example/#",
        "https://eu.onetimesecret.com",
        "HTTP://Example.COM:8080",
        "https://user@host",
        "http://[::1]",
        "ftp://x",
    ]);
    let path = prop::sample::select(vec![
        "/s/",
        "/r/",
        "s/",
        "/secret/",
        "/receipt/",
        "/private/",
        "/metadata/",
        "/recent",
        "/history",
        "/q/",
        "/a/",
        "/x/",
        "",
    ]);
    let key = prop_oneof!["[0-9a-z]{60,64}", "[0-9a-zA-Z%é]{0,30}"];
    let fk = prop::option::of(b64url(40..46));
    let param = prop::sample::select(vec![
        "r=eu",
        "r=mars",
        "r=",
        "api=https%3A%2F%2Fx.example%3A8443%2Fots",
        "api=javascript:alert(1)",
        "api=http://[::1]",
        "p=1",
        "p=19456.2.1",
        "p=64.1.1",
        "p=0.0.0",
        "p=99999999999.1.1",
        "p=x",
        "v=2",
        "v=1",
        "v=3",
        "v=",
        "e=1800000000",
        "e=018",
        "e=99999999999999999999",
        "n=VPN%20Berlin",
        "n=a%0Ab",
        "n=%E2%80%AE",
        "f=H0T40K9AQ89N",
        "f=H0T4-0K9A-Q89N",
        "f=IIII",
        "%zz",
        "",
        "=",
        "a=b=c",
    ]);
    let query = prop::option::of(prop::collection::vec(param, 0..4));
    (base, path, key, fk, query).prop_map(|(base, path, key, fk, query)| {
        let mut s = format!("{base}{path}{key}");
        if let Some(fk) = fk {
            s = format!("{s}/{fk}");
        }
        if let Some(q) = query {
            s = format!("{s}?{}", q.join("&"));
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn envelope_from_corpus(input in mutated(corpus("envelope"))) {
        check_envelope(&input)?;
    }

    #[test]
    fn envelope_near_misses(input in envelope_like()) {
        check_envelope(&input)?;
    }

    #[test]
    fn envelope_arbitrary(input in "\\PC{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_envelope(&input)?;
        check_envelope(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn payload_from_corpus(input in mutated_bytes(corpus_bytes("payload"))) {
        check_payload(&input)?;
    }

    #[test]
    fn payload_near_misses(
        kind in 0u8..5,
        parts in prop::collection::vec((any::<u8>(), prop::collection::vec(any::<u8>(), 0..12)), 0..5),
        tail in prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..8),
    ) {
        // Length-prefixed pieces of roughly the right shape, so lengths often match.
        let mut bytes = vec![kind];
        for (len, piece) in parts {
            bytes.push(len % 16);
            bytes.extend(piece);
        }
        bytes.extend(tail);
        check_payload(&bytes)?;
    }

    #[test]
    fn payload_arbitrary(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_payload(&bytes)?;
    }

    #[test]
    fn link_from_corpus(input in mutated(corpus("link"))) {
        check_link(&input)?;
    }

    #[test]
    fn link_near_misses(input in link_like()) {
        check_link(&input)?;
    }

    #[test]
    fn request_from_corpus(input in mutated(corpus("request"))) {
        check_request(&input)?;
        check_link(&input)?;
    }

    #[test]
    fn request_near_misses(
        prefix in prop::sample::select(vec!["otsq1.", "OTSQ1.", "otsq2.", "ots1.", ""]),
        payload in b64url(0..80),
        tail in prop::sample::select(vec!["", " ", "\n", "=", "é"]),
    ) {
        check_request(&format!("{prefix}{payload}{tail}"))?;
    }

    #[test]
    fn link_arbitrary(input in "\\PC{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_link(&input)?;
        check_link(&String::from_utf8_lossy(&bytes))?;
    }
}
