//! Service limits and input validation, with the exact v1 error messages.
//!
//! The defaults are those of a fresh Onetime Secret install (reference §2.3, §2.6).
//! Both the server (to enforce) and the app and CLI (to warn before sending) use them.

use serde::{Deserialize, Serialize};

use crate::wire::ApiErrorKind;

/// Seconds in a minute, an hour, a day and a week.
const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;

/// TTL choices offered by the UI, in seconds: 5m, 30m, 1h, 4h, 12h, 1d, 3d, 7d.
pub const TTL_PRESETS: &[u64] = &[
    5 * MINUTE,
    30 * MINUTE,
    HOUR,
    4 * HOUR,
    12 * HOUR,
    DAY,
    3 * DAY,
    WEEK,
];

/// Configurable limits of a v1 service. Every field has the OTS default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Smallest TTL in seconds; smaller, zero, negative or garbage requests are raised to it.
    pub ttl_min: u64,
    /// Largest TTL in seconds for anonymous callers (longer requests are clamped).
    pub ttl_max_anonymous: u64,
    /// Largest TTL in seconds for authenticated callers (longer requests are clamped).
    pub ttl_max_account: u64,
    /// TTL in seconds when the request has none.
    pub ttl_default: u64,
    /// Largest secret, in bytes of UTF-8 (not characters).
    pub secret_max_bytes: usize,
    /// Shortest passphrase, in characters.
    pub passphrase_min: usize,
    /// Longest passphrase, in characters.
    pub passphrase_max: usize,
    /// Length of a generated password when the request has none.
    pub generate_length_default: usize,
    /// Longest generated password.
    pub generate_length_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            ttl_min: MINUTE,
            ttl_max_anonymous: WEEK,
            ttl_max_account: 30 * DAY,
            ttl_default: WEEK,
            secret_max_bytes: 10_000,
            passphrase_min: 4,
            passphrase_max: 128,
            generate_length_default: 12,
            generate_length_max: 128,
        }
    }
}

impl Limits {
    /// Largest TTL for this kind of caller.
    pub fn ttl_max(&self, authenticated: bool) -> u64 {
        if authenticated {
            self.ttl_max_account
        } else {
            self.ttl_max_anonymous
        }
    }

    /// The TTL the service applies, as v1 does it: silently clamped, never an error.
    ///
    /// `None` (no `ttl` sent) gives [`Limits::ttl_default`]; zero, negative values (and
    /// garbage, which the wire types read as 0, like Ruby's `to_i`) give [`Limits::ttl_min`];
    /// the result is then clamped to `ttl_min..=ttl_max(authenticated)`.
    pub fn clamp_ttl(&self, requested: Option<i64>, authenticated: bool) -> u64 {
        let wanted = match requested {
            None => self.ttl_default,
            Some(n) => u64::try_from(n).unwrap_or(0),
        };
        // min/max rather than `clamp`, which panics on a misconfigured min > max.
        wanted.min(self.ttl_max(authenticated)).max(self.ttl_min)
    }

    /// The presets a caller may pick: those of [`TTL_PRESETS`] within this caller's range.
    pub fn ttl_choices(&self, authenticated: bool) -> impl Iterator<Item = u64> + '_ {
        let max = self.ttl_max(authenticated);
        TTL_PRESETS
            .iter()
            .copied()
            .filter(move |&t| t >= self.ttl_min && t <= max)
    }

    /// Checks a secret: not empty and at most [`Limits::secret_max_bytes`] bytes.
    pub fn check_secret(&self, secret: &str) -> Result<(), ValidationError> {
        if secret.is_empty() {
            Err(ValidationError::Empty)
        } else {
            self.check_secret_size(secret)
        }
    }

    /// Checks only a secret's size, which v1 does first (an empty one passes here and
    /// is refused last).
    pub fn check_secret_size(&self, secret: &str) -> Result<(), ValidationError> {
        if secret.len() > self.secret_max_bytes {
            Err(ValidationError::TooLong {
                max_bytes: self.secret_max_bytes,
            })
        } else {
            Ok(())
        }
    }

    /// Checks a passphrase's length in characters. An empty passphrase means "none" on
    /// the wire, so callers check only a non-empty one.
    pub fn check_passphrase(&self, passphrase: &str) -> Result<(), ValidationError> {
        let chars = passphrase.chars().count();
        if chars < self.passphrase_min {
            Err(ValidationError::PassphraseTooShort {
                min: self.passphrase_min,
            })
        } else if chars > self.passphrase_max {
            Err(ValidationError::PassphraseTooLong {
                max: self.passphrase_max,
            })
        } else {
            Ok(())
        }
    }

    /// The length of a password to generate: `None` or 0 gives the default, more than
    /// [`Limits::generate_length_max`] is an error.
    pub fn generate_length(&self, requested: Option<u32>) -> Result<usize, ValidationError> {
        match requested.and_then(|n| usize::try_from(n).ok()) {
            None | Some(0) => Ok(self.generate_length_default),
            Some(n) if n > self.generate_length_max => Err(ValidationError::LengthTooLong {
                max: self.generate_length_max,
            }),
            Some(n) => Ok(n),
        }
    }
}

