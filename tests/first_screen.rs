//! The static first screen (`index.html`) and the boot script, in headless Chromium against
//! the real `ots-server`: what is typed before the app starts survives its start, a Reveal
//! pressed before it starts happens once it is in, a build that cannot load gets a clear
//! message and loses nothing, and each link starts the build that carries its screen.
#![cfg(not(target_arch = "wasm32"))]

use ots_testkit::cli::{self, ots};
use ots_testkit::{Browser, Server};

/// The static screen's texts, and the app's (once it has drawn its form), in one shape.
const TEXTS: &str = "const [root, field] = arguments[0] === 'static'\
      ? [document.querySelector('[data-prerender]'), 'textarea']\
      : [document.querySelector('[data-testid=app]'), '[data-testid=secret]'];\
    const text = (s) => root.querySelector(s).textContent.trim();\
    return [text('.brand'), text('h1'), text('label[for=secret]'),\
      root.querySelector(field).placeholder,\
      ...[...root.querySelectorAll('.tab')].map((t) => t.textContent.trim())];";

/// Blocks the app's wasm, so the page stays on its static screen while the test types.
async fn block_wasm(browser: &Browser, blocked: bool) {
    block(browser, if blocked { &["*.wasm"] } else { &[] }).await;
}

/// Blocks requests to the URLs these patterns match (none: unblocks).
async fn block(browser: &Browser, urls: &[&str]) {
    browser.cdp("Network.enable", serde_json::json!({})).await;
    browser
        .cdp(
            "Network.setBlockedURLs",
            serde_json::json!({ "urls": urls }),
        )
        .await;
}

