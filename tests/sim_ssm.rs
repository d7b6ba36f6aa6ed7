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
use ssmdeck::fleet::convert;
use ssmdeck::model::PatchState;
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
            // AWS sends the State in CamelCase (`Installed`), which the SDK's enum (the
            // model's UPPER_SNAKE) does not know: ssmdeck decodes it tolerantly
            let count = |s: PatchState| {
                patches
                    .iter()
                    .filter(|p| convert::patch_state(p.state()) == s)
                    .count() as i32
            };
            let id = st.instance_id();
            assert_eq!(st.installed_count, count(PatchState::Installed), "{id}");
            assert_eq!(st.installed_other_count, count(PatchState::InstalledOther));
            assert_eq!(
                st.installed_pending_reboot_count.unwrap_or(0),
                count(PatchState::InstalledPendingReboot)
            );
            assert_eq!(st.missing_count, count(PatchState::Missing), "{id}");
            assert_eq!(st.failed_count, count(PatchState::Failed), "{id}");
            assert_eq!(st.not_applicable_count, count(PatchState::NotApplicable));
            assert!(
                patches
                    .iter()
                    .all(|p| !PatchComplianceDataState::values().contains(&p.state().as_str())),
                "the wire spelling is not the model's: the SDK reads Unknown"
            );
            assert!(
                patches
                    .iter()
                    .all(|p| convert::patch_state(p.state()).is_known()),
                "every state decodes to a known patch state"
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
// Wire truth: where the model and observed AWS disagree, the simulator does what AWS does

/// A region of some member with two healthy Linux nodes and a node offline for days.
async fn region_with_lost_node(h: &SimHandle) -> (aws_sdk_ssm::Client, Vec<String>, String) {
    let world = h.world();
    for a in
        world.org.accounts.iter().filter(|a| {
            a.status == AccountStatus::Active && a.joined_method == JoinedMethod::Created
        })
    {
        for region in &world.cfg.regions {
            let c = ssm(h, &a.id, region).await;
            let now = chrono::Utc::now().timestamp();
            let lost = all_nodes(&c).await.into_iter().find(|n| {
                n.ping_status().map(|p| p.as_str()) == Some("ConnectionLost")
                    && now - n.last_ping_date_time().map(|t| t.secs()).unwrap_or(now) > 2 * 86400
            });
            let healthy: Vec<String> = healthy_linux(&c)
                .await
                .iter()
                .map(|s| s.instance_id().to_string())
                .collect();
            if let Some(lost) = lost
                && healthy.len() >= 3
            {
                return (c, healthy, lost.instance_id().unwrap().to_string());
            }
        }
    }
    panic!("no region with a lost node and healthy ones");
}

/// Undeliverable invocations neither count against MaxErrors nor decide Success /
/// Incomplete (model text of CommandInvocation.StatusDetails; User Guide "Understanding
/// command statuses"): two Success + one Undeliverable is a `Success` command.
#[tokio::test]
async fn an_undeliverable_target_does_not_fail_the_command() {
    let h = sim(SimConfig {
        epoch: None,
        ..fast()
    })
    .await;
    let (c, healthy, lost) = region_with_lost_node(&h).await;
    let sent = c
        .send_command()
        .instance_ids(&healthy[0])
        .instance_ids(&healthy[1])
        .instance_ids(&lost)
        .document_name("AWS-RunPatchBaseline")
        .parameters("Operation", vec!["Scan".into()])
        .send()
        .await
        .unwrap();
    let id = sent.command().unwrap().command_id().unwrap().to_string();
    let done = wait_done(&c, &id).await;
    assert_eq!(done.status(), Some(&CommandStatus::Success), "{done:?}");
    assert_eq!(done.status_details(), Some("Success"));
    let invs = c
        .list_command_invocations()
        .command_id(&id)
        .send()
        .await
        .unwrap();
    let mut details: Vec<&str> = invs
        .command_invocations()
        .iter()
        .map(|i| i.status_details().unwrap())
        .collect();
    details.sort();
    assert_eq!(details, ["Success", "Success", "Undeliverable"]);
    // ssmdeck reads it the same way: a successful command, one undeliverable target
    let summary = convert::command_from_sdk(&done, "1", "us-east-1").unwrap();
    assert_eq!(summary.status, "Success");
    assert!(!summary.is_running());
}

/// Targets not started when MaxErrors is exceeded are `Terminated` ("subsequent command
/// invocations were canceled by the system"), and a `Status=Terminated` filter finds them.
#[tokio::test]
async fn targets_skipped_after_max_errors_read_terminated() {
    let h = sim(fast()).await;
    let acct = member(&h, 0);
    let c = ssm(&h, &acct, "us-east-1").await;
    let healthy = healthy_linux(&c).await;
    assert!(healthy.len() >= 4);
    let mut req = c
        .send_command()
        .document_name("AWS-RunShellScript")
        .parameters("commands", vec!["exit 1".into()])
        .max_concurrency("1")
        .max_errors("0");
    for s in &healthy[..4] {
        req = req.instance_ids(s.instance_id());
    }
    let id = req
        .send()
        .await
        .unwrap()
        .command()
        .unwrap()
        .command_id()
        .unwrap()
        .to_string();
    let done = wait_done(&c, &id).await;
    assert_eq!(done.status(), Some(&CommandStatus::Failed));
    let invs = c
        .list_command_invocations()
        .command_id(&id)
        .send()
        .await
        .unwrap();
    let count = |d: &str| {
        invs.command_invocations()
            .iter()
            .filter(|i| i.status_details() == Some(d))
            .count()
    };
    assert_eq!(count("Failed"), 1);
    assert_eq!(count("Terminated"), 3);
    assert_eq!(count("Cancelled"), 0);
    assert!(
        invs.command_invocations()
            .iter()
            .filter(|i| i.status_details() == Some("Terminated"))
            .all(|i| i.status() == Some(&CommandInvocationStatus::Cancelled))
    );
    let terminated = c
        .list_command_invocations()
        .command_id(&id)
        .filters(
            CommandFilter::builder()
                .key(CommandFilterKey::Status)
                .value("Terminated")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(terminated.command_invocations().len(), 3);
    // ssmdeck shows them as Terminated
    for i in terminated.command_invocations() {
        let inv = convert::invocation_from_sdk(i, &acct, "us-east-1");
        assert_eq!(
            ssmdeck::actions::tracker::display_status(&inv.status, &inv.status_details),
            "Terminated"
        );
    }
}

/// A request that breaks the model's constraints is a `ValidationException` before the
/// service looks at it (even where the service's own error would be another one).
#[tokio::test]
async fn model_constraint_violations_are_validation_exceptions() {
    let h = sim(cfg()).await;
    let acct = member(&h, 0);
    let c = ssm(&h, &acct, "us-east-1").await;
    let node = ids(&all_nodes(&c).await)[0].clone();
    let validation = |e: &dyn ProvideErrorMetadata, what: &str| {
        assert_eq!(
            e.code(),
            Some("ValidationException"),
            "{what}: {:?}",
            e.message()
        );
        assert!(
            e.message()
                .unwrap()
                .contains("failed to satisfy constraint"),
            "{what}: {:?}",
            e.message()
        );
    };
    let e = c
        .describe_instance_patches()
        .instance_id("i-123")
        .send()
        .await
        .unwrap_err();
    validation(&e, "instance id pattern");
    assert!(e.message().unwrap().contains("'instanceId'"));
    let e = c
        .describe_instance_patch_states()
        .instance_ids(&node)
        .instance_ids("mi-1")
        .send()
        .await
        .unwrap_err();
    validation(&e, "instance id in a list");
    assert!(e.message().unwrap().contains("'instanceIds.2.member'"));
    let e = c
        .get_command_invocation()
        .command_id("not-a-command-id")
        .instance_id(&node)
        .send()
        .await
        .unwrap_err();
    validation(&e, "command id length");
    let e = c.cancel_command().command_id("x").send().await.unwrap_err();
    validation(&e, "command id length (cancel)");
    let e = c
        .list_inventory_entries()
        .instance_id(&node)
        .type_name("Application")
        .send()
        .await
        .unwrap_err();
    validation(&e, "TypeName pattern");
    assert!(e.message().unwrap().contains("^(AWS|Custom):.*$"));
    let e = c
        .send_command()
        .instance_ids(&node)
        .document_name("AWS-RunShellScript")
        .document_version("latest")
        .parameters("commands", vec!["echo".into()])
        .send()
        .await
        .unwrap_err();
    validation(&e, "DocumentVersion pattern");
    let e = c
        .send_command()
        .instance_ids("i-1")
        .document_name("AWS-RunShellScript")
        .parameters("commands", vec!["echo".into()])
        .send()
        .await
        .unwrap_err();
    validation(&e, "SendCommand instance id (not InvalidInstanceId)");
    let e = c
        .describe_instance_patch_states_for_patch_group()
        .patch_group("a;b")
        .send()
        .await
        .unwrap_err();
    validation(&e, "PatchGroup pattern");
    // several violations at once: all listed
    let e = c
        .list_commands()
        .command_id("short")
        .instance_id("i-1")
        .max_results(51)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.message()
            .unwrap()
            .starts_with("3 validation errors detected:"),
        "{:?}",
        e.message()
    );
    // valid shapes still reach the service and its own errors
    let e = c
        .describe_instance_patches()
        .instance_id("i-0000000000000000f")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidInstanceId"));
    let e = c
        .get_command_invocation()
        .command_id("00000000-0000-4000-a000-000000000000")
        .instance_id(&node)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidCommandId"));
}

/// An `InstanceIds` filter naming a node that is not a managed node of the caller's account
/// and region (unknown, or another account's) is `InvalidInstanceId`, not silently dropped.
#[tokio::test]
async fn instance_ids_filter_rejects_unknown_and_foreign_nodes() {
    let h = sim(cfg()).await;
    let a = ssm(&h, &member(&h, 0), "us-east-1").await;
    let b = ssm(&h, &member(&h, 1), "us-east-1").await;
    let mine = ids(&all_nodes(&a).await);
    let theirs = ids(&all_nodes(&b).await);
    let filter = |v: &[&String]| {
        let mut f = InstanceInformationStringFilter::builder().key("InstanceIds");
        for id in v {
            f = f.values(id.as_str());
        }
        f.build().unwrap()
    };
    let found = a
        .describe_instance_information()
        .filters(filter(&[&mine[0], &mine[1]]))
        .send()
        .await
        .unwrap();
    assert_eq!(found.instance_information_list().len(), 2);
    let unknown = "i-0000000000000000f".to_string();
    for (what, bad) in [("unknown", &unknown), ("another account's", &theirs[0])] {
        let e = a
            .describe_instance_information()
            .filters(filter(&[&mine[0], bad]))
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("InvalidInstanceId"), "{what}");
        assert!(e.message().unwrap().contains(bad.as_str()), "{what}");
    }
    // the ResourceType filter takes one value, though its shape is a list (boto/boto3#3027)
    let e = a
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("ResourceType")
                .values("EC2Instance")
                .values("ManagedInstance")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidInstanceInformationFilterValue"));
    assert_eq!(
        e.message(),
        Some("ResourceType filter may contain only one value.")
    );
}

