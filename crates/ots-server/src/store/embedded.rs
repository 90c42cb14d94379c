//! The embedded backend: redb, one file, data survives restarts.
//!
//! All writes go through one writer thread that applies every queued operation in a
//! single write transaction (group commit). redb serializes write transactions, which
//! makes [`Store::claim`] atomic. Reads use MVCC read transactions on the blocking pool.
//!
//! Durability comes from a write-ahead log, because a durable redb commit costs far
//! more than one fsync: each batch is committed to redb without sync, its effects are
//! appended to `<db>.wal` by a second thread that `fdatasync`s them, and only then are
//! the callers answered. So an acknowledged create or reveal survives a crash, while
//! applying batch n+1 overlaps the sync of batch n. Every few seconds a durable redb
//! commit (a checkpoint) bumps an epoch stored in the database; log frames carry the
//! epoch they were written in, and recovery replays only frames of the current epoch
//! (older ones are already in the checkpoint), then checkpoints again.
//!
//! Frame: `le32(len) || le64(epoch) || SHA-256(payload)[..8] || payload`; the payload is
//! a list of records (`put` and `claim` effects, see [`WalRecord`]).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableTable, ReadableTableMetadata as _, TableDefinition};
use sha2::{Digest as _, Sha256};
use tokio::sync::oneshot;

use super::{BoxFut, Claim, Outcome, ReceiptRecord, SecretRecord, Store, StoreError};

const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");
const RECEIPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("receipts");
/// `(expires_at, "s"|"r" + key)`: what to sweep, in expiry order.
const EXPIRY: TableDefinition<(u64, &str), ()> = TableDefinition::new("expiry");
/// `(custid, created, metadata_key)`: an account's receipts, for `recent`.
const RECENT: TableDefinition<(&str, u64, &str), ()> = TableDefinition::new("recent");

/// `"wal_epoch"` → the epoch of the last checkpoint.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// How often the writer makes a durable redb commit, so the log stays short.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(10);
/// Or sooner, once the log holds this much.
const CHECKPOINT_BYTES: u64 = 32 * 1024 * 1024;

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

fn wal_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".wal");
    PathBuf::from(p)
}

impl RedbStore {
    /// Opens (or creates) the database file at `path`, replays its log, and starts the
    /// writer and log threads.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(StoreError::backend)?;
        }
        // A small page cache keeps RSS low; records are small and short-lived.
        let db = Database::builder()
            .set_cache_size(32 * 1024 * 1024)
            .create(path)
            .map_err(StoreError::backend)?;
        let txn = db.begin_write().map_err(StoreError::backend)?;
        {
            txn.open_table(SECRETS).map_err(StoreError::backend)?;
            txn.open_table(RECEIPTS).map_err(StoreError::backend)?;
            txn.open_table(EXPIRY).map_err(StoreError::backend)?;
            txn.open_table(RECENT).map_err(StoreError::backend)?;
            txn.open_table(META).map_err(StoreError::backend)?;
        }
        txn.commit().map_err(StoreError::backend)?;
        let wal_file = wal_path(path);
        let epoch = recover(&db, &wal_file)?;
        let wal = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&wal_file)
            .map_err(StoreError::backend)?;
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel();
        let (wal_tx, wal_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("redb-wal".into())
            .spawn(move || wal_loop(wal, &wal_rx))
            .map_err(StoreError::backend)?;
        let wdb = db.clone();
        std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || writer_loop(&wdb, &rx, &wal_tx, epoch))
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

/// A batch's log payload and the answers that wait for it to be synced.
enum WalMsg {
    Frame {
        epoch: u64,
        payload: Vec<u8>,
        done: Vec<Done>,
    },
    /// Everything before this is in a durable checkpoint: start the log afresh.
    Rotate,
}

fn send_done(done: Vec<Done>, err: Option<&str>) {
    let fail = |m: &str| StoreError::Backend(m.to_owned());
    for d in done {
        // A dropped receiver (client gone) is fine to ignore.
        let _ = match (d, err) {
            (Done::Put(r), None) => r.send(Ok(())).map_err(|_| ()),
            (Done::Claim(r, c), None) => r.send(Ok(c)).map_err(|_| ()),
            (Done::Sweep(r, n), None) => r.send(Ok(n)).map_err(|_| ()),
            (Done::Put(r), Some(m)) => r.send(Err(fail(m))).map_err(|_| ()),
            (Done::Claim(r, _), Some(m)) => r.send(Err(fail(m))).map_err(|_| ()),
            (Done::Sweep(r, _), Some(m)) => r.send(Err(fail(m))).map_err(|_| ()),
        };
    }
}

