//! `ots reveal LINK`: ask, reveal (which destroys the secret on the server), open the
//! envelope with the link's key when there is one, print exactly the text and save the
//! file ([`crate::commands::save`]).

use std::io::IsTerminal as _;

use ots_core::envelope::{
    self, DerivedPassphrase, Envelope, EnvelopeError, Version, derive_passphrase,
};
use ots_core::keys;
use ots_core::link::{LinkError, PassphraseHint, RevealLink, Route, Server};
use ots_core::payload::{self, Payload};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::api::Client;
use crate::cli::RevealArgs;
use crate::commands::save::{Output, save};
use crate::commands::{Context, failure, link_argument, write_json, write_stdout};
use crate::error::{CliError, Result};
use crate::input::{self, PassphraseSource};

/// What the consumed secret means for every error after the reveal.
const CONSUMED: &str = "the server has now destroyed the secret: ask the sender for a new one";

/// Reads a reveal link: the app's, a server's `/secret/<key>`, or a bare key.
pub fn parse_reveal_link(input: &str) -> Result<RevealLink> {
    let input = input.trim();
    if input.is_empty() {
        return Err(CliError::usage("no link given"));
    }
    if keys::is_valid(input) {
        return Ok(RevealLink {
            secret_key: input.to_owned(),
            key: None,
            server: Server::Origin,
            passphrase: PassphraseHint::None,
            version: Version::V1,
        });
    }
    match Route::parse(input) {
        Ok(Route::Reveal(link)) => Ok(link),
        Ok(Route::Receipt(_)) => Err(CliError::usage_hint(
            "this is a receipt link, which shows and burns a secret but does not reveal it",
            "use `ots receipt` or `ots burn` with it; to reveal, you need the link the secret was shared with",
        )),
        Ok(_) => Err(CliError::damaged(
            "this link names no secret: it may have been cut short",
            Some("copy the whole link, up to its last character".into()),
        )),
        Err(LinkError::BadKey) => Err(CliError::damaged(
            "the link is damaged: its decryption key is not 43 base64url characters",
            Some("copy the whole link, up to its last character".into()),
        )),
        Err(LinkError::UnknownRoute) => Err(CliError::usage_hint(
            format!("not a secret link: {}", short(input)),
            "give the link (https://…/#/s/… or https://…/secret/…) or a secret key",
        )),
        Err(_) => Err(CliError::damaged(
            "the link is damaged: a key or parameter in it is not valid",
            Some("copy the whole link, up to its last character".into()),
        )),
    }
}

/// The version tag of an envelope that is not `ots1` (`ots2.…` gives `"ots2"`).
// TODO(move to ots-core): envelope versioning belongs beside `Envelope::detect`.
fn other_envelope_version(text: &str) -> Option<&str> {
    let (tag, _) = text.trim_ascii_start().split_once('.')?;
    let digits = tag.strip_prefix("ots")?;
    let numbered = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    (numbered && tag != "ots1").then_some(tag)
}

/// The start of a text, for messages (never a whole link: it may hold a key).
fn short(text: &str) -> String {
    let mut s: String = text.chars().take(24).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    format!("{s:?}")
}

#[derive(Serialize)]
struct RevealedJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    secret_key: &'a str,
    encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<SavedJson<'a>>,
}

#[derive(Serialize)]
struct SavedJson<'a> {
    name: &'a str,
    media_type: &'a str,
    size: usize,
    path: String,
}

/// What the reveal gave: the bytes of an `ots1` or unencrypted text secret, or an
/// `ots2` (or unencrypted `ots2-plain.`) payload.
enum Revealed {
    Bytes(Zeroizing<Vec<u8>>),
    Payload(Payload),
}

