//! End to end over real sockets on 127.0.0.1: the binary, the region proxy (against a
//! second ots-server), and recipient mail (against a local SMTP listener).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

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
    let upstream_backend = Backend::embedded();
    let (_, upstream_app) = new_app(&upstream_backend, &[]);
    let upstream = serve(upstream_app).await;
    let b = Backend::embedded();
    let region = format!("local=http://{upstream}");
    let (_, app) = new_app(&b, &["--region", &region]);
    let front = serve(app).await;
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
    let region = format!("dead=http://127.0.0.1:{}", free_port());
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

/// A minimal SMTP listener: accepts one message and hands its DATA over.
async fn smtp_listener() -> (u16, tokio::sync::oneshot::Receiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (r, mut w) = sock.into_split();
        let mut lines = tokio::io::BufReader::new(r).lines();
        w.write_all(b"220 localhost ESMTP test\r\n").await.unwrap();
        let mut data = String::new();
        let mut in_data = false;
        let mut tx = Some(tx);
        while let Ok(Some(line)) = lines.next_line().await {
            if in_data {
                if line == "." {
                    in_data = false;
                    w.write_all(b"250 OK queued\r\n").await.unwrap();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(data.clone());
                    }
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let cmd = line.to_ascii_uppercase();
            let reply: &[u8] = if cmd.starts_with("EHLO") {
                b"250-localhost\r\n250 8BITMIME\r\n"
            } else if cmd.starts_with("DATA") {
                in_data = true;
                b"354 go ahead\r\n"
            } else if cmd.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                b"250 OK\r\n"
            };
            w.write_all(reply).await.unwrap();
        }
    });
    (port, rx)
}

#[tokio::test]
async fn recipient_mail_has_the_link_never_the_secret() {
    let (port, rx) = smtp_listener().await;
    let b = Backend::embedded();
    let smtp = format!("smtp://127.0.0.1:{port}");
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
    let mail = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .unwrap()
        .unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = std::process::Command::new(bin)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path())
        .env("OTS_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(line.trim(), format!("Serving on http://127.0.0.1:{port}/"));
    let key = dir.path().join("master.key");
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
