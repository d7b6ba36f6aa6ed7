//! The live refresh service behind the console: cached snapshot first, then a refresh now,
//! then one every interval (counted from the end of the previous one), and on demand; a
//! new on-demand refresh cancels the one in flight (its partial data stays on screen, the
//! new refresh starts from it). Node loads and node refreshes run alongside.
//!
//! It heals by itself: a refresh that hit transient failures (throttling, 5xx, timeouts,
//! AWS unreachable) is retried after `Scope::heal_after`, doubling up to the interval,
//! without a keypress. The cache on disk is replaced only by a snapshot that loses nothing
//! it shows ([`cache::may_replace`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::model::{FleetSnapshot, FleetUpdate, NodeKey};

use super::Fleet;
use super::cache;
use super::error::is_transient_code;
use super::refresh::{Refreshed, run_refresh};

/// Where the feed's first picture comes from.
pub(crate) enum CacheMode {
    /// No cache: neither read nor written.
    Off,
    /// Read the scope's cache file first, then write it.
    Load,
    /// Already read (and shown) by the caller: use it as the base, then write the file.
    Loaded(Option<Box<cache::Cached>>),
}

enum Cmd {
    Refresh,
    RefreshSchedules,
    LoadNode(NodeKey),
    RefreshNodes(Vec<NodeKey>),
}

/// Controls a live feed. Cheap to clone; dropping every handle stops the feed.
#[derive(Clone, Debug)]
pub struct FleetHandle {
    tx: UnboundedSender<Cmd>,
    stop: CancellationToken,
    /// The patch index, filled after every finished refresh.
    pub patch_index: super::patch_index::PatchIndexer,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cmd::Refresh => write!(f, "Refresh"),
            Cmd::RefreshSchedules => write!(f, "RefreshSchedules"),
            Cmd::LoadNode(k) => write!(f, "LoadNode({})", k.instance_id),
            Cmd::RefreshNodes(k) => write!(f, "RefreshNodes({})", k.len()),
        }
    }
}

impl FleetHandle {
    /// Refresh everything now (cancels a refresh in flight).
    pub fn refresh(&self) {
        let _ = self.tx.send(Cmd::Refresh);
    }

    /// Re-read patch schedules (windows, baselines, associations) now; a snapshot follows.
    pub fn refresh_schedules(&self) {
        let _ = self.tx.send(Cmd::RefreshSchedules);
    }

    /// Load one node's patches, inventory and recent invocations; the answers arrive as
    /// `FleetUpdate::NodePatches`, `NodeInventory` and `NodeCommands`.
    pub fn load_node(&self, key: NodeKey) {
        let _ = self.tx.send(Cmd::LoadNode(key));
    }

    /// Re-read these nodes' patch state (after a patch run); a new snapshot follows.
    pub fn refresh_nodes(&self, keys: Vec<NodeKey>) {
        if !keys.is_empty() {
            let _ = self.tx.send(Cmd::RefreshNodes(keys));
        }
    }

    /// Stop the feed (and any refresh in flight).
    pub fn stop(&self) {
        self.stop.cancel();
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled() || self.tx.is_closed()
    }
}

pub(crate) fn start(
    fleet: Fleet,
    interval: Duration,
    cache: CacheMode,
) -> (UnboundedReceiver<FleetUpdate>, FleetHandle) {
    let (out, rx) = unbounded_channel();
    let (tx, cmds) = unbounded_channel();
    let stop = CancellationToken::new();
    let index_file = match cache {
        CacheMode::Off => None,
        _ => fleet.patch_index_file(),
    };
    let patch_index = super::patch_index::PatchIndexer::new(index_file);
    tokio::spawn(run(
        fleet,
        interval,
        cache,
        out,
        cmds,
        stop.clone(),
        patch_index.clone(),
    ));
    (
        rx,
        FleetHandle {
            tx,
            stop,
            patch_index,
        },
    )
}

