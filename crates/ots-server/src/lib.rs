//! `ots-server`: a faithful Onetime Secret API v1 server that also serves the app.
//!
//! - [`app`] builds the router: the v1 API ([`api`]), the region proxy ([`proxy`]),
//!   the app's files and links ([`web`]), all behind the security-header middleware.
//! - [`store`] holds secrets and receipts (embedded log or Redis); values are sealed with a
//!   per-secret key ([`crypto`]).
//! - `main.rs` only parses the configuration ([`config`]) and serves.

pub mod api;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod error;
pub mod health;
pub mod mail;
pub mod metrics;
pub mod params;
pub mod proxy;
pub mod ratelimit;
pub mod serve;
pub mod store;
pub mod web;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};

use crate::auth::Accounts;
use crate::config::Config;
use crate::crypto::{MasterKey, PassphraseCost};
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use crate::web::WebAssets;

pub use ots_core::keys::{MIN_LEN as KEY_MIN_LEN, sanitize as sanitize_key, shortkey};

/// A new key from 320 bits of OS randomness: the same base36 form as
/// [`ots_core::keys::new_key`].
pub fn new_key() -> Result<String, crypto::CryptoError> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 40]);
    getrandom::fill(&mut bytes[..]).map_err(|_| crypto::CryptoError::Random)?;
    Ok(ots_core::keys::new_key(&bytes))
}

/// Wall clock in epoch seconds, with an offset tests can move.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// Seconds since the epoch (plus the test offset).
    pub fn now(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        real.saturating_add_signed(self.offset.load(Ordering::Relaxed))
    }

    /// Moves the clock forward (tests).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// Everything a handler needs, shared behind one `Arc`.
pub struct Shared {
    /// Resolved configuration.
    pub config: Config,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Accounts for Basic auth.
    pub accounts: Accounts,
    /// Master key for sealing values.
    pub master: MasterKey,
    /// Argon2id cost for passphrases.
    pub passphrase_cost: PassphraseCost,
    /// Bounds concurrent argon2 runs (each holds `m_kib` of memory) to the core count.
    pub argon2_slots: tokio::sync::Semaphore,
    /// Per-IP create limit.
    pub creates: RateLimiter,
    /// Per-IP reveal limit.
    pub reveals: RateLimiter,
    /// Clock.
    pub clock: Clock,
    /// Web assets and headers.
    pub web: WebAssets,
    /// Region proxy client (absent if TLS setup failed).
    pub proxy: Option<proxy::ProxyClient>,
    /// Recipient mailer, when SMTP is configured.
    pub mailer: Option<mail::Mailer>,
    /// Set on SIGTERM: `/ready` fails and answers close their connections.
    pub draining: AtomicBool,
    /// Prometheus metrics, with `--metrics-listen`.
    pub metrics: Option<metrics::Metrics>,
}

/// The router's state: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Startup errors besides configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// SMTP settings are invalid.
    #[error("mail: {0}")]
    Mail(#[from] mail::MailError),
}

impl AppState {
    /// Assembles the state. `passphrase_cost` is a parameter so tests can go fast.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        accounts: Accounts,
        master: MasterKey,
        passphrase_cost: PassphraseCost,
    ) -> Result<AppState, StateError> {
        let mailer = match &config.smtp_url {
            Some(url) => Some(mail::Mailer::new(url, &config.mail_from)?),
            None => None,
        };
        let proxy = match proxy::client() {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(error = %e, "region proxy disabled: TLS setup failed");
                None
            }
        };
        Ok(AppState(Arc::new(Shared {
            creates: RateLimiter::new(config.rate_limit_creates, config.rate_limit_window),
            reveals: RateLimiter::new(config.rate_limit_reveals, config.rate_limit_window),
            clock: Clock::default(),
            web: WebAssets::load(&config),
            proxy,
            mailer,
            draining: AtomicBool::new(false),
            metrics: config.metrics_listen.map(|_| metrics::Metrics::default()),
            config,
            store,
            accounts,
            master,
            passphrase_cost,
            argon2_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        })))
    }

    /// Starts the background sweeper (expired records, rate-limit tables).
    pub fn spawn_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(state.config.sweep_interval));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let now = state.clock.now();
                match state.store.sweep(now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(removed = n, "swept expired records"),
                    Err(e) => tracing::warn!(error = %e, "sweep failed"),
                }
                state.creates.prune(now);
                state.reveals.prune(now);
            }
        })
    }
}

/// The caller's IP: the socket peer, or the last `X-Forwarded-For` hop when trusted.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return Ok(ClientIp(ip));
        }
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(ClientIp(ip))
    }
}

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

async fn log_request(req: Request, next: Next) -> Response {
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
async fn v1_rejections(req: Request, next: Next) -> Response {
    use axum::response::IntoResponse as _;
    let api = req.uri().path().contains("/api/v1/");
    let res = next.run(req).await;
    let plain = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if api && plain && res.status().is_client_error() {
        return error::ApiError::NotFound.into_response();
    }
    res
}

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
        .layer(middleware::from_fn(v1_rejections))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            health::close_while_draining,
        ))
        .layer(middleware::from_fn(log_request));
    // Only with --metrics-listen: no cost on the request path otherwise.
    let router = if state.metrics.is_some() {
        router.route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
    } else {
        router
    };
    router.with_state(state)
}
