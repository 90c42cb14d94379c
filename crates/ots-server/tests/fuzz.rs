//! Fuzzing the request parsing of every route: never a panic, never a 5xx, always a
//! v1 JSON error on `/api`.
//!
//! - `random_requests_never_500`: path soup, any content type, any body, at the router.
//! - `every_route_any_params`: each route of `app()` with its path key, query, form,
//!   multipart or JSON body built from v1 parameter names and hostile values, and a
//!   valid, wrong or malformed Basic header, at the router.
//! - `corpus_replays_over_http` / `mutated_corpus_over_http`: the raw requests in
//!   `tests/fuzz-corpus/*.http`, as is and with byte edits, over TCP to the real binary
//!   (so hyper's parsing is in the loop too); it must answer sanely and stay up.
//!
//! Cases: `PROPTEST_CASES` (defaults below keep `cargo test` quick); `scripts/fuzz.sh`
//! runs 100,000 per property on a release build (10,000 for the one over TCP). Add any input that ever failed to
//! the corpus.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What every answer must look like: below 500, and JSON with `message` or `error`
/// for a non-200 `/api` answer (HEAD answers have no body).
fn judge(method: &str, path: &str, status: u16, body: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "{method} {path}: {status}");
    if path.starts_with("/api/") && status != 200 && method != "HEAD" {
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            TestCaseError::fail(format!(
                "{method} {path}: {status}, not JSON ({e}): {:?}",
                String::from_utf8_lossy(body)
            ))
        })?;
        prop_assert!(
            v.get("message").is_some() || v.get("error").is_some(),
            "{method} {path}: {v}"
        );
    }
    Ok(())
}

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH",
    ])
}

fn path() -> impl Strategy<Value = String> {
    let segment = prop::sample::select(vec![
        "api",
        "v1",
        "secret",
        "receipt",
        "private",
        "metadata",
        "burn",
        "recent",
        "share",
        "create",
        "generate",
        "status",
        "authcheck",
        "region",
        "eu",
        "%00",
        "%ff",
        "..",
        "",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "%2e%2e",
        "a%20b",
    ]);
    prop::collection::vec(segment, 0..6).prop_map(|s| format!("/{}", s.join("/")))
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(vec![
        "application/x-www-form-urlencoded",
        "application/json",
        "multipart/form-data; boundary=b",
        "multipart/form-data",
        "text/plain",
        "application/x-www-form-urlencoded; charset=latin1",
    ]))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "[a-z_\\[\\]=&%0-9+]{0,80}".prop_map(String::into_bytes),
        Just(b"secret=x&ttl=60&passphrase=abcd&recipient[]=a@b.co&character_sets[symbols]=0".to_vec()),
        Just(br#"{"secret":"x","ttl":"abc","recipient":[1,{"a":2}],"character_sets":{"symbols":"maybe"}}"#.to_vec()),
        Just(b"--b\r\nContent-Disposition: form-data; name=\"secret\"\r\n\r\n\xff\xfe\r\n--b--\r\n".to_vec()),
    ]
}

fn authorization() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop_oneof![
        prop::collection::vec(any::<u8>(), 0..40),
        Just(auth().into_bytes()),
        Just(b"Basic Og==".to_vec()),
        Just(b"Basic \xff".to_vec()),
        "Basic [A-Za-z0-9+/=]{0,30}".prop_map(String::into_bytes),
    ])
}

/// A runtime and one store and router for all of a property's cases (a fresh store per
/// case costs threads and fsyncs), with a region whose upstream is unreachable.
fn fuzz_target() -> (tokio::runtime::Runtime, Backend, axum::Router) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let backend = Backend::embedded();
    let (_, app) = new_app(&backend, &["--region", "eu=http://127.0.0.1:9"]);
    (rt, backend, app)
}

