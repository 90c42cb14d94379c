//! One suite, two backends: every test here runs against the embedded log store and
//! against a real redis-server (started per test, stopped on drop). Then the embedded
//! store's own guarantees: restarts, torn tails, compaction, fsync modes.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;
use ots_server::store::embedded::{EmbeddedStore, Fsync, Options};
use ots_server::store::{Claim, Outcome, ReceiptRecord, SecretRecord, State, Store, StoreError};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let b = super::Backend::embedded();
                    super::$name(&b).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let b = super::Backend::redis().await;
                    super::$name(&b).await;
                }
            )*
        }
    };
}

both_backends!(
    share_then_reveal_once,
    hundred_concurrent_reveals_give_one_value,
    burn_racing_reveal_has_one_winner,
    passphrase_guards_reveal_and_burn,
    receipt_states_follow_the_secret,
    expiry_is_enforced_on_read,
    recent_lists_the_accounts_receipts,
    raw_store_holds_no_plaintext,
    sweep_removes_expired_records,
    claim_is_atomic_at_the_store_level,
    a_generated_value_is_previewed_once_within_the_window,
    claims_stop_at_expiry,
    a_secret_sealed_under_another_master_key_is_left_in_place,
    the_twentieth_wrong_passphrase_locks,
    twenty_wrong_passphrases_lock_the_secret_across_instances,
);

async fn share_then_reveal_once(b: &Backend) {
    let (_, app) = new_app(b, &[]);
    let r = share(&app, "secret=hello%20world&ttl=3600").await;
    let key = s(&r, "secret_key");
    let res = post(&app, &format!("/api/v1/secret/{key}"), "", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", b.kind);
    let v = res.json();
    assert_eq!(v["value"], "hello world");
    assert_eq!(v["secret_key"], key.as_str());
    assert_eq!(v["share_domain"], "http://127.0.0.1:8080");
    let again = post(&app, &format!("/api/v1/secret/{key}"), "", None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        again.json(),
        serde_json::json!({"secret_key": key, "message": "Unknown secret"})
    );
}

async fn a_generated_value_is_previewed_once_within_the_window(b: &Backend) {
    let (st, app) = new_app(b, &[]);
    let generate = || async { post(&app, "/api/v1/generate", "", None).await.json() };
    let view = |mkey: String| {
        let app = app.clone();
        async move {
            get(&app, &format!("/api/v1/receipt/{mkey}"), None)
                .await
                .json()
        }
    };
    // 50 concurrent views of a fresh receipt: exactly one carries the value.
    let r = generate().await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        tasks.push(tokio::spawn(view(s(&r, "metadata_key"))));
    }
    let mut shown = Vec::new();
    for t in tasks {
        if let Some(v) = t.await.unwrap().get("value") {
            shown.push(v.clone());
        }
    }
    assert_eq!(shown, vec![r["value"].clone()], "{}", b.kind);
    // Past the window, once the secret was revealed, or with a passphrase: never.
    let late = generate().await;
    let edge = generate().await;
    let read = generate().await;
    post(
        &app,
        &format!("/api/v1/secret/{}", s(&read, "secret_key")),
        "",
        None,
    )
    .await;
    assert!(view(s(&read, "metadata_key")).await.get("value").is_none());
    let guarded = post(&app, "/api/v1/generate", "passphrase=pw12", None)
        .await
        .json();
    assert!(
        view(s(&guarded, "metadata_key"))
            .await
            .get("value")
            .is_none()
    );
    // The window is [created, created + 60). The clock runs on, so it is set just before
    // each view (a second passing in between moves the first one deeper into the window).
    let set_clock = |at: u64| st.clock.advance(at as i64 - st.clock.now() as i64);
    set_clock(edge["created"].as_u64().unwrap() + 58);
    assert_eq!(view(s(&edge, "metadata_key")).await["value"], edge["value"]);
    set_clock(late["created"].as_u64().unwrap() + 60);
    assert!(view(s(&late, "metadata_key")).await.get("value").is_none());
    // A shared (not generated) secret is never echoed.
    let shared = share(&app, "secret=mine").await;
    assert!(
        view(s(&shared, "metadata_key"))
            .await
            .get("value")
            .is_none()
    );
}

