//! The router's state: everything a handler needs, shared behind one `Arc`, and the
//! background sweeper that keeps it tidy.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::auth::Accounts;
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::{MasterKey, PassphraseCost};
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use crate::web::WebAssets;
use crate::{mail, metrics, proxy};

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
