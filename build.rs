//! Reads `locales/*.json` (one flat `{"key": "text"}` file per language) and generates the
//! `Key` enum and the English table. The build fails when any locale lacks a key of
//! `en.json`, has one that English does not, or breaks a `{placeholder}`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const LOCALES: [&str; 6] = ["en", "ko", "zh", "uk", "ja", "sv"];

fn read(code: &str) -> BTreeMap<String, String> {
    let path = Path::new("locales").join(format!("{code}.json"));
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_flat_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    names
}

fn main() {
    let english = read("en");
    let mut problems = Vec::new();
    for code in &LOCALES[1..] {
        let other = read(code);
        for (key, text) in &english {
            match other.get(key) {
                None => problems.push(format!("locales/{code}.json lacks \"{key}\"")),
                Some(t) if placeholders(t) != placeholders(text) => problems.push(format!(
                    "locales/{code}.json \"{key}\" has placeholders {:?}, English has {:?}",
                    placeholders(t),
                    placeholders(text)
                )),
                Some(t) if t.trim().is_empty() => {
                    problems.push(format!("locales/{code}.json \"{key}\" is empty"))
                }
                Some(_) => {}
            }
        }
        for key in other.keys().filter(|k| !english.contains_key(*k)) {
            problems.push(format!(
                "locales/{code}.json has \"{key}\", which en.json lacks"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "translations are incomplete:\n  {}",
        problems.join("\n  ")
    );

    let mut out = String::from(
        "/// A user-visible string, named after its key in `locales/en.json`.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n#[allow(missing_docs)]\npub enum Key {\n",
    );
    for key in english.keys() {
        let _ = writeln!(out, "    {},", camel(key));
    }
    out.push_str("}\n\n/// The keys, in `Key` order, as named in the locale files.\n");
    let _ = writeln!(out, "pub const NAMES: [&str; {}] = [", english.len());
    for key in english.keys() {
        let _ = writeln!(out, "    {key:?},");
    }
    out.push_str("];\n\n/// The English texts, in `Key` order.\n");
    let _ = writeln!(out, "pub const ENGLISH: [&str; {}] = [", english.len());
    for text in english.values() {
        let _ = writeln!(out, "    {text:?},");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("keys.rs");
    std::fs::write(dest, out).expect("write keys.rs");
}

fn camel(key: &str) -> String {
    key.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Parses `{"key": "text", …}` with string values only (all a locale file holds), so the
/// build needs no JSON crate.
fn parse_flat_json(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut chars = text.trim().chars().peekable();
    let mut map = BTreeMap::new();
    let expect = |c: Option<char>, want: char| {
        if c == Some(want) {
            Ok(())
        } else {
            Err(format!("expected '{want}', found {c:?}"))
        }
    };
    let skip_ws = |chars: &mut std::iter::Peekable<std::str::Chars>| {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
    };
    let string = |chars: &mut std::iter::Peekable<std::str::Chars>| -> Result<String, String> {
        expect(chars.next(), '"')?;
        let mut s = String::new();
        loop {
            match chars.next().ok_or("unterminated string")? {
                '"' => return Ok(s),
                '\\' => match chars.next().ok_or("bad escape")? {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let code = u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?;
                        s.push(char::from_u32(code).ok_or("bad \\u escape")?);
                    }
                    c => s.push(c),
                },
                c => s.push(c),
            }
        }
    };
    expect(chars.next(), '{')?;
    loop {
        skip_ws(&mut chars);
        if chars.peek() == Some(&'}') {
            chars.next();
            break;
        }
        let key = string(&mut chars)?;
        skip_ws(&mut chars);
        expect(chars.next(), ':')?;
        skip_ws(&mut chars);
        let value = string(&mut chars)?;
        if map.insert(key.clone(), value).is_some() {
            return Err(format!("duplicate key \"{key}\""));
        }
        skip_ws(&mut chars);
        match chars.next() {
            Some(',') => continue,
            Some('}') => break,
            c => return Err(format!("expected ',' or '}}', found {c:?}")),
        }
    }
    Ok(map)
}
