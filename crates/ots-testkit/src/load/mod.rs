//! A bounded load test with faults, against a real `ots-server` on loopback.
//!
//! Steady create + reveal clients run through every phase while faults are injected,
//! one kind per phase and then all together:
//! - **slow clients**: headers trickled byte by byte and never finished, or a body
//!   trickled byte by byte; the server must drop them (or answer 408) within its
//!   header / body timeout;
//! - **bodies at the limit**: a create exactly at the body limit (must succeed, and
//!   its secret joins the lost-secret check), one byte over it and a chunked one over
//!   it (must get the v1 413), a secret one byte over `--secret-max-bytes` (v1 400);
//! - **idle connections**: N sockets that connect and send nothing, reopened whenever
//!   the server closes them, so N stay open;
//! - **hanging upstream**: requests to a proxied region whose upstream accepts and
//!   never answers; each must get the v1 504 within the region timeout.
//!
//! Everything the server answers is judged: a normal create or reveal that is not a
//! 200, or any fault answered otherwise than it deserves, is an undeserved error.
//! Half of the secrets are revealed right away, the rest a few seconds later (after
//! 32 newer ones) or at the end. Then every acknowledged create not yet revealed is
//! revealed, and every one is revealed again: `lost` counts secrets whose value never
//! came back, `revealed_twice` second reveals that succeeded. Peak RSS is the server's
//! `VmHWM`; its bound allows [`BYTES_PER_CREATE`] per create for the store's receipts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::Server;

mod faults;
use faults::*;

type Http = Client<HttpConnector, Full<Bytes>>;

/// Sizes and the server settings the faults are judged against.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Concurrent create + reveal clients.
    pub clients: usize,
    /// Length of each phase (faults start until then; running ones finish).
    pub phase: Duration,
    /// Concurrent slow clients (half trickle headers, half a body).
    pub slow_clients: usize,
    /// Concurrent senders of bodies at and over the limit.
    pub big_bodies: usize,
    /// Idle connections held open.
    pub idle_connections: usize,
    /// Concurrent requests to the hanging region.
    pub hanging_requests: usize,
    /// `--secret-max-bytes`.
    pub secret_max_bytes: usize,
    /// `--header-timeout`.
    pub header_timeout: Duration,
    /// `--body-timeout`.
    pub body_timeout: Duration,
    /// `--region-timeout`.
    pub region_timeout: Duration,
    /// Gap between trickled bytes.
    pub trickle: Duration,
}

/// Slack on top of a server timeout before a fault counts as not contained (loaded
/// machine, timer granularity).
const SLACK: Duration = Duration::from_secs(3);
/// Longer than any normal answer may take.
const HANG: Duration = Duration::from_secs(10);

/// The body limit `ots-server` derives from `--secret-max-bytes`
/// (`Config::body_limit`: a maximal secret percent-encoded, plus 16 KiB).
pub fn body_limit(secret_max_bytes: usize) -> usize {
    secret_max_bytes * 3 + 16 * 1024
}

impl Plan {
    /// The server flags this plan assumes, with the hanging upstream at `hang_port`.
    pub fn server_args(&self, hang_port: u16) -> Vec<String> {
        let secs = |d: Duration| d.as_secs().to_string();
        [
            "--rate-limit-creates",
            "0",
            "--rate-limit-reveals",
            "0",
            "--secret-max-bytes",
            &self.secret_max_bytes.to_string(),
            "--header-timeout",
            &secs(self.header_timeout),
            "--body-timeout",
            &secs(self.body_timeout),
            "--region-timeout",
            &secs(self.region_timeout),
            "--region",
            &format!("hang=http://127.0.0.1:{hang_port}"),
        ]
        .map(String::from)
        .to_vec()
    }
}

/// The fault kinds, in phase order.
pub const FAULTS: [&str; 4] = [
    "slow clients",
    "bodies at the limit",
    "idle connections",
    "hanging upstream",
];

