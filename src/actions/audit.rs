//! The audit log: one JSON object per line in `Paths::audit_log()` for every mutating action,
//! allowed or blocked. It records who did what where — never credentials.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to the action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The call was made and AWS accepted it.
    Sent,
    /// The gate was closed (read-only).
    Blocked,
    /// The call was made and failed.
    Failed,
    /// An interactive session was started.
    Started,
    /// An interactive session ended.
    Ended,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub time: DateTime<Utc>,
    /// The caller's ARN (or account id when the ARN is unknown).
    pub caller: String,
    pub account_id: String,
    pub region: String,
    /// `SendCommand`, `CancelCommand`, `StartSession`.
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Document parameters and rate controls (`Operation`, `RebootOption`, `MaxConcurrency`,
    /// `MaxErrors`, `Comment`, ...).
    #[serde(default)]
    pub parameters: BTreeMap<String, Vec<String>>,
    /// Instance ids.
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    pub outcome: Outcome,
    /// Why it was blocked / how it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Appends records to a JSON-lines file (created with its directory on first use).
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    lock: Mutex<()>,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        AuditLog {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record (one line, written with a single `write_all` in append mode, so
    /// concurrent ssmdeck processes do not interleave lines).
    pub fn append(&self, record: &AuditRecord) -> std::io::Result<()> {
        let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
        line.push('\n');
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&self.path)?;
        f.write_all(line.as_bytes())
    }

    /// Every record in the file (lines that do not parse are skipped).
    pub fn read(path: &Path) -> std::io::Result<Vec<AuditRecord>> {
        let text = std::fs::read_to_string(path)?;
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_json_lines_and_creates_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/audit.jsonl");
        let log = AuditLog::new(&path);
        let rec = AuditRecord {
            time: Utc::now(),
            caller: "arn:aws:iam::111111111111:user/alice".into(),
            account_id: "222222222222".into(),
            region: "eu-west-1".into(),
            operation: "SendCommand".into(),
            document: Some("AWS-RunPatchBaseline".into()),
            parameters: BTreeMap::from([("Operation".into(), vec!["Scan".into()])]),
            targets: vec!["i-0123456789abcdef0".into()],
            command_id: Some("c0ffee00-0000-0000-0000-000000000000".into()),
            outcome: Outcome::Sent,
            message: None,
        };
        log.append(&rec).unwrap();
        log.append(&AuditRecord {
            outcome: Outcome::Blocked,
            ..rec.clone()
        })
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let back = AuditLog::read(&path).unwrap();
        assert_eq!(back[0], rec);
        assert_eq!(back[1].outcome, Outcome::Blocked);
        assert!(text.contains("\"outcome\":\"blocked\""));
    }
}
