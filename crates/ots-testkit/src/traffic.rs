//! A relay that records what clients send, and a leak detector that reads it the way the
//! server does: every request is split out of its connection and decoded (query string,
//! form, JSON, multipart, Basic credentials) before it is searched, so a secret cannot hide
//! behind `%20`, `+` or `\u00e9`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

/// The bytes one connection sent.
type Sent = Arc<Mutex<Vec<u8>>>;

/// A loopback relay in front of a server that records every byte clients send through it,
/// one buffer per connection, so a test can check exactly what left the browser.
pub struct Recorder {
    /// The relay's port: point the browser here.
    pub port: u16,
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
    connections: Arc<Mutex<Vec<Sent>>>,
}

impl Recorder {
    /// Relays `127.0.0.1:<new port>` to `127.0.0.1:<target>`.
    pub fn start(target: u16) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let port = listener.local_addr().expect("relay address").port();
        let connections: Arc<Mutex<Vec<Sent>>> = Arc::default();
        let all = connections.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let (mut client_read, mut server_write) =
                    match (client.try_clone(), server.try_clone()) {
                        (Ok(c), Ok(s)) => (c, s),
                        _ => continue,
                    };
                let (mut server_read, mut client_write) = (server, client);
                let record: Sent = Arc::default();
                if let Ok(mut all) = all.lock() {
                    all.push(record.clone());
                }
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = client_read.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if let Ok(mut sent) = record.lock() {
                            sent.extend_from_slice(&buf[..n]);
                        }
                        if server_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = server_write.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server_read, &mut client_write);
                    let _ = client_write.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Recorder {
            port,
            url: format!("http://127.0.0.1:{port}/"),
            connections,
        }
    }

    /// Every request clients have sent so far, connection by connection.
    pub fn requests(&self) -> Vec<Request> {
        let connections = self
            .connections
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        connections
            .iter()
            .flat_map(|c| parse_requests(&c.lock().map(|b| b.clone()).unwrap_or_default()))
            .collect()
    }

    /// Every byte clients have sent so far, as sent.
    pub fn raw(&self) -> Vec<u8> {
        let connections = self
            .connections
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        connections
            .iter()
            .flat_map(|c| c.lock().map(|b| b.clone()).unwrap_or_default())
            .collect()
    }

    /// Where `needle` left the browser: one line per request part that holds it, raw or
    /// decoded. Empty when it never did.
    pub fn leaks(&self, needle: &str) -> Vec<String> {
        leaks(&self.requests(), needle)
    }

    /// [`Recorder::leaks`] for bytes (a binary file): also looks inside every form field
    /// percent-decoded to bytes, and inside every text, or any of its `.`-separated parts,
    /// decoded from base64 or base64url, the ways bytes travel in a text secret.
    pub fn leaks_bytes(&self, needle: &[u8]) -> Vec<String> {
        assert!(!needle.is_empty(), "an empty needle is everywhere");
        self.requests()
            .iter()
            .flat_map(|r| {
                r.byte_views()
                    .into_iter()
                    .filter(|(_, bytes)| crate::contains(bytes, needle))
                    .map(|(part, _)| format!("{} {}: {part}", r.method, r.target))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// How many requests went to a path starting with `prefix` (to show a check looked
    /// at real traffic).
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.target.starts_with(prefix))
            .count()
    }
}

