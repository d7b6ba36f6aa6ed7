//! One account × region of SSM: its nodes (indexed by id), baselines and patch-group
//! mappings, maintenance windows, associations and Run Command history.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::commands::Command;
use super::node::NodeRec;
use super::page::err;
use crate::model::schedule::{Schedule, ScheduleSpec};
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
    /// UTC (associations have no time zone); `rate()` counts from `created`.
    pub schedule: String,
    /// The status of its runs: `Failed` when any target failed, else `Success` (or
    /// `Pending` before a first run), as `AssociationOverview.Status` says.
    pub status: &'static str,
    /// Targeted nodes by status (`AssociationStatusAggregatedCount`): they add up to the
    /// nodes its targets select.
    pub counts: Vec<(&'static str, u32)>,
    /// Document parameters (`{"Operation": ["Install"], ...}`).
    pub parameters: Value,
    pub offset: Option<u32>,
    pub created: DateTime<Utc>,
}

/// How far back association executions are listed (DescribeAssociationExecutions).
pub const ASSOCIATION_HISTORY_DAYS: i64 = 30;

impl Association {
    fn spec(&self) -> ScheduleSpec {
        ScheduleSpec::new(&self.schedule, None, self.offset.unwrap_or(0))
    }

    /// Its runs in the last [`ASSOCIATION_HISTORY_DAYS`] up to `now`, oldest first: at the
    /// cron's times (UTC, shifted by the offset), or every `rate()` interval counted from its
    /// creation (State Manager runs a new association at once, then on its schedule).
    pub fn runs(&self, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let spec = self.spec();
        let from = (now - Duration::days(ASSOCIATION_HISTORY_DAYS)).max(self.created);
        let mut out = Vec::new();
        let mut t = from - Duration::seconds(1);
        while let Ok(n) = spec.next_after(t, Some(self.created)) {
            if n > now {
                break;
            }
            out.push(n);
            t = n;
        }
        out
    }

    /// Its last run at `now` (its creation when it has not run on its schedule yet).
    pub fn last_run(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let spec = self.spec();
        if let Schedule::Rate { value, unit } = &spec.schedule {
            let step = Duration::seconds(*value as i64 * unit.seconds());
            return match spec.next_after(now, Some(self.created)) {
                Ok(next) if next - step >= self.created => next - step,
                _ => self.created,
            };
        }
        // a cron: its occurrences of the last month (associations run at least monthly here)
        let mut last = self.created;
        let mut t = (now - Duration::days(32)).max(self.created);
        while let Ok(n) = spec.next_after(t, None) {
            if n > now {
                break;
            }
            last = n;
            t = n;
        }
        last
    }
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
