//! End-to-end: the release `dist/` in headless Chromium against the real `ots-server`.
#![cfg(not(target_arch = "wasm32"))]

use ots_testkit::{Browser, Server, http};

#[tokio::test]
async fn walking_skeleton_shares_a_secret_that_the_server_reveals() {
    let server = Server::start(&[]);
    let browser = Browser::start().await;
    browser.client.goto(&server.url).await.expect("open the app");
    browser.type_into("secret", "hello from chromium").await;
    browser.click("create").await;
    let link = browser
        .find("recipient-link")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("the link has an href");
    let key = link.rsplit('/').next().expect("key in link");
    let revealed = http(server.port, "POST", &format!("/api/v1/secret/{key}"), "");
    assert_eq!(revealed.status, 200, "{}", revealed.body);
    assert_eq!(revealed.json()["value"], "hello from chromium");
    browser.close().await;
}
