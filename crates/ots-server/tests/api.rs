//! The v1 API through the router, without a socket (`app(state).oneshot(req)`).
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;

fn app() -> (Backend, ots_server::AppState, axum::Router) {
    let b = Backend::embedded();
    let (st, app) = new_app(&b, &[]);
    (b, st, app)
}

#[tokio::test]
async fn status_and_authcheck() {
    let (_b, _, app) = app();
    let res = get(&app, "/api/v1/status", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        res.json(),
        serde_json::json!({"status": "nominal", "locale": "en"})
    );
    let res = get(&app, "/api/v1/authcheck", Some(&auth())).await;
    assert_eq!(res.json()["status"], "nominal");
    let res = get(&app, "/api/v1/authcheck", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.json(), serde_json::json!({"message": "Not authorized"}));
    assert_eq!(res.intended(), Some("401"));
}

#[tokio::test]
async fn a_present_but_wrong_authorization_is_always_rejected() {
    let (_b, _, app) = app();
    for h in [
        basic(USER, "wrong"),
        basic("nobody@example.com", TOKEN),
        basic("", ""),
        "Basic %%%".to_owned(),
        "Bearer x".to_owned(),
        "Basic".to_owned(),
    ] {
        for res in [
            get(&app, "/api/v1/status", Some(&h)).await,
            post(&app, "/api/v1/share", "secret=x", Some(&h)).await,
            post(&app, "/api/v1/generate", "", Some(&h)).await,
        ] {
            assert_eq!(
                res.json(),
                serde_json::json!({"message": "Not authorized"}),
                "{h}"
            );
            assert_eq!(res.intended(), Some("401"));
        }
    }
}

#[tokio::test]
async fn share_returns_a_full_v1_receipt() {
    let (_b, _, app) = app();
    let r = share(&app, "secret=hello&ttl=3600").await;
    let mkey = s(&r, "metadata_key");
    let key = s(&r, "secret_key");
    assert_eq!(key.len(), 62);
    assert_eq!(mkey.len(), 62);
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    );
    assert_eq!(r["custid"], "anon");
    assert_eq!(r["ttl"], 3600);
    assert_eq!(r["metadata_ttl"], 7200);
    assert_eq!(r["secret_ttl"], 3600);
    assert_eq!(r["state"], "new");
    assert_eq!(r["recipient"], serde_json::json!([]));
    assert_eq!(r["share_domain"], "");
    assert_eq!(r["passphrase_required"], false);
    assert_eq!(
        r["metadata_url"],
        format!("http://127.0.0.1:8080/receipt/{mkey}")
    );
    assert!(r["created"].is_u64() && r["updated"].is_u64());
    // v0.24 aliases
    assert_eq!(r["identifier"], mkey.as_str());
    assert_eq!(r["secret_identifier"], key.as_str());
    assert_eq!(r["has_passphrase"], false);
    assert_eq!(r["receipt_ttl"], 7200);
    assert!(r.get("value").is_none());
}

#[tokio::test]
async fn params_come_from_query_json_and_multipart() {
    let (_b, _, app) = app();
    let res = post(&app, "/api/v1/create?secret=from-query&ttl=120", "", None).await;
    assert_eq!(res.json()["ttl"], 120);
    let req = Request::post("/api/v1/share")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"secret":"from-json","ttl":300}"#))
        .unwrap();
    let r = send(&app, req).await.json();
    assert_eq!(r["ttl"], 300);
    let key = s(&r, "secret_key");
    assert_eq!(
        post(&app, &format!("/api/v1/secret/{key}"), "", None)
            .await
            .json()["value"],
        "from-json"
    );
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"secret\"\r\n\r\nfrom-multipart\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"ttl\"\r\n\r\n900\r\n--XyZ--\r\n";
    let req = Request::post("/api/v1/share")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
        .body(Body::from(body))
        .unwrap();
    let r = send(&app, req).await.json();
    assert_eq!(r["ttl"], 900);
    let key = s(&r, "secret_key");
    assert_eq!(
        post(&app, &format!("/api/v1/secret/{key}"), "", None)
            .await
            .json()["value"],
        "from-multipart"
    );
}

