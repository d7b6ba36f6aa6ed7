//! The patching machinery of one account × region, generated coherently with its nodes:
//! baseline approval rules per environment, maintenance windows (AWS cron/rate/at schedules,
//! time zones, offsets) with targets and `AWS-RunPatchBaseline` tasks, ~8 weeks of executions,
//! and a Quick Setup patch policy in some accounts.
//!
//! Coherence rules (what a user can cross-check in the console):
//! - an execution's task invocations are the nodes its targets resolve to at that time; the
//!   FAILED ones are exactly the nodes that report failed patches (`FailedCount > 0`); a node
//!   that was offline, or never ran the agent's patch plugin, times out;
//! - a node an Install window reached reports that execution as its last Install
//!   (`OperationStartTime`/`OperationEndTime` of its patch state);
//! - uncovered on purpose: the `Staging` group has a window only in the account's first
//!   region, and nodes without a `Patch Group`/`PatchGroup` tag (hybrid ones among them) are in
//!   no tag target.
//!
//! Everything here draws from its own random streams, so the older parts of the world (node
//! ids, command history) do not move.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::commands::{
    Command, Doc, IStatus, Invocation as RcInvocation, Plan, RunResult, lifecycle,
};
use super::fleet::{Association, Baseline, MaintenanceWindow, RegionFleet};
use super::node::{NodeRec, Operation};
use crate::model::schedule::ScheduleSpec;
use crate::sim::rng::Rng;

/// How far back executions are generated.
pub const HISTORY_DAYS: i64 = 56;

#[derive(Clone, Debug, Default)]
pub struct PatchRule {
    /// `(key, values)`, e.g. `("CLASSIFICATION", ["Security"])`.
    pub filters: Vec<(&'static str, Vec<&'static str>)>,
    pub compliance: &'static str,
    pub approve_after_days: Option<u32>,
    pub enable_non_security: bool,
}

