//! The `ots2` payload: what an `ots2.` envelope seals. A secret is text, a file (name,
//! media type, bytes), or both; the encoded payload is padded with zeros to a size class,
//! so that the server learns a bucket instead of the exact length. Unencrypted (where
//! the operator allows it), a file travels as `ots2-plain.` and the payload, unpadded.
//!
//! ```text
//! payload = kind || [text] || [file] || zeros
//! kind    = 0x01 text | 0x02 file | 0x03 text and file
//! text    = u32be(len) || utf8
//! file    = u8(len) || utf8 name || u8(len) || media type || u32be(len) || bytes
//! padded_len(n) = padme(max(n, 1024))
//! ```
//!
//! The full specification, with test vectors, is `docs/ENVELOPE.md`.

use zeroize::Zeroizing;

use crate::b64;
use crate::envelope::{
    self, DerivedPassphrase, Envelope, EnvelopeError, FragmentKey, KdfParams, NONCE_LEN, Version,
};
use crate::filename;

/// The tag of an unencrypted file payload, dot included. It does not start with `ots2.`,
/// so nothing mistakes it for an envelope.
pub const PLAIN_PREFIX: &str = "ots2-plain.";
/// The smallest size class: every payload up to this many bytes looks the same.
pub const MIN_CLASS: usize = 1024;

const KIND_TEXT: u8 = 0x01;
const KIND_FILE: u8 = 0x02;

/// A file inside a secret. The name and media type are always clean: [`File::new`] and the
/// decoder run [`filename::sanitize`] and [`filename::media_type`].
#[derive(Clone, PartialEq, Eq)]
pub struct File {
    name: String,
    media_type: String,
    bytes: Zeroizing<Vec<u8>>,
}

impl File {
    /// A file from any name and declared type (a browser's `File.type`, or empty): the
    /// name is sanitised, the type checked or guessed from the name.
    pub fn new(name: &str, declared_type: &str, bytes: Vec<u8>) -> Self {
        let name = filename::sanitize(name);
        let media_type = filename::media_type(declared_type, &name);
        Self {
            name,
            media_type,
            bytes: Zeroizing::new(bytes),
        }
    }

    /// The sanitised name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A bare media type such as `application/x-pem-file`. Only for display: never
    /// render the bytes as this type.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The exact bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("name", &self.name)
            .field("media_type", &self.media_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// What a secret holds: text, a file, or both (never neither).
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    text: Option<Zeroizing<String>>,
    file: Option<File>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("text_len", &self.text.as_ref().map(|t| t.len()))
            .field("file", &self.file)
            .finish()
    }
}

/// Why a payload cannot be made or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// Neither text nor file.
    #[error("a secret needs text or a file")]
    Empty,
    /// A part is over 4 GiB.
    #[error("too large")]
    TooLarge,
}

impl Payload {
    /// Text, a file, or both; [`PayloadError::Empty`] for neither.
    pub fn new(text: Option<Zeroizing<String>>, file: Option<File>) -> Result<Self, PayloadError> {
        if text.is_none() && file.is_none() {
            return Err(PayloadError::Empty);
        }
        let too_large = |n: usize| u32::try_from(n).is_err();
        if text.as_ref().is_some_and(|t| too_large(t.len()))
            || file.as_ref().is_some_and(|f| too_large(f.bytes.len()))
        {
            return Err(PayloadError::TooLarge);
        }
        Ok(Self { text, file })
    }

    /// A text secret.
    pub fn text(text: &str) -> Self {
        Self {
            text: Some(Zeroizing::new(text.to_owned())),
            file: None,
        }
    }

    /// The text, if any.
    pub fn text_part(&self) -> Option<&str> {
        self.text.as_deref().map(String::as_str)
    }

