//! The fleet data layer through the real AWS SDK: against moto (a third-party emulator) and
//! against ssmdeck's own simulator.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use ssmdeck::fleet::{Fleet, Scope, StaticCredentials};
use ssmdeck::model::{Compliance, DiscoverySource, FleetSnapshot, NodeKey, PatchState};

/// A moto_server child process, killed on drop.
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_moto() -> Option<Moto> {
    let port = free_port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: moto_server not available ({e}); `.ci/run` installs it");
            return None;
        }
    };
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(moto);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("SKIPPED: moto_server did not start listening within 20 s");
    None
}

fn scope_for(url: &str, regions: &[&str]) -> Scope {
    Scope {
        endpoint_url: Some(url.to_string()),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        static_credentials: Some(StaticCredentials {
            access_key_id: "AKIAMOTOTEST00000001".into(),
            secret_access_key: "x".into(),
            session_token: None,
        }),
        call_timeout: Duration::from_secs(10),
        cache_file: None,
        ..Scope::default()
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_organization_and_certificates_through_assume_role() {
    let Some(moto) = start_moto() else { return };
    let setup = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fleet_moto_setup.py"
        ))
        .arg(&moto.url)
        .output()
        .expect("python3 runs");
    if !setup.status.success() {
        let err = String::from_utf8_lossy(&setup.stderr);
        if err.contains("ModuleNotFoundError") {
            eprintln!("SKIPPED: boto3/cryptography missing for the moto setup: {err}");
            return;
        }
        panic!("moto setup failed: {err}");
    }
    let world: Value = serde_json::from_slice(&setup.stdout).unwrap();

    let fleet = Fleet::connect(scope_for(&moto.url, &["us-east-1", "eu-west-1"]))
        .await
        .expect("connect to moto");
    assert_eq!(
        fleet.caller().account_id,
        world["management"].as_str().unwrap()
    );
    let snap = fleet.collect_once(None).await;

    // the organization: OUs and accounts with their paths
    assert_eq!(snap.organization.source, DiscoverySource::Organizations);
    assert!(snap.organization.id.is_some());
    let unit_paths: Vec<&str> = snap
        .organization
        .units
        .iter()
        .map(|u| u.path.as_str())
        .collect();
    for p in [
        "Root/Workloads",
        "Root/Workloads/Prod",
        "Root/Workloads/Dev",
        "Root/Security",
    ] {
        assert!(unit_paths.contains(&p), "{p} missing from {unit_paths:?}");
    }
    for a in world["accounts"].as_array().unwrap() {
        let id = a["id"].as_str().unwrap();
        let got = snap
            .account(id)
            .unwrap_or_else(|| panic!("account {id} not discovered"));
        assert_eq!(got.name, a["name"].as_str().unwrap());
        assert_eq!(got.ou_path, a["ou_path"].as_str().unwrap());
        assert!(got.state.is_active());
    }
    assert!(
        snap.account(world["management"].as_str().unwrap())
            .is_some()
    );

    // certificates, read in each member account through AssumeRole, in both regions
    let expected = world["certificates"].as_array().unwrap();
    assert_eq!(
        snap.certificates.len(),
        expected.len(),
        "{:#?}",
        snap.certificates
    );
    for c in expected {
        let arn = c["arn"].as_str().unwrap();
        let got = snap
            .certificates
            .iter()
            .find(|x| x.arn == arn)
            .unwrap_or_else(|| panic!("certificate {arn} missing"));
        assert_eq!(got.account_id, c["account_id"].as_str().unwrap());
        assert_eq!(got.region, c["region"].as_str().unwrap());
        assert_eq!(got.domain_name, c["domain_name"].as_str().unwrap());
        assert_eq!(got.cert_type, "IMPORTED");
        let days = c["days"].as_i64().unwrap();
        let left = got.days_left.unwrap();
        assert!(left == days || left == days - 1, "{left} vs {days}");
    }

    // what moto lacks is an error per account × region, not a lost snapshot
    let accounts = snap.accounts.len();
    let ssm_errors: Vec<_> = snap
        .errors
        .iter()
        .filter(|e| e.service == "ssm" && e.operation == "DescribeInstanceInformation")
        .collect();
    assert_eq!(ssm_errors.len(), accounts * 2, "{:#?}", snap.errors);
    for e in &ssm_errors {
        assert!(e.account_id.is_some() && e.region.is_some());
        assert!(!e.code.is_empty() && !e.message.is_empty());
    }
    // finished, and flagged partial: what moto lacks is listed as missing
    assert!(!snap.in_progress);
    assert!(!snap.complete);
    assert!(
        snap.missing
            .iter()
            .any(|m| m.kind == ssmdeck::model::MissingKind::Source),
        "{:#?}",
        snap.missing
    );
    assert_eq!(snap.progress.done, snap.progress.total);
    assert_eq!(snap.progress.total as usize, accounts * 2);

    // the JSON contract of `ssmdeck snapshot`
    let json = serde_json::to_value(&snap).unwrap();
    for k in [
        "organization",
        "accounts",
        "nodes",
        "certificates",
        "errors",
        "collected_at",
    ] {
        assert!(json.get(k).is_some(), "top-level key {k} missing");
    }
    let acct = keys(&json["accounts"][0]);
    for k in ["id", "name", "ou_path", "state"] {
        assert!(acct.contains(&k.to_string()), "accounts.{k}");
    }
    let cert = &json["certificates"][0];
    for k in [
        "arn",
        "account_id",
        "region",
        "domain_name",
        "type",
        "status",
        "key_algorithm",
        "not_after",
        "days_left",
        "in_use",
        "renewal_eligibility",
        "renewal_status",
    ] {
        assert!(cert.get(k).is_some(), "certificates.{k}");
    }
    let not_after = cert["not_after"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(not_after).is_ok(),
        "{not_after}"
    );
    let err = keys(&json["errors"][0]);
    for k in ["account_id", "region", "service", "code", "message"] {
        assert!(err.contains(&k.to_string()), "errors.{k}");
    }
    let back: FleetSnapshot = serde_json::from_value(json).unwrap();
    assert_eq!(back.certificates, snap.certificates);
}

// ---------------------------------------------------------------------------------------
// Against ssmdeck's own simulator.

use ssmdeck::app::demo::sim_scope;
use ssmdeck::model::FleetUpdate;
use ssmdeck::sim::{self, SimConfig, SimHandle};

fn small_world() -> SimConfig {
    SimConfig {
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        nodes_per_account: 24,
        certs_per_account: 6,
        ..SimConfig::default()
    }
}

