//! End to end over real sockets on 127.0.0.1: the binary, the region proxy (against a
//! second ots-server), and recipient mail (against a local SMTP listener).
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Serves `app` on a free loopback port, as main does (with peer addresses).
async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Http {
    fn new() -> Http {
        Http {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let mut b = Request::builder()
            .method(method)
            .uri(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let res = self
            .client
            .request(b.body(Full::new(Bytes::from(body.to_owned()))).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (parts.status, parts.headers, json)
    }
}

#[tokio::test]
async fn create_and_reveal_over_http() {
    let b = Backend::embedded();
    let (_, app) = new_app(&b, &["--rate-limit-reveals", "3"]);
    let addr = serve(app).await;
    let http = Http::new();
    let (status, headers, r) = http
        .call(
            Method::POST,
            &format!("http://{addr}/api/v1/share"),
            "secret=over-http",
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    let key = s(&r, "secret_key");
    let (_, _, v) = http
        .call(
            Method::POST,
            &format!("http://{addr}/api/v1/secret/{key}"),
            "",
            &[],
        )
        .await;
    assert_eq!(v["value"], "over-http");
    // The per-IP reveal limit sees the real peer address.
    for _ in 0..2 {
        http.call(
            Method::POST,
            &format!("http://{addr}/api/v1/secret/{key}"),
            "",
            &[],
        )
        .await;
    }
    let (_, _, v) = http
        .call(
            Method::POST,
            &format!("http://{addr}/api/v1/secret/{key}"),
            "",
            &[],
        )
        .await;
    assert_eq!(v["message"], "Rate limit exceeded. Please try again later.");
}

#[tokio::test]
async fn region_proxy_forwards_to_a_second_ots_server() {
    // Both are the binary, over real sockets: the front proxies its region to the upstream.
    let launch = |args: &[&str]| {
        let data = tempfile::tempdir().unwrap();
        let dist = dist_dir(data.path());
        let accounts = ots_testkit::accounts_file(data.path(), USER, TOKEN);
        let mut all = vec!["--accounts", accounts.to_str().unwrap()];
        all.extend_from_slice(args);
        ots_testkit::Server::launch(env!("CARGO_BIN_EXE_ots-server").as_ref(), &dist, data, &all)
    };
    let upstream_server = launch(&[]);
    let upstream = upstream_server
        .origin
        .trim_start_matches("http://")
        .to_owned();
    let region = format!("local=http://{upstream}");
    let front_server = launch(&["--region", &region]);
    let front = front_server.origin.trim_start_matches("http://").to_owned();
    let http = Http::new();
    let base = format!("http://{front}/region/local/api/v1");

    let (status, _, v) = http
        .call(Method::GET, &format!("{base}/status"), "", &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "nominal");
    // Authorization passes through: the upstream sees the account.
    let a = auth();
    let (_, _, r) = http
        .call(
            Method::POST,
            &format!("{base}/share?ttl=300"),
            "secret=via-proxy",
            &[("authorization", &a)],
        )
        .await;
    assert_eq!(r["custid"], USER);
    assert_eq!(r["ttl"], 300);
    let key = s(&r, "secret_key");
    // The secret lives upstream, not in the front server's store.
    let (_, _, v) = http
        .call(
            Method::POST,
            &format!("http://{front}/api/v1/secret/{key}"),
            "",
            &[],
        )
        .await;
    assert_eq!(v["message"], "Unknown secret");
    let (_, _, v) = http
        .call(Method::POST, &format!("{base}/secret/{key}"), "", &[])
        .await;
    assert_eq!(v["value"], "via-proxy");
    // Upstream errors come back with their v1 shape and intended status.
    let (status, headers, v) = http
        .call(
            Method::GET,
            &format!("{base}/authcheck"),
            "",
            &[("authorization", &basic(USER, "bad"))],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["message"], "Not authorized");
    assert_eq!(headers["x-ots-intended-status"], "401");
}

/// `/create` is `/share`, and `/private/…` and `/metadata/…` are `/receipt/…` (view,
/// recent, burn), on the binary over HTTP as v1 clients call them.
#[test]
fn every_v1_alias_works_on_the_binary() {
    let data = tempfile::tempdir().unwrap();
    let dist = dist_dir(data.path());
    let accounts = ots_testkit::accounts_file(data.path(), USER, TOKEN);
    let args = ["--accounts", accounts.to_str().unwrap()];
    let server = ots_testkit::Server::launch(
        env!("CARGO_BIN_EXE_ots-server").as_ref(),
        &dist,
        data,
        &args,
    );
    let call = |path: &str, form: &str| {
        let res = ots_testkit::http_as(server.port, "POST", path, form, Some(&auth()));
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        res.json()
    };
    for base in ["receipt", "private", "metadata"] {
        let made = call("/api/v1/create", &format!("secret=via-{base}&ttl=600"));
        assert_eq!(made["ttl"], 600, "{made}");
        let mkey = s(&made, "metadata_key");
        let view = call(&format!("/api/v1/{base}/{mkey}"), "");
        assert_eq!(view["state"], "new", "{base}: {view}");
        let get = ots_testkit::http_as(
            server.port,
            "GET",
            &format!("/api/v1/{base}/{mkey}"),
            "",
            None,
        );
        assert_eq!(get.json()["metadata_key"], mkey.as_str(), "{base}");
        let recent = ots_testkit::http_as(
            server.port,
            "GET",
            &format!("/api/v1/{base}/recent"),
            "",
            Some(&auth()),
        );
        assert!(recent.body.contains(&mkey), "{base}: {}", recent.body);
        let burned = call(&format!("/api/v1/{base}/{mkey}/burn"), "");
        // v1 answers a burn with the receipt under `state`.
        assert_eq!(burned["state"]["state"], "burned", "{base}: {burned}");
        let gone = ots_testkit::http(
            server.port,
            "POST",
            &format!("/api/v1/secret/{}", s(&made, "secret_key")),
            "",
        );
        assert_eq!(gone.json()["message"], "Unknown secret", "{base}");
    }
}

#[tokio::test]
async fn region_proxy_never_forwards_cookies() {
    // An upstream that echoes the headers it got and tries to set a cookie.
    let echo = axum::Router::new().fallback(|req: axum::extract::Request| async move {
        let names: Vec<String> = req.headers().keys().map(|k| k.to_string()).collect();
        (
            [
                (header::SET_COOKIE, "session=abc"),
                (header::CONTENT_TYPE, "application/json"),
            ],
            serde_json::json!({"headers": names, "path": req.uri().to_string()}).to_string(),
        )
    });
    let upstream = serve(echo).await;
    let b = Backend::embedded();
    let region = format!("echo=http://{upstream}");
    let (_, app) = new_app(&b, &["--region", &region]);
    let front = serve(app).await;
    let (_, headers, v) = Http::new()
        .call(
            Method::POST,
            &format!("http://{front}/region/echo/api/v1/share?x=1"),
            "secret=x",
            &[
                ("cookie", "sess=1"),
                ("authorization", "Basic eDp5"),
                ("x-forwarded-for", "1.2.3.4"),
            ],
        )
        .await;
    let seen: Vec<&str> = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(seen.contains(&"authorization"));
    assert!(!seen.contains(&"cookie"));
    assert!(!seen.contains(&"x-forwarded-for"));
    assert_eq!(v["path"], "/api/v1/share?x=1");
    assert!(headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn unreachable_upstream_gives_a_clear_v1_error() {
    let b = Backend::embedded();
    let region = format!("dead=http://127.0.0.1:{}", ots_testkit::free_port());
    let (_, app) = new_app(&b, &["--region", &region]);
    let front = serve(app).await;
    let (status, headers, v) = Http::new()
        .call(
            Method::GET,
            &format!("http://{front}/region/dead/api/v1/status"),
            "",
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["x-ots-intended-status"], "502");
    assert_eq!(
        v["message"],
        "The upstream region is unavailable. Please try again later."
    );
}

#[tokio::test]
async fn recipient_mail_has_the_link_never_the_secret() {
    let listener = ots_testkit::Smtp::start();
    let b = Backend::embedded();
    let smtp = listener.url();
    let (_, app) = new_app(&b, &["--smtp-url", &smtp, "--mail-from", "ots@example.com"]);
    let res = post(
        &app,
        "/api/v1/share",
        "secret=TOP-SECRET-VALUE&recipient=bob%40example.org",
        Some(&auth()),
    )
    .await;
    let r = res.json();
    assert_eq!(r["recipient"], serde_json::json!(["bo***@e***.org"]));
    let key = s(&r, "secret_key");
    let waiting = listener.clone();
    let mails = tokio::task::spawn_blocking(move || waiting.wait_for(1))
        .await
        .unwrap();
    let mail = ots_testkit::smtp::readable(&mails[0]);
    assert!(
        mail.contains(&format!("http://127.0.0.1:8080/secret/{key}")),
        "{mail}"
    );
    assert!(!mail.contains("TOP-SECRET-VALUE"), "{mail}");
    assert!(mail.contains("To: bob@example.org"), "{mail}");
}

#[test]
fn the_binary_prints_where_it_serves_and_hashes_tokens() {
    let bin = env!("CARGO_BIN_EXE_ots-server");
    let out = std::process::Command::new(bin)
        .args(["hash-token", "abc"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let help = std::process::Command::new(bin)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--listen",
        "--dist",
        "--data-dir",
        "--redis",
        "--accounts",
        "--master-key-file",
        "--ttl-max-anonymous",
        "--rate-limit-creates",
        "--region",
        "--frame-ancestor",
        "--cors-origin",
        "--connect-src",
        "--smtp-url",
        "--mail-from",
        "--config",
        "OTS_LISTEN",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let dist = tempfile::tempdir().unwrap();
    let server =
        ots_testkit::Server::launch(bin.as_ref(), dist.path(), tempfile::tempdir().unwrap(), &[]);
    let serving = format!("Serving on http://127.0.0.1:{}/", server.port);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !server.log_text().lines().any(|l| l.trim() == serving) {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let key = server.data_dir.path().join("master.key");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
