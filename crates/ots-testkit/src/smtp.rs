//! A local SMTP listener that accepts every message and keeps it, for recipient mail.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An SMTP server on a loopback port that answers like a permissive relay and keeps the
/// DATA of each message. It runs until the test process ends.
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
