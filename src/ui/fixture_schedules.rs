//! Patch schedules for the UI fixture world ([`super::fixture`]): baselines, windows with
//! ~8 weeks of executions, patch associations (a Quick Setup patch policy among them), and
//! what is deliberately missing or uncovered — so `:windows`, `:baselines`, the node detail
//! and the coverage columns have something real to show in tests and snapshots.
//!
//! - prod accounts: `prod-patch-sun-0300` (Sunday 03:00 Asia/Tokyo, Install) on the
//!   `Production` patch group; hybrid (`mi-`) nodes carry no tag → uncovered. Its last run
//!   in prod-web us-east-1 FAILED on the nodes that report failed patches.
//! - prod-web us-east-1: a Windows window two days after Patch Tuesday on instance ids, and a
//!   disabled window whose schedule ssmdeck cannot parse (shown verbatim behind `(?)`).
//! - staging: `stg-patch-sat-2200` (Europe/Berlin) only in us-east-1 → eu-west-1 uncovered;
//!   its ap-southeast-2 and dev-sandbox (AssumeRole denied) are not read.
//! - management: a daily `rate()` Scan window on every node → scan only.
//! - log-archive: a Quick Setup patch policy (Install, every node); audit: a scan association.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};

use crate::model::Node;
use crate::model::patching::*;

const LINUX_BASELINE: &str = "pb-0c10e65780EXAMPLE";
const WINDOWS_BASELINE: &str = "pb-016a1d2f1a3b4c5d6";

