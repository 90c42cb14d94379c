//! Where `ots` talks to and as whom: the config file, the environment and the flags.
//!
//! Precedence, highest first: `--server`/`--region` flags, `OTS_SERVER`/`OTS_REGION`,
//! the config file's `server`/`region`. The account comes from `OTS_USER` and `OTS_TOKEN`,
//! else the config file; it is only ever sent to the server it belongs to.
//!
//! The config file is TOML, by default `~/.config/ots/config.toml` (or
//! `$XDG_CONFIG_HOME/ots/config.toml`; `--config` or `OTS_CONFIG` to choose another):
//!
//! ```toml
//! server = "https://secrets.example.com"   # or: region = "eu"
//! app_url = "https://secrets.example.com/" # where the web app that decrypts lives
//! user = "me@example.com"
//! token = "…"
//! ```
//!
//! Because it can hold an API token, it is written with mode 0600 and a file that other
//! users can read or write is refused.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ots_core::link::{self, Region, Server};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::{CliError, Result};

/// The config file's contents. Unknown keys are refused, so a typo is not silently
/// ignored.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Default server URL.
    pub server: Option<String>,
    /// Default hosted region (when no server is set).
    pub region: Option<String>,
    /// Where the web app lives, for the links `ots share` prints.
    pub app_url: Option<String>,
    /// Account email (or external id).
    pub user: Option<String>,
    /// API token.
    pub token: Option<Zeroizing<String>>,
}

impl fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileConfig")
            .field("server", &self.server)
            .field("region", &self.region)
            .field("app_url", &self.app_url)
            .field("user", &self.user)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The default config path: `$XDG_CONFIG_HOME/ots/config.toml`, else
/// `$HOME/.config/ots/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("ots").join("config.toml"))
}

/// Refuses a file that users other than its owner may read or write.
#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CliError::other_hint(
            format!(
                "refusing to use {}: other users can access it (mode {mode:03o}), and it may hold an API token",
                path.display()
            ),
            format!("run: chmod 600 {}", path.display()),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<()> {
    Ok(())
}

/// Reads the config file at `path`; a missing file is an empty config.
pub fn load(path: &Path) -> Result<FileConfig> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => {
            return Err(CliError::other(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    check_private(path, &meta)?;
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| CliError::other(format!("cannot read {}: {e}", path.display())))?,
    );
    toml::from_str(&text).map_err(|e| {
        CliError::other(format!(
            "invalid config file {}: {}",
            path.display(),
            e.message()
        ))
    })
}

/// Sets (`Some`) or removes (`None`) `values` in the config file at `path`, creating it
/// and its folder and keeping its other keys. The text goes to a new 0600 file beside
/// it, which is then renamed over it.
pub fn store(path: &Path, values: &[(&str, Option<&str>)]) -> Result<()> {
    let fail = |e: std::io::Error| CliError::other(format!("cannot write {}: {e}", path.display()));
    let mut table: toml::Table = match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            toml::from_str(&text).map_err(|e| {
                CliError::other(format!(
                    "invalid config file {}: {}",
                    path.display(),
                    e.message()
                ))
            })?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(fail(e)),
    };
    for (key, value) in values {
        match value {
            Some(v) => {
                table.insert((*key).to_owned(), toml::Value::String((*v).to_owned()));
            }
            None => {
                table.remove(*key);
            }
        }
    }
    let text = Zeroizing::new(toml::to_string(&table).map_err(|e| CliError::other(e.to_string()))?);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(fail)?;
    }
    let tmp = path.with_extension("toml.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = private_file(&tmp).map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(fail)
}

#[cfg(unix)]
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
pub(crate) fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
pub(crate) fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// The server `ots` calls: a hosted region or a custom URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The server as a link names it ([`Server::Region`] or [`Server::Custom`]).
    pub server: Server,
}

impl Target {
    /// A target from a URL the user typed: normalized by the core's link rules, and a
    /// region if it is a region's host.
    pub fn from_url(url: &str) -> Result<Self> {
        let server = Server::custom(url.trim()).map_err(|_| {
            CliError::usage_hint(
                format!("not a server URL: {url:?}"),
                "give an absolute http(s) URL such as https://secrets.example.com",
            )
        })?;
        let server = match &server {
            Server::Custom(base) => {
                Region::from_origin(base).map_or(server.clone(), Server::Region)
            }
            _ => server,
        };
        Ok(Self { server })
    }

    /// A hosted region.
    pub fn region(region: Region) -> Self {
        Self {
            server: Server::Region(region),
        }
    }

    /// The base URL; the API is under `<base>/api/v1`.
    pub fn base(&self) -> &str {
        // Targets are never `Server::Origin`, so the link origin is unused.
        self.server.base_url("")
    }

    /// Whether this is a hosted region.
    pub fn is_region(&self) -> bool {
        matches!(self.server, Server::Region(_))
    }
}

/// Parses a region name (`us`, `eu`, `ca`, `nz`, `uk`).
pub fn parse_region(name: &str) -> Result<Region> {
    name.trim().parse::<Region>().map_err(|_| {
        CliError::usage(format!(
            "unknown region {name:?}: use one of us, eu, ca, nz, uk"
        ))
    })
}