/// When to refresh next after a finished one: the interval, or sooner (with backoff) when
/// it hit transient failures. `streak` counts such refreshes in a row.
pub fn next_delay(
    snap: &FleetSnapshot,
    interval: Duration,
    heal: Duration,
    streak: &mut u32,
) -> Duration {
    let transient = snap.errors.iter().any(|e| is_transient_code(&e.code));
    if snap.complete || !transient {
        *streak = 0;
        return interval;
    }
    let d = heal.saturating_mul(1u32 << (*streak).min(16)).min(interval);
    *streak += 1;
    d
}

struct Running {
    cancel: CancellationToken,
    task: JoinHandle<Refreshed>,
}

fn spawn_refresh(
    fleet: &Fleet,
    out: &UnboundedSender<FleetUpdate>,
    stop: &CancellationToken,
) -> Running {
    let cancel = stop.child_token();
    let inner = fleet.inner.clone();
    let (out, c) = (out.clone(), cancel.clone());
    let task = tokio::spawn(async move { run_refresh(&inner, Some(out), c).await });
    Running { cancel, task }
}

async fn run(
    fleet: Fleet,
    interval: Duration,
    cache: CacheMode,
    out: UnboundedSender<FleetUpdate>,
    mut cmds: UnboundedReceiver<Cmd>,
    stop: CancellationToken,
    indexer: super::patch_index::PatchIndexer,
) {
    // the patch index from disk first: the first pass then reads only what changed
    indexer.load().await;
    let cache_path = match cache {
        CacheMode::Off => None,
        _ => fleet.inner.scope.cache_file.clone(),
    };
    // what the file on disk shows: a partial snapshot never replaces more than it has
    let mut on_disk: Option<Arc<FleetSnapshot>> = None;
    match cache {
        CacheMode::Load => {
            if let Some(path) = &cache_path {
                let p = path.clone();
                if let Ok(Some(cached)) = tokio::task::spawn_blocking(move || cache::load(&p)).await
                {
                    // the aggregates stored with it: the first frame needs no recomputation
                    let snap = Arc::new(cached.snapshot);
                    fleet.inner.set_last(snap.clone());
                    on_disk = Some(snap.clone());
                    let _ = out.send(FleetUpdate::Snapshot {
                        snapshot: snap,
                        aggregates: Arc::new(cached.aggregates),
                    });
                }
            }
        }
        CacheMode::Loaded(Some(cached)) => {
            // already on screen: the base of the first refresh
            let snap = Arc::new(cached.snapshot);
            fleet.inner.set_last(snap.clone());
            on_disk = Some(snap);
        }
        CacheMode::Loaded(None) | CacheMode::Off => {}
    }

    let scope = fleet.inner.scope.clone();
    let mut streak = 0u32;
    let mut running: Option<Running> = Some(spawn_refresh(&fleet, &out, &stop));
    let mut next_at: Option<tokio::time::Instant> = None;
    // patch schedules: their own cadence (SCHEDULES_EVERY), after a refresh, one at a time
    let mut schedules_task: Option<JoinHandle<()>> = None;
    // node tags: a background pass on the schedules' cadence, never holding them back; one
    // at a time (one asked for by hand while one runs follows it: new nodes are read then)
    let mut tags_task: Option<JoinHandle<()>> = None;
    let mut tags_again = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = out.closed() => break,
            cmd = cmds.recv() => match cmd {
                None => break,
                Some(Cmd::Refresh) => {
                    if let Some(r) = running.take() {
                        r.cancel.cancel();
                        match r.task.await {
                            // it had finished already: kept (and cached) like any other
                            Ok(done) if !done.cancelled => {
                                keep(&fleet, &done, cache_path.as_ref(), &mut on_disk);
                                indexer.after_refresh(&fleet, done.snapshot.clone());
                            }
                            // its partial results are already published; the new one starts from them
                            Ok(done) if !done.snapshot.nodes.is_empty() => {
                                fleet.inner.set_last(done.snapshot);
                            }
                            _ => {}
                        }
                    }
                    running = Some(spawn_refresh(&fleet, &out, &stop));
                    next_at = None;
                }
                Some(Cmd::RefreshSchedules) => {
                    if schedules_task.as_ref().is_none_or(|t| t.is_finished()) {
                        schedules_task = Some(spawn_schedules(&fleet, &out));
                    }
                    want_tags(&fleet, &out, &mut tags_task, &mut tags_again);
                }
                Some(Cmd::LoadNode(key)) => {
                    spawn_node_load(&fleet, &out, key);
                }
                Some(Cmd::RefreshNodes(keys)) => {
                    let (fleet, out) = (fleet.clone(), out.clone());
                    tokio::spawn(async move {
                        match fleet.refresh_nodes(&keys).await {
                            Ok(Some((snapshot, aggregates))) => {
                                let _ = out.send(FleetUpdate::Snapshot { snapshot, aggregates });
                            }
                            Ok(None) => {}
                            Err(e) => {
                                let _ = out.send(FleetUpdate::Notice {
                                    message: format!("could not refresh {} node(s): {e}", keys.len()),
                                    is_error: true,
                                });
                            }
                        }
                    });
                }
            },
            done = async { (&mut running.as_mut().expect("guarded").task).await }, if running.is_some() => {
                running = None;
                next_at = Some(tokio::time::Instant::now() + interval);
                if let Ok(done) = done
                    && !done.cancelled
                {
                    keep(&fleet, &done, cache_path.as_ref(), &mut on_disk);
                    indexer.after_refresh(&fleet, done.snapshot.clone());
                    let snap = &done.snapshot;
                    if schedules_due(snap) && schedules_task.as_ref().is_none_or(|t| t.is_finished()) {
                        schedules_task = Some(spawn_schedules(&fleet, &out));
                    }
                    if tags_due(snap) && tags_task.as_ref().is_none_or(|t| t.is_finished()) {
                        tags_task = Some(spawn_tags(&fleet, &out));
                    }
                    let delay = next_delay(snap, interval, scope.heal_after, &mut streak);
                    next_at = Some(tokio::time::Instant::now() + delay);
                    if delay < interval {
                        tracing::info!(?delay, errors = snap.errors.len(), "partial refresh: retrying sooner");
                        let n = snap.missing.len();
                        let first = snap.missing.first().map(|m| m.describe()).unwrap_or_default();
                        let _ = out.send(FleetUpdate::Notice {
                            message: format!(
                                "partial refresh: {n} part(s) not read, last good data kept ({first}); retrying in {} s",
                                delay.as_secs().max(1)
                            ),
                            is_error: true,
                        });
                    }
                }
            }
            _ = async { (&mut tags_task.as_mut().expect("guarded")).await }, if tags_task.is_some() => {
                tags_task = None;
                if std::mem::take(&mut tags_again) {
                    tags_task = Some(spawn_tags(&fleet, &out));
                }
            }
            _ = sleep_until_opt(next_at), if next_at.is_some() && running.is_none() => {
                next_at = None;
                running = Some(spawn_refresh(&fleet, &out, &stop));
            }
        }
    }
    if let Some(r) = running {
        r.cancel.cancel();
        r.task.abort();
    }
    if let Some(t) = schedules_task {
        t.abort();
    }
    if let Some(t) = tags_task {
        t.abort();
    }
}

