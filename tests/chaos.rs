//! The "nothing silently lost" contract under chaos, through the real SDK against the
//! simulator: throttling storms (Organizations, STS and SSM at once), 5xx answers, dropped
//! connections, and an endpoint that goes away mid-refresh and comes back.
//!
//! Whatever the interleaving (the faults are random), after every refresh:
//! - every account and node of the simulated world is on screen or covered by a listed gap
//!   (`missing`) and error, and errors of a tree listing name the parent;
//! - nothing shrinks: the accounts, OUs and nodes of the last good snapshot stay, and the
//!   organization never collapses to the caller's account;
//! - a refresh that could not read everything is flagged partial (`complete == false`,
//!   `missing` non-empty), and the cache on disk is never replaced by a smaller picture;
//! - ages are true: what was not read keeps the time it was last read;
//! - the console's feed recovers by itself when the faults stop, without a refresh request.
//!
//! Budgets are shrunk (few attempts, short backoffs) so each storm outlasts the retries and
//! the partial path is exercised in a few seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use ssmdeck::fleet::limiter::RetryPolicy;
use ssmdeck::fleet::{Fleet, Scope};
use ssmdeck::model::{DiscoverySource, FleetSnapshot, FleetUpdate, MissingKind};
use ssmdeck::sim::{self, SimConfig, SimHandle};
use tokio::sync::mpsc::UnboundedReceiver;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn world() -> SimConfig {
    SimConfig {
        seed: 7,
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        nodes_per_account: 12,
        certs_per_account: 2,
        ..SimConfig::default()
    }
}

/// Small budgets: a storm outlasts them, so refreshes finish partial quickly.
fn scope(sim: &SimHandle, cache: Option<std::path::PathBuf>) -> Scope {
    let mut s =
        ssmdeck::app::demo::sim_scope(&sim.url, REGIONS.iter().map(|r| r.to_string()).collect());
    s.cache_file = cache;
    s.call_timeout = Duration::from_secs(2);
    s.max_attempts = 2;
    s.control_retry = RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
    };
    s.heal_after = Duration::from_millis(300);
    s
}

/// The accounts that can never be read: invited (no access role) and suspended.
fn unreadable(sim: &SimHandle) -> BTreeSet<String> {
    sim.world()
        .org
        .accounts
        .iter()
        .filter(|a| {
            a.joined_method == sim::world::JoinedMethod::Invited
                || a.status == sim::world::AccountStatus::Suspended
        })
        .map(|a| a.id.clone())
        .collect()
}

/// Whether a gap of `snap` covers `account` (× `region`): the whole tree, its parent's
/// account listing, an ancestor's OU listing (the subtree below is unknown), the account, or
/// its SSM source.
fn covered(snap: &FleetSnapshot, sim: &SimHandle, account: &str, region: Option<&str>) -> bool {
    let org = &sim.world().org;
    let parent = org
        .accounts
        .iter()
        .find(|a| a.id == account)
        .map(|a| a.parent_id.clone());
    let mut ancestors = Vec::new();
    let mut cur = parent.clone();
    while let Some(id) = cur {
        cur = org
            .units
            .iter()
            .find(|u| u.id == id)
            .and_then(|u| u.parent_id.clone());
        ancestors.push(id);
    }
    snap.missing.iter().any(|m| match m.kind {
        MissingKind::Organization => true,
        MissingKind::Ou => match m.operation.as_deref() {
            Some("ListAccountsForParent") => m.ou_id == parent,
            _ => m.ou_id.as_ref().is_some_and(|o| ancestors.contains(o)),
        },
        MissingKind::Account => m.account_id.as_deref() == Some(account),
        MissingKind::Source => {
            m.account_id.as_deref() == Some(account)
                && region.is_none_or(|r| m.region.as_deref() == Some(r))
                && m.service.as_deref() == Some("ssm")
        }
        MissingKind::Detail => false,
    })
}

