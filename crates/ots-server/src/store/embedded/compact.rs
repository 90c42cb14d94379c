//! Compaction: the oldest closed segment's live records are appended again, made
//! durable, and the segment file is removed.

use std::fs::File;
use std::io::{BufReader, Read};

use super::format::{
    self, FrameBuilder, FrameReader, MAGIC, Next, PUT_RECEIPT, PUT_SECRET, Record,
};
use super::log::{Log, segment_name};
use super::{PAUSE, io_err, lock};
use crate::store::StoreError;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Most records a compaction copies per hold of the lock.
const BATCH: usize = 256;
/// How often the compactor looks at the log.
const COMPACT_CHECK: Duration = Duration::from_secs(1);

impl Log {
    /// The segment to compact next, if the log needs it: the oldest closed segment when
    /// nothing in it is live, or when the log is big enough and at least half garbage.
    pub(super) fn compaction_candidate(&self) -> Option<u32> {
        let inner = lock(&self.inner);
        let (&oldest, oldest_stat) = inner.maps.segs.iter().next()?;
        if oldest >= inner.cur_seg {
            return None;
        }
        if oldest_stat.live == 0 {
            return Some(oldest);
        }
        let total: u64 = inner.maps.segs.values().map(|stat| stat.bytes).sum();
        let live: u64 = inner.maps.segs.values().map(|stat| stat.live).sum();
        (total >= self.opts.compact_min_bytes && live.saturating_mul(2) <= total).then_some(oldest)
    }

    /// Re-appends the records of `seg` that are still live, makes that durable, and
    /// removes the segment file.
    pub(super) fn compact_segment(&self, seg: u32) -> Result<(), StoreError> {
        let _one = lock(&self.compact_lock);
        if !lock(&self.inner).maps.segs.contains_key(&seg) {
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
                        for record in recs {
                            if let Record::Put { tag, key, .. } = record {
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
            .maps
            .segs
            .get(&seg)
            .is_some_and(|stat| stat.live > 0)
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
            .and_then(|dir| dir.sync_all())
            .map_err(io_err)?;
        lock(&self.inner).maps.segs.remove(&seg);
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
            let inner = lock(&self.inner);
            keys.clear();
            for (tag, table) in [
                (PUT_SECRET, &inner.maps.secrets),
                (PUT_RECEIPT, &inner.maps.receipts),
            ] {
                keys.extend(
                    table
                        .iter()
                        .filter(|rec| rec.seg == seg)
                        .map(|rec| (tag, rec.key().into())),
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

    /// One hold of the lock of [`Log::move_live`]; returns how many records moved.
    fn move_batch(&self, seg: u32, batch: &[(u8, Box<str>)]) -> Result<usize, StoreError> {
        let mut inner = lock(&self.inner);
        inner.check()?;
        let mut buf = Vec::new();
        let mut moved = Vec::with_capacity(batch.len());
        let mut frame = FrameBuilder::new(&mut buf);
        for (tag, key) in batch {
            let rec = if *tag == PUT_SECRET {
                inner.maps.secret(key)
            } else {
                inner.maps.receipt(key)
            };
            if let Some(rec) = rec.filter(|rec| rec.seg == seg) {
                frame.put(*tag, key, rec.value())?;
                moved.push((*tag, rec.key_bytes().to_vec()));
            }
        }
        frame.finish();
        inner.write(self, &buf)?;
        let cur = inner.cur_seg;
        for (tag, packed) in &moved {
            inner.maps.reseat(*tag, packed, cur);
        }
        Ok(moved.len())
    }
}

/// The compactor thread: every [`COMPACT_CHECK`], compacts while the log needs it.
pub(super) fn compactor_loop(log: &Log) {
    loop {
        {
            let inner = lock(&log.bg);
            let _ = log.bg_cv.wait_timeout_while(inner, COMPACT_CHECK, |_| {
                !log.closing.load(Ordering::SeqCst)
            });
        }
        // At most the segments closed now: copies made by this round are not revisited.
        let upto = lock(&log.inner).cur_seg;
        while let Some(seg) = log.compaction_candidate().filter(|&s| s < upto) {
            if log.closing.load(Ordering::SeqCst) {
                return;
            }
            if let Err(e) = log.compact_segment(seg) {
                tracing::warn!(error = %e, segment = seg, "log compaction failed");
                break;
            }
        }
        if log.closing.load(Ordering::SeqCst) {
            return;
        }
    }
}
