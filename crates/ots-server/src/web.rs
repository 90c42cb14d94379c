//! Serving the app: static files, Onetime-Secret-style links, `config.json`,
//! and the security headers every response carries.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tower::ServiceExt as _;

use crate::config::Config;
use crate::error::{ApiError, json_response};
use crate::state::AppState;

/// What the web side computes once at startup.
#[derive(Debug)]
pub struct WebAssets {
    /// `dist/index.html`, if present, with its precompressed siblings.
    pub index: Option<Encoded>,
    /// The Content-Security-Policy header value.
    pub csp: HeaderValue,
    /// Whether to send `X-Frame-Options: DENY` (no frame ancestor is allowed).
    pub deny_frames: bool,
    /// The built app directory.
    pub dist: PathBuf,
    /// `config.json` generated from the configuration.
    pub generated_config: Vec<u8>,
}

/// A file as is, and as the build precompressed it (`.br`, `.gz` siblings), if it did.
#[derive(Debug)]
pub struct Encoded {
    identity: axum::body::Bytes,
    brotli: Option<axum::body::Bytes>,
    gzip: Option<axum::body::Bytes>,
}

impl Encoded {
    /// Reads `path` and its `.br` and `.gz` siblings.
    fn read(path: &Path) -> Option<Encoded> {
        let sibling = |ext: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(ext);
            std::fs::read(PathBuf::from(name)).ok().map(Into::into)
        };
        Some(Encoded {
            identity: std::fs::read(path).ok()?.into(),
            brotli: sibling(".br"),
            gzip: sibling(".gz"),
        })
    }

    /// The smallest encoding the client accepts, as a body and its `Content-Encoding`.
    fn negotiate(&self, accept: &HeaderMap) -> (axum::body::Bytes, Option<&'static str>) {
        let accepts = |coding| accepts_encoding(accept, coding);
        match (&self.brotli, &self.gzip) {
            (Some(br), _) if accepts("br") => (br.clone(), Some("br")),
            (_, Some(gz)) if accepts("gzip") => (gz.clone(), Some("gzip")),
            _ => (self.identity.clone(), None),
        }
    }
}

/// Whether `Accept-Encoding` allows `coding` (named, with no `q=0`).
fn accepts_encoding(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let weight = |p: &str| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
            };
            parts
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case(coding))
                && parts.all(|p| weight(p).is_none_or(|q| q > 0.0))
        })
}

/// `'sha256-…'` sources for every inline `<element>` in `html`: `<style>`, or a `<script>`
/// without `src`.
pub fn inline_hashes(html: &str, element: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let (open, close_tag) = (format!("<{element}"), format!("</{element}"));
    let mut at = 0;
    while let Some(start) = lower[at..].find(&open).map(|i| i + at) {
        let Some(tag_end) = lower[start..].find('>').map(|i| i + start) else {
            break;
        };
        let Some(close) = lower[tag_end..].find(&close_tag).map(|i| i + tag_end) else {
            break;
        };
        let tag = &lower[start..tag_end];
        if !tag.contains(" src=") && !tag.contains("\tsrc=") && !tag.contains("\nsrc=") {
            let body = &html[tag_end + 1..close];
            let digest = Sha256::digest(body.as_bytes());
            out.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        at = close;
    }
    out
}

/// Builds the CSP for an index page.
pub fn content_security_policy(config: &Config, index: Option<&str>) -> String {
    let with_hashes = |base: &str, element: &str| {
        let hashes = index.map(|html| inline_hashes(html, element));
        std::iter::once(base.to_owned())
            .chain(hashes.unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let script = with_hashes("'self' 'wasm-unsafe-eval'", "script");
    let style = with_hashes("'self'", "style");
    let mut connect = String::from("'self'");
    for o in &config.connect_src {
        connect.push(' ');
        connect.push_str(o);
    }
    let frames = if config.frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        config.frame_ancestors.join(" ")
    };
    format!(
        "default-src 'none'; script-src {script}; style-src {style}; img-src 'self' data:; \
         font-src 'self'; connect-src {connect}; manifest-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors {frames}"
    )
}

impl WebAssets {
    /// Reads `dist/index.html` and prepares headers and `config.json`.
    pub fn load(config: &Config) -> WebAssets {
        let index = Encoded::read(&config.dist.join("index.html"));
        let index_text = index
            .as_ref()
            .and_then(|i| std::str::from_utf8(&i.identity).ok());
        let csp = content_security_policy(config, index_text);
        let l = &config.limits;
        let generated = serde_json::json!({
            "regions": config.regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            "limits": {
                "ttl_min": l.ttl_min,
                "ttl_max_anonymous": l.ttl_max_anonymous,
                "ttl_max_account": l.ttl_max_account,
                "secret_max_bytes": l.secret_max_bytes,
                "passphrase_min": l.passphrase_min,
                "passphrase_max": l.passphrase_max,
            }
        });
        WebAssets {
            index,
            // Config validation keeps every origin free of control characters.
            csp: HeaderValue::from_str(&csp)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
            deny_frames: config.frame_ancestors.is_empty(),
            dist: config.dist.clone(),
            generated_config: serde_json::to_vec(&generated).unwrap_or_default(),
        }
    }
}

const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), \
    encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), \
    microphone=(), midi=(), payment=(), publickey-credentials-get=(), serial=(), usb=(), \
    xr-spatial-tracking=(), clipboard-read=(), clipboard-write=(self)";