    /// The file, if any.
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// The unpadded encoding.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let len = encoded_len(
            self.text.as_ref().map(|t| t.len()),
            self.file
                .as_ref()
                .map(|f| (f.name.len(), f.media_type.len(), f.bytes.len())),
        );
        let mut out = Zeroizing::new(Vec::with_capacity(padded_len(len)));
        let kind = self.text.as_ref().map_or(0, |_| KIND_TEXT)
            | self.file.as_ref().map_or(0, |_| KIND_FILE);
        out.push(kind);
        let u32be = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes();
        if let Some(text) = &self.text {
            out.extend_from_slice(&u32be(text.len()));
            out.extend_from_slice(text.as_bytes());
        }
        if let Some(file) = &self.file {
            // Both are at most 255 bytes: `sanitize` and `is_media_type` see to it.
            for short in [&file.name, &file.media_type] {
                out.push(u8::try_from(short.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(short.as_bytes());
            }
            out.extend_from_slice(&u32be(file.bytes.len()));
            out.extend_from_slice(&file.bytes);
        }
        out
    }

    /// Reads an encoding, padded or not: the parts must be well-formed and anything after
    /// them zeros. A file's name and type are sanitised again, whatever the sender wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let mut r = Reader(bytes);
        let kind = r.take(1)?[0];
        if kind & !(KIND_TEXT | KIND_FILE) != 0 || kind == 0 {
            return Err(EnvelopeError::Malformed);
        }
        let text = if kind & KIND_TEXT != 0 {
            let n = r.u32()?;
            let text = std::str::from_utf8(r.take(n)?).map_err(|_| EnvelopeError::Malformed)?;
            Some(Zeroizing::new(text.to_owned()))
        } else {
            None
        };
        let file = if kind & KIND_FILE != 0 {
            let n = usize::from(r.take(1)?[0]);
            let name = std::str::from_utf8(r.take(n)?).map_err(|_| EnvelopeError::Malformed)?;
            let n = usize::from(r.take(1)?[0]);
            let declared = std::str::from_utf8(r.take(n)?).map_err(|_| EnvelopeError::Malformed)?;
            let n = r.u32()?;
            let name = filename::sanitize(name);
            Some(File {
                media_type: filename::media_type(declared, &name),
                name,
                bytes: Zeroizing::new(r.take(n)?.to_vec()),
            })
        } else {
            None
        };
        if r.0.iter().any(|&b| b != 0) {
            return Err(EnvelopeError::Malformed);
        }
        Ok(Self { text, file })
    }
}

