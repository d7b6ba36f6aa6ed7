//! The fleet snapshot: the one picture of the whole fleet every consumer reads.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::aggregate::Aggregates;
use super::certificate::Certificate;
use super::command::{CommandInvocation, CommandSummary};
use super::node::{Node, NodeKey};
use super::org::{Account, Organization};
use super::patch::{NodeInventory, Patch};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallerIdentity {
    pub account_id: String,
    pub arn: String,
    pub user_id: String,
}

/// Something that could not be read, recorded against its account / region / service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectError {
    /// `None` for organization-wide failures (e.g. Organizations itself).
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// `sts`, `organizations`, `ssm`, `acm`.
    pub service: String,
    /// The API operation that failed (`DescribeInstanceInformation`, ...).
    pub operation: String,
    /// AWS error code (`AccessDenied`, `ThrottlingException`, ...) or a client-side class
    /// (`Timeout`, `DispatchFailure`, `ResponseError`).
    pub code: String,
    pub message: String,
    pub at: Option<DateTime<Utc>>,
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
    /// All account × region units have reported.
    pub complete: bool,
    /// Loaded from the on-disk cache (stale until a fresh refresh lands).
    #[serde(default)]
    pub from_cache: bool,
}

impl FleetSnapshot {
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// Account name for display, falling back to the id.
    pub fn account_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.account(id).map(|a| a.name.as_str()).unwrap_or(id)
    }

    pub fn node(&self, key: &NodeKey) -> Option<&Node> {
        self.nodes.iter().find(|n| {
            n.instance_id == key.instance_id
                && n.account_id == key.account_id
                && n.region == key.region
        })
    }
}

/// What the data layer sends to its consumers (the console's update loop, the headless commands).
#[derive(Clone, Debug)]
pub enum FleetUpdate {
    /// A new (possibly partial) snapshot with its aggregates, computed once per update.
    Snapshot {
        snapshot: Arc<FleetSnapshot>,
        aggregates: Arc<Aggregates>,
    },
    /// On-demand per-node patch list (DescribeInstancePatches).
    NodePatches {
        key: NodeKey,
        result: Result<Vec<Patch>, String>,
    },
    /// On-demand per-node inventory (ListInventoryEntries).
    NodeInventory {
        key: NodeKey,
        result: Result<NodeInventory, String>,
    },
    /// On-demand recent invocations on one node.
    NodeCommands {
        key: NodeKey,
        result: Result<Vec<CommandInvocation>, String>,
    },
    /// A one-line note for the user (e.g. "credentials expired: run `aws sso login --profile X`").
    Notice { message: String, is_error: bool },
}
