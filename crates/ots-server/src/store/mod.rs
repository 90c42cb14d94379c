//! Storage: one async trait, two real backends.
//!
//! - [`embedded::EmbeddedStore`]: the default; an append-only log replayed into memory,
//!   written before each answer (group writes), fsynced on an interval or before each answer.
//! - [`redis::RedisStore`]: Redis, with a Lua script for the atomic claim.
//!
//! Every read checks expiry itself (`now` is passed in, so tests can move the clock);
//! a background task also sweeps expired records ([`Store::sweep`]).
//! The one-time guarantee lives in [`Store::claim`]: it removes the secret and moves
//! the receipt to `received`/`burned` in one atomic step, so of any number of
//! concurrent reveals and burns exactly one wins.

pub mod embedded;
pub mod keyguard;
pub mod redis;

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

pub use crate::ratelimit::Hit;

/// A store gauge: name (without the `ots_` prefix), help, value.
pub type Gauge = (&'static str, &'static str, u64);

/// A boxed future, so the trait can be used as `dyn Store`.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Storage failures (never shown to clients).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed (I/O, connection, transaction).
    #[error("backend: {0}")]
    Backend(String),
    /// A stored record could not be decoded.
    #[error("corrupt record")]
    Corrupt,
    /// The store was sealed with another master key than this instance's.
    #[error(
        "this store was sealed with master key {stored}, but this instance has key {ours}: \
         every instance on one store needs the same master key; share it with \
         --master-key-file or OTS_MASTER_KEY"
    )]
    ForeignMasterKey {
        /// The store's key id (hex).
        stored: String,
        /// This instance's key id (hex).
        ours: String,
    },
    /// The client is over a per-IP limit counted by the store ([`Hit`]); nothing written.
    #[error("rate limit")]
    OverLimit,
    /// A claimed secret was sealed under another master key; it was left in place.
    #[error("secret sealed under another master key; left unconsumed")]
    ForeignSecret,
}

impl StoreError {
    pub(crate) fn backend(e: impl std::fmt::Display) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// A stored secret. The value is sealed ([`crate::crypto::MasterKey::seal`]).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretRecord {
    /// The receipt this secret belongs to.
    pub metadata_key: String,
    /// Epoch seconds at which the secret stops existing.
    pub expires_at: u64,
    /// Argon2id hash of the passphrase, if one was set.
    pub passphrase: Option<String>,
    /// `seal(k, value)`.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SecretRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRecord")
            .field(
                "metadata_key",
                &ots_core::keys::shortkey(&self.metadata_key),
            )
            .field("expires_at", &self.expires_at)
            .field("passphrase", &self.passphrase.is_some())
            .finish_non_exhaustive()
    }
}

impl SecretRecord {
    /// Binary form, version 1:
    /// `flag('0'|'1') || be64(expires_at) || u8 len || metadata_key || be16 len || hash || ciphertext`.
    /// The first byte tells the Redis script, without parsing, whether a passphrase is set.
    pub fn encode(&self) -> Vec<u8> {
        let pass = self.passphrase.as_deref().unwrap_or("");
        let mut out =
            Vec::with_capacity(12 + self.metadata_key.len() + pass.len() + self.ciphertext.len());
        out.push(if self.passphrase.is_some() {
            b'1'
        } else {
            b'0'
        });
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        let mk = &self.metadata_key.as_bytes()[..self.metadata_key.len().min(255)];
        out.push(mk.len() as u8);
        out.extend_from_slice(mk);
        let pb = &pass.as_bytes()[..pass.len().min(u16::MAX as usize)];
        out.extend_from_slice(&(pb.len() as u16).to_be_bytes());
        out.extend_from_slice(pb);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Inverse of [`SecretRecord::encode`].
    pub fn decode(b: &[u8]) -> Result<Self, StoreError> {
        let flag = *b.first().ok_or(StoreError::Corrupt)?;
        let expires_at = u64::from_be_bytes(
            b.get(1..9)
                .and_then(|s| s.try_into().ok())
                .ok_or(StoreError::Corrupt)?,
        );
        let mlen = *b.get(9).ok_or(StoreError::Corrupt)? as usize;
        let mk = b.get(10..10 + mlen).ok_or(StoreError::Corrupt)?;
        let at = 10 + mlen;
        let plen = u16::from_be_bytes(
            b.get(at..at + 2)
                .and_then(|s| s.try_into().ok())
                .ok_or(StoreError::Corrupt)?,
        ) as usize;
        let pass = b.get(at + 2..at + 2 + plen).ok_or(StoreError::Corrupt)?;
        let ct = b.get(at + 2 + plen..).ok_or(StoreError::Corrupt)?;
        let text = |s: &[u8]| String::from_utf8(s.to_vec()).map_err(|_| StoreError::Corrupt);
        Ok(SecretRecord {
            metadata_key: text(mk)?,
            expires_at,
            passphrase: if flag == b'1' {
                Some(text(pass)?)
            } else {
                None
            },
            ciphertext: ct.to_vec(),
        })
    }
}

/// A receipt's stored state (`expired` is derived when read, see [`ReceiptRecord::view_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Created, not yet revealed.
    New,
    /// Revealed by the recipient.
    Received,
    /// Burned by the creator.
    Burned,
    /// The secret's TTL passed before anyone revealed it.
    Expired,
}

