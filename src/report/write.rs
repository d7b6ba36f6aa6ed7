//! Writing report files atomically: the content goes to a temporary file in the target's
//! directory, is flushed to disk, then renamed into place — so a reader never sees half a
//! report, and a failure (permission, full disk, a bug in a renderer) leaves no partial
//! file behind. An existing file is never replaced unless `force` is set.
//!
//! A process killed mid-write (OOM killer, `kill -9`, power loss) cannot remove its
//! temporary file, so every write first removes the ones such runs left in its
//! directory: they are recognised by name (`.<target>.ssmdeck-<pid>-<unique>.tmp`, the
//! patch spill's `.ssmdeck-spill-<pid>-<unique>.tmp`, and the older
//! `.<target>.<pid>.<unique>.tmp` next to the same target) and removed when the process
//! that wrote them is gone, or when they are older than [`STALE_TEMP_AGE`] (a pid may be
//! reused; a platform without `/proc` cannot tell).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A temporary file older than this is stale whatever its pid says.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(24 * 3600);

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
    let tmp = format!(
        ".{name}.ssmdeck-{}-{nanos:x}{attempt}.tmp",
        std::process::id()
    );
    target.with_file_name(tmp)
}

/// The pid in the name of a temporary file written for a report (any target in the
/// directory for the current names, only `target_name` for the older name), else `None`.
fn temp_writer_pid(file_name: &str, target_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    let tail = match rest.strip_prefix("ssmdeck-spill-") {
        Some(t) => Some(t),
        None => rest.rsplit_once(".ssmdeck-").map(|(_, t)| t),
    };
    if let Some(tail) = tail {
        let (pid, unique) = tail.split_once('-')?;
        return if hex(unique) { pid.parse().ok() } else { None };
    }
    let (pid, unique) = rest
        .strip_prefix(target_name)?
        .strip_prefix('.')?
        .split_once('.')?;
    if hex(unique) { pid.parse().ok() } else { None }
}

/// Whether process `pid` has ended: `None` when the platform cannot tell (no `/proc`).
fn process_gone(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return None;
    }
    Some(!proc.join(pid.to_string()).exists())
}

/// Remove the temporary files that killed report writes left in `dir` (see the module
/// documentation). Returns what was removed.
pub fn clean_stale_temps(dir: &Path, target_name: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    let now = SystemTime::now();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| temp_writer_pid(n, target_name)) else {
            continue;
        };
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        if pid == me || !meta.is_file() {
            continue;
        }
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if (process_gone(pid) == Some(true) || old) && fs::remove_file(entry.path()).is_ok() {
            tracing::info!(
                path = %entry.path().display(),
                pid,
                "removed a temporary file left by an interrupted report write"
            );
            removed.push(entry.path());
        }
    }
    removed
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
    let target_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    clean_stale_temps(&dir, &target_name);

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

    /// A pid that is certainly not running: a child that has been waited for.
    fn dead_pid() -> u32 {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    }

    #[test]
    fn temp_names_are_recognised_with_their_pid() {
        let p = temp_name(Path::new("/x/r.csv"), 3);
        let name = p.file_name().unwrap().to_str().unwrap();
        assert_eq!(temp_writer_pid(name, "r.csv"), Some(std::process::id()));
        assert_eq!(temp_writer_pid(name, "other.csv"), Some(std::process::id()));
        assert_eq!(
            temp_writer_pid(".ssmdeck-spill-42-1f.tmp", "r.csv"),
            Some(42)
        );
        assert_eq!(
            temp_writer_pid(".r.csv.42.1fa0.tmp", "r.csv"),
            Some(42),
            "older name"
        );
        assert_eq!(temp_writer_pid(".r.csv.42.1fa0.tmp", "x.csv"), None);
        for other in [
            "r.csv",
            ".r.csv.swp",
            ".r.csv.42.tmp",
            ".r.csv.ssmdeck-x-1f.tmp",
            ".r.csv.ssmdeck-42-.tmp",
            ".r.csv.42.zz.tmp",
        ] {
            assert_eq!(temp_writer_pid(other, "r.csv"), None, "{other}");
        }
    }

    #[test]
    fn stale_temps_of_dead_writers_are_removed_on_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dead_pid();
        let me = std::process::id();
        let stale = [
            format!(".r.csv.ssmdeck-{dead}-abc0.tmp"),
            format!(".r.csv.{dead}.1234abcd0.tmp"),
            format!(".other.html.ssmdeck-{dead}-1.tmp"),
            format!(".ssmdeck-spill-{dead}-2.tmp"),
        ];
        let kept = [
            format!(".r.csv.ssmdeck-{me}-abc0.tmp"),
            format!(".other.html.{dead}.1.tmp"),
            "notes.txt".to_string(),
        ];
        for n in stale.iter().chain(&kept) {
            fs::write(dir.path().join(n), "").unwrap();
        }
        // A live pid, but a day old: stale all the same (pids are reused).
        let old = dir.path().join(".r.csv.ssmdeck-1-ff.tmp");
        fs::write(&old, "x").unwrap();
        File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - STALE_TEMP_AGE - Duration::from_secs(60))
            .unwrap();

        let p = dir.path().join("r.csv");
        write_atomic(&p, false, |w| w.write_all(b"fresh")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "fresh");
        let mut want: Vec<String> = kept.to_vec();
        want.push("r.csv".into());
        want.sort();
        assert_eq!(entries(dir.path()), want);
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
