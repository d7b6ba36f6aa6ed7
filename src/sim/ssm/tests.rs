//! Unit tests of `SsmWorld::handle` with JSON in and out (the HTTP-level tests through the
//! real SDK are in `tests/sim_ssm.rs`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::SsmWorld;
use crate::sim::{AccountSeed, CallCtx, SimClock, SimConfig};

fn seeds(n: usize) -> Vec<AccountSeed> {
    let ous = [
        "Root",
        "Root/Workloads/Prod",
        "Root/Workloads/Staging",
        "Root/Workloads/Dev",
        "Root/Security",
        "Root/Sandbox",
    ];
    (0..n)
        .map(|i| AccountSeed {
            id: format!("{:012}", 111_111_111_111u64 + i as u64 * 1_111),
            name: format!("acct-{i}"),
            ou_path: ous[i % ous.len()].to_string(),
            active: i != n - 1 || n < 3,
        })
        .collect()
}

fn world_with(cfg: SimConfig, accounts: usize) -> (SsmWorld, Vec<AccountSeed>) {
    let s = seeds(accounts);
    let clock = SimClock::for_config(&cfg);
    (SsmWorld::generate(&cfg, &s, &clock), s)
}

fn world() -> (SsmWorld, Vec<AccountSeed>) {
    world_with(SimConfig::default(), 12)
}

fn ctx(account: &str, region: &str) -> CallCtx {
    CallCtx {
        account_id: account.to_string(),
        region: region.to_string(),
        caller_arn: format!("arn:aws:iam::{account}:user/test"),
        request_id: "req".into(),
    }
}

fn call(w: &SsmWorld, c: &CallCtx, op: &str, input: Value) -> Value {
    w.handle(op, &input, c)
        .map(crate::sim::protocol::materialize)
        .unwrap_or_else(|e| panic!("{op} {input}: {e}"))
}

fn call_err(w: &SsmWorld, c: &CallCtx, op: &str, input: Value) -> String {
    match w.handle(op, &input, c) {
        Ok(v) => panic!(
            "{op} {input} succeeded: {}",
            crate::sim::protocol::materialize(v)
        ),
        Err(e) => e.code,
    }
}

/// Every page of a list operation.
fn walk(w: &SsmWorld, c: &CallCtx, op: &str, input: Value, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut req = input;
    for _ in 0..10_000 {
        let resp = call(w, c, op, req.clone());
        out.extend(resp[key].as_array().cloned().unwrap_or_default());
        match resp.get("NextToken").and_then(Value::as_str) {
            Some(t) => req["NextToken"] = json!(t),
            None => return out,
        }
    }
    panic!("{op} never ended");
}

fn nodes(w: &SsmWorld, c: &CallCtx) -> Vec<Value> {
    walk(
        w,
        c,
        "DescribeInstanceInformation",
        json!({"MaxResults": 50}),
        "InstanceInformationList",
    )
}

#[test]
fn default_world_has_about_600_nodes_and_none_in_the_suspended_account() {
    let (w, s) = world();
    assert_eq!(w.total_nodes(), 550);
    let suspended = s.iter().find(|a| !a.active).unwrap();
    for r in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
        assert_eq!(w.node_count(&suspended.id, r), 0);
        assert!(nodes(&w, &ctx(&suspended.id, r)).is_empty());
    }
    let total: usize = s
        .iter()
        .flat_map(|a| {
            ["us-east-1", "eu-west-1", "ap-southeast-2"]
                .iter()
                .map(move |r| (a.id.clone(), r.to_string()))
        })
        .map(|(a, r)| nodes(&w, &ctx(&a, &r)).len())
        .sum();
    assert_eq!(total, w.total_nodes());
}

#[test]
fn describe_instance_information_pages_to_the_end_with_every_node_once() {
    let (w, s) = world();
    let c = ctx(&s[1].id, "us-east-1");
    let expected = w.node_count(&s[1].id, "us-east-1");
    let small = walk(
        &w,
        &c,
        "DescribeInstanceInformation",
        json!({"MaxResults": 5}),
        "InstanceInformationList",
    );
    assert_eq!(small.len(), expected);
    let mut ids: Vec<&str> = small
        .iter()
        .map(|n| n["InstanceId"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected);
    // Default page size is 10.
    let first = call(&w, &c, "DescribeInstanceInformation", json!({}));
    assert_eq!(
        first["InstanceInformationList"].as_array().unwrap().len(),
        10
    );
    assert!(first["NextToken"].is_string());
}

#[test]
fn page_limits_and_bad_tokens_are_rejected() {
    let (w, s) = world();
    let c = ctx(&s[1].id, "us-east-1");
    for (op, bad) in [
        ("DescribeInstanceInformation", json!({"MaxResults": 51})),
        ("DescribeInstanceInformation", json!({"MaxResults": 4})),
        (
            "DescribeInstancePatchStates",
            json!({"InstanceIds": [], "MaxResults": 9}),
        ),
        ("ListCommands", json!({"MaxResults": 51})),
        ("DescribeMaintenanceWindows", json!({"MaxResults": 5})),
        ("ListComplianceSummaries", json!({"MaxResults": 0})),
    ] {
        assert_eq!(call_err(&w, &c, op, bad), "ValidationException", "{op}");
    }
    assert_eq!(
        call_err(
            &w,
            &c,
            "DescribeInstanceInformation",
            json!({"NextToken": "not-a-token"})
        ),
        "InvalidNextToken"
    );
}

#[test]
fn instance_information_shapes_and_filters() {
    let (w, s) = world();
    let mut all: Vec<Value> = Vec::new();
    for r in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
        for a in &s {
            all.extend(nodes(&w, &ctx(&a.id, r)));
        }
    }
    let platforms: std::collections::BTreeSet<String> = all
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n["PlatformName"].as_str().unwrap(),
                n["PlatformVersion"]
            )
        })
        .collect();
    for want in [
        "Amazon Linux \"2023\"",
        "Amazon Linux \"2\"",
        "Ubuntu \"22.04\"",
        "Ubuntu \"24.04\"",
        "Microsoft Windows Server 2022 Datacenter \"10.0.20348\"",
    ] {
        assert!(
            platforms.contains(want),
            "{want} missing from {platforms:?}"
        );
    }
    let hybrid: Vec<&Value> = all
        .iter()
        .filter(|n| n["InstanceId"].as_str().unwrap().starts_with("mi-"))
        .collect();
    assert!(!hybrid.is_empty());
    assert!(
        hybrid
            .iter()
            .all(|n| n["ResourceType"] == "ManagedInstance" && n["Name"].is_string())
    );
    let lost = all
        .iter()
        .filter(|n| n["PingStatus"] == "ConnectionLost")
        .count();
    assert!(lost > 10 && lost < all.len() / 4, "{lost} offline");
    assert!(
        all.iter()
            .any(|n| n["IsLatestVersion"] == false && n["PlatformType"] == "Linux")
    );
    assert!(all.iter().all(|n| n["LastPingDateTime"].is_number()));
    let hostile: Vec<&Value> = all
        .iter()
        .filter(|n| n["ComputerName"].as_str().unwrap().contains('\u{1b}'))
        .collect();
    assert_eq!(hostile.len(), 1, "exactly one hostile node");
    // It sits in the first member account's first region, and its tags are hostile too.
    let hc = ctx(&s[1].id, "us-east-1");
    let evil = nodes(&w, &hc)
        .into_iter()
        .find(|n| n["ComputerName"].as_str().unwrap().contains('\u{1b}'))
        .expect("hostile node in the first member account");
    let tags = call(
        &w,
        &hc,
        "ListTagsForResource",
        json!({"ResourceType": "ManagedInstance", "ResourceId": evil["InstanceId"]}),
    );
    assert!(
        tags["TagList"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["Value"].as_str().unwrap().contains('\u{1b}'))
    );

    // Filters on one account × region.
    let c = ctx(&s[1].id, "us-east-1");
    let here = nodes(&w, &c);
    let online = walk(
        &w,
        &c,
        "DescribeInstanceInformation",
        json!({"Filters": [{"Key": "PingStatus", "Values": ["Online"]}]}),
        "InstanceInformationList",
    );
    assert_eq!(
        online.len(),
        here.iter().filter(|n| n["PingStatus"] == "Online").count()
    );
    let legacy = walk(
        &w,
        &c,
        "DescribeInstanceInformation",
        json!({"InstanceInformationFilterList": [{"key": "PlatformTypes", "valueSet": ["Windows"]}]}),
        "InstanceInformationList",
    );
    assert_eq!(
        legacy.len(),
        here.iter()
            .filter(|n| n["PlatformType"] == "Windows")
            .count()
    );
    let prod = walk(
        &w,
        &c,
        "DescribeInstanceInformation",
        json!({"Filters": [{"Key": "tag:Patch Group", "Values": ["Production"]}]}),
        "InstanceInformationList",
    );
    assert!(!prod.is_empty() && prod.len() < here.len());
    let one = here[3]["InstanceId"].as_str().unwrap();
    let by_id = call(
        &w,
        &c,
        "DescribeInstanceInformation",
        json!({"Filters": [{"Key": "InstanceIds", "Values": [one]}]}),
    );
    assert_eq!(by_id["InstanceInformationList"][0]["InstanceId"], one);
    assert_eq!(
        call_err(
            &w,
            &c,
            "DescribeInstanceInformation",
            json!({"Filters": [{"Key": "InstanceIds", "Values": ["i-bad"]}]})
        ),
        "InvalidInstanceId"
    );
}

