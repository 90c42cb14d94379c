//! Runs the `ots` command line the way a user would, with a clean environment, for the
//! CLI's own tests and the end-to-end journeys.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

/// The `ots` the end-to-end tests run: `OTS_CLI_BIN` (`scripts/test.sh` sets it to the
/// debug build it makes), else `target/debug/ots`, else `target/release/ots`.
pub fn binary() -> std::path::PathBuf {
    let root = crate::root();
    let bin = std::env::var_os("OTS_CLI_BIN")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            ["debug", "release"]
                .map(|profile| root.join("target").join(profile).join("ots"))
                .into_iter()
                .find(|bin| bin.exists())
        })
        .unwrap_or_else(|| root.join("target/debug/ots"));
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test.sh (or cargo build -p ots-cli)",
        bin.display()
    );
    bin
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

/// Starts building a run of the `ots` at `bin` with these arguments.
pub fn ots<I, S>(bin: impl AsRef<std::ffi::OsStr>, args: I) -> Ots
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let home = tempfile::tempdir().expect("home dir");
    let mut command = Command::new(bin);
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

    /// Runs in `dir` (where `ots reveal` saves files).
    pub fn current_dir(mut self, dir: &std::path::Path) -> Self {
        self.command.current_dir(dir);
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