fn fail_ops(ops: Vec<Op>, msg: &str) {
    let fail = || StoreError::Backend(msg.to_owned());
    for op in ops {
        let _ = match op {
            Op::Put { reply, .. } => reply.send(Err(fail())).map_err(|_| ()),
            Op::Claim { reply, .. } => reply.send(Err(fail())).map_err(|_| ()),
            Op::Sweep { reply, .. } => reply.send(Err(fail())).map_err(|_| ()),
        };
    }
}

fn writer_loop(db: &Database, rx: &mpsc::Receiver<Op>, wal: &mpsc::Sender<WalMsg>, mut epoch: u64) {
    let mut batch = Vec::with_capacity(64);
    let mut last_checkpoint = Instant::now();
    let mut logged: u64 = 0;
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let ops = batch.len();
        let mut done = Vec::with_capacity(ops);
        let mut payload = Vec::new();
        let result = apply_batch(db, &mut batch, &mut done, &mut payload);
        tracing::trace!(
            ops,
            micros = started.elapsed().as_micros() as u64,
            "redb batch"
        );
        match result {
            Ok(()) => {
                logged += payload.len() as u64;
                if wal
                    .send(WalMsg::Frame {
                        epoch,
                        payload,
                        done,
                    })
                    .is_err()
                {
                    tracing::error!("redb log thread stopped");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "redb batch failed");
                let msg = e.to_string();
                send_done(done, Some(&msg));
                fail_ops(std::mem::take(&mut batch), &msg);
            }
        }
        batch.clear();
        if logged > 0
            && (logged >= CHECKPOINT_BYTES || last_checkpoint.elapsed() >= CHECKPOINT_EVERY)
        {
            match checkpoint(db, epoch + 1) {
                Ok(()) => {
                    epoch += 1;
                    logged = 0;
                    let _ = wal.send(WalMsg::Rotate);
                }
                Err(e) => tracing::error!(error = %e, "redb checkpoint failed"),
            }
            last_checkpoint = Instant::now();
        }
    }
}

/// A durable commit that also records the new log epoch.
fn checkpoint(db: &Database, epoch: u64) -> Result<(), StoreError> {
    let started = Instant::now();
    let txn = db.begin_write().map_err(StoreError::backend)?;
    txn.open_table(META)
        .map_err(StoreError::backend)?
        .insert("wal_epoch", epoch)
        .map_err(StoreError::backend)?;
    txn.commit().map_err(StoreError::backend)?;
    tracing::debug!(
        epoch,
        micros = started.elapsed().as_micros() as u64,
        "redb checkpoint"
    );
    Ok(())
}

/// Appends frames and syncs them, several batches per `fdatasync` when they queue up.
fn wal_loop(mut file: std::fs::File, rx: &mpsc::Receiver<WalMsg>) {
    let mut pending: Vec<Vec<Done>> = Vec::new();
    let mut buf = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        let mut rotate = false;
        while let Some(msg) = next.take() {
            match msg {
                WalMsg::Frame {
                    epoch,
                    payload,
                    done,
                } => {
                    if !payload.is_empty() {
                        let sum = Sha256::digest(&payload);
                        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
                        buf.extend_from_slice(&epoch.to_le_bytes());
                        buf.extend_from_slice(&sum[..8]);
                        buf.extend_from_slice(&payload);
                    }
                    pending.push(done);
                }
                WalMsg::Rotate => {
                    rotate = true;
                    break;
                }
            }
            next = rx.try_recv().ok();
        }
        let result = if buf.is_empty() {
            Ok(())
        } else {
            file.write_all(&buf).and_then(|()| file.sync_data())
        };
        buf.clear();
        let err = result.as_ref().err().map(ToString::to_string);
        if let Some(e) = &err {
            tracing::error!(error = %e, "redb log write failed");
        }
        for done in pending.drain(..) {
            send_done(done, err.as_deref());
        }
        if rotate {
            // Frames before this point are in the checkpoint; newer ones carry a newer
            // epoch, so a truncation that does not reach the disk is harmless.
            if let Err(e) = file.set_len(0).and_then(|()| {
                use std::io::Seek as _;
                file.seek(std::io::SeekFrom::Start(0)).map(|_| ())
            }) {
                tracing::error!(error = %e, "redb log truncate failed");
            }
        }
    }
}

