//! The embedded backend: an append-only log replayed into memory.
//!
//! - **Memory** holds every live secret and receipt (encoded, ~250 bytes per receipt plus
//!   each secret's ciphertext) behind one mutex. Every operation, including the atomic
//!   claim, is a short critical section on it, so of concurrent reveals and burns exactly
//!   one wins.
//! - **The log** (`<dir>/NNNNNNNN.log` segments, format in [`format`]) records every state
//!   change as a CRC-checked frame: a create is one frame (secret + receipt), a claim is
//!   one frame (secret deleted + receipt updated), sweeps append deletes. Frames are
//!   appended to a pending buffer under the mutex, in the same order as the changes.
//! - **One writer thread** takes everything pending and writes it with one `write(2)` per
//!   segment (group write). A request is answered only after the write holding its frame
//!   has returned: the data is then in the kernel and survives the death of the process
//!   (SIGKILL, panic, OOM kill). A read that saw changes whose frames are not yet written
//!   also waits, so nothing is ever answered from state a crash could undo.
//! - **fsync**: [`Fsync::Interval`] (default) fdatasyncs in the background at most every
//!   interval, bounding what a power failure can lose; [`Fsync::Always`] fdatasyncs each
//!   group of writes before answering (group commit).
//! - **Replay** at open reads the segments in order; a torn or corrupt frame (a crash
//!   mid-write) ends the last segment, which is truncated there. Expired records are
//!   dropped.
//! - **Compaction**: the log rotates to a new segment every `segment_bytes`. When the log
//!   is mostly garbage, a background thread takes the oldest segment, re-appends the
//!   records still live in it (in small batches, through the normal write path), syncs,
//!   and deletes the file. Only the oldest segment is ever removed, so a delete record
//!   can never be dropped while an older put it cancels still exists.
//! - A write or fsync error stops the store (every later call fails) until a restart,
//!   whose replay brings back a consistent state.

mod format;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

use self::format::{
    DEL_RECEIPT, DEL_SECRET, FrameBuilder, FrameReader, MAGIC, Next, PUT_RECEIPT, PUT_SECRET,
    RECORD_OVERHEAD, Record,
};
use super::{BoxFut, Claim, Outcome, ReceiptRecord, SecretRecord, Store, StoreError};

/// When the log is fdatasynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before answering: each group of writes is followed by one fdatasync (group commit).
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

/// Most records in one sweep or compaction frame.
const BATCH: usize = 512;
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

/// A live record: its encoded value and the segment holding its latest put.
struct Entry {
    blob: Box<[u8]>,
    seg: u32,
}

fn rec_size(key: &str, blob: &[u8]) -> u64 {
    (RECORD_OVERHEAD + key.len() + blob.len()) as u64
}

#[derive(Debug, Default, Clone, Copy)]
struct SegStat {
    /// Bytes in the file (or assigned to it and not yet written).
    bytes: u64,
    /// Bytes of the puts in it that are still the latest of their key.
    live: u64,
}

/// Bytes waiting for the writer, all for one segment.
struct Chunk {
    seg: u32,
    bytes: Vec<u8>,
}

type Settled = Result<(), String>;

/// Someone waiting for the writer to get past everything pending when it registered.
enum Waiter {
    Task(oneshot::Sender<Settled>),
    Thread(std::sync::mpsc::Sender<Settled>),
}

impl Waiter {
    fn done(self, r: Settled) {
        // A receiver that went away (client gone) is fine to ignore.
        match self {
            Waiter::Task(t) => drop(t.send(r)),
            Waiter::Thread(t) => drop(t.send(r)),
        }
    }
}

