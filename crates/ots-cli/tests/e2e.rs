//! `ots` against a real `ots-server`: share and reveal in both modes, passphrases,
//! generate, receipt, burn, recent, status, the exit codes and the refusals.

use ots_testkit::Server;
use ots_testkit::cli::{Ots, Run, first_line};

/// The account the test servers know.
const USER: &str = "cli@example.com";
/// Its API token.
const TOKEN: &str = "cli-test-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// A real `ots-server` (ots-testkit's) that knows [`USER`].
fn server() -> Server {
    Server::with_account(USER, TOKEN, &[])
}

/// The `ots` cargo built for this test, with a clean environment.
fn ots<I, S>(args: I) -> Ots
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    ots_testkit::cli::ots(env!("CARGO_BIN_EXE_ots"), args)
}

const TEXT: &[u8] = "line one\nünïcödé ☃ line two\n\n".as_bytes();

/// `ots share` of `secret` with extra args; returns its link (first line of stdout).
fn share(server: &Server, secret: &[u8], extra: &[&str]) -> String {
    let mut args = vec!["share", "--server", server.origin.as_str()];
    args.extend_from_slice(extra);
    let run = ots(args).stdin(secret).run().ok();
    first_line(&run)
}

fn reveal(link: &str, extra: &[&str]) -> Run {
    let mut args = vec!["reveal", "--yes", link];
    args.extend_from_slice(extra);
    ots(args).run()
}

#[test]
fn share_then_reveal_encrypted_keeps_exact_bytes_and_only_once() {
    let server = server();
    let link = share(&server, TEXT, &[]);
    let app = format!("{}/#/s/", server.origin);
    assert!(link.starts_with(&app), "{link}");
    // `#/s/<secret key>/<43-char key>` and nothing else: the server is the app's origin.
    let rest = &link[app.len()..];
    let (key, fk) = rest.split_once('/').expect("key and fragment key");
    assert!(key.len() >= 20 && fk.len() == 43, "{link}");

    let first = reveal(&link, &[]).ok();
    assert_eq!(first.stdout, TEXT);

    let second = reveal(&link, &[]).expect_code(4);
    assert!(
        second.stderr.contains("unknown secret"),
        "{}",
        second.stderr
    );
    assert!(second.stdout.is_empty());
}

