//! `ots share` and `ots generate`: make a secret, store it and print its links.
//!
//! Encrypted (the default), exactly as the app does it: a fresh random
//! [`FragmentKey`] and nonce seal the text, the file or both into an `ots2.` envelope,
//! which is what the server stores; the server's passphrase is always the access value
//! derived from the key ([`envelope::ots2_access`]), and from a passphrase stretched with
//! [`derive_passphrase`] when there is one; the link carries the key (and `p=<params>`,
//! `v=2`). With `--plain`, text and passphrase go to the server as they are, and a file
//! as the `ots2-plain.` encoding.

use std::path::Path;

use ots_core::envelope::{self, FragmentKey, KdfParams, Version, derive_passphrase};
use ots_core::limits::{Limits, format_duration};
use ots_core::link::{self, PassphraseHint, ReceiptLink, RevealLink, Route, Server};
use ots_core::password::{self, CharSets};
use ots_core::payload::{self, File, Payload};
use ots_core::wire::{ApiErrorKind, GenerateRequest, Receipt, SecretOptions, ShareRequest};
use serde::Serialize;
use zeroize::{Zeroize as _, Zeroizing};

use crate::api::Client;
use crate::cli::{CreateArgs, GenerateArgs, ShareArgs};
use crate::commands::{Context, failure, write_json, write_stdout};
use crate::config::Target;
use crate::error::{CliError, Result};
use crate::input::{self, PassphraseSource};

/// How the printed links are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkStyle {
    /// The web app's links: `<app_url>#/s/<key>[/<fk>]?…`, naming `server`.
    App {
        /// The app's URL.
        app_url: String,
        /// The server as the link names it ([`Server::Origin`] when the app is served by
        /// the server itself).
        server: Server,
    },
    /// The server's own pages: `<base>/secret/<key>` and the receipt's `metadata_url`.
    ServerPages {
        /// The server's base URL.
        base: String,
    },
}

impl LinkStyle {
    /// Chooses the links for a secret on `target`.
    ///
    /// Encrypted secrets need the app, at `app_url` or else at the server's own URL; a
    /// hosted region has no app, so there `--app-url` is required. Plain secrets get the
    /// app's links only when an app URL was given, else the server's pages.
    pub(crate) fn choose(target: &Target, app_url: Option<&str>, encrypted: bool) -> Result<Self> {
        let base = target.base();
        let app_url = match (app_url, encrypted) {
            (Some(url), _) => url.to_owned(),
            (None, true) if !target.is_region() => format!("{base}/"),
            (None, true) => {
                return Err(CliError::usage_hint(
                    "an encrypted secret on a hosted region needs the web app's URL: the hosted site cannot decrypt it",
                    "pass --app-url URL (or set OTS_APP_URL or app_url in the config file), or use --plain for a link the hosted site opens",
                ));
            }
            (None, false) => {
                return Ok(Self::ServerPages {
                    base: base.to_owned(),
                });
            }
        };
        let server = match &target.server {
            Server::Custom(custom) if link::origin(&app_url).as_deref() == Some(custom) => {
                Server::Origin
            }
            other => other.clone(),
        };
        Ok(Self::App { app_url, server })
    }

    /// The recipient's link.
    fn reveal(
        &self,
        secret_key: &str,
        key: Option<FragmentKey>,
        passphrase: PassphraseHint,
    ) -> Zeroizing<String> {
        // Every encrypted secret is ots2 now; the link says so, for the access value.
        let version = if key.is_some() {
            Version::V2
        } else {
            Version::V1
        };
        Zeroizing::new(match self {
            Self::App { app_url, server } => Route::Reveal(RevealLink {
                secret_key: secret_key.to_owned(),
                key,
                server: server.clone(),
                passphrase,
                version,
            })
            .to_url(app_url),
            Self::ServerPages { base } => link::server_secret_url(base, secret_key),
        })
    }

