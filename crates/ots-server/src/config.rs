//! Configuration: flags, `OTS_*` environment variables and a TOML file.
//!
//! Precedence: flag > environment > file (`--config`) > built-in default. The file
//! uses the long flag names as keys (`data-dir = ".data"`, `region = ["eu"]`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ots_core::limits::{Limits, parse_duration};
use serde::Deserialize;

/// Hosted regions known by name (`--region eu`).
pub const REGION_PRESETS: &[&str] = &["us", "eu", "ca", "nz", "uk"];

/// A faithful Onetime Secret API v1 server that also serves the browser app.
#[derive(Debug, Parser)]
#[command(name = "ots-server", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server options.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Subcommands besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print hex(SHA-256(TOKEN)), the `token_sha256` of an accounts file entry.
    /// Reads the token from standard input when it is not given.
    HashToken {
        /// The API token (prefer stdin: arguments end up in shell history).
        token: Option<String>,
    },
    /// Generate a new random API token (256 bits, base36) and print it with its hash.
    NewToken,
}

fn duration(s: &str) -> Result<u64, String> {
    parse_duration(s).ok_or_else(|| format!("not a duration: {s:?} (try 60, 5m, 1h, 7d)"))
}

/// Options of `ots-server` (serve). Every one can also be set in the config file.
#[derive(Debug, Default, Clone, Args, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServeArgs {
    /// TOML config file; flags and environment variables override its values.
    #[arg(long, env = "OTS_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "OTS_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Public base URL used in links (`metadata_url`, emails) [default: http://<listen>].
    #[arg(long, env = "OTS_BASE_URL")]
    pub base_url: Option<String>,

    /// Directory of the built app (Trunk's output) [default: dist].
    #[arg(long, env = "OTS_DIST")]
    pub dist: Option<PathBuf>,

    /// Directory for the embedded database and the generated master key [default: .data].
    #[arg(long, env = "OTS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// When the embedded store fsyncs its log: `interval` (default; answers wait for the
    /// write(2), which survives a crash of the process, and an fdatasync follows within
    /// --fsync-interval-ms) or `always` (answers wait for the fdatasync; group commit).
    #[arg(long, env = "OTS_FSYNC")]
    pub fsync: Option<String>,

    /// Most milliseconds between a write and its fdatasync with `--fsync interval` [default: 100].
    #[arg(long, env = "OTS_FSYNC_INTERVAL_MS")]
    pub fsync_interval_ms: Option<u64>,

    /// Use Redis instead of the embedded store, e.g. redis://127.0.0.1:6379/0.
    #[arg(long, env = "OTS_REDIS")]
    pub redis: Option<String>,

    /// Prefix for every Redis key [default: ots:].
    #[arg(long, env = "OTS_REDIS_PREFIX")]
    pub redis_prefix: Option<String>,

    /// Redis Sentinel `host:port` to ask for the primary (repeatable); the server follows
    /// failovers. `--redis` then only gives the database number (its host is ignored).
    #[arg(
        long = "redis-sentinel",
        env = "OTS_REDIS_SENTINEL",
        value_delimiter = ','
    )]
    pub redis_sentinel: Vec<String>,

    /// Name of the primary the sentinels watch [default: mymaster].
    #[arg(long, env = "OTS_REDIS_SENTINEL_MASTER")]
    pub redis_sentinel_master: Option<String>,

    /// Answer a create only once this many replicas have it (Redis `WAIT`, 1 s at most,
    /// else the create fails); reveals and burns wait too [default: 0, off].
    #[arg(long, env = "OTS_REDIS_WAIT_REPLICAS")]
    pub redis_wait_replicas: Option<u32>,

    /// Accounts file (TOML `[[account]]` entries or JSON) with custid and token_sha256.
    #[arg(long, env = "OTS_ACCOUNTS")]
    pub accounts: Option<PathBuf>,

    /// Master key as 64 hex characters (prefer the key file or the environment).
    #[arg(long, env = "OTS_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,

    /// File holding the master key; created with mode 0600 if missing
    /// [default: <data-dir>/master.key].
    #[arg(long, env = "OTS_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,

    /// Smallest TTL (seconds or 5m, 1h, 7d) [default: 60].
    #[arg(long, env = "OTS_TTL_MIN", value_parser = duration)]
    pub ttl_min: Option<u64>,

    /// Largest TTL for anonymous callers [default: 7d].
    #[arg(long, env = "OTS_TTL_MAX_ANONYMOUS", value_parser = duration)]
    pub ttl_max_anonymous: Option<u64>,

    /// Largest TTL for accounts [default: 30d].
    #[arg(long, env = "OTS_TTL_MAX_ACCOUNT", value_parser = duration)]
    pub ttl_max_account: Option<u64>,

    /// TTL when a request gives none [default: 7d].
    #[arg(long, env = "OTS_TTL_DEFAULT", value_parser = duration)]
    pub ttl_default: Option<u64>,

    /// Largest secret in bytes [default: 10000].
    #[arg(long, env = "OTS_SECRET_MAX_BYTES")]
    pub secret_max_bytes: Option<usize>,

    /// Shortest passphrase in characters [default: 4].
    #[arg(long, env = "OTS_PASSPHRASE_MIN")]
    pub passphrase_min: Option<usize>,

    /// Longest passphrase in characters [default: 128].
    #[arg(long, env = "OTS_PASSPHRASE_MAX")]
    pub passphrase_max: Option<usize>,

    /// Anonymous creates per client IP per window; 0 disables [default: 1000].
    #[arg(long, env = "OTS_RATE_LIMIT_CREATES")]
    pub rate_limit_creates: Option<u32>,

    /// Anonymous reveals per client IP per window; 0 disables [default: 1000].
    #[arg(long, env = "OTS_RATE_LIMIT_REVEALS")]
    pub rate_limit_reveals: Option<u32>,

    /// Rate-limit window [default: 20m].
    #[arg(long, env = "OTS_RATE_LIMIT_WINDOW", value_parser = duration)]
    pub rate_limit_window: Option<u64>,

    /// Take the client IP from the last X-Forwarded-For entry (only behind a proxy you run).
    #[arg(long, env = "OTS_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: Option<bool>,

    /// Proxy a hosted region at /region/<name>/api/v1/*: `eu` (presets us, eu, ca,
    /// nz, uk → https://<name>.onetimesecret.com) or `name=http(s)://host`. Repeatable.
    #[arg(long = "region", env = "OTS_REGION", value_delimiter = ',')]
    pub region: Vec<String>,

    /// Origin allowed to embed the app in a frame (CSP frame-ancestors). Repeatable.
    #[arg(
        long = "frame-ancestor",
        env = "OTS_FRAME_ANCESTOR",
        value_delimiter = ','
    )]
    pub frame_ancestor: Vec<String>,

    /// Origin allowed to call the API cross-origin (CORS). Off unless given. Repeatable.
    #[arg(long = "cors-origin", env = "OTS_CORS_ORIGIN", value_delimiter = ',')]
    pub cors_origin: Vec<String>,

    /// Extra API origin the app may connect to (CSP connect-src). Repeatable.
    #[arg(long = "connect-src", env = "OTS_CONNECT_SRC", value_delimiter = ',')]
    pub connect_src: Vec<String>,

    /// SMTP server for recipient emails, e.g. smtp://127.0.0.1:2525 (plain, no TLS).
    #[arg(long, env = "OTS_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender address for recipient emails [default: noreply@localhost].
    #[arg(long, env = "OTS_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Seconds between background sweeps of expired records [default: 60].
    #[arg(long, env = "OTS_SWEEP_INTERVAL", value_parser = duration)]
    pub sweep_interval: Option<u64>,

    /// Log format: text or json [default: text].
    #[arg(long, env = "OTS_LOG_FORMAT")]
    pub log_format: Option<String>,

    /// Time a client has to send a request's headers; an idle keep-alive connection is
    /// closed after it too [default: 10s].
    #[arg(long, env = "OTS_HEADER_TIMEOUT", value_parser = duration)]
    pub header_timeout: Option<u64>,

    /// Time a client has to send a whole request body [default: 30s].
    #[arg(long, env = "OTS_BODY_TIMEOUT", value_parser = duration)]
    pub body_timeout: Option<u64>,

    /// Most open client connections; more wait in the listen backlog [default: 4096].
    #[arg(long, env = "OTS_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,

    /// Deadline for one exchange with a region's upstream, body included [default: 15s].
    #[arg(long, env = "OTS_REGION_TIMEOUT", value_parser = duration)]
    pub region_timeout: Option<u64>,

    /// After SIGTERM, how long to keep serving while /ready fails, before no longer
    /// accepting connections [default: 5s]; `0` stops at once.
    #[arg(long, env = "OTS_SHUTDOWN_GRACE", value_parser = duration)]
    pub shutdown_grace: Option<u64>,

    /// Address of a separate listener for Prometheus metrics (`GET /metrics`); off unless set.
    #[arg(long, env = "OTS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// Configuration errors (reported at startup).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The config file is invalid.
    #[error("invalid config file {0}: {1}")]
    Parse(PathBuf, String),
    /// A `--region` value is invalid.
    #[error("invalid region {0:?}: use a preset (us, eu, ca, nz, uk) or name=http(s)://host")]
    Region(String),
    /// Some other value is invalid.
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, String),
}