/// Waits until `script` returns true.
async fn wait_until(browser: &Browser, script: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while browser.eval(script).await != serde_json::json!(true) {
        assert!(std::time::Instant::now() < deadline, "never true: {script}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Starts `build` (`ots-create`, `ots-reveal` or `ots-web`) as the boot script would have,
/// had its wasm not been blocked.
async fn start_build(browser: &Browser, build: &str) {
    let started = browser
        .client
        .execute_async(
            "const [build, done] = arguments;\
             (async () => {\
               const src = document.baseURI;\
               const text = document.querySelector('head script').textContent;\
               const files = new RegExp(`'(\\\\./${build}-[^']+\\\\.js)', '(\\\\./[^']+\\\\.wasm)'`);\
               const [, js, wasm] = text.match(files);\
               const bindings = await import(new URL(js, src).href);\
               await bindings.default({ module_or_path: new URL(wasm, src) });\
             })().then(() => done('started'), (e) => done(String(e)));",
            vec![build.into()],
        )
        .await
        .expect("start the app");
    assert_eq!(started, serde_json::json!("started"), "{build}");
}

#[tokio::test]
async fn what_is_typed_before_the_app_starts_survives_its_start() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    block_wasm(&browser, true).await;
    browser
        .client
        .goto(&server.url)
        .await
        .expect("open the app");
    // The app cannot load: the page says so, in the user's language, and keeps the field.
    wait_until(
        &browser,
        "return !!document.querySelector('.boot-error[role=alert]');",
    )
    .await;
    let message = browser
        .eval("return document.querySelector('.boot-error').textContent;")
        .await;
    assert!(
        message
            .as_str()
            .unwrap_or_default()
            .contains("could not load"),
        "{message}"
    );
    let static_texts = browser
        .client
        .execute(TEXTS, vec!["static".into()])
        .await
        .expect("texts");

    // Typed into the static field, with the caret inside the text.
    let typed = "typed before the app 8c1f\nsecond line";
    browser
        .client
        .execute(
            "const field = document.querySelector('[data-prerender] textarea');\
             field.focus(); field.value = arguments[0]; field.setSelectionRange(5, 9);",
            vec![typed.into()],
        )
        .await
        .expect("type");

    // Now the app starts, as the boot script starts it.
    block_wasm(&browser, false).await;
    start_build(&browser, "ots-create").await;
    assert_eq!(browser.value("secret").await, typed);
    let state = browser
        .eval(
            "const field = document.querySelector('[data-testid=secret]');\
             return [document.querySelectorAll('#secret').length,\
               !!document.querySelector('[data-prerender]'),\
               document.activeElement === field, field.selectionStart, field.selectionEnd];",
        )
        .await;
    assert_eq!(
        state,
        serde_json::json!([1, false, true, 5, 9]),
        "one field, focused, caret kept"
    );

    // The static screen says what the app says, so the page does not change under the user.
    let app_texts = browser
        .client
        .execute(TEXTS, vec!["app".into()])
        .await
        .expect("texts");
    assert_eq!(static_texts, app_texts);
    browser.close().await;
}

/// How many times the page fetched the file at `path`, and whether the first fetch started
/// before the wasm had arrived.
async fn fetches(browser: &Browser, path: &str) -> serde_json::Value {
    browser
        .client
        .execute(
            "const all = performance.getEntriesByType('resource');\
             const file = all.filter((r) => new URL(r.name).pathname === arguments[0]);\
             const wasm = all.find((r) => r.name.endsWith('.wasm'));\
             return [file.length, file.length > 0 && file[0].startTime < wasm.responseEnd];",
            vec![path.into()],
        )
        .await
        .expect("resource timing")
}

#[tokio::test]
async fn each_link_starts_the_build_that_carries_its_screen() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    let wasm_files = "return performance.getEntriesByType('resource')\
        .map((r) => new URL(r.name).pathname).filter((p) => p.endsWith('.wasm'));";
    // A secret link: the recipient's build alone, and no static create screen on view.
    browser
        .client
        .goto(&format!(
            "{}#/s/abcdefghijklmnopqrstuvwxyz0123456789",
            server.url
        ))
        .await
        .expect("open a secret link");
    browser.find("reveal").await;
    let fetched = browser.eval(wasm_files).await;
    let fetched: Vec<String> = serde_json::from_value(fetched).unwrap_or_default();
    assert!(
        fetched.len() == 1 && fetched[0].starts_with("/ots-reveal-"),
        "{fetched:?}"
    );
    let hidden = browser
        .eval("const s = document.querySelector('[data-prerender]'); return !s || s.offsetParent === null;")
        .await;
    assert_eq!(hidden, serde_json::json!(true));
    // The settings come once, fetched by the boot script beside the wasm, not after it:
    // the app takes that answer instead of asking again.
    wait_until(
        &browser,
        "return performance.getEntriesByName('ots:screen').length > 0;",
    )
    .await;
    assert_eq!(
        fetches(&browser, "/config.json").await,
        serde_json::json!([1, true]),
        "[fetches, beside the wasm]"
    );
    // Moving to a screen that build does not carry starts the build that does: the
    // creator's for the app's own address, the full app for the rest.
    for (hash, testid, build) in [
        ("#/", "secret", "/ots-create-"),
        ("#/history", "sent-empty", "/ots-web-"),
    ] {
        browser
            .client
            .execute(&format!("location.hash = '{hash}';"), vec![])
            .await
            .expect("move");
        browser.find(testid).await;
        let fetched = browser.eval(wasm_files).await;
        let fetched: Vec<String> = serde_json::from_value(fetched).unwrap_or_default();
        assert!(
            fetched.len() == 1 && fetched[0].starts_with(build),
            "{hash}: {fetched:?}"
        );
    }
    browser.close().await;
}

/// The Reveal screen's texts: the page's static one, or the app's.
const REVEAL_TEXTS: &str = "const root = arguments[0] === 'static'\
      ? document.querySelector('[data-prerender] [data-static=reveal]')\
      : document.querySelector('[data-testid=app] .reveal');\
    const text = (s) => root.querySelector(s).textContent.trim();\
    return [text('h1'), text('.notice'), text('button')];";

#[tokio::test]
async fn a_reveal_pressed_before_the_app_starts_happens_once_it_is_in() {
    let server = Server::start(&[]);
    let link = cli::first_line(
        &ots(cli::binary(), ["share", "--server", &server.url])
            .stdin("pressed early 4471")
            .run()
            .ok(),
    );
    let browser = Browser::start().await;
    // The app's Reveal screen, which nothing is consumed by.
    browser.client.goto(&link).await.expect("open the link");
    browser.find("reveal").await;
    let app_texts = browser
        .client
        .execute(REVEAL_TEXTS, vec!["app".into()])
        .await
        .expect("texts");

    // Again with the app unable to load: the page's static Reveal screen is on view, and
    // says what the app says.
    block_wasm(&browser, true).await;
    browser.client.refresh().await.expect("reload");
    wait_until(
        &browser,
        "return !!document.querySelector('.boot-error[role=alert]');",
    )
    .await;
    let on_view = browser
        .eval(
            "const shown = (s) => document.querySelector(s).offsetParent !== null;\
             return [shown('[data-static=reveal]'), shown('[data-static=create]')];",
        )
        .await;
    assert_eq!(on_view, serde_json::json!([true, false]));
    let static_texts = browser
        .client
        .execute(REVEAL_TEXTS, vec!["static".into()])
        .await
        .expect("texts");
    assert_eq!(static_texts, app_texts);

    // Pressed before the app is in: the press is kept, and honoured when it starts.
    browser
        .client
        .execute(
            "document.querySelector('[data-static=reveal] button').click();",
            vec![],
        )
        .await
        .expect("press");
    block_wasm(&browser, false).await;
    start_build(&browser, "ots-reveal").await;
    assert_eq!(browser.text("revealed-value").await, "pressed early 4471");
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('[data-prerender]').length;")
            .await,
        serde_json::json!(0)
    );
    browser.close().await;
}

