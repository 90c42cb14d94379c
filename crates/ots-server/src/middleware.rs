//! Middlewares that apply to every route and belong to no other module: the request log
//! and v1 JSON for axum's own rejections.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use ots_core::keys::{MIN_LEN as KEY_MIN_LEN, shortkey};

use crate::error::ApiError;

/// A path with every key-like segment cut to its shortkey, for logs.
pub fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.len() >= KEY_MIN_LEN {
                format!("{}…", shortkey(seg))
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Logs each request's method, redacted path, status and time at debug level.
pub async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = redact_path(req.uri().path());
    let res = next.run(req).await;
    tracing::debug!(
        %method,
        path = %path,
        status = res.status().as_u16(),
        micros = start.elapsed().as_micros() as u64,
        "request"
    );
    res
}

/// axum's own extractor rejections (a path key that is not UTF-8 after decoding, say)
/// answer in plain text. On the API they become v1's answer for an unusable key, so
/// every API error is v1 JSON. Found by `tests/fuzz.rs` (`GET /api/v1/receipt/%AA`).
pub async fn v1_rejections(req: Request, next: Next) -> Response {
    let api = req.uri().path().contains("/api/v1/");
    let res = next.run(req).await;
    let plain = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if api && plain && res.status().is_client_error() {
        return ApiError::NotFound.into_response();
    }
    res
}
