//! Target-independent core of the Onetime Secret client, server and CLI.
//!
//! - [`limits`]: service limits, validation and the exact v1 error messages.
//! - [`wire`]: the v1 request and response types, lenient to read and strict to write.
//! - [`form`]: form (`x-www-form-urlencoded`) and percent encoding.
//! - [`keys`]: secret and receipt keys.
//! - [`envelope`]: the `ots1` browser-encryption envelope (spec: `docs/ENVELOPE.md`).
//! - [`link`]: the app's links (`#/s/<key>/<fragment key>?r=eu`), shared with the CLI.
//! - [`password`]: unbiased password generation.
//!
//! The crate does no I/O and draws no randomness of its own: callers pass random bytes
//! in, so every function is deterministic under test and builds for `wasm32-unknown-unknown`.
//!
//! Creating an encrypted secret and its link, then opening it on the other side:
//!
//! ```
//! use ots_core::envelope::{self, FragmentKey, KdfParams};
//! use ots_core::link::{PassphraseHint, RevealLink, Route, Server};
//! use ots_core::wire::{SecretOptions, ShareRequest};
//!
//! // Sender: random bytes come from the caller (getrandom in the app and CLI).
//! let fk = FragmentKey::from_bytes([7; 32]);
//! let params = KdfParams::new(64, 1, 1)?; // KdfParams::DEFAULT in real use
//! let pass = envelope::derive_passphrase("correct horse", &fk, &params)?;
//! let sealed = envelope::seal(&fk, [9; 12], b"the secret", Some(&pass));
//! let body = ShareRequest {
//!     secret: sealed.to_string(),
//!     options: SecretOptions {
//!         passphrase: Some(pass.access().to_owned()),
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
//! })
//! .to_url("https://app.example/");
//!
//! // Recipient: parse the link, derive `access` before revealing, then open.
//! let Route::Reveal(reveal) = Route::parse(&link)? else { unreachable!() };
//! let (Some(fk), PassphraseHint::Kdf(params)) = (reveal.key, reveal.passphrase) else {
//!     unreachable!()
//! };
//! let pass = envelope::derive_passphrase("correct horse", &fk, &params)?;
//! // POST /api/v1/secret/<key> with passphrase = pass.access(); the response's value:
//! let value = sealed.to_string();
//! let opened = envelope::open(&value.parse()?, &fk, Some(&pass))?;
//! assert_eq!(opened.as_slice(), b"the secret");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod b64;
pub mod envelope;
pub mod form;
pub mod keys;
pub mod lenient;
pub mod limits;
pub mod link;
pub mod password;
pub mod wire;
