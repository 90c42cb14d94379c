//! v1 errors: the error body, and what kind of failure a body, header and status mean.

use serde::{Deserialize, Serialize};

use super::lenient;

/// A v1 error body: `{"message": …}` (with `secret_key` for unknown keys), or the
/// router's `{"error": …}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// The v1 message.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// The router's message for unrouted paths and crashes.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error: Option<String>,
    /// The key the request named, on "Unknown secret".
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_key: Option<String>,
}

impl ErrorBody {
    /// `{"message": text}`.
    pub fn message(text: impl Into<String>) -> Self {
        Self {
            message: Some(text.into()),
            ..Self::default()
        }
    }

    /// `{"secret_key": key, "message": "Unknown secret"}`.
    pub fn unknown_secret(key: impl Into<String>) -> Self {
        Self {
            message: Some("Unknown secret".into()),
            secret_key: Some(key.into()),
            ..Self::default()
        }
    }

    /// The router's `{"error": "Not Found"}` for unrouted paths.
    pub fn not_routed() -> Self {
        Self {
            error: Some("Not Found".into()),
            ..Self::default()
        }
    }

    /// The text to show or classify: `message`, else `error`.
    pub fn text(&self) -> Option<&str> {
        self.message.as_deref().or(self.error.as_deref())
    }

    /// Classifies this body; see [`classify`].
    pub fn kind(&self, intended_status: Option<u16>, http_status: u16) -> ApiErrorKind {
        classify(self.text(), intended_status, http_status)
    }
}

/// What went wrong, read from a v1 error. The app and CLI map each kind to a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// The secret does not exist: never did, revealed, burned, expired, or the passphrase
    /// was wrong (v1 does not tell these apart).
    #[error("unknown secret")]
    UnknownSecret,
    /// Missing or bad credentials.
    #[error("not authorized")]
    NotAuthorized,
    /// No such route, or a key too short to be one.
    #[error("not found")]
    NotFound,
    /// The secret was empty.
    #[error("empty secret")]
    EmptySecret,
    /// The secret was over the size limit.
    #[error("secret too long")]
    SecretTooLong,
    /// The passphrase was too short.
    #[error("passphrase too short")]
    PassphraseTooShort,
    /// The passphrase was too long.
    #[error("passphrase too long")]
    PassphraseTooLong,
    /// The service requires a passphrase.
    #[error("passphrase required")]
    PassphraseRequired,
    /// The generated password length was over the limit.
    #[error("password length too long")]
    LengthTooLong,
    /// Sending email needs an account.
    #[error("recipient requires an account")]
    RecipientNeedsAccount,
    /// The recipient address was refused.
    #[error("undeliverable email address")]
    UndeliverableEmail,
    /// The share domain is unknown or not allowed for this caller.
    #[error("share domain not allowed")]
    DomainNotAllowed,
    /// Burn with the wrong passphrase.
    #[error("incorrect passphrase")]
    IncorrectPassphrase,
    /// Too many requests.
    #[error("rate limited")]
    RateLimited,
    /// The server failed ("An unexpected error occurred :[").
    #[error("unexpected server error")]
    Unexpected,
    /// Anything else, with the server's text (possibly localized) or `http <status>`.
    #[error("{0}")]
    Other(String),
}

