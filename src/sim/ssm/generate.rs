//! Deterministic generation of one account × region: nodes, patch states, baselines,
//! maintenance windows, associations and a few days of Run Command history.
//!
//! Every node has its own random stream derived from (seed, account, region, index), so the
//! world is the same for the same seed and does not reshuffle when scale flags change.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::catalog::{self, PLATFORMS};
use super::commands::{Command, Doc, IStatus, Invocation, Plan, RunResult, lifecycle};
use super::fleet::{Association, Baseline, RegionFleet};
use super::node::{NodeRec, Operation, PatchCounts, PatchReport};
use super::patching;
use crate::sim::AccountSeed;
use crate::sim::rng::Rng;

/// The computer name of the one hostile node in the world (terminal escapes included).
pub const HOSTILE_COMPUTER_NAME: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2Jevil-host";
/// Its `Owner` tag.
pub const HOSTILE_TAG_VALUE: &str =
    "\u{1b}[31;5mroot\u{1b}[0m\u{1b}]8;;http://evil.example/\u{7}click\u{1b}]8;;\u{7}";

/// The patch group an account's OU implies.
pub fn group_for(ou_path: &str) -> &'static str {
    let p = ou_path.to_ascii_lowercase();
    if p.contains("stag") {
        "Staging"
    } else if p.contains("dev") || p.contains("sandbox") || p.contains("test") {
        "Development"
    } else {
        "Production"
    }
}

/// Split an account's nodes over its regions (the first region is the busiest).
pub fn split(total: usize, regions: usize) -> Vec<usize> {
    if regions == 0 {
        return Vec::new();
    }
    let weights: Vec<usize> = (0..regions).map(|i| regions + 1 - i.min(regions)).collect();
    let sum: usize = weights.iter().sum();
    let mut out: Vec<usize> = weights.iter().map(|w| total * w / sum).collect();
    let rest = total - out.iter().sum::<usize>();
    out[0] += rest;
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Compliant,
    MissingCritical,
    MissingSecurity,
    MissingOther,
    Failed,
    PendingReboot,
}

pub struct RegionSpec<'a> {
    pub seed: u64,
    pub epoch: DateTime<Utc>,
    pub account: &'a AccountSeed,
    pub region: &'a str,
    pub region_idx: usize,
    pub count: usize,
    pub hostile: bool,
}

pub fn region(spec: &RegionSpec) -> RegionFleet {
    let acct = &spec.account.id;
    let seed = Rng::derive(spec.seed, &format!("ssm/{acct}/{}", spec.region)).next_u64();
    let mut f = RegionFleet::empty(acct, spec.region, seed);
    let group = group_for(&spec.account.ou_path);
    f.nodes = (0..spec.count)
        .map(|i| node(spec, group, i, spec.hostile && i == 0))
        .collect();
    f.by_id = f
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), i))
        .collect::<HashMap<_, _>>();
    let mut r = Rng::new(seed);
    baselines(&mut f, &mut r, spec.epoch);
    patching::development_baselines(&mut f, spec.seed, spec.epoch);
    legacy_window_draws(&mut r);
    patching::windows(&mut f, spec.seed, group, spec.region_idx, spec.epoch);
    patching::align_reports(&mut f);
    associations(&mut f, &mut r, group, spec.epoch);
    patching::patch_policy(&mut f, spec.seed, group, spec.epoch);
    // Patch states name the baseline that applies to each node.
    let ids: Vec<String> = f.nodes.iter().map(|n| f.baseline_id_for(n)).collect();
    for (n, b) in f.nodes.iter_mut().zip(ids) {
        if let Some(rep) = &mut n.report {
            rep.baseline_id = b;
        }
    }
    history(&mut f, &mut r, group, spec.epoch);
    patching::record_window_commands(&mut f, spec.epoch);
    patching::align_later_operations(&mut f, spec.epoch);
    f
}