/// Why a v1 request is refused: the v1 `FormError`s (reference §2.5).
///
/// `Display` is for logs; [`ValidationError::v1_message`] is the text on the wire, and
/// [`crate::wire::classify`] maps that text back to a [`crate::wire::ApiErrorKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The secret is empty or missing.
    #[error("secret is empty")]
    Empty,
    /// The secret has more than `max_bytes` bytes.
    #[error("secret is longer than {max_bytes} bytes")]
    TooLong {
        /// The limit, in bytes.
        max_bytes: usize,
    },
    /// The passphrase has fewer than `min` characters.
    #[error("passphrase is shorter than {min} characters")]
    PassphraseTooShort {
        /// The limit, in characters.
        min: usize,
    },
    /// The passphrase has more than `max` characters.
    #[error("passphrase is longer than {max} characters")]
    PassphraseTooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// The service requires a passphrase on every secret.
    #[error("passphrase is required")]
    PassphraseRequired,
    /// A generated password longer than `max` was requested.
    #[error("generated password length is over {max}")]
    LengthTooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// An anonymous caller asked for an email to be sent.
    #[error("recipient requires an account")]
    RecipientNeedsAccount,
    /// The recipient address cannot receive mail.
    #[error("undeliverable email address")]
    UndeliverableEmail {
        /// The address as given.
        address: String,
    },
    /// The caller may not use this share domain.
    #[error("share domain not allowed")]
    DomainNotAllowed {
        /// The domain as given.
        domain: String,
    },
    /// No custom domain of this name is registered.
    #[error("unknown share domain")]
    UnknownDomain {
        /// The domain as given.
        domain: String,
    },
    /// A burn was attempted with the wrong passphrase.
    #[error("incorrect passphrase")]
    IncorrectPassphrase,
}

impl ValidationError {
    /// The kind a client classifies this error's v1 message as.
    pub fn kind(&self) -> ApiErrorKind {
        match self {
            Self::Empty => ApiErrorKind::EmptySecret,
            Self::TooLong { .. } => ApiErrorKind::SecretTooLong,
            Self::PassphraseTooShort { .. } => ApiErrorKind::PassphraseTooShort,
            Self::PassphraseTooLong { .. } => ApiErrorKind::PassphraseTooLong,
            Self::PassphraseRequired => ApiErrorKind::PassphraseRequired,
            Self::LengthTooLong { .. } => ApiErrorKind::LengthTooLong,
            Self::RecipientNeedsAccount => ApiErrorKind::RecipientNeedsAccount,
            Self::UndeliverableEmail { .. } => ApiErrorKind::UndeliverableEmail,
            Self::DomainNotAllowed { .. } | Self::UnknownDomain { .. } => {
                ApiErrorKind::DomainNotAllowed
            }
            Self::IncorrectPassphrase => ApiErrorKind::IncorrectPassphrase,
        }
    }

    /// The exact English `message` a v1 server sends for this error (Onetime Secret
    /// v0.26.6: `apps/api/v1/logic/secrets/base_secret_action.rb`, `generate_secret.rb`).
    pub fn v1_message(&self) -> String {
        match self {
            Self::Empty => "You did not provide anything to share".into(),
            Self::TooLong { max_bytes } => {
                format!("Secret value exceeds the maximum size of {max_bytes} bytes")
            }
            Self::PassphraseTooShort { min } => {
                format!("Passphrase must be at least {min} characters long")
            }
            Self::PassphraseTooLong { max } => {
                format!("Passphrase must be no more than {max} characters long")
            }
            Self::PassphraseRequired => "A passphrase is required for all secrets".into(),
            Self::LengthTooLong { max } => {
                format!("Generated password length must be no more than {max} characters")
            }
            Self::RecipientNeedsAccount => "An account is required to send emails.".into(),
            Self::UndeliverableEmail { address } => {
                format!("Undeliverable email address: {address}")
            }
            Self::DomainNotAllowed { domain } => {
                format!("You do not have permission to use domain: {domain}")
            }
            Self::UnknownDomain { domain } => format!("Unknown domain: {domain}"),
            Self::IncorrectPassphrase => "Incorrect passphrase".into(),
        }
    }
}

