//! Browser component tests: the real app mounted in headless Chromium, with `fetch`
//! replaced by a fake API so each answer (and failure) can be chosen.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Replaces `window.fetch`: `body` is the JS of a function `(url, init) => Promise<Response>`;
/// every call's URL and body are kept in `window.__calls`.
fn fake_fetch(body: &str) {
    let f = js_sys::Function::new_with_args(
        "impl",
        "window.__calls = []; window.fetch = async (req, init) => { \
           const u = typeof req === 'string' ? req : req.url; \
           const body = typeof req === 'string' ? String((init && init.body) || '') \
             : await req.clone().text(); \
           window.__calls.push({url: u, body}); \
           return impl(u, init); };",
    );
    let implementation = js_sys::Function::new_with_args("url, init", body);
    f.call1(&wasm_bindgen::JsValue::NULL, &implementation)
        .expect("install fake fetch");
}

fn calls_to(path: &str) -> usize {
    let calls = js_sys::eval("JSON.stringify(window.__calls || [])")
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    calls.matches(path).count()
}

const API_OK: &str = "if (url.endsWith('config.json')) return Promise.resolve(new Response('{}')); \
    if (url.includes('/status')) return Promise.resolve(new Response('{\"status\":\"nominal\",\"locale\":\"en\"}'));";

/// The fake API's answer to a create: a new receipt.
const NEW_RECEIPT: &str = "return Promise.resolve(new Response(JSON.stringify({custid:'anon', \
     metadata_key:'m'.repeat(62), secret_key:'s'.repeat(62), ttl:'3600', metadata_ttl:7200, \
     secret_ttl:3600, state:'new', created:'1767225600', updated:1767225600, recipient:[], \
     share_domain:'', passphrase_required:false})));";

async fn sleep(ms: u64) {
    let (tx, rx) = futures_channel();
    leptos::prelude::set_timeout(tx, Duration::from_millis(ms));
    let _ = rx.await;
}

/// Waits (up to 5 s) until `ready` holds: a negative check first waits for the event that
/// shows the action was handled, never a fixed time.
async fn until(what: &str, ready: impl Fn() -> bool) {
    for _ in 0..500 {
        if ready() {
            return;
        }
        sleep(10).await;
    }
    panic!("{what} never happened");
}

fn futures_channel() -> (impl FnOnce(), wasm_bindgen_futures::JsFuture) {
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |r, _| resolve = Some(r));
    let resolve = resolve.expect("promise executor ran");
    (
        move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        },
        wasm_bindgen_futures::JsFuture::from(promise),
    )
}

fn el<T: JsCast>(testid: &str) -> T {
    leptos::prelude::document()
        .query_selector(&format!("[data-testid=\"{testid}\"]"))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no [data-testid={testid}]"))
        .dyn_into::<T>()
        .unwrap_or_else(|_| panic!("[data-testid={testid}] has another type"))
}

fn text(testid: &str) -> String {
    el::<HtmlElement>(testid).inner_text()
}

/// The element's text, or nothing while it is not on the page.
fn shown(testid: &str) -> String {
    leptos::prelude::document()
        .query_selector(&format!("[data-testid=\"{testid}\"]"))
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        .map(|e| e.inner_text())
        .unwrap_or_default()
}

fn type_secret(value: &str) {
    let area: HtmlTextAreaElement = el("secret");
    area.set_value(value);
    // As a browser sends it: it bubbles up to the form, which listens for every control.
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let input = web_sys::Event::new_with_event_init_dict("input", &init).expect("event");
    area.dispatch_event(&input).expect("dispatch");
}

/// Mounts a fresh app on the create screen.
async fn mount() {
    mount_at("").await;
}

/// Mounts a fresh app in a fresh element (the test runner's own output stays in `<body>`),
/// at the screen `hash` names.
async fn mount_at(hash: &str) {
    // Each test starts as a fresh tab would: no envelope kept by an earlier reveal.
    if let Ok(Some(session)) = leptos::prelude::window().session_storage() {
        let _ = session.clear();
    }
    leptos::prelude::window()
        .location()
        .set_hash(hash)
        .expect("hash");
    let document = leptos::prelude::document();
    if let Some(old) = document.get_element_by_id("app-under-test") {
        old.remove();
    }
    let host: HtmlElement = document
        .create_element("div")
        .expect("div")
        .dyn_into()
        .expect("an HTML element");
    host.set_id("app-under-test");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    leptos::mount::mount_to(
        host,
        || leptos::view! { <ots_web::app::App screens=ots_web::pages::all /> },
    )
    .forget();
    sleep(50).await;
}

