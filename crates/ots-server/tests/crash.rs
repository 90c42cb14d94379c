//! Crash safety with the real binary over loopback.
//!
//! - Embedded store: creates (and some reveals and burns) stream from several threads,
//!   the server is SIGKILLed mid-stream, restarted on the same data dir, streamed to and
//!   killed again, restarted once more. Every create that was answered 200 must reveal
//!   exactly once; every answered reveal or burn must stay final.
//! - Redis (`--appendonly yes --appendfsync always`): redis-server is SIGKILLed mid-stream
//!   and restarted on the same dir and port. Creates during the outage must fail with a
//!   v1 error within seconds (no hang), the server must reconnect, and every create
//!   answered 200 must reveal exactly once.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::dist_dir;
use ots_testkit::{Redis, Server};

/// Longer than any answer may take: past it, a request counts as hung.
const HANG: Duration = Duration::from_secs(15);
const THREADS: usize = 6;

#[derive(Debug)]
struct Reply {
    status: u16,
    intended: Option<String>,
    json: serde_json::Value,
}

/// One HTTP/1.1 exchange (`Connection: close`); `Err` when no answer came.
fn call(port: u16, path: &str, form: &str) -> std::io::Result<Reply> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(HANG))?;
    stream.set_write_timeout(Some(HANG))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Err(std::io::Error::other(format!("no HTTP answer: {text:?}")));
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let intended = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case("x-ots-intended-status"))
        .map(|(_, v)| v.trim().to_owned());
    let json = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    Ok(Reply {
        status,
        intended,
        json,
    })
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} did not come up");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The `ots-server` cargo built for this test run, on `data`, without rate limits.
fn start_server(data: tempfile::TempDir, dist: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["--rate-limit-creates", "0", "--rate-limit-reveals", "0"];
    args.extend_from_slice(extra);
    Server::launch(env!("CARGO_BIN_EXE_ots-server").as_ref(), dist, data, &args)
}

#[derive(Debug, Clone)]
struct Created {
    key: String,
    mkey: String,
    value: String,
}

/// What the clients were told.
#[derive(Default)]
struct Seen {
    /// Create answered 200 and nothing else done with it.
    kept: Vec<Created>,
    /// Reveal answered 200 with the right value.
    revealed: Vec<Created>,
    /// Burn answered 200.
    burned: Vec<Created>,
    /// A reveal or burn was sent but no answer came (in flight at the crash): either
    /// outcome is allowed, but at most one reveal.
    uncertain: Vec<Created>,
    /// Non-200 answers to creates: (status, intended, message).
    failed_creates: Vec<(u16, Option<String>, String)>,
    /// Requests that got no answer within [`HANG`] although the server was up.
    hung: usize,
}

impl Seen {
    fn acked(&self) -> usize {
        self.kept.len() + self.revealed.len() + self.burned.len() + self.uncertain.len()
    }
}

/// One client thread: create, and reveal every third, burn every fifth. Stops when
/// `stop` is set, or (if `stop_on_error`) when the server stops answering.
fn client(
    port: &AtomicUsize,
    id: usize,
    stop: &AtomicBool,
    stop_on_error: bool,
    seen: &Mutex<Seen>,
) {
    let mut i = 0usize;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let port = port.load(Ordering::SeqCst) as u16;
        let value = format!("crash-{id}-{i}-{}", ots_server::crypto::new_key().unwrap());
        let started = Instant::now();
        let reply = match call(port, "/api/v1/share", &format!("secret={value}&ttl=3600")) {
            Ok(r) => r,
            Err(_) if stop_on_error => return,
            Err(_) => {
                if started.elapsed() >= HANG {
                    seen.lock().unwrap().hung += 1;
                }
                continue;
            }
        };
        if reply.status != 200 {
            let msg = reply.json["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let mut s = seen.lock().unwrap();
            s.failed_creates.push((reply.status, reply.intended, msg));
            drop(s);
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let c = Created {
            key: reply.json["secret_key"].as_str().unwrap().to_owned(),
            mkey: reply.json["metadata_key"].as_str().unwrap().to_owned(),
            value,
        };
        let (path, burn) = if i.is_multiple_of(3) {
            (format!("/api/v1/secret/{}", c.key), false)
        } else if i.is_multiple_of(5) {
            (format!("/api/v1/receipt/{}/burn", c.mkey), true)
        } else {
            seen.lock().unwrap().kept.push(c);
            continue;
        };
        match call(port, &path, "") {
            Ok(r) if r.status == 200 && burn => {
                assert_eq!(r.json["state"]["state"], "burned");
                seen.lock().unwrap().burned.push(c);
            }
            Ok(r) if r.status == 200 => {
                assert_eq!(r.json["value"], c.value.as_str());
                seen.lock().unwrap().revealed.push(c);
            }
            // The embedded store has no outage: a fresh secret must be claimable.
            Ok(r) if stop_on_error => panic!("claim of a fresh secret failed: {r:?}"),
            // A failed answer (Redis down): nothing is known about the claim.
            Ok(_) => seen.lock().unwrap().uncertain.push(c),
            Err(_) => {
                seen.lock().unwrap().uncertain.push(c);
                if stop_on_error {
                    return;
                }
            }
        }
    }
}

fn spawn_clients(
    port: &Arc<AtomicUsize>,
    stop: &Arc<AtomicBool>,
    stop_on_error: bool,
    seen: &Arc<Mutex<Seen>>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..THREADS)
        .map(|id| {
            let (port, stop, seen) = (port.clone(), stop.clone(), seen.clone());
            std::thread::spawn(move || client(&port, id, &stop, stop_on_error, &seen))
        })
        .collect()
}

