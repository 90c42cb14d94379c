//! A fresh headless Chromium behind its own chromedriver, driven through WebDriver.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};

use crate::process::{free_port, kill_group, root, spawn_in_group, wait_for_port};

/// A fresh headless Chromium profile behind its own chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Where a page stands, for a failed wait: its address, the boot script's error if any,
/// the start of its body, its requests and the app's marks.
const PAGE_STATE: &str = "return JSON.stringify([location.href,\
    (document.querySelector('.boot-error') || {}).textContent || null,\
    document.body ? document.body.innerText.slice(0, 300) : null,\
    performance.getEntriesByType('resource')\
      .map((r) => [new URL(r.name).pathname, Math.round(r.startTime), Math.round(r.responseEnd)]),\
    performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)])]);";

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
        let browser = Browser {
            client,
            driver,
            _profile: profile,
        };
        browser.on_new_document(WATCH).await;
        browser
    }

    /// Calls a Chrome DevTools Protocol method on the current tab.
    pub async fn cdp(&self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.client
            .issue_cmd(Post {
                path: "goog/cdp/execute",
                body: serde_json::json!({"cmd": method, "params": params}),
            })
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Runs `script` at the start of every document this browser opens from now on, before
    /// the page's own scripts (`Page.addScriptToEvaluateOnNewDocument`; WebDriver's scripts
    /// run in the page, so its CSP does not apply to them).
    pub async fn on_new_document(&self, script: &str) {
        let params = serde_json::json!({"source": script});
        self.cdp("Page.addScriptToEvaluateOnNewDocument", params)
            .await;
    }

    /// What went wrong in any document since the last call (or [`Browser::console`]):
    /// Content-Security-Policy violations, script errors, panics and failed promises, from
    /// the first script of each document on (see [`WATCH`]), and Chromium's own "Refused
    /// to …" and error messages.
    pub async fn problems(&self) -> Vec<String> {
        self.console()
            .await
            .into_iter()
            .filter(|m| is_problem(m))
            .collect()
    }

    /// Waits for an element by `data-testid`. A page on a loaded machine can take a while
    /// to start its app; when it never comes, the panic says where the page stood.
    pub async fn find(&self, testid: &str) -> fantoccini::elements::Element {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => {
                let page = self.client.execute(PAGE_STATE, vec![]).await;
                panic!("no element [data-testid={testid}]: {e}; the page: {page:?}")
            }
        }
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

    /// Picks the option with this value in a `<select>` and fires `change`.
    pub async fn choose(&self, testid: &str, value: &str) {
        self.find(testid).await;
        self.client
            .execute(
                "const e = document.querySelector(`[data-testid=\"${arguments[0]}\"]`);\
                 e.value = arguments[1]; e.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![testid.into(), value.into()],
            )
            .await
            .expect("choose");
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
        self.cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )
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

/// Runs before any script of every document (`Page.addScriptToEvaluateOnNewDocument`), so
/// a violation while the page loads is seen too. Each problem becomes a console error,
/// which the browser's log keeps across navigations.
pub const WATCH: &str = "
document.addEventListener('securitypolicyviolation', e => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`), true);
addEventListener('error', e => { if (e instanceof ErrorEvent) console.error(`script error: ${e.message}`); }, true);
addEventListener('unhandledrejection', e => console.error(`unhandled rejection: ${e.reason}`));
";

/// Whether a console line (`LEVEL message`) reports a problem.
pub fn is_problem(line: &str) -> bool {
    // A static host without a favicon is not the page's problem.
    (line.starts_with("SEVERE") && !line.contains("/favicon.ico"))
        || [
            "Refused to",
            "Content Security Policy",
            "CSP violation",
            "panicked",
        ]
        .iter()
        .any(|m| line.contains(m))
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