/// Account credentials for HTTP Basic authentication. `Debug` hides the token.
#[derive(Clone)]
pub struct Credentials {
    /// Email or external id.
    pub user: String,
    /// API token.
    pub token: Zeroizing<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("token", &"…")
            .finish()
    }
}

/// What the flags say, before the environment and the file are consulted.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--server`.
    pub server: Option<String>,
    /// `--region`.
    pub region: Option<Region>,
    /// `--app-url`.
    pub app_url: Option<String>,
    /// `--config`.
    pub config: Option<PathBuf>,
}

/// The resolved settings of one run.
#[derive(Debug)]
pub struct Settings {
    /// The server to call, if one is known.
    pub target: Option<Target>,
    /// The app URL chosen explicitly (flag, `OTS_APP_URL` or the file).
    pub app_url: Option<String>,
    /// The account, if configured; it belongs to [`Settings::target`].
    pub credentials: Option<Credentials>,
    /// The config file's path (whether or not it exists).
    pub config_path: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    /// Resolves flags, environment and config file. The file is read once, and only
    /// when it exists.
    pub fn resolve(flags: Overrides) -> Result<Self> {
        let config_path = flags
            .config
            .clone()
            .or_else(|| std::env::var_os("OTS_CONFIG").map(PathBuf::from))
            .or_else(default_path);
        let file = match &config_path {
            Some(path) => load(path)?,
            None => FileConfig::default(),
        };
        let target = if flags.server.is_some() && flags.region.is_some() {
            return Err(CliError::usage(
                "--server and --region both name a server: give only one",
            ));
        } else if let Some(url) = &flags.server {
            Some(Target::from_url(url)?)
        } else if let Some(region) = flags.region {
            Some(Target::region(region))
        } else if let Some(url) = env("OTS_SERVER") {
            Some(Target::from_url(&url)?)
        } else if let Some(name) = env("OTS_REGION") {
            Some(Target::region(parse_region(&name)?))
        } else if let Some(url) = &file.server {
            Some(Target::from_url(url)?)
        } else if let Some(name) = &file.region {
            Some(Target::region(parse_region(name)?))
        } else {
            None
        };
        let app_url = match flags
            .app_url
            .or_else(|| env("OTS_APP_URL"))
            .or(file.app_url)
        {
            Some(url) => {
                if link::origin(&url).is_none() {
                    return Err(CliError::usage(format!(
                        "not an app URL: {url:?} (give an absolute http(s) URL)"
                    )));
                }
                Some(url.trim().to_owned())
            }
            None => None,
        };
        let user = env("OTS_USER").or(file.user);
        let token = std::env::var("OTS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .map(Zeroizing::new)
            .or(file.token);
        let credentials = match (user, token) {
            (Some(user), Some(token)) => Some(Credentials {
                user,
                token: Zeroizing::new(token.trim().to_owned()),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(CliError::usage(
                    "an account user is set but no token: set OTS_TOKEN or `token` in the config file (ots login writes it)",
                ));
            }
            (None, Some(_)) => {
                return Err(CliError::usage(
                    "an API token is set but no user: set OTS_USER or `user` in the config file",
                ));
            }
        };
        Ok(Self {
            target,
            app_url,
            credentials,
            config_path,
        })
    }

    /// The server to call, or a usage error saying how to name one.
    pub fn require_target(&self) -> Result<&Target> {
        self.target.as_ref().ok_or_else(|| {
            CliError::usage_hint(
                "no server given",
                "pass --server URL or --region NAME, set OTS_SERVER, or run `ots login --server URL`",
            )
        })
    }

    /// The credentials to send to `base`: only those of the configured server.
    pub fn credentials_for(&self, base: &str) -> Option<&Credentials> {
        let own = self.target.as_ref()?.base();
        if own == base {
            self.credentials.as_ref()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_normalized_and_regions_recognized() {
        let t = Target::from_url("HTTP://127.0.0.1:8080/").expect("valid");
        assert_eq!(t.base(), "http://127.0.0.1:8080");
        assert!(!t.is_region());
        let eu = Target::from_url("https://eu.onetimesecret.com").expect("valid");
        assert_eq!(eu.server, Server::Region(Region::Eu));
        assert_eq!(eu.base(), "https://eu.onetimesecret.com");
        assert!(Target::from_url("ftp://x").is_err());
        assert!(Target::from_url("https://x.example/?q=1").is_err());
    }

    #[test]
    fn config_round_trips_and_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("config.toml");
        store(
            &path,
            &[
                ("server", Some("http://127.0.0.1:1")),
                ("user", Some("a@b.c")),
            ],
        )
        .expect("stores");
        store(&path, &[("token", Some("t0k")), ("region", None)]).expect("stores again");
        let cfg = load(&path).expect("loads");
        assert_eq!(cfg.server.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(cfg.user.as_deref(), Some("a@b.c"));
        assert_eq!(cfg.token.as_deref().map(String::as_str), Some("t0k"));
        assert!(!format!("{cfg:?}").contains("t0k"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let err = load(&path).expect_err("refused");
            assert!(err.to_string().contains("other users"), "{err}");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "servre = \"x\"\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        assert!(load(&path).is_err());
        assert!(load(&dir.path().join("missing.toml")).is_ok());
    }
}
