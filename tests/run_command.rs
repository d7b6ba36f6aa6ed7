//! Run Command for any document, end to end through the real SDK against the simulator: a
//! shell command planned on nodes of two member accounts (Linux → AWS-RunShellScript,
//! Windows → AWS-RunPowerShellScript), sent through the one gate, watched, its outputs read
//! and grouped into variants; the audit log holds the command text as sent; read-only
//! mode refuses it before anything is sent.

use std::time::Duration;

use ssmdeck::actions::audit::{AuditLog, Outcome};
use ssmdeck::actions::run_plan::{
    POWERSHELL_DOCUMENT, RunOptions, RunWhat, SHELL_DOCUMENT, plan_run, send_run,
};
use ssmdeck::actions::variants::{Subject, Variants};
use ssmdeck::actions::{Gate, ReadOnlySource, TargetScope, watch};
use ssmdeck::model::{FleetSnapshot, NodeKey, PingStatus, PlatformType};
use ssmdeck::sim::SimConfig;

async fn connect() -> (
    ssmdeck::sim::SimHandle,
    ssmdeck::fleet::Fleet,
    FleetSnapshot,
) {
    let cfg = SimConfig {
        seed: 17,
        accounts: 3,
        regions: vec!["us-east-1".into()],
        nodes_per_account: 40,
        certs_per_account: 1,
        time_scale: 3000.0,
        ..SimConfig::default()
    };
    let sim = ssmdeck::sim::start(cfg).await.expect("simulator");
    let mut scope = ssmdeck::app::demo::sim_scope(&sim.url, vec!["us-east-1".into()]);
    scope.cache_file = None;
    let fleet = ssmdeck::fleet::Fleet::connect(scope)
        .await
        .expect("connect");
    let snap = fleet.collect_once(None).await;
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    (sim, fleet, snap)
}

/// Online nodes of two member accounts, Linux and Windows.
fn targets(sim: &ssmdeck::sim::SimHandle, snap: &FleetSnapshot) -> Vec<NodeKey> {
    let members: Vec<&str> = snap
        .accounts
        .iter()
        .map(|a| a.id.as_str())
        .filter(|id| *id != sim.management_account_id())
        .take(2)
        .collect();
    assert_eq!(members.len(), 2);
    let mut keys = Vec::new();
    for acct in members {
        let online = snap
            .nodes
            .iter()
            .filter(|n| n.account_id == acct && n.ping_status == PingStatus::Online);
        keys.extend(
            online
                .clone()
                .filter(|n| n.platform_type == PlatformType::Linux)
                .take(6)
                .map(|n| n.key()),
        );
        keys.extend(
            online
                .filter(|n| n.platform_type == PlatformType::Windows)
                .take(1)
                .map(|n| n.key()),
        );
    }
    keys
}