#[wasm_bindgen_test]
async fn the_byte_counter_counts_what_encryption_adds() {
    fake_fetch(&format!(
        "{API_OK} return Promise.reject(new TypeError('offline'));"
    ));
    mount().await;
    type_secret("hello");
    sleep(10).await;
    let encrypted = text("byte-count");
    assert!(
        encrypted.contains("of 10,000 bytes after encryption"),
        "{encrypted}"
    );
    assert!(
        !encrypted.starts_with("5 "),
        "encryption adds bytes: {encrypted}"
    );
    el::<HtmlInputElement>("encrypt").click();
    sleep(10).await;
    assert!(
        text("byte-count").starts_with("5 of 10,000"),
        "{}",
        text("byte-count")
    );
}

/// The full app may rebuild the create screen in place when its route is set again (at
/// start, or from `/` to `#/`): the page then holds one form, not the old one beside it.
#[wasm_bindgen_test]
async fn the_create_screen_drawn_again_is_on_the_page_once() {
    fake_fetch(&format!(
        "{API_OK} return Promise.reject(new TypeError('offline'));"
    ));
    mount().await;
    leptos::prelude::window()
        .location()
        .set_hash("#/")
        .expect("hash");
    type_secret("hello");
    sleep(10).await;
    let forms = js_sys::eval("document.querySelectorAll('[data-testid=secret]').length")
        .ok()
        .and_then(|n| n.as_f64());
    assert_eq!(forms, Some(1.0));
}

#[wasm_bindgen_test]
async fn an_empty_secret_is_refused_without_calling_the_api() {
    fake_fetch(&format!(
        "{API_OK} return Promise.reject(new TypeError('offline'));"
    ));
    mount().await;
    el::<HtmlElement>("create").click();
    until("the refusal", || !shown("error").is_empty()).await;
    assert_eq!(text("error"), "Type a secret first.");
    assert_eq!(calls_to("/api/v1/share"), 0);
}

