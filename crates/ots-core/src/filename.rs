//! File names and media types as they travel in an `ots2` payload: what the sender
//! writes and what the recipient saves under. Both sides run [`sanitize`], so a hostile
//! sender cannot make a recipient save outside the chosen folder, hide an extension
//! behind a right-to-left override, or put control characters on a terminal.

/// The name used when nothing usable is left of the original.
pub const FALLBACK_NAME: &str = "secret.bin";
/// The longest name, in UTF-8 bytes (most file systems' limit).
pub const MAX_NAME_BYTES: usize = 255;
/// The longest media type, in bytes.
pub const MAX_TYPE_BYTES: usize = 127;
/// The media type of bytes whose type is unknown or invalid.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Characters that change text direction or hide themselves: bidi embeddings, overrides
/// and isolates, direction marks, zero-width characters and the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Characters Windows refuses in names; replaced so that the CLI can save anywhere.
fn reserved(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// Windows device names, which are not files whatever their extension.
fn device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit())
}

/// A safe file name from any text: the last path component (after `/` or `\`), without
/// control, bidi-override or zero-width characters, with `<>:"|?*` replaced by `_`,
/// surrounding spaces and trailing dots trimmed, a Windows device name prefixed with `_`,
/// and at most [`MAX_NAME_BYTES`] bytes (keeping a short extension). What is left empty,
/// or only dots (`.`, `..`), becomes [`FALLBACK_NAME`]. A leading dot is kept, so `.env`
/// stays `.env`. Idempotent: `sanitize(sanitize(x)) == sanitize(x)`.
pub fn sanitize(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !invisible(c))
        .map(|c| if reserved(c) { '_' } else { c })
        .collect();
    let mut out = truncate(trim(&cleaned));
    if device_name(&out) {
        out = truncate(&format!("_{out}"));
    }
    if out.chars().all(|c| c == '.') {
        FALLBACK_NAME.to_owned()
    } else {
        out
    }
}

/// At most [`MAX_NAME_BYTES`] bytes on a character boundary, keeping an extension of up
/// to 16 bytes; trailing dots and white space that the cut exposes are trimmed too.
fn truncate(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_owned();
    }
    let ext = name
        .rfind('.')
        .filter(|&i| i > 0 && name.len() - i <= 16)
        .map_or("", |i| &name[i..]);
    let mut end = MAX_NAME_BYTES - ext.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", trim(&name[..end]))
}

/// Without surrounding white space and trailing dots (which Windows drops).
fn trim(name: &str) -> &str {
    name.trim_start()
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Whether `text` is a bare media type as written in a payload: `type/subtype`, lower
/// case, of RFC 6838 restricted-name characters, no parameters, at most
/// [`MAX_TYPE_BYTES`] bytes.
pub fn is_media_type(text: &str) -> bool {
    fn name(part: &str) -> bool {
        part.as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
            && part.len() <= 63
            && part.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(
                        b,
                        b'!' | b'#' | b'$' | b'&' | b'-' | b'^' | b'_' | b'.' | b'+'
                    )
            })
    }
    text.len() <= MAX_TYPE_BYTES
        && text
            .split_once('/')
            .is_some_and(|(t, s)| name(t) && name(s))
}

/// The media type to record for `declared` (a browser's `File.type`, possibly empty or
/// with parameters), falling back to a guess from `name`'s extension, then to
/// [`OCTET_STREAM`].
pub fn media_type(declared: &str, name: &str) -> String {
    let bare = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if is_media_type(&bare) {
        bare
    } else {
        guess_media_type(name).to_owned()
    }
}

/// A media type from the extension, for the few kinds of file people share this way.
pub fn guess_media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "env" | "conf" | "cfg" | "ini" | "log" => "text/plain",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "pem" | "crt" | "cer" => "application/x-pem-file",
        "der" => "application/pkix-cert",
        "key" | "pub" => "application/x-pem-file",
        "asc" | "gpg" | "pgp" => "application/pgp-keys",
        "p12" | "pfx" => "application/x-pkcs12",
        "zip" => "application/zip",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => OCTET_STREAM,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_made_safe() {
        for (input, want) in [
            ("id_ed25519", "id_ed25519"),
            (".env", ".env"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\me\\cert.pem", "cert.pem"),
            ("dir/", FALLBACK_NAME),
            ("", FALLBACK_NAME),
            ("..", FALLBACK_NAME),
            ("...", FALLBACK_NAME),
            ("  report.pdf . ", "report.pdf"),
            ("a\u{0}b\nc\u{7f}d.txt", "abcd.txt"),
            // "invoice[RLO]fdp.exe" would show as "invoiceexe.pdf".
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("x\u{2067}y\u{200B}z\u{FEFF}", "xyz"),
            ("a<b>c:d\"e|f?g*h", "a_b_c_d_e_f_g_h"),
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("com1.log", "_com1.log"),
            ("console.txt", "console.txt"),
            ("naïve 東京.key", "naïve 東京.key"),
        ] {
            assert_eq!(sanitize(input), want, "{input:?}");
        }
    }

    #[test]
    fn long_names_keep_their_extension_and_char_boundaries() {
        let long = format!("{}.pem", "é".repeat(200));
        let short = sanitize(&long);
        assert!(short.len() <= MAX_NAME_BYTES, "{}", short.len());
        assert!(short.ends_with("é.pem"), "{short}");
        let no_ext = "x".repeat(400);
        assert_eq!(sanitize(&no_ext).len(), MAX_NAME_BYTES);
    }

    #[test]
    fn media_types_are_bare_and_checked() {
        assert_eq!(media_type("text/plain; charset=utf-8", "a"), "text/plain");
        assert_eq!(media_type("Image/PNG", "a"), "image/png");
        assert_eq!(media_type("", "cert.PEM"), "application/x-pem-file");
        assert_eq!(media_type("text/html\u{0}", "x"), OCTET_STREAM);
        assert_eq!(media_type("nonsense", "x.bin"), OCTET_STREAM);
        assert!(is_media_type("application/vnd.oasis.opendocument.text"));
        for bad in [
            "",
            "text",
            "text/",
            "/plain",
            "text/plain x",
            "TEXT/plain",
            "a/b/c",
        ] {
            assert!(!is_media_type(bad), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn sanitize_is_safe_and_idempotent(name in "\\PC{0,300}", raw in "(.|\n|\u{202E}|/|\\\\){0,80}") {
            for input in [name.as_str(), raw.as_str()] {
                let out = sanitize(input);
                prop_assert!(!out.is_empty() && out.len() <= MAX_NAME_BYTES);
                prop_assert!(!out.contains(['/', '\\']));
                prop_assert!(!out.chars().any(|c| c.is_control() || invisible(c) || reserved(c)));
                prop_assert!(out != "." && out != "..");
                prop_assert_eq!(sanitize(&out), out.clone());
            }
        }
    }
}