#[test]
fn patch_counts_equal_the_patch_lists_for_every_node() {
    let (w, s) = world();
    let mut seen_states = std::collections::BTreeSet::new();
    for region in ["us-east-1", "eu-west-1"] {
        let c = ctx(&s[2].id, region);
        let ids: Vec<String> = nodes(&w, &c)
            .iter()
            .map(|n| n["InstanceId"].as_str().unwrap().to_string())
            .collect();
        for chunk in ids.chunks(50) {
            let states = walk(
                &w,
                &c,
                "DescribeInstancePatchStates",
                json!({"InstanceIds": chunk, "MaxResults": 10}),
                "InstancePatchStates",
            );
            for st in states {
                let id = st["InstanceId"].as_str().unwrap();
                let patches = walk(
                    &w,
                    &c,
                    "DescribeInstancePatches",
                    json!({"InstanceId": id, "MaxResults": 100}),
                    "Patches",
                );
                let count =
                    |state: &str| patches.iter().filter(|p| p["State"] == state).count() as u64;
                for (field, state) in [
                    ("InstalledCount", "Installed"),
                    ("InstalledOtherCount", "InstalledOther"),
                    ("InstalledPendingRebootCount", "InstalledPendingReboot"),
                    ("InstalledRejectedCount", "InstalledRejected"),
                    ("MissingCount", "Missing"),
                    ("FailedCount", "Failed"),
                    ("NotApplicableCount", "NotApplicable"),
                ] {
                    assert_eq!(st[field].as_u64().unwrap(), count(state), "{id} {field}");
                }
                let nc: Vec<&Value> = patches
                    .iter()
                    .filter(|p| {
                        matches!(
                            p["State"].as_str().unwrap(),
                            "Missing" | "Failed" | "InstalledPendingReboot" | "InstalledRejected"
                        )
                    })
                    .collect();
                let crit = nc.iter().filter(|p| p["Severity"] == "Critical").count() as u64;
                assert_eq!(
                    st["CriticalNonCompliantCount"].as_u64().unwrap(),
                    crit,
                    "{id}"
                );
                assert_eq!(
                    st["CriticalNonCompliantCount"].as_u64().unwrap()
                        + st["SecurityNonCompliantCount"].as_u64().unwrap()
                        + st["OtherNonCompliantCount"].as_u64().unwrap(),
                    nc.len() as u64
                );
                for p in &patches {
                    seen_states.insert(p["State"].as_str().unwrap().to_string());
                    let missing = matches!(p["State"].as_str().unwrap(), "Missing");
                    if missing {
                        assert_eq!(p["InstalledTime"], json!(0));
                    }
                }
            }
        }
    }
    // AWS spells the states in CamelCase (aws-cli describe-instance-patches.rst)
    for s in ["Installed", "Missing", "InstalledOther"] {
        assert!(seen_states.contains(s), "{s} never seen");
    }
}

#[test]
fn patch_filters_accept_camel_case_states() {
    let (w, s) = world();
    let c = ctx(&s[1].id, "us-east-1");
    let ids: Vec<String> = nodes(&w, &c)
        .iter()
        .map(|n| n["InstanceId"].as_str().unwrap().to_string())
        .collect();
    let states = walk(
        &w,
        &c,
        "DescribeInstancePatchStates",
        json!({"InstanceIds": &ids[..ids.len().min(50)]}),
        "InstancePatchStates",
    );
    let st = states
        .iter()
        .find(|s| s["MissingCount"].as_u64().unwrap() > 0)
        .expect("a node with missing patches");
    let id = st["InstanceId"].as_str().unwrap();
    let missing = walk(
        &w,
        &c,
        "DescribeInstancePatches",
        json!({"InstanceId": id, "Filters": [{"Key": "State", "Values": ["Missing"]}]}),
        "Patches",
    );
    assert_eq!(missing.len() as u64, st["MissingCount"].as_u64().unwrap());
    assert!(missing.iter().all(|p| p["State"] == "Missing"));
    assert!(
        missing
            .iter()
            .filter(
                |p| p["Classification"] == "Security" || p["Classification"] == "SecurityUpdates"
            )
            .all(|p| p["CVEIds"].as_str().unwrap_or("").starts_with("CVE-"))
    );
    assert_eq!(
        call_err(
            &w,
            &c,
            "DescribeInstancePatches",
            json!({"InstanceId": id, "Filters": [{"Key": "State", "Values": ["Broken"]}]})
        ),
        "InvalidFilter"
    );
    assert_eq!(
        call_err(
            &w,
            &c,
            "DescribeInstancePatches",
            json!({"InstanceId": "i-0123456789abcdef0"})
        ),
        "InvalidInstanceId"
    );
}

#[test]
fn accounts_and_regions_are_isolated() {
    let (w, s) = world();
    let a = nodes(&w, &ctx(&s[1].id, "us-east-1"));
    let id = a[0]["InstanceId"].as_str().unwrap();
    assert_eq!(
        call_err(
            &w,
            &ctx(&s[2].id, "us-east-1"),
            "DescribeInstancePatches",
            json!({"InstanceId": id})
        ),
        "InvalidInstanceId"
    );
    assert_eq!(
        call_err(
            &w,
            &ctx(&s[1].id, "eu-west-1"),
            "DescribeInstancePatches",
            json!({"InstanceId": id})
        ),
        "InvalidInstanceId"
    );
    // A region outside the world answers, empty.
    assert!(nodes(&w, &ctx(&s[1].id, "sa-east-1")).is_empty());
}

