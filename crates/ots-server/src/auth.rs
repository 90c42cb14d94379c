//! HTTP Basic authentication against the accounts file.
//!
//! The file lists accounts as a custid (email), an optional external id and
//! `token_sha256 = hex(SHA-256(api token))`. A request without `Authorization` is
//! anonymous; one with a bad header, an unknown user or a wrong token is rejected,
//! even on routes that allow anonymous callers (reference §2.2). Unknown users are
//! checked against a dummy hash, so both failures cost the same.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::crypto::hex_decode;
use crate::error::ApiError;
use crate::state::AppState;

/// One API account.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// The account's email, reported as `custid`.
    pub custid: String,
    /// Optional external id (`ur…`), accepted as a username too.
    #[serde(default)]
    pub extid: Option<String>,
    /// `hex(SHA-256(token))`, as printed by `ots-server hash-token`.
    pub token_sha256: String,
}

impl std::fmt::Debug for AccountEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountEntry")
            .field("custid", &self.custid)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    #[serde(default, alias = "accounts")]
    account: Vec<AccountEntry>,
}

/// An authenticated account.
#[derive(Debug)]
pub struct Account {
    /// The account's email.
    pub custid: String,
    digest: [u8; 32],
}

/// The accounts a server knows, by lowercase email and by external id.
#[derive(Debug, Default)]
pub struct Accounts {
    by_name: HashMap<String, Arc<Account>>,
}

/// Errors loading the accounts file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountsError {
    /// The file could not be read.
    #[error("cannot read accounts file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not valid TOML/JSON of the expected shape.
    #[error("invalid accounts file: {0}")]
    Parse(String),
    /// A `token_sha256` is not 64 hex characters.
    #[error("account {0}: token_sha256 must be 64 hex characters")]
    BadHash(String),
}

