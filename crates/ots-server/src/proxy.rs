//! Same-origin proxy to hosted regions: `/region/<name>/api/v1/*` → `<upstream>/api/v1/*`.
//!
//! The hosted service sends no CORS headers, so the browser app talks to its own
//! origin and this forwards. Only a few request headers pass (`Authorization` among
//! them, never `Cookie`); only a few response headers come back (never `Set-Cookie`).
//! Bodies are bounded both ways and every upstream call has a deadline
//! (`--region-timeout`).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::ApiError;
use crate::params::read_limited;
use crate::state::AppState;

/// Largest upstream response body relayed.
const MAX_RESPONSE: usize = 1024 * 1024;

const FORWARD_REQUEST: &[HeaderName] = &[
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
    header::ACCEPT_LANGUAGE,
];
const FORWARD_RESPONSE: &[&str] = &["content-type", "x-ots-intended-status", "retry-after"];

/// The HTTP(S) client used for upstreams.
pub type ProxyClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Builds the client: rustls with ring and Mozilla's roots; plain http allowed.
pub fn client() -> Result<ProxyClient, rustls::Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(5)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(https))
}

/// `ANY /region/{name}/api/v1/{*rest}`.
pub async fn region_forward(
    State(state): State<AppState>,
    Path((name, rest)): Path<(String, String)>,
    req: Request,
) -> Result<Response, ApiError> {
    let region = state
        .config
        .regions
        .iter()
        .find(|r| r.name == name)
        .ok_or(ApiError::RouteNotFound)?;
    let Some(client) = &state.proxy else {
        return Err(ApiError::Upstream);
    };
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let uri: Uri = format!("{}/api/v1/{}{}", region.url, rest, query)
        .parse()
        .map_err(|_| ApiError::RouteNotFound)?;
    let method = req.method().clone();
    let (parts, body) =
        read_limited(req, state.config.body_limit(), state.config.body_timeout).await?;
    let mut up = hyper::Request::builder().method(method).uri(uri);
    for name in FORWARD_REQUEST {
        for v in parts.headers.get_all(name) {
            up = up.header(name, v);
        }
    }
    let up = up
        .body(Full::new(body))
        .map_err(|_| ApiError::RouteNotFound)?;
    let exchange = async {
        let res = client.request(up).await.map_err(|e| {
            tracing::warn!(region = %region.name, error = %e, "upstream unreachable");
            ApiError::Upstream
        })?;
        let (parts, body) = res.into_parts();
        let bytes = Limited::new(body, MAX_RESPONSE)
            .collect()
            .await
            .map_err(|_| ApiError::Upstream)?
            .to_bytes();
        Ok::<_, ApiError>((parts, bytes))
    };
    // The deadline covers connect, answer and body: an upstream that accepts and then
    // hangs costs the caller `--region-timeout`, never more.
    let (parts, bytes) = tokio::time::timeout(state.config.region_timeout, exchange)
        .await
        .map_err(|_| {
            tracing::warn!(region = %region.name, "upstream timed out");
            ApiError::UpstreamTimeout
        })??;
    let mut res = (parts.status, bytes).into_response();
    for name in FORWARD_RESPONSE {
        if let Some(v) = parts.headers.get(*name) {
            res.headers_mut()
                .insert(HeaderName::from_static(name), v.clone());
        }
    }
    if !res.headers().contains_key(header::CONTENT_TYPE) {
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    Ok(res)
}