fn node(spec: &RegionSpec, group: &str, i: usize, hostile: bool) -> NodeRec {
    let acct = &spec.account.id;
    let epoch = spec.epoch;
    let mut r = Rng::derive(spec.seed, &format!("ssm/{acct}/{}/node/{i}", spec.region));
    // The hostile node is hybrid so its tags are readable through ListTagsForResource too.
    let hybrid = hostile || r.chance(0.08);
    let weights: Vec<(u8, u32)> = PLATFORMS
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let w = if hybrid && p.key.starts_with("al") {
                0
            } else {
                p.weight
            };
            (k as u8, w)
        })
        .collect();
    let platform = *r.weighted(&weights);
    let p = catalog::platform(platform);
    let id = if hybrid {
        format!("mi-0{}", r.hex(16))
    } else {
        format!("i-0{}", r.hex(16))
    };
    let online = hostile || r.chance(if hybrid { 0.75 } else { 0.92 });
    let registered =
        epoch - Duration::days(r.range(20, 900)) - Duration::seconds(r.range(0, 86_399));
    let lost_at = if r.chance(0.7) {
        epoch - Duration::hours(r.range(26, 24 * 40))
    } else {
        epoch - Duration::minutes(r.range(20, 600))
    };
    let ping_jitter_s = r.range(1, 290);
    let role = *r.pick(catalog::ROLES);
    let num = r.range(1, 40);
    let env_short = match group {
        "Production" => "prod",
        "Staging" => "stg",
        _ => "dev",
    };
    let (ip, computer_name, default_name) = if hybrid {
        let site = *r.pick(catalog::HYBRID_SITES);
        let ip = format!("192.168.{}.{}", r.below(32), 1 + r.below(254));
        let host = format!("{role}-{site}-{num:02}");
        let cn = if p.windows {
            format!("{}{num:02}.corp.example.com", role.to_uppercase())
        } else {
            format!("{host}.corp.example.com")
        };
        (ip, cn, Some(host))
    } else {
        let (b, c, d) = (r.below(16), r.below(256), 1 + r.below(254));
        let ip = format!("10.{}.{c}.{d}", spec.region_idx * 16 + b as usize);
        let cn = if p.windows {
            let tail: String = (0..7)
                .map(|_| b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"[r.below(34) as usize] as char)
                .collect();
            format!("EC2AMAZ-{tail}")
        } else if spec.region == "us-east-1" {
            format!(
                "ip-10-{}-{c}-{d}.ec2.internal",
                spec.region_idx * 16 + b as usize
            )
        } else {
            format!(
                "ip-10-{}-{c}-{d}.{}.compute.internal",
                spec.region_idx * 16 + b as usize,
                spec.region
            )
        };
        (ip, cn, None)
    };
    let agent_version = if r.chance(0.2) {
        *r.pick(catalog::OLD_AGENTS)
    } else {
        catalog::LATEST_AGENT
    };
    let iam_role = if hybrid {
        catalog::HYBRID_ROLE.to_string()
    } else {
        r.pick(catalog::EC2_ROLES).to_string()
    };
    let activation_id = hybrid.then(|| r.uuid());
    let association_status = if hostile {
        "Success"
    } else if online {
        *r.weighted(&[("Success", 90), ("Failed", 5), ("Pending", 5)])
    } else {
        *r.weighted(&[("Success", 50), ("Failed", 30), ("Pending", 20)])
    };
    let last_assoc = if online {
        epoch - Duration::minutes(r.range(1, 30))
    } else {
        lost_at - Duration::minutes(r.range(1, 30))
    };
    let last_assoc_ok = if association_status == "Success" {
        last_assoc
    } else {
        last_assoc - Duration::hours(r.range(2, 200))
    };

    let mut tags = vec![
        // a hybrid node's Name tag is the name it was registered under (as SSM shows it)
        (
            "Name".to_string(),
            default_name
                .clone()
                .unwrap_or_else(|| format!("{role}-{env_short}-{num:02}")),
        ),
        ("Environment".to_string(), env_short.to_string()),
        ("Team".to_string(), r.pick(catalog::TEAMS).to_string()),
    ];
    match r.below(10) {
        0 => {}
        1 => tags.push(("PatchGroup".into(), group.to_string())),
        _ => tags.push(("Patch Group".into(), group.to_string())),
    }
    if hostile {
        tags.push(("Owner".into(), HOSTILE_TAG_VALUE.to_string()));
    }

    // Patch shape.
    let shape = if hostile {
        Shape::MissingCritical
    } else {
        *r.weighted(&[
            (Shape::Compliant, 60),
            (Shape::MissingCritical, 9),
            (Shape::MissingSecurity, 8),
            (Shape::MissingOther, 6),
            (Shape::Failed, 4),
            (Shape::PendingReboot, 6),
        ])
    };
    let counts = counts(p, shape, &mut r);
    let never = !hostile && r.chance(0.05);
    let stale = !online || r.chance(0.08);
    let report = (!never).then(|| {
        let end = if stale {
            let old = epoch - Duration::days(r.range(8, 40)) - Duration::minutes(r.range(0, 1400));
            if online {
                old
            } else {
                old.min(lost_at - Duration::hours(1))
            }
        } else {
            epoch - Duration::minutes(r.range(30, 47 * 60))
        };
        let install = shape == Shape::PendingReboot || r.chance(0.15);
        let len = if install {
            r.range(120, 900)
        } else {
            r.range(30, 90)
        };
        let no_reboot = shape == Shape::PendingReboot;
        PatchReport {
            baseline_id: String::new(),
            snapshot_id: r.uuid(),
            operation: if install {
                Operation::Install
            } else {
                Operation::Scan
            },
            start: end - Duration::seconds(len),
            end,
            reboot_if_needed: !no_reboot,
            last_no_reboot: no_reboot.then_some(end),
            execution_id: r.uuid(),
        }
    });
    let inventory_at = if r.chance(0.05) {
        None
    } else if online {
        Some(epoch - Duration::minutes(r.range(1, 30)))
    } else {
        Some(lost_at - Duration::minutes(r.range(1, 30)))
    };
    NodeRec {
        id,
        seed: r.next_u64(),
        platform,
        hybrid,
        default_name,
        computer_name: if hostile {
            HOSTILE_COMPUTER_NAME.to_string()
        } else {
            computer_name
        },
        ip,
        agent_version,
        online,
        lost_at,
        ping_jitter_s,
        registered,
        iam_role,
        activation_id,
        association_status,
        last_assoc,
        last_assoc_ok,
        tags,
        counts,
        report,
        patches: None,
        inventory_at,
    }
}

