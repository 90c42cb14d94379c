//! The command line, as clap reads it. Every option and subcommand is documented here;
//! `ots --help` and `ots <command> --help` are generated from these comments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ots_core::limits::parse_duration;
use ots_core::link::Region;

use crate::error::EXIT_CODES_HELP;

const ABOUT: &str =
    "Share secrets through Onetime Secret, encrypted on this machine like the web app does";

const LONG_ABOUT: &str = "\
Share secrets through Onetime Secret, encrypted on this machine like the web app does.

`ots share` reads a secret from a file or standard input, encrypts it with a fresh key,
stores only the ciphertext on the server and prints the link that opens it: the key
travels in the link's #fragment, which browsers never send to a server. The web app opens
such links, and `ots reveal` opens the app's. With --plain the secret is sent as is, for
links that any Onetime Secret site opens.

Secrets, passphrases and tokens are never taken from arguments, which other users can see
in the process list: use a file, standard input, a no-echo prompt or the environment.

The server is --server URL, or --region NAME for the hosted service (us, eu, ca, nz, uk),
or OTS_SERVER / OTS_REGION, or `server`/`region` in the config file
(~/.config/ots/config.toml). An account, needed for `ots recent` and email recipients, is
OTS_USER and OTS_TOKEN or the config file, which `ots login` writes with mode 0600.";

const SHARE_EXAMPLES: &str = "\
Examples:
  printf %s \"$DB_PASSWORD\" | ots share --server https://secrets.example.com
  ots share notes.txt --ttl 1h --ask-passphrase
  ots share --file ~/.ssh/id_ed25519
  ots share --plain --region eu < token.txt";

/// The `ots` command.
#[derive(Debug, Parser)]
#[command(
    name = "ots",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXIT_CODES_HELP,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A hosted Onetime Secret region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionArg {
    /// us.onetimesecret.com (Hillsboro, Oregon)
    Us,
    /// eu.onetimesecret.com (Nuremberg)
    Eu,
    /// ca.onetimesecret.com (Toronto)
    Ca,
    /// nz.onetimesecret.com (Porirua)
    Nz,
    /// uk.onetimesecret.com (London)
    Uk,
}

impl From<RegionArg> for Region {
    fn from(r: RegionArg) -> Self {
        match r {
            RegionArg::Us => Region::Us,
            RegionArg::Eu => Region::Eu,
            RegionArg::Ca => Region::Ca,
            RegionArg::Nz => Region::Nz,
            RegionArg::Uk => Region::Uk,
        }
    }
}

