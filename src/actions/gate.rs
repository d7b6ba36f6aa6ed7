//! The single mutation gate.
//!
//! Every call that changes something — SendCommand, CancelCommand, starting a Session
//! Manager shell — is made *by* a [`Gate`] method; no other code in ssmdeck calls those
//! SDK operations or spawns `aws ssm start-session`. The gate
//! 1. refuses when read-only mode is on (`--readonly` or `readonly = true` in the config),
//!    before any client or credential is even fetched, with an error that says why;
//! 2. appends every action, allowed or blocked, to the audit log (JSON lines: time, caller,
//!    account, region, operation, parameters, targets, command id, outcome) — never
//!    credentials; an action whose audit record cannot be written is not performed;
//! 3. makes the call through the data layer's [`Ssm`] (domain types; the shared limiter
//!    and credentials), with a timeout, and records the outcome.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use crate::fleet::Ssm;
use crate::model::{CommandOutputConfig, CommandRequest, CommandSummary};

use super::audit::{AuditLog, AuditRecord, Outcome};
use super::error::{ActionError, ReadOnlySource};
use super::session::SessionPlan;

/// One SendCommand: any document, in one account and region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendRequest {
    pub account_id: String,
    pub region: String,
    pub document: String,
    /// `None` = the document's default version.
    pub document_version: Option<String>,
    pub parameters: BTreeMap<String, Vec<String>>,
    /// At most 50.
    pub instance_ids: Vec<String>,
    pub max_concurrency: Option<String>,
    pub max_errors: Option<String>,
    pub comment: Option<String>,
    /// Delivery timeout (`TimeoutSeconds`).
    pub timeout_seconds: Option<i32>,
    /// Sent as the document's `executionTimeout` parameter.
    pub execution_timeout_seconds: Option<u32>,
    /// S3 / CloudWatch Logs output.
    pub output: CommandOutputConfig,
    /// Target the nodes tagged `Key=Value` instead of `instance_ids` (which then list the
    /// nodes expected).
    pub tag_target: Option<(String, String)>,
}

impl SendRequest {
    /// The data layer's request (account and region aside).
    pub fn command(&self) -> CommandRequest {
        CommandRequest {
            document: self.document.clone(),
            document_version: self.document_version.clone(),
            parameters: self.parameters.clone(),
            instance_ids: self.instance_ids.clone(),
            timeout_seconds: self.timeout_seconds,
            execution_timeout_seconds: self.execution_timeout_seconds,
            max_concurrency: self.max_concurrency.clone(),
            max_errors: self.max_errors.clone(),
            comment: self.comment.clone(),
            output: self.output.clone(),
            tag_target: self.tag_target.clone(),
        }
    }

    /// What the audit log records besides document and targets: the parameters as sent
    /// and every option set.
    fn audited_parameters(&self) -> BTreeMap<String, Vec<String>> {
        let cmd = self.command();
        let mut p = cmd.effective_parameters();
        let timeout = self.timeout_seconds.map(|t| t.to_string());
        let cloudwatch = self.output.cloudwatch.then(|| {
            self.output
                .cloudwatch_log_group
                .clone()
                .unwrap_or_else(|| "(default log group)".into())
        });
        for (k, v) in [
            ("MaxConcurrency", &self.max_concurrency),
            ("MaxErrors", &self.max_errors),
            ("Comment", &self.comment),
            ("DocumentVersion", &self.document_version),
            ("TimeoutSeconds", &timeout),
            ("OutputS3BucketName", &self.output.s3_bucket),
            ("OutputS3KeyPrefix", &self.output.s3_key_prefix),
            ("CloudWatchOutput", &cloudwatch),
        ] {
            if let Some(v) = v {
                p.insert(k.to_string(), vec![v.clone()]);
            }
        }
        p
    }
}

/// One CancelCommand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CancelRequest {
    pub account_id: String,
    pub region: String,
    pub command_id: String,
    /// Empty = every target of the command.
    pub instance_ids: Vec<String>,
}

