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
    // `#/s/<secret key>/<43-char key>?v=2` and nothing else: the server is the app's
    // origin, and the envelope is ots2.
    let rest = link[app.len()..]
        .strip_suffix("?v=2")
        .expect("the link says v=2");
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

/// The secret key and fragment key of an app link `…#/s/<key>/<fk>?…`.
fn keys_of(link: &str) -> (String, String) {
    let rest = link.split("#/s/").nth(1).expect("an app link");
    let rest = rest.split('?').next().unwrap_or_default();
    let (key, fk) = rest.split_once('/').expect("key and fragment key");
    (key.to_owned(), fk.to_owned())
}

#[test]
fn the_server_stores_only_the_padded_envelope() {
    let server = server();
    let link = share(&server, b"top secret value", &[]);
    // Reveal through the API directly, with the access value the link's key gives: what
    // the server hands out is the envelope, padded to the smallest class.
    let (key, fk) = keys_of(&link);
    let access = ots_core::envelope::ots2_access(&fk.parse().expect("fk"), None);
    let answer = server.post(
        &format!("/api/v1/secret/{key}"),
        &ots_core::form::encode([("passphrase", access.as_str())]),
    );
    let value = answer["value"].as_str().expect("value");
    assert!(value.starts_with("ots2."), "{value}");
    assert!(!value.contains("top secret"));
    assert_eq!(value.len(), ots_core::envelope::sealed_len(1024, None));
}

/// The property of issue 20 that ots2 brings: whoever sees a link without its fragment
/// (a log, a preview bot) can neither consume nor burn the secret.
#[test]
fn a_link_without_its_fragment_can_neither_consume_nor_burn() {
    let server = server();
    let made = ots(["share", "--server", &server.origin, "--json"])
        .stdin(TEXT)
        .run()
        .ok()
        .json();
    let link = made["link"].as_str().expect("link");
    let metadata_key = made["metadata_key"].as_str().expect("metadata key");
    let (key, _) = keys_of(link);
    let reveal_bare = server.post(&format!("/api/v1/secret/{key}"), "");
    assert!(reveal_bare.get("value").is_none(), "{reveal_bare}");
    let burn_bare = server.post(&format!("/api/v1/private/{metadata_key}/burn"), "");
    assert_ne!(burn_bare["state"], "burned", "{burn_bare}");
    // The receipt link carries the access value, so its holder can still burn; first
    // the recipient reveals, exactly once.
    let receipt = made["receipt_link"].as_str().expect("receipt link");
    assert!(receipt.contains("b="), "{receipt}");
    assert_eq!(reveal(link, &[]).ok().stdout, TEXT);
    reveal(link, &[]).expect_code(4);
}

#[test]
fn the_receipt_link_of_an_ots2_secret_burns_it() {
    let server = server();
    let made = ots(["share", "--server", &server.origin, "--json"])
        .stdin(TEXT)
        .run()
        .ok()
        .json();
    let receipt = made["receipt_link"].as_str().expect("receipt");
    ots(["burn", receipt]).run().ok();
    let link = made["link"].as_str().expect("link");
    reveal(link, &[]).expect_code(4);
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
    assert!(link.ends_with("?p=19456.2.1&v=2"), "{link}");

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
    let (without_query, _) = link.split_once('?').expect("v=2");
    // Cut inside the decryption key: refused before anything is sent.
    let cut = &without_query[..without_query.len() - 3];
    let run = reveal(cut, &[]).expect_code(5);
    assert!(run.stderr.contains("damaged"), "{}", run.stderr);
    // A different but well-formed key gives another access value: the server refuses,
    // and (unlike ots1) nothing is consumed.
    let (head, fk) = without_query.rsplit_once('/').expect("fragment key");
    let other = if fk.starts_with('A') { "B" } else { "A" };
    let altered = format!("{head}/{other}{}?v=2", &fk[1..]);
    let run = reveal(&altered, &[]).expect_code(4);
    assert!(run.stdout.is_empty());
    // Without `v=2` it is read as ots1: no access value is sent, and nothing consumed.
    reveal(without_query, &[]).expect_code(4);
    assert_eq!(reveal(&link, &[]).ok().stdout, TEXT);
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
    // Refused before any request: the server publishes its limit.
    let too_long = ots(["share", "--server", &server.origin])
        .stdin(vec![b'a'; 9000])
        .run()
        .expect_code(2);
    assert!(
        too_long.stderr.contains("limit of 10000 bytes"),
        "{}",
        too_long.stderr
    );
    assert!(too_long.stderr.contains("7419"), "{}", too_long.stderr);
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

/// A folder that lives as long as the test.
fn folder() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// 3,000 bytes that are not text.
fn binary() -> Vec<u8> {
    (0..3000u32).map(|i| (i * 7 % 256) as u8).collect()
}

fn share_file(server: &Server, path: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["share", "--server", server.origin.as_str(), "--file"];
    args.push(path.to_str().expect("utf-8 path"));
    args.extend_from_slice(extra);
    first_line(&ots(args).run().ok())
}

#[test]
fn a_file_keeps_its_bytes_and_name_and_is_saved_privately_once() {
    let server = server();
    let from = folder();
    let path = from.path().join("deploy key.bin");
    std::fs::write(&path, binary()).expect("write");
    let link = share_file(&server, &path, &[]);
    assert!(link.ends_with("?v=2"), "{link}");

    let to = folder();
    let run = ots(["reveal", "--yes", &link])
        .current_dir(to.path())
        .run()
        .ok();
    assert!(run.stdout.is_empty(), "the file is not printed");
    assert!(run.stderr.contains("deploy key.bin"), "{}", run.stderr);
    let saved = to.path().join("deploy key.bin");
    assert_eq!(std::fs::read(&saved).expect("saved"), binary());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&saved)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    reveal(&link, &[]).expect_code(4);
}

