//! The harness shared by the end-to-end tests and the bench: a real `ots-server` on a free
//! loopback port serving the release `dist/`, and a fresh headless Chromium driven through
//! WebDriver. Both are killed when their guard drops, so a failing test leaves nothing running.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// The repository's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("loopback has a free port")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not open port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills a whole process group (the child and whatever it started, e.g. Chromium).
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-9", &format!("-{}", child.id())])
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

fn spawn_in_group(command: &mut Command) -> Child {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"))
}

/// A running `ots-server` (the release binary that `scripts/test.sh` builds).
pub struct Server {
    child: Child,
    pub port: u16,
    pub url: String,
    pub data_dir: tempfile::TempDir,
    pub log: PathBuf,
}

impl Server {
    pub fn binary() -> PathBuf {
        let bin = std::env::var_os("OTS_SERVER_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("target/release/ots-server"));
        assert!(
            bin.exists(),
            "{} is missing: run scripts/test.sh (or cargo build --release -p ots-server)",
            bin.display()
        );
        bin
    }

    pub fn dist() -> PathBuf {
        let dist = root().join("dist");
        assert!(
            dist.join("index.html").exists(),
            "dist/ is missing: run scripts/test.sh (or trunk build --release)"
        );
        dist
    }

    /// Starts the server on the embedded store with extra command-line `args`.
    pub fn start(args: &[&str]) -> Server {
        let data_dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(data_dir, args)
    }

    /// Starts the server on an existing data directory (for restart tests).
    pub fn start_in(data_dir: tempfile::TempDir, args: &[&str]) -> Server {
        let port = free_port();
        let log = data_dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(Self::binary());
        command
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--dist")
            .arg(Self::dist())
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file);
        let child = spawn_in_group(&mut command);
        wait_for_port(port, "ots-server");
        Server {
            child,
            port,
            url: format!("http://127.0.0.1:{port}/"),
            data_dir,
            log,
        }
    }

    /// Everything the server has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the server and hands back its data directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        kill_group(&mut self.child);
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.data_dir, dir)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// A plain HTTP/1.1 exchange over loopback, for checking what the server stored.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub fn http(port: u16, method: &str, path: &str, form_body: &str) -> HttpResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form_body}",
        form_body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked { dechunk(body) } else { body.to_string() };
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

/// A fresh headless Chromium profile behind its own chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = spawn_in_group(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for_port(port, "chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session in Chromium");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Waits for an element by `data-testid`.
    pub async fn find(&self, testid: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
            .await
            .unwrap_or_else(|e| panic!("no element [data-testid={testid}]: {e}"))
    }

    pub async fn type_into(&self, testid: &str, text: &str) {
        self.find(testid)
            .await
            .send_keys(text)
            .await
            .expect("type");
    }

    pub async fn click(&self, testid: &str) {
        self.find(testid).await.click().await.expect("click");
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}
