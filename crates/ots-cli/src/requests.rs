//! This device's open requests: one file per request in `requests/` beside the config
//! file (`~/.config/ots/requests/<fingerprint>.json`), holding the private key that opens
//! its answers. Folder 0700, files 0600, written whole to a new file and renamed; a
//! request past its expiry is deleted when the folder is next read.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ots_core::request::{Fingerprint, RequestSecret};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::config;
use crate::error::{CliError, Result};

/// One request, as kept on disk.
#[derive(Serialize, Deserialize)]
pub struct Stored {
    /// The private key, base64url ([`RequestSecret::export`]).
    secret: Zeroizing<String>,
    /// The request link that was handed out.
    pub link: String,
    /// The note, if any.
    pub note: Option<String>,
    /// When it was made, in Unix seconds.
    pub created: u64,
    /// When it expires, in Unix seconds.
    pub expires: u64,
}

impl Stored {
    /// A request for `secret`.
    pub fn new(
        secret: &RequestSecret,
        link: String,
        note: Option<String>,
        created: u64,
        expires: u64,
    ) -> Self {
        Self {
            secret: secret.export(),
            link,
            note,
            created,
            expires,
        }
    }

    /// The private key, if the file holds a readable one.
    pub fn secret(&self) -> Option<RequestSecret> {
        RequestSecret::import(&self.secret).ok()
    }
}

/// The folder of this device's requests, beside the config file.
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store beside `config_path`; an error when there is no config folder at all.
    pub fn beside(config_path: Option<&Path>) -> Result<Self> {
        let parent = config_path
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
            .ok_or_else(|| {
                CliError::usage_hint(
                    "no config folder to keep the request's key in",
                    "set HOME or XDG_CONFIG_HOME, or pass --config FILE",
                )
            })?;
        Ok(Self {
            dir: parent.join("requests"),
        })
    }

    fn path(&self, fp: &Fingerprint) -> PathBuf {
        self.dir.join(format!("{}.json", fp.compact()))
    }

    /// Saves a request under its fingerprint, readable only by this user.
    pub fn save(&self, fp: &Fingerprint, request: &Stored) -> Result<()> {
        let path = self.path(fp);
        let fail =
            |e: std::io::Error| CliError::other(format!("cannot write {}: {e}", path.display()));
        config::create_private_dir(&self.dir).map_err(fail)?;
        let text = Zeroizing::new(
            serde_json::to_string_pretty(request).map_err(|e| CliError::other(e.to_string()))?,
        );
        let tmp = path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut file = config::private_file(&tmp).map_err(fail)?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        drop(file);
        std::fs::rename(&tmp, &path).map_err(fail)
    }

    /// The open request with this fingerprint; `None` if this device never made it, or
    /// it expired (and is then deleted) or was forgotten.
    pub fn find(&self, fp: &Fingerprint, now: u64) -> Result<Option<Stored>> {
        let path = self.path(fp);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => Zeroizing::new(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(CliError::other(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        let stored: Stored = serde_json::from_str(&text).map_err(|e| {
            CliError::other(format!("{} is not a request file: {e}", path.display()))
        })?;
        if stored.expires <= now {
            let _ = std::fs::remove_file(&path);
            return Ok(None);
        }
        Ok(Some(stored))
    }

    /// Every open request, oldest first; expired ones are deleted.
    pub fn list(&self, now: u64) -> Result<Vec<(Fingerprint, Stored)>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(CliError::other(format!(
                    "cannot read {}: {e}",
                    self.dir.display()
                )));
            }
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(fp) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<Fingerprint>().ok())
            else {
                continue;
            };
            if let Some(stored) = self.find(&fp, now)? {
                out.push((fp, stored));
            }
        }
        out.sort_by_key(|(_, s)| s.created);
        Ok(out)
    }

    /// Deletes a request's key; `false` if there was none.
    pub fn forget(&self, fp: &Fingerprint) -> Result<bool> {
        let path = self.path(fp);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(CliError::other(format!(
                "cannot delete {}: {e}",
                path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_private_found_by_fingerprint_and_dropped_when_expired() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store =
            Store::beside(Some(&dir.path().join("ots").join("config.toml"))).expect("store");
        let key = RequestSecret::from_bytes([4; 32]);
        let fp = key.public_key().fingerprint();
        store
            .save(&fp, &Stored::new(&key, "link".into(), None, 10, 100))
            .expect("saves");
        let found = store.find(&fp, 50).expect("reads").expect("open");
        assert_eq!(
            found.secret().map(|s| s.public_key()),
            Some(key.public_key())
        );
        assert_eq!(store.list(50).expect("lists").len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&store.path(&fp)), 0o600);
            assert_eq!(mode(&store.dir), 0o700);
        }
        let other = RequestSecret::from_bytes([5; 32])
            .public_key()
            .fingerprint();
        assert!(store.find(&other, 50).expect("reads").is_none());
        // Past its expiry, it is gone, file and all.
        assert!(store.find(&fp, 100).expect("reads").is_none());
        assert!(!store.path(&fp).exists());
        assert!(!store.forget(&fp).expect("forgets"));
    }
}