async fn start_sim(cfg: SimConfig) -> (SimHandle, Scope) {
    let regions = cfg.regions.clone();
    let sim = sim::start(cfg).await.expect("simulator starts");
    let mut scope = sim_scope(&sim.url, regions);
    scope.cache_file = None;
    (sim, scope)
}

/// The member account that was invited (no access role) and the suspended one.
fn special_accounts(sim: &SimHandle) -> (String, String) {
    let org = &sim.world().org;
    let invited = org
        .accounts
        .iter()
        .find(|a| a.joined_method == sim::world::JoinedMethod::Invited)
        .expect("an invited account")
        .id
        .clone();
    let suspended = org
        .accounts
        .iter()
        .find(|a| a.status == sim::world::AccountStatus::Suspended)
        .expect("a suspended account")
        .id
        .clone();
    (invited, suspended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_totals_match_the_world_and_failures_are_listed() {
    let (sim, scope) = start_sim(small_world()).await;
    let (invited, suspended) = special_accounts(&sim);
    let mgmt = sim.management_account_id();
    // one region of one healthy member account behaves like a disabled opt-in region
    let broken = sim
        .world()
        .org
        .accounts
        .iter()
        .find(|a| a.id != mgmt && a.id != invited && a.id != suspended)
        .unwrap()
        .id
        .clone();
    sim.fail_region(&broken, "eu-west-1");

    let fleet = Fleet::connect(scope).await.expect("connect");
    assert_eq!(fleet.caller().account_id, mgmt);
    let snap = fleet.collect_once(None).await;
    // finished but partial: the invited account (no role) and the broken region are missing
    assert!(!snap.in_progress && !snap.complete);
    use ssmdeck::model::MissingKind;
    assert!(snap.missing.iter().any(
        |m| m.kind == MissingKind::Account && m.account_id.as_deref() == Some(invited.as_str())
    ));
    assert!(snap.missing.iter().any(|m| m.kind == MissingKind::Source
        && m.account_id.as_deref() == Some(broken.as_str())
        && m.region.as_deref() == Some("eu-west-1")));

    // every account of the organization, with its OU path and state
    let world = sim.world();
    assert_eq!(snap.accounts.len(), world.org.accounts.len());
    for a in &world.org.accounts {
        let got = snap.account(&a.id).expect("account discovered");
        assert_eq!(got.name, a.name);
        assert_eq!(got.ou_path, a.ou_path, "{}", a.name);
    }
    assert_eq!(snap.organization.source, DiscoverySource::Organizations);
    assert_eq!(snap.organization.units.len(), world.org.units.len());

    // readable = not invited, not suspended, not the broken region
    let readable = |acct: &str, region: &str| {
        acct != invited && acct != suspended && !(acct == broken && region == "eu-west-1")
    };
    let mut expected: Vec<&str> = world
        .acm
        .all()
        .filter(|c| readable(&c.account_id, &c.region))
        .map(|c| c.arn.as_str())
        .collect();
    expected.sort();
    let mut got: Vec<&str> = snap.certificates.iter().map(|c| c.arn.as_str()).collect();
    got.sort();
    assert_eq!(got, expected);
    for c in &snap.certificates {
        let w = world.acm.all().find(|x| x.arn == c.arn).unwrap();
        assert_eq!(c.domain_name, w.domain);
        assert_eq!(c.in_use, w.in_use(), "{}", c.arn);
        assert_eq!(
            c.renewal_status.as_deref(),
            w.renewal.as_ref().map(|r| r.status)
        );
    }

    // every managed node of every readable account × region, with its patch compliance
    let mut expected_nodes = 0;
    let mut unreported_hybrid = 0;
    for a in &world.org.accounts {
        for r in ["us-east-1", "eu-west-1"] {
            if !readable(&a.id, r) {
                continue;
            }
            type InWorld = (String, Compliance, u32, u32, Option<String>, bool);
            let in_world: Vec<InWorld> = world.ssm.with_fleet(&a.id, r, |f| {
                f.nodes
                    .iter()
                    .map(|n| {
                        let c = match (&n.report, n.counts.noncompliant()) {
                            (None, _) => Compliance::Unreported,
                            (Some(_), 0) => Compliance::Compliant,
                            (Some(_), _) => Compliance::NonCompliant,
                        };
                        let group = n.patch_group().filter(|g| !g.is_empty());
                        (
                            n.id.clone(),
                            c,
                            n.counts.missing,
                            n.counts.critical_nc,
                            group.map(str::to_string),
                            n.hybrid,
                        )
                    })
                    .collect()
            });
            assert_eq!(in_world.len(), world.ssm.node_count(&a.id, r));
            expected_nodes += in_world.len();
            for (id, compliance, missing, critical, group, hybrid) in in_world {
                let unreported = compliance == Compliance::Unreported;
                // the patch group: from the patch state, or for a hybrid node that never
                // reported, from its tags; an EC2 instance that never reported has none
                let want_group = if unreported && !hybrid { None } else { group };
                unreported_hybrid += usize::from(unreported && hybrid);
                let n = snap
                    .nodes
                    .iter()
                    .find(|n| n.instance_id == id && n.account_id == a.id && n.region == r)
                    .unwrap_or_else(|| panic!("node {id} of {} {r} missing", a.id));
                assert_eq!(n.compliance, compliance, "{id}");
                assert_eq!(n.patch_group.as_deref(), want_group.as_deref(), "{id}");
                if compliance != Compliance::Unreported {
                    assert_eq!(n.missing, missing, "{id}");
                    assert_eq!(n.critical_noncompliant, critical, "{id}");
                } else {
                    // never scanned: no counters, never shown as compliant
                    assert_eq!(n.missing + n.critical_noncompliant, 0, "{id}");
                }
            }
        }
    }
    assert_eq!(snap.nodes.len(), expected_nodes);
    assert!(
        expected_nodes > 100,
        "a world worth testing: {expected_nodes} nodes"
    );
    // one ListTagsForResource per hybrid node without a patch state, and no more
    assert!(
        unreported_hybrid > 0,
        "the world has unreported hybrid nodes"
    );
    assert_eq!(
        common::op_count(&sim, "ListTagsForResource"),
        unreported_hybrid as u64
    );

    // the invited account: one AssumeRole AccessDenied, nothing else
    let inv: Vec<_> = snap
        .errors
        .iter()
        .filter(|e| e.account_id.as_deref() == Some(invited.as_str()))
        .collect();
    assert_eq!(inv.len(), 1, "{inv:#?}");
    assert_eq!(inv[0].service, "sts");
    assert_eq!(inv[0].code, "AccessDenied");
    // the suspended account is not read at all
    assert!(
        snap.errors
            .iter()
            .all(|e| e.account_id.as_deref() != Some(suspended.as_str()))
    );
    // the broken region: errors for it, and only it, of that account
    let br: Vec<_> = snap
        .errors
        .iter()
        .filter(|e| e.account_id.as_deref() == Some(broken.as_str()))
        .collect();
    assert!(!br.is_empty());
    assert!(
        br.iter().all(|e| e.region.as_deref() == Some("eu-west-1")),
        "{br:#?}"
    );
    assert!(
        br.iter()
            .any(|e| e.service == "acm" && e.code == "UnrecognizedClientException")
    );
    // the broken account's other region is there
    assert!(
        snap.sources
            .iter()
            .any(|s| s.account_id == broken && s.region == "us-east-1" && s.ok)
    );
    // nothing else failed
    let others: Vec<_> = snap
        .errors
        .iter()
        .filter(|e| {
            let a = e.account_id.as_deref().unwrap_or("");
            a != invited && a != broken
        })
        .collect();
    assert!(others.is_empty(), "{others:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_throttling_and_failures_still_give_a_complete_result() {
    let cfg = SimConfig {
        throttle_tps: 2.0,
        fail_rate: 0.1,
        ..small_world()
    };
    let (sim, mut scope) = start_sim(cfg).await;
    let (invited, suspended) = special_accounts(&sim);
    // ask for more than the simulator allows: throttling must be absorbed by backoff
    scope.rate_limit_tps = 50.0;
    scope.max_attempts = 10;
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_once(None).await;
    // only the invited account (no role) is missing: throttling and 5xx were absorbed
    assert!(!snap.in_progress);
    assert!(
        snap.missing
            .iter()
            .all(|m| m.account_id.as_deref() == Some(invited.as_str())),
        "{:#?}",
        snap.missing
    );
    let expected = sim
        .world()
        .acm
        .all()
        .filter(|c| c.account_id != invited && c.account_id != suspended)
        .count();
    assert_eq!(snap.certificates.len(), expected);
    let world = sim.world();
    let expected_nodes: usize = world
        .org
        .accounts
        .iter()
        .filter(|a| a.id != invited && a.id != suspended)
        .flat_map(|a| ["us-east-1", "eu-west-1"].map(|r| world.ssm.node_count(&a.id, r)))
        .sum();
    assert_eq!(snap.nodes.len(), expected_nodes);
    let unexpected: Vec<_> = snap
        .errors
        .iter()
        .filter(|e| e.account_id.as_deref() != Some(invited.as_str()))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    let (calls, retries, throttled) = fleet.call_stats();
    assert!(
        retries > 0,
        "{calls} calls, no retry: fault injection not exercised"
    );
    // throttling slowed the keys it hit down (AIMD) instead of only retrying
    assert!(throttled > 0);
    let cuts = fleet.rate_cuts();
    assert!(
        cuts > 0 && cuts <= throttled,
        "{cuts} cuts, {throttled} throttled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_credentials_are_refreshed_when_they_expire() {
    let (sim, scope) = start_sim(small_world()).await;
    sim.set_session_duration(Duration::from_secs(3));
    let fleet = Fleet::connect(scope).await.expect("connect");
    let first = fleet.collect_once(None).await;
    let assumed_once = common::op_count(&sim, "AssumeRole");
    assert!(assumed_once > 0);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let second = fleet.collect_once(None).await;
    let assumed_twice = common::op_count(&sim, "AssumeRole");
    // every member account that was read the first time got new credentials
    let mgmt = sim.management_account_id();
    let members: std::collections::BTreeSet<&str> = first
        .sources
        .iter()
        .filter(|s| s.ok && s.account_id != mgmt)
        .map(|s| s.account_id.as_str())
        .collect();
    assert!(!members.is_empty());
    assert!(
        assumed_twice - assumed_once >= members.len() as u64,
        "credentials not renewed: {assumed_once} then {assumed_twice} for {} accounts",
        members.len()
    );
    assert!(
        second.errors.iter().all(|e| !e.code.contains("Expired")),
        "{:#?}",
        second.errors
    );
    assert_eq!(second.certificates.len(), first.certificates.len());
}

async fn next_snapshot(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<FleetUpdate>,
) -> std::sync::Arc<FleetSnapshot> {
    loop {
        let u = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an update within 20 s")
            .expect("feed open");
        if let FleetUpdate::Snapshot {
            snapshot,
            aggregates,
        } = u
        {
            assert_eq!(aggregates.certs.total as usize, snapshot.certificates.len());
            return snapshot;
        }
    }
}

async fn next_complete(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<FleetUpdate>,
    partials: &mut usize,
) -> std::sync::Arc<FleetSnapshot> {
    loop {
        let s = next_snapshot(rx).await;
        if !s.in_progress && !s.from_cache {
            return s;
        }
        *partials += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_feed_paints_from_cache_then_refreshes_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, mut scope) = start_sim(small_world()).await;
    scope.cache_file = Some(dir.path().join("snapshot-test.json"));
    let fleet = Fleet::connect(scope.clone()).await.expect("connect");

    // first run: no cache; partial snapshots, then the complete one, then it is cached
    let (mut rx, handle) = fleet.start_live(Duration::from_secs(3600), true);
    let mut partials = 0;
    let full = next_complete(&mut rx, &mut partials).await;
    assert!(partials >= 1, "the screen fills progressively");
    assert!(!full.certificates.is_empty());
    let cache = scope.cache_file.clone().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cache.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cache.exists(), "snapshot cached");

    // a node's details arrive as their own updates
    let key = full
        .nodes
        .iter()
        .find(|n| n.has_patch_state())
        .unwrap()
        .key();
    handle.load_node(key.clone());
    let (mut patches, mut inventory, mut commands) = (false, false, false);
    while !(patches && inventory && commands) {
        let u = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("node details within 20 s")
            .unwrap();
        match u {
            FleetUpdate::NodePatches { key: k, result } => {
                assert_eq!(k, key);
                assert!(!result.unwrap().is_empty());
                patches = true;
            }
            FleetUpdate::NodeInventory { key: k, result } => {
                assert_eq!(k, key);
                assert!(result.is_ok());
                inventory = true;
            }
            FleetUpdate::NodeCommands { key: k, result } => {
                assert_eq!(k, key);
                assert!(result.is_ok());
                commands = true;
            }
            _ => {}
        }
    }

    // on demand: a new complete snapshot, newer than the first
    let before = common::op_count(&sim, "ListCertificates");
    handle.refresh();
    // (the patch schedules, read on their own cadence, may republish the last snapshot with
    // them first: same collection time; the refresh's snapshot is the next newer one)
    let mut again = next_complete(&mut rx, &mut partials).await;
    for _ in 0..3 {
        if again.collected_at > full.collected_at {
            break;
        }
        again = next_complete(&mut rx, &mut partials).await;
    }
    assert!(again.collected_at > full.collected_at);
    assert!(common::op_count(&sim, "ListCertificates") > before);
    handle.stop();

    // next start: the cached snapshot first, marked from_cache, then a fresh one
    let fleet2 = Fleet::connect(scope).await.expect("connect");
    let (mut rx2, handle2) = fleet2.start_live(Duration::from_secs(3600), true);
    let first = next_snapshot(&mut rx2).await;
    assert!(first.from_cache);
    assert_eq!(first.certificates.len(), again.certificates.len());
    let fresh = next_complete(&mut rx2, &mut partials).await;
    assert!(!fresh.from_cache);
    handle2.stop();

    // without the cache: no cached snapshot first
    let fleet3 = Fleet::connect(fleet2.scope().clone())
        .await
        .expect("connect");
    let (mut rx3, handle3) = fleet3.start_live(Duration::from_secs(3600), false);
    assert!(!next_snapshot(&mut rx3).await.from_cache);
    handle3.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_node_details_on_demand_match_the_patch_state() {
    let (_sim, scope) = start_sim(small_world()).await;
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_once(None).await;
    // a non-compliant node: its patch list agrees with its patch-state counters
    let node = snap
        .nodes
        .iter()
        .find(|n| n.missing > 0 && n.installed > 0)
        .expect("a node with missing patches");
    let key = node.key();
    let patches = fleet.node_patches(&key).await.expect("patches");
    let count = |s: PatchState| patches.iter().filter(|p| p.state == s).count() as u32;
    assert_eq!(count(PatchState::Missing), node.missing);
    assert_eq!(count(PatchState::Installed), node.installed);
    assert_eq!(count(PatchState::Failed), node.failed);
    // most urgent first
    assert_eq!(patches[0].state, PatchState::Missing);

    let inv = fleet.node_inventory(&key).await.expect("inventory");
    assert_eq!(
        inv.instance_information
            .get("InstanceId")
            .map(String::as_str),
        Some(node.instance_id.as_str())
    );
    assert!(!inv.applications.is_empty());

    let cmds = fleet.node_commands(&key).await.expect("invocations");
    for c in &cmds {
        assert_eq!(c.instance_id, node.instance_id);
    }

    // an unknown node is an error, not a panic
    let missing = NodeKey {
        instance_id: "i-00000000000000000".into(),
        ..key.clone()
    };
    assert!(fleet.node_patches(&missing).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_patch_run_then_refresh_nodes_shows_the_effect() {
    let cfg = SimConfig {
        time_scale: 600.0,
        ..small_world()
    };
    let (_sim, scope) = start_sim(cfg).await;
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_once(None).await;
    let node = snap
        .nodes
        .iter()
        .find(|n| {
            n.missing > 0
                && n.failed == 0
                && n.is_online()
                && n.account_id != fleet.caller().account_id
        })
        .expect("an online member-account node with missing patches")
        .clone();
    // install without reboot through the data layer's SSM API for that account
    let ssm = fleet.ssm();
    let (acct, region) = (&node.account_id, &node.region);
    let id = ssm
        .send_command(
            acct,
            region,
            &patch_command(&node.instance_id, "Install", true),
        )
        .await
        .expect("SendCommand")
        .command_id;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = target_status(&ssm, acct, region, &id).await;
        if matches!(
            status.as_str(),
            "Success" | "Failed" | "TimedOut" | "Cancelled"
        ) {
            assert_eq!(status, "Success");
            break;
        }
        assert!(Instant::now() < deadline, "command still {status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (after, aggregates) = fleet
        .refresh_nodes(&[node.key()])
        .await
        .expect("refresh")
        .expect("a snapshot to update");
    let n = after.node(&node.key()).unwrap();
    assert_eq!(n.missing, 0, "{n:?}");
    assert!(n.installed_pending_reboot > 0);
    assert_eq!(
        n.compliance,
        Compliance::NonCompliant,
        "pending reboot is not compliant"
    );
    assert_eq!(aggregates.fleet.nodes as usize, after.nodes.len());
    // the other nodes are untouched
    assert_eq!(after.nodes.len(), snap.nodes.len());
}

/// AWS-RunPatchBaseline with `operation` on one node (optionally without reboot).
fn patch_command(
    instance_id: &str,
    operation: &str,
    no_reboot: bool,
) -> ssmdeck::model::CommandRequest {
    let mut parameters =
        std::collections::BTreeMap::from([("Operation".to_string(), vec![operation.to_string()])]);
    if no_reboot {
        parameters.insert("RebootOption".into(), vec!["NoReboot".into()]);
    }
    ssmdeck::model::CommandRequest {
        document: "AWS-RunPatchBaseline".into(),
        instance_ids: vec![instance_id.to_string()],
        parameters,
        ..Default::default()
    }
}

/// The status of a one-target command (its only invocation; "" while not listed yet).
async fn target_status(ssm: &ssmdeck::fleet::Ssm, acct: &str, region: &str, id: &str) -> String {
    ssm.list_invocations(acct, region, id, None)
        .await
        .expect("ListCommandInvocations")
        .first()
        .map(|i| i.status.clone())
        .unwrap_or_default()
}

/// Certificates by ARN, `days_left` aside (it moves with the clock).
fn certs_by_arn(s: &FleetSnapshot) -> Vec<ssmdeck::model::Certificate> {
    let mut v: Vec<_> = s
        .certificates
        .iter()
        .map(|c| ssmdeck::model::Certificate {
            days_left: None,
            ..c.clone()
        })
        .collect();
    v.sort_by(|a, b| a.arn.cmp(&b.arn));
    v
}

fn command_states(s: &FleetSnapshot) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = s
        .commands
        .iter()
        .map(|c| {
            (
                c.account_id.clone(),
                c.region.clone(),
                c.command_id.clone(),
                c.status.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_next_refresh_skips_unchanged_certificate_details_recent_tags_and_reads_only_new_commands()
 {
    let cfg = SimConfig {
        time_scale: 600.0,
        ..small_world()
    };
    let (sim, scope) = start_sim(cfg).await;
    let fleet = Fleet::connect(scope.clone()).await.expect("connect");
    let first = fleet.collect_once(None).await;
    let described = common::op_count(&sim, "DescribeCertificate");
    assert!(described > 0, "the world has certificates in use");
    assert!(first.certificates.iter().any(|c| !c.in_use_by.is_empty()));
    // hybrid nodes that never reported: their patch group from their tags
    let tag_reads = common::op_count(&sim, "ListTagsForResource");
    let tag_groups = |s: &FleetSnapshot| -> Vec<(String, Option<String>)> {
        let mut v: Vec<_> = s
            .nodes
            .iter()
            .filter(|n| n.instance_id.starts_with("mi-") && n.compliance == Compliance::Unreported)
            .map(|n| {
                (
                    n.instance_id.clone(),
                    n.patch_group.as_deref().map(str::to_string),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert!(tag_reads > 0, "the world has unreported hybrid nodes");
    assert!(tag_groups(&first).iter().any(|(_, g)| g.is_some()));

    // a patch run between two refreshes
    let node = first
        .nodes
        .iter()
        .find(|n| n.is_online() && n.account_id != fleet.caller().account_id)
        .expect("an online member-account node")
        .clone();
    let ssm = fleet.ssm();
    let (acct, region) = (&node.account_id, &node.region);
    let id = ssm
        .send_command(
            acct,
            region,
            &patch_command(&node.instance_id, "Scan", false),
        )
        .await
        .expect("SendCommand")
        .command_id;

    let second = fleet.collect_once(None).await;
    // finished, and missing nothing more than the first (the world's invited account has no
    // role: both are partial by that one account)
    assert!(!second.in_progress);
    assert_eq!(second.missing, first.missing);
    // no summary changed: no certificate described again, every detail still there
    assert_eq!(common::op_count(&sim, "DescribeCertificate"), described);
    assert_eq!(certs_by_arn(&second), certs_by_arn(&first));
    // tags read within the hour are not read again, and the groups stay
    assert_eq!(common::op_count(&sim, "ListTagsForResource"), tag_reads);
    assert_eq!(tag_groups(&second), tag_groups(&first));
    // the new command is listed with the older ones
    assert!(second.commands.iter().any(|c| c.command_id == id));
    assert_eq!(second.commands.len(), first.commands.len() + 1);

    // once it finished, the next refresh shows its final status: the same commands and
    // states as a full read by a new client
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = target_status(&ssm, acct, region, &id).await;
        if matches!(status.as_str(), "Success" | "Failed" | "TimedOut") {
            break;
        }
        assert!(Instant::now() < deadline, "command still {status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let third = fleet.collect_once(None).await;
    let full = Fleet::connect(scope)
        .await
        .expect("connect")
        .collect_once(None)
        .await;
    assert_eq!(command_states(&third), command_states(&full));
    assert_eq!(certs_by_arn(&third), certs_by_arn(&full));
    assert_eq!(tag_groups(&third), tag_groups(&full));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_expired_caller_credentials_give_one_clear_message() {
    let (sim, scope) = start_sim(small_world()).await;
    // the caller works with a short session in a member account (its own credentials)
    let member = sim
        .world()
        .org
        .accounts
        .iter()
        .find(|a| {
            a.roles
                .iter()
                .any(|r| r.name == "OrganizationAccountAccessRole")
        })
        .unwrap()
        .id
        .clone();
    sim.set_session_duration(Duration::from_secs(2));
    let session = common::assume_access_role(&sim.url, &member, "ssmdeck-test").await;
    let mut scope = Scope {
        static_credentials: Some(StaticCredentials {
            access_key_id: session.access_key_id().to_string(),
            secret_access_key: session.secret_access_key().to_string(),
            session_token: Some(session.session_token().to_string()),
        }),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        ..scope
    };
    scope.profile = Some("ops".into());
    let fleet = Fleet::connect(scope.clone()).await.expect("connect");
    assert_eq!(fleet.caller().account_id, member);

    tokio::time::sleep(Duration::from_millis(2300)).await;
    // a refresh now: one notice with the fix, one error, not one per account and region
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let snap = fleet.collect_once(Some(tx)).await;
    let mut notices = Vec::new();
    while let Ok(u) = rx.try_recv() {
        if let FleetUpdate::Notice { message, is_error } = u {
            assert!(is_error);
            notices.push(message);
        }
    }
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("expired"), "{}", notices[0]);
    assert!(
        notices[0].contains("aws sso login --profile ops"),
        "{}",
        notices[0]
    );
    assert_eq!(snap.errors.len(), 1, "{:#?}", snap.errors);
    assert!(snap.errors[0].code.starts_with("ExpiredToken"));

    // connecting with them: the same message as an error
    let err = Fleet::connect(scope).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("AWS credentials:"), "{text}");
    assert!(
        text.contains("Fix: run `aws sso login --profile ops`"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_member_account_caller_reads_its_own_account_with_a_note() {
    let (sim, scope) = start_sim(small_world()).await;
    let member = sim
        .world()
        .org
        .accounts
        .iter()
        .find(|a| {
            a.roles
                .iter()
                .any(|r| r.name == "OrganizationAccountAccessRole")
                && !sim.world().org.is_delegated_admin(&a.id)
        })
        .unwrap()
        .id
        .clone();
    let c = common::assume_access_role(&sim.url, &member, "ssmdeck-test").await;
    let scope = Scope {
        static_credentials: Some(StaticCredentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: c.secret_access_key().to_string(),
            session_token: Some(c.session_token().to_string()),
        }),
        ..scope
    };
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_once(None).await;
    assert_eq!(snap.organization.source, DiscoverySource::CallerOnly);
    let note = snap.organization.note.clone().unwrap();
    assert!(note.contains(&member), "{note}");
    assert_eq!(snap.accounts.len(), 1);
    // a note, not an error; the account itself is read in full
    assert!(snap.errors.is_empty(), "{:#?}", snap.errors);
    let world = sim.world();
    let expected: usize = ["us-east-1", "eu-west-1"]
        .iter()
        .map(|r| world.ssm.node_count(&member, r))
        .sum();
    assert_eq!(snap.nodes.len(), expected);
    assert!(snap.nodes.iter().all(|n| n.account_id == member));
}

/// ssmdeck run from a role session (here the delegated administrator's) reaches the member
/// accounts by chaining AssumeRole: it asks for at most one hour, the most STS grants a
/// chained session (longer would be `ValidationError`), so every account is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_delegated_administrator_chains_into_members_within_the_hour() {
    let (sim, scope) = start_sim(small_world()).await;
    let org = &sim.world().org;
    let delegated = org.delegated_admins[0].account_id.clone();
    let session = common::assume_access_role(&sim.url, &delegated, "ssmdeck-admin").await;
    let scope = Scope {
        static_credentials: Some(StaticCredentials {
            access_key_id: session.access_key_id().to_string(),
            secret_access_key: session.secret_access_key().to_string(),
            session_token: Some(session.session_token().to_string()),
        }),
        role_name: sim::world::READONLY_ROLE.into(),
        ..scope
    };
    let fleet = Fleet::connect(scope).await.expect("connect");
    assert_eq!(fleet.caller().account_id, delegated);
    let snap = fleet.collect_once(None).await;
    assert_eq!(snap.organization.source, DiscoverySource::Organizations);
    assert!(
        snap.errors.iter().all(|e| e.code != "ValidationError"),
        "{:#?}",
        snap.errors
    );
    // every member with the read-only role was read through a chained session
    let reachable: Vec<&str> = org
        .accounts
        .iter()
        .filter(|a| a.status == sim::world::AccountStatus::Active && a.id != delegated)
        .filter(|a| a.roles.iter().any(|r| r.name == sim::world::READONLY_ROLE))
        .map(|a| a.id.as_str())
        .collect();
    assert!(reachable.len() >= 5);
    for id in reachable {
        let expected: usize = ["us-east-1", "eu-west-1"]
            .iter()
            .map(|r| sim.world().ssm.node_count(id, r))
            .sum();
        let got = snap.nodes.iter().filter(|n| n.account_id == id).count();
        assert_eq!(got, expected, "account {id}");
    }
    assert!(sim.op_count("STS.AssumeRole") >= 5);
}

/// An endpoint that forgot the sessions it issued (a restart, a revoked session) refuses the
/// old keys; the next refresh assumes the roles again. No account is ever shown with another
/// account's nodes (the QA finding: after a simulator restart every account showed the
/// management account's fleet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_sessions_refused_after_a_restart_are_assumed_again() {
    let (sim, scope) = start_sim(small_world()).await;
    let fleet = Fleet::connect(scope).await.expect("connect");
    let pairs = |s: &FleetSnapshot| -> std::collections::BTreeSet<(String, String)> {
        s.nodes
            .iter()
            .map(|n| (n.account_id.clone(), n.instance_id.clone()))
            .collect()
    };
    let first = fleet.collect_once(None).await;
    let good = pairs(&first);
    assert!(!good.is_empty());
    let assumed = common::op_count(&sim, "AssumeRole");

    sim.forget_sessions();
    let refused = fleet.collect_once(None).await;
    assert!(
        refused
            .errors
            .iter()
            .any(|e| e.code == "UnrecognizedClientException"),
        "{:#?}",
        refused.errors
    );
    // what was read with refused keys is an error, never another account's nodes
    assert!(pairs(&refused).is_subset(&good));

    let healed = fleet.collect_once(None).await;
    assert!(
        common::op_count(&sim, "AssumeRole") > assumed,
        "roles not assumed again"
    );
    assert_eq!(pairs(&healed), good);
    assert!(
        healed
            .errors
            .iter()
            .all(|e| e.code != "UnrecognizedClientException"),
        "{:#?}",
        healed.errors
    );
}

/// Patch schedules through the real SDK: windows with their schedules, targets resolved as
/// AWS resolves them, the last execution's failed nodes are the nodes reporting failed
/// patches, uncovered nodes found, and AccessDenied on these APIs is one error per account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_patch_schedules_windows_coverage_and_denied_accounts() {
    use ssmdeck::model::patching::{Coverage, Resolution};
    let (sim, scope) = start_sim(small_world()).await;
    let (invited, suspended) = special_accounts(&sim);
    let mgmt = sim.management_account_id();
    let denied = sim
        .world()
        .org
        .accounts
        .iter()
        .find(|a| a.id != mgmt && a.id != invited && a.id != suspended)
        .unwrap()
        .id
        .clone();
    sim.deny_ops(
        &denied,
        &[
            "DescribeMaintenanceWindows",
            "DescribePatchBaselines",
            "ListAssociations",
        ],
    );
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_shared(None).await;
    let nodes_before = snap.nodes.len();
    let s = fleet.read_schedules(Some(&snap)).await;
    assert!(!s.windows.is_empty());
    // one clear error for the denied account, none per region
    let errs: Vec<_> = s
        .errors
        .iter()
        .filter(|e| e.account_id.as_deref() == Some(denied.as_str()))
        .collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].code, "AccessDeniedException");
    assert!(s.windows.iter().all(|w| w.account_id != denied));
    // the fleet itself is unaffected
    let last = fleet.last_snapshot().unwrap();
    assert_eq!(last.nodes.len(), nodes_before);
    assert_eq!(
        last.schedules.fetched_at, s.fetched_at,
        "the snapshot carries them"
    );

    let now = chrono::Utc::now();
    let tokyo = s
        .windows
        .iter()
        .find(|w| w.name == "prod-patch-sun-0300")
        .expect("a production window");
    assert_eq!(tokyo.timezone.as_deref(), Some("Asia/Tokyo"));
    let next = tokyo.next_run(now).expect("next run");
    // Sunday 03:00 in Tokyo
    let local = next.with_timezone(&chrono_tz::Asia::Tokyo);
    assert_eq!(local.format("%a %H:%M").to_string(), "Sun 03:00");
    assert_eq!(
        tokyo.aws_next_execution.as_deref(),
        Some(next.format("%Y-%m-%dT%H:%MZ").to_string().as_str()),
        "the client's next run is AWS's"
    );
    assert!(tokyo.executions.len() >= 7);
    assert!(matches!(tokyo.targets[0].resolved, Resolution::Nodes(_)));

    // failed targets of the last executions are nodes that report failed patches
    for w in &s.windows {
        if let Some(failed) = w.last_execution().and_then(|e| e.failed_targets.as_ref()) {
            for id in failed {
                let n = last
                    .nodes
                    .iter()
                    .find(|n| &n.instance_id == id && n.account_id == w.account_id)
                    .expect("a known node");
                assert!(
                    n.failed > 0 || !n.is_online() || !n.has_patch_state(),
                    "{id} failed in {} but reports no failed patch",
                    w.name
                );
            }
        }
    }

    let cov = s.coverage(&last.nodes, now);
    assert_eq!(cov.len(), last.nodes.len(), "every node has a coverage");
    let uncovered = cov.values().filter(|c| c.coverage.is_uncovered()).count();
    let installed = cov
        .values()
        .filter(|c| matches!(c.coverage, Coverage::Install { .. }))
        .count();
    assert!(uncovered > 0 && installed > 0, "{uncovered} / {installed}");
    assert!(
        cov.iter()
            .all(|((a, _, _), c)| (a == &denied) == matches!(c.coverage, Coverage::Unknown { .. }))
    );
}

/// Node tags through the real SDK, by their own pass: hybrid nodes by ListTagsForResource,
/// EC2 instances by their `AWS:Tag` inventory; one call per node; the tags agree with the
/// patch group Patch Manager reports; a failed read keeps the tags read before, and their
/// age, and says so once per account × region × API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_node_tags_read_by_their_pass_and_kept_with_their_age_on_failure() {
    let (sim, scope) = start_sim(small_world()).await;
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_shared(None).await;
    let before = sim.op_counts();
    let pass = fleet.refresh_tags(Some(&snap)).await;
    let after = sim.op_counts();
    let calls =
        |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
    let hybrid = snap.nodes.iter().filter(|n| n.is_hybrid()).count() as u64;
    assert!(hybrid > 0, "the world has hybrid nodes");
    assert_eq!(
        calls("AmazonSSM.ListTagsForResource"),
        hybrid,
        "one call per hybrid node"
    );
    assert_eq!(
        calls("AmazonSSM.ListInventoryEntries"),
        snap.nodes.len() as u64 - hybrid,
        "one call per EC2 instance"
    );
    let tags = &pass.tags;
    assert!(
        tags.fetched_at.is_some() && tags.errors.is_empty(),
        "{:?}",
        tags.errors
    );
    let mut with_env = 0;
    for n in &snap.nodes {
        let t = tags.of(&n.key()).expect("every node's tags were read");
        if let Some(env) = ssmdeck::model::tags::value_of(t, "Environment") {
            with_env += 1;
            assert!(["prod", "stg", "dev"].contains(&env), "{env}");
        }
        let tag_group = ssmdeck::model::tags::value_of(t, "Patch Group")
            .or_else(|| ssmdeck::model::tags::value_of(t, "PatchGroup"));
        if let (Some(g), Some(pg)) = (tag_group, n.patch_group.as_deref())
            && !pg.is_empty()
        {
            assert_eq!(
                g, pg,
                "{}: the tag is the group Patch Manager used",
                n.instance_id
            );
        }
        if n.is_hybrid() {
            assert_eq!(
                ssmdeck::model::tags::value_of(t, "Name"),
                Some(n.name.as_str()),
                "a hybrid node's Name tag is the name SSM shows"
            );
        }
    }
    assert!(
        with_env * 10 >= snap.nodes.len() * 8,
        "most nodes have an Environment tag"
    );
    assert_eq!(
        fleet.last_snapshot().unwrap().schedules.tags.fetched_at,
        tags.fetched_at,
        "the snapshot carries them"
    );
    assert_eq!(
        pass.plan.new,
        snap.nodes.len(),
        "a cold pass reads every node"
    );

    // the EC2 tags of one account become unreadable two days later (every node due): kept
    // from before with their read time, and said once per account × region × API
    let acct = snap
        .nodes
        .iter()
        .find(|n| !n.is_hybrid())
        .unwrap()
        .account_id
        .clone();
    sim.deny_ops(&acct, &["ListInventoryEntries"]);
    let later = chrono::Utc::now() + chrono::Duration::days(2);
    let s2 = fleet.read_tags(Some(&snap), tags, later).await.tags;
    let denied = |n: &&ssmdeck::model::Node| n.account_id == acct && !n.is_hybrid();
    let units: std::collections::BTreeSet<&str> = snap
        .nodes
        .iter()
        .filter(denied)
        .map(|n| n.region.as_str())
        .collect();
    let errs: Vec<_> = s2
        .errors
        .iter()
        .filter(|e| e.account_id.as_deref() == Some(acct.as_str()))
        .collect();
    assert_eq!(errs.len(), units.len(), "one error per region: {errs:?}");
    assert!(errs.iter().all(|e| e.operation == "ListInventoryEntries"));
    assert_eq!(s2.errors.len(), errs.len(), "the other accounts read");
    for n in snap.nodes.iter().filter(denied) {
        assert_eq!(
            s2.of(&n.key()),
            tags.of(&n.key()),
            "kept: {}",
            n.instance_id
        );
        assert_eq!(
            s2.read_time_of(&n.key()),
            tags.read_time_of(&n.key()),
            "its age is not reset: {}",
            n.instance_id
        );
    }
    for n in snap.nodes.iter().filter(|n| !denied(n)) {
        assert_eq!(
            s2.read_time_of(&n.key()).map(|t| t.timestamp()),
            Some(later.timestamp())
        );
    }
    // an hour on, the failing units cost one probe each, and are still listed
    let before = sim.op_counts();
    let s3 = fleet
        .read_tags(Some(&snap), &s2, later + chrono::Duration::hours(1))
        .await;
    let after = sim.op_counts();
    let calls =
        |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
    assert_eq!(calls("AmazonSSM.ListInventoryEntries"), units.len() as u64);
    assert_eq!(calls("AmazonSSM.ListTagsForResource"), 0);
    assert_eq!(s3.tags.errors.len(), units.len());
}

/// Tags are read when a node is new, and otherwise only once they are due: a second pass
/// with nothing due makes no call; nodes that joined are read on the next pass, and only
/// they.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_node_tags_second_pass_reads_only_new_nodes() {
    let (sim, scope) = start_sim(small_world()).await;
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_shared(None).await;
    let tag_calls = || {
        let c = sim.op_counts();
        c.get("AmazonSSM.ListTagsForResource").copied().unwrap_or(0)
            + c.get("AmazonSSM.ListInventoryEntries")
                .copied()
                .unwrap_or(0)
    };
    // five nodes (EC2 and hybrid) join after the first pass
    let mut before_join = (*snap).clone();
    let joined: Vec<ssmdeck::model::Node> = before_join
        .nodes
        .iter()
        .filter(|n| n.is_hybrid())
        .take(2)
        .chain(before_join.nodes.iter().filter(|n| !n.is_hybrid()).take(3))
        .cloned()
        .collect();
    before_join
        .nodes
        .retain(|n| !joined.iter().any(|j| j.key() == n.key()));
    let c0 = tag_calls();
    let p1 = fleet.refresh_tags(Some(&before_join)).await;
    assert_eq!(tag_calls() - c0, before_join.nodes.len() as u64);
    assert!(joined.iter().all(|n| p1.tags.of(&n.key()).is_none()));

    let c1 = tag_calls();
    let p2 = fleet.refresh_tags(Some(&before_join)).await;
    assert_eq!(tag_calls() - c1, 0, "nothing due: no tag call");
    assert_eq!(p2.tags.nodes, p1.tags.nodes, "and nothing lost");

    let c2 = tag_calls();
    let p3 = fleet.refresh_tags(Some(&snap)).await;
    assert_eq!(tag_calls() - c2, joined.len() as u64, "only the new nodes");
    assert_eq!(p3.plan.new, joined.len());
    for n in &snap.nodes {
        assert!(p3.tags.of(&n.key()).is_some(), "{}", n.instance_id);
    }
    for n in &before_join.nodes {
        assert_eq!(
            p3.tags.read_time_of(&n.key()),
            p1.tags.read_time_of(&n.key()),
            "not read again: {}",
            n.instance_id
        );
    }
    let last = fleet.last_snapshot().expect("a snapshot");
    assert_eq!(last.schedules.tags, p3.tags, "published");
}

/// The patch schedules never wait for the tags: a schedules read makes no tag call and
/// publishes its windows while the tags are still unread; the tag pass then publishes its
/// tags without touching the windows, and the next schedules read carries them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_schedules_are_published_before_the_tags_are_read() {
    let (sim, scope) = start_sim(small_world()).await;
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_shared(None).await;
    let tag_calls = || {
        let c = sim.op_counts();
        c.get("AmazonSSM.ListTagsForResource").copied().unwrap_or(0)
            + c.get("AmazonSSM.ListInventoryEntries")
                .copied()
                .unwrap_or(0)
    };
    let c0 = tag_calls();
    let s = fleet.read_schedules(Some(&snap)).await;
    assert_eq!(tag_calls(), c0, "the schedules read makes no tag call");
    let last = fleet.last_snapshot().expect("a snapshot");
    assert!(!last.schedules.windows.is_empty(), "windows published");
    assert_eq!(last.schedules.windows, s.windows);
    assert!(!last.schedules.tags.is_read(), "while the tags are unread");

    let pass = fleet.refresh_tags(None).await;
    assert!(tag_calls() > c0);
    let last = fleet.last_snapshot().expect("a snapshot");
    assert_eq!(last.schedules.tags, pass.tags, "the tags published");
    assert_eq!(last.schedules.windows, s.windows, "beside the same windows");
    assert_eq!(last.schedules.fetched_at, s.fetched_at);

    let s2 = fleet.read_schedules(None).await;
    assert!(s2.fetched_at > s.fetched_at);
    assert_eq!(
        s2.tags, pass.tags,
        "a later schedules read carries the tags"
    );
    let last = fleet.last_snapshot().expect("a snapshot");
    assert_eq!(last.schedules.tags, pass.tags);
}

/// #15's budget: an hourly schedules read does not ask GetPatchBaseline again for rules it
/// read recently (custom baselines, younger than 6 h) or that never change (AWS-managed);
/// the rules shown are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_schedules_read_keeps_recent_baseline_rules() {
    let (_sim, scope) = start_sim(small_world()).await;
    let fleet = Fleet::connect(scope).await.expect("connect");
    let snap = fleet.collect_shared(None).await;
    fleet.take_calls_by_api();
    let first = fleet.read_schedules(Some(&snap)).await;
    let got = fleet.take_calls_by_api();
    let reads = got.get("GetPatchBaseline").map_or(0, |s| s.calls);
    assert!(reads > 0, "the first read asks for the rules");
    let custom = first
        .baselines
        .iter()
        .filter(|b| b.detailed && !b.aws_managed);
    assert!(
        custom.clone().count() > 0,
        "the world has custom baselines in use"
    );
    assert!(custom.clone().all(|b| b.detailed_at.is_some()));

    let second = fleet.read_schedules(Some(&snap)).await;
    let got = fleet.take_calls_by_api();
    assert_eq!(
        got.get("GetPatchBaseline").map_or(0, |s| s.calls),
        0,
        "rules read minutes ago are kept"
    );
    let rules = |s: &ssmdeck::model::patching::PatchSchedules| {
        let mut v: Vec<_> = s
            .baselines
            .iter()
            .filter(|b| b.detailed)
            .map(|b| {
                (
                    b.account_id.clone(),
                    b.region.clone(),
                    b.baseline_id.clone(),
                    b.rules_summary(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(rules(&first), rules(&second));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_known_accounts_are_read_ahead_and_one_that_left_the_organization_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, mut scope) = start_sim(small_world()).await;
    // the walk of the tree takes several calls one after another; an account the last picture
    // knows is entered at once (one AssumeRole), before the walk can name it
    sim.set_latency_ms(40);
    let first = Fleet::connect(scope.clone())
        .await
        .expect("connect")
        .collect_once(None)
        .await;
    let assumed = common::op_count(&sim, "AssumeRole");
    assert!(assumed > 0);

    // the cached picture still holds an account that has left the organization since
    let gone = "999999999999";
    let mut cached = first.clone();
    let mut account = cached
        .accounts
        .iter()
        .find(|a| a.state.is_active() && a.id != sim.management_account_id())
        .expect("a member account")
        .clone();
    account.id = gone.into();
    account.name = "left-the-organization".into();
    cached.accounts.push(account);
    let mut node = cached.nodes[0].clone();
    node.account_id = gone.into();
    node.instance_id = "i-0aaaaaaaaaaaaaaa0".into();
    cached.nodes.push(node);
    let path = dir.path().join("snapshot-test.json");
    let agg =
        ssmdeck::model::Aggregates::compute(&cached, &scope.aggregate_config(), chrono::Utc::now());
    ssmdeck::fleet::cache::save(&path, &cached, &agg).expect("cache written");
    scope.cache_file = Some(path);

    let fleet = Fleet::connect(scope).await.expect("connect");
    let (mut rx, handle) = fleet.start_live(Duration::from_secs(3600), true);
    let shown = next_snapshot(&mut rx).await;
    assert!(shown.from_cache && shown.accounts.iter().any(|a| a.id == gone));
    let mut partials = 0;
    let fresh = next_complete(&mut rx, &mut partials).await;
    handle.stop();
    // every account the walk named is read again, the one it no longer names is gone with
    // its node, and nothing about it is listed as missing or failed
    assert!(!fresh.accounts.iter().any(|a| a.id == gone));
    assert!(!fresh.nodes.iter().any(|n| n.account_id == gone));
    assert_eq!(fresh.nodes.len(), first.nodes.len());
    assert_eq!(fresh.complete, first.complete);
    assert_eq!(
        fresh.missing.len(),
        first.missing.len(),
        "{:?}",
        fresh.missing
    );
    assert!(
        !fresh
            .errors
            .iter()
            .any(|e| e.account_id.as_deref() == Some(gone)),
        "{:?}",
        fresh.errors
    );
    // it was entered ahead of the walk: the first run's AssumeRole calls, plus its own
    assert_eq!(common::op_count(&sim, "AssumeRole") - assumed, assumed + 1);
}
