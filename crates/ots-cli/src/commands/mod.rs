//! One module per group of subcommands, and what they share: the run's context, error
//! wording for API failures, link arguments and output.

pub mod create;
pub mod login;
pub mod receipt;
pub mod request;
pub mod reveal;
pub mod save;
pub mod status;

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use ots_core::limits::format_duration;
use ots_core::link::{self, Server};
use ots_core::wire::ApiErrorKind;
use zeroize::Zeroizing;

use crate::api::ApiFailure;
use crate::config::Settings;
use crate::error::{CliError, Result};

/// What every command gets.
#[derive(Debug)]
pub struct Context {
    /// Server, app URL and account.
    pub settings: Settings,
    /// `--json`.
    pub json: bool,
    /// `--quiet`.
    pub quiet: bool,
}

impl Context {
    /// Prints an informational line on standard error, unless `--quiet`.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// The base URL for a link's server: its own for a region or a custom server, the
    /// link's origin for [`Server::Origin`], else the configured server.
    pub fn base_for(&self, server: &Server, input: &str) -> Result<String> {
        match server {
            Server::Origin => match link::origin(input) {
                Some(origin) => Ok(origin),
                None => self
                    .settings
                    .require_target()
                    .map(|t| t.base().to_owned())
                    .map_err(|e| {
                        e.with_hint(
                            "this link or key names no server: pass --server URL or --region NAME",
                        )
                    }),
            },
            other => Ok(other.base_url("").to_owned()),
        }
    }
}

/// Writes `bytes` to standard output and flushes.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::other(format!("cannot write to standard output: {e}")))
}

/// Writes a JSON value and a newline to standard output; the text is zeroized after.
pub fn write_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut text = Zeroizing::new(
        serde_json::to_string_pretty(value).map_err(|e| CliError::other(e.to_string()))?,
    );
    text.push('\n');
    write_stdout(text.as_bytes())
}

/// A link or key argument: as given, or read from standard input for `-` or nothing.
/// The first non-empty line is the link.
pub fn link_argument(arg: Option<&str>, what: &str) -> Result<Zeroizing<String>> {
    match arg {
        Some(text) if text != "-" => Ok(Zeroizing::new(text.trim().to_owned())),
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(CliError::usage(format!(
                    "no {what} given: pass it as an argument, or pipe it in"
                )));
            }
            let mut text = Zeroizing::new(String::new());
            stdin
                .lock()
                .take(64 * 1024)
                .read_to_string(&mut text)
                .map_err(|e| {
                    CliError::usage(format!("cannot read the {what} from standard input: {e}"))
                })?;
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .ok_or_else(|| CliError::usage(format!("no {what} on standard input")))?;
            Ok(Zeroizing::new(line.to_owned()))
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// "5m ago" for a Unix time, or "just now".
pub fn ago(then: u64) -> String {
    let seconds = now().saturating_sub(then);
    if seconds < 5 {
        "just now".to_owned()
    } else {
        format!("{} ago", format_duration(seconds))
    }
}

/// A v1 failure in plain words, with advice where there is some. `unknown` is the
/// sentence for "Unknown secret", which differs between secrets and receipts.
pub fn failure(f: ApiFailure, base: &str, unknown: &str) -> CliError {
    let refused = |hint: Option<&str>| CliError::Refused {
        kind: f.kind.clone(),
        message: f.message.clone(),
        hint: hint.map(str::to_owned),
    };
    match &f.kind {
        ApiErrorKind::UnknownSecret => CliError::Unknown {
            message: unknown.to_owned(),
            hint: None,
        },
        ApiErrorKind::NotAuthorized => refused(Some(
            "check OTS_USER and OTS_TOKEN (or the config file; `ots login` rewrites it)",
        )),
        ApiErrorKind::NotFound => CliError::Refused {
            kind: f.kind.clone(),
            message: format!("{} ({base} does not know this route or key)", f.message),
            hint: Some(format!(
                "is {base} a Onetime Secret server with API v1? A key shorter than 20 characters was probably cut"
            )),
        },
        ApiErrorKind::RateLimited => refused(Some("wait a while and try again")),
        ApiErrorKind::RecipientNeedsAccount => refused(Some(
            "set OTS_USER and OTS_TOKEN, or run `ots login`, to email links",
        )),
        _ => refused(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_secrets_map_to_their_exit_code() {
        let e = failure(
            ApiFailure {
                kind: ApiErrorKind::UnknownSecret,
                message: "Unknown secret".into(),
            },
            "http://x",
            "gone",
        );
        assert_eq!(e.exit_code(), crate::error::EXIT_UNKNOWN);
        let e = failure(
            ApiFailure {
                kind: ApiErrorKind::SecretTooLong,
                message: "Secret value exceeds the maximum size of 10000 bytes".into(),
            },
            "http://x",
            "gone",
        );
        assert_eq!(e.exit_code(), crate::error::EXIT_REFUSED);
        assert!(e.to_string().contains("10000 bytes"));
    }

    #[test]
    fn ago_is_readable() {
        assert_eq!(ago(now()), "just now");
        assert_eq!(ago(now() - 3600), "1h ago");
    }
}