#[derive(Clone, Debug, Default)]
pub struct BaselineDetail {
    pub global_filters: Vec<(&'static str, Vec<&'static str>)>,
    pub rules: Vec<PatchRule>,
    pub approved: Vec<String>,
    pub approved_compliance: &'static str,
    pub rejected: Vec<String>,
    pub rejected_action: &'static str,
    /// `(name, products, configuration)`.
    pub sources: Vec<(String, Vec<String>, String)>,
    pub created: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct WindowTarget {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `[{Key, Values}]` as registered.
    pub targets: Value,
}

#[derive(Clone, Debug)]
pub struct WindowTask {
    pub id: String,
    pub name: String,
    pub document: &'static str,
    /// `Scan` / `Install` for AWS-RunPatchBaseline.
    pub operation: Option<&'static str>,
    pub reboot: Option<&'static str>,
    pub priority: u32,
    /// Window target ids this task runs on.
    pub target_ids: Vec<String>,
    pub max_concurrency: &'static str,
    pub max_errors: &'static str,
}

#[derive(Clone, Debug)]
pub struct WindowExecution {
    pub id: String,
    pub task_execution_id: String,
    /// The Run Command command the task sent (invocations' `ExecutionId`).
    pub command_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `SUCCESS` / `FAILED`.
    pub status: &'static str,
    pub details: &'static str,
}

/// One task invocation (one node) of an execution, derived on demand.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub id: String,
    pub node_id: String,
    pub target_id: String,
    pub status: &'static str,
    pub details: &'static str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------
// baselines

fn linux_rules(group: &str) -> Vec<PatchRule> {
    match group {
        "Production" => vec![
            PatchRule {
                filters: vec![
                    ("CLASSIFICATION", vec!["Security"]),
                    ("SEVERITY", vec!["Critical", "Important"]),
                ],
                compliance: "CRITICAL",
                approve_after_days: Some(7),
                enable_non_security: false,
            },
            PatchRule {
                filters: vec![("CLASSIFICATION", vec!["Bugfix"])],
                compliance: "MEDIUM",
                approve_after_days: Some(14),
                enable_non_security: false,
            },
        ],
        "Staging" => vec![PatchRule {
            filters: vec![
                ("CLASSIFICATION", vec!["Security", "Bugfix"]),
                ("SEVERITY", vec!["Critical", "Important", "Medium"]),
            ],
            compliance: "HIGH",
            approve_after_days: Some(3),
            enable_non_security: false,
        }],
        _ => vec![PatchRule {
            filters: vec![("CLASSIFICATION", vec!["Security", "Bugfix", "Enhancement"])],
            compliance: "MEDIUM",
            approve_after_days: Some(0),
            enable_non_security: true,
        }],
    }
}

fn windows_rules(group: &str) -> Vec<PatchRule> {
    let (classes, sev, days, level): (Vec<&'static str>, Vec<&'static str>, u32, &'static str) =
        match group {
            "Production" => (
                vec!["CriticalUpdates", "SecurityUpdates"],
                vec!["Critical", "Important"],
                7,
                "CRITICAL",
            ),
            "Staging" => (
                vec!["CriticalUpdates", "SecurityUpdates", "UpdateRollups"],
                vec!["Critical", "Important", "Moderate"],
                3,
                "HIGH",
            ),
            _ => (
                vec!["CriticalUpdates", "SecurityUpdates", "Updates"],
                vec!["Critical", "Important", "Moderate", "Low"],
                0,
                "MEDIUM",
            ),
        };
    vec![PatchRule {
        filters: vec![
            ("PRODUCT", vec!["WindowsServer2019", "WindowsServer2022"]),
            ("CLASSIFICATION", classes),
            ("MSRC_SEVERITY", sev),
        ],
        compliance: level,
        approve_after_days: Some(days),
        enable_non_security: false,
    }]
}

/// Ubuntu and Debian take no approval delay or date (Patch Manager docs); priority filters.
fn debian_rules(group: &str) -> Vec<PatchRule> {
    let prio: Vec<&'static str> = if group == "Production" {
        vec!["Required", "Important"]
    } else {
        vec!["Required", "Important", "Standard", "Optional"]
    };
    vec![PatchRule {
        filters: vec![("PRIORITY", prio), ("SECTION", vec!["*"])],
        compliance: if group == "Production" {
            "CRITICAL"
        } else {
            "MEDIUM"
        },
        approve_after_days: None,
        enable_non_security: false,
    }]
}

/// The detail of a custom baseline of an environment (`group`) for an operating system.
pub fn custom_detail(group: &str, os: &str, epoch: DateTime<Utc>, r: &mut Rng) -> BaselineDetail {
    let rules = match os {
        "WINDOWS" => windows_rules(group),
        "UBUNTU" | "DEBIAN" => debian_rules(group),
        _ => linux_rules(group),
    };
    let (approved, rejected): (Vec<String>, Vec<String>) = match (group, os) {
        ("Production", "WINDOWS") => (vec!["KB5034441".into()], vec!["KB5034439".into()]),
        ("Production", "REDHAT_ENTERPRISE_LINUX") => (Vec::new(), vec!["openssl-3.0.7-*".into()]),
        ("Production", _) => (Vec::new(), vec!["kernel-6.1.55-*".into()]),
        ("Staging", "WINDOWS") => (vec!["KB5034441".into()], Vec::new()),
        _ => (Vec::new(), Vec::new()),
    };
    let sources = if os == "REDHAT_ENTERPRISE_LINUX" && group == "Production" {
        vec![(
            "internal-mirror".to_string(),
            vec!["RedhatEnterpriseLinux9.2".to_string()],
            "[internal-mirror]\nname=Internal RHEL mirror\nbaseurl=https://mirror.corp.example.com/rhel9\nenabled=1".to_string(),
        )]
    } else {
        Vec::new()
    };
    let created = epoch - Duration::days(r.range(200, 900));
    BaselineDetail {
        global_filters: if os == "WINDOWS" {
            Vec::new()
        } else {
            vec![("PRODUCT", vec!["*"])]
        },
        rules,
        approved,
        approved_compliance: "UNSPECIFIED",
        rejected,
        rejected_action: "BLOCK",
        sources,
        created: Some(created),
        modified: Some(created + Duration::days(r.range(1, 180))),
    }
}

/// AWS-managed default baselines: security updates approved 7 days after release
/// (Linux: Critical/Important security and Bugfix; Windows: critical and security updates;
/// Ubuntu/Debian: priorities, no delay), compliance level UNSPECIFIED.
pub fn aws_detail(os: &str) -> BaselineDetail {
    let rules = match os {
        "WINDOWS" => vec![PatchRule {
            filters: vec![
                ("PRODUCT", vec!["*"]),
                ("CLASSIFICATION", vec!["CriticalUpdates", "SecurityUpdates"]),
                ("MSRC_SEVERITY", vec!["Critical", "Important"]),
            ],
            compliance: "UNSPECIFIED",
            approve_after_days: Some(7),
            enable_non_security: false,
        }],
        "UBUNTU" | "DEBIAN" => vec![PatchRule {
            filters: vec![
                ("PRIORITY", vec!["Required", "Important", "Standard"]),
                ("SECTION", vec!["*"]),
            ],
            compliance: "UNSPECIFIED",
            approve_after_days: None,
            enable_non_security: false,
        }],
        _ => vec![
            PatchRule {
                filters: vec![
                    ("CLASSIFICATION", vec!["Security"]),
                    ("SEVERITY", vec!["Critical", "Important"]),
                ],
                compliance: "UNSPECIFIED",
                approve_after_days: Some(7),
                enable_non_security: false,
            },
            PatchRule {
                filters: vec![("CLASSIFICATION", vec!["Bugfix"])],
                compliance: "UNSPECIFIED",
                approve_after_days: Some(7),
                enable_non_security: false,
            },
        ],
    };
    BaselineDetail {
        global_filters: if os == "WINDOWS" {
            Vec::new()
        } else {
            vec![("PRODUCT", vec!["*"])]
        },
        rules,
        approved_compliance: "UNSPECIFIED",
        rejected_action: "ALLOW_AS_DEPENDENCY",
        ..Default::default()
    }
}

/// Development baselines (approve at once), from their own stream.
pub fn development_baselines(f: &mut RegionFleet, seed: u64, epoch: DateTime<Utc>) {
    let mut r = Rng::derive(
        seed,
        &format!("ssm/{}/{}/dev-baselines", f.account_id, f.region),
    );
    for (os, label) in [
        ("AMAZON_LINUX_2023", "AmazonLinux2023"),
        ("UBUNTU", "Ubuntu"),
        ("WINDOWS", "WindowsServer"),
    ] {
        f.baselines.push(Baseline {
            id: format!("pb-0{}", r.hex(16)),
            name: format!("Development-{label}"),
            os,
            description: "Development: security, bugfix and enhancement updates approved at once."
                .into(),
            default: false,
            aws_owned: false,
            detail: custom_detail("Development", os, epoch, &mut r),
        });
        f.mappings
            .push(("Development".to_string(), f.baselines.len() - 1));
    }
}

// ---------------------------------------------------------------------------------------
// windows

struct Spec {
    name: &'static str,
    description: &'static str,
    schedule: String,
    timezone: Option<&'static str>,
    offset: Option<u32>,
    duration_h: u32,
    cutoff_h: u32,
    enabled: bool,
    document: &'static str,
    operation: Option<&'static str>,
    reboot: Option<&'static str>,
    targets: Targeting,
}

enum Targeting {
    /// `tag:Patch Group` and `tag:PatchGroup` = the group (two window targets).
    PatchGroupTags,
    /// Explicit instance ids (Windows nodes of the group, at most 50).
    WindowsInstances,
    /// `tag:Environment` = the short environment name.
    Environment(&'static str),
}

fn specs(group: &str, region_idx: usize, epoch: DateTime<Utc>) -> Vec<Spec> {
    let patch = |name, description, schedule: &str, tz, dur, cutoff| Spec {
        name,
        description,
        schedule: schedule.to_string(),
        timezone: tz,
        offset: None,
        duration_h: dur,
        cutoff_h: cutoff,
        enabled: true,
        document: "AWS-RunPatchBaseline",
        operation: Some("Install"),
        reboot: Some("RebootIfNeeded"),
        targets: Targeting::PatchGroupTags,
    };
    match group {
        "Production" => {
            let mut v = vec![
                patch(
                    "prod-patch-sun-0300",
                    "Production: install approved patches, Sunday 03:00 Tokyo",
                    "cron(0 3 ? * SUN *)",
                    Some("Asia/Tokyo"),
                    4,
                    1,
                ),
                Spec {
                    offset: Some(2),
                    reboot: Some("NoReboot"),
                    targets: Targeting::WindowsInstances,
                    ..patch(
                        "prod-windows-patch-tuesday",
                        "Windows servers: two days after Patch Tuesday, reboot by the app team",
                        "cron(30 23 ? * TUE#2 *)",
                        None,
                        3,
                        1,
                    )
                },
                Spec {
                    enabled: false,
                    document: "AWS-UpdateSSMAgent",
                    operation: None,
                    reboot: None,
                    targets: Targeting::Environment("prod"),
                    ..patch(
                        "agent-update-monthly",
                        "SSM Agent updates (paused)",
                        "rate(30 days)",
                        None,
                        2,
                        1,
                    )
                },
            ];
            if region_idx == 0 {
                let at = (epoch - Duration::days(10)).format("%Y-%m-%dT%H:00:00");
                v.push(patch(
                    "emergency-openssl-cve",
                    "One-off emergency patching (critical OpenSSL CVE)",
                    &format!("at({at})"),
                    None,
                    2,
                    0,
                ));
            }
            v
        }
        "Staging" if region_idx == 0 => vec![patch(
            "staging-patch-sat-2200",
            "Staging: Saturday night, Berlin time",
            "cron(0 22 ? * SAT *)",
            Some("Europe/Berlin"),
            3,
            1,
        )],
        // The Staging group has no window in the other regions: uncovered there.
        "Staging" => Vec::new(),
        _ => vec![
            patch(
                "dev-patch-wed-1000",
                "Development: Wednesday during the day, New York time",
                "cron(0 10 ? * WED *)",
                Some("America/New_York"),
                2,
                0,
            ),
            Spec {
                operation: Some("Scan"),
                reboot: Some("NoReboot"),
                ..patch(
                    "dev-scan-weekdays",
                    "Development: compliance scan every weekday morning",
                    "cron(0 9 ? * MON-FRI *)",
                    Some("America/New_York"),
                    1,
                    0,
                )
            },
        ],
    }
}

/// Whether a window target (`[{Key, Values}]`) selects a node (AWS: every entry must match).
pub fn target_matches(targets: &Value, n: &NodeRec) -> bool {
    let Some(list) = targets.as_array() else {
        return false;
    };
    !list.is_empty()
        && list.iter().all(|t| {
            let key = t["Key"].as_str().unwrap_or("");
            let values: Vec<&str> = t["Values"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if key.eq_ignore_ascii_case("InstanceIds") {
                values.iter().any(|v| *v == "*" || *v == n.id)
            } else if let Some(k) = key.strip_prefix("tag:") {
                n.tag(k).is_some_and(|tv| values.contains(&tv))
            } else if key == "tag-key" {
                values.iter().any(|k| n.tag(k).is_some())
            } else {
                false
            }
        })
}

/// The nodes a window targets, with the window target that selected each.
pub fn resolve(f: &RegionFleet, w: &MaintenanceWindow) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, n) in f.nodes.iter().enumerate() {
        if let Some(t) = w.targets.iter().find(|t| target_matches(&t.targets, n)) {
            out.push((i, t.id.clone()));
        }
    }
    out
}

fn short_env(group: &str) -> &'static str {
    match group {
        "Production" => "prod",
        "Staging" => "stg",
        _ => "dev",
    }
}