/// Parses a human duration into seconds: `"90"`, `"90s"`, `"5m"`, `"1h"`, `"1d"`, `"1w"`,
/// and sums such as `"1h30m"`. Units are `s`, `m`, `h`, `d`, `w` (case-insensitive);
/// surrounding whitespace is ignored. `None` for anything else or on overflow.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number.unwrap_or(0);
            number = Some(n.checked_mul(10)?.checked_add(u64::from(d))?);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => MINUTE,
            'h' => HOUR,
            'd' => DAY,
            'w' => WEEK,
            _ => return None,
        };
        total = total.checked_add(number.take()?.checked_mul(unit)?)?;
    }
    // A trailing number without a unit ("1h30") is ambiguous: refuse it.
    if number.is_some() { None } else { Some(total) }
}

/// Formats seconds compactly with days, hours, minutes and seconds: `"7d"`, `"1h30m"`,
/// `"45s"`, `"0s"`. The inverse of [`parse_duration`].
pub fn format_duration(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = seconds;
    for (unit, suffix) in [(DAY, 'd'), (HOUR, 'h'), (MINUTE, 'm'), (1, 's')] {
        let n = rest / unit;
        if n > 0 {
            out.push_str(&n.to_string());
            out.push(suffix);
            rest %= unit;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The app offers these as its TTL choices (5m, 30m, 1h, 4h, 12h, 1d, 3d, 7d).
    #[test]
    fn ttl_presets_in_seconds() {
        assert_eq!(
            TTL_PRESETS,
            [300, 1800, 3600, 14_400, 43_200, 86_400, 259_200, 604_800]
        );
    }

    #[test]
    fn defaults_match_a_fresh_ots_install() {
        let l = Limits::default();
        assert_eq!(l.ttl_min, 60);
        assert_eq!(l.ttl_max_anonymous, 604_800);
        assert_eq!(l.ttl_max_account, 2_592_000);
        assert_eq!(l.ttl_default, 604_800);
        assert_eq!(l.secret_max_bytes, 10_000);
        assert_eq!((l.passphrase_min, l.passphrase_max), (4, 128));
        assert_eq!(
            (l.generate_length_default, l.generate_length_max),
            (12, 128)
        );
    }

    #[test]
    fn clamp_ttl_follows_v1() {
        let l = Limits::default();
        assert_eq!(l.clamp_ttl(None, false), 604_800);
        assert_eq!(l.clamp_ttl(Some(0), false), 60);
        assert_eq!(l.clamp_ttl(Some(-5), false), 60);
        assert_eq!(l.clamp_ttl(Some(59), false), 60);
        assert_eq!(l.clamp_ttl(Some(3600), false), 3600);
        assert_eq!(l.clamp_ttl(Some(i64::MAX), false), 604_800);
        assert_eq!(l.clamp_ttl(Some(1_000_000), true), 1_000_000);
        assert_eq!(l.clamp_ttl(Some(i64::MAX), true), 2_592_000);
        assert_eq!(l.clamp_ttl(Some(i64::MIN), true), 60);
    }

    #[test]
    fn clamp_ttl_does_not_panic_on_min_above_max() {
        let l = Limits {
            ttl_min: 1000,
            ttl_max_anonymous: 10,
            ..Limits::default()
        };
        assert_eq!(l.clamp_ttl(Some(500), false), 1000);
    }

    #[test]
    fn clamp_ttl_clamps_a_large_default() {
        let l = Limits {
            ttl_default: 100 * DAY,
            ..Limits::default()
        };
        assert_eq!(l.clamp_ttl(None, false), WEEK);
        assert_eq!(l.clamp_ttl(None, true), 30 * DAY);
    }

    #[test]
    fn ttl_choices_respect_the_caller_max() {
        let l = Limits {
            ttl_max_anonymous: DAY,
            ..Limits::default()
        };
        assert_eq!(l.ttl_choices(false).last(), Some(DAY));
        assert_eq!(l.ttl_choices(true).count(), TTL_PRESETS.len());
    }

    #[test]
    fn check_secret_counts_bytes() {
        let l = Limits::default();
        assert_eq!(l.check_secret(""), Err(ValidationError::Empty));
        assert_eq!(l.check_secret(&"a".repeat(10_000)), Ok(()));
        assert_eq!(
            l.check_secret(&"a".repeat(10_001)),
            Err(ValidationError::TooLong { max_bytes: 10_000 })
        );
        // 5000 two-byte characters is exactly the limit; one more is over.
        assert_eq!(l.check_secret(&"é".repeat(5000)), Ok(()));
        assert!(l.check_secret(&"é".repeat(5001)).is_err());
        // The size alone: an empty secret passes, to be refused after the other checks.
        assert_eq!(l.check_secret_size(""), Ok(()));
        assert!(l.check_secret_size(&"a".repeat(10_001)).is_err());
    }

    #[test]
    fn check_passphrase_counts_characters() {
        let l = Limits::default();
        assert_eq!(
            l.check_passphrase("abc"),
            Err(ValidationError::PassphraseTooShort { min: 4 })
        );
        assert_eq!(l.check_passphrase("éééé"), Ok(()));
        assert_eq!(l.check_passphrase(&"é".repeat(128)), Ok(()));
        assert_eq!(
            l.check_passphrase(&"a".repeat(129)),
            Err(ValidationError::PassphraseTooLong { max: 128 })
        );
    }

    #[test]
    fn generate_length_defaults_and_caps() {
        let l = Limits::default();
        assert_eq!(l.generate_length(None), Ok(12));
        assert_eq!(l.generate_length(Some(0)), Ok(12));
        assert_eq!(l.generate_length(Some(128)), Ok(128));
        assert_eq!(
            l.generate_length(Some(129)),
            Err(ValidationError::LengthTooLong { max: 128 })
        );
    }

    #[test]
    fn v1_messages_are_exact() {
        assert_eq!(
            ValidationError::Empty.v1_message(),
            "You did not provide anything to share"
        );
        assert_eq!(
            ValidationError::TooLong { max_bytes: 10_000 }.v1_message(),
            "Secret value exceeds the maximum size of 10000 bytes"
        );
        assert_eq!(
            ValidationError::PassphraseTooShort { min: 4 }.v1_message(),
            "Passphrase must be at least 4 characters long"
        );
        assert_eq!(
            ValidationError::PassphraseTooLong { max: 128 }.v1_message(),
            "Passphrase must be no more than 128 characters long"
        );
        assert_eq!(
            ValidationError::RecipientNeedsAccount.v1_message(),
            "An account is required to send emails."
        );
        assert_eq!(
            ValidationError::DomainNotAllowed {
                domain: "x.example".into()
            }
            .v1_message(),
            "You do not have permission to use domain: x.example"
        );
        assert_eq!(
            ValidationError::UnknownDomain {
                domain: "x.example".into()
            }
            .v1_message(),
            "Unknown domain: x.example"
        );
        assert_eq!(
            ValidationError::LengthTooLong { max: 128 }.v1_message(),
            "Generated password length must be no more than 128 characters"
        );
    }

    #[test]
    fn display_is_lowercase_without_period() {
        let e = ValidationError::TooLong { max_bytes: 10 };
        let text = e.to_string();
        assert!(text.starts_with(char::is_lowercase) && !text.ends_with('.'));
    }

    #[test]
    fn parse_duration_accepts_human_forms() {
        for (text, secs) in [
            ("90", 90),
            ("90s", 90),
            ("5m", 300),
            ("1h", 3600),
            ("1d", 86_400),
            ("7d", 604_800),
            ("1w", 604_800),
            ("1h30m", 5400),
            (" 2H ", 7200),
            ("0", 0),
        ] {
            assert_eq!(parse_duration(text), Some(secs), "{text}");
        }
    }

    #[test]
    fn parse_duration_rejects_garbage() {
        for text in [
            "",
            " ",
            "h",
            "1x",
            "1h30",
            "-5m",
            "1.5h",
            "99999999999999999999",
            "9999999999999999999w",
        ] {
            assert_eq!(parse_duration(text), None, "{text:?}");
        }
    }

    #[test]
    fn format_duration_is_compact() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(604_800), "7d");
        assert_eq!(format_duration(90_061), "1d1h1m1s");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(secs in 0u64..=u64::MAX / 2) {
            prop_assert_eq!(parse_duration(&format_duration(secs)), Some(secs));
        }
    }
}
