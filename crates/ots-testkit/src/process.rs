//! Child processes for tests: free ports, process groups killed on drop, and the files
//! they leave behind.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository's root folder: `OTS_ROOT` (set by `scripts/env.sh`) when it is set.
/// The path compiled in is only a fallback: cargo does not rebuild this crate when a warm
/// `target/` moves to another checkout, and the tests would then load that checkout's
/// `dist/`, not this one's.
pub fn root() -> PathBuf {
    std::env::var_os("OTS_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("loopback has a free port")
}

pub(crate) fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not open port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills a child and the process group it leads (e.g. chromedriver and its Chromium),
/// once. The group is signalled only while the child is alive and still leads it, so a
/// reused pid can never take a stranger's group down.
pub(crate) fn kill_group(child: &mut Child) {
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

pub(crate) fn spawn_in_group(command: &mut Command) -> Child {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"))
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
