//! The errors of the `ots` command and the exit code of each.
//!
//! Every failure ends up as one [`CliError`]; `main` prints it on standard error as
//! `ots: <message>`, with a hint on the next line when there is one, and exits with
//! [`CliError::exit_code`]. The codes are part of the interface (`ots --help` and the
//! README list them), so scripts can tell a consumed secret from a network failure.

use ots_core::wire::ApiErrorKind;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: any other failure (local I/O, a declined confirmation, a bad config file).
pub const EXIT_OTHER: u8 = 1;
/// Exit code: bad usage or input (unknown option, argument, empty or non-UTF-8 secret).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the server could not be reached (DNS, connection, TLS, timeout).
pub const EXIT_NETWORK: u8 = 3;
/// Exit code: the secret or receipt is unknown, already revealed, burned or expired (or
/// the passphrase was wrong, which the API does not tell apart).
pub const EXIT_UNKNOWN: u8 = 4;
/// Exit code: the link is damaged, or its key does not open the secret.
pub const EXIT_DAMAGED: u8 = 5;
/// Exit code: the server refused the request or answered something unexpected.
pub const EXIT_REFUSED: u8 = 6;

/// The exit codes as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other failure (local I/O, declined confirmation, config file)
  2  bad usage or input (options, arguments, empty or non-UTF-8 secret)
  3  network failure: the server could not be reached
  4  unknown secret: never existed, already revealed or burned, expired, or wrong passphrase
  5  damaged link, or its key does not open the secret
  6  the server refused the request (its message is shown)";

/// Why a command failed. `Display` is the one-line message; [`CliError::hint`] may add
/// advice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Bad options, arguments or input.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do instead.
        hint: Option<String>,
    },
    /// The server could not be reached.
    #[error("cannot reach {url}: {detail}")]
    Network {
        /// The URL that was called.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// The secret or receipt is gone (or never was), or the passphrase is wrong.
    #[error("{message}")]
    Unknown {
        /// The message.
        message: String,
        /// Advice.
        hint: Option<String>,
    },
    /// The link is damaged or its key does not open the secret.
    #[error("{message}")]
    Damaged {
        /// The message.
        message: String,
        /// Advice.
        hint: Option<String>,
    },
    /// The server refused the request.
    #[error("the server refused: {message}")]
    Refused {
        /// What kind of refusal it was.
        kind: ApiErrorKind,
        /// The server's own message, or a description of the bad answer.
        message: String,
        /// Advice.
        hint: Option<String>,
    },
    /// Anything else.
    #[error("{message}")]
    Other {
        /// The message.
        message: String,
        /// Advice.
        hint: Option<String>,
    },
}

impl CliError {
    /// A usage error without a hint.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: None,
        }
    }

    /// A usage error with a hint.
    pub fn usage_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A damaged-link error.
    pub fn damaged(message: impl Into<String>, hint: Option<String>) -> Self {
        Self::Damaged {
            message: message.into(),
            hint,
        }
    }

    /// Some other failure.
    pub fn other(message: impl Into<String>) -> Self {
        Self::Other {
            message: message.into(),
            hint: None,
        }
    }

    /// Some other failure, with a hint.
    pub fn other_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Other {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// Adds (or replaces) the hint.
    #[must_use]
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        let text = Some(text.into());
        match &mut self {
            Self::Usage { hint, .. }
            | Self::Unknown { hint, .. }
            | Self::Damaged { hint, .. }
            | Self::Refused { hint, .. }
            | Self::Other { hint, .. } => *hint = text,
            Self::Network { .. } => {}
        }
        self
    }

    /// Advice printed after the message, if any.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::Usage { hint, .. }
            | Self::Unknown { hint, .. }
            | Self::Damaged { hint, .. }
            | Self::Refused { hint, .. }
            | Self::Other { hint, .. } => hint.as_deref(),
            Self::Network { .. } => {
                Some("check the server URL and your connection (a proxy is read from HTTPS_PROXY)")
            }
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage { .. } => EXIT_USAGE,
            Self::Network { .. } => EXIT_NETWORK,
            Self::Unknown { .. } => EXIT_UNKNOWN,
            Self::Damaged { .. } => EXIT_DAMAGED,
            Self::Refused { .. } => EXIT_REFUSED,
            Self::Other { .. } => EXIT_OTHER,
        }
    }
}

/// A result whose error is a [`CliError`].
pub type Result<T, E = CliError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_exit_code() {
        let errors = [
            CliError::other("x"),
            CliError::usage("x"),
            CliError::Network {
                url: "u".into(),
                detail: "d".into(),
            },
            CliError::Unknown {
                message: "x".into(),
                hint: None,
            },
            CliError::damaged("x", None),
            CliError::Refused {
                kind: ApiErrorKind::NotAuthorized,
                message: "x".into(),
                hint: None,
            },
        ];
        let codes: Vec<u8> = errors.iter().map(CliError::exit_code).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6]);
        for code in codes {
            assert!(EXIT_CODES_HELP.contains(&format!("  {code}  ")));
        }
        assert_eq!(EXIT_OK, 0);
    }

    #[test]
    fn hints_can_be_added() {
        let e = CliError::usage("bad").with_hint("do this");
        assert_eq!(e.hint(), Some("do this"));
        assert_eq!(e.to_string(), "bad");
    }
}
