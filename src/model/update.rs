//! What the data layer sends to its consumers: snapshots with their aggregates, and the
//! answers of on-demand per-node reads.

use std::sync::Arc;

use super::aggregate::Aggregates;
use super::command::CommandInvocation;
use super::node::NodeKey;
use super::patch::{NodeInventory, Patch};
use super::snapshot::FleetSnapshot;

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
