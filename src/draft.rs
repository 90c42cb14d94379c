//! A new secret being composed, without its view: the draft, its checks, and the pipeline
//! that generates or takes the secret, seals it, posts it and builds the links.

use ots_core::envelope::{KdfParams, Version};
use ots_core::link::{PassphraseHint, ReceiptLink, RevealLink, Route, Server};
use ots_core::password::{self, CharSets};
use ots_core::payload::{self, File, Payload};
use ots_core::wire::{GenerateRequest, Receipt, SecretOptions, ShareRequest};
use zeroize::Zeroizing;

use crate::api::{self, Api, ApiError};
use crate::config::Settings;
use crate::i18n::Key;
use crate::page::page_url;
use crate::parts::DeriveError;
use crate::{crypto, messages};

/// Share a text, or generate a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The user types the secret.
    Share,
    /// A password is generated.
    Generate,
}

/// What the form holds when the user presses "create".
#[derive(Clone)]
pub struct Draft {
    /// Share or generate.
    pub mode: Mode,
    /// The secret (share mode), wiped from memory when dropped.
    pub secret: Zeroizing<String>,
    /// A file sent with or instead of the text (share mode), wiped when dropped.
    pub file: Option<File>,
    /// The passphrase, empty for none, wiped from memory when dropped.
    pub passphrase: Zeroizing<String>,
    /// Lifetime in seconds.
    pub ttl: u64,
    /// Recipient email, empty for none.
    pub recipient: String,
    /// Custom share domain, empty for none.
    pub share_domain: String,
    /// Encrypt in this browser.
    pub encrypt: bool,
    /// Generated password length.
    pub length: usize,
    /// Generated password character classes.
    pub sets: CharSets,
    /// Where the secret goes.
    pub server: Server,
    /// The language, sent to the API as `locale`.
    pub locale: &'static str,
}

/// A created secret, as the result screen shows it.
#[derive(Clone)]
pub struct Outcome {
    /// The server's receipt.
    pub receipt: Receipt,
    /// The link for the recipient.
    pub link: String,
    /// The link for the recipient without the decryption key (encrypted secrets).
    pub link_without_key: Option<String>,
    /// The decryption key alone, to send through another channel.
    pub key_text: Option<String>,
    /// The creator's private receipt link.
    pub receipt_link: String,
    /// The same, as a route (for the sent history).
    pub receipt_route: ReceiptLink,
    /// The generated password, shown once.
    pub generated: Option<String>,
    /// Whether the secret was encrypted in this browser.
    pub encrypted: bool,
}

/// The byte count the server will see for `secret` and `file` (name, type and size in
/// bytes): with encryption, the padded envelope's length; without, the text as is, or the
/// `ots2-plain.` form when there is a file.
pub fn payload_len(
    secret: &str,
    file: Option<(usize, usize, usize)>,
    encrypt: bool,
    with_passphrase: bool,
) -> usize {
    let text = (!secret.is_empty() || file.is_none()).then_some(secret.len());
    let encoded = payload::encoded_len(text, file);
    match (encrypt, file) {
        (true, _) => {
            let kdf = with_passphrase.then(KdfParams::default);
            payload::sealed_len(encoded, kdf.as_ref())
        }
        (false, None) => secret.len(),
        (false, Some(_)) => payload::plain_len(encoded),
    }
}

/// A file's lengths as [`payload_len`] takes them.
pub fn file_lens(file: &File) -> (usize, usize, usize) {
    (
        file.name().len(),
        file.media_type().len(),
        file.bytes().len(),
    )
}

/// The text, the file, or both: what a share-mode draft sends.
fn draft_payload(draft: &Draft, text: Zeroizing<String>) -> Option<Payload> {
    let text = (!text.is_empty() || draft.file.is_none()).then_some(text);
    Payload::new(text, draft.file.clone()).ok()
}

/// Checks the draft before anything is sent, with the same rules the server applies.
pub fn validate(draft: &Draft, settings: &Settings, signed_in: bool) -> Result<(), Key> {
    let limits = &settings.limits;
    if draft.mode == Mode::Share {
        if draft.secret.is_empty() && draft.file.is_none() {
            return Err(Key::ErrorEmptySecret);
        }
        let with_passphrase = !draft.passphrase.is_empty();
        let file = draft.file.as_ref().map(file_lens);
        if payload_len(&draft.secret, file, draft.encrypt, with_passphrase)
            > limits.secret_max_bytes
        {
            return Err(Key::ErrorSecretTooLong);
        }
    }
    if !draft.passphrase.is_empty() {
        limits
            .check_passphrase(&draft.passphrase)
            .map_err(|e| messages::validation(&e))?;
    }
    if !(limits.ttl_min..=limits.ttl_max(signed_in)).contains(&draft.ttl) {
        return Err(Key::ErrorTtlRange);
    }
    if !draft.recipient.is_empty() && !signed_in {
        return Err(Key::ErrorRecipientNeedsAccount);
    }
    Ok(())
}

