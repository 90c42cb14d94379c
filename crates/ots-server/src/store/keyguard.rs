//! One master key per store.
//!
//! A store keeps the fingerprint ([`KeyId`]) of the master key that seals its values. An
//! instance started with another key is refused ([`check`]), and a claim on a value sealed
//! under a key this instance does not hold fails without consuming it
//! ([`KeyGuard::admits`]): an instance that cannot decrypt a secret never destroys it.

use std::io::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use super::StoreError;
use crate::crypto::{KeyId, hex, sealed_key_id};

/// The master key a store was bound to ([`super::Store::bind_master_key`]).
#[derive(Debug, Default)]
pub struct KeyGuard(OnceLock<KeyId>);

impl KeyGuard {
    /// Remembers the key this instance seals with.
    pub fn bind(&self, id: KeyId) {
        let _ = self.0.set(id);
    }

    /// Whether this instance may take a value sealed as `sealed`: yes unless the value
    /// names another key. Values sealed before key ids existed (version 1) name none.
    pub fn admits(&self, sealed: &[u8]) -> bool {
        match (self.0.get(), sealed_key_id(sealed)) {
            (Some(ours), Some(theirs)) => *ours == theirs,
            _ => true,
        }
    }

    /// The bound key id in hex, `""` while unbound.
    pub fn hex(&self) -> String {
        self.0.get().map(|id| hex(id)).unwrap_or_default()
    }
}

/// Compares the fingerprint a store holds with this instance's key.
pub fn check(stored: &str, ours: KeyId) -> Result<(), StoreError> {
    if stored.trim() == hex(&ours) {
        return Ok(());
    }
    Err(StoreError::ForeignMasterKey {
        stored: stored.trim().to_owned(),
        ours: hex(&ours),
    })
}

/// The embedded store's fingerprint file: created with `id` when missing, else checked.
pub fn bind_file(path: &Path, id: KeyId) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Backend(format!("{}: {e}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(stored) => check(&stored, id),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let tmp = path.with_extension("tmp");
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            writeln!(f, "{}", hex(&id)).map_err(io)?;
            f.sync_all().map_err(io)?;
            std::fs::rename(&tmp, path).map_err(io)?;
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io)?;
            }
            Ok(())
        }
        Err(e) => Err(io(e)),
    }
}
