//! `ots login`: check an API token and save it, with the server, in the config file.

use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};

use ots_core::link::Server;
use zeroize::Zeroizing;

use crate::api::Client;
use crate::cli::LoginArgs;
use crate::commands::{Context, failure};
use crate::config::{self, Credentials};
use crate::error::{CliError, Result};
use crate::input;

/// Asks a question on the terminal, with echo.
fn ask(question: &str) -> Result<String> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| {
            CliError::usage_hint(format!("no terminal to ask on ({e})"), "pass --user EMAIL")
        })?;
    let mut writer = &tty;
    write!(writer, "{question}")
        .and_then(|()| writer.flush())
        .map_err(|e| CliError::other(format!("cannot write to the terminal: {e}")))?;
    let mut answer = String::new();
    std::io::BufReader::new(&tty)
        .read_line(&mut answer)
        .map_err(|e| CliError::other(format!("cannot read from the terminal: {e}")))?;
    Ok(answer.trim().to_owned())
}

/// The token: `OTS_TOKEN`, else standard input when piped, else a no-echo prompt.
fn read_token() -> Result<Zeroizing<String>> {
    if let Ok(token) = std::env::var("OTS_TOKEN")
        && !token.trim().is_empty()
    {
        return Ok(Zeroizing::new(token.trim().to_owned()));
    }
    let stdin = std::io::stdin();
    let token = if stdin.is_terminal() {
        input::prompt_passphrase("API token: ", false)?
    } else {
        let mut text = Zeroizing::new(String::new());
        stdin
            .lock()
            .take(4096)
            .read_to_string(&mut text)
            .map_err(|e| {
                CliError::other(format!("cannot read the token from standard input: {e}"))
            })?;
        Zeroizing::new(text.trim().to_owned())
    };
    if token.is_empty() {
        return Err(CliError::usage("the API token is empty"));
    }
    Ok(token)
}

/// `ots login`.
pub fn login(ctx: &Context, args: &LoginArgs) -> Result<()> {
    let target = ctx.settings.require_target()?;
    let path = ctx.settings.config_path.clone().ok_or_else(|| {
        CliError::usage("no config file path: set HOME or XDG_CONFIG_HOME, or pass --config FILE")
    })?;
    let user = match args.user.clone().or_else(|| {
        std::env::var("OTS_USER")
            .ok()
            .filter(|u| !u.trim().is_empty())
    }) {
        Some(user) => user,
        None => ask("Account email: ")?,
    };
    if user.is_empty() {
        return Err(CliError::usage("the account email is empty"));
    }
    let credentials = Credentials {
        user,
        token: read_token()?,
    };
    if !args.no_verify {
        let client = Client::new(target.base(), Some(&credentials));
        client
            .authcheck()?
            .map_err(|f| failure(f, client.base(), "unexpected answer"))?;
    }
    let (key, value, other) = match &target.server {
        Server::Region(r) => ("region", r.as_str().to_owned(), "server"),
        _ => ("server", target.base().to_owned(), "region"),
    };
    config::store(
        &path,
        &[
            (key, Some(value.as_str())),
            (other, None),
            ("user", Some(credentials.user.as_str())),
            ("token", Some(credentials.token.as_str())),
        ],
    )?;
    ctx.note(&format!(
        "Saved {} for {} in {} (readable only by you).",
        credentials.user,
        target.base(),
        path.display()
    ));
    Ok(())
}
