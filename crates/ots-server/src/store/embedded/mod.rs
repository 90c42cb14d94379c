//! The embedded backend: an append-only log replayed into memory.
//!
//! - **Memory** holds every live secret and receipt (encoded: ~250 bytes per receipt plus
//!   each secret's ciphertext) behind one mutex. Every operation, including the atomic
//!   claim, is one short critical section on it, so of concurrent reveals and burns
//!   exactly one wins.
//! - **The log** (`<dir>/NNNNNNNN.log` segments, format in [`format`]) records every state
//!   change as a CRC-checked frame: a create is one frame (secret + receipt), a claim is
//!   one frame (secret deleted + receipt updated), sweeps append deletes.
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
//! - **Replay** at open reads the segments in order; a torn or corrupt frame (a crash
//!   mid-write) ends the last segment, which is truncated there. Expired records are
//!   dropped.
//! - **Compaction**: the log moves to a new segment every `segment_bytes`. When the log
//!   is mostly garbage, a background thread takes the oldest segment, re-appends the
//!   records still live in it (in small batches), fsyncs, and deletes the file. Only the
//!   oldest segment is ever removed, so a delete record can never be dropped while an
//!   older put it cancels still exists.
//! - An fsync error stops the store (every later call fails) until a restart, whose replay
//!   brings back a consistent state: after a failed fsync nothing is known about the data.

mod format;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

use self::format::{
    DEL_RECEIPT, DEL_SECRET, FrameBuilder, FrameReader, KeyBuf, MAGIC, Next, PUT_RECEIPT,
    PUT_SECRET, RECORD_OVERHEAD, Record,
};
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

/// Most records a compaction copies per hold of the lock.
const BATCH: usize = 256;
/// Most records a sweep deletes per hold of the lock.
const SWEEP_BATCH: usize = 128;
/// Pause of a sweep or compaction after each batch that did something. The store's mutex
/// is not fair: without a pause, a maintenance loop takes the lock back before a woken
/// request thread gets to run, and requests can wait for the whole loop.
const PAUSE: Duration = Duration::from_millis(1);
/// How often the compactor looks at the log.
const COMPACT_CHECK: Duration = Duration::from_secs(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("log: {e}"))
}

fn segment_name(seg: u32) -> String {
    format!("{seg:08}.log")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A live record in one allocation, `klen || key || value` (the key as a [`KeyBuf`]),
/// the segment holding its latest put, and its expiry (so a sweep reads only the table,
/// not every record). Hashed and compared by its key alone, so a set of them is a map
/// looked up by key bytes (`Borrow<[u8]>`). A receipt costs about 175 bytes in all.
struct Rec {
    data: Box<[u8]>,
    seg: u32,
    /// `expires_at - EXP_BASE`, 0 if earlier, `u32::MAX` if later than fits.
    exp: u32,
}

/// Origin of [`Rec::exp`] (2020-09-13).
const EXP_BASE: u64 = 1_600_000_000;

impl Rec {
    fn new(key: &KeyBuf, value: &[u8], seg: u32, expires_at: u64) -> Rec {
        let k = key.as_bytes();
        let mut data = Vec::with_capacity(1 + k.len() + value.len());
        data.push(k.len() as u8);
        data.extend_from_slice(k);
        data.extend_from_slice(value);
        Rec {
            data: data.into_boxed_slice(),
            seg,
            exp: u32::try_from(expires_at.saturating_sub(EXP_BASE)).unwrap_or(u32::MAX),
        }
    }

    /// Whether it may have expired at `now` (the caller checks its value to be sure).
    fn maybe_due(&self, now: u64) -> bool {
        self.exp == 0 || self.exp == u32::MAX || u64::from(self.exp) + EXP_BASE <= now
    }

    fn key_bytes(&self) -> &[u8] {
        let n = self.data.first().map_or(0, |&n| usize::from(n));
        self.data.get(1..1 + n).unwrap_or_default()
    }

    fn value(&self) -> &[u8] {
        let n = self.data.first().map_or(0, |&n| usize::from(n));
        self.data.get(1 + n..).unwrap_or_default()
    }

    fn key(&self) -> String {
        format::unpack_key(self.key_bytes())
    }

    /// Its put record's size in the log, for the segment accounting.
    fn size(&self) -> u64 {
        (RECORD_OVERHEAD + format::unpacked_len(self.key_bytes()) + self.value().len()) as u64
    }
}

impl std::hash::Hash for Rec {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.key_bytes().hash(h);
    }
}

impl PartialEq for Rec {
    fn eq(&self, other: &Rec) -> bool {
        self.key_bytes() == other.key_bytes()
    }
}

impl Eq for Rec {}

impl std::borrow::Borrow<[u8]> for Rec {
    fn borrow(&self) -> &[u8] {
        self.key_bytes()
    }
}

