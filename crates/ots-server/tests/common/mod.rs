//! In-process helpers for the server's tests: backends (embedded, and a real redis-server
//! from ots-testkit), app state, requests through the router without a socket. Processes
//! and ports come from ots-testkit only.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use ots_server::auth::{AccountEntry, Accounts};
use ots_server::config::{Config, ServeArgs};
use ots_server::crypto::{MasterKey, PassphraseCost, hash_token};
use ots_server::store::Store;
use ots_server::store::embedded::EmbeddedStore;
use ots_server::store::redis::RedisStore;
use ots_server::{AppState, app};
use tower::ServiceExt as _;

/// The test account.
pub const USER: &str = "alice@example.com";
/// Its API token.
pub const TOKEN: &str = "test-token-0123456789";

/// A store plus what keeps it alive, and a way to read its raw bytes.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub kind: &'static str,
    dir: tempfile::TempDir,
    redis: Option<ots_testkit::Redis>,
}

impl Backend {
    pub fn embedded() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("ots-log")).unwrap();
        Backend {
            store: Arc::new(store),
            kind: "embedded",
            dir,
            redis: None,
        }
    }

    pub async fn redis() -> Backend {
        let server = ots_testkit::Redis::volatile();
        let store = RedisStore::connect(&server.url(), "ots:").await.unwrap();
        Backend {
            store: Arc::new(store),
            kind: "redis",
            dir: tempfile::tempdir().unwrap(),
            redis: Some(server),
        }
    }

    /// Every byte the backend holds on disk (the log's files; Redis RDB after SAVE).
    pub async fn raw_dump(&self) -> Vec<u8> {
        match &self.redis {
            None => {
                let mut all = Vec::new();
                for entry in std::fs::read_dir(self.dir.path().join("ots-log")).unwrap() {
                    all.extend(std::fs::read(entry.unwrap().path()).unwrap());
                }
                all
            }
            Some(server) => {
                let client = redis::Client::open(server.url()).unwrap();
                let mut conn = client.get_multiplexed_async_connection().await.unwrap();
                let _: () = redis::cmd("SAVE").query_async(&mut conn).await.unwrap();
                std::fs::read(server.dir.path().join("dump.rdb")).unwrap()
            }
        }
    }

    /// A directory for other files of the test (dist, keys).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Config for tests: the given flags over defaults, dist in a temp dir.
pub fn config(dist: &Path, args: &[&str]) -> Config {
    use clap::Parser as _;
    let mut argv = vec!["ots-server", "--dist", dist.to_str().unwrap()];
    argv.extend_from_slice(args);
    let cli = ots_server::config::Cli::parse_from(argv);
    Config::load(cli.serve).unwrap()
}

pub fn default_args() -> ServeArgs {
    ServeArgs::default()
}

pub fn accounts() -> Accounts {
    Accounts::from_entries(vec![AccountEntry {
        custid: USER.into(),
        extid: None,
        token_sha256: hash_token(TOKEN),
    }])
    .unwrap()
}

/// Cheap argon2 so tests stay fast; the production cost is covered by unit tests.
pub const TEST_COST: PassphraseCost = PassphraseCost {
    m_kib: 256,
    t: 1,
    p: 1,
};

pub fn state(backend: &Backend, args: &[&str]) -> AppState {
    let dist = dist_dir(backend.dir());
    AppState::new(
        config(&dist, args),
        backend.store.clone(),
        accounts(),
        MasterKey::from_bytes([42; 32]),
        TEST_COST,
    )
    .unwrap()
}

/// `<dir>/dist` with a small index.html holding one inline script and one inline style.
pub fn dist_dir(dir: &Path) -> PathBuf {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><html><head><script type=\"module\">init();</script>\
         <style>p{}</style><script src=\"/app.js\"></script></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js"), "console.log(1)").unwrap();
    dist
}

pub fn basic(user: &str, token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
    )
}

pub fn auth() -> String {
    basic(USER, TOKEN)
}

/// A response, read whole.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Res {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn intended(&self) -> Option<&str> {
        self.header("x-ots-intended-status")
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Res {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    Res {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// POST a form body, optionally with an Authorization header.
pub async fn post(app: &Router, path: &str, form: &str, authz: Option<&str>) -> Res {
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(a) = authz {
        b = b.header(header::AUTHORIZATION, a);
    }
    send(app, b.body(Body::from(form.to_owned())).unwrap()).await
}

pub async fn get(app: &Router, path: &str, authz: Option<&str>) -> Res {
    let mut b = Request::get(path);
    if let Some(a) = authz {
        b = b.header(header::AUTHORIZATION, a);
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

/// Creates a secret anonymously; returns the receipt JSON.
pub async fn share(app: &Router, form: &str) -> serde_json::Value {
    let res = post(app, "/api/v1/share", form, None).await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
    res.json()
}

pub fn s(v: &serde_json::Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no string {k} in {v}"))
        .to_owned()
}

pub fn new_app(backend: &Backend, args: &[&str]) -> (AppState, Router) {
    let st = state(backend, args);
    (st.clone(), app(st))
}
