//! Opening the log: every segment replayed in order into the index; a torn or corrupt
//! frame (a crash mid-write) ends its segment.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::Path;

use super::format::{
    self, DEL_RECEIPT, DEL_SECRET, FrameReader, MAGIC, Next, PUT_RECEIPT, PUT_SECRET, Record,
};
use super::index::{Maps, SegStat, key_buf};
use super::io_err;
use super::log::segment_name;
use crate::store::StoreError;

/// Replays every segment in `dir`; returns the index and the newest segment, if any.
pub(super) fn replay_dir(dir: &Path) -> Result<(Maps, Option<u32>), StoreError> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let name = entry.map_err(io_err)?.file_name();
        let name = name.to_string_lossy();
        if let Some(number) = name.strip_suffix(".log")
            && number.len() == 8
            && let Ok(seg) = number.parse::<u32>()
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
    Ok((maps, last))
}

impl Maps {
    /// Applies one replayed record of segment `seg`.
    pub(super) fn replay(&mut self, seg: u32, rec: Record<'_>) -> Result<(), StoreError> {
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
                let receipt = format::decode_receipt(key, value)?;
                let index = (receipt.custid != "anon")
                    .then_some((receipt.custid.as_str(), receipt.created));
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

/// Replays one segment. A torn or corrupt frame ends the segment; in the last segment
/// (a crash mid-write) the file is truncated there.
fn replay_segment(dir: &Path, seg: u32, last: bool, maps: &mut Maps) -> Result<(), StoreError> {
    let path = dir.join(segment_name(seg));
    maps.segs.insert(seg, SegStat::default());
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
            let mut file = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&path)
                .map_err(io_err)?;
            file.write_all(MAGIC).map_err(io_err)?;
            file.sync_all().map_err(io_err)?;
        }
        if let Some(stat) = maps.segs.get_mut(&seg) {
            stat.bytes = MAGIC.len() as u64;
        }
        return Ok(());
    }
    let mut frames = FrameReader::new(reader, len);
    let mut replayed = 0u64;
    let bad = loop {
        match frames.next().map_err(io_err)? {
            Next::End => break None,
            Next::Bad(why) => break Some(why),
            Next::Frame => {
                let recs = match format::records(&frames.payload) {
                    Ok(records) => records,
                    Err(_) => break Some("malformed record"),
                };
                for record in recs {
                    if let Err(e) = maps.replay(seg, record) {
                        tracing::error!(segment = seg, error = %e, "skipping an undecodable record");
                    }
                }
                replayed += 1;
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
            let file = OpenOptions::new().write(true).open(&path).map_err(io_err)?;
            file.set_len(valid).map_err(io_err)?;
            file.sync_all().map_err(io_err)?;
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
    if let Some(stat) = maps.segs.get_mut(&seg) {
        stat.bytes = if last { valid } else { len };
    }
    tracing::debug!(segment = seg, frames = replayed, "replayed log segment");
    Ok(())
}
