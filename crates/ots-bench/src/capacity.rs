//! `ots-bench capacity`: what one machine gives on each store, for the table in
//! docs/SERVER.md: create + reveal pairs/s for the embedded store and for 1, 2 and 3
//! instances on one Redis, peak RSS per instance, and memory per 1,000 live secrets.
//! The server binary is `OTS_SERVER_BIN` or the release build.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use ots_testkit::{Redis, Server};

use crate::{post, rss_mb, throughput};

const KEY: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";
/// Live secrets created to measure memory per secret.
const LIVE: usize = 20_000;

fn start(args: &[&str]) -> Server {
    let dist = std::env::temp_dir();
    let data = tempfile::tempdir().expect("temp dir");
    let mut all = vec![
        "--rate-limit-creates",
        "0",
        "--rate-limit-reveals",
        "0",
        "--master-key",
        KEY,
    ];
    all.extend_from_slice(args);
    Server::launch(&Server::binary(), Path::new(&dist), data, &all)
}

/// Creates `n` secrets of 100 bytes that nobody reveals (TTL 1 h).
async fn create_live(ports: &[u16], n: usize) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let left = Arc::new(AtomicUsize::new(n));
    let mut tasks = Vec::new();
    for c in 0..32 {
        let (client, left, port) = (client.clone(), left.clone(), ports[c % ports.len()]);
        tasks.push(tokio::spawn(async move {
            while left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                let body = concat!("ttl=3600&secret=", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123");
                post(&client, port, "/api/v1/share", body).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
}

fn kib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(f64::NAN)
}

fn redis_used_memory(redis: &Redis) -> f64 {
    redis
        .command(&["INFO", "memory"])
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

pub async fn run(quick: bool) {
    let pairs = if quick { 5_000 } else { 20_000 };
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# ots-bench capacity ({cpus} CPUs, loopback, 64 clients, {pairs} pairs per row)\n");
    println!("| store | instances | pairs/s | p50 | p99 | peak RSS per instance |");
    println!("|---|---:|---:|---:|---:|---|");
    let one = start(&[]);
    let (rate, p50, p99) = throughput(&[one.port], 64, pairs).await;
    println!(
        "| embedded | 1 | {rate:.0} | {p50:.2} ms | {p99:.2} ms | {:.1} MB |",
        rss_mb(one.pid())
    );
    drop(one);
    for n in 1..=3 {
        let redis = Redis::start();
        let url = redis.url();
        let servers: Vec<Server> = (0..n).map(|_| start(&["--redis", &url])).collect();
        let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
        let (rate, p50, p99) = throughput(&ports, 64, pairs).await;
        let rss: Vec<String> = servers
            .iter()
            .map(|s| format!("{:.1} MB", rss_mb(s.pid())))
            .collect();
        println!(
            "| redis | {n} | {rate:.0} | {p50:.2} ms | {p99:.2} ms | {} |",
            rss.join(", ")
        );
    }

    println!("\n| memory per 1,000 live secrets (100-byte values, {LIVE} created) | |");
    println!("|---|---:|");
    let one = start(&[]);
    let before = kib(one.pid(), "VmRSS:");
    create_live(&[one.port], LIVE).await;
    let after = kib(one.pid(), "VmRSS:");
    println!(
        "| embedded store: server RSS | {:.0} KB |",
        (after - before) / (LIVE as f64 / 1000.0)
    );
    drop(one);
    let redis = Redis::start();
    let s = start(&["--redis", &redis.url()]);
    let before = redis_used_memory(&redis);
    create_live(&[s.port], LIVE).await;
    let after = redis_used_memory(&redis);
    println!(
        "| Redis: `used_memory` | {:.0} KB |",
        (after - before) / 1024.0 / (LIVE as f64 / 1000.0)
    );
}