/// Shards of a [`Table`]: a sweep holds the lock for one shard at a time.
const SHARDS: usize = 64;

/// Records split over [`SHARDS`] sets by key.
struct Table {
    shards: Vec<HashSet<Rec>>,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            shards: (0..SHARDS).map(|_| HashSet::new()).collect(),
        }
    }
}

impl Table {
    fn shard_of(key: &[u8]) -> usize {
        match key {
            // A packed key is a random number: its last byte is uniform.
            [1, .., last] if key.len() == 41 => usize::from(*last) % SHARDS,
            // Anything else: FNV-1a.
            _ => {
                let h = key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                });
                (h % SHARDS as u64) as usize
            }
        }
    }

    fn shard(&self, key: &[u8]) -> &HashSet<Rec> {
        &self.shards[Self::shard_of(key)]
    }

    fn shard_mut(&mut self, key: &[u8]) -> &mut HashSet<Rec> {
        &mut self.shards[Self::shard_of(key)]
    }

    fn get(&self, key: &[u8]) -> Option<&Rec> {
        self.shard(key).get(key)
    }

    fn replace(&mut self, rec: Rec) -> Option<Rec> {
        self.shard_mut(rec.key_bytes()).replace(rec)
    }

    fn take(&mut self, key: &[u8]) -> Option<Rec> {
        self.shard_mut(key).take(key)
    }

    fn len(&self) -> usize {
        self.shards.iter().map(HashSet::len).sum()
    }

    fn iter(&self) -> impl Iterator<Item = &Rec> {
        self.shards.iter().flatten()
    }
}

fn key_buf(key: &str) -> Result<KeyBuf, StoreError> {
    KeyBuf::new(key).ok_or_else(|| StoreError::Backend("key too long".into()))
}

#[derive(Debug, Default, Clone, Copy)]
struct SegStat {
    /// Bytes in the file.
    bytes: u64,
    /// Bytes of the puts in it that are still the latest of their key.
    live: u64,
}

/// The live records, and what each segment holds.
#[derive(Default)]
struct Maps {
    secrets: Table,
    receipts: Table,
    /// custid → (created, metadata_key), for `recent` (accounts only, not `anon`).
    recent: HashMap<Box<str>, BTreeSet<(u64, Box<str>)>>,
    segs: BTreeMap<u32, SegStat>,
}

impl Maps {
    fn live_add(&mut self, seg: u32, n: u64) {
        if let Some(s) = self.segs.get_mut(&seg) {
            s.live += n;
        }
    }

    fn live_sub(&mut self, seg: u32, n: u64) {
        if let Some(s) = self.segs.get_mut(&seg) {
            s.live = s.live.saturating_sub(n);
        }
    }

    fn secret(&self, key: &str) -> Option<&Rec> {
        self.secrets.get(KeyBuf::new(key)?.as_bytes())
    }

    fn receipt(&self, key: &str) -> Option<&Rec> {
        self.receipts.get(KeyBuf::new(key)?.as_bytes())
    }

    /// Stores a record whose put is in segment `seg`, replacing any with its key.
    fn set(&mut self, tag: u8, seg: u32, key: &KeyBuf, value: &[u8]) {
        let expires_at = if tag == PUT_SECRET {
            format::secret_expires_at(value)
        } else {
            format::receipt_expires_at(value)
        };
        let rec = Rec::new(key, value, seg, expires_at);
        let n = rec.size();
        let set = if tag == PUT_SECRET {
            &mut self.secrets
        } else {
            &mut self.receipts
        };
        if let Some(old) = set.replace(rec) {
            self.live_sub(old.seg, old.size());
        }
        self.live_add(seg, n);
    }

    fn set_secret(&mut self, seg: u32, key: &KeyBuf, value: &[u8]) {
        self.set(PUT_SECRET, seg, key, value);
    }

    /// Stores an encoded receipt whose put is in segment `seg`; `index` = (custid,
    /// created) when it belongs to an account.
    fn set_receipt(
        &mut self,
        seg: u32,
        key: &str,
        kb: &KeyBuf,
        value: &[u8],
        index: Option<(&str, u64)>,
    ) {
        self.set(PUT_RECEIPT, seg, kb, value);
        if let Some((custid, created)) = index {
            self.recent
                .entry(custid.into())
                .or_default()
                .insert((created, key.into()));
        }
    }

    /// Moves a record's accounting to segment `seg` (it was copied there).
    fn reseat(&mut self, tag: u8, key: &[u8], seg: u32) {
        let set = if tag == PUT_SECRET {
            &mut self.secrets
        } else {
            &mut self.receipts
        };
        if let Some(mut rec) = set.take(key) {
            let n = rec.size();
            let old = std::mem::replace(&mut rec.seg, seg);
            set.replace(rec);
            self.live_sub(old, n);
            self.live_add(seg, n);
        }
    }

