//! The v1 handlers, one per route of the reference's table 2.1.
//!
//! Handlers are thin: parse with [`Params`] and [`Caller`], validate with
//! `ots_core::limits`, talk to the [`Store`](crate::store::Store), answer flat JSON.

use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use ots_core::keys::{MIN_LEN as KEY_MIN_LEN, sanitize as sanitize_key, shortkey};
use ots_core::limits::ValidationError;
use ots_core::password::{CharSets, PasswordError};
use ots_core::wire::{
    BurnResponse, GenerateRequest, Receipt, ReceiptState, RecentItem, RevealResponse,
    SecretOptions, ShareRequest, StatusResponse,
};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::auth::Caller;
use crate::client_ip::ClientIp;
use crate::crypto;
use crate::error::{ApiError, json_response};
use crate::mail::{looks_like_email, obscure_email};
use crate::params::Params;
use crate::state::AppState;
use crate::store::{Claim, Hit, Outcome, ReceiptRecord, SecretRecord, State, StoreError};

/// How long `recent` looks back.
const RECENT_WINDOW: u64 = 30 * 24 * 3600;
/// Most recipients kept per secret (only the first is mailed).
const MAX_RECIPIENTS: usize = 10;

/// The v1 receipt object for a stored receipt, as seen at `now` (reference §2.4). A
/// `recent` list writes it as a [`RecentItem`].
fn receipt_body(r: &ReceiptRecord, now: u64, base_url: &str, value: Option<String>) -> Receipt {
    let state = r.view_state(now);
    let received = state == State::Received;
    Receipt {
        custid: r.custid.clone(),
        metadata_key: r.metadata_key.clone(),
        secret_key: (!received).then(|| r.secret_key.clone()),
        ttl: r.ttl,
        metadata_ttl: r.expires_at.saturating_sub(now),
        secret_ttl: (!received).then(|| r.secret_expires_at.saturating_sub(now)),
        metadata_url: format!("{base_url}/receipt/{}", r.metadata_key),
        state: match state {
            State::New => ReceiptState::New,
            State::Received => ReceiptState::Received,
            State::Burned => ReceiptState::Burned,
            State::Expired => ReceiptState::Expired,
        },
        updated: r.updated,
        created: r.created,
        received: if received {
            r.received.or(Some(r.updated))
        } else {
            None
        },
        recipient: r.recipients.clone(),
        share_domain: r.share_domain.clone(),
        value,
        passphrase_required: r.passphrase_required,
    }
}

fn ok(body: &impl Serialize) -> Response {
    json_response(StatusCode::OK, body)
}

/// Answers with a receipt that may carry a plaintext value, then wipes the value.
fn ok_wiping(mut body: Receipt) -> Response {
    let res = ok(&body);
    if let Some(v) = body.value.as_mut() {
        zeroize::Zeroize::zeroize(v);
    }
    res
}

/// A store failure as the client sees it: the shared per-IP limit as v1's rate-limit
/// error, anything else as the generic one.
fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::OverLimit => ApiError::RateLimited,
        e => ApiError::internal(e),
    }
}

fn form(e: ValidationError) -> ApiError {
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
    ok(&StatusResponse::default())
}

/// `GET /api/v1/authcheck`: as status, for valid credentials only.
pub async fn authcheck_show(caller: Caller) -> Result<Response, ApiError> {
    caller.account().ok_or(ApiError::NotAuthorized)?;
    Ok(ok(
        &serde_json::json!({"status": "nominal", "locale": "en"}),
    ))
}

/// A new secret's options, validated.
struct Checked {
    passphrase: Option<Zeroizing<String>>,
    ttl: u64,
    recipients: Vec<String>,
}

/// v1's per-IP limit on creations, for anonymous callers only.
fn rate_limit_creates(
    state: &AppState,
    caller: &Caller,
    ip: ClientIp,
    now: u64,
) -> Result<(), ApiError> {
    if caller.account().is_none() && !state.creates.allow(ip.0, now) {
        return Err(ApiError::RateLimited);
    }
    Ok(())
}

