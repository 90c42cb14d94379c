//! `ots receipt`, `ots burn` and `ots recent`: the creator's side.

use ots_core::keys;
use ots_core::limits::format_duration;
use ots_core::link::{LinkError, ReceiptLink, Route, Server};
use ots_core::wire::{ApiErrorKind, Receipt, RecentItem};

use crate::api::Client;
use crate::cli::{BurnArgs, ReceiptArgs};
use crate::commands::{Context, ago, failure, link_argument, write_json, write_stdout};
use crate::error::{CliError, Result};
use crate::input::PassphraseSource;

const UNKNOWN_RECEIPT: &str = "unknown receipt: it never existed or has expired (a receipt lives twice as long as its secret)";

/// Reads a receipt link (the app's `#/r/<key>`, a server's `/receipt/<key>`) or a bare
/// receipt key: the key, the server named, if any, and the burn access value, if any.
pub fn parse_receipt_link(input: &str) -> Result<ReceiptLink> {
    let input = input.trim();
    if input.is_empty() {
        return Err(CliError::usage("no receipt link or key given"));
    }
    if keys::is_valid(input) {
        return Ok(ReceiptLink {
            metadata_key: input.to_owned(),
            server: Server::Origin,
            access: None,
        });
    }
    match Route::parse(input) {
        Ok(Route::Receipt(r)) => Ok(r),
        Ok(Route::Reveal(_)) => Err(CliError::usage_hint(
            "this is the link that reveals the secret, not its receipt",
            "give the receipt link that `ots share` printed on standard error (or its key)",
        )),
        Ok(_) => Err(CliError::damaged(
            "this link names no receipt: it may have been cut short",
            None,
        )),
        Err(LinkError::UnknownRoute) => Err(CliError::usage(
            "not a receipt link or key (a key has at least 20 letters, digits, - or _)",
        )),
        Err(_) => Err(CliError::damaged(
            "the receipt link is damaged: its key or a parameter is not valid",
            Some("copy the whole link, up to its last character".into()),
        )),
    }
}

/// The client for a receipt: credentials go only to the configured server.
fn client_for(ctx: &Context, server: &Server, input: &str) -> Result<Client> {
    let base = ctx.base_for(server, input)?;
    Ok(Client::new(&base, ctx.settings.credentials_for(&base)))
}

/// A receipt in lines of `label: value`.
fn describe(r: &Receipt) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        out.push_str(&format!("{label:<12}{value}\n"));
    };
    line("Receipt:", &r.metadata_key);
    line("State:", r.state.as_str());
    if let Some(key) = &r.secret_key {
        line("Secret key:", keys::shortkey(key));
    }
    if r.created > 0 {
        line("Created:", &ago(r.created));
    }
    if let Some(received) = r.received {
        line("Revealed:", &ago(received));
    }
    match r.secret_ttl {
        Some(ttl) if !r.state.is_final() => {
            line("Expires in:", &format_duration(ttl));
        }
        _ => {}
    }
    line(
        "Passphrase:",
        if r.passphrase_required { "yes" } else { "no" },
    );
    if !r.recipient.is_empty() {
        line("Sent to:", &r.recipient.join(", "));
    }
    if let Some(value) = &r.value {
        // A generated password is shown once, shortly after creation.
        line("Password:", value);
    }
    out
}

/// `ots receipt LINK|KEY`.
pub fn receipt(ctx: &Context, args: &ReceiptArgs) -> Result<()> {
    let input = link_argument(args.link.as_deref(), "receipt link or key")?;
    let ReceiptLink {
        metadata_key: key,
        server,
        ..
    } = parse_receipt_link(&input)?;
    let client = client_for(ctx, &server, &input)?;
    let receipt = client
        .receipt(&key)?
        .map_err(|f| failure(f, client.base(), UNKNOWN_RECEIPT))?;
    if ctx.json {
        return write_json(&receipt);
    }
    write_stdout(describe(&receipt).as_bytes())
}