/// A proxied region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Path segment: `/region/<name>/api/v1/…`.
    pub name: String,
    /// Upstream base, without a trailing slash.
    pub url: String,
}

/// Resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Public base URL for links, without a trailing slash.
    pub base_url: String,
    /// Built app directory.
    pub dist: PathBuf,
    /// Data directory.
    pub data_dir: PathBuf,
    /// fsync policy of the embedded store.
    pub fsync: crate::store::embedded::Fsync,
    /// Redis URL, when Redis is the store.
    pub redis: Option<String>,
    /// Redis key prefix.
    pub redis_prefix: String,
    /// Sentinels to ask for the primary (empty: `redis` is the server).
    pub redis_sentinel: Vec<String>,
    /// The sentinels' name of the primary.
    pub redis_sentinel_master: String,
    /// Replicas a write waits for (0: none).
    pub redis_wait_replicas: u32,
    /// Accounts file.
    pub accounts: Option<PathBuf>,
    /// Master key (hex), if given directly.
    pub master_key: Option<String>,
    /// Master key file.
    pub master_key_file: PathBuf,
    /// Service limits.
    pub limits: Limits,
    /// Anonymous creates per IP per window (0 = off).
    pub rate_limit_creates: u32,
    /// Anonymous reveals per IP per window (0 = off).
    pub rate_limit_reveals: u32,
    /// Rate-limit window in seconds.
    pub rate_limit_window: u64,
    /// Whether to trust X-Forwarded-For.
    pub trust_forwarded_for: bool,
    /// Proxied regions.
    pub regions: Vec<Region>,
    /// CSP frame-ancestors.
    pub frame_ancestors: Vec<String>,
    /// CORS allow-list.
    pub cors_origins: Vec<String>,
    /// Extra CSP connect-src origins.
    pub connect_src: Vec<String>,
    /// SMTP URL.
    pub smtp_url: Option<String>,
    /// Sender address.
    pub mail_from: String,
    /// Sweep interval in seconds.
    pub sweep_interval: u64,
    /// `json` or `text`.
    pub log_format: String,
    /// Time allowed for a request's headers (and for an idle keep-alive connection).
    pub header_timeout: Duration,
    /// Time allowed for a whole request body.
    pub body_timeout: Duration,
    /// Most open client connections.
    pub max_connections: usize,
    /// Deadline for one upstream exchange of the region proxy.
    pub region_timeout: Duration,
    /// Serving time between SIGTERM and closing the listener.
    pub shutdown_grace: Duration,
    /// Listener of `/metrics`, if any.
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for Config {
    fn default() -> Self {
        Config::resolve(ServeArgs::default()).expect("defaults are valid")
    }
}