/// Why a creation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CreateError {
    /// The server, or the way to it, failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No password can be generated with that length and those character sets.
    #[error("no password of that length and those characters")]
    Generate,
    /// The browser could not encrypt (no secure random numbers, say).
    #[error("encryption failed")]
    Seal,
    /// The part that derives a passphrase could not load.
    #[error("a part of the app could not load")]
    PartMissing,
}

impl CreateError {
    /// The message to show.
    pub fn message(&self) -> Key {
        match self {
            CreateError::Api(error) => messages::api_error(error),
            CreateError::Generate => Key::ErrorLengthTooLong,
            CreateError::Seal => Key::ErrorUnexpected,
            CreateError::PartMissing => Key::PartMissing,
        }
    }
}

/// Runs the whole creation through `api` (the draft's server, with the account if any):
/// generate or take the secret, seal it when asked, post it, and build the links with
/// `settings`. The plaintext and keys are zeroized when dropped.
pub async fn submit(draft: Draft, api: Api, settings: Settings) -> Result<Outcome, CreateError> {
    let recipient: Vec<String> = (!draft.recipient.is_empty())
        .then(|| draft.recipient.trim().to_owned())
        .into_iter()
        .collect();
    let share_domain =
        (!draft.share_domain.trim().is_empty()).then(|| draft.share_domain.trim().to_owned());
    let locale = Some(draft.locale.to_owned());
    let passphrase = (!draft.passphrase.is_empty()).then(|| draft.passphrase.clone());
    let page = page_url();

    if draft.mode == Mode::Generate && !draft.encrypt {
        let receipt = api
            .generate(&GenerateRequest {
                options: SecretOptions {
                    passphrase: passphrase.as_deref().cloned(),
                    ttl: Some(draft.ttl as i64),
                    recipient,
                    share_domain,
                    locale,
                },
                length: Some(draft.length as u32),
                character_sets: Some(draft.sets),
            })
            .await?;
        let link = receipt_secret_link(&settings, &draft.server, &receipt, &page);
        let generated = receipt.value.clone();
        return Ok(outcome(
            &draft.server,
            receipt,
            link,
            None,
            generated,
            None,
            &page,
        ));
    }

    let generated = (draft.mode == Mode::Generate)
        .then(|| password::generate(draft.length, &draft.sets, &mut crypto::fill_random));
    let generated = match generated {
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => return Err(CreateError::Generate),
        None => None,
    };
    let plaintext: Zeroizing<String> = match &generated {
        Some(p) => Zeroizing::new(p.to_string()),
        None => draft.secret.clone(),
    };
    let payload = match draft.mode {
        Mode::Generate => Payload::text(&plaintext),
        Mode::Share => draft_payload(&draft, plaintext.clone()).ok_or(CreateError::Seal)?,
    };

    if !draft.encrypt {
        // Text as is, so that any Onetime Secret site shows it; a file as `ots2-plain.`.
        let secret = match payload.file() {
            None => plaintext.clone(),
            Some(_) => payload::to_plain(&payload),
        };
        let receipt = api
            .share(&ShareRequest {
                secret: secret.to_string(),
                options: SecretOptions {
                    passphrase: passphrase.as_deref().cloned(),
                    ttl: Some(draft.ttl as i64),
                    recipient,
                    share_domain,
                    locale,
                },
            })
            .await?;
        let link = receipt_secret_link(&settings, &draft.server, &receipt, &page);
        let generated = generated.map(|g| g.to_string());
        return Ok(outcome(
            &draft.server,
            receipt,
            link,
            None,
            generated,
            None,
            &page,
        ));
    }

    let sealed = crypto::seal(&payload, passphrase.as_deref().map(String::as_str))
        .await
        .map_err(|e| match e {
            DeriveError::Missing => CreateError::PartMissing,
            DeriveError::Failed(_) => CreateError::Seal,
        })?;
    let receipt = api
        .share(&ShareRequest {
            secret: sealed.envelope.clone(),
            options: SecretOptions {
                passphrase: Some(sealed.access.to_string()),
                ttl: Some(draft.ttl as i64),
                recipient,
                share_domain,
                locale,
            },
        })
        .await?;
    let secret_key = receipt.secret_key.clone().unwrap_or_default();
    let mut reveal = RevealLink {
        secret_key,
        key: Some(sealed.key),
        server: draft.server.clone(),
        passphrase: sealed.kdf.map_or(PassphraseHint::None, PassphraseHint::Kdf),
        version: Version::V2,
    };
    let link = Route::Reveal(reveal.clone()).to_url(&page);
    let key_text = reveal.key.take().map(|k| k.to_string());
    let without_key = Route::Reveal(reveal).to_url(&page);
    // Burning needs the derived access value, which only this browser can make now.
    let access = Some(sealed.access.to_string());
    let mut result = outcome(
        &draft.server,
        receipt,
        link,
        Some(without_key),
        generated.map(|g| g.to_string()),
        access,
        &page,
    );
    result.key_text = key_text;
    Ok(result)
}

