//! A deterministic small fleet for tests, snapshots, screenshots and benchmarks: several
//! OUs, accounts and regions; compliant, non-compliant, unreported, stale and offline
//! nodes; hostile strings; certificates in every expiry band; commands and errors.
//! [`large`] scales it up for the benchmark.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::model::*;

/// The fixed "now" of the fixture world (shared with the reports' fixture).
pub use crate::model::fixture::now;
use crate::model::fixture::ou;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn acct(id: &str, name: &str, ou_id: &str, path: &str, state: AccountState) -> Account {
    crate::model::fixture::account(id, name, name, ou_id, path, state)
}

const PLATFORMS: &[(PlatformType, &str, &str)] = &[
    (PlatformType::Linux, "Amazon Linux", "2023"),
    (PlatformType::Linux, "Ubuntu", "22.04"),
    (
        PlatformType::Windows,
        "Microsoft Windows Server 2022 Datacenter",
        "10.0.20348",
    ),
    (PlatformType::Linux, "Red Hat Enterprise Linux", "9.4"),
    (PlatformType::Linux, "Amazon Linux", "2"),
];

const ROLES: &[&str] = &[
    "web", "api", "db", "cache", "worker", "bastion", "batch", "queue",
];

/// A node generated from a seed.
fn node(
    rng: &mut Lcg,
    i: usize,
    account: &str,
    env: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Node {
    let (pt, pname, pver) = PLATFORMS[rng.below(PLATFORMS.len() as u64) as usize];
    let hybrid = rng.below(12) == 0;
    let instance_id = if hybrid {
        format!(
            "mi-{:017x}",
            0x0a00_0000_0000u64 + rng.below(1 << 40) + i as u64
        )
    } else {
        format!(
            "i-{:017x}",
            0x0b00_0000_0000u64 + rng.below(1 << 40) + i as u64
        )
    };
    let role = ROLES[rng.below(ROLES.len() as u64) as usize];
    let mut n = Node {
        instance_id,
        account_id: account.into(),
        region: region.into(),
        name: format!("{env}-{role}-{:02}", i % 100),
        computer_name: format!(
            "ip-10-{}-{}-{}.ec2.internal",
            rng.below(255),
            rng.below(255),
            rng.below(255)
        ),
        ip_address: format!(
            "10.{}.{}.{}",
            rng.below(255),
            rng.below(255),
            rng.below(255)
        ),
        resource_type: if hybrid {
            "ManagedInstance".into()
        } else {
            "EC2Instance".into()
        },
        platform_type: pt,
        platform_name: pname.into(),
        platform_version: pver.into(),
        agent_version: if rng.below(5) == 0 {
            "3.2.582.0".into()
        } else {
            "3.3.987.0".into()
        },
        ping_status: match rng.below(14) {
            0 => PingStatus::ConnectionLost,
            1 => PingStatus::Inactive,
            _ => PingStatus::Online,
        },
        registration_date: Some(now - Duration::days(30 + rng.below(700) as i64)),
        iam_role: Some("AmazonSSMRoleForInstancesQuickSetup".into()),
        patch_group: match env {
            "prod" => Some("Production".into()),
            "stg" => Some("Staging".into()),
            _ if rng.below(3) == 0 => None,
            _ => Some("Default".into()),
        },
        baseline_id: Some(match pt {
            PlatformType::Windows => "pb-016a1d2f1a3b4c5d6".into(),
            _ => "pb-0c10e65780EXAMPLE".into(),
        }),
        ..Default::default()
    };
    n.agent_outdated = n.agent_version.starts_with("3.2") && pt == PlatformType::Linux;
    n.last_ping = Some(
        now - Duration::minutes(if n.is_online() {
            rng.below(5) as i64
        } else {
            600 + rng.below(9000) as i64
        }),
    );
    let kind = rng.below(10);
    if kind < 8 || n.is_online() && kind < 9 {
        n.last_operation = Some(if rng.below(3) == 0 {
            PatchOperation::Install
        } else {
            PatchOperation::Scan
        });
        let days = if rng.below(8) == 0 {
            9 + rng.below(30) as i64
        } else {
            rng.below(5) as i64
        };
        n.last_operation_end =
            Some(now - Duration::days(days) - Duration::minutes(rng.below(600) as i64));
        n.last_operation_start = n.last_operation_end.map(|t| t - Duration::minutes(4));
        n.reboot_option = Some(RebootOption::RebootIfNeeded);
        n.installed = 40 + rng.below(300) as u32;
        n.installed_other = rng.below(20) as u32;
        n.not_applicable = rng.below(900) as u32;
        if rng.below(5) < 2 {
            n.missing = 1 + rng.below(14) as u32;
            n.critical_noncompliant = rng.below(n.missing as u64 + 1).min(4) as u32;
            n.security_noncompliant = n
                .missing
                .saturating_sub(n.critical_noncompliant)
                .min(rng.below(6) as u32);
            n.other_noncompliant = n.missing - n.critical_noncompliant - n.security_noncompliant;
        }
        if rng.below(10) == 0 {
            n.failed = 1 + rng.below(2) as u32;
            n.critical_noncompliant += 1;
        }
        if rng.below(9) == 0 {
            n.installed_pending_reboot = 1 + rng.below(3) as u32;
        }
    }
    n.compliance = n.derive_compliance();
    n
}

#[allow(clippy::too_many_arguments)]
fn cert(
    account: &str,
    region: &str,
    domain: &str,
    days: i64,
    kind: &str,
    in_use: bool,
    renewal: Option<&str>,
    now: DateTime<Utc>,
) -> Certificate {
    let status = if days < 0 { "EXPIRED" } else { "ISSUED" };
    Certificate {
        arn: format!(
            "arn:aws:acm:{region}:{account}:certificate/{:08x}-0000-4000-8000-{:012x}",
            days.unsigned_abs() * 7919 + domain.len() as u64,
            account.len() as u64 * 1000 + domain.len() as u64
        ),
        account_id: account.into(),
        region: region.into(),
        domain_name: domain.into(),
        subject_alternative_names: vec![domain.into(), format!("www.{domain}")],
        cert_type: kind.into(),
        status: status.into(),
        key_algorithm: if domain.len().is_multiple_of(2) {
            "RSA_2048".into()
        } else {
            "EC_prime256v1".into()
        },
        not_before: Some(now - Duration::days(365 - days.min(300))),
        not_after: Some(now + Duration::days(days) + Duration::hours(6)),
        days_left: Some(days),
        in_use,
        in_use_by: if in_use {
            vec![format!(
                "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{}/50dc6c495c0c9188",
                domain.split('.').next().unwrap_or("lb")
            )]
        } else {
            vec![]
        },
        renewal_eligibility: Some(if kind == "AMAZON_ISSUED" && in_use {
            "ELIGIBLE".into()
        } else {
            "INELIGIBLE".into()
        }),
        renewal_status: renewal.map(Into::into),
        failure_reason: (renewal == Some("FAILED"))
            .then(|| "ADDITIONAL_VERIFICATION_REQUIRED".into()),
    }
}

/// The small fixture fleet: a complete snapshot at [`now`].
pub fn snapshot() -> FleetSnapshot {
    let mut s = build(1, now());
    with_tags(&mut s);
    s
}

/// Tags as the schedules' reader leaves them: Name, Environment, Team and the patch group.
pub fn with_tags(s: &mut FleetSnapshot) {
    use crate::model::tags::{NodeTags, Tag};
    const TEAMS: &[&str] = &["payments", "platform", "identity", "search"];
    let tag = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    let mut tags = NodeTags {
        fetched_at: Some(s.collected_at),
        ..NodeTags::default()
    };
    for (i, n) in s.nodes.iter().enumerate() {
        let env = n.name.split('-').next().unwrap_or("dev");
        let mut t = vec![
            tag("Name", &n.name),
            tag("Environment", env),
            tag("Team", TEAMS[i % TEAMS.len()]),
        ];
        if let Some(g) = &n.patch_group {
            t.push(tag("Patch Group", g));
        }
        tags.nodes.push((n.key(), t));
    }
    tags.sort();
    std::sync::Arc::make_mut(&mut s.schedules).tags = tags;
}

/// `snapshot()` with aggregates, as the data layer would publish it.
pub fn update() -> FleetUpdate {
    let s = snapshot();
    let a = Aggregates::compute(&s, &AggregateConfig::default(), now());
    FleetUpdate::Snapshot {
        snapshot: Arc::new(s),
        aggregates: Arc::new(a),
    }
}

/// Wrap any snapshot as an update (aggregates computed at the fixture's now).
pub fn update_of(s: FleetSnapshot) -> FleetUpdate {
    let a = Aggregates::compute(&s, &AggregateConfig::default(), now());
    FleetUpdate::Snapshot {
        snapshot: Arc::new(s),
        aggregates: Arc::new(a),
    }
}

/// A partially collected snapshot (refresh in flight): 4 of 18 units done.
pub fn partial() -> FleetSnapshot {
    let mut s = snapshot();
    s.nodes.retain(|n| n.account_id == "444444444444");
    s.certificates.retain(|c| c.account_id == "444444444444");
    s.commands.clear();
    s.errors.clear();
    s.complete = false;
    s.in_progress = true;
    s.progress = Progress {
        done: 4,
        total: 18,
        ..Progress::default()
    };
    s
}

/// A complete snapshot of an organization with no nodes, certificates, commands or errors.
pub fn empty() -> FleetSnapshot {
    let mut s = snapshot();
    s.nodes.clear();
    s.certificates.clear();
    s.commands.clear();
    s.errors.clear();
    s
}

/// About `nodes` nodes over 100 accounts × 4 regions (benchmarks).
pub fn large(nodes: usize) -> FleetSnapshot {
    // 92 workload accounts × 4 regions carry the bulk; `build` adds the small org on top.
    build(nodes.div_ceil(92 * 4).max(2), now())
}

fn build(scale: usize, now: DateTime<Utc>) -> FleetSnapshot {
    let mut rng = Lcg(42);
    let units = vec![
        ou("r-a1b2", "Root", None, "Root"),
        ou(
            "ou-a1b2-security",
            "Security",
            Some("r-a1b2"),
            "Root/Security",
        ),
        ou(
            "ou-a1b2-workloads",
            "Workloads",
            Some("r-a1b2"),
            "Root/Workloads",
        ),
        ou(
            "ou-a1b2-prod",
            "Prod",
            Some("ou-a1b2-workloads"),
            "Root/Workloads/Prod",
        ),
        ou(
            "ou-a1b2-nonprod",
            "NonProd",
            Some("ou-a1b2-workloads"),
            "Root/Workloads/NonProd",
        ),
        ou("ou-a1b2-sandbox", "Sandbox", Some("r-a1b2"), "Root/Sandbox"),
        ou(
            "ou-a1b2-suspended",
            "Suspended",
            Some("r-a1b2"),
            "Root/Suspended",
        ),
    ];
    let mut accounts = vec![
        acct(
            "111111111111",
            "management",
            "r-a1b2",
            "Root",
            AccountState::Active,
        ),
        acct(
            "222222222222",
            "log-archive",
            "ou-a1b2-security",
            "Root/Security",
            AccountState::Active,
        ),
        acct(
            "333333333333",
            "audit",
            "ou-a1b2-security",
            "Root/Security",
            AccountState::Active,
        ),
        acct(
            "444444444444",
            "prod-web",
            "ou-a1b2-prod",
            "Root/Workloads/Prod",
            AccountState::Active,
        ),
        acct(
            "555555555555",
            "prod-data",
            "ou-a1b2-prod",
            "Root/Workloads/Prod",
            AccountState::Active,
        ),
        acct(
            "666666666666",
            "staging",
            "ou-a1b2-nonprod",
            "Root/Workloads/NonProd",
            AccountState::Active,
        ),
        acct(
            "777777777777",
            "dev-sandbox",
            "ou-a1b2-sandbox",
            "Root/Sandbox",
            AccountState::Active,
        ),
        acct(
            "888888888888",
            "legacy-2019",
            "ou-a1b2-suspended",
            "Root/Suspended",
            AccountState::Suspended,
        ),
    ];
    let regions = vec![
        "us-east-1".to_string(),
        "eu-west-1".to_string(),
        "ap-southeast-2".to_string(),
    ];
    // (account, env, nodes per region)
    let mut plan: Vec<(String, &str, usize)> = vec![
        ("111111111111".into(), "mgmt", 1),
        ("222222222222".into(), "log", 1),
        ("333333333333".into(), "audit", 1),
        ("444444444444".into(), "prod", 5),
        ("555555555555".into(), "prod", 3),
        ("666666666666".into(), "stg", 3),
    ];
    if scale > 1 {
        // bench scale: many workload accounts, 4 regions
        for k in 0..92 {
            let id = format!("{:012}", 900_000_000_000u64 + k as u64);
            accounts.push(acct(
                &id,
                &format!("workload-{k:02}"),
                if k % 2 == 0 {
                    "ou-a1b2-prod"
                } else {
                    "ou-a1b2-nonprod"
                },
                "Root/Workloads",
                AccountState::Active,
            ));
            plan.push((id, if k % 2 == 0 { "prod" } else { "dev" }, scale));
        }
    }
    let regions_used: Vec<String> = if scale > 1 {
        let mut r = regions.clone();
        r.push("us-west-2".into());
        r
    } else {
        regions.clone()
    };
    let mut nodes = Vec::new();
    let mut i = 0;
    for (account, env, per_region) in &plan {
        for region in &regions_used {
            // staging's ap-southeast-2 failed (timeout): no nodes from there
            if account == "666666666666" && region == "ap-southeast-2" {
                continue;
            }
            for _ in 0..*per_region {
                nodes.push(node(&mut rng, i, account, env, region, now));
                i += 1;
            }
        }
    }
    if scale == 1 {
        // Hostile strings from remote data: escape sequences and controls in names.
        nodes[3].name = "web-\u{1b}[31mRED\u{1b}[0m-01\u{7}".into();
        nodes[4].name = "\u{1b}]0;pwned\u{7}db-03\u{1b}[2J".into();
        nodes[5].computer_name = "evil\u{202e}txt.exe".into();
        nodes[5].name = String::new();
        // A node that never reported patches, and one stale one.
        nodes[6].last_operation = None;
        nodes[6].last_operation_end = None;
        nodes[6].missing = 0;
        nodes[6].failed = 0;
        nodes[6].installed_pending_reboot = 0;
        nodes[6].critical_noncompliant = 0;
        nodes[6].security_noncompliant = 0;
        nodes[6].other_noncompliant = 0;
        nodes[6].compliance = nodes[6].derive_compliance();
        nodes[7].last_operation_end = Some(now - Duration::days(23));
        nodes[7].last_operation = Some(PatchOperation::Scan);
        nodes[7].compliance = nodes[7].derive_compliance();
    }
    let mut certificates = vec![
        cert(
            "444444444444",
            "us-east-1",
            "shop.example.com",
            -3,
            "AMAZON_ISSUED",
            true,
            Some("FAILED"),
            now,
        ),
        cert(
            "444444444444",
            "us-east-1",
            "api.example.com",
            5,
            "IMPORTED",
            true,
            None,
            now,
        ),
        cert(
            "444444444444",
            "eu-west-1",
            "eu.shop.example.com",
            12,
            "AMAZON_ISSUED",
            true,
            Some("PENDING_AUTO_RENEWAL"),
            now,
        ),
        cert(
            "555555555555",
            "us-east-1",
            "db-admin.internal.example.com",
            27,
            "PRIVATE",
            false,
            None,
            now,
        ),
        cert(
            "555555555555",
            "eu-west-1",
            "reports.example.com",
            41,
            "AMAZON_ISSUED",
            true,
            Some("PENDING_VALIDATION"),
            now,
        ),
        cert(
            "666666666666",
            "us-east-1",
            "staging.example.com",
            88,
            "AMAZON_ISSUED",
            true,
            Some("SUCCESS"),
            now,
        ),
        cert(
            "111111111111",
            "us-east-1",
            "sso.example.com",
            200,
            "IMPORTED",
            false,
            None,
            now,
        ),
        cert(
            "666666666666",
            "eu-west-1",
            "\u{1b}[5mblink\u{1b}[0m.example.com",
            19,
            "IMPORTED",
            true,
            None,
            now,
        ),
    ];
    if scale > 1 {
        for k in 0..(scale * 2) {
            let a = &accounts[8 + k % 92].id;
            certificates.push(cert(
                a,
                &regions_used[k % 4],
                &format!("svc{k}.example.com"),
                (k as i64 * 7) % 400 - 10,
                "AMAZON_ISSUED",
                k % 3 == 0,
                None,
                now,
            ));
        }
    }
    let commands = vec![
        CommandSummary {
            command_id: "0b9f1d6c-1111-4c4b-8a5e-0123456789ab".into(),
            account_id: "444444444444".into(),
            region: "us-east-1".into(),
            document_name: "AWS-RunPatchBaseline".into(),
            comment: "ssmdeck: patch now (Install) by alice".into(),
            status: "InProgress".into(),
            status_details: "InProgress".into(),
            requested_at: Some(now - Duration::minutes(3)),
            parameters: BTreeMap::from([("Operation".into(), vec!["Install".into()])]),
            instance_ids: nodes
                .iter()
                .filter(|n| n.account_id == "444444444444")
                .take(6)
                .map(|n| n.instance_id.clone())
                .collect(),
            targets: vec![],
            target_count: 6,
            completed_count: 2,
            error_count: 0,
            delivery_timed_out_count: 0,
            max_concurrency: "50".into(),
            max_errors: "0".into(),
        },
        CommandSummary {
            command_id: "7c2e9a40-2222-4d1e-9f6a-abcdefabcdef".into(),
            account_id: "555555555555".into(),
            region: "eu-west-1".into(),
            document_name: "AWS-RunPatchBaseline".into(),
            comment: "nightly scan".into(),
            status: "Success".into(),
            status_details: "Success".into(),
            requested_at: Some(now - Duration::hours(7)),
            targets: vec!["tag:Patch Group=Production".into()],
            target_count: 9,
            completed_count: 9,
            max_concurrency: "10%".into(),
            max_errors: "10%".into(),
            ..Default::default()
        },
        CommandSummary {
            command_id: "3d4c5b6a-3333-4e2f-8a1b-fedcba987654".into(),
            account_id: "666666666666".into(),
            region: "us-east-1".into(),
            document_name: "AWS-RunPatchBaseline".into(),
            comment: "install staging".into(),
            status: "Failed".into(),
            status_details: "Failed".into(),
            requested_at: Some(now - Duration::days(2)),
            instance_ids: vec!["i-0b0000000000000a1".into(), "i-0b0000000000000a2".into()],
            target_count: 2,
            completed_count: 2,
            error_count: 1,
            max_concurrency: "50".into(),
            max_errors: "0".into(),
            ..Default::default()
        },
    ];
    let errors = vec![
        CollectError {
            account_id: Some("777777777777".into()),
            region: None,
            service: "sts".into(),
            operation: "AssumeRole".into(),
            code: "AccessDenied".into(),
            message: "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::777777777777:role/OrganizationAccountAccessRole".into(),
            at: Some(now - Duration::seconds(40)),
        },
        CollectError {
            account_id: Some("666666666666".into()),
            region: Some("ap-southeast-2".into()),
            service: "ssm".into(),
            operation: "DescribeInstanceInformation".into(),
            code: "Timeout".into(),
            message: "operation timed out after 20s".into(),
            at: Some(now - Duration::seconds(35)),
        },
        CollectError {
            account_id: Some("888888888888".into()),
            region: None,
            service: "sts".into(),
            operation: "AssumeRole".into(),
            code: "AccessDenied".into(),
            message: "account is suspended".into(),
            at: Some(now - Duration::seconds(41)),
        },
    ];
    let units_total = (plan.len() as u32 + 2) * regions_used.len() as u32;
    // patch schedules (windows, baselines, associations): the small world only
    let schedules = if scale == 1 {
        Arc::new(super::fixture_schedules::schedules(
            &nodes,
            &plan,
            &regions_used,
            now,
        ))
    } else {
        Default::default()
    };
    FleetSnapshot {
        organization: Organization {
            id: Some("o-a1b2c3d4e5".into()),
            management_account_id: Some("111111111111".into()),
            source: DiscoverySource::Organizations,
            note: None,
            units,
        },
        caller: Some(CallerIdentity {
            account_id: "111111111111".into(),
            arn: "arn:aws:iam::111111111111:user/alice".into(),
            user_id: "AIDAEXAMPLE".into(),
        }),
        profile: Some("org-admin".into()),
        regions: regions_used,
        accounts,
        nodes,
        certificates,
        commands,
        errors,
        sources: vec![],
        collected_at: now - Duration::seconds(42),
        progress: Progress {
            done: units_total,
            total: units_total,
            discovering: false,
        },
        complete: true,
        in_progress: false,
        missing: vec![],
        from_cache: false,
        schedules,
    }
}

/// Patches of a node (deterministic from its counters).
pub fn patches(n: &Node) -> Vec<Patch> {
    let mut v = Vec::new();
    let linux = n.platform_type != PlatformType::Windows;
    let mk = |i: u32, state: PatchState, sev: &str, class: &str| Patch {
        title: if linux {
            format!("openssl-libs-3.0.{}-{}.amzn2023 ", 8 + i, i)
        } else {
            format!(
                "2026-11 Cumulative Update for Windows Server 2022 (KB50{:05})",
                44000 + i
            )
        },
        kb_id: if linux {
            format!("openssl-libs.{i}")
        } else {
            format!("KB50{:05}", 44000 + i)
        },
        classification: class.into(),
        severity: sev.into(),
        state,
        installed_time: matches!(
            state,
            PatchState::Installed | PatchState::InstalledPendingReboot
        )
        .then(|| now() - Duration::days(i as i64 + 3)),
        cve_ids: if sev == "Critical" {
            vec![format!("CVE-2026-{:04}", 1000 + i)]
        } else {
            vec![]
        },
    };
    let mut i = 0;
    for _ in 0..n.critical_noncompliant.min(n.missing) {
        v.push(mk(i, PatchState::Missing, "Critical", "Security"));
        i += 1;
    }
    for _ in 0..n.security_noncompliant {
        v.push(mk(i, PatchState::Missing, "Important", "Security"));
        i += 1;
    }
    for _ in 0..n.other_noncompliant {
        v.push(mk(i, PatchState::Missing, "Low", "Bugfix"));
        i += 1;
    }
    for _ in 0..n.failed {
        v.push(mk(i, PatchState::Failed, "Critical", "Security"));
        i += 1;
    }
    for _ in 0..n.installed_pending_reboot {
        v.push(mk(
            i,
            PatchState::InstalledPendingReboot,
            "Important",
            "Security",
        ));
        i += 1;
    }
    for _ in 0..n.installed.min(8) {
        v.push(mk(i, PatchState::Installed, "Moderate", "Bugfix"));
        i += 1;
    }
    v
}

pub fn inventory(n: &Node) -> NodeInventory {
    NodeInventory {
        capture_time: Some("2026-11-23T05:40:00Z".into()),
        instance_information: BTreeMap::from([
            ("ComputerName".into(), n.computer_name.clone()),
            ("IpAddress".into(), n.ip_address.clone()),
            ("PlatformName".into(), n.platform_name.to_string()),
        ]),
        applications: node_apps(n)
            .into_iter()
            .map(|(name, version)| {
                BTreeMap::from([("Name".into(), name), ("Version".into(), version)])
            })
            .collect(),
    }
}

pub fn invocations(n: &Node) -> Vec<CommandInvocation> {
    vec![
        CommandInvocation {
            command_id: "7c2e9a40-2222-4d1e-9f6a-abcdefabcdef".into(),
            account_id: n.account_id.clone(),
            region: n.region.clone(),
            instance_id: n.instance_id.clone(),
            instance_name: n.name.clone(),
            document_name: "AWS-RunPatchBaseline".into(),
            status: "Success".into(),
            status_details: "Success".into(),
            requested_at: Some(now() - Duration::hours(7)),
            plugins: vec![],
        },
        CommandInvocation {
            command_id: "5e6f7a8b-4444-4a2b-9c3d-112233445566".into(),
            account_id: n.account_id.clone(),
            region: n.region.clone(),
            instance_id: n.instance_id.clone(),
            instance_name: n.name.clone(),
            document_name: "AWS-RunPatchBaseline".into(),
            status: "Failed".into(),
            status_details: "Failed".into(),
            requested_at: Some(now() - Duration::days(3)),
            plugins: vec![CommandPluginOutput {
                name: "PatchLinux".into(),
                status: "Failed".into(),
                response_code: 1,
                ..Default::default()
            }],
        },
    ]
}

/// The fixture fleet's patch index, as the indexer would publish it after a full pass:
/// every node with a patch state read from [`patches`], except one node whose read was
/// refused (unreadable: "unknown" for every question); never-scanned nodes unknown.
pub fn patch_index() -> crate::ui::data::PatchIndexFeed {
    use crate::model::patch_index::{PatchIndex, Stamp, UNREADABLE};
    let snap = snapshot();
    let mut ix = PatchIndex::new();
    ix.plan(&snap.nodes);
    let mut refused = false;
    for n in &snap.nodes {
        let Some(stamp) = Stamp::of(n) else { continue };
        if !refused && n.missing > 0 && n.account_id == "444444444444" {
            refused = true;
            ix.set_unknown(
                &n.key(),
                format!("{UNREADABLE}: AccessDeniedException: not authorized to perform ssm:DescribeInstancePatches"),
            );
            continue;
        }
        ix.set_list(&n.key(), stamp, &patches(n), now());
    }
    let mut progress = ix.progress();
    progress.calls = (progress.indexed + progress.unreadable) as u64;
    crate::ui::data::PatchIndexFeed::new(Arc::new(ix), progress)
}

/// The fixture fleet's software inventory (as `Fleet::software_inventory` merges it): a
/// few applications per platform, older versions on some nodes (drift), and one account
/// whose GetInventory was refused in every region.
pub fn software() -> crate::model::software::SoftwareInventory {
    use crate::model::software::SoftwareMerger;
    let snap = snapshot();
    let mut m = SoftwareMerger::default();
    let mut accounts: Vec<&str> = snap.nodes.iter().map(|n| n.account_id.as_str()).collect();
    accounts.sort();
    accounts.dedup();
    for a in accounts {
        if a == "555555555555" {
            for r in &snap.regions {
                m.add_failure(
                    a,
                    r,
                    "AccessDeniedException",
                    "User is not authorized to perform: ssm:GetInventory",
                );
            }
            continue;
        }
        let mut apps: Vec<(String, String, u64)> = Vec::new();
        for n in snap.nodes.iter().filter(|n| n.account_id == a) {
            for (name, version) in node_apps(n) {
                match apps.iter_mut().find(|x| x.0 == name && x.1 == version) {
                    Some(x) => x.2 += 1,
                    None => apps.push((name, version, 1)),
                }
            }
        }
        m.add_unit(a, &apps, &[]);
    }
    let mut inv = m.finish(snap.regions.len());
    inv.set_agents(&snap.nodes);
    inv
}

/// A fixture node's applications (name, version): consistent with its patch list (a node
/// missing patches runs the older openssl).
pub fn node_apps(n: &Node) -> Vec<(String, String)> {
    if n.platform_type == PlatformType::Windows {
        return vec![
            ("Amazon SSM Agent".into(), n.agent_version.to_string()),
            (
                "Microsoft Edge".into(),
                if n.missing > 0 {
                    "118.0.2088.76"
                } else {
                    "119.0.2151.58"
                }
                .into(),
            ),
            ("Microsoft .NET Runtime".into(), "8.0.0".into()),
        ];
    }
    vec![
        ("amazon-ssm-agent".into(), n.agent_version.to_string()),
        (
            "openssl-libs".into(),
            if n.missing > 0 { "3.0.8" } else { "3.0.12" }.into(),
        ),
        (
            "nginx".into(),
            if n.instance_id.ends_with(['1', '3', '5']) {
                "1.24.0"
            } else {
                "1.26.2"
            }
            .into(),
        ),
        ("bash".into(), "5.2.15".into()),
    ]
}
