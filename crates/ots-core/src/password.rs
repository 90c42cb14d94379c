//! Password generation for `/generate` and the app's "generate" button.
//!
//! Every character is drawn uniformly (rejection sampling on 32-bit draws, so no modulo
//! bias) from the union of the chosen classes. When the password is at least as long as
//! the number of classes, one position per class, picked uniformly without repetition,
//! is then redrawn from that class, so each class appears at least once.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::lenient;

/// Upper-case letters.
pub const UPPERCASE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// Lower-case letters.
pub const LOWERCASE: &str = "abcdefghijklmnopqrstuvwxyz";
/// Digits.
pub const NUMBERS: &str = "0123456789";
/// Symbols that survive shells, URLs and most password rules.
pub const SYMBOLS: &str = "!#$%&()*+-=?@^_";
/// Characters left out when [`CharSets::exclude_ambiguous`] is on.
pub const AMBIGUOUS: &str = "0O1lI";

/// A hard cap on the length, whatever the configuration: [`crate::limits::Limits`] holds
/// the configurable maximum.
pub const MAX_LENGTH: usize = 1024;

/// The character classes of a generated password (all on by default, as in OTS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CharSets {
    /// `A-Z`.
    #[serde(deserialize_with = "lenient::bool")]
    pub uppercase: bool,
    /// `a-z`.
    #[serde(deserialize_with = "lenient::bool")]
    pub lowercase: bool,
    /// `0-9`.
    #[serde(deserialize_with = "lenient::bool")]
    pub numbers: bool,
    /// [`SYMBOLS`].
    #[serde(deserialize_with = "lenient::bool")]
    pub symbols: bool,
    /// Leave out [`AMBIGUOUS`] look-alikes.
    #[serde(deserialize_with = "lenient::bool")]
    pub exclude_ambiguous: bool,
}

impl Default for CharSets {
    fn default() -> Self {
        Self {
            uppercase: true,
            lowercase: true,
            numbers: true,
            symbols: true,
            exclude_ambiguous: true,
        }
    }
}

impl CharSets {
    /// The chosen classes, each as its characters, with look-alikes removed if asked.
    fn classes(&self) -> Vec<Vec<u8>> {
        [
            (self.uppercase, UPPERCASE),
            (self.lowercase, LOWERCASE),
            (self.numbers, NUMBERS),
            (self.symbols, SYMBOLS),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, chars)| {
            chars
                .bytes()
                .filter(|b| !(self.exclude_ambiguous && AMBIGUOUS.as_bytes().contains(b)))
                .collect::<Vec<u8>>()
        })
        .filter(|class| !class.is_empty())
        .collect()
    }

    /// The full alphabet these classes draw from.
    pub fn alphabet(&self) -> String {
        self.classes()
            .concat()
            .into_iter()
            .map(char::from)
            .collect()
    }
}

/// Why no password could be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// No character class was chosen.
    #[error("no character set chosen")]
    NoCharSets,
    /// The length is 0 or over [`MAX_LENGTH`].
    #[error("password length must be between 1 and {max}")]
    Length {
        /// The cap.
        max: usize,
    },
    /// The random source kept giving values that had to be rejected: it is broken.
    #[error("random source is not random")]
    Randomness,
}

/// Draws unbiased indices from a caller-supplied random source.
struct Sampler<'a> {
    fill: &'a mut dyn FnMut(&mut [u8]),
    buf: Zeroizing<[u8; 64]>,
    pos: usize,
}

impl<'a> Sampler<'a> {
    /// Consecutive rejections after which the source counts as broken. With a real
    /// source a single draw is rejected with probability below 1/2, so this never trips.
    const MAX_REJECTIONS: u32 = 256;

    fn new(fill: &'a mut dyn FnMut(&mut [u8])) -> Self {
        Self {
            fill,
            buf: Zeroizing::new([0; 64]),
            pos: 64,
        }
    }

    fn next_u32(&mut self) -> u32 {
        if self.pos + 4 > self.buf.len() {
            (self.fill)(&mut self.buf[..]);
            self.pos = 0;
        }
        let mut word = [0u8; 4];
        word.copy_from_slice(&self.buf[self.pos..self.pos + 4]);
        self.pos += 4;
        u32::from_le_bytes(word)
    }

    /// A uniform integer in `0..n`, for `0 < n <= MAX_LENGTH`.
    fn below(&mut self, n: usize) -> Result<usize, PasswordError> {
        let n = u64::try_from(n).map_err(|_| PasswordError::Length { max: MAX_LENGTH })?;
        // The largest multiple of n that fits in 2^32: values at or above it are rejected.
        let zone = (1u64 << 32) / n * n;
        for _ in 0..Self::MAX_REJECTIONS {
            let x = u64::from(self.next_u32());
            if x < zone {
                return usize::try_from(x % n).map_err(|_| PasswordError::Randomness);
            }
        }
        Err(PasswordError::Randomness)
    }
}

