//! Serving the app: files, links, config.json, security headers, CORS.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use common::*;
use sha2::Digest as _;

#[tokio::test]
async fn index_has_csp_with_inline_script_and_style_hashes_and_no_store() {
    let b = Backend::embedded();
    let (_, app) = new_app(&b, &[]);
    let res = get(&app, "/", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&res.body).contains("init();"));
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let sha =
        |text: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text));
    let (script, style) = (sha(b"init();"), sha(b"p{}"));
    let csp = res.header("content-security-policy").unwrap();
    assert_eq!(
        csp,
        format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-{script}'; \
             style-src 'self' 'sha256-{style}'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
             manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    );
}

#[tokio::test]
async fn every_response_has_the_security_headers() {
    let b = Backend::embedded();
    let (_, app) = new_app(&b, &[]);
    for res in [
        get(&app, "/", None).await,
        get(&app, "/api/v1/status", None).await,
        get(&app, "/api/v1/nope", None).await,
        post(&app, "/api/v1/secret/short", "", None).await,
        get(&app, "/app-0123456789abcdef.js", None).await,
        get(&app, "/secret/abc", None).await,
    ] {
        for (name, want) in [
            ("referrer-policy", "no-referrer"),
            ("x-content-type-options", "nosniff"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
            ("x-frame-options", "DENY"),
        ] {
            assert_eq!(res.header(name), Some(want), "{name}");
        }
        let pp = res.header("permissions-policy").unwrap();
        assert!(pp.contains("camera=()") && pp.contains("clipboard-write=(self)"));
        assert!(res.header("content-security-policy").is_some());
        assert!(res.header("access-control-allow-origin").is_none());
    }
    assert_eq!(
        get(&app, "/api/v1/status", None)
            .await
            .header("cache-control"),
        Some("no-store")
    );
    let asset = get(&app, "/app-0123456789abcdef.js", None).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert!(asset.header("cache-control").unwrap().contains("immutable"));
}

/// The build writes `.br` and `.gz` siblings of every file; the server sends the one the
/// browser accepts, and says that the answer varies with `Accept-Encoding`.
#[tokio::test]
async fn precompressed_siblings_are_served_by_accept_encoding() {
    let b = Backend::embedded();
    let dist = b.dir().join("dist");
    let (_, app) = new_app(&b, &[]);
    let wasm = "/app-0123456789abcdef_bg.wasm";
    let variants = [
        ("", "raw bytes"),
        (".br", "brotli bytes"),
        (".gz", "gzip bytes"),
    ];
    for (ext, body) in variants {
        std::fs::write(dist.join(format!("{}{ext}", &wasm[1..])), body).unwrap();
    }
    let fetch = |path: &'static str, accept: &'static str| {
        let app = app.clone();
        async move {
            let req = Request::get(path).header(header::ACCEPT_ENCODING, accept);
            send(&app, req.body(Body::empty()).unwrap()).await
        }
    };
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), "brotli bytes"),
        ("gzip", Some("gzip"), "gzip bytes"),
        ("br;q=0, gzip;q=0.5", Some("gzip"), "gzip bytes"),
        ("identity", None, "raw bytes"),
    ] {
        let res = fetch(wasm, accept).await;
        assert_eq!(res.status, StatusCode::OK, "{accept}");
        assert_eq!(res.header("content-encoding"), encoding, "{accept}");
        assert_eq!(res.body, body.as_bytes(), "{accept}");
        assert_eq!(res.header("vary"), Some("Accept-Encoding"), "{accept}");
        assert!(res.header("cache-control").unwrap().contains("immutable"));
    }
    // A file without siblings is sent as is, still with `Vary`.
    let plain = fetch("/app-0123456789abcdef.js", "br").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
}