/// Two instances (separate app states, rate limiters and all) on one store: guesses
/// spread across them still lock the secret, for reveal and burn alike.
async fn twenty_wrong_passphrases_lock_the_secret_across_instances(b: &Backend) {
    // The first instance also keeps metrics: it counts its refusals.
    let (st, one) = new_app(b, &["--metrics-listen", "127.0.0.1:0"]);
    let (_, two) = new_app(b, &[]);
    let r = share(&one, "secret=locked&passphrase=right-one").await;
    let path = format!("/api/v1/secret/{}", s(&r, "secret_key"));
    for i in 0..20 {
        let app = if i % 2 == 0 { &one } else { &two };
        let res = post(app, &path, "passphrase=wrong", None).await;
        assert_eq!(res.json()["message"], "Unknown secret", "{}", b.kind);
    }
    for app in [&one, &two] {
        let res = post(app, &path, "passphrase=right-one", None).await;
        assert_eq!(
            res.json(),
            serde_json::json!({"message": "An unexpected error occurred :["}),
            "{}",
            b.kind
        );
        assert_eq!(res.intended(), Some("400"));
        let burn = post(
            app,
            &format!("/api/v1/receipt/{}/burn", s(&r, "metadata_key")),
            "passphrase=right-one",
            None,
        )
        .await;
        assert_eq!(burn.json()["message"], "An unexpected error occurred :[");
    }
    let metrics = st.metrics.as_ref().unwrap().render(&st).await;
    for line in [
        "ots_reveals_total{outcome=\"unknown\"} 10",
        "ots_reveals_total{outcome=\"locked\"} 1",
        "ots_burns_total{outcome=\"locked\"} 1",
        "ots_lockout_rejections_total{operation=\"reveal\"} 1",
        "ots_lockout_rejections_total{operation=\"burn\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{} {line}:\n{metrics}",
            b.kind
        );
    }
    // Another secret is not affected.
    let other = share(&two, "secret=free&passphrase=right-one").await;
    let res = post(
        &one,
        &format!("/api/v1/secret/{}", s(&other, "secret_key")),
        "passphrase=right-one",
        None,
    )
    .await;
    assert_eq!(res.json()["value"], "free");
}

async fn hundred_concurrent_reveals_give_one_value(b: &Backend) {
    let (_, app) = new_app(b, &[]);
    let key = s(&share(&app, "secret=only-once").await, "secret_key");
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let app = app.clone();
        let path = format!("/api/v1/secret/{key}");
        tasks.push(tokio::spawn(
            async move { post(&app, &path, "", None).await },
        ));
    }
    let mut values = 0;
    let mut unknown = 0;
    for t in tasks {
        let res = t.await.unwrap();
        match res.status {
            StatusCode::OK => {
                assert_eq!(res.json()["value"], "only-once");
                values += 1;
            }
            StatusCode::NOT_FOUND => {
                assert_eq!(res.json()["message"], "Unknown secret");
                unknown += 1;
            }
            s => panic!("unexpected status {s}"),
        }
    }
    assert_eq!((values, unknown), (1, 99), "{}", b.kind);
}

async fn burn_racing_reveal_has_one_winner(b: &Backend) {
    let (_, app) = new_app(b, &[]);
    for _ in 0..20 {
        let r = share(&app, "secret=race").await;
        let (key, mkey) = (s(&r, "secret_key"), s(&r, "metadata_key"));
        let (a1, a2) = (app.clone(), app.clone());
        let reveal =
            tokio::spawn(
                async move { post(&a1, &format!("/api/v1/secret/{key}"), "", None).await },
            );
        let burn = tokio::spawn(async move {
            post(&a2, &format!("/api/v1/receipt/{mkey}/burn"), "", None).await
        });
        let (rv, bn) = (reveal.await.unwrap(), burn.await.unwrap());
        let wins = [rv.status, bn.status]
            .iter()
            .filter(|s| **s == StatusCode::OK)
            .count();
        assert_eq!(
            wins, 1,
            "{}: reveal {:?} burn {:?}",
            b.kind, rv.body, bn.body
        );
        let receipt = get(
            &app,
            &format!("/api/v1/receipt/{}", s(&r, "metadata_key")),
            None,
        )
        .await;
        let state = receipt.json()["state"].as_str().unwrap().to_owned();
        if rv.status == StatusCode::OK {
            assert_eq!(state, "received");
        } else {
            assert_eq!(state, "burned");
            assert_eq!(bn.json()["state"]["state"], "burned");
        }
    }
}

