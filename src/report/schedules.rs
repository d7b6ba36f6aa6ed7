//! The rows of `report windows` (maintenance-window executions with their failed targets)
//! and `report coverage` (nodes nothing installs patches on, by account), built from the
//! snapshot's patch schedules. Small by nature (executions, uncovered nodes): built at once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::rows::{Tabular, fmt_time};
use crate::model::FleetSnapshot;
use crate::model::patching::Coverage;
use crate::model::schedule::NoNext;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowRow {
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub window_id: String,
    pub window_name: String,
    pub schedule: String,
    pub schedule_words: String,
    pub timezone: String,
    pub execution_id: String,
    pub status: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// `None` = the execution's invocations were not read (unknown, not 0).
    pub failed_target_count: Option<u32>,
    pub failed_targets: Vec<String>,
    pub next_run: Option<DateTime<Utc>>,
}

impl Tabular for WindowRow {
    fn headers() -> &'static [&'static str] {
        &[
            "Account ID",
            "Account name",
            "Region",
            "Window ID",
            "Window name",
            "Schedule",
            "Schedule in words",
            "Time zone",
            "Execution ID",
            "Status",
            "Start",
            "End",
            "Failed targets",
            "Failed nodes",
            "Next run",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.account_id.clone(),
            self.account_name.clone(),
            self.region.clone(),
            self.window_id.clone(),
            self.window_name.clone(),
            self.schedule.clone(),
            self.schedule_words.clone(),
            self.timezone.clone(),
            self.execution_id.clone(),
            self.status.clone(),
            fmt_time(self.start),
            fmt_time(self.end),
            self.failed_target_count
                .map(|c| c.to_string())
                .unwrap_or_default(),
            self.failed_targets.join(" "),
            fmt_time(self.next_run),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoverageRow {
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub instance_id: String,
    pub instance_name: String,
    pub platform: String,
    /// `None` (JSON `null`, empty in CSV) when the node has no patch group.
    pub patch_group: Option<String>,
    /// `None` when its baseline is not known.
    pub baseline: Option<String>,
    /// `no`, `scan only`, `unknown` (the schedules could not be read).
    pub coverage: String,
    pub scanned_by: Vec<String>,
    pub reason: String,
}

impl Tabular for CoverageRow {
    fn headers() -> &'static [&'static str] {
        &[
            "Account ID",
            "Account name",
            "Region",
            "Instance ID",
            "Instance name",
            "Platform",
            "Patch group",
            "Patch baseline",
            "Covered",
            "Scanned by",
            "Reason",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.account_id.clone(),
            self.account_name.clone(),
            self.region.clone(),
            self.instance_id.clone(),
            self.instance_name.clone(),
            self.platform.clone(),
            self.patch_group.clone().unwrap_or_default(),
            self.baseline.clone().unwrap_or_default(),
            self.coverage.clone(),
            self.scanned_by.join("; "),
            self.reason.clone(),
        ]
    }
}

fn account_name(snap: &FleetSnapshot, id: &str) -> String {
    snap.account(id).map(|a| a.name.clone()).unwrap_or_default()
}

/// Every execution the snapshot holds (the report's period), newest first.
pub fn window_rows(snap: &FleetSnapshot, now: DateTime<Utc>) -> Vec<WindowRow> {
    let mut out = Vec::new();
    for w in &snap.schedules.windows {
        let next = w.next_run(now).ok();
        for e in &w.executions {
            out.push(WindowRow {
                account_id: w.account_id.clone(),
                account_name: account_name(snap, &w.account_id),
                region: w.region.clone(),
                window_id: w.window_id.clone(),
                window_name: w.name.clone(),
                schedule: w.schedule.clone(),
                schedule_words: w.spec().describe(),
                timezone: w.timezone.clone().unwrap_or_else(|| "UTC".into()),
                execution_id: e.execution_id.clone(),
                status: e.status.clone(),
                start: e.start,
                end: e.end,
                failed_target_count: e.failed_targets.as_ref().map(|f| f.len() as u32).or(
                    // a successful execution has no failed target
                    (!e.is_failure()).then_some(0),
                ),
                failed_targets: e.failed_targets.clone().unwrap_or_default(),
                next_run: next,
            });
        }
    }
    out.sort_by(|a, b| {
        (b.start, &a.account_id, &a.region, &a.window_id).cmp(&(
            a.start,
            &b.account_id,
            &b.region,
            &b.window_id,
        ))
    });
    out
}

/// Nodes nothing installs patches on (uncovered, scanned only) and nodes whose coverage
/// is not known, by account, region, instance id.
pub fn coverage_rows(snap: &FleetSnapshot, now: DateTime<Utc>) -> Vec<CoverageRow> {
    let cov = snap.schedules.coverage(&snap.nodes, now);
    let mut out: Vec<CoverageRow> = snap
        .nodes
        .iter()
        .filter_map(|n| {
            let c = cov.get(&(
                n.account_id.clone(),
                n.region.clone(),
                n.instance_id.clone(),
            ))?;
            let (label, scanned, reason) = match &c.coverage {
                Coverage::Install { .. } => return None,
                Coverage::ScanOnly { by } => (
                    "scan only",
                    by.clone(),
                    "scanned, but no window or association installs patches".to_string(),
                ),
                Coverage::Uncovered if c.no_future_run.is_empty() => (
                    "no",
                    Vec::new(),
                    "no maintenance window or patch association targets it".to_string(),
                ),
                Coverage::Uncovered => (
                    "no",
                    Vec::new(),
                    format!(
                        "only {} target(s) it, with no future run",
                        c.no_future_run.join(", ")
                    ),
                ),
                Coverage::Unknown { reason } => ("unknown", Vec::new(), reason.clone()),
            };
            let baseline = snap
                .schedules
                .baseline_of(n)
                .map(|b| b.name.clone())
                .or_else(|| n.baseline_id.as_deref().map(str::to_string))
                .filter(|b| !b.is_empty());
            Some(CoverageRow {
                account_id: n.account_id.clone(),
                account_name: account_name(snap, &n.account_id),
                region: n.region.clone(),
                instance_id: n.instance_id.clone(),
                instance_name: n.name.clone(),
                platform: n.platform_name.to_string(),
                patch_group: n
                    .patch_group
                    .as_deref()
                    .filter(|g| !g.is_empty())
                    .map(str::to_string),
                baseline,
                coverage: label.to_string(),
                scanned_by: scanned,
                reason,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.account_id, &a.region, &a.instance_id).cmp(&(&b.account_id, &b.region, &b.instance_id))
    });
    out
}

/// Keep only executions that started within `days` of `now` (the windows report's period).
pub fn keep_recent_executions(snap: &mut FleetSnapshot, now: DateTime<Utc>, days: i64) {
    let since = now - chrono::Duration::days(days.max(1));
    let mut s = (*snap.schedules).clone();
    for w in &mut s.windows {
        w.executions.retain(|e| e.start.is_some_and(|t| t >= since));
    }
    snap.schedules = std::sync::Arc::new(s);
}

/// `--fail-on uncovered`: one line per account with uncovered nodes.
pub fn uncovered_reasons(snap: &FleetSnapshot, now: DateTime<Utc>) -> Vec<String> {
    let rows = coverage_rows(snap, now);
    let mut by_acct: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for r in rows.iter().filter(|r| r.coverage != "unknown") {
        by_acct
            .entry(&r.account_id)
            .or_default()
            .push(&r.instance_id);
    }
    by_acct
        .into_iter()
        .map(|(a, ids)| {
            let shown: Vec<&str> = ids.iter().take(3).copied().collect();
            let more = ids.len() - shown.len();
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(
                "uncovered: {} node(s) in account {a} that no window or patch association installs patches on ({}{more})",
                ids.len(),
                shown.join(", ")
            )
        })
        .collect()
}

/// `--fail-on window-failed`: windows whose last execution (in the period) failed.
pub fn window_failed_reasons(snap: &FleetSnapshot) -> Vec<String> {
    snap.schedules
        .windows
        .iter()
        .filter_map(|w| {
            let e = w.last_execution()?;
            e.is_failure().then(|| {
                let failed = e
                    .failed_targets
                    .as_ref()
                    .map(|f| format!(", {} failed target(s)", f.len()))
                    .unwrap_or_default();
                format!(
                    "window-failed: {} ({}) in {}/{}: last execution {} {}{failed}",
                    crate::text::sanitize(&w.name),
                    w.window_id,
                    w.account_id,
                    w.region,
                    e.status,
                    fmt_time(e.start)
                )
            })
        })
        .collect()
}

/// A next run in words for tables: the time, or why there is none.
pub fn next_label(r: &Result<DateTime<Utc>, NoNext>) -> String {
    match r {
        Ok(t) => fmt_time(Some(*t)),
        Err(NoNext::Unparsed) => "(?) schedule not understood".into(),
        Err(NoNext::UnknownTimezone(tz)) => format!("(?) unknown time zone {tz}"),
        Err(NoNext::RateWithoutAnchor) => "after the first run".into(),
        Err(NoNext::Never) => "none".into(),
    }
}