/// `ots reveal [LINK]`.
pub fn reveal(ctx: &Context, args: &RevealArgs) -> Result<()> {
    let input = link_argument(args.link.as_deref(), "link")?;
    if let Ok(Route::Answer(answer)) = Route::parse(&input) {
        return super::request::reveal_answer(ctx, args, answer, &input);
    }
    let link = parse_reveal_link(&input)?;
    let base = ctx.base_for(&link.server, &input)?;
    if let (PassphraseHint::Kdf(_), None) = (&link.passphrase, &link.key) {
        return Err(CliError::damaged(
            "the link says a passphrase encrypts the secret but carries no decryption key",
            Some("copy the whole link, up to its last character".into()),
        ));
    }
    if let (Version::V2, None) = (link.version, &link.key) {
        return Err(CliError::damaged(
            "the link says the secret is encrypted (v=2) but carries no decryption key, without which it cannot even be revealed",
            Some("copy the whole link, up to its last character".into()),
        ));
    }
    // Checked before the reveal, so that a refusal consumes nothing.
    let output = Output::new(args.output.as_deref(), args.force, ctx.json)?;
    let source = match (
        &args.passphrase.passphrase_file,
        args.passphrase.ask_passphrase,
    ) {
        (Some(path), _) => Some(PassphraseSource::File(path)),
        (None, true) => Some(PassphraseSource::Prompt),
        (None, false) if link.passphrase != PassphraseHint::None => Some(PassphraseSource::Prompt),
        (None, false) => None,
    };
    if !args.yes
        && !input::confirm(&format!(
            "Reveal the secret from {base}? The server destroys it as it hands it over."
        ))?
    {
        return Err(CliError::other("not revealed: you declined"));
    }
    let passphrase = source
        .map(|s| s.read("Passphrase: ", false))
        .transpose()
        .map_err(|e| {
            if matches!(source, Some(PassphraseSource::Prompt)) && args.passphrase.passphrase_file.is_none() && !args.passphrase.ask_passphrase {
                e.with_hint("the link says this secret needs a passphrase: pass --passphrase-file FILE in scripts")
            } else {
                e
            }
        })?;
    // The encryption passphrase becomes the `access` value the server checks.
    let derived: Option<DerivedPassphrase> = match (&link.passphrase, &link.key, &passphrase) {
        (PassphraseHint::Kdf(params), Some(fk), Some(pass)) => {
            Some(derive_passphrase(pass, fk, params).map_err(|e| {
                CliError::other(format!("cannot derive the key from the passphrase: {e}"))
            })?)
        }
        _ => None,
    };
    // ots2 always gates with the access value derived from the key (and passphrase).
    let access2 = match (link.version, &link.key) {
        (Version::V2, Some(fk)) => Some(envelope::ots2_access(fk, derived.as_ref())),
        _ => None,
    };
    let api_passphrase = match (&access2, &derived, &passphrase) {
        (Some(a), _, _) => Some(a.as_str()),
        (None, Some(d), _) => Some(d.access()),
        (None, None, Some(p)) => Some(p.as_str()),
        (None, None, None) => None,
    };
    // Revealing never needs an account, so no credentials go to the link's server.
    let client = Client::new(&base, None);
    let answer = client.reveal(&link.secret_key, api_passphrase)?.map_err(|f| {
        let e = failure(
            f,
            &base,
            "unknown secret: it never existed, was already revealed or burned, has expired, or the passphrase is wrong",
        );
        if passphrase.is_none() {
            e.with_hint("if the sender set a passphrase, try again with --ask-passphrase (a wrong passphrase does not destroy the secret)")
        } else {
            e
        }
    })?;
    let value = Zeroizing::new(answer.value);
    let (revealed, encrypted) = match &link.key {
        Some(fk) if Envelope::detect(&value) => {
            let sealed: Envelope = value.parse().map_err(|_| {
                CliError::damaged(
                    "the secret is not a readable envelope: it was damaged, or made by an incompatible client",
                    Some(CONSUMED.into()),
                )
            })?;
            let pass = match (sealed.kdf(), &derived, &passphrase) {
                (None, _, _) => Ok(None),
                (Some(params), Some(d), _) if *d.params() == params => Ok(Some(d.clone())),
                (Some(params), _, Some(pass)) => derive_passphrase(pass, fk, &params).map(Some),
                (Some(_), _, None) => Err(EnvelopeError::PassphraseRequired),
            };
            let opened = pass.and_then(|pass| match sealed.version() {
                Version::V1 => envelope::open(&sealed, fk, pass.as_ref()).map(Revealed::Bytes),
                Version::V2 => payload::open(&sealed, fk, pass.as_ref()).map(Revealed::Payload),
            });
            let revealed = opened.map_err(|e| match e {
                EnvelopeError::PassphraseRequired => CliError::damaged(
                    "the secret is encrypted with a passphrase, but the link did not say so and none was given",
                    Some(CONSUMED.into()),
                ),
                EnvelopeError::Malformed => CliError::damaged(
                    "the secret decrypted, but what it holds is not readable: it was made by an incompatible client",
                    Some(CONSUMED.into()),
                ),
                _ => CliError::damaged(
                    "cannot decrypt the secret: the link's decryption key (or the passphrase) does not match",
                    Some(format!("{CONSUMED}; check that the link was copied whole")),
                ),
            })?;
            (revealed, true)
        }
        Some(_) if let Some(version) = other_envelope_version(&value) => {
            return Err(CliError::damaged(
                format!("the secret is in an envelope format this ots cannot open ({version})"),
                Some(format!("{CONSUMED}; a newer ots may know the format")),
            ));
        }
        _ if let Some(p) = payload::from_plain(&value) => (Revealed::Payload(p), false),
        Some(_) => {
            ctx.note("note: the link carries a decryption key but the secret was not encrypted; printed as stored");
            (
                Revealed::Bytes(Zeroizing::new(value.as_bytes().to_vec())),
                false,
            )
        }
        None => {
            if Envelope::detect(&value) {
                // Print it anyway: it is the only copy there will ever be.
                write_stdout(value.as_bytes())?;
                return Err(CliError::damaged(
                    "the secret is encrypted but the link carries no decryption key; printed above as stored",
                    Some("the key is the part after the secret key in the app's link: /#/s/<secret key>/<decryption key>".into()),
                ));
            }
            (
                Revealed::Bytes(Zeroizing::new(value.as_bytes().to_vec())),
                false,
            )
        }
    };
    let (text, file): (Option<&[u8]>, _) = match &revealed {
        Revealed::Bytes(bytes) => (Some(bytes), None),
        Revealed::Payload(p) => (p.text_part().map(str::as_bytes), p.file()),
    };
    // The file first: it is the part that can fail (an existing file, a full disk).
    let saved = file.map(|f| save(ctx, &output, f)).transpose()?;
    let (saved, refused) = saved.map_or((None, None), |(path, refused)| (Some(path), refused));
    let done = || refused.map_or(Ok(()), Err);
    if ctx.json {
        let value = text
            .map(|t| {
                std::str::from_utf8(t).map_err(|_| {
                    CliError::other(
                        "the secret is not UTF-8 text, so it cannot go into JSON: run without --json",
                    )
                })
            })
            .transpose()?;
        write_json(&RevealedJson {
            value,
            secret_key: &link.secret_key,
            encrypted,
            file: file.zip(saved).map(|(f, path)| SavedJson {
                name: f.name(),
                media_type: f.media_type(),
                size: f.bytes().len(),
                path: path.display().to_string(),
            }),
        })?;
        return done();
    }
    let Some(text) = text else { return done() };
    if file.is_some() && output.is_stdout() {
        // Standard output holds the file's bytes; the text goes beside it.
        eprintln!("Text sent with the file:");
        std::io::Write::write_all(&mut std::io::stderr(), text)
            .map_err(|e| CliError::other(format!("cannot write to standard error: {e}")))?;
        eprintln!();
        return done();
    }
    write_stdout(text)?;
    // On a terminal, end the line for the prompt's sake, on standard error so that the
    // output stays exactly the secret.
    if std::io::stdout().is_terminal() && !text.ends_with(b"\n") {
        eprintln!();
    }
    done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{EXIT_DAMAGED, EXIT_USAGE};

    const KEY: &str = "ou88al7nsj14a2pancybh3w3378r0we476bl9wysaj2w55hleccvknxckr7bb3";
    const FK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    #[test]
    fn reads_app_links_server_links_and_keys() {
        let app = parse_reveal_link(&format!("http://127.0.0.1:8080/#/s/{KEY}/{FK}?p=64.1.1"))
            .expect("app link");
        assert!(app.key.is_some());
        assert!(matches!(app.passphrase, PassphraseHint::Kdf(_)));
        let server = parse_reveal_link(&format!("https://eu.onetimesecret.com/secret/{KEY}"))
            .expect("server link");
        assert_eq!(server.key, None);
        let bare = parse_reveal_link(KEY).expect("bare key");
        assert_eq!(bare.server, Server::Origin);
    }

    #[test]
    fn damaged_links_and_wrong_links_have_their_codes() {
        let cut = format!("http://127.0.0.1:8080/#/s/{KEY}/{}", &FK[..40]);
        assert_eq!(
            parse_reveal_link(&cut)
                .map(|_| ())
                .map_err(|e| e.exit_code()),
            Err(EXIT_DAMAGED)
        );
        let receipt = format!("http://127.0.0.1:8080/#/r/{KEY}");
        assert_eq!(
            parse_reveal_link(&receipt)
                .map(|_| ())
                .map_err(|e| e.exit_code()),
            Err(EXIT_USAGE)
        );
        assert_eq!(
            parse_reveal_link("hello")
                .map(|_| ())
                .map_err(|e| e.exit_code()),
            Err(EXIT_USAGE)
        );
        assert_eq!(
            parse_reveal_link("http://127.0.0.1:8080/")
                .map(|_| ())
                .map_err(|e| e.exit_code()),
            Err(EXIT_DAMAGED)
        );
    }

    #[test]
    fn other_envelope_versions_are_recognized() {
        assert_eq!(other_envelope_version("ots2.abc"), Some("ots2"));
        assert_eq!(other_envelope_version("  ots10.abc"), Some("ots10"));
        assert_eq!(other_envelope_version("ots1.abc"), None);
        assert_eq!(other_envelope_version("otsx.abc"), None);
        assert_eq!(other_envelope_version("hello. world"), None);
    }

    #[test]
    fn messages_never_quote_a_whole_link() {
        let text = format!("#/x/{KEY}/{FK}");
        assert!(!short(&text).contains(FK));
    }
}
