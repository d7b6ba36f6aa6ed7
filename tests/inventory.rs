//! Software inventory and the patch index, end to end: GetInventory / GetInventorySchema
//! through the stock AWS CLI (moto implements neither), the org-wide software picture and
//! the patch index through the real SDK against the simulator.

mod common;

use common::spawn_sim;

fn cli_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config"), "").unwrap();
    std::fs::write(dir.path().join("credentials"), "").unwrap();
    dir
}

#[test]
fn stock_aws_cli_aggregates_inventory_and_pages_entities() {
    if !common::aws_cli_available() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed");
        return;
    }
    let sim = spawn_sim(&["--port", "0", "--seed", "11"]);
    let dir = cli_dir();
    let d = dir.path();
    // entities: one per node, paged by the CLI to the end (MaxResults 1..50)
    let all = common::aws_cli(&sim.url, d, &[], &["ssm", "get-inventory"]);
    let entities = all["Entities"].as_array().unwrap();
    assert!(entities.len() > 10, "{}", entities.len());
    let first = &entities[0]["Data"]["AWS:InstanceInformation"];
    assert_eq!(first["TypeName"], "AWS:InstanceInformation");
    let capture = first["CaptureTime"].as_str().unwrap();
    assert!(
        capture.len() == 20 && capture.ends_with('Z'),
        "no fractions: {capture}"
    );
    // nested aggregation: Name -> Version, counts as strings, from one entry per row
    let agg = common::aws_cli(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--aggregators",
            r#"[{"Expression":"AWS:Application.Name","Aggregators":[{"Expression":"AWS:Application.Version"}]}]"#,
        ],
    );
    let rows = agg["Entities"][0]["Data"]["AWS:Application"]["Content"]
        .as_array()
        .unwrap();
    assert!(rows.len() > 50);
    assert!(
        rows.iter()
            .all(|r| r["Count"].as_str().unwrap().parse::<u32>().unwrap() > 0
                && r["Name"].is_string()
                && r["Version"].is_string())
    );
    // the agent the inventory lists is the agent the node reports
    let agent_rows: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["Name"] == "Amazon SSM Agent" || r["Name"] == "amazon-ssm-agent")
        .collect();
    assert!(!agent_rows.is_empty());
    // groups: matching + not matching = every node
    let groups = common::aws_cli(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--aggregators",
            "Groups=[{Name=Apps,Filters=[{Key=TypeName,Values=[AWS:Application],Type=Exists}]}]",
        ],
    );
    let content = groups["Entities"][0]["Data"]["Apps"]["Content"]
        .as_array()
        .unwrap();
    let count = |k: &str| -> usize {
        content
            .iter()
            .find_map(|c| c[k].as_str())
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        count("matchingCount") + count("notMatchingCount"),
        entities.len()
    );
    // a filter narrows the entities to the nodes running that application
    let some_app = rows[0]["Name"].as_str().unwrap();
    let filtered = common::aws_cli(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--filters",
            &format!("Key=AWS:Application.Name,Values={some_app},Type=Equal"),
        ],
    );
    let n_with: u32 = rows
        .iter()
        .filter(|r| r["Name"] == some_app)
        .map(|r| r["Count"].as_str().unwrap().parse::<u32>().unwrap())
        .sum();
    let got = filtered["Entities"].as_array().unwrap().len() as u32;
    assert!(got >= 1 && got <= n_with, "{got} vs {n_with}");
    // the schema of the aggregatable types
    let schema = common::aws_cli(
        &sim.url,
        d,
        &[],
        &["ssm", "get-inventory-schema", "--aggregator"],
    );
    let app = schema["Schemas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["TypeName"] == "AWS:Application")
        .unwrap();
    let attrs: Vec<&str> = app["Attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Name"].as_str().unwrap())
        .collect();
    assert_eq!(attrs, ["Name", "Version"]);
    // bad input: the model's and the service's errors
    let e = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--aggregators",
            "Expression=AWS:Nope.Name",
        ],
    );
    assert!(e.contains("InvalidAggregatorException"), "{e}");
    let e = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--filters",
            "Key=AWS:Application.Name,Values=x,Type=Exists",
        ],
    );
    assert!(e.contains("InvalidFilter"), "{e}");
    let e = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &["ssm", "get-inventory", "--max-results", "51"],
    );
    assert!(e.contains("ValidationException"), "{e}");
    let e = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--result-attributes",
            "TypeName=AWS:Application",
        ],
    );
    assert!(e.contains("InvalidResultAttributeException"), "{e}");
}

// ------------------------------------------------------------------------------------------
// Through the real SDK against the in-process simulator

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ssmdeck::app::demo::sim_scope;
use ssmdeck::fleet::Fleet;
use ssmdeck::model::patch_index::{PatchIndex, PatchQuery};
use ssmdeck::model::{NodeKey, PatchState};
use ssmdeck::sim::{self, SimConfig, SimHandle};

fn small_world() -> SimConfig {
    SimConfig {
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        nodes_per_account: 24,
        certs_per_account: 2,
        time_scale: 600.0,
        ..SimConfig::default()
    }
}

