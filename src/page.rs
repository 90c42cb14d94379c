//! The page around either build: its address, the route and the key kept for a reload,
//! the JSON files next to `index.html` (settings and languages), and the theme. No views:
//! the full app (`app.rs`) and the recipient's small build (`recipient/`) share it.

use ots_core::link::{LinkError, Route};
use wasm_bindgen::JsCast;

use crate::config::{Settings, Value};
use crate::dom::{document, window};
use crate::i18n::{self, Table};
use crate::storage;

/// The page's URL without its fragment: where app links point.
pub fn page_url() -> String {
    let href = window().location().href().unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_owned()
}

/// Reads the route from the address bar. A decryption key is removed from the address bar
/// at once, so it stays out of the visible URL, bookmarks, synced history and screenshots.
/// It moves into this tab's own session-history entry (`history.state`), which a reload
/// keeps and nothing else can read; the key is read back from there after a reload.
pub fn read_route() -> Result<Route, LinkError> {
    let hash = window().location().hash().unwrap_or_default();
    let mut route = Route::parse(&hash);
    let Ok(history) = window().history() else {
        return route;
    };
    if let Ok(Route::Reveal(link)) = &mut route {
        if link.key.is_some() {
            let mut without_key = link.clone();
            without_key.key = None;
            let clean = Route::Reveal(without_key).to_url(&page_url());
            let _ = history.replace_state_with_url(&hash.into(), "", Some(&clean));
        } else if let Some(Ok(Route::Reveal(kept))) = history
            .state()
            .ok()
            .and_then(|s| s.as_string())
            .map(|s| Route::parse(&s))
            && kept.secret_key == link.secret_key
        {
            link.key = kept.key;
        }
    }
    route
}

/// Forgets the key kept in this tab's session-history entry.
pub fn forget_kept_key() {
    if let Ok(history) = window().history() {
        let _ = history.replace_state(&wasm_bindgen::JsValue::NULL, "");
    }
}

/// Fetches a JSON file next to `index.html` as a config [`Value`]: the answer the boot
/// script started fetching beside the wasm when there is one (`scripts/entries.py`: the
/// settings, and the language it guessed), else a fetch now (a host page that embeds the
/// app has no boot script). `None` when the file is missing or cannot be read.
pub async fn fetch_json(path: &str) -> Option<Value> {
    if let Some(started) = take_started(path) {
        let text = wasm_bindgen_futures::JsFuture::from(started).await.ok()?;
        return Value::parse(&text.as_string()?);
    }
    let response = gloo_net::http::Request::get(path).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    Value::parse(&response.text().await.ok()?)
}

/// The boot script's fetch of `path`, taken once: a later read fetches the file again.
fn take_started(path: &str) -> Option<js_sys::Promise> {
    let started = js_sys::Reflect::get(&window(), &"otsStarted".into())
        .ok()
        .filter(|s| s.is_object())?;
    let path = wasm_bindgen::JsValue::from_str(path);
    let promise = js_sys::Reflect::get(&started, &path).ok()?;
    let _ = js_sys::Reflect::delete_property(started.unchecked_ref::<js_sys::Object>(), &path);
    promise.dyn_into().ok()
}

/// The language kept from an earlier visit, else the browser's best supported one.
pub fn preferred_language() -> &'static str {
    if let Some(saved) = storage::get_local(storage::LOCALE)
        && let Some((code, _)) = i18n::LOCALES.iter().find(|(c, _)| *c == saved)
    {
        return code;
    }
    let languages: Vec<String> = window()
        .navigator()
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    i18n::negotiate(languages.iter().map(String::as_str))
}

/// Applies theme colours as CSS custom properties (CSSOM, which the CSP allows).
pub fn apply_theme(settings: &Settings) {
    let Some(root) = document()
        .document_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    for (name, value) in &settings.theme {
        let _ = root.style().set_property(name, value);
    }
}

/// A language's texts, other than English (compiled in): `locales/<code>.json`.
pub async fn fetch_locale(code: &str) -> Option<Table> {
    let Some(Value::Map(map)) = fetch_json(&format!("locales/{code}.json")).await else {
        return None;
    };
    let pairs = map.into_iter().filter_map(|(k, v)| match v {
        Value::Text(t) => Some((k, t)),
        _ => None,
    });
    Some(Table::from_pairs(pairs))
}

/// Says which language the page is in, once its texts are (`<html lang>` changes with the
/// texts, not before them, so a screen reader never reads one language with another's
/// voice), and keeps the choice for the next visit.
pub fn set_page_language(code: &str) {
    storage::set_local(storage::LOCALE, code);
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", code);
    }
}
