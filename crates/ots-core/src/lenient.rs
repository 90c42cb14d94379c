//! `deserialize_with` helpers that accept what v1 services and old docs actually send.
//!
//! Numbers: JSON integers, floats (truncated), numeric strings; `null` and `""` are absent.
//! Booleans: `true`/`false`, `"true"`/`"false"`, `"1"`/`"0"`, `"on"`/`"yes"`, 0/1.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// Any scalar, as read.
enum Scalar {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, string, boolean or null")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

/// A float to an integer, truncating toward zero; `None` if not finite.
fn truncate(v: f64) -> Option<i128> {
    // `as` saturates for finite values out of range, which is what we want here.
    #[allow(clippy::cast_possible_truncation)]
    v.is_finite().then(|| v.trunc() as i128)
}

/// A strict numeric reading: integers, floats and numeric strings.
fn number<E: de::Error>(s: Scalar) -> Result<Option<i128>, E> {
    match s {
        Scalar::Null => Ok(None),
        Scalar::Int(n) => Ok(Some(n)),
        Scalar::Float(v) => truncate(v)
            .map(Some)
            .ok_or_else(|| E::custom("number is not finite")),
        Scalar::Str(text) => {
            let text = text.trim();
            if text.is_empty() {
                Ok(None)
            } else {
                decimal(text)
                    .map(Some)
                    .ok_or_else(|| E::custom(format!("not a number: {text:?}")))
            }
        }
        Scalar::Bool(_) => Err(E::custom("expected a number, found a boolean")),
    }
}

/// A decimal in text (`"-12"`, `"1700000000.25"`), truncated toward zero. By hand,
/// not through `f64`: float parsing would add kilobytes to the browser build.
fn decimal(text: &str) -> Option<i128> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = whole.trim_start_matches(['-', '+']);
    let sign_ok = whole.len() - digits.len() <= 1;
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !sign_ok
        || (digits.is_empty() && fraction.is_empty())
        || !all_digits(digits)
        || !all_digits(fraction)
    {
        return None;
    }
    Some(ruby_to_i(whole))
}

/// Ruby's `String#to_i`: the leading integer (after whitespace and a sign), 0 if none.
fn ruby_to_i(text: &str) -> i128 {
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut n: i128 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i128::from(b - b'0'));
    }
    if negative { -n } else { n }
}

/// A request integer read like the v1 server does (`to_i`): garbage is 0, never an
/// error, so "ttl=abc" is clamped like "ttl=0" instead of failing the whole form.
fn loose<E: de::Error>(s: Scalar) -> Result<Option<i128>, E> {
    match s {
        Scalar::Str(text) if text.trim().is_empty() => Ok(None),
        Scalar::Str(text) => Ok(Some(ruby_to_i(&text))),
        Scalar::Bool(b) => Ok(Some(i128::from(b))),
        other => number(other),
    }
}

fn saturate_u64(n: i128) -> u64 {
    u64::try_from(n.max(0)).unwrap_or(u64::MAX)
}

/// A non-negative integer; absent is 0, negative values (Redis' -1/-2 TTLs) are 0.
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(opt_u64(d)?.unwrap_or(0))
}

/// An optional non-negative integer; negative values are 0.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(number(scalar(d)?)?.map(saturate_u64))
}

/// An optional request integer, read like Ruby's `to_i` (`"abc"` is `Some(0)`), so the
/// caller can clamp it; `null`/`""` is `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(loose(scalar(d)?)?
        .map(|n| i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })))
}

/// An optional positive request integer read like `to_i`; zero, negative and garbage
/// are `None` (use the default), too large saturates.
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(loose(scalar(d)?)?
        .filter(|&n| n > 0)
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
}

/// A boolean; absent is false.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match scalar(d)? {
        Scalar::Null => Ok(false),
        Scalar::Bool(b) => Ok(b),
        Scalar::Int(n) => Ok(n != 0),
        Scalar::Float(v) => Ok(v != 0.0),
        Scalar::Str(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "on" | "yes" => Ok(true),
            "false" | "0" | "off" | "no" | "" => Ok(false),
            other => Err(de::Error::custom(format!("not a boolean: {other:?}"))),
        },
    }
}

fn text<E: de::Error>(s: Scalar) -> Result<Option<String>, E> {
    match s {
        Scalar::Null => Ok(None),
        Scalar::Str(text) => Ok(Some(text)),
        Scalar::Bool(b) => Ok(Some(b.to_string())),
        Scalar::Int(n) => Ok(Some(n.to_string())),
        // Written as its integer part: float formatting would add kilobytes to the
        // browser build, and no string field of the API carries a fraction.
        Scalar::Float(v) => Ok(truncate(v).map(|n| n.to_string())),
    }
}

/// A string; `null` is `""`, numbers and booleans are written out.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(text(scalar(d)?)?.unwrap_or_default())
}

/// An optional string; `null` and `""` are `None` (an empty form field means "none").
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text(scalar(d)?)?.filter(|s| !s.is_empty()))
}

struct StringsVisitor;

/// One element of a list of strings, read with [`opt_string`].
struct Item(Option<String>);

impl<'de> serde::Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_string(d).map(Item)
    }
}

impl<'de> Visitor<'de> for StringsVisitor {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(if v.is_empty() {
            Vec::new()
        } else {
            vec![v.to_owned()]
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Item>()? {
            out.extend(item.0.filter(|s| !s.is_empty()));
        }
        Ok(out)
    }
}

/// A list of strings sent as one string or as an array; `null`/`""` is empty.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(StringsVisitor)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use crate::lenient;

    #[test]
    fn numbers_in_strings_are_read_without_floats() {
        #[derive(Deserialize)]
        struct N {
            #[serde(default, deserialize_with = "lenient::opt_u64")]
            n: Option<u64>,
        }
        let read = |v: &str| serde_json::from_str::<N>(&format!("{{\"n\":{v}}}")).map(|n| n.n);
        for (v, want) in [
            ("\"1700000000.75\"", Some(1_700_000_000)),
            ("\"-5\"", Some(0)),
            ("\"+7.\"", Some(7)),
            ("\".5\"", Some(0)),
            ("\" 42 \"", Some(42)),
            ("1.9e3", Some(1900)),
            ("\"\"", None),
            ("null", None),
        ] {
            assert_eq!(read(v).expect(v), want, "{v}");
        }
        for bad in [
            "\"-\"",
            "\".\"",
            "\"1e3\"",
            "\"12abc\"",
            "\"+-1\"",
            "\"1.2.3\"",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
