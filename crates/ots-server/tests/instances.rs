//! Several instances on one store, through the real binary: one master key per store
//! (a stray key is refused at start, and never consumes a secret it cannot open);
//! liveness and readiness; a SIGTERM under load that cuts nothing off.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use ots_testkit::{Exited, HttpResponse, Redis, Server, http};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_ots-server");
const KEY_A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_B: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// A server over an empty app folder (these tests need only the API).
fn try_start(data_dir: tempfile::TempDir, args: &[&str]) -> Result<Server, Exited> {
    let dist = std::env::temp_dir();
    Server::try_launch(Path::new(BIN), &dist, data_dir, args)
}

fn start(data_dir: tempfile::TempDir, args: &[&str]) -> Server {
    try_start(data_dir, args).unwrap_or_else(|e| panic!("server refused to start:\n{}", e.log))
}

fn fresh() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn share(s: &Server, secret: &str) -> String {
    let r = http(s.port, "POST", "/api/v1/share", &format!("secret={secret}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["secret_key"].as_str().unwrap().to_owned()
}

fn reveal(s: &Server, key: &str) -> HttpResponse {
    http(s.port, "POST", &format!("/api/v1/secret/{key}"), "")
}

fn assert_refused(log: &str) {
    assert!(
        log.contains("another master key") || log.contains("sealed with master key"),
        "{log}"
    );
    assert!(
        log.contains("--master-key-file") && log.contains("OTS_MASTER_KEY"),
        "{log}"
    );
}

/// A reveal through an instance with the wrong key: the generic v1 error, nothing consumed.
fn assert_not_consumed(r: &HttpResponse) {
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "An unexpected error occurred :["})
    );
}

#[test]
fn instances_on_one_redis_share_one_master_key() {
    let redis = Redis::start();
    let url = redis.url();
    // Each instance generates its own key file in its data dir unless told otherwise.
    let a = start(fresh(), &["--redis", &url]);
    let first = share(&a, "first");
    let second = share(&a, "second");

    let refused = try_start(fresh(), &["--redis", &url])
        .err()
        .expect("a second key is refused");
    assert_refused(&refused.log);

    let key_file = a.data_dir.path().join("master.key");
    let shared = start(
        fresh(),
        &[
            "--redis",
            &url,
            "--master-key-file",
            key_file.to_str().unwrap(),
        ],
    );
    let r = reveal(&shared, &first);
    assert_eq!(r.json()["value"], "first", "{}", r.body);

    // A store whose fingerprint is gone (older data, or deleted by hand): a stray key
    // starts, but cannot take a secret sealed under the other key.
    assert!(
        redis
            .command(&["DEL", "ots:master-key-id"])
            .starts_with(":1")
    );
    let stray = start(fresh(), &["--redis", &url]);
    assert_not_consumed(&reveal(&stray, &second));
    assert!(
        stray.log_text().contains("another master key"),
        "{}",
        stray.log_text()
    );
    let r = reveal(&a, &second);
    assert_eq!(r.json()["value"], "second", "{}", r.body);
}

#[test]
fn the_embedded_store_keeps_its_master_key() {
    let a = start(fresh(), &["--master-key", KEY_A]);
    let key = share(&a, "kept");
    let dir = a.stop();

    let refused = try_start(dir, &["--master-key", KEY_B])
        .err()
        .expect("refused");
    assert_refused(&refused.log);

    // Without its fingerprint file (a store from before it existed, or deleted by hand)
    // the other key starts, but consumes nothing.
    let fingerprint = refused.data_dir.path().join("ots-log/MASTER_KEY_ID");
    std::fs::remove_file(&fingerprint).unwrap();
    let stray = start(refused.data_dir, &["--master-key", KEY_B]);
    assert_not_consumed(&reveal(&stray, &key));
    let dir = stray.stop();

    std::fs::remove_file(&fingerprint).unwrap();
    let a = start(dir, &["--master-key", KEY_A]);
    let r = reveal(&a, &key);
    assert_eq!(r.json()["value"], "kept", "{}", r.body);
}

