//! A throw-away `redis-server`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{free_port, kill_group, spawn_in_group};

/// The `redis-server` binary: `OTS_TEST_REDIS_SERVER`, else `/usr/bin/redis-server`. The
/// Redis tests never skip: a missing binary fails them.
pub fn binary() -> std::path::PathBuf {
    let bin = std::env::var_os("OTS_TEST_REDIS_SERVER")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/redis-server".into());
    assert!(
        bin.exists(),
        "redis-server not found at {}: run scripts/setup.sh or set OTS_TEST_REDIS_SERVER; \
         the Redis tests do not skip",
        bin.display()
    );
    bin
}

/// A throw-away `redis-server` on a loopback port, in a temp dir. Its RDB file is never
/// compressed, so a test can search a dump for plaintext.
pub struct Redis {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// Its working directory (AOF and dump files).
    pub dir: tempfile::TempDir,
}

impl Redis {
    /// Starts one with an append-only file synced on every write, as production would
    /// run it.
    pub fn start() -> Redis {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, free_port())
    }

    /// Starts one on `port` over an existing directory, durable as [`Redis::start`] (for
    /// restart tests: it answers once it has loaded its append-only file).
    pub fn start_in(dir: tempfile::TempDir, port: u16) -> Redis {
        Self::launch(
            dir,
            port,
            &["--appendonly", "yes", "--appendfsync", "always"],
        )
    }

    /// Starts one that keeps nothing on disk unless asked (`SAVE`): fast, for tests of
    /// behaviour rather than durability.
    pub fn volatile() -> Redis {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::launch(dir, free_port(), &["--appendonly", "no"])
    }

    /// A replica (no persistence) of the Redis listening on `primary`.
    pub fn replica_of(primary: u16) -> Redis {
        let dir = tempfile::tempdir().expect("temp dir");
        let primary = primary.to_string();
        Self::launch(
            dir,
            free_port(),
            &["--appendonly", "no", "--replicaof", "127.0.0.1", &primary],
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
        crate::process::wait_for_port(port, "redis-sentinel");
        Redis { child, port, dir }
    }

    fn launch(dir: tempfile::TempDir, port: u16, persistence: &[&str]) -> Redis {
        let child = spawn_in_group(
            Command::new(binary())
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--rdbcompression", "no"])
                .args(persistence)
                .arg("--dir")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let mut redis = Redis { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !redis.answers_ping() {
            if let Ok(Some(status)) = redis.child.try_wait() {
                panic!("redis-server exited ({status})");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on {port}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        redis
    }

    /// Whether it answers PING (not only accepts: it may still be loading its AOF).
    fn answers_ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills it (SIGKILL, mid-whatever) and hands back its directory.
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