/// Patch schedules never read, or read longer ago than their cadence.
fn schedules_due(snap: &FleetSnapshot) -> bool {
    let every = chrono::Duration::from_std(super::schedules::SCHEDULES_EVERY)
        .unwrap_or(chrono::Duration::hours(1));
    snap.schedules
        .fetched_at
        .is_none_or(|t| chrono::Utc::now() - t >= every)
}

/// A node-tag pass never run, or run longer ago than the schedules' cadence (what it reads
/// is the pass's own choice: `NodeTags::plan`).
fn tags_due(snap: &FleetSnapshot) -> bool {
    let every = chrono::Duration::from_std(super::schedules::SCHEDULES_EVERY)
        .unwrap_or(chrono::Duration::hours(1));
    snap.schedules
        .tags
        .fetched_at
        .is_none_or(|t| chrono::Utc::now() - t >= every)
}

/// Read patch schedules, then publish the last snapshot carrying them.
fn spawn_schedules(fleet: &Fleet, out: &UnboundedSender<FleetUpdate>) -> JoinHandle<()> {
    let (fleet, out) = (fleet.clone(), out.clone());
    tokio::spawn(async move {
        fleet.read_schedules(None).await;
        publish_last(&fleet, &out);
    })
}

/// Run a tag pass now, or right after the one in flight.
fn want_tags(
    fleet: &Fleet,
    out: &UnboundedSender<FleetUpdate>,
    task: &mut Option<JoinHandle<()>>,
    again: &mut bool,
) {
    if task.as_ref().is_none_or(|t| t.is_finished()) {
        *task = Some(spawn_tags(fleet, out));
    } else {
        *again = true;
    }
}