#[wasm_bindgen_test]
async fn a_secret_over_the_limit_is_refused_before_submit() {
    fake_fetch(&format!(
        "{API_OK} return Promise.reject(new TypeError('offline'));"
    ));
    mount().await;
    type_secret(&"x".repeat(9_000));
    sleep(10).await;
    assert_eq!(
        el::<HtmlTextAreaElement>("secret")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    el::<HtmlElement>("create").click();
    until("the refusal", || !shown("error").is_empty()).await;
    assert!(text("error").contains("too long"), "{}", text("error"));
    assert_eq!(calls_to("/api/v1/share"), 0);
}

#[wasm_bindgen_test]
async fn a_server_error_is_named_and_the_form_is_kept() {
    fake_fetch(&format!(
        "{API_OK} return Promise.resolve(new Response('{{\"message\":\"Rate limit exceeded. Please try again later.\"}}', \
         {{status: 404, headers: {{'X-OTS-Intended-Status': '400'}}}}));"
    ));
    mount().await;
    type_secret("keep me");
    el::<HtmlElement>("create").click();
    // Sealing pads to 1 KiB first, which an unoptimized test build takes a while over.
    until("the error", || !shown("error").is_empty()).await;
    assert!(
        text("error").starts_with("Too many requests"),
        "{}",
        text("error")
    );
    assert_eq!(el::<HtmlTextAreaElement>("secret").value(), "keep me");
    assert_eq!(calls_to("/api/v1/share"), 1);
}

#[wasm_bindgen_test]
async fn an_offline_network_is_named_and_the_form_is_kept() {
    fake_fetch(&format!(
        "{API_OK} return Promise.reject(new TypeError('Failed to fetch'));"
    ));
    mount().await;
    type_secret("still here");
    el::<HtmlElement>("create").click();
    // Sealing pads to 1 KiB first, which an unoptimized test build takes a while over.
    until("the error", || !shown("error").is_empty()).await;
    assert!(
        text("error").starts_with("The server could not be reached"),
        "{}",
        text("error")
    );
    assert_eq!(el::<HtmlTextAreaElement>("secret").value(), "still here");
}

#[wasm_bindgen_test]
async fn an_answer_that_is_not_json_is_named() {
    fake_fetch(&format!(
        "{API_OK} return Promise.resolve(new Response('<html>502 Bad Gateway</html>', {{status: 502}}));"
    ));
    mount().await;
    type_secret("x");
    el::<HtmlElement>("create").click();
    // Sealing pads to 1 KiB first, which an unoptimized test build takes a while over.
    until("the error", || !shown("error").is_empty()).await;
    assert!(
        text("error").contains("not the API's JSON"),
        "{}",
        text("error")
    );
}

#[wasm_bindgen_test]
async fn an_encrypted_share_posts_only_the_envelope() {
    fake_fetch(&format!("{API_OK} {NEW_RECEIPT}"));
    mount().await;
    type_secret("top secret text");
    el::<HtmlElement>("create").click();
    until("the link", || {
        leptos::prelude::document()
            .query_selector("[data-testid=recipient-link]")
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let calls = js_sys::eval("JSON.stringify(window.__calls)")
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    assert!(calls.contains("secret=ots2."), "{calls}");
    // The access value derived from the key gates the secret, with no passphrase typed.
    assert!(calls.contains("passphrase="), "{calls}");
    assert!(!calls.contains("top secret"), "{calls}");
    let link = el::<HtmlElement>("recipient-link")
        .get_attribute("href")
        .unwrap_or_default();
    assert!(link.contains(&format!("#/s/{}/", "s".repeat(62))), "{link}");
    // The two halves can travel apart, and the link can go out with instructions.
    for testid in [
        "copy-link-without-key",
        "copy-key",
        "copy-with-instructions",
    ] {
        el::<HtmlElement>(testid);
    }
}

/// A reveal link for a secret key of 62 `s` and a (random-looking) decryption key.
const REVEAL_HASH: &str = "#/s/ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

async fn reveal_with(answer: &str) {
    fake_fetch(&format!("{API_OK} {answer}"));
    mount_at(REVEAL_HASH).await;
    el::<HtmlElement>("reveal").click();
    sleep(150).await;
}

#[wasm_bindgen_test]
async fn an_unknown_secret_names_the_causes_and_keeps_a_passphrase_field() {
    reveal_with(
        "return Promise.resolve(new Response('{\"message\":\"Unknown secret\",\"secret_key\":\"s\"}', {status: 404}));",
    )
    .await;
    assert!(
        text("reveal-error").contains("read already, burned or expired"),
        "{}",
        text("reveal-error")
    );
    el::<HtmlInputElement>("reveal-passphrase");
    assert!(text("reveal-error").find("used up now").is_none());
}

#[wasm_bindgen_test]
async fn a_lost_answer_says_the_reveal_may_have_counted() {
    reveal_with("return Promise.reject(new TypeError('Failed to fetch'));").await;
    assert!(
        text("reveal-error").starts_with("The server could not be reached"),
        "{}",
        text("reveal-error")
    );
    assert!(text("may-have-counted").contains("used up now"));
}

#[wasm_bindgen_test]
async fn a_payload_the_key_does_not_open_is_a_damaged_link() {
    reveal_with(
        "return Promise.resolve(new Response(JSON.stringify({value: 'ots1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secret_key: 's', share_domain: ''})));",
    )
    .await;
    assert!(
        text("reveal-error").starts_with("This link is damaged"),
        "{}",
        text("reveal-error")
    );
    assert!(
        leptos::prelude::document()
            .query_selector("[data-testid=revealed-value]")
            .ok()
            .flatten()
            .is_none(),
        "garbage was shown"
    );
}

#[wasm_bindgen_test]
async fn the_key_leaves_the_address_bar_before_the_reveal() {
    fake_fetch(&format!(
        "{API_OK} return Promise.reject(new TypeError('offline'));"
    ));
    mount_at(REVEAL_HASH).await;
    let hash = leptos::prelude::window()
        .location()
        .hash()
        .unwrap_or_default();
    assert!(hash.starts_with("#/s/ssss"), "{hash}");
    assert!(
        !hash.contains("AAECAwQF"),
        "the key stayed in the address bar: {hash}"
    );
}

/// Runs `body` (JS that returns a promise) and awaits it.
async fn js_await(body: &str) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
    let promise = js_sys::Function::new_no_args(body).call0(&wasm_bindgen::JsValue::NULL)?;
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise)).await
}

