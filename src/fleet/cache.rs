//! The last snapshot on disk (`Paths::snapshot_cache`), so the next start paints at once.
//! Written atomically (temporary file in the same directory, then rename); a cache that
//! cannot be read is ignored, never fatal.

use std::io::Write;
use std::path::Path;

use crate::model::FleetSnapshot;

/// Read a cached snapshot, marked `from_cache`. `None` when absent or unreadable.
pub fn load(path: &Path) -> Option<FleetSnapshot> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the snapshot cache");
            return None;
        }
    };
    match serde_json::from_slice::<FleetSnapshot>(&bytes) {
        Ok(mut s) => {
            s.from_cache = true;
            Some(s)
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring an unreadable snapshot cache");
            None
        }
    }
}

/// Write the snapshot atomically. Only complete snapshots are worth caching.
pub fn save(path: &Path, snap: &FleetSnapshot) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot.json".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        let mut stored = snap.clone();
        stored.from_cache = false;
        serde_json::to_writer(&mut w, &stored).map_err(std::io::Error::other)?;
        w.flush()?;
        w.get_ref().sync_all()?;
        drop(w);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Certificate, CollectError, Node};

    fn sample() -> FleetSnapshot {
        FleetSnapshot {
            regions: vec!["eu-west-1".into()],
            nodes: vec![Node {
                instance_id: "i-0123456789abcdef0".into(),
                account_id: "111111111111".into(),
                region: "eu-west-1".into(),
                name: "web\u{1b}[31m".into(),
                ..Node::default()
            }],
            certificates: vec![Certificate {
                arn: "arn:aws:acm:eu-west-1:111111111111:certificate/x".into(),
                not_after: chrono::DateTime::from_timestamp(1_800_000_000, 0),
                ..Certificate::default()
            }],
            errors: vec![CollectError {
                code: "AccessDenied".into(),
                ..CollectError::default()
            }],
            complete: true,
            ..FleetSnapshot::default()
        }
    }

    #[test]
    fn round_trip_marks_from_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("snapshot-x.json");
        let snap = sample();
        save(&path, &snap).unwrap();
        let back = load(&path).unwrap();
        assert!(back.from_cache);
        assert_eq!(back.nodes, snap.nodes);
        assert_eq!(back.certificates, snap.certificates);
        assert_eq!(back.errors, snap.errors);
        // no temporary file left behind
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn missing_or_corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.json");
        assert!(load(&path).is_none());
        std::fs::write(&path, b"{ not json").unwrap();
        assert!(load(&path).is_none());
    }

    #[test]
    fn write_failure_leaves_the_old_cache_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.json");
        save(&path, &sample()).unwrap();
        // the target is now a directory: rename fails, the temporary file is removed
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("x")).unwrap();
        assert!(save(&blocked, &sample()).is_err());
        assert!(load(&path).is_some());
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }
}
