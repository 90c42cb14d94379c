//! Several instances on one store, through the real binary: one master key per store
//! (a stray key is refused at start, and never consumes a secret it cannot open).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use ots_testkit::{Exited, HttpResponse, Redis, Server, http};

const BIN: &str = env!("CARGO_BIN_EXE_ots-server");
const KEY_A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_B: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// A server over an empty app folder (these tests need only the API).
fn try_start(data_dir: tempfile::TempDir, args: &[&str]) -> Result<Server, Exited> {
    let dist = std::env::temp_dir();
    Server::try_launch(Path::new(BIN), &dist, data_dir, args)
}

fn start(data_dir: tempfile::TempDir, args: &[&str]) -> Server {
    try_start(data_dir, args).unwrap_or_else(|e| panic!("server refused to start:\n{}", e.log))
}

fn fresh() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn share(s: &Server, secret: &str) -> String {
    let r = http(s.port, "POST", "/api/v1/share", &format!("secret={secret}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["secret_key"].as_str().unwrap().to_owned()
}

fn reveal(s: &Server, key: &str) -> HttpResponse {
    http(s.port, "POST", &format!("/api/v1/secret/{key}"), "")
}

fn assert_refused(log: &str) {
    assert!(
        log.contains("another master key") || log.contains("sealed with master key"),
        "{log}"
    );
    assert!(
        log.contains("--master-key-file") && log.contains("OTS_MASTER_KEY"),
        "{log}"
    );
}

/// A reveal through an instance with the wrong key: the generic v1 error, nothing consumed.
fn assert_not_consumed(r: &HttpResponse) {
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "An unexpected error occurred :["})
    );
}

#[test]
fn instances_on_one_redis_share_one_master_key() {
    let redis = Redis::start();
    let url = redis.url();
    // Each instance generates its own key file in its data dir unless told otherwise.
    let a = start(fresh(), &["--redis", &url]);
    let first = share(&a, "first");
    let second = share(&a, "second");

    let refused = try_start(fresh(), &["--redis", &url])
        .err()
        .expect("a second key is refused");
    assert_refused(&refused.log);

    let key_file = a.data_dir.path().join("master.key");
    let shared = start(
        fresh(),
        &[
            "--redis",
            &url,
            "--master-key-file",
            key_file.to_str().unwrap(),
        ],
    );
    let r = reveal(&shared, &first);
    assert_eq!(r.json()["value"], "first", "{}", r.body);

    // A store whose fingerprint is gone (older data, or deleted by hand): a stray key
    // starts, but cannot take a secret sealed under the other key.
    assert!(
        redis
            .command(&["DEL", "ots:master-key-id"])
            .starts_with(":1")
    );
    let stray = start(fresh(), &["--redis", &url]);
    assert_not_consumed(&reveal(&stray, &second));
    assert!(
        stray.log_text().contains("another master key"),
        "{}",
        stray.log_text()
    );
    let r = reveal(&a, &second);
    assert_eq!(r.json()["value"], "second", "{}", r.body);
}

#[test]
fn the_embedded_store_keeps_its_master_key() {
    let a = start(fresh(), &["--master-key", KEY_A]);
    let key = share(&a, "kept");
    let dir = a.stop();

    let refused = try_start(dir, &["--master-key", KEY_B])
        .err()
        .expect("refused");
    assert_refused(&refused.log);

    // Without its fingerprint file (a store from before it existed, or deleted by hand)
    // the other key starts, but consumes nothing.
    let fingerprint = refused.data_dir.path().join("ots-log/MASTER_KEY_ID");
    std::fs::remove_file(&fingerprint).unwrap();
    let stray = start(refused.data_dir, &["--master-key", KEY_B]);
    assert_not_consumed(&reveal(&stray, &key));
    let dir = stray.stop();

    std::fs::remove_file(&fingerprint).unwrap();
    let a = start(dir, &["--master-key", KEY_A]);
    let r = reveal(&a, &key);
    assert_eq!(r.json()["value"], "kept", "{}", r.body);
}
