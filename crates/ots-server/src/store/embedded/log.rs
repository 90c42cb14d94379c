//! The log's files: frames appended to the current segment, a new segment when it is
//! full, and the syncer thread that fdatasyncs them ([`Fsync`]).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tokio::sync::oneshot;

use super::format::MAGIC;
use super::index::{Maps, SegStat};
use super::{Fsync, Options, io_err, lock};
use crate::store::StoreError;

/// A segment's file name: its number, zero-padded.
pub(super) fn segment_name(seg: u32) -> String {
    format!("{seg:08}.log")
}

/// Creates the first segment of an empty log.
pub(super) fn create_first_segment(dir: &Path, maps: &mut Maps) -> Result<u32, StoreError> {
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(dir.join(segment_name(1)))
        .map_err(io_err)?;
    file.write_all(MAGIC).map_err(io_err)?;
    maps.segs.insert(
        1,
        SegStat {
            bytes: MAGIC.len() as u64,
            live: 0,
        },
    );
    Ok(1)
}

/// Everything behind the store's mutex.
pub(super) struct Inner {
    pub(super) maps: Maps,
    /// The segment frames are appended to, and its file (opened for appending).
    pub(super) cur_seg: u32,
    pub(super) file: Arc<File>,
    pub(super) segment_bytes: u64,
    /// Bytes ever appended (the log sequence number of the last write's end).
    pub(super) lsn: u64,
    pub(super) failed: Option<String>,
    pub(super) closing: bool,
}

impl Inner {
    pub(super) fn check(&self) -> Result<(), StoreError> {
        if let Some(reason) = &self.failed {
            return Err(StoreError::Backend(format!(
                "embedded store stopped after a log error ({reason}); restart the server"
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
    pub(super) fn write(&mut self, log: &Log, frames: &[u8]) -> Result<(), StoreError> {
        if frames.is_empty() {
            return Ok(());
        }
        let mut len = self
            .maps
            .segs
            .get(&self.cur_seg)
            .map_or(0, |stat| stat.bytes);
        if len >= self.segment_bytes {
            let seg = self.cur_seg + 1;
            self.file = log.rotate(seg).map_err(io_err)?;
            self.cur_seg = seg;
            len = MAGIC.len() as u64;
            self.maps.segs.insert(
                seg,
                SegStat {
                    bytes: len,
                    live: 0,
                },
            );
        }
        if let Err(e) = (&*self.file).write_all(frames) {
            // A partial frame must not stay in front of later ones.
            if let Err(cut) = self.file.set_len(len) {
                let msg = format!("write failed ({e}), then cutting it off failed ({cut})");
                tracing::error!(error = %msg, "embedded store log failed");
                self.failed = Some(msg);
            }
            return Err(io_err(e));
        }
        let written = frames.len() as u64;
        if let Some(stat) = self.maps.segs.get_mut(&self.cur_seg) {
            stat.bytes += written;
        }
        self.lsn += written;
        log.written.store(self.lsn, Ordering::Release);
        Ok(())
    }
}

/// Someone waiting for an fdatasync to cover `lsn` ([`Fsync::Always`]).
pub(super) struct SyncWaiter {
    pub(super) lsn: u64,
    pub(super) tx: oneshot::Sender<Result<(), String>>,
}

/// What the fsync side knows, apart from the store's mutex.
pub(super) struct Files {
    /// The segment being appended to.
    pub(super) current: Arc<File>,
    /// Closed segments not fdatasynced since their last write.
    pub(super) unsynced: Vec<Arc<File>>,
    /// A segment file was created since the directory was last fsynced.
    pub(super) dir_dirty: bool,
    pub(super) waiters: Vec<SyncWaiter>,
}

/// The log and what the request path, the syncer and the compactor share: the index and
/// current segment behind one mutex, the files to fdatasync, and the threads' signals.
pub(super) struct Log {
    pub(super) dir: PathBuf,
    pub(super) opts: Options,
    pub(super) inner: Mutex<Inner>,
    pub(super) files: Mutex<Files>,
    /// The syncer sleeps on it (with `files`).
    pub(super) sync_cv: Condvar,
    /// Log bytes written / known to be fdatasynced.
    pub(super) written: AtomicU64,
    pub(super) synced: AtomicU64,
    /// Serializes fdatasync rounds, so a finished round covers every earlier write.
    pub(super) sync_lock: Mutex<()>,
    /// Serializes compactions.
    pub(super) compact_lock: Mutex<()>,
    pub(super) closing: AtomicBool,
    /// The compactor sleeps on it.
    pub(super) bg: Mutex<()>,
    pub(super) bg_cv: Condvar,
    /// Held (flock) for the store's lifetime: one process per directory.
    pub(super) _lock: File,
}

impl Log {
    pub(super) fn fail(&self, e: &str) {
        tracing::error!(error = %e, "embedded store log failed; refusing further requests");
        let mut inner = lock(&self.inner);
        inner.failed.get_or_insert_with(|| e.to_owned());
    }

    /// fdatasyncs every segment written since the last round (and the directory if a
    /// file was created). When it returns, every write made before the call is on disk.
    pub(super) fn sync_files(&self) -> std::io::Result<()> {
        let _round = lock(&self.sync_lock);
        let target = self.written.load(Ordering::Acquire);
        let (current, old, dir) = {
            let mut files = lock(&self.files);
            if self.synced.load(Ordering::Acquire) >= target
                && files.unsynced.is_empty()
                && !files.dir_dirty
            {
                return Ok(());
            }
            (
                files.current.clone(),
                std::mem::take(&mut files.unsynced),
                std::mem::take(&mut files.dir_dirty),
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
    pub(super) fn rotate(&self, seg: u32) -> std::io::Result<Arc<File>> {
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(self.dir.join(segment_name(seg)))?;
        file.write_all(MAGIC)?;
        let file = Arc::new(file);
        let mut files = lock(&self.files);
        let old = std::mem::replace(&mut files.current, file.clone());
        files.unsynced.push(old);
        files.dir_dirty = true;
        Ok(file)
    }
}

/// Interval: fdatasync every `every`. Always: fdatasync whenever someone waits, each
/// round covering every write made before it (group commit).
pub(super) fn syncer_loop(log: &Log, fsync: Fsync) {
    loop {
        let waiters = {
            let mut files = lock(&log.files);
            match fsync {
                Fsync::Interval(every) => {
                    files = log
                        .sync_cv
                        .wait_timeout_while(files, every, |_| !log.closing.load(Ordering::SeqCst))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                Fsync::Always => {
                    files = log
                        .sync_cv
                        .wait_while(files, |files| {
                            files.waiters.is_empty() && !log.closing.load(Ordering::SeqCst)
                        })
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
            std::mem::take(&mut files.waiters)
        };
        let result = log.sync_files().map_err(|e| format!("fdatasync: {e}"));
        if let Err(e) = &result {
            log.fail(e);
        }
        let synced = log.synced.load(Ordering::Acquire);
        let mut later = Vec::new();
        for waiter in waiters {
            match &result {
                Err(e) => drop(waiter.tx.send(Err(e.clone()))),
                // Written after this round began: the next round covers it.
                Ok(()) if waiter.lsn > synced => later.push(waiter),
                Ok(()) => drop(waiter.tx.send(Ok(()))),
            }
        }
        if !later.is_empty() {
            lock(&log.files).waiters.extend(later);
        }
        if result.is_err() {
            return;
        }
        if log.closing.load(Ordering::SeqCst) && lock(&log.files).waiters.is_empty() {
            return;
        }
    }
}