/// Every world account and node is shown or covered by a gap, every gap by an error, and a
/// tree listing's error names its parent.
fn assert_nothing_silently_lost(sim: &SimHandle, snap: &FleetSnapshot, phase: &str) {
    assert!(!snap.in_progress, "{phase}: finished");
    let world = sim.world();
    let skip = unreadable(sim);
    for a in &world.org.accounts {
        assert!(
            snap.account(&a.id).is_some() || covered(snap, sim, &a.id, None),
            "{phase}: account {} ({}) neither shown nor covered: {:#?}",
            a.id,
            a.name,
            snap.missing
        );
        if skip.contains(&a.id) {
            continue;
        }
        for r in REGIONS {
            let want = world.ssm.node_count(&a.id, r);
            let got = snap
                .nodes
                .iter()
                .filter(|n| n.account_id == a.id && n.region == r)
                .count();
            assert!(
                got == want || covered(snap, sim, &a.id, Some(r)),
                "{phase}: {}/{r}: {got} of {want} nodes and no gap says why: {:#?}",
                a.id,
                snap.missing
            );
        }
    }
    // partial is flagged, and every gap comes with an error
    assert_eq!(
        snap.complete,
        snap.errors.is_empty() && snap.missing.is_empty(),
        "{phase}: complete iff nothing is missing"
    );
    if !snap.missing.is_empty() {
        assert!(!snap.errors.is_empty(), "{phase}: gaps without errors");
    }
    for e in &snap.errors {
        if e.service == "organizations" && e.operation.ends_with("ForParent") {
            assert!(
                e.message.starts_with("parent ")
                    && (e.message.contains("r-") || e.message.contains("ou-")),
                "{phase}: an Organizations error that does not name its parent: {e:?}"
            );
        }
    }
    for m in snap.missing.iter().filter(|m| m.kind == MissingKind::Ou) {
        let id = m.ou_id.as_deref().unwrap();
        assert!(
            snap.errors.iter().any(|e| e.message.contains(id)),
            "{phase}: the gap of {id} has no error naming it"
        );
    }
    assert_ne!(
        snap.organization.source,
        DiscoverySource::CallerOnly,
        "{phase}: a transient failure never collapses the organization"
    );
}

/// Nothing of `base` is lost in `snap`, and what was not read keeps its age.
fn assert_no_shrink(base: &FleetSnapshot, snap: &FleetSnapshot, phase: &str) {
    let ids = |s: &FleetSnapshot| {
        s.accounts
            .iter()
            .map(|a| a.id.clone())
            .collect::<BTreeSet<_>>()
    };
    let lost: Vec<_> = ids(base).difference(&ids(snap)).cloned().collect();
    assert!(lost.is_empty(), "{phase}: accounts lost {lost:?}");
    let units = |s: &FleetSnapshot| {
        s.organization
            .units
            .iter()
            .map(|u| u.id.clone())
            .collect::<BTreeSet<_>>()
    };
    assert!(units(base).is_subset(&units(snap)), "{phase}: OUs lost");
    let nodes = |s: &FleetSnapshot| s.nodes.iter().map(|n| n.key()).collect::<BTreeSet<_>>();
    let gone = nodes(base).difference(&nodes(snap)).count();
    assert_eq!(gone, 0, "{phase}: {gone} nodes lost");
    // ages: a source not read by this refresh shows data from before it (its last good
    // read), never this refresh's time; and no age goes back behind the base's
    let before: BTreeMap<_, _> = base
        .sources
        .iter()
        .map(|s| {
            (
                (s.account_id.clone(), s.region.clone(), s.service.clone()),
                s.fetched_at,
            )
        })
        .collect();
    for s in &snap.sources {
        let k = (s.account_id.clone(), s.region.clone(), s.service.clone());
        if !s.ok {
            assert!(
                s.fetched_at.is_none_or(|t| t < snap.collected_at),
                "{phase}: {k:?} was not read and its age was reset"
            );
        }
        if let Some(prev) = before.get(&k) {
            assert!(s.fetched_at >= *prev, "{phase}: {k:?} went back in time");
        }
    }
    if !snap.complete && snap.sources.iter().any(|s| !s.ok && s.fetched_at.is_some()) {
        assert!(
            snap.data_as_of() < Some(snap.collected_at),
            "{phase}: the header age must be the old data's, not this refresh's"
        );
    }
}

/// The next finished (not in progress, not cached) snapshot of the feed.
async fn next_finished(
    rx: &mut UnboundedReceiver<FleetUpdate>,
    within: Duration,
) -> Arc<FleetSnapshot> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let u = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("a finished refresh in time")
            .expect("the feed is running");
        if let FleetUpdate::Snapshot { snapshot, .. } = u
            && !snapshot.in_progress
            && !snapshot.from_cache
        {
            return snapshot;
        }
    }
}