fn target(key: &str, values: &[&str]) -> TargetSpec {
    TargetSpec {
        key: key.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn patch_task(op: &str, reboot: &str, targets: &[&str]) -> WindowTask {
    WindowTask {
        task_id: format!("task-{}", op.to_ascii_lowercase()),
        name: format!("patch-{}", op.to_ascii_lowercase()),
        task_arn: "AWS-RunPatchBaseline".into(),
        task_type: "RUN_COMMAND".into(),
        operation: Some(op.into()),
        reboot_option: Some(reboot.into()),
        window_target_ids: targets.iter().map(|t| t.to_string()).collect(),
        other_targets: Vec::new(),
    }
}

/// `weeks` weekly executions, newest first, the newest at `last`.
fn weekly(
    last: DateTime<Utc>,
    weeks: usize,
    id: &str,
    failed_at: &[(usize, &str, Vec<String>)],
) -> Vec<WindowExecution> {
    (0..weeks)
        .map(|k| {
            let start = last - Duration::weeks(k as i64);
            let failed = failed_at.iter().find(|(i, _, _)| *i == k);
            WindowExecution {
                execution_id: format!("{id}-exec-{k:02}-0000-0000-000000000000"),
                status: failed.map_or("SUCCESS", |(_, s, _)| s).into(),
                status_details: failed
                    .map(|(_, s, _)| {
                        format!(
                            "One or more tasks in the orchestration {}",
                            s.to_ascii_lowercase()
                        )
                    })
                    .unwrap_or_default(),
                start: Some(start),
                end: Some(start + Duration::minutes(14 + (k as i64 % 5))),
                failed_targets: if k == 0 {
                    Some(failed.map(|(_, _, v)| v.clone()).unwrap_or_default())
                } else {
                    None
                },
            }
        })
        .collect()
}

/// The last Sunday 03:00 Asia/Tokyo before `now` (Saturday 18:00 UTC).
fn last_sunday_tokyo(now: DateTime<Utc>) -> DateTime<Utc> {
    let mut t = Utc
        .with_ymd_and_hms(now.year(), now.month(), now.day(), 18, 0, 0)
        .single()
        .unwrap_or(now);
    while t > now || t.weekday() != chrono::Weekday::Sat {
        t -= Duration::days(1);
    }
    t
}

fn ids<'a>(nodes: impl Iterator<Item = &'a Node>) -> Vec<String> {
    nodes.map(|n| n.instance_id.clone()).collect()
}

/// The fixture's patch schedules for `nodes` in `accounts` (id, env) × `regions`.
pub fn schedules(
    nodes: &[Node],
    accounts: &[(String, &str, usize)],
    regions: &[String],
    now: DateTime<Utc>,
) -> PatchSchedules {
    let mut s = PatchSchedules {
        fetched_at: Some(now - Duration::minutes(12)),
        ..Default::default()
    };
    let sunday = last_sunday_tokyo(now);
    // the first production unit with nodes reporting failed patches: its last run FAILED there
    let mut failed_once = false;
    for (account, env, _) in accounts {
        for region in regions {
            // staging's ap-southeast-2 could not be read at all (the refresh's timeout)
            if account == "666666666666" && region == "ap-southeast-2" {
                continue;
            }
            s.read.push((account.clone(), region.clone()));
            let unit: Vec<&Node> = nodes
                .iter()
                .filter(|n| &n.account_id == account && &n.region == region)
                .collect();
            let base = |id: &str| PatchBaseline {
                account_id: account.clone(),
                region: region.clone(),
                baseline_id: id.into(),
                detailed: true,
                ..Default::default()
            };
            s.baselines.push(PatchBaseline {
                name: "AWS-AmazonLinux2DefaultPatchBaseline".into(),
                operating_system: "AMAZON_LINUX_2".into(),
                description: "Default Patch Baseline for Amazon Linux 2 Provided by AWS.".into(),
                aws_managed: true,
                default: true,
                global_filters: vec![("PRODUCT".into(), vec!["*".into()])],
                rules: vec![
                    PatchRule {
                        filters: vec![
                            ("CLASSIFICATION".into(), vec!["Security".into()]),
                            (
                                "SEVERITY".into(),
                                vec!["Critical".into(), "Important".into()],
                            ),
                        ],
                        approve_after_days: Some(7),
                        compliance_level: Some("UNSPECIFIED".into()),
                        ..Default::default()
                    },
                    PatchRule {
                        filters: vec![("CLASSIFICATION".into(), vec!["Bugfix".into()])],
                        approve_after_days: Some(7),
                        compliance_level: Some("UNSPECIFIED".into()),
                        ..Default::default()
                    },
                ],
                ..base(LINUX_BASELINE)
            });
            let prod = *env == "prod";
            s.baselines.push(PatchBaseline {
                name: "prod-windows-security".into(),
                operating_system: "WINDOWS".into(),
                description: "Critical and important security updates, 7 days after release".into(),
                patch_groups: if prod {
                    vec!["Production".into()]
                } else {
                    Vec::new()
                },
                rules: vec![PatchRule {
                    filters: vec![
                        (
                            "CLASSIFICATION".into(),
                            vec!["CriticalUpdates".into(), "SecurityUpdates".into()],
                        ),
                        (
                            "MSRC_SEVERITY".into(),
                            vec!["Critical".into(), "Important".into()],
                        ),
                    ],
                    approve_after_days: Some(if prod { 7 } else { 0 }),
                    compliance_level: Some("CRITICAL".into()),
                    ..Default::default()
                }],
                approved: vec!["KB5031354".into()],
                rejected: vec!["KB5029244".into()],
                rejected_action: Some("BLOCK".into()),
                ..base(WINDOWS_BASELINE)
            });
            s.baselines.push(PatchBaseline {
                name: "AWS-UbuntuDefaultPatchBaseline".into(),
                operating_system: "UBUNTU".into(),
                aws_managed: true,
                default: true,
                detailed: false,
                ..base("pb-0abc0ubuntu0000001")
            });
            let window = |id: &str, name: &str| MaintenanceWindow {
                account_id: account.clone(),
                region: region.clone(),
                window_id: format!("mw-{id}{}", &account[..4]),
                name: name.into(),
                enabled: true,
                duration_hours: 3,
                cutoff_hours: 1,
                ..Default::default()
            };
            match *env {
                "prod" => {
                    let tagged = ids(unit.iter().copied().filter(|n| {
                        !n.is_hybrid() && n.patch_group.as_deref() == Some("Production")
                    }));
                    let failed: Vec<String> = ids(unit
                        .iter()
                        .copied()
                        .filter(|n| n.failed > 0 && tagged.contains(&n.instance_id)));
                    let first = account == "444444444444" && region == "us-east-1";
                    let mut fails = Vec::new();
                    if !failed_once && !failed.is_empty() {
                        failed_once = true;
                        fails.push((0, "FAILED", failed.clone()));
                    }
                    if account == "555555555555" {
                        fails.push((3, "TIMED_OUT", Vec::new()));
                    }
                    s.windows.push(MaintenanceWindow {
                        description: "Production: security updates every Sunday night (Tokyo)"
                            .into(),
                        schedule: "cron(0 3 ? * SUN *)".into(),
                        timezone: Some("Asia/Tokyo".into()),
                        targets: vec![WindowTarget {
                            target_id: "tgt-production".into(),
                            name: "production".into(),
                            targets: vec![target("tag:Patch Group", &["Production"])],
                            resolved: Resolution::Nodes(tagged),
                        }],
                        tasks: vec![patch_task("Install", "RebootIfNeeded", &["tgt-production"])],
                        executions: weekly(
                            sunday,
                            8,
                            &format!("{}{}", &account[..4], &region[..2]),
                            &fails,
                        ),
                        ..window("0a1b2c3d4e5f6", "prod-patch-sun-0300")
                    });
                    if first {
                        let windows_nodes = ids(unit
                            .iter()
                            .copied()
                            .filter(|n| n.platform_type == crate::model::PlatformType::Windows));
                        s.windows.push(MaintenanceWindow {
                            description: "Windows: two days after Patch Tuesday".into(),
                            schedule: "cron(30 23 ? * TUE#2 *)".into(),
                            offset_days: Some(2),
                            targets: vec![WindowTarget {
                                target_id: "tgt-windows".into(),
                                name: "windows-servers".into(),
                                targets: vec![target(
                                    "InstanceIds",
                                    &windows_nodes.iter().map(String::as_str).collect::<Vec<_>>(),
                                )],
                                resolved: Resolution::Nodes(windows_nodes.clone()),
                            }],
                            tasks: vec![patch_task("Install", "NoReboot", &["tgt-windows"])],
                            executions: vec![WindowExecution {
                                execution_id: "win-exec-00-0000-0000-000000000000".into(),
                                status: "SUCCESS".into(),
                                start: Some(now - Duration::days(9)),
                                end: Some(now - Duration::days(9) + Duration::minutes(41)),
                                failed_targets: Some(Vec::new()),
                                ..Default::default()
                            }],
                            ..window("0b2c3d4e5f6a7", "prod-windows-patch-tuesday")
                        });
                        s.windows.push(MaintenanceWindow {
                            description: "retired: replaced by prod-patch-sun-0300".into(),
                            enabled: false,
                            schedule: "cron(0 3 ? * SUNDAY-LAST *)".into(),
                            targets: Vec::new(),
                            tasks: vec![patch_task("Install", "RebootIfNeeded", &[])],
                            ..window("0c3d4e5f6a7b8", "legacy-monthly-patch")
                        });
                    }
                }
                "stg" if region == "us-east-1" => {
                    let tagged = ids(unit
                        .iter()
                        .copied()
                        .filter(|n| n.patch_group.as_deref() == Some("Staging")));
                    let sat = sunday + Duration::hours(10);
                    let sat = if sat > now {
                        sat - Duration::weeks(1)
                    } else {
                        sat
                    };
                    s.windows.push(MaintenanceWindow {
                        schedule: "cron(0 22 ? * SAT *)".into(),
                        timezone: Some("Europe/Berlin".into()),
                        duration_hours: 4,
                        targets: vec![WindowTarget {
                            target_id: "tgt-staging".into(),
                            name: "staging".into(),
                            targets: vec![target("tag:Patch Group", &["Staging"])],
                            resolved: Resolution::Nodes(tagged),
                        }],
                        tasks: vec![patch_task("Install", "RebootIfNeeded", &["tgt-staging"])],
                        executions: weekly(sat, 8, "stg", &[]),
                        ..window("0d4e5f6a7b8c9", "stg-patch-sat-2200")
                    });
                }
                "mgmt" => {
                    let last = now - Duration::hours(5);
                    s.windows.push(MaintenanceWindow {
                        schedule: "rate(1 day)".into(),
                        duration_hours: 2,
                        targets: vec![WindowTarget {
                            target_id: "tgt-all".into(),
                            name: "every-node".into(),
                            targets: vec![target("InstanceIds", &["*"])],
                            resolved: Resolution::All,
                        }],
                        tasks: vec![patch_task("Scan", "NoReboot", &["tgt-all"])],
                        executions: (0..8)
                            .map(|k| WindowExecution {
                                execution_id: format!("mgmt-{region}-{k:02}"),
                                status: "SUCCESS".into(),
                                start: Some(last - Duration::days(k)),
                                end: Some(last - Duration::days(k) + Duration::minutes(3)),
                                failed_targets: (k == 0).then(Vec::new),
                                ..Default::default()
                            })
                            .collect(),
                        ..window("0e5f6a7b8c9d0", "mgmt-scan-daily")
                    });
                }
                "log" => s.associations.push(PatchAssociation {
                    account_id: account.clone(),
                    region: region.clone(),
                    association_id: format!("a1b2c3d4-qs00-{}-{}", &account[..4], &region[..2]),
                    name: "AWS-QuickSetup-PatchPolicy-install-a1b2".into(),
                    document: "AWS-RunPatchBaseline".into(),
                    schedule: Some("cron(0 2 ? * * *)".into()),
                    operation: Some("Install".into()),
                    reboot_option: Some("RebootIfNeeded".into()),
                    targets: vec![target("InstanceIds", &["*"])],
                    resolved: Resolution::All,
                    status: Some("Success".into()),
                    last_execution: Some(now - Duration::hours(20)),
                    counts: [("Success".to_string(), unit.len() as u32)].into(),
                    ..Default::default()
                }),
                "audit" => s.associations.push(PatchAssociation {
                    account_id: account.clone(),
                    region: region.clone(),
                    association_id: format!("b2c3d4e5-scan-{}-{}", &account[..4], &region[..2]),
                    name: "audit-weekly-scan".into(),
                    document: "AWS-RunPatchBaseline".into(),
                    schedule: Some("rate(7 days)".into()),
                    operation: Some("Scan".into()),
                    targets: vec![target("InstanceIds", &["*"])],
                    resolved: Resolution::All,
                    status: Some("Failed".into()),
                    last_execution: Some(now - Duration::days(2)),
                    counts: [("Failed".to_string(), unit.len() as u32)].into(),
                    ..Default::default()
                }),
                _ => {}
            }
        }
    }
    s
}