/// One logged effect. Replaying a record is idempotent.
#[derive(Debug, PartialEq, Eq)]
enum WalRecord<'a> {
    /// A create: `1 || le16 len || secret_key || le32 len || secret || le64 expires || le32 len || receipt JSON`.
    Put {
        secret_key: &'a str,
        secret: &'a [u8],
        secret_expires: u64,
        receipt: &'a [u8],
    },
    /// A won claim: `2 || le16 len || secret_key || le16 len || metadata_key || le32 len || receipt JSON`.
    Claim {
        secret_key: &'a str,
        metadata_key: &'a str,
        receipt: &'a [u8],
    },
}

impl WalRecord<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        let short = |out: &mut Vec<u8>, b: &[u8]| {
            out.extend_from_slice(&(b.len().min(u16::MAX as usize) as u16).to_le_bytes());
            out.extend_from_slice(&b[..b.len().min(u16::MAX as usize)]);
        };
        let long = |out: &mut Vec<u8>, b: &[u8]| {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        };
        match self {
            WalRecord::Put {
                secret_key,
                secret,
                secret_expires,
                receipt,
            } => {
                out.push(1);
                short(out, secret_key.as_bytes());
                long(out, secret);
                out.extend_from_slice(&secret_expires.to_le_bytes());
                long(out, receipt);
            }
            WalRecord::Claim {
                secret_key,
                metadata_key,
                receipt,
            } => {
                out.push(2);
                short(out, secret_key.as_bytes());
                short(out, metadata_key.as_bytes());
                long(out, receipt);
            }
        }
    }

    fn read_all(mut b: &[u8]) -> Option<Vec<WalRecord<'_>>> {
        fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, rest) = (b.get(..n)?, b.get(n..)?);
            *b = rest;
            Some(head)
        }
        fn short<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
            let n = u16::from_le_bytes(take(b, 2)?.try_into().ok()?) as usize;
            take(b, n)
        }
        fn long<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
            let n = u32::from_le_bytes(take(b, 4)?.try_into().ok()?) as usize;
            take(b, n)
        }
        let mut out = Vec::new();
        while let Some((&tag, rest)) = b.split_first() {
            b = rest;
            match tag {
                1 => {
                    let secret_key = std::str::from_utf8(short(&mut b)?).ok()?;
                    let secret = long(&mut b)?;
                    let secret_expires = u64::from_le_bytes(take(&mut b, 8)?.try_into().ok()?);
                    let receipt = long(&mut b)?;
                    out.push(WalRecord::Put {
                        secret_key,
                        secret,
                        secret_expires,
                        receipt,
                    });
                }
                2 => {
                    let secret_key = std::str::from_utf8(short(&mut b)?).ok()?;
                    let metadata_key = std::str::from_utf8(short(&mut b)?).ok()?;
                    let receipt = long(&mut b)?;
                    out.push(WalRecord::Claim {
                        secret_key,
                        metadata_key,
                        receipt,
                    });
                }
                _ => return None,
            }
        }
        Some(out)
    }
}

