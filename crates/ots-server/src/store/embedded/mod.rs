//! The embedded backend: an append-only log replayed into memory.
//!
//! - **Memory** ([`index`]) holds every live secret and receipt (encoded: ~250 bytes per
//!   receipt plus each secret's ciphertext) behind one mutex. Every operation, including
//!   the atomic claim, is one short critical section on it, so of concurrent reveals and
//!   burns exactly one wins.
//! - **The log** (`<dir>/NNNNNNNN.log` segments, format in [`format`], writes and fsync
//!   in [`log`]) records every state change as a CRC-checked frame: a create is one frame
//!   (secret + receipt), a claim is one frame (secret deleted + receipt updated), sweeps
//!   append deletes.
//! - **Write, then apply, then answer.** Inside the critical section an operation builds
//!   its frame, appends it with `write(2)` (a few µs: it only reaches the page cache) and
//!   only then changes memory. So whatever a request can see is already in the kernel,
//!   and survives the death of the process (SIGKILL, panic, OOM kill); a failed or short
//!   write is cut off again and the operation fails with memory untouched. The mutex
//!   orders the log exactly like the changes.
//! - **fsync**: [`Fsync::Interval`] (default) fdatasyncs in a background thread at most
//!   every interval, bounding what a power failure can lose; with [`Fsync::Always`] every
//!   answer waits for an fdatasync covering its write, one fdatasync serving all writes
//!   made meanwhile (group commit).
//! - **Replay** ([`replay`]) at open reads the segments in order; a torn or corrupt frame
//!   (a crash mid-write) ends the last segment, which is truncated there. Expired records
//!   are dropped.
//! - **Compaction** ([`compact`]): the log moves to a new segment every `segment_bytes`.
//!   When the log is mostly garbage, a background thread takes the oldest segment,
//!   re-appends the records still live in it (in small batches), fsyncs, and deletes the
//!   file. Only the oldest segment is ever removed, so a delete record can never be
//!   dropped while an older put it cancels still exists.
//! - An fsync error stops the store (every later call fails) until a restart, whose replay
//!   brings back a consistent state: after a failed fsync nothing is known about the data.

mod compact;
mod format;
mod index;
mod log;
mod replay;

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

use self::format::{DEL_SECRET, FrameBuilder, MAGIC, PUT_RECEIPT, PUT_SECRET};
use self::index::{SHARDS, key_buf};
use self::log::{Files, Inner, Log, SyncWaiter, segment_name};
use super::keyguard::{self, KeyGuard};
use super::{BoxFut, Claim, Hit, Outcome, ReceiptRecord, SecretRecord, Store, StoreError};
use crate::crypto::KeyId;
use crate::ratelimit::Lockout;

/// When the log is fdatasynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before answering: writes made meanwhile share one fdatasync (group commit).
    Always,
    /// In the background, at most this long after a write. Answers wait only for the
    /// `write(2)`: safe against a crash of the process, not against a power failure.
    Interval(Duration),
}

impl Default for Fsync {
    fn default() -> Self {
        Fsync::Interval(Duration::from_millis(100))
    }
}

/// Tuning of the embedded store.
#[derive(Debug, Clone)]
pub struct Options {
    /// fsync policy.
    pub fsync: Fsync,
    /// A segment is closed and a new one started once it holds this many bytes.
    pub segment_bytes: u64,
    /// Compaction starts once the log is at least this big and at least half garbage.
    pub compact_min_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fsync: Fsync::default(),
            segment_bytes: 16 << 20,
            compact_min_bytes: 48 << 20,
        }
    }
}

/// Counters, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Live secrets in memory.
    pub secrets: usize,
    /// Live receipts in memory.
    pub receipts: usize,
    /// Segment files.
    pub segments: usize,
    /// Bytes in all segments.
    pub log_bytes: u64,
    /// Bytes of the records still live.
    pub live_bytes: u64,
}

/// Most records a sweep deletes per hold of the lock.
const SWEEP_BATCH: usize = 128;
/// Pause of a sweep or compaction after each batch that did something. The store's mutex
/// is not fair: without a pause, a maintenance loop takes the lock back before a woken
/// request thread gets to run, and requests can wait for the whole loop.
const PAUSE: Duration = Duration::from_millis(1);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("log: {e}"))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// The embedded [`Store`]: an append-only log replayed into memory (see the module docs).
pub struct EmbeddedStore {
    log: Arc<Log>,
    /// Wrong-passphrase counts: in memory, as one process owns the directory (a restart
    /// forgets them, as a Redis restart without persistence would).
    lockout: Lockout,
    /// The master key this store is bound to (fingerprint in `MASTER_KEY_ID`).
    key_guard: KeyGuard,
}