async fn passphrase_guards_reveal_and_burn(b: &Backend) {
    let (_, app) = new_app(b, &[]);
    let r = share(&app, "secret=guarded&passphrase=open%20sesame").await;
    assert_eq!(r["passphrase_required"], true);
    let key = s(&r, "secret_key");
    let mkey = s(&r, "metadata_key");
    // Wrong or missing passphrase on reveal: indistinguishable from an unknown secret.
    for form in ["", "passphrase=nope"] {
        let res = post(&app, &format!("/api/v1/secret/{key}"), form, None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(res.json()["message"], "Unknown secret");
    }
    // Burn with a wrong passphrase: a form error, and the secret survives.
    let res = post(
        &app,
        &format!("/api/v1/receipt/{mkey}/burn"),
        "passphrase=nope",
        None,
    )
    .await;
    assert_eq!(res.json()["message"], "Incorrect passphrase");
    assert_eq!(res.intended(), Some("400"));
    let ok = post(
        &app,
        &format!("/api/v1/secret/{key}"),
        "passphrase=open+sesame",
        None,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", b.kind);
    assert_eq!(ok.json()["value"], "guarded");

    let r = share(&app, "secret=burnme&passphrase=pw12").await;
    let mkey = s(&r, "metadata_key");
    let res = post(
        &app,
        &format!("/api/v1/receipt/{mkey}/burn"),
        "passphrase=pw12",
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    assert_eq!(v["state"]["state"], "burned");
    assert_eq!(v["secret_shortkey"], &s(&r, "secret_key")[..8]);
}

async fn receipt_states_follow_the_secret(b: &Backend) {
    let (_, app) = new_app(b, &[]);
    let r = share(&app, "secret=x&ttl=600").await;
    let (key, mkey) = (s(&r, "secret_key"), s(&r, "metadata_key"));
    assert_eq!(r["state"], "new");
    assert_eq!(r["ttl"], 600);
    assert_eq!(r["metadata_ttl"], 1200);
    assert_eq!(r["secret_ttl"], 600);
    // Viewing a receipt, twice, by GET and POST and alias, changes nothing.
    for path in ["receipt", "private", "metadata"] {
        let v = get(&app, &format!("/api/v1/{path}/{mkey}"), None)
            .await
            .json();
        assert_eq!(v["state"], "new");
        let v = post(&app, &format!("/api/v1/{path}/{mkey}"), "", None)
            .await
            .json();
        assert_eq!(v["state"], "new");
        assert_eq!(v["secret_key"], key.as_str());
    }
    post(&app, &format!("/api/v1/secret/{key}"), "", None).await;
    let v = get(&app, &format!("/api/v1/receipt/{mkey}"), None)
        .await
        .json();
    assert_eq!(v["state"], "received", "{}", b.kind);
    assert!(v.get("secret_key").is_none());
    assert!(v.get("secret_ttl").is_none());
    assert!(v["received"].as_u64().is_some());
    // Burning a received secret fails.
    let res = post(&app, &format!("/api/v1/receipt/{mkey}/burn"), "", None).await;
    assert_eq!(
        res.json(),
        serde_json::json!({"secret_key": mkey, "message": "Unknown secret"})
    );
}

async fn expiry_is_enforced_on_read(b: &Backend) {
    let (st, app) = new_app(b, &[]);
    let r = share(&app, "secret=short-lived&ttl=60").await;
    let (key, mkey) = (s(&r, "secret_key"), s(&r, "metadata_key"));
    st.clock.advance(61);
    let v = get(&app, &format!("/api/v1/receipt/{mkey}"), None)
        .await
        .json();
    assert_eq!(v["state"], "expired", "{}", b.kind);
    let res = post(&app, &format!("/api/v1/secret/{key}"), "", None).await;
    assert_eq!(res.json()["message"], "Unknown secret");
    // The receipt itself lives 2 × TTL.
    st.clock.advance(60);
    let res = get(&app, &format!("/api/v1/receipt/{mkey}"), None).await;
    assert_eq!(res.json()["message"], "Unknown secret");
}

async fn recent_lists_the_accounts_receipts(b: &Backend) {
    let (_, app) = new_app(b, &[]);
    let a = auth();
    let mut mine = Vec::new();
    for i in 0..3 {
        let res = post(&app, "/api/v1/share", &format!("secret=s{i}"), Some(&a)).await;
        assert_eq!(res.json()["custid"], USER);
        mine.push(s(&res.json(), "metadata_key"));
    }
    share(&app, "secret=anon").await;
    let res = get(&app, "/api/v1/receipt/recent", Some(&a)).await;
    assert_eq!(res.status, StatusCode::OK);
    let list = res.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{}", b.kind);
    for item in list {
        assert!(mine.contains(&s(item, "metadata_key")));
        assert!(item.get("secret_key").is_none());
        // v1 lists `secret_ttl: null` (upstream's `receipt_hsh` is given none; see
        // tests/fidelity.rs).
        assert_eq!(item.get("secret_ttl"), Some(&serde_json::Value::Null));
        assert_eq!(item["custid"], USER);
    }
    for alias in ["private", "metadata"] {
        let res = get(&app, &format!("/api/v1/{alias}/recent"), Some(&a)).await;
        assert_eq!(res.json().as_array().unwrap().len(), 3);
    }
    let anon = get(&app, "/api/v1/receipt/recent", None).await;
    assert_eq!(anon.json()["message"], "Not authorized");
    assert_eq!(anon.intended(), Some("401"));
}

async fn raw_store_holds_no_plaintext(b: &Backend) {
    let (st, app) = new_app(b, &[]);
    let plain = "PLAINTEXT-MARKER-7f3a9c";
    let pass = "PASSPHRASE-MARKER-51b2";
    // What a browser sends with encryption on: an envelope of the same plaintext.
    let key = ots_core::envelope::FragmentKey::from_bytes([7; 32]);
    let envelope = ots_core::envelope::seal(&key, [9; 12], plain.as_bytes(), None).to_string();
    let form = |pairs: &[(&str, &str)]| ots_core::form::encode(pairs.iter().copied());
    let shared = [
        share(&app, &form(&[("secret", plain), ("ttl", "3600")])).await,
        share(&app, &form(&[("secret", plain), ("passphrase", pass)])).await,
        share(&app, &form(&[("secret", &envelope)])).await,
        post(&app, "/api/v1/generate", "length=40", None)
            .await
            .json(),
    ];
    let generated = s(&shared[3], "value");
    let dump = b.raw_dump().await;
    assert!(dump.len() > 100, "{}: dump is empty", b.kind);
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    for needle in [plain, pass, &generated, &envelope] {
        assert!(
            !find(&dump, needle.as_bytes()),
            "{}: {needle} in the raw store",
            b.kind
        );
    }
    // The same search on the store opened with the test's master key finds each value,
    // so the raw search looked at their ciphertext; and it tells the envelope (what a
    // browser stores) from the plaintext (what a page without encryption would store).
    let master = ots_server::crypto::MasterKey::from_bytes([42; 32]);
    let mut opened = Vec::new();
    for receipt in &shared {
        let secret_key = s(receipt, "secret_key");
        let record = b
            .store
            .secret(&secret_key, st.clock.now())
            .await
            .expect("the store answers")
            .expect("the secret is stored");
        assert!(
            find(&dump, &record.ciphertext),
            "{}: not from the raw store",
            b.kind
        );
        let value = master.open(&secret_key, &record.ciphertext).expect("opens");
        opened.push(String::from_utf8(value.to_vec()).expect("UTF-8"));
    }
    assert_eq!(
        opened,
        [plain, plain, envelope.as_str(), generated.as_str()],
        "{}",
        b.kind
    );
    assert!(!opened[2].contains(plain), "{}", b.kind);
    assert!(
        find(&dump, b"anon"),
        "{}: dump does not contain the receipts",
        b.kind
    );
}

async fn sweep_removes_expired_records(b: &Backend) {
    let (st, app) = new_app(b, &[]);
    let r = share(&app, "secret=x&ttl=60").await;
    let now = st.clock.now();
    b.store.sweep(now).await.unwrap();
    assert!(
        b.store
            .receipt(&s(&r, "metadata_key"), now)
            .await
            .unwrap()
            .is_some()
    );
    let later = now + 121;
    b.store.sweep(later).await.unwrap();
    assert!(
        b.store
            .receipt(&s(&r, "metadata_key"), later)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        b.store
            .secret(&s(&r, "secret_key"), later)
            .await
            .unwrap()
            .is_none()
    );
}

async fn claim_is_atomic_at_the_store_level(b: &Backend) {
    let (_, app) = new_app(b, &[]);
    let r = share(&app, "secret=x&passphrase=abcd").await;
    let key = s(&r, "secret_key");
    let store: Arc<dyn ots_server::store::Store> = b.store.clone();
    let now = ots_server::clock::Clock::default().now();
    // Unchecked claims leave a protected secret alone.
    assert!(matches!(
        store
            .claim(&key, Outcome::Received, false, now, None)
            .await
            .unwrap(),
        Claim::NeedsPassphrase(_)
    ));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let store = store.clone();
        let key = key.clone();
        let outcome = if i % 2 == 0 {
            Outcome::Received
        } else {
            Outcome::Burned
        };
        tasks.push(tokio::spawn(async move {
            matches!(
                store.claim(&key, outcome, true, now, None).await.unwrap(),
                Claim::Won(_)
            )
        }));
    }
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1, "{}", b.kind);
    let receipt = store
        .receipt(&s(&r, "metadata_key"), now)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(receipt.state, State::Received | State::Burned));
}

