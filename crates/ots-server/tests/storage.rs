//! One suite, two backends: every test here runs against redb and against a real
//! redis-server (started per test, stopped on drop).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use ots_server::store::{Claim, Outcome, State};

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
        assert!(item.get("secret_ttl").is_none());
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
    let (_, app) = new_app(b, &[]);
    let plain = "PLAINTEXT-MARKER-7f3a9c";
    let pass = "PASSPHRASE-MARKER-51b2";
    share(&app, &format!("secret={plain}&ttl=3600")).await;
    share(&app, &format!("secret={plain}-2&passphrase={pass}")).await;
    let res = post(&app, "/api/v1/generate", "length=40", None).await;
    let generated = s(&res.json(), "value");
    let dump = b.raw_dump().await;
    assert!(dump.len() > 100, "{}: dump is empty", b.kind);
    let find = |needle: &str| dump.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!find(plain), "{}: plaintext found in the raw store", b.kind);
    assert!(!find(pass), "{}: passphrase found in the raw store", b.kind);
    assert!(!find(&generated), "{}: generated value found", b.kind);
    // The dump is real: non-secret data such as the custid is in it.
    assert!(
        find("anon"),
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
    let now = ots_server::Clock::default().now();
    // Unchecked claims leave a protected secret alone.
    assert!(matches!(
        store
            .claim(&key, Outcome::Received, false, now)
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
                store.claim(&key, outcome, true, now).await.unwrap(),
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

#[tokio::test]
async fn embedded_data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ots.redb");
    let dist = dist_dir(dir.path());
    let make = |store: ots_server::store::embedded::RedbStore| {
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
    let (key, gone) = {
        let app = make(ots_server::store::embedded::RedbStore::open(&path).unwrap());
        let key = s(&share(&app, "secret=persisted").await, "secret_key");
        let gone = s(&share(&app, "secret=revealed-before").await, "secret_key");
        let res = post(&app, &format!("/api/v1/secret/{gone}"), "", None).await;
        assert_eq!(res.json()["value"], "revealed-before");
        (key, gone)
    };
    // Let the writer thread of the first store finish and release the file.
    let app = loop {
        match ots_server::store::embedded::RedbStore::open(&path) {
            Ok(store) => break make(store),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    };
    let res = post(&app, &format!("/api/v1/secret/{key}"), "", None).await;
    assert_eq!(res.json()["value"], "persisted");
    // An acknowledged reveal stays a reveal after the restart.
    let res = post(&app, &format!("/api/v1/secret/{gone}"), "", None).await;
    assert_eq!(res.json()["message"], "Unknown secret");
}

#[test]
fn redis_tests_fail_loudly_without_redis_server() {
    // Guard against a silent skip: the suite must find the binary where it looks.
    let bin = std::env::var("OTS_TEST_REDIS_SERVER").unwrap_or_else(|_| REDIS_SERVER.into());
    assert!(
        std::path::Path::new(&bin).exists(),
        "redis-server missing at {bin}"
    );
}