/// Middleware: security headers on every response, `no-store` unless a handler chose
/// a cache policy, and the opt-in CORS allow-list.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| {
            state
                .config
                .cors_origins
                .iter()
                .any(|a| a.as_bytes() == o.as_bytes())
        })
        .cloned();
    let preflight = req.method() == Method::OPTIONS
        && origin.is_some()
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    // v1 declares no HEAD routes: axum would answer HEAD on every GET route.
    let head_on_api = req.method() == Method::HEAD && req.uri().path().starts_with("/api/");
    let mut res = if head_on_api {
        ApiError::RouteNotFound.into_response()
    } else if preflight {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        r
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-ots-intended-status"),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    set_security_headers(h, &state.web);
    res
}

fn set_security_headers(h: &mut HeaderMap, web: &WebAssets) {
    h.insert(header::CONTENT_SECURITY_POLICY, web.csp.clone());
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    // No `Cross-Origin-Embedder-Policy`: with COOP it makes the page cross-origin isolated,
    // which costs Chromium a dedicated process and 100 to 200 ms before a first screen
    // (docs/FIRST-SCREEN.md), and guards nothing here: the CSP already refuses every
    // cross-origin load, which is all `require-corp` would refuse.
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    if web.deny_frames {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// `GET /`: the app's index page (never cached: it pins the asset hashes).
pub async fn index_show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match &state.web.index {
        Some(html) => {
            let (body, encoding) = html.negotiate(&headers);
            let mut res = body.into_response();
            let h = res.headers_mut();
            if let Some(encoding) = encoding {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        None => ApiError::RouteNotFound.into_response(),
    }
}

/// `GET /config.json`: `dist/config.json` if it exists, else generated from config.
pub async fn config_show(State(state): State<AppState>) -> Response {
    let body = match tokio::fs::read(state.web.dist.join("config.json")).await {
        Ok(b) => b,
        Err(_) => state.web.generated_config.clone(),
    };
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

/// Keeps only the characters a key may have (`[A-Za-z0-9_-]`), for the app route.
fn route_key(key: &str) -> String {
    ots_core::keys::sanitize(key)
}

/// `GET /secret/:key` → `/#/s/<key>`: the recipient's link opens the app.
pub async fn secret_link(UrlPath(key): UrlPath<String>) -> Redirect {
    Redirect::to(&format!("/#/s/{}", route_key(&key)))
}

/// `GET /receipt/:key` and `/private/:key` → `/#/r/<key>`.
pub async fn receipt_link(UrlPath(key): UrlPath<String>) -> Redirect {
    Redirect::to(&format!("/#/r/{}", route_key(&key)))
}

/// Whether a file name looks content-hashed (Trunk: `name-<16 hex>_bg.wasm`).
fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split(['-', '_', '.'])
        .any(|part| part.len() >= 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Fallback: a file from `dist/` (its precompressed `.br` or `.gz` sibling when the client
/// accepts one), else the router's `{"error":"Not Found"}`.
pub async fn static_show(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if !(req.method() == Method::GET || req.method() == Method::HEAD) || path.starts_with("/api/") {
        return ApiError::RouteNotFound.into_response();
    }
    let serve = tower_http::services::ServeDir::new(&state.web.dist)
        .precompressed_br()
        .precompressed_gzip();
    match serve.oneshot(req).await {
        Ok(res) if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED => {
            let mut res = res.map(Body::new);
            let cache = if is_hashed_asset(&path) {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            let h = res.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            // Caches must keep each encoding apart, whether or not this one was encoded.
            if !h.contains_key(header::VARY) {
                h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
            }
            res
        }
        _ => ApiError::RouteNotFound.into_response(),
    }
}

/// The router's JSON 404.
pub async fn route_not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"error": "Not Found"}),
    )
}

/// Whether `dist` holds an index page (for the startup log).
pub fn has_index(dist: &Path) -> bool {
    dist.join("index.html").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts_and_styles() {
        let html = r#"<html><head><script src="/a.js"></script><style>p{}</style>
<script type="module">import init from '/x.js';init();</script></head></html>"#;
        let sha = |text: &[u8]| {
            let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text));
            format!("'sha256-{digest}'")
        };
        assert_eq!(
            inline_hashes(html, "script"),
            [sha(b"import init from '/x.js';init();")]
        );
        assert_eq!(inline_hashes(html, "style"), [sha(b"p{}")]);
    }

    #[test]
    fn csp_defaults_deny_framing() {
        let c = Config::default();
        let csp = content_security_policy(&c, None);
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval';"));
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        let headers = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            h
        };
        assert!(accepts_encoding(&headers("gzip, deflate, br, zstd"), "br"));
        assert!(accepts_encoding(&headers("GZIP;q=0.5"), "gzip"));
        assert!(!accepts_encoding(&headers("br;q=0, gzip"), "br"));
        assert!(!accepts_encoding(&headers("br;q=0.000"), "br"));
        assert!(!accepts_encoding(&headers("identity"), "gzip"));
        assert!(!accepts_encoding(&HeaderMap::new(), "br"));
    }

    #[test]
    fn hashed_assets() {
        assert!(is_hashed_asset("/ots-web-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(!is_hashed_asset("/favicon.ico"));
    }
}
