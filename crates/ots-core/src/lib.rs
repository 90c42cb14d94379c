//! Target-independent core of the Onetime Secret client, server and CLI.
//!
//! - [`limits`]: service limits, validation and the exact v1 error messages.
//!
//! The crate does no I/O and draws no randomness of its own: callers pass random bytes
//! in, so every function is deterministic under test and builds for `wasm32-unknown-unknown`.

pub mod limits;
