//! A bounded load test with faults against the real binary on loopback (modest sizes;
//! `scripts/check.sh` runs the same plan larger on the release build). While steady
//! create + reveal clients run, slow clients, bodies at and over the limit, 1,000 idle
//! connections and a region upstream that hangs are injected, one kind at a time and
//! then all together. The server must keep answering, stay under a memory bound,
//! serve no undeserved error, and lose no secret. See `ots_testkit::load`.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use ots_server::config::{Config, ServeArgs};
use ots_testkit::Server;
use ots_testkit::load::{self, Plan};

/// Fixed part of the memory bound (as in `scripts/check.sh`); the store's receipts add
/// `load::BYTES_PER_CREATE` per create.
const RSS_BASE_MIB: u64 = 64;

#[test]
fn body_limit_matches_the_server() {
    let config = Config::resolve(ServeArgs {
        secret_max_bytes: Some(4000),
        ..ServeArgs::default()
    })
    .unwrap();
    assert_eq!(load::body_limit(4000), config.body_limit());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_with_faults_loses_nothing_and_serves_no_undeserved_error() {
    let plan = Plan {
        clients: 8,
        phase: Duration::from_secs(3),
        slow_clients: 20,
        big_bodies: 2,
        idle_connections: 1000,
        hanging_requests: 8,
        secret_max_bytes: 4000,
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        region_timeout: Duration::from_secs(1),
        trickle: Duration::from_millis(100),
    };
    let dist = tempfile::tempdir().unwrap();
    let report = load::run(&plan, |args| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Server::launch(
            env!("CARGO_BIN_EXE_ots-server").as_ref(),
            dist.path(),
            tempfile::tempdir().unwrap(),
            &args,
        )
    })
    .await;
    let text = report.markdown(&plan);
    eprintln!("{text}");
    assert_eq!(report.undeserved_count, 0, "{text}");
    assert_eq!(report.lost, 0, "{text}");
    assert_eq!(report.revealed_twice, 0, "{text}");
    assert!(
        report.created > 100,
        "too little load to mean anything: {text}"
    );
    for phase in &report.phases {
        assert!(
            phase.served > 20,
            "the server stopped answering during {}: {text}",
            phase.name
        );
    }
    for kind in load::FAULTS {
        assert!(
            report.faults.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never ran: {text}"
        );
    }
    assert!(report.faults["idle connections"] >= 1000, "{text}");
    let bound = report.rss_bound_kib(RSS_BASE_MIB);
    assert!(
        report.peak_rss_kib < bound,
        "peak RSS over the bound of {bound} KiB: {text}"
    );
}