/// The store's own expiry checks, at their edges: a secret is gone at `expires_at`, and
/// a receipt's preview can no longer be claimed once the receipt has expired.
async fn claims_stop_at_expiry(b: &Backend) {
    let now = 1_000_000;
    let (sk, secret, mut receipt) = records(now, 60, "anon");
    receipt.preview = true;
    b.store.put(&sk, &secret, &receipt, None).await.unwrap();
    let mk = receipt.metadata_key.clone();
    let claim = |at| b.store.claim(&sk, Outcome::Received, false, at, None);
    assert!(
        !b.store.claim_preview(&mk, now + 120).await.unwrap(),
        "{}",
        b.kind
    );
    assert!(
        b.store.claim_preview(&mk, now + 119).await.unwrap(),
        "{}",
        b.kind
    );
    assert!(!b.store.claim_preview(&mk, now + 119).await.unwrap());
    assert!(
        matches!(claim(now + 60).await.unwrap(), Claim::Missing),
        "{}",
        b.kind
    );
    // Expiry removed it: an earlier clock does not bring it back.
    assert!(
        matches!(claim(now + 59).await.unwrap(), Claim::Missing),
        "{}",
        b.kind
    );

    let (sk, secret, receipt) = records(now, 60, "anon");
    b.store.put(&sk, &secret, &receipt, None).await.unwrap();
    let won = b.store.claim(&sk, Outcome::Burned, false, now + 59, None);
    assert!(matches!(won.await.unwrap(), Claim::Won(_)), "{}", b.kind);
    let r = b
        .store
        .receipt(&receipt.metadata_key, now + 59)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.state, r.burned, r.updated),
        (State::Burned, Some(now + 59), now + 59)
    );
}

