//! A real `ots-server` on a free loopback port, killed when its guard drops.

use std::path::PathBuf;
use std::process::{Child, Command};

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