/// Bytes of server memory allowed per acknowledged create on top of the fixed
/// allowance: the store keeps every receipt for 2 × TTL, revealed or not (~180 B each,
/// docs/SERVER.md), so a bound that ignored them would only measure the test's length.
pub const BYTES_PER_CREATE: u64 = 256;

/// One phase of a run.
#[derive(Debug, Clone)]
pub struct Phase {
    /// What was injected.
    pub name: String,
    /// Normal requests answered during it.
    pub served: u64,
    /// The server's RSS at its end, in KiB.
    pub rss_kib: u64,
    /// Creates acknowledged so far.
    pub created: u64,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct Report {
    /// The phases, in order.
    pub phases: Vec<Phase>,
    /// Normal create and reveal requests answered while faults ran (all phases).
    pub requests: u64,
    /// Fault kind → faults injected.
    pub faults: BTreeMap<&'static str, u64>,
    /// Undeserved errors: the first few, and how many in all.
    pub undeserved: Vec<String>,
    /// Count of undeserved errors.
    pub undeserved_count: u64,
    /// Creates answered 200.
    pub created: u64,
    /// Acknowledged creates whose value no reveal returned.
    pub lost: u64,
    /// Second reveals that returned a value.
    pub revealed_twice: u64,
    /// The server's peak RSS (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// Wall time of the phases.
    pub elapsed: Duration,
}

impl Report {
    /// The memory bound: `base_mib` plus [`BYTES_PER_CREATE`] per acknowledged create.
    pub fn rss_bound_kib(&self, base_mib: u64) -> u64 {
        base_mib * 1024 + self.created * BYTES_PER_CREATE / 1024
    }

    /// The report as markdown.
    pub fn markdown(&self, plan: &Plan) -> String {
        let mut out = String::new();
        let secs = self.elapsed.as_secs_f64();
        out.push_str(
            "| phase | normal requests answered | creates so far | server RSS at its end |\n\
             |---|---:|---:|---:|\n",
        );
        for p in &self.phases {
            out.push_str(&format!(
                "| {} | {} | {} | {:.1} MB |\n",
                p.name,
                p.served,
                p.created,
                p.rss_kib as f64 / 1024.0
            ));
        }
        out.push_str("\n| figure | value |\n|---|---:|\n");
        out.push_str(&format!(
            "| requests served under load | {} ({:.0}/s over {secs:.0} s, {} clients) |\n",
            self.requests,
            self.requests as f64 / secs,
            plan.clients
        ));
        for (kind, n) in &self.faults {
            out.push_str(&format!("| faults injected: {kind} | {n} |\n"));
        }
        out.push_str(&format!(
            "| undeserved errors | {} |\n",
            self.undeserved_count
        ));
        out.push_str(&format!(
            "| peak RSS of the server (VmHWM) | {:.1} MB |\n",
            self.peak_rss_kib as f64 / 1024.0
        ));
        out.push_str(&format!(
            "| secrets created (200) | {} |\n| secrets lost | {} |\n| secrets revealed twice | {} |\n",
            self.created, self.lost, self.revealed_twice
        ));
        for e in &self.undeserved {
            out.push_str(&format!("\n- undeserved: {e}"));
        }
        out
    }
}

/// Shared tallies of a run.
#[derive(Default)]
struct Tally {
    stop: AtomicBool,
    phase: AtomicUsize,
    per_phase: [AtomicU64; 8],
    faults: Mutex<BTreeMap<&'static str, u64>>,
    undeserved: Mutex<(Vec<String>, u64)>,
    /// (key, value, revealed) of every acknowledged create.
    secrets: Mutex<Vec<(String, String, bool)>>,
    counter: AtomicU64,
}

impl Tally {
    fn fault(&self, kind: &'static str) {
        if let Ok(mut f) = self.faults.lock() {
            *f.entry(kind).or_default() += 1;
        }
    }

    /// Records an acknowledged create (not revealed yet); returns its index.
    fn acknowledged(&self, key: String, value: String) -> usize {
        let mut s = self.secrets.lock().expect("not poisoned");
        s.push((key, value, false));
        s.len() - 1
    }