/// One raw awsJson call: the response's `Date` header and JSON body.
fn raw_call(
    url: &str,
    target: &str,
    body: &str,
) -> (chrono::DateTime<chrono::Utc>, serde_json::Value) {
    use std::io::{Read, Write};
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: {target}\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=AKIDEXAMPLE/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, \
         Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    let date = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("date: ")
                .or_else(|| l.strip_prefix("Date: "))
        })
        .expect("a Date header");
    let date = chrono::DateTime::parse_from_rfc2822(date).unwrap().to_utc();
    (date, serde_json::from_str(body).unwrap())
}

/// `--time-scale` speeds up the Run Command lifecycle, not the clock: no timestamp of a
/// past event is later than the response's HTTP `Date` (which has whole seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_time_scale_never_puts_timestamps_after_the_date_header() {
    let h = sim(SimConfig {
        epoch: None,
        time_scale: 600.0,
        accounts: 1,
        ..SimConfig::default()
    })
    .await;
    let url = h.url.clone();
    tokio::task::spawn_blocking(move || {
        let not_after = |t: &serde_json::Value, date: chrono::DateTime<chrono::Utc>, what: &str| {
            let secs = t.as_f64().unwrap_or_else(|| panic!("{what}: {t}"));
            assert!(
                secs < (date.timestamp() + 1) as f64,
                "{what} {secs} is after the Date header {date}"
            );
        };
        let (date, info) = raw_call(
            &url,
            "AmazonSSM.DescribeInstanceInformation",
            r#"{"MaxResults": 50}"#,
        );
        let nodes = info["InstanceInformationList"].as_array().unwrap();
        for n in nodes {
            not_after(&n["LastPingDateTime"], date, "LastPingDateTime");
        }
        let online: Vec<&str> = nodes
            .iter()
            .filter(|n| n["PingStatus"] == "Online" && n["PlatformType"] == "Linux")
            .map(|n| n["InstanceId"].as_str().unwrap())
            .take(3)
            .collect();
        let send = serde_json::json!({
            "InstanceIds": online,
            "DocumentName": "AWS-RunPatchBaseline",
            "Parameters": {"Operation": ["Scan"]},
        });
        let (date, sent) = raw_call(&url, "AmazonSSM.SendCommand", &send.to_string());
        let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
        not_after(
            &sent["Command"]["RequestedDateTime"],
            date,
            "RequestedDateTime",
        );
        // a Scan takes 30..90 simulated seconds: well under a second at 600x
        let t0 = std::time::Instant::now();
        loop {
            let body = serde_json::json!({"CommandId": id, "Details": true}).to_string();
            let (date, invs) = raw_call(&url, "AmazonSSM.ListCommandInvocations", &body);
            let list = invs["CommandInvocations"].as_array().unwrap();
            for i in list {
                not_after(&i["RequestedDateTime"], date, "RequestedDateTime");
                for p in i["CommandPlugins"].as_array().unwrap() {
                    for k in ["ResponseStartDateTime", "ResponseFinishDateTime"] {
                        if !p[k].is_null() {
                            not_after(&p[k], date, k);
                        }
                    }
                }
            }
            if list.iter().all(|i| i["Status"] == "Success") {
                break;
            }
            assert!(t0.elapsed() < std::time::Duration::from_secs(20), "{invs}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let body = serde_json::json!({"InstanceIds": online}).to_string();
        let (date, st) = raw_call(&url, "AmazonSSM.DescribeInstancePatchStates", &body);
        for s in st["InstancePatchStates"].as_array().unwrap() {
            not_after(&s["OperationStartTime"], date, "OperationStartTime");
            not_after(&s["OperationEndTime"], date, "OperationEndTime");
        }
    })
    .await
    .unwrap();
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
    // the stock CLI shows the State as AWS sends it: CamelCase
    let installed = patches.iter().filter(|p| p["State"] == "Installed").count() as u64;
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

/// What the stock CLI sees of the wire truths: CamelCase patch states (and filter values in
/// any case), `ValidationException` for a model-constraint violation, `InvalidInstanceId`
/// for an unknown node in an `InstanceIds` filter.
#[test]
fn stock_aws_cli_sees_aws_spellings_and_validation() {
    if !common::aws_cli_available() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed; `.ci/run` installs it");
        return;
    }
    let sim = spawn_sim(&["--port", "0", "--seed", "11"]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let info = aws(&sim.url, d, &["ssm", "describe-instance-information"]);
    let ids: Vec<&str> = info["InstanceInformationList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["InstanceId"].as_str().unwrap())
        .collect();
    let mut args = vec!["ssm", "describe-instance-patch-states", "--instance-ids"];
    args.extend(ids.iter().take(20));
    let st = aws(&sim.url, d, &args);
    let s0 = st["InstancePatchStates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["InstalledCount"].as_u64().unwrap() > 0 && s["MissingCount"].as_u64().unwrap() > 0
        })
        .expect("a node with installed and missing patches");
    let id = s0["InstanceId"].as_str().unwrap();
    let all = aws(
        &sim.url,
        d,
        &["ssm", "describe-instance-patches", "--instance-id", id],
    );
    let states: std::collections::BTreeSet<&str> = all["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["State"].as_str().unwrap())
        .collect();
    assert!(
        states.contains("Installed") && states.contains("Missing"),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .all(|s| !s.contains('_') && *s != s.to_uppercase()),
        "{states:?}"
    );
    for spelling in ["Missing", "MISSING", "missing"] {
        let missing = aws(
            &sim.url,
            d,
            &[
                "ssm",
                "describe-instance-patches",
                "--instance-id",
                id,
                "--filters",
                &format!("Key=State,Values={spelling}"),
            ],
        );
        let list = missing["Patches"].as_array().unwrap();
        assert_eq!(
            list.len() as u64,
            s0["MissingCount"].as_u64().unwrap(),
            "{spelling}"
        );
        assert!(list.iter().all(|p| p["State"] == "Missing"));
    }
    let err = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &["ssm", "describe-instance-patches", "--instance-id", "i-123"],
    );
    assert!(err.contains("(ValidationException)"), "{err}");
    assert!(err.contains("failed to satisfy constraint"), "{err}");
    let err = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "describe-instance-information",
            "--filters",
            "Key=InstanceIds,Values=i-0000000000000000f",
        ],
    );
    assert!(err.contains("(InvalidInstanceId)"), "{err}");
}

