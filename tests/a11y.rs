//! Accessibility and layout, end to end, on the release `dist/` against the real
//! `ots-server`: axe-core on every screen in English and Swedish, layout checks at 360 and
//! 1280 px, a screenshot of every screen into `docs/screenshots/` (with
//! `OTS_SCREENSHOTS=1`), and a keyboard-only create and reveal.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use ots_testkit::{Browser, Key, Server, axe_report, copy_tree};
use serde_json::json;

/// The widths every screen is checked and photographed at: a small phone and a laptop.
const WIDTHS: [u32; 2] = [360, 1280];

const TOKEN: &str = "a11y-token-0123456789abcdef";

/// Where the screenshots go (the README shows some of them).
fn screenshots() -> PathBuf {
    ots_testkit::root().join("docs/screenshots")
}

/// Layout problems of the page as it is now. `arguments[0]`: the `data-testid`s that must
/// be shown; `arguments[1]`: whether controls must be finger-sized (phones).
const LAYOUT: &str = r#"
const [required, touch] = arguments;
const problems = [];
const W = innerWidth;
const app = document.querySelector('[data-testid=app]');
// Hidden: not rendered, inside a closed <details>, or only for screen readers.
const hidden = e => !!e.closest('.sr-only') || !e.checkVisibility({visibilityProperty: true});
const name = e => e.dataset.testid || (e.id && '#' + e.id)
    || `${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 30)}"`;
const width = document.documentElement.scrollWidth;
if (width > W) problems.push(`the page scrolls sideways: ${width}px wide`);
for (const id of required) {
  const e = document.querySelector(`[data-testid="${id}"]`);
  if (!e || hidden(e)) problems.push(`${id} is not shown`);
}
// What a finger has to hit: buttons, fields, links, and the labels of checkboxes and radios.
const controls = [...app.querySelectorAll('button, select, textarea, summary, a:not(.link), '
    + 'input:not([type=checkbox]):not([type=radio]), '
    + 'label:has(> input[type=checkbox], > input[type=radio])')].filter(e => !hidden(e));
for (const e of controls) {
  const r = e.getBoundingClientRect();
  if (r.left < -0.5 || r.right > W + 0.5) problems.push(`${name(e)} sticks out of the viewport`);
  if (touch && r.height < 40) problems.push(`${name(e)} is ${r.height.toFixed(1)}px tall (under 40)`);
}
for (let i = 0; i < controls.length; i++) {
  for (let j = i + 1; j < controls.length; j++) {
    const [a, b] = [controls[i], controls[j]];
    if (a.contains(b) || b.contains(a)) continue;
    const [p, q] = [a.getBoundingClientRect(), b.getBoundingClientRect()];
    const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (x > 1 && y > 1) problems.push(`${name(a)} overlaps ${name(b)}`);
  }
}
// Text wider than its box (clipped or spilling out), or cut off at the bottom.
for (const e of app.querySelectorAll('*')) {
  if (hidden(e) || e.matches('input, textarea, option, svg, svg *')) continue;
  if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1) {
    problems.push(`${name(e)} does not fit its box (${e.scrollWidth} > ${e.clientWidth}px)`);
  }
  if (getComputedStyle(e).overflowY !== 'visible' && e.scrollHeight > e.clientHeight + 1) {
    problems.push(`${name(e)} is cut off at the bottom`);
  }
}
return problems;
"#;

/// Whether a console message is a problem: Chromium's advisories about the page (`[DOM]
/// Password field is not contained in a form`, …) or a script error. One advisory is
/// declined on purpose: "password forms should have username fields" would have a
/// password manager store each one-time passphrase under a made-up user.
fn console_problem(message: &str) -> bool {
    (message.contains("[DOM]") && !message.contains("username fields"))
        || message.contains("Uncaught")
        || message.contains("panicked")
        // Chromium's own CSP refusals, and those the browser's watch reports from the
        // first script of each document (`ots_testkit::browser::WATCH`).
        || message.contains("Refused to")
        || message.contains("CSP violation")
        || message.contains("script error")
}

/// Whether to rewrite `docs/screenshots/` (`OTS_SCREENSHOTS=1`); a plain test run leaves
/// the checkout as it found it.
fn screenshots_wanted() -> bool {
    std::env::var_os("OTS_SCREENSHOTS").is_some_and(|v| v == "1")
}

