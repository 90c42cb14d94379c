//! The v1 handlers, one per route of the reference's table 2.1.
//!
//! Handlers are thin: parse with [`Params`] and [`Caller`], validate with
//! `ots_core::limits`, talk to the [`Store`](crate::store::Store), answer flat JSON.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use crate::auth::Caller;
use crate::crypto;
use crate::error::{ApiError, json_response};
use crate::mail::{looks_like_email, obscure_email};
use crate::params::Params;
use crate::store::{Claim, Outcome, ReceiptRecord, SecretRecord, State};
use crate::{AppState, ClientIp, KEY_MIN_LEN, sanitize_key, shortkey};
use axum::extract::{Path, State as AxState};

/// How long `recent` looks back.
const RECENT_WINDOW: u64 = 30 * 24 * 3600;
/// Most recipients kept per secret (only the first is mailed).
const MAX_RECIPIENTS: usize = 10;

/// The v1 receipt object (reference §2.4), with the v0.24 aliases.
// TODO(move to ots-core): replace with `ots_core::wire::Receipt` once it lands.
#[derive(Debug, Serialize)]
pub struct ReceiptBody<'a> {
    custid: &'a str,
    metadata_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_key: Option<&'a str>,
    ttl: u64,
    metadata_ttl: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_ttl: Option<u64>,
    metadata_url: String,
    state: &'static str,
    updated: u64,
    created: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    received: Option<u64>,
    recipient: &'a [String],
    share_domain: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    passphrase_required: Option<bool>,
    identifier: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_identifier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    has_passphrase: Option<bool>,
    recipients: &'a [String],
    receipt_ttl: u64,
    receipt_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_value: Option<&'a str>,
}

/// Where a receipt is shown: full view, or a `recent` list item (no secret key, no TTL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Full,
    ListItem,
}

fn receipt_body<'a>(
    r: &'a ReceiptRecord,
    now: u64,
    base_url: &str,
    view: View,
    value: Option<&'a str>,
) -> ReceiptBody<'a> {
    let state = r.view_state(now);
    let received = state == State::Received;
    let full = view == View::Full;
    let metadata_ttl = r.expires_at.saturating_sub(now);
    let url = format!("{base_url}/receipt/{}", r.metadata_key);
    let secret_key = (!received && full).then_some(r.secret_key.as_str());
    ReceiptBody {
        custid: &r.custid,
        metadata_key: &r.metadata_key,
        secret_key,
        ttl: r.ttl,
        metadata_ttl,
        secret_ttl: (!received && full).then(|| r.secret_expires_at.saturating_sub(now)),
        receipt_url: url.clone(),
        metadata_url: url,
        state: state.as_str(),
        updated: r.updated,
        created: r.created,
        received: if received {
            r.received.or(Some(r.updated))
        } else {
            None
        },
        recipient: &r.recipients,
        share_domain: &r.share_domain,
        value,
        passphrase_required: full.then_some(r.passphrase_required),
        identifier: &r.metadata_key,
        secret_identifier: secret_key,
        has_passphrase: full.then_some(r.passphrase_required),
        recipients: &r.recipients,
        receipt_ttl: metadata_ttl,
        secret_value: value,
    }
}

fn ok(body: &impl Serialize) -> Response {
    json_response(StatusCode::OK, body)
}

/// Ruby's `to_i`: leading sign and digits, anything else stops; nothing gives 0.
// TODO(move to ots-core): `wire`'s lenient integer parsing.
fn to_i(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg { -n } else { n }
}

fn form(e: ots_core::limits::ValidationError) -> ApiError {
    ApiError::Form(e.v1_message())
}

/// A validated key from the path, or 404 `Not Found` when too short.
fn path_key(raw: &str) -> Result<String, ApiError> {
    let key = sanitize_key(raw);
    if key.len() < KEY_MIN_LEN {
        return Err(ApiError::NotFound);
    }
    Ok(key)
}

/// `GET /api/v1/status`.
pub async fn status_show(_caller: Caller) -> Response {
    ok(&serde_json::json!({"status": "nominal", "locale": "en"}))
}

/// `GET /api/v1/authcheck`: as status, for valid credentials only.
pub async fn authcheck_show(caller: Caller) -> Result<Response, ApiError> {
    caller.account().ok_or(ApiError::NotAuthorized)?;
    Ok(ok(
        &serde_json::json!({"status": "nominal", "locale": "en"}),
    ))
}

/// What a create needs once validated.
struct NewSecret {
    value: zeroize::Zeroizing<String>,
    passphrase: Option<zeroize::Zeroizing<String>>,
    ttl: u64,
    recipients: Vec<String>,
}