/// One HTTP/1.1 request as it was sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as on the request line.
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every form of this request as bytes: the raw body, each form field of the query and
    /// body percent-decoded, and each text view (and its `.`-separated parts) base64- or
    /// base64url-decoded, padded or not.
    pub fn byte_views(&self) -> Vec<(String, Vec<u8>)> {
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        let lenient = GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true);
        let engines = [
            (
                "base64url",
                GeneralPurpose::new(&base64::alphabet::URL_SAFE, lenient),
            ),
            (
                "base64",
                GeneralPurpose::new(&base64::alphabet::STANDARD, lenient),
            ),
        ];
        let mut out = vec![("raw body".to_owned(), self.body.clone())];
        let query = self.target.split_once('?').map_or("", |(_, q)| q);
        for encoded in [query.as_bytes(), &self.body] {
            for field in encoded.split(|&b| b == b'&') {
                let value = field.splitn(2, |&b| b == b'=').nth(1).unwrap_or(field);
                out.push((
                    "form field as bytes".to_owned(),
                    percent_decode_bytes(value),
                ));
            }
        }
        for (part, text) in self.views() {
            for piece in std::iter::once(text.as_str()).chain(text.split('.')) {
                for (name, engine) in &engines {
                    if let Ok(bytes) = base64::Engine::decode(engine, piece.trim()) {
                        out.push((format!("{part}, {name}-decoded"), bytes));
                    }
                }
            }
        }
        out
    }

    /// Every readable form of this request: the raw head and body, then each part decoded
    /// as it was encoded, named for the report.
    pub fn views(&self) -> Vec<(String, String)> {
        let mut views = vec![
            ("request line".to_owned(), self.target.clone()),
            (
                "raw body".to_owned(),
                String::from_utf8_lossy(&self.body).into_owned(),
            ),
        ];
        if let Some((path, query)) = self.target.split_once('?') {
            views.push(("path".to_owned(), percent_decode(path)));
            views.extend(form_views("query", query.as_bytes()));
        } else {
            views.push(("path".to_owned(), percent_decode(&self.target)));
        }
        for (name, value) in &self.headers {
            views.push((format!("header {name}"), value.clone()));
            if name.eq_ignore_ascii_case("authorization")
                && let Some(b64) = value.strip_prefix("Basic ")
                && let Ok(pair) = base64::engine::general_purpose::STANDARD.decode(b64.trim())
            {
                views.push((
                    "Basic credentials".to_owned(),
                    String::from_utf8_lossy(&pair).into_owned(),
                ));
            }
        }
        let content_type = self.header("content-type").unwrap_or_default().to_owned();
        views.extend(body_views(&content_type, &self.body));
        views
    }
}

/// The decoded views of a body of this content type.
fn body_views(content_type: &str, body: &[u8]) -> Vec<(String, String)> {
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    match mime.to_ascii_lowercase().as_str() {
        "application/x-www-form-urlencoded" => form_views("form", body),
        "application/json" => serde_json::from_slice(body)
            .map(|v| json_strings(&v, "json"))
            .unwrap_or_default(),
        "multipart/form-data" => content_type
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("boundary="))
            .next()
            .map(|b| multipart_views(b.trim_matches('"'), body))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `a=1&b=x+y` → each name and value decoded (`+` is a space), with an independent decoder
/// (the `url` crate), not the app's own.
fn form_views(what: &str, encoded: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(encoded)
        .flat_map(|(name, value)| {
            [
                (format!("{what} name"), name.to_string()),
                (format!("{what} field {name}"), value.into_owned()),
            ]
        })
        .collect()
}

/// Every string (keys included) in a JSON document, unescaped.
fn json_strings(value: &serde_json::Value, at: &str) -> Vec<(String, String)> {
    match value {
        serde_json::Value::String(s) => vec![(at.to_owned(), s.clone())],
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, v)| json_strings(v, &format!("{at}[{i}]")))
            .collect(),
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| {
                let mut out = vec![(format!("{at} key"), k.clone())];
                out.extend(json_strings(v, &format!("{at}.{k}")));
                out
            })
            .collect(),
        other => vec![(at.to_owned(), other.to_string())],
    }
}

/// Each part of a `multipart/form-data` body, its own body decoded by its own type.
fn multipart_views(boundary: &str, body: &[u8]) -> Vec<(String, String)> {
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for part in text.split(delimiter.as_str()).skip(1) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let part_type = head
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(n, _)| n.trim().eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default();
        out.push(("multipart part".to_owned(), content.to_owned()));
        out.extend(body_views(&part_type, content.as_bytes()));
    }
    out
}

