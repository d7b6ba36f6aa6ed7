//! What patches the fleet, and when: maintenance windows (targets, tasks, executions), patch
//! baselines (rules, patch groups), patch associations (State Manager, Quick Setup patch
//! policies), and the coverage of each node they imply.
//!
//! Read on their own slower cadence ([`PatchSchedules::fetched_at`]) and kept in the snapshot
//! (so in its cache). Strings come from remote systems: sanitize before drawing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::collect_error::CollectError;
use super::node::Node;
use super::schedule::{NoNext, ScheduleSpec};

/// One `{Key, Values}` target as AWS writes it (`InstanceIds`, `tag:Patch Group`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TargetSpec {
    pub key: String,
    pub values: Vec<String>,
}

impl TargetSpec {
    pub fn describe(&self) -> String {
        let key = self
            .key
            .strip_prefix("tag:")
            .map_or_else(|| self.key.clone(), |k| format!("tag {k}"));
        format!("{key}={}", self.values.join(","))
    }
}

/// The nodes a set of targets resolved to when it was read (AWS resolves them at run time).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolution {
    /// Instance ids (every entry of `targets` matched).
    Nodes(Vec<String>),
    /// Every managed node of the account × region (`InstanceIds=*`).
    All,
    /// Not resolved (a resource group, an unknown key): the reason.
    Unresolved(String),
    /// Not read yet.
    #[default]
    Unknown,
}