/// Validates the fields share/create and generate have in common.
fn common_fields(
    state: &AppState,
    caller: &Caller,
    ip: ClientIp,
    p: &Params,
    now: u64,
) -> Result<(Option<zeroize::Zeroizing<String>>, u64, Vec<String>), ApiError> {
    let authed = caller.account().is_some();
    if !authed && !state.creates.allow(ip.0, now) {
        return Err(ApiError::RateLimited);
    }
    let limits = &state.config.limits;
    let passphrase = match p.get("passphrase").filter(|s| !s.is_empty()) {
        Some(pass) => {
            limits.check_passphrase(pass).map_err(form)?;
            Some(zeroize::Zeroizing::new(pass.to_owned()))
        }
        None => None,
    };
    let ttl = limits.clamp_ttl(p.get("ttl").map(to_i), authed);
    let recipients = p.all("recipient");
    if !recipients.is_empty() && !authed {
        return Err(form(
            ots_core::limits::ValidationError::RecipientNeedsAccount,
        ));
    }
    for r in &recipients {
        if !looks_like_email(r) {
            return Err(form(
                ots_core::limits::ValidationError::UndeliverableEmail {
                    address: (*r).to_owned(),
                },
            ));
        }
    }
    if let Some(domain) = p
        .get("share_domain")
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let canonical = state
            .config
            .base_url
            .split_once("://")
            .map_or("", |(_, h)| h);
        if !domain.eq_ignore_ascii_case(canonical) {
            // No custom domains here: any other domain is refused, as OTS refuses
            // domains the caller may not use.
            return Err(form(ots_core::limits::ValidationError::DomainNotAllowed {
                domain: domain.to_owned(),
            }));
        }
    }
    let recipients = recipients
        .into_iter()
        .take(MAX_RECIPIENTS)
        .map(str::to_owned)
        .collect();
    Ok((passphrase, ttl, recipients))
}

/// Seals, stores and answers with the receipt (plus `value` for generate).
async fn store_secret(
    state: &AppState,
    caller: &Caller,
    s: NewSecret,
    now: u64,
    echo_value: bool,
) -> Result<Response, ApiError> {
    let secret_key = crate::new_key().map_err(ApiError::internal)?;
    let metadata_key = crate::new_key().map_err(ApiError::internal)?;
    let ciphertext = state
        .master
        .seal(&secret_key, s.value.as_bytes())
        .map_err(ApiError::internal)?;
    // Argon2 only for secrets that have a passphrase, and off the async threads.
    let passphrase = match s.passphrase {
        Some(pass) => {
            let cost = state.passphrase_cost;
            let hash = tokio::task::spawn_blocking(move || crypto::hash_passphrase(&pass, cost))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            Some(hash)
        }
        None => None,
    };
    let receipt = ReceiptRecord {
        metadata_key: metadata_key.clone(),
        secret_key: secret_key.clone(),
        custid: caller.custid().to_owned(),
        state: State::New,
        ttl: s.ttl,
        created: now,
        updated: now,
        received: None,
        burned: None,
        secret_expires_at: now + s.ttl,
        expires_at: now + 2 * s.ttl,
        recipients: s.recipients.iter().map(|r| obscure_email(r)).collect(),
        passphrase_required: passphrase.is_some(),
        share_domain: String::new(),
    };
    let secret = SecretRecord {
        metadata_key,
        expires_at: now + s.ttl,
        passphrase,
        ciphertext,
    };
    state
        .store
        .put(&secret_key, &secret, &receipt)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(
        secret = shortkey(&secret_key),
        receipt = shortkey(&receipt.metadata_key),
        ttl = s.ttl,
        passphrase = receipt.passphrase_required,
        anonymous = caller.account().is_none(),
        "secret created"
    );
    if let (Some(mailer), Some(to)) = (&state.mailer, s.recipients.first()) {
        let link = format!("{}/secret/{}", state.config.base_url, secret_key);
        mailer.send_link(to, caller.custid(), link, shortkey(&secret_key).to_owned());
    }
    let value = echo_value.then_some(s.value.as_str());
    Ok(ok(&receipt_body(
        &receipt,
        now,
        &state.config.base_url,
        View::Full,
        value,
    )))
}

/// `POST /api/v1/share` and `/api/v1/create`: store the `secret` param.
pub async fn secret_create(
    AxState(state): AxState<AppState>,
    caller: Caller,
    ip: ClientIp,
    p: Params,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let (passphrase, ttl, recipients) = common_fields(&state, &caller, ip, &p, now)?;
    let value = p.get("secret").unwrap_or("");
    state.config.limits.check_secret(value).map_err(form)?;
    let s = NewSecret {
        value: zeroize::Zeroizing::new(value.to_owned()),
        passphrase,
        ttl,
        recipients,
    };
    store_secret(&state, &caller, s, now, false).await
}