struct Inner {
    readonly: Option<ReadOnlySource>,
    audit: AuditLog,
    caller: Mutex<String>,
    call_timeout: Duration,
}

/// Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Gate {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("readonly", &self.inner.readonly)
            .field("audit", &self.inner.audit.path())
            .finish()
    }
}

impl Gate {
    /// `readonly`: `Some(source)` closes the gate.
    pub fn new(readonly: Option<ReadOnlySource>, audit_log: impl Into<PathBuf>) -> Self {
        Gate {
            inner: Arc::new(Inner {
                readonly,
                audit: AuditLog::new(audit_log),
                caller: Mutex::new(String::new()),
                call_timeout: Duration::from_secs(30),
            }),
        }
    }

    /// From the `--readonly` flag and the config's `readonly` key; audit log in the data dir.
    pub fn from_settings(flag: bool, config: bool, paths: &crate::config::Paths) -> Self {
        Gate::from_settings_at(flag, config, paths.audit_log())
    }

    /// Like [`Gate::from_settings`], writing the audit log at `audit_log` (the demo's own).
    pub fn from_settings_at(flag: bool, config: bool, audit_log: PathBuf) -> Self {
        let readonly = if flag {
            Some(ReadOnlySource::Flag)
        } else if config {
            Some(ReadOnlySource::Config)
        } else {
            None
        };
        Gate::new(readonly, audit_log)
    }

    pub fn is_readonly(&self) -> bool {
        self.inner.readonly.is_some()
    }

    pub fn readonly_source(&self) -> Option<ReadOnlySource> {
        self.inner.readonly
    }

    pub fn audit_path(&self) -> PathBuf {
        self.inner.audit.path().to_path_buf()
    }

    /// The caller identity recorded in the audit log (set once the data layer knows it).
    pub fn set_caller(&self, caller: impl Into<String>) {
        *self.inner.caller.lock().unwrap_or_else(|p| p.into_inner()) = caller.into();
    }

    /// Take the caller from the data layer when nobody set it.
    pub fn learn_caller(&self, ssm: &Ssm) {
        let mut c = self.inner.caller.lock().unwrap_or_else(|p| p.into_inner());
        if c.is_empty()
            && let Some(arn) = ssm.caller()
        {
            *c = arn;
        }
    }

    fn caller(&self) -> String {
        let c = self
            .inner
            .caller
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if c.is_empty() { "unknown".into() } else { c }
    }

    /// Refuse (and record the refusal) when read-only; record nothing otherwise.
    fn check(&self, rec: &AuditRecord) -> Result<(), ActionError> {
        if let Some(source_) = self.inner.readonly {
            let err = ActionError::ReadOnly {
                operation: rec.operation.clone(),
                source_,
            };
            // Best effort: a blocked action changes nothing, so it is refused either way.
            let _ = self.inner.audit.append(&AuditRecord {
                outcome: Outcome::Blocked,
                message: Some(err.to_string()),
                ..rec.clone()
            });
            return Err(err);
        }
        Ok(())
    }

    fn record(&self, rec: AuditRecord) -> Result<(), ActionError> {
        self.inner
            .audit
            .append(&rec)
            .map_err(|e| ActionError::Audit {
                operation: rec.operation.clone(),
                path: self.inner.audit.path().display().to_string(),
                message: e.to_string(),
            })
    }

    fn base_record(&self, operation: &str, account_id: &str, region: &str) -> AuditRecord {
        AuditRecord {
            time: Utc::now(),
            caller: self.caller(),
            account_id: account_id.to_string(),
            region: region.to_string(),
            operation: operation.to_string(),
            document: None,
            parameters: BTreeMap::new(),
            targets: Vec::new(),
            command_id: None,
            outcome: Outcome::Sent,
            message: None,
        }
    }

