//! Which message the user sees for each failure: plain functions, tested natively.

use ots_core::envelope::EnvelopeError;
use ots_core::limits::ValidationError;
use ots_core::wire::ApiErrorKind;

use crate::api::ApiError;
use crate::i18n::Key;

/// The message for a failed API call.
pub fn api_error(error: &ApiError) -> Key {
    match error {
        ApiError::Network => Key::ErrorNetwork,
        ApiError::Cors { .. } => Key::ErrorCors,
        ApiError::Timeout => Key::ErrorTimeout,
        ApiError::NotJson { .. } => Key::ErrorNotJson,
        ApiError::Server { kind, .. } => api_kind(kind),
    }
}

/// The message for an error the API reported.
pub fn api_kind(kind: &ApiErrorKind) -> Key {
    match kind {
        ApiErrorKind::UnknownSecret => Key::ErrorUnknownSecret,
        ApiErrorKind::NotAuthorized => Key::ErrorNotAuthorized,
        ApiErrorKind::NotFound => Key::ErrorNotFound,
        ApiErrorKind::EmptySecret => Key::ErrorEmptySecret,
        ApiErrorKind::SecretTooLong => Key::ErrorSecretTooLong,
        ApiErrorKind::PassphraseTooShort => Key::ErrorPassphraseTooShort,
        ApiErrorKind::PassphraseTooLong => Key::ErrorPassphraseTooLong,
        ApiErrorKind::PassphraseRequired => Key::ErrorPassphraseRequired,
        ApiErrorKind::LengthTooLong => Key::ErrorLengthTooLong,
        ApiErrorKind::RecipientNeedsAccount => Key::ErrorRecipientNeedsAccount,
        ApiErrorKind::UndeliverableEmail => Key::ErrorUndeliverableEmail,
        ApiErrorKind::DomainNotAllowed => Key::ErrorDomainNotAllowed,
        ApiErrorKind::IncorrectPassphrase => Key::ErrorIncorrectPassphrase,
        ApiErrorKind::RateLimited => Key::ErrorRateLimited,
        ApiErrorKind::Unexpected => Key::ErrorUnexpected,
        _ => Key::ErrorOther,
    }
}

/// The message for a form value the app refuses before sending.
pub fn validation(error: &ValidationError) -> Key {
    api_kind(&error.kind())
}

/// The message for a secret that could not be decrypted: always "the link is damaged",
/// except when only the passphrase can be at fault.
pub fn envelope(error: &EnvelopeError, had_passphrase: bool) -> Key {
    match error {
        EnvelopeError::Decrypt if had_passphrase => Key::ErrorWrongPassphrase,
        EnvelopeError::PassphraseRequired => Key::ErrorPassphraseNeeded,
        _ => Key::DamagedLink,
    }
}

/// Whether a failed reveal may still have consumed the secret: the request may have
/// reached the server even though no answer came back (reveals are at most once).
pub fn reveal_may_have_counted(error: &ApiError) -> bool {
    match error {
        ApiError::Network | ApiError::Timeout | ApiError::NotJson { .. } => true,
        ApiError::Server { kind, .. } => {
            matches!(kind, ApiErrorKind::Unexpected | ApiErrorKind::Other(_))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_its_own_message() {
        let errors = [
            ApiError::Network,
            ApiError::Cors {
                origin: "https://x".into(),
            },
            ApiError::Timeout,
            ApiError::NotJson { status: 502 },
            ApiError::Server {
                kind: ApiErrorKind::UnknownSecret,
                status: 404,
            },
            ApiError::Server {
                kind: ApiErrorKind::SecretTooLong,
                status: 404,
            },
            ApiError::Server {
                kind: ApiErrorKind::RateLimited,
                status: 404,
            },
        ];
        let keys: Vec<Key> = errors.iter().map(api_error).collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn a_lost_answer_may_have_consumed_the_secret_but_a_refusal_did_not() {
        assert!(reveal_may_have_counted(&ApiError::Network));
        assert!(reveal_may_have_counted(&ApiError::Timeout));
        assert!(!reveal_may_have_counted(&ApiError::Server {
            kind: ApiErrorKind::UnknownSecret,
            status: 404
        }));
        assert!(!reveal_may_have_counted(&ApiError::Cors {
            origin: "x".into()
        }));
    }

    #[test]
    fn a_bad_tag_is_a_damaged_link_unless_a_passphrase_was_typed() {
        assert_eq!(envelope(&EnvelopeError::Decrypt, false), Key::DamagedLink);
        assert_eq!(envelope(&EnvelopeError::Malformed, true), Key::DamagedLink);
        assert_eq!(
            envelope(&EnvelopeError::Decrypt, true),
            Key::ErrorWrongPassphrase
        );
    }
}