/// Parses one `--region` value.
pub fn parse_region(spec: &str) -> Result<Region, ConfigError> {
    let bad = || ConfigError::Region(spec.to_owned());
    let (name, url) = match spec.split_once('=') {
        Some((n, u)) => (n.trim(), u.trim().trim_end_matches('/').to_owned()),
        None if REGION_PRESETS.contains(&spec.trim()) => {
            let n = spec.trim();
            (n, format!("https://{n}.onetimesecret.com"))
        }
        None => return Err(bad()),
    };
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let url_ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url
            .parse::<axum::http::Uri>()
            .is_ok_and(|u| u.host().is_some());
    if !name_ok || !url_ok {
        return Err(bad());
    }
    Ok(Region {
        name: name.to_owned(),
        url,
    })
}

impl ServeArgs {
    /// Fills unset values from `file` (self wins).
    fn or(mut self, file: ServeArgs) -> ServeArgs {
        macro_rules! take {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = file.$f; } )* };
        }
        macro_rules! take_vec {
            ($($f:ident),*) => { $( if self.$f.is_empty() { self.$f = file.$f; } )* };
        }
        take!(
            listen,
            base_url,
            dist,
            data_dir,
            fsync,
            fsync_interval_ms,
            redis,
            redis_prefix,
            redis_sentinel_master,
            redis_wait_replicas,
            accounts,
            master_key,
            master_key_file,
            ttl_min,
            ttl_max_anonymous,
            ttl_max_account,
            ttl_default,
            secret_max_bytes,
            passphrase_min,
            passphrase_max,
            rate_limit_creates,
            rate_limit_reveals,
            rate_limit_window,
            trust_forwarded_for,
            smtp_url,
            mail_from,
            sweep_interval,
            log_format,
            header_timeout,
            body_timeout,
            max_connections,
            region_timeout,
            shutdown_grace,
            metrics_listen
        );
        take_vec!(
            region,
            frame_ancestor,
            cors_origin,
            connect_src,
            redis_sentinel
        );
        self
    }
}

