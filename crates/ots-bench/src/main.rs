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

fn file_len(path: &Path) -> usize {
    std::fs::metadata(path).map_or(0, |m| m.len() as usize)
}

/// A screen as a first-time visitor meets it, in a fresh Chromium profile.
#[derive(Default)]
struct ScreenLoad {
    /// Bytes on the wire, headers included, until the screen works (Resource Timing's
    /// `transferSize`: what Chromium's network stack received, the same count as CDP's
    /// `encodedDataLength`). Prefetches after that are not counted.
    wire: f64,
    /// The same-origin paths fetched until then.
    paths: Vec<String>,
    /// The field (or button) is in the DOM and the load event has ended: "ready".
    ready: f64,
    /// The app's `ots:screen` mark: its code is in and the screen works (NaN for peers).
    works: f64,
    /// The first subresource was requested: until then the browser is starting the page.
    first_request: f64,
    /// The wasm was downloaded.
    wasm_loaded: f64,
    /// The wasm's `main` started.
    main: f64,
}

/// Loads `url` in a fresh profile and waits until `selector` is in the DOM, the load event
/// has ended and, for our app, the screen works. A script that runs before the page's own
/// notes when `selector` first appears, whether in the HTML or built by script.
async fn load_screen(url: &str, selector: &str, ours: bool) -> ScreenLoad {
    let browser = Browser::start().await;
    browser
        .on_new_document(&format!(
            "window.__seen = NaN;\
             new MutationObserver((_, obs) => {{\
               if (document.querySelector({selector:?})) {{\
                 window.__seen = performance.now(); obs.disconnect();\
               }}\
             }}).observe(document, {{childList: true, subtree: true}});"
        ))
        .await;
    browser.client.goto(url).await.expect("open");
    let measured = browser
        .client
        .execute_async(
            "const [ours, done] = arguments;\
             const at = n => (performance.getEntriesByName(n)[0] || {startTime: NaN}).startTime;\
             const poll = () => {\
               const nav = performance.getEntriesByType('navigation')[0];\
               const loaded = nav && nav.loadEventEnd > 0;\
               const waiting = !loaded || isNaN(window.__seen) || (ours && isNaN(at('ots:screen')));\
               if (waiting && performance.now() < 20000) return setTimeout(poll, 5);\
               if (waiting) return done({stuck: [loaded, String(window.__seen), at('ots:screen'), location.href]});\
               const res = performance.getEntriesByType('resource');\
               const wasm = res.find(r => r.name.includes('.wasm')) || {responseEnd: NaN};\
               done({\
                 wire: [nav, ...res].reduce((sum, r) => sum + r.transferSize, 0),\
                 paths: [nav, ...res].map(r => new URL(r.name).pathname),\
                 ready: Math.max(nav.loadEventEnd, window.__seen),\
                 works: at('ots:screen'),\
                 first_request: Math.min(...res.map(r => r.startTime)),\
                 wasm_loaded: wasm.responseEnd,\
                 main: at('ots:main'),\
               });\
             };\
             poll();",
            vec![serde_json::json!(ours)],
        )
        .await
        .expect("the screen loads");
    browser.close().await;
    assert!(measured["stuck"].is_null(), "{url} never ready: {measured}");
    let number = |k: &str| measured[k].as_f64().unwrap_or(f64::NAN);
    ScreenLoad {
        wire: number("wire"),
        paths: serde_json::from_value(measured["paths"].clone()).unwrap_or_default(),
        ready: number("ready"),
        works: number("works"),
        first_request: number("first_request"),
        wasm_loaded: number("wasm_loaded"),
        main: number("main"),
    }
}

