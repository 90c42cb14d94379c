//! The on-disk format of the embedded store's log, version 1.
//!
//! A segment file is `MAGIC` followed by frames:
//!
//! ```text
//! frame  = le32 len || le32 crc32(le32 len || payload) || payload      (len = payload bytes)
//! payload = record+
//! record = 0x01 PutSecret  || le16 klen || key || le32 vlen || SecretRecord::encode()
//!        | 0x02 PutReceipt || le16 klen || key || le32 vlen || encode_receipt()
//!        | 0x03 DelSecret  || le16 klen || key
//!        | 0x04 DelReceipt || le16 klen || key
//! ```
//!
//! A frame is the unit of atomicity: a create (secret + receipt) or a claim (secret
//! deleted + receipt updated) is one frame, so replay sees all of it or none of it.
//! A frame that is cut short or fails its CRC ends the replay of its segment.

use crate::store::{ReceiptRecord, State, StoreError};

/// First bytes of every segment file.
pub const MAGIC: &[u8; 8] = b"OTSLOG\x00\x01";
/// `le32 len || le32 crc`.
pub const FRAME_HEADER: usize = 8;
/// Largest payload a frame may have (a sanity bound for replay).
pub const MAX_FRAME: usize = 256 << 20;
/// Bytes a record adds besides its key and value (tag, key length, value length).
pub const RECORD_OVERHEAD: usize = 1 + 2 + 4;

/// Record tags.
pub const PUT_SECRET: u8 = 1;
pub const PUT_RECEIPT: u8 = 2;
pub const DEL_SECRET: u8 = 3;
pub const DEL_RECEIPT: u8 = 4;

// ---------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, reflected, as zlib), slicing by 8.

const fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut s = 1;
        while s < 8 {
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][(t[s - 1][i] & 0xff) as usize];
            s += 1;
        }
        i += 1;
    }
    t
}

static CRC: [[u32; 256]; 8] = crc_tables();

/// CRC-32 state; `Crc32::new().update(a).update(b).finish()` equals `crc32(a ++ b)`.
#[derive(Clone, Copy)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32 {
    pub fn new() -> Self {
        Crc32(!0)
    }

    pub fn update(mut self, data: &[u8]) -> Self {
        let mut crc = self.0;
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            let lo = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ crc;
            let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
            crc = CRC[7][(lo & 0xff) as usize]
                ^ CRC[6][((lo >> 8) & 0xff) as usize]
                ^ CRC[5][((lo >> 16) & 0xff) as usize]
                ^ CRC[4][(lo >> 24) as usize]
                ^ CRC[3][(hi & 0xff) as usize]
                ^ CRC[2][((hi >> 8) & 0xff) as usize]
                ^ CRC[1][((hi >> 16) & 0xff) as usize]
                ^ CRC[0][(hi >> 24) as usize];
        }
        for &b in chunks.remainder() {
            crc = CRC[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
        }
        self.0 = crc;
        self
    }

    pub fn finish(self) -> u32 {
        !self.0
    }
}

/// CRC of a frame: over its length field and its payload.
pub fn frame_crc(len: u32, payload: &[u8]) -> u32 {
    Crc32::new()
        .update(&len.to_le_bytes())
        .update(payload)
        .finish()
}

// ---------------------------------------------------------------------------------------
// Frames and records.

