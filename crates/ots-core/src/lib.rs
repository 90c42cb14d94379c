//! Target-independent core of the Onetime Secret client, server and CLI.
//!
//! - [`limits`]: service limits, validation and the exact v1 error messages.
//! - [`wire`]: the v1 request and response types, lenient to read and strict to write.
//! - [`form`]: form (`x-www-form-urlencoded`) and percent encoding.
//! - [`keys`]: secret and receipt keys.
//! - [`envelope`]: the `ots1`/`ots2` browser-encryption envelope (spec: `docs/ENVELOPE.md`).
//! - [`payload`]: what an `ots2` envelope holds: text, a file or both, padded.
//! - [`filename`]: the file-name sanitiser and media types of files in secrets.
//! - [`link`]: the app's links (`#/s/<key>/<fragment key>?r=eu`), shared with the CLI.
//! - [`password`]: unbiased password generation.
//! - [`request`]: asking for a secret: request and answer links, the `otsq1` sealed
//!   answer (X25519 itself behind the `x25519` feature, which the browser app leaves off).
//!
//! The crate does no I/O and draws no randomness of its own: callers pass random bytes
//! in, so every function is deterministic under test and builds for `wasm32-unknown-unknown`.
//!
//! Creating an encrypted secret and its link, then opening it on the other side:
//!
//! ```
//! use ots_core::envelope::{self, FragmentKey, KdfParams, Version};
//! use ots_core::link::{PassphraseHint, RevealLink, Route, Server};
//! use ots_core::payload::{self, Payload};
//! use ots_core::wire::{SecretOptions, ShareRequest};
//!
//! // Sender: random bytes come from the caller (getrandom in the app and CLI).
//! let fk = FragmentKey::from_bytes([7; 32]);
//! let params = KdfParams::new(64, 1, 1)?; // KdfParams::DEFAULT in real use
//! let pass = envelope::derive_passphrase("correct horse", &fk, &params)?;
//! let sealed = payload::seal(&fk, [9; 12], &Payload::text("the secret"), Some(&pass));
//! // ots2 always sends an access value derived from the key as the API passphrase.
//! let access = envelope::ots2_access(&fk, Some(&pass));
//! let body = ShareRequest {
//!     secret: sealed.to_string(),
//!     options: SecretOptions {
//!         passphrase: Some(access.to_string()),
//!         ttl: Some(3600),
//!         ..SecretOptions::default()
//!     },
//! }
//! .to_form(); // POST /api/v1/share; the response's secret_key goes into the link
//! # let _ = body;
//! let secret_key = "ou88al7nsj14a2pancybh3w3378r0we476bl9wysaj2w55hleccvknxckr7bb3";
//! let link = Route::Reveal(RevealLink {
//!     secret_key: secret_key.into(),
//!     key: Some(fk.clone()),
//!     server: Server::Origin,
//!     passphrase: PassphraseHint::Kdf(params),
//!     version: Version::V2,
//! })
//! .to_url("https://app.example/");
//!
//! // Recipient: parse the link, derive `access` before revealing, then open.
//! let Route::Reveal(reveal) = Route::parse(&link)? else { unreachable!() };
//! let (Some(fk), PassphraseHint::Kdf(params)) = (reveal.key, reveal.passphrase) else {
//!     unreachable!()
//! };
//! let pass = envelope::derive_passphrase("correct horse", &fk, &params)?;
//! assert_eq!(envelope::ots2_access(&fk, Some(&pass)), access);
//! // POST /api/v1/secret/<key> with passphrase = access; the response's value:
//! let value = sealed.to_string();
//! let opened = payload::open(&value.parse()?, &fk, Some(&pass))?;
//! assert_eq!(opened.text_part(), Some("the secret"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod b64;
pub mod envelope;
pub mod filename;
pub mod form;
pub mod keys;
pub mod lenient;
pub mod limits;
pub mod link;
pub mod password;
pub mod payload;
pub mod request;
pub mod wire;
