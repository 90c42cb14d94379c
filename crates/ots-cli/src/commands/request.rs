//! Asking for a secret (`docs/ENVELOPE.md`, "Requests"): `ots request` makes a key pair,
//! keeps the private key in this device's [`Store`] and prints the request link; `ots
//! answer LINK` seals a secret to the link's key and stores it through the ordinary v1
//! share, with the access value of the key agreement as its passphrase; `ots reveal`
//! hands answer links to [`reveal_answer`], which opens them only on the asking device.

use std::io::IsTerminal as _;

use ots_core::limits::format_duration;
use ots_core::link::{self, Route};
use ots_core::payload::Payload;
use ots_core::request::{
    self, AnswerLink, DEFAULT_LIFETIME, Fingerprint, RequestError, RequestLink, RequestSecret,
    SealedAnswer,
};
use ots_core::wire::{SecretOptions, ShareRequest};
use serde::Serialize;
use zeroize::{Zeroize as _, Zeroizing};

use crate::api::Client;
use crate::cli::{AnswerArgs, RequestArgs, RevealArgs};
use crate::commands::create::{LinkStyle, random, read_file};
use crate::commands::save::{Output, save};
use crate::commands::{Context, failure, now, write_json, write_stdout};
use crate::error::{CliError, Result};
use crate::input;
use crate::requests::{Store, Stored};

/// The longest an answer lives unless `--ttl` says otherwise: the hosted service's
/// anonymous maximum.
const ANSWER_TTL_MAX: u64 = 7 * 24 * 3600;

#[derive(Serialize)]
struct RequestJson<'a> {
    link: &'a str,
    fingerprint: String,
    expires: u64,
    note: Option<&'a str>,
}

/// `ots request`: a new request, or `--list`, or `--forget FINGERPRINT`.
pub fn request(ctx: &Context, args: &RequestArgs) -> Result<()> {
    let store = Store::beside(ctx.settings.config_path.as_deref())?;
    let now = now();
    if args.list {
        return list(ctx, &store, now);
    }
    if let Some(fp) = &args.forget {
        let fp: Fingerprint = fp.trim().parse().map_err(|_| {
            CliError::usage("not a fingerprint: give its 12 characters, e.g. H0T4-0K9A-Q89N")
        })?;
        return if store.forget(&fp)? {
            ctx.note(&format!(
                "Forgot request {fp}: its answers can no longer be opened here."
            ));
            Ok(())
        } else {
            Err(CliError::usage(format!(
                "no open request {fp} on this device"
            )))
        };
    }
    let note = args
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Some(note) = note
        && !request::note_is_valid(note)
    {
        return Err(CliError::usage(format!(
            "the note must be 1 to {} characters on one line, without control characters",
            request::NOTE_MAX_CHARS
        )));
    }
    let target = ctx.settings.require_target()?.clone();
    let LinkStyle::App { app_url, server } =
        LinkStyle::choose(&target, ctx.settings.app_url.as_deref(), true)?
    else {
        return Err(CliError::other("a request needs the web app's links"));
    };
    let lifetime = args.expires.unwrap_or(DEFAULT_LIFETIME);
    let secret = RequestSecret::from_bytes(random()?);
    let public_key = secret.public_key();
    let fp = public_key.fingerprint();
    let expires = now.saturating_add(lifetime);
    let url = Route::Request(RequestLink {
        public_key,
        note: note.map(str::to_owned),
        expires,
        server,
    })
    .to_url(&app_url);
    store.save(
        &fp,
        &Stored::new(&secret, url.clone(), note.map(str::to_owned), now, expires),
    )?;
    if ctx.json {
        return write_json(&RequestJson {
            link: &url,
            fingerprint: fp.to_string(),
            expires,
            note,
        });
    }
    write_stdout(format!("{url}\n").as_bytes())?;
    ctx.note(&format!(
        "Fingerprint: {fp} (the person answering sees it too: compare it with them)\n\
         Open for {}; the key that opens its answers stays on this device.{}",
        format_duration(lifetime),
        if note.is_some() {
            " Anyone with the link can read the note."
        } else {
            ""
        }
    ));
    Ok(())
}

