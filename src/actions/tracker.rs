//! Live state of one or more running commands (pure): one row per target with status,
//! response code and duration, counts per status and overall progress. The watcher feeds it
//! ListCommandInvocations results; the command pane draws it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::model::{CommandInvocation, CommandPluginOutput, CommandSummary, NodeKey};

/// Statuses in display order (others sort after these, alphabetically).
pub const STATUS_ORDER: &[&str] = &[
    "Pending",
    "InProgress",
    "Delayed",
    "Cancelling",
    "Success",
    "Failed",
    "TimedOut",
    "DeliveryTimedOut",
    "ExecutionTimedOut",
    "Cancelled",
    "Undeliverable",
    "Terminated",
    "InvalidPlatform",
    "AccessDenied",
];

/// The status a user should see: the finer StatusDetails when it says more than Status
/// (Undeliverable, Delivery Timed Out, ...), else Status (`""` = Pending).
pub fn display_status(status: &str, details: &str) -> String {
    let d = match details.trim() {
        "Undeliverable" => Some("Undeliverable"),
        "Delivery Timed Out" | "DeliveryTimedOut" => Some("DeliveryTimedOut"),
        "Execution Timed Out" | "ExecutionTimedOut" => Some("ExecutionTimedOut"),
        "Terminated" => Some("Terminated"),
        "InvalidPlatform" | "Invalid Platform" => Some("InvalidPlatform"),
        "Access Denied" | "AccessDenied" => Some("AccessDenied"),
        _ => None,
    };
    match d {
        Some(d) => d.to_string(),
        None if status.trim().is_empty() => "Pending".to_string(),
        None => crate::text::sanitize(status),
    }
}

/// A finished invocation: it will not change any more.
pub fn is_terminal(display_status: &str) -> bool {
    !matches!(
        display_status,
        "Pending" | "InProgress" | "Delayed" | "Cancelling"
    )
}

/// One target of a command.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetRow {
    pub key: NodeKey,
    pub command_id: String,
    pub instance_name: String,
    /// See [`display_status`].
    pub status: String,
    pub status_details: String,
    /// `None` until a step finished (`-1` from the API = not started).
    pub response_code: Option<i32>,
    pub requested_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Steps with the (≤ 2,500 chars) output ListCommandInvocations returned.
    pub plugins: Vec<CommandPluginOutput>,
}

impl TargetRow {
    pub fn is_terminal(&self) -> bool {
        is_terminal(&self.status)
    }

    /// Running time so far (or total when finished).
    pub fn duration(&self, now: DateTime<Utc>) -> Option<Duration> {
        let start = self.started_at?;
        let end = if self.is_terminal() {
            self.finished_at.unwrap_or(now)
        } else {
            now
        };
        Some((end - start).max(Duration::zero()))
    }
}

/// One command being tracked.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackedCommand {
    pub command_id: String,
    pub account_id: String,
    pub region: String,
    pub document_name: String,
    pub instance_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommandTracker {
    commands: Vec<TrackedCommand>,
    rows: Vec<TargetRow>,
    index: HashMap<(String, String), usize>,
}

impl CommandTracker {
    /// Track these commands; every target starts Pending until the API reports it.
    pub fn new(commands: &[CommandSummary]) -> Self {
        let mut t = CommandTracker::default();
        for c in commands {
            t.add_command(c);
        }
        t
    }

    pub fn add_command(&mut self, c: &CommandSummary) {
        self.commands.push(TrackedCommand {
            command_id: c.command_id.clone(),
            account_id: c.account_id.clone(),
            region: c.region.clone(),
            document_name: c.document_name.clone(),
            instance_ids: c.instance_ids.clone(),
        });
        for id in &c.instance_ids {
            self.insert_row(TargetRow {
                key: NodeKey {
                    account_id: c.account_id.clone(),
                    region: c.region.clone(),
                    instance_id: id.clone(),
                },
                command_id: c.command_id.clone(),
                instance_name: String::new(),
                status: "Pending".into(),
                status_details: String::new(),
                response_code: None,
                requested_at: c.requested_at,
                started_at: None,
                finished_at: None,
                plugins: Vec::new(),
            });
        }
    }

