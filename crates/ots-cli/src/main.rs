//! `ots`: the Onetime Secret command line.
//!
//! It shares `ots-core` with the web app, so a secret made here opens in the browser and
//! one made in the browser opens here: the same `ots1.` envelope, the same links. This
//! crate only reads arguments, files and the terminal, calls the v1 API and prints.
//!
//! - [`cli`]: the clap definitions (every `--help` text);
//! - [`config`]: the config file, the environment and which server to call;
//! - [`api`]: the HTTP client (ureq with rustls);
//! - [`input`]: secrets, passphrases and confirmations;
//! - [`requests`]: this device's open requests and their private keys;
//! - [`commands`]: one module per subcommand group;
//! - [`error`]: the errors and their exit codes.

mod api;
mod cli;
mod commands;
mod config;
mod error;
mod input;
mod requests;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

use crate::cli::{Cli, Command};
use crate::commands::Context;
use crate::config::{Overrides, Settings};
use crate::error::{CliError, EXIT_OK, EXIT_USAGE};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some((option, why)) = cli::refused_option(&args) {
        eprintln!("ots: {option} is not accepted: {why}");
        return ExitCode::from(EXIT_USAGE);
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output with 0; usage errors exit with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("ots: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("  hint: {hint}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs one command.
fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Completions { shell } = cli.command {
        // No config needed: completions must work anywhere.
        clap_complete::generate(shell, &mut Cli::command(), "ots", &mut std::io::stdout());
        return Ok(());
    }
    let settings = Settings::resolve(Overrides {
        server: cli.global.server,
        region: cli.global.region.map(Into::into),
        app_url: cli.global.app_url,
        config: cli.global.config,
    })?;
    let ctx = Context {
        settings,
        json: cli.global.json,
        quiet: cli.global.quiet,
    };
    match &cli.command {
        Command::Share(args) => commands::create::share(&ctx, args),
        Command::Generate(args) => commands::create::generate(&ctx, args),
        Command::Reveal(args) => commands::reveal::reveal(&ctx, args),
        Command::Request(args) => commands::request::request(&ctx, args),
        Command::Answer(args) => commands::request::answer(&ctx, args),
        Command::Receipt(args) => commands::receipt::receipt(&ctx, args),
        Command::Burn(args) => commands::receipt::burn(&ctx, args),
        Command::Recent => commands::receipt::recent(&ctx),
        Command::Status => commands::status::status(&ctx),
        Command::Login(args) => commands::login::login(&ctx, args),
        Command::Completions { .. } => Ok(()),
    }
}