fn counts(p: &catalog::Platform, shape: Shape, r: &mut Rng) -> PatchCounts {
    let mut c = PatchCounts::default();
    if p.windows {
        c.installed = r.range(12, 48) as u32;
        c.installed_other = r.range(0, 6) as u32;
        c.not_applicable = r.range(60, 420) as u32;
        c.available_security = if r.chance(0.15) {
            r.range(1, 3) as u32
        } else {
            0
        };
    } else {
        c.installed = if p.key == "al2023" {
            r.range(140, 380)
        } else {
            r.range(180, 460)
        } as u32;
        c.installed_other = r.range(0, 25) as u32;
        c.not_applicable = r.range(0, 40) as u32;
    }
    let mut n = |lo: i64, hi: i64| r.range(lo, hi) as u32;
    match shape {
        Shape::Compliant => {}
        Shape::MissingCritical => {
            c.critical_nc = n(1, 3);
            c.security_nc = n(0, 5);
            c.other_nc = n(0, 4);
            c.missing = c.critical_nc + c.security_nc + c.other_nc;
        }
        Shape::MissingSecurity => {
            c.security_nc = n(1, 8);
            c.other_nc = n(0, 3);
            c.missing = c.security_nc + c.other_nc;
        }
        Shape::MissingOther => {
            c.other_nc = n(1, 9);
            c.missing = c.other_nc;
        }
        Shape::Failed => {
            c.failed = n(1, 2);
            c.critical_nc = 1;
            c.security_nc = c.failed - 1;
            c.missing = n(0, 3);
            c.other_nc = c.missing;
        }
        Shape::PendingReboot => {
            c.pending_reboot = n(2, 14);
            c.other_nc = n(0, 2).min(c.pending_reboot);
            c.security_nc = c.pending_reboot - c.other_nc;
        }
    }
    c
}