/// Generate the windows of one account × region (nodes must exist already).
pub fn windows(
    f: &mut RegionFleet,
    seed: u64,
    group: &str,
    region_idx: usize,
    epoch: DateTime<Utc>,
) {
    let mut r = Rng::derive(seed, &format!("ssm/{}/{}/windows", f.account_id, f.region));
    for s in specs(group, region_idx, epoch) {
        let id = format!("mw-0{}", r.hex(16));
        let targets: Vec<super::patching::WindowTarget> = match s.targets {
            Targeting::PatchGroupTags => ["Patch Group", "PatchGroup"]
                .iter()
                .map(|k| WindowTarget {
                    id: r.uuid(),
                    name: format!("{}-tag", k.replace(' ', "-").to_lowercase()),
                    description: format!("Nodes tagged {k}={group}"),
                    targets: json!([{"Key": format!("tag:{k}"), "Values": [group]}]),
                })
                .collect(),
            Targeting::WindowsInstances => {
                let ids: Vec<&str> = f
                    .nodes
                    .iter()
                    .filter(|n| n.windows() && n.patch_group() == Some(group))
                    .map(|n| n.id.as_str())
                    .take(50)
                    .collect();
                if ids.is_empty() {
                    Vec::new()
                } else {
                    vec![WindowTarget {
                        id: r.uuid(),
                        name: "windows-servers".into(),
                        description: "Windows servers, by instance id".into(),
                        targets: json!([{"Key": "InstanceIds", "Values": ids}]),
                    }]
                }
            }
            Targeting::Environment(env) => vec![WindowTarget {
                id: r.uuid(),
                name: "environment-tag".into(),
                description: format!("Nodes tagged Environment={env}"),
                targets: json!([{"Key": "tag:Environment", "Values": [env]}]),
            }],
        };
        let task = WindowTask {
            id: r.uuid(),
            name: match s.operation {
                Some("Scan") => "scan-patches".into(),
                Some(_) => "install-patches".into(),
                None => "update-agent".into(),
            },
            document: s.document,
            operation: s.operation,
            reboot: s.reboot,
            priority: 1,
            target_ids: targets.iter().map(|t| t.id.clone()).collect(),
            max_concurrency: "10%",
            max_errors: "10%",
        };
        let start_date = epoch - Duration::days(r.range(90, 400));
        let mut w = MaintenanceWindow {
            id,
            name: s.name.to_string(),
            description: s.description.to_string(),
            enabled: s.enabled,
            duration_h: s.duration_h,
            cutoff_h: s.cutoff_h,
            schedule: s.schedule,
            timezone: s.timezone.map(str::to_string),
            offset: s.offset,
            start_date: Some(start_date),
            end_date: None,
            tags: vec![("Environment".into(), short_env(group).to_string())],
            targets,
            tasks: vec![task],
            executions: Vec::new(),
        };
        if w.enabled {
            w.executions = executions(f, &w, seed, epoch);
        }
        f.windows.push(w);
    }
}