#[test]
fn reveal_never_overwrites_without_force() {
    let server = server();
    let from = folder();
    let path = from.path().join(".env");
    std::fs::write(&path, b"A=1\n").expect("write");
    let to = folder();
    let existing = to.path().join(".env");
    std::fs::write(&existing, b"mine").expect("write");

    // -o naming an existing file is refused before the reveal: nothing is consumed.
    let link = share_file(&server, &path, &[]);
    let refused = reveal(&link, &["-o", existing.to_str().expect("path")]).expect_code(2);
    assert!(refused.stderr.contains("exists"), "{}", refused.stderr);
    assert_eq!(std::fs::read(&existing).expect("read"), b"mine");

    // Its own name taken: left alone, the file saved beside it, and ots fails.
    let taken = ots(["reveal", "--yes", &link])
        .current_dir(to.path())
        .run()
        .expect_code(1);
    assert!(taken.stderr.contains("left alone"), "{}", taken.stderr);
    assert_eq!(std::fs::read(&existing).expect("read"), b"mine");
    assert_eq!(
        std::fs::read(to.path().join(".env (2)")).expect("saved beside"),
        b"A=1\n"
    );

    // --force overwrites.
    let again = share_file(&server, &path, &[]);
    reveal(&again, &["--force", "-o", existing.to_str().expect("path")]).ok();
    assert_eq!(std::fs::read(&existing).expect("read"), b"A=1\n");
}

#[test]
fn a_file_and_text_go_to_stdout_and_stderr_with_o_dash() {
    let server = server();
    let from = folder();
    let path = from.path().join("key.pem");
    std::fs::write(&path, binary()).expect("write");
    let note = from.path().join("note.txt");
    std::fs::write(&note, b"for the deploy box").expect("write");
    let link = share_file(&server, &path, &[note.to_str().expect("path")]);
    let run = reveal(&link, &["-o", "-"]).ok();
    assert_eq!(run.stdout, binary());
    assert!(run.stderr.contains("for the deploy box"), "{}", run.stderr);
}

#[test]
fn a_plain_file_is_readable_by_the_server_and_still_opens() {
    let server = server();
    let from = folder();
    let path = from.path().join("cert.pem");
    std::fs::write(&path, b"-----BEGIN CERTIFICATE-----\n").expect("write");
    let link = share_file(&server, &path, &["--plain"]);
    assert!(link.contains("/secret/"), "{link}");
    let run = reveal(&link, &["-o", "-"]).ok();
    assert_eq!(run.stdout, b"-----BEGIN CERTIFICATE-----\n");
}

#[test]
fn a_file_too_large_for_the_server_is_refused_before_any_request() {
    let server = server();
    let from = folder();
    let path = from.path().join("big.bin");
    std::fs::write(&path, vec![1u8; 20 * 1024 * 1024]).expect("write");
    let mut args = vec!["share", "--server", server.origin.as_str(), "--file"];
    args.push(path.to_str().expect("path"));
    let run = ots(args).run().expect_code(2);
    assert!(
        run.stderr.contains("over its limit of 10000 bytes"),
        "{}",
        run.stderr
    );
    assert!(
        !server.log_text().contains("/api/v1/share"),
        "{}",
        server.log_text()
    );
}