/// `--redis-wait-replicas 1`: a create is answered only once a replica holds it; a
/// reveal hands the value over even when no replica confirms (the secret is already
/// taken, so refusing would lose it) and logs that it did.
#[test]
fn with_wait_replicas_a_create_needs_a_replica_and_a_reveal_never_loses_the_value() {
    let primary = Redis::volatile();
    let replica = Redis::replica_of(primary.port);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !replica
        .command(&["INFO", "replication"])
        .contains("master_link_status:up")
    {
        assert!(Instant::now() < deadline, "the replica never synced");
        std::thread::sleep(Duration::from_millis(50));
    }
    let s = start(
        fresh(),
        &["--redis", &primary.url(), "--redis-wait-replicas", "1"],
    );
    let (first, second) = (share(&s, "first"), share(&s, "second"));
    let warning = "no replica confirmed a reveal or burn";
    assert_eq!(reveal(&s, &first).json()["value"], "first");
    assert!(!s.log_text().contains(warning), "{}", s.log_text());

    replica.stop();
    let r = reveal(&s, &second);
    assert_eq!(r.json()["value"], "second", "{}", r.body);
    assert!(s.log_text().contains(warning), "{}", s.log_text());
    let r = http(s.port, "POST", "/api/v1/share", "secret=third");
    assert_eq!(
        r.json(),
        json!({"message": "An unexpected error occurred :["}),
        "{}",
        r.body
    );
}