/// The past occurrences of a window's schedule in the history period (oldest first).
fn occurrences(w: &MaintenanceWindow, epoch: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let spec = ScheduleSpec::new(&w.schedule, w.timezone.as_deref(), w.offset.unwrap_or(0));
    let mut out = Vec::new();
    let mut t = epoch - Duration::days(HISTORY_DAYS);
    // rate() windows count from their start date (no executions: the only one is disabled)
    while let Ok(next) = spec.next_after(t, None) {
        if next >= epoch {
            break;
        }
        if w.start_date.is_none_or(|s| next >= s) {
            out.push(next);
        }
        t = next;
    }
    out
}

/// How one node fares in one execution: `(status, details, start, end)`, or `None` when
/// the node was not registered yet.
fn invocation_outcome(
    n: &NodeRec,
    exec_start: DateTime<Utc>,
    install: bool,
    salt: &str,
) -> Option<(&'static str, &'static str, DateTime<Utc>, DateTime<Utc>)> {
    if n.registered > exec_start {
        return None;
    }
    let mut r = Rng::derive(n.seed, salt);
    let start = exec_start + Duration::seconds(r.range(2, 40));
    let offline = !n.online && n.lost_at < exec_start;
    if offline || n.report.is_none() {
        // The command never reached the agent (or its patch plugin never reported).
        return Some((
            "TIMED_OUT",
            "Undeliverable",
            start,
            start + Duration::seconds(3600),
        ));
    }
    let len = if install {
        r.range(150, 700)
    } else {
        r.range(30, 90)
    };
    let end = start + Duration::seconds(len);
    if install && n.counts.failed > 0 {
        Some(("FAILED", "Failed", start, end))
    } else {
        Some(("SUCCESS", "Success", start, end))
    }
}

