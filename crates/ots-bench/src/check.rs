//! `ots-bench check`: the load test with faults of `ots_testkit::load`, larger than
//! the one in `cargo test`, on the release server with its default timeouts. Prints
//! markdown and fails when a secret is lost, an error was undeserved, or the server's
//! peak RSS passes the bound.

use std::time::Duration;

use ots_testkit::Server;
use ots_testkit::load::{self, Plan};

/// The server's peak RSS must stay under this (the bench's target), plus
/// `load::BYTES_PER_CREATE` per create for the receipts the store keeps.
const RSS_BASE_MIB: u64 = 64;

/// Runs the check; `false` when it failed.
pub async fn run(quick: bool) -> bool {
    let plan = if quick {
        Plan {
            clients: 16,
            phase: Duration::from_secs(5),
            slow_clients: 100,
            big_bodies: 4,
            idle_connections: 1000,
            hanging_requests: 16,
            secret_max_bytes: 10_000,
            header_timeout: Duration::from_secs(2),
            body_timeout: Duration::from_secs(2),
            region_timeout: Duration::from_secs(2),
            trickle: Duration::from_millis(100),
        }
    } else {
        // The server's defaults: --header-timeout 10s, --body-timeout 30s,
        // --region-timeout 15s, --secret-max-bytes 10000.
        Plan {
            clients: 32,
            phase: Duration::from_secs(20),
            slow_clients: 200,
            big_bodies: 4,
            idle_connections: 1000,
            hanging_requests: 32,
            secret_max_bytes: 10_000,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            region_timeout: Duration::from_secs(15),
            trickle: Duration::from_millis(100),
        }
    };
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# ots-bench check: load with faults ({cpus} CPUs, loopback, release server)\n");
    println!(
        "Steady create + reveal from {} clients through six phases of {} s: no fault, then \
         each fault alone ({} slow clients, {} senders of bodies at/over the {} B limit, {} \
         idle connections, {} requests to a region whose upstream hangs), then all at \
         once. Server timeouts: header {} s, body {} s, region {} s.\n",
        plan.clients,
        plan.phase.as_secs(),
        plan.slow_clients,
        plan.big_bodies,
        load::body_limit(plan.secret_max_bytes),
        plan.idle_connections,
        plan.hanging_requests,
        plan.header_timeout.as_secs(),
        plan.body_timeout.as_secs(),
        plan.region_timeout.as_secs(),
    );
    let dist = tempfile::tempdir().expect("temp dir");
    let report = load::run(&plan, |args| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Server::launch(
            &Server::binary(),
            dist.path(),
            tempfile::tempdir().expect("temp dir"),
            &args,
        )
    })
    .await;
    println!("{}", report.markdown(&plan));
    let bound = report.rss_bound_kib(RSS_BASE_MIB);
    let rss_ok = report.peak_rss_kib < bound;
    let ok = report.undeserved_count == 0
        && report.lost == 0
        && report.revealed_twice == 0
        && report.created > 0
        && rss_ok;
    println!(
        "\n**{}**: undeserved errors = 0, secrets lost = 0, revealed twice = 0, peak RSS \
         {:.1} MB < bound {:.1} MB ({RSS_BASE_MIB} MiB + {} B × {} creates).",
        if ok { "PASS" } else { "FAIL" },
        report.peak_rss_kib as f64 / 1024.0,
        bound as f64 / 1024.0,
        load::BYTES_PER_CREATE,
        report.created,
    );
    ok
}