    /// The creator's receipt link; `access` is the derived value that burning a secret
    /// needs when its passphrase also protects the encryption (a server's own receipt
    /// page cannot carry it).
    fn receipt(&self, receipt: &Receipt, access: Option<String>) -> String {
        match self {
            Self::App { app_url, server } => Route::Receipt(ReceiptLink {
                metadata_key: receipt.metadata_key.clone(),
                server: server.clone(),
                access,
            })
            .to_url(app_url),
            Self::ServerPages { base } => {
                if receipt.metadata_url.starts_with("http") {
                    receipt.metadata_url.clone()
                } else {
                    format!("{base}/receipt/{}", receipt.metadata_key)
                }
            }
        }
    }
}

/// What a create printed, for `--json`.
#[derive(Serialize)]
struct CreatedJson<'a> {
    link: &'a str,
    receipt_link: &'a str,
    secret_key: &'a str,
    metadata_key: &'a str,
    ttl: u64,
    encrypted: bool,
    passphrase: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
}

/// Random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::other(format!("no randomness from the operating system: {e}")))?;
    Ok(bytes)
}

/// Everything a create needs before it reads the secret.
struct Plan {
    target: Target,
    client: Client,
    links: LinkStyle,
    limits: Option<Limits>,
}

impl Plan {
    /// Resolves the server and links and checks `--ttl`, so that mistakes show before
    /// the user types a secret.
    fn new(ctx: &Context, args: &CreateArgs) -> Result<Self> {
        let target = ctx.settings.require_target()?.clone();
        let links = LinkStyle::choose(&target, ctx.settings.app_url.as_deref(), !args.plain)?;
        let client = Client::new(target.base(), ctx.settings.credentials_for(target.base()));
        if !args.recipient.is_empty() && !client.is_authenticated() {
            return Err(CliError::usage_hint(
                "--recipient needs an account",
                "set OTS_USER and OTS_TOKEN, or run `ots login`",
            ));
        }
        let mut plan = Self {
            target,
            client,
            links,
            limits: None,
        };
        if let Some(ttl) = args.ttl {
            plan.check_ttl(ttl)?;
        }
        Ok(plan)
    }

    /// Checks a TTL against the server's limits: those an ots-server publishes, or the
    /// hosted service's defaults for a region. Other servers clamp silently, which
    /// [`warn_if_clamped`] reports afterwards.
    fn check_ttl(&mut self, ttl: u64) -> Result<()> {
        let limits = if self.target.is_region() {
            Some(Limits::default())
        } else {
            self.client.published_limits()
        };
        let Some(limits) = limits else { return Ok(()) };
        let account = self.client.is_authenticated();
        let max = limits.ttl_max(account);
        let who = if account {
            "with an account"
        } else {
            "for anonymous secrets"
        };
        if ttl < limits.ttl_min {
            return Err(CliError::usage(format!(
                "--ttl {} is shorter than {} allows (at least {})",
                format_duration(ttl),
                self.target.base(),
                format_duration(limits.ttl_min)
            )));
        }
        if ttl > max {
            return Err(CliError::usage(format!(
                "--ttl {} is longer than {} allows (at most {} {who})",
                format_duration(ttl),
                self.target.base(),
                format_duration(max)
            )));
        }
        self.limits = Some(limits);
        Ok(())
    }

    /// The server's secret size limit, if known before sending: what an ots-server
    /// publishes, or the hosted service's for a region.
    fn secret_max_bytes(&self) -> Option<usize> {
        if let Some(limits) = &self.limits {
            return Some(limits.secret_max_bytes);
        }
        if self.target.is_region() {
            return Some(Limits::default().secret_max_bytes);
        }
        self.client.published_limits().map(|l| l.secret_max_bytes)
    }