#[test]
fn same_seed_same_world_and_scale_flags_do_not_reshuffle() {
    // one start time for both worlds: generated times are relative to it
    let at = |cfg: SimConfig| SimConfig {
        epoch: Some(chrono::DateTime::from_timestamp(1_767_268_800, 0).unwrap()),
        ..cfg
    };
    let (a, s) = world_with(at(SimConfig::default()), 12);
    let (b, _) = world_with(at(SimConfig::default()), 12);
    let c = ctx(&s[3].id, "eu-west-1");
    let strip = |v: Vec<Value>| -> Vec<Value> {
        v.into_iter()
            .map(|mut n| {
                n["LastPingDateTime"] = json!(0);
                n
            })
            .collect()
    };
    assert_eq!(strip(nodes(&a, &c)), strip(nodes(&b, &c)));
    let (other, _) = world_with(
        SimConfig {
            seed: 7,
            ..SimConfig::default()
        },
        12,
    );
    assert_ne!(strip(nodes(&a, &c)), strip(nodes(&other, &c)));
    // Doubling the nodes per account keeps the first ones.
    let (big, _) = world_with(
        SimConfig {
            nodes_per_account: 100,
            ..SimConfig::default()
        },
        12,
    );
    let small_ids: Vec<Value> = nodes(&a, &c)
        .iter()
        .map(|n| n["InstanceId"].clone())
        .collect();
    let big_ids: Vec<Value> = nodes(&big, &c)
        .iter()
        .map(|n| n["InstanceId"].clone())
        .collect();
    assert_eq!(&big_ids[..small_ids.len()], &small_ids[..]);
}

#[test]
fn command_history_is_there_with_a_failure() {
    let (w, s) = world();
    let mut failed = 0;
    for a in &s[..11] {
        let c = ctx(&a.id, "us-east-1");
        let cmds = walk(&w, &c, "ListCommands", json!({"MaxResults": 2}), "Commands");
        assert!(cmds.len() >= 3, "{}: {} commands", a.id, cmds.len());
        assert!(
            cmds.iter()
                .any(|c| c["DocumentName"] == "AWS-RunPatchBaseline")
        );
        failed += cmds.iter().filter(|c| c["Status"] == "Failed").count();
        let id = cmds[0]["CommandId"].as_str().unwrap();
        let invs = walk(
            &w,
            &c,
            "ListCommandInvocations",
            json!({"CommandId": id, "Details": true}),
            "CommandInvocations",
        );
        assert_eq!(invs.len() as u64, cmds[0]["TargetCount"].as_u64().unwrap());
        let done = invs
            .iter()
            .find(|i| i["Status"] == "Success")
            .expect("a successful invocation");
        let plugins = done["CommandPlugins"].as_array().unwrap();
        assert!(
            plugins
                .iter()
                .any(|p| p["Name"] == "PatchLinux" || p["Name"] == "PatchWindows")
        );
        assert!(
            plugins
                .iter()
                .all(|p| p["Output"].as_str().unwrap().chars().count() <= 2500)
        );
    }
    assert!(
        failed >= 11,
        "every account × region has a failed run in its history"
    );
    // ListCommands filters use lowercase member names.
    let c = ctx(&s[1].id, "us-east-1");
    let only_failed = walk(
        &w,
        &c,
        "ListCommands",
        json!({"Filters": [{"key": "Status", "value": "Failed"}]}),
        "Commands",
    );
    assert!(only_failed.iter().all(|c| c["Status"] == "Failed"));
    assert_eq!(
        call_err(
            &w,
            &c,
            "ListCommandInvocations",
            json!({"Filters": [{"key": "ExecutionStage", "value": "Complete"}]})
        ),
        "InvalidFilterKey"
    );
}

// ---------------------------------------------------------------------------------------
// Run Command lifecycle (fast simulated time)

fn fast_world() -> (SsmWorld, Vec<AccountSeed>) {
    world_with(
        SimConfig {
            time_scale: 3000.0,
            ..SimConfig::default()
        },
        6,
    )
}

