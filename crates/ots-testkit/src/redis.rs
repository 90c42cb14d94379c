//! A throw-away `redis-server`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::process::{free_port, kill_group, spawn_in_group, wait_for_port};

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