    /// Refuses, before any request, a secret of `len` bytes (as sent) that the server's
    /// limit cannot hold; `fits` says how much would.
    fn check_size(&self, len: usize, fits: impl Fn(usize) -> String) -> Result<()> {
        match self.secret_max_bytes() {
            Some(limit) if len > limit => Err(CliError::usage_hint(
                format!(
                    "too large for {}: {len} bytes to send, {} over its limit of {limit} bytes",
                    self.target.base(),
                    len - limit
                ),
                fits(limit),
            )),
            _ => Ok(()),
        }
    }

    /// Reads the passphrase, if asked for, and checks its length.
    fn passphrase(&self, args: &CreateArgs) -> Result<Option<Zeroizing<String>>> {
        let source = match (
            &args.passphrase.passphrase_file,
            args.passphrase.ask_passphrase,
        ) {
            (Some(path), _) => PassphraseSource::File(path),
            (None, true) => PassphraseSource::Prompt,
            (None, false) => return Ok(None),
        };
        let pass = source.read("Passphrase for the secret: ", true)?;
        let limits = self.limits.clone().unwrap_or_default();
        limits
            .check_passphrase(&pass)
            .map_err(|e| CliError::usage(format!("the {e}")))?;
        Ok(Some(pass))
    }
}

/// The new secret's options, from the command line.
fn options(args: &CreateArgs, passphrase: Option<&str>) -> SecretOptions {
    SecretOptions {
        passphrase: passphrase.map(str::to_owned),
        ttl: args.ttl.and_then(|t| i64::try_from(t).ok()),
        recipient: args.recipient.clone(),
        share_domain: None,
        locale: None,
    }
}

/// Tells the user when the server gave another lifetime than asked for.
fn warn_if_clamped(ctx: &Context, asked: Option<u64>, receipt: &Receipt) {
    if let Some(asked) = asked
        && receipt.ttl != 0
        && receipt.ttl != asked
    {
        ctx.note(&format!(
            "note: the server set the lifetime to {} (you asked for {})",
            format_duration(receipt.ttl),
            format_duration(asked)
        ));
    }
}

/// A create's result, printed by [`print_created`].
struct Created {
    link: Zeroizing<String>,
    receipt_link: String,
    receipt: Receipt,
    encrypted: bool,
    passphrase: bool,
    /// The generated password.
    value: Option<Zeroizing<String>>,
    /// The shared file's (sanitised) name.
    file: Option<String>,
}

impl Created {
    /// A secret the server stored as it was sent (`--plain`).
    fn plain(
        plan: &Plan,
        receipt: Receipt,
        passphrase: bool,
        value: Option<Zeroizing<String>>,
    ) -> Self {
        let hint = if passphrase {
            PassphraseHint::Gate
        } else {
            PassphraseHint::None
        };
        let secret_key = receipt.secret_key.clone().unwrap_or_default();
        Self {
            link: plan.links.reveal(&secret_key, None, hint),
            receipt_link: plan.links.receipt(&receipt, None),
            receipt,
            encrypted: false,
            passphrase,
            value,
            file: None,
        }
    }
}

fn print_created(ctx: &Context, created: &Created) -> Result<()> {
    let secret_key = created.receipt.secret_key.as_deref().unwrap_or_default();
    if ctx.json {
        return write_json(&CreatedJson {
            link: &created.link,
            receipt_link: &created.receipt_link,
            secret_key,
            metadata_key: &created.receipt.metadata_key,
            ttl: created.receipt.ttl,
            encrypted: created.encrypted,
            passphrase: created.passphrase,
            value: created.value.as_deref().map(String::as_str),
            file: created.file.as_deref(),
        });
    }
    let mut line = Zeroizing::new(created.link.as_str().to_owned());
    line.push('\n');
    write_stdout(line.as_bytes())?;
    if let Some(value) = &created.value {
        // The creator needs the password; it is not part of the link's output.
        eprintln!("Password: {}", value.as_str());
    }
    let mut facts = vec![format!(
        "expires in {}",
        format_duration(created.receipt.ttl)
    )];
    if let Some(name) = &created.file {
        facts.push(format!("holds the file {name:?}"));
    }
    if created.passphrase {
        facts.push("needs the passphrase".to_owned());
    }
    facts.push(if created.encrypted {
        "encrypted here, the server never sees the key".to_owned()
    } else {
        "stored unencrypted (--plain)".to_owned()
    });
    ctx.note(&format!(
        "Receipt (private, it can burn the secret): {}\nOne view only; {}.",
        created.receipt_link,
        facts.join("; ")
    ));
    Ok(())
}

