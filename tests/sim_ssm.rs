//! The simulated SSM fleet through the real `aws-sdk-ssm` client over HTTP (and the stock
//! AWS CLI): pagination, page limits, patch counts vs patch lists, filters, account and
//! region isolation, the Run Command lifecycle, truncation, determinism.

mod common;
use common::spawn_sim;

use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{
    CommandFilter, CommandFilterKey, CommandInvocationStatus, CommandStatus,
    ComplianceQueryOperatorType, ComplianceStringFilter, InstanceInformation,
    InstanceInformationStringFilter, InstancePatchState, InstancePatchStateFilter,
    InstancePatchStateOperatorType, PatchComplianceDataState, PatchOrchestratorFilter, Target,
};
use aws_sdk_sts::config::{Credentials, Region};
use ssmdeck::sim::world::{ADMIN_ROLE, AccountStatus, JoinedMethod};
use ssmdeck::sim::{SimConfig, SimHandle};

fn epoch() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn cfg() -> SimConfig {
    SimConfig {
        epoch: Some(epoch()),
        ..SimConfig::default()
    }
}

async fn sim(cfg: SimConfig) -> SimHandle {
    ssmdeck::sim::start(cfg).await.expect("simulator starts")
}

async fn sdk(url: &str, region: &str, creds: Credentials) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new(region.to_string()))
        .credentials_provider(creds)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(20))
                .build(),
        )
        .load()
        .await
}

fn static_creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "secret", None, None, "static")
}

/// An SSM client acting in `account` (AssumeRole for members), in `region`.
async fn ssm(h: &SimHandle, account: &str, region: &str) -> aws_sdk_ssm::Client {
    if account == h.management_account_id() {
        return aws_sdk_ssm::Client::new(&sdk(&h.url, region, static_creds()).await);
    }
    let sts = aws_sdk_sts::Client::new(&sdk(&h.url, "us-east-1", static_creds()).await);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{ADMIN_ROLE}"))
        .role_session_name("sim-ssm-test")
        .send()
        .await
        .expect("assume role");
    let c = out.credentials.expect("credentials");
    let creds = Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        None,
        "assumed",
    );
    aws_sdk_ssm::Client::new(&sdk(&h.url, region, creds).await)
}

/// An active, created member account (not the management account).
fn member(h: &SimHandle, nth: usize) -> String {
    let org = &h.world().org;
    org.accounts
        .iter()
        .filter(|a| {
            a.status == AccountStatus::Active
                && a.joined_method == JoinedMethod::Created
                && a.id != org.management_account_id
        })
        .nth(nth)
        .unwrap()
        .id
        .clone()
}

async fn all_nodes(c: &aws_sdk_ssm::Client) -> Vec<InstanceInformation> {
    c.describe_instance_information()
        .max_results(50)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("describe instance information")
}

async fn states(c: &aws_sdk_ssm::Client, ids: &[String]) -> Vec<InstancePatchState> {
    let mut out = Vec::new();
    for chunk in ids.chunks(50) {
        let page: Vec<InstancePatchState> = c
            .describe_instance_patch_states()
            .set_instance_ids(Some(chunk.to_vec()))
            .max_results(10)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .expect("patch states");
        out.extend(page);
    }
    out
}

