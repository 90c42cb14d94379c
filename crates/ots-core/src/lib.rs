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

mod b64;
pub mod envelope;
pub mod form;
pub mod keys;
pub mod limits;
pub mod link;
pub mod password;
pub mod wire;