/// How much of a secret fits in `limit` bytes, for messages.
fn fits_hint(limit: usize, kdf: Option<&KdfParams>) -> String {
    match payload::max_payload_len(limit, kdf) {
        Some(n) => format!(
            "encryption pads a secret and makes it about a third longer: up to {} bytes of text, or a file of up to {} bytes less the length of its name and type, fit in {limit} bytes",
            n - 5,
            n - 7
        ),
        None => format!("not even a short encrypted secret fits in {limit} bytes"),
    }
}

/// Seals `payload` like the app, posts the envelope and makes its links: the one
/// encrypted path of share and generate.
fn share_encrypted(
    ctx: &Context,
    plan: &Plan,
    args: &CreateArgs,
    payload: &Payload,
    passphrase: Option<&str>,
) -> Result<Created> {
    let fk = FragmentKey::from_bytes(random::<{ envelope::KEY_LEN }>()?);
    let nonce = random::<{ envelope::NONCE_LEN }>()?;
    let derived = passphrase
        .map(|p| derive_passphrase(p, &fk, &KdfParams::default()))
        .transpose()
        .map_err(|e| CliError::other(format!("cannot derive a key from the passphrase: {e}")))?;
    let kdf = derived.as_ref().map(|d| *d.params());
    let sealed = Zeroizing::new(payload::seal(&fk, nonce, payload, derived.as_ref()).to_string());
    plan.check_size(sealed.len(), |limit| fits_hint(limit, kdf.as_ref()))?;
    // The server's gate: derived from the key (and passphrase), so that a link without
    // its fragment can neither reveal nor burn the secret.
    let access = envelope::ots2_access(&fk, derived.as_ref());
    let mut req = ShareRequest {
        secret: sealed.as_str().to_owned(),
        options: options(args, Some(access.as_str())),
    };
    let answer = plan.client.share(&req);
    req.secret.zeroize();
    req.options.passphrase.zeroize();
    let receipt = answer?.map_err(|f| {
        let too_long = f.kind == ApiErrorKind::SecretTooLong;
        let e = failure(f, plan.target.base(), "the server lost the new secret");
        if too_long {
            let limit = plan.limits.as_ref().map_or(10_000, |l| l.secret_max_bytes);
            e.with_hint(fits_hint(limit, kdf.as_ref()))
        } else {
            e
        }
    })?;
    warn_if_clamped(ctx, args.ttl, &receipt);
    let hint = derived
        .as_ref()
        .map_or(PassphraseHint::None, |d| PassphraseHint::Kdf(*d.params()));
    let secret_key = receipt.secret_key.clone().unwrap_or_default();
    // Burning needs the derived access value: the receipt link keeps it (`b=`).
    Ok(Created {
        link: plan.links.reveal(&secret_key, Some(fk), hint),
        receipt_link: plan.links.receipt(&receipt, Some(access.to_string())),
        receipt,
        encrypted: true,
        passphrase: passphrase.is_some(),
        value: None,
        file: payload.file().map(|f| f.name().to_owned()),
    })
}

/// Reads `--file PATH`: its bytes, under its sanitised name, with a media type guessed
/// from the name.
pub(crate) fn read_file(path: &Path) -> Result<File> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(File::new(&name, "", bytes))
}