/// Everything behind the store's mutex.
struct Inner {
    secrets: HashMap<Box<str>, Entry>,
    receipts: HashMap<Box<str>, Entry>,
    /// custid → (created, metadata_key), for `recent` (accounts only, not `anon`).
    recent: HashMap<Box<str>, BTreeSet<(u64, Box<str>)>>,
    segs: BTreeMap<u32, SegStat>,
    /// The segment new frames go to.
    cur_seg: u32,
    segment_bytes: u64,
    /// Frames not yet taken by the writer, in log order.
    pending: Vec<Chunk>,
    waiters: Vec<Waiter>,
    /// The writer holds a batch it has not finished writing.
    in_flight: bool,
    writer_idle: bool,
    failed: Option<String>,
    closing: bool,
}

impl Inner {
    fn new(segment_bytes: u64) -> Self {
        Inner {
            secrets: HashMap::new(),
            receipts: HashMap::new(),
            recent: HashMap::new(),
            segs: BTreeMap::new(),
            cur_seg: 1,
            segment_bytes: segment_bytes.max(MAGIC.len() as u64 + 1),
            pending: Vec::new(),
            waiters: Vec::new(),
            in_flight: false,
            writer_idle: false,
            failed: None,
            closing: false,
        }
    }

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

    /// Whether some change visible in memory may not have reached the kernel yet.
    fn unsettled(&self) -> bool {
        self.in_flight || !self.pending.is_empty()
    }

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

    /// Appends a finished frame to the pending log of the current segment (call it
    /// after the map changes the frame records: they are accounted to `cur_seg`).
    fn append(&mut self, frame: &[u8]) {
        if frame.is_empty() {
            return;
        }
        let seg = self.cur_seg;
        match self.pending.last_mut() {
            Some(c) if c.seg == seg => c.bytes.extend_from_slice(frame),
            _ => self.pending.push(Chunk {
                seg,
                bytes: frame.to_vec(),
            }),
        }
        let st = self.segs.entry(seg).or_default();
        st.bytes += frame.len() as u64;
        if st.bytes >= self.segment_bytes {
            self.cur_seg += 1;
            self.segs.insert(
                self.cur_seg,
                SegStat {
                    bytes: MAGIC.len() as u64,
                    live: 0,
                },
            );
        }
    }

    fn set_secret(&mut self, key: &str, blob: Box<[u8]>) {
        let seg = self.cur_seg;
        let n = rec_size(key, &blob);
        let old = match self.secrets.get_mut(key) {
            Some(e) => Some(std::mem::replace(e, Entry { blob, seg })),
            None => {
                self.secrets.insert(key.into(), Entry { blob, seg });
                None
            }
        };
        if let Some(old) = old {
            self.live_sub(old.seg, rec_size(key, &old.blob));
        }
        self.live_add(seg, n);
    }

    fn remove_secret(&mut self, key: &str) -> Option<Box<[u8]>> {
        let old = self.secrets.remove(key)?;
        self.live_sub(old.seg, rec_size(key, &old.blob));
        Some(old.blob)
    }

    /// Stores an encoded receipt; `index` = (custid, created) when it belongs to an account.
    fn set_receipt(&mut self, key: &str, blob: Box<[u8]>, index: Option<(&str, u64)>) {
        let seg = self.cur_seg;
        let n = rec_size(key, &blob);
        let old = match self.receipts.get_mut(key) {
            Some(e) => Some(std::mem::replace(e, Entry { blob, seg })),
            None => {
                self.receipts.insert(key.into(), Entry { blob, seg });
                None
            }
        };
        if let Some(old) = old {
            self.live_sub(old.seg, rec_size(key, &old.blob));
        }
        self.live_add(seg, n);
        if let Some((custid, created)) = index {
            self.recent
                .entry(custid.into())
                .or_default()
                .insert((created, key.into()));
        }
    }

    fn remove_receipt(&mut self, key: &str) -> Option<Box<[u8]>> {
        let old = self.receipts.remove(key)?;
        self.live_sub(old.seg, rec_size(key, &old.blob));
        if let Ok(r) = format::decode_receipt(key, &old.blob)
            && r.custid != "anon"
            && let Some(set) = self.recent.get_mut(r.custid.as_str())
        {
            set.remove(&(r.created, Box::from(key)));
            if set.is_empty() {
                self.recent.remove(r.custid.as_str());
            }
        }
        Some(old.blob)
    }

