//! The one error type of the API, rendered the v1 way.
//!
//! v1 answers almost every error with HTTP 404 and `{"message": …}`; the real class
//! travels in `X-OTS-Intended-Status` (reference §2.5). Internal failures are logged
//! here and answered with the generic message, so nothing internal leaks.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Header that carries the status a v1 error "really" has.
pub const INTENDED_STATUS: &str = "x-ots-intended-status";

/// The generic v1 message for anything unexpected (and for a passphrase lockout).
pub const UNEXPECTED: &str = "An unexpected error occurred :[";

/// Everything a v1 request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Unknown, consumed, burned or expired key, or a wrong passphrase on reveal.
    #[error("unknown secret")]
    UnknownSecret {
        /// The key the caller sent (echoed back, as v1 does).
        key: String,
    },
    /// A key too short to be one (`/secret/short`).
    #[error("key not found")]
    NotFound,
    /// Missing or bad credentials.
    #[error("not authorized")]
    NotAuthorized,
    /// A validation failure with its user-facing v1 text.
    #[error("form error")]
    Form(String),
    /// The per-IP limit was hit.
    #[error("rate limited")]
    RateLimited,
    /// A request body larger than the configured limit.
    #[error("request body too large")]
    TooLarge,
    /// The request body did not arrive within `--body-timeout` (a slow or stalled client).
    #[error("request body timed out")]
    BodyTimeout,
    /// Passphrase lockout: v1 does not rescue it, so it is the generic error.
    #[error("locked out")]
    Locked,
    /// Anything else v1 does not rescue specifically (generic message).
    #[error("unexpected")]
    Unexpected,
    /// The region proxy could not reach its upstream.
    #[error("upstream unavailable")]
    Upstream,
    /// The region's upstream did not answer within `--region-timeout`.
    #[error("upstream timed out")]
    UpstreamTimeout,
    /// An unrouted path: Otto's router answer, with key `error`.
    #[error("route not found")]
    RouteNotFound,
    /// A storage, crypto or other internal failure (logged, never shown).
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    /// Shorthand for an internal error from anything displayable.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    /// What kind of failure this is (for metrics).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::UnknownSecret { .. } => ErrorKind::Unknown,
            ApiError::NotFound | ApiError::RouteNotFound => ErrorKind::NotFound,
            ApiError::NotAuthorized => ErrorKind::NotAuthorized,
            ApiError::Form(_) | ApiError::TooLarge | ApiError::BodyTimeout => ErrorKind::Invalid,
            ApiError::RateLimited => ErrorKind::RateLimited,
            ApiError::Locked => ErrorKind::Locked,
            ApiError::Upstream => ErrorKind::Upstream,
            ApiError::UpstreamTimeout => ErrorKind::UpstreamTimeout,
            ApiError::Unexpected | ApiError::Internal(_) => ErrorKind::Error,
        }
    }
}

/// The kind of an [`ApiError`], left on its response (an extension) for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Unknown, consumed or expired secret, or a wrong passphrase on reveal.
    Unknown,
    /// Unusable key or unrouted path.
    NotFound,
    /// Bad credentials.
    NotAuthorized,
    /// Validation, body too large or too slow.
    Invalid,
    /// A per-IP limit.
    RateLimited,
    /// Wrong passphrases locked the secret.
    Locked,
    /// Region upstream unreachable.
    Upstream,
    /// Region upstream too slow.
    UpstreamTimeout,
    /// Internal failure.
    Error,
}

impl ErrorKind {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unknown => "unknown",
            ErrorKind::NotFound => "not_found",
            ErrorKind::NotAuthorized => "not_authorized",
            ErrorKind::Invalid => "invalid",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Locked => "locked",
            ErrorKind::Upstream => "upstream_unavailable",
            ErrorKind::UpstreamTimeout => "upstream_timeout",
            ErrorKind::Error => "error",
        }
    }
}

/// A JSON response with the v1 content type.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut res = (status, bytes).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            res
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = self.kind();
        let (body, intended): (serde_json::Value, Option<&'static str>) = match &self {
            ApiError::UnknownSecret { key } => (
                serde_json::json!({"secret_key": key, "message": "Unknown secret"}),
                None,
            ),
            ApiError::NotFound => (serde_json::json!({"message": "Not Found"}), None),
            ApiError::NotAuthorized => (
                serde_json::json!({"message": "Not authorized"}),
                Some("401"),
            ),
            ApiError::Form(msg) => (serde_json::json!({"message": msg}), Some("400")),
            ApiError::RateLimited => (
                serde_json::json!({"message": "Rate limit exceeded. Please try again later."}),
                Some("400"),
            ),
            ApiError::TooLarge => (
                serde_json::json!({"message": "Request body too large"}),
                Some("413"),
            ),
            ApiError::BodyTimeout => (
                serde_json::json!({"message": "Request timeout"}),
                Some("408"),
            ),
            ApiError::Locked | ApiError::Unexpected => {
                (serde_json::json!({"message": UNEXPECTED}), Some("400"))
            }
            ApiError::Upstream => (
                serde_json::json!({"message": "The upstream region is unavailable. Please try again later."}),
                Some("502"),
            ),
            ApiError::UpstreamTimeout => (
                serde_json::json!({"message": "The upstream region did not answer in time. Please try again later."}),
                Some("504"),
            ),
            ApiError::RouteNotFound => (serde_json::json!({"error": "Not Found"}), None),
            ApiError::Internal(detail) => {
                // The detail never contains secrets: it comes from storage/crypto errors.
                tracing::error!(error = %detail, "internal error");
                (serde_json::json!({"message": UNEXPECTED}), Some("400"))
            }
        };
        let mut res = json_response(StatusCode::NOT_FOUND, &body);
        res.extensions_mut().insert(kind);
        if let Some(s) = intended {
            res.headers_mut()
                .insert(INTENDED_STATUS, HeaderValue::from_static(s));
        }
        res
    }
}
