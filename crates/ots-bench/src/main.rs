//! `ots-bench`: the numbers the project aims at, measured the same way each time.
//! Run it through `scripts/bench.sh`, which builds the release `dist/` and server first.
//! `ots-bench check` (`scripts/check.sh`) runs the load test with faults instead;
//! `ots-bench capacity` (`scripts/capacity.sh`) the server's capacity on each store;
//! `ots-bench failover` (`scripts/failover.sh`) Redis Sentinel failovers under load.

mod capacity;
mod check;
mod failover;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use ots_testkit::{Browser, Server};

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn compressed_len(path: &Path, tool: &[&str]) -> usize {
    let out = Command::new(tool[0])
        .args(&tool[1..])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{} is missing ({e}): run scripts/setup.sh", tool[0]));
    out.stdout.len()
}

/// First-load bytes: what a visitor downloads before the form works.
fn sizes(dist: &Path) {
    let mut rows: Vec<(&str, usize, usize, usize)> = Vec::new();
    let mut total = ("total", 0, 0, 0);
    for (label, ext) in [
        ("html", "html"),
        ("js", "js"),
        ("wasm", "wasm"),
        ("css", "css"),
    ] {
        let mut row = (label, 0, 0, 0);
        for entry in std::fs::read_dir(dist).expect("dist/").flatten() {
            let path = entry.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            // The embedding files are copies for host pages, not part of the first load.
            let embedding = name == "embed.html" || name.starts_with("ots-embed.");
            if !embedding && path.extension().and_then(|e| e.to_str()) == Some(ext) {
                row.1 += std::fs::metadata(&path)
                    .map(|m| m.len() as usize)
                    .unwrap_or(0);
                row.2 += compressed_len(&path, &["gzip", "-9", "-c"]);
                row.3 += compressed_len(&path, &["brotli", "-q", "11", "-c"]);
            }
        }
        total.1 += row.1;
        total.2 += row.2;
        total.3 += row.3;
        rows.push(row);
    }
    rows.push(total);
    println!("\n## First load (dist/)\n");
    println!("| file | raw | gzip -9 | brotli |");
    println!("|---|---:|---:|---:|");
    for (label, raw, gz, br) in rows {
        println!(
            "| {label} | {:.1} KB | {:.1} KB | {:.1} KB |",
            raw as f64 / 1024.0,
            gz as f64 / 1024.0,
            br as f64 / 1024.0
        );
    }
}

/// Where a page load's time went, in ms from navigation start.
#[derive(Default)]
struct Startup {
    /// The secret field is in the DOM and the load event has ended: the "ready" figure.
    ready: Vec<f64>,
    /// The first subresource (CSS, JS or wasm) was requested: until then the browser
    /// is starting the page (renderer, parser), whatever the page is.
    first_request: Vec<f64>,
    /// The wasm was downloaded.
    wasm_loaded: Vec<f64>,
    /// The wasm's `main` started (compiled and instantiated).
    main: Vec<f64>,
}

/// Ready, and its breakdown, in a fresh Chromium profile each time.
async fn ready(server: &Server, runs: usize) -> Startup {
    let mut out = Startup::default();
    for _ in 0..runs {
        let browser = Browser::start().await;
        browser.client.goto(&server.url).await.expect("open");
        browser.find("secret").await;
        let t = browser
            .eval(
                "const nav = performance.getEntriesByType('navigation')[0];\
                 const at = n => (performance.getEntriesByName(n)[0] || {startTime: NaN}).startTime;\
                 const res = performance.getEntriesByType('resource');\
                 const wasm = res.find(r => r.name.endsWith('.wasm')) || {responseEnd: NaN};\
                 return [Math.max(nav.loadEventEnd, at('ots:secret-field')),\
                   Math.min(...res.map(r => r.startTime)), wasm.responseEnd, at('ots:main')];",
            )
            .await;
        let t: Vec<f64> = serde_json::from_value(t).unwrap_or_default();
        let get = |i: usize| t.get(i).copied().unwrap_or(f64::NAN);
        out.ready.push(get(0));
        out.first_request.push(get(1));
        out.wasm_loaded.push(get(2));
        out.main.push(get(3));
        browser.close().await;
    }
    out
}