/// What the baseline (no fault) leaves missing: the accounts that can never be read.
fn only_unreadable_missing(sim: &SimHandle, snap: &FleetSnapshot) -> bool {
    let skip = unreadable(sim);
    snap.missing
        .iter()
        .all(|m| m.account_id.as_ref().is_some_and(|a| skip.contains(a)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_never_loses_data_silently_and_heals_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("snapshot-chaos.bin");
    let sim = sim::start(world()).await.expect("simulator");
    let fleet = Fleet::connect(scope(&sim, Some(cache.clone())))
        .await
        .expect("connect");
    let (mut rx, handle) = fleet.start_live(Duration::from_secs(3600), true);

    // baseline: everything readable is read (the invited account has no role: a listed gap)
    let base = next_finished(&mut rx, Duration::from_secs(20)).await;
    assert_nothing_silently_lost(&sim, &base, "baseline");
    assert!(only_unreadable_missing(&sim, &base), "{:#?}", base.missing);
    assert_eq!(base.accounts.len(), sim.world().org.accounts.len());
    let mut last = base.clone();

    type Fault = fn(&SimHandle, bool);
    let storms: [(&str, Fault); 3] = [
        (
            "throttling storm (Organizations, STS, SSM at 1/s)",
            |s, on| s.set_throttle_tps(if on { 1.0 } else { 0.0 }),
        ),
        ("5xx at 60%", |s, on| {
            s.set_fail_rate(if on { 0.6 } else { 0.0 })
        }),
        ("dropped connections at 60%", |s, on| {
            s.set_drop_rate(if on { 0.6 } else { 0.0 })
        }),
    ];
    let (_, retries_before, _) = fleet.call_stats();
    for (phase, fault) in storms {
        fault(&sim, true);
        handle.refresh();
        let snap = next_finished(&mut rx, Duration::from_secs(30)).await;
        fault(&sim, false);
        assert_nothing_silently_lost(&sim, &snap, phase);
        assert_no_shrink(&last, &snap, phase);
        assert_no_shrink(&base, &snap, phase);
        last = snap;
    }
    let (_, retries, _) = fleet.call_stats();
    assert!(retries > retries_before, "the faults were retried");

    // the endpoint goes away mid-refresh
    sim.set_latency_ms(150);
    handle.refresh();
    tokio::time::sleep(Duration::from_millis(400)).await;
    sim.set_unreachable(true);
    let down = next_finished(&mut rx, Duration::from_secs(30)).await;
    let phase = "endpoint gone mid-refresh";
    assert_nothing_silently_lost(&sim, &down, phase);
    assert_no_shrink(&base, &down, phase);
    assert!(!down.complete, "{phase}: flagged partial");
    assert!(!down.missing.is_empty());
    // the cache on disk never holds less than the baseline
    let bytes = std::fs::read(&cache).expect("cache written");
    let on_disk = match ssmdeck::fleet::cache::decode(&bytes) {
        Ok(c) => c.snapshot,
        Err(e) => panic!("cache unreadable ({} bytes): {e}", bytes.len()),
    };
    assert_no_shrink(&base, &on_disk, "cache after the endpoint went away");

    // it comes back: the feed recovers without a refresh request
    sim.set_latency_ms(0);
    sim.set_unreachable(false);
    let healed = loop {
        let s = next_finished(&mut rx, Duration::from_secs(30)).await;
        assert_nothing_silently_lost(&sim, &s, "healing");
        assert_no_shrink(&base, &s, "healing");
        if only_unreadable_missing(&sim, &s) {
            break s;
        }
    };
    assert_eq!(healed.nodes.len(), base.nodes.len());
    assert!(
        healed.data_as_of() > base.data_as_of(),
        "fresh data after healing"
    );
    handle.stop();
}

/// Without any earlier snapshot (`snapshot --no-cache`), an Organizations storm leaves every
/// account either listed or covered by a gap naming its parent — never silently absent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_refresh_under_a_storm_names_every_gap() {
    let sim = sim::start(world()).await.expect("simulator");
    let fleet = Fleet::connect(scope(&sim, None)).await.expect("connect");
    sim.set_throttle_tps(1.0);
    let snap = fleet.collect_once(None).await;
    assert_nothing_silently_lost(&sim, &snap, "first refresh, throttled");
    // the storm outlasted the shrunk budget somewhere: flagged partial, gaps named
    assert!(!snap.complete);
    for m in &snap.missing {
        assert!(!m.describe().is_empty());
    }
}

/// Organizations unreachable (connection refused) is transient: no caller-only fallback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_organization_is_not_a_caller_only_one() {
    let sim = sim::start(world()).await.expect("simulator");
    let fleet = Fleet::connect(scope(&sim, None)).await.expect("connect");
    let first = fleet.collect_once(None).await;
    assert_eq!(first.organization.source, DiscoverySource::Organizations);
    sim.set_unreachable(true);
    let snap = fleet.collect_once(None).await;
    assert_eq!(snap.organization.source, DiscoverySource::Organizations);
    assert_eq!(snap.accounts.len(), first.accounts.len(), "no shrink");
    assert_eq!(snap.nodes.len(), first.nodes.len(), "last good nodes kept");
    assert!(!snap.complete);
    assert!(
        snap.missing
            .iter()
            .any(|m| m.kind == MissingKind::Organization),
        "{:#?}",
        snap.missing
    );
    assert_eq!(snap.data_as_of(), first.data_as_of(), "ages not reset");
    sim.set_unreachable(false);
    let back = fleet.collect_once(None).await;
    assert!(only_unreadable_missing(&sim, &back), "{:#?}", back.missing);
}