async fn connect(cfg: SimConfig) -> (SimHandle, Fleet) {
    let regions = cfg.regions.clone();
    let sim = sim::start(cfg).await.expect("simulator starts");
    let mut scope = sim_scope(&sim.url, regions);
    scope.cache_file = None;
    let fleet = Fleet::connect(scope).await.expect("connect");
    (sim, fleet)
}

fn read_times(ix: &PatchIndex) -> BTreeMap<NodeKey, Option<chrono::DateTime<chrono::Utc>>> {
    ix.nodes
        .iter()
        .map(|n| (n.key.clone(), n.read_at))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_index_reads_only_nodes_whose_patch_state_changed() {
    let (sim, fleet) = connect(small_world()).await;
    let snap = fleet.collect_once(None).await;
    let scanned = snap.nodes.iter().filter(|n| n.has_patch_state()).count();
    assert!(scanned > 20);

    // first index: every scanned node read once, the calls counted at the simulator
    let before = common::op_count(&sim, "DescribeInstancePatches");
    let mut ix = PatchIndex::new();
    let p = fleet
        .update_patch_index(&mut ix, &snap.nodes, &mut |_, _| {})
        .await;
    let first_calls = common::op_count(&sim, "DescribeInstancePatches") - before;
    assert_eq!(p.calls, first_calls, "progress counts the calls made");
    assert_eq!(p.indexed, scanned);
    assert_eq!(
        p.unknown,
        snap.nodes.len() - scanned,
        "never scanned = unknown"
    );
    assert!(first_calls >= scanned as u64);

    // nothing changed: zero calls
    let snap2 = fleet.collect_once(None).await;
    let before = common::op_count(&sim, "DescribeInstancePatches");
    let p = fleet
        .update_patch_index(&mut ix, &snap2.nodes, &mut |_, _| {})
        .await;
    assert_eq!(common::op_count(&sim, "DescribeInstancePatches"), before);
    assert_eq!(p.calls, 0);

    // a restart (the index from disk) does not refetch either
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.patch-index");
    ssmdeck::fleet::patch_index::save(&file, &ix).unwrap();
    let mut loaded = ssmdeck::fleet::patch_index::load(&file).expect("index reads back");
    let p = fleet
        .update_patch_index(&mut loaded, &snap2.nodes, &mut |_, _| {})
        .await;
    assert_eq!(p.calls, 0);
    assert_eq!(common::op_count(&sim, "DescribeInstancePatches"), before);

    // Install on N nodes of one account x region: exactly those N are read again
    let mut by_unit: BTreeMap<(String, String), Vec<NodeKey>> = BTreeMap::new();
    for n in snap2.nodes.iter().filter(|n| {
        n.is_online() && n.has_patch_state() && n.account_id != fleet.caller().account_id
    }) {
        by_unit
            .entry((n.account_id.clone(), n.region.clone()))
            .or_default()
            .push(n.key());
    }
    let ((account, region), keys) = by_unit
        .into_iter()
        .find(|(_, k)| k.len() >= 3)
        .expect("a unit with three online scanned nodes");
    let targets: Vec<NodeKey> = keys.into_iter().take(3).collect();
    // an Install on the three nodes, through the data layer's SSM API
    let ssm = fleet.ssm();
    let request = ssmdeck::model::CommandRequest {
        document: "AWS-RunPatchBaseline".into(),
        parameters: [
            ("Operation".to_string(), vec!["Install".to_string()]),
            ("RebootOption".to_string(), vec!["NoReboot".to_string()]),
        ]
        .into_iter()
        .collect(),
        instance_ids: targets.iter().map(|k| k.instance_id.clone()).collect(),
        ..Default::default()
    };
    let sent = ssm
        .send_command(&account, &region, &request)
        .await
        .expect("SendCommand");
    let id = sent.command_id.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let invocations = ssm
            .list_invocations(&account, &region, &id, None)
            .await
            .unwrap();
        let done = invocations.len() == targets.len()
            && invocations
                .iter()
                .all(|i| matches!(i.status.as_str(), "Success" | "Failed" | "TimedOut"));
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "command {id} still running");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let snap3 = fleet.collect_once(None).await;
    let old = read_times(&ix);
    let p = fleet
        .update_patch_index(&mut ix, &snap3.nodes, &mut |_, _| {})
        .await;
    let new = read_times(&ix);
    let reread: Vec<&NodeKey> = new
        .iter()
        .filter(|(k, t)| old.get(*k) != Some(t))
        .map(|(k, _)| k)
        .collect();
    let mut want: Vec<&NodeKey> = targets.iter().collect();
    want.sort();
    assert_eq!(reread, want, "exactly the installed nodes are read again");
    assert!(p.calls >= 3);
    // and their lists now show no Missing patch (installed, pending a reboot)
    for k in &targets {
        let pos = ix.position(k).unwrap();
        assert!(
            ix.node_entries(pos)
                .iter()
                .all(|(_, s)| *s != PatchState::Missing),
            "{k:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cve_questions_span_accounts_and_never_call_unknown_nodes_clear() {
    let (_sim, fleet) = connect(small_world()).await;
    let snap = fleet.collect_once(None).await;
    let mut ix = PatchIndex::new();
    fleet
        .update_patch_index(&mut ix, &snap.nodes, &mut |_, _| {})
        .await;
    // the most widespread CVE spans several nodes and accounts (a shared pool)
    let stats = ix.patch_stats();
    let mut per_cve: BTreeMap<String, usize> = BTreeMap::new();
    for s in &stats {
        for c in ix.cves(s.def) {
            *per_cve.entry(c.to_string()).or_default() += s.affected() as usize;
        }
    }
    let (cve, _) = per_cve.iter().max_by_key(|(_, n)| **n).expect("some CVE");
    let q = PatchQuery::parse_expr(&format!("cve:{cve}")).unwrap();
    let a = ix.nodes_lacking(&q);
    assert!(a.affected.len() >= 2, "{cve}: {}", a.affected.len());
    let accounts: std::collections::BTreeSet<&str> = a
        .affected
        .iter()
        .map(|(pos, _)| ix.nodes[*pos].key.account_id.as_str())
        .collect();
    assert!(accounts.len() >= 2, "{cve} in {accounts:?}");
    // unknown nodes are never counted clear
    assert_eq!(a.affected.len() + a.unknown.len() + a.clear, ix.nodes.len());
    assert!(!a.unknown.is_empty(), "never-scanned nodes are unknown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn software_inventory_is_consistent_with_patches_and_lists_refused_accounts() {
    let (sim, fleet) = connect(small_world()).await;
    let snap = fleet.collect_once(None).await;
    // every account the organization has, the one without the access role included
    let accounts: Vec<String> = sim
        .world()
        .org
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let inv = fleet.software_inventory(&accounts, None).await;
    assert!(inv.applications.len() > 50);
    assert!(inv.applications.iter().any(|a| a.drifted() > 0));
    // a refused account is one entry for the whole account, not one per region
    let denied: Vec<_> = inv.missing.iter().filter(|m| m.region.is_none()).collect();
    assert!(!denied.is_empty(), "{:?}", inv.missing);
    let mut seen = std::collections::BTreeSet::new();
    assert!(
        inv.missing
            .iter()
            .all(|m| seen.insert((&m.account_id, &m.region)))
    );
    // node counts add up to what the account x region units say
    let app = inv
        .applications
        .iter()
        .max_by_key(|a| a.versions.len())
        .unwrap();
    let v = &app.versions[0];
    let readable: Vec<String> = accounts
        .iter()
        .filter(|a| !inv.missing_accounts().contains(a.as_str()))
        .cloned()
        .collect();
    let (nodes, missing) = fleet
        .nodes_with_application(&readable, &app.name, Some(&v.version))
        .await;
    assert!(missing.is_empty(), "{missing:?}");
    assert!(!nodes.is_empty() && nodes.len() as u64 >= v.nodes.min(1));

    // a node's inventory shows the older version of every package whose fix is Missing
    let node = snap
        .nodes
        .iter()
        .find(|n| {
            n.missing > 0
                && n.platform_type.as_str() == "Linux"
                && n.account_id == fleet.caller().account_id
        })
        .expect("a Linux node with missing patches");
    let patches = fleet.node_patches(&node.key()).await.unwrap();
    let inventory = fleet.node_inventory(&node.key()).await.unwrap();
    let mut checked = 0;
    for p in patches.iter().filter(|p| p.state == PatchState::Missing) {
        let name = p.kb_id.rsplit_once('.').map(|(n, _)| n).unwrap_or(&p.kb_id);
        let fixed = p.title.rsplit(':').next().unwrap_or("");
        let fixed_version = fixed.split('-').next().unwrap_or(fixed);
        let app = inventory
            .applications
            .iter()
            .find(|a| a.get("Name").map(String::as_str) == Some(name))
            .unwrap_or_else(|| panic!("{name} is installed (at the old version)"));
        let have = app.get("Version").cloned().unwrap_or_default();
        assert_ne!(
            have, fixed_version,
            "{name}: the missing fix is not installed"
        );
        checked += 1;
    }
    assert!(checked > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_fills_the_patch_index_in_the_background() {
    let (_sim, fleet) = connect(small_world()).await;
    let (mut rx, handle) = fleet.start_live(Duration::from_secs(3600), false);
    let mut progress = handle.patch_index.progress();
    let deadline = Instant::now() + Duration::from_secs(120);
    // drain the feed while the index fills after the first finished refresh
    loop {
        while let Ok(_u) = rx.try_recv() {}
        let ix = handle.patch_index.index();
        let p = *progress.borrow_and_update();
        if !ix.nodes.is_empty() && !p.running && p.pending == 0 {
            assert_eq!(p.total, ix.nodes.len());
            assert!(p.indexed > 0 && p.calls > 0, "{p:?}");
            break;
        }
        assert!(Instant::now() < deadline, "index not filled: {p:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    handle.stop();
}
