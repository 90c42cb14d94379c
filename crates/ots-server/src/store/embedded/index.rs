//! The in-memory index: every live secret and receipt as one allocation in a sharded
//! set, the account → receipts index for `recent`, and what each log segment holds.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::format::{
    self, DEL_RECEIPT, DEL_SECRET, KeyBuf, PUT_RECEIPT, PUT_SECRET, RECORD_OVERHEAD,
};
use crate::store::StoreError;

/// A live record in one allocation, `klen || key || value` (the key as a [`KeyBuf`]),
/// the segment holding its latest put, and its expiry (so a sweep reads only the table,
/// not every record). Hashed and compared by its key alone, so a set of them is a map
/// looked up by key bytes (`Borrow<[u8]>`). A receipt costs about 175 bytes in all.
pub(super) struct Rec {
    data: Box<[u8]>,
    pub(super) seg: u32,
    /// `expires_at - EXP_BASE`, 0 if earlier, `u32::MAX` if later than fits.
    exp: u32,
}

/// Origin of [`Rec::exp`] (2020-09-13).
const EXP_BASE: u64 = 1_600_000_000;

impl Rec {
    fn new(key: &KeyBuf, value: &[u8], seg: u32, expires_at: u64) -> Rec {
        let key = key.as_bytes();
        let mut data = Vec::with_capacity(1 + key.len() + value.len());
        data.push(key.len() as u8);
        data.extend_from_slice(key);
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

    pub(super) fn key_bytes(&self) -> &[u8] {
        let len = self.data.first().map_or(0, |&len| usize::from(len));
        self.data.get(1..1 + len).unwrap_or_default()
    }

    pub(super) fn value(&self) -> &[u8] {
        let len = self.data.first().map_or(0, |&len| usize::from(len));
        self.data.get(1 + len..).unwrap_or_default()
    }

    pub(super) fn key(&self) -> String {
        format::unpack_key(self.key_bytes())
    }

    /// Its put record's size in the log, for the segment accounting.
    pub(super) fn size(&self) -> u64 {
        (RECORD_OVERHEAD + format::unpacked_len(self.key_bytes()) + self.value().len()) as u64
    }
}

impl std::hash::Hash for Rec {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key_bytes().hash(state);
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
pub(super) const SHARDS: usize = 64;

/// Records split over [`SHARDS`] sets by key.
pub(super) struct Table {
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
    pub(super) fn shard_of(key: &[u8]) -> usize {
        match key {
            // A packed key is a random number: its last byte is uniform.
            [1, .., last] if key.len() == 41 => usize::from(*last) % SHARDS,
            // Anything else: FNV-1a.
            _ => {
                let hash = key.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                });
                (hash % SHARDS as u64) as usize
            }
        }
    }

    fn shard(&self, key: &[u8]) -> &HashSet<Rec> {
        &self.shards[Self::shard_of(key)]
    }

    fn shard_mut(&mut self, key: &[u8]) -> &mut HashSet<Rec> {
        &mut self.shards[Self::shard_of(key)]
    }

    pub(super) fn get(&self, key: &[u8]) -> Option<&Rec> {
        self.shard(key).get(key)
    }

    pub(super) fn replace(&mut self, rec: Rec) -> Option<Rec> {
        self.shard_mut(rec.key_bytes()).replace(rec)
    }

    pub(super) fn take(&mut self, key: &[u8]) -> Option<Rec> {
        self.shard_mut(key).take(key)
    }