impl Accounts {
    /// Builds the table from entries.
    pub fn from_entries(entries: Vec<AccountEntry>) -> Result<Self, AccountsError> {
        let mut by_name = HashMap::new();
        for e in entries {
            let digest: [u8; 32] = hex_decode(e.token_sha256.trim())
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| AccountsError::BadHash(e.custid.clone()))?;
            let acct = Arc::new(Account {
                custid: e.custid.clone(),
                digest,
            });
            by_name.insert(e.custid.to_lowercase(), acct.clone());
            if let Some(x) = e.extid.filter(|x| !x.is_empty()) {
                by_name.insert(x, acct);
            }
        }
        Ok(Accounts { by_name })
    }

    /// Loads a TOML file (`[[account]]` tables), or JSON when the name ends in `.json`.
    pub fn load(path: &Path) -> Result<Self, AccountsError> {
        let text = std::fs::read_to_string(path)?;
        let file: AccountsFile = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| AccountsError::Parse(e.to_string()))?
        } else {
            toml::from_str(&text).map_err(|e| AccountsError::Parse(e.to_string()))?
        };
        Self::from_entries(file.account)
    }

    /// Number of distinct accounts.
    pub fn len(&self) -> usize {
        let mut names: Vec<&str> = self.by_name.values().map(|a| a.custid.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }

    /// Whether no account is configured.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Checks `user:token`. Same work whether or not the user exists.
    pub fn verify(&self, user: &str, token: &str) -> Option<Arc<Account>> {
        // A fixed digest no token hashes to in practice; compared against for unknown users.
        const DUMMY: [u8; 32] = [0x5a; 32];
        let key = if user.contains('@') {
            user.to_lowercase()
        } else {
            user.to_owned()
        };
        let found = self.by_name.get(&key);
        let want = found.map_or(&DUMMY, |a| &a.digest);
        let got = Sha256::digest(token.as_bytes());
        let ok = bool::from(got[..].ct_eq(&want[..]));
        match found {
            Some(a) if ok => Some(a.clone()),
            _ => None,
        }
    }

    /// Interprets an `Authorization` header value.
    pub fn authenticate(&self, header: Option<&[u8]>) -> Result<Caller, ApiError> {
        let Some(raw) = header else {
            return Ok(Caller::Anonymous);
        };
        let raw = std::str::from_utf8(raw).map_err(|_| ApiError::NotAuthorized)?;
        let (scheme, rest) = raw.trim().split_once(' ').ok_or(ApiError::NotAuthorized)?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(ApiError::NotAuthorized);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map_err(|_| ApiError::NotAuthorized)?;
        let text = String::from_utf8(decoded).map_err(|_| ApiError::NotAuthorized)?;
        let (user, token) = text.split_once(':').ok_or(ApiError::NotAuthorized)?;
        if user.is_empty() || token.is_empty() {
            return Err(ApiError::NotAuthorized);
        }
        self.verify(user, token)
            .map(Caller::Account)
            .ok_or(ApiError::NotAuthorized)
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// Valid Basic credentials.
    Account(Arc<Account>),
}

impl Caller {
    /// `custid` as v1 reports it.
    pub fn custid(&self) -> &str {
        match self {
            Caller::Anonymous => "anon",
            Caller::Account(a) => &a.custid,
        }
    }

    /// The account, if authenticated.
    pub fn account(&self) -> Option<&Account> {
        match self {
            Caller::Anonymous => None,
            Caller::Account(a) => Some(a),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state
            .accounts
            .authenticate(parts.headers.get(AUTHORIZATION).map(|v| v.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hash_token;

    fn accounts() -> Accounts {
        Accounts::from_entries(vec![AccountEntry {
            custid: "Alice@Example.com".into(),
            extid: Some("ur123".into()),
            token_sha256: hash_token("tok"),
        }])
        .expect("valid")
    }

    fn basic(s: &str) -> Vec<u8> {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
        .into_bytes()
    }

    #[test]
    fn valid_by_email_or_extid() {
        let a = accounts();
        assert!(matches!(
            a.authenticate(Some(&basic("alice@example.com:tok"))),
            Ok(Caller::Account(_))
        ));
        assert!(matches!(
            a.authenticate(Some(&basic("ur123:tok"))),
            Ok(Caller::Account(_))
        ));
        assert!(matches!(a.authenticate(None), Ok(Caller::Anonymous)));
    }

    #[test]
    fn bad_headers_are_rejected() {
        let a = accounts();
        for h in [
            basic("alice@example.com:nope"),
            basic("bob@example.com:tok"),
            basic("alice@example.com:"),
            basic(":tok"),
            basic("no-colon"),
            b"Basic !!!".to_vec(),
            b"Bearer abc".to_vec(),
            b"Basic".to_vec(),
            b"".to_vec(),
            vec![0xff, 0xfe],
        ] {
            assert!(matches!(
                a.authenticate(Some(&h)),
                Err(ApiError::NotAuthorized)
            ));
        }
    }

    #[test]
    fn an_empty_user_or_token_never_authenticates() {
        // Even when the accounts file holds the hash of the empty token, or an empty name.
        let a = Accounts::from_entries(vec![
            AccountEntry {
                custid: "alice@example.com".into(),
                extid: None,
                token_sha256: hash_token(""),
            },
            AccountEntry {
                custid: String::new(),
                extid: None,
                token_sha256: hash_token("tok"),
            },
        ])
        .expect("valid");
        for h in [basic("alice@example.com:"), basic(":tok"), basic(":")] {
            assert!(matches!(
                a.authenticate(Some(&h)),
                Err(ApiError::NotAuthorized)
            ));
        }
    }

    #[test]
    fn accounts_are_counted_once_whatever_their_names() {
        assert!(Accounts::default().is_empty());
        assert_eq!(Accounts::default().len(), 0);
        let two = Accounts::from_entries(vec![
            AccountEntry {
                custid: "a@x.io".into(),
                extid: Some("ur1".into()),
                token_sha256: hash_token("t"),
            },
            AccountEntry {
                custid: "b@x.io".into(),
                extid: None,
                token_sha256: hash_token("u"),
            },
        ])
        .expect("valid");
        assert!(!two.is_empty());
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn debug_shows_no_token_hash() {
        let e = AccountEntry {
            custid: "a@x.io".into(),
            extid: None,
            token_sha256: hash_token("t"),
        };
        let d = format!("{e:?}");
        assert!(d.contains("a@x.io"), "{d}");
        assert!(!d.contains(&e.token_sha256[..16]), "{d}");
    }

    #[test]
    fn toml_and_json_files_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = dir.path().join("a.toml");
        std::fs::write(
            &t,
            format!(
                "[[account]]\ncustid = \"a@x.io\"\ntoken_sha256 = \"{}\"\n",
                hash_token("t")
            ),
        )
        .expect("write");
        assert_eq!(Accounts::load(&t).expect("toml").len(), 1);
        let j = dir.path().join("a.json");
        std::fs::write(
            &j,
            format!(
                r#"{{"account":[{{"custid":"a@x.io","token_sha256":"{}"}}]}}"#,
                hash_token("t")
            ),
        )
        .expect("write");
        assert_eq!(Accounts::load(&j).expect("json").len(), 1);
        std::fs::write(
            &j,
            r#"{"account":[{"custid":"a@x.io","token_sha256":"zz"}]}"#,
        )
        .expect("write");
        assert!(Accounts::load(&j).is_err());
    }
}