/// Run Command's status rules as the stock CLI sees them: an Undeliverable target does not
/// fail the command; targets skipped after MaxErrors are `Terminated` and a
/// `Status=Terminated` filter finds them.
#[test]
fn stock_aws_cli_sees_undeliverable_and_terminated_targets() {
    if !common::aws_cli_available() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed; `.ci/run` installs it");
        return;
    }
    let sim = spawn_sim(&["--port", "0", "--seed", "11", "--time-scale", "2000"]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let world = ssmdeck::sim::World::generate(&SimConfig {
        seed: 11,
        ..SimConfig::default()
    });
    let secs = |v: &serde_json::Value| -> i64 {
        v.as_f64().map(|f| f as i64).unwrap_or_else(|| {
            chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
                .unwrap()
                .timestamp()
        })
    };
    // an account × region with healthy Linux nodes and a node offline for days
    let mut found = None;
    'search: for a in
        world.org.accounts.iter().filter(|a| {
            a.status == AccountStatus::Active && a.joined_method == JoinedMethod::Created
        })
    {
        let mut env: Vec<(&str, String)> = Vec::new();
        if a.id != world.org.management_account_id {
            let out = common::aws_cli(
                &sim.url,
                d,
                &[],
                &[
                    "sts",
                    "assume-role",
                    "--role-arn",
                    &format!("arn:aws:iam::{}:role/{ADMIN_ROLE}", a.id),
                    "--role-session-name",
                    "cli",
                ],
            );
            let c = &out["Credentials"];
            for (k, v) in [
                ("AWS_ACCESS_KEY_ID", "AccessKeyId"),
                ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
                ("AWS_SESSION_TOKEN", "SessionToken"),
            ] {
                env.push((k, c[v].as_str().unwrap().to_string()));
            }
        }
        for region in &world.cfg.regions {
            let mut env = env.clone();
            env.push(("AWS_DEFAULT_REGION", region.clone()));
            let info =
                common::aws_cli(&sim.url, d, &env, &["ssm", "describe-instance-information"]);
            let nodes = info["InstanceInformationList"].as_array().unwrap().clone();
            let now = chrono::Utc::now().timestamp();
            let lost = nodes.iter().find(|n| {
                n["PingStatus"] == "ConnectionLost"
                    && now - secs(&n["LastPingDateTime"]) > 2 * 86400
            });
            let healthy: Vec<String> = nodes
                .iter()
                .filter(|n| {
                    n["PingStatus"] == "Online"
                        && n["PlatformType"] == "Linux"
                        && n["AssociationStatus"] == "Success"
                })
                .map(|n| n["InstanceId"].as_str().unwrap().to_string())
                .collect();
            if let Some(lost) = lost
                && healthy.len() >= 3
            {
                found = Some((
                    env,
                    healthy,
                    lost["InstanceId"].as_str().unwrap().to_string(),
                ));
                break 'search;
            }
        }
    }
    let (env, healthy, lost) = found.expect("a region with a lost node and healthy ones");
    let run = |args: &[&str]| common::aws_cli(&sim.url, d, &env, args);
    let wait = |id: &str| -> serde_json::Value {
        let t0 = Instant::now();
        loop {
            let c = run(&["ssm", "list-commands", "--command-id", id])["Commands"][0].clone();
            if !matches!(
                c["Status"].as_str(),
                Some("Pending" | "InProgress" | "Cancelling")
            ) {
                return c;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "stuck: {c}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    let sent = run(&[
        "ssm",
        "send-command",
        "--instance-ids",
        &healthy[0],
        &healthy[1],
        &lost,
        "--document-name",
        "AWS-RunPatchBaseline",
        "--parameters",
        "Operation=Scan",
    ]);
    let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    let done = wait(&id);
    assert_eq!(done["Status"], "Success", "{done}");
    let invs = run(&["ssm", "list-command-invocations", "--command-id", &id]);
    let undeliverable: Vec<&serde_json::Value> = invs["CommandInvocations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["StatusDetails"] == "Undeliverable")
        .collect();
    assert_eq!(undeliverable.len(), 1);
    assert_eq!(undeliverable[0]["InstanceId"], lost.as_str());

    let sent = run(&[
        "ssm",
        "send-command",
        "--instance-ids",
        &healthy[0],
        &healthy[1],
        &healthy[2],
        "--document-name",
        "AWS-RunShellScript",
        "--parameters",
        "commands=exit 1",
        "--max-concurrency",
        "1",
        "--max-errors",
        "0",
    ]);
    let id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    assert_eq!(wait(&id)["Status"], "Failed");
    let terminated = run(&[
        "ssm",
        "list-command-invocations",
        "--command-id",
        &id,
        "--filters",
        "key=Status,value=Terminated",
    ]);
    let list = terminated["CommandInvocations"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{terminated}");
    assert!(list.iter().all(|i| i["StatusDetails"] == "Terminated"));
}

/// The maintenance-window, baseline and association APIs as the stock AWS CLI sees them
/// (its own parameter validation, pagination and output parsing from the botocore model).
#[test]
fn stock_aws_cli_reads_windows_baselines_and_associations() {
    if !common::aws_cli_available() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed; `.ci/run` installs it");
        return;
    }
    let sim = spawn_sim(&["--port", "0", "--seed", "11"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config"), "").unwrap();
    std::fs::write(dir.path().join("credentials"), "").unwrap();
    let d = dir.path();

    let ws = aws(&sim.url, d, &["ssm", "describe-maintenance-windows"]);
    let ws = ws["WindowIdentities"].as_array().unwrap();
    let w = ws
        .iter()
        .find(|w| w["Name"] == "prod-patch-sun-0300")
        .expect("the production window");
    assert_eq!(w["ScheduleTimezone"], "Asia/Tokyo");
    assert!(
        w["NextExecutionTime"]
            .as_str()
            .unwrap()
            .ends_with("T18:00Z")
    );
    let id = w["WindowId"].as_str().unwrap();
    let targets = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "describe-maintenance-window-targets",
            "--window-id",
            id,
        ],
    );
    assert_eq!(
        targets["Targets"][0]["Targets"][0]["Key"],
        "tag:Patch Group"
    );
    let tasks = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "describe-maintenance-window-tasks",
            "--window-id",
            id,
        ],
    );
    assert_eq!(tasks["Tasks"][0]["TaskArn"], "AWS-RunPatchBaseline");
    let execs = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "describe-maintenance-window-executions",
            "--window-id",
            id,
        ],
    );
    let execs = execs["WindowExecutions"].as_array().unwrap();
    assert!(
        execs.len() >= 7,
        "~8 weeks, paged by the CLI: {}",
        execs.len()
    );
    let exec = execs[0]["WindowExecutionId"].as_str().unwrap();
    let etasks = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "describe-maintenance-window-execution-tasks",
            "--window-execution-id",
            exec,
        ],
    );
    let task = etasks["WindowExecutionTaskIdentities"][0]["TaskExecutionId"]
        .as_str()
        .unwrap();
    let invs = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "describe-maintenance-window-execution-task-invocations",
            "--window-execution-id",
            exec,
            "--task-id",
            task,
        ],
    );
    let invs = invs["WindowExecutionTaskInvocationIdentities"]
        .as_array()
        .unwrap();
    assert!(!invs.is_empty());
    let params: serde_json::Value =
        serde_json::from_str(invs[0]["Parameters"].as_str().unwrap()).unwrap();
    let node = params["instanceIds"][0].as_str().unwrap().to_string();
    let sched = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "describe-maintenance-window-schedule",
            "--window-id",
            id,
        ],
    );
    assert!(
        !sched["ScheduledWindowExecutions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let for_target = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "describe-maintenance-windows-for-target",
            "--targets",
            &format!("Key=InstanceIds,Values={node}"),
            "--resource-type",
            "INSTANCE",
        ],
    );
    assert!(
        for_target["WindowIdentities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["WindowId"] == id)
    );
    let err = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "describe-maintenance-window-tasks",
            "--window-id",
            "mw-0000000000000000a",
        ],
    );
    assert!(err.contains("DoesNotExistException"), "{err}");

    let b = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "get-patch-baseline-for-patch-group",
            "--patch-group",
            "Production",
        ],
    );
    let full = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "get-patch-baseline",
            "--baseline-id",
            b["BaselineId"].as_str().unwrap(),
        ],
    );
    assert_eq!(
        full["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"],
        7
    );
    let def = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "get-default-patch-baseline",
            "--operating-system",
            "UBUNTU",
        ],
    );
    assert!(def["BaselineId"].as_str().unwrap().contains("pb-"));

    let assocs = aws(&sim.url, d, &["ssm", "list-associations"]);
    let patch = assocs["Associations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Name"] == "AWS-RunPatchBaseline")
        .expect("a patch association");
    let aid = patch["AssociationId"].as_str().unwrap();
    let desc = aws(
        &sim.url,
        d,
        &["ssm", "describe-association", "--association-id", aid],
    );
    assert!(desc["AssociationDescription"]["Parameters"]["Operation"].is_array());
    let runs = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "describe-association-executions",
            "--association-id",
            aid,
        ],
    );
    assert!(!runs["AssociationExecutions"].as_array().unwrap().is_empty());

    // A window run is in Run Command history: its output reads through the stock CLI.
    let inv = invs
        .iter()
        .find(|i| i["Status"] == "SUCCESS")
        .expect("a successful task invocation");
    let params: serde_json::Value =
        serde_json::from_str(inv["Parameters"].as_str().unwrap()).unwrap();
    let node = params["instanceIds"][0].as_str().unwrap();
    let cmd = inv["ExecutionId"].as_str().unwrap();
    let listed = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "list-command-invocations",
            "--command-id",
            cmd,
            "--instance-id",
            node,
            "--details",
        ],
    );
    let step = listed["CommandInvocations"][0]["CommandPlugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Status"] == "Success" && !p["Output"].as_str().unwrap().contains("skipped"))
        .expect("the node's own step")["Name"]
        .as_str()
        .unwrap()
        .to_string();
    let out = aws(
        &sim.url,
        d,
        &[
            "ssm",
            "get-command-invocation",
            "--command-id",
            cmd,
            "--instance-id",
            node,
            "--plugin-name",
            &step,
        ],
    );
    assert_eq!(out["Status"], "Success");
    assert!(out["StandardOutputContent"].as_str().unwrap().len() > 100);
    // an execution older than Run Command's 30 days of history: InvalidCommandId
    let old = execs
        .iter()
        .rev()
        .find(|e| {
            e["StartTime"].as_f64().unwrap()
                < (chrono::Utc::now() - chrono::Duration::days(31)).timestamp() as f64
        })
        .map(|e| e["WindowExecutionId"].as_str().unwrap().to_string());
    if let Some(old) = old {
        let t = aws(
            &sim.url,
            d,
            &[
                "ssm",
                "describe-maintenance-window-execution-tasks",
                "--window-execution-id",
                &old,
            ],
        );
        let task = t["WindowExecutionTaskIdentities"][0]["TaskExecutionId"]
            .as_str()
            .unwrap();
        let i = aws(
            &sim.url,
            d,
            &[
                "ssm",
                "describe-maintenance-window-execution-task-invocations",
                "--window-execution-id",
                &old,
                "--task-id",
                task,
            ],
        );
        let i = &i["WindowExecutionTaskInvocationIdentities"][0];
        let p: serde_json::Value = serde_json::from_str(i["Parameters"].as_str().unwrap()).unwrap();
        let err = common::aws_cli_error(
            &sim.url,
            d,
            &[],
            &[
                "ssm",
                "get-command-invocation",
                "--command-id",
                i["ExecutionId"].as_str().unwrap(),
                "--instance-id",
                p["instanceIds"][0].as_str().unwrap(),
            ],
        );
        assert!(err.contains("InvalidCommandId"), "{err}");
    }
}