/// A store bound to one master key hands over values sealed under it, and leaves a value
/// sealed under another key where it is: an instance that cannot open it must not
/// destroy it.
async fn a_secret_sealed_under_another_master_key_is_left_in_place(b: &Backend) {
    use ots_server::crypto::MasterKey;
    let (ours, theirs) = (
        MasterKey::from_bytes([42; 32]),
        MasterKey::from_bytes([1; 32]),
    );
    b.store.bind_master_key(ours.id()).await.unwrap();
    let now = 1_000_000;
    for (key, foreign) in [(&theirs, true), (&ours, false)] {
        let (sk, mut secret, receipt) = records(now, 600, "anon");
        secret.ciphertext = key.seal(&sk, b"value").unwrap();
        b.store.put(&sk, &secret, &receipt, None).await.unwrap();
        let claim = b.store.claim(&sk, Outcome::Received, true, now, None).await;
        if foreign {
            assert!(
                matches!(claim, Err(StoreError::ForeignSecret)),
                "{}: {claim:?}",
                b.kind
            );
            assert!(
                b.store.secret(&sk, now).await.unwrap().is_some(),
                "{}",
                b.kind
            );
        } else {
            assert!(matches!(claim, Ok(Claim::Won(_))), "{}: {claim:?}", b.kind);
        }
    }
}