/// What `ots share` sends: the text (from FILE or standard input, unless only `--file`
/// is given) and the file.
fn read_payload(ctx: &Context, args: &ShareArgs) -> Result<Payload> {
    let file = args.attach.as_deref().map(read_file).transpose()?;
    let text = if file.is_some() && args.file.is_none() {
        None
    } else {
        Some(
            input::read_secret(args.file.as_deref(), ctx.quiet).map_err(|e| {
                if args.file.as_ref().is_some_and(|f| !f.exists()) {
                    e.with_hint(
                        "ots share reads the secret from FILE or standard input, never from an argument; a file to send as a file is --file PATH",
                    )
                } else {
                    e
                }
            })?,
        )
    };
    Payload::new(text, file).map_err(|e| CliError::usage(format!("cannot share this: {e}")))
}

/// Sends a payload unencrypted (`--plain`): text as is, a file as `ots2-plain.`.
fn share_plain(
    ctx: &Context,
    plan: &Plan,
    args: &CreateArgs,
    payload: &Payload,
    passphrase: Option<&str>,
) -> Result<Created> {
    let secret = match (payload.text_part(), payload.file()) {
        (Some(text), None) => Zeroizing::new(text.to_owned()),
        _ => payload::to_plain(payload),
    };
    plan.check_size(secret.len(), |limit| {
        format!(
            "unencrypted, a file takes a third more as base64: about {} bytes fit in {limit} bytes",
            limit * 3 / 4 - 40
        )
    })?;
    let mut req = ShareRequest {
        secret: secret.as_str().to_owned(),
        options: options(args, passphrase),
    };
    let answer = plan.client.share(&req);
    req.secret.zeroize();
    req.options.passphrase.zeroize();
    let receipt =
        answer?.map_err(|f| failure(f, plan.target.base(), "the server lost the new secret"))?;
    warn_if_clamped(ctx, args.ttl, &receipt);
    Ok(Created {
        file: payload.file().map(|f| f.name().to_owned()),
        ..Created::plain(plan, receipt, passphrase.is_some(), None)
    })
}

/// `ots share [FILE] [--file PATH]`.
pub fn share(ctx: &Context, args: &ShareArgs) -> Result<()> {
    let plan = Plan::new(ctx, &args.create)?;
    let payload = read_payload(ctx, args)?;
    let passphrase = plan.passphrase(&args.create)?;
    let passphrase = passphrase.as_deref().map(String::as_str);
    let created = if args.create.plain {
        share_plain(ctx, &plan, &args.create, &payload, passphrase)?
    } else {
        share_encrypted(ctx, &plan, &args.create, &payload, passphrase)?
    };
    print_created(ctx, &created)
}