/// Builds frames into a byte buffer.
pub struct FrameBuilder<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> FrameBuilder<'a> {
    /// Starts a frame at the end of `buf`.
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&[0; FRAME_HEADER]);
        FrameBuilder { buf, start }
    }

    /// Adds a put record. Fails for keys over 64 KiB or values over 4 GiB.
    pub fn put(&mut self, tag: u8, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let klen =
            u16::try_from(key.len()).map_err(|_| StoreError::Backend("key too long".into()))?;
        let vlen =
            u32::try_from(value.len()).map_err(|_| StoreError::Backend("value too long".into()))?;
        self.buf.push(tag);
        self.buf.extend_from_slice(&klen.to_le_bytes());
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(&vlen.to_le_bytes());
        self.buf.extend_from_slice(value);
        Ok(())
    }

    /// Adds a delete record (keys come from the store's maps, so they fit).
    pub fn del(&mut self, tag: u8, key: &str) {
        let k = &key.as_bytes()[..key.len().min(u16::MAX as usize)];
        self.buf.push(tag);
        self.buf.extend_from_slice(&(k.len() as u16).to_le_bytes());
        self.buf.extend_from_slice(k);
    }

    /// Whether any record was added.
    pub fn is_empty(&self) -> bool {
        self.buf.len() == self.start + FRAME_HEADER
    }

    /// Writes the header; an empty frame is removed instead. Returns the frame's size.
    pub fn finish(self) -> usize {
        if self.is_empty() {
            self.buf.truncate(self.start);
            return 0;
        }
        let payload_start = self.start + FRAME_HEADER;
        let len = (self.buf.len() - payload_start) as u32;
        let crc = frame_crc(len, &self.buf[payload_start..]);
        self.buf[self.start..self.start + 4].copy_from_slice(&len.to_le_bytes());
        self.buf[self.start + 4..payload_start].copy_from_slice(&crc.to_le_bytes());
        self.buf.len() - self.start
    }
}

/// One decoded record, borrowing from its frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Record<'a> {
    Put {
        tag: u8,
        key: &'a str,
        value: &'a [u8],
    },
    Del {
        tag: u8,
        key: &'a str,
    },
}

/// Decodes every record of a (CRC-checked) payload.
pub fn records(payload: &[u8]) -> Result<Vec<Record<'_>>, StoreError> {
    let mut out = Vec::new();
    let mut at = 0;
    let take = |at: &mut usize, n: usize| -> Result<&[u8], StoreError> {
        let s = payload.get(*at..*at + n).ok_or(StoreError::Corrupt)?;
        *at += n;
        Ok(s)
    };
    while at < payload.len() {
        let tag = take(&mut at, 1)?[0];
        let klen = u16::from_le_bytes(
            take(&mut at, 2)?
                .try_into()
                .map_err(|_| StoreError::Corrupt)?,
        ) as usize;
        let key = std::str::from_utf8(take(&mut at, klen)?).map_err(|_| StoreError::Corrupt)?;
        match tag {
            PUT_SECRET | PUT_RECEIPT => {
                let vlen = u32::from_le_bytes(
                    take(&mut at, 4)?
                        .try_into()
                        .map_err(|_| StoreError::Corrupt)?,
                ) as usize;
                let value = take(&mut at, vlen)?;
                out.push(Record::Put { tag, key, value });
            }
            DEL_SECRET | DEL_RECEIPT => out.push(Record::Del { tag, key }),
            _ => return Err(StoreError::Corrupt),
        }
    }
    Ok(out)
}

/// What [`FrameReader::next`] found.
pub enum Next {
    /// A valid frame; its payload is in the reader's buffer.
    Frame,
    /// Clean end of the segment.
    End,
    /// A torn or corrupt frame starts at the current offset.
    Bad(&'static str),
}

/// Reads frames from a segment, checking lengths and CRCs.
pub struct FrameReader<R> {
    inner: R,
    /// Offset of the next frame (the end of the valid prefix so far).
    pub offset: u64,
    /// Payload of the last frame read.
    pub payload: Vec<u8>,
    len: u64,
}

impl<R: std::io::Read> FrameReader<R> {
    /// `inner` is positioned just after the magic; `len` is the file's length.
    pub fn new(inner: R, len: u64) -> Self {
        FrameReader {
            inner,
            offset: MAGIC.len() as u64,
            payload: Vec::new(),
            len,
        }
    }