fn executions(
    f: &RegionFleet,
    w: &MaintenanceWindow,
    seed: u64,
    epoch: DateTime<Utc>,
) -> Vec<WindowExecution> {
    let targets = resolve(f, w);
    let install = w.tasks.iter().any(|t| t.operation == Some("Install"));
    occurrences(w, epoch)
        .into_iter()
        .enumerate()
        .map(|(i, at)| {
            let mut r = Rng::derive(seed, &format!("{}/exec/{i}", w.id));
            let id = r.uuid();
            let start = at + Duration::seconds(r.range(1, 20));
            let mut end = start + Duration::seconds(5);
            let mut bad = false;
            for (ni, _) in &targets {
                if let Some((status, _, _, e)) =
                    invocation_outcome(&f.nodes[*ni], start, install, &id)
                {
                    bad |= status != "SUCCESS";
                    end = end.max(e);
                }
            }
            let cutoff = start + Duration::hours(w.duration_h as i64);
            WindowExecution {
                id,
                task_execution_id: r.uuid(),
                command_id: r.uuid(),
                start,
                end: end.min(cutoff),
                status: if bad { "FAILED" } else { "SUCCESS" },
                details: if bad {
                    "One or more tasks in the orchestration failed."
                } else {
                    ""
                },
            }
        })
        .collect()
}