fn list(ctx: &Context, store: &Store, now: u64) -> Result<()> {
    let open = store.list(now)?;
    if ctx.json {
        let items: Vec<RequestJson<'_>> = open
            .iter()
            .map(|(fp, s)| RequestJson {
                link: &s.link,
                fingerprint: fp.to_string(),
                expires: s.expires,
                note: s.note.as_deref(),
            })
            .collect();
        return write_json(&items);
    }
    if open.is_empty() {
        ctx.note("No open requests on this device.");
    }
    let mut out = String::new();
    for (fp, s) in &open {
        out.push_str(&format!(
            "{fp}  expires in {}  {}\n  {}\n",
            format_duration(s.expires.saturating_sub(now)),
            s.note.as_deref().unwrap_or("(no note)"),
            s.link
        ));
    }
    write_stdout(out.as_bytes())
}

/// Reads a request link, in plain words when it is something else.
fn parse_request(input: &str) -> Result<RequestLink> {
    match Route::parse(input) {
        Ok(Route::Request(link)) => Ok(link),
        Ok(_) | Err(link::LinkError::UnknownRoute) => Err(CliError::usage_hint(
            "not a request link",
            "give the link made by `ots request` or the app's \"Request a secret\" (…/#/q/…)",
        )),
        Err(_) => Err(CliError::damaged(
            "the request link is damaged: copy the whole link, up to its last character",
            None,
        )),
    }
}

#[derive(Serialize)]
struct AnswerJson<'a> {
    link: &'a str,
    receipt_link: &'a str,
    secret_key: &'a str,
    metadata_key: &'a str,
    ttl: u64,
    fingerprint: String,
}

/// `ots answer LINK [FILE]`.
pub fn answer(ctx: &Context, args: &AnswerArgs) -> Result<()> {
    let input = args.link.trim();
    let ask = parse_request(input)?;
    let now = now();
    if ask.expires <= now {
        return Err(CliError::usage_hint(
            "this request has expired",
            "ask the person who sent it for a new one",
        ));
    }
    let fp = ask.public_key.fingerprint();
    if !ctx.quiet {
        eprintln!(
            "Request {fp}, open for {}.",
            format_duration(ask.expires - now)
        );
        if let Some(note) = &ask.note {
            eprintln!("Note from the asker: {note}");
        }
        eprintln!("Check the fingerprint with the asker before you answer.");
    }
    let base = ctx.base_for(&ask.server, input)?;
    let app_url = match link::origin(input) {
        Some(_) => input.split('#').next().unwrap_or_default().to_owned(),
        None => ctx
            .settings
            .app_url
            .clone()
            .unwrap_or_else(|| format!("{base}/")),
    };
    let file = args.attach.as_deref().map(read_file).transpose()?;
    let text = if file.is_some() && args.file.is_none() {
        None
    } else {
        Some(input::read_secret_or_prompt(
            args.file.as_deref(),
            ctx.quiet,
        )?)
    };
    let payload =
        Payload::new(text, file).map_err(|e| CliError::usage(format!("cannot send this: {e}")))?;
    let limit = Client::new(&base, None)
        .published_limits()
        .map_or(10_000, |l| l.secret_max_bytes);
    if request::max_payload_len(limit).is_none_or(|max| payload.encode().len() > max) {
        return Err(CliError::usage(format!(
            "the secret is too long: sealed, it would not fit in the server's {limit} bytes"
        )));
    }
    let (ephemeral, keys) = request::answer_to(random()?, &ask.public_key)
        .map_err(|_| CliError::damaged("the request link's key is not usable", None))?;
    let sealed = Zeroizing::new(request::seal(&keys, &payload).to_string());
    let ttl = args
        .ttl
        .unwrap_or(ANSWER_TTL_MAX)
        .min(ask.expires - now)
        .max(60);
    let mut req = ShareRequest {
        secret: sealed.as_str().to_owned(),
        options: SecretOptions {
            passphrase: Some(keys.access().to_owned()),
            ttl: i64::try_from(ttl).ok(),
            ..SecretOptions::default()
        },
    };
    // Answering needs no account: no credentials go to the request's server.
    let result = Client::new(&base, None).share(&req);
    req.secret.zeroize();
    req.options.passphrase.zeroize();
    let receipt = result?.map_err(|f| failure(f, &base, "the server lost the new secret"))?;
    let secret_key = receipt.secret_key.clone().unwrap_or_default();
    let url = Route::Answer(AnswerLink {
        secret_key: secret_key.clone(),
        ephemeral,
        to: fp,
        server: ask.server.clone(),
    })
    .to_url(&app_url);
    // The receipt shows whether the asker has read it; it carries no access value, so
    // it cannot consume or burn the answer.
    let receipt_link = Route::Receipt(link::ReceiptLink {
        metadata_key: receipt.metadata_key.clone(),
        server: ask.server,
        access: None,
    })
    .to_url(&app_url);
    if ctx.json {
        return write_json(&AnswerJson {
            link: &url,
            receipt_link: &receipt_link,
            secret_key: &secret_key,
            metadata_key: &receipt.metadata_key,
            ttl: receipt.ttl,
            fingerprint: fp.to_string(),
        });
    }
    write_stdout(format!("{url}\n").as_bytes())?;
    ctx.note(&format!(
        "Send this answer link back to the asker: only the device that made request {fp} can open it.\n\
         Receipt (shows whether it was read): {receipt_link}\nExpires in {}.",
        format_duration(receipt.ttl)
    ));
    Ok(())
}

