//! `application/x-www-form-urlencoded` encoding, and the percent-encoding that the link
//! parameters share with it.
//!
//! `encode(pairs) = join("&", pct(name) || "=" || pct(value))`, where `pct` keeps
//! `A-Z a-z 0-9 - . _ ~` and writes every other UTF-8 byte as `%XX` (upper-case hex).
//! Decoding also accepts `+` for a space, as browsers send it.

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Percent-encodes one name or value: unreserved characters stay, every other byte
/// becomes `%XX`. Never emits `+`, so the result is also safe in a URL fragment.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (a space). `None` on a bad escape or on bytes that are
/// not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = hex_value(*bytes.get(i + 1)?)?;
                let lo = hex_value(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Encodes name/value pairs as a form body, in order: `a=1&b=x%20y`.
pub fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// Parses a form body or query string into decoded pairs, in order. Empty segments are
/// skipped and a segment without `=` has an empty value. `None` on a bad escape.
pub fn parse(body: &str) -> Option<Vec<(String, String)>> {
    body.split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            Some((percent_decode(name)?, percent_decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodes_reserved_and_non_ascii() {
        assert_eq!(
            encode([("secret", "a b&c=d+é"), ("ttl", "60")]),
            "secret=a%20b%26c%3Dd%2B%C3%A9&ttl=60"
        );
        assert_eq!(
            percent_encode("https://x.example/a?b"),
            "https%3A%2F%2Fx.example%2Fa%3Fb"
        );
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
    }

    #[test]
    fn decodes_plus_and_escapes() {
        assert_eq!(percent_decode("a+b%20c%c3%a9").as_deref(), Some("a b cé"));
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%FF"), None, "not UTF-8");
    }

    #[test]
    fn parses_pairs() {
        assert_eq!(
            parse("a=1&&b&c=x%3Dy").expect("valid body"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), String::new()),
                ("c".into(), "x=y".into())
            ]
        );
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(pairs in proptest::collection::vec((".*", ".*"), 0..5)) {
            let body = encode(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            // Even an empty pair survives: it encodes as "=", a non-empty segment.
            prop_assert_eq!(parse(&body), Some(pairs));
        }
    }
}