const AWS_BASELINES: &[(&str, &str, &str)] = &[
    (
        "AWS-AmazonLinux2023DefaultPatchBaseline",
        "AMAZON_LINUX_2023",
        "Default Patch Baseline for Amazon Linux 2023 Provided by AWS.",
    ),
    (
        "AWS-AmazonLinux2DefaultPatchBaseline",
        "AMAZON_LINUX_2",
        "Default Patch Baseline for Amazon Linux 2 Provided by AWS.",
    ),
    (
        "AWS-UbuntuDefaultPatchBaseline",
        "UBUNTU",
        "Default Patch Baseline for Ubuntu Provided by AWS.",
    ),
    (
        "AWS-RedHatDefaultPatchBaseline",
        "REDHAT_ENTERPRISE_LINUX",
        "Default Patch Baseline for Redhat Enterprise Linux Provided by AWS.",
    ),
    (
        "AWS-SuseDefaultPatchBaseline",
        "SUSE",
        "Default Patch Baseline for Suse Provided by AWS.",
    ),
    (
        "AWS-DefaultPatchBaseline",
        "WINDOWS",
        "Default Patch Baseline Provided by AWS.",
    ),
    (
        "AWS-WindowsPredefinedPatchBaseline-OS",
        "WINDOWS",
        "Windows Patch Baseline for OS patches provided by AWS.",
    ),
    (
        "AWS-WindowsPredefinedPatchBaseline-OS-Applications",
        "WINDOWS",
        "Windows Patch Baseline for OS and Application patches provided by AWS.",
    ),
    (
        "AWS-CentOSDefaultPatchBaseline",
        "CENTOS",
        "Default Patch Baseline for CentOS Provided by AWS.",
    ),
    (
        "AWS-DebianDefaultPatchBaseline",
        "DEBIAN",
        "Default Patch Baseline for Debian Provided by AWS.",
    ),
    (
        "AWS-OracleLinuxDefaultPatchBaseline",
        "ORACLE_LINUX",
        "Default Patch Baseline for Oracle Linux Provided by AWS.",
    ),
    (
        "AWS-RockyLinuxDefaultPatchBaseline",
        "ROCKY_LINUX",
        "Default Patch Baseline for Rocky Linux Provided by AWS.",
    ),
    (
        "AWS-AlmaLinuxDefaultPatchBaseline",
        "ALMA_LINUX",
        "Default Patch Baseline for Alma Linux Provided by AWS.",
    ),
    (
        "AWS-MacOSDefaultPatchBaseline",
        "MACOS",
        "Default Patch Baseline for MacOS Provided by AWS.",
    ),
];

fn aws_hex(region: &str, name: &str) -> String {
    let mut r = Rng::derive(0xA35B_A5E1, &format!("{region}/{name}"));
    r.hex(17)
}

