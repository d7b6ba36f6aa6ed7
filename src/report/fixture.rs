//! A small, deterministic, hand-built fleet for tests of the reports (and of anything that
//! exports them): three OUs, four accounts (one unreadable), five nodes covering every
//! compliance case, certificates in every band, commands, a collection error — and hostile
//! strings (formula injection, terminal escapes, HTML) in names and domains.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::model::{
    AccountState, CallerIdentity, Certificate, CollectError, CommandSummary, Compliance,
    DiscoverySource, FleetSnapshot, Node, Organization, Patch, PatchOperation, PatchState,
    PingStatus, PlatformType, Progress,
};

use super::NodePatches;

/// The fixed instant the fixture is built around: `2026-11-23T06:00:00Z` (shared with the
/// console's fixture).
pub fn fixture_now() -> DateTime<Utc> {
    crate::model::fixture::now()
}

#[allow(clippy::too_many_arguments)]
fn node(
    id: &str,
    acct: &str,
    region: &str,
    name: &str,
    platform: (&str, &str, PlatformType),
    scanned_days_ago: Option<i64>,
    counts: [u32; 4], // missing, failed, critical, security
    now: DateTime<Utc>,
) -> Node {
    let mut n = Node {
        instance_id: id.into(),
        account_id: acct.into(),
        region: region.into(),
        name: name.into(),
        computer_name: format!("{}.internal", id),
        ip_address: "10.0.0.10".into(),
        resource_type: if id.starts_with("mi-") {
            "ManagedInstance".into()
        } else {
            "EC2Instance".into()
        },
        platform_type: platform.2,
        platform_name: platform.0.into(),
        platform_version: platform.1.into(),
        agent_version: "3.3.1142.0".into(),
        ping_status: PingStatus::Online,
        last_ping: Some(now - Duration::minutes(3)),
        registration_date: Some(now - Duration::days(400)),
        patch_group: Some("Production".into()),
        baseline_id: Some("pb-0123456789abcdef0".into()),
        installed: 120,
        missing: counts[0],
        failed: counts[1],
        critical_noncompliant: counts[2],
        security_noncompliant: counts[3],
        other_noncompliant: (counts[0] + counts[1]).saturating_sub(counts[2] + counts[3]),
        ..Default::default()
    };
    if let Some(d) = scanned_days_ago {
        n.last_operation = Some(PatchOperation::Scan);
        n.last_operation_start = Some(now - Duration::days(d) - Duration::minutes(5));
        n.last_operation_end = Some(now - Duration::days(d));
    } else {
        n.installed = 0;
        n.baseline_id = None;
    }
    n.compliance = n.derive_compliance();
    n
}

#[allow(clippy::too_many_arguments)]
fn cert(
    arn_id: &str,
    acct: &str,
    region: &str,
    domain: &str,
    days_left: i64,
    cert_type: &str,
    in_use: bool,
    now: DateTime<Utc>,
) -> Certificate {
    let not_after = now + Duration::days(days_left) + Duration::hours(1);
    Certificate {
        arn: format!("arn:aws:acm:{region}:{acct}:certificate/{arn_id}"),
        account_id: acct.into(),
        region: region.into(),
        domain_name: domain.into(),
        subject_alternative_names: vec![domain.into()],
        cert_type: cert_type.into(),
        status: if days_left < 0 { "EXPIRED" } else { "ISSUED" }.into(),
        key_algorithm: "RSA_2048".into(),
        not_before: Some(not_after - Duration::days(395)),
        not_after: Some(not_after),
        days_left: Some(days_left),
        in_use,
        in_use_by: if in_use {
            vec![format!(
                "arn:aws:elasticloadbalancing:{region}:{acct}:loadbalancer/app/web/1"
            )]
        } else {
            vec![]
        },
        renewal_eligibility: Some(if in_use { "ELIGIBLE" } else { "INELIGIBLE" }.into()),
        renewal_status: (cert_type == "AMAZON_ISSUED").then(|| "PENDING_AUTO_RENEWAL".into()),
        failure_reason: None,
    }
}

