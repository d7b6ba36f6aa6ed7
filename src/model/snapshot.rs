//! The fleet snapshot: the one picture of the whole fleet every consumer reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::certificate::Certificate;
pub use super::collect_error::CollectError;
use super::command::CommandSummary;
use super::node::{Node, NodeKey};
use super::org::{Account, Organization};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallerIdentity {
    pub account_id: String,
    pub arn: String,
    pub user_id: String,
}

/// When one source (account × region × service) was last fetched successfully.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceStatus {
    pub account_id: String,
    pub region: String,
    pub service: String,
    pub fetched_at: Option<DateTime<Utc>>,
    pub ok: bool,
}

/// Progress of a refresh: account × region units done / total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub done: u32,
    pub total: u32,
    /// Discovery is still naming accounts: `total` grows as they stream in, so it is not
    /// yet a total (the console says "discovering" instead of a fraction).
    #[serde(default)]
    pub discovering: bool,
}

impl Progress {
    pub fn is_complete(&self) -> bool {
        self.done >= self.total
    }
}

/// An immutable snapshot of the fleet. Published (as `Arc`) to consumers as it grows:
/// `complete == false` while a refresh is still filling it in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetSnapshot {
    pub organization: Organization,
    pub caller: Option<CallerIdentity>,
    /// AWS profile in use, if any (for the header).
    pub profile: Option<String>,
    pub regions: Vec<String>,
    pub accounts: Vec<Account>,
    pub nodes: Vec<Node>,
    pub certificates: Vec<Certificate>,
    /// Recent Run Command operations (AWS-RunPatchBaseline and the ones ssmdeck sent).
    pub commands: Vec<CommandSummary>,
    pub errors: Vec<CollectError>,
    pub sources: Vec<SourceStatus>,
    /// When this snapshot's refresh started.
    pub collected_at: DateTime<Utc>,
    pub progress: Progress,
    /// The refresh finished and read everything: every discovered account, every account ×
    /// region × service. `false` while a refresh is in flight and when it finished *partial*
    /// (`missing` then says what is shown from older data or not at all, `errors` why).
    pub complete: bool,
    /// A refresh is still filling this snapshot in.
    #[serde(default)]
    pub in_progress: bool,
    /// What this snapshot could not read: each entry is covered by an error in `errors`, and
    /// says what is shown instead (the last good data, read at `last_good_at`) or nothing.
    #[serde(default)]
    pub missing: Vec<Missing>,
    /// Loaded from the on-disk cache (stale until a fresh refresh lands).
    #[serde(default)]
    pub from_cache: bool,
    /// Maintenance windows, baselines and patch associations: read on their own slower
    /// cadence (`fleet::schedules`), carried from snapshot to snapshot.
    #[serde(default)]
    pub schedules: std::sync::Arc<super::patching::PatchSchedules>,
}

/// Which part of the picture a [`Missing`] entry is about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingKind {
    /// The organization tree could not be read at all.
    #[default]
    Organization,
    /// One OU (or root): its child OUs or its accounts could not be listed.
    Ou,
    /// One account could not be entered (AssumeRole, profile credentials).
    Account,
    /// One account × region × source (`ssm`, `acm`, `ssm-commands`) could not be read.
    Source,
    /// A detail inside a source that was read (a patch-state batch, a certificate's details).
    Detail,
}

/// A part of the fleet a refresh could not read (see [`FleetSnapshot::missing`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Missing {
    pub kind: MissingKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A source name (`ssm`, `acm`, `ssm-commands`) or the failed API's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The OU or root (`Ou`): id and name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ou_name: Option<String>,
    /// Accounts shown from the last good snapshot because of this gap (`Organization`, `Ou`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_accounts: Vec<String>,
    /// The error code that caused it.
    pub code: String,
    /// When the data shown instead was last read successfully (`None`: nothing to show).
    pub last_good_at: Option<DateTime<Utc>>,
}

impl Missing {
    /// One line for people: what, where, why, and what is shown instead.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            MissingKind::Organization => "organization tree".to_string(),
            MissingKind::Ou => format!(
                "OU {} ({})",
                self.ou_name.as_deref().unwrap_or("?"),
                self.ou_id.as_deref().unwrap_or("?")
            ),
            MissingKind::Account => {
                format!("account {}", self.account_id.as_deref().unwrap_or("?"))
            }
            MissingKind::Source | MissingKind::Detail => {
                let mut parts = vec![
                    self.account_id.as_deref().unwrap_or("?"),
                    self.region.as_deref().unwrap_or("?"),
                    self.service.as_deref().unwrap_or("?"),
                ];
                if self.kind == MissingKind::Detail {
                    parts.push(self.operation.as_deref().unwrap_or("?"));
                }
                parts.join("/")
            }
        };
        let shown = match (&self.last_good_at, self.kept_accounts.len()) {
            (_, n) if n > 0 => format!(
                "; {n} account(s) kept from the last good snapshot{}",
                self.last_good_at
                    .map(|t| format!(" of {}", t.format("%Y-%m-%d %H:%M:%SZ")))
                    .unwrap_or_default()
            ),
            (Some(t), _) => format!("; showing data read {}", t.format("%Y-%m-%d %H:%M:%SZ")),
            (None, _) if self.kind == MissingKind::Detail => String::new(),
            (None, _) => "; nothing to show".into(),
        };
        format!("{what}: {}{shown}", self.code)
    }
}

impl FleetSnapshot {
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// Account name for display, falling back to the id.
    pub fn account_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.account(id).map(|a| a.name.as_str()).unwrap_or(id)
    }

    /// When the oldest data shown was last read successfully: the age the header shows (a
    /// failed refresh keeps the old data, and so this age). `None` when nothing was read.
    pub fn data_as_of(&self) -> Option<DateTime<Utc>> {
        self.sources.iter().filter_map(|s| s.fetched_at).min()
    }

    /// The refresh finished but could not read everything.
    pub fn is_partial(&self) -> bool {
        !self.in_progress && !self.complete
    }

    /// The last refresh could not reach AWS at all (its caller check failed after the
    /// control plane's retries): everything shown is older data.
    pub fn unreachable(&self) -> bool {
        self.is_partial()
            && self.missing.iter().any(|m| {
                m.kind == MissingKind::Organization
                    && m.operation.as_deref() == Some("GetCallerIdentity")
            })
    }

    pub fn node(&self, key: &NodeKey) -> Option<&Node> {
        self.nodes.iter().find(|n| {
            n.instance_id == key.instance_id
                && n.account_id == key.account_id
                && n.region == key.region
        })
    }
}