    fn served(&self) {
        self.per_phase[self.phase.load(Ordering::Relaxed)].fetch_add(1, Ordering::Relaxed);
    }

    fn undeserved(&self, what: String) {
        if let Ok(mut u) = self.undeserved.lock() {
            if u.0.len() < 10 {
                u.0.push(what);
            }
            u.1 += 1;
        }
    }
}

async fn post(client: &Http, port: u16, path: &str, body: String) -> Result<(u16, Bytes), String> {
    let req = hyper::Request::post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let res = client.request(req).await.map_err(|e| format!("{e:?}"))?;
        let status = res.status().as_u16();
        let body = res.into_body().collect().await.map_err(|e| e.to_string())?;
        Ok((status, body.to_bytes()))
    };
    tokio::time::timeout(HANG, exchange)
        .await
        .map_err(|_| format!("no answer within {HANG:?}"))?
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_default()
}

/// Reveals `key`: `Ok(Some(value))`, `Ok(None)` for the v1 unknown-secret answer.
async fn reveal(client: &Http, port: u16, key: &str) -> Result<Option<String>, String> {
    let (status, body) = post(
        client,
        port,
        &format!("/api/v1/secret/{key}"),
        String::new(),
    )
    .await?;
    let v = json(&body);
    match (status, v["value"].as_str()) {
        (200, Some(value)) => Ok(Some(value.to_owned())),
        (404, _) if v["message"] == "Unknown secret" => Ok(None),
        _ => Err(format!("reveal: {status} {v}")),
    }
}

/// Reveals the acknowledged secret `idx` and checks its value; a miss stays unrevealed
/// (and is counted lost unless the final pass finds it).
async fn reveal_recorded(client: &Http, port: u16, tally: &Tally, idx: usize) {
    let Some((key, value, _)) = tally.secrets.lock().ok().and_then(|s| s.get(idx).cloned()) else {
        return;
    };
    match reveal(client, port, &key).await {
        Ok(Some(v)) if v == value => {
            tally.served();
            if let Ok(mut s) = tally.secrets.lock() {
                s[idx].2 = true;
            }
        }
        Ok(other) => {
            tally.served();
            tally.undeserved(format!(
                "reveal: {:?}",
                other.map(|v| v.chars().take(40).collect::<String>())
            ));
        }
        Err(e) => tally.undeserved(e),
    }
}

/// Secrets a steady client keeps unrevealed: they live through the faults (a few
/// seconds each) while the store stays small, so the RSS measures the server rather
/// than the data the load left in it.
const BACKLOG: usize = 32;