/// Replays the log's frames of the current epoch, then checkpoints; returns the epoch
/// to write new frames with.
fn recover(db: &Database, wal: &Path) -> Result<u64, StoreError> {
    let epoch = {
        let txn = db.begin_read().map_err(StoreError::backend)?;
        let meta = txn.open_table(META).map_err(StoreError::backend)?;
        meta.get("wal_epoch")
            .map_err(StoreError::backend)?
            .map_or(0, |v| v.value())
    };
    let mut bytes = Vec::new();
    match std::fs::File::open(wal) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(StoreError::backend)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::backend(e)),
    }
    let mut frames = 0usize;
    let txn = db.begin_write().map_err(StoreError::backend)?;
    {
        let mut t = Tables::open(&txn)?;
        let mut at = 0usize;
        // Stops at the first torn or corrupt frame: nothing after it was acknowledged.
        while let Some(head) = bytes.get(at..at + 20) {
            let len =
                u32::from_le_bytes(head[..4].try_into().map_err(|_| StoreError::Corrupt)?) as usize;
            let frame_epoch =
                u64::from_le_bytes(head[4..12].try_into().map_err(|_| StoreError::Corrupt)?);
            let Some(payload) = bytes.get(at + 20..at + 20 + len) else {
                break;
            };
            if Sha256::digest(payload)[..8] != head[12..20] {
                break;
            }
            at += 20 + len;
            if frame_epoch != epoch {
                continue;
            }
            let Some(records) = WalRecord::read_all(payload) else {
                break;
            };
            for r in records {
                t.replay(&r)?;
            }
            frames += 1;
        }
    }
    txn.commit().map_err(StoreError::backend)?;
    if frames > 0 {
        tracing::info!(frames, "replayed the embedded store's log");
    }
    checkpoint(db, epoch + 1)?;
    Ok(epoch + 1)
}

/// The tables of one write transaction.
struct Tables<'t> {
    secrets: redb::Table<'t, &'static str, &'static [u8]>,
    receipts: redb::Table<'t, &'static str, &'static [u8]>,
    expiry: redb::Table<'t, (u64, &'static str), ()>,
    recent: redb::Table<'t, (&'static str, u64, &'static str), ()>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t redb::WriteTransaction) -> Result<Self, StoreError> {
        Ok(Tables {
            secrets: txn.open_table(SECRETS).map_err(StoreError::backend)?,
            receipts: txn.open_table(RECEIPTS).map_err(StoreError::backend)?,
            expiry: txn.open_table(EXPIRY).map_err(StoreError::backend)?,
            recent: txn.open_table(RECENT).map_err(StoreError::backend)?,
        })
    }

    fn put(
        &mut self,
        secret_key: &str,
        secret: &[u8],
        secret_expires: u64,
        receipt: &ReceiptRecord,
        rjson: &[u8],
    ) -> Result<(), StoreError> {
        let be = StoreError::backend;
        self.secrets.insert(secret_key, secret).map_err(be)?;
        self.receipts
            .insert(receipt.metadata_key.as_str(), rjson)
            .map_err(StoreError::backend)?;
        let sk = format!("s{secret_key}");
        let rk = format!("r{}", receipt.metadata_key);
        self.expiry
            .insert((secret_expires, sk.as_str()), ())
            .map_err(StoreError::backend)?;
        self.expiry
            .insert((receipt.expires_at, rk.as_str()), ())
            .map_err(StoreError::backend)?;
        if receipt.custid != "anon" {
            self.recent
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
        Ok(())
    }

    fn replay(&mut self, r: &WalRecord<'_>) -> Result<(), StoreError> {
        match r {
            WalRecord::Put {
                secret_key,
                secret,
                secret_expires,
                receipt,
            } => {
                let rec: ReceiptRecord =
                    serde_json::from_slice(receipt).map_err(|_| StoreError::Corrupt)?;
                self.put(secret_key, secret, *secret_expires, &rec, receipt)
            }
            WalRecord::Claim {
                secret_key,
                metadata_key,
                receipt,
            } => {
                self.secrets
                    .remove(*secret_key)
                    .map_err(StoreError::backend)?;
                if !receipt.is_empty() {
                    self.receipts
                        .insert(*metadata_key, *receipt)
                        .map_err(StoreError::backend)?;
                }
                Ok(())
            }
        }
    }
}