#[tokio::test]
async fn the_visitors_language_comes_beside_the_wasm() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&server.url)
        .await
        .expect("open the app");
    browser
        .client
        .execute("localStorage.setItem('ots.locale', 'sv');", vec![])
        .await
        .expect("keep a language");
    browser
        .client
        .goto(&format!(
            "{}#/s/abcdefghijklmnopqrstuvwxyz0123456789",
            server.url
        ))
        .await
        .expect("open a secret link");
    // Only the fragment changed: load the page afresh, as a visitor opening the link does.
    browser.client.refresh().await.expect("reload");
    wait_until(
        &browser,
        "return performance.getEntriesByName('ots:screen').length > 0;",
    )
    .await;
    // One fetch of the kept language, started beside the wasm, and the page speaks it.
    assert_eq!(
        fetches(&browser, "/locales/sv.json").await,
        serde_json::json!([1, true]),
        "[fetches, beside the wasm]"
    );
    let swedish: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ots_testkit::root().join("locales/sv.json")).expect("sv.json"),
    )
    .expect("JSON");
    assert_eq!(browser.text("reveal").await, swedish["reveal_button"]);
    assert_eq!(
        browser.eval("return document.documentElement.lang;").await,
        serde_json::json!("sv")
    );
    browser.close().await;
}

/// How many requests this page made whose path starts with `path`.
const REQUESTS_TO: &str = "return performance.getEntriesByType('resource')\
    .filter((r) => new URL(r.name).pathname.startsWith(arguments[0])).length;";

#[tokio::test]
async fn a_part_that_cannot_load_says_so_and_keeps_the_form() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    // Argon2id, which a passphrase needs, loads on demand: here it cannot (offline, or a
    // page from before a deploy whose files are gone).
    block(&browser, &["*ots-parts*"]).await;
    browser.client.goto(&server.url).await.expect("open");
    browser.fill("secret", "kept through a missing part").await;
    browser.type_into("passphrase", "kept too").await;
    browser.click("create").await;
    let said = browser.wait_text("error", |t| !t.is_empty()).await;
    assert!(said.contains("could not load"), "{said}");
    assert_eq!(browser.value("secret").await, "kept through a missing part");
    assert_eq!(browser.value("passphrase").await, "kept too");
    let shares = browser
        .client
        .execute(REQUESTS_TO, vec!["/api/v1/share".into()])
        .await
        .expect("count");
    assert_eq!(shares, serde_json::json!(0), "nothing was sent");

    // Back online, the same press works: the loader tries again.
    block(&browser, &[]).await;
    browser.click("create").await;
    browser.find("recipient-link").await;
    browser.find("qr").await;
    browser.close().await;
}

#[tokio::test]
async fn pressing_the_name_on_the_create_screen_keeps_what_was_typed() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    // The app's address without a fragment; the name on the header links to `#/`, the
    // same screen, which the creator's build carries without starting again.
    browser.client.goto(&server.url).await.expect("open");
    browser
        .fill("secret", "typed before pressing the name")
        .await;
    browser.click("home").await;
    wait_until(&browser, "return location.hash === '#/';").await;
    assert_eq!(
        browser.value("secret").await,
        "typed before pressing the name"
    );
    let navigations = browser
        .eval("return performance.getEntriesByType('navigation')[0].type;")
        .await;
    assert_eq!(navigations, serde_json::json!("navigate"), "not reloaded");
    browser.close().await;
}
