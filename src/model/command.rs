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