/// The lockout's count is the store's: the twentieth wrong passphrase locks the secret
/// (for every instance sharing the store), and only that secret.
async fn the_twentieth_wrong_passphrase_locks(b: &Backend) {
    let now = 1_000_000;
    for i in 1..=20 {
        assert!(!b.store.locked("k1", now).await.unwrap(), "{}: {i}", b.kind);
        let locked = b.store.passphrase_failed("k1", now).await.unwrap();
        assert_eq!(locked, i == 20, "{}: failure {i}", b.kind);
    }
    assert!(b.store.locked("k1", now).await.unwrap(), "{}", b.kind);
    assert!(!b.store.locked("k2", now).await.unwrap(), "{}", b.kind);
}

/// On Redis, each claim carrying a client's hit is counted in the same script, so the
/// instances sharing the store allow the limit between them; over it, nothing is taken.
#[tokio::test]
async fn redis_counts_reveal_hits_with_the_claim() {
    let b = Backend::redis().await;
    let now = 1_000_000;
    let hit = |client: [u8; 4]| ots_server::store::Hit {
        bucket: "reveals",
        client: client.into(),
        limit: 2,
        window: 600,
    };
    let (sk, secret, receipt) = records(now, 600, "anon");
    b.store.put(&sk, &secret, &receipt, None).await.unwrap();
    let claim = |client| {
        b.store
            .claim(&sk, Outcome::Received, false, now, Some(hit(client)))
    };
    assert!(matches!(claim([10, 0, 0, 1]).await, Ok(Claim::Won(_))));
    assert!(matches!(claim([10, 0, 0, 1]).await, Ok(Claim::Missing)));
    let over = claim([10, 0, 0, 1]).await;
    assert!(matches!(over, Err(StoreError::OverLimit)), "{over:?}");
    // Another client has its own count.
    assert!(matches!(claim([10, 0, 0, 2]).await, Ok(Claim::Missing)));
}