/// The index page is held in memory with its siblings, and negotiated the same way.
#[tokio::test]
async fn the_index_page_is_sent_precompressed() {
    let b = Backend::embedded();
    let dist = dist_dir(b.dir());
    std::fs::write(dist.join("index.html.br"), "brotli index").unwrap();
    let (_, app) = new_app(&b, &[]);
    let req = Request::get("/").header(header::ACCEPT_ENCODING, "gzip, br");
    let res = send(&app, req.body(Body::empty()).unwrap()).await;
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(res.body, "brotli index".as_bytes());
    assert_eq!(res.header("vary"), Some("Accept-Encoding"));
    // No gzip sibling: a gzip-only client gets the page as is.
    let req = Request::get("/").header(header::ACCEPT_ENCODING, "gzip");
    let res = send(&app, req.body(Body::empty()).unwrap()).await;
    assert_eq!(res.header("content-encoding"), None);
    assert!(String::from_utf8_lossy(&res.body).contains("init();"));
}

#[tokio::test]
async fn frame_ancestors_and_connect_src_are_configurable() {
    let b = Backend::embedded();
    let (_, app) = new_app(
        &b,
        &[
            "--frame-ancestor",
            "https://intranet.example",
            "--connect-src",
            "https://api.example",
        ],
    );
    let res = get(&app, "/", None).await;
    let csp = res.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors https://intranet.example"));
    assert!(csp.contains("connect-src 'self' https://api.example;"));
    assert!(res.header("x-frame-options").is_none());
}

#[tokio::test]
async fn onetime_secret_links_open_the_app() {
    let b = Backend::embedded();
    let (_, app) = new_app(&b, &[]);
    let key = "a".repeat(62);
    for (path, to) in [
        (format!("/secret/{key}"), format!("/#/s/{key}")),
        (format!("/receipt/{key}"), format!("/#/r/{key}")),
        (format!("/private/{key}"), format!("/#/r/{key}")),
        ("/secret/a%3Cb%3E".to_owned(), "/#/s/ab".to_owned()),
    ] {
        let res = get(&app, &path, None).await;
        assert!(res.status.is_redirection(), "{path}");
        assert_eq!(res.header("location"), Some(to.as_str()));
    }
}

#[tokio::test]
async fn config_json_is_generated_or_served_from_dist() {
    let b = Backend::embedded();
    let (_, app) = new_app(
        &b,
        &[
            "--region",
            "eu",
            "--region",
            "local=http://127.0.0.1:1",
            "--ttl-max-anonymous",
            "1d",
        ],
    );
    let v = get(&app, "/config.json", None).await.json();
    assert_eq!(v["regions"], serde_json::json!(["eu", "local"]));
    assert_eq!(v["limits"]["ttl_max_anonymous"], 86_400);
    assert_eq!(v["limits"]["ttl_min"], 60);
    assert_eq!(v["limits"]["secret_max_bytes"], 10_000);
    assert_eq!(v["limits"]["passphrase_min"], 4);
    std::fs::write(b.dir().join("dist/config.json"), r#"{"custom":true}"#).unwrap();
    let v = get(&app, "/config.json", None).await.json();
    assert_eq!(v, serde_json::json!({"custom": true}));
}

#[tokio::test]
async fn cors_is_off_by_default_and_opt_in() {
    let b = Backend::embedded();
    let (_, app) = new_app(&b, &[]);
    let req = Request::get("/api/v1/status")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::empty())
        .unwrap();
    assert!(
        send(&app, req)
            .await
            .header("access-control-allow-origin")
            .is_none()
    );

    let (_, app) = new_app(&b, &["--cors-origin", "https://app.example"]);
    let req = Request::get("/api/v1/status")
        .header(header::ORIGIN, "https://app.example")
        .body(Body::empty())
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let req = Request::builder()
        .method("OPTIONS")
        .uri("/api/v1/share")
        .header(header::ORIGIN, "https://app.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(
        res.header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
    let req = Request::get("/api/v1/status")
        .header(header::ORIGIN, "https://other.example")
        .body(Body::empty())
        .unwrap();
    assert!(
        send(&app, req)
            .await
            .header("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn unknown_region_is_a_404() {
    let b = Backend::embedded();
    let (_, app) = new_app(&b, &[]);
    let res = get(&app, "/region/mars/api/v1/status", None).await;
    assert_eq!(res.json(), serde_json::json!({"error": "Not Found"}));
}

#[test]
fn log_paths_show_shortkeys_only() {
    let key = "abcdefgh".repeat(8);
    let p = ots_server::middleware::redact_path(&format!("/api/v1/secret/{key}"));
    assert_eq!(p, "/api/v1/secret/abcdefgh…");
}
