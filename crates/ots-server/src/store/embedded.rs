//! The embedded backend: redb, one file, data survives restarts.
//!
//! All writes go through one writer thread that applies every queued operation in a
//! single write transaction and commits once (group commit): a create is durable
//! before it is acknowledged, yet concurrent requests share one fsync. redb
//! serializes write transactions, which also makes [`Store::claim`] atomic.
//! Reads use MVCC read transactions on the blocking pool.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use redb::{Database, ReadableTable, ReadableTableMetadata as _, TableDefinition};
use tokio::sync::oneshot;

use super::{BoxFut, Claim, Outcome, ReceiptRecord, SecretRecord, Store, StoreError};

const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");
const RECEIPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("receipts");
/// `(expires_at, "s"|"r" + key)`: what to sweep, in expiry order.
const EXPIRY: TableDefinition<(u64, &str), ()> = TableDefinition::new("expiry");
/// `(custid, created, metadata_key)`: an account's receipts, for `recent`.
const RECENT: TableDefinition<(&str, u64, &str), ()> = TableDefinition::new("recent");

/// Most operations applied in one transaction (bounds a batch's latency).
const MAX_BATCH: usize = 512;
/// Most records one sweep removes (the next sweep takes the rest).
const SWEEP_LIMIT: usize = 2_000;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Op {
    Put {
        secret_key: String,
        secret: Vec<u8>,
        secret_expires: u64,
        receipt: Box<ReceiptRecord>,
        reply: Reply<()>,
    },
    Claim {
        secret_key: String,
        outcome: Outcome,
        checked: bool,
        now: u64,
        reply: Reply<Claim>,
    },
    Sweep {
        now: u64,
        reply: Reply<usize>,
    },
}

/// Results held until the batch commits, then sent.
enum Done {
    Put(Reply<()>),
    Claim(Reply<Claim>, Claim),
    Sweep(Reply<usize>, usize),
}

/// redb-backed [`Store`].
pub struct RedbStore {
    db: Arc<Database>,
    writer: mpsc::Sender<Op>,
}

impl RedbStore {
    /// Opens (or creates) the database file at `path` and starts the writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(StoreError::backend)?;
        }
        // A small page cache keeps RSS low; records are small and short-lived.
        let db = Database::builder()
            .set_cache_size(16 * 1024 * 1024)
            .create(path)
            .map_err(StoreError::backend)?;
        let txn = db.begin_write().map_err(StoreError::backend)?;
        {
            txn.open_table(SECRETS).map_err(StoreError::backend)?;
            txn.open_table(RECEIPTS).map_err(StoreError::backend)?;
            txn.open_table(EXPIRY).map_err(StoreError::backend)?;
            txn.open_table(RECENT).map_err(StoreError::backend)?;
        }
        txn.commit().map_err(StoreError::backend)?;
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel();
        let wdb = db.clone();
        std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || writer_loop(&wdb, &rx))
            .map_err(StoreError::backend)?;
        Ok(RedbStore { db, writer: tx })
    }

    async fn send<T>(&self, make: impl FnOnce(Reply<T>) -> Op) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(make(tx))
            .map_err(|_| StoreError::Backend("writer stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Backend("writer dropped reply".into()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(StoreError::backend)?;
            f(&txn)
        })
        .await
        .map_err(StoreError::backend)?
    }
}

fn writer_loop(db: &Database, rx: &mpsc::Receiver<Op>) {
    let mut batch = Vec::with_capacity(64);
    let mut done = Vec::with_capacity(64);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        match apply_batch(db, &mut batch, &mut done) {
            Ok(()) => {
                for d in done.drain(..) {
                    // A dropped receiver (client gone) is fine to ignore.
                    let _ = match d {
                        Done::Put(r) => r.send(Ok(())).map_err(|_| ()),
                        Done::Claim(r, c) => r.send(Ok(c)).map_err(|_| ()),
                        Done::Sweep(r, n) => r.send(Ok(n)).map_err(|_| ()),
                    };
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "redb batch failed");
                let msg = e.to_string();
                let fail = || StoreError::Backend(msg.clone());
                for d in done.drain(..) {
                    let _ = match d {
                        Done::Put(r) => r.send(Err(fail())).map_err(|_| ()),
                        Done::Claim(r, _) => r.send(Err(fail())).map_err(|_| ()),
                        Done::Sweep(r, _) => r.send(Err(fail())).map_err(|_| ()),
                    };
                }
                for op in batch.drain(..) {
                    let _ = match op {
                        Op::Put { reply, .. } => reply.send(Err(fail())).map_err(|_| ()),
                        Op::Claim { reply, .. } => reply.send(Err(fail())).map_err(|_| ()),
                        Op::Sweep { reply, .. } => reply.send(Err(fail())).map_err(|_| ()),
                    };
                }
            }
        }
        batch.clear();
    }
}