fn wait_for_acked(seen: &Mutex<Seen>, n: usize) {
    wait_until(&format!("{n} acknowledged creates"), || {
        seen.lock().unwrap().acked() >= n
    });
}

/// After the crashes: every acknowledged create reveals exactly once, every
/// acknowledged reveal or burn is final, receipts agree.
fn verify(port: u16, seen: &Seen) {
    eprintln!(
        "acknowledged: {} kept, {} revealed, {} burned; {} claims in flight at a crash; \
         {} creates refused",
        seen.kept.len(),
        seen.revealed.len(),
        seen.burned.len(),
        seen.uncertain.len(),
        seen.failed_creates.len()
    );
    let reveal = |c: &Created| call(port, &format!("/api/v1/secret/{}", c.key), "").unwrap();
    let unknown = |r: &Reply| r.status == 404 && r.json["message"] == "Unknown secret";
    let state = |c: &Created| {
        call(port, &format!("/api/v1/receipt/{}", c.mkey), "")
            .unwrap()
            .json["state"]
            .as_str()
            .unwrap_or("(none)")
            .to_owned()
    };
    for c in &seen.kept {
        assert_eq!(state(c), "new", "receipt of an acknowledged create");
        let r = reveal(c);
        assert_eq!(r.status, 200, "acknowledged create lost: {:?}", r.json);
        assert_eq!(r.json["value"], c.value.as_str());
        assert!(unknown(&reveal(c)), "revealed twice");
        assert_eq!(state(c), "received");
    }
    for c in &seen.revealed {
        assert!(unknown(&reveal(c)), "an acknowledged reveal came back");
        assert_eq!(state(c), "received");
    }
    for c in &seen.burned {
        assert!(unknown(&reveal(c)), "an acknowledged burn came back");
        assert_eq!(state(c), "burned");
    }
    for c in &seen.uncertain {
        let r = reveal(c);
        if r.status == 200 {
            assert_eq!(r.json["value"], c.value.as_str());
            assert!(unknown(&reveal(c)), "revealed twice");
        } else {
            assert!(unknown(&r), "{:?}", r.json);
        }
    }
}

#[test]
fn embedded_store_survives_sigkill_mid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dist_dir(dir.path());
    let mut data = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    for round in 1..=2 {
        let server = start_server(data, &dist, &[]);
        let port = Arc::new(AtomicUsize::new(server.port.into()));
        let stop = Arc::new(AtomicBool::new(false));
        let clients = spawn_clients(&port, &stop, true, &seen);
        wait_for_acked(&seen, round * 300);
        // Mid-stream: the clients are still sending when the server dies (SIGKILL).
        data = server.stop();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().unwrap();
        }
    }
    let seen = seen.lock().unwrap();
    assert!(seen.failed_creates.is_empty(), "{:?}", seen.failed_creates);
    assert!(!seen.revealed.is_empty() && !seen.burned.is_empty());
    let server = start_server(data, &dist, &[]);
    verify(server.port, &seen);
    let log = server.log_text();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn embedded_store_with_fsync_always_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dist_dir(dir.path());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = start_server(tempfile::tempdir().unwrap(), &dist, &["--fsync", "always"]);
    let port = Arc::new(AtomicUsize::new(server.port.into()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients = spawn_clients(&port, &stop, true, &seen);
    wait_for_acked(&seen, 200);
    let data = server.stop();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let seen = seen.lock().unwrap();
    let server = start_server(data, &dist, &["--fsync", "always"]);
    verify(server.port, &seen);
}

#[test]
fn redis_restart_mid_stream_loses_no_acknowledged_create() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dist_dir(dir.path());
    let redis = Redis::start();
    let (url, redis_port) = (redis.url(), redis.port);
    let server = start_server(tempfile::tempdir().unwrap(), &dist, &["--redis", &url]);
    let port = server.port;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port_cell = Arc::new(AtomicUsize::new(port.into()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients = spawn_clients(&port_cell, &stop, false, &seen);
    wait_for_acked(&seen, 150);
    let redis_dir = redis.stop();
    // The outage: creates keep coming and must be refused the v1 way, promptly.
    wait_until("a create refused during the outage", || {
        !seen.lock().unwrap().failed_creates.is_empty()
    });
    std::thread::sleep(Duration::from_millis(500));
    let during = seen.lock().unwrap().acked();
    let _redis = Redis::start_in(redis_dir, redis_port);
    // Reconnected: acknowledged creates resume.
    wait_for_acked(&seen, during + 150);
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.hung, 0, "requests hung while Redis was down");
    for (status, intended, message) in &seen.failed_creates {
        assert_eq!(*status, 404);
        assert_eq!(intended.as_deref(), Some("400"));
        assert_eq!(message, ots_server::error::UNEXPECTED);
    }
    verify(port, &seen);
}