    /// Applies one replayed record.
    fn replay(&mut self, rec: Record<'_>) -> Result<(), StoreError> {
        match rec {
            Record::Put {
                tag: PUT_SECRET,
                key,
                value,
            } => self.set_secret(key, value.into()),
            Record::Put {
                tag: PUT_RECEIPT,
                key,
                value,
            } => {
                let r = format::decode_receipt(key, value)?;
                let index = (r.custid != "anon").then_some((r.custid.as_str(), r.created));
                self.set_receipt(key, value.into(), index);
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

/// The log files, shared by the writer, the syncer and the compactor.
struct Files {
    /// The segment the writer appends to.
    current: Option<(u32, Arc<File>)>,
    /// Closed segments not fdatasynced since their last write.
    unsynced: Vec<Arc<File>>,
    /// A segment file was created or removed since the directory was last fsynced.
    dir_dirty: bool,
    /// Bytes written / known synced (monotonic counters over all segments).
    written: u64,
    synced: u64,
}

struct Shared {
    dir: PathBuf,
    opts: Options,
    inner: Mutex<Inner>,
    /// The writer sleeps on it (with `inner`).
    work: Condvar,
    files: Mutex<Files>,
    /// Serializes fdatasync rounds, so a finished round covers every earlier write.
    sync_lock: Mutex<()>,
    /// Serializes compactions.
    compact_lock: Mutex<()>,
    closing: AtomicBool,
    /// Background threads sleep on it.
    bg: Mutex<()>,
    bg_cv: Condvar,
    /// Held (flock) for the store's lifetime: one process per directory.
    _lock: File,
}

/// The embedded [`Store`]: an append-only log replayed into memory (see the module docs).
pub struct EmbeddedStore {
    sh: Arc<Shared>,
}

impl EmbeddedStore {
    /// Opens (or creates) the store in directory `dir` with default options.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, Options::default())
    }

    /// Opens (or creates) the store in `dir`: replays the log and starts the writer,
    /// syncer and compactor threads. Fails if another process has the directory open.
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
        let mut inner = Inner::new(opts.segment_bytes);
        let last = found.last().copied();
        let mut dir_dirty = false;
        for &seg in &found {
            replay_segment(dir, seg, Some(seg) == last, &mut inner)?;
        }
        let cur = match last {
            Some(seg) => seg,
            None => {
                let mut f = OpenOptions::new()
                    .create_new(true)
                    .append(true)
                    .open(dir.join(segment_name(1)))
                    .map_err(io_err)?;
                f.write_all(MAGIC).map_err(io_err)?;
                inner.segs.insert(
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
        inner.cur_seg = cur;
        // Expired records are gone for every reader: drop them now.
        let now = unix_now();
        let dead: Vec<Box<str>> = inner
            .secrets
            .iter()
            .filter(|(_, e)| format::secret_expires_at(&e.blob) <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in dead {
            inner.remove_secret(&k);
        }
        let dead: Vec<Box<str>> = inner
            .receipts
            .iter()
            .filter(|(_, e)| format::receipt_expires_at(&e.blob) <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in dead {
            inner.remove_receipt(&k);
        }
        let file = OpenOptions::new()
            .append(true)
            .open(dir.join(segment_name(cur)))
            .map_err(io_err)?;
        tracing::info!(
            secrets = inner.secrets.len(),
            receipts = inner.receipts.len(),
            segments = inner.segs.len(),
            "embedded store opened"
        );
        let fsync = opts.fsync;
        let sh = Arc::new(Shared {
            dir: dir.to_owned(),
            opts,
            inner: Mutex::new(inner),
            work: Condvar::new(),
            files: Mutex::new(Files {
                current: Some((cur, Arc::new(file))),
                unsynced: Vec::new(),
                dir_dirty,
                written: 0,
                synced: 0,
            }),
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
        spawn("ots-log-writer", Box::new(move || writer_loop(&s)))?;
        if let Fsync::Interval(every) = fsync {
            let s = sh.clone();
            spawn("ots-log-sync", Box::new(move || syncer_loop(&s, every)))?;
        }
        let s = sh.clone();
        spawn("ots-log-compact", Box::new(move || compactor_loop(&s)))?;
        Ok(EmbeddedStore { sh })
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        let g = lock(&self.sh.inner);
        Stats {
            secrets: g.secrets.len(),
            receipts: g.receipts.len(),
            segments: g.segs.len(),
            log_bytes: g.segs.values().map(|s| s.bytes).sum(),
            live_bytes: g.segs.values().map(|s| s.live).sum(),
        }
    }

    /// Compacts every closed segment now, whatever the thresholds; returns how many
    /// segment files were removed. Blocks: call it from a blocking context.
    pub fn compact_now(&self) -> Result<usize, StoreError> {
        let upto = lock(&self.sh.inner).cur_seg;
        let mut removed = 0;
        loop {
            let oldest = lock(&self.sh.inner).segs.keys().next().copied();
            match oldest {
                Some(seg) if seg < upto => {
                    self.sh.compact_segment(seg)?;
                    removed += 1;
                }
                _ => return Ok(removed),
            }
        }
    }

    /// Runs `f` on the state, then waits until every change it may have seen or made
    /// has been written (and fsynced, with [`Fsync::Always`]).
    async fn run<T>(
        &self,
        f: impl FnOnce(&mut Inner) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (out, rx) = {
            let mut g = lock(&self.sh.inner);
            g.check()?;
            let out = f(&mut g)?;
            let rx = if g.unsettled() {
                let (tx, rx) = oneshot::channel();
                g.waiters.push(Waiter::Task(tx));
                self.sh.wake_writer(&mut g);
                Some(rx)
            } else {
                None
            };
            (out, rx)
        };
        if let Some(rx) = rx {
            rx.await
                .map_err(|_| StoreError::Backend("log writer stopped".into()))?
                .map_err(StoreError::Backend)?;
        }
        Ok(out)
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        self.sh.closing.store(true, Ordering::SeqCst);
        {
            let mut g = lock(&self.sh.inner);
            g.closing = true;
            self.sh.work.notify_all();
        }
        let _g = lock(&self.sh.bg);
        self.sh.bg_cv.notify_all();
    }
}

impl Shared {
    fn wake_writer(&self, g: &mut Inner) {
        if g.writer_idle {
            g.writer_idle = false;
            self.work.notify_one();
        }
    }

    fn fail(&self, e: &str) {
        tracing::error!(error = %e, "embedded store log failed; refusing further requests");
        let mut g = lock(&self.inner);
        g.failed.get_or_insert_with(|| e.to_owned());
    }

    /// Blocks until everything appended so far has been written (a thread waiter).
    fn barrier(&self) -> Result<(), StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let mut g = lock(&self.inner);
            g.check()?;
            g.waiters.push(Waiter::Thread(tx));
            self.wake_writer(&mut g);
        }
        rx.recv()
            .map_err(|_| StoreError::Backend("log writer stopped".into()))?
            .map_err(StoreError::Backend)
    }

    /// fdatasyncs every segment written since the last round (and the directory if a
    /// file was created or removed). When it returns, every write made before the call
    /// is on disk.
    fn sync_files(&self) -> std::io::Result<()> {
        let _round = lock(&self.sync_lock);
        let (current, old, dir, target) = {
            let mut f = lock(&self.files);
            if f.synced == f.written && f.unsynced.is_empty() && !f.dir_dirty {
                return Ok(());
            }
            (
                f.current.as_ref().map(|c| c.1.clone()),
                std::mem::take(&mut f.unsynced),
                std::mem::take(&mut f.dir_dirty),
                f.written,
            )
        };
        for file in &old {
            file.sync_data()?;
        }
        if let Some(file) = current {
            file.sync_data()?;
        }
        if dir {
            File::open(&self.dir)?.sync_all()?;
        }
        let mut f = lock(&self.files);
        f.synced = f.synced.max(target);
        Ok(())
    }

    /// Opens segment `seg` for appending and makes it the current one.
    fn rotate(&self, seg: u32) -> std::io::Result<Arc<File>> {
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(self.dir.join(segment_name(seg)))?;
        file.write_all(MAGIC)?;
        let file = Arc::new(file);
        let mut f = lock(&self.files);
        if let Some((_, old)) = f.current.replace((seg, file.clone())) {
            f.unsynced.push(old);
        }
        f.dir_dirty = true;
        Ok(file)
    }

    fn write_chunks(&self, chunks: &[Chunk], cur: &mut (u32, Arc<File>)) -> std::io::Result<()> {
        for c in chunks {
            if c.seg != cur.0 {
                *cur = (c.seg, self.rotate(c.seg)?);
            }
            (&*cur.1).write_all(&c.bytes)?;
            lock(&self.files).written += c.bytes.len() as u64;
        }
        Ok(())
    }

    /// The segment to compact next, if the log needs it: the oldest closed segment when
    /// nothing in it is live, or when the log is big enough and at least half garbage.
    fn compaction_candidate(&self) -> Option<u32> {
        let g = lock(&self.inner);
        let (&oldest, st) = g.segs.iter().next()?;
        if oldest >= g.cur_seg {
            return None;
        }
        if st.live == 0 {
            return Some(oldest);
        }
        let total: u64 = g.segs.values().map(|s| s.bytes).sum();
        let live: u64 = g.segs.values().map(|s| s.live).sum();
        (total >= self.opts.compact_min_bytes && live.saturating_mul(2) <= total).then_some(oldest)
    }

    /// Re-appends the records of `seg` that are still live, makes that durable, and
    /// removes the segment file.
    fn compact_segment(&self, seg: u32) -> Result<(), StoreError> {
        let _one = lock(&self.compact_lock);
        if !lock(&self.inner).segs.contains_key(&seg) {
            return Ok(());
        }
        // Everything assigned to `seg` must be in its file before it is read.
        self.barrier()?;
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
        if lock(&self.inner).segs.get(&seg).is_some_and(|s| s.live > 0) {
            tracing::warn!(
                segment = seg,
                "compaction: live records not found in the file"
            );
            self.move_live(seg, &mut keys, true)?;
        }
        self.barrier()?;
        self.sync_files().map_err(|e| {
            self.fail(&e.to_string());
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
        lock(&self.inner).segs.remove(&seg);
        tracing::debug!(segment = seg, "compacted log segment");
        Ok(())
    }

    /// Re-appends the listed records (or, with `scan`, every record) whose latest put is
    /// still in `seg`, and waits until they are written.
    fn move_live(
        &self,
        seg: u32,
        keys: &mut Vec<(u8, Box<str>)>,
        scan: bool,
    ) -> Result<(), StoreError> {
        {
            let mut guard = lock(&self.inner);
            guard.check()?;
            let g = &mut *guard;
            if scan {
                keys.clear();
                keys.extend(
                    g.secrets
                        .iter()
                        .filter(|(_, e)| e.seg == seg)
                        .map(|(k, _)| (PUT_SECRET, k.clone())),
                );
                keys.extend(
                    g.receipts
                        .iter()
                        .filter(|(_, e)| e.seg == seg)
                        .map(|(k, _)| (PUT_RECEIPT, k.clone())),
                );
            }
            if keys.is_empty() {
                return Ok(());
            }
            let cur = g.cur_seg;
            let mut buf = Vec::new();
            let mut moved = 0u64;
            for batch in keys.chunks(BATCH) {
                let mut frame = FrameBuilder::new(&mut buf);
                for (tag, key) in batch {
                    let map = if *tag == PUT_SECRET {
                        &mut g.secrets
                    } else {
                        &mut g.receipts
                    };
                    if let Some(e) = map.get_mut(&**key)
                        && e.seg == seg
                    {
                        frame.put(*tag, key, &e.blob)?;
                        e.seg = cur;
                        moved += rec_size(key, &e.blob);
                    }
                }
                frame.finish();
            }
            keys.clear();
            g.live_sub(seg, moved);
            g.live_add(cur, moved);
            g.append(&buf);
        }
        self.barrier()
    }
}

/// Replays one segment into `inner`. A torn or corrupt frame ends the segment; in the
/// last segment (a crash mid-write) the file is truncated there.
fn replay_segment(dir: &Path, seg: u32, last: bool, inner: &mut Inner) -> Result<(), StoreError> {
    let path = dir.join(segment_name(seg));
    inner.cur_seg = seg;
    inner.segs.insert(seg, SegStat::default());
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
        if let Some(s) = inner.segs.get_mut(&seg) {
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
                    if let Err(e) = inner.replay(r) {
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
    if let Some(s) = inner.segs.get_mut(&seg) {
        s.bytes = if last { valid } else { len };
    }
    tracing::debug!(segment = seg, frames = n, "replayed log segment");
    Ok(())
}

fn writer_loop(sh: &Shared) {
    let (cur_seg, cur_file) = match lock(&sh.files).current.clone() {
        Some(c) => c,
        None => return,
    };
    let mut cur = (cur_seg, cur_file);
    let always = sh.opts.fsync == Fsync::Always;
    loop {
        let (chunks, waiters, failed) = {
            let mut g = lock(&sh.inner);
            while g.pending.is_empty() && g.waiters.is_empty() {
                if g.closing {
                    drop(g);
                    if let Err(e) = sh.sync_files() {
                        tracing::error!(error = %e, "final log fsync failed");
                    }
                    return;
                }
                g.writer_idle = true;
                g = sh.work.wait(g).unwrap_or_else(PoisonError::into_inner);
            }
            g.writer_idle = false;
            g.in_flight = true;
            let chunks = std::mem::take(&mut g.pending);
            let waiters = std::mem::take(&mut g.waiters);
            (chunks, waiters, g.failed.clone())
        };
        let result = match failed {
            // After a failure nothing more is written: the file may end mid-frame.
            Some(e) => Err(e),
            None => sh
                .write_chunks(&chunks, &mut cur)
                .and_then(|()| if always { sh.sync_files() } else { Ok(()) })
                .map_err(|e| e.to_string()),
        };
        if let Err(e) = &result {
            sh.fail(e);
        }
        lock(&sh.inner).in_flight = false;
        for w in waiters {
            w.done(result.clone());
        }
    }
}

fn syncer_loop(sh: &Shared, every: Duration) {
    loop {
        {
            let g = lock(&sh.bg);
            let _ = sh
                .bg_cv
                .wait_timeout_while(g, every, |_| !sh.closing.load(Ordering::SeqCst));
        }
        if sh.closing.load(Ordering::SeqCst) {
            return;
        }
        if let Err(e) = sh.sync_files() {
            sh.fail(&format!("fdatasync: {e}"));
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
    ) -> BoxFut<'a, ()> {
        Box::pin(async move {
            // Encode outside the lock; inside it only maps and the pending buffer change.
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
            self.run(move |g| {
                g.set_secret(secret_key, sblob.into());
                g.set_receipt(&receipt.metadata_key, rblob.into(), index);
                g.append(&frame);
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
    ) -> BoxFut<'a, Claim> {
        Box::pin(self.run(move |g| {
            let Some(entry) = g.secrets.get(secret_key) else {
                return Ok(Claim::Missing);
            };
            if format::secret_expires_at(&entry.blob) <= now {
                g.remove_secret(secret_key);
                let mut buf = Vec::new();
                let mut fb = FrameBuilder::new(&mut buf);
                fb.del(DEL_SECRET, secret_key);
                fb.finish();
                g.append(&buf);
                return Ok(Claim::Missing);
            }
            if !passphrase_checked && format::secret_has_passphrase(&entry.blob) {
                let rec = SecretRecord::decode(&entry.blob)?;
                return Ok(Claim::NeedsPassphrase(rec.passphrase.unwrap_or_default()));
            }
            let rec = SecretRecord::decode(&entry.blob)?;
            let updated = match g.receipts.get(rec.metadata_key.as_str()) {
                Some(e) => {
                    let mut r = format::decode_receipt(&rec.metadata_key, &e.blob)?;
                    r.mark(outcome, now);
                    Some(format::encode_receipt(&r))
                }
                None => None,
            };
            let mut buf = Vec::with_capacity(160);
            let mut fb = FrameBuilder::new(&mut buf);
            fb.del(DEL_SECRET, secret_key);
            if let Some(blob) = &updated {
                fb.put(PUT_RECEIPT, &rec.metadata_key, blob)?;
            }
            fb.finish();
            g.remove_secret(secret_key);
            if let Some(blob) = updated {
                // Same receipt key, same index entry: nothing to add to `recent`.
                g.set_receipt(&rec.metadata_key, blob.into(), None);
            }
            g.append(&buf);
            Ok(Claim::Won(rec))
        }))
    }

    fn secret<'a>(&'a self, secret_key: &'a str, now: u64) -> BoxFut<'a, Option<SecretRecord>> {
        Box::pin(self.run(move |g| match g.secrets.get(secret_key) {
            Some(e) if format::secret_expires_at(&e.blob) > now => {
                SecretRecord::decode(&e.blob).map(Some)
            }
            _ => Ok(None),
        }))
    }

    fn receipt<'a>(&'a self, metadata_key: &'a str, now: u64) -> BoxFut<'a, Option<ReceiptRecord>> {
        Box::pin(self.run(move |g| match g.receipts.get(metadata_key) {
            Some(e) if format::receipt_expires_at(&e.blob) > now => {
                format::decode_receipt(metadata_key, &e.blob).map(Some)
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
        Box::pin(self.run(move |g| {
            let mut out = Vec::new();
            let Some(set) = g.recent.get(custid) else {
                return Ok(out);
            };
            for (_, key) in set.range((since, Box::<str>::from(""))..).rev() {
                if let Some(e) = g.receipts.get(key)
                    && format::receipt_expires_at(&e.blob) > now
                {
                    out.push(format::decode_receipt(key, &e.blob)?);
                }
            }
            Ok(out)
        }))
    }

    fn sweep(&self, now: u64) -> BoxFut<'_, usize> {
        Box::pin(self.run(move |g| {
            let secrets: Vec<Box<str>> = g
                .secrets
                .iter()
                .filter(|(_, e)| format::secret_expires_at(&e.blob) <= now)
                .map(|(k, _)| k.clone())
                .collect();
            let receipts: Vec<Box<str>> = g
                .receipts
                .iter()
                .filter(|(_, e)| format::receipt_expires_at(&e.blob) <= now)
                .map(|(k, _)| k.clone())
                .collect();
            let removed = secrets.len() + receipts.len();
            let mut buf = Vec::new();
            for batch in secrets.chunks(BATCH) {
                let mut fb = FrameBuilder::new(&mut buf);
                for k in batch {
                    fb.del(DEL_SECRET, k);
                }
                fb.finish();
            }
            for batch in receipts.chunks(BATCH) {
                let mut fb = FrameBuilder::new(&mut buf);
                for k in batch {
                    fb.del(DEL_RECEIPT, k);
                }
                fb.finish();
            }
            for k in &secrets {
                g.remove_secret(k);
            }
            for k in &receipts {
                g.remove_receipt(k);
            }
            g.append(&buf);
            Ok(removed)
        }))
    }

    fn name(&self) -> &'static str {
        "embedded"
    }
}