/// The task invocations of one execution (one per targeted node), derived on demand.
pub fn invocations(f: &RegionFleet, w: &MaintenanceWindow, e: &WindowExecution) -> Vec<Invocation> {
    let install = w.tasks.iter().any(|t| t.operation == Some("Install"));
    resolve(f, w)
        .into_iter()
        .filter_map(|(ni, target)| {
            let n = &f.nodes[ni];
            let (status, details, start, end) = invocation_outcome(n, e.start, install, &e.id)?;
            let mut r = Rng::derive(n.seed, &format!("{}/inv", e.id));
            Some(Invocation {
                id: r.uuid(),
                node_id: n.id.clone(),
                target_id: target,
                status,
                details,
                start,
                end,
            })
        })
        .collect()
}

/// (start, end, command id) of a node's last Install run.
type LastInstall = (DateTime<Utc>, DateTime<Utc>, String);

/// Each node an Install window reached reports that window's last execution as its last
/// Install (operation, start, end, command id), unless it has a later patch operation.
pub fn align_reports(f: &mut RegionFleet) {
    let mut last: Vec<Option<LastInstall>> = vec![None; f.nodes.len()];
    for w in f.windows.iter().filter(|w| w.enabled) {
        if !w.tasks.iter().any(|t| t.operation == Some("Install")) {
            continue;
        }
        for e in &w.executions {
            for inv in invocations(f, w, e) {
                if inv.status == "TIMED_OUT" {
                    continue;
                }
                let Some(&i) = f.by_id.get(&inv.node_id) else {
                    continue;
                };
                if last[i].as_ref().is_none_or(|(_, end, _)| inv.end > *end) {
                    last[i] = Some((inv.start, inv.end, e.command_id.clone()));
                }
            }
        }
    }
    for (n, l) in f.nodes.iter_mut().zip(last) {
        let (Some(rep), Some((start, end, cmd))) = (&mut n.report, l) else {
            continue;
        };
        if rep.operation == Operation::Install || rep.end < end {
            rep.operation = Operation::Install;
            rep.start = start;
            rep.end = end;
            rep.execution_id = cmd;
            if rep.last_no_reboot.is_some() {
                rep.last_no_reboot = Some(end);
            }
        }
    }
}

/// Patch associations: a Quick Setup patch policy (install on Sunday, scan daily) in about
/// a third of the accounts, from its own stream.
pub fn patch_policy(f: &mut RegionFleet, seed: u64, group: &str, epoch: DateTime<Utc>) {
    let mut acct = Rng::derive(seed, &format!("ssm/{}/quick-setup", f.account_id));
    if !acct.chance(0.34) || f.nodes.is_empty() {
        return;
    }
    let qs = acct.hex(5);
    let mut r = Rng::derive(
        seed,
        &format!("ssm/{}/{}/quick-setup", f.account_id, f.region),
    );
    let targets = json!([{"Key": "tag:Patch Group", "Values": [group]}]);
    let selected: Vec<&NodeRec> = f
        .nodes
        .iter()
        .filter(|n| target_matches(&targets, n))
        .collect();
    let targeted = selected.len() as u32;
    // An Install fails on the nodes that report failed patches (as the windows' runs do).
    let failed = selected.iter().filter(|n| n.counts.failed > 0).count() as u32;
    for (kind, op, schedule) in [
        ("InstallPatches", "Install", "cron(0 2 ? * SUN *)"),
        ("ScanForPatches", "Scan", "rate(1 day)"),
    ] {
        let failed = if op == "Install" { failed } else { 0 };
        let status = if failed > 0 { "Failed" } else { "Success" };
        let mut counts = vec![("Success", targeted - failed)];
        if failed > 0 {
            counts.push(("Failed", failed));
        }
        let id = r.uuid();
        // (the first generation's draw for the last run, kept so later draws do not move)
        r.range(2, 30);
        f.associations.push(Association {
            id,
            name: "AWS-RunPatchBaseline".into(),
            association_name: format!("AWS-QuickSetup-PatchPolicy-{kind}-{qs}"),
            targets: targets.clone(),
            schedule: schedule.into(),
            status,
            counts,
            parameters: json!({
                "Operation": [op],
                "RebootOption": ["RebootIfNeeded"],
                "BaselineOverride": [format!("s3://aws-quicksetup-patchpolicy-{}-{qs}/baseline_overrides.json", f.account_id)],
            }),
            offset: None,
            created: epoch - Duration::days(r.range(30, 300)),
        });
    }
}