    fn remove_secret(&mut self, key: &str) -> Option<Rec> {
        self.remove(DEL_SECRET, key, KeyBuf::new(key)?.as_bytes())
    }

    fn remove_receipt(&mut self, key: &str) -> Option<Rec> {
        self.remove(DEL_RECEIPT, key, KeyBuf::new(key)?.as_bytes())
    }

    /// Removes the record `key` (whose [`KeyBuf`] bytes are `kb`).
    fn remove(&mut self, tag: u8, key: &str, kb: &[u8]) -> Option<Rec> {
        let table = if tag == DEL_SECRET {
            &mut self.secrets
        } else {
            &mut self.receipts
        };
        let old = table.take(kb)?;
        self.live_sub(old.seg, old.size());
        if tag == DEL_RECEIPT
            && let Some((custid, created)) = format::receipt_owner(old.value())
            && custid != "anon"
            && let Some(set) = self.recent.get_mut(custid)
        {
            set.remove(&(created, Box::from(key)));
            if set.is_empty() {
                self.recent.remove(custid);
            }
        }
        Some(old)
    }

    /// Applies one replayed record of segment `seg`.
    fn replay(&mut self, seg: u32, rec: Record<'_>) -> Result<(), StoreError> {
        match rec {
            Record::Put {
                tag: PUT_SECRET,
                key,
                value,
            } => self.set_secret(seg, &key_buf(key)?, value),
            Record::Put {
                tag: PUT_RECEIPT,
                key,
                value,
            } => {
                let r = format::decode_receipt(key, value)?;
                let index = (r.custid != "anon").then_some((r.custid.as_str(), r.created));
                self.set_receipt(seg, key, &key_buf(key)?, value, index);
            }
            Record::Del {
                tag: DEL_SECRET,
                key,
            } => {
                self.remove_secret(key);
            }
            Record::Del {
                tag: DEL_RECEIPT,
                key,
            } => {
                self.remove_receipt(key);
            }
            _ => return Err(StoreError::Corrupt),
        }
        Ok(())
    }
}

/// Everything behind the store's mutex.
struct Inner {
    m: Maps,
    /// The segment frames are appended to, and its file (opened for appending).
    cur_seg: u32,
    file: Arc<File>,
    segment_bytes: u64,
    /// Bytes ever appended (the log sequence number of the last write's end).
    lsn: u64,
    failed: Option<String>,
    closing: bool,
}

impl Inner {
    fn check(&self) -> Result<(), StoreError> {
        if let Some(e) = &self.failed {
            return Err(StoreError::Backend(format!(
                "embedded store stopped after a log error ({e}); restart the server"
            )));
        }
        if self.closing {
            return Err(StoreError::Backend("embedded store closed".into()));
        }
        Ok(())
    }

    /// Appends finished frames to the current segment (moving to a new one first when it
    /// is full). On a failed or short write the segment is cut back to where it was.
    /// Call it before changing the maps: the changes then go to `cur_seg`.
    fn write(&mut self, sh: &Shared, frames: &[u8]) -> Result<(), StoreError> {
        if frames.is_empty() {
            return Ok(());
        }
        let mut len = self.m.segs.get(&self.cur_seg).map_or(0, |s| s.bytes);
        if len >= self.segment_bytes {
            let seg = self.cur_seg + 1;
            self.file = sh.rotate(seg).map_err(io_err)?;
            self.cur_seg = seg;
            len = MAGIC.len() as u64;
            self.m.segs.insert(
                seg,
                SegStat {
                    bytes: len,
                    live: 0,
                },
            );
        }
        if let Err(e) = (&*self.file).write_all(frames) {
            // A partial frame must not stay in front of later ones.
            if let Err(e2) = self.file.set_len(len) {
                let msg = format!("write failed ({e}), then cutting it off failed ({e2})");
                tracing::error!(error = %msg, "embedded store log failed");
                self.failed = Some(msg);
            }
            return Err(io_err(e));
        }
        let n = frames.len() as u64;
        if let Some(s) = self.m.segs.get_mut(&self.cur_seg) {
            s.bytes += n;
        }
        self.lsn += n;
        sh.written.store(self.lsn, Ordering::Release);
        Ok(())
    }

