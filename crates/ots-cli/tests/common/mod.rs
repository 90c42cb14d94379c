//! The harness of the CLI's end-to-end tests: a real `ots-server` on a free loopback port
//! (killed when its guard drops) and a way to run the built `ots` with a clean
//! environment.

#![allow(dead_code)] // Each test file uses a part of the harness.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The account the test servers know.
pub const USER: &str = "cli@example.com";
/// Its API token.
pub const TOKEN: &str = "cli-test-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// The `ots-server` binary: `OTS_SERVER_BIN`, else the one beside `ots` (debug), else the
/// release one, else built here once with cargo.
pub fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("OTS_SERVER_BIN") {
            return PathBuf::from(bin);
        }
        let ots = PathBuf::from(env!("CARGO_BIN_EXE_ots"));
        let profile_dir = ots.parent().expect("ots lives in a folder").to_owned();
        let target_dir = profile_dir.parent().expect("target dir").to_owned();
        for candidate in [
            profile_dir.join("ots-server"),
            target_dir.join("release").join("ots-server"),
        ] {
            if candidate.exists() {
                return candidate;
            }
        }
        let cargo = option_env!("CARGO").unwrap_or("cargo");
        let status = Command::new(cargo)
            .args(["build", "-p", "ots-server", "--bin", "ots-server"])
            .env("CARGO_TARGET_DIR", &target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p ots-server failed");
        profile_dir.join("ots-server")
    })
    .clone()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("loopback has a free port")
}

/// A running `ots-server` with one account ([`USER`], [`TOKEN`]).
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub url: String,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server on a fresh data directory and an empty `dist/`.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let dist = dir.path().join("dist");
        std::fs::create_dir(&dist).expect("dist dir");
        let hash = Command::new(server_binary())
            .args(["hash-token", TOKEN])
            .output()
            .expect("ots-server hash-token runs");
        let hash = String::from_utf8(hash.stdout).expect("hex");
        let accounts = dir.path().join("accounts.toml");
        std::fs::write(
            &accounts,
            format!(
                "[[account]]\ncustid = \"{USER}\"\ntoken_sha256 = \"{}\"\n",
                hash.trim()
            ),
        )
        .expect("accounts file");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
        let child = Command::new(server_binary())
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--dist")
            .arg(&dist)
            .arg("--accounts")
            .arg(&accounts)
            .env_remove("OTS_CONFIG")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("ots-server starts");
        let mut server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("ots-server exited ({status}): {}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "ots-server did not open port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A scratch folder that lives as long as the server.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` to a new file in the scratch folder.
    pub fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write scratch file");
        path
    }

    /// Posts a form to the API directly, bypassing the CLI; returns the JSON answer.
    pub fn post(&self, path: &str, form: &str) -> serde_json::Value {
        let mut response = ureq::post(format!("{}{path}", self.url))
            .content_type("application/x-www-form-urlencoded")
            .send(form.as_bytes())
            .expect("the server answers");
        serde_json::from_str(&response.body_mut().read_to_string().expect("body"))
            .expect("JSON answer")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A finished `ots` run.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output, as bytes.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output as text.
    pub fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("UTF-8 output")
    }

    /// Standard output as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.out(), self.stderr))
    }

    /// Asserts the exit code, showing the output if it differs.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            code,
            "exit code; stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        );
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(self) -> Self {
        self.expect_code(0)
    }
}

/// An `ots` invocation with a clean environment: no `OTS_*` variables and a HOME with
/// no config file.
pub struct Ots {
    command: Command,
    stdin: Option<Vec<u8>>,
    _home: tempfile::TempDir,
}

/// Starts building an `ots` run with these arguments.
pub fn ots<I, S>(args: I) -> Ots
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let home = tempfile::tempdir().expect("home dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_ots"));
    command.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OTS_") {
            command.env_remove(&name);
        }
    }
    command
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .env("NO_PROXY", "127.0.0.1,localhost");
    Ots {
        command,
        stdin: None,
        _home: home,
    }
}

impl Ots {
    /// Sets an environment variable.
    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    /// Feeds standard input.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Runs to completion.
    pub fn run(mut self) -> Run {
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("ots starts");
        if let Some(bytes) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            // ots may exit before reading (a usage error): a broken pipe is expected then.
            if let Err(e) = pipe.write_all(&bytes) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
            }
        }
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().expect("ots finishes");
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}

/// The first line of a run's standard output (the link of `ots share`).
pub fn first_line(run: &Run) -> String {
    run.out().lines().next().unwrap_or_default().to_owned()
}