    /// SendCommand through the gate.
    pub async fn send_command(
        &self,
        ssm: &Ssm,
        req: &SendRequest,
    ) -> Result<CommandSummary, ActionError> {
        const OP: &str = "SendCommand";
        self.learn_caller(ssm);
        let mut rec = self.base_record(OP, &req.account_id, &req.region);
        rec.document = Some(req.document.clone());
        rec.parameters = req.audited_parameters();
        rec.targets = req.instance_ids.clone();
        self.check(&rec)?;
        // Fail closed: no audit record, no command.
        self.probe(OP)?;

        let command = req.command();
        let call = ssm.send_command(&req.account_id, &req.region, &command);
        let result = match tokio::time::timeout(self.inner.call_timeout, call).await {
            Ok(Ok(summary)) => Ok(summary),
            Ok(Err(e)) => {
                let mut err = ActionError::from_fleet(OP, &req.account_id, &req.region, e);
                if let ActionError::Aws { code, message, .. } = &mut err
                    && matches!(code.as_str(), "Timeout" | "DispatchFailure")
                {
                    message
                        .push_str("; the command may or may not have been sent — check :commands");
                }
                Err(err)
            }
            Err(_) => Err(ActionError::Aws {
                operation: OP.into(),
                account_id: req.account_id.clone(),
                region: req.region.clone(),
                code: "Timeout".into(),
                message: format!(
                    "no answer within {} s; the command may or may not have been sent — check :commands",
                    self.inner.call_timeout.as_secs()
                ),
            }),
        };
        match result {
            Ok(summary) => {
                rec.command_id = Some(summary.command_id.clone());
                rec.outcome = Outcome::Sent;
                self.record(rec)?;
                Ok(summary)
            }
            Err(err) => {
                rec.outcome = Outcome::Failed;
                rec.message = Some(err.to_string());
                let _ = self.record(rec);
                Err(err)
            }
        }
    }

    /// CancelCommand through the gate.
    pub async fn cancel_command(&self, ssm: &Ssm, req: &CancelRequest) -> Result<(), ActionError> {
        const OP: &str = "CancelCommand";
        self.learn_caller(ssm);
        let mut rec = self.base_record(OP, &req.account_id, &req.region);
        rec.command_id = Some(req.command_id.clone());
        rec.targets = req.instance_ids.clone();
        self.check(&rec)?;
        self.probe(OP)?;
        let call = ssm.cancel_command(
            &req.account_id,
            &req.region,
            &req.command_id,
            &req.instance_ids,
        );
        let err = match tokio::time::timeout(self.inner.call_timeout, call).await {
            Ok(Ok(())) => {
                rec.outcome = Outcome::Sent;
                return self.record(rec);
            }
            Ok(Err(e)) => ActionError::from_fleet(OP, &req.account_id, &req.region, e),
            Err(_) => {
                ActionError::timeout(OP, &req.account_id, &req.region, self.inner.call_timeout)
            }
        };
        rec.outcome = Outcome::Failed;
        rec.message = Some(err.to_string());
        let _ = self.record(rec);
        Err(err)
    }

    /// The audit log can take a record (checked before a mutation: no record, no call).
    fn probe(&self, operation: &str) -> Result<(), ActionError> {
        probe_writable(self.inner.audit.path()).map_err(|e| ActionError::Audit {
            operation: operation.into(),
            path: self.inner.audit.path().display().to_string(),
            message: e.to_string(),
        })
    }

    /// Authorize a Session Manager shell: returns the process to run (the console suspends
    /// itself around it). The credentials travel in the child's environment only; the audit
    /// record names the node, account and region.
    pub fn start_session(&self, plan: &SessionPlan) -> Result<std::process::Command, ActionError> {
        const OP: &str = "StartSession";
        let mut rec = self.base_record(OP, &plan.target.account_id, &plan.target.region);
        rec.targets = vec![plan.target.instance_id.clone()];
        rec.outcome = Outcome::Started;
        self.check(&rec)?;
        self.record(rec)?;
        Ok(plan.command())
    }