#[tokio::test]
async fn ttl_is_clamped_silently() {
    let (_b, _, app) = app();
    for (ttl, want) in [("0", 60), ("-5", 60), ("abc", 60), ("999999999", 604_800)] {
        assert_eq!(
            share(&app, &format!("secret=x&ttl={ttl}")).await["ttl"],
            want,
            "{ttl}"
        );
    }
    assert_eq!(share(&app, "secret=x").await["ttl"], 604_800);
    let res = post(
        &app,
        "/api/v1/share",
        "secret=x&ttl=999999999",
        Some(&auth()),
    )
    .await;
    assert_eq!(res.json()["ttl"], 2_592_000);
}

#[tokio::test]
async fn validation_messages_are_v1s() {
    let (_b, _, app) = app();
    let cases = [
        ("", "You did not provide anything to share"),
        ("secret=", "You did not provide anything to share"),
        (
            "secret=x&passphrase=abc",
            "Passphrase must be at least 4 characters long",
        ),
        (
            "secret=x&recipient=a%40b.co",
            "An account is required to send emails.",
        ),
        (
            "secret=x&share_domain=evil.com",
            "You do not have permission to use domain: evil.com",
        ),
    ];
    for (form, msg) in cases {
        let res = post(&app, "/api/v1/share", form, None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(res.json(), serde_json::json!({"message": msg}), "{form}");
        assert_eq!(res.intended(), Some("400"));
    }
    let long = format!("secret={}", "a".repeat(10_001));
    let res = post(&app, "/api/v1/share", &long, None).await;
    assert_eq!(
        res.json()["message"],
        "Secret value exceeds the maximum size of 10000 bytes"
    );
    let ok = format!("secret={}", "a".repeat(10_000));
    assert_eq!(
        post(&app, "/api/v1/share", &ok, None).await.status,
        StatusCode::OK
    );
    let pass = format!("secret=x&passphrase={}", "p".repeat(129));
    let res = post(&app, "/api/v1/share", &pass, None).await;
    assert_eq!(
        res.json()["message"],
        "Passphrase must be no more than 128 characters long"
    );
    let res = post(
        &app,
        "/api/v1/share",
        "secret=x&recipient=not-an-email",
        Some(&auth()),
    )
    .await;
    assert_eq!(
        res.json()["message"],
        "Undeliverable email address: not-an-email"
    );
}

#[tokio::test]
async fn generate_returns_the_value_once() {
    let (_b, _, app) = app();
    let res = post(
        &app,
        "/api/v1/generate",
        "length=20&character_sets[symbols]=false",
        None,
    )
    .await;
    let r = res.json();
    let value = s(&r, "value");
    assert_eq!(value.chars().count(), 20);
    assert!(value.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(r["secret_value"], value.as_str());
    let mkey = s(&r, "metadata_key");
    // v1's creator preview: the first receipt view shows the value, later ones don't.
    let view = |app: axum::Router| {
        let path = format!("/api/v1/receipt/{mkey}");
        async move { get(&app, &path, None).await.json() }
    };
    assert_eq!(view(app.clone()).await["value"], value.as_str());
    let again = view(app.clone()).await;
    assert!(again.get("value").is_none(), "{again}");
    assert_eq!(again["state"], "new");
    let key = s(&r, "secret_key");
    let revealed = post(&app, &format!("/api/v1/secret/{key}"), "", None)
        .await
        .json();
    assert_eq!(revealed["value"], value.as_str());
    assert_eq!(share_default_len(&app).await, 12);
    let res = post(&app, "/api/v1/generate", "length=129", None).await;
    assert_eq!(
        res.json()["message"],
        "Generated password length must be no more than 128 characters"
    );
}

async fn share_default_len(app: &axum::Router) -> usize {
    let r = post(app, "/api/v1/generate", "", None).await.json();
    s(&r, "value").chars().count()
}

#[tokio::test]
async fn short_and_odd_keys() {
    let (_b, _, app) = app();
    for path in [
        "/api/v1/secret/short",
        "/api/v1/receipt/short",
        "/api/v1/receipt/short/burn",
        "/api/v1/private/%00%01",
    ] {
        let res = if path.ends_with("burn") || path.contains("secret") {
            post(&app, path, "", None).await
        } else {
            get(&app, path, None).await
        };
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            res.json(),
            serde_json::json!({"message": "Not Found"}),
            "{path}"
        );
    }
    let long = "z".repeat(62);
    let res = post(&app, &format!("/api/v1/secret/{long}"), "", None).await;
    assert_eq!(
        res.json(),
        serde_json::json!({"secret_key": long, "message": "Unknown secret"})
    );
    // Odd characters are stripped before the lookup, as OTS's sanitizer does.
    let res = post(&app, &format!("/api/v1/secret/{long}%21%21"), "", None).await;
    assert_eq!(res.json()["secret_key"], long.as_str());
}

#[tokio::test]
async fn unknown_routes_are_otto_404s() {
    let (_b, _, app) = app();
    for (m, path) in [
        ("GET", "/api/v1/nope"),
        ("GET", "/api/v1/share"),
        ("DELETE", "/api/v1/status"),
        ("OPTIONS", "/api/v1/share"),
        ("HEAD", "/api/v1/status"),
        ("POST", "/api/v2/secret/conceal"),
        ("POST", "/nothing/here"),
    ] {
        let req = Request::builder()
            .method(m)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let res = send(&app, req).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{m} {path}");
        // A HEAD answer has no body.
        if m != "HEAD" {
            assert_eq!(
                res.json(),
                serde_json::json!({"error": "Not Found"}),
                "{m} {path}"
            );
        }
        assert!(res.header("access-control-allow-origin").is_none());
    }
}

#[tokio::test]
async fn recipients_are_obscured_and_need_an_account() {
    let (_b, _, app) = app();
    let res = post(
        &app,
        "/api/v1/share",
        "secret=x&recipient[]=alice%40example.com&recipient[]=bob%40example.org",
        Some(&auth()),
    )
    .await;
    assert_eq!(
        res.json()["recipient"],
        serde_json::json!(["al***@e***.com", "bo***@e***.org"])
    );
}

#[tokio::test]
async fn rate_limits_apply_to_anonymous_callers_only() {
    let b = Backend::embedded();
    let (_, app) = new_app(
        &b,
        &["--rate-limit-creates", "3", "--rate-limit-reveals", "2"],
    );
    for _ in 0..3 {
        share(&app, "secret=x").await;
    }
    let res = post(&app, "/api/v1/share", "secret=x", None).await;
    assert_eq!(
        res.json(),
        serde_json::json!({"message": "Rate limit exceeded. Please try again later."})
    );
    assert_eq!(res.intended(), Some("400"));
    // Accounts are exempt.
    assert_eq!(
        post(&app, "/api/v1/share", "secret=x", Some(&auth()))
            .await
            .status,
        StatusCode::OK
    );
    let key = "k".repeat(62);
    for _ in 0..2 {
        let r = post(&app, &format!("/api/v1/secret/{key}"), "", None).await;
        assert_eq!(r.json()["message"], "Unknown secret");
    }
    let r = post(&app, &format!("/api/v1/secret/{key}"), "", None).await;
    assert_eq!(
        r.json()["message"],
        "Rate limit exceeded. Please try again later."
    );
}

#[tokio::test]
async fn bad_bodies_never_500() {
    let (_b, _, app) = app();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "application/x-www-form-urlencoded",
            b"secret=%ff%fe".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"secret=\xff\xfe".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"secret=%zz&&&==".to_vec(),
        ),
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[1,2]".to_vec()),
        (
            "application/json",
            br#"{"secret": {"a": [1, {"b": null}]}, "ttl": [1,2]}"#.to_vec(),
        ),
        ("multipart/form-data; boundary=x", b"garbage".to_vec()),
        ("multipart/form-data", b"--x\r\n".to_vec()),
        ("text/plain", b"secret=x".to_vec()),
    ];
    for (ct, body) in cases {
        let req = Request::post("/api/v1/share")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body.clone()))
            .unwrap();
        let res = send(&app, req).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{ct} {body:?}");
        assert!(res.json()["message"].is_string(), "{ct} {body:?}");
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_being_read() {
    let (_b, _, app) = app();
    // A declared length over the limit is refused without reading the body at all.
    let req = Request::post("/api/v1/share")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, "1000000000")
        .body(Body::empty())
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.json()["message"], "Request body too large");
    assert_eq!(res.intended(), Some("413"));
    // A streamed body without a length stops at the limit.
    let req = Request::post("/api/v1/share")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::new(Endless { sent: 0 }))
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.json()["message"], "Request body too large");
}

/// A body of endless 1 KiB chunks with no declared length (it would never end if read whole).
struct Endless {
    sent: usize,
}

impl hyper::body::Body for Endless {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        self.sent += 1;
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(
            axum::body::Bytes::from_static(&[b'a'; 1024]),
        ))))
    }
}
