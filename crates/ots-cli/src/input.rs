//! What `ots` reads from the user: the secret (a file or standard input, never an
//! argument), passphrases (a file or a no-echo prompt) and confirmations (on the
//! terminal, `/dev/tty`, so that pipes stay free for data).

use std::io::{BufRead as _, IsTerminal as _, Read, Write as _};
use std::path::Path;

use zeroize::{Zeroize as _, Zeroizing};

use crate::error::{CliError, Result};

/// The secret's bytes, read whole and checked to be UTF-8, kept exactly (a trailing
/// newline included).
pub fn read_secret(file: Option<&Path>, quiet: bool) -> Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new(Vec::new());
    let from = match file {
        Some(path) if path.as_os_str() != "-" => {
            let mut f = std::fs::File::open(path)
                .map_err(|e| CliError::usage(format!("cannot open {}: {e}", path.display())))?;
            f.read_to_end(&mut bytes)
                .map_err(|e| CliError::other(format!("cannot read {}: {e}", path.display())))?;
            path.display().to_string()
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() && !quiet {
                eprintln!("Type or paste the secret, then press Ctrl-D on an empty line:");
            }
            stdin
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::other(format!("cannot read standard input: {e}")))?;
            "standard input".to_owned()
        }
    };
    if bytes.is_empty() {
        return Err(CliError::usage(format!(
            "nothing to share: {from} is empty"
        )));
    }
    // Move the buffer into a String without copying it; on failure, wipe it.
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            e.into_bytes().zeroize();
            Err(CliError::usage_hint(
                format!("{from} is not UTF-8 text (invalid byte at offset {valid})"),
                "Onetime Secret stores text: encode binary data first, e.g. with base64",
            ))
        }
    }
}

/// The secret for an answer: from `file`, or typed at a no-echo prompt when standard
/// input is a terminal (one line), or read whole from standard input.
pub fn read_secret_or_prompt(file: Option<&Path>, quiet: bool) -> Result<Zeroizing<String>> {
    if file.is_none_or(|f| f.as_os_str() == "-") && std::io::stdin().is_terminal() {
        let typed = Zeroizing::new(
            rpassword::prompt_password("Secret (not shown as you type): ").map_err(|e| {
                CliError::usage(format!("cannot read the secret from the terminal: {e}"))
            })?,
        );
        if typed.is_empty() {
            return Err(CliError::usage("nothing to send: the secret is empty"));
        }
        return Ok(typed);
    }
    read_secret(file, quiet)
}

/// Reads a passphrase from a file: its whole content, less one trailing line ending.
pub fn passphrase_from_file(path: &Path) -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
        CliError::usage(format!(
            "cannot read passphrase file {}: {e}",
            path.display()
        ))
    })?);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::usage(format!(
            "passphrase file {} is not UTF-8 text",
            path.display()
        ))
    })?;
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if text.is_empty() {
        return Err(CliError::usage(format!(
            "passphrase file {} is empty",
            path.display()
        )));
    }
    Ok(Zeroizing::new(text.to_owned()))
}

/// Asks for a passphrase on the terminal without echo; with `confirm`, asks twice.
pub fn prompt_passphrase(prompt: &str, confirm: bool) -> Result<Zeroizing<String>> {
    let no_tty = |e: std::io::Error| {
        CliError::usage_hint(
            format!("cannot ask for the passphrase: no terminal ({e})"),
            "use --passphrase-file FILE in scripts",
        )
    };
    let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(no_tty)?);
    if first.is_empty() {
        return Err(CliError::usage("the passphrase is empty"));
    }
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password("Repeat it: ").map_err(no_tty)?);
        if again != first {
            return Err(CliError::usage("the two passphrases differ"));
        }
    }
    Ok(first)
}

/// Where a passphrase comes from, as the options say.
#[derive(Debug, Clone, Copy)]
pub enum PassphraseSource<'a> {
    /// `--passphrase-file PATH`.
    File(&'a Path),
    /// `--ask-passphrase`, or the link says one is needed.
    Prompt,
}

impl PassphraseSource<'_> {
    /// Reads the passphrase; `confirm` asks twice when prompting (when creating).
    pub fn read(self, prompt: &str, confirm: bool) -> Result<Zeroizing<String>> {
        match self {
            Self::File(path) => passphrase_from_file(path),
            Self::Prompt => prompt_passphrase(prompt, confirm),
        }
    }
}

/// Asks "go on?" on the terminal. `Ok(false)` if the user says no. Refuses when standard
/// input is not a terminal (a script must pass `--yes`).
pub fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage_hint(
            "refusing to go on without confirmation: standard input is not a terminal",
            "pass --yes in scripts",
        ));
    }
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| {
            CliError::usage_hint(
                format!("cannot ask for confirmation: no terminal ({e})"),
                "pass --yes in scripts",
            )
        })?;
    let mut writer = &tty;
    write!(writer, "{question} [y/N] ")
        .and_then(|()| writer.flush())
        .map_err(|e| CliError::other(format!("cannot write to the terminal: {e}")))?;
    let mut answer = String::new();
    std::io::BufReader::new(&tty)
        .read_line(&mut answer)
        .map_err(|e| CliError::other(format!("cannot read from the terminal: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