    /// Record how a session ended (exit status), after the console resumed.
    pub fn session_ended(&self, plan: &SessionPlan, status: &str) {
        let mut rec =
            self.base_record("StartSession", &plan.target.account_id, &plan.target.region);
        rec.targets = vec![plan.target.instance_id.clone()];
        rec.outcome = Outcome::Ended;
        rec.message = Some(crate::text::sanitize(status));
        let _ = self.inner.audit.append(&rec);
    }
}

/// Check the audit log can be appended to without writing anything.
fn probe_writable(path: &std::path::Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::StaticCredentials;

    /// An endpoint nobody listens on: a call would fail with DispatchFailure.
    fn nowhere() -> Ssm {
        Ssm::with_static_credentials(
            Some("http://127.0.0.1:9".into()),
            StaticCredentials {
                access_key_id: "AKIDTEST".into(),
                secret_access_key: "SECRETXYZ".into(),
                session_token: None,
            },
        )
    }

    fn req() -> SendRequest {
        SendRequest {
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            document: "AWS-RunPatchBaseline".into(),
            parameters: BTreeMap::from([("Operation".into(), vec!["Install".into()])]),
            instance_ids: vec!["i-0123456789abcdef0".into()],
            max_concurrency: Some("1".into()),
            max_errors: Some("1".into()),
            comment: Some("test".into()),
            ..SendRequest::default()
        }
    }

    #[tokio::test]
    async fn readonly_blocks_before_any_network_and_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let gate = Gate::new(Some(ReadOnlySource::Flag), dir.path().join("audit.jsonl"));
        gate.set_caller("arn:aws:iam::111111111111:user/alice");
        // an endpoint nobody listens on: a call would fail with DispatchFailure, not ReadOnly
        let clients = nowhere();
        let err = gate.send_command(&clients, &req()).await.unwrap_err();
        assert!(err.is_read_only(), "{err}");
        let err = gate
            .cancel_command(
                &clients,
                &CancelRequest {
                    account_id: "111111111111".into(),
                    region: "us-east-1".into(),
                    command_id: "c".into(),
                    instance_ids: vec![],
                },
            )
            .await
            .unwrap_err();
        assert!(err.is_read_only());
        let recs = AuditLog::read(&gate.audit_path()).unwrap();
        assert_eq!(recs.len(), 2);
        assert!(recs.iter().all(|r| r.outcome == Outcome::Blocked));
        assert_eq!(recs[0].caller, "arn:aws:iam::111111111111:user/alice");
        assert_eq!(recs[0].parameters["MaxConcurrency"], vec!["1"]);
        assert_eq!(recs[0].targets, vec!["i-0123456789abcdef0"]);
        let text = std::fs::read_to_string(gate.audit_path()).unwrap();
        assert!(!text.contains("SECRETXYZ"));
    }

    #[tokio::test]
    async fn failed_call_is_audited_with_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let gate = Gate::new(None, dir.path().join("audit.jsonl"));
        let clients = nowhere();
        let r = SendRequest { ..req() };
        let err = gate.send_command(&clients, &r).await.unwrap_err();
        assert!(!err.is_read_only());
        let recs = AuditLog::read(&gate.audit_path()).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].outcome, Outcome::Failed);
        assert!(
            recs[0]
                .message
                .as_deref()
                .unwrap_or("")
                .contains("SendCommand")
        );
    }

    #[tokio::test]
    async fn unwritable_audit_log_refuses_the_action() {
        let dir = tempfile::tempdir().unwrap();
        // the audit "directory" is a file: nothing can be created below it
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let gate = Gate::new(None, blocker.join("audit.jsonl"));
        let clients = nowhere();
        let err = gate.send_command(&clients, &req()).await.unwrap_err();
        assert!(matches!(err, ActionError::Audit { .. }), "{err}");
    }
}
