//! End-to-end: files in secrets (issue 19), in headless Chromium against the real
//! `ots-server`, through the visible controls. The creator, the recipient and the latecomer
//! use separate profiles; downloads land in a folder of their own (CDP
//! `Browser.setDownloadBehavior`).
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ots_testkit::{Browser, Recorder, Server};

/// 3,000 bytes that are no text and repeat nowhere (a xorshift stream).
fn binary_file() -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..3000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// A file of `bytes` named `name` in a new folder (kept as long as the folder).
fn file_on_disk(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write the file");
    (dir, path)
}

/// Picks a file with the create form's file control, as a user does.
async fn pick(browser: &Browser, path: &Path) {
    browser
        .find("file-input")
        .await
        .send_keys(path.to_str().expect("utf-8 path"))
        .await
        .expect("pick the file");
}

/// Picks `path` on the create form at `url` (typing `text` first, if any) and creates the
/// secret; returns the recipient's link.
async fn create_with_file(browser: &Browser, url: &str, text: &str, path: &Path) -> String {
    browser.client.goto(url).await.expect("open the app");
    if !text.is_empty() {
        browser.type_into("secret", text).await;
    }
    pick(browser, path).await;
    let name = path.file_name().and_then(|n| n.to_str()).expect("name");
    browser.wait_text("file-chosen-name", |t| t == name).await;
    browser.click("create").await;
    browser
        .attr("recipient-link", "href")
        .await
        .expect("link href")
}

/// A fresh profile whose downloads go to a folder of its own.
async fn downloading_browser() -> (Browser, tempfile::TempDir) {
    let browser = Browser::start().await;
    let dir = tempfile::tempdir().expect("download dir");
    browser
        .cdp(
            "Browser.setDownloadBehavior",
            serde_json::json!({"behavior": "allow", "downloadPath": dir.path().to_str()}),
        )
        .await;
    (browser, dir)
}

