//! Random requests at the router: never a 500, never a panic, always JSON on /api.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use proptest::prelude::*;

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

#[test]
fn random_requests_never_500() {
    use proptest::test_runner::{Config, TestRunner};
    // One store and router for all cases: a fresh store per case costs threads and fsyncs.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let backend = Backend::embedded();
    let (_, app) = new_app(&backend, &["--region", "eu=http://127.0.0.1:9"]);
    let strategy = (
        method(),
        path(),
        prop::option::of("[a-z=&%0-9]{0,30}"),
        content_type(),
        body(),
        authorization(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 400,
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