    fn insert_row(&mut self, row: TargetRow) -> usize {
        let k = (row.command_id.clone(), row.key.instance_id.clone());
        if let Some(&i) = self.index.get(&k) {
            return i;
        }
        self.rows.push(row);
        self.index.insert(k, self.rows.len() - 1);
        self.rows.len() - 1
    }

    pub fn commands(&self) -> &[TrackedCommand] {
        &self.commands
    }

    pub fn rows(&self) -> &[TargetRow] {
        &self.rows
    }

    pub fn row(&self, command_id: &str, instance_id: &str) -> Option<&TargetRow> {
        self.index
            .get(&(command_id.to_string(), instance_id.to_string()))
            .map(|&i| &self.rows[i])
    }

    /// Fold in invocations (from ListCommandInvocations); returns whether anything changed.
    pub fn apply(&mut self, invocations: &[CommandInvocation]) -> bool {
        let mut changed = false;
        for inv in invocations {
            let idx = match self
                .index
                .get(&(inv.command_id.clone(), inv.instance_id.clone()))
            {
                Some(&i) => i,
                None => {
                    // a target we did not know (Targets-based command): track it too
                    changed = true;
                    self.insert_row(TargetRow {
                        key: NodeKey {
                            account_id: inv.account_id.clone(),
                            region: inv.region.clone(),
                            instance_id: inv.instance_id.clone(),
                        },
                        command_id: inv.command_id.clone(),
                        instance_name: String::new(),
                        status: "Pending".into(),
                        status_details: String::new(),
                        response_code: None,
                        requested_at: inv.requested_at,
                        started_at: None,
                        finished_at: None,
                        plugins: Vec::new(),
                    })
                }
            };
            let next = row_from(&self.rows[idx], inv);
            if next != self.rows[idx] {
                self.rows[idx] = next;
                changed = true;
            }
        }
        changed
    }