#[wasm_bindgen_test]
async fn the_sent_history_is_sealed_under_a_key_that_cannot_be_read_out() {
    use ots_core::link::{ReceiptLink, Server};
    use ots_web::history::{self, Entry};
    history::forget_all().await.expect("a clean start");
    let entry = |metadata_key: &str, created, passphrase| Entry {
        receipt: ReceiptLink {
            metadata_key: metadata_key.to_owned(),
            server: Server::Origin,
            access: None,
        },
        created,
        ttl: 3600,
        passphrase,
    };
    let older = entry(&"a1".repeat(31), 1_700_000_000, true);
    let newer = entry(&"b2".repeat(31), 1_700_000_100, false);
    history::remember(&older).await.expect("remember");
    history::remember(&newer).await.expect("remember");
    assert_eq!(
        history::list().await.expect("list"),
        vec![newer.clone(), older]
    );

    // What IndexedDB holds: ciphertext, and a key that script cannot export.
    let raw = js_await(
        "return new Promise((ok, fail) => { const r = indexedDB.open('ots-history'); \
           r.onerror = fail; r.onsuccess = () => { const db = r.result; \
             const t = db.transaction(['keys', 'sent']); \
             const all = t.objectStore('sent').getAll(); const k = t.objectStore('keys').get('k'); \
             t.oncomplete = () => { db.close(); \
               const text = all.result.map(x => Array.from(new Uint8Array(x.ct), b => String.fromCharCode(b)).join('')); \
               crypto.subtle.exportKey('raw', k.result).then(() => ok('exported'), \
                 () => ok(JSON.stringify({extractable: k.result.extractable, n: text.length, text}))); }; }; })",
    )
    .await
    .expect("read IndexedDB")
    .as_string()
    .unwrap_or_default();
    assert!(raw.contains("\"extractable\":false"), "{raw}");
    assert!(raw.contains("\"n\":2"), "{raw}");
    assert!(!raw.contains(&newer.receipt.metadata_key), "{raw}");
    assert!(!raw.contains("1700000100"), "{raw}");

    history::forget_all().await.expect("forget all");
    assert_eq!(history::list().await.expect("list"), vec![]);
}

#[wasm_bindgen_test]
async fn creations_go_into_the_sent_history_unless_the_settings_turn_it_off() {
    use ots_web::history;
    for (config, kept) in [("{}", 1), ("{\"history\": false}", 0)] {
        history::forget_all().await.expect("a clean start");
        fake_fetch(&format!(
            "if (url.endsWith('config.json')) return Promise.resolve(new Response('{config}')); \
             if (url.includes('/status')) return Promise.resolve(new Response('{{\"status\":\"nominal\"}}')); \
             {NEW_RECEIPT}"
        ));
        mount().await;
        type_secret("remember me?");
        el::<HtmlElement>("create").click();
        // The record is written once the link shows (never, without history): wait for
        // the link, then for the record, with a deadline.
        until("the link", || {
            leptos::prelude::document()
                .query_selector("[data-testid=recipient-link]")
                .ok()
                .flatten()
                .is_some()
        })
        .await;
        let mut entries = history::list().await.expect("list");
        for _ in 0..200 {
            if entries.len() >= kept {
                break;
            }
            sleep(25).await;
            entries = history::list().await.expect("list");
        }
        assert_eq!(entries.len(), kept, "config {config}");
        if kept == 1 {
            assert_eq!(entries[0].receipt.metadata_key, "m".repeat(62));
            assert_eq!((entries[0].created, entries[0].ttl), (1_767_225_600, 3600));
        }
        let nav = leptos::prelude::document()
            .query_selector("[data-testid=nav-sent]")
            .ok()
            .flatten();
        assert_eq!(nav.is_some(), kept == 1, "config {config}");
    }
    history::forget_all().await.expect("clean up");
}

/// Dispatches a `paste` (on the secret field) or a `drop` (on the form) carrying one file.
fn dispatch_file(event: &str, name: &str, content: &str) {
    let (selector, make) = match event {
        "paste" => (
            "[data-testid=secret]",
            "new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})",
        ),
        _ => (
            "form.create",
            "new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})",
        ),
    };
    js_sys::eval(&format!(
        "(() => {{ const dt = new DataTransfer(); \
           dt.items.add(new File([{content:?}], {name:?}, {{type: 'text/plain'}})); \
           document.querySelector({selector:?}).dispatchEvent({make}); }})()"
    ))
    .expect("dispatch");
}

