//! What the app keeps in the browser: the language, and the account only where the user
//! chose (memory, this tab's `sessionStorage`, or `localStorage` when remembered). Never a
//! secret or a decryption key.

use leptos::prelude::*;
use web_sys::Storage;

use crate::api::Credentials;

/// The chosen language.
pub const LOCALE: &str = "ots.locale";
/// The account, when kept.
pub const ACCOUNT: &str = "ots.account";

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