impl EmbeddedStore {
    /// Opens (or creates) the store in directory `dir` with default options.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, Options::default())
    }

    /// Opens (or creates) the store in `dir`: replays the log and starts the syncer and
    /// compactor threads. Fails if another process has the directory open.
    pub fn open_with(dir: &Path, opts: Options) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(io_err)?;
        let lock_file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))
            .map_err(io_err)?;
        match lock_file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Backend(format!(
                    "{} is in use by another ots-server",
                    dir.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let (mut maps, last) = replay::replay_dir(dir)?;
        let dir_dirty = last.is_none();
        let cur = match last {
            Some(seg) => seg,
            None => log::create_first_segment(dir, &mut maps)?,
        };
        let file = Arc::new(
            OpenOptions::new()
                .append(true)
                .open(dir.join(segment_name(cur)))
                .map_err(io_err)?,
        );
        let mut inner = Inner {
            maps,
            cur_seg: cur,
            file: file.clone(),
            segment_bytes: opts.segment_bytes.max(MAGIC.len() as u64 + 1),
            lsn: 0,
            failed: None,
            closing: false,
        };
        inner.maps.drop_expired(unix_now());
        tracing::info!(
            secrets = inner.maps.secrets.len(),
            receipts = inner.maps.receipts.len(),
            segments = inner.maps.segs.len(),
            "embedded store opened"
        );
        let fsync = opts.fsync;
        let log = Arc::new(Log {
            dir: dir.to_owned(),
            opts,
            inner: Mutex::new(inner),
            files: Mutex::new(Files {
                current: file,
                unsynced: Vec::new(),
                dir_dirty,
                waiters: Vec::new(),
            }),
            sync_cv: Condvar::new(),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            sync_lock: Mutex::new(()),
            compact_lock: Mutex::new(()),
            closing: AtomicBool::new(false),
            bg: Mutex::new(()),
            bg_cv: Condvar::new(),
            _lock: lock_file,
        });
        log.sync_files().map_err(io_err)?;
        let spawn = |name: &str, body: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(body)
                .map(drop)
                .map_err(io_err)
        };
        let syncer = log.clone();
        spawn(
            "ots-log-sync",
            Box::new(move || log::syncer_loop(&syncer, fsync)),
        )?;
        let compactor = log.clone();
        spawn(
            "ots-log-compact",
            Box::new(move || compact::compactor_loop(&compactor)),
        )?;
        Ok(EmbeddedStore {
            log,
            lockout: Lockout::default(),
            key_guard: KeyGuard::default(),
        })
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        let inner = lock(&self.log.inner);
        Stats {
            secrets: inner.maps.secrets.len(),
            receipts: inner.maps.receipts.len(),
            segments: inner.maps.segs.len(),
            log_bytes: inner.maps.segs.values().map(|stat| stat.bytes).sum(),
            live_bytes: inner.maps.segs.values().map(|stat| stat.live).sum(),
        }
    }

    /// Compacts every closed segment now, whatever the thresholds; returns how many
    /// segment files were removed. Blocks (fsyncs): call it from a blocking context.
    pub fn compact_now(&self) -> Result<usize, StoreError> {
        let upto = lock(&self.log.inner).cur_seg;
        let mut removed = 0;
        loop {
            let oldest = lock(&self.log.inner).maps.segs.keys().next().copied();
            match oldest {
                Some(seg) if seg < upto => {
                    self.log.compact_segment(seg)?;
                    removed += 1;
                }
                _ => return Ok(removed),
            }
        }
    }

    /// Runs `f` on the state (it writes its frames before changing anything), then, with
    /// [`Fsync::Always`], waits until an fdatasync covers everything `f` may have seen.
    async fn run<T>(
        &self,
        f: impl FnOnce(&mut Inner, &Log) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (out, lsn) = {
            let mut inner = lock(&self.log.inner);
            inner.check()?;
            let out = f(&mut inner, &self.log)?;
            (out, inner.lsn)
        };
        if self.log.opts.fsync == Fsync::Always && self.log.synced.load(Ordering::Acquire) < lsn {
            let (tx, rx) = oneshot::channel();
            {
                let mut files = lock(&self.log.files);
                files.waiters.push(SyncWaiter { lsn, tx });
            }
            self.log.sync_cv.notify_one();
            rx.await
                .map_err(|_| StoreError::Backend("log syncer stopped".into()))?
                .map_err(StoreError::Backend)?;
        }
        Ok(out)
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        self.log.closing.store(true, Ordering::SeqCst);
        lock(&self.log.inner).closing = true;
        {
            let _g = lock(&self.log.files);
            self.log.sync_cv.notify_all();
        }
        let _g = lock(&self.log.bg);
        self.log.bg_cv.notify_all();
    }
}