/// `ots generate`.
pub fn generate(ctx: &Context, args: &GenerateArgs) -> Result<()> {
    let sets = CharSets {
        uppercase: !args.no_uppercase,
        lowercase: !args.no_lowercase,
        numbers: !args.no_numbers,
        symbols: !args.no_symbols,
        exclude_ambiguous: !args.include_ambiguous,
    };
    if sets.alphabet().is_empty() {
        return Err(CliError::usage(
            "no character class left: drop one of the --no-… options",
        ));
    }
    let plan = Plan::new(ctx, &args.create)?;
    let limits = plan.limits.clone().unwrap_or_default();
    let length = limits
        .generate_length(args.length)
        .map_err(|e| CliError::usage(format!("--length: the {e}")))?;
    let passphrase = plan.passphrase(&args.create)?;
    let passphrase = passphrase.as_deref().map(String::as_str);
    let created = if args.create.plain {
        let mut req = GenerateRequest {
            options: options(&args.create, passphrase),
            length: u32::try_from(length).ok(),
            character_sets: Some(sets),
        };
        let answer = plan.client.generate(&req);
        req.options.passphrase.zeroize();
        let mut receipt = answer?
            .map_err(|f| failure(f, plan.target.base(), "the server lost the new secret"))?;
        warn_if_clamped(ctx, args.create.ttl, &receipt);
        let value = receipt
            .value
            .take()
            .map(Zeroizing::new)
            .ok_or_else(|| CliError::Refused {
                kind: ApiErrorKind::Other("no value".into()),
                message: "the server generated a secret but did not return the password".into(),
                hint: None,
            })?;
        Created::plain(&plan, receipt, passphrase.is_some(), Some(value))
    } else {
        let mut fill = |buf: &mut [u8]| {
            // The OS generator does not fail once the process runs; if it ever did, a
            // zeroed buffer makes `generate` report a broken source rather than go on.
            if getrandom::fill(buf).is_err() {
                buf.fill(0);
            }
        };
        let value = password::generate(length, &sets, &mut fill)
            .map_err(|e| CliError::other(format!("cannot generate a password: {e}")))?;
        let created =
            share_encrypted(ctx, &plan, &args.create, &Payload::text(&value), passphrase)?;
        Created {
            value: Some(value),
            ..created
        }
    };
    print_created(ctx, &created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ots_core::link::Region;

    const KEY: &str = "ou88al7nsj14a2pancybh3w3378r0we476bl9wysaj2w55hleccvknxckr7bb3";

    fn custom(url: &str) -> Target {
        Target::from_url(url).expect("valid")
    }

    #[test]
    fn a_same_origin_server_gets_bare_app_links() {
        let style = LinkStyle::choose(&custom("http://127.0.0.1:8080"), None, true).expect("ok");
        assert_eq!(
            style,
            LinkStyle::App {
                app_url: "http://127.0.0.1:8080/".into(),
                server: Server::Origin
            }
        );
        let fk = FragmentKey::from_bytes([1; 32]);
        let link = style.reveal(KEY, Some(fk.clone()), PassphraseHint::None);
        assert_eq!(
            link.as_str(),
            format!("http://127.0.0.1:8080/#/s/{KEY}/{fk}?v=2")
        );
        let hinted = style.reveal(KEY, Some(fk), PassphraseHint::Kdf(KdfParams::DEFAULT));
        assert!(hinted.ends_with("?p=19456.2.1&v=2"), "{}", hinted.as_str());
    }

    #[test]
    fn another_app_names_the_server() {
        let style = LinkStyle::choose(
            &custom("https://api.example.com/ots"),
            Some("https://app.example/"),
            true,
        )
        .expect("ok");
        let link = style.reveal(KEY, None, PassphraseHint::Gate);
        assert_eq!(
            link.as_str(),
            format!("https://app.example/#/s/{KEY}?api=https%3A%2F%2Fapi.example.com%2Fots&p=1")
        );
    }

    #[test]
    fn regions_need_an_app_url_only_when_encrypting() {
        let eu = Target::region(Region::Eu);
        let err = LinkStyle::choose(&eu, None, true).expect_err("needs --app-url");
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
        let plain = LinkStyle::choose(&eu, None, false).expect("ok");
        assert_eq!(
            plain.reveal(KEY, None, PassphraseHint::None).as_str(),
            format!("https://eu.onetimesecret.com/secret/{KEY}")
        );
        let app = LinkStyle::choose(&eu, Some("https://app.example/"), true).expect("ok");
        let link = app.reveal(
            KEY,
            Some(FragmentKey::from_bytes([2; 32])),
            PassphraseHint::None,
        );
        assert!(link.contains("?r=eu"), "{}", link.as_str());
    }

    #[test]
    fn plain_links_are_the_servers_pages() {
        let style = LinkStyle::choose(&custom("http://127.0.0.1:8080/"), None, false).expect("ok");
        assert_eq!(
            style.reveal(KEY, None, PassphraseHint::Gate).as_str(),
            format!("http://127.0.0.1:8080/secret/{KEY}")
        );
        let receipt = Receipt {
            metadata_key: KEY.into(),
            ..Receipt::default()
        };
        assert_eq!(
            style.receipt(&receipt, None),
            format!("http://127.0.0.1:8080/receipt/{KEY}")
        );
    }
}