fn wait_command(w: &SsmWorld, c: &CallCtx, id: &str) -> Value {
    let t0 = Instant::now();
    loop {
        let cmd = call(w, c, "ListCommands", json!({"CommandId": id}))["Commands"][0].clone();
        let status = cmd["Status"].as_str().unwrap().to_string();
        if !matches!(status.as_str(), "Pending" | "InProgress" | "Cancelling") {
            return cmd;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "command stuck: {cmd}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Online nodes that will patch cleanly (healthy association, no failed patches).
fn healthy(w: &SsmWorld, c: &CallCtx, windows: bool) -> Vec<String> {
    let list = nodes(w, c);
    let ids: Vec<String> = list
        .iter()
        .filter(|n| n["PingStatus"] == "Online" && n["AssociationStatus"] == "Success")
        .filter(|n| (n["PlatformType"] == "Windows") == windows)
        .map(|n| n["InstanceId"].as_str().unwrap().to_string())
        .collect();
    let states = walk(
        w,
        c,
        "DescribeInstancePatchStates",
        json!({"InstanceIds": &ids[..ids.len().min(50)]}),
        "InstancePatchStates",
    );
    states
        .iter()
        .filter(|s| s["FailedCount"] == 0)
        .map(|s| s["InstanceId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn install_no_reboot_leaves_patches_pending_reboot_then_reboot_makes_compliant() {
    let (w, s) = fast_world();
    let c = ctx(&s[1].id, "us-east-1");
    let ids = healthy(&w, &c, false);
    let states = call(
        &w,
        &c,
        "DescribeInstancePatchStates",
        json!({"InstanceIds": &ids[..ids.len().min(50)]}),
    );
    let target = states["InstancePatchStates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["MissingCount"].as_u64().unwrap() > 0)
        .expect("a healthy node with missing patches")
        .clone();
    let id = target["InstanceId"].as_str().unwrap();
    let missing = target["MissingCount"].as_u64().unwrap();
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({
            "InstanceIds": [id],
            "DocumentName": "AWS-RunPatchBaseline",
            "Parameters": {"Operation": ["Install"], "RebootOption": ["NoReboot"]},
            "Comment": "unit test"
        }),
    );
    let cmd_id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    assert_eq!(sent["Command"]["Status"], "Pending");
    assert_eq!(sent["Command"]["MaxConcurrency"], "50");
    assert_eq!(sent["Command"]["MaxErrors"], "0");
    let done = wait_command(&w, &c, &cmd_id);
    assert_eq!(done["Status"], "Success", "{done}");
    assert_eq!(done["CompletedCount"], 1);
    let after = call(
        &w,
        &c,
        "DescribeInstancePatchStates",
        json!({"InstanceIds": [id]}),
    )["InstancePatchStates"][0]
        .clone();
    assert_eq!(after["MissingCount"], 0);
    assert_eq!(
        after["InstalledPendingRebootCount"].as_u64().unwrap(),
        target["InstalledPendingRebootCount"].as_u64().unwrap() + missing
    );
    assert_eq!(after["Operation"], "Install");
    assert_eq!(after["RebootOption"], "NoReboot");
    assert!(after["LastNoRebootInstallOperationTime"].is_number());
    let pending = walk(
        &w,
        &c,
        "DescribeInstancePatches",
        json!({"InstanceId": id, "Filters": [{"Key": "State", "Values": ["InstalledPendingReboot"]}]}),
        "Patches",
    );
    assert_eq!(
        pending.len() as u64,
        after["InstalledPendingRebootCount"].as_u64().unwrap()
    );
    // The resource compliance summary follows.
    let rows = walk(
        &w,
        &c,
        "ListResourceComplianceSummaries",
        json!({"Filters": [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]}),
        "ResourceComplianceSummaryItems",
    );
    let row = rows.iter().find(|r| r["ResourceId"] == id).unwrap();
    assert_eq!(row["Status"], "NON_COMPLIANT");
    assert_eq!(row["ExecutionSummary"]["ExecutionId"], cmd_id.as_str());

    // The output, per plugin step.
    assert_eq!(
        call_err(
            &w,
            &c,
            "GetCommandInvocation",
            json!({"CommandId": cmd_id, "InstanceId": id})
        ),
        "InvalidPluginName"
    );
    let out = call(
        &w,
        &c,
        "GetCommandInvocation",
        json!({"CommandId": cmd_id, "InstanceId": id, "PluginName": "PatchLinux"}),
    );
    assert_eq!(out["Status"], "Success");
    assert_eq!(out["ResponseCode"], 0);
    let stdout = out["StandardOutputContent"].as_str().unwrap();
    assert!(stdout.contains("reboot option: NoReboot"), "{stdout}");
    assert!(stdout.contains("Installing"));
    if stdout.chars().count() < 24_000 {
        assert!(stdout.contains("Patch operation completed"), "{stdout}");
    }
    assert!(
        out["ExecutionStartDateTime"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert!(
        out["ExecutionElapsedTime"]
            .as_str()
            .unwrap()
            .starts_with("PT")
    );
    let skipped = call(
        &w,
        &c,
        "GetCommandInvocation",
        json!({"CommandId": cmd_id, "InstanceId": id, "PluginName": "PatchWindows"}),
    );
    assert!(
        skipped["StandardOutputContent"]
            .as_str()
            .unwrap()
            .contains("skipped")
    );

    // Install again with RebootIfNeeded: the node reboots and is compliant.
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({
            "InstanceIds": [id],
            "DocumentName": "AWS-RunPatchBaseline",
            "Parameters": {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]},
        }),
    );
    let done = wait_command(&w, &c, sent["Command"]["CommandId"].as_str().unwrap());
    assert_eq!(done["Status"], "Success");
    let after = call(
        &w,
        &c,
        "DescribeInstancePatchStates",
        json!({"InstanceIds": [id]}),
    )["InstancePatchStates"][0]
        .clone();
    assert_eq!(after["InstalledPendingRebootCount"], 0);
    assert_eq!(after["MissingCount"], 0);
    assert_eq!(after["CriticalNonCompliantCount"], 0);
}

#[test]
fn offline_targets_are_undeliverable_and_concurrency_is_respected() {
    let (w, s) = fast_world();
    let mut found = None;
    'outer: for a in &s[..5] {
        for r in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
            let c = ctx(&a.id, r);
            for n in nodes(&w, &c) {
                let ping = n["LastPingDateTime"].as_f64().unwrap();
                let age = chrono::Utc::now().timestamp() as f64 - ping;
                if n["PingStatus"] == "ConnectionLost" && age > 2.0 * 86400.0 {
                    found = Some((c.clone(), n["InstanceId"].as_str().unwrap().to_string()));
                    break 'outer;
                }
            }
        }
    }
    let (c, lost) = found.expect("a node offline for days");
    let mut ids = healthy(&w, &c, false);
    ids.truncate(4);
    ids.push(lost.clone());
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({
            "InstanceIds": ids,
            "DocumentName": "AWS-RunPatchBaseline",
            "Parameters": {"Operation": ["Scan"]},
            "MaxConcurrency": "1",
            "MaxErrors": "1",
        }),
    );
    let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    // With MaxConcurrency 1, never more than one target is in progress.
    let t0 = Instant::now();
    loop {
        let invs = call(&w, &c, "ListCommandInvocations", json!({"CommandId": id}));
        let invs = invs["CommandInvocations"].as_array().unwrap();
        let running = invs.iter().filter(|i| i["Status"] == "InProgress").count();
        assert!(running <= 1, "{running} in progress");
        if invs
            .iter()
            .all(|i| !matches!(i["Status"].as_str().unwrap(), "Pending" | "InProgress"))
        {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(5));
    }
    let done = wait_command(&w, &c, &id);
    let invs = call(&w, &c, "ListCommandInvocations", json!({"CommandId": id}));
    let undeliverable = invs["CommandInvocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["InstanceId"] == lost.as_str())
        .unwrap()
        .clone();
    assert_eq!(undeliverable["StatusDetails"], "Undeliverable");
    // Undeliverable neither counts against MaxErrors nor decides Success / Incomplete
    // (model text of CommandInvocation.StatusDetails): four Success + one Undeliverable
    assert_eq!(done["Status"], "Success");
    assert_eq!(done["StatusDetails"], "Success");
    assert_eq!(done["ErrorCount"], 0);
}

#[test]
fn cancel_and_truncation() {
    let (w, s) = fast_world();
    let c = ctx(&s[1].id, "us-east-1");
    let ids = healthy(&w, &c, false);
    // A long script: cancelled while running.
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({
            "InstanceIds": [ids[0]],
            "DocumentName": "AWS-RunShellScript",
            "Parameters": {"commands": ["sleep 100000", "echo never"]},
        }),
    );
    let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(10));
    call(&w, &c, "CancelCommand", json!({"CommandId": id}));
    let done = wait_command(&w, &c, &id);
    assert_eq!(done["Status"], "Cancelled");

    // Output longer than the API returns.
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({
            "InstanceIds": [ids[1]],
            "DocumentName": "AWS-RunShellScript",
            "Parameters": {"commands": ["seq 1 20000", "hostname"]},
        }),
    );
    let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    assert_eq!(wait_command(&w, &c, &id)["Status"], "Success");
    let out = call(
        &w,
        &c,
        "GetCommandInvocation",
        json!({"CommandId": id, "InstanceId": ids[1]}),
    );
    assert_eq!(out["PluginName"], "aws:runShellScript");
    let stdout = out["StandardOutputContent"].as_str().unwrap();
    assert_eq!(stdout.chars().count(), 24_000);
    assert!(stdout.starts_with("1\n2\n3\n"));
    let listed = call(
        &w,
        &c,
        "ListCommandInvocations",
        json!({"CommandId": id, "Details": true}),
    );
    let plugin = &listed["CommandInvocations"][0]["CommandPlugins"][0];
    assert_eq!(plugin["Output"].as_str().unwrap().chars().count(), 2_500);
}

