//! Known-answer tests for requests (`otsq1`). `request_vectors.json` comes from
//! `request_vectors.py`, an independent Python implementation of the "Requests" part of
//! docs/ENVELOPE.md, so passing here means the Rust code and the document agree.

use ots_core::link::{Route, Server};
use ots_core::payload::{File, Payload};
use ots_core::request::{
    self, PublicKey, RequestError, RequestSecret, SealedAnswer, SharedSecret, answer_keys,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    version: String,
    asker_secret: String,
    public_key: String,
    fingerprint: String,
    fingerprint_compact: String,
    ephemeral_secret: String,
    ephemeral_public: String,
    shared: String,
    access: String,
    other_secret: String,
    request_link: String,
    note: String,
    expires: u64,
    answer_link: String,
    secret_key: String,
    answers: Vec<Answer>,
    failures: Vec<Failure>,
    low_order_keys: Vec<String>,
}

#[derive(Deserialize)]
struct Answer {
    name: String,
    text: Option<String>,
    file_name: Option<String>,
    media_type: Option<String>,
    file_hex: Option<String>,
    sealed: String,
}

impl Answer {
    fn payload(&self) -> Payload {
        let file = self.file_name.as_ref().map(|name| {
            File::new(
                name,
                self.media_type.as_deref().unwrap_or_default(),
                hex(self.file_hex.as_deref().unwrap_or_default()),
            )
        });
        Payload::new(self.text.clone().map(zeroize::Zeroizing::new), file).expect("not empty")
    }
}

#[derive(Deserialize)]
struct Failure {
    name: String,
    sealed: String,
    error: String,
}

fn load() -> Vectors {
    serde_json::from_str(include_str!("request_vectors.json")).expect("request_vectors.json parses")
}

fn key32(text: &str) -> [u8; 32] {
    let pk: PublicKey = text.parse().expect("vector key parses");
    *pk.as_bytes()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex32(text: &str) -> [u8; 32] {
    hex(text).try_into().expect("32 bytes")
}

#[test]
fn keys_fingerprint_and_agreement_match() {
    let v = load();
    assert_eq!(v.version, "otsq1");
    let asker = RequestSecret::import(&v.asker_secret).expect("asker key");
    let pk = asker.public_key();
    assert_eq!(pk.to_string(), v.public_key);
    assert_eq!(pk.fingerprint().to_string(), v.fingerprint);
    assert_eq!(pk.fingerprint().compact(), v.fingerprint_compact);
    let (epk, sender) = request::answer_to(key32(&v.ephemeral_secret), &pk).expect("sender agrees");
    assert_eq!(epk.to_string(), v.ephemeral_public);
    assert_eq!(sender.access(), v.access);
    let asker_keys = asker.answer_keys(&epk).expect("asker agrees");
    assert_eq!(asker_keys.access(), v.access);
    // The browser's path: X25519 from WebCrypto, the rest here.
    let from_ss =
        answer_keys(&SharedSecret::from_bytes(hex32(&v.shared)), &epk, &pk).expect("derives");
    assert_eq!(from_ss.access(), v.access);
}

#[test]
fn seal_reproduces_and_opens_every_answer() {
    let v = load();
    let pk: PublicKey = v.public_key.parse().expect("pk");
    let (_, sender) = request::answer_to(key32(&v.ephemeral_secret), &pk).expect("agrees");
    let asker = RequestSecret::import(&v.asker_secret).expect("asker key");
    let epk: PublicKey = v.ephemeral_public.parse().expect("epk");
    let mine = asker.answer_keys(&epk).expect("agrees");
    for a in &v.answers {
        let payload = a.payload();
        let sealed = request::seal(&sender, &payload);
        assert_eq!(sealed.to_string(), a.sealed, "{}", a.name);
        assert_eq!(
            a.sealed.len(),
            request::sealed_len(payload.encode().len()),
            "{}",
            a.name
        );
        let parsed: SealedAnswer = a.sealed.parse().expect("parses");
        let opened = request::open(&mine, &parsed).expect("opens");
        assert_eq!(opened, payload, "{}", a.name);
    }
    // Another device's key derives another access value and cannot open the answer.
    let other = RequestSecret::import(&v.other_secret).expect("other key");
    let theirs = other.answer_keys(&epk).expect("agrees");
    assert_ne!(theirs.access(), v.access);
    let first: SealedAnswer = v.answers[0].sealed.parse().expect("parses");
    assert_eq!(request::open(&theirs, &first), Err(RequestError::Decrypt));
}

#[test]
fn every_failure_vector_fails_as_documented() {
    let v = load();
    let asker = RequestSecret::import(&v.asker_secret).expect("asker key");
    let mine = asker
        .answer_keys(&v.ephemeral_public.parse().expect("epk"))
        .expect("agrees");
    for f in &v.failures {
        let result = f
            .sealed
            .parse::<SealedAnswer>()
            .and_then(|s| request::open(&mine, &s));
        let expected = match f.error.as_str() {
            "decrypt" => RequestError::Decrypt,
            "malformed" => RequestError::Malformed,
            other => panic!("unknown error name {other}"),
        };
        assert_eq!(result.err(), Some(expected), "{}", f.name);
    }
    for low in &v.low_order_keys {
        let low: PublicKey = low.parse().expect("parses");
        assert_eq!(asker.answer_keys(&low).err(), Some(RequestError::Malformed));
        assert_eq!(
            request::answer_to([9; 32], &low).err(),
            Some(RequestError::Malformed)
        );
    }
}

#[test]
fn the_links_match() {
    let v = load();
    let Ok(Route::Request(ask)) = Route::parse(&v.request_link) else {
        panic!("request link parses")
    };
    assert_eq!(ask.public_key.to_string(), v.public_key);
    assert_eq!(ask.note.as_deref(), Some(v.note.as_str()));
    assert_eq!(ask.expires, v.expires);
    assert_eq!(ask.server, Server::Origin);
    assert_eq!(Route::Request(ask).to_string(), v.request_link);
    let Ok(Route::Answer(answer)) = Route::parse(&v.answer_link) else {
        panic!("answer link parses")
    };
    assert_eq!(answer.secret_key, v.secret_key);
    assert_eq!(answer.ephemeral.to_string(), v.ephemeral_public);
    assert_eq!(answer.to.compact(), v.fingerprint_compact);
    assert_eq!(Route::Answer(answer).to_string(), v.answer_link);
}
