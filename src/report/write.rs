//! Writing report files atomically: the content goes to a temporary file in the target's
//! directory, is flushed to disk, then renamed into place — so a reader never sees half a
//! report, and a failure (permission, full disk, a bug in a renderer) leaves no partial
//! file behind. An existing file is never replaced unless `force` is set.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why a report file could not be written. The message names the file and the cause.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path} already exists (use --force to overwrite it)")]
    Exists { path: PathBuf },
    #[error("cannot write {path}: directory {dir} does not exist")]
    NoDir { path: PathBuf, dir: PathBuf },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl WriteError {
    fn io(path: &Path, source: io::Error) -> Self {
        WriteError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Removes the temporary file unless disarmed.
struct TempGuard {
    path: Option<PathBuf>,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = fs::remove_file(p);
        }
    }
}

fn temp_name(target: &Path, attempt: u32) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = format!(".{name}.{}.{nanos:x}{attempt}.tmp", std::process::id());
    target.with_file_name(tmp)
}

/// Refuse early (before any expensive collection) when the target exists and `force` is
/// not set, or its directory is missing.
pub fn check_target(path: &Path, force: bool) -> Result<(), WriteError> {
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(WriteError::NoDir {
            path: path.to_path_buf(),
            dir,
        });
    }
    if !force && fs::symlink_metadata(path).is_ok() {
        return Err(WriteError::Exists {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Write `path` atomically with the bytes `produce` writes. Without `force`, an existing
/// `path` is never replaced (checked again at the final step, so a file that appeared
/// meanwhile is not clobbered either).
pub fn write_atomic(
    path: &Path,
    force: bool,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    check_target(path, force)?;
    let dir = parent_dir(path);

    let mut attempt = 0;
    let (tmp_path, file) = loop {
        let tmp = temp_name(path, attempt);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => {
                return Err(WriteError::Io {
                    path: path.to_path_buf(),
                    source: io::Error::new(
                        e.kind(),
                        format!("cannot create a file in {}: {e}", dir.display()),
                    ),
                });
            }
        }
    };
    let mut guard = TempGuard {
        path: Some(tmp_path.clone()),
    };

    let mut w = BufWriter::with_capacity(256 * 1024, file);
    produce(&mut w).map_err(|e| WriteError::io(path, e))?;
    let file: File = w
        .into_inner()
        .map_err(|e| WriteError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| WriteError::io(path, e))?;
    drop(file);

    if force {
        fs::rename(&tmp_path, path).map_err(|e| WriteError::io(path, e))?;
    } else {
        // A hard link fails if `path` exists: no window in which another file is clobbered.
        match fs::hard_link(&tmp_path, path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(WriteError::Exists {
                    path: path.to_path_buf(),
                });
            }
            Err(_) => {
                // File systems without hard links: check, then rename.
                if fs::symlink_metadata(path).is_ok() {
                    return Err(WriteError::Exists {
                        path: path.to_path_buf(),
                    });
                }
                fs::rename(&tmp_path, path).map_err(|e| WriteError::io(path, e))?;
                guard.path = None;
                return Ok(());
            }
        }
        // The guard removes the temporary name; the content stays under `path`.
    }
    if force {
        guard.path = None;
    }
    drop(guard);
    // Make the rename durable where the platform allows syncing a directory.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Write `bytes` to stdout, treating a closed pipe (`| head`) as success.
pub fn write_stdout(produce: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut lock = BufWriter::with_capacity(256 * 1024, stdout.lock());
    match produce(&mut lock).and_then(|_| lock.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        write_atomic(&p, false, |w| w.write_all(b"one")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "one");
        let err = write_atomic(&p, false, |w| w.write_all(b"two")).unwrap_err();
        assert!(matches!(err, WriteError::Exists { .. }));
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(fs::read_to_string(&p).unwrap(), "one", "left untouched");
        write_atomic(&p, true, |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(entries(dir.path()), vec!["r.csv"], "no temp files left");
    }

    #[test]
    fn a_failing_writer_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.html");
        let err = write_atomic(&p, false, |w| {
            w.write_all(&[b'x'; 300 * 1024])?;
            Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "No space left on device",
            ))
        })
        .unwrap_err();
        assert!(err.to_string().contains("No space left on device"), "{err}");
        assert!(err.to_string().contains("r.html"), "{err}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }

    #[test]
    fn a_failing_writer_keeps_the_previous_file_on_force() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        fs::write(&p, "old").unwrap();
        let _ = write_atomic(&p, true, |_| Err(io::Error::other("boom"))).unwrap_err();
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(entries(dir.path()), vec!["r.csv"]);
    }

    #[test]
    fn missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope").join("r.csv");
        let err = write_atomic(&p, false, |w| w.write_all(b"x")).unwrap_err();
        assert!(matches!(err, WriteError::NoDir { .. }));
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
