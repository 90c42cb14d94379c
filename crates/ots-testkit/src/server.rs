//! A real `ots-server` on a free loopback port, killed when its guard drops.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::process::{free_port, kill_group, root, spawn_in_group};

/// An `ots-server` that exited instead of listening: what it logged, and its data dir.
pub struct Exited {
    pub log: String,
    pub data_dir: tempfile::TempDir,
}

/// A running `ots-server` (the release binary that `scripts/test.sh` builds).
pub struct Server {
    child: Child,
    pub port: u16,
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
    /// `http://127.0.0.1:<port>`, without the slash.
    pub origin: String,
    pub data_dir: tempfile::TempDir,
    pub log: PathBuf,
}

impl Server {
    /// The `ots-server` the tests run: `OTS_SERVER_BIN` (`scripts/test.sh` sets it to the
    /// debug build it makes), else `target/debug/ots-server`, else `target/release/ots-server`.
    pub fn binary() -> PathBuf {
        let bin = std::env::var_os("OTS_SERVER_BIN")
            .map(PathBuf::from)
            .or_else(|| {
                ["debug", "release"]
                    .map(|profile| root().join("target").join(profile).join("ots-server"))
                    .into_iter()
                    .find(|bin| bin.exists())
            })
            .unwrap_or_else(|| root().join("target/debug/ots-server"));
        assert!(
            bin.exists(),
            "{} is missing: run scripts/test.sh (or cargo build -p ots-server)",
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

    /// Starts the server over a copy of `dist/` with this `config.json` (e.g. a page with
    /// `"encryption": "off"`, to show that a leak check can fail).
    pub fn with_config(config_json: &str, args: &[&str]) -> Server {
        Self::with_dist(
            |dist| std::fs::write(dist.join("config.json"), config_json).expect("config.json"),
            args,
        )
    }

    /// Starts the server over a copy of `dist/` that `edit` changed first (a spoiled page).
    pub fn with_dist(edit: impl FnOnce(&std::path::Path), args: &[&str]) -> Server {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let dist = data_dir.path().join("dist");
        crate::copy_tree(&Self::dist(), &dist);
        edit(&dist);
        Self::start_serving(&dist, data_dir, args)
    }

    /// Starts the server with one account (`user`, `token`) and an empty `dist/`: the API
    /// alone, for the command line's tests.
    pub fn with_account(user: &str, token: &str, args: &[&str]) -> Server {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let dist = data_dir.path().join("dist");
        std::fs::create_dir(&dist).expect("dist dir");
        let accounts = accounts_file(data_dir.path(), user, token);
        let accounts = accounts.to_str().expect("a UTF-8 path");
        let mut all = vec!["--accounts", accounts];
        all.extend_from_slice(args);
        Self::launch(&Self::binary(), &dist, data_dir, &all)
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
        // Appended to, so a restarted server's log follows the killed one's.
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
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
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file);
        // Only the flags above configure it, whatever the test's environment holds.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("OTS_") {
                command.env_remove(name);
            }
        }
        let mut child = spawn_in_group(&mut command);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(_)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(Exited { log, data_dir });
            }
            assert!(
                Instant::now() < deadline,
                "ots-server did not open port {port}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        Ok(Server {
            child,
            port,
            url: format!("http://127.0.0.1:{port}/"),
            origin: format!("http://127.0.0.1:{port}"),
            data_dir,
            log,
        })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Posts a form to the API directly (no client in between); returns the JSON answer.
    pub fn post(&self, path: &str, form: &str) -> serde_json::Value {
        crate::http(self.port, "POST", path, form).json()
    }

    /// Writes a file into the server's data directory (which lives as long as the server).
    pub fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.data_dir.path().join(name);
        std::fs::write(&path, content).expect("write a file");
        path
    }

    /// Everything the server has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server (SIGKILL, mid-whatever) and hands back its data directory.
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

/// Writes `<dir>/accounts.toml` with one account, `user` with API token `token` (hashed by
/// the server's own `hash-token`), for `--accounts`.
pub fn accounts_file(dir: &std::path::Path, user: &str, token: &str) -> PathBuf {
    let hashed = Command::new(Server::binary())
        .args(["hash-token", token])
        .output()
        .expect("ots-server hash-token");
    assert!(hashed.status.success(), "hash-token failed");
    let digest = String::from_utf8_lossy(&hashed.stdout).trim().to_owned();
    let accounts = dir.join("accounts.toml");
    std::fs::write(
        &accounts,
        format!("[[account]]\ncustid = \"{user}\"\ntoken_sha256 = \"{digest}\"\n"),
    )
    .expect("accounts file");
    accounts
}