/// Options shared by every command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The Onetime Secret server, e.g. https://secrets.example.com [env: OTS_SERVER]
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,

    /// Call a hosted Onetime Secret region directly [env: OTS_REGION]
    #[arg(long, global = true, value_name = "REGION", conflicts_with = "server")]
    pub region: Option<RegionArg>,

    /// Where the web app that opens shared links lives [env: OTS_APP_URL] [default: the
    /// server's URL; none for a region]
    #[arg(long, global = true, value_name = "URL")]
    pub app_url: Option<String>,

    /// Config file [env: OTS_CONFIG] [default: ~/.config/ots/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the result as one JSON object on standard output
    #[arg(long, global = true)]
    pub json: bool,

    /// Print nothing on standard error except errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encrypt a secret (text, a file or both), store it and print its link
    #[command(
        long_about = "Encrypt a secret (text, a file or both), store it and print its link.\n\n\
            The text is read whole from FILE or standard input, exactly as given (a trailing \
            newline is kept), and must be UTF-8. --file PATH sends a file instead (any bytes, \
            with its name and type), or as well when FILE is given too. It is encrypted here \
            with a fresh random key that only the printed link carries, and padded to a size \
            class, so the server stores ciphertext it cannot read; the web app and \
            `ots reveal` open the link. With --plain text is sent as is and the link is the \
            server's own /secret/<key> page; a file is then readable by the server.\n\n\
            The link goes to standard output. The receipt link, which shows the secret's state \
            and can burn it, goes to standard error; with --json both go to standard output.",
        after_help = SHARE_EXAMPLES
    )]
    Share(ShareArgs),

    /// Generate a password, share it like `ots share` and print its link
    #[command(
        long_about = "Generate a password, share it like `ots share` and print its link.\n\n\
            The password is made on this machine from the chosen character classes and is \
            encrypted like any shared secret. With --plain the server generates it \
            (POST /api/v1/generate). The link goes to standard output; the password and the \
            receipt link go to standard error (or all of them into --json)."
    )]
    Generate(GenerateArgs),

    /// Reveal a secret from its link and print it exactly (this destroys it on the server)
    #[command(
        long_about = "Reveal a secret from its link and print it exactly; this destroys it on \
            the server.\n\n\
            LINK is the web app's link (https://app/#/s/<key>/<decryption key>?…), a server's \
            /secret/<key> link, or a bare secret key (with --server). A link in the arguments \
            is visible to other local users while ots runs: pass - (or nothing) to read it \
            from standard input instead.\n\n\
            ots asks on the terminal before it reveals; --yes skips the question, and is \
            required when standard input is not a terminal. When the link says a passphrase \
            protects the secret, ots asks for it without echo (or reads --passphrase-file). \
            Text is written to standard output byte for byte, with nothing added. A file is \
            saved under its (sanitised) name in the current folder, or at -o PATH (a folder \
            or a file), readable only by you; ots never overwrites a file without --force \
            (the secret is then saved under a free name, and ots fails). -o - writes the \
            file to standard output (and the text, if any, to standard error).",
        after_help = "Examples:\n  ots reveal 'https://secrets.example.com/#/s/…'\n  \
            pbpaste | ots reveal --yes > secret.txt\n  \
            ots reveal -o ~/.ssh/ 'https://…'\n  \
            ots reveal -o - 'https://…' | gpg --import"
    )]
    Reveal(RevealArgs),

    /// Ask someone for a secret: print a request link whose answer only this device opens
    #[command(
        long_about = "Ask someone for a secret: print a request link whose answer only this device opens.\n\n\
            ots makes a key pair, keeps the private key in the config folder (requests/, mode \
            0600) until the request expires, and prints a link that carries only the public \
            key, the note and the expiry. Whoever has it runs `ots answer LINK` (or opens it in \
            the web app) and sends back an answer link, which `ots reveal` opens here and \
            nowhere else. Asking contacts no server.\n\n\
            Both sides are shown the same fingerprint: compare it with the person answering \
            over a channel you trust. The note is readable by anyone who has the link.",
        after_help = "Examples:\n  ots request --note 'VPN password for the Berlin office'\n  \
            ots request --list\n  ots request --forget H0T4-0K9A-Q89N"
    )]
    Request(RequestArgs),

    /// Answer a request link: seal a secret that only the asker can open, print the answer link
    #[command(
        long_about = "Answer a request link: seal a secret that only the asker can open, and \
            print the answer link to send back.\n\n\
            The secret comes from FILE, from standard input, or from a prompt that does not \
            show what you type. It is sealed to the key in the request link and stored on the \
            link's server with a passphrase that only the asker's device can derive: whoever \
            intercepts the answer link can neither read it nor use it up. Check the \
            fingerprint shown with the asker first.",
        after_help = "Examples:\n  ots answer 'https://secrets.example.com/#/q/…'\n  \
            ots answer 'https://secrets.example.com/#/q/…' key.txt"
    )]
    Answer(AnswerArgs),

    /// Show a secret's receipt: its state and how long it lives (does not reveal it)
    #[command(
        long_about = "Show a secret's receipt: its state (new, received, burned, expired) and \
            how long it lives. This never reveals or changes the secret.\n\n\
            LINK|KEY is the receipt link that `ots share` printed, a server's /receipt/<key> \
            link, or a bare receipt key (with --server). Pass - to read it from standard input."
    )]
    Receipt(ReceiptArgs),

    /// Destroy a secret before anyone reveals it, from its receipt link or key
    #[command(
        long_about = "Destroy a secret before anyone reveals it, from its receipt link or key.\n\n\
            LINK|KEY is the receipt link that `ots share` printed, a server's /receipt/<key> \
            link, or a bare receipt key (with --server). Pass - to read it from standard \
            input. A secret with a plain passphrase (--plain) needs it to be burned."
    )]
    Burn(BurnArgs),

    /// List the receipts of your account's last 30 days (needs an account)
    Recent,

    /// Check that the server answers, and that your account's credentials work
    Status,

    /// Save the server and an API token in the config file (mode 0600)
    #[command(
        long_about = "Save the server and an API token in the config file, readable only by you.\n\n\
            The token is asked for without echo, or read from standard input when it is not a \
            terminal (or taken from OTS_TOKEN). ots checks it with the server first."
    )]
    Login(LoginArgs),

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(
        after_help = "Examples:\n  ots completions bash > ~/.local/share/bash-completion/completions/ots\n  \
        ots completions zsh > \"${fpath[1]}/_ots\"\n  \
        ots completions fish > ~/.config/fish/completions/ots.fish"
    )]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