    /// (status, count) in [`STATUS_ORDER`], only statuses present.
    pub fn counts(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &self.rows {
            *m.entry(r.status.as_str()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        v.sort_by_key(|(k, _)| {
            (
                STATUS_ORDER
                    .iter()
                    .position(|s| s == k)
                    .unwrap_or(STATUS_ORDER.len()),
                k.clone(),
            )
        });
        v
    }

    /// (finished, total) targets.
    pub fn progress(&self) -> (usize, usize) {
        (
            self.rows.iter().filter(|r| r.is_terminal()).count(),
            self.rows.len(),
        )
    }

    /// Run Command does not know this command (any more): its targets will never report;
    /// they read [`super::watch::NOT_IN_HISTORY`] (a final state).
    pub fn mark_not_in_history(&mut self, command_id: &str) {
        for r in self.rows.iter_mut().filter(|r| r.command_id == command_id) {
            if !r.is_terminal() {
                r.status = super::watch::NOT_IN_HISTORY.into();
                r.status_details = "not in Run Command history (kept 30 days)".into();
            }
        }
    }

    pub fn is_done(&self) -> bool {
        self.rows.iter().all(|r| r.is_terminal())
    }

    /// Whether this command's targets are all finished.
    pub fn command_done(&self, command_id: &str) -> bool {
        self.rows
            .iter()
            .filter(|r| r.command_id == command_id)
            .all(|r| r.is_terminal())
    }

    /// Every target's node key (deduplicated), e.g. to refresh them afterwards.
    pub fn node_keys(&self) -> Vec<NodeKey> {
        let mut v: Vec<NodeKey> = self.rows.iter().map(|r| r.key.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// "37/120 done · 30 Success · 5 Failed · 2 Undeliverable · 83 InProgress"
    pub fn summary(&self) -> String {
        let (done, total) = self.progress();
        let counts = self
            .counts()
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(" · ");
        format!("{done}/{total} done · {counts}")
    }
}

fn row_from(prev: &TargetRow, inv: &CommandInvocation) -> TargetRow {
    let status = display_status(&inv.status, &inv.status_details);
    let started = inv.plugins.iter().filter_map(|p| p.started_at).min();
    let finished = inv.plugins.iter().filter_map(|p| p.finished_at).max();
    let code = inv
        .plugins
        .iter()
        .filter(|p| p.response_code != -1 && p.finished_at.is_some())
        .map(|p| p.response_code)
        .find(|c| *c != 0)
        .or_else(|| {
            inv.plugins
                .iter()
                .any(|p| p.response_code != -1 && p.finished_at.is_some())
                .then_some(0)
        });
    TargetRow {
        key: prev.key.clone(),
        command_id: prev.command_id.clone(),
        instance_name: if inv.instance_name.is_empty() {
            prev.instance_name.clone()
        } else {
            crate::text::sanitize(&inv.instance_name)
        },
        status,
        status_details: crate::text::sanitize(&inv.status_details),
        response_code: code.or(prev.response_code),
        requested_at: inv.requested_at.or(prev.requested_at),
        started_at: started.or(prev.started_at),
        finished_at: finished.or(prev.finished_at),
        plugins: if inv.plugins.is_empty() {
            prev.plugins.clone()
        } else {
            inv.plugins.clone()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(id: &str, n: usize) -> CommandSummary {
        CommandSummary {
            command_id: id.into(),
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            document_name: "AWS-RunPatchBaseline".into(),
            instance_ids: (0..n).map(|i| format!("i-{i:017x}")).collect(),
            ..CommandSummary::default()
        }
    }

    fn inv(id: &str, i: usize, status: &str, details: &str, code: i32) -> CommandInvocation {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        CommandInvocation {
            command_id: id.into(),
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            instance_id: format!("i-{i:017x}"),
            instance_name: format!("web-{i}"),
            status: status.into(),
            status_details: details.into(),
            plugins: vec![CommandPluginOutput {
                name: "PatchLinux".into(),
                status: status.into(),
                response_code: code,
                started_at: Some(t0),
                finished_at: (status != "InProgress").then(|| t0 + Duration::seconds(42)),
                ..CommandPluginOutput::default()
            }],
            ..CommandInvocation::default()
        }
    }

    #[test]
    fn targets_start_pending_and_progress_as_reported() {
        let mut t = CommandTracker::new(&[cmd("c1", 3)]);
        assert_eq!(t.progress(), (0, 3));
        assert_eq!(t.counts(), vec![("Pending".to_string(), 3)]);
        assert!(t.apply(&[inv("c1", 0, "InProgress", "In Progress", -1)]));
        assert!(
            !t.apply(&[inv("c1", 0, "InProgress", "In Progress", -1)]),
            "no change"
        );
        assert!(t.apply(&[
            inv("c1", 0, "Success", "Success", 0),
            inv("c1", 1, "Failed", "Failed", 1),
            inv("c1", 2, "Failed", "Undeliverable", -1),
        ]));
        assert!(t.is_done());
        assert_eq!(
            t.counts(),
            vec![
                ("Success".to_string(), 1),
                ("Failed".to_string(), 1),
                ("Undeliverable".to_string(), 1)
            ]
        );
        let r = t.row("c1", &format!("i-{:017x}", 1)).unwrap();
        assert_eq!(r.response_code, Some(1));
        assert_eq!(r.instance_name, "web-1");
        assert_eq!(r.duration(Utc::now()), Some(Duration::seconds(42)));
        let r = t.row("c1", &format!("i-{:017x}", 2)).unwrap();
        assert_eq!(r.response_code, None, "never ran");
        assert_eq!(
            t.summary(),
            "3/3 done · 1 Success · 1 Failed · 1 Undeliverable"
        );
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(
            display_status("TimedOut", "Delivery Timed Out"),
            "DeliveryTimedOut"
        );
        assert_eq!(display_status("", ""), "Pending");
        assert_eq!(display_status("Delayed", "Delayed"), "Delayed");
        for s in ["Pending", "InProgress", "Delayed", "Cancelling"] {
            assert!(!is_terminal(s));
        }
        for s in [
            "Success",
            "Failed",
            "TimedOut",
            "Cancelled",
            "Undeliverable",
        ] {
            assert!(is_terminal(s));
        }
    }

    #[test]
    fn two_commands_tracked_separately() {
        let mut b = cmd("c2", 2);
        b.region = "eu-west-1".into();
        let mut t = CommandTracker::new(&[cmd("c1", 2), b]);
        assert_eq!(t.rows().len(), 4);
        t.apply(&[
            inv("c1", 0, "Success", "Success", 0),
            inv("c1", 1, "Success", "Success", 0),
        ]);
        assert!(t.command_done("c1"));
        assert!(!t.command_done("c2"));
        assert_eq!(t.node_keys().len(), 4);
    }
}