/// Run Command keeps a command's history for 30 days ("Run Command stores the command
/// history for 30 days", Amazon EC2 User Guide, *Manage Amazon EC2 Instances Remotely*;
/// `../shared/aws-api.md`): older window runs are in the window's execution history only,
/// and GetCommandInvocation answers `InvalidCommandId` for them.
pub const RUN_COMMAND_HISTORY_DAYS: i64 = 30;

/// The commands the windows' Run Command tasks sent in the last
/// [`RUN_COMMAND_HISTORY_DAYS`]: one command per execution (its id is the task invocations'
/// `ExecutionId`), one invocation per node the execution reached, with the outcome the window
/// reports for it. The task was registered with a comment naming the window, so Run Command
/// history says where each run came from.
pub fn window_commands(f: &RegionFleet, epoch: DateTime<Utc>) -> Vec<Command> {
    let since = epoch - Duration::days(RUN_COMMAND_HISTORY_DAYS);
    let mut out = Vec::new();
    for w in f.windows.iter().filter(|w| w.enabled) {
        let Some(t) = w.tasks.first() else {
            continue;
        };
        let install = t.operation == Some("Install");
        let doc = match t.document {
            "AWS-RunPatchBaseline" => Doc::PatchBaseline {
                install,
                reboot: t.reboot == Some("RebootIfNeeded"),
            },
            _ => continue,
        };
        for e in w.executions.iter().filter(|e| e.start >= since) {
            let mut r = Rng::derive(f.seed, &format!("{}/command", e.id));
            let snapshot = r.uuid();
            let invs: Vec<RcInvocation> = invocations(f, w, e)
                .into_iter()
                .filter_map(|i| {
                    let n = f.node(&i.node_id)?;
                    Some(rc_invocation(n, &i, install, &snapshot))
                })
                .collect();
            if invs.is_empty() {
                continue;
            }
            let by_ids = invs.len() <= 50;
            let n = invs.len();
            let mut c = Command {
                id: e.command_id.clone(),
                doc_name: t.document.into(),
                doc_version: "$DEFAULT".into(),
                doc: doc.clone(),
                comment: super::commands::truncate_chars(
                    &format!("Maintenance window {} ({}): {}", w.name, w.id, t.name),
                    100,
                ),
                parameters: json!({
                    "Operation": t.operation.map(|o| vec![o]).unwrap_or_default(),
                    "RebootOption": t.reboot.map(|o| vec![o]).unwrap_or_default(),
                }),
                // InstanceIds holds at most 50 ids; beyond, the window's first target
                instance_ids: if by_ids {
                    invs.iter().map(|i| i.instance_id.clone()).collect()
                } else {
                    Vec::new()
                },
                targets: if by_ids {
                    json!([])
                } else {
                    w.targets.first().map_or(json!([]), |t| t.targets.clone())
                },
                requested: e.start,
                timeout_s: 600,
                exec_timeout_s: 3600 * w.duration_h as i64,
                max_concurrency: t.max_concurrency.into(),
                max_errors: t.max_errors.into(),
                concurrency: n.div_ceil(10).max(1),
                error_limit: n / 10,
                output_s3: None,
                service_role: String::new(),
                cloudwatch: Value::Null,
                notification: Value::Null,
                invocations: invs,
                cancel_at: None,
                sim_time: e.start,
                done: false,
                status: "Pending",
                status_details: "Pending",
                stopped: false,
                seed: r.next_u64(),
                speedup: 1.0,
            };
            lifecycle::settle(&mut c, epoch);
            out.push(c);
        }
    }
    out
}