fn ttl(text: &str) -> Result<u64, String> {
    match parse_duration(text) {
        Some(0) => Err("a lifetime must be longer than 0s".to_owned()),
        Some(seconds) => Ok(seconds),
        None => Err(format!(
            "not a duration: {text:?} (try 90s, 5m, 1h, 1h30m, 7d, 1w)"
        )),
    }
}

/// Where a passphrase comes from.
#[derive(Debug, Clone, Args)]
pub struct PassphraseArgs {
    /// Read the passphrase from FILE (its content less one trailing newline)
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// Ask for a passphrase on the terminal, without echo
    #[arg(long, conflicts_with = "passphrase_file")]
    pub ask_passphrase: bool,
}

/// Options of the commands that create a secret.
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// Send the secret as is, unencrypted, and print the server's /secret/<key> link
    #[arg(long)]
    pub plain: bool,

    /// How long the secret lives, e.g. 5m, 1h, 7d, 1h30m [default: the server's, 7d]
    #[arg(long, value_name = "DURATION", value_parser = ttl)]
    pub ttl: Option<u64>,

    /// Protect the secret with a passphrase too. Encrypted (the default), the passphrase
    /// joins the link's key and the server only sees a value derived from it; with
    /// --plain the server checks it.
    #[command(flatten)]
    pub passphrase: PassphraseArgs,

    /// Email the link to this address (needs an account; repeatable)
    #[arg(long, value_name = "EMAIL")]
    pub recipient: Vec<String>,
}

/// `ots share`.
#[derive(Debug, Args)]
pub struct ShareArgs {
    /// File holding the secret text; standard input when absent or - (unless --file is
    /// given)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Send this file as a file: its exact bytes, its name and its type
    #[arg(long = "file", value_name = "PATH")]
    pub attach: Option<PathBuf>,

    /// How to create it.
    #[command(flatten)]
    pub create: CreateArgs,
}

/// `ots generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Length of the password [default: 12]
    #[arg(long, value_name = "N")]
    pub length: Option<u32>,

    /// Leave out upper-case letters
    #[arg(long)]
    pub no_uppercase: bool,

    /// Leave out lower-case letters
    #[arg(long)]
    pub no_lowercase: bool,

    /// Leave out digits
    #[arg(long)]
    pub no_numbers: bool,

    /// Leave out symbols
    #[arg(long)]
    pub no_symbols: bool,

    /// Allow look-alike characters (0 O 1 l I), left out by default
    #[arg(long)]
    pub include_ambiguous: bool,

    /// How to create it.
    #[command(flatten)]
    pub create: CreateArgs,
}

/// `ots reveal`.
#[derive(Debug, Args)]
pub struct RevealArgs {
    /// The link (or secret key); - or nothing reads it from standard input
    #[arg(value_name = "LINK")]
    pub link: Option<String>,

    /// Do not ask before revealing (required when standard input is not a terminal)
    #[arg(short, long)]
    pub yes: bool,

    /// Where to save a file: a folder, a file name, or - for standard output [default:
    /// its name in the current folder]
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,

    /// A passphrase, when the link does not say one is needed.
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
}

/// `ots request`.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// What you ask for, shown to whoever answers (anyone with the link can read it)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,

    /// How long the request stays open, e.g. 1h, 7d [default: 7d]
    #[arg(long, value_name = "DURATION", value_parser = ttl)]
    pub expires: Option<u64>,

    /// List this device's open requests instead
    #[arg(long, conflicts_with_all = ["note", "expires", "forget"])]
    pub list: bool,

    /// Forget an open request (by fingerprint): its answers can no longer be opened here
    #[arg(long, value_name = "FINGERPRINT", conflicts_with_all = ["note", "expires"])]
    pub forget: Option<String>,
}