    /// Deletes up to [`SWEEP_BATCH`] expired records of shard `shard`; returns how many,
    /// and whether more may be due there.
    fn sweep_shard(
        &mut self,
        sh: &Shared,
        shard: usize,
        now: u64,
    ) -> Result<(usize, bool), StoreError> {
        let mut due: Vec<(u8, Vec<u8>)> = Vec::new();
        for (tag, table) in [
            (DEL_SECRET, &self.m.secrets),
            (DEL_RECEIPT, &self.m.receipts),
        ] {
            for r in &table.shards[shard] {
                if due.len() >= SWEEP_BATCH {
                    break;
                }
                // The slot's expiry first: only candidates are read from the heap.
                if !r.maybe_due(now) {
                    continue;
                }
                let expires_at = if tag == DEL_SECRET {
                    format::secret_expires_at(r.value())
                } else {
                    format::receipt_expires_at(r.value())
                };
                if expires_at <= now {
                    due.push((tag, r.key_bytes().to_vec()));
                }
            }
        }
        if due.is_empty() {
            return Ok((0, false));
        }
        let keys: Vec<String> = due.iter().map(|(_, kb)| format::unpack_key(kb)).collect();
        let mut buf = Vec::new();
        let mut fb = FrameBuilder::new(&mut buf);
        for ((tag, _), key) in due.iter().zip(&keys) {
            fb.del(*tag, key);
        }
        fb.finish();
        self.write(sh, &buf)?;
        for ((tag, kb), key) in due.iter().zip(&keys) {
            self.m.remove(*tag, key, kb);
        }
        Ok((due.len(), due.len() >= SWEEP_BATCH))
    }
}

/// Someone waiting for an fdatasync to cover `lsn` ([`Fsync::Always`]).
struct SyncWaiter {
    lsn: u64,
    tx: oneshot::Sender<Result<(), String>>,
}

/// What the fsync side knows, apart from the store's mutex.
struct Files {
    /// The segment being appended to.
    current: Arc<File>,
    /// Closed segments not fdatasynced since their last write.
    unsynced: Vec<Arc<File>>,
    /// A segment file was created since the directory was last fsynced.
    dir_dirty: bool,
    waiters: Vec<SyncWaiter>,
}

struct Shared {
    dir: PathBuf,
    opts: Options,
    inner: Mutex<Inner>,
    files: Mutex<Files>,
    /// The syncer sleeps on it (with `files`).
    sync_cv: Condvar,
    /// Log bytes written / known to be fdatasynced.
    written: AtomicU64,
    synced: AtomicU64,
    /// Serializes fdatasync rounds, so a finished round covers every earlier write.
    sync_lock: Mutex<()>,
    /// Serializes compactions.
    compact_lock: Mutex<()>,
    closing: AtomicBool,
    /// The compactor sleeps on it.
    bg: Mutex<()>,
    bg_cv: Condvar,
    /// Held (flock) for the store's lifetime: one process per directory.
    _lock: File,
}

