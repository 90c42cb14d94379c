//! The harness shared by the end-to-end tests and the bench: a real `ots-server` on a free
//! loopback port serving the release `dist/`, and a fresh headless Chromium driven through
//! WebDriver. Both are killed when their guard drops, so a failing test leaves nothing running.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};

/// Special keys for [`Browser::press`] (Tab, Enter, Space, …).
pub use fantoccini::key::Key;

pub mod load;

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

/// Kills a child and the process group it leads (e.g. chromedriver and its Chromium),
/// once. The group is signalled only while the child is alive and still leads it, so a
/// reused pid can never take a stranger's group down.
fn kill_group(child: &mut Child) {
    let pid = child.id();
    if matches!(child.try_wait(), Ok(None)) && leads_own_group(pid) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether `pid` is alive and the leader of its own process group (from /proc).
fn leads_own_group(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // pid (comm) state ppid pgrp …: comm may hold spaces, so split after ')'.
            let rest = stat.rsplit_once(')')?.1;
            rest.split_whitespace().nth(2)?.parse::<u32>().ok()
        })
        .is_some_and(|pgrp| pgrp == pid)
}

fn spawn_in_group(command: &mut Command) -> Child {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"))
}

/// An `ots-server` that exited instead of listening: what it logged, and its data dir.
pub struct Exited {
    pub log: String,
    pub data_dir: tempfile::TempDir,
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
        Self::start_serving(&Self::dist(), data_dir, args)
    }

    /// Starts the server serving the app from `dist` (e.g. a copy with its own
    /// `config.json`).
    pub fn start_serving(
        dist: &std::path::Path,
        data_dir: tempfile::TempDir,
        args: &[&str],
    ) -> Server {
        Self::launch(&Self::binary(), dist, data_dir, args)
    }

    /// Starts a given `ots-server` binary (e.g. the one cargo built for a test,
    /// `env!("CARGO_BIN_EXE_ots-server")`) over `dist` in `data_dir`.
    pub fn launch(
        binary: &std::path::Path,
        dist: &std::path::Path,
        data_dir: tempfile::TempDir,
        args: &[&str],
    ) -> Server {
        Self::try_launch(binary, dist, data_dir, args)
            .unwrap_or_else(|e| panic!("ots-server exited before it listened:\n{}", e.log))
    }

    /// As [`Server::launch`], but a server that exits before it listens is an `Err`
    /// with what it logged (for tests of refused starts).
    pub fn try_launch(
        binary: &std::path::Path,
        dist: &std::path::Path,
        data_dir: tempfile::TempDir,
        args: &[&str],
    ) -> Result<Server, Exited> {
        let port = free_port();
        let log = data_dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(binary);
        command
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--dist")
            .arg(dist)
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file);
        let mut child = spawn_in_group(&mut command);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(_)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(Exited { log, data_dir });
            }
            assert!(
                Instant::now() < deadline,
                "ots-server did not open port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Server {
            child,
            port,
            url: format!("http://127.0.0.1:{port}/"),
            data_dir,
            log,
        })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
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
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub fn http(port: u16, method: &str, path: &str, form_body: &str) -> HttpResponse {
    http_as(port, method, path, form_body, None)
}

