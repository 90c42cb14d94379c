//! Prometheus metrics (`--metrics-listen`, off by default), with `prometheus-client`.
//!
//! One middleware ([`record`]) sees every request once it is answered: its route
//! template (axum's `MatchedPath`, never the path itself, so never a key), its status and
//! the v1 error it ended in ([`crate::error::ErrorKind`]). From those it counts creates,
//! reveals and burns by outcome, rate-limit and lockout rejections, and region-proxy
//! errors, and times the request. Labels come from fixed sets of words: no label ever
//! carries a key, an IP address or a secret. Store gauges are read at each scrape.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::ErrorKind;
use crate::state::AppState;

type Labels = [(&'static str, &'static str); 1];
type RouteLabels = [(&'static str, String); 1];

/// The server's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    creates: Family<Labels, Counter>,
    reveals: Family<Labels, Counter>,
    burns: Family<Labels, Counter>,
    rate_limited: Family<Labels, Counter>,
    locked: Family<Labels, Counter>,
    region_errors: Family<Labels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    store: Mutex<HashMap<&'static str, Gauge>>,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms … ~4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut r = Registry::with_prefix("ots");
        let m = Metrics {
            creates: Family::default(),
            reveals: Family::default(),
            burns: Family::default(),
            rate_limited: Family::default(),
            locked: Family::default(),
            region_errors: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            store: Mutex::new(HashMap::new()),
            registry: Mutex::new(Registry::default()),
        };
        r.register(
            "creates",
            "Secret creates (share, create, generate) by outcome",
            m.creates.clone(),
        );
        r.register("reveals", "Secret reveals by outcome", m.reveals.clone());
        r.register("burns", "Secret burns by outcome", m.burns.clone());
        r.register(
            "rate_limited",
            "Requests refused by a per-IP limit, by limit",
            m.rate_limited.clone(),
        );
        r.register(
            "lockout_rejections",
            "Reveals and burns refused because wrong passphrases locked the secret",
            m.locked.clone(),
        );
        r.register(
            "region_proxy_errors",
            "Region proxy exchanges that failed, by kind",
            m.region_errors.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time from request to answer, by route template",
            m.latency.clone(),
        );
        *m.registry.lock().unwrap_or_else(|e| e.into_inner()) = r;
        m
    }
}

/// What a route template does, for the counters.
enum Route {
    /// A secret operation (`create`, `reveal`, `burn`), counted by outcome.
    Secret(&'static str),
    /// The region proxy, whose failures are counted.
    Region,
    /// Anything else: timed only.
    Other,
}

fn route_kind(template: &str) -> Route {
    match template {
        "/api/v1/share" | "/api/v1/create" | "/api/v1/generate" => Route::Secret("create"),
        "/api/v1/secret/{key}" => Route::Secret("reveal"),
        t if t.ends_with("/{key}/burn") => Route::Secret("burn"),
        t if t.starts_with("/region/") => Route::Region,
        _ => Route::Other,
    }
}

impl Metrics {
    fn count(&self, route: &str, status: StatusCode, kind: Option<ErrorKind>) {
        let op = match route_kind(route) {
            Route::Secret(op) => op,
            Route::Region => {
                if let Some(k @ (ErrorKind::Upstream | ErrorKind::UpstreamTimeout)) = kind {
                    self.region_errors
                        .get_or_create(&[("kind", k.as_str())])
                        .inc();
                }
                return;
            }
            Route::Other => return,
        };
        let outcome = if status.is_success() {
            "ok"
        } else {
            kind.map_or("other", ErrorKind::as_str)
        };
        let family = match op {
            "create" => &self.creates,
            "reveal" => &self.reveals,
            _ => &self.burns,
        };
        family.get_or_create(&[("outcome", outcome)]).inc();
        match kind {
            Some(ErrorKind::RateLimited) => {
                self.rate_limited.get_or_create(&[("operation", op)]).inc();
            }
            Some(ErrorKind::Locked) => {
                self.locked.get_or_create(&[("operation", op)]).inc();
            }
            _ => {}
        }
    }

    /// The text exposition, with the store's gauges read now.
    pub async fn render(&self, state: &AppState) -> String {
        let gauges = match state.store.gauges().await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: store gauges unavailable");
                Vec::new()
            }
        };
        let mut registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        let mut known = self.store.lock().unwrap_or_else(|e| e.into_inner());
        for (name, help, value) in gauges {
            let gauge = known.entry(name).or_insert_with(|| {
                let g = Gauge::default();
                registry.register(name, help, g.clone());
                g
            });
            gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &registry) {
            tracing::warn!(error = %e, "metrics: encoding failed");
        }
        out
    }
}

/// Middleware: counts and times each request (installed only with `--metrics-listen`).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(metrics) = state.metrics.as_ref() else {
        return next.run(req).await;
    };
    let start = Instant::now();
    // The template (`/api/v1/secret/{key}`), never the path: no key reaches a label.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", MatchedPath::as_str)
        .to_owned();
    let res = next.run(req).await;
    metrics.count(
        &route,
        res.status(),
        res.extensions().get::<ErrorKind>().copied(),
    );
    metrics
        .latency
        .get_or_create(&[("route", route)])
        .observe(start.elapsed().as_secs_f64());
    res
}

/// `GET /metrics` on the metrics listener.
pub async fn metrics_show(State(state): State<AppState>) -> Response {
    let Some(metrics) = state.metrics.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut res = metrics.render(&state).await.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    res
}

/// Serves `/metrics` (and nothing else) on its own listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) {
    let router = axum::Router::new()
        .route("/metrics", axum::routing::get(metrics_show))
        .with_state(state);
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!(error = %e, "metrics listener failed");
    }
}