/// Validates a new secret's options in v1's order, which decides the message a request
/// with several faults gets: recipient, share domain, passphrase (Onetime Secret
/// v0.26.6 `apps/api/v1/logic/secrets/base_secret_action.rb` lines 82-88, after the
/// secret's size; the empty secret is checked last, by the caller).
fn check_options(
    state: &AppState,
    caller: &Caller,
    options: &SecretOptions,
) -> Result<Checked, ApiError> {
    let authed = caller.account().is_some();
    let limits = &state.config.limits;
    let ttl = limits.clamp_ttl(options.ttl, authed);
    let recipients: Vec<&str> = options
        .recipient
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .collect();
    if !recipients.is_empty() && !authed {
        return Err(form(ValidationError::RecipientNeedsAccount));
    }
    if let Some(bad) = recipients.iter().find(|r| !looks_like_email(r)) {
        return Err(form(ValidationError::UndeliverableEmail {
            address: (*bad).to_owned(),
        }));
    }
    let share_domain = options.share_domain.as_deref();
    check_share_domain(share_domain, &state.config.base_url, authed).map_err(form)?;
    let passphrase = match options.passphrase.as_deref().filter(|s| !s.is_empty()) {
        Some(pass) => {
            limits.check_passphrase(pass).map_err(form)?;
            Some(Zeroizing::new(pass.to_owned()))
        }
        None => None,
    };
    let recipients = recipients
        .into_iter()
        .take(MAX_RECIPIENTS)
        .map(str::to_owned)
        .collect();
    Ok(Checked {
        passphrase,
        ttl,
        recipients,
    })
}

/// An anonymous create, for the store to count across instances.
fn create_hit(state: &AppState, caller: &Caller, ip: ClientIp) -> Option<Hit> {
    caller
        .account()
        .is_none()
        .then(|| state.creates.hit("creates", ip.0))
        .flatten()
}

/// v1's `share_domain` rules with no custom domains registered (Onetime Secret v0.26.6
/// `base_secret_action.rb`): a value that is not a domain, or is this site's own host,
/// is ignored (`process_share_domain`, lines 239-255); any other domain is refused, for
/// an anonymous caller as not theirs to use (`validate_anonymous_share_domain`, line
/// 353), for an account as unknown, there being no registered domain of that name
/// (`validate_domain_access`, line 534).
fn check_share_domain(
    requested: Option<&str>,
    base_url: &str,
    authenticated: bool,
) -> Result<(), ValidationError> {
    let Some(domain) = requested.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    if !looks_like_public_domain(domain) || domain.eq_ignore_ascii_case(host_of(base_url)) {
        return Ok(());
    }
    let domain = domain.to_owned();
    Err(if authenticated {
        ValidationError::UnknownDomain { domain }
    } else {
        ValidationError::DomainNotAllowed { domain }
    })
}

/// The host of a URL, without scheme, port or path.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

/// Whether `name` could be a public domain: what upstream's `PublicSuffix.valid?` asks,
/// judged by syntax. Labels of letters, digits and inner hyphens, at least two of them,
/// ending in a top-level name of letters (or punycode) that is not one of the names
/// reserved for tests and local networks, which the public suffix list never holds.
fn looks_like_public_domain(name: &str) -> bool {
    const RESERVED: [&str; 6] = [
        "example",
        "test",
        "invalid",
        "localhost",
        "local",
        "internal",
    ];
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let Some(tld) = labels.last() else {
        return false;
    };
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && (tld.bytes().all(|b| b.is_ascii_alphabetic()) && tld.len() >= 2
            || tld.to_ascii_lowercase().starts_with("xn--"))
        && !RESERVED.iter().any(|r| tld.eq_ignore_ascii_case(r))
}

