//! What the app keeps in the browser: the language, the account only where the user
//! chose (memory, this tab's `sessionStorage`, or `localStorage` when remembered), and for
//! a few minutes after a reveal the still-encrypted envelope, in this tab's
//! `sessionStorage`, so a reload loses nothing. Never a plaintext secret or a decryption key.

use web_sys::Storage;

use crate::api::Credentials;
use crate::dom::window;

/// The chosen language.
pub const LOCALE: &str = "ots.locale";
/// The account, when kept.
pub const ACCOUNT: &str = "ots.account";
/// Prefix of a revealed envelope kept for this tab: `ots.revealed.<secret key>`.
const REVEALED: &str = "ots.revealed.";
/// How long a revealed envelope is kept.
pub const KEEP_REVEALED_MS: u64 = 5 * 60 * 1000;

fn local() -> Option<Storage> {
    window().local_storage().ok().flatten()
}

fn session() -> Option<Storage> {
    window().session_storage().ok().flatten()
}

/// Reads a `localStorage` entry.
pub fn get_local(name: &str) -> Option<String> {
    local()?.get_item(name).ok().flatten()
}

/// Writes a `localStorage` entry (silently skipped where storage is disabled).
pub fn set_local(name: &str, value: &str) {
    if let Some(s) = local() {
        let _ = s.set_item(name, value);
    }
}

fn encode(c: &Credentials) -> String {
    ots_core::form::encode([("u", c.username.as_str()), ("t", c.token.as_str())])
}

fn decode(text: &str) -> Option<Credentials> {
    let pairs = ots_core::form::parse(text)?;
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    Some(Credentials {
        username: get("u")?,
        token: get("t")?,
    })
}

/// The account kept by an earlier visit: this tab's, else a remembered one.
pub fn load_account() -> Option<Credentials> {
    session()
        .and_then(|s| s.get_item(ACCOUNT).ok().flatten())
        .or_else(|| local().and_then(|s| s.get_item(ACCOUNT).ok().flatten()))
        .and_then(|t| decode(&t))
}

/// Keeps the account for this tab, or on this device when `remember` is set.
pub fn save_account(credentials: &Credentials, remember: bool) {
    forget_account();
    let store = if remember { local() } else { session() };
    if let Some(s) = store {
        let _ = s.set_item(ACCOUNT, &encode(credentials));
    }
}

/// Removes the account from both storages.
pub fn forget_account() {
    for s in [local(), session()].into_iter().flatten() {
        let _ = s.remove_item(ACCOUNT);
    }
}

/// Keeps a revealed envelope (ciphertext only: callers check it is one) for this tab, for
/// [`KEEP_REVEALED_MS`]: `<expiry in ms>|<envelope>`.
pub fn keep_revealed(secret_key: &str, envelope: &str) {
    if let Some(s) = session() {
        let expires = now_ms() + KEEP_REVEALED_MS;
        let _ = s.set_item(
            &format!("{REVEALED}{secret_key}"),
            &format!("{expires}|{envelope}"),
        );
    }
}

/// The envelope in a kept entry (`<expiry in ms>|<envelope>`), unless its time is up.
fn live_envelope(entry: &str, now: u64) -> Option<&str> {
    let (expires, envelope) = entry.split_once('|')?;
    (expires.parse::<u64>().ok()? > now).then_some(envelope)
}

/// The envelope kept by an earlier reveal in this tab, while it has not expired (an
/// expired one is removed).
pub fn kept_revealed(secret_key: &str) -> Option<String> {
    let s = session()?;
    let name = format!("{REVEALED}{secret_key}");
    let entry = s.get_item(&name).ok()??;
    let live = live_envelope(&entry, now_ms()).map(str::to_owned);
    if live.is_none() {
        let _ = s.remove_item(&name);
    }
    live
}

/// Forgets a kept envelope.
pub fn forget_revealed(secret_key: &str) {
    if let Some(s) = session() {
        let _ = s.remove_item(&format!("{REVEALED}{secret_key}"));
    }
}

/// Removes every kept envelope whose time is up.
pub fn drop_expired_reveals() {
    let Some(s) = session() else { return };
    let now = now_ms();
    let names: Vec<String> = (0..s.length().unwrap_or(0))
        .filter_map(|i| s.key(i).ok().flatten())
        .filter(|name| name.starts_with(REVEALED))
        .collect();
    for name in names {
        let live = s
            .get_item(&name)
            .ok()
            .flatten()
            .is_some_and(|entry| live_envelope(&entry, now).is_some());
        if !live {
            let _ = s.remove_item(&name);
        }
    }
}

/// Whole milliseconds since the epoch (integers keep float parsing out of the wasm).
fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}