/// Click "create" to link shown, for an encrypted secret of `bytes`.
async fn create_to_link(server: &Server, bytes: usize, runs: usize) -> Vec<f64> {
    let browser = Browser::start().await;
    let mut times = Vec::new();
    for _ in 0..runs {
        browser.client.goto(&server.url).await.expect("open");
        browser.client.refresh().await.expect("reload");
        browser.fill("secret", &"s".repeat(bytes)).await;
        let t = browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 const t0 = performance.now();\
                 new MutationObserver((_, obs) => {\
                   if (document.querySelector('[data-testid=recipient-link]')) {\
                     obs.disconnect(); done(performance.now() - t0);\
                   }\
                 }).observe(document.body, {childList: true, subtree: true});\
                 document.querySelector('[data-testid=create]').click();",
                vec![],
            )
            .await
            .expect("create");
        times.push(t.as_f64().unwrap_or(f64::NAN));
    }
    browser.close().await;
    times
}

/// In-browser crypto timings through the app's exported bench hooks.
async fn crypto_in_browser(server: &Server) -> (f64, f64) {
    let browser = Browser::start().await;
    browser.client.goto(&server.url).await.expect("open");
    browser.find("secret").await;
    let seal = browser
        .eval("const b = window.wasmBindings; const r = []; for (let i = 0; i < 20; i++) r.push(b.bench_seal_ms(10240)); r.sort((a,b)=>a-b); return r[10];")
        .await;
    let kdf = browser
        .eval("const b = window.wasmBindings; const r = []; for (let i = 0; i < 5; i++) r.push(b.bench_kdf_ms()); r.sort((a,b)=>a-b); return r[2];")
        .await;
    browser.close().await;
    (
        seal.as_f64().unwrap_or(f64::NAN),
        kdf.as_f64().unwrap_or(f64::NAN),
    )
}