    pub(super) fn len(&self) -> usize {
        self.shards.iter().map(HashSet::len).sum()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Rec> {
        self.shards.iter().flatten()
    }
}

pub(super) fn key_buf(key: &str) -> Result<KeyBuf, StoreError> {
    KeyBuf::new(key).ok_or_else(|| StoreError::Backend("key too long".into()))
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct SegStat {
    /// Bytes in the file.
    pub(super) bytes: u64,
    /// Bytes of the puts in it that are still the latest of their key.
    pub(super) live: u64,
}

/// The live records, and what each segment holds.
#[derive(Default)]
pub(super) struct Maps {
    pub(super) secrets: Table,
    pub(super) receipts: Table,
    /// custid → (created, metadata_key), for `recent` (accounts only, not `anon`).
    pub(super) recent: HashMap<Box<str>, BTreeSet<(u64, Box<str>)>>,
    pub(super) segs: BTreeMap<u32, SegStat>,
}

impl Maps {
    fn live_add(&mut self, seg: u32, bytes: u64) {
        if let Some(stat) = self.segs.get_mut(&seg) {
            stat.live += bytes;
        }
    }

    fn live_sub(&mut self, seg: u32, bytes: u64) {
        if let Some(stat) = self.segs.get_mut(&seg) {
            stat.live = stat.live.saturating_sub(bytes);
        }
    }

    pub(super) fn secret(&self, key: &str) -> Option<&Rec> {
        self.secrets.get(KeyBuf::new(key)?.as_bytes())
    }

    pub(super) fn receipt(&self, key: &str) -> Option<&Rec> {
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
        let size = rec.size();
        let set = if tag == PUT_SECRET {
            &mut self.secrets
        } else {
            &mut self.receipts
        };
        if let Some(old) = set.replace(rec) {
            self.live_sub(old.seg, old.size());
        }
        self.live_add(seg, size);
    }

    pub(super) fn set_secret(&mut self, seg: u32, key: &KeyBuf, value: &[u8]) {
        self.set(PUT_SECRET, seg, key, value);
    }

    /// Stores an encoded receipt whose put is in segment `seg`; `index` = (custid,
    /// created) when it belongs to an account.
    pub(super) fn set_receipt(
        &mut self,
        seg: u32,
        key: &str,
        packed: &KeyBuf,
        value: &[u8],
        index: Option<(&str, u64)>,
    ) {
        self.set(PUT_RECEIPT, seg, packed, value);
        if let Some((custid, created)) = index {
            self.recent
                .entry(custid.into())
                .or_default()
                .insert((created, key.into()));
        }
    }

    /// Moves a record's accounting to segment `seg` (it was copied there).
    pub(super) fn reseat(&mut self, tag: u8, key: &[u8], seg: u32) {
        let set = if tag == PUT_SECRET {
            &mut self.secrets
        } else {
            &mut self.receipts
        };
        if let Some(mut rec) = set.take(key) {
            let size = rec.size();
            let old = std::mem::replace(&mut rec.seg, seg);
            set.replace(rec);
            self.live_sub(old, size);
            self.live_add(seg, size);
        }
    }

    pub(super) fn remove_secret(&mut self, key: &str) -> Option<Rec> {
        self.remove(DEL_SECRET, key, KeyBuf::new(key)?.as_bytes())
    }

    pub(super) fn remove_receipt(&mut self, key: &str) -> Option<Rec> {
        self.remove(DEL_RECEIPT, key, KeyBuf::new(key)?.as_bytes())
    }

    /// Removes the record `key` (whose [`KeyBuf`] bytes are `packed`).
    pub(super) fn remove(&mut self, tag: u8, key: &str, packed: &[u8]) -> Option<Rec> {
        let table = if tag == DEL_SECRET {
            &mut self.secrets
        } else {
            &mut self.receipts
        };
        let old = table.take(packed)?;
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

    /// Drops every record expired at `now`: expired records are gone for every reader.
    pub(super) fn drop_expired(&mut self, now: u64) {
        let dead: Vec<String> = self
            .secrets
            .iter()
            .filter(|rec| format::secret_expires_at(rec.value()) <= now)
            .map(Rec::key)
            .collect();
        for key in dead {
            self.remove_secret(&key);
        }
        let dead: Vec<String> = self
            .receipts
            .iter()
            .filter(|rec| format::receipt_expires_at(rec.value()) <= now)
            .map(Rec::key)
            .collect();
        for key in dead {
            self.remove_receipt(&key);
        }
    }

    /// Up to `limit` records of shard `shard` expired at `now`, as the tag of their
    /// delete and their key bytes.
    pub(super) fn due_in_shard(&self, shard: usize, now: u64, limit: usize) -> Vec<(u8, Vec<u8>)> {
        let mut due = Vec::new();
        for (tag, table) in [(DEL_SECRET, &self.secrets), (DEL_RECEIPT, &self.receipts)] {
            for rec in &table.shards[shard] {
                if due.len() >= limit {
                    break;
                }
                // The slot's expiry first: only candidates are read from the heap.
                if !rec.maybe_due(now) {
                    continue;
                }
                let expires_at = if tag == DEL_SECRET {
                    format::secret_expires_at(rec.value())
                } else {
                    format::receipt_expires_at(rec.value())
                };
                if expires_at <= now {
                    due.push((tag, rec.key_bytes().to_vec()));
                }
            }
        }
        due
    }
}