fn baselines(f: &mut RegionFleet, r: &mut Rng, epoch: DateTime<Utc>) {
    for (name, os, desc) in AWS_BASELINES {
        f.baselines.push(Baseline {
            id: format!(
                "arn:aws:ssm:{}:075727635805:patchbaseline/pb-{}",
                f.region,
                aws_hex(&f.region, name)
            ),
            name: name.to_string(),
            os,
            description: desc.to_string(),
            default: *name != "AWS-WindowsPredefinedPatchBaseline-OS"
                && *name != "AWS-WindowsPredefinedPatchBaseline-OS-Applications",
            aws_owned: true,
            detail: patching::aws_detail(os),
        });
    }
    let custom: &[(&str, &[(&str, &str)])] = &[
        (
            "Production",
            &[
                ("AMAZON_LINUX_2023", "AmazonLinux2023"),
                ("AMAZON_LINUX_2", "AmazonLinux2"),
                ("UBUNTU", "Ubuntu"),
                ("REDHAT_ENTERPRISE_LINUX", "RHEL"),
                ("WINDOWS", "WindowsServer"),
            ],
        ),
        (
            "Staging",
            &[
                ("AMAZON_LINUX_2023", "AmazonLinux2023"),
                ("WINDOWS", "WindowsServer"),
            ],
        ),
    ];
    for (group, list) in custom {
        for (os, label) in *list {
            let delay = if *group == "Production" { 7 } else { 3 };
            let id = format!("pb-0{}", r.hex(16));
            // the detail draws from its own stream: the baseline ids above stay as they were
            let mut dr = Rng::derive(f.seed, &format!("baseline/{id}"));
            f.baselines.push(Baseline {
                id,
                name: format!("{group}-{label}"),
                os,
                description: format!(
                    "{group}: Critical and Important security updates approved after {delay} days; compliance level CRITICAL."
                ),
                default: false,
                aws_owned: false,
                detail: patching::custom_detail(group, os, epoch, &mut dr),
            });
            f.mappings.push((group.to_string(), f.baselines.len() - 1));
        }
    }
}

/// The draws the first generation of windows made from the region's stream: kept, so the
/// associations and the command history generated after them do not change. The windows
/// themselves come from [`patching::windows`].
fn legacy_window_draws(r: &mut Rng) {
    let n = r.range(1, 3);
    for _ in 0..=n {
        r.hex(16);
        r.range(2, 4);
        r.range(60, 400);
    }
}