impl Config {
    /// Reads the config file (if any) and resolves every value.
    pub fn load(args: ServeArgs) -> Result<Config, ConfigError> {
        let args = match &args.config {
            Some(path) => {
                let file = read_file(path)?;
                args.clone().or(file)
            }
            None => args,
        };
        Config::resolve(args)
    }

    /// Applies defaults to already merged args.
    pub fn resolve(a: ServeArgs) -> Result<Config, ConfigError> {
        let listen = a
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let base_url = a
            .base_url
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{listen}"));
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError::Invalid("base-url", base_url));
        }
        let data_dir = a.data_dir.unwrap_or_else(|| PathBuf::from(".data"));
        let d = Limits::default();
        let limits = Limits {
            ttl_min: a.ttl_min.unwrap_or(d.ttl_min),
            ttl_max_anonymous: a.ttl_max_anonymous.unwrap_or(d.ttl_max_anonymous),
            ttl_max_account: a.ttl_max_account.unwrap_or(d.ttl_max_account),
            ttl_default: a.ttl_default.unwrap_or(d.ttl_default),
            secret_max_bytes: a.secret_max_bytes.unwrap_or(d.secret_max_bytes),
            passphrase_min: a.passphrase_min.unwrap_or(d.passphrase_min),
            passphrase_max: a.passphrase_max.unwrap_or(d.passphrase_max),
            ..d
        };
        let regions = a
            .region
            .iter()
            .map(|s| parse_region(s))
            .collect::<Result<Vec<_>, _>>()?;
        let fsync = match (a.fsync.as_deref(), a.fsync_interval_ms) {
            (Some("always"), _) => crate::store::embedded::Fsync::Always,
            (None | Some("interval"), ms) => {
                let ms = ms.unwrap_or(100);
                if !(1..=60_000).contains(&ms) {
                    return Err(ConfigError::Invalid(
                        "fsync-interval-ms",
                        format!("{ms} (1 to 60000; for 0 use --fsync always)"),
                    ));
                }
                crate::store::embedded::Fsync::Interval(Duration::from_millis(ms))
            }
            (Some(other), _) => {
                return Err(ConfigError::Invalid(
                    "fsync",
                    format!("{other:?} (use always or interval)"),
                ));
            }
        };
        let log_format = a.log_format.unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            return Err(ConfigError::Invalid("log-format", log_format));
        }
        for o in a
            .frame_ancestor
            .iter()
            .chain(&a.cors_origin)
            .chain(&a.connect_src)
        {
            // Each value lands in a header: refuse anything that could break out of it.
            if o.is_empty()
                || o.bytes().any(|b| {
                    b.is_ascii_whitespace() || b == b';' || b == b',' || !b.is_ascii_graphic()
                })
            {
                return Err(ConfigError::Invalid("origin", o.clone()));
            }
        }
        let secs = |v: Option<u64>, default: u64| Duration::from_secs(v.unwrap_or(default).max(1));
        Ok(Config {
            listen,
            base_url,
            dist: a.dist.unwrap_or_else(|| PathBuf::from("dist")),
            master_key_file: a
                .master_key_file
                .unwrap_or_else(|| data_dir.join("master.key")),
            data_dir,
            fsync,
            redis: a.redis,
            redis_prefix: a.redis_prefix.unwrap_or_else(|| "ots:".into()),
            redis_sentinel: a.redis_sentinel,
            redis_sentinel_master: a.redis_sentinel_master.unwrap_or_else(|| "mymaster".into()),
            redis_wait_replicas: a.redis_wait_replicas.unwrap_or(0),
            accounts: a.accounts,
            master_key: a.master_key,
            limits,
            rate_limit_creates: a.rate_limit_creates.unwrap_or(1000),
            rate_limit_reveals: a.rate_limit_reveals.unwrap_or(1000),
            rate_limit_window: a.rate_limit_window.unwrap_or(20 * 60),
            trust_forwarded_for: a.trust_forwarded_for.unwrap_or(false),
            regions,
            frame_ancestors: a.frame_ancestor,
            cors_origins: a.cors_origin,
            connect_src: a.connect_src,
            smtp_url: a.smtp_url,
            mail_from: a.mail_from.unwrap_or_else(|| "noreply@localhost".into()),
            sweep_interval: a.sweep_interval.unwrap_or(60).max(1),
            log_format,
            header_timeout: secs(a.header_timeout, 10),
            body_timeout: secs(a.body_timeout, 30),
            max_connections: a.max_connections.unwrap_or(4096).max(1),
            region_timeout: secs(a.region_timeout, 15),
            shutdown_grace: Duration::from_secs(a.shutdown_grace.unwrap_or(5)),
            metrics_listen: a.metrics_listen,
        })
    }

    /// Largest request body accepted: a maximal secret, percent-encoded (×3), plus room
    /// for the other fields and multipart framing.
    pub fn body_limit(&self) -> usize {
        self.limits
            .secret_max_bytes
            .saturating_mul(3)
            .saturating_add(16 * 1024)
    }
}