    pub fn next(&mut self) -> std::io::Result<Next> {
        let left = self.len.saturating_sub(self.offset);
        if left == 0 {
            return Ok(Next::End);
        }
        if left < FRAME_HEADER as u64 {
            return Ok(Next::Bad("short frame header"));
        }
        let mut head = [0u8; FRAME_HEADER];
        self.inner.read_exact(&mut head)?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len == 0 || len as usize > MAX_FRAME {
            return Ok(Next::Bad("bad frame length"));
        }
        if u64::from(len) > left - FRAME_HEADER as u64 {
            return Ok(Next::Bad("frame cut short"));
        }
        self.payload.resize(len as usize, 0);
        self.inner.read_exact(&mut self.payload)?;
        if frame_crc(len, &self.payload) != crc {
            return Ok(Next::Bad("frame checksum mismatch"));
        }
        self.offset += FRAME_HEADER as u64 + u64::from(len);
        Ok(Next::Frame)
    }
}

// ---------------------------------------------------------------------------------------
// Values.

/// `expires_at` of an encoded [`crate::store::SecretRecord`] without decoding it.
pub fn secret_expires_at(blob: &[u8]) -> u64 {
    blob.get(1..9)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

// ---------------------------------------------------------------------------------------
// Keys in memory.

/// A key as kept in memory: `1 || 40 bytes` for a 62-character base36 key (what
/// `new_key` makes, packed losslessly), else `0 || utf-8`. At most 255 bytes.
pub struct KeyBuf {
    buf: [u8; 256],
    len: usize,
}

impl KeyBuf {
    /// `None` for keys over 254 bytes (the store refuses to hold them).
    pub fn new(key: &str) -> Option<KeyBuf> {
        let mut buf = [0u8; 256];
        if let Some(packed) = pack36(key) {
            buf[0] = 1;
            buf[1..41].copy_from_slice(&packed);
            return Some(KeyBuf { buf, len: 41 });
        }
        let raw = key.as_bytes();
        if raw.len() > 254 {
            return None;
        }
        buf[1..=raw.len()].copy_from_slice(raw);
        Some(KeyBuf {
            buf,
            len: raw.len() + 1,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The key a [`KeyBuf`] holds.
pub fn unpack_key(enc: &[u8]) -> String {
    match enc.split_first() {
        Some((1, packed)) => packed
            .try_into()
            .map_or_else(|_| String::new(), |r| ots_core::keys::new_key(&r)),
        Some((_, raw)) => String::from_utf8_lossy(raw).into_owned(),
        None => String::new(),
    }
}

/// Length in characters of the key a [`KeyBuf`] holds.
pub fn unpacked_len(enc: &[u8]) -> usize {
    match enc.first() {
        Some(1) => ots_core::keys::KEY_LEN,
        _ => enc.len().saturating_sub(1),
    }
}

/// The 320-bit number a 62-digit lowercase base36 key stands for, if it is one whose
/// [`ots_core::keys::new_key`] is the key itself (62 digits, value below 2^320).
pub fn pack36(key: &str) -> Option<[u8; 40]> {
    if key.len() != ots_core::keys::KEY_LEN {
        return None;
    }
    // Big-endian 32-bit limbs; limbs = limbs × 36^n + (next n digits), n = 2 then 6
    // (36^6 < 2^32), failing on overflow past 320 bits.
    let mut limbs = [0u32; 10];
    let (head, rest) = key.as_bytes().split_at(2);
    for chunk in std::iter::once(head).chain(rest.chunks(6)) {
        let mut value = 0u64;
        let mut scale = 1u64;
        for &c in chunk {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'z' => c - b'a' + 10,
                _ => return None,
            };
            value = value * 36 + u64::from(d);
            scale *= 36;
        }
        let mut carry = value;
        for limb in limbs.iter_mut().rev() {
            let v = u64::from(*limb) * scale + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            return None;
        }
    }
    let mut out = [0u8; 40];
    for (chunk, limb) in out.chunks_exact_mut(4).zip(limbs) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    Some(out)
}

const RECEIPT_V1: u8 = 1;
const F_PASSPHRASE: u8 = 1;
const F_RECEIVED: u8 = 2;
const F_BURNED: u8 = 4;
/// The secret key is stored packed (40 bytes) instead of as a string.
const F_PACKED_KEY: u8 = 8;
/// The generated value may still be shown once ([`ReceiptRecord::preview`]).
const F_PREVIEW: u8 = 16;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Result<u8, StoreError> {
        let v = *self.b.get(self.at).ok_or(StoreError::Corrupt)?;
        self.at += 1;
        Ok(v)
    }

    fn varint(&mut self) -> Result<u64, StoreError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(StoreError::Corrupt)
    }

    fn str_ref(&mut self) -> Result<&'a str, StoreError> {
        let n = usize::try_from(self.varint()?).map_err(|_| StoreError::Corrupt)?;
        let s = self
            .b
            .get(self.at..self.at.checked_add(n).ok_or(StoreError::Corrupt)?)
            .ok_or(StoreError::Corrupt)?;
        self.at += n;
        std::str::from_utf8(s).map_err(|_| StoreError::Corrupt)
    }

    fn str(&mut self) -> Result<String, StoreError> {
        let n = usize::try_from(self.varint()?).map_err(|_| StoreError::Corrupt)?;
        let s = self
            .b
            .get(self.at..self.at.checked_add(n).ok_or(StoreError::Corrupt)?)
            .ok_or(StoreError::Corrupt)?;
        self.at += n;
        String::from_utf8(s.to_vec()).map_err(|_| StoreError::Corrupt)
    }
}

/// A receipt without its key (the map key), compact: about 90 bytes for an anonymous one.
///
/// `1 || varint expires_at || varint secret_expires_at || varint created || varint ttl ||
///  varint updated || state || flags || [varint received] || [varint burned] ||
///  str secret_key || str custid || varint n || str recipient × n || str share_domain`
/// where `str = varint len || utf-8`. `expires_at` comes first so the sweep reads it cheaply.
pub fn encode_receipt(r: &ReceiptRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + r.secret_key.len() + r.custid.len());
    out.push(RECEIPT_V1);
    put_varint(&mut out, r.expires_at);
    put_varint(&mut out, r.secret_expires_at);
    put_varint(&mut out, r.created);
    put_varint(&mut out, r.ttl);
    put_varint(&mut out, r.updated);
    out.push(match r.state {
        State::New => 0,
        State::Received => 1,
        State::Burned => 2,
        State::Expired => 3,
    });
    let mut flags = 0;
    if r.passphrase_required {
        flags |= F_PASSPHRASE;
    }
    if r.received.is_some() {
        flags |= F_RECEIVED;
    }
    if r.burned.is_some() {
        flags |= F_BURNED;
    }
    if r.preview {
        flags |= F_PREVIEW;
    }
    let packed = pack36(&r.secret_key);
    if packed.is_some() {
        flags |= F_PACKED_KEY;
    }
    out.push(flags);
    if let Some(t) = r.received {
        put_varint(&mut out, t);
    }
    if let Some(t) = r.burned {
        put_varint(&mut out, t);
    }
    match &packed {
        Some(p) => out.extend_from_slice(p),
        None => put_str(&mut out, &r.secret_key),
    }
    put_str(&mut out, &r.custid);
    put_varint(&mut out, r.recipients.len() as u64);
    for rcpt in &r.recipients {
        put_str(&mut out, rcpt);
    }
    put_str(&mut out, &r.share_domain);
    out
}

/// Inverse of [`encode_receipt`].
pub fn decode_receipt(metadata_key: &str, b: &[u8]) -> Result<ReceiptRecord, StoreError> {
    let mut c = Cursor { b, at: 0 };
    if c.byte()? != RECEIPT_V1 {
        return Err(StoreError::Corrupt);
    }
    let expires_at = c.varint()?;
    let secret_expires_at = c.varint()?;
    let created = c.varint()?;
    let ttl = c.varint()?;
    let updated = c.varint()?;
    let state = match c.byte()? {
        0 => State::New,
        1 => State::Received,
        2 => State::Burned,
        3 => State::Expired,
        _ => return Err(StoreError::Corrupt),
    };
    let flags = c.byte()?;
    let received = if flags & F_RECEIVED != 0 {
        Some(c.varint()?)
    } else {
        None
    };
    let burned = if flags & F_BURNED != 0 {
        Some(c.varint()?)
    } else {
        None
    };
    let secret_key = if flags & F_PACKED_KEY != 0 {
        let p: &[u8; 40] =
            c.b.get(c.at..c.at + 40)
                .and_then(|s| s.try_into().ok())
                .ok_or(StoreError::Corrupt)?;
        c.at += 40;
        ots_core::keys::new_key(p)
    } else {
        c.str()?
    };
    let custid = c.str()?;
    let n = c.varint()?;
    let mut recipients = Vec::new();
    for _ in 0..n {
        recipients.push(c.str()?);
    }
    let share_domain = c.str()?;
    Ok(ReceiptRecord {
        metadata_key: metadata_key.to_owned(),
        secret_key,
        custid,
        state,
        ttl,
        created,
        updated,
        received,
        burned,
        secret_expires_at,
        expires_at,
        recipients,
        passphrase_required: flags & F_PASSPHRASE != 0,
        share_domain,
        preview: flags & F_PREVIEW != 0,
    })
}

/// `(custid, created)` of an encoded receipt, without decoding (or allocating) the rest.
pub fn receipt_owner(b: &[u8]) -> Option<(&str, u64)> {
    let mut c = Cursor { b, at: 1 };
    for _ in 0..2 {
        c.varint().ok()?;
    }
    let created = c.varint().ok()?;
    for _ in 0..2 {
        c.varint().ok()?;
    }
    c.byte().ok()?;
    let flags = c.byte().ok()?;
    for f in [F_RECEIVED, F_BURNED] {
        if flags & f != 0 {
            c.varint().ok()?;
        }
    }
    if flags & F_PACKED_KEY != 0 {
        c.at += 40;
    } else {
        c.str_ref().ok()?;
    }
    Some((c.str_ref().ok()?, created))
}

/// `expires_at` of an encoded receipt without decoding the rest.
pub fn receipt_expires_at(b: &[u8]) -> u64 {
    let mut c = Cursor { b, at: 1 };
    c.varint().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(Crc32::new().update(b"123456789").finish(), 0xCBF4_3926);
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = Crc32::new().update(&data).finish();
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let parts = Crc32::new()
                .update(&data[..split])
                .update(&data[split..])
                .finish();
            assert_eq!(parts, whole, "split at {split}");
        }
    }

    #[test]
    fn receipt_roundtrip() {
        let mut r = ReceiptRecord {
            metadata_key: "m".repeat(62),
            secret_key: "s".repeat(62),
            custid: "anon".into(),
            state: State::New,
            ttl: 3600,
            created: 1_700_000_000,
            updated: 1_700_000_000,
            received: None,
            burned: None,
            secret_expires_at: 1_700_003_600,
            expires_at: 1_700_007_200,
            recipients: vec![],
            passphrase_required: false,
            share_domain: String::new(),
            preview: false,
        };
        let b = encode_receipt(&r);
        assert_eq!(decode_receipt(&r.metadata_key, &b).expect("decode"), r);
        assert_eq!(receipt_owner(&b), Some(("anon", r.created)));
        // A key as new_key makes them is packed: 40 bytes instead of 1 + 62.
        r.secret_key = ots_core::keys::new_key(&[0xa5; 40]);
        let packed = encode_receipt(&r);
        assert_eq!(packed.len(), b.len() - 23);
        assert_eq!(decode_receipt(&r.metadata_key, &packed).expect("decode"), r);
        assert_eq!(receipt_owner(&packed), Some(("anon", r.created)));
        assert_eq!(receipt_expires_at(&b), r.expires_at);
        assert_eq!(receipt_owner(&b), Some(("anon", r.created)));
        r.state = State::Burned;
        r.burned = Some(5);
        r.received = Some(u64::MAX);
        r.recipients = vec!["al***@e***.com".into(), "b".into()];
        r.passphrase_required = true;
        r.custid = "alice@example.com".into();
        r.share_domain = "x.example".into();
        r.preview = true;
        let b = encode_receipt(&r);
        assert_eq!(decode_receipt(&r.metadata_key, &b).expect("decode"), r);
        assert_eq!(receipt_owner(&b), Some(("alice@example.com", r.created)));
        for cut in 0..b.len() {
            assert!(decode_receipt("k", &b[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn keys_pack_only_when_lossless() {
        let mut state = 7u64;
        for i in 0..500 {
            let mut r = [0u8; 40];
            for b in r.iter_mut() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *b = (state >> 56) as u8;
            }
            if i == 0 {
                r = [0xff; 40];
            }
            let key = ots_core::keys::new_key(&r);
            assert_eq!(pack36(&key), Some(r));
            let enc = KeyBuf::new(&key).expect("fits");
            assert_eq!(enc.as_bytes().len(), 41);
            assert_eq!(unpack_key(enc.as_bytes()), key);
            assert_eq!(unpacked_len(enc.as_bytes()), 62);
        }
        // Above 2^320, upper case, wrong length, other characters: kept as they are.
        for key in [
            "z".repeat(62),
            "A".repeat(62),
            "0".repeat(61),
            format!("{}-", "0".repeat(61)),
            "short-key".into(),
        ] {
            assert_eq!(pack36(&key), None, "{key}");
            let enc = KeyBuf::new(&key).expect("fits");
            assert_eq!(unpack_key(enc.as_bytes()), key);
            assert_eq!(unpacked_len(enc.as_bytes()), key.len());
        }
        assert!(KeyBuf::new(&"k".repeat(254)).is_some());
        assert!(KeyBuf::new(&"k".repeat(255)).is_none());
    }

    #[test]
    fn frames_roundtrip_and_detect_damage() {
        let mut buf = MAGIC.to_vec();
        let mut f = FrameBuilder::new(&mut buf);
        f.put(PUT_SECRET, "key1", b"value").expect("put");
        f.del(DEL_RECEIPT, "key2");
        let n = f.finish();
        assert_eq!(n, buf.len() - MAGIC.len());
        let empty = FrameBuilder::new(&mut buf);
        assert_eq!(empty.finish(), 0);
        assert_eq!(n, buf.len() - MAGIC.len());

        let mut r = FrameReader::new(&buf[MAGIC.len()..], buf.len() as u64);
        assert!(matches!(r.next().expect("io"), Next::Frame));
        assert_eq!(
            records(&r.payload).expect("records"),
            vec![
                Record::Put {
                    tag: PUT_SECRET,
                    key: "key1",
                    value: b"value"
                },
                Record::Del {
                    tag: DEL_RECEIPT,
                    key: "key2"
                }
            ]
        );
        assert!(matches!(r.next().expect("io"), Next::End));
        // Every truncation and every flipped byte is caught.
        for cut in MAGIC.len() + 1..buf.len() {
            let mut r = FrameReader::new(&buf[MAGIC.len()..cut], cut as u64);
            assert!(matches!(r.next().expect("io"), Next::Bad(_)), "cut {cut}");
            assert_eq!(r.offset, MAGIC.len() as u64);
        }
        for i in MAGIC.len()..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x20;
            let mut r = FrameReader::new(&bad[MAGIC.len()..], bad.len() as u64);
            assert!(matches!(r.next().expect("io"), Next::Bad(_)), "byte {i}");
        }
    }
}