impl State {
    /// The v1 wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Received => "received",
            State::Burned => "burned",
            State::Expired => "expired",
        }
    }
}

/// How a claim ends the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Revealed by the recipient.
    Received,
    /// Burned by the creator.
    Burned,
}

impl Outcome {
    /// The receipt state this outcome leads to.
    pub fn state(self) -> State {
        match self {
            Outcome::Received => State::Received,
            Outcome::Burned => State::Burned,
        }
    }
}

/// The result of [`Store::claim`].
#[derive(Debug)]
pub enum Claim {
    /// This caller won: the secret is gone from the store and is handed over.
    Won(SecretRecord),
    /// No such (live) secret.
    Missing,
    /// The secret has a passphrase that the caller has not proven yet; nothing changed.
    NeedsPassphrase(String),
}

/// A receipt ("metadata"): the creator's view of a secret. Holds no secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// The receipt key.
    pub metadata_key: String,
    /// The secret's key.
    pub secret_key: String,
    /// Creator's email, or `anon`.
    pub custid: String,
    /// Stored state (new, received or burned).
    pub state: State,
    /// The secret's lifespan in seconds (after clamping).
    pub ttl: u64,
    /// Epoch seconds.
    pub created: u64,
    /// Epoch seconds of the last state change.
    pub updated: u64,
    /// When the secret was revealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<u64>,
    /// When the secret was burned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burned: Option<u64>,
    /// When the secret expires.
    pub secret_expires_at: u64,
    /// When this receipt expires (created + 2 × ttl).
    pub expires_at: u64,
    /// Obscured recipient addresses.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// Whether the secret has a passphrase.
    pub passphrase_required: bool,
    /// Custom share domain, `""` if none.
    #[serde(default)]
    pub share_domain: String,
    /// A generated secret whose value the creator may still see once on this receipt
    /// (reference §2.4: within a short window of creation, guarded by an atomic claim).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preview: bool,
}

impl ReceiptRecord {
    /// The state a viewer sees at `now`: a `new` receipt whose secret outlived its
    /// TTL reads as `expired`. Computed, never written, so viewing changes nothing.
    pub fn view_state(&self, now: u64) -> State {
        if self.state == State::New && now >= self.secret_expires_at {
            State::Expired
        } else {
            self.state
        }
    }

    /// Applies a won claim.
    pub fn mark(&mut self, outcome: Outcome, now: u64) {
        self.state = outcome.state();
        self.updated = now;
        match outcome {
            Outcome::Received => self.received = Some(now),
            Outcome::Burned => self.burned = Some(now),
        }
    }
}