/// One node's Run Command invocation of a window run, as the window reports it.
fn rc_invocation(n: &NodeRec, i: &Invocation, install: bool, snapshot: &str) -> RcInvocation {
    if i.status == "TIMED_OUT" {
        // never reached the agent: Undeliverable (neutral for the command's status)
        let mut inv = RcInvocation::new(
            &n.id,
            n.instance_name(),
            n.windows(),
            Plan::Undeliverable { after_s: 12.0 },
        );
        inv.status = IStatus::Failed;
        inv.details = "Undeliverable";
        inv.end = Some(i.end);
        return inv;
    }
    let mut inv = RcInvocation::new(
        &n.id,
        n.instance_name(),
        n.windows(),
        Plan::Run {
            duration_s: (i.end - i.start).num_seconds() as f64,
        },
    );
    inv.start = Some(i.start);
    inv.end = Some(i.end);
    inv.result = Some(RunResult {
        before: n.counts,
        after: n.counts,
        // an install's packages are derived when the output is rendered
        installed: if install { None } else { Some(Vec::new()) },
        failed: Vec::new(),
        rebooted: false,
        snapshot_id: snapshot.to_string(),
    });
    if i.status == "SUCCESS" {
        inv.status = IStatus::Success;
        inv.details = "Success";
        inv.response_code = 0;
    } else {
        inv.status = IStatus::Failed;
        inv.details = "Failed";
        inv.response_code = 1;
        inv.is_error = true;
    }
    inv
}

/// Put the windows' commands into Run Command history (oldest first, as it is kept).
pub fn record_window_commands(f: &mut RegionFleet, epoch: DateTime<Utc>) {
    let cmds = window_commands(f, epoch);
    if cmds.is_empty() {
        return;
    }
    let mut all = std::mem::take(&mut f.commands);
    all.extend(cmds);
    all.sort_by_key(|c| c.requested);
    f.cmd_by_id.clear();
    for c in all {
        f.add_command(c);
    }
}

/// A node's patch state names its latest patch operation (AWS API Reference,
/// `InstancePatchState.Operation`: "The type of patching operation that was performed:
/// SCAN … or INSTALL"; `OperationEndTime`: "The time the most recent patching operation
/// completed"): the latest Install that reached it — a window's run (see
/// [`align_reports`]), the Quick Setup patch policy's Install association, a manual "patch
/// now" in Run Command history — or the latest successful Scan: the daily scan
/// association's run, a manual scan in the history. So a node's `Last op` never
/// contradicts the scans its recent invocations show.
pub fn align_later_operations(f: &mut RegionFleet, epoch: DateTime<Utc>) {
    let mut last: Vec<Option<(Operation, LastInstall)>> = vec![None; f.nodes.len()];
    let mut later = |i: usize, op: Operation, l: LastInstall| {
        if last[i].as_ref().is_none_or(|(_, (_, end, _))| l.1 > *end) {
            last[i] = Some((op, l));
        }
    };
    for c in &f.commands {
        let Doc::PatchBaseline { install, .. } = c.doc else {
            continue;
        };
        let op = if install {
            Operation::Install
        } else {
            Operation::Scan
        };
        for inv in &c.invocations {
            // a failed install still reports its state; a failed scan uploads nothing
            let reported = match inv.status {
                IStatus::Success => true,
                IStatus::Failed => install,
                _ => false,
            };
            if let (Some(s), Some(e), Some(&i)) =
                (inv.start, inv.end, f.by_id.get(&inv.instance_id))
                && reported
            {
                later(i, op, (s, e, c.id.clone()));
            }
        }
    }
    for a in &f.associations {
        if a.name != "AWS-RunPatchBaseline" {
            continue;
        }
        let install = a.parameters["Operation"][0] == "Install";
        let (op, took) = if install {
            (Operation::Install, (150, 700))
        } else {
            (Operation::Scan, (30, 90))
        };
        let run = a.last_run(epoch);
        for (i, n) in f.nodes.iter().enumerate() {
            let offline = !n.online && n.lost_at < run;
            if offline || n.registered > run || !target_matches(&a.targets, n) {
                continue;
            }
            let mut r = Rng::derive(n.seed, &format!("{}/{}", a.id, run.timestamp()));
            let start = run + Duration::seconds(r.range(2, 40));
            let end = start + Duration::seconds(r.range(took.0, took.1));
            if end <= epoch {
                later(i, op, (start, end, r.uuid()));
            }
        }
    }
    for (n, l) in f.nodes.iter_mut().zip(last) {
        let (Some(rep), Some((op, (start, end, id)))) = (&mut n.report, l) else {
            continue;
        };
        if rep.end < end {
            rep.operation = op;
            rep.start = start;
            rep.end = end;
            rep.execution_id = id;
            if op == Operation::Install && rep.last_no_reboot.is_some() {
                rep.last_no_reboot = Some(end);
            }
        }
    }
}