fn to_chrono(t: &aws_sdk_ssm::primitives::DateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap()
}

/// Maintenance-window runs are in Run Command history (its 30 days): each invocation a
/// window execution lists is a Run Command invocation of the same command, with the same
/// outcome; a node whose last Install is that run lists it among its invocations; every
/// patch run Run Command lists is explained by a window (its comment) or marked manual.
#[tokio::test]
async fn window_runs_are_in_run_command_history_and_coherent() {
    let h = sim(cfg()).await;
    let mut checked = 0;
    for nth in 0..6 {
        let acct = member(&h, nth);
        let c = ssm(&h, &acct, "us-east-1").await;
        let windows = c
            .describe_maintenance_windows()
            .max_results(10)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        for w in windows.iter().filter(|w| w.enabled()) {
            let wid = w.window_id().unwrap();
            let execs = c
                .describe_maintenance_window_executions()
                .window_id(wid)
                .max_results(50)
                .send()
                .await
                .unwrap();
            let Some(last) = execs.window_executions().first() else {
                continue;
            };
            let eid = last.window_execution_id().unwrap();
            let tasks = c
                .describe_maintenance_window_execution_tasks()
                .window_execution_id(eid)
                .send()
                .await
                .unwrap();
            let tid = tasks.window_execution_task_identities()[0]
                .task_execution_id()
                .unwrap();
            let invs: Vec<_> = c
                .describe_maintenance_window_execution_task_invocations()
                .window_execution_id(eid)
                .task_id(tid)
                .max_results(100)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .unwrap();
            let node_ids: Vec<String> = invs
                .iter()
                .map(|i| {
                    let p: serde_json::Value =
                        serde_json::from_str(i.parameters().unwrap()).unwrap();
                    p["instanceIds"][0].as_str().unwrap().to_string()
                })
                .collect();
            let st = states(&c, &node_ids).await;
            for (inv, node) in invs.iter().zip(&node_ids) {
                let cmd = inv.execution_id().unwrap();
                let rc = c
                    .list_command_invocations()
                    .command_id(cmd)
                    .instance_id(node)
                    .send()
                    .await
                    .unwrap();
                let rc = &rc.command_invocations()[0];
                let want = match inv.status().unwrap().as_str() {
                    "SUCCESS" => "Success",
                    _ => "Failed",
                };
                assert_eq!(rc.status().unwrap().as_str(), want, "{wid} {node}");
                assert!(
                    rc.comment().unwrap().contains(w.name().unwrap()),
                    "the command names its window: {:?}",
                    rc.comment()
                );
                // the node's patch state is this run or a later operation (the daily scan):
                // never older; and its Recent invocations include this run
                let end = inv.end_time().map(to_chrono);
                let last_op = st
                    .iter()
                    .find(|s| s.instance_id() == node)
                    .map(|s| to_chrono(s.operation_end_time()));
                if inv.status().unwrap().as_str() != "TIMED_OUT" && last_op.is_some() {
                    assert!(
                        last_op >= end,
                        "{node}: patch state older than its window run"
                    );
                    let mine: Vec<_> = c
                        .list_command_invocations()
                        .instance_id(node)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .unwrap();
                    assert!(mine.iter().any(|i| i.command_id() == Some(cmd)), "{node}");
                    checked += 1;
                }
            }
        }
        // every patch run in Run Command history is explained
        let cmds: Vec<_> = c
            .list_commands()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        for cmd in cmds
            .iter()
            .filter(|x| x.document_name() == Some("AWS-RunPatchBaseline"))
        {
            let comment = cmd.comment().unwrap_or("");
            let window = windows.iter().find(|w| {
                comment.starts_with(&format!("Maintenance window {} (", w.name().unwrap()))
            });
            assert!(
                window.is_some() || comment.contains("(ops)"),
                "unexplained patch run {:?} at {:?}",
                comment,
                cmd.requested_date_time()
            );
        }
    }
    assert!(checked > 10, "{checked} nodes checked");
    h.shutdown().await;
}

