//! Actions end to end through the real AWS SDK: against moto (SendCommand +
//! GetCommandInvocation through the same client code the console uses) and against the
//! ssmdeck simulator (patch now across accounts and regions, splitting, read-only, cancel,
//! truncation).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ssmdeck::actions::audit::{AuditLog, Outcome};
use ssmdeck::actions::plan::PatchOptions;
use ssmdeck::actions::{
    ActionError, CancelRequest, Gate, NoRefresh, ReadOnlySource, SendRequest, TargetScope,
    WatchEvent, patch_now, plan_patch_now, send_plan, watch,
};
use ssmdeck::fleet::{Ssm, StaticCredentials};
use ssmdeck::model::{CommandOutputConfig, DocumentFilter};

mod common;
use ssmdeck::model::{
    Account, Compliance, FleetSnapshot, FleetUpdate, Node, NodeKey, PatchOperation, PingStatus,
    PlatformType, RebootOption,
};

/// moto_server on a free loopback port, killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Option<Moto> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("SKIPPED: moto_server not available ({e}); `.ci/run` installs it");
            return None;
        }
    };
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(moto);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("SKIPPED: moto_server did not start listening within 20 s");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_send_command_and_get_invocation_through_the_gate() {
    let Some(moto) = start_moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    gate.set_caller("arn:aws:iam::123456789012:user/tester");
    let clients = static_ssm(&moto.url, "AKIDMOTOTEST", "moto-secret-value");
    let req = SendRequest {
        account_id: "123456789012".into(),
        region: "eu-west-1".into(),
        document: "AWS-RunPatchBaseline".into(),
        parameters: BTreeMap::from([("Operation".to_string(), vec!["Scan".to_string()])]),
        instance_ids: vec!["i-0123456789abcdef0".into(), "i-0123456789abcdef1".into()],
        max_concurrency: Some("1".into()),
        max_errors: Some("1".into()),
        comment: Some("ssmdeck moto test".into()),
        ..SendRequest::default()
    };
    let cmd = gate
        .send_command(&clients, &req)
        .await
        .expect("SendCommand via moto");
    assert_eq!(cmd.command_id.len(), 36, "a UUID command id: {cmd:?}");
    assert_eq!(cmd.document_name, "AWS-RunPatchBaseline");
    let mut ids = cmd.instance_ids.clone();
    ids.sort();
    assert_eq!(ids, req.instance_ids);
    assert_eq!(cmd.max_concurrency, "1");
    assert_eq!(cmd.parameters["Operation"], vec!["Scan"]);

    // moto reports one step, aws:runShellScript, when no PluginName is given
    let out = watch::get_invocation(
        &clients,
        &cmd.command_id,
        "123456789012",
        "eu-west-1",
        "i-0123456789abcdef0",
        None,
        Duration::from_secs(10),
    )
    .await
    .expect("GetCommandInvocation via moto");
    assert_eq!(out.status, "Success");
    assert_eq!(out.response_code, 0);
    assert!(
        out.started_at.is_some() && out.finished_at.is_some(),
        "{out:?}"
    );
    assert!(out.truncation_note().is_none());

    // an unknown command id is a clear AWS error, not a hang
    let err = watch::get_invocation(
        &clients,
        "00000000-0000-0000-0000-000000000000",
        "123456789012",
        "eu-west-1",
        "i-0123456789abcdef0",
        None,
        Duration::from_secs(10),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ActionError::Aws { .. }), "{err}");

    // the audit log has the command id and no secret
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].outcome, Outcome::Sent);
    assert_eq!(recs[0].command_id.as_deref(), Some(cmd.command_id.as_str()));
    assert_eq!(recs[0].caller, "arn:aws:iam::123456789012:user/tester");
    let text = std::fs::read_to_string(gate.audit_path()).unwrap();
    assert!(!text.contains("moto-secret-value"));

    // read-only: the same request never reaches moto
    let ro = Gate::new(Some(ReadOnlySource::Config), dir.path().join("ro.jsonl"));
    let err = ro.send_command(&clients, &req).await.unwrap_err();
    assert!(err.is_read_only());
    assert!(err.to_string().contains("config file"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_documents_and_send_options_through_the_data_layer() {
    let Some(moto) = start_moto() else { return };
    let ssm = static_ssm(&moto.url, "AKIDMOTOTEST", "moto-secret-value");
    let (acct, region) = ("123456789012", "eu-west-1");
    // a document of our own, created with the stock AWS CLI (the wire as AWS speaks it)
    let content = r#"{"schemaVersion":"2.2","description":"ssmdeck test document",
        "parameters":{
          "Mode":{"type":"String","description":"what to do","default":"check","allowedValues":["check","fix"]},
          "Name":{"type":"String","default":"","allowedPattern":"^[a-z]*$"}},
        "mainSteps":[{"action":"aws:runShellScript","name":"run","inputs":{"runCommand":["echo {{ Mode }}"]}}]}"#;
    if common::aws_cli_available() {
        let dir = tempfile::tempdir().unwrap();
        let out = common::aws_cli(
            &moto.url,
            dir.path(),
            &[("AWS_DEFAULT_REGION", region.to_string())],
            &[
                "ssm",
                "create-document",
                "--name",
                "ssmdeck-Test",
                "--document-type",
                "Command",
                "--document-format",
                "JSON",
                "--content",
                content,
            ],
        );
        assert_eq!(out["DocumentDescription"]["Name"], "ssmdeck-Test");
    } else {
        println!("SKIPPED: the AWS CLI is not installed");
        return;
    }
    let docs = ssm
        .list_documents(
            acct,
            region,
            &DocumentFilter {
                owner: Some("Self".into()),
                ..DocumentFilter::commands()
            },
        )
        .await
        .expect("ListDocuments");
    let mine = docs
        .iter()
        .find(|d| d.name == "ssmdeck-Test")
        .unwrap_or_else(|| panic!("our document is listed: {docs:?}"));
    assert_eq!(mine.document_type, "Command");
    let doc = ssm
        .describe_document(acct, region, "ssmdeck-Test", None)
        .await
        .expect("DescribeDocument");
    assert_eq!(doc.content_error, None);
    let mode = doc.parameters.iter().find(|p| p.name == "Mode").unwrap();
    assert_eq!(mode.default_value.as_deref(), Some("check"));
    assert_eq!(mode.allowed_values, vec!["check", "fix"]);
    let name = doc.parameters.iter().find(|p| p.name == "Name").unwrap();
    assert_eq!(name.allowed_pattern.as_deref(), Some("^[a-z]*$"));
    // an unknown document is AWS's error, not an empty answer
    let err = ssm
        .describe_document(acct, region, "ssmdeck-NoSuchDocument", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("InvalidDocument"), "{err}");

    // every SendCommand option reaches the wire: S3 output, timeouts, comment
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let req = SendRequest {
        account_id: acct.into(),
        region: region.into(),
        document: "AWS-RunShellScript".into(),
        parameters: BTreeMap::from([("commands".to_string(), vec!["uptime".to_string()])]),
        instance_ids: vec!["i-0123456789abcdef0".into()],
        timeout_seconds: Some(600),
        execution_timeout_seconds: Some(120),
        comment: Some("options".into()),
        output: CommandOutputConfig {
            s3_bucket: Some("ssmdeck-out".into()),
            s3_key_prefix: Some("runs/".into()),
            ..CommandOutputConfig::default()
        },
        ..SendRequest::default()
    };
    let cmd = gate.send_command(&ssm, &req).await.expect("SendCommand");
    assert_eq!(cmd.parameters["executionTimeout"], vec!["120"]);
    assert_eq!(cmd.comment, "options");
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    assert_eq!(
        recs[0].parameters["OutputS3BucketName"],
        vec!["ssmdeck-out"]
    );
    assert_eq!(recs[0].parameters["TimeoutSeconds"], vec!["600"]);
    assert_eq!(recs[0].parameters["executionTimeout"], vec!["120"]);
    // moto implements no ListCommandInvocations (500 "not implemented"): the simulator's
    // tests cover listing
    assert!(matches!(
        ssm.list_invocations(acct, region, &cmd.command_id, None)
            .await,
        Err(ssmdeck::fleet::FleetError::Api { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Through the ssmdeck simulator.

use ssmdeck::sim::{SimConfig, SimHandle};

fn sim_config(accounts: usize, regions: &[&str], nodes: usize, time_scale: f64) -> SimConfig {
    SimConfig {
        seed: 11,
        accounts,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        nodes_per_account: nodes,
        certs_per_account: 1,
        time_scale,
        ..SimConfig::default()
    }
}

fn fast_watch() -> watch::WatchConfig {
    watch::WatchConfig {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(400),
        deadline: Duration::from_secs(25),
        ..watch::WatchConfig::default()
    }
}

/// The data layer's SSM API with one static key pair at `url` (moto, the simulator).
fn static_ssm(url: &str, key: &str, secret: &str) -> Ssm {
    Ssm::with_static_credentials(
        Some(url.to_string()),
        StaticCredentials {
            access_key_id: key.into(),
            secret_access_key: secret.into(),
            session_token: None,
        },
    )
}

/// The management account's credentials (any non-session key acts as it in the simulator).
fn mgmt_clients(sim: &SimHandle) -> Ssm {
    static_ssm(&sim.url, "AKIASSMDECKTEST0001", "sim-secret")
}

/// A raw SDK client of the management account, for test setup only (the code under test
/// goes through `Ssm`).
fn mgmt_sdk(sim: &SimHandle, region: &str) -> aws_sdk_ssm::Client {
    let conf = aws_sdk_ssm::config::Builder::new()
        .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
        .region(aws_sdk_ssm::config::Region::new(region.to_string()))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            "AKIASSMDECKTEST0001",
            "sim-secret",
            None,
            None,
            "test",
        ))
        .endpoint_url(&sim.url)
        .build();
    aws_sdk_ssm::Client::from_conf(conf)
}

/// An online Linux node of the management account in `region` (DescribeInstanceInformation).
async fn online_linux_node(sim: &SimHandle, region: &str) -> String {
    let out = mgmt_sdk(sim, region)
        .describe_instance_information()
        .max_results(50)
        .send()
        .await
        .expect("DescribeInstanceInformation");
    out.instance_information_list()
        .iter()
        .find(|i| {
            i.ping_status().map(|p| p.as_str()) == Some("Online")
                && i.platform_type().map(|p| p.as_str()) == Some("Linux")
        })
        .and_then(|i| i.instance_id())
        .expect("an online Linux node")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_long_output_carries_the_truncation_note() {
    let sim = ssmdeck::sim::start(sim_config(1, &["us-east-1"], 8, 1000.0))
        .await
        .unwrap();
    let clients = mgmt_clients(&sim);
    let instance = online_linux_node(&sim, "us-east-1").await;
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let req = SendRequest {
        account_id: sim.management_account_id(),
        region: "us-east-1".into(),
        document: "AWS-RunShellScript".into(),
        parameters: BTreeMap::from([("commands".to_string(), vec!["seq 1 20000".to_string()])]),
        instance_ids: vec![instance.clone()],
        ..SendRequest::default()
    };
    let cmd = gate
        .send_command(&clients, &req)
        .await
        .expect("SendCommand");
    let tracker = watch::watch(
        &clients,
        std::slice::from_ref(&cmd),
        &fast_watch(),
        None,
        &tokio_util::sync::CancellationToken::new(),
    )
    .await;
    assert!(tracker.is_done(), "{}", tracker.summary());
    let row = &tracker.rows()[0];
    assert_eq!(row.status, "Success", "{row:?}");
    // ListCommandInvocations' step output is cut at 2,500 characters
    assert!(
        row.plugins[0].truncated,
        "{:?}",
        row.plugins[0].stdout.len()
    );
    let out = watch::fetch_output(&clients, row, Duration::from_secs(10))
        .await
        .expect("GetCommandInvocation");
    let p = &out.plugins[0];
    assert_eq!(p.name, "aws:runShellScript");
    assert_eq!(p.stdout.chars().count(), 24_000);
    assert!(p.stdout.starts_with("1\n2\n3\n"));
    let note = p.truncation_note().expect("a truncation note");
    assert!(note.contains("24,000"), "{note}");
    assert!(out.lines().iter().any(|l| l.text == note));
    assert_eq!(sim.op_count("AmazonSSM.SendCommand"), 1);
}

/// Online management-account nodes in `region` as a minimal snapshot for planning.
async fn mgmt_snapshot(sim: &SimHandle, region: &str) -> FleetSnapshot {
    let acct = sim.management_account_id();
    let mut nodes = Vec::new();
    let mut token = None;
    loop {
        let out = mgmt_sdk(sim, region)
            .describe_instance_information()
            .max_results(50)
            .set_next_token(token)
            .send()
            .await
            .expect("DescribeInstanceInformation");
        for i in out.instance_information_list() {
            nodes.push(Node {
                instance_id: i.instance_id().unwrap_or_default().into(),
                account_id: acct.clone(),
                region: region.into(),
                name: i.computer_name().unwrap_or_default().into(),
                platform_type: match i.platform_type().map(|p| p.as_str()) {
                    Some("Linux") => PlatformType::Linux,
                    Some("Windows") => PlatformType::Windows,
                    Some("MacOS") => PlatformType::MacOS,
                    _ => PlatformType::Unknown,
                },
                ping_status: match i.ping_status().map(|p| p.as_str()) {
                    Some("Online") => PingStatus::Online,
                    Some("ConnectionLost") => PingStatus::ConnectionLost,
                    Some("Inactive") => PingStatus::Inactive,
                    _ => PingStatus::Unknown,
                },
                ..Node::default()
            });
        }
        token = out.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    FleetSnapshot {
        accounts: vec![Account {
            id: acct,
            name: "management".into(),
            ..Account::default()
        }],
        nodes,
        ..FleetSnapshot::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_readonly_blocks_every_mutating_path() {
    let sim = ssmdeck::sim::start(sim_config(1, &["us-east-1"], 8, 100.0))
        .await
        .unwrap();
    let clients = mgmt_clients(&sim);
    let snap = mgmt_snapshot(&sim, "us-east-1").await;
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(Some(ReadOnlySource::Flag), dir.path().join("audit.jsonl"));
    let plan = plan_patch_now(
        &snap,
        &TargetScope::marked(snap.nodes.iter().map(|n| n.key()).collect()),
        &PatchOptions {
            operation: PatchOperation::Install,
            ..PatchOptions::default()
        },
    )
    .unwrap();
    let report = send_plan(&gate, &clients, &plan).await;
    assert!(report.sent.is_empty());
    let blocked = report.blocked().expect("blocked by read-only");
    assert!(blocked.to_string().contains("--readonly"), "{blocked}");
    let err = gate
        .cancel_command(
            &clients,
            &CancelRequest {
                account_id: sim.management_account_id(),
                region: "us-east-1".into(),
                command_id: "11111111-2222-3333-4444-555555555555".into(),
                instance_ids: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(err.is_read_only());
    let node = snap.nodes.iter().find(|n| n.is_online()).unwrap();
    let env = clients
        .credentials_env(&node.account_id, &node.region)
        .await
        .unwrap();
    let session = ssmdeck::actions::session::plan_session(
        node,
        std::path::Path::new("aws"),
        env,
        Some(&sim.url),
    )
    .unwrap();
    assert!(gate.start_session(&session).unwrap_err().is_read_only());
    // nothing reached the simulator
    assert_eq!(sim.op_count("AmazonSSM.SendCommand"), 0);
    assert_eq!(sim.op_count("AmazonSSM.CancelCommand"), 0);
    assert_eq!(sim.op_count("AmazonSSM.StartSession"), 0);
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    assert_eq!(recs.len(), 3, "{recs:?}");
    assert!(recs.iter().all(|r| r.outcome == Outcome::Blocked));
    let ops: BTreeSet<&str> = recs.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(
        ops,
        BTreeSet::from(["SendCommand", "CancelCommand", "StartSession"])
    );
    let text = std::fs::read_to_string(gate.audit_path()).unwrap();
    assert!(
        !text.contains("sim-secret"),
        "no credentials in the audit log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_cancel_a_running_command() {
    // real time: an Install takes over a minute, so it is still running when cancelled
    let sim = ssmdeck::sim::start(sim_config(1, &["us-east-1"], 10, 1.0))
        .await
        .unwrap();
    let clients = mgmt_clients(&sim);
    let snap = mgmt_snapshot(&sim, "us-east-1").await;
    let targets: Vec<NodeKey> = snap
        .nodes
        .iter()
        .filter(|n| n.is_online() && n.platform_type != PlatformType::Unknown)
        .map(|n| n.key())
        .take(3)
        .collect();
    assert!(targets.len() >= 2);
    let plan = plan_patch_now(
        &snap,
        &TargetScope::marked(targets.clone()),
        &PatchOptions {
            operation: PatchOperation::Install,
            ..PatchOptions::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let report = send_plan(&gate, &clients, &plan).await;
    assert_eq!(report.sent.len(), 1, "{:?}", report.failed);
    let cmd = report.sent[0].clone();
    // running: the first target in progress, the others waiting (concurrency 1)
    let before = watch::list_invocations(&clients, &cmd, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(before.iter().all(|i| i.status != "Success"), "{before:?}");
    gate.cancel_command(
        &clients,
        &CancelRequest {
            account_id: cmd.account_id.clone(),
            region: cmd.region.clone(),
            command_id: cmd.command_id.clone(),
            instance_ids: vec![],
        },
    )
    .await
    .expect("CancelCommand");
    assert_eq!(sim.op_count("AmazonSSM.CancelCommand"), 1);
    let tracker = watch::watch(
        &clients,
        std::slice::from_ref(&cmd),
        &fast_watch(),
        None,
        &tokio_util::sync::CancellationToken::new(),
    )
    .await;
    assert!(tracker.is_done(), "{}", tracker.summary());
    assert!(
        tracker.rows().iter().all(|r| r.status == "Cancelled"),
        "{}",
        tracker.summary()
    );
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    assert!(recs.iter().any(|r| r.operation == "CancelCommand"
        && r.outcome == Outcome::Sent
        && r.command_id.as_deref() == Some(cmd.command_id.as_str())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_more_than_50_targets_in_one_account_region_are_split() {
    let sim = ssmdeck::sim::start(sim_config(1, &["us-east-1"], 140, 2000.0))
        .await
        .unwrap();
    let clients = mgmt_clients(&sim);
    let snap = mgmt_snapshot(&sim, "us-east-1").await;
    let plan = plan_patch_now(
        &snap,
        &TargetScope::Account(sim.management_account_id()),
        &PatchOptions::default(),
    )
    .unwrap();
    let n = plan.target_count();
    assert!(n > 100, "{n} targets");
    assert_eq!(plan.command_count(), n.div_ceil(50));
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let report = send_plan(&gate, &clients, &plan).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(
        sim.op_count("AmazonSSM.SendCommand") as usize,
        plan.command_count()
    );
    let mut ids = BTreeSet::new();
    for c in &report.sent {
        assert!(c.instance_ids.len() <= 50, "{}", c.instance_ids.len());
        for i in &c.instance_ids {
            assert!(ids.insert(i.clone()), "{i} sent twice");
        }
    }
    assert_eq!(ids.len(), n, "every target in exactly one command");
    let tracker = watch::watch(
        &clients,
        &report.sent,
        &fast_watch(),
        None,
        &tokio_util::sync::CancellationToken::new(),
    )
    .await;
    assert!(tracker.is_done(), "{}", tracker.summary());
    assert_eq!(tracker.progress(), (n, n));
    assert!(
        tracker
            .counts()
            .iter()
            .any(|(s, c)| s == "Success" && *c > n / 2),
        "{}",
        tracker.summary()
    );
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    assert_eq!(recs.len(), plan.command_count());
}

/// A simulator and the data layer connected to it (AssumeRole into every member account).
async fn connect(cfg: SimConfig) -> (SimHandle, ssmdeck::fleet::Fleet, FleetSnapshot) {
    let regions = cfg.regions.clone();
    let sim = ssmdeck::sim::start(cfg).await.expect("simulator");
    let mut scope = ssmdeck::app::demo::sim_scope(&sim.url, regions);
    scope.cache_file = None;
    let fleet = ssmdeck::fleet::Fleet::connect(scope)
        .await
        .expect("connect");
    let snap = fleet.collect_once(None).await;
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    (sim, fleet, snap)
}

fn patchable(n: &Node) -> bool {
    n.ping_status == PingStatus::Online
        && n.platform_type != PlatformType::Unknown
        && n.missing > 0
        && n.failed == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_patch_now_install_in_two_accounts_and_two_regions_then_refresh() {
    let (sim, fleet, snap) = connect(sim_config(3, &["us-east-1", "eu-west-1"], 60, 3000.0)).await;
    // two member accounts × two regions: two non-compliant online nodes each for
    // RebootIfNeeded, one more each for NoReboot
    let members: Vec<String> = snap
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .filter(|id| *id != sim.management_account_id())
        .collect();
    let mut reboot: Vec<NodeKey> = Vec::new();
    let mut no_reboot: Vec<NodeKey> = Vec::new();
    for acct in members.iter().take(2) {
        for region in ["us-east-1", "eu-west-1"] {
            let mut c = snap
                .nodes
                .iter()
                .filter(|n| &n.account_id == acct && n.region == region && patchable(n));
            reboot.extend(c.by_ref().take(2).map(|n| n.key()));
            no_reboot.extend(c.next().map(|n| n.key()));
        }
    }
    assert_eq!(reboot.len(), 8, "patchable nodes in 2 accounts × 2 regions");
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let (mut feed, handle) = fleet.start_live(Duration::from_secs(3600), false);
    let cancel = tokio_util::sync::CancellationToken::new();

    let plan = plan_patch_now(
        &snap,
        &TargetScope::marked(reboot.clone()),
        &PatchOptions {
            operation: PatchOperation::Install,
            reboot: RebootOption::RebootIfNeeded,
            max_errors: Some("100%".into()),
            comment: "ssmdeck test install".into(),
            ..PatchOptions::default()
        },
    )
    .unwrap();
    assert_eq!(plan.groups.len(), 4, "one group per account × region");
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let ssm = fleet.ssm();
    let (report, tracker) = patch_now(
        &gate,
        &ssm,
        &handle,
        &plan,
        &fast_watch(),
        Some(&tx),
        &cancel,
    )
    .await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.sent.len(), 4);
    assert_eq!(sim.op_count("AmazonSSM.SendCommand"), 4);
    // sending and polling went through the fleet's shared limiter (and its pacing)
    let by_api = fleet.take_calls_by_api();
    assert_eq!(by_api.get("SendCommand").map(|s| s.calls), Some(4));
    assert!(
        by_api
            .get("ListCommandInvocations")
            .is_some_and(|s| s.calls >= 4),
        "{:?}",
        by_api.keys()
    );
    let accounts: BTreeSet<&str> = report.sent.iter().map(|c| c.account_id.as_str()).collect();
    let regions: BTreeSet<&str> = report.sent.iter().map(|c| c.region.as_str()).collect();
    assert_eq!((accounts.len(), regions.len()), (2, 2));
    assert!(tracker.is_done(), "{}", tracker.summary());
    assert_eq!(tracker.progress(), (8, 8));
    let mut saw = (false, false, false);
    while let Ok(e) = events.try_recv() {
        match e {
            WatchEvent::Sent { commands, .. } => saw.0 = commands.len() == 4,
            WatchEvent::Invocations(_) => saw.1 = true,
            WatchEvent::Finished { refreshed, .. } => saw.2 = refreshed == 8,
            WatchEvent::PollError { message, .. } => panic!("poll error: {message}"),
            WatchEvent::NotInHistory { command_id } => panic!("{command_id} not in history"),
        }
    }
    assert_eq!(saw, (true, true, true), "Sent, Invocations, Finished");
    let ok_reboot: Vec<NodeKey> = tracker
        .rows()
        .iter()
        .filter(|r| r.status == "Success")
        .map(|r| r.key.clone())
        .collect();
    assert!(!ok_reboot.is_empty(), "{}", tracker.summary());

    let plan2 = plan_patch_now(
        &snap,
        &TargetScope::marked(no_reboot.clone()),
        &PatchOptions {
            operation: PatchOperation::Install,
            reboot: RebootOption::NoReboot,
            max_errors: Some("100%".into()),
            ..PatchOptions::default()
        },
    )
    .unwrap();
    let (_, tracker2) = patch_now(&gate, &ssm, &handle, &plan2, &fast_watch(), None, &cancel).await;
    assert!(tracker2.is_done(), "{}", tracker2.summary());
    let ok_no_reboot: Vec<NodeKey> = tracker2
        .rows()
        .iter()
        .filter(|r| r.status == "Success")
        .map(|r| r.key.clone())
        .collect();

    // the live feed publishes a snapshot in which the patched nodes show the effect
    let shows_effect = |s: &FleetSnapshot| {
        ok_reboot.iter().all(|k| {
            s.node(k)
                .is_some_and(|n| n.compliance == Compliance::Compliant && n.missing == 0)
        }) && ok_no_reboot.iter().all(|k| {
            s.node(k).is_some_and(|n| {
                n.missing == 0
                    && n.installed_pending_reboot > 0
                    && n.compliance == Compliance::NonCompliant
            })
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut last: Option<std::sync::Arc<FleetSnapshot>> = None;
    while !last.as_deref().is_some_and(shows_effect) {
        match tokio::time::timeout_at(deadline, feed.recv()).await {
            Ok(Some(FleetUpdate::Snapshot { snapshot, .. })) => last = Some(snapshot),
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    handle.stop();
    let last = last.expect("a snapshot from the live feed");
    assert!(
        shows_effect(&last),
        "not refreshed: {:?}",
        ok_reboot
            .iter()
            .chain(&ok_no_reboot)
            .filter_map(|k| last.node(k))
            .map(|n| (
                &n.instance_id,
                n.compliance,
                n.missing,
                n.installed_pending_reboot
            ))
            .collect::<Vec<_>>()
    );
    // the audit log: every command with its id, parameters and the caller
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    let sent: Vec<_> = recs.iter().filter(|r| r.outcome == Outcome::Sent).collect();
    assert_eq!(sent.len(), 4 + plan2.command_count());
    assert!(
        sent.iter()
            .all(|r| r.command_id.as_deref().is_some_and(|c| c.len() == 36))
    );
    assert!(
        sent.iter()
            .all(|r| r.parameters["Operation"] == vec!["Install"])
    );
    assert!(
        sent.iter().all(|r| r.caller.starts_with("arn:aws:")),
        "{:?}",
        sent[0].caller
    );
}

/// A full refresh that read a node before its patch run ended (here: it cannot read the
/// node's patch state at all and keeps the last one it started from) finishes after the
/// run's targeted node refresh: it must not publish the older state over the newer one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_a_full_refresh_older_than_a_patch_runs_node_refresh_does_not_undo_it() {
    let (sim, fleet, snap) = connect(sim_config(2, &["us-east-1"], 20, 3000.0)).await;
    // a few patchable nodes of one member account: the simulator fails some runs
    let member = snap
        .nodes
        .iter()
        .find(|n| n.account_id != sim.management_account_id() && patchable(n))
        .expect("a patchable node")
        .account_id
        .clone();
    let marked: Vec<NodeKey> = snap
        .nodes
        .iter()
        .filter(|n| n.account_id == member && patchable(n))
        .take(4)
        .map(|n| n.key())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let plan = plan_patch_now(
        &snap,
        &TargetScope::marked(marked),
        &PatchOptions {
            operation: PatchOperation::Install,
            reboot: RebootOption::RebootIfNeeded,
            max_errors: Some("100%".into()),
            ..PatchOptions::default()
        },
    )
    .unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    // the run, without refreshing anything yet: the fleet still shows the nodes unpatched
    let (_, tracker) = patch_now(
        &gate,
        &fleet.ssm(),
        &NoRefresh,
        &plan,
        &fast_watch(),
        None,
        &cancel,
    )
    .await;
    assert!(tracker.is_done(), "{}", tracker.summary());
    let key = tracker
        .rows()
        .iter()
        .find(|r| r.status == "Success")
        .map(|r| r.key.clone())
        .unwrap_or_else(|| panic!("one run succeeded: {}", tracker.summary()));
    let node = snap.node(&key).unwrap().clone();
    // a full refresh starts from that picture; at 400 ms a call, its first patch-state
    // read is at least 4 calls away (caller, organization, instances, patch states)
    sim.set_latency_ms(400);
    let full = tokio::spawn({
        let fleet = fleet.clone();
        async move { fleet.collect_once(None).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // the run's node refresh reads the node at once (one call) ...
    let (targeted, _) = fleet
        .refresh_nodes(&[node.key()])
        .await
        .expect("node refresh")
        .expect("a snapshot");
    let patched = targeted.node(&node.key()).unwrap().clone();
    assert_eq!(patched.missing, 0, "the run's effect");
    assert!(patched.last_operation_end > node.last_operation_end);
    // ... and the full refresh can no longer read it: it keeps the state it started from
    sim.deny_ops(&node.account_id, &["DescribeInstancePatchStates"]);
    let full = full.await.unwrap();
    assert!(
        full.errors
            .iter()
            .any(|e| e.operation == "DescribeInstancePatchStates"),
        "the full refresh's patch-state read was refused: {:?}",
        full.errors
    );
    let shown = full.node(&node.key()).unwrap();
    assert_eq!(
        (shown.missing, shown.compliance, shown.last_operation_end),
        (
            patched.missing,
            patched.compliance,
            patched.last_operation_end
        ),
        "the newer state stays"
    );
    assert_eq!(
        fleet
            .last_snapshot()
            .unwrap()
            .node(&node.key())
            .unwrap()
            .missing,
        0
    );
}

// ---------------------------------------------------------------------------------------
// End to end: the real `ssmdeck --demo` binary in a pseudo-terminal (portable-pty + vt100).

mod pty {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use portable_pty::{CommandBuilder, PtySize, native_pty_system};

    pub struct Term {
        parser: Arc<Mutex<vt100::Parser>>,
        writer: Box<dyn Write + Send>,
        child: Box<dyn portable_pty::Child + Send + Sync>,
        pub dirs: tempfile::TempDir,
    }

    impl Term {
        pub fn start(cols: u16, rows: u16, args: &[&str]) -> Term {
            let dirs = tempfile::tempdir().unwrap();
            let pair = native_pty_system()
                .openpty(PtySize {
                    rows,
                    cols,
                    pixel_width: 0,
                    pixel_height: 0,
                })
                .expect("openpty");
            let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_ssmdeck"));
            cmd.args(args);
            for (k, sub) in [
                ("SSMDECK_CONFIG_DIR", "config"),
                ("SSMDECK_DATA_DIR", "data"),
                ("SSMDECK_CACHE_DIR", "cache"),
            ] {
                cmd.env(k, dirs.path().join(sub));
            }
            cmd.env("TERM", "xterm-256color");
            cmd.env_remove("NO_COLOR");
            let child = pair.slave.spawn_command(cmd).expect("spawn ssmdeck");
            drop(pair.slave);
            let mut reader = pair.master.try_clone_reader().unwrap();
            let writer = pair.master.take_writer().unwrap();
            let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
            let p2 = parser.clone();
            std::thread::spawn(move || {
                let _master = pair.master; // keep the pty open while reading
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => p2.lock().unwrap().process(&buf[..n]),
                    }
                }
            });
            Term {
                parser,
                writer,
                child,
                dirs,
            }
        }

        pub fn screen(&self) -> String {
            self.parser.lock().unwrap().screen().contents()
        }

        pub fn send(&mut self, s: &str) {
            self.writer.write_all(s.as_bytes()).unwrap();
            self.writer.flush().unwrap();
            std::thread::sleep(Duration::from_millis(200));
        }

        /// Wait until `f(screen)` holds; panics with the screen after `secs`.
        pub fn wait(&self, what: &str, secs: u64, f: impl Fn(&str) -> bool) -> String {
            let deadline = Instant::now() + Duration::from_secs(secs);
            let started = Instant::now();
            loop {
                let s = self.screen();
                if f(&s) {
                    println!("{what}: {:.1} s", started.elapsed().as_secs_f64());
                    return s;
                }
                if Instant::now() > deadline {
                    panic!("timed out waiting for {what}; screen:\n{s}");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        pub fn wait_exit(&mut self, secs: u64) -> bool {
            let deadline = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            false
        }
    }

    impl Drop for Term {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn pty_mark_nodes_run_a_scan_and_watch_it_succeed() {
    let mut t = pty::Term::start(140, 40, &["--demo", "--no-cache"]);
    // the demo fleet arrives
    t.wait("the nodes view with data", 25, |s| {
        s.contains("Online") && s.contains("i-")
    });
    // online nodes only, mark two
    t.send("/");
    t.send("ping:online");
    t.send("\r");
    t.send(" ");
    t.send(" ");
    t.send("p");
    let s = t.wait("the patch-now pane", 10, |s| {
        s.contains("Press Enter to scan 2 nodes")
    });
    assert!(s.contains("2 targets"), "{s}");
    assert!(s.contains("[Scan]"), "{s}");
    t.send("\r");
    // the command pane: live status until both targets report Success
    let s = t.wait("both targets to reach Success", 30, |s| {
        s.contains("2/2 done") && s.contains("2 Success")
    });
    assert!(s.contains("finished"), "{s}");
    assert!(s.contains("Success"), "{s}");
    // the output of the first target
    t.send("\r");
    let s = t.wait("the output viewer", 15, |s| {
        s.contains("PatchLinux") || s.contains("PatchWindows")
    });
    assert!(s.contains("exit 0"), "{s}");
    t.send("\x1b"); // back to the targets
    t.send("\x1b"); // close the pane
    t.wait("the pane to close", 10, |s| !s.contains("Patch now ·"));
    // Session Manager on an offline node: explained, not tried
    t.send("\x18"); // ctrl-x: clear marks
    t.send("\x1b"); // clear the filter
    t.wait("the filter to clear", 10, |s| !s.contains("ping:online"));
    t.send("/");
    t.send("ping:lost");
    t.send("\r");
    t.wait("offline nodes", 10, |s| s.contains("ConnectionLost"));
    t.send("s");
    t.wait("the offline explanation", 10, |s| s.contains("is offline"));
    t.send("\x1b");
    t.send("q");
    assert!(t.wait_exit(10), "ssmdeck quits");
    // the demo's own audit log recorded the command(s); the real one was not touched
    let audit = t.dirs.path().join("data").join("audit-demo.jsonl");
    let text = std::fs::read_to_string(&audit).expect("demo audit log written");
    assert!(
        !t.dirs.path().join("data").join("audit.jsonl").exists(),
        "demo actions stay out of the real audit log"
    );
    assert!(text.contains("\"operation\":\"SendCommand\""), "{text}");
    assert!(text.contains("\"outcome\":\"sent\""), "{text}");
    assert!(text.contains("\"Operation\":[\"Scan\"]"), "{text}");
    assert!(
        text.contains("\"caller\":\"arn:aws:"),
        "the caller identity: {text}"
    );
    assert!(
        !text.contains("ssmdeck-demo-secret"),
        "no credentials in the audit log"
    );
}

/// Closing the command pane stops its poller: the console's own path (the pane's `opened`
/// hook asks for a `Watch` job, the job runner polls ListCommandInvocations through the
/// real SDK against the simulator, Esc closes the pane and `update` asks the runner to
/// stop the pane's jobs), counted at the simulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_command_pane_stops_its_polling() {
    use ssmdeck::ui::action::Msg;
    use ssmdeck::ui::effect::{Effect, Job, JobKind};
    use ssmdeck::ui::jobs::{Jobs, Services};
    use ssmdeck::ui::state::{Meta, State};
    use ssmdeck::ui::update::{push_pane, update};
    use ssmdeck::ui::views::command_output::CommandOutputPane;

    const LIST: &str = "AmazonSSM.ListCommandInvocations";
    // real time: an Install takes over a minute, so the watch keeps polling until stopped;
    // the console's data layer, connected to the simulator
    let (sim, fleet, snap) = connect(sim_config(1, &["us-east-1"], 10, 1.0)).await;
    let targets: Vec<NodeKey> = snap
        .nodes
        .iter()
        .filter(|n| n.is_online() && n.platform_type != PlatformType::Unknown)
        .map(|n| n.key())
        .take(2)
        .collect();
    let plan = plan_patch_now(
        &snap,
        &TargetScope::marked(targets),
        &PatchOptions {
            operation: PatchOperation::Install,
            ..PatchOptions::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let report = send_plan(&gate, &fleet.ssm(), &plan).await;
    let cmd = report.sent[0].clone();

    let keymap =
        ssmdeck::ui::keymap::Keymap::load("default", std::path::Path::new("/nonexistent")).unwrap();
    let mut state = State::new(Meta::default(), chrono::Utc::now());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut jobs = Jobs::new(
        Services {
            gate,
            fleet: std::sync::Arc::new(std::sync::OnceLock::from(fleet)),
            ssm: None,
            refresher: None,
        },
        tx,
    );
    jobs.watch = fast_watch();
    let run = |jobs: &mut Jobs, fx: Vec<Effect>| {
        for e in fx {
            match e {
                Effect::Start(o, j) => jobs.start(o, j),
                Effect::Stop(id) => jobs.stop(id),
                Effect::StopAll(o) => jobs.stop_all(o),
                other => panic!("unexpected effect {other:?}"),
            }
        }
    };
    // open the pane: it asks for exactly one job, a watch of the command, owned by it
    let mut fx = Vec::new();
    push_pane(
        &mut state,
        Box::new(CommandOutputPane::for_command(cmd.clone(), false)),
        &mut fx,
    );
    let owner = state.panes[0].owner;
    assert_eq!(
        fx,
        [Effect::Start(owner, Job::Watch(Box::new(cmd.clone())))]
    );
    let before = sim.op_count(LIST);
    run(&mut jobs, fx);
    assert_eq!(jobs.running(owner), [JobKind::Watch]);
    // while the pane is open it polls, and its answers reach it
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while sim.op_count(LIST) < before + 3 {
        assert!(tokio::time::Instant::now() < deadline, "no polling");
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            let fx = update(&mut state, m, &keymap);
            run(&mut jobs, fx);
        }
    }
    assert_eq!(state.panes.len(), 1, "still open");
    // Esc closes it: `update` asks to stop the pane's jobs
    let esc = crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Esc,
        crossterm::event::KeyModifiers::NONE,
    );
    let fx = update(&mut state, Msg::Key(esc), &keymap);
    assert!(state.panes.is_empty());
    assert_eq!(fx, [Effect::StopAll(owner)]);
    run(&mut jobs, fx);
    assert!(jobs.running(owner).is_empty());
    // answers sent before the close may still be queued (update drops them: no owner)
    while let Ok(m) = rx.try_recv() {
        assert!(update(&mut state, m, &keymap).is_empty());
    }
    // a call already on the wire may land; after that, nothing more (the poll pace is
    // 100–400 ms, so 2 s would show several polls)
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after_close = sim.op_count(LIST);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        sim.op_count(LIST),
        after_close,
        "ListCommandInvocations went on after the pane closed"
    );
    // and nothing was sent after the close
    if let Ok(m) = rx.try_recv() {
        panic!("a message after close: {m:?}");
    }
}

/// Patch now targeting a tag (`exact_tag`: the targets are exactly one tag's nodes in their
/// account × region) goes on the wire as one SendCommand with `Targets=[{Key=tag:K,
/// Values=[V]}]` and no instance ids; the simulator resolves it as AWS does, and the
/// command reaches exactly the nodes carrying that tag (the tags the fleet read), no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_patch_now_by_tag_reaches_exactly_the_tagged_nodes() {
    let (sim, fleet, mut snap) = connect(sim_config(1, &["us-east-1"], 80, 3000.0)).await;
    let pass = fleet.refresh_tags(Some(&snap)).await;
    assert!(pass.tags.errors.is_empty(), "{:?}", pass.tags.errors);
    std::sync::Arc::make_mut(&mut snap.schedules).tags = pass.tags.clone();
    let tags = &snap.schedules.tags;
    // a tag whose nodes are all patchable: patch now targets the tag
    let pairs: BTreeSet<(String, String)> = snap
        .nodes
        .iter()
        .filter_map(|n| tags.of(&n.key()))
        .flatten()
        .filter(|t| t.key != "Name")
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    let found = pairs.iter().find_map(|(k, v)| {
        let tagged: Vec<NodeKey> = snap
            .nodes
            .iter()
            .filter(|n| {
                tags.of(&n.key())
                    .is_some_and(|t| t.iter().any(|t| &t.key == k && &t.value == v))
            })
            .map(|n| n.key())
            .collect();
        let plan = plan_patch_now(
            &snap,
            &TargetScope::marked(tagged.clone()),
            &PatchOptions::default(),
        )
        .ok()?;
        (plan.tag_target == Some((k.clone(), v.clone()))).then_some((k, v, tagged, plan))
    });
    let (key, value, tagged, plan) = found.expect("a tag whose nodes are all patchable");
    assert!(
        tagged.len() >= 2 && tagged.len() < snap.nodes.len(),
        "{}",
        tagged.len()
    );
    assert_eq!(plan.command_count(), 1);

    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let clients = fleet.ssm();
    let report = send_plan(&gate, &clients, &plan).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.sent.len(), 1);
    assert_eq!(sim.op_count("AmazonSSM.SendCommand"), 1);

    // on the wire: the command targets the tag, not instance ids
    let listed = mgmt_sdk(&sim, "us-east-1")
        .list_commands()
        .command_id(&report.sent[0].command_id)
        .send()
        .await
        .expect("ListCommands");
    let cmd = &listed.commands()[0];
    assert!(cmd.instance_ids().is_empty(), "{:?}", cmd.instance_ids());
    let targets: Vec<(String, Vec<String>)> = cmd
        .targets()
        .iter()
        .map(|t| (t.key().unwrap_or_default().to_string(), t.values().to_vec()))
        .collect();
    assert_eq!(targets, vec![(format!("tag:{key}"), vec![value.clone()])]);

    // it reaches exactly the tagged nodes
    let tracker = watch::watch(
        &clients,
        &report.sent,
        &fast_watch(),
        None,
        &tokio_util::sync::CancellationToken::new(),
    )
    .await;
    assert!(tracker.is_done(), "{}", tracker.summary());
    let reached: BTreeSet<NodeKey> = tracker.rows().iter().map(|r| r.key.clone()).collect();
    let expected: BTreeSet<NodeKey> = tagged.into_iter().collect();
    assert_eq!(reached, expected, "exactly the nodes tagged {key}={value}");
    assert_eq!(cmd.target_count(), expected.len() as i32);
}

/// A command Run Command does not know (a window run older than its 30 days of history)
/// ends as "not in Run Command history" after a few empty listings, never Pending for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_watching_a_command_run_command_no_longer_knows_says_so() {
    let sim = ssmdeck::sim::start(sim_config(1, &["us-east-1"], 8, 1.0))
        .await
        .unwrap();
    let clients = mgmt_clients(&sim);
    let instance = online_linux_node(&sim, "us-east-1").await;
    let cmd = ssmdeck::model::CommandSummary {
        command_id: "d6a757b0-0000-4000-8000-000000000000".into(),
        account_id: sim.management_account_id(),
        region: "us-east-1".into(),
        document_name: "AWS-RunPatchBaseline".into(),
        requested_at: Some(chrono::Utc::now() - chrono::Duration::days(40)),
        instance_ids: vec![instance.clone()],
        ..Default::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let tracker = watch::watch(
        &clients,
        std::slice::from_ref(&cmd),
        &fast_watch(),
        Some(&tx),
        &tokio_util::sync::CancellationToken::new(),
    )
    .await;
    assert!(tracker.is_done(), "{}", tracker.summary());
    assert_eq!(tracker.rows()[0].status, watch::NOT_IN_HISTORY);
    let mut said = false;
    while let Ok(e) = rx.try_recv() {
        said |= matches!(e, watch::WatchEvent::NotInHistory { ref command_id } if *command_id == cmd.command_id);
    }
    assert!(said, "the watcher tells the pane");
    assert!(
        watch::not_in_history_message(&cmd.command_id)
            .contains("not in Run Command history (kept 30 days)")
    );
}