/// A cursor that refuses to read past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EnvelopeError> {
        if n > self.0.len() {
            return Err(EnvelopeError::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<usize, EnvelopeError> {
        let b = self.take(4)?;
        usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .map_err(|_| EnvelopeError::Malformed)
    }
}

/// The unpadded encoding's length for a secret with `text_len` bytes of text (if any) and
/// a file of `(name, media type, content)` bytes (if any), without building it: what the
/// app's live counter adds up as the user types.
pub fn encoded_len(text_len: Option<usize>, file: Option<(usize, usize, usize)>) -> usize {
    let text = text_len.map_or(0, |n| 4usize.saturating_add(n));
    let file = file.map_or(0, |(name, kind, bytes)| {
        (6usize + name + kind).saturating_add(bytes)
    });
    1usize.saturating_add(text).saturating_add(file)
}

/// Padmé (Nikitin et al., PETS 2019): rounds `n` up, keeping only the top
/// `floor(log2(floor(log2 n))) + 1` significant bits, so at most about 12 % is added and a
/// length class reveals O(log log n) bits.
fn padme(n: usize) -> usize {
    if n < 2 {
        return n;
    }
    let e = n.ilog2();
    let s = e.ilog2() + 1;
    let mask = (1usize << (e - s)) - 1;
    n.saturating_add(mask) & !mask
}

/// The size class of a payload of `n` bytes: `padme(max(n, 1024))`. Classes step by 64
/// bytes up to 2 KiB, by 128 up to 4 KiB and by 256 up to 8 KiB.
pub fn padded_len(n: usize) -> usize {
    padme(n.max(MIN_CLASS))
}

/// The exact length of the `ots2` envelope text for a payload of `payload_len` bytes
/// ([`encoded_len`]); the same with and without `ots2`'s tag changes nothing, as
/// `ots1.` and `ots2.` are both 5 characters.
pub fn sealed_len(payload_len: usize, kdf: Option<&KdfParams>) -> usize {
    envelope::sealed_len(padded_len(payload_len), kdf)
}

/// The largest payload, in encoded bytes, whose `ots2` envelope fits in `limit_bytes`,
/// or `None` if not even the smallest class does. With the OTS limit of 10,000 bytes:
/// 7,424, with and without a passphrase.
pub fn max_payload_len(limit_bytes: usize, kdf: Option<&KdfParams>) -> Option<usize> {
    largest_class(envelope::max_plaintext_len(limit_bytes, kdf))
}

/// The largest size class of at most `cap` bytes, if any.
pub(crate) fn largest_class(cap: usize) -> Option<usize> {
    if cap < MIN_CLASS {
        return None;
    }
    // Classes in [2^e, 2^(e+1)) are the multiples of 2^(e - s) there; 2^e is one, so
    // rounding `cap` down to that step lands on the largest class at most `cap`.
    let e = cap.ilog2();
    let step = 1usize << (e - (e.ilog2() + 1));
    Some(cap - cap % step)
}

/// The unencrypted length, for an operator who allows it: [`PLAIN_PREFIX`] and base64url
/// of the unpadded payload.
pub fn plain_len(payload_len: usize) -> usize {
    PLAIN_PREFIX.len() + payload_len.saturating_mul(4).saturating_add(2) / 3
}

/// Seals a payload into an `ots2` envelope, padded to its class. Send
/// [`envelope::ots2_access`]`(fk, pass)` as the API passphrase.
pub fn seal(
    fk: &FragmentKey,
    nonce: [u8; NONCE_LEN],
    payload: &Payload,
    pass: Option<&DerivedPassphrase>,
) -> Envelope {
    let mut padded = payload.encode();
    let class = padded_len(padded.len());
    padded.resize(class, 0);
    envelope::seal_version(Version::V2, fk, nonce, &padded, pass)
}

/// Opens an `ots2` envelope ([`EnvelopeError::Malformed`] for another version) and
/// decodes its payload.
pub fn open(
    sealed: &Envelope,
    fk: &FragmentKey,
    pass: Option<&DerivedPassphrase>,
) -> Result<Payload, EnvelopeError> {
    if sealed.version() != Version::V2 {
        return Err(EnvelopeError::Malformed);
    }
    Payload::decode(&envelope::open(sealed, fk, pass)?)
}

/// The unencrypted form: `"ots2-plain." || b64url(payload)`, unpadded (the server reads
/// it anyway). Only for files: unencrypted text is sent as is, so that any Onetime
/// Secret site shows it.
pub fn to_plain(payload: &Payload) -> Zeroizing<String> {
    Zeroizing::new(format!("{PLAIN_PREFIX}{}", b64::encode(&payload.encode())))
}

/// Reads the unencrypted form; `None` if `text` is not one (plain text, an envelope or
/// damaged), so that the caller shows it as text.
pub fn from_plain(text: &str) -> Option<Payload> {
    let rest = text.trim_ascii().strip_prefix(PLAIN_PREFIX)?;
    let bytes = Zeroizing::new(b64::decode(rest)?);
    Payload::decode(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(name: &str, bytes: &[u8]) -> File {
        File::new(name, "", bytes.to_vec())
    }

    #[test]
    fn classes_are_padme_above_one_kib() {
        for (n, want) in [
            (0, 1024),
            (1, 1024),
            (1024, 1024),
            (1025, 1088),
            (2048, 2048),
            (2049, 2176),
            (3000, 3072),
            (4097, 4352),
            (7424, 7424),
            (7425, 7680),
            (10_000, 10_240),
        ] {
            assert_eq!(padded_len(n), want, "{n}");
        }
    }

    #[test]
    fn the_ots_limit_keeps_7424_bytes_of_payload() {
        assert_eq!(max_payload_len(10_000, None), Some(7424));
        assert_eq!(
            max_payload_len(10_000, Some(&KdfParams::DEFAULT)),
            Some(7424)
        );
        assert!(sealed_len(7424, Some(&KdfParams::DEFAULT)) <= 10_000);
        assert!(sealed_len(7425, None) > 10_000);
        assert_eq!(max_payload_len(1000, None), None);
        // A text secret of 7,419 bytes fits the hosted service: 5 bytes of framing.
        assert_eq!(encoded_len(Some(7419), None), 7424);
    }

    #[test]
    fn encodings_are_as_specified() {
        assert_eq!(
            Payload::text("hi").encode().as_slice(),
            b"\x01\x00\x00\x00\x02hi"
        );
        let p = Payload::new(None, Some(file("a.txt", b"xyz"))).expect("ok");
        assert_eq!(
            p.encode().as_slice(),
            b"\x02\x05a.txt\x0atext/plain\x00\x00\x00\x03xyz"
        );
        let both = Payload::new(
            Some(Zeroizing::new("k".into())),
            Some(file("id", &[0, 255])),
        )
        .expect("ok");
        let enc = both.encode();
        assert_eq!(enc.len(), encoded_len(Some(1), Some((2, 24, 2))));
        assert_eq!(Payload::decode(&enc), Ok(both));
        assert_eq!(Payload::new(None, None), Err(PayloadError::Empty));
    }

    #[test]
    fn decoding_refuses_what_is_not_a_payload() {
        let mut padded = Payload::text("hi").encode().to_vec();
        padded.resize(1024, 0);
        assert!(Payload::decode(&padded).is_ok());
        let mut trailing = padded.clone();
        trailing[1000] = 1;
        let bad: [&[u8]; 7] = [
            b"",
            b"\x00",
            b"\x04\x00\x00\x00\x00",
            b"\x01\x00\x00\x00\x03hi",
            b"\x01\x00\x00\x00\x02\xff\xfe",
            b"\x02\x01",
            &trailing,
        ];
        for bad in bad {
            assert_eq!(
                Payload::decode(bad),
                Err(EnvelopeError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_hostile_name_is_sanitised_on_the_way_in() {
        let mut raw = vec![KIND_FILE, 9];
        raw.extend_from_slice(b"../../x\x1b]");
        raw.extend_from_slice(b"\x09text/html");
        raw.extend_from_slice(&[0, 0, 0, 1, b'<']);
        let p = Payload::decode(&raw).expect("decodes");
        let f = p.file().expect("file");
        assert_eq!(f.name(), "x]");
        assert_eq!(f.media_type(), "text/html");
        assert_eq!(f.bytes(), b"<");
    }

    #[test]
    fn seal_open_pads_and_refuses_other_versions() {
        let fk = FragmentKey::from_bytes([3; 32]);
        let p = Payload::new(None, Some(file("key.pem", &[7; 3000]))).expect("ok");
        let env = seal(&fk, [1; 12], &p, None);
        let text = env.to_string();
        assert!(text.starts_with("ots2."));
        assert_eq!(text.len(), sealed_len(p.encode().len(), None));
        assert_eq!(text.len(), envelope::sealed_len(3072, None));
        assert_eq!(open(&text.parse().expect("parses"), &fk, None), Ok(p));
        let v1 = envelope::seal(&fk, [1; 12], &Payload::text("x").encode(), None);
        assert_eq!(open(&v1, &fk, None), Err(EnvelopeError::Malformed));
        // An ots1 envelope relabelled ots2 fails authentication: the tag is in the AAD.
        let relabelled = v1.to_string().replacen("ots1.", "ots2.", 1);
        assert_eq!(
            open(&relabelled.parse().expect("parses"), &fk, None),
            Err(EnvelopeError::Decrypt)
        );
    }

    #[test]
    fn the_plain_form_round_trips_and_ignores_other_text() {
        let p = Payload::new(None, Some(file(".env", b"A=1\n"))).expect("ok");
        let text = to_plain(&p);
        assert!(text.starts_with(PLAIN_PREFIX));
        assert_eq!(text.len(), plain_len(p.encode().len()));
        assert_eq!(from_plain(&text), Some(p));
        assert_eq!(from_plain("hello"), None);
        assert_eq!(from_plain("ots2-plain.!!"), None);
        assert!(!Envelope::detect(&text));
    }

    proptest! {
        #[test]
        fn max_payload_len_is_tight(limit in 0usize..40_000, with_kdf: bool) {
            let kdf = with_kdf.then_some(KdfParams::DEFAULT);
            match max_payload_len(limit, kdf.as_ref()) {
                Some(n) => {
                    prop_assert!(sealed_len(n, kdf.as_ref()) <= limit);
                    prop_assert!(sealed_len(n + 1, kdf.as_ref()) > limit);
                }
                None => prop_assert!(sealed_len(0, kdf.as_ref()) > limit),
            }
        }

        #[test]
        fn classes_add_at_most_twelve_percent(n in 1024usize..1_000_000) {
            let p = padded_len(n);
            prop_assert!(p >= n && p - n <= n / 8, "{} -> {}", n, p);
            prop_assert_eq!(padded_len(p), p);
        }

        #[test]
        fn payloads_round_trip(
            text in prop::option::of("\\PC{0,50}"),
            file in prop::option::of(("\\PC{0,40}", "[a-z]{1,8}/[a-z.+-]{1,12}|\\PC{0,10}", prop::collection::vec(any::<u8>(), 0..300))),
            key: [u8; 32],
            nonce: [u8; 12],
        ) {
            let file = file.map(|(n, t, b)| File::new(&n, &t, b));
            let Ok(p) = Payload::new(text.map(Zeroizing::new), file) else { return Ok(()) };
            let enc = p.encode();
            prop_assert_eq!(enc.len(), encoded_len(
                p.text_part().map(str::len),
                p.file().map(|f| (f.name().len(), f.media_type().len(), f.bytes().len())),
            ));
            let decoded = Payload::decode(&enc);
            prop_assert_eq!(decoded.as_ref(), Ok(&p));
            let fk = FragmentKey::from_bytes(key);
            let text = seal(&fk, nonce, &p, None).to_string();
            prop_assert_eq!(text.len(), sealed_len(enc.len(), None));
            let opened = open(&text.parse().map_err(|e: EnvelopeError| TestCaseError::fail(e.to_string()))?, &fk, None);
            prop_assert_eq!(opened.as_ref(), Ok(&p));
            let plain = from_plain(&to_plain(&p));
            prop_assert_eq!(plain.as_ref(), Some(&p));
        }
    }
}