/// Associations run at the times their schedule gives, their target counts add up, and
/// one failed target makes the association Failed.
#[tokio::test]
async fn associations_follow_their_schedule_and_counts_add_up() {
    use chrono::Timelike;
    let h = sim(cfg()).await;
    let mut seen_failed = false;
    for nth in 0..6 {
        let acct = member(&h, nth);
        let c = ssm(&h, &acct, "us-east-1").await;
        let nodes = all_nodes(&c).await.len() as i32;
        let list: Vec<_> = c
            .list_associations()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        for a in &list {
            let o = a.overview().unwrap();
            let counts = o.association_status_aggregated_count().unwrap();
            let total: i32 = counts.values().sum();
            if a.association_name() == Some("Inventory-Association") {
                assert_eq!(total, nodes, "InstanceIds=* targets every node");
            }
            let failed = counts.get("Failed").copied().unwrap_or(0);
            assert_eq!(o.status() == Some("Failed"), failed > 0, "{a:?}");
            seen_failed |= failed > 0;
            let runs = c
                .describe_association_executions()
                .association_id(a.association_id().unwrap())
                .send()
                .await
                .unwrap();
            let runs = runs.association_executions();
            assert!(!runs.is_empty());
            assert_eq!(
                runs[0].created_time().map(to_chrono),
                a.last_execution_date().map(to_chrono),
                "the last run is the newest execution"
            );
            for r in runs {
                let t = to_chrono(r.created_time().unwrap());
                let rc = r.resource_count_by_status().unwrap();
                let sum: i32 = rc
                    .trim_matches(|ch| ch == '{' || ch == '}')
                    .split(", ")
                    .filter(|x| !x.is_empty())
                    .map(|x| x.split('=').nth(1).unwrap().parse::<i32>().unwrap())
                    .sum();
                assert_eq!(sum, total, "{rc}");
                match a.schedule_expression().unwrap() {
                    "cron(0 1 * * ? *)" => assert_eq!((t.hour(), t.minute()), (1, 0)),
                    "cron(0 2 ? * SUN *)" => {
                        assert_eq!(t.format("%a %H:%M").to_string(), "Sun 02:00")
                    }
                    _ => {}
                }
            }
            // rate(): one interval apart
            if a.schedule_expression() == Some("rate(14 days)") && runs.len() > 1 {
                let gap = to_chrono(runs[0].created_time().unwrap())
                    - to_chrono(runs[1].created_time().unwrap());
                assert_eq!(gap, chrono::Duration::days(14));
            }
        }
    }
    assert!(seen_failed, "some association has a failed target");
    h.shutdown().await;
}
