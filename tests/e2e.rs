//! End-to-end: the release `dist/` in headless Chromium against the real `ots-server`.
//! The creator and the recipient use separate browser profiles, so nothing is shared
//! through storage.
#![cfg(not(target_arch = "wasm32"))]

use ots_testkit::{Browser, Recorder, Server, contains, copy_tree, http};

/// A secret whose form, JSON and URL encodings all differ from its raw text, so a check
/// that searched the raw bytes only would miss it.
const SECRET: &str = "correct horse+battery & staple=8c1f/é \"100%\"";
/// A passphrase with the same property.
const PASSPHRASE: &str = "open sesame+&é=%";

/// The secret key at the end of a `/secret/<key>` link or inside a `#/s/<key>/…` link.
fn secret_key_of(link: &str) -> String {
    if let Some((_, rest)) = link.split_once("#/s/") {
        return rest.split(['/', '?']).next().unwrap_or_default().to_owned();
    }
    link.rsplit('/').next().unwrap_or_default().to_owned()
}

/// The form that reveals an app link's ots2 secret straight through the API: the access
/// value derived from the link's key (no passphrase).
fn access_form(link: &str) -> String {
    let fk = link
        .split_once("#/s/")
        .and_then(|(_, r)| r.split(['/', '?']).nth(1))
        .expect("a key in the link");
    let access = ots_core::envelope::ots2_access(&fk.parse().expect("a fragment key"), None);
    ots_core::form::encode([("passphrase", access.as_str())])
}

fn metadata_key_of(receipt_link: &str) -> String {
    let (_, rest) = receipt_link
        .split_once("#/r/")
        .expect("an app receipt link");
    rest.split(['/', '?']).next().unwrap_or_default().to_owned()
}

async fn create(
    browser: &Browser,
    url: &str,
    secret: &str,
    passphrase: &str,
    encrypt: bool,
) -> (String, String) {
    browser.client.goto(url).await.expect("open the app");
    browser.fill("secret", secret).await;
    if !passphrase.is_empty() {
        browser.type_into("passphrase", passphrase).await;
    }
    if !encrypt {
        browser.click("encrypt").await;
    }
    browser.click("create").await;
    let link = browser
        .attr("recipient-link", "href")
        .await
        .expect("link href");
    let receipt = browser
        .attr("receipt-link", "href")
        .await
        .expect("receipt href");
    (link, receipt)
}

