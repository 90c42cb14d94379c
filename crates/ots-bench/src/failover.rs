//! `ots-bench failover`: Redis Sentinel failovers under load.
//!
//! Each round starts a primary, two replicas and a Sentinel, and one `ots-server` that finds
//! the primary through the Sentinel. 16 clients create secrets without pause; after 2 s the
//! primary is SIGKILLed, and the Sentinel promotes the replica. It checks that
//! - the server follows the new primary (time from the kill to the first create started
//!   after it that succeeds);
//! - requests in between fail cleanly: a v1 JSON error, never a hang (slowest answer);
//! - every create answered 200 is still there (lost = acknowledged but gone), and reveals
//!   exactly once.
//!
//! Rounds run without and with `--redis-wait-replicas 1`: replication is asynchronous, so
//! without the wait a create acknowledged just before the kill can be lost.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ots_testkit::{Redis, Server};

type Http = Client<HttpConnector, Full<Bytes>>;

const KEY: &str = "fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11";

#[derive(Default)]
struct Round {
    acked: Vec<(String, String)>,
    errors: usize,
    not_v1: Vec<String>,
    slowest: Duration,
    recovered: Option<Duration>,
    lost: usize,
    twice: usize,
}

async fn call(client: &Http, port: u16, path: &str, body: String) -> Result<(u16, Bytes), String> {
    let req = hyper::Request::post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let res = tokio::time::timeout(Duration::from_secs(15), async {
        let res = client.request(req).await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let body = res.into_body().collect().await.map_err(|e| e.to_string())?;
        Ok::<_, String>((status, body.to_bytes()))
    })
    .await;
    res.unwrap_or_else(|_| Err("no answer within 15 s".into()))
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Records one create's answer; true if it failed.
fn record(
    round: &Mutex<Round>,
    killed: &Mutex<Option<Instant>>,
    res: Result<(u16, Bytes), String>,
    value: String,
    t0: Instant,
    took: Duration,
) -> bool {
    let killed = *killed.lock().expect("lock");
    let mut r = round.lock().expect("lock");
    r.slowest = r.slowest.max(took);
    match res {
        Ok((200, body)) => {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let key = v["secret_key"].as_str().unwrap_or_default().to_owned();
            r.acked.push((key, value));
            if let Some(k) = killed.filter(|k| t0 > *k)
                && r.recovered.is_none()
            {
                r.recovered = Some(t0 + took - k);
            }
            false
        }
        Ok((_, body)) => {
            r.errors += 1;
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if v["message"].as_str().is_none() {
                r.not_v1.push(String::from_utf8_lossy(&body).into_owned());
            }
            true
        }
        Err(e) => {
            r.not_v1.push(e);
            true
        }
    }
}

async fn one_failover(wait: u32) -> Round {
    // Two replicas: after the failover one is left to replicate (and to `WAIT` for).
    let primary = Redis::start();
    let replicas = [
        Redis::replica_of(primary.port),
        Redis::replica_of(primary.port),
    ];
    let sentinel = Redis::sentinel(primary.port, "ots");
    for replica in &replicas {
        let port = replica.port.to_string();
        wait_until("replica in sync", || {
            replica
                .command(&["INFO", "replication"])
                .contains("master_link_status:up")
        });
        wait_until("sentinel knows the replica", || {
            sentinel
                .command(&["SENTINEL", "replicas", "ots"])
                .contains(&port)
        });
    }
    let data = tempfile::tempdir().expect("temp dir");
    let sentinel_addr = format!("127.0.0.1:{}", sentinel.port);
    let wait_arg = wait.to_string();
    let server = Server::launch(
        &Server::binary(),
        Path::new(&std::env::temp_dir()),
        data,
        &[
            "--redis-sentinel",
            &sentinel_addr,
            "--redis-sentinel-master",
            "ots",
            "--redis-wait-replicas",
            &wait_arg,
            "--master-key",
            KEY,
            "--rate-limit-creates",
            "0",
            "--rate-limit-reveals",
            "0",
        ],
    );
    let port = server.port;
    let client: Http = Client::builder(TokioExecutor::new()).build_http();
    let round = Arc::new(Mutex::new(Round::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let killed: Arc<Mutex<Option<Instant>>> = Arc::default();
    let mut tasks = Vec::new();
    for c in 0..16 {
        let (client, round, stop, killed) =
            (client.clone(), round.clone(), stop.clone(), killed.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let value = format!("c{c}-{i}");
                let t0 = Instant::now();
                let res = call(&client, port, "/api/v1/share", format!("secret={value}")).await;
                let took = t0.elapsed();
                if record(&round, &killed, res, value, t0, took) {
                    // A failed create: pause a little, as a client would.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(primary); // SIGKILL, and waits for it to end
    *killed.lock().expect("lock") = Some(Instant::now());
    let start = Instant::now();
    while round.lock().expect("lock").recovered.is_none()
        && start.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("client");
    }
    let mut r = Arc::try_unwrap(round)
        .ok()
        .expect("clients done")
        .into_inner()
        .expect("lock");
    for (key, value) in &r.acked {
        let path = format!("/api/v1/secret/{key}");
        match call(&client, port, &path, String::new()).await {
            Ok((200, body))
                if serde_json::from_slice::<serde_json::Value>(&body)
                    .is_ok_and(|v| v["value"] == value.as_str()) => {}
            _ => r.lost += 1,
        }
        if matches!(
            call(&client, port, &path, String::new()).await,
            Ok((200, _))
        ) {
            r.twice += 1;
        }
    }
    drop((server, replicas, sentinel));
    r
}

/// Runs `rounds` failovers without and with the replica wait; false if anything but a
/// lost write without the wait went wrong.
pub async fn run(quick: bool) -> bool {
    let rounds = if quick { 1 } else { 3 };
    println!("# ots-bench failover ({rounds} Sentinel failovers per row, 16 clients creating)\n");
    println!(
        "| `--redis-wait-replicas` | acknowledged creates | lost | revealed twice | errors during the switch (all v1 JSON) | other failures | slowest answer | server follows the new primary after |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let mut ok = true;
    let waits: Vec<u32> = match std::env::var("OTS_FAILOVER_WAIT") {
        Ok(w) => w.split(',').filter_map(|w| w.parse().ok()).collect(),
        Err(_) => vec![0, 1],
    };
    for wait in waits {
        let mut rows = Vec::new();
        for _ in 0..rounds {
            rows.push(one_failover(wait).await);
        }
        let acked: usize = rows.iter().map(|r| r.acked.len()).sum();
        let lost: usize = rows.iter().map(|r| r.lost).sum();
        let twice: usize = rows.iter().map(|r| r.twice).sum();
        let errors: usize = rows.iter().map(|r| r.errors).sum();
        let other: Vec<&String> = rows.iter().flat_map(|r| &r.not_v1).collect();
        let slowest = rows.iter().map(|r| r.slowest).max().unwrap_or_default();
        let recovered: Vec<String> = rows
            .iter()
            .map(|r| {
                r.recovered
                    .map_or("never".into(), |d| format!("{:.1} s", d.as_secs_f64()))
            })
            .collect();
        println!(
            "| {wait} | {acked} | {lost} | {twice} | {errors} | {} | {:.1} s | {} |",
            other.len(),
            slowest.as_secs_f64(),
            recovered.join(", ")
        );
        for o in other.iter().take(3) {
            eprintln!("not a v1 answer: {o}");
        }
        ok &= twice == 0
            && other.is_empty()
            && rows.iter().all(|r| r.recovered.is_some())
            && (wait == 0 || lost == 0);
    }
    ok
}
