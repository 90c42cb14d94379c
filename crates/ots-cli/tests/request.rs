//! `ots request`, `ots answer` and `ots reveal` of an answer, against a real
//! `ots-server`. Each "device" is its own config folder (`XDG_CONFIG_HOME`).

use std::path::Path;

use ots_testkit::Server;
use ots_testkit::cli::{Ots, first_line};

fn ots<I, S>(args: I) -> Ots
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    ots_testkit::cli::ots(env!("CARGO_BIN_EXE_ots"), args)
}

/// `ots` on the device whose config folder is `device`.
fn on<I, S>(device: &Path, args: I) -> Ots
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    ots(args).env("XDG_CONFIG_HOME", device)
}

const SECRET: &str = "vpn: correct horse ☃\n";

fn receipt_state(receipt_link: &str) -> String {
    let shown = ots(["receipt", "--json", receipt_link]).run().ok().json();
    shown["state"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_request_answered_elsewhere_opens_only_on_the_asking_device() {
    let server = Server::start(&[]);
    let asker = tempfile::tempdir().expect("asker device");
    let other = tempfile::tempdir().expect("another device");

    // Asking contacts no server: it works with the server's port closed.
    let closed = "http://127.0.0.1:9";
    let asked = on(
        asker.path(),
        [
            "request",
            "--server",
            closed,
            "--note",
            "VPN for Berlin",
            "--json",
        ],
    )
    .run()
    .ok()
    .json();
    assert!(asked["link"].as_str().expect("link").starts_with(closed));
    // The real request, for the running server.
    let asked = on(
        asker.path(),
        [
            "request",
            "--server",
            &server.origin,
            "--note",
            "VPN for Berlin",
            "--json",
        ],
    )
    .run()
    .ok()
    .json();
    let request_link = asked["link"].as_str().expect("link").to_owned();
    let fingerprint = asked["fingerprint"].as_str().expect("fp").to_owned();
    assert!(
        request_link.starts_with(&format!("{}/#/q/", server.origin)),
        "{request_link}"
    );
    assert!(
        request_link.contains("n=VPN%20for%20Berlin"),
        "{request_link}"
    );
    let key_file = asker
        .path()
        .join("ots/requests")
        .join(format!("{}.json", fingerprint.replace('-', "")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The sender (a fresh device) sees the note and the same fingerprint, and answers.
    let sent = ots(["answer", "--json", &request_link])
        .stdin(SECRET)
        .run()
        .ok();
    assert!(sent.stderr.contains(&fingerprint), "{}", sent.stderr);
    assert!(sent.stderr.contains("VPN for Berlin"), "{}", sent.stderr);
    let sent = sent.json();
    let answer_link = sent["link"].as_str().expect("answer link").to_owned();
    let receipt_link = sent["receipt_link"].as_str().expect("receipt").to_owned();
    assert!(
        answer_link.starts_with(&format!("{}/#/a/", server.origin)),
        "{answer_link}"
    );
    assert!(!answer_link.contains("VPN"), "{answer_link}");
    assert_eq!(receipt_state(&receipt_link), "new");

    // Someone with the answer link but not the key: the API refuses the reveal without
    // the derived passphrase, and consumes nothing.
    let secret_key = sent["secret_key"].as_str().expect("key");
    let refused = server.post(&format!("/api/v1/secret/{secret_key}"), "");
    assert!(refused.get("value").is_none(), "{refused}");
    // Another device says so, and sends nothing.
    let elsewhere = on(other.path(), ["reveal", "--yes", &answer_link])
        .run()
        .expect_code(5);
    assert!(
        elsewhere
            .stderr
            .contains("only be opened on the device that made request"),
        "{}",
        elsewhere.stderr
    );
    assert!(elsewhere.stdout.is_empty());
    assert_eq!(receipt_state(&receipt_link), "new");

    // The asking device reads it, once.
    let read = on(asker.path(), ["reveal", "--yes", &answer_link])
        .run()
        .ok();
    assert_eq!(read.out(), SECRET);
    assert_eq!(receipt_state(&receipt_link), "received");
    on(asker.path(), ["reveal", "--yes", &answer_link])
        .run()
        .expect_code(4);
}

#[test]
fn a_tampered_answer_link_consumes_nothing() {
    let server = Server::start(&[]);
    let asker = tempfile::tempdir().expect("asker device");
    let request_link = first_line(
        &on(asker.path(), ["request", "--server", &server.origin])
            .run()
            .ok(),
    );
    let sent = ots(["answer", "--json", &request_link])
        .stdin(SECRET)
        .run()
        .ok()
        .json();
    let answer_link = sent["link"].as_str().expect("link").to_owned();
    let receipt_link = sent["receipt_link"].as_str().expect("receipt").to_owned();
    // Another one-time key in the link: the asker derives another passphrase, which the
    // server refuses without consuming the answer.
    let (head, tail) = answer_link.split_once("?f=").expect("fingerprint");
    let (start, epk) = head.rsplit_once('/').expect("epk");
    let other_epk = another_key(epk);
    let tampered = format!("{start}/{other_epk}?f={tail}");
    on(asker.path(), ["reveal", "--yes", &tampered])
        .run()
        .expect_code(4);
    assert_eq!(receipt_state(&receipt_link), "new");
    let read = on(asker.path(), ["reveal", "--yes", &answer_link])
        .run()
        .ok();
    assert_eq!(read.out(), SECRET);
}

/// Another valid key text: `epk` with its first character changed.
fn another_key(epk: &str) -> String {
    let first = if epk.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &epk[1..])
}

#[test]
fn requests_are_listed_forgotten_and_expire() {
    let server = Server::start(&[]);
    let asker = tempfile::tempdir().expect("asker device");
    let asked = on(
        asker.path(),
        ["request", "--server", &server.origin, "--json"],
    )
    .run()
    .ok()
    .json();
    let fingerprint = asked["fingerprint"].as_str().expect("fp").to_owned();
    let request_link = asked["link"].as_str().expect("link").to_owned();
    let listed = on(asker.path(), ["request", "--list"]).run().ok().out();
    assert!(listed.contains(&fingerprint), "{listed}");

    // Forgotten: its answers no longer open here, and nothing is consumed.
    let sent = ots(["answer", "--json", &request_link])
        .stdin(SECRET)
        .run()
        .ok()
        .json();
    on(asker.path(), ["request", "--forget", &fingerprint])
        .run()
        .ok();
    let answer_link = sent["link"].as_str().expect("link");
    on(asker.path(), ["reveal", "--yes", answer_link])
        .run()
        .expect_code(5);
    assert_eq!(
        receipt_state(sent["receipt_link"].as_str().expect("receipt")),
        "new"
    );
    let listed = on(asker.path(), ["request", "--list"]).run().ok();
    assert!(!listed.out().contains(&fingerprint), "{}", listed.out());

    // An expired request is refused by the sender, and its key leaves the asker's device.
    let short = first_line(
        &on(
            asker.path(),
            ["request", "--server", &server.origin, "--expires", "1s"],
        )
        .run()
        .ok(),
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let refused = ots(["answer", &short]).stdin(SECRET).run().expect_code(2);
    assert!(refused.stderr.contains("expired"), "{}", refused.stderr);
    on(asker.path(), ["request", "--list"]).run().ok();
    let left = std::fs::read_dir(asker.path().join("ots/requests"))
        .expect("folder")
        .count();
    assert_eq!(left, 0);
}

#[test]
fn a_file_answer_is_saved_on_the_asking_device_and_never_over_another_file() {
    let server = Server::start(&[]);
    let asker = tempfile::tempdir().expect("asker device");
    let request_link = first_line(
        &on(asker.path(), ["request", "--server", &server.origin])
            .run()
            .ok(),
    );
    let sender = tempfile::tempdir().expect("sender files");
    let key = sender.path().join("id_ed25519");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(700).collect();
    std::fs::write(&key, &bytes).expect("write");
    let answer_link = first_line(
        &ots([
            "answer",
            &request_link,
            "--file",
            key.to_str().expect("utf-8"),
        ])
        .run()
        .ok(),
    );
    let out = tempfile::tempdir().expect("out dir");
    std::fs::write(out.path().join("id_ed25519"), b"mine").expect("an existing file");
    let dir = out.path().to_str().expect("utf-8");
    // The name is taken: saved under another, and said so (the answer is consumed).
    let read = on(asker.path(), ["reveal", "--yes", "-o", dir, &answer_link])
        .run()
        .expect_code(1);
    assert!(read.stderr.contains("left alone"), "{}", read.stderr);
    assert_eq!(
        std::fs::read(out.path().join("id_ed25519")).expect("kept"),
        b"mine"
    );
    assert_eq!(
        std::fs::read(out.path().join("id_ed25519 (2)")).expect("saved"),
        bytes
    );
}
