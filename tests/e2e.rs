//! End-to-end: the release `dist/` in headless Chromium against the real `ots-server`.
//! The creator and the recipient use separate browser profiles, so nothing is shared
//! through storage.
#![cfg(not(target_arch = "wasm32"))]

use ots_testkit::{Browser, Recorder, Server, contains, http, read_tree};

/// The secret key at the end of a `/secret/<key>` link or inside a `#/s/<key>/…` link.
fn secret_key_of(link: &str) -> String {
    if let Some((_, rest)) = link.split_once("#/s/") {
        return rest.split(['/', '?']).next().unwrap_or_default().to_owned();
    }
    link.rsplit('/').next().unwrap_or_default().to_owned()
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

async fn reveal(browser: &Browser, link: &str, passphrase: &str) {
    browser.client.goto(link).await.expect("open the link");
    if !passphrase.is_empty() {
        browser.type_into("reveal-passphrase", passphrase).await;
    }
    browser.click("reveal").await;
}

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
    let (link, _) = create(&browser, &server.url, "hello from chromium", "", false).await;
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
    let secret = "correct horse battery staple 8c1f";
    let (link, receipt_link) = create(&creator, &relay.url, secret, "", true).await;
    let fragment_key = link
        .split_once("#/s/")
        .and_then(|(_, rest)| rest.split(['/', '?']).nth(1))
        .unwrap_or_default()
        .to_owned();
    assert_eq!(fragment_key.len(), 43, "the key is in the fragment: {link}");
    assert!(
        !contains(relay.sent().as_bytes(), secret.as_bytes()),
        "plaintext left the browser"
    );
    assert!(
        !contains(relay.sent().as_bytes(), fragment_key.as_bytes()),
        "the key left the browser"
    );
    assert!(
        !contains(&read_tree(server.data_dir.path()), secret.as_bytes()),
        "plaintext in the store or log"
    );
    assert!(!server.log_text().contains(&fragment_key));
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

    // A second reveal gives the honest unknown-secret message.
    recipient.client.goto(&link).await.expect("reopen");
    recipient.client.refresh().await.expect("reload");
    recipient.click("reveal").await;
    recipient.find("reveal-error").await;
    assert!(!recipient.exists("revealed-value").await);
    assert!(
        recipient.exists("reveal-passphrase").await,
        "the passphrase field stays for a retry"
    );
    recipient.close().await;
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
        "open sesame",
        true,
    )
    .await;
    assert!(
        link.contains("p="),
        "the link says a passphrase is needed: {link}"
    );
    assert!(
        !contains(relay.sent().as_bytes(), b"open sesame"),
        "the passphrase left the browser"
    );
    creator.close().await;

    let recipient = Browser::start().await;
    reveal(&recipient, &link, "wrong guess").await;
    recipient.find("reveal-error").await;
    recipient
        .find("reveal-passphrase")
        .await
        .clear()
        .await
        .expect("clear");
    recipient
        .type_into("reveal-passphrase", "open sesame")
        .await;
    recipient.click("reveal").await;
    assert_eq!(
        recipient.text("revealed-value").await,
        "the vault code is 4711"
    );
    recipient.close().await;
}

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
    let (link, receipt_link) = create(&creator, &server.url, "burn me", "", true).await;
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
    creator.click("burn-confirm").await;
    creator.find("burned-note").await;
    assert_eq!(
        creator.attr("receipt-state", "data-state").await.as_deref(),
        Some("burned")
    );
    creator.close().await;

    let recipient = Browser::start().await;
    reveal(&recipient, &link, "").await;
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
            assert!(
                !contains(relay.sent().as_bytes(), password.as_bytes()),
                "the server saw the password"
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