/// Opens the embedded store at `path`, waiting for a previous instance's threads to
/// finish and release the directory.
async fn reopen(path: &Path, opts: Options) -> EmbeddedStore {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match EmbeddedStore::open_with(path, opts.clone()) {
            Ok(store) => return store,
            Err(e) => {
                assert!(Instant::now() < deadline, "cannot reopen {path:?}: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Drops a store and waits until its directory is free again.
async fn close(store: EmbeddedStore, path: &Path) {
    drop(store);
    drop(reopen(path, Options::default()).await);
    // The instance just opened must also be gone before the caller touches the files.
    drop(reopen(path, Options::default()).await);
}

async fn restart_keeps_acknowledged_changes(opts: Options) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ots-log");
    let dist = dist_dir(dir.path());
    let make = |store: EmbeddedStore| {
        let st = ots_server::AppState::new(
            config(&dist, &[]),
            Arc::new(store),
            accounts(),
            ots_server::crypto::MasterKey::from_bytes([9; 32]),
            TEST_COST,
        )
        .unwrap();
        ots_server::app(st)
    };
    let (key, gone, burned_mkey) = {
        let app = make(EmbeddedStore::open_with(&path, opts.clone()).unwrap());
        let key = s(&share(&app, "secret=persisted").await, "secret_key");
        let gone = s(&share(&app, "secret=revealed-before").await, "secret_key");
        let res = post(&app, &format!("/api/v1/secret/{gone}"), "", None).await;
        assert_eq!(res.json()["value"], "revealed-before");
        let burned = share(&app, "secret=burned-before").await;
        let mkey = s(&burned, "metadata_key");
        let res = post(&app, &format!("/api/v1/receipt/{mkey}/burn"), "", None).await;
        assert_eq!(res.status, StatusCode::OK);
        (key, gone, mkey)
    };
    let app = make(reopen(&path, opts).await);
    let res = post(&app, &format!("/api/v1/secret/{key}"), "", None).await;
    assert_eq!(res.json()["value"], "persisted");
    // An acknowledged reveal or burn stays one after the restart.
    let res = post(&app, &format!("/api/v1/secret/{gone}"), "", None).await;
    assert_eq!(res.json()["message"], "Unknown secret");
    let receipt = get(&app, &format!("/api/v1/receipt/{burned_mkey}"), None).await;
    assert_eq!(receipt.json()["state"], "burned");
}

#[tokio::test]
async fn embedded_data_survives_a_restart() {
    restart_keeps_acknowledged_changes(Options::default()).await;
}

#[tokio::test]
async fn embedded_data_survives_a_restart_with_fsync_always() {
    restart_keeps_acknowledged_changes(Options {
        fsync: Fsync::Always,
        ..Options::default()
    })
    .await;
}

/// A secret and its receipt as the API would make them (the value is opaque here).
fn records(now: u64, ttl: u64, custid: &str) -> (String, SecretRecord, ReceiptRecord) {
    let sk = ots_server::crypto::new_key().unwrap();
    let mk = ots_server::crypto::new_key().unwrap();
    let secret = SecretRecord {
        metadata_key: mk.clone(),
        expires_at: now + ttl,
        passphrase: None,
        ciphertext: vec![7; 120],
    };
    let receipt = ReceiptRecord {
        metadata_key: mk,
        secret_key: sk.clone(),
        custid: custid.into(),
        state: State::New,
        ttl,
        created: now,
        updated: now,
        received: None,
        burned: None,
        secret_expires_at: now + ttl,
        expires_at: now + 2 * ttl,
        recipients: vec![],
        passphrase_required: false,
        share_domain: String::new(),
        preview: false,
    };
    (sk, secret, receipt)
}

fn segments(path: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    v.sort();
    v
}

fn append_bytes(file: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(bytes).unwrap();
}

#[tokio::test]
async fn embedded_torn_tail_is_cut_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ots-log");
    let now = ots_server::clock::Clock::default().now();
    let (a, sa, ra) = records(now, 3600, "anon");
    let (b, sb, rb) = records(now, 3600, "anon");
    let store = EmbeddedStore::open(&path).unwrap();
    store.put(&a, &sa, &ra, None).await.unwrap();
    store.put(&b, &sb, &rb, None).await.unwrap();
    assert!(matches!(
        store
            .claim(&b, Outcome::Received, false, now, None)
            .await
            .unwrap(),
        Claim::Won(_)
    ));
    close(store, &path).await;
    let log = segments(&path).pop().unwrap();
    let good_len = std::fs::metadata(&log).unwrap().len();

    // 1. Garbage after the last frame: a header promising more bytes than there are.
    append_bytes(&log, &[0x30, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
    let store = reopen(&path, Options::default()).await;
    assert_eq!(std::fs::metadata(&log).unwrap().len(), good_len);
    assert!(store.secret(&a, now).await.unwrap().is_some());
    assert!(store.secret(&b, now).await.unwrap().is_none());
    let r = store.receipt(&rb.metadata_key, now).await.unwrap().unwrap();
    assert_eq!(r.state, State::Received);

    // 2. A real frame cut in the middle: that create is gone, nothing else.
    let (c, sc, rc) = records(now, 3600, "anon");
    store.put(&c, &sc, &rc, None).await.unwrap();
    close(store, &path).await;
    let full = std::fs::metadata(&log).unwrap().len();
    assert!(full > good_len + 100);
    let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    f.set_len(good_len + (full - good_len) / 2).unwrap();
    drop(f);
    let store = reopen(&path, Options::default()).await;
    assert_eq!(std::fs::metadata(&log).unwrap().len(), good_len);
    assert!(store.secret(&c, now).await.unwrap().is_none());
    assert!(store.secret(&a, now).await.unwrap().is_some());

    // 3. A complete frame whose checksum does not match (a flipped bit).
    store.put(&c, &sc, &rc, None).await.unwrap();
    close(store, &path).await;
    let mut bytes = std::fs::read(&log).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&log, &bytes).unwrap();
    let store = reopen(&path, Options::default()).await;
    assert!(store.secret(&c, now).await.unwrap().is_none());
    assert!(store.secret(&a, now).await.unwrap().is_some());
    // And the store goes on appending after the cut.
    store.put(&c, &sc, &rc, None).await.unwrap();
    close(store, &path).await;
    let store = reopen(&path, Options::default()).await;
    assert!(store.secret(&c, now).await.unwrap().is_some());
    assert_eq!(store.stats().secrets, 2);
}

#[tokio::test]
async fn embedded_sweep_deletes_are_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ots-log");
    let now = ots_server::clock::Clock::default().now();
    let (a, sa, ra) = records(now, 3600, USER);
    let (b, sb, rb) = records(now, 60, USER);
    let store = EmbeddedStore::open(&path).unwrap();
    store.put(&a, &sa, &ra, None).await.unwrap();
    store.put(&b, &sb, &rb, None).await.unwrap();
    assert_eq!(store.recent(USER, 0, now).await.unwrap().len(), 2);
    // With the clock moved past b's receipt: both of b's records go, a stays.
    assert_eq!(store.sweep(now + 121).await.unwrap(), 2);
    close(store, &path).await;
    // Replayed with the real clock, under which b has not expired: still gone.
    let store = reopen(&path, Options::default()).await;
    assert!(store.secret(&b, now).await.unwrap().is_none());
    assert!(
        store
            .receipt(&rb.metadata_key, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.secret(&a, now).await.unwrap().is_some());
    let recent = store.recent(USER, 0, now).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].metadata_key, ra.metadata_key);
}

#[tokio::test]
async fn embedded_directory_has_one_owner() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ots-log");
    let first = EmbeddedStore::open(&path).unwrap();
    let second = EmbeddedStore::open(&path);
    assert!(second.is_err(), "a second store opened the same directory");
    drop(first);
}