#[test]
fn random_requests_never_500() {
    let (rt, _backend, app) = fuzz_target();
    let strategy = (
        method(),
        path(),
        prop::option::of("[a-z=&%0-9]{0,30}"),
        content_type(),
        body(),
        authorization(),
    );
    let mut runner = TestRunner::new(Config {
        cases: cases(400),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |(m, p, q, ct, b, a)| {
        rt.block_on(async {
            let uri = match &q {
                Some(q) => format!("{p}?{q}"),
                None => p.clone(),
            };
            let Ok(mut parts) = Request::builder()
                .method(m)
                .uri(&uri)
                .body(())
                .map(|r| r.into_parts().0)
            else {
                return Ok(());
            };
            if let Some(ct) = ct {
                parts.headers.insert("content-type", ct.parse().unwrap());
            }
            if let Some(a) = a
                .as_ref()
                .and_then(|a| axum::http::HeaderValue::from_bytes(a).ok())
            {
                parts.headers.insert("authorization", a);
            }
            let req = Request::from_parts(parts, Body::from(b.clone()));
            let res = send(&app, req).await;
            prop_assert!(res.status.as_u16() < 500, "{m} {uri}: {}", res.status);
            // HEAD answers carry no body by definition.
            if uri.starts_with("/api/") && res.status != StatusCode::OK && m != "HEAD" {
                let v: serde_json::Value = serde_json::from_slice(&res.body)
                    .map_err(|e| TestCaseError::fail(format!("{m} {uri}: not JSON: {e}")))?;
                prop_assert!(
                    v.get("message").is_some() || v.get("error").is_some(),
                    "{m} {uri}: {v}"
                );
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A path key: a well-formed one, or anything a client might put there.
fn path_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-z]{62}",
        "[0-9a-z]{0,19}",
        "[0-9A-Za-z]{20,80}",
        "(%[0-9a-fA-F]{2}|[a-z.~_-]){1,40}",
        "[a-z]{1,5}%2F[a-z]{1,5}",
        "\\PC{1,30}".prop_map(|s| ots_core::form::percent_encode(&s)),
        Just("a".repeat(5000)),
    ]
}

/// Every route of `app()`: (method, path).
fn route() -> impl Strategy<Value = (&'static str, String)> {
    let base = prop::sample::select(vec!["receipt", "private", "metadata"]);
    prop_oneof![
        Just(("GET", "/api/v1/status".to_owned())),
        Just(("GET", "/api/v1/authcheck".to_owned())),
        prop::sample::select(vec!["share", "create", "generate"])
            .prop_map(|r| ("POST", format!("/api/v1/{r}"))),
        path_key().prop_map(|k| ("POST", format!("/api/v1/secret/{k}"))),
        (
            base.clone(),
            path_key(),
            prop::sample::select(vec!["GET", "POST"])
        )
            .prop_map(|(b, k, m)| (m, format!("/api/v1/{b}/{k}"))),
        (base.clone(), path_key()).prop_map(|(b, k)| ("POST", format!("/api/v1/{b}/{k}/burn"))),
        base.prop_map(|b| ("GET", format!("/api/v1/{b}/recent"))),
        (prop::sample::select(vec!["eu", "mars"]), "[a-z/]{0,20}")
            .prop_map(|(r, rest)| ("POST", format!("/region/{r}/api/v1/{rest}"))),
        (
            prop::sample::select(vec!["secret", "receipt", "private"]),
            path_key()
        )
            .prop_map(|(r, k)| ("GET", format!("/{r}/{k}"))),
        prop::sample::select(vec![
            "/",
            "/index.html",
            "/config.json",
            "/app-0123456789abcdef.js"
        ])
        .prop_map(|p| ("GET", p.to_owned())),
    ]
}

/// v1 parameter names, Rack-style nested names, and strangers.
fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "secret",
            "ttl",
            "passphrase",
            "recipient",
            "recipient[]",
            "share_domain",
            "length",
            "character_sets",
            "character_sets[uppercase]",
            "character_sets[lowercase]",
            "character_sets[numbers]",
            "character_sets[symbols]",
            "continue",
            "metadata_key",
            "secret_key",
            "custid",
            "kind",
            "[",
            "]",
            "a[b][c][]",
        ])
        .prop_map(String::from),
        "\\PC{0,12}",
    ]
}

fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        any::<i64>().prop_map(|n| n.to_string()),
        Just("18446744073709551617".to_owned()),
        Just("1e400".to_owned()),
        prop::sample::select(vec![
            "", "true", "false", "0", "-1", "60", "7d", "null", "a@b.co"
        ])
        .prop_map(String::from),
        (1usize..12_000).prop_map(|n| "s".repeat(n)),
    ]
}

/// How the parameters travel.
#[derive(Debug, Clone)]
enum Encoding {
    Query,
    Form,
    Multipart,
    Json,
    /// Raw bytes under a declared content type.
    Raw(&'static str, Vec<u8>),
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::Query),
        Just(Encoding::Form),
        Just(Encoding::Multipart),
        Just(Encoding::Json),
        (
            prop::sample::select(vec![
                "application/json",
                "multipart/form-data; boundary=XyZ",
                "multipart/form-data",
                "application/x-www-form-urlencoded",
                "text/plain",
                "",
            ]),
            prop::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(ct, b)| Encoding::Raw(ct, b)),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        param_value().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(param_name(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A Basic header: valid, wrong, unknown, or malformed.
fn basic_header() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop_oneof![
        Just(auth().into_bytes()),
        Just(basic(USER, "wrong-token").into_bytes()),
        ("\\PC{0,20}", "\\PC{0,20}").prop_map(|(u, t)| basic(&u, &t).into_bytes()),
        prop::collection::vec(any::<u8>(), 0..60).prop_map(|b| {
            use base64::Engine as _;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(b)
            )
            .into_bytes()
        }),
        prop::sample::select(vec![
            "Basic",
            "Basic ",
            "Basic Og==",
            "Basic ====",
            "basic YTpi",
            "Bearer x",
            "Digest a=b",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..80),
    ])
}

#[test]
fn every_route_any_params() {
    let (rt, _backend, app) = fuzz_target();
    let params = prop::collection::vec((param_name(), param_value()), 0..6);
    let strategy = (route(), params, encoding(), json_value(), basic_header());
    let mut runner = TestRunner::new(Config {
        cases: cases(300),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |((method, path), params, enc, json, authz)| {
        let pairs = || params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let (uri, content_type, body): (String, &str, Vec<u8>) = match &enc {
            Encoding::Query => (
                format!("{path}?{}", ots_core::form::encode(pairs())),
                "",
                Vec::new(),
            ),
            Encoding::Form => (
                path.clone(),
                "application/x-www-form-urlencoded",
                ots_core::form::encode(pairs()).into_bytes(),
            ),
            Encoding::Multipart => {
                let mut b = Vec::new();
                for (k, v) in pairs() {
                    write!(
                        b,
                        "--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                    )
                    .unwrap();
                }
                b.extend_from_slice(b"--XyZ--\r\n");
                (path.clone(), "multipart/form-data; boundary=XyZ", b)
            }
            Encoding::Json => {
                // Usually an object of the params; sometimes any JSON value at all.
                let v = if params.len() % 3 == 2 {
                    json.clone()
                } else {
                    serde_json::Value::Object(
                        pairs()
                            .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
                            .chain(std::iter::once(("extra".to_owned(), json.clone())))
                            .collect(),
                    )
                };
                (
                    path.clone(),
                    "application/json",
                    serde_json::to_vec(&v).unwrap(),
                )
            }
            Encoding::Raw(ct, b) => (path.clone(), *ct, b.clone()),
        };
        rt.block_on(async {
            let Ok(mut req) = Request::builder()
                .method(method)
                .uri(&uri)
                .body(Body::from(body))
            else {
                return Ok(()); // not a valid URI: hyper would have refused it already
            };
            if !content_type.is_empty() {
                req.headers_mut()
                    .insert("content-type", content_type.parse().unwrap());
            }
            if let Some(v) = authz
                .as_ref()
                .and_then(|a| axum::http::HeaderValue::from_bytes(a).ok())
            {
                req.headers_mut().insert("authorization", v);
            }
            let res = send(&app, req).await;
            judge(method, &uri, res.status.as_u16(), &res.body)
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The raw requests of `tests/fuzz-corpus/`.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let corpus: Vec<_> = files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    assert!(corpus.len() >= 30, "the corpus is missing");
    corpus
}

/// The real binary, with an account, a region that refuses connections, short timeouts.
fn fuzz_server() -> (ots_testkit::Server, tempfile::TempDir) {
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
    let server = ots_testkit::Server::launch(
        env!("CARGO_BIN_EXE_ots-server").as_ref(),
        &dist_dir(dir.path()),
        tempfile::tempdir().unwrap(),
        &[
            "--accounts",
            accounts.to_str().unwrap(),
            "--region",
            "eu=http://127.0.0.1:9",
            "--rate-limit-creates",
            "0",
            "--rate-limit-reveals",
            "0",
            "--header-timeout",
            "2",
            "--body-timeout",
            "2",
        ],
    );
    (server, dir)
}

/// Sends raw bytes and reads the first answer. A request the server is still waiting
/// on after `patience` (a mutated length, a cut body) gets the write side closed.
/// `None`: the server closed without an answer (fine for a request it could not parse).
fn exchange(port: u16, raw: &[u8], patience: Duration) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let _ = s.write_all(raw);
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    s.set_read_timeout(Some(patience)).unwrap();
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && out.is_empty() => {
                // Closing our side earlier would make hyper drop answers it owes.
                let _ = s.shutdown(std::net::Shutdown::Write);
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            }
            Err(_) => break,
        }
    }
    let split = out.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&out[..split]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let rest = &out[split + 4..];
    // Only the first answer: a mutated request may have been read as two.
    let body = match head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        Some(len) => rest[..len.min(rest.len())].to_vec(),
        // Chunked answers are judged on status only.
        None => b"{\"message\":\"\"}".to_vec(),
    };
    Some((status, body))
}

fn request_line(raw: &[u8]) -> (String, String) {
    let line =
        String::from_utf8_lossy(raw.split(|b| *b == b'\r').next().unwrap_or_default()).into_owned();
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    (method, path)
}

#[test]
fn corpus_replays_over_http() {
    let (server, _dir) = fuzz_server();
    for (name, raw) in corpus() {
        let (method, path) = request_line(&raw);
        let (status, body) = exchange(server.port, &raw, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{name}: no answer"));
        judge(&method, &path, status, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn mutated_corpus_over_http() {
    let (server, _dir) = fuzz_server();
    let edit = (any::<prop::sample::Index>(), 0u8..3, any::<u8>());
    let strategy = (
        prop::sample::select(corpus()),
        prop::collection::vec(edit, 1..6),
    );
    // Each case is a connection, some wait out `patience`: a tenth of PROPTEST_CASES.
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(200, |n| n / 10);
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |((name, mut raw), edits)| {
        for (at, op, byte) in edits {
            let i = at.index(raw.len() + 1);
            match op {
                0 => raw.insert(i, byte),
                1 if i < raw.len() => {
                    raw.remove(i);
                }
                _ if i < raw.len() => raw[i] = byte,
                _ => raw.push(byte),
            }
        }
        let (method, path) = request_line(&raw);
        if let Some((status, body)) = exchange(server.port, &raw, Duration::from_millis(200)) {
            // A request hyper refused never reached a route: only the status counts.
            let routed = status != 400 || body.first() == Some(&b'{');
            judge(&method, if routed { &path } else { "" }, status, &body)
                .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Still up and answering.
    let status_req = b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (status, _) = exchange(server.port, status_req, Duration::from_secs(10))
        .expect("the server still answers");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn non_utf8_path_key_is_a_v1_json_error() {
    let backend = Backend::embedded();
    let (_, app) = new_app(&backend, &["--region", "eu=http://127.0.0.1:9"]);
    for (method, path) in [
        ("GET", "/api/v1/receipt/%AA"),
        ("POST", "/api/v1/secret/%FF%FE"),
        ("POST", "/api/v1/private/%C3/burn"),
        ("POST", "/region/eu/api/v1/%FF"),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let res = send(&app, req).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.json()["message"], "Not Found", "{path}");
    }
}