/// The embedded [`Store`]: an append-only log replayed into memory (see the module docs).
pub struct EmbeddedStore {
    sh: Arc<Shared>,
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
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io_err)? {
            let name = entry.map_err(io_err)?.file_name();
            let name = name.to_string_lossy();
            if let Some(n) = name.strip_suffix(".log")
                && n.len() == 8
                && let Ok(seg) = n.parse::<u32>()
            {
                found.push(seg);
            }
        }
        found.sort_unstable();
        let mut maps = Maps::default();
        let last = found.last().copied();
        for &seg in &found {
            replay_segment(dir, seg, Some(seg) == last, &mut maps)?;
        }
        let mut dir_dirty = false;
        let cur = match last {
            Some(seg) => seg,
            None => {
                let mut f = OpenOptions::new()
                    .create_new(true)
                    .append(true)
                    .open(dir.join(segment_name(1)))
                    .map_err(io_err)?;
                f.write_all(MAGIC).map_err(io_err)?;
                maps.segs.insert(
                    1,
                    SegStat {
                        bytes: MAGIC.len() as u64,
                        live: 0,
                    },
                );
                dir_dirty = true;
                1
            }
        };
        let file = Arc::new(
            OpenOptions::new()
                .append(true)
                .open(dir.join(segment_name(cur)))
                .map_err(io_err)?,
        );
        let mut inner = Inner {
            m: maps,
            cur_seg: cur,
            file: file.clone(),
            segment_bytes: opts.segment_bytes.max(MAGIC.len() as u64 + 1),
            lsn: 0,
            failed: None,
            closing: false,
        };
        // Expired records are gone for every reader: drop them now.
        let now = unix_now();
        let dead: Vec<String> = inner
            .m
            .secrets
            .iter()
            .filter(|r| format::secret_expires_at(r.value()) <= now)
            .map(Rec::key)
            .collect();
        for k in dead {
            inner.m.remove_secret(&k);
        }
        let dead: Vec<String> = inner
            .m
            .receipts
            .iter()
            .filter(|r| format::receipt_expires_at(r.value()) <= now)
            .map(Rec::key)
            .collect();
        for k in dead {
            inner.m.remove_receipt(&k);
        }
        tracing::info!(
            secrets = inner.m.secrets.len(),
            receipts = inner.m.receipts.len(),
            segments = inner.m.segs.len(),
            "embedded store opened"
        );
        let fsync = opts.fsync;
        let sh = Arc::new(Shared {
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
        sh.sync_files().map_err(io_err)?;
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .map(drop)
                .map_err(io_err)
        };
        let s = sh.clone();
        spawn("ots-log-sync", Box::new(move || syncer_loop(&s, fsync)))?;
        let s = sh.clone();
        spawn("ots-log-compact", Box::new(move || compactor_loop(&s)))?;
        Ok(EmbeddedStore {
            sh,
            lockout: Lockout::default(),
            key_guard: KeyGuard::default(),
        })
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        let g = lock(&self.sh.inner);
        Stats {
            secrets: g.m.secrets.len(),
            receipts: g.m.receipts.len(),
            segments: g.m.segs.len(),
            log_bytes: g.m.segs.values().map(|s| s.bytes).sum(),
            live_bytes: g.m.segs.values().map(|s| s.live).sum(),
        }
    }

    /// Compacts every closed segment now, whatever the thresholds; returns how many
    /// segment files were removed. Blocks (fsyncs): call it from a blocking context.
    pub fn compact_now(&self) -> Result<usize, StoreError> {
        let upto = lock(&self.sh.inner).cur_seg;
        let mut removed = 0;
        loop {
            let oldest = lock(&self.sh.inner).m.segs.keys().next().copied();
            match oldest {
                Some(seg) if seg < upto => {
                    self.sh.compact_segment(seg)?;
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
        f: impl FnOnce(&mut Inner, &Shared) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (out, lsn) = {
            let mut g = lock(&self.sh.inner);
            g.check()?;
            let out = f(&mut g, &self.sh)?;
            (out, g.lsn)
        };
        if self.sh.opts.fsync == Fsync::Always && self.sh.synced.load(Ordering::Acquire) < lsn {
            let (tx, rx) = oneshot::channel();
            {
                let mut files = lock(&self.sh.files);
                files.waiters.push(SyncWaiter { lsn, tx });
            }
            self.sh.sync_cv.notify_one();
            rx.await
                .map_err(|_| StoreError::Backend("log syncer stopped".into()))?
                .map_err(StoreError::Backend)?;
        }
        Ok(out)
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        self.sh.closing.store(true, Ordering::SeqCst);
        lock(&self.sh.inner).closing = true;
        {
            let _g = lock(&self.sh.files);
            self.sh.sync_cv.notify_all();
        }
        let _g = lock(&self.sh.bg);
        self.sh.bg_cv.notify_all();
    }
}

impl Shared {
    fn fail(&self, e: &str) {
        tracing::error!(error = %e, "embedded store log failed; refusing further requests");
        let mut g = lock(&self.inner);
        g.failed.get_or_insert_with(|| e.to_owned());
    }

    /// fdatasyncs every segment written since the last round (and the directory if a
    /// file was created). When it returns, every write made before the call is on disk.
    fn sync_files(&self) -> std::io::Result<()> {
        let _round = lock(&self.sync_lock);
        let target = self.written.load(Ordering::Acquire);
        let (current, old, dir) = {
            let mut f = lock(&self.files);
            if self.synced.load(Ordering::Acquire) >= target
                && f.unsynced.is_empty()
                && !f.dir_dirty
            {
                return Ok(());
            }
            (
                f.current.clone(),
                std::mem::take(&mut f.unsynced),
                std::mem::take(&mut f.dir_dirty),
            )
        };
        for file in &old {
            file.sync_data()?;
        }
        current.sync_data()?;
        if dir {
            File::open(&self.dir)?.sync_all()?;
        }
        self.synced.fetch_max(target, Ordering::AcqRel);
        Ok(())
    }

    /// Creates segment `seg` and makes it the one the syncer knows as current.
    fn rotate(&self, seg: u32) -> std::io::Result<Arc<File>> {
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(self.dir.join(segment_name(seg)))?;
        file.write_all(MAGIC)?;
        let file = Arc::new(file);
        let mut f = lock(&self.files);
        let old = std::mem::replace(&mut f.current, file.clone());
        f.unsynced.push(old);
        f.dir_dirty = true;
        Ok(file)
    }

    /// The segment to compact next, if the log needs it: the oldest closed segment when
    /// nothing in it is live, or when the log is big enough and at least half garbage.
    fn compaction_candidate(&self) -> Option<u32> {
        let g = lock(&self.inner);
        let (&oldest, st) = g.m.segs.iter().next()?;
        if oldest >= g.cur_seg {
            return None;
        }
        if st.live == 0 {
            return Some(oldest);
        }
        let total: u64 = g.m.segs.values().map(|s| s.bytes).sum();
        let live: u64 = g.m.segs.values().map(|s| s.live).sum();
        (total >= self.opts.compact_min_bytes && live.saturating_mul(2) <= total).then_some(oldest)
    }

    /// Re-appends the records of `seg` that are still live, makes that durable, and
    /// removes the segment file.
    fn compact_segment(&self, seg: u32) -> Result<(), StoreError> {
        let _one = lock(&self.compact_lock);
        if !lock(&self.inner).m.segs.contains_key(&seg) {
            return Ok(());
        }
        let path = self.dir.join(segment_name(seg));
        let mut keys: Vec<(u8, Box<str>)> = Vec::new();
        match File::open(&path) {
            Ok(file) => {
                let len = file.metadata().map_err(io_err)?.len();
                let mut reader = BufReader::with_capacity(64 << 10, file);
                let mut magic = [0u8; MAGIC.len()];
                if len >= MAGIC.len() as u64 {
                    reader.read_exact(&mut magic).map_err(io_err)?;
                }
                if &magic == MAGIC {
                    let mut frames = FrameReader::new(reader, len);
                    while let Next::Frame = frames.next().map_err(io_err)? {
                        let Ok(recs) = format::records(&frames.payload) else {
                            break;
                        };
                        for r in recs {
                            if let Record::Put { tag, key, .. } = r {
                                keys.push((tag, key.into()));
                            }
                        }
                        if keys.len() >= BATCH {
                            self.move_live(seg, &mut keys, false)?;
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
        self.move_live(seg, &mut keys, false)?;
        // Accounting says something live is left (it should not): sweep the maps.
        if lock(&self.inner)
            .m
            .segs
            .get(&seg)
            .is_some_and(|s| s.live > 0)
        {
            tracing::warn!(
                segment = seg,
                "compaction: live records not found in the file"
            );
            self.move_live(seg, &mut keys, true)?;
        }
        // The copies must be on disk before the originals go.
        self.sync_files().map_err(|e| {
            self.fail(&format!("fdatasync: {e}"));
            io_err(e)
        })?;
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err)?;
        lock(&self.inner).m.segs.remove(&seg);
        tracing::debug!(segment = seg, "compacted log segment");
        Ok(())
    }

    /// Re-appends the listed records (or, with `scan`, every record) whose latest put is
    /// still in `seg`: at most [`BATCH`] per hold of the lock, pausing after each.
    fn move_live(
        &self,
        seg: u32,
        keys: &mut Vec<(u8, Box<str>)>,
        scan: bool,
    ) -> Result<(), StoreError> {
        if scan {
            let g = lock(&self.inner);
            keys.clear();
            for (tag, table) in [(PUT_SECRET, &g.m.secrets), (PUT_RECEIPT, &g.m.receipts)] {
                keys.extend(
                    table
                        .iter()
                        .filter(|r| r.seg == seg)
                        .map(|r| (tag, r.key().into())),
                );
            }
        }
        // A key listed twice (put in `seg`, then put again there) is copied once.
        keys.sort_unstable();
        keys.dedup();
        for batch in keys.chunks(BATCH) {
            if self.move_batch(seg, batch)? > 0 {
                std::thread::sleep(PAUSE);
            }
        }
        keys.clear();
        Ok(())
    }

    /// One hold of the lock of [`Shared::move_live`]; returns how many records moved.
    fn move_batch(&self, seg: u32, batch: &[(u8, Box<str>)]) -> Result<usize, StoreError> {
        let mut g = lock(&self.inner);
        g.check()?;
        let mut buf = Vec::new();
        let mut moved = Vec::with_capacity(batch.len());
        let mut frame = FrameBuilder::new(&mut buf);
        for (tag, key) in batch {
            let rec = if *tag == PUT_SECRET {
                g.m.secret(key)
            } else {
                g.m.receipt(key)
            };
            if let Some(r) = rec.filter(|r| r.seg == seg) {
                frame.put(*tag, key, r.value())?;
                moved.push((*tag, r.key_bytes().to_vec()));
            }
        }
        frame.finish();
        g.write(self, &buf)?;
        let cur = g.cur_seg;
        for (tag, kb) in &moved {
            g.m.reseat(*tag, kb, cur);
        }
        Ok(moved.len())
    }
}

/// Replays one segment. A torn or corrupt frame ends the segment; in the last segment
/// (a crash mid-write) the file is truncated there.
fn replay_segment(dir: &Path, seg: u32, last: bool, st: &mut Maps) -> Result<(), StoreError> {
    let path = dir.join(segment_name(seg));
    st.segs.insert(seg, SegStat::default());
    let file = File::open(&path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let mut reader = BufReader::with_capacity(256 << 10, file);
    let mut magic = [0u8; MAGIC.len()];
    let head = (len as usize).min(MAGIC.len());
    reader.read_exact(&mut magic[..head]).map_err(io_err)?;
    if magic[..head] != MAGIC[..head] {
        return Err(StoreError::Backend(format!(
            "{} is not an ots-server log segment",
            path.display()
        )));
    }
    if head < MAGIC.len() {
        // Created but its header never fully written: an empty segment.
        if last {
            let mut f = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&path)
                .map_err(io_err)?;
            f.write_all(MAGIC).map_err(io_err)?;
            f.sync_all().map_err(io_err)?;
        }
        if let Some(s) = st.segs.get_mut(&seg) {
            s.bytes = MAGIC.len() as u64;
        }
        return Ok(());
    }
    let mut frames = FrameReader::new(reader, len);
    let mut n = 0u64;
    let bad = loop {
        match frames.next().map_err(io_err)? {
            Next::End => break None,
            Next::Bad(why) => break Some(why),
            Next::Frame => {
                let recs = match format::records(&frames.payload) {
                    Ok(r) => r,
                    Err(_) => break Some("malformed record"),
                };
                for r in recs {
                    if let Err(e) = st.replay(seg, r) {
                        tracing::error!(segment = seg, error = %e, "skipping an undecodable record");
                    }
                }
                n += 1;
            }
        }
    };
    let valid = frames.offset;
    if let Some(why) = bad {
        if last {
            tracing::warn!(
                segment = seg,
                offset = valid,
                dropped_bytes = len - valid,
                reason = why,
                "log ends with a torn frame (interrupted write); truncating it"
            );
            let f = OpenOptions::new().write(true).open(&path).map_err(io_err)?;
            f.set_len(valid).map_err(io_err)?;
            f.sync_all().map_err(io_err)?;
        } else {
            tracing::error!(
                segment = seg,
                offset = valid,
                skipped_bytes = len - valid,
                reason = why,
                "corrupt frame in a closed log segment; the rest of that segment is skipped"
            );
        }
    }
    if let Some(s) = st.segs.get_mut(&seg) {
        s.bytes = if last { valid } else { len };
    }
    tracing::debug!(segment = seg, frames = n, "replayed log segment");
    Ok(())
}

/// Interval: fdatasync every `every`. Always: fdatasync whenever someone waits, each
/// round covering every write made before it (group commit).
fn syncer_loop(sh: &Shared, fsync: Fsync) {
    loop {
        let waiters = {
            let mut f = lock(&sh.files);
            match fsync {
                Fsync::Interval(every) => {
                    f = sh
                        .sync_cv
                        .wait_timeout_while(f, every, |_| !sh.closing.load(Ordering::SeqCst))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                Fsync::Always => {
                    f = sh
                        .sync_cv
                        .wait_while(f, |f| {
                            f.waiters.is_empty() && !sh.closing.load(Ordering::SeqCst)
                        })
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
            std::mem::take(&mut f.waiters)
        };
        let result = sh.sync_files().map_err(|e| format!("fdatasync: {e}"));
        if let Err(e) = &result {
            sh.fail(e);
        }
        let synced = sh.synced.load(Ordering::Acquire);
        let mut later = Vec::new();
        for w in waiters {
            match &result {
                Err(e) => drop(w.tx.send(Err(e.clone()))),
                // Written after this round began: the next round covers it.
                Ok(()) if w.lsn > synced => later.push(w),
                Ok(()) => drop(w.tx.send(Ok(()))),
            }
        }
        if !later.is_empty() {
            lock(&sh.files).waiters.extend(later);
        }
        if result.is_err() {
            return;
        }
        if sh.closing.load(Ordering::SeqCst) && lock(&sh.files).waiters.is_empty() {
            return;
        }
    }
}

fn compactor_loop(sh: &Shared) {
    loop {
        {
            let g = lock(&sh.bg);
            let _ = sh
                .bg_cv
                .wait_timeout_while(g, COMPACT_CHECK, |_| !sh.closing.load(Ordering::SeqCst));
        }
        // At most the segments closed now: copies made by this round are not revisited.
        let upto = lock(&sh.inner).cur_seg;
        while let Some(seg) = sh.compaction_candidate().filter(|&s| s < upto) {
            if sh.closing.load(Ordering::SeqCst) {
                return;
            }
            if let Err(e) = sh.compact_segment(seg) {
                tracing::warn!(error = %e, segment = seg, "log compaction failed");
                break;
            }
        }
        if sh.closing.load(Ordering::SeqCst) {
            return;
        }
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
            let mut frame = Vec::with_capacity(
                sblob.len() + rblob.len() + secret_key.len() + receipt.metadata_key.len() + 32,
            );
            let mut fb = FrameBuilder::new(&mut frame);
            fb.put(PUT_SECRET, secret_key, &sblob)?;
            fb.put(PUT_RECEIPT, &receipt.metadata_key, &rblob)?;
            fb.finish();
            let index =
                (receipt.custid != "anon").then_some((receipt.custid.as_str(), receipt.created));
            let (skey, rkey) = (key_buf(secret_key)?, key_buf(&receipt.metadata_key)?);
            self.run(move |g, sh| {
                g.write(sh, &frame)?;
                let seg = g.cur_seg;
                g.m.set_secret(seg, &skey, &sblob);
                g.m.set_receipt(seg, &receipt.metadata_key, &rkey, &rblob, index);
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
        Box::pin(self.run(move |g, sh| {
            let Some(entry) = g.m.secret(secret_key) else {
                return Ok(Claim::Missing);
            };
            if format::secret_expires_at(entry.value()) <= now {
                let mut buf = Vec::new();
                let mut fb = FrameBuilder::new(&mut buf);
                fb.del(DEL_SECRET, secret_key);
                fb.finish();
                g.write(sh, &buf)?;
                g.m.remove_secret(secret_key);
                return Ok(Claim::Missing);
            }
            let rec = SecretRecord::decode(entry.value())?;
            if !self.key_guard.admits(&rec.ciphertext) {
                return Err(StoreError::ForeignSecret);
            }
            if !passphrase_checked && rec.passphrase.is_some() {
                return Ok(Claim::NeedsPassphrase(rec.passphrase.unwrap_or_default()));
            }
            let updated = match g.m.receipt(&rec.metadata_key) {
                Some(e) => {
                    let mut r = format::decode_receipt(&rec.metadata_key, e.value())?;
                    r.mark(outcome, now);
                    Some(format::encode_receipt(&r))
                }
                None => None,
            };
            let mut buf = Vec::with_capacity(192);
            let mut fb = FrameBuilder::new(&mut buf);
            fb.del(DEL_SECRET, secret_key);
            if let Some(blob) = &updated {
                fb.put(PUT_RECEIPT, &rec.metadata_key, blob)?;
            }
            fb.finish();
            g.write(sh, &buf)?;
            g.m.remove_secret(secret_key);
            if let Some(blob) = updated {
                // Same receipt key, same index entry: nothing to add to `recent`.
                let seg = g.cur_seg;
                let kb = key_buf(&rec.metadata_key)?;
                g.m.set_receipt(seg, &rec.metadata_key, &kb, &blob, None);
            }
            Ok(Claim::Won(rec))
        }))
    }

    fn secret<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, Option<SecretRecord>> {
        Box::pin(self.run(move |g, _| match g.m.secret(secret_key) {
            Some(e) if format::secret_expires_at(e.value()) > now => {
                SecretRecord::decode(e.value()).map(Some)
            }
            _ => Ok(None),
        }))
    }

    fn claim_preview<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, bool> {
        Box::pin(self.run(move |g, sh| {
            let Some(e) = g.m.receipt(metadata_key) else {
                return Ok(false);
            };
            if format::receipt_expires_at(e.value()) <= now {
                return Ok(false);
            }
            let mut r = format::decode_receipt(metadata_key, e.value())?;
            if !r.preview {
                return Ok(false);
            }
            r.preview = false;
            let blob = format::encode_receipt(&r);
            let mut buf = Vec::with_capacity(192);
            let mut fb = FrameBuilder::new(&mut buf);
            fb.put(PUT_RECEIPT, metadata_key, &blob)?;
            fb.finish();
            // Logged before it is answered: a restart never shows the value a second time.
            g.write(sh, &buf)?;
            let seg = g.cur_seg;
            let kb = key_buf(metadata_key)?;
            g.m.set_receipt(seg, metadata_key, &kb, &blob, None);
            Ok(true)
        }))
    }

    fn receipt<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, Option<ReceiptRecord>> {
        Box::pin(self.run(move |g, _| match g.m.receipt(metadata_key) {
            Some(e) if format::receipt_expires_at(e.value()) > now => {
                format::decode_receipt(metadata_key, e.value()).map(Some)
            }
            _ => Ok(None),
        }))
    }

    fn recent<'a>(
        &'a self,
        custid: &'a str,
        since: u64,
        now: u64,
    ) -> BoxFut<'a, Vec<ReceiptRecord>> {
        Box::pin(self.run(move |g, _| {
            let mut out = Vec::new();
            let Some(set) = g.m.recent.get(custid) else {
                return Ok(out);
            };
            for (_, key) in set.range((since, Box::<str>::from(""))..).rev() {
                if let Some(e) = g.m.receipt(key)
                    && format::receipt_expires_at(e.value()) > now
                {
                    out.push(format::decode_receipt(key, e.value())?);
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
            keyguard::bind_file(&self.sh.dir.join("MASTER_KEY_ID"), id)?;
            self.key_guard.bind(id);
            Ok(())
        })
    }

    fn gauges(&self) -> BoxFut<'_, Vec<super::Gauge>> {
        let s = self.stats();
        Box::pin(std::future::ready(Ok(vec![
            ("store_secrets", "Live secrets", s.secrets as u64),
            ("store_receipts", "Live receipts", s.receipts as u64),
            (
                "store_log_bytes",
                "Bytes in the log's segments",
                s.log_bytes,
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
                    let (n, more) = self.run(move |g, sh| g.sweep_shard(sh, shard, now)).await?;
                    removed += n;
                    if n > 0 {
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
        let k = crate::new_key().expect("key");
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