/// `ots answer`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The request link
    #[arg(value_name = "LINK")]
    pub link: String,

    /// File holding the secret text; standard input (or a no-echo prompt on a terminal)
    /// when absent or - (unless --file is given)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Send this file as a file: its exact bytes, its name and its type
    #[arg(long = "file", value_name = "PATH")]
    pub attach: Option<PathBuf>,

    /// How long the answer lives [default: 7d, and never past the request's expiry]
    #[arg(long, value_name = "DURATION", value_parser = ttl)]
    pub ttl: Option<u64>,
}

/// `ots receipt`.
#[derive(Debug, Args)]
pub struct ReceiptArgs {
    /// The receipt link or key; - or nothing reads it from standard input
    #[arg(value_name = "LINK|KEY")]
    pub link: Option<String>,
}

/// `ots burn`.
#[derive(Debug, Args)]
pub struct BurnArgs {
    /// The receipt link or key; - or nothing reads it from standard input
    #[arg(value_name = "LINK|KEY")]
    pub link: Option<String>,

    /// The secret's passphrase, if it has a plain (--plain) one.
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
}

/// `ots login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Account email (or external id) [env: OTS_USER] [default: asked on the terminal]
    #[arg(long, value_name = "EMAIL")]
    pub user: Option<String>,

    /// Save without checking the credentials with the server
    #[arg(long)]
    pub no_verify: bool,
}

/// Options that would put a secret into the process's arguments, and why each is
/// refused. `ots` defines none of them; this gives a better answer than "unexpected
/// argument".
const REFUSED_OPTIONS: &[(&str, &str)] = &[
    (
        "--passphrase",
        "a passphrase in the arguments is visible to other users (ps, /proc) and stays in your shell history; use --passphrase-file FILE, or --ask-passphrase to type it without echo",
    ),
    (
        "--password",
        "a passphrase in the arguments is visible to other users (ps, /proc) and stays in your shell history; use --passphrase-file FILE, or --ask-passphrase to type it without echo",
    ),
    (
        "--secret",
        "a secret in the arguments is visible to other users (ps, /proc) and stays in your shell history; ots share reads it from a FILE or standard input, e.g. `ots share < file`",
    ),
    (
        "--token",
        "an API token in the arguments is visible to other users (ps, /proc) and stays in your shell history; set OTS_TOKEN, or run `ots login` to save it in the config file",
    ),
];

/// If `args` try to pass a secret as an option, the option and why it is refused.
pub fn refused_option<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Option<(String, &'static str)> {
    for arg in args.iter().skip(1) {
        let Some(arg) = arg.as_ref().to_str() else {
            continue;
        };
        if arg == "--" {
            return None;
        }
        for (name, why) in REFUSED_OPTIONS {
            let matches = arg == *name
                || arg
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('='));
            if matches {
                return Some(((*name).to_owned(), why));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_and_option_has_help() {
        let mut cmd = Cli::command();
        cmd.build();
        for sub in cmd.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no about", sub.get_name());
            for arg in sub.get_arguments() {
                assert!(
                    arg.get_help().is_some() || arg.is_hide_set(),
                    "{} {} has no help",
                    sub.get_name(),
                    arg.get_id()
                );
            }
        }
    }

    #[test]
    fn secret_options_are_refused_with_a_reason() {
        let refused = |args: &[&str]| refused_option(args).map(|(name, _)| name);
        assert_eq!(
            refused(&["ots", "share", "--passphrase", "x"]).as_deref(),
            Some("--passphrase")
        );
        assert_eq!(
            refused(&["ots", "reveal", "--passphrase=x", "L"]).as_deref(),
            Some("--passphrase")
        );
        assert_eq!(
            refused(&["ots", "--token=abc", "recent"]).as_deref(),
            Some("--token")
        );
        assert_eq!(refused(&["ots", "share", "--passphrase-file", "f"]), None);
        assert_eq!(refused(&["ots", "share", "--", "--passphrase"]), None);
        let (_, why) = refused_option(&["ots", "share", "--passphrase", "x"]).expect("refused");
        assert!(why.contains("--passphrase-file"));
    }

    #[test]
    fn durations_parse_with_the_core_rules() {
        assert_eq!(ttl("1h30m"), Ok(5400));
        assert_eq!(ttl("90"), Ok(90));
        assert!(ttl("0s").is_err());
        assert!(ttl("soon").is_err());
    }
}
