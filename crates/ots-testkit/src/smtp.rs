//! A local SMTP listener that accepts every message and keeps it, for recipient mail.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An SMTP server on a loopback port that answers like a permissive relay and keeps the
/// DATA of each message. It runs until the test process ends.
#[derive(Clone)]
pub struct Smtp {
    /// The port it listens on.
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl Smtp {
    pub fn start() -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        let port = listener.local_addr().expect("SMTP address").port();
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let keep = messages.clone();
        std::thread::spawn(move || {
            for sock in listener.incoming().flatten() {
                let keep = keep.clone();
                std::thread::spawn(move || {
                    let Ok(mut w) = sock.try_clone() else { return };
                    let _ = w.write_all(b"220 localhost ESMTP test\r\n");
                    let (mut data, mut in_data) = (String::new(), false);
                    for line in BufReader::new(sock).lines() {
                        let Ok(line) = line else { break };
                        if in_data {
                            if line == "." {
                                in_data = false;
                                if let Ok(mut all) = keep.lock() {
                                    all.push(std::mem::take(&mut data));
                                }
                                let _ = w.write_all(b"250 OK queued\r\n");
                            } else {
                                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                                data.push('\n');
                            }
                            continue;
                        }
                        let cmd = line.to_ascii_uppercase();
                        let reply: &[u8] = if cmd.starts_with("EHLO") {
                            b"250-localhost\r\n250 8BITMIME\r\n"
                        } else if cmd.starts_with("DATA") {
                            in_data = true;
                            b"354 go ahead\r\n"
                        } else if cmd.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n");
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        if w.write_all(reply).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Smtp { port, messages }
    }

    /// `smtp://127.0.0.1:<port>`, for `ots-server --smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Waits (up to 15 s) until `count` messages have arrived, and returns them all.
    pub fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let all = self.messages.lock().map(|m| m.clone()).unwrap_or_default();
            if all.len() >= count {
                return all;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} mails arrived",
                all.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A message as a reader sees it: its head, then its body decoded from its
/// `Content-Transfer-Encoding` (quoted-printable or base64), so a search cannot miss a
/// text that was encoded on the way.
pub fn readable(message: &str) -> String {
    let (head, body) = message.split_once("\n\n").unwrap_or((message, ""));
    let encoding = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.trim().eq_ignore_ascii_case("content-transfer-encoding"))
                .map(|(_, v)| v.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    let body = match encoding.as_str() {
        "base64" => {
            use base64::Engine as _;
            let joined: String = body.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|_| body.to_owned())
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    format!("{head}\n\n{body}")
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encoded_bodies_are_read_decoded() {
        let qp = "Content-Transfer-Encoding: quoted-printable\n\nsecret=3D=C3=A9 li=\nnk\n";
        assert!(super::readable(qp).contains("secret=é link"));
        let b64 = "Content-Transfer-Encoding: base64\n\nc2VjcmV0IMOp\n";
        assert!(super::readable(b64).ends_with("secret é"));
    }
}