fn read_file(path: &Path) -> Result<ServeArgs, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io(path.into(), e))?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse(path.into(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse() {
        assert_eq!(
            parse_region("eu").expect("preset"),
            Region {
                name: "eu".into(),
                url: "https://eu.onetimesecret.com".into()
            }
        );
        assert_eq!(
            parse_region("local=http://127.0.0.1:9000/")
                .expect("custom")
                .url,
            "http://127.0.0.1:9000"
        );
        for bad in [
            "mars",
            "x=ftp://a",
            "=http://a",
            "a b=http://x",
            "x=http://",
        ] {
            assert!(parse_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_values_yield_to_flags() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ots.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9999\"\ndata-dir = \"/tmp/x\"\nttl-min = 120\nregion = [\"eu\"]\n",
        )
        .expect("write");
        let cli = Cli::parse_from([
            "ots-server",
            "--config",
            path.to_str().expect("utf8"),
            "--ttl-min",
            "5m",
        ]);
        let c = Config::load(cli.serve).expect("valid");
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.limits.ttl_min, 300);
        assert_eq!(c.regions.len(), 1);
        assert_eq!(c.base_url, "http://127.0.0.1:9999");
    }

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.dist, PathBuf::from("dist"));
        assert_eq!(c.master_key_file, PathBuf::from(".data/master.key"));
        assert_eq!(c.limits, Limits::default());
        assert_eq!(
            c.fsync,
            crate::store::embedded::Fsync::Interval(std::time::Duration::from_millis(100))
        );
    }

    #[test]
    fn fsync_policy() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["ots-server"];
            argv.extend_from_slice(args);
            Config::load(Cli::parse_from(argv).serve)
        };
        assert_eq!(
            parse(&["--fsync", "always"]).expect("valid").fsync,
            crate::store::embedded::Fsync::Always
        );
        assert_eq!(
            parse(&["--fsync", "interval", "--fsync-interval-ms", "250"])
                .expect("valid")
                .fsync,
            crate::store::embedded::Fsync::Interval(std::time::Duration::from_millis(250))
        );
        assert!(parse(&["--fsync", "sometimes"]).is_err());
        assert!(parse(&["--fsync-interval-ms", "0"]).is_err());
    }

    #[test]
    fn unknown_file_keys_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ots.toml");
        std::fs::write(&path, "lisen = \"x\"\n").expect("write");
        assert!(read_file(&path).is_err());
    }
}