/// State Manager associations. Each one's counts are the nodes its targets select, by
/// status; a node whose association status is `Failed` failed its inventory association
/// (the compliance items say the same), a `Pending` one has not run any association yet.
/// An association is `Failed` when any of its targets failed (`AssociationOverview.Status`:
/// "Pending, Success, or Failed"; the aggregated count is "the number of targets for the
/// association status", API Reference `AssociationOverview`).
fn associations(f: &mut RegionFleet, r: &mut Rng, group: &str, epoch: DateTime<Utc>) {
    let list: Vec<(&str, &str, Value, &str)> = vec![
        (
            "AWS-GatherSoftwareInventory",
            "Inventory-Association",
            json!([{"Key": "InstanceIds", "Values": ["*"]}]),
            "rate(30 minutes)",
        ),
        (
            "AWS-UpdateSSMAgent",
            "UpdateSSMAgent-Association",
            json!([{"Key": "InstanceIds", "Values": ["*"]}]),
            "rate(14 days)",
        ),
        (
            "AWS-RunPatchBaseline",
            "patch-scan-daily",
            json!([{"Key": "tag:Patch Group", "Values": [group]}]),
            "cron(0 1 * * ? *)",
        ),
    ];
    for (doc, name, targets, schedule) in list {
        let inventory = doc == "AWS-GatherSoftwareInventory";
        let mut counts: HashMap<&'static str, u32> = HashMap::new();
        for n in f
            .nodes
            .iter()
            .filter(|n| patching::target_matches(&targets, n))
        {
            let s = match n.association_status {
                "Failed" if !inventory => "Success",
                s => s,
            };
            *counts.entry(s).or_default() += 1;
        }
        let status = if counts.contains_key("Failed") {
            "Failed"
        } else if counts.contains_key("Success") || counts.is_empty() {
            "Success"
        } else {
            "Pending"
        };
        let mut c: Vec<(&'static str, u32)> = counts.into_iter().collect();
        c.sort();
        let id = r.uuid();
        // (a draw the first generation used for the last run: kept, so the history below
        // does not move; the runs now follow the schedule, see `Association::runs`)
        r.range(2, 600);
        f.associations.push(Association {
            id,
            name: doc.to_string(),
            association_name: name.to_string(),
            targets,
            schedule: schedule.to_string(),
            status,
            counts: c,
            parameters: if doc == "AWS-RunPatchBaseline" {
                json!({"Operation": ["Scan"], "RebootOption": ["NoReboot"]})
            } else {
                json!({})
            },
            offset: None,
            created: epoch - Duration::days(400),
        });
    }
}

/// A few days of Run Command history: scans, an install (one failing target), a shell run.
fn history(f: &mut RegionFleet, r: &mut Rng, group: &str, epoch: DateTime<Utc>) {
    if f.nodes.is_empty() {
        return;
    }
    let in_group: Vec<usize> = (0..f.nodes.len())
        .filter(|&i| f.nodes[i].patch_group() == Some(group))
        .take(8)
        .collect();
    let online: Vec<usize> = (0..f.nodes.len()).filter(|&i| f.nodes[i].online).collect();
    let linux_online: Vec<usize> = online
        .iter()
        .copied()
        .filter(|&i| !f.nodes[i].windows())
        .take(3)
        .collect();
    // Install: prefer a node that is bound to fail, so the history shows a failure.
    let mut install: Vec<usize> = online
        .iter()
        .copied()
        .filter(|&i| f.nodes[i].counts.failed > 0 || f.nodes[i].association_status == "Failed")
        .take(1)
        .collect();
    let first = install.first().copied();
    install.extend(online.iter().copied().filter(|i| Some(*i) != first).take(3));
    let recent: Vec<usize> = online.iter().copied().take(10).collect();

    let specs: Vec<(i64, Doc, Vec<usize>, bool, &str)> = vec![
        (
            6 * 24 * 60 + r.range(0, 600),
            Doc::PatchBaseline {
                install: false,
                reboot: true,
            },
            in_group,
            true,
            "Manual scan (ops): weekly compliance check",
        ),
        (
            3 * 24 * 60 + r.range(0, 600),
            Doc::PatchBaseline {
                install: true,
                reboot: true,
            },
            install,
            false,
            "Patch now (ops): critical fixes",
        ),
        (
            24 * 60 + r.range(0, 600),
            Doc::Script {
                lines: vec!["uptime".into()],
                powershell: false,
            },
            linux_online,
            false,
            "uptime check",
        ),
        (
            r.range(60, 300),
            Doc::PatchBaseline {
                install: false,
                reboot: true,
            },
            recent,
            false,
            // every patch run Run Command lists is explained: a schedule's (the window
            // commands name their window) or a person's, said in its comment
            "Manual scan (ops): after agent update",
        ),
    ];
    for (k, (ago_min, doc, targets, by_tag, comment)) in specs.into_iter().enumerate() {
        if targets.is_empty() {
            continue;
        }
        let requested = epoch - Duration::minutes(ago_min) - Duration::seconds(r.range(0, 59));
        let id = r.uuid();
        let (doc_name, params) = match &doc {
            Doc::PatchBaseline { install, .. } => (
                "AWS-RunPatchBaseline",
                json!({"Operation": [if *install { "Install" } else { "Scan" }], "RebootOption": ["RebootIfNeeded"]}),
            ),
            Doc::Script { lines, .. } => ("AWS-RunShellScript", json!({"commands": lines})),
            Doc::Package { .. } | Doc::UpdateAgent { .. } => continue,
        };
        let snapshot = r.uuid();
        let mut invs = Vec::new();
        let mut forced_failure = k == 1
            && targets.iter().all(|&i| {
                f.nodes[i].counts.failed == 0 && f.nodes[i].association_status != "Failed"
            });
        for &i in &targets {
            let n = &f.nodes[i];
            let offline_then = !n.online && n.lost_at < requested;
            let plan = if offline_then {
                Plan::Undeliverable { after_s: 12.0 }
            } else {
                Plan::Run { duration_s: 0.0 }
            };
            let mut inv = Invocation::new(&n.id, n.instance_name(), n.windows(), plan);
            if offline_then {
                inv.status = IStatus::Failed;
                inv.details = "Undeliverable";
                inv.end = Some(requested + Duration::seconds(12));
                invs.push(inv);
                continue;
            }
            let start = requested + Duration::milliseconds(r.range(800, 2600));
            let dur = match &doc {
                Doc::PatchBaseline { install: false, .. } => r.range(30, 90),
                Doc::PatchBaseline { install: true, .. } => r.range(150, 700),
                Doc::Script { .. } | Doc::Package { .. } | Doc::UpdateAgent { .. } => r.range(1, 3),
            };
            let broken = n.association_status == "Failed"
                || (matches!(doc, Doc::PatchBaseline { install: true, .. }) && n.counts.failed > 0);
            let fails = (broken && !matches!(doc, Doc::Script { .. })) || forced_failure;
            let mut failed = Vec::new();
            if forced_failure {
                forced_failure = false;
                failed.push(
                    super::patches::derive_list(n)
                        .into_iter()
                        .find(|p| p.installed_time.is_some())
                        .map(|p| p.package.to_string())
                        .unwrap_or_else(|| "kernel".into()),
                );
            }
            inv.plan = Plan::Run {
                duration_s: dur as f64,
            };
            inv.start = Some(start);
            inv.end = Some(start + Duration::seconds(dur));
            inv.result = Some(RunResult {
                before: n.counts,
                after: n.counts,
                installed: if matches!(doc, Doc::PatchBaseline { install: true, .. }) {
                    None
                } else {
                    Some(Vec::new())
                },
                failed,
                rebooted: false,
                snapshot_id: snapshot.clone(),
            });
            if fails {
                inv.status = IStatus::Failed;
                inv.details = "Failed";
                inv.response_code = 1;
                inv.is_error = true;
            } else {
                inv.status = IStatus::Success;
                inv.details = "Success";
                inv.response_code = 0;
            }
            invs.push(inv);
        }
        let instance_ids: Vec<String> = if by_tag {
            Vec::new()
        } else {
            invs.iter().map(|i| i.instance_id.clone()).collect()
        };
        let mut c = Command {
            id,
            doc_name: doc_name.into(),
            doc_version: "$DEFAULT".into(),
            doc,
            comment: comment.into(),
            parameters: params,
            instance_ids,
            targets: if by_tag {
                json!([{"Key": "tag:Patch Group", "Values": [group]}])
            } else {
                json!([])
            },
            requested,
            timeout_s: 600,
            exec_timeout_s: 7200,
            max_concurrency: "50".into(),
            max_errors: if by_tag { "10%".into() } else { "0".into() },
            concurrency: 50,
            error_limit: if by_tag { invs.len() / 10 } else { 0 },
            output_s3: None,
            service_role: String::new(),
            cloudwatch: Value::Null,
            notification: Value::Null,
            invocations: invs,
            cancel_at: None,
            sim_time: requested,
            done: false,
            status: "Pending",
            status_details: "Pending",
            stopped: false,
            seed: r.next_u64(),
            speedup: 1.0,
        };
        lifecycle::settle(&mut c, epoch);
        f.add_command(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_the_total_and_favours_the_first_region() {
        assert_eq!(split(50, 3).iter().sum::<usize>(), 50);
        let s = split(200, 3);
        assert_eq!(s.iter().sum::<usize>(), 200);
        assert!(s[0] > s[2]);
        assert_eq!(split(7, 1), vec![7]);
    }

    #[test]
    fn ou_paths_map_to_patch_groups() {
        assert_eq!(group_for("Root/Workloads/Prod"), "Production");
        assert_eq!(group_for("Root/Workloads/Staging"), "Staging");
        assert_eq!(group_for("Root/Workloads/Dev"), "Development");
        assert_eq!(group_for("Root/Sandbox"), "Development");
        assert_eq!(group_for("Root/Security"), "Production");
    }
}