/// `a+b%2F` → `a b/`, to bytes (a form value may carry any byte).
fn percent_decode_bytes(encoded: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        let hex = encoded
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (encoded[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Where `needle` occurs in these requests, one line per request part.
pub fn leaks(requests: &[Request], needle: &str) -> Vec<String> {
    assert!(!needle.is_empty(), "an empty needle is everywhere");
    requests
        .iter()
        .flat_map(|r| {
            r.views()
                .into_iter()
                .filter(|(_, text)| text.contains(needle))
                .map(|(part, _)| format!("{} {}: {part}", r.method, r.target))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Splits one connection's bytes into the HTTP/1.1 requests sent on it.
pub fn parse_requests(mut bytes: &[u8]) -> Vec<Request> {
    let mut out = Vec::new();
    while let Some(end) = find(bytes, b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut rest = &bytes[end + 4..];
        let mut lines = head.lines();
        let mut first = lines.next().unwrap_or_default().split_whitespace();
        let method = first.next().unwrap_or_default().to_owned();
        let target = first.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let value = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let body = if value("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            let (body, used) = dechunk(rest);
            rest = &rest[used..];
            body
        } else {
            let len = value("content-length")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
                .min(rest.len());
            let body = rest[..len].to_vec();
            rest = &rest[len..];
            body
        };
        out.push(Request {
            method,
            target,
            headers,
            body,
        });
        bytes = rest;
    }
    out
}

/// A chunked body and how many bytes it took.
fn dechunk(bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut body = Vec::new();
    let mut at = 0;
    while let Some(eol) = find(&bytes[at..], b"\r\n") {
        let size = String::from_utf8_lossy(&bytes[at..at + eol]);
        let Ok(size) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        at += eol + 2;
        if size == 0 {
            // The trailer section ends with an empty line.
            at += find(&bytes[at..], b"\r\n").map_or(0, |e| e + 2);
            break;
        }
        let end = (at + size).min(bytes.len());
        body.extend_from_slice(&bytes[at..end]);
        at = (end + 2).min(bytes.len());
    }
    (body, at)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret whose every encoding differs from its raw text.
    const SECRET: &str = "a b+c&d=e/é\"%";

    fn found(raw: &str) -> Vec<String> {
        leaks(&parse_requests(raw.as_bytes()), SECRET)
    }

    #[test]
    fn a_form_encoded_secret_is_found_though_its_raw_text_is_not_on_the_wire() {
        let body = "secret=a+b%2Bc%26d%3De%2F%C3%A9%22%25&ttl=60";
        let raw = format!(
            "POST /api/v1/share HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        assert!(!raw.contains(SECRET));
        assert_eq!(found(&raw), ["POST /api/v1/share: form field secret"]);
    }

    #[test]
    fn json_query_multipart_chunked_and_basic_credentials_are_decoded() {
        let json = r#"{"v":["a b+c&d=e/\u00e9\"%"]}"#;
        let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"s\"\r\n\r\na b+c&d=e/é\"%\r\n--XyZ--\r\n";
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("u:{SECRET}"));
        let raw = format!(
            "POST /j HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}\
             GET /q?x=a%20b%2Bc%26d%3De%2F%C3%A9%22%25 HTTP/1.1\r\nHost: h\r\n\r\n\
             POST /m HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\n\r\n{multipart}\
             POST /c HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n\
             4\r\ns=a+\r\n1b\r\nb%2Bc%26d%3De%2F%C3%A9%22%25\r\n0\r\n\r\n\
             GET /a HTTP/1.1\r\nAuthorization: Basic {basic}\r\n\r\n",
            json.len(),
            multipart.len()
        );
        assert_eq!(
            found(&raw),
            [
                "POST /j: json.v[0]",
                "GET /q?x=a%20b%2Bc%26d%3De%2F%C3%A9%22%25: query field x",
                "POST /m: raw body",
                "POST /m: multipart part",
                "POST /c: form field s",
                "GET /a: Basic credentials",
            ]
        );
    }

    #[test]
    fn binary_bytes_are_found_raw_percent_encoded_and_in_base64_segments() {
        let bytes: Vec<u8> = (0..=255u8).rev().collect();
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        let percent: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
        let mut raw = format!(
            "POST /f HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\nsecret=ots2-plain.{b64url}",
            18 + b64url.len()
        )
        .into_bytes();
        raw.extend_from_slice(
            format!(
                "POST /p HTTP/1.1\r\nContent-Length: {}\r\n\r\nx={percent}",
                2 + percent.len()
            )
            .as_bytes(),
        );
        let requests = parse_requests(&raw);
        let found = |r: &Request| {
            r.byte_views()
                .into_iter()
                .any(|(_, b)| crate::contains(&b, &bytes[10..60]))
        };
        assert!(found(&requests[0]), "base64url after a tag");
        assert!(found(&requests[1]), "percent-encoded");
        let clean = parse_requests(b"POST /n HTTP/1.1\r\nContent-Length: 8\r\n\r\nsecret=x");
        assert!(!found(&clean[0]));
    }

    #[test]
    fn nothing_is_found_where_nothing_was_sent() {
        let raw = "POST /api/v1/share HTTP/1.1\r\nContent-Length: 8\r\n\r\nsecret=x\
                   GET / HTTP/1.1\r\n\r\n";
        assert_eq!(parse_requests(raw.as_bytes()).len(), 2);
        assert!(found(raw).is_empty());
    }
}