/// Seals, stores and answers with the receipt (plus `value` for generate).
async fn store_secret(
    state: &AppState,
    caller: &Caller,
    ip: ClientIp,
    now: u64,
    value: Zeroizing<String>,
    options: Checked,
    echo_value: bool,
) -> Result<Response, ApiError> {
    let secret_key = crypto::new_key().map_err(ApiError::internal)?;
    let metadata_key = crypto::new_key().map_err(ApiError::internal)?;
    let ciphertext = state
        .master
        .seal(&secret_key, value.as_bytes())
        .map_err(ApiError::internal)?;
    // Argon2 only for secrets that have a passphrase, and off the async threads.
    let passphrase = match options.passphrase {
        Some(pass) => {
            let cost = state.passphrase_cost;
            let _slot = state
                .argon2_slots
                .acquire()
                .await
                .map_err(ApiError::internal)?;
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
        ttl: options.ttl,
        created: now,
        updated: now,
        received: None,
        burned: None,
        secret_expires_at: now + options.ttl,
        expires_at: now + 2 * options.ttl,
        recipients: options
            .recipients
            .iter()
            .map(|r| obscure_email(r))
            .collect(),
        passphrase_required: passphrase.is_some(),
        share_domain: String::new(),
        preview: echo_value,
    };
    let secret = SecretRecord {
        metadata_key,
        expires_at: now + options.ttl,
        passphrase,
        ciphertext,
    };
    state
        .store
        .put(
            &secret_key,
            &secret,
            &receipt,
            create_hit(state, caller, ip),
        )
        .await
        .map_err(store_err)?;
    tracing::debug!(
        secret = shortkey(&secret_key),
        receipt = shortkey(&receipt.metadata_key),
        ttl = options.ttl,
        passphrase = receipt.passphrase_required,
        anonymous = caller.account().is_none(),
        "secret created"
    );
    if let (Some(mailer), Some(to)) = (&state.mailer, options.recipients.first()) {
        let link = ots_core::link::server_secret_url(&state.config.base_url, &secret_key);
        mailer.send_link(to, caller.custid(), link, shortkey(&secret_key).to_owned());
    }
    let value = echo_value.then(|| value.to_string());
    Ok(ok_wiping(receipt_body(
        &receipt,
        now,
        &state.config.base_url,
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
    let req: ShareRequest = p.parse()?;
    rate_limit_creates(&state, &caller, ip, now)?;
    let value = Zeroizing::new(req.secret);
    // v1's order: size first, the options, and an empty secret last
    // (v0.26.6 `conceal_secret.rb` line 18, after `super`).
    state
        .config
        .limits
        .check_secret_size(&value)
        .map_err(form)?;
    let options = check_options(&state, &caller, &req.options)?;
    if value.is_empty() {
        return Err(form(ValidationError::Empty));
    }
    store_secret(&state, &caller, ip, now, value, options, false).await
}

/// `POST /api/v1/generate`: store a random password and return it once as `value`.
pub async fn secret_generate(
    AxState(state): AxState<AppState>,
    caller: Caller,
    ip: ClientIp,
    p: Params,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let req: GenerateRequest = p.parse()?;
    rate_limit_creates(&state, &caller, ip, now)?;
    // v1 checks the length and generates while reading the params, before validating
    // the rest (v0.26.6 `generate_secret.rb` lines 18-32).
    let limits = &state.config.limits;
    let length = limits.generate_length(req.length).map_err(form)?;
    let value = new_password(length, &req.character_sets.unwrap_or_default())?;
    limits.check_secret_size(&value).map_err(form)?;
    let options = check_options(&state, &caller, &req.options)?;
    store_secret(&state, &caller, ip, now, value, options, true).await
}

/// A random password from the OS's random source.
fn new_password(length: usize, sets: &CharSets) -> Result<Zeroizing<String>, ApiError> {
    let mut rng_failed = false;
    let value = ots_core::password::generate(length, sets, &mut |buf| {
        rng_failed |= getrandom::fill(buf).is_err();
    });
    match value {
        Ok(v) if !rng_failed => Ok(v),
        // No character set left (all switched off): v1 reports a generic error.
        Err(PasswordError::NoCharSets) => Err(ApiError::Unexpected),
        Ok(_) => Err(ApiError::internal("random source failed")),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// Checks a passphrase against its hash on the blocking pool, behind the lockout: a
/// locked secret is refused without a check, and a wrong passphrase is counted.
async fn passphrase_proven(
    state: &AppState,
    secret_key: &str,
    given: Option<&str>,
    hash: String,
    now: u64,
) -> Result<bool, ApiError> {
    // Only passphrase guesses lock a secret, so only these secrets are checked.
    if state
        .store
        .locked(secret_key, now)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::Locked);
    }
    let matches = match given.filter(|g| !g.is_empty()) {
        None => false,
        Some(given) => {
            let _slot = state
                .argon2_slots
                .acquire()
                .await
                .map_err(ApiError::internal)?;
            let given = Zeroizing::new(given.to_owned());
            tokio::task::spawn_blocking(move || crypto::verify_passphrase(&given, &hash))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?
        }
    };
    if !matches {
        state
            .store
            .passphrase_failed(secret_key, now)
            .await
            .map_err(ApiError::internal)?;
        tracing::info!(secret = shortkey(secret_key), "wrong passphrase");
    }
    Ok(matches)
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
    let anonymous = caller.account().is_none();
    if anonymous && !state.reveals.allow(ip.0, now) {
        return Err(ApiError::RateLimited);
    }
    let hit = anonymous
        .then(|| state.reveals.hit("reveals", ip.0))
        .flatten();
    let unknown = || ApiError::UnknownSecret { key: key.clone() };
    let store = &state.store;
    let won = match store
        .claim(&key, Outcome::Received, false, now, hit)
        .await
        .map_err(store_err)?
    {
        Claim::Won(r) => r,
        Claim::Missing => return Err(unknown()),
        Claim::NeedsPassphrase(hash) => {
            if !passphrase_proven(&state, &key, p.get("passphrase"), hash, now).await? {
                // v1: a wrong passphrase looks exactly like an unknown secret.
                return Err(unknown());
            }
            match store
                .claim(&key, Outcome::Received, true, now, None)
                .await
                .map_err(store_err)?
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
    tracing::debug!(secret = shortkey(&key), "secret revealed");
    let mut body = RevealResponse {
        value: value.to_owned(),
        secret_key: key,
        share_domain: state.config.base_url.clone(),
    };
    let res = ok(&body);
    zeroize::Zeroize::zeroize(&mut body.value);
    Ok(res)
}

/// How long after creation the receipt may show a generated value (once), as the
/// reference's `generated_value_display_ttl`.
pub const GENERATED_VALUE_WINDOW_SECS: u64 = 60;

/// `GET|POST /api/v1/receipt/:key` (and the `private`/`metadata` aliases).
/// Holding the receipt key is the capability; viewing never changes state. The one
/// exception is v1's creator preview: a generated value without a passphrase is
/// included exactly once, within [`GENERATED_VALUE_WINDOW_SECS`] of creation, while the
/// secret is unread.
pub async fn receipt_show(
    AxState(state): AxState<AppState>,
    Path(raw): Path<String>,
    _caller: Caller,
    _p: Params,
) -> Result<Response, ApiError> {
    let key = path_key(&raw)?;
    let now = state.clock.now();
    let store = &state.store;
    let r = store
        .receipt(&key, now)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::UnknownSecret { key })?;
    let mut value = None;
    // Never for a secret with a passphrase: the receipt link alone must not show
    // what only the passphrase should open (v0.26.6 `show_receipt.rb` line 110,
    // `can_decrypt?` being false when a passphrase is set).
    if r.preview
        && !r.passphrase_required
        && r.view_state(now) == State::New
        && now < r.created + GENERATED_VALUE_WINDOW_SECS
        && store
            .claim_preview(&r.metadata_key, now)
            .await
            .map_err(ApiError::internal)?
        && let Some(secret) = store
            .secret(&r.secret_key, now)
            .await
            .map_err(ApiError::internal)?
    {
        let plain = state
            .master
            .open(&r.secret_key, &secret.ciphertext)
            .map_err(ApiError::internal)?;
        value = Some(String::from_utf8(plain.to_vec()).map_err(ApiError::internal)?);
        tracing::debug!(
            receipt = shortkey(&r.metadata_key),
            "generated value previewed"
        );
    }
    Ok(ok_wiping(receipt_body(
        &r,
        now,
        &state.config.base_url,
        value,
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
        .claim(&r.secret_key, Outcome::Burned, false, now, None)
        .await
        .map_err(ApiError::internal)?;
    let won = match claim {
        Claim::Won(_) => true,
        Claim::Missing => false,
        Claim::NeedsPassphrase(hash) => {
            if !passphrase_proven(&state, &r.secret_key, p.get("passphrase"), hash, now).await? {
                return Err(form(ValidationError::IncorrectPassphrase));
            }
            matches!(
                store
                    .claim(&r.secret_key, Outcome::Burned, true, now, None)
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
    tracing::debug!(secret = shortkey(&r.secret_key), "secret burned");
    Ok(ok(&BurnResponse {
        state: receipt_body(&r, now, &state.config.base_url, None),
        secret_shortkey: shortkey(&r.secret_key).to_owned(),
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
    let receipts: Vec<Receipt> = list
        .iter()
        .map(|r| receipt_body(r, now, &state.config.base_url, None))
        .collect();
    let items: Vec<RecentItem<'_>> = receipts.iter().map(RecentItem).collect();
    Ok(ok(&items))
}