/// The fixture snapshot (collected at [`fixture_now`]) and the patch lists of two nodes.
pub fn fixture() -> (FleetSnapshot, NodePatches) {
    let now = fixture_now();
    let linux = ("Amazon Linux", "2023", PlatformType::Linux);
    let ubuntu = ("Ubuntu", "22.04", PlatformType::Linux);
    let windows = (
        "Microsoft Windows Server 2022 Datacenter",
        "10.0.20348",
        PlatformType::Windows,
    );
    use crate::model::fixture::{account, ou};
    let units = vec![
        ou("r-ab12", "Root", None, "Root"),
        ou("ou-ab12-prod0001", "Prod", Some("r-ab12"), "Root/Prod"),
        ou("ou-ab12-dev00001", "Dev", Some("r-ab12"), "Root/Dev"),
    ];
    let acct = |id: &str, name: &str, ou: &str, path: &str| {
        account(id, name, id, ou, path, AccountState::Active)
    };
    let accounts = vec![
        acct("111111111111", "management", "r-ab12", "Root"),
        acct(
            "222222222222",
            "prod-payments",
            "ou-ab12-prod0001",
            "Root/Prod",
        ),
        acct(
            "333333333333",
            "dev-sandbox",
            "ou-ab12-dev00001",
            "Root/Dev",
        ),
        acct(
            "444444444444",
            "=evil\u{1b}[31m-name",
            "ou-ab12-dev00001",
            "Root/Dev",
        ),
    ];
    let mut hybrid = node(
        "mi-0bbbbbbbbbbbbbbb1",
        "333333333333",
        "eu-west-1",
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        ubuntu,
        Some(2),
        [1, 0, 0, 0],
        now,
    );
    hybrid.ping_status = PingStatus::ConnectionLost;
    hybrid.agent_outdated = true;
    hybrid.patch_group = None;
    let mut unreported = node(
        "i-0ccccccccccccccc1",
        "333333333333",
        "us-east-1",
        "build-agent",
        windows,
        None,
        [0, 0, 0, 0],
        now,
    );
    unreported.patch_group = Some("Dev".into());
    let nodes = vec![
        node(
            "i-0aaaaaaaaaaaaaaa1",
            "222222222222",
            "us-east-1",
            "web-01",
            linux,
            Some(1),
            [0, 0, 0, 0],
            now,
        ),
        node(
            "i-0aaaaaaaaaaaaaaa2",
            "222222222222",
            "us-east-1",
            "db-01",
            windows,
            Some(1),
            [3, 1, 2, 1],
            now,
        ),
        node(
            "i-0aaaaaaaaaaaaaaa3",
            "222222222222",
            "eu-west-1",
            "app\u{1b}]0;pwned\u{7}-02",
            linux,
            Some(10),
            [0, 0, 0, 0],
            now,
        ),
        hybrid,
        unreported,
    ];
    debug_assert_eq!(nodes[1].compliance, Compliance::NonCompliant);
    let mut failed_renewal = cert(
        "c5",
        "222222222222",
        "us-east-1",
        "<script>alert(1)</script>.example.com",
        20,
        "AMAZON_ISSUED",
        true,
        now,
    );
    failed_renewal.renewal_status = Some("FAILED".into());
    failed_renewal.failure_reason = Some("CAA_ERROR".into());
    let certificates = vec![
        cert(
            "c1",
            "222222222222",
            "us-east-1",
            "api.example.com",
            5,
            "AMAZON_ISSUED",
            true,
            now,
        ),
        cert(
            "c2",
            "222222222222",
            "eu-west-1",
            "legacy.example.com",
            40,
            "IMPORTED",
            true,
            now,
        ),
        cert(
            "c3",
            "333333333333",
            "us-east-1",
            "expired.example.com",
            -3,
            "IMPORTED",
            false,
            now,
        ),
        cert(
            "c4",
            "333333333333",
            "eu-west-1",
            "ok.example.com",
            200,
            "AMAZON_ISSUED",
            false,
            now,
        ),
        failed_renewal,
    ];
    let mut params = BTreeMap::new();
    params.insert("Operation".to_string(), vec!["Install".to_string()]);
    params.insert(
        "RebootOption".to_string(),
        vec!["RebootIfNeeded".to_string()],
    );
    let commands = vec![
        CommandSummary {
            command_id: "11111111-2222-3333-4444-555555555555".into(),
            account_id: "222222222222".into(),
            region: "us-east-1".into(),
            document_name: "AWS-RunPatchBaseline".into(),
            comment: "ssmdeck: patch now".into(),
            status: "Success".into(),
            status_details: "Success".into(),
            requested_at: Some(now - Duration::hours(5)),
            parameters: params.clone(),
            instance_ids: vec!["i-0aaaaaaaaaaaaaaa1".into()],
            targets: vec![],
            target_count: 1,
            completed_count: 1,
            error_count: 0,
            delivery_timed_out_count: 0,
            max_concurrency: "50".into(),
            max_errors: "0".into(),
        },
        CommandSummary {
            command_id: "66666666-7777-8888-9999-000000000000".into(),
            account_id: "333333333333".into(),
            region: "eu-west-1".into(),
            document_name: "AWS-RunPatchBaseline".into(),
            comment: "@nightly".into(),
            status: "Failed".into(),
            status_details: "Failed".into(),
            requested_at: Some(now - Duration::hours(2)),
            parameters: params,
            instance_ids: vec![],
            targets: vec!["tag:Patch Group=Production".into()],
            target_count: 2,
            completed_count: 2,
            error_count: 1,
            delivery_timed_out_count: 0,
            max_concurrency: "10%".into(),
            max_errors: "1".into(),
        },
    ];
    let errors = vec![CollectError {
        account_id: Some("444444444444".into()),
        region: Some("us-east-1".into()),
        service: "sts".into(),
        operation: "AssumeRole".into(),
        code: "AccessDenied".into(),
        message: "User is not authorized to perform sts:AssumeRole <b>on</b> role".into(),
        at: Some(now),
    }];
    let snap = FleetSnapshot {
        organization: Organization {
            id: Some("o-abcdef1234".into()),
            management_account_id: Some("111111111111".into()),
            source: DiscoverySource::Organizations,
            note: None,
            units,
        },
        caller: Some(CallerIdentity {
            account_id: "111111111111".into(),
            arn: "arn:aws:iam::111111111111:user/sre".into(),
            user_id: "AIDAEXAMPLE".into(),
        }),
        profile: Some("org-admin".into()),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        accounts,
        nodes,
        certificates,
        commands,
        errors,
        sources: vec![],
        collected_at: now,
        progress: Progress {
            done: 8,
            total: 8,
            ..Progress::default()
        },
        complete: true,
        in_progress: false,
        missing: vec![],
        from_cache: false,
        schedules: Default::default(),
    };

    let mut patches = NodePatches::new();
    let db = snap.nodes[1].key();
    patches.insert(
        db,
        Ok(vec![
            Patch {
                title: "2026-11 Cumulative Update for Windows Server 2022 (KB5050001)".into(),
                kb_id: "KB5050001".into(),
                classification: "SecurityUpdates".into(),
                severity: "Critical".into(),
                state: PatchState::Missing,
                installed_time: None,
                cve_ids: vec!["CVE-2026-1001".into(), "CVE-2026-1002".into()],
            },
            Patch {
                title: "Servicing Stack Update (KB5050002)".into(),
                kb_id: "KB5050002".into(),
                classification: "CriticalUpdates".into(),
                severity: "Critical".into(),
                state: PatchState::Failed,
                installed_time: None,
                cve_ids: vec![],
            },
            Patch {
                title: "-1+1 formula in a title".into(),
                kb_id: "KB5040000".into(),
                classification: "Updates".into(),
                severity: "Important".into(),
                state: PatchState::Installed,
                installed_time: Some(now - Duration::days(30)),
                cve_ids: vec![],
            },
        ]),
    );
    patches.insert(
        snap.nodes[3].key(),
        Err("ThrottlingException: Rate exceeded".into()),
    );
    (snap, patches)
}