/// The spoiled variant each leak check runs beside the real one: the same journey on a
/// page with `"encryption": "off"`, recorded by the same kind of relay. A detector that
/// finds nothing there is blind.
async fn share_without_encryption(
    browser: &Browser,
    secret: &str,
    passphrase: &str,
) -> (Server, Recorder) {
    let server = Server::with_config(r#"{"encryption": "off"}"#, &[]);
    let relay = Recorder::start(server.port);
    create(browser, &relay.url, secret, passphrase, true).await;
    assert_eq!(relay.count("POST", "/api/v1/share"), 1);
    (server, relay)
}

/// The key in an app link's fragment.
fn fragment_key_of(link: &str) -> String {
    link.split_once("#/s/")
        .and_then(|(_, rest)| rest.split(['/', '?']).nth(1))
        .unwrap_or_default()
        .to_owned()
}

async fn reveal(browser: &Browser, link: &str, passphrase: &str) {
    browser.client.goto(link).await.expect("open the link");
    if !passphrase.is_empty() {
        browser.type_into("reveal-passphrase", passphrase).await;
    }
    browser.click("reveal").await;
}

/// After a failed reveal: types another passphrase over the first and tries again.
async fn retry_passphrase(browser: &Browser, passphrase: &str) {
    browser
        .find("reveal-passphrase")
        .await
        .clear()
        .await
        .expect("clear");
    browser.type_into("reveal-passphrase", passphrase).await;
    browser.click("reveal").await;
}

/// Everything in `localStorage` and `sessionStorage`, as one JSON text.
const WEB_STORAGE: &str =
    "return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)]);";

fn receipt_state(server: &Server, metadata_key: &str) -> String {
    let receipt = http(
        server.port,
        "POST",
        &format!("/api/v1/receipt/{metadata_key}"),
        "",
    );
    receipt.json()["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn plain_share_gives_the_servers_own_link_and_the_server_reveals_it() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    // A TTL typed in the browser (90 minutes, no preset) is the one the server keeps.
    browser
        .client
        .goto(&server.url)
        .await
        .expect("open the app");
    browser.fill("secret", "hello from chromium").await;
    browser.choose("ttl", "custom").await;
    browser.type_into("ttl-custom", "90m").await;
    browser.click("encrypt").await;
    browser.click("create").await;
    let link = browser.attr("recipient-link", "href").await.expect("href");
    let receipt = browser.attr("receipt-link", "href").await.expect("href");
    let kept = http(
        server.port,
        "POST",
        &format!("/api/v1/receipt/{}", secret_key_of(&receipt)),
        "",
    )
    .json();
    // The receipt counts down: what is left of 90 minutes, not a preset.
    let left = kept["secret_ttl"].as_u64().unwrap_or_default();
    assert!((5370..=5400).contains(&left), "{kept}");
    assert_eq!(
        link,
        format!("{}secret/{}", server.url, secret_key_of(&link))
    );
    let revealed = http(
        server.port,
        "POST",
        &format!("/api/v1/secret/{}", secret_key_of(&link)),
        "",
    );
    assert_eq!(revealed.status, 200, "{}", revealed.body);
    assert_eq!(revealed.json()["value"], "hello from chromium");
    browser.close().await;
}

#[tokio::test]
async fn encrypted_share_never_shows_the_server_the_plaintext_or_key() {
    let server = Server::start(&[]);
    let relay = Recorder::start(server.port);
    let creator = Browser::start().await;
    let secret = SECRET;
    let (link, receipt_link) = create(&creator, &relay.url, secret, "", true).await;
    let fragment_key = fragment_key_of(&link);
    assert_eq!(fragment_key.len(), 43, "the key is in the fragment: {link}");
    assert_eq!(
        relay.count("POST", "/api/v1/share"),
        1,
        "{:?}",
        relay.requests()
    );
    let none: Vec<String> = Vec::new();
    assert_eq!(relay.leaks(secret), none, "plaintext left the browser");
    assert_eq!(relay.leaks(&fragment_key), none, "the key left the browser");
    let log = server.log_text();
    assert!(
        !log.contains(&fragment_key) && !log.contains("staple"),
        "{log}"
    );

    // The same detector on a page without encryption, sent the secret and the link (a
    // pasted link): it must find both, though neither is on the wire as typed.
    let (_plain, spoiled) =
        share_without_encryption(&creator, &format!("{secret}\n{link}"), "").await;
    assert!(!contains(&spoiled.raw(), secret.as_bytes()), "not encoded?");
    assert!(
        !spoiled.leaks(secret).is_empty(),
        "the detector missed the plaintext"
    );
    assert!(
        !spoiled.leaks(&fragment_key).is_empty(),
        "the detector missed the key"
    );
    creator.close().await;

    // Opening the link consumes nothing.
    let recipient = Browser::start().await;
    recipient.client.goto(&link).await.expect("open the link");
    recipient.find("reveal-note").await;
    assert_eq!(
        receipt_state(&server, &metadata_key_of(&receipt_link)),
        "new"
    );
    recipient.click("reveal").await;
    assert_eq!(recipient.text("revealed-value").await, secret);
    assert!(
        !recipient.url().await.contains(&fragment_key),
        "the key stayed in the address bar"
    );
    assert_eq!(
        receipt_state(&server, &metadata_key_of(&receipt_link)),
        "received"
    );

    recipient.close().await;

    // A second reveal, anywhere else, gives the honest unknown-secret message.
    let other = Browser::start().await;
    other.client.goto(&link).await.expect("reopen");
    other.click("reveal").await;
    other.find("reveal-error").await;
    assert!(!other.exists("revealed-value").await);
    assert!(
        other.exists("reveal-passphrase").await,
        "the passphrase field stays for a retry"
    );
    other.close().await;
}

#[tokio::test]
async fn a_passphrase_protects_the_encryption_and_a_wrong_one_can_be_retried() {
    let server = Server::start(&[]);
    let relay = Recorder::start(server.port);
    let creator = Browser::start().await;
    let (link, _) = create(
        &creator,
        &relay.url,
        "the vault code is 4711",
        PASSPHRASE,
        true,
    )
    .await;
    assert!(
        link.contains("p="),
        "the link says a passphrase is needed: {link}"
    );
    assert_eq!(relay.count("POST", "/api/v1/share"), 1);
    assert_eq!(
        relay.leaks(PASSPHRASE),
        Vec::<String>::new(),
        "the passphrase left the browser"
    );
    // Without encryption the passphrase goes to the server, and the detector sees it.
    let (_plain, spoiled) = share_without_encryption(&creator, "x", PASSPHRASE).await;
    assert!(!contains(&spoiled.raw(), PASSPHRASE.as_bytes()));
    assert!(
        !spoiled.leaks(PASSPHRASE).is_empty(),
        "the detector missed the passphrase"
    );
    creator.close().await;

    let recipient = Browser::start().await;
    reveal(&recipient, &link, "wrong guess").await;
    recipient.find("reveal-error").await;
    retry_passphrase(&recipient, PASSPHRASE).await;
    assert_eq!(
        recipient.text("revealed-value").await,
        "the vault code is 4711"
    );
    // The reveals went through the relay too: a derived access string, never the passphrase.
    assert!(relay.count("POST", "/api/v1/secret/") >= 2);
    assert_eq!(relay.leaks(PASSPHRASE), Vec::<String>::new());
    recipient.close().await;
}

#[tokio::test]
async fn a_reveal_survives_reloads_and_a_wrong_passphrase_without_keeping_the_key() {
    let server = Server::start(&[]);
    let creator = Browser::start().await;
    let (link, receipt) = create(&creator, &server.url, "reload-proof 9181", "tulip", true).await;
    creator.close().await;
    let fragment_key = link
        .split_once("#/s/")
        .and_then(|(_, r)| r.split(['/', '?']).nth(1))
        .expect("a key in the link")
        .to_owned();

    let recipient = Browser::start().await;
    reveal(&recipient, &link, "tulip").await;
    assert_eq!(recipient.text("revealed-value").await, "reload-proof 9181");
    assert_eq!(
        receipt_state(&server, &metadata_key_of(&receipt)),
        "received"
    );

    // Reload: the server has nothing left, yet the secret opens again in this tab.
    recipient.client.refresh().await.expect("reload");
    recipient
        .wait_text("reveal-note", |t| t.contains("already revealed"))
        .await;
    let url = recipient.url().await;
    assert!(
        !url.contains(&fragment_key),
        "the key is back in the address bar: {url}"
    );
    let stored = recipient.eval(WEB_STORAGE).await;
    let stored = stored.as_str().unwrap_or_default().to_owned();
    assert!(stored.contains("ots2."), "the envelope is kept: {stored}");
    assert!(
        !stored.contains(&fragment_key) && !stored.contains("reload-proof"),
        "web storage holds the key or the plaintext: {stored}"
    );
    // A wrong passphrase fails here, in the browser, and loses nothing.
    recipient.type_into("reveal-passphrase", "tulips").await;
    recipient.click("reveal").await;
    recipient.find("reveal-error").await;
    retry_passphrase(&recipient, "tulip").await;
    assert_eq!(recipient.text("revealed-value").await, "reload-proof 9181");

    // Both halves are in this tab now, and the same dump sees them: the envelope in
    // sessionStorage and the key in history.state.
    let halves = recipient.eval(TAB_HALVES).await.to_string();
    assert!(
        halves.contains("ots2.") && halves.contains(&fragment_key),
        "{halves}"
    );

    // Closing the secret forgets both; a reload brings neither back.
    recipient.click("close-secret").await;
    recipient.find("secret").await;
    for when in ["after close", "after close and reload"] {
        let halves = recipient.eval(TAB_HALVES).await.to_string();
        assert!(
            !halves.contains("ots2.") && !halves.contains(&fragment_key),
            "{when}: {halves}"
        );
        recipient.client.refresh().await.expect("reload");
        recipient.find("secret").await;
    }
    recipient.close().await;
}

/// A revealed secret leaves the page when the user leaves it: a page kept in the
/// back-forward cache (a static host may allow it; `ots-server` sends `no-store`) must not
/// keep the secret with it. `pagehide` is what the browser fires then.
#[tokio::test]
async fn a_revealed_secret_leaves_the_page_when_the_user_leaves_it() {
    let server = Server::start(&[]);
    let creator = Browser::start().await;
    let (link, _) = create(&creator, &server.url, "gone when left 5150", "", true).await;
    creator.close().await;

    let recipient = Browser::start().await;
    reveal(&recipient, &link, "").await;
    assert_eq!(
        recipient.text("revealed-value").await,
        "gone when left 5150"
    );
    recipient
        .eval("window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })); return true;")
        .await;
    recipient.find("reveal").await;
    let page = recipient
        .eval("return document.documentElement.outerHTML;")
        .await;
    let page = page.as_str().unwrap_or_default();
    assert!(
        !page.contains("gone when left") && !page.contains("revealed-value"),
        "the secret is still on the page"
    );
    recipient.close().await;
}

/// This tab's two halves of a kept reveal: `sessionStorage` and `history.state`.
const TAB_HALVES: &str = "return [Object.entries(sessionStorage), history.state];";

#[tokio::test]
async fn plain_secret_with_a_passphrase_opens_from_the_server_link() {
    let server = Server::start(&[]);
    let creator = Browser::start().await;
    let (link, _) = create(&creator, &server.url, "plain but gated", "letmein", false).await;
    creator.close().await;
    let recipient = Browser::start().await;
    reveal(&recipient, &link, "letmein").await;
    assert_eq!(recipient.text("revealed-value").await, "plain but gated");
    recipient.close().await;
}

#[tokio::test]
async fn a_burned_secret_cannot_be_revealed() {
    let server = Server::start(&[]);
    let creator = Browser::start().await;
    // Encrypted with a passphrase: the server knows only a value derived from it and the
    // link's key, which the receipt link carries (`b=`) so that burning still works.
    let (link, receipt_link) =
        create(&creator, &server.url, "burn me", "pass phrase 7", true).await;
    assert!(receipt_link.contains("b="), "{receipt_link}");
    assert!(!receipt_link.contains("phrase"), "{receipt_link}");
    creator
        .client
        .goto(&receipt_link)
        .await
        .expect("open the receipt");
    assert_eq!(
        creator.attr("receipt-state", "data-state").await.as_deref(),
        Some("new")
    );
    creator.click("burn").await;
    assert!(
        !creator.exists("burn-passphrase").await,
        "the link already holds what burning needs"
    );
    creator.click("burn-confirm").await;
    creator.find("burned-note").await;
    assert_eq!(
        creator.attr("receipt-state", "data-state").await.as_deref(),
        Some("burned")
    );
    creator.close().await;

    let recipient = Browser::start().await;
    reveal(&recipient, &link, "pass phrase 7").await;
    recipient.find("reveal-error").await;
    assert!(!recipient.exists("revealed-value").await);
    recipient.close().await;
}

#[tokio::test]
async fn a_damaged_fragment_says_so_and_consumes_nothing() {
    let server = Server::start(&[]);
    let creator = Browser::start().await;
    let (link, receipt_link) = create(&creator, &server.url, "fragile", "", true).await;
    creator.close().await;
    let recipient = Browser::start().await;
    // Truncated key: the link parser refuses it.
    let truncated = &link[..link.len() - 5];
    recipient.client.goto(truncated).await.expect("open");
    recipient.find("damaged-link").await;
    assert_eq!(
        receipt_state(&server, &metadata_key_of(&receipt_link)),
        "new"
    );
    recipient.close().await;
}

#[tokio::test]
async fn generate_in_both_modes_shows_the_password_once() {
    let server = Server::start(&[]);
    let relay = Recorder::start(server.port);
    let browser = Browser::start().await;
    for encrypt in [true, false] {
        browser.client.goto(&relay.url).await.expect("open");
        browser.click("mode-generate").await;
        if !encrypt {
            browser.click("encrypt").await;
        }
        browser.click("create").await;
        let password = browser.text("generated-value").await;
        assert_eq!(password.chars().count(), 20);
        let link = browser.attr("recipient-link", "href").await.expect("href");
        if encrypt {
            assert_eq!(relay.count("POST", "/api/v1/share"), 1);
            assert_eq!(
                relay.leaks(&password),
                Vec::<String>::new(),
                "the server saw the password"
            );
            // The detector finds this very password when a page sends it.
            let (_plain, spoiled) = share_without_encryption(&browser, &password, "").await;
            assert!(
                !spoiled.leaks(&password).is_empty(),
                "the detector is blind"
            );
            let recipient = Browser::start().await;
            reveal(&recipient, &link, "").await;
            assert_eq!(recipient.text("revealed-value").await, password);
            recipient.close().await;
        } else {
            let revealed = http(
                server.port,
                "POST",
                &format!("/api/v1/secret/{}", secret_key_of(&link)),
                "",
            );
            assert_eq!(revealed.json()["value"], password.as_str());
        }
    }
    browser.close().await;
}

#[tokio::test]
async fn a_failed_request_keeps_the_form_filled_in() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    browser.client.goto(&server.url).await.expect("open");
    browser.fill("secret", "do not lose me").await;
    browser.type_into("passphrase", "still here").await;
    drop(server); // the server goes away mid-session
    browser.click("create").await;
    browser.wait_text("error", |t| !t.is_empty()).await;
    assert_eq!(browser.value("secret").await, "do not lose me");
    assert_eq!(browser.value("passphrase").await, "still here");
    browser.close().await;
}

/// Every host any request of this document went to.
const REQUEST_HOSTS: &str = "return performance.getEntriesByType('resource').map(r => new URL(r.name).host)\
    .concat([location.host]);";

/// Waits until the browser reports a problem that contains `what`.
async fn wait_problem(browser: &Browser, what: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = Vec::new();
    while !seen.iter().any(|p: &String| p.contains(what)) {
        assert!(
            std::time::Instant::now() < deadline,
            "no problem with {what:?} reported: {seen:#?}"
        );
        seen.extend(browser.problems().await);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    seen
}

#[tokio::test]
async fn every_screen_runs_without_a_csp_violation_or_a_foreign_request() {
    let server = Server::start(&[]);
    let host = format!("127.0.0.1:{}", server.port);
    let browser = Browser::start().await;

    // The watch bites: an inline script in the page is refused while the page loads, and
    // the violation is reported (it starts with the document, before any script).
    let spoiled = Server::with_dist(
        |dist| {
            let index = dist.join("index.html");
            let html = std::fs::read_to_string(&index).expect("index.html");
            let inline = "<script>document.title = 'spoiled';</script></body>";
            std::fs::write(&index, html.replace("</body>", inline)).expect("spoil");
            // The precompressed copies would still serve the page unspoiled.
            for packed in ["index.html.br", "index.html.gz"] {
                let _ = std::fs::remove_file(dist.join(packed));
            }
        },
        &[],
    );
    browser.client.goto(&spoiled.url).await.expect("open");
    wait_problem(&browser, "CSP violation: script-src").await;

    browser.client.goto(&server.url).await.expect("open");
    browser.find("secret").await;
    // Only now: the spoiled page's app, still starting, would see its server go away.
    drop(spoiled);
    browser.fill("secret", "csp check").await;
    browser.type_into("passphrase", "csp pass").await;
    browser.click("create").await;
    let link = browser.attr("recipient-link", "href").await.expect("href");
    let receipt = browser.attr("receipt-link", "href").await.expect("href");
    browser.find("qr").await;
    for (screen, shows) in [
        (receipt.as_str(), "receipt-state"),
        ("#/recent", "recent-signed-out"),
        (link.as_str(), "reveal"),
    ] {
        let fragment = screen.split_once('#').map_or(screen, |(_, f)| f);
        browser
            .client
            .execute(
                "location.hash = arguments[0]; return true;",
                vec![fragment.into()],
            )
            .await
            .expect("navigate");
        browser.find(shows).await;
    }
    browser.type_into("reveal-passphrase", "csp pass").await;
    browser.click("reveal").await;
    assert_eq!(browser.text("revealed-value").await, "csp check");
    // A reload is a new document: watched from its first script too.
    browser.client.refresh().await.expect("reload");
    browser.find("reveal-note").await;
    assert_eq!(browser.problems().await, Vec::<String>::new(), "problems");
    let hosts = browser.eval(REQUEST_HOSTS).await;
    for h in hosts.as_array().expect("a list") {
        assert_eq!(
            h.as_str(),
            Some(host.as_str()),
            "a request left for another host"
        );
    }
    // Neither the secret nor its key is kept in web storage.
    let stored = browser.eval(WEB_STORAGE).await;
    let stored = stored.as_str().unwrap_or_default();
    let key = link
        .split_once("#/s/")
        .and_then(|(_, r)| r.split(['/', '?']).nth(1))
        .unwrap_or("?");
    assert!(
        !stored.contains("csp check") && !stored.contains(key),
        "{stored}"
    );
    browser.close().await;
}

#[test]
fn the_server_sends_a_strict_policy_and_no_referrer() {
    let server = Server::start(&[]);
    let page = http(server.port, "GET", "/", "");
    let csp = page
        .header("content-security-policy")
        .expect("a CSP header");
    // The page's own boot script and stylesheet are inline, allowed by their hashes alone
    // (a changed byte is refused: e2e's CSP checks see the app fail to start).
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} missing from {csp}"))
            .split_whitespace()
            .map(|s| {
                if s.starts_with("'sha256-") {
                    "'sha256-…'"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        directive("script-src "),
        ["'self'", "'wasm-unsafe-eval'", "'sha256-…'"]
    );
    assert_eq!(directive("style-src "), ["'self'", "'sha256-…'"]);
    assert_eq!(page.body.matches("<script").count(), 1, "one inline script");
    for directive in [
        "default-src 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(
        !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
        "{csp}"
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(
        page.header("cross-origin-opener-policy"),
        Some("same-origin")
    );
    assert_eq!(
        page.header("cross-origin-resource-policy"),
        Some("same-origin")
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(page.header("permissions-policy").is_some());
    assert!(
        page.header("cache-control")
            .is_some_and(|c| c.contains("no-store"))
    );
    // The static build carries the same policy for hosts that send no headers.
    assert!(page.body.contains("http-equiv=\"Content-Security-Policy\""));
    assert!(
        page.body
            .contains("<meta name=\"referrer\" content=\"no-referrer\"")
    );
}

#[tokio::test]
async fn the_static_build_works_from_a_subfolder_of_a_plain_static_server() {
    let site = tempfile_dir();
    let folder = site.join("tools/ots");
    copy_tree(&Server::dist(), &folder);
    let static_port = ots_testkit::free_port();
    let static_origin = format!("http://127.0.0.1:{static_port}");
    let server = Server::start(&["--cors-origin", &static_origin]);
    std::fs::write(
        folder.join("config.json"),
        format!(r#"{{"api": "http://127.0.0.1:{}"}}"#, server.port),
    )
    .expect("config.json");
    let rewrote = std::process::Command::new("python3")
        .arg(ots_testkit::root().join("scripts/csp-meta.py"))
        .arg(&folder)
        .status()
        .expect("csp-meta.py");
    assert!(rewrote.success());
    let _static = ots_testkit::Static::start(&site, static_port);

    let creator = Browser::start().await;
    let app = format!("{static_origin}/tools/ots/");
    let (link, _) = create(&creator, &app, "from a subfolder", "", true).await;
    assert!(link.starts_with(&format!("{app}#/s/")), "{link}");
    creator.close().await;
    let recipient = Browser::start().await;
    reveal(&recipient, &link, "").await;
    assert_eq!(recipient.text("revealed-value").await, "from a subfolder");
    // csp-meta.py pinned connect-src to the page's origin and the API's: the journey above
    // reached the API, and any other origin is refused.
    let html = std::fs::read_to_string(folder.join("index.html")).expect("index.html");
    let pinned = format!("connect-src 'self' http://127.0.0.1:{};", server.port);
    assert!(html.contains(&pinned), "{html}");
    assert_eq!(recipient.problems().await, Vec::<String>::new());
    let elsewhere = format!(
        "http://127.0.0.1:{}/api/v1/status",
        ots_testkit::free_port()
    );
    recipient
        .client
        .execute(
            "fetch(arguments[0]).catch(() => {}); return true;",
            vec![elsewhere.into()],
        )
        .await
        .expect("fetch");
    wait_problem(&recipient, "connect-src").await;
    recipient.close().await;
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ots-static-{}", ots_testkit::free_port()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// An accounts file with one account, `alice@example.com` with this token.
fn accounts_file(dir: &std::path::Path, token: &str) -> std::path::PathBuf {
    let hashed = std::process::Command::new(Server::binary())
        .args(["hash-token", token])
        .output()
        .expect("hash-token");
    let digest = String::from_utf8_lossy(&hashed.stdout).trim().to_owned();
    let accounts = dir.join("accounts.toml");
    std::fs::write(
        &accounts,
        format!("[[account]]\ncustid = \"alice@example.com\"\ntoken_sha256 = \"{digest}\"\n"),
    )
    .expect("accounts file");
    accounts
}

async fn sign_in(browser: &Browser, token: &str, remember: bool) {
    browser.find("account").await;
    browser
        .eval("document.querySelector('[data-testid=account]').open = true; return true;")
        .await;
    browser.type_into("username", "alice@example.com").await;
    browser.type_into("token", token).await;
    if remember {
        browser.click("remember").await;
    }
    browser.click("sign-in").await;
    browser.find("signed-in").await;
}

/// Where this tab keeps the token: `[in localStorage, in sessionStorage]`.
async fn token_kept(browser: &Browser, token: &str) -> [bool; 2] {
    let found = browser
        .client
        .execute(
            "return [localStorage, sessionStorage].map(s => \
             Object.values(s).some(v => new URLSearchParams(v).get('t') === arguments[0]));",
            vec![token.into()],
        )
        .await
        .expect("storage");
    [found[0] == true, found[1] == true]
}

#[tokio::test]
async fn recent_lists_what_the_account_created_and_the_token_is_kept_only_as_chosen() {
    let token = "e2e-token-0123456789abcdef";
    let dir = tempfile_dir();
    let accounts = accounts_file(&dir, token);
    let server = Server::start(&["--accounts", accounts.to_str().expect("utf-8 path")]);
    let browser = Browser::start().await;
    browser.client.goto(&server.url).await.expect("open");
    sign_in(&browser, token, false).await;
    assert_eq!(
        token_kept(&browser, token).await,
        [false, true],
        "this tab only"
    );
    browser.fill("secret", "for the record").await;
    browser.click("create").await;
    let receipt = browser.attr("receipt-link", "href").await.expect("href");
    browser.click("nav-recent").await;
    browser.find("recent-item").await;
    let listed = browser
        .find("recent-list")
        .await
        .html(false)
        .await
        .expect("html");
    assert!(listed.contains(&metadata_key_of(&receipt)), "{listed}");

    // "Remember on this device": a new tab is signed in too; "Forget" removes it from
    // both storages, and a reload shows the sign-in form again.
    browser.client.goto(&server.url).await.expect("open");
    browser.click("forget-account").await;
    sign_in(&browser, token, true).await;
    assert_eq!(
        token_kept(&browser, token).await,
        [true, false],
        "this device"
    );
    let tab = browser.client.new_window(true).await.expect("new tab");
    browser
        .client
        .switch_to_window(tab.handle)
        .await
        .expect("switch");
    browser.client.goto(&server.url).await.expect("open");
    browser.find("signed-in").await;
    browser.click("forget-account").await;
    browser.find("username").await;
    assert_eq!(
        token_kept(&browser, token).await,
        [false, false],
        "forgotten"
    );
    browser.client.refresh().await.expect("reload");
    browser.click("account-toggle").await;
    browser.find("sign-in").await;
    assert!(!browser.exists("signed-in").await);
    browser.close().await;
}

#[tokio::test]
async fn a_copied_secret_leaves_the_clipboard_and_expired_envelopes_leave_at_start() {
    let server = Server::with_config(r#"{"clipboard_clear_seconds": 4}"#, &[]);
    let browser = Browser::start().await;
    let (link, _) = create(&browser, &server.url, "copy me 7", "", true).await;
    reveal(&browser, &link, "").await;
    assert_eq!(browser.text("revealed-value").await, "copy me 7");
    // The app's own Permissions-Policy forbids reading the clipboard, so a second tab on
    // a plain static host reads it. The app clears it only while it has focus, so the
    // test comes back to it and waits for the clearing write itself.
    let site = tempfile_dir();
    std::fs::write(
        site.join("blank.html"),
        "<!DOCTYPE html><title>reader</title>",
    )
    .expect("page");
    let static_port = ots_testkit::free_port();
    let _static = ots_testkit::Static::start(&site, static_port);
    let reader_origin = format!("http://127.0.0.1:{static_port}");
    browser
        .cdp(
            "Browser.grantPermissions",
            serde_json::json!({
                "origin": reader_origin,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            }),
        )
        .await;
    let app_tab = browser.client.window().await.expect("this tab");
    let reader_tab = browser
        .client
        .new_window(true)
        .await
        .expect("new tab")
        .handle;
    let read_clipboard = async || {
        browser
            .client
            .switch_to_window(reader_tab.clone())
            .await
            .expect("reader tab");
        let text = browser.eval("return navigator.clipboard.readText();").await;
        browser
            .client
            .switch_to_window(app_tab.clone())
            .await
            .expect("app tab");
        text
    };
    // Headless tabs are never focused; both act as if they were, as a user's would.
    let focus = serde_json::json!({"enabled": true});
    browser
        .cdp("Emulation.setFocusEmulationEnabled", focus.clone())
        .await;
    browser
        .client
        .switch_to_window(reader_tab.clone())
        .await
        .expect("reader tab");
    browser
        .cdp("Emulation.setFocusEmulationEnabled", focus)
        .await;
    browser
        .client
        .goto(&format!("{reader_origin}/blank.html"))
        .await
        .expect("reader");
    browser
        .eval("return navigator.clipboard.writeText('before');")
        .await;
    browser
        .client
        .switch_to_window(app_tab.clone())
        .await
        .expect("app tab");
    // Watch the app's clipboard writes (the original still runs).
    browser
        .eval(
            "window.__writes = []; const write = navigator.clipboard.writeText.bind(navigator.clipboard); \
             navigator.clipboard.writeText = t => { window.__writes.push(t); return write(t); }; return true;",
        )
        .await;
    browser.click("copy-secret").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browser.eval("return window.__writes.length;").await != 1 {
        assert!(std::time::Instant::now() < deadline, "the copy never wrote");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(read_clipboard().await, "copy me 7", "copied");
    while browser.eval("return window.__writes.length;").await != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the clipboard was never cleared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        browser.eval("return window.__writes;").await,
        serde_json::json!(["copy me 7", ""])
    );
    assert_eq!(read_clipboard().await, "", "cleared");

    // At start the app drops kept envelopes whose time is up, and only those.
    browser
        .eval(
            "sessionStorage.setItem('ots.revealed.expired', '1|ots1.old'); \
             sessionStorage.setItem('ots.revealed.live', `${Date.now() + 60000}|ots1.new`); \
             return true;",
        )
        .await;
    browser.client.refresh().await.expect("reload");
    browser.find("reveal-note").await;
    let kept = browser
        .eval(
            "return Object.keys(sessionStorage).filter(k => k.startsWith('ots.revealed.')).sort();",
        )
        .await;
    assert_eq!(
        kept.as_array()
            .map(|k| k.iter().any(|k| k == "ots.revealed.expired")),
        Some(false),
        "{kept}"
    );
    assert!(
        kept.as_array()
            .is_some_and(|k| k.iter().any(|k| k == "ots.revealed.live")),
        "{kept}"
    );
    browser.close().await;
}

/// The `ots` command that `scripts/test.sh` builds.
fn ots() -> std::process::Command {
    use std::os::unix::process::CommandExt as _;
    let bin = std::env::var_os("OTS_CLI_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| ots_testkit::root().join("target/release/ots"));
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test.sh",
        bin.display()
    );
    let mut command = std::process::Command::new(bin);
    command.process_group(0);
    command
}

#[tokio::test]
async fn a_link_made_by_the_cli_opens_in_the_app_and_one_made_in_the_app_opens_in_the_cli() {
    use std::io::Write as _;
    // On Redis: one browser journey and one CLI journey against that backend too.
    let redis = ots_testkit::Redis::volatile();
    let server = Server::start(&["--redis", &redis.url()]);
    // Terminal → browser: exact bytes, trailing newline included.
    let mut share = ots()
        .args(["share", "--server", &server.url])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ots share");
    share
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"from the terminal\n")
        .expect("write");
    let out = share.wait_with_output().expect("ots share output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_link = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let browser = Browser::start().await;
    reveal(&browser, &cli_link, "").await;
    assert_eq!(browser.text("revealed-value").await, "from the terminal");
    let exact = browser
        .eval("return document.querySelector('[data-testid=revealed-value]').textContent;")
        .await;
    assert_eq!(exact, "from the terminal\n");
    browser.close().await;

    // Browser → terminal.
    let creator = Browser::start().await;
    let (app_link, _) = create(&creator, &server.url, "from the browser", "", true).await;
    creator.close().await;
    let out = ots()
        .args(["reveal", "--yes", &app_link])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("ots reveal");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"from the browser");
}

#[tokio::test]
async fn recipient_mail_from_the_browser_and_the_cli_has_the_link_never_the_secret() {
    let token = "e2e-token-0123456789abcdef";
    let dir = tempfile_dir();
    let accounts = accounts_file(&dir, token);
    let smtp = ots_testkit::Smtp::start();
    let server = Server::start(&[
        "--accounts",
        accounts.to_str().expect("utf-8 path"),
        "--smtp-url",
        &smtp.url(),
        "--mail-from",
        "ots@example.com",
    ]);
    let browser = Browser::start().await;
    browser.client.goto(&server.url).await.expect("open");
    sign_in(&browser, token, false).await;
    browser.fill("secret", "mailed from chromium").await;
    browser.type_into("recipient", "bob@example.org").await;
    browser.click("create").await;
    let link = browser.attr("recipient-link", "href").await.expect("href");
    browser.close().await;
    let cli = ots_testkit::cli::ots(
        ots_testkit::cli::binary(),
        [
            "share",
            "--server",
            &server.origin,
            "--recipient",
            "carol@example.org",
        ],
    )
    .env("OTS_USER", "alice@example.com")
    .env("OTS_TOKEN", token)
    .stdin("mailed from the terminal")
    .run()
    .ok();
    let cli_link = ots_testkit::cli::first_line(&cli);
    let mails: Vec<String> = smtp
        .wait_for(2)
        .iter()
        .map(|m| ots_testkit::smtp::readable(m))
        .collect();
    for (to, link, secret) in [
        ("bob@example.org", &link, "mailed from chromium"),
        ("carol@example.org", &cli_link, "mailed from the terminal"),
    ] {
        let mail = mails
            .iter()
            .find(|m| m.contains(&format!("To: {to}")))
            .unwrap_or_else(|| panic!("no mail to {to}: {mails:#?}"));
        // The mail names the secret by its key (an encrypted link's key stays out).
        assert!(mail.contains(&secret_key_of(link)), "{mail}");
        assert!(!mail.contains(secret), "{mail}");
        let key = fragment_key_of(link);
        assert!(key.is_empty() || !mail.contains(&key), "{mail}");
    }
}

#[tokio::test]
async fn the_app_mounts_into_a_host_pages_element_with_settings_from_data_attributes() {
    let server = Server::start(&[]);
    let creator = Browser::start().await;
    let page = format!("{}embed.html", server.url);
    let (link, _) = create(&creator, &page, "mounted in a host page", "", true).await;
    assert!(link.starts_with(&format!("{page}#/s/")), "{link}");
    assert_eq!(creator.text("home").await, "Help desk secrets");
    creator.close().await;
    let recipient = Browser::start().await;
    reveal(&recipient, &link, "").await;
    assert_eq!(
        recipient.text("revealed-value").await,
        "mounted in a host page"
    );
    recipient.close().await;
}

#[tokio::test]
async fn an_iframe_works_only_on_the_origins_the_operator_allows() {
    let site = tempfile_dir();
    let static_port = ots_testkit::free_port();
    let static_origin = format!("http://127.0.0.1:{static_port}");
    let allowed = Server::start(&["--frame-ancestor", &static_origin]);
    let refused = Server::start(&[]);
    for (name, server) in [("allowed.html", &allowed), ("refused.html", &refused)] {
        std::fs::write(
            site.join(name),
            format!(
                "<!DOCTYPE html><title>intranet</title>\
                 <iframe src=\"{}\" width=\"600\" height=\"800\"></iframe>",
                server.url
            ),
        )
        .expect("host page");
    }
    let _static = ots_testkit::Static::start(&site, static_port);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{static_origin}/allowed.html"))
        .await
        .expect("host page");
    browser.client.enter_frame(0).await.expect("frame");
    browser.find("secret").await;
    browser.client.enter_parent_frame().await.expect("parent");
    assert_eq!(browser.problems().await, Vec::<String>::new());
    browser
        .client
        .goto(&format!("{static_origin}/refused.html"))
        .await
        .expect("host page");
    // The refusal is an event: Chromium reports the frame-ancestors violation.
    wait_problem(&browser, "frame").await;
    browser.client.enter_frame(0).await.expect("frame");
    assert!(
        !browser.exists("secret").await,
        "a page the operator did not allow framed the app"
    );
    browser.close().await;
}

/// Waits until the sent-history rows show `want` (their `data-state`s, in any order: two
/// secrets made in the same second may be listed either way).
async fn wait_sent_states(browser: &Browser, want: &[&str]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut want = want.to_vec();
    want.sort_unstable();
    loop {
        let states = browser
            .eval("return Array.from(document.querySelectorAll('[data-testid=sent-state]'), e => e.dataset.state).sort();")
            .await;
        if states == serde_json::json!(want) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "sent history shows {states}, not {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_sent_history_shows_live_states_burns_and_forgets_on_this_device_only() {
    let server = Server::start(&[]);
    let creator = Browser::start().await;
    let (first, _) = create(&creator, &server.url, "first of two", "", true).await;
    // The record is written a moment after the link shows; leaving the page at once can
    // lose it, so the creator looks at the list first.
    creator.click("nav-sent").await;
    wait_sent_states(&creator, &["new"]).await;
    let (_second, _) = create(&creator, &server.url, "second of two", "", true).await;
    let read = http(
        server.port,
        "POST",
        &format!("/api/v1/secret/{}", secret_key_of(&first)),
        &access_form(&first),
    );
    assert_eq!(read.status, 200);

    creator.click("nav-sent").await;
    wait_sent_states(&creator, &["new", "received"]).await;
    creator.click("sent-burn").await;
    creator
        .client
        .accept_alert()
        .await
        .expect("confirm the burn");
    wait_sent_states(&creator, &["burned", "received"]).await;

    // Kept across a reload, on this device only.
    creator.client.refresh().await.expect("reload");
    wait_sent_states(&creator, &["burned", "received"]).await;
    let other = Browser::start().await;
    other
        .client
        .goto(&format!("{}#/history", server.url))
        .await
        .expect("open");
    other.find("sent-empty").await;
    other.close().await;

    creator.click("forget-all").await;
    creator.find("sent-empty").await;
    creator.client.refresh().await.expect("reload");
    creator.find("sent-empty").await;
    creator.close().await;
}

/// Asks for a secret through the visible controls; returns the request link and the
/// fingerprint shown.
async fn ask(browser: &Browser, url: &str, note: &str) -> (String, String) {
    browser.client.goto(url).await.expect("open the app");
    browser.click("nav-ask").await;
    assert_eq!(
        browser.value("ask-lifetime").await,
        "604800",
        "7 days by default"
    );
    if !note.is_empty() {
        browser.type_into("ask-note", note).await;
    }
    browser.click("ask-create").await;
    let link = browser.attr("request-link", "href").await.expect("href");
    (link, browser.text("fingerprint").await)
}

/// Answers a request link in `browser`; returns the answer link and the fingerprint shown.
async fn answer(browser: &Browser, request_link: &str, secret: &str) -> (String, String) {
    browser
        .client
        .goto(request_link)
        .await
        .expect("open the request");
    let fingerprint = browser.text("fingerprint").await;
    browser.fill("answer-secret", secret).await;
    browser.click("answer-send").await;
    let link = browser.attr("answer-link", "href").await.expect("href");
    (link, fingerprint)
}

#[tokio::test]
async fn a_requested_secret_opens_once_and_only_in_the_browser_that_asked() {
    let server = Server::start(&[]);
    let relay = Recorder::start(server.port);
    let asker = Browser::start().await;
    let posts = relay.count("POST", "/");
    let (request_link, fingerprint) = ask(&asker, &relay.url, "VPN for Berlin & co").await;
    assert_eq!(relay.count("POST", "/"), posts, "asking sent a POST");
    assert!(request_link.contains("#/q/"), "{request_link}");
    assert_eq!(fingerprint.len(), 14, "{fingerprint}");
    asker.find("note-public").await;

    // A fresh profile sees the note and the same fingerprint, and answers.
    let sender = Browser::start().await;
    let shares = relay.count("POST", "/api/v1/share");
    let (answer_link, shown) = answer(&sender, &request_link, SECRET).await;
    assert_eq!(shown, fingerprint);
    assert_eq!(sender.text("answer-note").await, "VPN for Berlin & co");
    assert_eq!(relay.count("POST", "/api/v1/share"), shares + 1);
    let none: Vec<String> = Vec::new();
    assert_eq!(relay.leaks(SECRET), none, "the secret left the browser");
    assert!(answer_link.contains("#/a/"), "{answer_link}");
    // The same detector finds the secret when the page sends it unencrypted.
    let (_plain, spoiled) = share_without_encryption(&sender, SECRET, "").await;
    assert!(!spoiled.leaks(SECRET).is_empty(), "the detector is blind");
    sender.close().await;

    // A third profile can neither read the answer nor use it up: it sends nothing.
    let reveals = relay.count("POST", "/api/v1/secret/");
    let third = Browser::start().await;
    third
        .client
        .goto(&answer_link)
        .await
        .expect("open the answer");
    third.find("open-elsewhere").await;
    assert!(!third.exists("open-reveal").await);
    assert_eq!(
        relay.count("POST", "/api/v1/secret/"),
        reveals,
        "it asked the server"
    );
    // Nor can it with the API itself: without the derived passphrase nothing is revealed.
    let key = answer_link
        .split_once("#/a/")
        .and_then(|(_, rest)| rest.split('/').next())
        .expect("secret key");
    let refused = http(server.port, "POST", &format!("/api/v1/secret/{key}"), "");
    assert_ne!(refused.status, 200);
    third.close().await;

    // The asker reads it, once.
    asker
        .client
        .goto(&answer_link)
        .await
        .expect("open the answer");
    asker.find("open-note").await;
    asker.click("open-reveal").await;
    assert_eq!(asker.text("revealed-value").await, SECRET);
    // No CSP violation or script error, and nothing of the request in web storage (its
    // key is a CryptoKey in IndexedDB).
    assert_eq!(asker.problems().await, Vec::<String>::new(), "problems");
    let stored = asker.eval(WEB_STORAGE).await;
    let stored = stored.as_str().unwrap_or_default();
    let compact = fingerprint.replace('-', "");
    assert!(
        !stored.contains(SECRET) && !stored.contains(&compact),
        "{stored}"
    );
    asker.click("close-secret").await;
    asker.find("open-requests").await;
    asker.wait_text("request-state", |t| !t.is_empty()).await;
    assert_eq!(
        asker.attr("request-state", "data-state").await.as_deref(),
        Some("read")
    );
    asker.client.goto(&answer_link).await.expect("open again");
    asker.click("open-reveal").await;
    asker.find("open-error").await;
    assert!(!asker.exists("revealed-value").await);

    // Forgotten, its answers no longer open here.
    asker
        .client
        .goto(&format!("{}#/history", relay.url))
        .await
        .expect("sent");
    asker.click("request-forget").await;
    asker.find("requests-empty").await;
    asker.close().await;
}

#[tokio::test]
async fn requests_and_answers_cross_between_the_cli_and_the_app() {
    let server = Server::start(&[]);
    let device = tempfile_dir();
    // App asks, the CLI answers, the app reads.
    let asker = Browser::start().await;
    let (request_link, fingerprint) = ask(&asker, &server.url, "from the app").await;
    let mut run = ots()
        .args(["answer", &request_link])
        .env("XDG_CONFIG_HOME", &device)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ots answer");
    {
        use std::io::Write as _;
        let mut stdin = run.stdin.take().expect("stdin");
        stdin.write_all(b"cli answer\n").expect("write");
    }
    let out = run.wait_with_output().expect("ots answer output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&fingerprint), "{stderr}");
    let cli_answer = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    asker
        .client
        .goto(&cli_answer)
        .await
        .expect("open the answer");
    asker.click("open-reveal").await;
    assert_eq!(asker.text("revealed-value").await, "cli answer");
    asker.close().await;

    // The CLI asks, the app answers, the CLI reads.
    let out = ots()
        .args(["request", "--server", &server.url])
        .env("XDG_CONFIG_HOME", &device)
        .output()
        .expect("ots request");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_request = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let sender = Browser::start().await;
    let (app_answer, _) = answer(&sender, &cli_request, "app answer").await;
    sender.close().await;
    let out = ots()
        .args(["reveal", "--yes", &app_answer])
        .env("XDG_CONFIG_HOME", &device)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("ots reveal");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"app answer");
}

#[tokio::test]
async fn a_file_answers_a_request_and_opens_for_download_where_it_was_asked() {
    let server = Server::start(&[]);
    let relay = Recorder::start(server.port);
    let asker = Browser::start().await;
    let (request_link, _) = ask(&asker, &relay.url, "").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("id_ed25519");
    // Bytes that are no text, and a marker to look for on the wire.
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(1500).collect();
    bytes.extend_from_slice(b"FILE-MARKER-7f3a");
    std::fs::write(&path, &bytes).expect("write the file");
    let sender = Browser::start().await;
    sender
        .client
        .goto(&request_link)
        .await
        .expect("open the request");
    sender.find("answer-no-note").await;
    sender
        .find("file-input")
        .await
        .send_keys(path.to_str().expect("utf-8 path"))
        .await
        .expect("attach");
    assert_eq!(sender.text("file-chosen-name").await, "id_ed25519");
    sender.click("answer-send").await;
    let answer_link = sender.attr("answer-link", "href").await.expect("href");
    sender.close().await;
    let none: Vec<String> = Vec::new();
    assert_eq!(
        relay.leaks("FILE-MARKER-7f3a"),
        none,
        "the file left the browser"
    );

    asker
        .client
        .goto(&answer_link)
        .await
        .expect("open the answer");
    asker.click("open-reveal").await;
    assert_eq!(asker.text("file-name").await, "id_ed25519");
    asker.find("download-file").await;
    assert!(
        !asker.exists("revealed-value").await,
        "an empty text is not shown"
    );
    asker.close().await;
}