#[test]
fn the_server_stores_only_the_envelope() {
    let server = server();
    let link = share(&server, b"top secret value", &[]);
    // Reveal through the API directly: what the server hands out is the envelope.
    let key = link
        .split("#/s/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("key");
    let answer = server.post(&format!("/api/v1/secret/{key}"), "");
    let value = answer["value"].as_str().expect("value");
    assert!(value.starts_with("ots1."), "{value}");
    assert!(!value.contains("top secret"));
}

#[test]
fn share_then_reveal_plain() {
    let server = server();
    let link = share(&server, TEXT, &["--plain"]);
    assert!(
        link.starts_with(&format!("{}/secret/", server.origin)),
        "{link}"
    );
    assert_eq!(reveal(&link, &[]).ok().stdout, TEXT);
    reveal(&link, &[]).expect_code(4);
}

#[test]
fn encrypted_passphrase_goes_into_the_key_and_a_wrong_one_does_not_consume() {
    let server = server();
    let pass = server.file("pass", b"correct horse battery staple\n");
    let wrong = server.file("wrong", b"correct horse battery stapler\n");
    let pass = pass.to_str().expect("utf-8 path");
    let link = share(&server, TEXT, &["--passphrase-file", pass]);
    assert!(link.ends_with("?p=19456.2.1"), "{link}");

    let bad = reveal(&link, &["--passphrase-file", wrong.to_str().expect("path")]).expect_code(4);
    assert!(bad.stderr.contains("passphrase is wrong"), "{}", bad.stderr);
    assert_eq!(
        reveal(&link, &["--passphrase-file", pass]).ok().stdout,
        TEXT
    );
}

#[test]
fn plain_passphrase_is_a_server_gate() {
    let server = server();
    let pass = server.file("pass", b"opensesame");
    let pass = pass.to_str().expect("path");
    let link = share(&server, TEXT, &["--plain", "--passphrase-file", pass]);
    assert!(
        link.starts_with(&format!("{}/secret/", server.origin)),
        "{link}"
    );
    let missing = reveal(&link, &[]).expect_code(4);
    assert!(
        missing.stderr.contains("--ask-passphrase"),
        "{}",
        missing.stderr
    );
    assert_eq!(
        reveal(&link, &["--passphrase-file", pass]).ok().stdout,
        TEXT
    );
}

#[test]
fn a_damaged_link_fails_with_its_exit_code() {
    let server = server();
    let link = share(&server, TEXT, &[]);
    // Cut inside the decryption key: refused before anything is sent.
    let cut = &link[..link.len() - 3];
    let run = reveal(cut, &[]).expect_code(5);
    assert!(run.stderr.contains("damaged"), "{}", run.stderr);
    // A different but well-formed key: the secret comes back and does not decrypt.
    let (head, fk) = link.rsplit_once('/').expect("fragment key");
    let other = if fk.starts_with('A') { "B" } else { "A" };
    let altered = format!("{head}/{other}{}", &fk[1..]);
    let run = reveal(&altered, &[]).expect_code(5);
    assert!(run.stderr.contains("cannot decrypt"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    // That reveal consumed it: the good link now finds nothing.
    reveal(&link, &[]).expect_code(4);
}

#[test]
fn a_cut_link_does_not_consume_the_secret() {
    let server = server();
    let link = share(&server, TEXT, &[]);
    reveal(&link[..link.len() - 10], &[]).expect_code(5);
    assert_eq!(reveal(&link, &[]).ok().stdout, TEXT);
}

#[test]
fn generate_encrypted_and_plain() {
    let server = server();
    for mode in [&[][..], &["--plain"][..]] {
        let mut args = vec![
            "generate",
            "--server",
            server.origin.as_str(),
            "--json",
            "--length",
            "20",
            "--no-symbols",
        ];
        args.extend_from_slice(mode);
        let made = ots(args).run().ok().json();
        let value = made["value"].as_str().expect("password").to_owned();
        assert_eq!(value.chars().count(), 20, "{made}");
        assert!(value.chars().all(|c| c.is_ascii_alphanumeric()), "{value}");
        assert_eq!(made["encrypted"], mode.is_empty());
        let link = made["link"].as_str().expect("link");
        assert_eq!(reveal(link, &[]).ok().out(), value);
    }
}

#[test]
fn generate_prints_the_password_on_stderr_and_the_link_on_stdout() {
    let server = server();
    let run = ots(["generate", "--server", &server.origin]).run().ok();
    let link = first_line(&run);
    assert!(
        link.starts_with(&format!("{}/#/s/", server.origin)),
        "{link}"
    );
    let password = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .expect("password line")
        .to_owned();
    assert_eq!(password.len(), 12);
    assert_eq!(reveal(&link, &[]).ok().out(), password);
}

#[test]
fn receipt_and_burn() {
    let server = server();
    let made = ots(["share", "--server", &server.origin, "--json"])
        .stdin(TEXT)
        .run()
        .ok()
        .json();
    let receipt_link = made["receipt_link"]
        .as_str()
        .expect("receipt link")
        .to_owned();
    let link = made["link"].as_str().expect("link").to_owned();
    assert!(receipt_link.contains("#/r/"), "{receipt_link}");

    let shown = ots(["receipt", &receipt_link]).run().ok().out();
    assert!(shown.contains("State:      new"), "{shown}");
    let shown = ots(["receipt", "--json", &receipt_link]).run().ok().json();
    assert_eq!(shown["state"], "new");

    let burned = ots(["burn", &receipt_link]).run().ok();
    assert!(burned.stderr.contains("Burned"), "{}", burned.stderr);
    let metadata_key = made["metadata_key"].as_str().expect("key");
    let shown = ots([
        "receipt",
        "--json",
        "--server",
        &server.origin,
        metadata_key,
    ])
    .run()
    .ok()
    .json();
    assert_eq!(shown["state"], "burned");
    reveal(&link, &[]).expect_code(4);
    ots(["burn", &receipt_link]).run().expect_code(4);
}

#[test]
fn receipt_after_reveal_says_received() {
    let server = server();
    let made = ots(["share", "--server", &server.origin, "--plain", "--json"])
        .stdin(TEXT)
        .run()
        .ok()
        .json();
    reveal(made["link"].as_str().expect("link"), &[]).ok();
    let shown = ots(["receipt", made["receipt_link"].as_str().expect("receipt")])
        .run()
        .ok()
        .out();
    assert!(shown.contains("received"), "{shown}");
}

#[test]
fn burn_of_a_plain_passphrase_secret_needs_it() {
    let server = server();
    let pass = server.file("pass", b"opensesame\n");
    let pass = pass.to_str().expect("path");
    let made = ots([
        "share",
        "--server",
        &server.origin,
        "--plain",
        "--json",
        "--passphrase-file",
        pass,
    ])
    .stdin(TEXT)
    .run()
    .ok()
    .json();
    let receipt = made["receipt_link"].as_str().expect("receipt");
    let run = ots(["burn", receipt]).run().expect_code(6);
    assert!(
        run.stderr.contains("Incorrect passphrase"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--ask-passphrase"), "{}", run.stderr);
    ots(["burn", receipt, "--passphrase-file", pass]).run().ok();
}

#[test]
fn an_encrypted_passphrase_secret_burns_from_its_receipt_link_alone() {
    let server = server();
    let pass = server.file("pass", b"opensesame\n");
    let made = ots([
        "share",
        "--server",
        &server.origin,
        "--json",
        "--passphrase-file",
        pass.to_str().expect("path"),
    ])
    .stdin(TEXT)
    .run()
    .ok()
    .json();
    let receipt = made["receipt_link"].as_str().expect("receipt");
    // The link carries the derived access value, never the passphrase.
    assert!(receipt.contains("b="), "{receipt}");
    assert!(!receipt.contains("opensesame"), "{receipt}");
    let burned = ots(["burn", receipt]).run().ok();
    assert!(burned.stderr.contains("Burned"), "{}", burned.stderr);
    let shown = ots(["receipt", "--json", receipt]).run().ok().json();
    assert_eq!(shown["state"], "burned");
}

#[test]
fn links_can_come_from_standard_input() {
    let server = server();
    let link = share(&server, TEXT, &[]);
    let run = ots(["reveal", "--yes"])
        .stdin(format!("{link}\n"))
        .run()
        .ok();
    assert_eq!(run.stdout, TEXT);
}

#[test]
fn reveal_asks_first_and_refuses_without_a_terminal() {
    let server = server();
    let link = share(&server, TEXT, &[]);
    let run = ots(["reveal", &link]).run().expect_code(2);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    // Nothing was consumed.
    assert_eq!(reveal(&link, &[]).ok().stdout, TEXT);
}

#[test]
fn secrets_in_arguments_are_refused_with_the_reason() {
    for args in [
        &["share", "--passphrase", "hunter2"][..],
        &["reveal", "--passphrase=hunter2", "x"][..],
        &["recent", "--token", "abc"][..],
    ] {
        let run = ots(args).run().expect_code(2);
        assert!(
            run.stderr.contains("visible to other users"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = ots(["share", "--server", "http://127.0.0.1:9", "my-secret-value"])
        .run()
        .expect_code(2);
    assert!(
        run.stderr.contains("never from an argument"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_input_is_refused() {
    let server = server();
    let empty = ots(["share", "--server", &server.origin])
        .stdin("")
        .run()
        .expect_code(2);
    assert!(empty.stderr.contains("empty"), "{}", empty.stderr);
    let binary = ots(["share", "--server", &server.origin])
        .stdin(vec![0xff, 0xfe, 0x00])
        .run()
        .expect_code(2);
    assert!(binary.stderr.contains("not UTF-8"), "{}", binary.stderr);
    let too_long = ots(["share", "--server", &server.origin])
        .stdin(vec![b'a'; 9000])
        .run()
        .expect_code(6);
    assert!(
        too_long.stderr.contains("10000 bytes"),
        "{}",
        too_long.stderr
    );
    assert!(too_long.stderr.contains("7468"), "{}", too_long.stderr);
    ots(["share"]).stdin("x").run().expect_code(2);
}

#[test]
fn ttl_is_checked_against_the_servers_limits() {
    let server = server();
    let long = ots(["share", "--server", &server.origin, "--ttl", "30d"])
        .stdin("x")
        .run()
        .expect_code(2);
    assert!(long.stderr.contains("at most 7d"), "{}", long.stderr);
    ots(["share", "--server", &server.origin, "--ttl", "soon"])
        .stdin("x")
        .run()
        .expect_code(2);
    let made = ots([
        "share",
        "--server",
        &server.origin,
        "--ttl",
        "1h30m",
        "--json",
    ])
    .stdin("x")
    .run()
    .ok()
    .json();
    assert_eq!(made["ttl"], 5400);
    // An account may keep secrets longer.
    let made = ots([
        "share",
        "--server",
        &server.origin,
        "--ttl",
        "30d",
        "--json",
    ])
    .env("OTS_USER", USER)
    .env("OTS_TOKEN", TOKEN)
    .stdin("x")
    .run()
    .ok()
    .json();
    assert_eq!(made["ttl"], 30 * 86_400);
}

#[test]
fn a_server_that_does_not_answer_is_a_network_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let run = ots(["share", "--server", &format!("http://127.0.0.1:{port}")])
        .stdin("x")
        .run()
        .expect_code(3);
    assert!(run.stderr.contains("cannot reach"), "{}", run.stderr);
}

#[test]
fn status_recent_and_accounts() {
    let server = server();
    let run = ots(["status", "--server", &server.origin]).run().ok();
    assert!(run.out().contains("nominal"), "{}", run.out());

    ots(["recent", "--server", &server.origin])
        .run()
        .expect_code(2);

    let made = ots(["share", "--server", &server.origin, "--json"])
        .env("OTS_USER", USER)
        .env("OTS_TOKEN", TOKEN)
        .stdin("x")
        .run()
        .ok()
        .json();
    let recent = ots(["recent", "--server", &server.origin])
        .env("OTS_USER", USER)
        .env("OTS_TOKEN", TOKEN)
        .run()
        .ok()
        .out();
    assert!(
        recent.contains(made["metadata_key"].as_str().expect("key")),
        "{recent}"
    );
    let status = ots(["status", "--server", &server.origin, "--json"])
        .env("OTS_USER", USER)
        .env("OTS_TOKEN", TOKEN)
        .run()
        .ok()
        .json();
    assert_eq!(status["account"], USER);
    let bad = ots(["status", "--server", &server.origin])
        .env("OTS_USER", USER)
        .env("OTS_TOKEN", "wrong")
        .run()
        .expect_code(6);
    assert!(bad.stderr.contains("Not authorized"), "{}", bad.stderr);
}

#[test]
fn login_writes_a_private_config_that_later_runs_use() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = server();
    let config = server.data_dir.path().join("cfg").join("config.toml");
    let config_arg = config.to_str().expect("path");
    ots([
        "login",
        "--server",
        &server.origin,
        "--user",
        USER,
        "--config",
        config_arg,
    ])
    .stdin(format!("{TOKEN}\n"))
    .run()
    .ok();
    let mode = std::fs::metadata(&config)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let status = ots(["status", "--json", "--config", config_arg])
        .run()
        .ok()
        .json();
    assert_eq!(status["account"], USER);

    let wrong = ots([
        "login",
        "--server",
        &server.origin,
        "--user",
        USER,
        "--config",
        config_arg,
    ])
    .stdin("not-the-token\n")
    .run()
    .expect_code(6);
    assert!(wrong.stderr.contains("Not authorized"), "{}", wrong.stderr);

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let refused = ots(["status", "--config", config_arg]).run().expect_code(1);
    assert!(refused.stderr.contains("chmod 600"), "{}", refused.stderr);
}

#[test]
fn hosted_regions_need_an_app_for_encrypted_links() {
    let run = ots(["share", "--region", "eu"])
        .stdin("x")
        .run()
        .expect_code(2);
    assert!(run.stderr.contains("--app-url"), "{}", run.stderr);
    ots(["share", "--region", "eu", "--server", "http://127.0.0.1:9"])
        .stdin("x")
        .run()
        .expect_code(2);
}

#[test]
fn help_and_completions() {
    for sub in [
        "share",
        "generate",
        "reveal",
        "receipt",
        "burn",
        "recent",
        "status",
        "login",
        "completions",
        "request",
        "answer",
    ] {
        let run = ots([sub, "--help"]).run().ok();
        assert!(run.out().contains("Usage: ots"), "{sub}: {}", run.out());
    }
    let top = ots(["--help"]).run().ok().out();
    assert!(top.contains("Exit codes:"), "{top}");
    for shell in ["bash", "zsh", "fish"] {
        let run = ots(["completions", shell]).run().ok();
        assert!(run.out().contains("reveal"), "{shell}");
    }
    ots(["frobnicate"]).run().expect_code(2);
}