fn ids(nodes: &[InstanceInformation]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| n.instance_id().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_list_operation_pages_to_the_end() {
    let h = sim(cfg()).await;
    let acct = member(&h, 0);
    let c = ssm(&h, &acct, "us-east-1").await;
    let expected = h.world().ssm.node_count(&acct, "us-east-1");
    assert!(expected > 10);

    let small: Vec<InstanceInformation> = c
        .describe_instance_information()
        .max_results(5)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(small.len(), expected);
    let node_ids = ids(&small);
    let st = states(&c, &node_ids).await;
    assert!(
        st.len() >= expected * 8 / 10,
        "most nodes reported a patch state"
    );

    let one = st
        .iter()
        .max_by_key(|s| s.installed_count)
        .unwrap()
        .instance_id()
        .to_string();
    let patches = c
        .describe_instance_patches()
        .instance_id(&one)
        .max_results(10)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(patches.len() > 20);

    let group = st.iter().find(|s| s.patch_group() == "Production");
    if let Some(g) = group {
        let by_group = c
            .describe_instance_patch_states_for_patch_group()
            .patch_group(g.patch_group())
            .max_results(10)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            by_group.len(),
            st.iter()
                .filter(|s| s.patch_group() == "Production")
                .count()
        );
    }
    let groups = c
        .describe_patch_groups()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(groups.len() >= 5);
    let baselines = c
        .describe_patch_baselines()
        .max_results(4)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(baselines.len() >= 14);
    let summaries = c
        .list_compliance_summaries()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(summaries.len(), 2);
    let resources = c
        .list_resource_compliance_summaries()
        .max_results(50)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(resources.len(), expected + st.len());
    let items = c
        .list_compliance_items()
        .resource_ids(&one)
        .resource_types("ManagedInstance")
        .max_results(50)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(items.len() > 50);
    let windows = c
        .describe_maintenance_windows()
        .max_results(10)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(!windows.is_empty());
    assert!(
        windows
            .iter()
            .all(|w| w.window_id().unwrap().starts_with("mw-"))
    );
    let assoc = c
        .list_associations()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(assoc.len(), 3);
    let commands = c
        .list_commands()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(commands.len() >= 3);
    let target_total: i32 = commands.iter().map(|c| c.target_count).sum();
    let invocations = c
        .list_command_invocations()
        .max_results(3)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(invocations.len() as i32, target_total);

    // ListInventoryEntries has no paginator: loop on NextToken by hand.
    let mut apps = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .list_inventory_entries()
            .instance_id(&one)
            .type_name("AWS:Application")
            .max_results(7)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        apps.extend(page.entries().iter().cloned());
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    assert!(apps.len() > 7);
    assert!(apps.iter().all(|a| a.contains_key("Name")));
}

#[tokio::test]
async fn page_limits_and_bad_tokens_are_client_errors() {
    let h = sim(cfg()).await;
    let c = ssm(&h, &h.management_account_id(), "us-east-1").await;
    let e = c
        .describe_instance_information()
        .max_results(51)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    let e = c
        .describe_instance_information()
        .max_results(4)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    let e = c
        .describe_instance_patch_states()
        .instance_ids("i-0123456789abcdef0")
        .max_results(9)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    let e = c
        .describe_instance_patches()
        .instance_id("i-0123456789abcdef0")
        .max_results(101)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    let e = c.list_commands().max_results(51).send().await.unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    let e = c
        .describe_instance_information()
        .next_token("bogus")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidNextToken"));
    let e = c
        .describe_instance_patches()
        .instance_id("i-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidInstanceId"));
}

