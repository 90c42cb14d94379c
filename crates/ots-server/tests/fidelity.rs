//! The v1 API against Onetime Secret v0.26.6 (tag `da58f6f1`), over HTTP to the real
//! binary. Each test cites the upstream file and line whose behaviour it pins; paths are
//! in the onetimesecret repository.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TOKEN, USER, auth, dist_dir};
use ots_testkit::{HttpResponse, Server, http_as};
use serde_json::Value;

/// The site's own host, as `--base-url` names it.
const OWN_HOST: &str = "share.acme.dev";

/// The binary cargo built, with one account and this site's base URL.
fn server() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts.toml");
    std::fs::write(
        &accounts,
        format!(
            "[[account]]\ncustid = \"{USER}\"\ntoken_sha256 = \"{}\"\n",
            ots_server::crypto::hash_token(TOKEN)
        ),
    )
    .unwrap();
    let base_url = format!("https://{OWN_HOST}");
    let server = Server::launch(
        env!("CARGO_BIN_EXE_ots-server").as_ref(),
        &dist_dir(dir.path()),
        tempfile::tempdir().unwrap(),
        &[
            "--accounts",
            accounts.to_str().unwrap(),
            "--base-url",
            &base_url,
        ],
    );
    (server, dir)
}

fn post(server: &Server, path: &str, form: &str, authorization: Option<&str>) -> HttpResponse {
    http_as(server.port, "POST", path, form, authorization)
}

fn get(server: &Server, path: &str, authorization: Option<&str>) -> HttpResponse {
    http_as(server.port, "GET", path, "", authorization)
}

/// The `message` of a refusal, which v1 sends as a 404 meaning 400.
fn refusal(res: &HttpResponse) -> String {
    assert_eq!(res.status, 404, "{}", res.body);
    assert_eq!(
        res.header("x-ots-intended-status"),
        Some("400"),
        "{}",
        res.body
    );
    res.json()["message"].as_str().unwrap().to_owned()
}

fn ok_json(res: &HttpResponse) -> Value {
    assert_eq!(res.status, 200, "{}", res.body);
    res.json()
}

/// `show_receipt.rb` line 110 previews a value only when `@can_decrypt`, which
/// `lib/onetime/models/secret.rb` line 116 makes false for a secret with a passphrase
/// (and line 131 keeps `show_secret` false when `has_passphrase`): the receipt link
/// alone must never show a generated password that a passphrase protects.
#[test]
fn a_generated_value_with_a_passphrase_is_never_previewed() {
    let (server, _dir) = server();
    let made = ok_json(&post(&server, "/api/v1/generate", "passphrase=abcd", None));
    let value = made["value"].as_str().unwrap().to_owned();
    let mkey = made["metadata_key"].as_str().unwrap();
    let receipt = ok_json(&get(&server, &format!("/api/v1/receipt/{mkey}"), None));
    assert!(receipt.get("value").is_none(), "{receipt}");
    assert!(receipt.get("secret_value").is_none(), "{receipt}");
    assert_eq!(receipt["passphrase_required"], true);
    assert!(!receipt.to_string().contains(&value), "{receipt}");
    // The value is still there for whoever has the passphrase.
    let key = made["secret_key"].as_str().unwrap();
    let revealed = ok_json(&post(
        &server,
        &format!("/api/v1/secret/{key}"),
        "passphrase=abcd",
        None,
    ));
    assert_eq!(revealed["value"], value.as_str());
    // Without a passphrase the one-time preview is there, so the check above can fail.
    let plain = ok_json(&post(&server, "/api/v1/generate", "", None));
    let mkey = plain["metadata_key"].as_str().unwrap();
    let receipt = ok_json(&get(&server, &format!("/api/v1/receipt/{mkey}"), None));
    assert_eq!(receipt["value"], plain["value"]);
}

/// `logic/secrets/base_secret_action.rb` lines 376 and 382, `generate_secret.rb` line 25.
#[test]
fn messages_are_worded_as_upstreams() {
    let (server, _dir) = server();
    let long = "p".repeat(129);
    for (path, form, message) in [
        (
            "/api/v1/share",
            "secret=x&passphrase=abc".to_owned(),
            "Passphrase must be at least 4 characters long",
        ),
        (
            "/api/v1/share",
            format!("secret=x&passphrase={long}"),
            "Passphrase must be no more than 128 characters long",
        ),
        (
            "/api/v1/generate",
            "passphrase=abc".to_owned(),
            "Passphrase must be at least 4 characters long",
        ),
        (
            "/api/v1/generate",
            "length=129".to_owned(),
            "Generated password length must be no more than 128 characters",
        ),
    ] {
        let res = post(&server, path, &form, None);
        assert_eq!(refusal(&res), message, "{path} {form}");
    }
}