/// Polls `path` until its status is `want` (or panics after `within`).
fn wait_status(s: &Server, path: &str, want: u16, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let r = http(s.port, "GET", path, "");
        if r.status == want {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{path}: {} {}", r.status, r.body);
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sigterm(s: &Server) {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &s.pid().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn health_and_readiness_follow_redis_away_and_back() {
    let redis = Redis::start();
    let port = redis.port;
    let s = start(fresh(), &["--redis", &redis.url()]);
    let health = http(s.port, "GET", "/health", "");
    assert_eq!(
        (health.status, health.json()),
        (200, json!({"status": "ok"}))
    );
    let ready = http(s.port, "GET", "/ready", "");
    assert_eq!(
        (ready.status, ready.json()),
        (200, json!({"status": "ready"}))
    );

    let dir = redis.stop();
    wait_status(&s, "/ready", 503, Duration::from_secs(10));
    let ready = http(s.port, "GET", "/ready", "");
    assert_eq!(ready.json(), json!({"status": "store unavailable"}));
    assert_eq!(http(s.port, "GET", "/health", "").status, 200);

    let _redis = Redis::start_in(dir, port);
    let back = wait_status(&s, "/ready", 200, Duration::from_secs(15));
    eprintln!("ready again {back:?} after redis came back");
    share(&s, "after");
}

#[test]
fn sigterm_fails_readiness_at_once_and_serves_through_the_grace() {
    let s = start(fresh(), &["--shutdown-grace", "3s"]);
    assert_eq!(http(s.port, "GET", "/ready", "").status, 200);
    sigterm(&s);
    let noticed = wait_status(&s, "/ready", 503, Duration::from_secs(1));
    let ready = http(s.port, "GET", "/ready", "");
    assert_eq!(ready.json(), json!({"status": "draining"}));
    assert_eq!(ready.header("connection"), Some("close"));
    assert_eq!(http(s.port, "GET", "/health", "").status, 200);
    let key = share(&s, "during-grace");
    assert_eq!(reveal(&s, &key).json()["value"], "during-grace");
    // Then it stops accepting.
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", s.port)).is_ok() {
        assert!(start.elapsed() < Duration::from_secs(10), "still accepting");
        std::thread::sleep(Duration::from_millis(50));
    }
    let closed = noticed + start.elapsed();
    assert!(
        closed >= Duration::from_millis(2500),
        "closed after {closed:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(s.log_text().contains("stopped"), "{}", s.log_text());
}

/// A keep-alive HTTP/1.1 client for one server: reconnects only when the server said
/// `Connection: close`. `Err` means a request was sent and no whole answer came back.
struct KeepAlive {
    port: u16,
    conn: Option<std::io::BufReader<std::net::TcpStream>>,
}

impl KeepAlive {
    fn new(port: u16) -> KeepAlive {
        KeepAlive { port, conn: None }
    }

    /// `Ok(None)`: could not connect (the request never reached the server).
    fn post(&mut self, path: &str, body: &str) -> Result<Option<(u16, String)>, String> {
        use std::io::{BufRead as _, Read as _, Write as _};
        if self.conn.is_none() {
            match std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    self.conn = Some(std::io::BufReader::new(s));
                }
                Err(_) => return Ok(None),
            }
        }
        let conn = self.conn.as_mut().unwrap();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let result = (|| {
            conn.get_mut()
                .write_all(req.as_bytes())
                .map_err(|e| format!("write: {e}"))?;
            let mut line = String::new();
            conn.read_line(&mut line)
                .map_err(|e| format!("read: {e}"))?;
            let status: u16 = line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("no status line: {line:?}"))?;
            let (mut len, mut close) = (0usize, false);
            loop {
                line.clear();
                conn.read_line(&mut line)
                    .map_err(|e| format!("read: {e}"))?;
                let l = line.trim_end().to_ascii_lowercase();
                if l.is_empty() {
                    break;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    len = v.trim().parse().map_err(|_| "bad length".to_owned())?;
                }
                close |= l == "connection: close";
            }
            let mut body = vec![0u8; len];
            conn.read_exact(&mut body)
                .map_err(|e| format!("body: {e}"))?;
            Ok::<_, String>((status, String::from_utf8_lossy(&body).into_owned(), close))
        })();
        match result {
            Ok((status, body, close)) => {
                if close {
                    self.conn = None;
                }
                Ok(Some((status, body)))
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    answered: usize,
    answered_by_a_after_term: usize,
    cut_off: Vec<String>,
    not_ok: Vec<String>,
    created: Vec<(String, String)>,
}

/// Two instances on one Redis; 8 clients create on one and reveal on the other, over
/// keep-alive connections, and stop sending to A once a prober sees A's /ready fail (as a
/// balancer would). A gets SIGTERM mid-load: nothing sent to it may go unanswered.
#[test]
fn sigterm_under_load_cuts_nothing_off_behind_a_readiness_probe() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let redis = Redis::start();
    let url = redis.url();
    let args = [
        "--redis",
        &url,
        "--master-key",
        KEY_A,
        "--rate-limit-creates",
        "0",
        "--rate-limit-reveals",
        "0",
        "--shutdown-grace",
        "2s",
    ];
    let a = start(fresh(), &args);
    let b = start(fresh(), &args);
    let (pa, pb) = (a.port, b.port);
    let a_down = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let termed = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let prober = {
        let (a_down, stop) = (a_down.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) && !a_down.load(Ordering::Relaxed) {
                // (`http` panics when it cannot connect.)
                let up = std::net::TcpStream::connect(("127.0.0.1", pa)).is_ok()
                    && matches!(
                        std::panic::catch_unwind(|| http(pa, "GET", "/ready", "").status),
                        Ok(200)
                    );
                if !up {
                    a_down.store(true, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (a_down, stop, termed, tally) =
                (a_down.clone(), stop.clone(), termed.clone(), tally.clone());
            std::thread::spawn(move || {
                let mut clients = [KeepAlive::new(pa), KeepAlive::new(pb)];
                // Sends to A (unless A is known down) or B; a refused connection never
                // reached the server and is retried on B, as a balancer would.
                let mut call = |on_a: bool, path: &str, body: &str| -> Option<serde_json::Value> {
                    let on_a = on_a && !a_down.load(Ordering::Relaxed);
                    let after_term = termed.load(Ordering::Relaxed);
                    let res = match clients[usize::from(!on_a)].post(path, body) {
                        Ok(None) if on_a => clients[1].post(path, body),
                        other => other,
                    };
                    let mut t = tally.lock().unwrap();
                    match res {
                        Ok(Some((200, body))) => {
                            t.answered += 1;
                            t.answered_by_a_after_term += usize::from(on_a && after_term);
                            serde_json::from_str(&body).ok()
                        }
                        Ok(Some((status, body))) => {
                            t.not_ok.push(format!("{status} {body}"));
                            None
                        }
                        Ok(None) => {
                            t.not_ok.push("B refused a connection".into());
                            None
                        }
                        Err(e) => {
                            t.cut_off
                                .push(format!("{}: {e}", if on_a { "A" } else { "B" }));
                            None
                        }
                    }
                };
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let secret = format!("w{w}-{i}");
                    let create_on_a = (w + i).is_multiple_of(2);
                    let Some(r) = call(create_on_a, "/api/v1/share", &format!("secret={secret}"))
                    else {
                        continue;
                    };
                    let key = r["secret_key"].as_str().unwrap().to_owned();
                    let revealed = call(!create_on_a, &format!("/api/v1/secret/{key}"), "");
                    let mut t = tally.lock().unwrap();
                    t.created.push((key, secret.clone()));
                    if let Some(v) = revealed.filter(|v| v["value"] != secret.as_str()) {
                        t.not_ok.push(format!("reveal of {secret} gave {v}"));
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    termed.store(true, Ordering::Relaxed);
    sigterm(&a);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", pa)).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "A still accepting"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    prober.join().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    let t = tally.lock().unwrap();
    eprintln!(
        "answered {}, by A after SIGTERM {}, created {}, cut off {}, not 200 {}",
        t.answered,
        t.answered_by_a_after_term,
        t.created.len(),
        t.cut_off.len(),
        t.not_ok.len()
    );
    assert!(t.cut_off.is_empty(), "{:?}", t.cut_off);
    assert!(t.not_ok.is_empty(), "{:?}", t.not_ok);
    assert!(
        t.answered_by_a_after_term > 0,
        "A served nothing after SIGTERM"
    );
    assert!(
        t.created.len() > 100,
        "too little load: {}",
        t.created.len()
    );
    assert!(a.log_text().contains("stopped"), "{}", a.log_text());
}

/// Three instances on one Redis with a limit of 30: 30 creates and 30 reveals are let
/// through in all, not 90 (as `storage.rs` does for the passphrase lockout).
#[test]
fn per_ip_limits_are_shared_across_instances_on_redis() {
    let redis = Redis::start();
    let url = redis.url();
    let args = [
        "--redis",
        &url,
        "--master-key",
        KEY_A,
        "--rate-limit-creates",
        "30",
        "--rate-limit-reveals",
        "30",
        "--rate-limit-window",
        "1h",
    ];
    // The first also serves metrics: they count its share of the creates.
    let mport = ots_testkit::free_port();
    let listen = format!("127.0.0.1:{mport}");
    let with_metrics: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--metrics-listen", &listen])
        .collect();
    let instances: Vec<Server> = (0..3)
        .map(|i| start(fresh(), if i == 0 { &with_metrics } else { &args }))
        .collect();
    let limited = json!({"message": "Rate limit exceeded. Please try again later."});
    let (mut created, mut refused) = (Vec::new(), 0);
    for i in 0..90 {
        let r = http(instances[i % 3].port, "POST", "/api/v1/share", "secret=x");
        match r.status {
            200 => created.push(r.json()["secret_key"].as_str().unwrap().to_owned()),
            _ if r.json() == limited => refused += 1,
            _ => panic!("{} {}", r.status, r.body),
        }
    }
    assert_eq!((created.len(), refused), (30, 60));
    let (mut revealed, mut refused) = (0, 0);
    for i in 0..90 {
        let key = created.get(i).map_or("k".repeat(62), Clone::clone);
        let r = reveal(&instances[i % 3], &key);
        match r.status {
            200 => revealed += 1,
            _ if r.json() == limited => refused += 1,
            _ => assert_eq!(r.json()["message"], "Unknown secret", "{}", r.body),
        }
    }
    assert_eq!((revealed, refused), (30, 60));
    let t = http(mport, "GET", "/metrics", "").body;
    assert_eq!(sample(&t, "ots_creates_total", "outcome=\"ok\""), 10.0);
    assert_eq!(
        sample(&t, "ots_creates_total", "outcome=\"rate_limited\""),
        20.0
    );
    assert_eq!(
        sample(&t, "ots_rate_limited_total", "operation=\"reveal\""),
        20.0
    );
    assert!(sample(&t, "ots_store_redis_keys", "") >= 30.0, "{t}");
    assert!(
        sample(&t, "ots_store_redis_used_memory_bytes", "") > 0.0,
        "{t}"
    );
}

/// The sample of `metric` with exactly these labels (`""` for none), as a number.
fn sample(text: &str, metric: &str, labels: &str) -> f64 {
    let name = if labels.is_empty() {
        metric.to_owned()
    } else {
        format!("{metric}{{{labels}}}")
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

#[test]
fn metrics_count_outcomes_on_their_own_listener_without_keys_or_ips() {
    let mport = ots_testkit::free_port();
    let listen = format!("127.0.0.1:{mport}");
    let s = start(
        fresh(),
        &[
            "--metrics-listen",
            &listen,
            "--rate-limit-creates",
            "3",
            "--region",
            "gone=http://127.0.0.1:9",
        ],
    );
    let k1 = share(&s, "alpha-secret-value");
    let k2 = share(&s, "beta-secret-value");
    assert_eq!(reveal(&s, &k1).status, 200);
    assert_eq!(reveal(&s, &k1).json()["message"], "Unknown secret");
    let gamma = http(s.port, "POST", "/api/v1/share", "secret=gamma-secret-value").json();
    let mkey = gamma["metadata_key"].as_str().unwrap().to_owned();
    let burned = http(s.port, "POST", &format!("/api/v1/receipt/{mkey}/burn"), "");
    assert_eq!(burned.json()["state"]["state"], "burned", "{}", burned.body);
    let r = http(s.port, "POST", "/api/v1/share", "secret=x");
    assert_eq!(
        r.json()["message"],
        "Rate limit exceeded. Please try again later."
    );
    let region = http(s.port, "GET", "/region/gone/api/v1/status", "");
    assert_eq!(region.header("x-ots-intended-status"), Some("502"));
    // Not on the public port.
    assert_ne!(
        http(s.port, "GET", "/metrics", "")
            .header("content-type")
            .unwrap_or(""),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );

    let m = http(mport, "GET", "/metrics", "");
    assert_eq!(m.status, 200);
    let t = &m.body;
    assert_eq!(sample(t, "ots_creates_total", "outcome=\"ok\""), 3.0);
    assert_eq!(sample(t, "ots_burns_total", "outcome=\"ok\""), 1.0);
    assert_eq!(
        sample(t, "ots_creates_total", "outcome=\"rate_limited\""),
        1.0
    );
    assert_eq!(sample(t, "ots_reveals_total", "outcome=\"ok\""), 1.0);
    assert_eq!(sample(t, "ots_reveals_total", "outcome=\"unknown\""), 1.0);
    assert_eq!(
        sample(t, "ots_rate_limited_total", "operation=\"create\""),
        1.0
    );
    assert_eq!(
        sample(
            t,
            "ots_region_proxy_errors_total",
            "kind=\"upstream_unavailable\""
        ),
        1.0
    );
    assert_eq!(
        sample(
            t,
            "ots_http_request_duration_seconds_count",
            "route=\"/api/v1/secret/{key}\""
        ),
        2.0
    );
    assert_eq!(sample(t, "ots_store_secrets", ""), 1.0);
    assert_eq!(sample(t, "ots_store_receipts", ""), 3.0);
    assert!(sample(t, "ots_store_log_bytes", "") > 0.0);
    // No key, secret or address in any label.
    for needle in [
        &k1,
        &k1[..8],
        &k2,
        &k2[..8],
        &mkey,
        &mkey[..8],
        "secret-value",
        "127.0.0.1",
    ] {
        assert!(!t.contains(needle), "{needle} in:\n{t}");
    }
}

/// Three instances on one Redis under load; one is SIGKILLed mid-stream. Every create
/// any of them acknowledged is revealed exactly once through the others.
#[test]
fn sigkill_of_one_instance_loses_no_acknowledged_secret() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let redis = Redis::start();
    let url = redis.url();
    let args = [
        "--redis",
        &url,
        "--master-key",
        KEY_A,
        "--rate-limit-creates",
        "0",
        "--rate-limit-reveals",
        "0",
    ];
    let mut instances: Vec<Option<Server>> = (0..3).map(|_| Some(start(fresh(), &args))).collect();
    let ports: Vec<u16> = instances.iter().flatten().map(|s| s.port).collect();
    let (killed, stop) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let acked = Arc::new(Mutex::new(Vec::new()));
    let survivors_failed = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let (killed, stop, acked, failed, ports) = (
                killed.clone(),
                stop.clone(),
                acked.clone(),
                survivors_failed.clone(),
                ports.clone(),
            );
            std::thread::spawn(move || {
                let mut clients: Vec<KeepAlive> =
                    ports.iter().map(|&p| KeepAlive::new(p)).collect();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    // Instance 2 is the one killed; once it is, only 0 and 1 get requests.
                    let n = if killed.load(Ordering::Relaxed) { 2 } else { 3 };
                    let at = (w + i) % n;
                    let value = format!("k{w}-{i}");
                    match clients[at].post("/api/v1/share", &format!("secret={value}")) {
                        Ok(Some((200, body))) => {
                            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                            acked
                                .lock()
                                .unwrap()
                                .push((v["secret_key"].as_str().unwrap().to_owned(), value));
                        }
                        // Cut off or refused by the instance being killed: never acknowledged.
                        Ok(None) | Err(_) if at == 2 => {}
                        other => failed
                            .lock()
                            .unwrap()
                            .push(format!("instance {at}: {other:?}")),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let victim = instances[2].take().unwrap();
    let _ = victim.stop(); // SIGKILL
    killed.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    assert!(
        survivors_failed.lock().unwrap().is_empty(),
        "{:?}",
        survivors_failed.lock().unwrap()
    );
    let acked = acked.lock().unwrap();
    assert!(acked.len() > 100, "too little load: {}", acked.len());
    let (a, b) = (
        instances[0].as_ref().unwrap(),
        instances[1].as_ref().unwrap(),
    );
    for (n, (key, value)) in acked.iter().enumerate() {
        let (first, second) = if n % 2 == 0 { (a, b) } else { (b, a) };
        let r = reveal(first, key);
        assert_eq!(r.json()["value"], value.as_str(), "lost {key}: {}", r.body);
        assert_eq!(reveal(second, key).json()["message"], "Unknown secret");
    }
    eprintln!(
        "{} acknowledged creates, all revealed once after the SIGKILL",
        acked.len()
    );
}