/// Storage for secrets and receipts.
pub trait Store: Send + Sync + 'static {
    /// Stores a new secret under `secret_key` and its receipt; once it returns, the
    /// secret survives a crash of this process (power loss: see the backend's fsync policy).
    /// A store shared by instances counts `hit` first and, over its limit, writes nothing
    /// ([`StoreError::OverLimit`]); the embedded store leaves it to the process's count.
    fn put<'a>(
        &'a self,
        secret_key: &'a str,
        secret: &'a SecretRecord,
        receipt: &'a ReceiptRecord,
        hit: Option<Hit>,
    ) -> BoxFut<'a, ()>;

    /// Atomically takes the secret (reveal or burn) and updates its receipt.
    /// Unless `passphrase_checked`, a passphrase-protected secret is left untouched
    /// and [`Claim::NeedsPassphrase`] is returned with its hash. A secret sealed under
    /// another master key than the bound one is left untouched too
    /// ([`StoreError::ForeignSecret`]). `hit` is counted as in [`Store::put`].
    fn claim<'a>(
        &'a self,
        secret_key: &'a str,
        outcome: Outcome,
        passphrase_checked: bool,
        now: u64,
        hit: Option<Hit>,
    ) -> BoxFut<'a, Claim>;

    /// Reads a secret without consuming it.
    fn secret<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, Option<SecretRecord>>;

    /// Uses up a receipt's one-time preview of a generated value: true for exactly one
    /// caller, and only while the receipt is live and its `preview` flag is still set.
    fn claim_preview<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, bool>;

    /// Reads a receipt (never changes it).
    fn receipt<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, Option<ReceiptRecord>>;

    /// Receipts of `custid` created at or after `since`, newest first.
    fn recent<'a>(
        &'a self,
        custid: &'a str,
        since: u64,
        now: u64,
    ) -> BoxFut<'a, Vec<ReceiptRecord>>;

    /// Whether wrong passphrases have locked the secret at `now`
    /// ([`crate::ratelimit::LOCK_AFTER`] within the window lock it for a while).
    fn locked<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, bool>;

    /// Counts a wrong passphrase for the secret; returns whether it is locked now. Kept
    /// in the store, so every instance sharing it counts the same guesses.
    fn passphrase_failed<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, bool>;

    /// Binds the store to this instance's master key: records the key's fingerprint when
    /// the store has none, fails with [`StoreError::ForeignMasterKey`] when it holds
    /// another, and from then on [`Store::claim`] leaves a secret sealed under another
    /// key in place ([`StoreError::ForeignSecret`]).
    fn bind_master_key(&self, id: crate::crypto::KeyId) -> BoxFut<'_, ()>;

    /// Whether the store answers (for `/ready`).
    fn ping(&self) -> BoxFut<'_, ()>;

    /// The store's gauges for the metrics: `(name, help, value)`, names fixed per backend.
    fn gauges(&self) -> BoxFut<'_, Vec<Gauge>>;

    /// Deletes expired records; returns how many were removed.
    fn sweep(&self, now: u64) -> BoxFut<'_, usize>;

    /// The backend's name, for logs.
    fn name(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_record_roundtrip() {
        for pass in [None, Some("a2id$1$1$1$x$y".to_owned())] {
            let r = SecretRecord {
                metadata_key: "m".repeat(62),
                expires_at: 1234,
                passphrase: pass,
                ciphertext: vec![1, 2, 3],
            };
            assert_eq!(SecretRecord::decode(&r.encode()).expect("decode"), r);
        }
        assert!(SecretRecord::decode(b"0").is_err());
        assert!(SecretRecord::decode(&[]).is_err());
    }

    #[test]
    fn secret_record_debug_hides_the_passphrase_hash() {
        let r = SecretRecord {
            metadata_key: "m".repeat(62),
            expires_at: 1234,
            passphrase: Some("a2id$1$1$1$salt$hash".to_owned()),
            ciphertext: vec![1, 2, 3],
        };
        let d = format!("{r:?}");
        assert!(d.contains("1234") && d.contains("passphrase: true"), "{d}");
        assert!(!d.contains("salt") && !d.contains(&r.metadata_key), "{d}");
    }
}