/// A recipient's link, made by the CLI as a user would.
fn reveal_link(server: &Server) -> String {
    let ots = ots_testkit::root().join("target/release/ots");
    let out = Command::new(&ots)
        .args(["share", "--server", &server.url])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"bench secret")?;
            child.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("{} ({e}): build ots-cli", ots.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// PrivateBin (the lightest peer), served by `php -S` from the folder named by
/// `OTS_BENCH_PRIVATEBIN` (its release tree, e.g. tag 2.0.6), for the side-by-side figure.
fn privatebin() -> Option<ots_testkit::Service> {
    let dir = std::env::var_os("OTS_BENCH_PRIVATEBIN")?;
    let port = ots_testkit::free_port();
    Some(ots_testkit::Service::start(
        Command::new("php")
            .args(["-S", &format!("127.0.0.1:{port}"), "-t"])
            .arg(dir),
        port,
        "php -S (PrivateBin)",
    ))
}

/// Each screen's bytes on the wire and timings, over `runs` fresh profiles, with
/// PrivateBin's create screen loaded in the same rounds when it is there.
async fn screens(server: &Server, runs: usize) {
    let reveal = reveal_link(server);
    let peer = privatebin();
    let mut create = Vec::new();
    let mut recipient = Vec::new();
    let mut peer_loads = Vec::new();
    for _ in 0..runs {
        // Ready: a field or button the visitor can use, the page's static one included
        // (what is typed into it is kept, a press on it honoured, once the app is in).
        create.push(load_screen(&server.url, "#secret", true).await);
        let reveal_button = "[data-testid=reveal], .reveal-link [data-static=reveal] button";
        recipient.push(load_screen(&reveal, reveal_button, true).await);
        if let Some(peer) = &peer {
            let url = format!("http://127.0.0.1:{}/", peer.port);
            peer_loads.push(load_screen(&url, "#message", false).await);
        }
    }
    let dist = Server::dist();
    println!("\n## Each screen as a first-time visitor meets it (fresh Chromium profile)\n");
    println!(
        "Bytes are on the wire through `ots-server` until the screen works (headers included), \
         then the same files as a static host sends them precompressed."
    );
    println!(
        "\n| screen | on the wire | static gzip -9 | static brotli | ready | works | runs | target |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let row = |label: &str, loads: &[ScreenLoad], target: &str| {
        let files: std::collections::BTreeSet<&String> =
            loads.iter().flat_map(|l| &l.paths).collect();
        let sibling = |path: &str, ext: &str| {
            let file = dist.join(path.trim_start_matches('/'));
            let file = if path == "/" {
                dist.join("index.html")
            } else {
                file
            };
            let mut name = file.clone().into_os_string();
            name.push(ext);
            match file_len(Path::new(&name)) {
                0 => file_len(&file),
                n => n,
            }
        };
        let static_size = |ext: &str| files.iter().map(|p| sibling(p, ext)).sum::<usize>();
        let kb = |bytes: f64| bytes / 1024.0;
        println!(
            "| {label} | {:.1} KB | {:.1} KB | {:.1} KB | {:.0} ms | {:.0} ms | {} | {target} |",
            kb(median(loads.iter().map(|l| l.wire).collect())),
            kb(static_size(".gz") as f64),
            kb(static_size(".br") as f64),
            median(loads.iter().map(|l| l.ready).collect()),
            median(loads.iter().map(|l| l.works).collect()),
            loads.len(),
        );
    };
    row("create", &create, "≤ 100 KB");
    row("reveal", &recipient, "≤ 100 KB");
    let ours = median(create.iter().map(|l| l.ready).collect());
    if !peer_loads.is_empty() {
        let theirs = median(peer_loads.iter().map(|l| l.ready).collect());
        println!(
            "| PrivateBin 2.0.6 create (php -S) | {:.1} KB | | | {theirs:.0} ms | | {} | |",
            median(peer_loads.iter().map(|l| l.wire).collect()) / 1024.0,
            peer_loads.len()
        );
        println!(
            "\nReady, create screen vs PrivateBin in the same rounds: **{:.2}×** (target ≤ 0.5×).",
            ours / theirs
        );
    } else {
        println!(
            "\n(Set `OTS_BENCH_PRIVATEBIN` to PrivateBin's release folder for the side-by-side figure.)"
        );
    }
    println!("\nFiles the create and reveal screens fetched: {}", {
        let mut all: Vec<&String> = create
            .iter()
            .chain(&recipient)
            .flat_map(|l| &l.paths)
            .collect();
        all.sort();
        all.dedup();
        all.iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    });
    println!("\n| create screen, start-up breakdown | median |\n|---|---:|");
    for (label, pick) in [
        (
            "first subresource requested",
            (|l: &ScreenLoad| l.first_request) as fn(&ScreenLoad) -> f64,
        ),
        ("wasm downloaded", |l| l.wasm_loaded),
        ("wasm `main` started", |l| l.main),
        ("ready", |l| l.ready),
        ("works (`ots:screen`)", |l| l.works),
    ] {
        println!(
            "| {label} | {:.0} ms |",
            median(create.iter().map(pick).collect())
        );
    }
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
    // The hooks are in the full app's build, which the Sent screen starts.
    let sent = format!("{}#/history", server.url);
    browser.client.goto(&sent).await.expect("open");
    browser.find("nav-sent").await;
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

    let server = Server::start(&[
        "--secret-max-bytes",
        "20000",
        "--rate-limit-creates",
        "0",
        "--rate-limit-reveals",
        "0",
    ]);
    screens(&server, if quick { 5 } else { 9 }).await;
    if std::env::args().nth(1).as_deref() == Some("screens") {
        return std::process::ExitCode::SUCCESS;
    }
    println!("\n## Browser (headless Chromium)\n");
    println!("| figure | median | min | max | runs | target |");
    println!("|---|---:|---:|---:|---:|---|");
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