/// Applies a batch in one transaction, committed without sync (the log makes it
/// durable), and appends the batch's effects to `log`. On error nothing is committed;
/// the ops not yet applied stay in `batch`, the applied ones are in `done`.
fn apply_batch(
    db: &Database,
    batch: &mut Vec<Op>,
    done: &mut Vec<Done>,
    log: &mut Vec<u8>,
) -> Result<(), StoreError> {
    let mut txn = db.begin_write().map_err(StoreError::backend)?;
    txn.set_durability(Durability::None);
    let mut dirty = false;
    {
        let mut t = Tables::open(&txn)?;
        // On an early error, the ops left in the drain are dropped, and with them
        // their reply channels: those callers get an error too.
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
                    t.put(&secret_key, &secret, secret_expires, &receipt, &rjson)?;
                    WalRecord::Put {
                        secret_key: &secret_key,
                        secret: &secret,
                        secret_expires,
                        receipt: &rjson,
                    }
                    .write(log);
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
                    let rec = match t
                        .secrets
                        .get(secret_key.as_str())
                        .map_err(StoreError::backend)?
                    {
                        Some(v) => Some(SecretRecord::decode(v.value())?),
                        None => None,
                    };
                    let claim = match rec {
                        None => Claim::Missing,
                        Some(r) if r.expires_at <= now => {
                            // Not logged: an expired secret reads as missing anyway.
                            t.secrets
                                .remove(secret_key.as_str())
                                .map_err(StoreError::backend)?;
                            dirty = true;
                            Claim::Missing
                        }
                        Some(r) if !checked && r.passphrase.is_some() => {
                            Claim::NeedsPassphrase(r.passphrase.unwrap_or_default())
                        }
                        Some(r) => {
                            t.secrets
                                .remove(secret_key.as_str())
                                .map_err(StoreError::backend)?;
                            let updated = match t
                                .receipts
                                .get(r.metadata_key.as_str())
                                .map_err(StoreError::backend)?
                            {
                                Some(g) => {
                                    let mut receipt: ReceiptRecord =
                                        serde_json::from_slice(g.value())
                                            .map_err(|_| StoreError::Corrupt)?;
                                    receipt.mark(outcome, now);
                                    serde_json::to_vec(&receipt).map_err(StoreError::backend)?
                                }
                                None => Vec::new(),
                            };
                            if !updated.is_empty() {
                                t.receipts
                                    .insert(r.metadata_key.as_str(), updated.as_slice())
                                    .map_err(StoreError::backend)?;
                            }
                            WalRecord::Claim {
                                secret_key: &secret_key,
                                metadata_key: &r.metadata_key,
                                receipt: &updated,
                            }
                            .write(log);
                            dirty = true;
                            Claim::Won(r)
                        }
                    };
                    done.push(Done::Claim(reply, claim));
                }
                Op::Sweep { now, reply } => {
                    let removed = t.sweep(now)?;
                    dirty |= removed.1;
                    done.push(Done::Sweep(reply, removed.0));
                }
            }
        }
    }
    if dirty {
        txn.commit().map_err(StoreError::backend)?;
    } else {
        // Nothing changed (e.g. only failed claims).
        txn.abort().map_err(StoreError::backend)?;
    }
    Ok(())
}

