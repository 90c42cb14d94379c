//! Where `ots reveal` puts a file from a secret: under its sanitised name in the current
//! folder or in `-o DIR`, at `-o FILE`, or on standard output (`-o -`). A file is never
//! overwritten without `--force`, and is readable only by its owner.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ots_core::payload::File;

use crate::commands::{Context, write_stdout};
use crate::error::{CliError, Result};

/// Where to save, decided before the reveal so that a refusal consumes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Standard output.
    Stdout,
    /// In this folder, under the file's own (sanitised) name.
    Folder { dir: PathBuf, force: bool },
    /// At this path, whatever the file's name.
    Path { path: PathBuf, force: bool },
}

impl Output {
    /// From `-o` and `--force`. `-o FILE` that exists is refused here, before the reveal,
    /// unless `--force`; `-o -` cannot go with `--json`, which needs standard output.
    pub fn new(output: Option<&Path>, force: bool, json: bool) -> Result<Self> {
        match output {
            None => Ok(Self::Folder {
                dir: PathBuf::from("."),
                force,
            }),
            Some(p) if p.as_os_str() == "-" => {
                if json {
                    Err(CliError::usage(
                        "-o - and --json both need standard output: save the file with -o PATH",
                    ))
                } else {
                    Ok(Self::Stdout)
                }
            }
            Some(p) if p.is_dir() => Ok(Self::Folder {
                dir: p.to_owned(),
                force,
            }),
            Some(p) if p.exists() && !force => Err(CliError::usage_hint(
                format!("{} exists; nothing was revealed", p.display()),
                "pass --force to overwrite it, or choose another -o PATH",
            )),
            Some(p) => Ok(Self::Path {
                path: p.to_owned(),
                force,
            }),
        }
    }

    /// Whether the file goes to standard output.
    pub fn is_stdout(&self) -> bool {
        *self == Self::Stdout
    }
}

/// Writes `bytes` to a new file readable only by its owner; with `force`, an existing
/// file is replaced. `Ok(false)` when it exists and `force` is off.
fn write_file(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<bool> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // One system call decides, so nothing can appear between a check and the write.
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut f) => f
            .write_all(bytes)
            .and_then(|()| f.sync_all())
            .map(|()| true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// `name (2).ext`, `name (3).ext`, …: the names tried when `name` is taken.
fn alternative(name: &str, n: u32) -> String {
    match name.rfind('.').filter(|&i| i > 0) {
        Some(i) => format!("{} ({n}){}", &name[..i], &name[i..]),
        None => format!("{name} ({n})"),
    }
}

/// Saves the file and says where on standard error. Returns where it went and, when its
/// place was taken (and `--force` was not given), the error to end with: the file is then
/// saved under a free name instead, since the server no longer has it.
pub fn save(ctx: &Context, output: &Output, file: &File) -> Result<(PathBuf, Option<CliError>)> {
    let io = |path: &Path, e: std::io::Error| {
        CliError::other(format!("cannot save {}: {e}", path.display()))
            .with_hint("the server has now destroyed the secret: ask the sender for a new one")
    };
    let (path, force) = match output {
        Output::Stdout => {
            write_stdout(file.bytes())?;
            return Ok((PathBuf::from("-"), None));
        }
        Output::Path { path, force } => (path.clone(), *force),
        Output::Folder { dir, force } => (dir.join(file.name()), *force),
    };
    if write_file(&path, file.bytes(), force).map_err(|e| io(&path, e))? {
        ctx.note(&format!(
            "Saved {} ({} bytes, {}).",
            path.display(),
            file.bytes().len(),
            file.media_type()
        ));
        return Ok((path, None));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let taken = path.file_name().map_or_else(
        || file.name().to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    for n in 2..1000 {
        let other = dir.join(alternative(&taken, n));
        if write_file(&other, file.bytes(), false).map_err(|e| io(&other, e))? {
            let refused = CliError::other_hint(
                format!(
                    "{} exists and was left alone; the file was saved as {} instead",
                    path.display(),
                    other.display()
                ),
                "pass --force to overwrite an existing file",
            );
            return Ok((other, Some(refused)));
        }
    }
    Err(CliError::other(format!(
        "{} and 998 alternatives exist: nowhere to save the file",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_keep_the_extension() {
        assert_eq!(alternative("id.pem", 2), "id (2).pem");
        assert_eq!(alternative(".env", 3), ".env (3)");
        assert_eq!(alternative("key", 2), "key (2)");
    }

    #[test]
    fn an_existing_path_is_refused_before_the_reveal() {
        let dir = std::env::temp_dir().join(format!("ots-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let taken = dir.join("taken");
        std::fs::write(&taken, b"keep").expect("write");
        assert!(Output::new(Some(&taken), false, false).is_err());
        assert!(matches!(
            Output::new(Some(&taken), true, false),
            Ok(Output::Path { .. })
        ));
        assert!(matches!(
            Output::new(Some(&dir), false, false),
            Ok(Output::Folder { .. })
        ));
        assert!(Output::new(Some(Path::new("-")), false, true).is_err());
        assert!(!write_file(&taken, b"new", false).expect("io"));
        assert_eq!(std::fs::read(&taken).expect("read"), b"keep");
        assert!(write_file(&taken, b"new", true).expect("io"));
        assert_eq!(std::fs::read(&taken).expect("read"), b"new");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