/// `POST /api/v1/generate`: store a random password and return it once as `value`.
pub async fn secret_generate(
    AxState(state): AxState<AppState>,
    caller: Caller,
    ip: ClientIp,
    p: Params,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let (passphrase, ttl, recipients) = common_fields(&state, &caller, ip, &p, now)?;
    let length = state
        .config
        .limits
        .generate_length(
            p.get("length")
                .map(|l| u32::try_from(to_i(l).max(0)).unwrap_or(u32::MAX)),
        )
        .map_err(form)?;
    let sets = CharSets::from_params(&p);
    let value = generate_password(length, sets).map_err(ApiError::internal)?;
    let s = NewSecret {
        value: zeroize::Zeroizing::new(value),
        passphrase,
        ttl,
        recipients,
    };
    store_secret(&state, &caller, s, now, true).await
}

/// Checks a passphrase against its hash on the blocking pool.
async fn passphrase_matches(given: Option<&str>, hash: String) -> Result<bool, ApiError> {
    let Some(given) = given.filter(|g| !g.is_empty()) else {
        return Ok(false);
    };
    let given = zeroize::Zeroizing::new(given.to_owned());
    tokio::task::spawn_blocking(move || crypto::verify_passphrase(&given, &hash))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// `POST /api/v1/secret/:key`: reveal, which consumes the secret.
pub async fn secret_reveal(
    AxState(state): AxState<AppState>,
    Path(raw): Path<String>,
    caller: Caller,
    ip: ClientIp,
    p: Params,
) -> Result<Response, ApiError> {
    let key = path_key(&raw)?;
    let now = state.clock.now();
    if caller.account().is_none() && !state.reveals.allow(ip.0, now) {
        return Err(ApiError::RateLimited);
    }
    if state.lockout.is_locked(&key, now) {
        return Err(ApiError::Locked);
    }
    let unknown = || ApiError::UnknownSecret { key: key.clone() };
    let store = &state.store;
    let won = match store
        .claim(&key, Outcome::Received, false, now)
        .await
        .map_err(ApiError::internal)?
    {
        Claim::Won(r) => r,
        Claim::Missing => return Err(unknown()),
        Claim::NeedsPassphrase(hash) => {
            if !passphrase_matches(p.get("passphrase"), hash).await? {
                state.lockout.fail(&key, now);
                tracing::info!(secret = shortkey(&key), "wrong passphrase on reveal");
                // v1: a wrong passphrase looks exactly like an unknown secret.
                return Err(unknown());
            }
            match store
                .claim(&key, Outcome::Received, true, now)
                .await
                .map_err(ApiError::internal)?
            {
                Claim::Won(r) => r,
                _ => return Err(unknown()),
            }
        }
    };
    let value = state
        .master
        .open(&key, &won.ciphertext)
        .map_err(ApiError::internal)?;
    let value = std::str::from_utf8(&value).map_err(ApiError::internal)?;
    tracing::info!(secret = shortkey(&key), "secret revealed");
    #[derive(Serialize)]
    struct Revealed<'a> {
        value: &'a str,
        secret_key: &'a str,
        share_domain: &'a str,
    }
    Ok(ok(&Revealed {
        value,
        secret_key: &key,
        share_domain: &state.config.base_url,
    }))
}

/// `GET|POST /api/v1/receipt/:key` (and the `private`/`metadata` aliases).
/// Holding the receipt key is the capability; viewing never changes state.
pub async fn receipt_show(
    AxState(state): AxState<AppState>,
    Path(raw): Path<String>,
    _caller: Caller,
    _p: Params,
) -> Result<Response, ApiError> {
    let key = path_key(&raw)?;
    let now = state.clock.now();
    let r = state
        .store
        .receipt(&key, now)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::UnknownSecret { key })?;
    Ok(ok(&receipt_body(
        &r,
        now,
        &state.config.base_url,
        View::Full,
        None,
    )))
}