/// [`http`] with an `Authorization` header when given.
pub fn http_as(
    port: u16,
    method: &str,
    path: &str,
    form_body: &str,
    authorization: Option<&str>,
) -> HttpResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let authorization = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         {authorization}Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{form_body}",
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
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
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
        // Every console message, down to Chromium's verbose advisories.
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({"browser": "ALL"}),
        );
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
        self.find(testid).await.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, testid: &str) {
        self.find(testid).await.click().await.expect("click");
    }

    /// The text of an element.
    pub async fn text(&self, testid: &str) -> String {
        self.find(testid).await.text().await.expect("text")
    }

    /// An attribute of an element.
    pub async fn attr(&self, testid: &str, name: &str) -> Option<String> {
        self.find(testid).await.attr(name).await.expect("attribute")
    }

    /// The current value of a form field.
    pub async fn value(&self, testid: &str) -> String {
        self.find(testid)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Sets a field's value at once and fires `input` (for texts too long to type).
    pub async fn fill(&self, testid: &str, text: &str) {
        self.find(testid).await;
        self.client
            .execute(
                "const e = document.querySelector(`[data-testid=\"${arguments[0]}\"]`);\
                 e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}));",
                vec![testid.into(), text.into()],
            )
            .await
            .expect("fill");
    }

    /// Whether an element is on the page now (no waiting).
    pub async fn exists(&self, testid: &str) -> bool {
        self.client
            .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
            .await
            .is_ok()
    }

    /// Waits until `check` holds for the element's text.
    pub async fn wait_text(&self, testid: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = self
                .client
                .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
                .await;
            if let Ok(e) = found
                && let Ok(text) = e.text().await
                && check(&text)
            {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "[data-testid={testid}] never had the expected text"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The address bar.
    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    /// Runs a script and returns its JSON result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.expect("script")
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// Resizes the window so that the page's viewport is `width` × `height` CSS pixels.
    pub async fn viewport(&self, width: u32, height: u32) {
        let want = (i64::from(width), i64::from(height));
        let (mut outer_w, mut outer_h) = want;
        let mut inner = (0, 0);
        for _ in 0..10 {
            self.client
                .set_window_size(outer_w as u32, outer_h as u32)
                .await
                .expect("window size");
            // The page may learn of the new size a moment later: measure until it settles.
            for _ in 0..5 {
                let size = self.eval("return [innerWidth, innerHeight];").await;
                let now = (size[0].as_i64().unwrap_or(0), size[1].as_i64().unwrap_or(0));
                if now == inner || now == want {
                    inner = now;
                    break;
                }
                inner = now;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if inner == want {
                return;
            }
            // The window's frame, if any, takes the difference.
            outer_w += want.0 - inner.0;
            outer_h += want.1 - inner.1;
        }
        panic!("cannot make the viewport {width}×{height} (it stays {inner:?})");
    }

    /// Saves a PNG of the whole page (not only the viewport) at the current width, shrunk
    /// by [`shrink_png`].
    pub async fn save_screenshot(&self, path: &std::path::Path) {
        let size = self
            .eval("return [innerWidth, innerHeight, document.documentElement.scrollHeight];")
            .await;
        let size = |i: usize| size[i].as_u64().unwrap_or_default() as u32;
        let (width, height, full) = (size(0), size(1), size(2));
        self.viewport(width, full.max(height)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        self.viewport(width, height).await;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot folder");
        }
        std::fs::write(path, shrink_png(&png)).expect("write screenshot");
    }

    /// Presses and releases one key, as a keyboard would (the focused element gets it).
    pub async fn press(&self, key: Key) {
        self.key_actions(&[], char::from(key)).await;
    }

    /// Presses `key` while `held` is down: `(Key::Shift, Key::Tab)`, `(Key::Control, 'a')`.
    pub async fn press_with(&self, held: Key, key: impl Into<char>) {
        self.key_actions(&[char::from(held)], key.into()).await;
    }

    /// Types `text` key by key into the focused element.
    pub async fn type_keys(&self, text: &str) {
        for c in text.chars() {
            self.key_actions(&[], c).await;
        }
    }

    async fn key_actions(&self, held: &[char], key: char) {
        let mut keys = KeyActions::new("keyboard".into());
        for &h in held {
            keys = keys.then(KeyAction::Down { value: h });
        }
        keys = keys
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        for &h in held.iter().rev() {
            keys = keys.then(KeyAction::Up { value: h });
        }
        self.client.perform_actions(keys).await.expect("keys");
    }

    /// The focused element, as `data-testid`, else `#id`, else its tag name.
    pub async fn focused(&self) -> String {
        self.eval(
            "const e = document.activeElement; \
             return e ? (e.dataset.testid || (e.id && '#' + e.id) || e.tagName.toLowerCase()) : '';",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Makes the page's `prefers-color-scheme` dark or light (Chrome DevTools emulation).
    pub async fn color_scheme(&self, dark: bool) {
        let scheme = if dark { "dark" } else { "light" };
        self.client
            .issue_cmd(Post {
                path: "goog/cdp/execute",
                body: serde_json::json!({
                    "cmd": "Emulation.setEmulatedMedia",
                    "params": {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
                }),
            })
            .await
            .expect("emulate the colour scheme");
    }

    /// A Chrome DevTools command, such as `Network.setBlockedURLs`, and its result.
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> serde_json::Value {
        self.client
            .issue_cmd(Post {
                path: "goog/cdp/execute",
                body: serde_json::json!({"cmd": cmd, "params": params}),
            })
            .await
            .unwrap_or_else(|e| panic!("DevTools {cmd}: {e}"))
    }

    /// Runs `script` at the start of every document this browser opens from now on, before
    /// the page's own scripts (`Page.addScriptToEvaluateOnNewDocument`; WebDriver's scripts
    /// run in the page, so its CSP does not apply to them).
    pub async fn on_new_document(&self, script: &str) {
        let params = serde_json::json!({"source": script});
        self.cdp("Page.addScriptToEvaluateOnNewDocument", params)
            .await;
    }

    /// The console messages since the last call, Chromium's own advisories (`[DOM] …`)
    /// included, as `LEVEL message`.
    pub async fn console(&self) -> Vec<String> {
        let entries = self
            .client
            .issue_cmd(Post {
                path: "se/log",
                body: serde_json::json!({"type": "browser"}),
            })
            .await
            .expect("the browser's log");
        entries
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                format!(
                    "{} {}",
                    e["level"].as_str().unwrap_or("?"),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// Runs axe-core (from `tools/node_modules`) on the page and returns its violations.
    /// The script is injected through WebDriver, which the page's CSP does not govern.
    pub async fn axe(&self) -> Vec<serde_json::Value> {
        let loaded = self.eval("return typeof axe !== 'undefined';").await;
        if loaded != serde_json::Value::Bool(true) {
            let path = root().join("tools/node_modules/axe-core/axe.min.js");
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("{} is missing ({e}): run scripts/setup.sh", path.display())
            });
            self.client
                .execute(&format!("{source}\nreturn true;"), vec![])
                .await
                .expect("inject axe-core");
        }
        let result = self
            .eval(
                // Only plain fields: WebDriver does not return axe's deeper objects whole.
                "return axe.run(document, {resultTypes: ['violations']}).then(r => \
                 r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, \
                 nodes: v.nodes.map(n => ({target: n.target, html: n.html, \
                 failureSummary: n.failureSummary}))})));",
            )
            .await;
        result.as_array().cloned().unwrap_or_default()
    }
}

/// Another program serving on a local port (a peer's web app for the bench, say), stopped
/// with its process group when dropped.
pub struct Service {
    child: Child,
    pub port: u16,
}

impl Service {
    /// Starts `command` (which must listen on `port`) and waits until the port accepts.
    pub fn start(command: &mut Command, port: u16, what: &str) -> Service {
        let child = spawn_in_group(command.stdout(Stdio::null()).stderr(Stdio::null()));
        wait_for_port(port, what);
        Service { child, port }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// A WebDriver command fantoccini has no method for: `POST <session>/<path>` with `body`
/// (Chrome DevTools calls, the browser's console log).
#[derive(Debug)]
struct Post {
    path: &'static str,
    body: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Post {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// A screenshot made small enough to keep in the repository: at most 256 colours
/// (NeuQuant), stored as an indexed PNG. Flat UI colours survive; text edges barely change.
pub fn shrink_png(png_bytes: &[u8]) -> Vec<u8> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a PNG's size")];
    let info = reader.next_frame(&mut pixels).expect("PNG data");
    pixels.truncate(info.buffer_size());
    let rgba: Vec<u8> = match info.color_type {
        png::ColorType::Rgba => pixels,
        png::ColorType::Rgb => pixels
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        _ => return png_bytes.to_vec(),
    };
    let palette = color_quant::NeuQuant::new(10, 256, &rgba);
    let indices: Vec<u8> = rgba
        .chunks_exact(4)
        .map(|p| palette.index_of(p) as u8)
        .collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, info.width, info.height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(palette.color_map_rgb());
    encoder.set_compression(png::Compression::High);
    // Palette indices compress best unfiltered (1.6 MB for all screens, against 1.9 filtered).
    encoder.set_filter(png::Filter::NoFilter);
    let mut writer = encoder.write_header().expect("PNG header");
    writer.write_image_data(&indices).expect("PNG data");
    writer.finish().expect("PNG end");
    out
}

/// axe-core violations as readable lines: rule, impact, and each failing node.
pub fn axe_report(violations: &[serde_json::Value]) -> String {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().replace('\n', " ");
    let mut out = String::new();
    for v in violations {
        let (id, impact, help) = (text(&v["id"]), text(&v["impact"]), text(&v["help"]));
        out.push_str(&format!("- {id} ({impact}): {help}\n"));
        for node in v["nodes"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "    {} {}\n      {}\n",
                node["target"],
                text(&node["html"]),
                text(&node["failureSummary"])
            ));
        }
    }
    out
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// A loopback relay in front of a server that records every byte clients send through it,
/// so a test can check exactly what left the browser.
pub struct Recorder {
    /// The relay's port: point the browser here.
    pub port: u16,
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
    sent: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Recorder {
    /// Relays `127.0.0.1:<new port>` to `127.0.0.1:<target>`.
    pub fn start(target: u16) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let port = listener.local_addr().expect("relay address").port();
        let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = sent.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let (mut client_read, mut server_write) =
                    match (client.try_clone(), server.try_clone()) {
                        (Ok(c), Ok(s)) => (c, s),
                        _ => continue,
                    };
                let (mut server_read, mut client_write) = (server, client);
                let record = record.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = client_read.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if let Ok(mut all) = record.lock() {
                            all.extend_from_slice(&buf[..n]);
                        }
                        if server_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = server_write.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server_read, &mut client_write);
                    let _ = client_write.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Recorder {
            port,
            url: format!("http://127.0.0.1:{port}/"),
            sent,
        }
    }

    /// Everything clients have sent so far (request lines, headers and bodies), as text.
    pub fn sent(&self) -> String {
        let bytes = self.sent.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Every file under `dir`, concatenated as raw bytes (for "no plaintext in the store").
pub fn read_tree(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(read_tree(&path));
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.extend(bytes);
            }
        }
    }
    out
}

/// Copies the folder `from` to `to`, recursively.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A throw-away `redis-server` on a free loopback port, with AOF on, in a temp dir.
pub struct Redis {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// Its working directory (AOF and dump files).
    pub dir: tempfile::TempDir,
}

impl Redis {
    /// Starts one; fails loudly when `redis-server` is missing.
    pub fn start() -> Redis {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, free_port())
    }

    /// Starts one on `port` over an existing directory (for restart tests).
    pub fn start_in(dir: tempfile::TempDir, port: u16) -> Redis {
        Self::spawn(
            "redis-server",
            dir,
            port,
            &[
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
        )
    }

    /// A replica (no persistence) of the Redis listening on `primary`.
    pub fn replica_of(primary: u16) -> Redis {
        let dir = tempfile::tempdir().expect("temp dir");
        let primary = primary.to_string();
        Self::spawn(
            "redis-server",
            dir,
            free_port(),
            &["--save", "", "--replicaof", "127.0.0.1", &primary],
        )
    }

    /// A Sentinel (Debian's `redis-sentinel`) watching the primary on `primary` as
    /// `name`, alone (quorum 1), calling it down after 1 s.
    pub fn sentinel(primary: u16, name: &str) -> Redis {
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = dir.path().join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "sentinel monitor {name} 127.0.0.1 {primary} 1\n\
                 sentinel down-after-milliseconds {name} 1000\n\
                 sentinel failover-timeout {name} 5000\n"
            ),
        )
        .expect("sentinel.conf");
        let port = free_port();
        let child = spawn_in_group(
            Command::new("redis-sentinel")
                .arg(&conf)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .arg("--dir")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for_port(port, "redis-sentinel");
        Redis { child, port, dir }
    }

    fn spawn(program: &str, dir: tempfile::TempDir, port: u16, args: &[&str]) -> Redis {
        let child = spawn_in_group(
            Command::new(program)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(args)
                .arg("--dir")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for_port(port, program);
        Redis { child, port, dir }
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Stops it and hands back its directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        kill_group(&mut self.child);
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, dir)
    }

    /// Runs one command (`["DEL", "ots:x"]`) and returns its raw RESP reply.
    pub fn command(&self, args: &[&str]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect redis");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        stream.write_all(req.as_bytes()).expect("write redis");
        let mut buf = vec![0u8; 1 << 16];
        let n = stream.read(&mut buf).expect("read redis");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// `python3 -m http.server` over a folder: a plain static host with no special headers.
pub struct Static {
    child: Child,
}

impl Static {
    /// Serves `dir` on `127.0.0.1:<port>`.
    pub fn start(dir: &std::path::Path, port: u16) -> Static {
        let child = spawn_in_group(
            Command::new("python3")
                .args([
                    "-m",
                    "http.server",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                ])
                .arg("--directory")
                .arg(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for_port(port, "python3 -m http.server");
        Static { child }
    }
}

impl Drop for Static {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}