/// Many concurrent creates and claims on tiny segments, with compaction running in the
/// background and once more by hand; then a restart. Every acknowledged change holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_compaction_under_load_keeps_every_acknowledged_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ots-log");
    let opts = Options {
        fsync: Fsync::Interval(Duration::from_millis(5)),
        segment_bytes: 8 << 10,
        compact_min_bytes: 0,
    };
    let store = Arc::new(EmbeddedStore::open_with(&path, opts.clone()).unwrap());
    let now = ots_server::clock::Clock::default().now();
    let mut tasks = Vec::new();
    for t in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut kept = Vec::new();
            let mut claimed = Vec::new();
            for i in 0..60 {
                let custid = if i % 5 == 0 { USER } else { "anon" };
                let (k, s, r) = records(now, 3600, custid);
                store.put(&k, &s, &r, None).await.unwrap();
                if (i + t) % 2 == 0 {
                    let outcome = if i % 3 == 0 {
                        Outcome::Burned
                    } else {
                        Outcome::Received
                    };
                    let won = store.claim(&k, outcome, false, now, None).await.unwrap();
                    assert!(matches!(won, Claim::Won(_)));
                    claimed.push((k, r.metadata_key, outcome));
                } else {
                    kept.push((k, r.metadata_key));
                }
            }
            (kept, claimed)
        }));
    }
    let mut kept = Vec::new();
    let mut claimed = Vec::new();
    for t in tasks {
        let (k, c) = t.await.unwrap();
        kept.extend(k);
        claimed.extend(c);
    }
    let before = store.stats();
    assert!(before.segments > 10, "{before:?}");
    let s2 = store.clone();
    tokio::task::spawn_blocking(move || s2.compact_now().unwrap())
        .await
        .unwrap();
    let after = store.stats();
    assert!(after.segments < before.segments, "{before:?} -> {after:?}");
    assert!(
        after.log_bytes < before.log_bytes,
        "{before:?} -> {after:?}"
    );
    assert_eq!(segments(&path).len(), after.segments);

    let check = |store: Arc<EmbeddedStore>,
                 kept: Vec<(String, String)>,
                 claimed: Vec<(String, String, Outcome)>| async move {
        assert_eq!(store.stats().secrets, kept.len());
        assert_eq!(store.stats().receipts, kept.len() + claimed.len());
        for (k, m) in &kept {
            assert!(store.secret(k, now).await.unwrap().is_some());
            let r = store.receipt(m, now).await.unwrap().unwrap();
            assert_eq!(r.state, State::New);
        }
        for (k, m, outcome) in &claimed {
            assert!(store.secret(k, now).await.unwrap().is_none());
            let r = store.receipt(m, now).await.unwrap().unwrap();
            assert_eq!(r.state, outcome.state());
        }
        // 16 tasks × 60 creates, every fifth by the account.
        assert_eq!(store.recent(USER, 0, now).await.unwrap().len(), 16 * 12);
    };
    check(store.clone(), kept.clone(), claimed.clone()).await;
    let store = Arc::into_inner(store).unwrap();
    close(store, &path).await;
    let store = Arc::new(reopen(&path, opts).await);
    check(store, kept, claimed).await;
}

#[test]
fn redis_tests_fail_loudly_without_redis_server() {
    // Guard against a silent skip: ots-testkit panics when the binary is missing.
    assert!(ots_testkit::redis::binary().exists());
}