#[tokio::test]
async fn patch_counts_equal_the_patch_lists_for_every_node_of_an_account() {
    let h = sim(cfg()).await;
    let acct = member(&h, 1);
    let mut checked = 0;
    for region in h.world().cfg.regions.clone() {
        let c = ssm(&h, &acct, &region).await;
        let nodes = all_nodes(&c).await;
        assert_eq!(nodes.len(), h.world().ssm.node_count(&acct, &region));
        for st in states(&c, &ids(&nodes)).await {
            let patches: Vec<_> = c
                .describe_instance_patches()
                .instance_id(st.instance_id())
                .max_results(100)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .unwrap();
            let count = |s: PatchComplianceDataState| {
                patches.iter().filter(|p| *p.state() == s).count() as i32
            };
            let id = st.instance_id();
            assert_eq!(
                st.installed_count,
                count(PatchComplianceDataState::Installed),
                "{id}"
            );
            assert_eq!(
                st.installed_other_count,
                count(PatchComplianceDataState::InstalledOther)
            );
            assert_eq!(
                st.installed_pending_reboot_count.unwrap_or(0),
                count(PatchComplianceDataState::InstalledPendingReboot)
            );
            assert_eq!(
                st.missing_count,
                count(PatchComplianceDataState::Missing),
                "{id}"
            );
            assert_eq!(
                st.failed_count,
                count(PatchComplianceDataState::Failed),
                "{id}"
            );
            assert_eq!(
                st.not_applicable_count,
                count(PatchComplianceDataState::NotApplicable)
            );
            assert!(
                patches
                    .iter()
                    .all(|p| PatchComplianceDataState::values().contains(&p.state().as_str())),
                "every state parses as the SDK enum"
            );
            let nc = st.missing_count
                + st.failed_count
                + st.installed_pending_reboot_count.unwrap_or(0)
                + st.installed_rejected_count.unwrap_or(0);
            assert_eq!(
                st.critical_non_compliant_count.unwrap_or(0)
                    + st.security_non_compliant_count.unwrap_or(0)
                    + st.other_non_compliant_count.unwrap_or(0),
                nc
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked} nodes checked");
}

#[tokio::test]
async fn filters_work_through_the_sdk() {
    let h = sim(cfg()).await;
    let acct = member(&h, 0);
    let c = ssm(&h, &acct, "us-east-1").await;
    let nodes = all_nodes(&c).await;
    let tagged: Vec<InstanceInformation> = c
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("tag:Patch Group")
                .values("Production")
                .build()
                .unwrap(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(!tagged.is_empty() && tagged.len() < nodes.len());
    let online: Vec<InstanceInformation> = c
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("PingStatus")
                .values("Online")
                .build()
                .unwrap(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        online.len(),
        nodes
            .iter()
            .filter(|n| n.ping_status().map(|p| p.as_str()) == Some("Online"))
            .count()
    );
    let e = c
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("Colour")
                .values("blue")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidFilterKey"));

    let st = states(&c, &ids(&nodes)).await;
    let with_missing = st.iter().find(|s| s.missing_count > 0).unwrap();
    let missing = c
        .describe_instance_patches()
        .instance_id(with_missing.instance_id())
        .filters(
            PatchOrchestratorFilter::builder()
                .key("State")
                .values("Missing")
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(missing.len() as i32, with_missing.missing_count);
    assert!(missing.iter().all(|p| p.installed_time().secs() == 0));

    let more_than_zero = c
        .describe_instance_patch_states_for_patch_group()
        .patch_group(with_missing.patch_group())
        .filters(
            InstancePatchStateFilter::builder()
                .key("MissingCount")
                .values("0")
                .r#type(InstancePatchStateOperatorType::GreaterThan)
                .build()
                .unwrap(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    if !with_missing.patch_group().is_empty() {
        let list = more_than_zero.unwrap();
        assert!(list.iter().all(|s| s.missing_count > 0));
        assert!(
            list.iter()
                .any(|s| s.instance_id() == with_missing.instance_id())
        );
    }

    let noncompliant = c
        .list_resource_compliance_summaries()
        .filters(
            ComplianceStringFilter::builder()
                .key("ComplianceType")
                .values("Patch")
                .r#type(ComplianceQueryOperatorType::Equal)
                .build(),
        )
        .filters(
            ComplianceStringFilter::builder()
                .key("Status")
                .values("NON_COMPLIANT")
                .r#type(ComplianceQueryOperatorType::Equal)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    let expect = st
        .iter()
        .filter(|s| {
            s.missing_count
                + s.failed_count
                + s.installed_pending_reboot_count.unwrap_or(0)
                + s.installed_rejected_count.unwrap_or(0)
                > 0
        })
        .count();
    assert_eq!(noncompliant.len(), expect);

    let failed_cmds = c
        .list_commands()
        .filters(
            CommandFilter::builder()
                .key(CommandFilterKey::Status)
                .value("Failed")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(!failed_cmds.commands().is_empty());
    assert!(
        failed_cmds
            .commands()
            .iter()
            .all(|c| c.status() == Some(&CommandStatus::Failed))
    );
}

#[tokio::test]
async fn accounts_and_regions_are_isolated() {
    let h = sim(cfg()).await;
    let a = member(&h, 0);
    let b = member(&h, 1);
    let ca = ssm(&h, &a, "us-east-1").await;
    let node = all_nodes(&ca).await[0].instance_id().unwrap().to_string();
    // Visible in its own account and region ...
    ca.describe_instance_patches()
        .instance_id(&node)
        .send()
        .await
        .unwrap();
    // ... not in another account, the management account, or another region.
    for c in [
        ssm(&h, &b, "us-east-1").await,
        ssm(&h, &h.management_account_id(), "us-east-1").await,
        ssm(&h, &a, "eu-west-1").await,
    ] {
        let e = c
            .describe_instance_patches()
            .instance_id(&node)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("InvalidInstanceId"));
        let others = all_nodes(&c).await;
        assert!(
            others
                .iter()
                .all(|n| n.instance_id() != Some(node.as_str()))
        );
    }
    // The SDK-collected total equals the world's.
    let mut total = 0;
    for region in h.world().cfg.regions.clone() {
        total += all_nodes(&ssm(&h, &b, &region).await).await.len();
    }
    assert_eq!(
        total,
        h.world()
            .cfg
            .regions
            .iter()
            .map(|r| h.world().ssm.node_count(&b, r))
            .sum::<usize>()
    );
}

// ------------------------------------------------------------------------------------------
// Run Command

fn fast() -> SimConfig {
    SimConfig {
        time_scale: 2000.0,
        ..cfg()
    }
}

async fn wait_done(c: &aws_sdk_ssm::Client, id: &str) -> aws_sdk_ssm::types::Command {
    let t0 = Instant::now();
    loop {
        let out = c.list_commands().command_id(id).send().await.unwrap();
        let cmd = out.commands()[0].clone();
        match cmd.status() {
            Some(
                CommandStatus::Pending | CommandStatus::InProgress | CommandStatus::Cancelling,
            ) => {}
            _ => return cmd,
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "stuck: {cmd:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Online Linux nodes with a healthy agent association and no failed patches.
async fn healthy_linux(c: &aws_sdk_ssm::Client) -> Vec<InstancePatchState> {
    let nodes = all_nodes(c).await;
    let ok: Vec<String> = nodes
        .iter()
        .filter(|n| n.ping_status().map(|p| p.as_str()) == Some("Online"))
        .filter(|n| n.association_status() == Some("Success"))
        .filter(|n| n.platform_type().map(|p| p.as_str()) == Some("Linux"))
        .map(|n| n.instance_id().unwrap().to_string())
        .collect();
    states(c, &ok)
        .await
        .into_iter()
        .filter(|s| s.failed_count == 0)
        .collect()
}

#[tokio::test]
async fn send_command_lifecycle_install_no_reboot_and_scan() {
    let h = sim(fast()).await;
    let acct = member(&h, 0);
    let c = ssm(&h, &acct, "us-east-1").await;
    let healthy = healthy_linux(&c).await;
    let target = healthy
        .iter()
        .find(|s| s.missing_count > 0)
        .expect("a healthy node with missing patches")
        .clone();
    let id = target.instance_id().to_string();
    let sent = c
        .send_command()
        .instance_ids(&id)
        .document_name("AWS-RunPatchBaseline")
        .parameters("Operation", vec!["Install".into()])
        .parameters("RebootOption", vec!["NoReboot".into()])
        .comment("sim_ssm test")
        .send()
        .await
        .unwrap();
    let cmd = sent.command().unwrap();
    assert_eq!(cmd.status(), Some(&CommandStatus::Pending));
    assert_eq!(cmd.max_concurrency(), Some("50"));
    assert_eq!(cmd.max_errors(), Some("0"));
    assert_eq!(cmd.target_count, 1);
    let cmd_id = cmd.command_id().unwrap().to_string();
    let done = wait_done(&c, &cmd_id).await;
    assert_eq!(done.status(), Some(&CommandStatus::Success), "{done:?}");
    assert_eq!(h.op_count("AmazonSSM.SendCommand"), 1);

    let after = states(&c, std::slice::from_ref(&id)).await.remove(0);
    assert_eq!(after.missing_count, 0);
    assert_eq!(
        after.installed_pending_reboot_count.unwrap_or(0),
        target.installed_pending_reboot_count.unwrap_or(0) + target.missing_count
    );
    assert!(after.last_no_reboot_install_operation_time().is_some());
    assert_eq!(after.operation().as_str(), "Install");

    let inv = c
        .get_command_invocation()
        .command_id(&cmd_id)
        .instance_id(&id)
        .plugin_name("PatchLinux")
        .send()
        .await
        .unwrap();
    assert_eq!(inv.status(), Some(&CommandInvocationStatus::Success));
    assert_eq!(inv.response_code, 0);
    assert!(
        inv.standard_output_content()
            .unwrap()
            .contains("Operation type: install")
    );
    assert!(inv.execution_start_date_time().unwrap().ends_with('Z'));
    assert!(inv.execution_elapsed_time().unwrap().starts_with("PT"));
    let e = c
        .get_command_invocation()
        .command_id(&cmd_id)
        .instance_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidPluginName"));

    // A Scan on several nodes through Targets, at most 2 at a time.
    let sent = c
        .send_command()
        .targets(
            Target::builder()
                .key("InstanceIds")
                .values(healthy[0].instance_id())
                .values(healthy[1].instance_id())
                .values(healthy[2].instance_id())
                .build(),
        )
        .document_name("AWS-RunPatchBaseline")
        .parameters("Operation", vec!["Scan".into()])
        .max_concurrency("2")
        .send()
        .await
        .unwrap();
    let scan_id = sent.command().unwrap().command_id().unwrap().to_string();
    let done = wait_done(&c, &scan_id).await;
    assert_eq!(done.status(), Some(&CommandStatus::Success));
    assert_eq!(done.completed_count, 3);
    let invs = c
        .list_command_invocations()
        .command_id(&scan_id)
        .details(true)
        .send()
        .await
        .unwrap();
    for i in invs.command_invocations() {
        let names: Vec<&str> = i
            .command_plugins()
            .iter()
            .filter_map(|p| p.name())
            .collect();
        assert_eq!(names, ["PatchWindows", "PatchLinux", "PatchMacOS"]);
        assert!(
            i.command_plugins()
                .iter()
                .all(|p| p.output().unwrap().chars().count() <= 2500)
        );
    }
    let rescanned = states(&c, &[healthy[0].instance_id().to_string()]).await;
    assert!(rescanned[0].operation_end_time().secs() > healthy[0].operation_end_time().secs());
}

#[tokio::test]
async fn offline_targets_cancel_and_truncation() {
    let h = sim(fast()).await;
    let world = h.world();
    let mut found = None;
    'outer: for a in world
        .org
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
    {
        for region in &world.cfg.regions {
            let c = ssm(&h, &a.id, region).await;
            for n in all_nodes(&c).await {
                let age =
                    epoch().timestamp() - n.last_ping_date_time().map(|t| t.secs()).unwrap_or(0);
                if n.ping_status().map(|p| p.as_str()) == Some("ConnectionLost") && age > 2 * 86400
                {
                    found = Some((c, n.instance_id().unwrap().to_string()));
                    break 'outer;
                }
            }
        }
    }
    let (c, lost) = found.expect("a node offline for days");
    let sent = c
        .send_command()
        .instance_ids(&lost)
        .document_name("AWS-RunPatchBaseline")
        .parameters("Operation", vec!["Scan".into()])
        .send()
        .await
        .unwrap();
    let id = sent.command().unwrap().command_id().unwrap().to_string();
    let done = wait_done(&c, &id).await;
    assert_eq!(done.status(), Some(&CommandStatus::Failed));
    let invs = c
        .list_command_invocations()
        .command_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        invs.command_invocations()[0].status_details(),
        Some("Undeliverable")
    );

    let healthy = healthy_linux(&c).await;
    let node = healthy[0].instance_id().to_string();
    let sent = c
        .send_command()
        .instance_ids(&node)
        .document_name("AWS-RunShellScript")
        .parameters("commands", vec!["sleep 1000000".into()])
        .send()
        .await
        .unwrap();
    let id = sent.command().unwrap().command_id().unwrap().to_string();
    c.cancel_command().command_id(&id).send().await.unwrap();
    let done = wait_done(&c, &id).await;
    assert_eq!(done.status(), Some(&CommandStatus::Cancelled));
    let e = c
        .cancel_command()
        .command_id("00000000-0000-4000-a000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidCommandId"));

    let sent = c
        .send_command()
        .instance_ids(&node)
        .document_name("AWS-RunShellScript")
        .parameters("commands", vec!["seq 1 30000".into()])
        .send()
        .await
        .unwrap();
    let id = sent.command().unwrap().command_id().unwrap().to_string();
    assert_eq!(
        wait_done(&c, &id).await.status(),
        Some(&CommandStatus::Success)
    );
    let out = c
        .get_command_invocation()
        .command_id(&id)
        .instance_id(&node)
        .send()
        .await
        .unwrap();
    assert_eq!(out.plugin_name(), Some("aws:runShellScript"));
    assert_eq!(
        out.standard_output_content().unwrap().chars().count(),
        24_000
    );
    assert_eq!(out.standard_error_content(), Some(""));
}

#[tokio::test]
async fn same_seed_same_fleet() {
    let a = sim(cfg()).await;
    let b = sim(cfg()).await;
    let acct = member(&a, 2);
    let strip = |v: Vec<InstanceInformation>| -> Vec<String> {
        v.into_iter()
            .map(|n| {
                format!(
                    "{:?} {:?} {:?} {:?} {:?}",
                    n.instance_id(),
                    n.computer_name(),
                    n.platform_name(),
                    n.ip_address(),
                    n.ping_status()
                )
            })
            .collect()
    };
    let na = strip(all_nodes(&ssm(&a, &acct, "eu-west-1").await).await);
    let nb = strip(all_nodes(&ssm(&b, &acct, "eu-west-1").await).await);
    assert!(!na.is_empty());
    assert_eq!(na, nb);
    let c = sim(SimConfig { seed: 99, ..cfg() }).await;
    let acct_c = member(&c, 2);
    let nc = strip(all_nodes(&ssm(&c, &acct_c, "eu-west-1").await).await);
    assert_ne!(na, nc);
}

// ------------------------------------------------------------------------------------------
// The stock AWS CLI against `ssmdeck sim`

fn aws(url: &str, dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    common::aws_cli(url, dir, &[], args)
}

#[test]
fn stock_aws_cli_reads_the_fleet_and_command_output() {
    let available = std::process::Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed; `.ci/run` installs it");
        return;
    }
    let sim = spawn_sim(&["--port", "0", "--seed", "11", "--time-scale", "2000"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config"), "").unwrap();
    std::fs::write(dir.path().join("credentials"), "").unwrap();
    let d = dir.path();

    let info = aws(&sim.url, d, &["ssm", "describe-instance-information"]);
    let nodes = info["InstanceInformationList"].as_array().unwrap();
    assert!(nodes.len() > 10, "the CLI pages to the end");
    assert!(
        nodes
            .iter()
            .all(|n| n["LastPingDateTime"].is_number() || n["LastPingDateTime"].is_string())
    );
    let linux: Vec<&str> = nodes
        .iter()
        .filter(|n| n["PlatformType"] == "Linux" && n["PingStatus"] == "Online")
        .filter(|n| n["AssociationStatus"] == "Success")
        .map(|n| n["InstanceId"].as_str().unwrap())
        .collect();
    let mut args = vec!["ssm", "describe-instance-patch-states", "--instance-ids"];
    args.extend(linux.iter().take(20));
    let st = aws(&sim.url, d, &args);
    let states = st["InstancePatchStates"].as_array().unwrap();
    assert!(!states.is_empty());
    let s0 = states
        .iter()
        .find(|s| s["FailedCount"] == 0)
        .expect("a healthy node");
    let id = s0["InstanceId"].as_str().unwrap();
    let patches = aws(
        &sim.url,
        d,
        &["ssm", "describe-instance-patches", "--instance-id", id],
    );
    let patches = patches["Patches"].as_array().unwrap();
    let installed = patches.iter().filter(|p| p["State"] == "INSTALLED").count() as u64;
    assert_eq!(installed, s0["InstalledCount"].as_u64().unwrap());

    let sent = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "send-command",
            "--instance-ids",
            id,
            "--document-name",
            "AWS-RunPatchBaseline",
            "--parameters",
            "Operation=Scan",
        ],
    );
    let cmd_id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    let t0 = Instant::now();
    let invs = loop {
        let invs = aws(
            &sim.url,
            d,
            &[
                "ssm",
                "list-command-invocations",
                "--command-id",
                &cmd_id,
                "--details",
            ],
        );
        let done = invs["CommandInvocations"]
            .as_array()
            .is_some_and(|v| !v.is_empty() && v.iter().all(|i| i["Status"] == "Success"));
        if done {
            break invs;
        }
        assert!(t0.elapsed() < Duration::from_secs(25), "{invs}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let plugins = invs["CommandInvocations"][0]["CommandPlugins"]
        .as_array()
        .unwrap();
    assert!(plugins.iter().any(|p| p["Name"] == "PatchLinux"));
    let out = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "get-command-invocation",
            "--command-id",
            &cmd_id,
            "--instance-id",
            id,
            "--plugin-name",
            "PatchLinux",
        ],
    );
    assert_eq!(out["Status"], "Success");
    assert!(
        out["ExecutionStartDateTime"]
            .as_str()
            .unwrap()
            .contains('T')
    );
    assert!(
        out["StandardOutputContent"]
            .as_str()
            .unwrap()
            .contains("Operation type: scan")
    );
}