impl Inner {
    /// Deletes up to [`SWEEP_BATCH`] expired records of shard `shard`; returns how many,
    /// and whether more may be due there.
    fn sweep_shard(
        &mut self,
        log: &Log,
        shard: usize,
        now: u64,
    ) -> Result<(usize, bool), StoreError> {
        let due = self.maps.due_in_shard(shard, now, SWEEP_BATCH);
        if due.is_empty() {
            return Ok((0, false));
        }
        let keys: Vec<String> = due
            .iter()
            .map(|(_, packed)| format::unpack_key(packed))
            .collect();
        let mut buf = Vec::new();
        let mut frame = FrameBuilder::new(&mut buf);
        for ((tag, _), key) in due.iter().zip(&keys) {
            frame.del(*tag, key);
        }
        frame.finish();
        self.write(log, &buf)?;
        for ((tag, packed), key) in due.iter().zip(&keys) {
            self.maps.remove(*tag, key, packed);
        }
        Ok((due.len(), due.len() >= SWEEP_BATCH))
    }
}

impl Store for EmbeddedStore {
    fn put<'a>(
        &'a self,
        secret_key: &'a str,
        secret: &'a SecretRecord,
        receipt: &'a ReceiptRecord,
        _hit: Option<Hit>,
    ) -> BoxFut<'a, ()> {
        Box::pin(async move {
            // Encode outside the lock; inside it only the write and the maps.
            let sblob = secret.encode();
            let rblob = format::encode_receipt(receipt);
            let mut frames = Vec::with_capacity(
                sblob.len() + rblob.len() + secret_key.len() + receipt.metadata_key.len() + 32,
            );
            let mut frame = FrameBuilder::new(&mut frames);
            frame.put(PUT_SECRET, secret_key, &sblob)?;
            frame.put(PUT_RECEIPT, &receipt.metadata_key, &rblob)?;
            frame.finish();
            let index =
                (receipt.custid != "anon").then_some((receipt.custid.as_str(), receipt.created));
            let (skey, rkey) = (key_buf(secret_key)?, key_buf(&receipt.metadata_key)?);
            self.run(move |inner, log| {
                inner.write(log, &frames)?;
                let seg = inner.cur_seg;
                inner.maps.set_secret(seg, &skey, &sblob);
                inner
                    .maps
                    .set_receipt(seg, &receipt.metadata_key, &rkey, &rblob, index);
                Ok(())
            })
            .await
        })
    }

    fn claim<'a>(
        &'a self,
        secret_key: &'a str,
        outcome: Outcome,
        passphrase_checked: bool,
        now: u64,
        _hit: Option<Hit>,
    ) -> BoxFut<'a, Claim> {
        Box::pin(self.run(move |inner, log| {
            let Some(entry) = inner.maps.secret(secret_key) else {
                return Ok(Claim::Missing);
            };
            if format::secret_expires_at(entry.value()) <= now {
                let mut buf = Vec::new();
                let mut frame = FrameBuilder::new(&mut buf);
                frame.del(DEL_SECRET, secret_key);
                frame.finish();
                inner.write(log, &buf)?;
                inner.maps.remove_secret(secret_key);
                return Ok(Claim::Missing);
            }
            let rec = SecretRecord::decode(entry.value())?;
            if !self.key_guard.admits(&rec.ciphertext) {
                return Err(StoreError::ForeignSecret);
            }
            if !passphrase_checked && rec.passphrase.is_some() {
                return Ok(Claim::NeedsPassphrase(rec.passphrase.unwrap_or_default()));
            }
            let updated = match inner.maps.receipt(&rec.metadata_key) {
                Some(entry) => {
                    let mut receipt = format::decode_receipt(&rec.metadata_key, entry.value())?;
                    receipt.mark(outcome, now);
                    Some(format::encode_receipt(&receipt))
                }
                None => None,
            };
            let mut buf = Vec::with_capacity(192);
            let mut frame = FrameBuilder::new(&mut buf);
            frame.del(DEL_SECRET, secret_key);
            if let Some(blob) = &updated {
                frame.put(PUT_RECEIPT, &rec.metadata_key, blob)?;
            }
            frame.finish();
            inner.write(log, &buf)?;
            inner.maps.remove_secret(secret_key);
            if let Some(blob) = updated {
                // Same receipt key, same index entry: nothing to add to `recent`.
                let seg = inner.cur_seg;
                let packed = key_buf(&rec.metadata_key)?;
                inner
                    .maps
                    .set_receipt(seg, &rec.metadata_key, &packed, &blob, None);
            }
            Ok(Claim::Won(rec))
        }))
    }

    fn secret<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, Option<SecretRecord>> {
        Box::pin(
            self.run(move |inner, _| match inner.maps.secret(secret_key) {
                Some(entry) if format::secret_expires_at(entry.value()) > now => {
                    SecretRecord::decode(entry.value()).map(Some)
                }
                _ => Ok(None),
            }),
        )
    }

    fn claim_preview<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, bool> {
        Box::pin(self.run(move |inner, log| {
            let Some(entry) = inner.maps.receipt(metadata_key) else {
                return Ok(false);
            };
            if format::receipt_expires_at(entry.value()) <= now {
                return Ok(false);
            }
            let mut receipt = format::decode_receipt(metadata_key, entry.value())?;
            if !receipt.preview {
                return Ok(false);
            }
            receipt.preview = false;
            let blob = format::encode_receipt(&receipt);
            let mut buf = Vec::with_capacity(192);
            let mut frame = FrameBuilder::new(&mut buf);
            frame.put(PUT_RECEIPT, metadata_key, &blob)?;
            frame.finish();
            // Logged before it is answered: a restart never shows the value a second time.
            inner.write(log, &buf)?;
            let seg = inner.cur_seg;
            let packed = key_buf(metadata_key)?;
            inner
                .maps
                .set_receipt(seg, metadata_key, &packed, &blob, None);
            Ok(true)
        }))
    }

    fn receipt<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, Option<ReceiptRecord>> {
        Box::pin(
            self.run(move |inner, _| match inner.maps.receipt(metadata_key) {
                Some(entry) if format::receipt_expires_at(entry.value()) > now => {
                    format::decode_receipt(metadata_key, entry.value()).map(Some)
                }
                _ => Ok(None),
            }),
        )
    }

    fn recent<'a>(
        &'a self,
        custid: &'a str,
        since: u64,
        now: u64,
    ) -> BoxFut<'a, Vec<ReceiptRecord>> {
        Box::pin(self.run(move |inner, _| {
            let mut out = Vec::new();
            let Some(set) = inner.maps.recent.get(custid) else {
                return Ok(out);
            };
            for (_, key) in set.range((since, Box::<str>::from(""))..).rev() {
                if let Some(entry) = inner.maps.receipt(key)
                    && format::receipt_expires_at(entry.value()) > now
                {
                    out.push(format::decode_receipt(key, entry.value())?);
                }
            }
            Ok(out)
        }))
    }

    fn locked<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, bool> {
        Box::pin(std::future::ready(Ok(self
            .lockout
            .is_locked(secret_key, now))))
    }

    fn passphrase_failed<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, bool> {
        Box::pin(std::future::ready(Ok(self.lockout.fail(secret_key, now))))
    }

    fn bind_master_key(&self, id: KeyId) -> BoxFut<'_, ()> {
        Box::pin(async move {
            keyguard::bind_file(&self.log.dir.join("MASTER_KEY_ID"), id)?;
            self.key_guard.bind(id);
            Ok(())
        })
    }

    fn gauges(&self) -> BoxFut<'_, Vec<super::Gauge>> {
        let stats = self.stats();
        Box::pin(std::future::ready(Ok(vec![
            ("store_secrets", "Live secrets", stats.secrets as u64),
            ("store_receipts", "Live receipts", stats.receipts as u64),
            (
                "store_log_bytes",
                "Bytes in the log's segments",
                stats.log_bytes,
            ),
        ])))
    }

    fn ping(&self) -> BoxFut<'_, ()> {
        // Fails once the log has failed (a failed fdatasync stops the store).
        Box::pin(self.run(|_, _| Ok(())))
    }

    fn sweep(&self, now: u64) -> BoxFut<'_, usize> {
        // One shard, at most SWEEP_BATCH records, per hold of the lock.
        Box::pin(async move {
            self.lockout.prune(now);
            let mut removed = 0;
            for shard in 0..SHARDS {
                loop {
                    let (deleted, more) = self
                        .run(move |inner, log| inner.sweep_shard(log, shard, now))
                        .await?;
                    removed += deleted;
                    if deleted > 0 {
                        tokio::time::sleep(PAUSE).await;
                    } else {
                        tokio::task::yield_now().await;
                    }
                    if !more {
                        break;
                    }
                }
            }
            Ok(removed)
        })
    }

    fn name(&self) -> &'static str {
        "embedded"
    }
}