/// A node-tag pass (`fleet::tags`), then publish the last snapshot carrying its tags.
fn spawn_tags(fleet: &Fleet, out: &UnboundedSender<FleetUpdate>) -> JoinHandle<()> {
    let (fleet, out) = (fleet.clone(), out.clone());
    tokio::spawn(async move {
        let pass = fleet.refresh_tags(None).await;
        tracing::info!(
            read = pass.plan.read.len(),
            new = pass.plan.new,
            deferred = pass.plan.deferred,
            errors = pass.tags.errors.len(),
            "node tags read"
        );
        publish_last(&fleet, &out);
    })
}

/// Publish the last snapshot (after the schedules or tags it carries changed).
fn publish_last(fleet: &Fleet, out: &UnboundedSender<FleetUpdate>) {
    if let Some(snapshot) = fleet.last_snapshot() {
        let cfg = fleet.inner.scope.aggregate_config();
        let aggregates = Arc::new(crate::model::Aggregates::compute(
            &snapshot,
            &cfg,
            chrono::Utc::now(),
        ));
        let _ = out.send(FleetUpdate::Snapshot {
            snapshot,
            aggregates,
        });
    }
}

/// A finished refresh: the base of the next one, and written to the cache unless it would
/// replace a fuller picture there.
fn keep(
    fleet: &Fleet,
    done: &Refreshed,
    cache_path: Option<&std::path::PathBuf>,
    on_disk: &mut Option<Arc<FleetSnapshot>>,
) {
    let snap = done.snapshot.clone();
    fleet.inner.set_last(snap.clone());
    let Some(path) = cache_path.cloned() else {
        return;
    };
    if !cache::may_replace(&snap, on_disk.as_deref()) {
        tracing::info!("partial refresh: the fuller cached snapshot is kept on disk");
        return;
    }
    *on_disk = Some(snap.clone());
    let agg = done.aggregates.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = cache::save(&path, &snap, &agg) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write the snapshot cache");
        }
    });
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

fn spawn_node_load(fleet: &Fleet, out: &UnboundedSender<FleetUpdate>, key: NodeKey) {
    let (f, o, k) = (fleet.clone(), out.clone(), key.clone());
    tokio::spawn(async move {
        let result = f.node_patches(&k).await.map_err(|e| e.to_string());
        let _ = o.send(FleetUpdate::NodePatches { key: k, result });
    });
    let (f, o, k) = (fleet.clone(), out.clone(), key.clone());
    tokio::spawn(async move {
        let result = f.node_inventory(&k).await.map_err(|e| e.to_string());
        let _ = o.send(FleetUpdate::NodeInventory { key: k, result });
    });
    let (f, o, k) = (fleet.clone(), out.clone(), key);
    tokio::spawn(async move {
        let result = f.node_commands(&k).await.map_err(|e| e.to_string());
        let _ = o.send(FleetUpdate::NodeCommands { key: k, result });
    });
}