/// `POST /api/v1/receipt/:key/burn`: destroy the secret (passphrase needed if set).
pub async fn receipt_burn(
    AxState(state): AxState<AppState>,
    Path(raw): Path<String>,
    _caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let key = path_key(&raw)?;
    let now = state.clock.now();
    let unknown = || ApiError::UnknownSecret { key: key.clone() };
    let mut r = state
        .store
        .receipt(&key, now)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(unknown)?;
    if r.view_state(now) != State::New {
        return Err(unknown());
    }
    let store = &state.store;
    let claim = store
        .claim(&r.secret_key, Outcome::Burned, false, now)
        .await
        .map_err(ApiError::internal)?;
    let won = match claim {
        Claim::Won(_) => true,
        Claim::Missing => false,
        Claim::NeedsPassphrase(hash) => {
            if state.lockout.is_locked(&r.secret_key, now) {
                return Err(ApiError::Locked);
            }
            if !passphrase_matches(p.get("passphrase"), hash).await? {
                state.lockout.fail(&r.secret_key, now);
                return Err(form(ots_core::limits::ValidationError::IncorrectPassphrase));
            }
            matches!(
                store
                    .claim(&r.secret_key, Outcome::Burned, true, now)
                    .await
                    .map_err(ApiError::internal)?,
                Claim::Won(_)
            )
        }
    };
    if !won {
        return Err(unknown());
    }
    r.mark(Outcome::Burned, now);
    tracing::info!(secret = shortkey(&r.secret_key), "secret burned");
    #[derive(Serialize)]
    struct Burned<'a> {
        state: ReceiptBody<'a>,
        secret_shortkey: &'a str,
    }
    Ok(ok(&Burned {
        state: receipt_body(&r, now, &state.config.base_url, View::Full, None),
        secret_shortkey: shortkey(&r.secret_key),
    }))
}

/// `GET /api/v1/receipt/recent`: the account's receipts of the last 30 days.
pub async fn receipt_list(
    AxState(state): AxState<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let account = caller.account().ok_or(ApiError::NotAuthorized)?;
    let now = state.clock.now();
    let list = state
        .store
        .recent(&account.custid, now.saturating_sub(RECENT_WINDOW), now)
        .await
        .map_err(ApiError::internal)?;
    let items: Vec<ReceiptBody<'_>> = list
        .iter()
        .map(|r| receipt_body(r, now, &state.config.base_url, View::ListItem, None))
        .collect();
    Ok(ok(&items))
}

/// Character sets for generated passwords (reference §2.3: all on by default).
// TODO(move to ots-core): `password::CharSets` and its generator.
#[derive(Debug, Clone, Copy)]
struct CharSets {
    uppercase: bool,
    lowercase: bool,
    numbers: bool,
    symbols: bool,
    exclude_ambiguous: bool,
}

impl CharSets {
    fn from_params(p: &Params) -> CharSets {
        let mut s = CharSets {
            uppercase: true,
            lowercase: true,
            numbers: true,
            symbols: true,
            exclude_ambiguous: true,
        };
        for (k, v) in p.nested("character_sets") {
            let on = !matches!(v.trim(), "" | "0" | "false" | "off" | "no");
            match k {
                "uppercase" => s.uppercase = on,
                "lowercase" => s.lowercase = on,
                "numbers" => s.numbers = on,
                "symbols" => s.symbols = on,
                "exclude_ambiguous" => s.exclude_ambiguous = on,
                _ => {}
            }
        }
        s
    }
}

fn generate_password(len: usize, s: CharSets) -> Result<String, crypto::CryptoError> {
    const AMBIGUOUS: &str = "il1Lo0O";
    let mut alphabet: Vec<char> = Vec::new();
    if s.uppercase {
        alphabet.extend('A'..='Z');
    }
    if s.lowercase {
        alphabet.extend('a'..='z');
    }
    if s.numbers {
        alphabet.extend('0'..='9');
    }
    if s.symbols {
        alphabet.extend("!@#$%^&*()-_=+[]{};:,.?".chars());
    }
    if s.exclude_ambiguous {
        alphabet.retain(|c| !AMBIGUOUS.contains(*c));
    }
    if alphabet.is_empty() {
        alphabet.extend('a'..='z');
    }
    let n = alphabet.len() as u32;
    // Rejection sampling: accept bytes below the largest multiple of n (no modulo bias).
    let zone = 256 - 256 % n;
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.chars().count() < len {
        getrandom::fill(&mut buf).map_err(|_| crypto::CryptoError::Random)?;
        for &b in &buf {
            if u32::from(b) < zone && out.chars().count() < len {
                out.push(alphabet[(u32::from(b) % n) as usize]);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_i_is_rubys() {
        assert_eq!(to_i("3600"), 3600);
        assert_eq!(to_i(" 60abc"), 60);
        assert_eq!(to_i("-5"), -5);
        assert_eq!(to_i("abc"), 0);
        assert_eq!(to_i(""), 0);
        assert_eq!(to_i("99999999999999999999999"), i64::MAX);
    }
}