#[cfg(test)]
mod tests {
    use super::format::KeyBuf;
    use super::index::Table;
    use super::*;
    use crate::store::State;

    fn records(key: &str, now: u64, ttl: u64) -> (SecretRecord, ReceiptRecord) {
        let mk = format!("{}{}", &key[..key.len() - 1], "m");
        let secret = SecretRecord {
            metadata_key: mk.clone(),
            expires_at: now + ttl,
            passphrase: None,
            ciphertext: vec![1; 32],
        };
        let receipt = ReceiptRecord {
            metadata_key: mk,
            secret_key: key.into(),
            custid: "anon".into(),
            state: State::New,
            ttl,
            created: now,
            updated: now,
            received: None,
            burned: None,
            secret_expires_at: now + ttl,
            expires_at: now + 2 * ttl,
            recipients: vec![],
            passphrase_required: false,
            share_domain: String::new(),
            preview: false,
        };
        (secret, receipt)
    }

    /// A generated key whose last three digits are `end`: 36^3 is a multiple of 64, so
    /// all such keys fall in one shard.
    fn key_ending(end: &str) -> String {
        let k = crate::crypto::new_key().expect("key");
        format!("{}{end}", &k[..k.len() - end.len()])
    }

    #[tokio::test]
    async fn sweep_takes_a_crowded_shard_in_batches() {
        let shard = Table::shard_of(KeyBuf::new(&key_ending("000")).expect("k").as_bytes());
        for _ in 0..20 {
            let k = KeyBuf::new(&key_ending("000")).expect("k");
            assert_eq!(k.as_bytes().len(), 41, "packed");
            assert_eq!(Table::shard_of(k.as_bytes()), shard);
        }
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("log");
        let store = EmbeddedStore::open(&path).expect("open");
        let now = unix_now();
        // 1,300 due in one shard (their receipts in another), 50 that stay.
        let mut keep = Vec::new();
        for i in 0..1350 {
            let (ttl, end) = if i < 1300 { (60, "000") } else { (3600, "001") };
            let key = key_ending(end);
            let (s, r) = records(&key, now, ttl);
            store.put(&key, &s, &r, None).await.expect("put");
            if ttl == 3600 {
                keep.push(key);
            }
        }
        assert_eq!(store.stats().secrets, 1350);
        // Secrets expire at now + 60, receipts at now + 120.
        assert_eq!(store.sweep(now + 60).await.expect("sweep"), 1300);
        assert_eq!(store.stats().secrets, 50);
        assert_eq!(store.stats().receipts, 1350);
        assert_eq!(store.sweep(now + 120).await.expect("sweep"), 1300);
        let stats = store.stats();
        assert_eq!((stats.secrets, stats.receipts), (50, 50));
        drop(store);
        // The deletes were logged: a restart (real clock) brings none of them back.
        let store = loop {
            match EmbeddedStore::open(&path) {
                Ok(s) => break s,
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let stats = store.stats();
        assert_eq!((stats.secrets, stats.receipts), (50, 50));
        for k in &keep {
            assert!(store.secret(k, now).await.expect("read").is_some());
        }
    }
}