/// One steady client: create; reveal every other secret at once and the rest once
/// BACKLOG newer ones wait.
async fn steady(client: Http, port: u16, tally: Arc<Tally>) {
    let mut backlog = std::collections::VecDeque::new();
    while !tally.stop.load(Ordering::Relaxed) {
        let n = tally.counter.fetch_add(1, Ordering::Relaxed);
        let value = format!("load secret {n} {}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let body = format!("secret={}&ttl=3600", value.replace(' ', "+"));
        let key = match post(&client, port, "/api/v1/share", body).await {
            Ok((200, body)) => {
                tally.served();
                match json(&body)["secret_key"].as_str() {
                    Some(k) => k.to_owned(),
                    None => {
                        tally.undeserved(format!("create: 200 without a key: {body:?}"));
                        continue;
                    }
                }
            }
            Ok((status, body)) => {
                tally.served();
                tally.undeserved(format!(
                    "create: {status} {}",
                    String::from_utf8_lossy(&body)
                ));
                continue;
            }
            Err(e) => {
                tally.undeserved(format!("create: {e}"));
                continue;
            }
        };
        let idx = tally.acknowledged(key, value);
        if n.is_multiple_of(2) {
            reveal_recorded(&client, port, &tally, idx).await;
        } else {
            backlog.push_back(idx);
            if backlog.len() > BACKLOG
                && let Some(old) = backlog.pop_front()
            {
                reveal_recorded(&client, port, &tally, old).await;
            }
        }
    }
    // What is left in the backlog waits for the final pass.
}

/// A `/proc/<pid>/status` figure in KiB (`VmHWM`: peak RSS, `VmRSS`: now).
fn proc_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs the plan against a server that `start` launches with the given flags.
pub async fn run(plan: &Plan, start: impl FnOnce(Vec<String>) -> Server) -> Report {
    let hang = HangingUpstream::start().await;
    let server = start(plan.server_args(hang.port));
    let port = server.port;
    let tally = Arc::new(Tally::default());
    // Pooled connections idle shorter than the server's header timeout, so the
    // server never closes one under a request the client is about to send.
    let client: Http = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(plan.header_timeout / 2)
        .pool_max_idle_per_host(plan.clients)
        .build_http();
    let started = Instant::now();
    let steady_tasks: Vec<_> = (0..plan.clients)
        .map(|_| tokio::spawn(steady(client.clone(), port, tally.clone())))
        .collect();
    let mut phases: Vec<(String, Vec<&str>)> = vec![("no fault".into(), vec![])];
    phases.extend(FAULTS.iter().map(|f| (f.to_string(), vec![*f])));
    phases.push(("all faults at once".into(), FAULTS.to_vec()));
    let mut rss_at_end = Vec::new();
    for (i, (_, kinds)) in phases.iter().enumerate() {
        tally.phase.store(i, Ordering::Relaxed);
        let end = Instant::now() + plan.phase;
        let mut tasks = Vec::new();
        for kind in kinds {
            tasks.extend(spawn_faults(kind, &client, port, plan, end, &tally));
        }
        tokio::time::sleep_until(end.into()).await;
        for t in tasks {
            let _ = t.await;
        }
        let created = tally.secrets.lock().map(|s| s.len() as u64).unwrap_or(0);
        rss_at_end.push((proc_kib(server.pid(), "VmRSS:"), created));
    }
    tally.stop.store(true, Ordering::Relaxed);
    for t in steady_tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed();

    // Every acknowledged secret: revealed exactly once.
    let secrets = tally.secrets.lock().map(|s| s.clone()).unwrap_or_default();
    let (mut lost, mut twice) = (0, 0);
    // Wider than the steady load: this is only the bookkeeping.
    for chunk in secrets.chunks(plan.clients.max(1) * 4) {
        let checks = chunk.iter().cloned().map(|(key, value, revealed)| {
            let (client, tally) = (client.clone(), tally.clone());
            tokio::spawn(async move {
                let mut ok = revealed;
                if !ok {
                    match reveal(&client, port, &key).await {
                        Ok(Some(v)) => ok = v == value,
                        Ok(None) => {}
                        Err(e) => tally.undeserved(format!("final reveal: {e}")),
                    }
                }
                let again = reveal(&client, port, &key).await;
                if let Err(e) = &again {
                    tally.undeserved(format!("second reveal: {e}"));
                }
                (!ok, matches!(again, Ok(Some(_))))
            })
        });
        for c in checks.collect::<Vec<_>>() {
            if let Ok((l, t)) = c.await {
                lost += u64::from(l);
                twice += u64::from(t);
            }
        }
    }
    let (undeserved, undeserved_count) = tally
        .undeserved
        .lock()
        .map(|u| u.clone())
        .unwrap_or_default();
    let per_phase: Vec<Phase> = phases
        .iter()
        .zip(rss_at_end)
        .enumerate()
        .map(|(i, ((name, _), (rss_kib, created)))| Phase {
            name: name.clone(),
            served: tally.per_phase[i].load(Ordering::Relaxed),
            rss_kib,
            created,
        })
        .collect();
    Report {
        requests: per_phase.iter().map(|p| p.served).sum(),
        phases: per_phase,
        faults: tally.faults.lock().map(|f| f.clone()).unwrap_or_default(),
        undeserved,
        undeserved_count,
        created: secrets.len() as u64,
        lost,
        revealed_twice: twice,
        peak_rss_kib: proc_kib(server.pid(), "VmHWM:"),
        elapsed,
    }
}