/// Applies a batch in one transaction. On error nothing is committed and the
/// not-yet-applied ops stay in `batch`, the applied ones in `done`.
fn apply_batch(db: &Database, batch: &mut Vec<Op>, done: &mut Vec<Done>) -> Result<(), StoreError> {
    let txn = db.begin_write().map_err(StoreError::backend)?;
    let mut dirty = false;
    {
        let mut secrets = txn.open_table(SECRETS).map_err(StoreError::backend)?;
        let mut receipts = txn.open_table(RECEIPTS).map_err(StoreError::backend)?;
        let mut expiry = txn.open_table(EXPIRY).map_err(StoreError::backend)?;
        let mut recent = txn.open_table(RECENT).map_err(StoreError::backend)?;
        for op in batch.drain(..) {
            match op {
                Op::Put {
                    secret_key,
                    secret,
                    secret_expires,
                    receipt,
                    reply,
                } => {
                    let rjson = serde_json::to_vec(&receipt).map_err(StoreError::backend)?;
                    secrets
                        .insert(secret_key.as_str(), secret.as_slice())
                        .map_err(StoreError::backend)?;
                    receipts
                        .insert(receipt.metadata_key.as_str(), rjson.as_slice())
                        .map_err(StoreError::backend)?;
                    let sk = format!("s{secret_key}");
                    let rk = format!("r{}", receipt.metadata_key);
                    expiry
                        .insert((secret_expires, sk.as_str()), ())
                        .map_err(StoreError::backend)?;
                    expiry
                        .insert((receipt.expires_at, rk.as_str()), ())
                        .map_err(StoreError::backend)?;
                    if receipt.custid != "anon" {
                        recent
                            .insert(
                                (
                                    receipt.custid.as_str(),
                                    receipt.created,
                                    receipt.metadata_key.as_str(),
                                ),
                                (),
                            )
                            .map_err(StoreError::backend)?;
                    }
                    dirty = true;
                    done.push(Done::Put(reply));
                }
                Op::Claim {
                    secret_key,
                    outcome,
                    checked,
                    now,
                    reply,
                } => {
                    let rec = match secrets
                        .get(secret_key.as_str())
                        .map_err(StoreError::backend)?
                    {
                        Some(v) => Some(SecretRecord::decode(v.value())?),
                        None => None,
                    };
                    let claim = match rec {
                        None => Claim::Missing,
                        Some(r) if r.expires_at <= now => {
                            secrets
                                .remove(secret_key.as_str())
                                .map_err(StoreError::backend)?;
                            dirty = true;
                            Claim::Missing
                        }
                        Some(r) if !checked && r.passphrase.is_some() => {
                            Claim::NeedsPassphrase(r.passphrase.unwrap_or_default())
                        }
                        Some(r) => {
                            secrets
                                .remove(secret_key.as_str())
                                .map_err(StoreError::backend)?;
                            let updated = match receipts
                                .get(r.metadata_key.as_str())
                                .map_err(StoreError::backend)?
                            {
                                Some(g) => {
                                    let mut receipt: ReceiptRecord =
                                        serde_json::from_slice(g.value())
                                            .map_err(|_| StoreError::Corrupt)?;
                                    receipt.mark(outcome, now);
                                    Some(
                                        serde_json::to_vec(&receipt)
                                            .map_err(StoreError::backend)?,
                                    )
                                }
                                None => None,
                            };
                            if let Some(json) = updated {
                                receipts
                                    .insert(r.metadata_key.as_str(), json.as_slice())
                                    .map_err(StoreError::backend)?;
                            }
                            dirty = true;
                            Claim::Won(r)
                        }
                    };
                    done.push(Done::Claim(reply, claim));
                }
                Op::Sweep { now, reply } => {
                    let mut due = Vec::new();
                    for item in expiry
                        .range((0u64, "")..(now.saturating_add(1), ""))
                        .map_err(StoreError::backend)?
                    {
                        let (k, _) = item.map_err(StoreError::backend)?;
                        let (at, name) = k.value();
                        due.push((at, name.to_owned()));
                        if due.len() >= SWEEP_LIMIT {
                            break;
                        }
                    }
                    let mut removed = 0;
                    for (at, name) in &due {
                        expiry
                            .remove((*at, name.as_str()))
                            .map_err(StoreError::backend)?;
                        if let Some(key) = name.strip_prefix('s') {
                            if secrets.remove(key).map_err(StoreError::backend)?.is_some() {
                                removed += 1;
                            }
                        } else if let Some(key) = name.strip_prefix('r') {
                            let old = receipts.remove(key).map_err(StoreError::backend)?;
                            if let Some(g) = old {
                                removed += 1;
                                if let Ok(r) = serde_json::from_slice::<ReceiptRecord>(g.value()) {
                                    drop(g);
                                    recent
                                        .remove((
                                            r.custid.as_str(),
                                            r.created,
                                            r.metadata_key.as_str(),
                                        ))
                                        .map_err(StoreError::backend)?;
                                }
                            }
                        }
                    }
                    dirty |= !due.is_empty();
                    done.push(Done::Sweep(reply, removed));
                }
            }
        }
    }
    if dirty {
        txn.commit().map_err(StoreError::backend)?;
    } else {
        // Nothing changed (e.g. only failed claims): skip the fsync.
        txn.abort().map_err(StoreError::backend)?;
    }
    Ok(())
}