fn fast_watch() -> watch::WatchConfig {
    watch::WatchConfig {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(400),
        deadline: Duration::from_secs(25),
        ..watch::WatchConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_command_in_two_accounts_is_split_sent_audited_and_grouped() {
    let (sim, fleet, snap) = connect().await;
    let keys = targets(&sim, &snap);
    let windows = keys
        .iter()
        .filter(|k| {
            snap.nodes
                .iter()
                .any(|n| &n.key() == *k && n.platform_type == PlatformType::Windows)
        })
        .count();
    assert!(windows > 0 && keys.len() > windows + 6);
    let command = "hostname\necho checked";
    let plan = plan_run(
        &snap,
        &TargetScope::marked(keys.clone()),
        &RunWhat::Shell(command.into()),
        &RunOptions {
            comment: "war room: who answers".into(),
            ..RunOptions::default()
        },
    )
    .unwrap();
    let docs: Vec<&str> = plan.by_document.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(docs, vec![POWERSHELL_DOCUMENT, SHELL_DOCUMENT]);
    assert_eq!(plan.targets.len(), keys.len());

    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let ssm = fleet.ssm();
    let report = send_run(&gate, &ssm, &plan).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.sent.len(), plan.command_count());
    let accounts: std::collections::BTreeSet<&str> =
        report.sent.iter().map(|c| c.account_id.as_str()).collect();
    assert_eq!(accounts.len(), 2, "commands in two accounts");

    // the audit log: document, the command text as sent, targets and the command id
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    assert_eq!(recs.len(), plan.command_count());
    for r in &recs {
        assert_eq!(r.outcome, Outcome::Sent);
        assert_eq!(r.parameters["commands"], vec!["hostname", "echo checked"]);
        assert!(r.command_id.is_some());
        assert!(!r.targets.is_empty());
        assert!(matches!(
            r.document.as_deref(),
            Some(SHELL_DOCUMENT | POWERSHELL_DOCUMENT)
        ));
    }

    let cancel = tokio_util::sync::CancellationToken::new();
    let tracker = watch::watch(&ssm, &report.sent, &fast_watch(), None, &cancel).await;
    assert!(tracker.is_done(), "{}", tracker.summary());
    let mut texts = Vec::new();
    let mut hosts = Vec::new();
    for row in tracker.rows() {
        assert_eq!(row.status, "Success", "{row:?}");
        let out = watch::fetch_output(&ssm, row, Duration::from_secs(20))
            .await
            .unwrap();
        let text = out.plugins[0].stdout.clone();
        assert!(text.contains("checked"), "{text:?}");
        let host = snap
            .nodes
            .iter()
            .find(|n| n.key() == row.key)
            .map(|n| n.computer_name.clone())
            .unwrap_or_default();
        texts.push(text);
        hosts.push(host);
    }
    let owns: Vec<[&str; 1]> = hosts.iter().map(|h| [h.as_str()]).collect();
    let subjects: Vec<Subject> = texts
        .iter()
        .zip(&owns)
        .map(|(t, o)| Subject::new(t, o))
        .collect();
    let v = Variants::group(&subjects);
    // host names normalised: Linux all alike, Windows (CRLF) the other variant
    assert_eq!(v.variants.len(), 2, "{:?}", v.variants);
    assert_eq!(v.variants[0].members.len(), keys.len() - windows);
    assert_eq!(
        v.summary(),
        format!("{} identical · 1 variant", keys.len() - windows)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_a_command_and_records_its_text() {
    let (sim, fleet, snap) = connect().await;
    let keys = targets(&sim, &snap);
    let plan = plan_run(
        &snap,
        &TargetScope::marked(keys),
        &RunWhat::Shell("systemctl restart nginx".into()),
        &RunOptions::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(Some(ReadOnlySource::Flag), dir.path().join("audit.jsonl"));
    let before = sim
        .op_counts()
        .iter()
        .filter(|(k, _)| k.ends_with("SendCommand"))
        .map(|(_, v)| *v)
        .sum::<u64>();
    let report = send_run(&gate, &fleet.ssm(), &plan).await;
    assert!(report.sent.is_empty());
    assert!(report.failed[0].error.is_read_only());
    assert_eq!(report.failed.len(), 1, "the first refusal stops the rest");
    let after = sim
        .op_counts()
        .iter()
        .filter(|(k, _)| k.ends_with("SendCommand"))
        .map(|(_, v)| *v)
        .sum::<u64>();
    assert_eq!(before, after, "nothing reached AWS");
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    assert_eq!(recs[0].outcome, Outcome::Blocked);
    assert_eq!(
        recs[0].parameters["commands"],
        vec!["systemctl restart nginx"]
    );
}

/// The console's result pane over a real run: `df -h` on Linux nodes of two accounts, sent
/// through the gate and watched through the SDK; the pane's model (what the grid and the
/// variants list draw) groups the outputs and re-runs on a variant's nodes. (`df -h` of
/// every mount differs on every simulated node — each root file system has its own use% —
/// so the run asks for `/dev` and `/dev/shm`, which differ only by instance memory.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn df_h_in_two_accounts_is_grouped_into_variants_in_the_result_pane() {
    use ssmdeck::actions::panes::PaneInput;
    use ssmdeck::actions::panes::command::{CommandOutcome, CommandPane};
    use ssmdeck::actions::run_plan::run_and_watch;
    use ssmdeck::actions::watch::WatchEvent;

    let (sim, fleet, snap) = connect().await;
    let keys: Vec<NodeKey> = targets(&sim, &snap)
        .into_iter()
        .filter(|k| {
            snap.nodes
                .iter()
                .any(|n| &n.key() == k && n.platform_type == PlatformType::Linux)
        })
        .collect();
    let plan = plan_run(
        &snap,
        &TargetScope::marked(keys.clone()),
        &RunWhat::Shell("df -h /dev /dev/shm".into()),
        &RunOptions::default(),
    )
    .unwrap();
    assert_eq!(
        plan.by_document,
        vec![(SHELL_DOCUMENT.to_string(), keys.len())]
    );
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = tokio_util::sync::CancellationToken::new();
    let (report, _) = run_and_watch(
        &gate,
        &fleet.ssm(),
        &plan,
        &fast_watch(),
        Some(&tx),
        &cancel,
    )
    .await;
    drop(tx);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let accounts: std::collections::BTreeSet<&str> =
        report.sent.iter().map(|c| c.account_id.as_str()).collect();
    assert_eq!(accounts.len(), 2, "two accounts");

    let mut pane = CommandPane::new("df -h", &[], false);
    while let Some(e) = rx.recv().await {
        match e {
            WatchEvent::Sent { commands, failures } => pane.add_commands(&commands, failures),
            WatchEvent::Invocations(invs) => pane.apply(&invs),
            WatchEvent::Finished { summary, refreshed } => pane.finish(summary, refreshed),
            WatchEvent::PollError { .. } | WatchEvent::NotInHistory { .. } => {}
        }
    }
    assert_eq!(pane.tracker.rows().len(), keys.len());
    assert!(pane.tracker.rows().iter().all(|r| r.is_terminal()));
    let v = pane.variants.clone();
    assert_eq!(v.total, keys.len(), "every output grouped");
    let summary = v.summary();
    eprintln!("df -h on {} nodes: {summary}", keys.len());
    assert!(
        v.variants.len() < keys.len() && v.variants[0].members.len() > 1,
        "identical-in-substance outputs group: {summary}"
    );
    let members: usize = v.variants.iter().map(|x| x.members.len()).sum();
    assert_eq!(members, keys.len(), "every node in exactly one variant");
    // the variants list: re-run on the selected variant's nodes
    pane.input(PaneInput::Variants);
    match pane.input(PaneInput::Rerun) {
        CommandOutcome::Rerun { keys: again, label } => {
            assert_eq!(again.len(), v.variants[0].members.len());
            assert!(label.contains("variant #1"), "{label}");
        }
        o => panic!("{o:?}"),
    }
    // the audit log holds the command text as sent
    let records = AuditLog::read(&dir.path().join("audit.jsonl")).unwrap();
    assert!(
        records.iter().any(|r| format!("{r:?}").contains("df -h")),
        "{records:?}"
    );
}