#[test]
fn send_command_validation() {
    let (w, s) = world();
    let c = ctx(&s[1].id, "us-east-1");
    let ids: Vec<String> = nodes(&w, &c)
        .iter()
        .map(|n| n["InstanceId"].as_str().unwrap().to_string())
        .collect();
    let base =
        json!({"DocumentName": "AWS-RunPatchBaseline", "Parameters": {"Operation": ["Scan"]}});
    let with = |extra: Value| {
        let mut v = base.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let many: Vec<String> = (0..51).map(|i| format!("i-0{:016x}", i)).collect();
    for (input, code) in [
        (with(json!({"InstanceIds": many})), "ValidationException"),
        (
            with(json!({"InstanceIds": [ids[0], ids[0]]})),
            "DuplicateInstanceId",
        ),
        (
            with(json!({"InstanceIds": ["i-0123456789abcdef0"]})),
            "InvalidInstanceId",
        ),
        (
            with(json!({"InstanceIds": [ids[0]], "MaxConcurrency": "0"})),
            "ValidationException",
        ),
        (
            with(json!({"InstanceIds": [ids[0]], "MaxErrors": "101%"})),
            "ValidationException",
        ),
        (
            with(json!({"InstanceIds": [ids[0]], "TimeoutSeconds": 10})),
            "ValidationException",
        ),
        (
            with(json!({"InstanceIds": [ids[0]], "Comment": "x".repeat(101)})),
            "ValidationException",
        ),
        (
            json!({"InstanceIds": [ids[0]], "DocumentName": "AWS-RunPatchBaseline", "Parameters": {"Operation": ["Reinstall"]}}),
            "InvalidParameters",
        ),
        (
            json!({"InstanceIds": [ids[0]], "DocumentName": "AWS-NoSuchDoc"}),
            "InvalidDocument",
        ),
    ] {
        assert_eq!(
            call_err(&w, &c, "SendCommand", input.clone()),
            code,
            "{input}"
        );
    }
    // Targets by tag resolve to the tagged nodes.
    let sent = call(
        &w,
        &c,
        "SendCommand",
        with(json!({"Targets": [{"Key": "tag:Patch Group", "Values": ["Production"]}]})),
    );
    let tagged = walk(
        &w,
        &c,
        "DescribeInstanceInformation",
        json!({"Filters": [{"Key": "tag:Patch Group", "Values": ["Production"]}]}),
        "InstanceInformationList",
    );
    assert_eq!(
        sent["Command"]["TargetCount"].as_u64().unwrap(),
        tagged.len() as u64
    );
    let fresh = sent["Command"]["CommandId"].as_str().unwrap();
    let target = tagged[0]["InstanceId"].as_str().unwrap();
    // Right after SendCommand the invocation may not be visible yet (eventual consistency).
    let code = w
        .handle(
            "GetCommandInvocation",
            &json!({"CommandId": fresh, "InstanceId": target, "PluginName": "PatchLinux"}),
            &c,
        )
        .err()
        .map(|e| e.code);
    assert!(code.is_none() || code.as_deref() == Some("InvocationDoesNotExist"));
}

#[test]
fn compliance_inventory_baselines_windows_associations_tags() {
    let (w, s) = world();
    let c = ctx(&s[1].id, "us-east-1");
    let here = nodes(&w, &c);
    let ids: Vec<String> = here
        .iter()
        .map(|n| n["InstanceId"].as_str().unwrap().to_string())
        .collect();
    let states: Vec<Value> = ids
        .chunks(50)
        .flat_map(|ch| {
            walk(
                &w,
                &c,
                "DescribeInstancePatchStates",
                json!({"InstanceIds": ch}),
                "InstancePatchStates",
            )
        })
        .collect();
    let noncompliant = states
        .iter()
        .filter(|s| {
            [
                "MissingCount",
                "FailedCount",
                "InstalledPendingRebootCount",
                "InstalledRejectedCount",
            ]
            .iter()
            .any(|k| s[*k].as_u64().unwrap() > 0)
        })
        .count() as u64;
    let sums = call(
        &w,
        &c,
        "ListComplianceSummaries",
        json!({"Filters": [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]}),
    );
    let patch = &sums["ComplianceSummaryItems"][0];
    assert_eq!(patch["ComplianceType"], "Patch");
    assert_eq!(
        patch["NonCompliantSummary"]["NonCompliantCount"],
        noncompliant
    );
    assert_eq!(
        patch["CompliantSummary"]["CompliantCount"]
            .as_u64()
            .unwrap()
            + noncompliant,
        states.len() as u64
    );
    let items = walk(
        &w,
        &c,
        "ListComplianceItems",
        json!({"ResourceIds": [states[0]["InstanceId"]], "ResourceTypes": ["ManagedInstance"],
               "Filters": [{"Key": "ComplianceType", "Values": ["Patch"]}]}),
        "ComplianceItems",
    );
    assert_eq!(
        items
            .iter()
            .filter(|i| i["Status"] == "NON_COMPLIANT")
            .count() as u64,
        [
            "MissingCount",
            "FailedCount",
            "InstalledPendingRebootCount",
            "InstalledRejectedCount"
        ]
        .iter()
        .map(|k| states[0][*k].as_u64().unwrap())
        .sum::<u64>()
    );

    let inv = call(
        &w,
        &c,
        "ListInventoryEntries",
        json!({"InstanceId": ids[0], "TypeName": "AWS:InstanceInformation"}),
    );
    if inv["Entries"].as_array().unwrap().is_empty() {
        assert!(inv.get("CaptureTime").is_none());
    } else {
        assert!(inv["CaptureTime"].is_string());
        assert_eq!(inv["Entries"][0]["InstanceId"], ids[0].as_str());
    }
    let apps = walk(
        &w,
        &c,
        "ListInventoryEntries",
        json!({"InstanceId": ids[1], "TypeName": "AWS:Application", "MaxResults": 50}),
        "Entries",
    );
    assert!(apps.iter().all(|a| a["Name"].is_string()));
    assert_eq!(
        call_err(
            &w,
            &c,
            "ListInventoryEntries",
            json!({"InstanceId": ids[0], "TypeName": "Bogus"})
        ),
        // outside the model's pattern `^(AWS|Custom):.*$`: the validation layer
        "ValidationException"
    );
    assert_eq!(
        call_err(
            &w,
            &c,
            "ListInventoryEntries",
            json!({"InstanceId": ids[0], "TypeName": "AWS:Bogus"})
        ),
        // a well-formed name of no known type: the service's own error
        "InvalidTypeNameException"
    );

    let groups = walk(&w, &c, "DescribePatchGroups", json!({}), "Mappings");
    assert!(groups.iter().any(|g| g["PatchGroup"] == "Production"));
    let baselines = walk(
        &w,
        &c,
        "DescribePatchBaselines",
        json!({"MaxResults": 3}),
        "BaselineIdentities",
    );
    assert!(baselines.len() > 14);
    let aws_owned = walk(
        &w,
        &c,
        "DescribePatchBaselines",
        json!({"Filters": [{"Key": "OWNER", "Values": ["AWS"]}]}),
        "BaselineIdentities",
    );
    assert!(
        aws_owned
            .iter()
            .all(|b| b["BaselineName"].as_str().unwrap().starts_with("AWS-"))
    );
    let b = call(
        &w,
        &c,
        "GetPatchBaselineForPatchGroup",
        json!({"PatchGroup": "Production"}),
    );
    assert_eq!(b["OperatingSystem"], "WINDOWS");
    assert!(b["BaselineId"].as_str().unwrap().starts_with("pb-"));
    let dev = call(
        &w,
        &c,
        "GetPatchBaselineForPatchGroup",
        json!({"PatchGroup": "Development", "OperatingSystem": "AMAZON_LINUX_2023"}),
    );
    assert!(dev["BaselineId"].as_str().unwrap().starts_with("pb-"));
    // no Development baseline for RHEL: the AWS-managed default applies
    let dev_rhel = call(
        &w,
        &c,
        "GetPatchBaselineForPatchGroup",
        json!({"PatchGroup": "Development", "OperatingSystem": "REDHAT_ENTERPRISE_LINUX"}),
    );
    assert!(
        dev_rhel["BaselineId"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:ssm:us-east-1:")
    );

    let windows = walk(
        &w,
        &c,
        "DescribeMaintenanceWindows",
        json!({}),
        "WindowIdentities",
    );
    assert!(!windows.is_empty());
    assert!(
        windows
            .iter()
            .all(|w| w["WindowId"].as_str().unwrap().starts_with("mw-"))
    );
    assert!(
        windows
            .iter()
            .filter(|w| w["Enabled"] == true
                && w["Schedule"].as_str().unwrap().starts_with("cron("))
            .all(|w| w["NextExecutionTime"].is_string())
    );
    let assoc = walk(
        &w,
        &c,
        "ListAssociations",
        json!({"MaxResults": 1}),
        "Associations",
    );
    assert!(
        assoc
            .iter()
            .any(|a| a["Name"] == "AWS-GatherSoftwareInventory")
    );

    let hybrid = (0..3)
        .flat_map(|i| {
            ["us-east-1", "eu-west-1", "ap-southeast-2"]
                .iter()
                .map(move |r| (i, *r))
        })
        .find_map(|(i, r)| {
            let c = ctx(&s[i].id, r);
            nodes(&w, &c)
                .into_iter()
                .find(|n| n["ResourceType"] == "ManagedInstance")
                .map(|n| (c, n["InstanceId"].as_str().unwrap().to_string()))
        })
        .expect("a hybrid node");
    let tags = call(
        &w,
        &hybrid.0,
        "ListTagsForResource",
        json!({"ResourceType": "ManagedInstance", "ResourceId": hybrid.1}),
    );
    assert!(
        tags["TagList"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["Key"] == "Name")
    );
    assert_eq!(
        call_err(
            &w,
            &c,
            "ListTagsForResource",
            json!({"ResourceType": "ManagedInstance",
                   "ResourceId": ids.iter().find(|i| i.starts_with("i-")).unwrap()})
        ),
        "InvalidResourceId"
    );
}

#[test]
fn hundred_thousand_nodes_generate_lazily() {
    let cfg = SimConfig {
        accounts: 500,
        nodes_per_account: 200,
        ..SimConfig::default()
    };
    let (w, s) = world_with(cfg, 500);
    assert_eq!(w.total_nodes(), 499 * 200);
    // Touching one account × region generates only that one.
    let c = ctx(&s[250].id, "eu-west-1");
    assert_eq!(nodes(&w, &c).len(), w.node_count(&s[250].id, "eu-west-1"));
}

#[test]
fn max_errors_stops_sending_to_the_rest() {
    let (w, s) = fast_world();
    // A node bound to fail (broken repository or failed patches), then healthy ones.
    let mut picked = None;
    for a in &s[..5] {
        let c = ctx(&a.id, "us-east-1");
        let list = nodes(&w, &c);
        let broken = list
            .iter()
            .find(|n| n["PingStatus"] == "Online" && n["AssociationStatus"] == "Failed");
        if let Some(b) = broken {
            picked = Some((c.clone(), b["InstanceId"].as_str().unwrap().to_string()));
            break;
        }
    }
    let (c, broken) = picked.expect("an online node with a broken association");
    let mut ids = vec![broken.clone()];
    ids.extend(healthy(&w, &c, false).into_iter().take(3));
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({
            "InstanceIds": ids,
            "DocumentName": "AWS-RunPatchBaseline",
            "Parameters": {"Operation": ["Scan"]},
            "MaxConcurrency": "1",
        }),
    );
    let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    let done = wait_command(&w, &c, &id);
    assert_eq!(done["Status"], "Failed");
    assert_eq!(done["ErrorCount"], 1);
    let invs = call(&w, &c, "ListCommandInvocations", json!({"CommandId": id}));
    let invs = invs["CommandInvocations"].as_array().unwrap();
    let first = invs
        .iter()
        .find(|i| i["InstanceId"] == broken.as_str())
        .unwrap();
    assert_eq!(first["Status"], "Failed");
    let rest: Vec<&Value> = invs
        .iter()
        .filter(|i| i["InstanceId"] != broken.as_str())
        .collect();
    assert!(rest.iter().all(|i| i["Status"] == "Cancelled"), "{rest:?}");
    let out = call(
        &w,
        &c,
        "GetCommandInvocation",
        json!({"CommandId": id, "InstanceId": broken, "PluginName": "PatchLinux"}),
    );
    if out["StandardErrorContent"].as_str().unwrap().is_empty() {
        // A Windows node: its step is PatchWindows.
        let out = call(
            &w,
            &c,
            "GetCommandInvocation",
            json!({"CommandId": id, "InstanceId": broken, "PluginName": "PatchWindows"}),
        );
        assert!(!out["StandardErrorContent"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        out["ResponseCode"].as_i64().unwrap() != 0,
        out["Status"] == "Failed"
    );
}

#[test]
fn big_linux_nodes_print_more_than_the_api_returns() {
    let (w, s) = fast_world();
    let c = ctx(&s[1].id, "us-east-1");
    let ids = healthy(&w, &c, false);
    let states = call(
        &w,
        &c,
        "DescribeInstancePatchStates",
        json!({"InstanceIds": &ids[..ids.len().min(50)]}),
    );
    let big = states["InstancePatchStates"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|s| s["InstalledCount"].as_u64().unwrap())
        .unwrap()["InstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    let small = states["InstancePatchStates"]
        .as_array()
        .unwrap()
        .iter()
        .min_by_key(|s| s["InstalledCount"].as_u64().unwrap())
        .unwrap()["InstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({"InstanceIds": [big, small], "DocumentName": "AWS-RunPatchBaseline",
               "Parameters": {"Operation": ["Scan"]}}),
    );
    let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    assert_eq!(wait_command(&w, &c, &id)["Status"], "Success");
    let get = |node: &str| {
        call(
            &w,
            &c,
            "GetCommandInvocation",
            json!({"CommandId": id, "InstanceId": node, "PluginName": "PatchLinux"}),
        )["StandardOutputContent"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let big_out = get(&big);
    assert_eq!(big_out.chars().count(), 24_000, "cut at the API limit");
    let small_out = get(&small);
    assert!(small_out.chars().count() < 24_000);
    assert!(small_out.contains("Patch operation completed."));
}

#[test]
fn windows_install_output_reads_like_patch_windows() {
    let (w, s) = fast_world();
    let c = ctx(&s[1].id, "us-east-1");
    let ids = healthy(&w, &c, true);
    let id = ids.first().expect("a healthy Windows node").clone();
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({"InstanceIds": [id], "DocumentName": "AWS-RunPatchBaseline",
               "Parameters": {"Operation": ["Install"], "RebootOption": ["NoReboot"]}}),
    );
    let cmd = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    assert_eq!(wait_command(&w, &c, &cmd)["Status"], "Success");
    let out = call(
        &w,
        &c,
        "GetCommandInvocation",
        json!({"CommandId": cmd, "InstanceId": id, "PluginName": "PatchWindows"}),
    );
    let text = out["StandardOutputContent"].as_str().unwrap();
    assert!(text.contains("OperationType       : Install"), "{text}");
    assert!(text.contains("OperationStartTime  : 20"), "{text}");
    assert!(text.contains("KbArticleId Installed  Title"));
    assert!(text.contains("Patch operation completed."));
    let linux_step = call(
        &w,
        &c,
        "GetCommandInvocation",
        json!({"CommandId": cmd, "InstanceId": id, "PluginName": "PatchLinux"}),
    );
    assert!(
        linux_step["StandardOutputContent"]
            .as_str()
            .unwrap()
            .starts_with("Step execution skipped")
    );
}

#[test]
fn targets_with_the_same_key_add_up_and_different_keys_narrow() {
    let (w, s) = world();
    let c = ctx(&s[1].id, "us-east-1");
    let ids: Vec<String> = nodes(&w, &c)
        .iter()
        .map(|n| n["InstanceId"].as_str().unwrap().to_string())
        .collect();
    let base = |targets: Value| {
        json!({"DocumentName": "AWS-RunPatchBaseline", "Parameters": {"Operation": ["Scan"]},
               "Targets": targets})
    };
    let two_lists = call(
        &w,
        &c,
        "SendCommand",
        base(json!([{"Key": "InstanceIds", "Values": [ids[0], ids[1]]},
                    {"Key": "InstanceIds", "Values": [ids[2]]}])),
    );
    assert_eq!(two_lists["Command"]["TargetCount"], 3);
    let all = call(
        &w,
        &c,
        "SendCommand",
        base(json!([{"Key": "InstanceIds", "Values": ["*"]}])),
    );
    assert_eq!(
        all["Command"]["TargetCount"].as_u64().unwrap(),
        ids.len() as u64
    );
    let narrowed = call(
        &w,
        &c,
        "SendCommand",
        base(json!([{"Key": "InstanceIds", "Values": ["*"]},
                    {"Key": "tag:Patch Group", "Values": ["Production"]}])),
    );
    let prod = walk(
        &w,
        &c,
        "DescribeInstanceInformation",
        json!({"Filters": [{"Key": "tag:Patch Group", "Values": ["Production"]}]}),
        "InstanceInformationList",
    );
    assert_eq!(
        narrowed["Command"]["TargetCount"].as_u64().unwrap(),
        prod.len() as u64
    );
    let none = call(
        &w,
        &c,
        "SendCommand",
        base(json!([{"Key": "tag:Patch Group", "Values": ["NoSuchGroup"]}])),
    );
    assert_eq!(none["Command"]["TargetCount"], 0);
    assert_eq!(none["Command"]["Status"], "Failed");
}

#[test]
fn pregenerated_world_is_the_lazily_generated_one() {
    let at = SimConfig {
        epoch: Some(chrono::DateTime::from_timestamp(1_767_268_800, 0).unwrap()),
        ..SimConfig::default()
    };
    let (eager, s) = world_with(at.clone(), 12);
    eager.generate_all();
    let (lazy, _) = world_with(at, 12);
    for a in &s {
        for r in ["us-east-1", "eu-west-1"] {
            let c = ctx(&a.id, r);
            let ids = |w: &SsmWorld| -> Vec<Value> {
                nodes(w, &c)
                    .iter()
                    .map(|n| n["InstanceId"].clone())
                    .collect()
            };
            assert_eq!(ids(&eager), ids(&lazy), "{} {r}", a.id);
        }
    }
    assert!(!nodes(&eager, &ctx(&s[0].id, "us-east-1")).is_empty());
}

/// ExpiresAfter (delivery timeout + execution timeout): what has not finished by then is
/// `Delivery Timed Out` (model text of `Command.ExpiresAfter`), here a target still queued
/// behind MaxConcurrency 1; it does not count against MaxErrors, but more of them than
/// MaxErrors make the command `TimedOut` / `Delivery Timed Out`.
#[test]
fn targets_not_done_when_the_command_expires_are_delivery_timed_out() {
    let (w, s) = fast_world();
    let c = ctx(&s[1].id, "us-east-1");
    let ids: Vec<String> = healthy(&w, &c, false).into_iter().take(2).collect();
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({
            "InstanceIds": ids,
            "DocumentName": "AWS-RunShellScript",
            "Parameters": {"commands": ["sleep 100"], "executionTimeout": ["150"]},
            "TimeoutSeconds": 30,
            "MaxConcurrency": "1",
        }),
    );
    let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    let done = wait_command(&w, &c, &id);
    let invs = call(&w, &c, "ListCommandInvocations", json!({"CommandId": id}));
    let mut details: Vec<&str> = invs["CommandInvocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["StatusDetails"].as_str().unwrap())
        .collect();
    details.sort();
    assert_eq!(details, ["Delivery Timed Out", "Success"]);
    assert_eq!(done["Status"], "TimedOut");
    assert_eq!(done["StatusDetails"], "Delivery Timed Out");
    assert_eq!(done["DeliveryTimedOutCount"], 1);
    assert_eq!(done["ErrorCount"], 0);
}

#[test]
fn steps_for_other_platforms_are_skipped_or_pending_never_in_progress() {
    // a real-time world: the Install runs for a while, long enough to look at it running
    let (w, s) = world();
    let c = ctx(&s[1].id, "us-east-1");
    let id = healthy(&w, &c, false)
        .first()
        .expect("a healthy Linux node")
        .clone();
    let sent = call(
        &w,
        &c,
        "SendCommand",
        json!({"InstanceIds": [id], "DocumentName": "AWS-RunPatchBaseline",
               "Parameters": {"Operation": ["Install"], "RebootOption": ["NoReboot"]}}),
    );
    let cmd = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    let t0 = Instant::now();
    loop {
        let list = call(
            &w,
            &c,
            "ListCommandInvocations",
            json!({"CommandId": cmd, "Details": true}),
        );
        let inv = &list["CommandInvocations"][0];
        if inv["Status"] == "InProgress" {
            let step = |name: &str| {
                inv["CommandPlugins"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["Name"] == name)
                    .unwrap()
                    .clone()
            };
            assert_eq!(step("PatchLinux")["Status"], "InProgress");
            let win = step("PatchWindows");
            assert_eq!(win["Status"], "Success", "{win}");
            assert!(
                win["Output"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("Step execution skipped"),
                "{win}"
            );
            assert_eq!(step("PatchMacOS")["Status"], "Pending");
            return;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(20),
            "never InProgress: {inv}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The patching machinery agrees with the nodes: the last execution of an Install window
/// failed exactly on the targeted nodes that report failed patches, and every node it
/// reached reports that run as its last Install.
#[test]
fn windows_executions_and_patch_states_agree() {
    let (w, s) = world();
    let prod = s
        .iter()
        .find(|a| a.ou_path.ends_with("Prod") && a.active)
        .unwrap();
    let c = ctx(&prod.id, "us-east-1");
    let windows = walk(
        &w,
        &c,
        "DescribeMaintenanceWindows",
        json!({}),
        "WindowIdentities",
    );
    let sun = windows
        .iter()
        .find(|x| x["Name"] == "prod-patch-sun-0300")
        .expect("the production window");
    assert_eq!(sun["Schedule"], "cron(0 3 ? * SUN *)");
    assert_eq!(sun["ScheduleTimezone"], "Asia/Tokyo");
    // Sunday 03:00 in Tokyo is Saturday 18:00 UTC
    let next = sun["NextExecutionTime"].as_str().unwrap();
    assert!(next.ends_with("T18:00Z"), "{next}");
    let offset = windows
        .iter()
        .find(|x| x["Name"] == "prod-windows-patch-tuesday")
        .unwrap();
    assert_eq!(offset["ScheduleOffset"], 2);
    let id = json!(sun["WindowId"]);
    let tasks = walk(
        &w,
        &c,
        "DescribeMaintenanceWindowTasks",
        json!({"WindowId": id}),
        "Tasks",
    );
    assert_eq!(tasks[0]["TaskArn"], "AWS-RunPatchBaseline");
    assert_eq!(
        tasks[0]["TaskParameters"]["Operation"]["Values"][0],
        "Install"
    );
    let targets = walk(
        &w,
        &c,
        "DescribeMaintenanceWindowTargets",
        json!({"WindowId": id}),
        "Targets",
    );
    assert_eq!(targets[0]["Targets"][0]["Key"], "tag:Patch Group");
    let execs = walk(
        &w,
        &c,
        "DescribeMaintenanceWindowExecutions",
        json!({"WindowId": id}),
        "WindowExecutions",
    );
    assert!((7..=9).contains(&execs.len()), "~8 weeks: {}", execs.len());
    let last = &execs[0];
    let etasks = walk(
        &w,
        &c,
        "DescribeMaintenanceWindowExecutionTasks",
        json!({"WindowExecutionId": last["WindowExecutionId"]}),
        "WindowExecutionTaskIdentities",
    );
    let invs = walk(
        &w,
        &c,
        "DescribeMaintenanceWindowExecutionTaskInvocations",
        json!({"WindowExecutionId": last["WindowExecutionId"], "TaskId": etasks[0]["TaskExecutionId"], "MaxResults": 10}),
        "WindowExecutionTaskInvocationIdentities",
    );
    assert!(invs.len() > 3);
    let node_of = |inv: &Value| -> String {
        let p: Value = serde_json::from_str(inv["Parameters"].as_str().unwrap()).unwrap();
        p["instanceIds"][0].as_str().unwrap().to_string()
    };
    let ids: Vec<String> = invs.iter().map(node_of).collect();
    let states = call(
        &w,
        &c,
        "DescribeInstancePatchStates",
        json!({"InstanceIds": ids.iter().take(50).collect::<Vec<_>>(), "MaxResults": 100}),
    );
    let states = states["InstancePatchStates"].as_array().unwrap();
    for inv in &invs {
        let node = node_of(inv);
        let st = states.iter().find(|s| s["InstanceId"] == node.as_str());
        match inv["Status"].as_str().unwrap() {
            "FAILED" => {
                assert!(st.unwrap()["FailedCount"].as_u64().unwrap() > 0, "{node}");
            }
            "SUCCESS" => assert_eq!(st.unwrap()["FailedCount"], 0, "{node}"),
            _ => continue,
        }
        // its last Install is this run, unless a later operation (a scan, the patch
        // policy's install, a manual patch-now) overwrote the patch state
        let st = st.unwrap();
        if st["OperationEndTime"] != inv["EndTime"] {
            assert!(
                st["OperationEndTime"].as_f64() > inv["EndTime"].as_f64(),
                "{node}"
            );
        }
    }
    assert_eq!(
        last["Status"] == "FAILED",
        invs.iter().any(|i| i["Status"] != "SUCCESS")
    );

    // The Staging patch group has no window outside the first region.
    let stg = s
        .iter()
        .find(|a| a.ou_path.ends_with("Staging") && a.active)
        .unwrap();
    let c2 = ctx(&stg.id, "eu-west-1");
    let none = walk(
        &w,
        &c2,
        "DescribeMaintenanceWindows",
        json!({}),
        "WindowIdentities",
    );
    assert!(none.is_empty());

    // Baselines: production approves security updates 7 days after release.
    let b = call(
        &w,
        &c,
        "GetPatchBaselineForPatchGroup",
        json!({"PatchGroup": "Production", "OperatingSystem": "AMAZON_LINUX_2023"}),
    );
    let full = call(
        &w,
        &c,
        "GetPatchBaseline",
        json!({"BaselineId": b["BaselineId"]}),
    );
    assert_eq!(full["Name"], "Production-AmazonLinux2023");
    assert_eq!(
        full["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"],
        7
    );
    assert_eq!(full["PatchGroups"][0], "Production");
    let def = call(
        &w,
        &c,
        "GetDefaultPatchBaseline",
        json!({"OperatingSystem": "UBUNTU"}),
    );
    assert!(
        def["BaselineId"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:ssm:")
    );

    // Errors as the model lists them.
    assert_eq!(
        call_err(
            &w,
            &c,
            "DescribeMaintenanceWindowTasks",
            json!({"WindowId": "mw-0000000000000000a"})
        ),
        "DoesNotExistException"
    );
    assert_eq!(
        call_err(
            &w,
            &c,
            "DescribeMaintenanceWindowExecutions",
            json!({"WindowId": id, "MaxResults": 5})
        ),
        "ValidationException"
    );
    assert_eq!(
        call_err(
            &w,
            &c,
            "GetPatchBaseline",
            json!({"BaselineId": "pb-00000000000000000"})
        ),
        "DoesNotExistException"
    );
}

/// The pages written as text (`sim::json_text`) are the JSON the `Value` trees gave: every
/// node's `InstanceInformation` and `InstancePatchState` of a generated world, against the
/// field-by-field `json!` they replaced.
#[test]
fn pages_written_as_text_are_the_json_the_value_trees_gave() {
    use crate::sim::protocol::ts;
    let (w, seeds) = world();
    let now = chrono::Utc::now();
    let (mut nodes, mut states) = (0, 0);
    for region in ["us-east-1", "eu-west-1"] {
        w.with_fleet(&seeds[0].id, region, |f| {
            for n in &f.nodes {
                let p = n.platform();
                let assoc_count = if n.association_status == "Success" {
                    json!({"Success": 2})
                } else {
                    json!({"Success": 1, n.association_status: 1})
                };
                let mut want = json!({
                    "InstanceId": n.id,
                    "PingStatus": n.ping_status(),
                    "LastPingDateTime": ts(n.last_ping(now)),
                    "AgentVersion": n.agent_version,
                    "IsLatestVersion": n.is_latest_agent(),
                    "PlatformType": if p.windows { "Windows" } else { "Linux" },
                    "PlatformName": p.name,
                    "PlatformVersion": p.version,
                    "ResourceType": n.resource_type(),
                    "IPAddress": n.ip,
                    "ComputerName": n.computer_name,
                    "IamRole": n.iam_role,
                    "RegistrationDate": ts(n.registered),
                    "AssociationStatus": n.association_status,
                    "LastAssociationExecutionDate": ts(n.last_assoc),
                    "LastSuccessfulAssociationExecutionDate": ts(n.last_assoc_ok),
                    "AssociationOverview": {
                        "DetailedStatus": n.association_status,
                        "InstanceAssociationStatusAggregatedCount": assoc_count,
                    },
                    "SourceId": n.id,
                    "SourceType": if n.hybrid { "AWS::SSM::ManagedInstance" } else { "AWS::EC2::Instance" },
                });
                if let Some(name) = &n.default_name {
                    want["Name"] = json!(name);
                }
                if let Some(a) = &n.activation_id {
                    want["ActivationId"] = json!(a);
                }
                assert_eq!(n.info_json(now), want, "{}", n.id);
                nodes += 1;

                let mut text = String::new();
                let Some(r) = n.report.as_ref() else {
                    assert!(!super::patches::write_patch_state(f, n, &mut text));
                    assert!(text.is_empty());
                    continue;
                };
                assert!(super::patches::write_patch_state(f, n, &mut text));
                let c = n.counts;
                let mut want = json!({
                    "InstanceId": n.id,
                    "PatchGroup": n.patch_group().unwrap_or(""),
                    "BaselineId": f.baseline_id_for(n),
                    "SnapshotId": r.snapshot_id,
                    "OwnerInformation": "",
                    "InstalledCount": c.installed,
                    "InstalledOtherCount": c.installed_other,
                    "InstalledPendingRebootCount": c.pending_reboot,
                    "InstalledRejectedCount": c.rejected,
                    "MissingCount": c.missing,
                    "FailedCount": c.failed,
                    "UnreportedNotApplicableCount": 0,
                    "NotApplicableCount": c.not_applicable,
                    "OperationStartTime": ts(r.start),
                    "OperationEndTime": ts(r.end),
                    "Operation": r.operation.as_str(),
                    "RebootOption": if r.reboot_if_needed { "RebootIfNeeded" } else { "NoReboot" },
                    "CriticalNonCompliantCount": c.critical_nc,
                    "SecurityNonCompliantCount": c.security_nc,
                    "OtherNonCompliantCount": c.other_nc,
                });
                if n.windows() {
                    want["AvailableSecurityUpdateCount"] = json!(c.available_security);
                }
                if let Some(t) = r.last_no_reboot {
                    want["LastNoRebootInstallOperationTime"] = ts(t);
                }
                let got: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(got, want, "{}", n.id);
                states += 1;
            }
        });
    }
    assert!(nodes > 10 && states > 5, "{nodes} nodes, {states} states");
}

/// A node's patch state names its latest patch operation: never older than a successful
/// AWS-RunPatchBaseline run Run Command lists for it (a manual scan an hour ago shows as
/// `Scan` an hour ago, not as last week's install), nor than the daily scan association's
/// last run on a node it targets.
#[test]
fn patch_states_are_not_older_than_the_scans_run_command_lists() {
    let (w, s) = world();
    let mut checked = 0;
    for a in s.iter().filter(|a| a.active).take(4) {
        let c = ctx(&a.id, "us-east-1");
        let cmds = walk(&w, &c, "ListCommands", json!({}), "Commands");
        let states: Vec<Value> = {
            let ids: Vec<String> = nodes(&w, &c)
                .iter()
                .map(|n| n["InstanceId"].as_str().unwrap().to_string())
                .collect();
            ids.chunks(50)
                .flat_map(|ch| {
                    let r = call(
                        &w,
                        &c,
                        "DescribeInstancePatchStates",
                        json!({"InstanceIds": ch, "MaxResults": 50}),
                    );
                    r["InstancePatchStates"].as_array().unwrap().clone()
                })
                .collect()
        };
        for cmd in cmds
            .iter()
            .filter(|c| c["DocumentName"] == "AWS-RunPatchBaseline")
        {
            let invs = walk(
                &w,
                &c,
                "ListCommandInvocations",
                json!({"CommandId": cmd["CommandId"]}),
                "CommandInvocations",
            );
            for inv in invs.iter().filter(|i| i["Status"] == "Success") {
                let Some(st) = states.iter().find(|s| s["InstanceId"] == inv["InstanceId"]) else {
                    continue;
                };
                let requested = inv["RequestedDateTime"].as_f64().unwrap();
                let end = st["OperationEndTime"].as_f64().unwrap();
                assert!(
                    end > requested,
                    "{}: patch state ends {end}, before the {} run requested {requested} ({})",
                    inv["InstanceId"],
                    cmd["Parameters"]["Operation"][0],
                    cmd["Comment"]
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "only {checked} runs checked");
}