impl Tables<'_> {
    /// Removes up to [`SWEEP_LIMIT`] expired records; returns (records removed, changed).
    fn sweep(&mut self, now: u64) -> Result<(usize, bool), StoreError> {
        let be = StoreError::backend;
        let mut due = Vec::new();
        for item in self
            .expiry
            .range((0u64, "")..(now.saturating_add(1), ""))
            .map_err(be)?
        {
            let (k, _) = item.map_err(be)?;
            let (at, name) = k.value();
            due.push((at, name.to_owned()));
            if due.len() >= SWEEP_LIMIT {
                break;
            }
        }
        let mut removed = 0;
        for (at, name) in &due {
            self.expiry.remove((*at, name.as_str())).map_err(be)?;
            if let Some(key) = name.strip_prefix('s') {
                if self.secrets.remove(key).map_err(be)?.is_some() {
                    removed += 1;
                }
            } else if let Some(key) = name.strip_prefix('r') {
                let old = self.receipts.remove(key).map_err(be)?;
                if let Some(g) = old {
                    removed += 1;
                    if let Ok(r) = serde_json::from_slice::<ReceiptRecord>(g.value()) {
                        drop(g);
                        self.recent
                            .remove((r.custid.as_str(), r.created, r.metadata_key.as_str()))
                            .map_err(be)?;
                    }
                }
            }
        }
        Ok((removed, !due.is_empty()))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::State;

    fn receipt(mkey: &str, skey: &str) -> ReceiptRecord {
        ReceiptRecord {
            metadata_key: mkey.into(),
            secret_key: skey.into(),
            custid: "anon".into(),
            state: State::New,
            ttl: 60,
            created: 1,
            updated: 1,
            received: None,
            burned: None,
            secret_expires_at: u64::MAX / 2,
            expires_at: u64::MAX / 2,
            recipients: vec![],
            passphrase_required: false,
            share_domain: String::new(),
        }
    }

    fn frame(epoch: u64, records: &[WalRecord<'_>]) -> Vec<u8> {
        let mut payload = Vec::new();
        for r in records {
            r.write(&mut payload);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&epoch.to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&payload)[..8]);
        out.extend_from_slice(&payload);
        out
    }

    #[test]
    fn wal_records_roundtrip() {
        let recs = [
            WalRecord::Put {
                secret_key: "s",
                secret: b"\x00\x01",
                secret_expires: 7,
                receipt: b"{}",
            },
            WalRecord::Claim {
                secret_key: "s",
                metadata_key: "m",
                receipt: b"",
            },
        ];
        let mut b = Vec::new();
        for r in &recs {
            r.write(&mut b);
        }
        assert_eq!(WalRecord::read_all(&b).expect("valid"), recs);
        assert!(WalRecord::read_all(&b[..b.len() - 1]).is_none());
    }

    #[test]
    fn recovery_replays_current_epoch_frames_up_to_a_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ots.redb");
        // A database whose last checkpoint is epoch 5.
        let db = Database::create(&path).expect("db");
        let txn = db.begin_write().expect("txn");
        Tables::open(&txn).expect("tables");
        txn.commit().expect("commit");
        checkpoint(&db, 5).expect("checkpoint");
        let secret = |m: &str| {
            SecretRecord {
                metadata_key: m.into(),
                expires_at: u64::MAX / 2,
                passphrase: None,
                ciphertext: vec![1, 2, 3],
            }
            .encode()
        };
        let (sa, sb, sc) = (secret("ma"), secret("mb"), secret("mc"));
        let (ra, rb, rc) = (
            serde_json::to_vec(&receipt("ma", "sa")).expect("json"),
            serde_json::to_vec(&receipt("mb", "sb")).expect("json"),
            serde_json::to_vec(&receipt("mc", "sc")).expect("json"),
        );
        let mut received = receipt("mb", "sb");
        received.mark(Outcome::Received, 2);
        let rb2 = serde_json::to_vec(&received).expect("json");
        let put = |k: &'static str, s: &'static [u8], r: &'static [u8]| WalRecord::Put {
            secret_key: k,
            secret: s,
            secret_expires: u64::MAX / 2,
            receipt: r,
        };
        let leak = |v: Vec<u8>| -> &'static [u8] { v.leak() };
        let (sa, sb, sc) = (leak(sa), leak(sb), leak(sc));
        let (ra, rb, rc, rb2) = (leak(ra), leak(rb), leak(rc), leak(rb2));
        let mut wal = frame(4, &[put("sa", sa, ra)]); // stale: already in the checkpoint
        wal.extend(frame(5, &[put("sb", sb, rb)]));
        wal.extend(frame(
            5,
            &[WalRecord::Claim {
                secret_key: "sb",
                metadata_key: "mb",
                receipt: rb2,
            }],
        ));
        let torn = frame(5, &[put("sc", sc, rc)]);
        wal.extend(&torn[..torn.len() - 3]);
        std::fs::write(wal_path(&path), &wal).expect("write wal");
        assert_eq!(recover(&db, &wal_path(&path)).expect("recover"), 6);
        let txn = db.begin_read().expect("read");
        let secrets = txn.open_table(SECRETS).expect("t");
        let receipts = txn.open_table(RECEIPTS).expect("t");
        assert!(secrets.get("sa").expect("get").is_none());
        assert!(secrets.get("sb").expect("get").is_none(), "claim replayed");
        assert!(
            secrets.get("sc").expect("get").is_none(),
            "torn frame ignored"
        );
        let r: ReceiptRecord =
            serde_json::from_slice(receipts.get("mb").expect("get").expect("some").value())
                .expect("json");
        assert_eq!(r.state, State::Received);
    }
}
