//! The Onetime Secret API v1 wire format (reference §2): one serde type per message,
//! used by the server to read requests and write responses, and by the app and CLI the
//! other way round.
//!
//! Reading is lenient: integers may arrive as JSON integers, floats or numeric strings
//! (the old docs show `"ttl":"3600"`), `null` means "absent", unknown fields are ignored
//! and missing fields take their defaults. Requests read from JSON and from form bodies
//! (`serde_urlencoded`, which is what axum's `Form` uses). Writing is strict: integers,
//! `recipient` as an array, `share_domain` as `""`, `passphrase_required` as a bool.

use std::fmt;

use crate::keys;

mod error;
pub use crate::lenient;
mod receipt;
mod request;
mod response;

pub use error::{ApiErrorKind, ErrorBody, classify};
pub use receipt::{Receipt, ReceiptState, RecentItem};
pub use request::{GenerateRequest, PassphraseRequest, SecretOptions, ShareRequest};
pub use response::{BurnResponse, RevealResponse, StatusResponse};

/// Prefix of every v1 route.
pub const API_V1: &str = "/api/v1";

/// Response header carrying the status a v1 error "really" has (v1 answers 404 to most
/// errors).
pub const INTENDED_STATUS_HEADER: &str = "X-OTS-Intended-Status";

/// A v1 route, for clients. `Display` gives the path; keys are sanitized into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// `GET /api/v1/status`.
    Status,
    /// `GET /api/v1/authcheck`.
    Authcheck,
    /// `POST /api/v1/share` with a [`ShareRequest`].
    Share,
    /// `POST /api/v1/generate` with a [`GenerateRequest`].
    Generate,
    /// `POST /api/v1/secret/<secret_key>`: reveal (consumes) with a [`PassphraseRequest`].
    Secret(&'a str),
    /// `GET|POST /api/v1/receipt/<metadata_key>`: the receipt, without changing it.
    Receipt(&'a str),
    /// `POST /api/v1/receipt/<metadata_key>/burn` with a [`PassphraseRequest`].
    Burn(&'a str),
    /// `GET /api/v1/receipt/recent` (authenticated): a JSON array of [`Receipt`]s.
    Recent,
}

impl fmt::Display for Endpoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status => write!(f, "{API_V1}/status"),
            Self::Authcheck => write!(f, "{API_V1}/authcheck"),
            Self::Share => write!(f, "{API_V1}/share"),
            Self::Generate => write!(f, "{API_V1}/generate"),
            Self::Secret(key) => write!(f, "{API_V1}/secret/{}", keys::sanitize(key)),
            Self::Receipt(key) => write!(f, "{API_V1}/receipt/{}", keys::sanitize(key)),
            Self::Burn(key) => write!(f, "{API_V1}/receipt/{}/burn", keys::sanitize(key)),
            Self::Recent => write!(f, "{API_V1}/receipt/recent"),
        }
    }
}

/// Stands in for a secret value in `Debug` output, so that logging a request or response
/// never logs a secret or a passphrase.
struct Redacted<'a>(Option<&'a str>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(_) => f.write_str("\"…\""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn json<T: serde::de::DeserializeOwned>(text: &str) -> T {
        serde_json::from_str(text).expect("test JSON parses")
    }

    pub(super) const KEY_A: &str = "2b6bjmudhmtiqjn2qmdaqjkqxp323gi0000000000000000000000000000000";

    pub(super) const KEY_B: &str = "pgcdv7org3vtdurif809sygnt0mstw60000000000000000000000000000000";

    pub(super) fn sample_receipt() -> Receipt {
        Receipt {
            custid: "anon".into(),
            metadata_key: KEY_A.into(),
            secret_key: Some(KEY_B.into()),
            ttl: 3600,
            metadata_ttl: 7200,
            secret_ttl: Some(3600),
            metadata_url: format!("https://eu.onetimesecret.com/receipt/{KEY_A}"),
            state: ReceiptState::New,
            updated: 1_767_225_600,
            created: 1_767_225_600,
            received: None,
            recipient: vec![],
            share_domain: String::new(),
            value: Some("3Rg8R2sfD3?a".into()),
            passphrase_required: true,
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let share = ShareRequest {
            secret: "hunter2-secret".into(),
            options: SecretOptions {
                passphrase: Some("pass-word".into()),
                ..SecretOptions::default()
            },
        };
        let generate = GenerateRequest {
            options: SecretOptions {
                passphrase: Some("pass-word".into()),
                ..SecretOptions::default()
            },
            ..GenerateRequest::default()
        };
        let reveal = RevealResponse {
            value: "hunter2-secret".into(),
            ..RevealResponse::default()
        };
        let receipt = Receipt {
            value: Some("hunter2-secret".into()),
            ..Receipt::default()
        };
        let pass = PassphraseRequest {
            passphrase: Some("pass-word".into()),
        };
        for text in [
            format!("{share:?}"),
            format!("{generate:?}"),
            format!("{reveal:?}"),
            format!("{receipt:?}"),
            format!("{pass:?}"),
        ] {
            assert!(
                !text.contains("hunter2") && !text.contains("pass-word"),
                "{text}"
            );
            assert!(text.contains('…'), "{text}");
        }
    }

    #[test]
    fn endpoints_sanitize_keys() {
        assert_eq!(Endpoint::Share.to_string(), "/api/v1/share");
        assert_eq!(
            Endpoint::Secret("ab/../c?d").to_string(),
            "/api/v1/secret/abcd"
        );
        assert_eq!(Endpoint::Burn("k").to_string(), "/api/v1/receipt/k/burn");
        assert_eq!(Endpoint::Recent.to_string(), "/api/v1/receipt/recent");
    }
}