/// Runs [`LAYOUT`] on the page.
async fn layout_problems(browser: &Browser, required: &[&str], touch: bool) -> Vec<String> {
    let found = browser
        .client
        .execute(LAYOUT, vec![json!(required), json!(touch)])
        .await
        .expect("layout checks");
    found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

/// Chooses `code` in the language switcher and waits until its texts are in.
async fn choose_language(browser: &Browser, code: &str) {
    select(browser, "language", code).await;
    wait_until(
        browser,
        "return document.documentElement.lang === arguments[0];",
        code,
    )
    .await;
}

/// Waits until `script` (given `arg`) returns true.
async fn wait_until(browser: &Browser, script: &str, arg: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while browser
        .client
        .execute(script, vec![arg.into()])
        .await
        .expect("script")
        != json!(true)
    {
        assert!(std::time::Instant::now() < deadline, "timed out: {script}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Opens `url` as a fresh page load (a hash change alone would not reload, and a reload
/// would lose the key that the app takes out of the address bar).
async fn load(browser: &Browser, url: &str, wait_for: &str) {
    browser.client.goto("about:blank").await.expect("blank");
    browser.client.goto(url).await.expect("open");
    browser.find(wait_for).await;
}

/// Sets a `<select>` and fires `change`, as picking an option does.
async fn select(browser: &Browser, testid: &str, value: &str) {
    browser.find(testid).await;
    browser
        .client
        .execute(
            "const s = document.querySelector(`[data-testid=\"${arguments[0]}\"]`); \
             s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![testid.into(), value.into()],
        )
        .await
        .expect("select");
}

/// An accounts file with one account, for the server's `--accounts`.
fn accounts_file() -> tempfile::NamedTempFile {
    let hashed = std::process::Command::new(Server::binary())
        .args(["hash-token", TOKEN])
        .output()
        .expect("hash-token");
    let digest = String::from_utf8_lossy(&hashed.stdout).trim().to_owned();
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        file.path(),
        format!("[[account]]\ncustid = \"alice@example.com\"\ntoken_sha256 = \"{digest}\"\n"),
    )
    .expect("accounts file");
    file
}

/// Walks through the screens, checking each at both widths and collecting every problem.
struct Tour<'a> {
    browser: &'a Browser,
    lang: &'static str,
    problems: Vec<String>,
}

impl Tour<'_> {
    /// Console problems since the last look, as problems of `screen`.
    async fn console(&mut self, screen: &str) {
        for message in self.browser.console().await {
            if console_problem(&message) {
                self.problems
                    .push(format!("{screen} ({}): console: {message}", self.lang));
            }
        }
    }

    /// Notes a problem unless focus reaches `testid` (where a step should leave it).
    async fn expect_focus(&mut self, step: &str, testid: &str) {
        for _ in 0..30 {
            if self.browser.focused().await == testid {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let now = self.browser.focused().await;
        self.problems.push(format!(
            "{step} ({}): focus is on {now:?}, not {testid}",
            self.lang
        ));
    }

    /// axe-core, the layout checks and a screenshot of the screen as it is now, at each
    /// width. `required`: the screen's main controls, which must be shown.
    async fn check(&mut self, screen: &str, required: &[&str]) {
        self.console(screen).await;
        for width in WIDTHS {
            self.browser.viewport(width, 800).await;
            let at = format!("{screen} ({}, {width} px)", self.lang);
            let violations = self.browser.axe().await;
            if !violations.is_empty() {
                self.problems
                    .push(format!("{at}: axe-core\n{}", axe_report(&violations)));
            }
            for problem in layout_problems(self.browser, required, width < 600).await {
                self.problems.push(format!("{at}: {problem}"));
            }
            if screenshots_wanted() {
                let file = format!("{screen}-{}-{width}.png", self.lang);
                self.browser
                    .save_screenshot(&screenshots().join(file))
                    .await;
            }
        }
        self.browser.viewport(1280, 800).await;
        // The dark theme's colours must pass too (one width, in English, is enough).
        if self.lang == "en" {
            self.browser.color_scheme(true).await;
            let violations = self.browser.axe().await;
            if !violations.is_empty() {
                self.problems.push(format!(
                    "{screen} (en, dark): axe-core\n{}",
                    axe_report(&violations)
                ));
            }
            if screen == "created" && screenshots_wanted() {
                let file = screenshots().join("created-en-1280-dark.png");
                self.browser.save_screenshot(&file).await;
            }
            self.browser.color_scheme(false).await;
        }
    }
}

/// Every screen in `lang`: the form and its panels, the result, the receipt, the recent
/// list, each state of the reveal screen, and the settings-problem banner.
async fn tour(lang: &'static str) {
    let accounts = accounts_file();
    let server = Server::start(&["--accounts", accounts.path().to_str().expect("utf-8 path")]);
    let browser = Browser::start().await;
    let mut tour = Tour {
        browser: &browser,
        lang,
        problems: Vec::new(),
    };
    browser.client.goto(&server.url).await.expect("open");
    choose_language(&browser, lang).await;
    browser.find("server-status").await;
    tour.check(
        "create",
        &[
            "language",
            "mode-share",
            "secret",
            "passphrase",
            "ttl",
            "encrypt",
            "create",
        ],
    )
    .await;

    // Every option panel open: passphrase shown, custom lifetime, no encryption, advanced,
    // and the error for an empty secret.
    browser.type_into("passphrase", "correct horse").await;
    browser.click("toggle-passphrase").await;
    select(&browser, "ttl", "custom").await;
    browser.click("encrypt").await;
    browser.click("advanced").await;
    browser.click("account-toggle").await;
    browser.click("create").await;
    browser.wait_text("error", |t| !t.is_empty()).await;
    tour.check(
        "create-options",
        &[
            "passphrase",
            "toggle-passphrase",
            "ttl-custom",
            "encrypt",
            "share-domain",
            "server",
            "username",
            "token",
            "sign-in",
            "error",
        ],
    )
    .await;

    load(&browser, &server.url, "secret").await;
    browser.click("mode-generate").await;
    tour.check(
        "create-generate",
        &["length", "set-uppercase", "set-symbols", "create"],
    )
    .await;

    // Signed in: the recipient field and the recent list appear.
    load(&browser, &server.url, "secret").await;
    browser.click("account-toggle").await;
    browser.type_into("username", "alice@example.com").await;
    browser.type_into("token", TOKEN).await;
    browser.click("sign-in").await;
    browser.find("signed-in").await;
    tour.expect_focus("signing in", "signed-in").await;
    tour.check(
        "create-account",
        &["recipient", "nav-recent", "forget-account"],
    )
    .await;

    browser.fill("secret", "the vault code is 4711").await;
    browser.type_into("passphrase", "open sesame").await;
    browser.click("create").await;
    let with_passphrase = browser.attr("recipient-link", "href").await.expect("href");
    let receipt = browser.attr("receipt-link", "href").await.expect("href");
    browser.find("qr").await;
    tour.check(
        "created",
        &[
            "recipient-link",
            "copy-link",
            "qr",
            "receipt-link",
            "create-another",
        ],
    )
    .await;

    browser.click("create-another").await;
    tour.expect_focus("create another", "#create-title").await;
    browser.click("mode-generate").await;
    browser.click("create").await;
    let generated = browser.attr("recipient-link", "href").await.expect("href");
    tour.check(
        "created-generated",
        &["generated-value", "copy-generated", "copy-link"],
    )
    .await;

    load(&browser, &receipt, "receipt-state").await;
    tour.check("receipt", &["receipt-state", "burn", "refresh"])
        .await;
    browser.click("burn").await;
    browser.find("burn-confirm").await;
    // Encrypted with a passphrase: the receipt link holds what burning needs, so there is
    // no passphrase field and focus goes to the confirmation.
    tour.expect_focus("burn", "burn-confirm").await;
    tour.check("receipt-burn", &["burn-confirm", "burn-cancel"])
        .await;

    browser.click("burn-cancel").await;
    tour.expect_focus("cancelling the burn", "burn").await;
    browser.click("nav-recent").await;
    browser.find("recent-item").await;
    tour.expect_focus("opening the recent list", "#recent-title")
        .await;
    tour.check("recent", &["recent-list"]).await;

    browser.click("nav-sent").await;
    browser.find("sent-item").await;
    tour.check("sent", &["sent-list", "forget-all"]).await;

    // Asking for a secret, answering the request, and opening the answer: here, and
    // (once the request is forgotten) as any other browser would.
    browser.click("nav-ask").await;
    browser.find("ask-create").await;
    tour.expect_focus("opening Request a secret", "#ask-title")
        .await;
    tour.check("ask", &["ask-note", "ask-lifetime", "ask-create"])
        .await;
    browser
        .type_into("ask-note", "VPN password for the Berlin office")
        .await;
    browser.click("ask-create").await;
    let request_link = browser.attr("request-link", "href").await.expect("href");
    tour.expect_focus("asking", "#ask-result-title").await;
    tour.check(
        "asked",
        &[
            "request-link",
            "copy-request-link",
            "fingerprint",
            "note-public",
        ],
    )
    .await;
    load(&browser, &request_link, "answer-secret").await;
    tour.check(
        "answer",
        &["answer-note", "fingerprint", "answer-secret", "answer-send"],
    )
    .await;
    browser.fill("answer-secret", "hunter2").await;
    browser.click("answer-send").await;
    let answer_link = browser.attr("answer-link", "href").await.expect("href");
    tour.expect_focus("sending the answer", "#answer-link-title")
        .await;
    tour.check("answered", &["answer-link", "copy-answer-link"])
        .await;
    load(&browser, &answer_link, "open-reveal").await;
    tour.check("answer-open", &["open-note", "open-reveal"])
        .await;
    browser.click("open-reveal").await;
    browser.find("revealed-value").await;
    tour.check(
        "answer-revealed",
        &["revealed-value", "copy-secret", "close-secret"],
    )
    .await;
    browser.click("close-secret").await;
    browser.find("request-item").await;
    tour.check(
        "sent-requests",
        &["request-item", "request-copy", "request-forget"],
    )
    .await;
    browser.click("request-forget").await;
    browser.find("requests-empty").await;
    load(&browser, &answer_link, "open-elsewhere").await;
    tour.check("answer-elsewhere", &["open-elsewhere"]).await;

    // A file with the text: picked on the create screen, later revealed as a download.
    let files = tempfile::tempdir().expect("temp dir");
    let file = files.path().join("id_ed25519.pub");
    std::fs::write(&file, b"ssh-ed25519 AAAAC3Nza tour@example\n").expect("a file");
    load(&browser, &server.url, "secret").await;
    browser.fill("secret", "the deploy key").await;
    browser
        .find("file-input")
        .await
        .send_keys(file.to_str().expect("utf-8 path"))
        .await
        .expect("pick a file");
    browser.find("file-chosen").await;
    tour.check(
        "create-file",
        &["file-input", "file-chosen", "file-remove", "create"],
    )
    .await;
    browser.click("create").await;
    let with_file = browser.attr("recipient-link", "href").await.expect("href");

    // The recipient's screens.
    load(&browser, &generated, "reveal-note").await;
    tour.check("reveal", &["reveal-note", "reveal"]).await;
    browser.click("reveal").await;
    browser.find("revealed-value").await;
    tour.check(
        "revealed",
        &["revealed-value", "copy-secret", "close-secret"],
    )
    .await;
    // A reload keeps the revealed envelope in this tab: the screen says so.
    browser.client.refresh().await.expect("reload");
    browser.find("reveal-note").await;
    tour.check("reveal-kept", &["reveal-note", "reveal"]).await;
    browser.click("reveal").await;
    browser.click("close-secret").await;
    browser.find("secret").await;
    load(&browser, &with_file, "reveal").await;
    browser.click("reveal").await;
    browser.find("revealed-file").await;
    tour.check(
        "revealed-file",
        &[
            "revealed-value",
            "file-name",
            "download-file",
            "close-secret",
        ],
    )
    .await;
    load(&browser, &generated, "reveal").await;
    browser.click("reveal").await;
    browser.find("reveal-error").await;
    tour.check(
        "reveal-unknown",
        &["reveal-error", "reveal-passphrase", "reveal"],
    )
    .await;
    load(&browser, &with_passphrase, "reveal-passphrase").await;
    tour.check("reveal-passphrase", &["reveal-passphrase", "reveal"])
        .await;
    browser.type_into("reveal-passphrase", "wrong guess").await;
    browser.click("reveal").await;
    browser.find("reveal-error").await;
    tour.check(
        "reveal-wrong-passphrase",
        &["reveal-error", "reveal-passphrase"],
    )
    .await;
    let damaged = &with_passphrase[..with_passphrase.len() - 5];
    load(&browser, damaged, "damaged-link").await;
    tour.check("damaged-link", &["damaged-link"]).await;

    // Settings that could not be used are named in a banner.
    let dist = tempfile::tempdir().expect("temp dir");
    copy_tree(&Server::dist(), dist.path());
    std::fs::write(
        dist.path().join("config.json"),
        r#"{"ttl": {"default": "forever"}, "encryption": "maybe", "theme": {"accent": 5}}"#,
    )
    .expect("config.json");
    let misconfigured =
        Server::start_serving(dist.path(), tempfile::tempdir().expect("temp dir"), &[]);
    browser.client.goto(&misconfigured.url).await.expect("open");
    choose_language(&browser, lang).await;
    browser.find("config-problems").await;
    tour.check("settings-problem", &["config-problems", "secret", "create"])
        .await;

    // Chromium gives its advisories a moment after a form appears.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    tour.console("settings-problem").await;
    let problems = std::mem::take(&mut tour.problems);
    browser.close().await;
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn every_screen_passes_axe_and_fits_360_and_1280_px_in_english() {
    tour("en").await;
}

#[tokio::test]
async fn every_screen_passes_axe_and_fits_360_and_1280_px_in_swedish() {
    tour("sv").await;
}

/// Spoils the page on purpose: an unlabelled field, a password field outside any form,
/// faint text, a box wider than a phone, text cut off by its box, a tiny button and a
/// button on top of it.
const SPOIL: &str = "
const main = document.querySelector('main');
const add = (tag, text, style) => {
  const e = document.createElement(tag);
  e.textContent = text;
  Object.assign(e.style, style);  // CSSOM: allowed by the page's CSP, unlike style=''
  main.append(e);
  return e;
};
add('input', '', {});
add('input', '', {}).type = 'password';
add('p', 'faint', {color: '#eee'});
add('div', 'wide', {width: '2000px'});
add('div', 'a sentence that cannot fit', {width: '40px', overflow: 'hidden', whiteSpace: 'nowrap'});
add('button', 'tiny', {display: 'block', minHeight: '0', height: '20px', padding: '0'});
add('button', 'on top', {display: 'block', marginTop: '-15px'});
return true;";

/// The checks can fail: a spoiled page trips axe-core, the console check and each layout
/// check.
#[tokio::test]
async fn the_checks_catch_a_spoiled_page() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    browser.client.goto(&server.url).await.expect("open");
    browser.find("secret").await;
    browser.viewport(360, 800).await;
    browser.eval(SPOIL).await;
    let violations = browser.axe().await;
    let ids: Vec<&str> = violations.iter().filter_map(|v| v["id"].as_str()).collect();
    for rule in ["label", "color-contrast"] {
        assert!(
            ids.contains(&rule),
            "axe-core missed {rule}:\n{}",
            axe_report(&violations)
        );
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut console = Vec::new();
    while !console.iter().any(|m: &String| console_problem(m)) {
        assert!(
            std::time::Instant::now() < deadline,
            "no advisory for a password field outside a form: {console:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        console.extend(browser.console().await);
    }
    let layout = layout_problems(&browser, &["no-such-control"], true).await;
    for expected in [
        "the page scrolls sideways",
        "no-such-control is not shown",
        "\"tiny\" is 20.0px tall (under 40)",
        "\"tiny\" overlaps",
        "\"a sentence that cannot fit\" does not fit its box",
    ] {
        assert!(
            layout.iter().any(|p| p.contains(expected)),
            "the layout checks missed {expected:?}: {layout:#?}"
        );
    }
    browser.close().await;
}

/// Collects what screen readers would announce: text that changes inside a live region
/// already on the page, and alerts put on the page. `take_announcements` reads it.
const LISTEN: &str = "
window.__said = [];
const live = '[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]';
const say = e => { const t = e.textContent.trim(); if (t) window.__said.push(t); };
new MutationObserver(records => {
  for (const r of records) {
    const target = r.target.nodeType === Node.ELEMENT_NODE ? r.target : r.target.parentElement;
    const region = target && target.closest(live);
    if (region) { say(region); continue; }
    for (const n of r.addedNodes) {
      if (n.nodeType === Node.ELEMENT_NODE) n.querySelectorAll('[role=alert]').forEach(say);
      if (n.nodeType === Node.ELEMENT_NODE && n.matches('[role=alert]')) say(n);
    }
  }
}).observe(document.body, {subtree: true, childList: true, characterData: true});
return true;";

/// What was announced since the last call.
async fn take_announcements(browser: &Browser) -> Vec<String> {
    let said = browser.eval("return window.__said.splice(0);").await;
    serde_json::from_value(said).expect("a list of texts")
}

/// Presses Tab until `target` has focus, and returns every stop on the way.
async fn tab_to(browser: &Browser, target: &str) -> Vec<String> {
    let mut stops = Vec::new();
    while stops.last().map(String::as_str) != Some(target) {
        assert!(stops.len() < 20, "Tab never reached {target}: {stops:?}");
        browser.press(Key::Tab).await;
        stops.push(browser.focused().await);
    }
    stops
}

/// Waits until `target` has focus (focus moves once the new view is in).
async fn wait_focus(browser: &Browser, target: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = browser.focused().await;
        if now == target {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "focus is on {now:?}, not {target}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits until an announcement containing the text of `testid` was made.
async fn wait_announced(browser: &Browser, testid: &str) {
    let text = browser.text(testid).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut said = Vec::new();
    while !said.iter().any(|s: &String| s.contains(&text)) {
        assert!(
            std::time::Instant::now() < deadline,
            "{text:?} ({testid}) was never announced; announced: {said:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        said.extend(take_announcements(browser).await);
    }
}

#[tokio::test]
async fn keyboard_alone_creates_an_encrypted_secret_and_reveals_it_in_another_profile() {
    let server = Server::start(&[]);
    let creator = Browser::start().await;
    creator.client.goto(&server.url).await.expect("open");
    creator.find("server-status").await;
    creator.eval(LISTEN).await;

    // Tab follows the reading order from the top of the page to the secret.
    assert_eq!(
        tab_to(&creator, "secret").await,
        [
            "home",
            "nav-sent",
            "nav-ask",
            "language",
            "mode-share",
            "secret"
        ]
    );
    creator.type_keys("typed, never clicked").await;
    creator.press(Key::Tab).await;
    // The file picker comes next: a file can be added from the keyboard too.
    assert_eq!(creator.focused().await, "file-input");
    creator.press(Key::Tab).await;
    assert_eq!(creator.focused().await, "passphrase");
    creator.type_keys("open sesame").await;
    creator.press(Key::Tab).await;
    assert_eq!(creator.focused().await, "toggle-passphrase");
    creator.press(Key::Space).await;
    assert_eq!(
        creator.attr("passphrase", "type").await.as_deref(),
        Some("text")
    );
    assert_eq!(
        creator
            .attr("toggle-passphrase", "aria-pressed")
            .await
            .as_deref(),
        Some("true")
    );
    creator.press_with(Key::Shift, Key::Tab).await;
    assert_eq!(creator.focused().await, "passphrase");
    assert_eq!(creator.value("passphrase").await, "open sesame");
    assert_eq!(
        tab_to(&creator, "create").await,
        ["toggle-passphrase", "ttl", "encrypt", "advanced", "create"]
    );
    creator.press(Key::Enter).await;

    // Focus lands on the result's heading, and the live region says what was made.
    wait_focus(&creator, "result-title").await;
    wait_announced(&creator, "result-note").await;
    creator.press(Key::Tab).await;
    assert_eq!(creator.focused().await, "recipient-link");
    let link = creator.attr("recipient-link", "href").await.expect("href");
    assert!(link.contains("#/s/"), "an encrypted link: {link}");
    creator.close().await;

    let recipient = Browser::start().await;
    recipient.client.goto(&link).await.expect("open the link");
    recipient.find("reveal").await;
    recipient.eval(LISTEN).await;
    assert_eq!(
        tab_to(&recipient, "reveal-passphrase").await,
        [
            "home",
            "nav-sent",
            "nav-ask",
            "language",
            "reveal-passphrase"
        ]
    );
    // A wrong passphrase: the error is announced and focus stays for a retry.
    recipient.type_keys("wrong guess").await;
    recipient.press(Key::Enter).await;
    recipient.find("reveal-error").await;
    wait_announced(&recipient, "reveal-error").await;
    assert_eq!(recipient.focused().await, "reveal-passphrase");
    recipient.press_with(Key::Control, 'a').await;
    recipient.type_keys("open sesame").await;
    recipient.press(Key::Enter).await;

    wait_focus(&recipient, "revealed-title").await;
    wait_announced(&recipient, "deleted-note").await;
    assert_eq!(
        recipient.text("revealed-value").await,
        "typed, never clicked"
    );
    recipient.press(Key::Tab).await;
    assert_eq!(recipient.focused().await, "copy-secret");
    recipient.close().await;
}