/// Maps a v1 error to its kind, from the body's text (`message`, else `error`), the
/// `X-OTS-Intended-Status` header and the HTTP status. Known English messages win;
/// otherwise the status decides (401/403, 404 without text, 429, 5xx), and what remains is
/// [`ApiErrorKind::Other`] with the text.
pub fn classify(
    message: Option<&str>,
    intended_status: Option<u16>,
    http_status: u16,
) -> ApiErrorKind {
    let text = message.map(str::trim).unwrap_or_default();
    let lower = text.to_ascii_lowercase();
    let starts = |prefix: &str| lower.starts_with(prefix);
    let kind = if lower == "unknown secret" {
        Some(ApiErrorKind::UnknownSecret)
    } else if lower == "not authorized" {
        Some(ApiErrorKind::NotAuthorized)
    } else if lower == "not found" || lower.ends_with(" is not available") {
        Some(ApiErrorKind::NotFound)
    } else if starts("you did not provide anything to share") {
        Some(ApiErrorKind::EmptySecret)
    } else if starts("secret value exceeds the maximum size") {
        Some(ApiErrorKind::SecretTooLong)
    } else if starts("passphrase must be at least") || starts("passphrase is too short") {
        Some(ApiErrorKind::PassphraseTooShort)
    } else if starts("passphrase must be no more than")
        || starts("passphrase must be at most")
        || starts("passphrase is too long")
    {
        Some(ApiErrorKind::PassphraseTooLong)
    } else if starts("a passphrase is required") {
        Some(ApiErrorKind::PassphraseRequired)
    } else if starts("generated password length must be no more than")
        || starts("password length must be at most")
    {
        Some(ApiErrorKind::LengthTooLong)
    } else if starts("an account is required to send email") {
        Some(ApiErrorKind::RecipientNeedsAccount)
    } else if starts("undeliverable email address") {
        Some(ApiErrorKind::UndeliverableEmail)
    } else if starts("you do not have permission to use domain")
        || starts("unknown domain")
        || starts("public sharing disabled for domain")
    {
        Some(ApiErrorKind::DomainNotAllowed)
    } else if starts("incorrect passphrase") {
        Some(ApiErrorKind::IncorrectPassphrase)
    } else if starts("rate limit exceeded")
        || starts("too many")
        || starts("you have been rate limited")
    {
        Some(ApiErrorKind::RateLimited)
    } else if starts("an unexpected error occurred") || lower == "internal server error" {
        Some(ApiErrorKind::Unexpected)
    } else {
        None
    };
    if let Some(kind) = kind {
        return kind;
    }
    match intended_status.unwrap_or(http_status) {
        401 | 403 => ApiErrorKind::NotAuthorized,
        429 => ApiErrorKind::RateLimited,
        404 if text.is_empty() => ApiErrorKind::NotFound,
        500..=599 if text.is_empty() => ApiErrorKind::Unexpected,
        status if text.is_empty() => ApiErrorKind::Other(format!("http {status}")),
        _ => ApiErrorKind::Other(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tests::*;

    #[test]
    fn error_bodies_read_message_or_error() {
        let e: ErrorBody = json(&format!(
            r#"{{"secret_key":"{KEY_B}","message":"Unknown secret"}}"#
        ));
        assert_eq!(e, ErrorBody::unknown_secret(KEY_B));
        assert_eq!(e.kind(None, 404), ApiErrorKind::UnknownSecret);
        let e: ErrorBody = json(r#"{"error":"Not Found"}"#);
        assert_eq!(e, ErrorBody::not_routed());
        assert_eq!(e.text(), Some("Not Found"));
        assert_eq!(
            serde_json::to_string(&ErrorBody::message("Not authorized")).expect("ok"),
            r#"{"message":"Not authorized"}"#
        );
    }

    #[test]
    fn classify_maps_the_reference_messages() {
        use ApiErrorKind as K;
        for (msg, intended, kind) in [
            ("Unknown secret", None, K::UnknownSecret),
            ("Not Found", None, K::NotFound),
            ("Not authorized", Some(401), K::NotAuthorized),
            ("/api/v1/share is not available", None, K::NotFound),
            (
                "You did not provide anything to share",
                Some(400),
                K::EmptySecret,
            ),
            (
                "Secret value exceeds the maximum size of 10000 bytes",
                Some(400),
                K::SecretTooLong,
            ),
            (
                "A passphrase is required for all secrets",
                Some(400),
                K::PassphraseRequired,
            ),
            (
                "An account is required to send emails.",
                Some(400),
                K::RecipientNeedsAccount,
            ),
            (
                "Undeliverable email address: a@b",
                Some(400),
                K::UndeliverableEmail,
            ),
            (
                "You do not have permission to use domain: x.example",
                Some(400),
                K::DomainNotAllowed,
            ),
            ("Unknown domain: x.example", Some(400), K::DomainNotAllowed),
            // The wording of ots-server before it matched v0.26.6 still classifies.
            (
                "Passphrase must be at most 128 characters",
                Some(400),
                K::PassphraseTooLong,
            ),
            (
                "Password length must be at most 128 characters",
                Some(400),
                K::LengthTooLong,
            ),
            (
                "Public sharing disabled for domain: x.example",
                Some(400),
                K::DomainNotAllowed,
            ),
            ("Incorrect passphrase", Some(400), K::IncorrectPassphrase),
            (
                "Rate limit exceeded. Please try again later.",
                Some(400),
                K::RateLimited,
            ),
            ("An unexpected error occurred :[", Some(400), K::Unexpected),
            ("Internal Server Error", None, K::Unexpected),
        ] {
            assert_eq!(classify(Some(msg), intended, 404), kind, "{msg}");
        }
    }

    #[test]
    fn classify_falls_back_to_the_status() {
        use ApiErrorKind as K;
        assert_eq!(
            classify(Some("Nicht autorisiert"), Some(401), 404),
            K::NotAuthorized
        );
        assert_eq!(classify(None, None, 429), K::RateLimited);
        assert_eq!(classify(None, None, 404), K::NotFound);
        assert_eq!(classify(Some(""), None, 502), K::Unexpected);
        assert_eq!(classify(None, Some(400), 404), K::Other("http 400".into()));
        assert_eq!(
            classify(Some("Passwort falsch"), Some(400), 404),
            K::Other("Passwort falsch".into())
        );
    }

    #[test]
    fn every_validation_message_classifies_back_to_its_kind() {
        use crate::limits::ValidationError as V;
        let errors = [
            V::Empty,
            V::TooLong { max_bytes: 10_000 },
            V::PassphraseTooShort { min: 4 },
            V::PassphraseTooLong { max: 128 },
            V::PassphraseRequired,
            V::LengthTooLong { max: 128 },
            V::RecipientNeedsAccount,
            V::UndeliverableEmail {
                address: "x@y".into(),
            },
            V::DomainNotAllowed { domain: "d".into() },
            V::UnknownDomain { domain: "d".into() },
            V::IncorrectPassphrase,
        ];
        for e in errors {
            assert_eq!(
                classify(Some(&e.v1_message()), Some(400), 404),
                e.kind(),
                "{e}"
            );
        }
    }
}