/// `base_secret_action.rb`: `process_share_domain` (lines 239-255) ignores a value that
/// is not a valid domain or is the site's own host; an anonymous caller naming any other
/// domain is refused at line 353; an account naming a domain that no `CustomDomain`
/// record holds is refused at line 534 (no custom domains are registered here).
#[test]
fn share_domain_is_ignored_refused_or_unknown_as_upstream() {
    let (server, _dir) = server();
    let account = auth();
    for domain in [
        "not a domain",
        "localhost",
        "127.0.0.1",
        "evil.example",
        "https://evil.com",
        "evil.com:8080",
        "-evil.com",
        OWN_HOST,
        "Share.ACME.dev",
        " share.acme.dev ",
    ] {
        for who in [None, Some(account.as_str())] {
            let form = format!("secret=x&share_domain={}", urlencode(domain));
            let made = ok_json(&post(&server, "/api/v1/share", &form, who));
            assert_eq!(made["share_domain"], "", "{domain:?} is ignored");
            let made = ok_json(&post(
                &server,
                "/api/v1/generate",
                &format!("share_domain={}", urlencode(domain)),
                who,
            ));
            assert_eq!(made["share_domain"], "", "{domain:?} is ignored");
        }
    }
    for path in ["/api/v1/share", "/api/v1/generate"] {
        let form = "secret=x&share_domain=Secrets.Other.com";
        assert_eq!(
            refusal(&post(&server, path, form, None)),
            "You do not have permission to use domain: Secrets.Other.com"
        );
        assert_eq!(
            refusal(&post(&server, path, form, Some(&account))),
            "Unknown domain: Secrets.Other.com"
        );
    }
}

/// `base_secret_action.rb` lines 82-88 validate size, recipient, share domain and
/// passphrase in that order; `conceal_secret.rb` line 18 refuses an empty secret after
/// them; `generate_secret.rb` line 24 checks the length while the params are read
/// (`logic/base.rb` line 38), before all of these. A request with several faults gets
/// the first one's message.
#[test]
fn faults_are_reported_in_upstreams_order() {
    let (server, _dir) = server();
    let account = auth();
    let big = "a".repeat(10_001);
    let anonymous = [
        (
            format!("secret={big}&recipient=a%40b.co&share_domain=other.com&passphrase=abc"),
            "Secret value exceeds the maximum size of 10000 bytes",
        ),
        (
            "secret=&recipient=a%40b.co&share_domain=other.com&passphrase=abc".to_owned(),
            "An account is required to send emails.",
        ),
        (
            "secret=&share_domain=other.com&passphrase=abc".to_owned(),
            "You do not have permission to use domain: other.com",
        ),
        (
            "secret=&passphrase=abc".to_owned(),
            "Passphrase must be at least 4 characters long",
        ),
        (
            "secret=".to_owned(),
            "You did not provide anything to share",
        ),
    ];
    for (form, message) in &anonymous {
        let res = post(&server, "/api/v1/share", form, None);
        assert_eq!(refusal(&res), *message, "{}", &form[..form.len().min(80)]);
    }
    for (form, message) in [
        (
            "secret=&recipient=nobody&share_domain=other.com&passphrase=abc",
            "Undeliverable email address: nobody",
        ),
        (
            "secret=&share_domain=other.com&passphrase=abc",
            "Unknown domain: other.com",
        ),
    ] {
        let res = post(&server, "/api/v1/share", form, Some(&account));
        assert_eq!(refusal(&res), message, "{form}");
    }
    for (form, message) in [
        (
            "length=129&recipient=a%40b.co&share_domain=other.com&passphrase=abc",
            "Generated password length must be no more than 128 characters",
        ),
        (
            "recipient=a%40b.co&share_domain=other.com&passphrase=abc",
            "An account is required to send emails.",
        ),
        (
            "share_domain=other.com&passphrase=abc",
            "You do not have permission to use domain: other.com",
        ),
    ] {
        let res = post(&server, "/api/v1/generate", form, None);
        assert_eq!(refusal(&res), message, "{form}");
    }
}

/// `controllers/index.rb` lines 141-146 build each `recent` item with `receipt_hsh`
/// given no `secret_ttl` and no `passphrase_required` and then delete `secret_key`;
/// `controllers/class_methods.rb` line 234 then sends `secret_ttl: null` (deleted for a
/// received secret, line 248), and lines 254-256 and 262-264 add neither
/// `passphrase_required` nor its alias `has_passphrase`.
#[test]
fn recent_items_are_shaped_as_upstreams() {
    let (server, _dir) = server();
    let account = auth();
    let guarded = ok_json(&post(
        &server,
        "/api/v1/share",
        "secret=one&passphrase=abcd",
        Some(&account),
    ));
    let read = ok_json(&post(
        &server,
        "/api/v1/share",
        "secret=two",
        Some(&account),
    ));
    let key = read["secret_key"].as_str().unwrap();
    ok_json(&post(&server, &format!("/api/v1/secret/{key}"), "", None));
    let list = ok_json(&get(&server, "/api/v1/receipt/recent", Some(&account)));
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let item = |made: &Value| {
        items
            .iter()
            .find(|i| i["metadata_key"] == made["metadata_key"])
            .unwrap_or_else(|| panic!("{made} is listed"))
            .clone()
    };
    for i in items {
        for absent in [
            "secret_key",
            "secret_identifier",
            "passphrase_required",
            "has_passphrase",
            "value",
        ] {
            assert!(i.get(absent).is_none(), "{absent} in {i}");
        }
        assert_eq!(i["custid"], USER);
    }
    let guarded = item(&guarded);
    assert_eq!(guarded["state"], "new");
    assert_eq!(guarded.get("secret_ttl"), Some(&Value::Null), "{guarded}");
    let read = item(&read);
    assert_eq!(read["state"], "received");
    assert!(read.get("secret_ttl").is_none(), "{read}");
    assert!(read["received"].is_u64(), "{read}");
    // The full receipt still says whether a passphrase is needed.
    let mkey = guarded["metadata_key"].as_str().unwrap();
    let full = ok_json(&get(&server, &format!("/api/v1/receipt/{mkey}"), None));
    assert_eq!(full["passphrase_required"], true);
    assert!(full["secret_ttl"].is_u64());
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