/// The recipient link for a secret sent as is: the server's own `/secret/<key>`.
fn receipt_secret_link(
    settings: &Settings,
    server: &Server,
    receipt: &Receipt,
    page: &str,
) -> String {
    let key = receipt.secret_key.clone().unwrap_or_default();
    api::server_secret_link(settings, server, page, &key)
}

fn outcome(
    server: &Server,
    receipt: Receipt,
    link: String,
    link_without_key: Option<String>,
    generated: Option<String>,
    access: Option<String>,
    page: &str,
) -> Outcome {
    let receipt_route = ReceiptLink {
        metadata_key: receipt.metadata_key.clone(),
        server: server.clone(),
        access,
    };
    let receipt_link = Route::Receipt(receipt_route.clone()).to_url(page);
    Outcome {
        encrypted: link_without_key.is_some(),
        receipt,
        link,
        link_without_key,
        key_text: None,
        receipt_link,
        receipt_route,
        generated,
    }
}

/// Adds a created secret to this device's sent history (best effort: a browser without
/// IndexedDB just keeps none).
pub fn remember(outcome: &Outcome) {
    let r = &outcome.receipt;
    let entry = crate::history::Entry {
        receipt: outcome.receipt_route.clone(),
        created: r.created,
        ttl: r.secret_ttl.unwrap_or(r.ttl),
        passphrase: r.passphrase_required,
    };
    wasm_bindgen_futures::spawn_local(async move {
        crate::parts::remember(entry).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(secret: &str) -> Draft {
        Draft {
            mode: Mode::Share,
            secret: Zeroizing::new(secret.into()),
            file: None,
            passphrase: Zeroizing::default(),
            ttl: 3600,
            recipient: String::new(),
            share_domain: String::new(),
            encrypt: true,
            length: 20,
            sets: CharSets::default(),
            server: Server::Origin,
            locale: "en",
        }
    }

    #[test]
    fn the_counter_includes_what_encryption_adds() {
        assert_eq!(payload_len("abc", None, false, false), 3);
        // The smallest class: 1,024 bytes of payload, sealed.
        assert_eq!(payload_len("abc", None, true, false), 1408);
        assert!(payload_len("abc", None, true, true) > payload_len("abc", None, true, false));
        let file = Some((8, 24, 3000));
        assert_eq!(payload_len("", file, true, false), 4139);
        assert!(payload_len("a note", file, false, false) > 4000);
    }

    #[test]
    fn a_file_alone_is_a_secret_and_a_big_one_does_not_fit() {
        let settings = Settings::default();
        let mut d = draft("");
        d.file = Some(File::new("id_ed25519", "", vec![7; 3000]));
        assert_eq!(validate(&d, &settings, false), Ok(()));
        d.file = Some(File::new("big.bin", "", vec![7; 8000]));
        assert_eq!(validate(&d, &settings, false), Err(Key::ErrorSecretTooLong));
    }

    #[test]
    fn a_secret_that_fits_plain_may_not_fit_encrypted() {
        let settings = Settings::default();
        let mut d = draft(&"x".repeat(9_000));
        assert_eq!(validate(&d, &settings, false), Err(Key::ErrorSecretTooLong));
        d.encrypt = false;
        assert_eq!(validate(&d, &settings, false), Ok(()));
    }

    #[test]
    fn bad_drafts_are_refused_before_sending() {
        let settings = Settings::default();
        assert_eq!(
            validate(&draft(""), &settings, false),
            Err(Key::ErrorEmptySecret)
        );
        let mut d = draft("x");
        d.passphrase = Zeroizing::new("abc".into());
        assert_eq!(
            validate(&d, &settings, false),
            Err(Key::ErrorPassphraseTooShort)
        );
        let mut d = draft("x");
        d.ttl = 10;
        assert_eq!(validate(&d, &settings, false), Err(Key::ErrorTtlRange));
        d.ttl = 30 * 86_400;
        assert_eq!(validate(&d, &settings, false), Err(Key::ErrorTtlRange));
        assert_eq!(validate(&d, &settings, true), Ok(()));
        let mut d = draft("x");
        d.recipient = "a@b.example".into();
        assert_eq!(
            validate(&d, &settings, false),
            Err(Key::ErrorRecipientNeedsAccount)
        );
    }
}
