//! Revealing a secret, without a view: consume it on the server (or take the envelope this
//! tab kept from an earlier try), then decrypt it here. Both builds' Reveal screens use it.

use ots_core::envelope::{self, EnvelopeError, FragmentKey, Version};
use ots_core::link::{PassphraseHint, RevealLink};
use ots_core::payload::{self, Payload};
use zeroize::Zeroizing;

use crate::api::{Api, ApiError};
use crate::i18n::Key;
use crate::parts::{self, DeriveError};
use crate::{crypto, messages, storage};

/// Why a reveal failed.
#[derive(Debug, Clone, PartialEq)]
pub enum RevealError {
    Api(ApiError),
    Envelope(EnvelopeError, bool),
    /// The part that derives a passphrase could not load; nothing was asked of the server.
    PartMissing,
}

impl RevealError {
    pub fn message(&self) -> Key {
        match self {
            Self::Api(e) => messages::api_error(e),
            Self::Envelope(e, had_passphrase) => messages::envelope(e, *had_passphrase),
            Self::PartMissing => Key::PartMissing,
        }
    }

    pub fn may_have_counted(&self) -> bool {
        matches!(self, Self::Api(e) if messages::reveal_may_have_counted(e))
    }
}

/// Asks the server for the secret (consuming it) and decrypts it here.
pub async fn reveal(
    link: RevealLink,
    passphrase: Zeroizing<String>,
    api: Api,
) -> Result<Payload, RevealError> {
    let typed = (!passphrase.is_empty()).then_some(passphrase);
    let derived = match (&link.passphrase, &link.key, &typed) {
        (PassphraseHint::Kdf(params), Some(key), Some(p)) => Some(
            parts::derive_passphrase(p, key, params)
                .await
                .map_err(|e| match e {
                    DeriveError::Missing => RevealError::PartMissing,
                    DeriveError::Failed(e) => RevealError::Envelope(e, true),
                })?,
        ),
        (PassphraseHint::Kdf(_), Some(_), None) => {
            return Err(RevealError::Envelope(
                EnvelopeError::PassphraseRequired,
                false,
            ));
        }
        _ => None,
    };
    let value = match storage::kept_revealed(&link.secret_key) {
        // Revealed earlier in this tab (before a reload or a wrong passphrase): decrypt
        // the kept envelope; the server has nothing left to give.
        Some(envelope) => envelope,
        None => {
            // ots2 always gates with the value derived from the key (and passphrase).
            let access = match (link.version, &link.key, &derived) {
                (Version::V2, Some(key), d) => {
                    Some(envelope::ots2_access(key, d.as_ref()).to_string())
                }
                (_, _, Some(d)) => Some(d.access().to_owned()),
                _ => typed.as_deref().cloned(),
            };
            let mut response = api
                .reveal(&link.secret_key, access)
                .await
                .map_err(RevealError::Api)?;
            let value = std::mem::take(&mut response.value);
            // Only ciphertext is ever kept, and only while its key is in memory.
            if link.key.is_some() && envelope::Envelope::detect(&value) {
                storage::keep_revealed(&link.secret_key, &value);
            }
            value
        }
    };
    match &link.key {
        Some(key) => open(&value, key, derived.as_ref()),
        // An envelope without its key: the link lost its key part.
        None if envelope::Envelope::detect(&value) => {
            Err(RevealError::Envelope(EnvelopeError::Malformed, false))
        }
        // An unencrypted file, or text as it was sent.
        None => Ok(payload::from_plain(&value).unwrap_or_else(|| Payload::text(&value))),
    }
}

fn open(
    value: &str,
    key: &FragmentKey,
    derived: Option<&envelope::DerivedPassphrase>,
) -> Result<Payload, RevealError> {
    crypto::open(value, key, derived).map_err(|e| RevealError::Envelope(e, derived.is_some()))
}
