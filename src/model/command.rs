//! Run Command history and invocations.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One command (ListCommands) in one account and region.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandSummary {
    pub command_id: String,
    pub account_id: String,
    pub region: String,
    pub document_name: String,
    pub comment: String,
    /// `Pending`, `InProgress`, `Success`, `Cancelled`, `Failed`, `TimedOut`, `Cancelling`.
    pub status: String,
    pub status_details: String,
    pub requested_at: Option<DateTime<Utc>>,
    pub parameters: BTreeMap<String, Vec<String>>,
    pub instance_ids: Vec<String>,
    /// Human form of `Targets` when used instead of instance ids (`tag:Patch Group=Production`).
    pub targets: Vec<String>,
    pub target_count: u32,
    pub completed_count: u32,
    pub error_count: u32,
    pub delivery_timed_out_count: u32,
    pub max_concurrency: String,
    pub max_errors: String,
}

impl CommandSummary {
    pub fn is_running(&self) -> bool {
        matches!(
            self.status.as_str(),
            "Pending" | "InProgress" | "Cancelling"
        )
    }
}

/// One target of a command (ListCommandInvocations with Details).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandInvocation {
    pub command_id: String,
    pub account_id: String,
    pub region: String,
    pub instance_id: String,
    pub instance_name: String,
    pub document_name: String,
    /// `Pending`, `InProgress`, `Delayed`, `Success`, `Cancelled`, `TimedOut`, `Failed`, `Cancelling`.
    pub status: String,
    /// Finer status (`Undeliverable`, `Delivery Timed Out`, ...).
    pub status_details: String,
    pub requested_at: Option<DateTime<Utc>>,
    pub plugins: Vec<CommandPluginOutput>,
}

/// One plugin step of an invocation (PatchLinux, PatchWindows, aws:runShellScript, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandPluginOutput {
    pub name: String,
    pub status: String,
    pub status_details: String,
    pub response_code: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Output as far as the API returned it (ListCommandInvocations: 2,500 chars;
    /// GetCommandInvocation: 24,000 stdout / 8,000 stderr).
    pub stdout: String,
    pub stderr: String,
    /// The API cut the output at its limit; the full text is only at the URLs.
    pub truncated: bool,
    pub output_url: String,
}

/// GetCommandInvocation returns the first 24,000 characters of stdout...
pub const STDOUT_LIMIT: usize = 24_000;
/// ... and the first 8,000 of stderr.
pub const STDERR_LIMIT: usize = 8_000;

/// One step's output (GetCommandInvocation with PluginName).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginOutput {
    /// PatchLinux / PatchWindows / PatchMacOS / aws:runShellScript ...
    pub name: String,
    pub status: String,
    pub status_details: String,
    pub response_code: i32,
    pub stdout: String,
    pub stderr: String,
    pub stdout_url: String,
    pub stderr_url: String,
    /// CloudWatch Logs group, when CloudWatch output is enabled for the command.
    pub cloudwatch_log_group: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// ISO-8601 duration as the API gives it (`PT12.5S`).
    pub elapsed: String,
}

impl PluginOutput {
    pub fn stdout_truncated(&self) -> bool {
        self.stdout.chars().count() >= STDOUT_LIMIT
    }
    pub fn stderr_truncated(&self) -> bool {
        self.stderr.chars().count() >= STDERR_LIMIT
    }

    /// Where the complete output is, if anywhere.
    pub fn full_output_location(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.stdout_url.is_empty() {
            parts.push(format!(
                "stdout {}",
                crate::text::sanitize(&self.stdout_url)
            ));
        }
        if !self.stderr_url.is_empty() {
            parts.push(format!(
                "stderr {}",
                crate::text::sanitize(&self.stderr_url)
            ));
        }
        if let Some(g) = self
            .cloudwatch_log_group
            .as_deref()
            .filter(|g| !g.is_empty())
        {
            parts.push(format!(
                "CloudWatch Logs group {}",
                crate::text::sanitize(g)
            ));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// A note when the API cut the output, saying where the rest is.
    pub fn truncation_note(&self) -> Option<String> {
        let what = match (self.stdout_truncated(), self.stderr_truncated()) {
            (false, false) => return None,
            (true, false) => "stdout was cut at 24,000 characters".to_string(),
            (false, true) => "stderr was cut at 8,000 characters".to_string(),
            (true, true) => "stdout was cut at 24,000 and stderr at 8,000 characters".to_string(),
        };
        let rest = match self.full_output_location() {
            Some(loc) => format!("full output: {loc}"),
            None => "the full output was not kept: send the command with an S3 bucket or CloudWatch output to keep it".to_string(),
        };
        Some(format!("Output truncated by the API: {what}; {rest}"))
    }
}

/// One SendCommand in one account and region, as the data layer sends it
/// (`crate::fleet::Ssm::send_command`). Any document; instance ids as targets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandRequest {
    /// Document name or ARN (`AWS-RunPatchBaseline`, `AWS-RunShellScript`, a shared ARN).
    pub document: String,
    /// `$DEFAULT`, `$LATEST` or a version number; `None` = the default version.
    pub document_version: Option<String>,
    /// Document parameters: name → values (SendCommand's `Parameters`).
    pub parameters: BTreeMap<String, Vec<String>>,
    /// At most 50 (SendCommand's limit for `InstanceIds`).
    pub instance_ids: Vec<String>,
    /// Delivery timeout (`TimeoutSeconds`, 30–2,592,000): a target that has not started
    /// by then does not run.
    pub timeout_seconds: Option<i32>,
    /// Execution timeout: sent as the document's `executionTimeout` parameter (only
    /// documents that declare it, such as `AWS-RunShellScript`, accept it; SendCommand
    /// refuses it with `InvalidParameters` otherwise). Overrides a value in `parameters`.
    pub execution_timeout_seconds: Option<u32>,
    /// `MaxConcurrency`: a number or a percentage.
    pub max_concurrency: Option<String>,
    /// `MaxErrors`: a number or a percentage.
    pub max_errors: Option<String>,
    /// `Comment` (at most 100 characters); empty = none.
    pub comment: Option<String>,
    /// Where the full output goes besides the API's truncated copy.
    pub output: CommandOutputConfig,
    /// Send `Targets=[{Key: "tag:K", Values: [V]}]` instead of `instance_ids` (which then
    /// list the nodes expected, for tracking; no 50-id limit applies).
    pub tag_target: Option<(String, String)>,
}

impl CommandRequest {
    /// The parameters as sent: `parameters` with `executionTimeout` applied.
    pub fn effective_parameters(&self) -> BTreeMap<String, Vec<String>> {
        let mut p = self.parameters.clone();
        if let Some(t) = self.execution_timeout_seconds {
            p.insert("executionTimeout".into(), vec![t.to_string()]);
        }
        p
    }
}

/// Full command output beyond the API's 24,000 / 8,000 characters: an S3 bucket and key
/// prefix (`OutputS3BucketName` / `OutputS3KeyPrefix`), CloudWatch Logs
/// (`CloudWatchOutputConfig`), or both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandOutputConfig {
    pub s3_bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    /// Send the output to CloudWatch Logs.
    pub cloudwatch: bool,
    /// The log group (`None` = `/aws/ssm/<document name>`, AWS's default).
    pub cloudwatch_log_group: Option<String>,
}
