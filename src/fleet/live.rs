//! The live refresh service behind the console: cached snapshot first, then a refresh now,
//! then one every interval (counted from the end of the previous one), and on demand; a
//! new on-demand refresh cancels the one in flight (its partial data stays on screen, the
//! new refresh starts from it). Node loads and node refreshes run alongside.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::model::{FleetUpdate, NodeKey};

use super::Fleet;
use super::cache;
use super::refresh::{Refreshed, run_refresh};

enum Cmd {
    Refresh,
    LoadNode(NodeKey),
    RefreshNodes(Vec<NodeKey>),
}

/// Controls a live feed. Cheap to clone; dropping every handle stops the feed.
#[derive(Clone, Debug)]
pub struct FleetHandle {
    tx: UnboundedSender<Cmd>,
    stop: CancellationToken,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cmd::Refresh => write!(f, "Refresh"),
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
    use_cache: bool,
) -> (UnboundedReceiver<FleetUpdate>, FleetHandle) {
    let (out, rx) = unbounded_channel();
    let (tx, cmds) = unbounded_channel();
    let stop = CancellationToken::new();
    tokio::spawn(run(fleet, interval, use_cache, out, cmds, stop.clone()));
    (rx, FleetHandle { tx, stop })
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
    use_cache: bool,
    out: UnboundedSender<FleetUpdate>,
    mut cmds: UnboundedReceiver<Cmd>,
    stop: CancellationToken,
) {
    let cache_path = if use_cache {
        fleet.inner.scope.cache_file.clone()
    } else {
        None
    };
    if let Some(path) = &cache_path {
        let p = path.clone();
        if let Ok(Some(cached)) = tokio::task::spawn_blocking(move || cache::load(&p)).await {
            // the aggregates stored with it: the first frame needs no recomputation
            let snap = Arc::new(cached.snapshot);
            fleet.inner.set_last(snap.clone());
            let _ = out.send(FleetUpdate::Snapshot {
                snapshot: snap,
                aggregates: Arc::new(cached.aggregates),
            });
        }
    }

    let mut running: Option<Running> = Some(spawn_refresh(&fleet, &out, &stop));
    let mut next_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = out.closed() => break,
            cmd = cmds.recv() => match cmd {
                None => break,
                Some(Cmd::Refresh) => {
                    if let Some(r) = running.take() {
                        r.cancel.cancel();
                        // its partial results are already published; the new one starts from them
                        if let Ok(done) = r.task.await
                            && !done.snapshot.nodes.is_empty()
                        {
                            fleet.inner.set_last(done.snapshot);
                        }
                    }
                    running = Some(spawn_refresh(&fleet, &out, &stop));
                    next_at = None;
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
                    fleet.inner.set_last(done.snapshot.clone());
                    if let Some(path) = cache_path.clone() {
                        let (snap, agg) = (done.snapshot.clone(), done.aggregates.clone());
                        tokio::task::spawn_blocking(move || {
                            if let Err(e) = cache::save(&path, &snap, &agg) {
                                tracing::warn!(path = %path.display(), error = %e, "cannot write the snapshot cache");
                            }
                        });
                    }
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