impl Resolution {
    pub fn contains(&self, instance_id: &str) -> bool {
        match self {
            Resolution::Nodes(v) => v.iter().any(|i| i == instance_id),
            Resolution::All => true,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowTarget {
    pub target_id: String,
    pub name: String,
    pub targets: Vec<TargetSpec>,
    pub resolved: Resolution,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowTask {
    pub task_id: String,
    pub name: String,
    /// The document or ARN (`AWS-RunPatchBaseline`).
    pub task_arn: String,
    /// `RUN_COMMAND`, `AUTOMATION`, …
    pub task_type: String,
    /// `Scan` / `Install` (AWS-RunPatchBaseline's `Operation`) when the task shows it.
    pub operation: Option<String>,
    pub reboot_option: Option<String>,
    /// Window target ids it runs on (`WindowTargetIds`), or other targets verbatim.
    pub window_target_ids: Vec<String>,
    pub other_targets: Vec<TargetSpec>,
}

impl WindowTask {
    pub fn is_patch_task(&self) -> bool {
        is_patch_document(&self.task_arn)
    }
}

/// Documents that patch (or scan) nodes.
pub fn is_patch_document(doc: &str) -> bool {
    matches!(
        doc,
        "AWS-RunPatchBaseline"
            | "AWS-RunPatchBaselineAssociation"
            | "AWS-RunPatchBaselineWithHooks"
    )
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskInvocation {
    pub instance_id: String,
    pub status: String,
    pub status_details: String,
    /// The Run Command command id (opens the command output pane).
    pub command_id: String,
    pub window_target_id: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowExecution {
    pub execution_id: String,
    /// `SUCCESS`, `FAILED`, `TIMED_OUT`, …
    pub status: String,
    pub status_details: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Nodes whose invocation did not succeed, when the invocations were read (the last
    /// execution of each window); `None` = not read.
    pub failed_targets: Option<Vec<String>>,
}

impl WindowExecution {
    pub fn is_failure(&self) -> bool {
        matches!(self.status.as_str(), "FAILED" | "TIMED_OUT")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    pub account_id: String,
    pub region: String,
    pub window_id: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// As written: `cron(0 3 ? * SUN *)`.
    pub schedule: String,
    pub timezone: Option<String>,
    pub offset_days: Option<u32>,
    pub duration_hours: u32,
    pub cutoff_hours: u32,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    /// `NextExecutionTime` as AWS reported it (ssmdeck computes its own, see [`Self::next_run`]).
    pub aws_next_execution: Option<String>,
    pub targets: Vec<WindowTarget>,
    pub tasks: Vec<WindowTask>,
    /// Newest first (the last ~8 weeks read).
    pub executions: Vec<WindowExecution>,
}

impl MaintenanceWindow {
    pub fn spec(&self) -> ScheduleSpec {
        let mut s = ScheduleSpec::new(
            &self.schedule,
            self.timezone.as_deref(),
            self.offset_days.unwrap_or(0),
        );
        s.start = self.start_date;
        s.end = self.end_date;
        s
    }

    /// The next run after `now`, computed from schedule, time zone and offset.
    pub fn next_run(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, NoNext> {
        if !self.enabled {
            return Err(NoNext::Never);
        }
        let last = self.executions.first().and_then(|e| e.start);
        match self.spec().next_after(now, last) {
            // a rate() window without a run yet: AWS's own NextExecutionTime, if it sent one
            Err(NoNext::RateWithoutAnchor) => self
                .aws_next_execution
                .as_deref()
                .and_then(parse_aws_time)
                .ok_or(NoNext::RateWithoutAnchor),
            other => other,
        }
    }

    pub fn has_patch_task(&self) -> bool {
        self.tasks.iter().any(WindowTask::is_patch_task)
    }

    /// The targets its patch tasks run on.
    pub fn patch_targets(&self) -> impl Iterator<Item = &WindowTarget> {
        let ids: HashSet<&str> = self
            .tasks
            .iter()
            .filter(|t| t.is_patch_task())
            .flat_map(|t| t.window_target_ids.iter().map(String::as_str))
            .collect();
        self.targets
            .iter()
            .filter(move |t| ids.contains(t.target_id.as_str()))
    }

    /// The patch operation (`Install` wins over `Scan`; `None` when no task says).
    pub fn patch_operation(&self) -> Option<&str> {
        let ops: Vec<&str> = self
            .tasks
            .iter()
            .filter(|t| t.is_patch_task())
            .filter_map(|t| t.operation.as_deref())
            .collect();
        if ops.iter().any(|o| o.eq_ignore_ascii_case("Install")) {
            Some("Install")
        } else {
            ops.first().copied()
        }
    }

    /// Nodes its targets resolved to when read (`None` when one could not be resolved).
    pub fn target_nodes(&self) -> Option<usize> {
        let mut ids: HashSet<&str> = HashSet::new();
        for t in &self.targets {
            match &t.resolved {
                Resolution::Nodes(v) => ids.extend(v.iter().map(String::as_str)),
                _ => return None,
            }
        }
        Some(ids.len())
    }

    pub fn last_execution(&self) -> Option<&WindowExecution> {
        self.executions.first()
    }

    /// Failed executions since `since`.
    pub fn failures_since(&self, since: DateTime<Utc>) -> usize {
        self.executions
            .iter()
            .filter(|e| e.is_failure() && e.start.is_some_and(|s| s >= since))
            .count()
    }
}

/// `2026-11-29T03:00Z` (AWS's NextExecutionTime / ExecutionTime form) or RFC 3339.
pub fn parse_aws_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%MZ")
        .ok()
        .map(|t| t.and_utc())
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchRule {
    /// `(key, values)`: `("CLASSIFICATION", ["Security"])`.
    pub filters: Vec<(String, Vec<String>)>,
    pub compliance_level: Option<String>,
    pub approve_after_days: Option<i32>,
    pub approve_until_date: Option<String>,
    pub enable_non_security: bool,
}

impl PatchRule {
    /// "Security: Critical, Important — approved 7 days after release; compliance CRITICAL".
    pub fn describe(&self) -> String {
        let get = |k: &str| {
            self.filters
                .iter()
                .find(|(fk, _)| fk == k)
                .map(|(_, v)| v.join(", "))
        };
        let class = get("CLASSIFICATION")
            .or_else(|| get("PRIORITY").map(|p| format!("priority {p}")))
            .unwrap_or_else(|| "all classifications".into());
        let sev = get("SEVERITY").or_else(|| get("MSRC_SEVERITY"));
        let what = match sev {
            Some(s) => format!("{class}: {s}"),
            None => class,
        };
        let when = match (&self.approve_after_days, &self.approve_until_date) {
            (Some(0), _) => "approved at once".to_string(),
            (Some(1), _) => "approved 1 day after release".to_string(),
            (Some(d), _) => format!("approved {d} days after release"),
            (None, Some(date)) => format!("approved if released up to {date}"),
            (None, None) => "approved at once (no delay for this OS)".to_string(),
        };
        let level = self
            .compliance_level
            .as_deref()
            .map(|l| format!("; compliance level {l}"))
            .unwrap_or_default();
        let ns = if self.enable_non_security {
            "; non-security too"
        } else {
            ""
        };
        format!("{what} — {when}{level}{ns}")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchBaseline {
    pub account_id: String,
    pub region: String,
    pub baseline_id: String,
    pub name: String,
    pub operating_system: String,
    pub description: String,
    pub aws_managed: bool,
    /// The default baseline for its operating system in this account × region.
    pub default: bool,
    pub patch_groups: Vec<String>,
    /// Read with GetPatchBaseline (`false` = identity only).
    pub detailed: bool,
    pub global_filters: Vec<(String, Vec<String>)>,
    pub rules: Vec<PatchRule>,
    pub approved: Vec<String>,
    pub rejected: Vec<String>,
    pub rejected_action: Option<String>,
    /// `(name, products, configuration)`.
    pub sources: Vec<(String, Vec<String>, String)>,
    /// When GetPatchBaseline last read the rules (a custom baseline's are re-read once they
    /// are older than `fleet::schedules::BASELINE_RULES_MAX_AGE`).
    #[serde(default)]
    pub detailed_at: Option<DateTime<Utc>>,
}

impl PatchBaseline {
    pub fn rules_summary(&self) -> String {
        if !self.detailed {
            return "rules not read".into();
        }
        if self.rules.is_empty() {
            return "no approval rules".into();
        }
        self.rules
            .iter()
            .map(PatchRule::describe)
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

/// A State Manager association that runs a patch document (a Quick Setup patch policy's
/// associations among them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchAssociation {
    pub account_id: String,
    pub region: String,
    pub association_id: String,
    pub name: String,
    pub document: String,
    pub schedule: Option<String>,
    pub offset_days: Option<u32>,
    pub operation: Option<String>,
    pub reboot_option: Option<String>,
    pub targets: Vec<TargetSpec>,
    pub resolved: Resolution,
    pub status: Option<String>,
    pub last_execution: Option<DateTime<Utc>>,
    /// Status → node count (`AssociationStatusAggregatedCount`).
    pub counts: BTreeMap<String, u32>,
}

impl PatchAssociation {
    pub fn is_quick_setup(&self) -> bool {
        self.name.starts_with("AWS-QuickSetup-")
    }

    pub fn spec(&self) -> Option<ScheduleSpec> {
        self.schedule
            .as_deref()
            .map(|s| ScheduleSpec::new(s, None, self.offset_days.unwrap_or(0)))
    }

    pub fn next_run(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, NoNext> {
        self.spec()
            .ok_or(NoNext::Never)?
            .next_after(now, self.last_execution)
    }
}

/// Everything read about patch schedules, for the whole fleet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchSchedules {
    pub windows: Vec<MaintenanceWindow>,
    pub baselines: Vec<PatchBaseline>,
    pub associations: Vec<PatchAssociation>,
    /// One error per account × region and API family that could not be read (AccessDenied
    /// on these APIs is one entry per account).
    pub errors: Vec<CollectError>,
    /// Account × region pairs read successfully.
    pub read: Vec<(String, String)>,
    /// When this was read (`None` = never).
    pub fetched_at: Option<DateTime<Utc>>,
    /// Node tags, read on the same cadence (`crate::fleet::tags`).
    #[serde(default)]
    pub tags: super::tags::NodeTags,
}

/// How a node is patched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Coverage {
    /// An Install runs on it: the windows/associations that install (names).
    Install { by: Vec<String> },
    /// Only scanned: nothing installs patches on it.
    ScanOnly { by: Vec<String> },
    /// Nothing targets it.
    Uncovered,
    /// Its account × region's schedules were not read (or their targets not resolved).
    Unknown { reason: String },
}

impl Coverage {
    /// Nothing installs patches on this node (uncovered, or scanned only).
    pub fn is_uncovered(&self) -> bool {
        matches!(self, Coverage::Uncovered | Coverage::ScanOnly { .. })
    }

    pub fn label(&self) -> &'static str {
        match self {
            Coverage::Install { .. } => "yes",
            Coverage::ScanOnly { .. } => "scan only",
            Coverage::Uncovered => "no",
            Coverage::Unknown { .. } => "?",
        }
    }

    pub fn by(&self) -> &[String] {
        match self {
            Coverage::Install { by } | Coverage::ScanOnly { by } => by,
            _ => &[],
        }
    }
}

/// What patches one node, and when it runs next.
#[derive(Clone, Debug, PartialEq)]
pub struct NodePatching {
    pub coverage: Coverage,
    /// The soonest next run of what **installs** patches on it, with its name ("Next run").
    pub next_run: Option<(DateTime<Utc>, String)>,
    /// The soonest next run of what only scans it ("Next scan").
    pub next_scan: Option<(DateTime<Utc>, String)>,
    /// What targets it but will never run again (an `at()` in the past, an end date that
    /// passed): not coverage, listed with "no future run".
    pub no_future_run: Vec<String>,
}

impl PatchSchedules {
    /// The coverage of every node, keyed by (account, region, instance id).
    pub fn coverage(
        &self,
        nodes: &[Node],
        now: DateTime<Utc>,
    ) -> HashMap<(String, String, String), NodePatching> {
        nodes
            .iter()
            .zip(self.coverage_list(nodes, now))
            .map(|(n, c)| {
                (
                    (
                        n.account_id.clone(),
                        n.region.clone(),
                        n.instance_id.clone(),
                    ),
                    c,
                )
            })
            .collect()
    }

    /// The coverage of each node of `nodes`, in the same order. Linear in nodes plus
    /// resolved targets (an index per account × region), so the console can compute it for
    /// a whole fleet on every snapshot.
    pub fn coverage_list(&self, nodes: &[Node], now: DateTime<Utc>) -> Vec<NodePatching> {
        // one source: a window's patch target or a patch association
        struct Src<'a> {
            name: String,
            res: &'a Resolution,
            install: Option<bool>,
            next: Option<DateTime<Utc>>,
            /// No future run (not coverage); an unparsed schedule or a rate without an anchor
            /// is not "never": it still counts.
            ended: bool,
        }
        #[derive(Default)]
        struct Unit<'a> {
            srcs: Vec<Src<'a>>,
            by_node: HashMap<&'a str, Vec<usize>>,
            all: Vec<usize>,
            unresolved: Option<usize>,
        }
        let mut units: HashMap<(&str, &str), Unit<'_>> = HashMap::new();
        let mut srcs: Vec<(&str, &str, Src<'_>)> = Vec::new();
        for w in self
            .windows
            .iter()
            .filter(|w| w.enabled && w.has_patch_task())
        {
            let install = w
                .patch_operation()
                .map(|o| o.eq_ignore_ascii_case("Install"));
            let next = w.next_run(now);
            for t in w.patch_targets() {
                srcs.push((
                    &w.account_id,
                    &w.region,
                    Src {
                        name: format!("window {}", w.name),
                        res: &t.resolved,
                        install,
                        next: next.as_ref().ok().copied(),
                        ended: next == Err(NoNext::Never),
                    },
                ));
            }
        }
        for a in &self.associations {
            let install = a
                .operation
                .as_deref()
                .map(|o| o.eq_ignore_ascii_case("Install"));
            let next = a.next_run(now);
            srcs.push((
                &a.account_id,
                &a.region,
                Src {
                    name: format!("association {}", a.name),
                    res: &a.resolved,
                    install,
                    next: next.as_ref().ok().copied(),
                    ended: next == Err(NoNext::Never),
                },
            ));
        }
        for (account, region, src) in srcs {
            let u = units.entry((account, region)).or_default();
            let i = u.srcs.len();
            match src.res {
                Resolution::Nodes(v) => {
                    for id in v {
                        let e = u.by_node.entry(id.as_str()).or_default();
                        if e.last() != Some(&i) {
                            e.push(i);
                        }
                    }
                }
                Resolution::All => u.all.push(i),
                Resolution::Unresolved(_) | Resolution::Unknown => {
                    u.unresolved.get_or_insert(i);
                }
            }
            u.srcs.push(src);
        }
        let read: HashSet<(&str, &str)> = self
            .read
            .iter()
            .map(|(a, r)| (a.as_str(), r.as_str()))
            .collect();
        let empty = Unit::default();
        nodes
            .iter()
            .map(|n| {
                if !read.contains(&(n.account_id.as_str(), n.region.as_str())) {
                    return NodePatching {
                        coverage: Coverage::Unknown {
                            reason: "patch schedules not read for this account and region".into(),
                        },
                        next_run: None,
                        next_scan: None,
                        no_future_run: Vec::new(),
                    };
                }
                let u = units
                    .get(&(n.account_id.as_str(), n.region.as_str()))
                    .unwrap_or(&empty);
                // the sources targeting it, in the order they were read
                let mut hits: Vec<usize> = u.all.clone();
                if let Some(v) = u.by_node.get(n.instance_id.as_str()) {
                    hits.extend(v);
                }
                hits.sort_unstable();
                hits.dedup();
                let mut install = Vec::new();
                let mut scan = Vec::new();
                let mut ended = Vec::new();
                let mut next: Option<(DateTime<Utc>, String)> = None;
                let mut next_scan: Option<(DateTime<Utc>, String)> = None;
                let soonest = |slot: &mut Option<(DateTime<Utc>, String)>, s: &Src<'_>| {
                    if let Some(t) = s.next
                        && slot.as_ref().is_none_or(|(nt, _)| t < *nt)
                    {
                        *slot = Some((t, s.name.clone()));
                    }
                };
                for &i in &hits {
                    let s = &u.srcs[i];
                    if s.ended {
                        // it will never run again: it covers nothing
                        if !ended.contains(&s.name) {
                            ended.push(s.name.clone());
                        }
                    } else if s.install == Some(true) {
                        // an operation the client cannot see counts as install only when said
                        if !install.contains(&s.name) {
                            install.push(s.name.clone());
                        }
                        soonest(&mut next, s);
                    } else {
                        if !scan.contains(&s.name) {
                            scan.push(s.name.clone());
                        }
                        soonest(&mut next_scan, s);
                    }
                }
                let coverage = if !install.is_empty() {
                    Coverage::Install { by: install }
                } else if let Some(i) = u.unresolved {
                    Coverage::Unknown {
                        reason: format!("targets of {} could not be resolved", u.srcs[i].name),
                    }
                } else if !scan.is_empty() {
                    Coverage::ScanOnly { by: scan }
                } else {
                    Coverage::Uncovered
                };
                NodePatching {
                    coverage,
                    next_run: next,
                    next_scan,
                    no_future_run: ended,
                }
            })
            .collect()
    }

    /// The baseline a node uses: its reported baseline id, found in this account × region.
    pub fn baseline_of(&self, n: &Node) -> Option<&PatchBaseline> {
        let id = n.baseline_id.as_deref()?;
        self.baselines.iter().find(|b| {
            b.account_id == n.account_id
                && b.region == n.region
                && (b.baseline_id == id
                    || id.ends_with(&format!("/{}", b.baseline_id))
                    || b.baseline_id.ends_with(&format!("/{id}")))
        })
    }

    /// The index in `baselines` of each node's baseline (as [`Self::baseline_of`]), in the
    /// order of `nodes`; one hash lookup per node.
    pub fn baseline_list(&self, nodes: &[Node]) -> Vec<Option<usize>> {
        fn last(id: &str) -> &str {
            id.rsplit('/').next().unwrap_or(id)
        }
        let mut index: HashMap<(&str, &str, &str), usize> = HashMap::new();
        for (i, b) in self.baselines.iter().enumerate() {
            index
                .entry((&b.account_id, &b.region, last(&b.baseline_id)))
                .or_insert(i);
        }
        nodes
            .iter()
            .map(|n| {
                let id = n.baseline_id.as_deref()?;
                index
                    .get(&(n.account_id.as_str(), n.region.as_str(), last(id)))
                    .copied()
            })
            .collect()
    }

    pub fn window(&self, account: &str, region: &str, id: &str) -> Option<&MaintenanceWindow> {
        self.windows
            .iter()
            .find(|w| w.account_id == account && w.region == region && w.window_id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str) -> Node {
        Node {
            instance_id: id.into(),
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            ..Node::default()
        }
    }

    fn window(name: &str, op: &str, resolved: Resolution) -> MaintenanceWindow {
        MaintenanceWindow {
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            window_id: format!("mw-{name}"),
            name: name.into(),
            enabled: true,
            schedule: "cron(0 3 ? * SUN *)".into(),
            timezone: Some("Asia/Tokyo".into()),
            targets: vec![WindowTarget {
                target_id: "t1".into(),
                resolved,
                ..Default::default()
            }],
            tasks: vec![WindowTask {
                task_arn: "AWS-RunPatchBaseline".into(),
                operation: Some(op.into()),
                window_target_ids: vec!["t1".into()],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn coverage_says_what_installs_scans_or_nothing() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = PatchSchedules {
            windows: vec![
                window("install", "Install", Resolution::Nodes(vec!["i-1".into()])),
                window(
                    "scan",
                    "Scan",
                    Resolution::Nodes(vec!["i-1".into(), "i-2".into()]),
                ),
            ],
            read: vec![("111111111111".into(), "us-east-1".into())],
            ..Default::default()
        };
        let mut nodes = vec![node("i-1"), node("i-2"), node("i-3")];
        let mut other = node("i-4");
        other.region = "eu-west-1".into();
        nodes.push(other);
        let c = s.coverage(&nodes, now);
        let get =
            |id: &str, r: &str| &c[&("111111111111".to_string(), r.to_string(), id.to_string())];
        assert_eq!(
            get("i-1", "us-east-1").coverage,
            Coverage::Install {
                by: vec!["window install".into()]
            }
        );
        // Sunday 03:00 Tokyo = Saturday 18:00 UTC
        assert_eq!(
            get("i-1", "us-east-1")
                .next_run
                .as_ref()
                .unwrap()
                .0
                .to_rfc3339(),
            "2026-11-28T18:00:00+00:00"
        );
        assert!(get("i-2", "us-east-1").coverage.is_uncovered());
        assert_eq!(get("i-2", "us-east-1").coverage.label(), "scan only");
        assert_eq!(get("i-3", "us-east-1").coverage, Coverage::Uncovered);
        assert!(matches!(
            get("i-4", "eu-west-1").coverage,
            Coverage::Unknown { .. }
        ));
    }

    #[test]
    fn next_run_is_the_next_install_and_a_window_with_no_future_run_covers_nothing() {
        // Monday 2026-11-30 23:40 UTC
        let now = DateTime::parse_from_rfc3339("2026-11-30T23:40:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut once = window(
            "emergency-openssl-cve",
            "Install",
            Resolution::Nodes(vec!["i-1".into(), "i-2".into()]),
        );
        once.schedule = "at(2026-11-20T10:00:00)".into();
        once.timezone = None;
        let s = PatchSchedules {
            windows: vec![
                window(
                    "prod-patch-sun-0300",
                    "Install",
                    Resolution::Nodes(vec!["i-1".into()]),
                ),
                once,
            ],
            associations: vec![PatchAssociation {
                account_id: "111111111111".into(),
                region: "us-east-1".into(),
                name: "patch-scan-daily".into(),
                document: "AWS-RunPatchBaseline".into(),
                schedule: Some("cron(0 1 * * ? *)".into()),
                operation: Some("Scan".into()),
                resolved: Resolution::Nodes(vec!["i-1".into(), "i-2".into()]),
                ..Default::default()
            }],
            read: vec![("111111111111".into(), "us-east-1".into())],
            ..Default::default()
        };
        let c = s.coverage_list(&[node("i-1"), node("i-2")], now);
        // i-1: the daily scan runs first (01:00), but "Next run" is the install window's
        assert_eq!(
            c[0].next_run
                .as_ref()
                .map(|(t, n)| (t.to_rfc3339(), n.as_str())),
            Some((
                "2026-12-05T18:00:00+00:00".to_string(),
                "window prod-patch-sun-0300"
            ))
        );
        assert_eq!(
            c[0].next_scan.as_ref().map(|(t, _)| t.to_rfc3339()),
            Some("2026-12-01T01:00:00+00:00".to_string())
        );
        assert_eq!(
            c[0].coverage,
            Coverage::Install {
                by: vec!["window prod-patch-sun-0300".into()]
            }
        );
        assert_eq!(c[0].no_future_run, ["window emergency-openssl-cve"]);
        // i-2: only the one-off window (past) installs: scanned only, not covered
        assert_eq!(
            c[1].coverage,
            Coverage::ScanOnly {
                by: vec!["association patch-scan-daily".into()]
            }
        );
        assert!(c[1].coverage.is_uncovered());
        assert_eq!(c[1].next_run, None);
        assert_eq!(c[1].no_future_run, ["window emergency-openssl-cve"]);
    }

    #[test]
    fn unresolvable_targets_make_coverage_unknown_not_uncovered() {
        let now = Utc::now();
        let s = PatchSchedules {
            windows: vec![window(
                "rg",
                "Install",
                Resolution::Unresolved("resource group targets are not resolved".into()),
            )],
            read: vec![("111111111111".into(), "us-east-1".into())],
            ..Default::default()
        };
        let c = s.coverage(&[node("i-9")], now);
        let v = c.values().next().unwrap();
        assert!(matches!(v.coverage, Coverage::Unknown { .. }));
        assert!(!v.coverage.is_uncovered());
    }

    #[test]
    fn rules_in_words() {
        let r = PatchRule {
            filters: vec![
                ("CLASSIFICATION".into(), vec!["Security".into()]),
                (
                    "SEVERITY".into(),
                    vec!["Critical".into(), "Important".into()],
                ),
            ],
            compliance_level: Some("CRITICAL".into()),
            approve_after_days: Some(7),
            ..Default::default()
        };
        assert_eq!(
            r.describe(),
            "Security: Critical, Important — approved 7 days after release; compliance level CRITICAL"
        );
    }
}