/// Wall time of `ots share FILE` from process start to exit, for a file of `bytes`.
fn cli_share(server: &Server, bytes: usize, runs: usize) -> Vec<f64> {
    let ots = ots_testkit::root().join("target/release/ots");
    let file = std::env::temp_dir().join("ots-bench-10k.txt");
    std::fs::write(&file, "s".repeat(bytes)).expect("bench file");
    (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            let out = Command::new(&ots)
                .args(["share", "--server", &server.url])
                .arg(&file)
                .output()
                .unwrap_or_else(|e| panic!("{} ({e}): build ots-cli", ots.display()));
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            t0.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

/// Create + reveal pairs from `clients` concurrent loopback clients. With several
/// instances (`ports`), client `c` creates on `ports[c % n]` and reveals on the next one.
pub(crate) async fn throughput(ports: &[u16], clients: usize, pairs: usize) -> (f64, f64, f64) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(clients)
        .build_http();
    let left = Arc::new(AtomicUsize::new(pairs));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, left) = (client.clone(), left.clone());
        let (port, reveal_port) = (ports[c % ports.len()], ports[(c + 1) % ports.len()]);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                let t0 = Instant::now();
                let created = post(
                    &client,
                    port,
                    "/api/v1/share",
                    "secret=bench%20value&ttl=3600",
                )
                .await;
                latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                let json: serde_json::Value = serde_json::from_slice(&created).unwrap_or_default();
                let key = json["secret_key"].as_str().unwrap_or_default().to_owned();
                let t1 = Instant::now();
                let revealed =
                    post(&client, reveal_port, &format!("/api/v1/secret/{key}"), "").await;
                latencies.push(t1.elapsed().as_secs_f64() * 1000.0);
                assert!(
                    revealed.windows(11).any(|w| w == b"bench value"),
                    "reveal failed: {}",
                    String::from_utf8_lossy(&revealed)
                );
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    (
        pairs as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

pub(crate) async fn post(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    port: u16,
    path: &str,
    body: &'static str,
) -> Bytes {
    let request = hyper::Request::post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let response = client.request(request).await.expect("server answers");
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
}

pub(crate) fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn print_timing(label: &str, values: &[f64], target: &str) {
    println!(
        "| {label} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {target} |",
        median(values.to_vec()),
        values.iter().copied().fold(f64::INFINITY, f64::min),
        values.iter().copied().fold(0.0, f64::max),
        values.len()
    );
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    if std::env::args().nth(1).as_deref() == Some("check") {
        return if check::run(quick).await {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        };
    }
    if std::env::args().nth(1).as_deref() == Some("failover") {
        return if failover::run(quick).await {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        };
    }
    if std::env::args().nth(1).as_deref() == Some("capacity") {
        capacity::run(quick).await;
        return std::process::ExitCode::SUCCESS;
    }
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# ots-bench ({cpus} CPUs, loopback, release builds)");
    sizes(&Server::dist());

    let server = Server::start(&[
        "--secret-max-bytes",
        "20000",
        "--rate-limit-creates",
        "0",
        "--rate-limit-reveals",
        "0",
    ]);
    println!("\n## Browser (headless Chromium)\n");
    println!("| figure | median | min | max | runs | target |");
    println!("|---|---:|---:|---:|---:|---|");
    let startup = ready(&server, if quick { 5 } else { 9 }).await;
    print_timing(
        "ready: secret field in DOM + load event",
        &startup.ready,
        "≤ 100 ms",
    );
    print_timing(
        "… of which: first subresource requested",
        &startup.first_request,
        "",
    );
    print_timing("… wasm downloaded", &startup.wasm_loaded, "");
    print_timing(
        "… wasm `main` started (compiled, instantiated)",
        &startup.main,
        "",
    );
    let create = create_to_link(&server, 10 * 1024, 20).await;
    print_timing(
        "click create → link shown, encrypted 10 KB",
        &create,
        "≤ 30 ms",
    );
    let (seal, kdf) = crypto_in_browser(&server).await;
    println!("| wasm seal 10 KB (AES-256-GCM) | {seal:.2} ms | | | 20 | |");
    println!("| wasm Argon2id passphrase KDF (19 MiB, t=2) | {kdf:.0} ms | | | 5 | < 500 ms |");

    let cli = cli_share(&server, 10 * 1024, 20);
    println!("\n## Command line\n");
    println!("| figure | median | min | max | runs | target |");
    println!("|---|---:|---:|---:|---:|---|");
    print_timing("`ots share` of a 10 KB file → link, encrypted", &cli, "");
    drop(server);

    println!("\n## Server: create + reveal pairs on loopback\n");
    println!("| store | clients | pairs | pairs/s | p50 | p99 | peak RSS | target |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let pairs = if quick { 5_000 } else { 20_000 };
    let fresh = Server::start(&["--rate-limit-creates", "0", "--rate-limit-reveals", "0"]);
    let (rate, p50, p99) = throughput(&[fresh.port], 64, pairs).await;
    println!(
        "| embedded (append-only log) | 64 | {pairs} | {rate:.0} | {p50:.2} ms | {p99:.2} ms | {:.1} MB | ≥ 7000/s, p99 ≤ 10 ms, ≤ 64 MB |",
        rss_mb(fresh.pid())
    );
    drop(fresh);
    let redis = ots_testkit::Redis::start();
    let on_redis = Server::start(&[
        "--redis",
        &redis.url(),
        "--rate-limit-creates",
        "0",
        "--rate-limit-reveals",
        "0",
    ]);
    let (rate, p50, p99) = throughput(&[on_redis.port], 64, pairs).await;
    println!(
        "| redis | 64 | {pairs} | {rate:.0} | {p50:.2} ms | {p99:.2} ms | {:.1} MB | |",
        rss_mb(on_redis.pid())
    );
    std::process::ExitCode::SUCCESS
}
