//! Secret and receipt keys: opaque base36 identifiers (reference §4).
//!
//! `new_key(r) = base36(r)` left-padded with `0` to 62 chars, for 320 random bits `r`
//! (big-endian); 36^62 > 2^320, so every `r` fits and the length is fixed.

/// Length of a key made by [`new_key`].
pub const KEY_LEN: usize = 62;

/// Keys shorter than this are refused (v1 answers 404 "Not Found").
pub const MIN_LEN: usize = 20;

/// Length of the short form shown to people (the v1 `secret_shortkey`).
pub const SHORT_LEN: usize = 8;

const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// A new key from 320 random bits: 62 lowercase base36 characters.
pub fn new_key(random: &[u8; 40]) -> String {
    // Long division of the 320-bit big-endian number by 36^6 over ten 32-bit limbs yields
    // six digits per pass (36^6 < 2^32, so every partial quotient fits a limb); the server
    // makes two keys per secret, so this is on its hot path.
    const CHUNK: u64 = 36u64.pow(6);
    let mut limbs = [0u32; 10];
    for (limb, b) in limbs.iter_mut().zip(random.chunks_exact(4)) {
        *limb = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    }
    let mut digits = [b'0'; KEY_LEN];
    let mut pos = digits.len();
    while pos > 0 {
        let mut rem = 0u64;
        for limb in limbs.iter_mut() {
            let cur = (rem << 32) | u64::from(*limb);
            // cur < CHUNK * 2^32, so the quotient fits in 32 bits.
            *limb = u32::try_from(cur / CHUNK).unwrap_or(u32::MAX);
            rem = cur % CHUNK;
        }
        for _ in 0..6 {
            if pos == 0 {
                break;
            }
            pos -= 1;
            digits[pos] = BASE36[(rem % 36) as usize];
            rem /= 36;
        }
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

/// The key with every character outside `[A-Za-z0-9_-]` removed, as the server does.
pub fn sanitize(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect()
}

/// Whether `key` is usable as is: only `[A-Za-z0-9_-]` and at least [`MIN_LEN`] long.
pub fn is_valid(key: &str) -> bool {
    key.len() >= MIN_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// The first [`SHORT_LEN`] characters of a key (the whole key if shorter).
pub fn shortkey(key: &str) -> &str {
    match key.char_indices().nth(SHORT_LEN) {
        Some((end, _)) => &key[..end],
        None => key,
    }
}

#[cfg(test)]
mod tests {
    /// The plain digit-at-a-time conversion, as the reference for the fast one.
    fn reference_key(random: &[u8; 40]) -> String {
        let mut number = *random;
        let mut digits = [b'0'; KEY_LEN];
        for digit in digits.iter_mut().rev() {
            let mut remainder: u16 = 0;
            for byte in number.iter_mut() {
                let value = remainder << 8 | u16::from(*byte);
                *byte = u8::try_from(value / 36).unwrap_or(u8::MAX);
                remainder = value % 36;
            }
            *digit = BASE36[usize::from(remainder)];
        }
        digits.iter().map(|&b| char::from(b)).collect()
    }

    #[test]
    fn new_key_matches_the_plain_base36_conversion() {
        let mut cases = vec![[0u8; 40], [0xff; 40]];
        let mut one = [0u8; 40];
        one[39] = 1;
        cases.push(one);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut r = [0u8; 40];
            for b in r.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = (state >> 24) as u8;
            }
            cases.push(r);
        }
        for r in &cases {
            assert_eq!(new_key(r), reference_key(r), "{r:?}");
        }
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn extremes_are_padded_to_62() {
        assert_eq!(new_key(&[0; 40]), "0".repeat(62));
        assert_eq!(new_key(&[0xff; 40]).len(), 62);
        let mut one = [0; 40];
        one[39] = 35;
        assert_eq!(new_key(&one), format!("{}z", "0".repeat(61)));
        one[39] = 36;
        assert_eq!(new_key(&one), format!("{}10", "0".repeat(60)));
    }

    #[test]
    fn max_value_matches_known_base36() {
        // 2^320 - 1 in base 36, computed independently with Python's arbitrary-precision integers.
        assert_eq!(
            new_key(&[0xff; 40]),
            "ou88al7nsj14a2pancybh3w3378r0we476bl9wysaj2w55hleccvknxckr7bb3"
        );
    }

    #[test]
    fn sanitize_strips_foreign_characters() {
        assert_eq!(sanitize("ab/c..d?e=f_g-h é"), "abcdef_g-h");
    }

    #[test]
    fn validity_needs_clean_and_long_enough() {
        assert!(is_valid(&"a".repeat(20)));
        assert!(!is_valid(&"a".repeat(19)));
        assert!(!is_valid(&format!("{}/", "a".repeat(20))));
    }

    #[test]
    fn shortkey_is_the_first_eight() {
        assert_eq!(shortkey("abcdefghijkl"), "abcdefgh");
        assert_eq!(shortkey("abc"), "abc");
        assert_eq!(shortkey("ééééééééé"), "éééééééé");
    }

    proptest! {
        #[test]
        fn keys_are_62_base36(random in proptest::array::uniform::<_, 40>(any::<u8>())) {
            let key = new_key(&random);
            prop_assert_eq!(key.len(), KEY_LEN);
            prop_assert!(key.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
            prop_assert!(is_valid(&key));
            prop_assert_eq!(sanitize(&key), key);
        }
    }
}