impl Store for RedbStore {
    fn put<'a>(
        &'a self,
        secret_key: &'a str,
        secret: &'a SecretRecord,
        receipt: &'a ReceiptRecord,
    ) -> BoxFut<'a, ()> {
        let op = |reply| Op::Put {
            secret_key: secret_key.to_owned(),
            secret: secret.encode(),
            secret_expires: secret.expires_at,
            receipt: Box::new(receipt.clone()),
            reply,
        };
        Box::pin(self.send(op))
    }

    fn claim<'a>(
        &'a self,
        secret_key: &'a str,
        outcome: Outcome,
        passphrase_checked: bool,
        now: u64,
    ) -> BoxFut<'a, Claim> {
        Box::pin(self.send(move |reply| Op::Claim {
            secret_key: secret_key.to_owned(),
            outcome,
            checked: passphrase_checked,
            now,
            reply,
        }))
    }

    fn secret<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, Option<SecretRecord>> {
        let key = secret_key.to_owned();
        Box::pin(self.read(move |txn| {
            let t = txn.open_table(SECRETS).map_err(StoreError::backend)?;
            match t.get(key.as_str()).map_err(StoreError::backend)? {
                Some(v) => {
                    let r = SecretRecord::decode(v.value())?;
                    Ok((r.expires_at > now).then_some(r))
                }
                None => Ok(None),
            }
        }))
    }

    fn receipt<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, Option<ReceiptRecord>> {
        let key = metadata_key.to_owned();
        Box::pin(self.read(move |txn| {
            let t = txn.open_table(RECEIPTS).map_err(StoreError::backend)?;
            match t.get(key.as_str()).map_err(StoreError::backend)? {
                Some(v) => {
                    let r: ReceiptRecord =
                        serde_json::from_slice(v.value()).map_err(|_| StoreError::Corrupt)?;
                    Ok((r.expires_at > now).then_some(r))
                }
                None => Ok(None),
            }
        }))
    }

    fn recent<'a>(
        &'a self,
        custid: &'a str,
        since: u64,
        now: u64,
    ) -> BoxFut<'a, Vec<ReceiptRecord>> {
        let custid = custid.to_owned();
        Box::pin(self.read(move |txn| {
            let idx = txn.open_table(RECENT).map_err(StoreError::backend)?;
            let receipts = txn.open_table(RECEIPTS).map_err(StoreError::backend)?;
            let mut out = Vec::new();
            let range = idx
                .range((custid.as_str(), since, "")..(custid.as_str(), u64::MAX, ""))
                .map_err(StoreError::backend)?;
            for item in range.rev() {
                let (k, _) = item.map_err(StoreError::backend)?;
                let (_, _, mkey) = k.value();
                if let Some(v) = receipts.get(mkey).map_err(StoreError::backend)? {
                    let r: ReceiptRecord =
                        serde_json::from_slice(v.value()).map_err(|_| StoreError::Corrupt)?;
                    if r.expires_at > now {
                        out.push(r);
                    }
                }
            }
            Ok(out)
        }))
    }

    fn sweep(&self, now: u64) -> BoxFut<'_, usize> {
        Box::pin(self.send(move |reply| Op::Sweep { now, reply }))
    }

    fn name(&self) -> &'static str {
        "embedded"
    }
}

impl RedbStore {
    /// Number of stored secrets (tests and diagnostics).
    pub async fn count_secrets(&self) -> Result<u64, StoreError> {
        self.read(|txn| {
            txn.open_table(SECRETS)
                .map_err(StoreError::backend)?
                .len()
                .map_err(StoreError::backend)
        })
        .await
    }
}
