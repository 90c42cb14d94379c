//! `ots-server`: parse the configuration, open the store, serve.

use std::io::Read as _;
use std::sync::Arc;

use clap::Parser as _;
use ots_server::auth::Accounts;
use ots_server::config::{Cli, Command, Config};
use ots_server::crypto::{MasterKey, PassphraseCost, hash_token};
use ots_server::store::Store;
use ots_server::store::embedded::{EmbeddedStore, Options};
use ots_server::store::redis::RedisStore;
use ots_server::{AppState, app};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::HashToken { token }) => {
            let token = match token {
                Some(t) => t,
                None => {
                    let mut s = String::new();
                    if std::io::stdin().read_to_string(&mut s).is_err() {
                        eprintln!("error: cannot read the token from stdin");
                        return std::process::ExitCode::FAILURE;
                    }
                    s.trim().to_owned()
                }
            };
            println!("{}", hash_token(&token));
            std::process::ExitCode::SUCCESS
        }
        Some(Command::NewToken) => match ots_server::crypto::new_key() {
            Ok(token) => {
                println!("token        = {token}");
                println!("token_sha256 = {}", hash_token(&token));
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        None => {
            let config = match Config::load(cli.serve) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            init_logging(&config);
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: cannot start the runtime: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            match rt.block_on(serve(config)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("error: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_env("OTS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let master = match &config.master_key {
        Some(hex) => MasterKey::from_hex(hex).ok_or("master key must be 64 hex characters")?,
        None => MasterKey::load_or_create(&config.master_key_file)
            .map_err(|e| format!("master key file {}: {e}", config.master_key_file.display()))?,
    };
    let accounts = match &config.accounts {
        Some(path) => Accounts::load(path).map_err(|e| e.to_string())?,
        None => Accounts::default(),
    };
    let sentinel = !config.redis_sentinel.is_empty();
    let store: Arc<dyn Store> = match &config.redis {
        _ if sentinel => {
            // The database number from --redis, if given (redis://host:port/<db>).
            let db = config
                .redis
                .as_deref()
                .and_then(|u| u.rsplit_once('/'))
                .and_then(|(_, db)| db.parse().ok())
                .unwrap_or(0);
            let store = RedisStore::connect_sentinel(
                &config.redis_sentinel,
                &config.redis_sentinel_master,
                db,
                &config.redis_prefix,
            )
            .await
            .map_err(|e| format!("redis sentinel: {e}"))?;
            Arc::new(store.wait_for_replicas(config.redis_wait_replicas))
        }
        Some(url) => Arc::new(
            RedisStore::connect(url, &config.redis_prefix)
                .await
                .map_err(|e| format!("redis: {e}"))?
                .wait_for_replicas(config.redis_wait_replicas),
        ),
        None => {
            let old = config.data_dir.join("ots.redb");
            if old.exists() {
                tracing::warn!(
                    file = %old.display(),
                    "found a database of the former redb store: it is no longer read; \
                     secrets stored in it are not available"
                );
            }
            let options = Options {
                fsync: config.fsync,
                ..Options::default()
            };
            Arc::new(
                EmbeddedStore::open_with(&config.data_dir.join("ots-log"), options)
                    .map_err(|e| format!("embedded store: {e}"))?,
            )
        }
    };
    store
        .bind_master_key(master.id())
        .await
        .map_err(|e| format!("{} store: {e}", store.name()))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        store = store.name(),
        master_key_id = %ots_server::crypto::hex(&master.id()),
        accounts = accounts.len(),
        regions = config.regions.len(),
        app = ots_server::web::has_index(&config.dist),
        "starting"
    );
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?,
        ),
        None => None,
    };
    let state = AppState::new(config, store, accounts, master, PassphraseCost::default())
        .map_err(|e| e.to_string())?;
    if let Some(listener) = metrics_listener {
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("Metrics on http://{addr}/metrics");
        tokio::spawn(ots_server::metrics::serve(listener, state.clone()));
    }
    state.spawn_sweeper();
    println!("Serving on http://{addr}/");
    let limits = ots_server::serve::ConnLimits {
        header_timeout: state.config.header_timeout,
        max_connections: state.config.max_connections,
    };
    let shutdown = ots_server::health::shutdown_signal(state.clone());
    ots_server::serve::serve(listener, app(state), limits, shutdown).await;
    tracing::info!("stopped");
    Ok(())
}