/// A file pasted or dropped is taken like a picked one, counted, and sent only sealed.
async fn a_file_arrives_by(event: &str) {
    fake_fetch(&format!("{API_OK} {NEW_RECEIPT}"));
    mount().await;
    dispatch_file(event, "notes.env", "API_KEY=pasted-9f2c");
    until("the file", || shown("file-chosen-name") == "notes.env").await;
    assert!(
        shown("file-left").contains("left"),
        "{}",
        shown("file-left")
    );
    assert_eq!(
        el::<HtmlTextAreaElement>("secret").value(),
        "",
        "not pasted as text"
    );
    el::<HtmlElement>("create").click();
    until("the link", || {
        leptos::prelude::document()
            .query_selector("[data-testid=recipient-link]")
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let calls = js_sys::eval("JSON.stringify(window.__calls)")
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    assert!(calls.contains("secret=ots2."), "{calls}");
    assert!(
        !calls.contains("pasted-9f2c") && !calls.contains("notes.env"),
        "{calls}"
    );
}

#[wasm_bindgen_test]
async fn a_pasted_file_is_attached_and_sent_sealed() {
    a_file_arrives_by("paste").await;
}

#[wasm_bindgen_test]
async fn a_dropped_file_is_attached_and_sent_sealed() {
    a_file_arrives_by("drop").await;
}

/// The chosen file's line speaks the language in force when the file arrives, though the
/// language changed while the form had no file (a line kept off the page misses that).
#[wasm_bindgen_test]
async fn a_file_chosen_after_a_language_change_is_named_in_that_language() {
    use ots_web::i18n::{self, Table};

    fake_fetch(&format!("{API_OK} {NEW_RECEIPT}"));
    mount().await;
    let swedish = Table::from_pairs([("file_remove".to_owned(), "Ta bort filen".to_owned())]);
    i18n::set_current("sv", swedish);
    ots_web::dom::retranslate();
    dispatch_file("drop", "notes.env", "API_KEY=9f2c");
    until("the file", || shown("file-chosen-name") == "notes.env").await;
    let remove = shown("file-remove");
    i18n::set_current("en", Table::default());
    assert_eq!(remove, "Ta bort filen");
}

/// A screen the full app has left lets go of its listeners and texts (`dom::release`):
/// a press on its button reaches nothing, and a language change leaves its text alone,
/// while an element outside it keeps both.
#[wasm_bindgen_test]
fn a_released_screen_keeps_no_listener_and_no_text() {
    use std::cell::Cell;
    use std::rc::Rc;

    use ots_web::dom::{self, El};
    use ots_web::i18n::{self, Key, Table};

    let presses = Rc::new(Cell::new((0, 0)));
    let button = |inside: bool| {
        let presses = Rc::clone(&presses);
        El::new("button")
            .text_with(|| i18n::text(Key::Yes))
            .on("click", move |_| {
                let (a, b) = presses.get();
                presses.set(if inside { (a + 1, b) } else { (a, b + 1) });
            })
    };
    let (left, staying) = (button(true), button(false));
    let section = El::new("section").child(&left);
    let body = dom::document().body().expect("a body");
    for element in [&section, &staying] {
        body.append_child(&element.0).expect("append");
    }
    let press = |b: &El| b.cast::<HtmlElement>().click();
    press(&left);
    press(&staying);
    assert_eq!(presses.get(), (1, 1));

    dom::release(&section.0);
    press(&left);
    press(&staying);
    let swedish = Table::from_pairs([("yes".to_owned(), "Ja".to_owned())]);
    i18n::set_current("sv", swedish);
    dom::retranslate();
    let texts = [&left, &staying].map(|b| b.0.text_content().unwrap_or_default());
    i18n::set_current("en", Table::default());
    section.0.remove();
    staying.0.remove();
    assert_eq!(presses.get(), (1, 2), "the released button reached nothing");
    assert_eq!(texts, ["Yes".to_owned(), "Ja".to_owned()]);
}

/// Texts drawn without Leptos (`dom.rs`) follow the language, and an element that has left
/// the page is dropped from the list that a language change redraws.
#[wasm_bindgen_test]
fn texts_drawn_without_leptos_follow_the_language_and_leave_with_their_element() {
    use ots_web::dom::{self, El};
    use ots_web::i18n::{self, Key, Table};

    let body = dom::document().body().expect("a body");
    let kept = El::new("p").text_with(|| i18n::text(Key::Yes));
    let gone = El::new("p").text_with(|| i18n::text(Key::No));
    for element in [&kept, &gone] {
        body.append_child(&element.0).expect("append");
    }
    assert_eq!(kept.0.text_content().as_deref(), Some("Yes"));
    gone.0.remove();

    let swedish = Table::from_pairs([
        ("yes".to_owned(), "Ja".to_owned()),
        ("no".to_owned(), "Nej".to_owned()),
    ]);
    i18n::set_current("sv", swedish);
    dom::retranslate();
    assert_eq!(kept.0.text_content().as_deref(), Some("Ja"));
    assert_eq!(
        gone.0.text_content().as_deref(),
        Some("No"),
        "redrawn off the page"
    );
    i18n::set_current("en", Table::default());
    kept.0.remove();
}