/// `ots burn LINK|KEY`.
pub fn burn(ctx: &Context, args: &BurnArgs) -> Result<()> {
    let input = link_argument(args.link.as_deref(), "receipt link or key")?;
    let ReceiptLink {
        metadata_key: key,
        server,
        access,
    } = parse_receipt_link(&input)?;
    let client = client_for(ctx, &server, &input)?;
    let passphrase = match (
        &args.passphrase.passphrase_file,
        args.passphrase.ask_passphrase,
    ) {
        (Some(path), _) => Some(PassphraseSource::File(path).read("", false)?),
        (None, true) => Some(PassphraseSource::Prompt.read("Passphrase: ", false)?),
        // A secret whose passphrase protects the encryption: the link's derived value.
        (None, false) => access.map(zeroize::Zeroizing::new),
    };
    let burned = client
        .burn(&key, passphrase.as_deref().map(String::as_str))?
        .map_err(|f| {
            let wrong_pass = f.kind == ApiErrorKind::IncorrectPassphrase;
            let e = failure(
                f,
                client.base(),
                "unknown receipt, or its secret is already gone (revealed, burned or expired)",
            );
            match (wrong_pass, &passphrase) {
                (true, None) => e.with_hint(
                    "this secret has a passphrase: pass --ask-passphrase or --passphrase-file FILE",
                ),
                (true, Some(_)) => e.with_hint(
                    "a secret encrypted with a passphrase (not --plain) is burned with the receipt link that `ots share` printed (it carries a value derived from the passphrase and the link's key), without --ask-passphrase",
                ),
                _ => e,
            }
        })?;
    if ctx.json {
        return write_json(&burned);
    }
    let short = if burned.secret_shortkey.is_empty() {
        keys::shortkey(&key).to_owned()
    } else {
        burned.secret_shortkey.clone()
    };
    ctx.note(&format!(
        "Burned secret {short}…: nobody can reveal it now."
    ));
    Ok(())
}

/// `ots recent`.
pub fn recent(ctx: &Context) -> Result<()> {
    let target = ctx.settings.require_target()?;
    let Some(credentials) = ctx.settings.credentials_for(target.base()) else {
        return Err(CliError::usage_hint(
            "ots recent needs an account",
            "set OTS_USER and OTS_TOKEN, or run `ots login`",
        ));
    };
    let client = Client::new(target.base(), Some(credentials));
    let receipts = client
        .recent()?
        .map_err(|f| failure(f, client.base(), UNKNOWN_RECEIPT))?;
    if ctx.json {
        let items: Vec<RecentItem<'_>> = receipts.iter().map(RecentItem).collect();
        return write_json(&items);
    }
    if receipts.is_empty() {
        ctx.note("No receipts in the last 30 days.");
        return Ok(());
    }
    let mut out = String::new();
    for r in &receipts {
        let created = if r.created > 0 {
            ago(r.created)
        } else {
            "-".into()
        };
        // No passphrase column: v1 list items do not say (see `RecentItem`).
        out.push_str(&format!(
            "{}  {:<9} {}\n",
            r.metadata_key,
            r.state.as_str(),
            created
        ));
    }
    write_stdout(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{EXIT_DAMAGED, EXIT_USAGE};

    const KEY: &str = "ou88al7nsj14a2pancybh3w3378r0we476bl9wysaj2w55hleccvknxckr7bb3";

    #[test]
    fn reads_receipt_links_and_keys() {
        let bare = parse_receipt_link(KEY).expect("key");
        assert_eq!(
            (bare.metadata_key.as_str(), bare.server),
            (KEY, Server::Origin)
        );
        let link =
            parse_receipt_link(&format!("http://127.0.0.1:9/receipt/{KEY}")).expect("server link");
        assert_eq!(link.metadata_key, KEY);
        assert_eq!(link.server, Server::Custom("http://127.0.0.1:9".into()));
        let access = "A".repeat(43);
        let link = parse_receipt_link(&format!("https://app.example/#/r/{KEY}?r=eu&b={access}"))
            .expect("app link");
        assert_eq!(link.server, Server::Region(ots_core::link::Region::Eu));
        assert_eq!(link.access, Some(access));
    }

    #[test]
    fn refuses_reveal_links_and_damage() {
        let code = |s: &str| parse_receipt_link(s).map(|_| ()).map_err(|e| e.exit_code());
        assert_eq!(
            code(&format!("https://app.example/#/s/{KEY}")),
            Err(EXIT_USAGE)
        );
        assert_eq!(
            code(&format!("https://app.example/#/r/{}", &KEY[..10])),
            Err(EXIT_DAMAGED)
        );
        assert_eq!(code("short"), Err(EXIT_USAGE));
    }

    #[test]
    fn receipts_read_well() {
        let text = describe(&Receipt {
            metadata_key: "m".repeat(30),
            secret_key: Some(KEY.into()),
            secret_ttl: Some(3600),
            passphrase_required: true,
            ..Receipt::default()
        });
        assert!(text.contains("State:      new"), "{text}");
        assert!(text.contains("Expires in: 1h"), "{text}");
        assert!(text.contains("Passphrase: yes"), "{text}");
        assert!(
            !text.contains(&KEY[10..]),
            "the secret key is shortened: {text}"
        );
    }
}