#[derive(Serialize)]
struct AnsweredJson<'a> {
    value: &'a str,
    secret_key: &'a str,
    fingerprint: String,
}

/// `ots reveal ANSWER-LINK`: opens an answer to one of this device's requests. On any
/// other device it says so and sends nothing to the server.
pub fn reveal_answer(
    ctx: &Context,
    args: &RevealArgs,
    answer: AnswerLink,
    input: &str,
) -> Result<()> {
    let store = Store::beside(ctx.settings.config_path.as_deref())?;
    let Some(secret) = store.find(&answer.to, now())?.and_then(|s| s.secret()) else {
        return Err(CliError::damaged(
            format!(
                "this answer can only be opened on the device that made request {}; nothing was sent to the server, and the answer is still there",
                answer.to
            ),
            Some("open it where the request was made (if that request expired or was forgotten here, ask again)".into()),
        ));
    };
    let keys = secret.answer_keys(&answer.ephemeral).map_err(|_| {
        CliError::damaged("the answer link's key is not usable: it is damaged", None)
    })?;
    let base = ctx.base_for(&answer.server, input)?;
    // Checked before the reveal, so that a refusal consumes nothing.
    let output = Output::new(args.output.as_deref(), args.force, ctx.json)?;
    if !args.yes
        && !input::confirm(&format!(
            "Reveal the answer from {base}? The server destroys it as it hands it over."
        ))?
    {
        return Err(CliError::other("not revealed: you declined"));
    }
    let revealed = Client::new(&base, None)
        .reveal(&answer.secret_key, Some(keys.access()))?
        .map_err(|f| {
            failure(
                f,
                &base,
                "unknown answer: it was already read, has expired, or never existed",
            )
        })?;
    let value = Zeroizing::new(revealed.value);
    let consumed = "the server has now destroyed it: ask for the secret again";
    let payload = value
        .parse::<SealedAnswer>()
        .and_then(|sealed| request::open(&keys, &sealed))
        .map_err(|e| match e {
            RequestError::Decrypt => CliError::damaged(
                "cannot decrypt the answer: it was altered, or sealed to another key",
                Some(consumed.into()),
            ),
            _ => CliError::damaged(
                "the answer is not a readable sealed answer",
                Some(consumed.into()),
            ),
        })?;
    // A file is saved as `ots reveal` saves one (never over another without --force).
    let refused = match payload.file() {
        Some(file) => save(ctx, &output, file)?.1,
        None => None,
    };
    let done = || refused.map_or(Ok(()), Err);
    let text = payload.text_part().unwrap_or_default();
    if ctx.json {
        write_json(&AnsweredJson {
            value: text,
            secret_key: &answer.secret_key,
            fingerprint: answer.to.to_string(),
        })?;
        return done();
    }
    if payload.file().is_some() && (text.is_empty() || output.is_stdout()) {
        // Standard output may hold the file's bytes: any text goes beside it.
        if !text.is_empty() {
            eprintln!("Text sent with the file:\n{text}");
        }
        return done();
    }
    write_stdout(text.as_bytes())?;
    if std::io::stdout().is_terminal() && !text.ends_with('\n') {
        eprintln!();
    }
    done()
}
