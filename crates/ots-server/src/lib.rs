//! `ots-server`: a faithful Onetime Secret API v1 server that also serves the app.
//!
//! - [`app`] builds the router: the v1 API ([`api`]), the region proxy ([`proxy`]),
//!   the app's files and links ([`web`]), all behind the security-header middleware.
//!   Handlers share an [`AppState`] ([`state`]).
//! - [`store`] holds secrets and receipts (embedded log or Redis); values are sealed with a
//!   per-secret key ([`crypto`]).
//! - `main.rs` only parses the configuration ([`config`]) and serves.

pub mod api;
pub mod auth;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod health;
pub mod mail;
pub mod metrics;
pub mod middleware;
pub mod params;
pub mod proxy;
pub mod ratelimit;
pub mod serve;
pub mod state;
pub mod store;
pub mod web;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{any, get, post};

pub use state::AppState;

/// The whole application: v1 API, region proxy, app files, security headers.
pub fn app(state: AppState) -> Router {
    let receipt_routes = |r: Router<AppState>, base: &str| {
        r.route(&format!("/api/v1/{base}/recent"), get(api::receipt_list))
            .route(
                &format!("/api/v1/{base}/{{key}}"),
                get(api::receipt_show).post(api::receipt_show),
            )
            .route(
                &format!("/api/v1/{base}/{{key}}/burn"),
                post(api::receipt_burn),
            )
    };
    let mut router = Router::new()
        .route("/api/v1/status", get(api::status_show))
        .route("/api/v1/authcheck", get(api::authcheck_show))
        .route("/api/v1/share", post(api::secret_create))
        .route("/api/v1/create", post(api::secret_create))
        .route("/api/v1/generate", post(api::secret_generate))
        .route("/api/v1/secret/{key}", post(api::secret_reveal));
    for base in ["receipt", "private", "metadata"] {
        router = receipt_routes(router, base);
    }
    let router = router
        .route("/region/{name}/api/v1/{*rest}", any(proxy::region_forward))
        .route("/", get(web::index_show))
        .route("/index.html", get(web::index_show))
        .route("/config.json", get(web::config_show))
        .route("/health", get(health::health_show))
        .route("/ready", get(health::ready_show))
        .route("/secret/{key}", get(web::secret_link))
        .route("/receipt/{key}", get(web::receipt_link))
        .route("/private/{key}", get(web::receipt_link))
        .fallback(web::static_show)
        .method_not_allowed_fallback(web::route_not_found)
        .layer(from_fn(middleware::v1_rejections))
        .layer(from_fn_with_state(state.clone(), web::security_headers))
        .layer(from_fn_with_state(
            state.clone(),
            health::close_while_draining,
        ))
        .layer(from_fn(middleware::log_request));
    // Only with --metrics-listen: no cost on the request path otherwise.
    let router = if state.metrics.is_some() {
        router.route_layer(from_fn_with_state(state.clone(), metrics::record))
    } else {
        router
    };
    router.with_state(state)
}