/// Generates a password of `length` characters from `sets`, reading randomness from
/// `fill_random` (which must fill the whole slice with uniform random bytes).
pub fn generate(
    length: usize,
    sets: &CharSets,
    fill_random: &mut dyn FnMut(&mut [u8]),
) -> Result<Zeroizing<String>, PasswordError> {
    if length == 0 || length > MAX_LENGTH {
        return Err(PasswordError::Length { max: MAX_LENGTH });
    }
    let classes = sets.classes();
    if classes.is_empty() {
        return Err(PasswordError::NoCharSets);
    }
    let alphabet = classes.concat();
    let mut rng = Sampler::new(fill_random);
    let mut out = Zeroizing::new(vec![0u8; length]);
    for slot in out.iter_mut() {
        *slot = alphabet[rng.below(alphabet.len())?];
    }
    if length >= classes.len() {
        // A partial Fisher-Yates shuffle picks distinct uniform positions, one per class.
        let mut positions: Vec<usize> = (0..length).collect();
        for (k, class) in classes.iter().enumerate() {
            let j = k + rng.below(length - k)?;
            positions.swap(k, j);
            out[positions[k]] = class[rng.below(class.len())?];
        }
    }
    Ok(Zeroizing::new(out.iter().map(|&b| char::from(b)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: a small deterministic generator, good enough for statistics.
    struct XorShift(u64);

    impl XorShift {
        fn fill(&mut self, buf: &mut [u8]) {
            for chunk in buf.chunks_mut(8) {
                self.0 ^= self.0 >> 12;
                self.0 ^= self.0 << 25;
                self.0 ^= self.0 >> 27;
                let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
        }
    }

    fn gen_with(
        seed: u64,
        length: usize,
        sets: &CharSets,
    ) -> Result<Zeroizing<String>, PasswordError> {
        let mut rng = XorShift(seed);
        generate(length, sets, &mut |b| rng.fill(b))
    }

    #[test]
    fn default_sets_exclude_look_alikes() {
        let alphabet = CharSets::default().alphabet();
        assert_eq!(
            alphabet.len(),
            26 + 26 + 10 + SYMBOLS.len() - AMBIGUOUS.len()
        );
        assert!(!alphabet.contains(['0', 'O', '1', 'l', 'I']));
    }

    #[test]
    fn errors_on_bad_input() {
        let none = CharSets {
            uppercase: false,
            lowercase: false,
            numbers: false,
            symbols: false,
            exclude_ambiguous: false,
        };
        assert_eq!(gen_with(1, 12, &none), Err(PasswordError::NoCharSets));
        assert_eq!(
            gen_with(1, 0, &CharSets::default()),
            Err(PasswordError::Length { max: MAX_LENGTH })
        );
        assert_eq!(
            gen_with(1, MAX_LENGTH + 1, &CharSets::default()),
            Err(PasswordError::Length { max: MAX_LENGTH })
        );
    }

    #[test]
    fn a_broken_source_is_an_error_not_a_hang() {
        let result = generate(12, &CharSets::default(), &mut |b| b.fill(0xff));
        assert_eq!(result, Err(PasswordError::Randomness));
    }

    #[test]
    fn has_the_length_and_every_class() {
        let sets = CharSets::default();
        let classes = sets.classes();
        for seed in 1..2000u64 {
            let length = 4 + usize::try_from(seed % 20).expect("small");
            let pw = gen_with(seed, length, &sets).expect("generates");
            assert_eq!(pw.len(), length);
            for class in &classes {
                assert!(
                    pw.bytes().any(|b| class.contains(&b)),
                    "{} lacks a class",
                    *pw
                );
            }
            assert!(pw.bytes().all(|b| sets.alphabet().as_bytes().contains(&b)));
        }
    }

    #[test]
    fn shorter_than_the_classes_still_works() {
        let pw = gen_with(7, 2, &CharSets::default()).expect("generates");
        assert_eq!(pw.len(), 2);
    }

    /// Chi-square statistic of observed counts against a uniform expectation.
    fn chi_square(counts: &[u32]) -> f64 {
        let total: u32 = counts.iter().sum();
        let expected = f64::from(total) / counts.len() as f64;
        counts
            .iter()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum()
    }

    #[test]
    fn every_position_is_uniform_over_a_fixed_alphabet() {
        // 26 letters (25 degrees of freedom): the 0.1% critical value is 52.62.
        let sets = CharSets {
            uppercase: false,
            lowercase: true,
            numbers: false,
            symbols: false,
            exclude_ambiguous: false,
        };
        let length = 8;
        let draws = 26 * 400;
        let mut counts = vec![[0u32; 26]; length];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..draws {
            let pw = generate(length, &sets, &mut |b| rng.fill(b)).expect("generates");
            for (position, b) in pw.bytes().enumerate() {
                counts[position][usize::from(b - b'a')] += 1;
            }
        }
        for (position, row) in counts.iter().enumerate() {
            let chi = chi_square(row);
            assert!(chi < 52.62, "position {position}: chi-square {chi:.1}");
        }
    }

    #[test]
    fn a_ten_symbol_alphabet_has_no_modulo_bias() {
        // 10 digits (9 degrees of freedom): the 0.1% critical value is 27.88. A modulo
        // on single bytes would favour 0-5 by 26/25, which 300 000 draws detect
        // (an expected chi-square near 110).
        let sets = CharSets {
            uppercase: false,
            lowercase: false,
            numbers: true,
            symbols: false,
            exclude_ambiguous: false,
        };
        let mut counts = [0u32; 10];
        let mut rng = XorShift(42);
        for _ in 0..30_000 {
            let pw = generate(10, &sets, &mut |b| rng.fill(b)).expect("generates");
            for b in pw.bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        let chi = chi_square(&counts);
        assert!(chi < 27.88, "chi-square {chi:.1}");
    }

    #[test]
    fn char_sets_read_leniently() {
        let sets: CharSets =
            serde_json::from_str(r#"{"symbols":"false","numbers":0}"#).expect("parses");
        assert_eq!(
            sets,
            CharSets {
                symbols: false,
                numbers: false,
                ..CharSets::default()
            }
        );
    }
}
