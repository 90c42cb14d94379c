//! Liveness, readiness, and the drain before a shutdown.
//!
//! - `GET /health`: the process serves requests. Touches nothing, says nothing of data.
//! - `GET /ready`: the store answers (within [`READY_TIMEOUT`]) and the instance is not
//!   draining; else 503, so a balancer sends its traffic elsewhere.
//! - [`shutdown_signal`]: on SIGTERM the instance starts draining (readiness fails at
//!   once, answers carry `Connection: close`) and keeps serving for `--shutdown-grace`,
//!   so balancers notice before it stops accepting. SIGINT (Ctrl-C) or a second signal
//!   skips the grace.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::json_response;
use crate::state::AppState;

/// Longest wait for the store's answer in `/ready`.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health`.
pub async fn health_show() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

/// `GET /ready`.
pub async fn ready_show(State(state): State<AppState>) -> Response {
    let status = if state.draining.load(Ordering::Relaxed) {
        "draining"
    } else {
        match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
            Ok(Ok(())) => "ready",
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "not ready: the store failed");
                "store unavailable"
            }
            Err(_) => {
                tracing::warn!("not ready: the store did not answer in time");
                "store unavailable"
            }
        }
    };
    let code = if status == "ready" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(code, &serde_json::json!({"status": status}))
}

/// While draining, every answer closes its connection, so clients reconnect elsewhere.
pub async fn close_while_draining(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    if state.draining.load(Ordering::Relaxed) {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// Resolves when the server should stop accepting: on SIGINT at once; on SIGTERM after
/// `--shutdown-grace` (or a second signal). Either way readiness fails from the signal on.
pub async fn shutdown_signal(state: AppState) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for SIGTERM/SIGINT; serving until killed");
        return std::future::pending().await;
    };
    let graceful = tokio::select! {
        _ = term.recv() => true,
        _ = int.recv() => false,
    };
    state.draining.store(true, Ordering::Relaxed);
    let grace = state.config.shutdown_grace;
    if graceful && !grace.is_zero() {
        tracing::info!(
            grace_secs = grace.as_secs_f64(),
            "SIGTERM: draining, still serving"
        );
        tokio::select! {
            () = tokio::time::sleep(grace) => {}
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    tracing::info!("no longer accepting; finishing open requests");
}
