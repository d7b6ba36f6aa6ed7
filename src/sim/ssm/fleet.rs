//! One account × region of SSM: its nodes (indexed by id), baselines and patch-group
//! mappings, maintenance windows, associations and Run Command history.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::commands::Command;
use super::node::NodeRec;
use super::page::err;
use crate::sim::ApiError;

#[derive(Clone, Debug)]
pub struct Baseline {
    pub id: String,
    pub name: String,
    pub os: &'static str,
    pub description: String,
    pub default: bool,
    pub aws_owned: bool,
    /// GetPatchBaseline's body beyond the identity (rules, filters, lists, dates).
    pub detail: super::patching::BaselineDetail,
}

pub use super::patching::{WindowExecution, WindowTarget, WindowTask};

#[derive(Clone, Debug)]
pub struct MaintenanceWindow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub duration_h: u32,
    pub cutoff_h: u32,
    pub schedule: String,
    /// IANA time zone; `None` = UTC (the field is then left out, as AWS does).
    pub timezone: Option<String>,
    pub offset: Option<u32>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub tags: Vec<(String, String)>,
    pub targets: Vec<WindowTarget>,
    pub tasks: Vec<WindowTask>,
    /// Oldest first.
    pub executions: Vec<WindowExecution>,
}

#[derive(Clone, Debug)]
pub struct Association {
    pub id: String,
    pub name: String,
    pub association_name: String,
    pub targets: Value,
    pub schedule: String,
    pub last_execution: DateTime<Utc>,
    pub status: &'static str,
    pub counts: Vec<(&'static str, u32)>,
    /// Document parameters (`{"Operation": ["Install"], ...}`).
    pub parameters: Value,
    pub offset: Option<u32>,
    pub created: DateTime<Utc>,
}

pub struct RegionFleet {
    pub account_id: String,
    pub region: String,
    pub seed: u64,
    pub nodes: Vec<NodeRec>,
    pub by_id: HashMap<String, usize>,
    pub baselines: Vec<Baseline>,
    /// (patch group, index into `baselines`).
    pub mappings: Vec<(String, usize)>,
    pub windows: Vec<MaintenanceWindow>,
    pub associations: Vec<Association>,
    /// Oldest first.
    pub commands: Vec<Command>,
    pub cmd_by_id: HashMap<String, usize>,
    /// Commands sent through the API so far (seeds their ids).
    pub sent: u64,
}

impl RegionFleet {
    pub fn empty(account_id: &str, region: &str, seed: u64) -> Self {
        RegionFleet {
            account_id: account_id.to_string(),
            region: region.to_string(),
            seed,
            nodes: Vec::new(),
            by_id: HashMap::new(),
            baselines: Vec::new(),
            mappings: Vec::new(),
            windows: Vec::new(),
            associations: Vec::new(),
            commands: Vec::new(),
            cmd_by_id: HashMap::new(),
            sent: 0,
        }
    }

    pub fn node(&self, id: &str) -> Option<&NodeRec> {
        self.by_id.get(id).map(|&i| &self.nodes[i])
    }

    pub fn node_mut(&mut self, id: &str) -> Option<&mut NodeRec> {
        self.by_id.get(id).map(|&i| &mut self.nodes[i])
    }

    /// The node, or `InvalidInstanceId` (bad pattern or not in this account × region).
    pub fn node_checked(&self, id: &str) -> Result<&NodeRec, ApiError> {
        self.node(id).ok_or_else(|| invalid_instance(id))
    }

    pub fn add_command(&mut self, c: Command) {
        self.cmd_by_id.insert(c.id.clone(), self.commands.len());
        self.commands.push(c);
    }

    pub fn command(&self, id: &str) -> Option<&Command> {
        self.cmd_by_id.get(id).map(|&i| &self.commands[i])
    }

    /// The baseline that applies to a patch group and operating system.
    pub fn baseline_for(&self, group: Option<&str>, os: &str) -> Option<&Baseline> {
        if let Some(g) = group
            && let Some((_, i)) = self
                .mappings
                .iter()
                .find(|(mg, i)| mg == g && self.baselines[*i].os == os)
        {
            return Some(&self.baselines[*i]);
        }
        self.baselines.iter().find(|b| b.default && b.os == os)
    }

    pub fn baseline_id_for(&self, n: &NodeRec) -> String {
        self.baseline_for(n.patch_group(), n.platform().os)
            .map(|b| b.id.clone())
            .unwrap_or_default()
    }

    pub fn baseline_name_for(&self, n: &NodeRec) -> String {
        self.baseline_for(n.patch_group(), n.platform().os)
            .map(|b| b.name.clone())
            .unwrap_or_default()
    }
}

pub fn invalid_instance(id: &str) -> ApiError {
    err(
        "InvalidInstanceId",
        format!("Instance {id} is not valid or is not registered in this account and region."),
    )
}