/// The one finished download in `dir`: its name and bytes.
fn downloaded(dir: &Path) -> (String, Vec<u8>) {
    let start = Instant::now();
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("download dir")
            .map(|e| e.expect("entry").path())
            .collect();
        let done: Vec<&PathBuf> = files
            .iter()
            .filter(|p| p.extension().is_none_or(|e| e != "crdownload"))
            .collect();
        if files.len() == 1 && done.len() == 1 {
            let name = done[0]
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            return (name, std::fs::read(done[0]).expect("read the download"));
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no single finished download in {}: {files:?}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Reveals `link` in `browser` and downloads the file; returns its name and bytes.
async fn reveal_and_download(browser: &Browser, dir: &Path, link: &str) -> (String, Vec<u8>) {
    browser.client.goto(link).await.expect("open the link");
    browser.click("reveal").await;
    browser.find("revealed-file").await;
    browser.click("download-file").await;
    downloaded(dir)
}

#[tokio::test]
async fn a_binary_file_leaves_the_browser_sealed_and_downloads_once_under_its_name() {
    let server = Server::start(&[]);
    let relay = Recorder::start(server.port);
    let bytes = binary_file();
    let (_dir, path) = file_on_disk("deploy key.bin", &bytes);
    let creator = Browser::start().await;
    let link = create_with_file(&creator, &relay.url, "", &path).await;
    assert_eq!(relay.count("POST", "/api/v1/share"), 1);
    let none: Vec<String> = Vec::new();
    assert_eq!(
        relay.leaks_bytes(&bytes[1000..1048]),
        none,
        "the file left the browser"
    );
    assert_eq!(
        relay.leaks("deploy key"),
        none,
        "the file name left the browser"
    );
    creator.close().await;

    // The same detector on a page without encryption, which says so before sending: it
    // finds the bytes, though they are on the wire only as base64url.
    let plain = Server::with_config(r#"{"encryption": "off"}"#, &[]);
    let spoiled = Recorder::start(plain.port);
    let sender = Browser::start().await;
    sender.client.goto(&spoiled.url).await.expect("open");
    pick(&sender, &path).await;
    let warning = sender.wait_text("file-plain", |t| !t.is_empty()).await;
    assert!(warning.contains("server can read"), "{warning}");
    sender.click("create").await;
    sender.find("recipient-link").await;
    assert!(!ots_testkit::contains(&spoiled.raw(), &bytes[1000..1048]));
    assert!(
        !spoiled.leaks_bytes(&bytes[1000..1048]).is_empty(),
        "the detector is blind"
    );
    sender.close().await;

    // A fresh profile sees name, size and type, then downloads the exact bytes.
    let (recipient, downloads) = downloading_browser().await;
    recipient.client.goto(&link).await.expect("open the link");
    recipient.click("reveal").await;
    assert_eq!(recipient.text("file-name").await, "deploy key.bin");
    assert_eq!(recipient.text("file-size").await, "3,000 bytes");
    assert_eq!(
        recipient.text("file-type").await,
        "application/octet-stream"
    );
    assert!(
        !recipient.exists("revealed-value").await,
        "no text was sent"
    );
    recipient.click("download-file").await;
    let (name, got) = downloaded(downloads.path());
    assert_eq!(name, "deploy key.bin");
    assert_eq!(got, bytes);
    // Nothing was shown inline and nothing went wrong on the page.
    assert_eq!(recipient.problems().await, Vec::<String>::new());
    recipient.close().await;

    // A second profile gets nothing.
    let latecomer = Browser::start().await;
    latecomer.client.goto(&link).await.expect("open the link");
    latecomer.click("reveal").await;
    let error = latecomer.wait_text("reveal-error", |t| !t.is_empty()).await;
    assert!(!error.is_empty());
    assert!(!latecomer.exists("revealed-file").await);
    latecomer.close().await;
}

#[tokio::test]
async fn a_file_too_large_is_refused_before_any_request_and_the_form_keeps_its_text() {
    let server = Server::start(&[]);
    let relay = Recorder::start(server.port);
    let (_dir, path) = file_on_disk("backup.tar", &vec![7u8; 20 * 1024 * 1024]);
    let browser = Browser::start().await;
    browser.client.goto(&relay.url).await.expect("open the app");
    browser.type_into("secret", "keep this note").await;
    browser.type_into("passphrase", "and this phrase").await;
    pick(&browser, &path).await;
    let message = browser.wait_text("file-error", |t| !t.is_empty()).await;
    assert!(message.contains("backup.tar"), "{message}");
    assert!(message.contains("10,000"), "the limit: {message}");
    assert!(message.contains("Nothing was sent"), "{message}");
    assert!(!browser.exists("file-chosen").await);
    assert_eq!(browser.value("secret").await, "keep this note");
    assert_eq!(browser.value("passphrase").await, "and this phrase");
    assert_eq!(relay.count("POST", "/"), 0, "{:?}", relay.requests());
    browser.close().await;
}

/// The `ots` CLI: `OTS_CLI_BIN`, or the release build.
fn ots() -> std::process::Command {
    let bin = std::env::var_os("OTS_CLI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| ots_testkit::root().join("target/release/ots"));
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test.sh",
        bin.display()
    );
    let mut command = std::process::Command::new(bin);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OTS_") {
            command.env_remove(&name);
        }
    }
    command.stdin(std::process::Stdio::null());
    command
}

#[tokio::test]
async fn the_cli_opens_an_app_made_file_link_and_the_app_opens_a_cli_made_one() {
    let server = Server::start(&[]);
    let bytes = binary_file();

    // Browser → terminal: text and a file; the text is printed, the file saved by name.
    let (_dir, path) = file_on_disk("id_ed25519", &bytes);
    let creator = Browser::start().await;
    let link = create_with_file(&creator, &server.url, "for the deploy box", &path).await;
    creator.close().await;
    let to = tempfile::tempdir().expect("dir");
    let out = ots()
        .args(["reveal", "--yes", &link])
        .current_dir(to.path())
        .output()
        .expect("ots reveal");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"for the deploy box");
    assert_eq!(
        std::fs::read(to.path().join("id_ed25519")).expect("saved"),
        bytes
    );

    // Terminal → browser.
    let (_dir, path) = file_on_disk("cert.pem", &bytes);
    let out = ots()
        .args(["share", "--server", &server.url, "--file"])
        .arg(&path)
        .output()
        .expect("ots share");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_link = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (recipient, downloads) = downloading_browser().await;
    let (name, got) = reveal_and_download(&recipient, downloads.path(), &cli_link).await;
    assert_eq!(name, "cert.pem");
    assert_eq!(got, bytes);
    assert_eq!(recipient.text("file-type").await, "application/x-pem-file");
    recipient.close().await;
}
