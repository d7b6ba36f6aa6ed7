//! The live data source: the fleet data layer (`crate::fleet`), connected in the background
//! so the first frame never waits on the network. The profile's cached snapshot is painted
//! before any network call; until the data layer is connected the console shows it (or
//! "connecting"). A failed connection is retried by itself with backoff (1 s doubling up
//! to 30 s; Ctrl-R retries at once) and the console recovers without a keypress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::context::{ContextChoice, ContextEvent};
use super::jobs::Services;
use super::runtime::Source;
use crate::cli::ConsoleArgs;
use crate::config::{Config, Paths};
use crate::fleet::{Fleet, FleetHandle, Scope};
use crate::model::{FleetUpdate, NodeKey};

struct Inner {
    /// The context this feed belongs to (0: the one the console started with); its patch
    /// index messages are tagged with it.
    epoch: u64,
    /// A connected fleet handed over by a context switch (used instead of connecting).
    ready: Mutex<Option<Fleet>>,
    /// The scope of a context switched to (instead of resolving the flags again).
    fixed: Option<Scope>,
    /// The demo world's scope, resolved once (every region of the simulator): a switch of
    /// region scope reuses the running world.
    demo_scope: Arc<Mutex<Option<Scope>>>,
    /// Fired when a switch replaced this context: a connection still retrying gives up.
    retired: tokio_util::sync::CancellationToken,
    args: ConsoleArgs,
    cfg: Config,
    paths: Paths,
    interval: Duration,
    tx: UnboundedSender<FleetUpdate>,
    handle: Arc<Mutex<Option<FleetHandle>>>,
    fleet: Arc<OnceLock<Fleet>>,
    connecting: AtomicBool,
    /// Wakes a connection retry waiting out its backoff (Ctrl-R).
    wake: tokio::sync::Notify,
    /// Starts the `--demo` world (the application layer's; it keeps the world running).
    demo: StartDemo,
    /// Where the patch index goes (`Msg::PatchIndex`), once the console asked for it.
    index_tx: Mutex<Option<UnboundedSender<crate::ui::action::Msg>>>,
}

/// Starts the `--demo` world and gives the scope to read it with. The application layer
/// supplies it (`crate::app::demo::console_world`) and keeps the world running while this
/// is held: the console only ever sees a scope.
pub type StartDemo = Arc<
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Scope, String>> + Send>>
        + Send
        + Sync,
>;

/// A [`Source`] over the fleet's live feed.
pub struct LiveSource {
    inner: Arc<Inner>,
    /// Contexts connected by `try_context`, waiting for `commit_context`.
    candidates: Arc<Mutex<std::collections::BTreeMap<u64, Fleet>>>,
    /// The mutation gate: the same for every context (read-only, audit log).
    gate: crate::actions::Gate,
}

impl LiveSource {
    /// Start connecting; updates arrive on the returned receiver.
    pub fn start(
        args: &ConsoleArgs,
        cfg: &Config,
        paths: &Paths,
        gate: crate::actions::Gate,
        demo: StartDemo,
    ) -> (UnboundedReceiver<FleetUpdate>, LiveSource, Services) {
        let (tx, rx) = unbounded_channel();
        let fleet = Arc::new(OnceLock::new());
        let secs = args.refresh.unwrap_or(cfg.refresh_interval_secs).max(1);
        let inner = Arc::new(Inner {
            epoch: 0,
            ready: Mutex::new(None),
            fixed: None,
            demo_scope: Arc::default(),
            retired: Default::default(),
            args: args.clone(),
            cfg: cfg.clone(),
            paths: paths.clone(),
            interval: Duration::from_secs(secs),
            tx,
            handle: Arc::new(Mutex::new(None)),
            fleet: fleet.clone(),
            connecting: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            demo,
            index_tx: Mutex::new(None),
        });
        let services = Services {
            fleet,
            ssm: None,
            gate: gate.clone(),
            refresher: Some(Arc::new(LazyRefresher(inner.handle.clone()))),
        };
        let src = LiveSource {
            inner,
            candidates: Arc::default(),
            gate,
        };
        src.connect();
        (rx, src, services)
    }

    fn connect(&self) {
        if self.inner.connecting.swap(true, Ordering::SeqCst) {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move {
            match connect(&inner).await {
                Ok(mut rx) => {
                    inner.connecting.store(false, Ordering::SeqCst);
                    while let Some(u) = rx.recv().await {
                        if inner.tx.send(u).is_err() {
                            break;
                        }
                    }
                }
                Err(e) => {
                    inner.connecting.store(false, Ordering::SeqCst);
                    let _ = inner.tx.send(FleetUpdate::Notice {
                        message: format!("{e} (ctrl-r retries)"),
                        is_error: true,
                    });
                }
            }
        });
    }

    fn handle(&self) -> Option<FleetHandle> {
        self.inner.handle.lock().ok().and_then(|h| h.clone())
    }
}

/// First pause between two connection attempts, and the longest.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

async fn connect(inner: &Inner) -> Result<UnboundedReceiver<FleetUpdate>, String> {
    // a context switch hands over the fleet it connected
    let ready = inner.ready.lock().ok().and_then(|mut r| r.take());
    let scope = match &ready {
        Some(f) => f.scope().clone(),
        None => resolve_scope(inner).await?,
    };
    // the profile's cache first, before any network call
    let cached = if inner.args.scope.no_cache {
        None
    } else {
        let s = scope.clone();
        tokio::task::spawn_blocking(move || crate::fleet::cache::load_for(&s))
            .await
            .ok()
            .flatten()
    };
    // a region scope narrowed by `:region`: the profile's cache (shared by every scope of
    // it) is shown without the regions now out of scope (the header lists them)
    let cached = cached.map(|c| match &inner.fixed {
        Some(_) => without_other_regions(c, &scope),
        None => c,
    });
    if let Some(c) = &cached {
        let _ = inner.tx.send(FleetUpdate::Snapshot {
            snapshot: Arc::new(c.snapshot.clone()),
            aggregates: Arc::new(c.aggregates.clone()),
        });
    }
    let mut pause = RETRY_FIRST;
    let fleet = loop {
        if let Some(f) = &ready {
            break f.clone();
        }
        if inner.retired.is_cancelled() {
            return Err("replaced by another context".into());
        }
        match Fleet::connect(scope.clone()).await {
            Ok(f) => break f,
            Err(e @ crate::fleet::FleetError::Config(_)) => return Err(e.to_string()),
            Err(e) => {
                let _ = inner.tx.send(FleetUpdate::Notice {
                    message: format!(
                        "{e} — retrying in {} s (ctrl-r retries now)",
                        pause.as_secs()
                    ),
                    is_error: true,
                });
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = inner.wake.notified() => {}
                    _ = inner.retired.cancelled() => {}
                }
                pause = (pause * 2).min(RETRY_MAX);
            }
        }
    };
    if pause > RETRY_FIRST {
        let _ = inner.tx.send(FleetUpdate::Notice {
            message: "connected".into(),
            is_error: false,
        });
    }
    if inner.retired.is_cancelled() {
        return Err("replaced by another context".into());
    }
    let (rx, handle) = if inner.args.scope.no_cache {
        fleet.start_live(inner.interval, false)
    } else {
        fleet.start_live_after_cache(inner.interval, cached)
    };
    let _ = inner.fleet.set(fleet);
    // under the handle's lock: `forward_patch_index` either sees the handle or left its
    // sender for us
    if let Ok(mut h) = inner.handle.lock() {
        if let Some(tx) = inner.index_tx.lock().ok().and_then(|t| t.clone()) {
            forward_index(handle.patch_index.clone(), tx, inner.epoch);
        }
        *h = Some(handle);
    }
    Ok(rx)
}

/// The cached picture of the profile, cut to the scope's regions (aggregates computed
/// again for what is left).
fn without_other_regions(
    mut c: crate::fleet::cache::Cached,
    scope: &Scope,
) -> crate::fleet::cache::Cached {
    let keep = |r: &str| scope.regions.iter().any(|x| x == r);
    if scope.regions.is_empty() || c.snapshot.regions.iter().all(|r| keep(r)) {
        return c;
    }
    let s = &mut c.snapshot;
    s.nodes.retain(|n| keep(&n.region));
    s.certificates.retain(|x| keep(&x.region));
    s.commands.retain(|x| keep(&x.region));
    s.sources.retain(|x| keep(&x.region));
    s.errors.retain(|e| e.region.as_deref().is_none_or(keep));
    s.regions.retain(|r| keep(r));
    c.aggregates = crate::model::Aggregates::compute(
        &c.snapshot,
        &scope.aggregate_config(),
        chrono::Utc::now(),
    );
    c
}

/// Send the indexer's state to the console on every change of its progress (a pass
/// reports every 200 ms at most; the index itself is an `Arc`, cheap to send), until the
/// console or the indexer goes.
fn forward_index(
    indexer: crate::fleet::patch_index::PatchIndexer,
    tx: UnboundedSender<crate::ui::action::Msg>,
    epoch: u64,
) {
    use crate::ui::action::Msg;
    tokio::spawn(async move {
        let mut progress = indexer.progress();
        loop {
            let p = *progress.borrow_and_update();
            let feed = crate::ui::data::PatchIndexFeed::new(indexer.index(), p);
            let msg = Msg::OfContext(epoch, Box::new(Msg::PatchIndex(feed)));
            if tx.send(msg).is_err() {
                break;
            }
            if progress.changed().await.is_err() {
                break;
            }
        }
    });
}

/// The scope from the flags and config, or the demo world's (no network).
async fn resolve_scope(inner: &Inner) -> Result<Scope, String> {
    if let Some(s) = &inner.fixed {
        return Ok(s.clone());
    }
    Ok(if inner.args.scope.demo {
        let known = inner.demo_scope.lock().ok().and_then(|s| s.clone());
        if let Some(s) = known {
            return Ok(s);
        }
        let mut scope = (inner.demo)().await?;
        if inner.args.scope.no_cache {
            scope.cache_file = None;
        }
        if let Ok(mut s) = inner.demo_scope.lock() {
            *s = Some(scope.clone());
        }
        scope
    } else {
        Scope::from_args_with_paths(&inner.args.scope, &inner.cfg, &inner.paths)
            .map_err(|e| e.to_string())?
    })
}

impl Source for LiveSource {
    fn refresh(&self) {
        match self.handle() {
            Some(h) => h.refresh(),
            None if self.inner.connecting.load(Ordering::SeqCst) => {
                // waiting out a backoff: try again now
                self.inner.wake.notify_one();
            }
            None => self.connect(),
        }
    }
    fn load_node(&self, key: NodeKey) {
        match self.handle() {
            Some(h) => h.load_node(key),
            None => {
                let _ = self.inner.tx.send(FleetUpdate::NodePatches {
                    key,
                    result: Err("not connected yet".into()),
                });
            }
        }
    }
    fn stop(&self) {
        if let Some(h) = self.handle() {
            h.stop();
        }
    }
    fn refresh_schedules(&self) {
        if let Some(h) = self.handle() {
            h.refresh_schedules();
        }
    }
    fn forward_patch_index(&self, tx: UnboundedSender<crate::ui::action::Msg>) {
        // connected already: forward now; else `connect` does once it is (the sender is
        // kept for the contexts switched to later)
        let guard = self.inner.handle.lock();
        if let Some(h) = guard.as_ref().ok().and_then(|h| (*h).clone()) {
            forward_index(h.patch_index.clone(), tx.clone(), self.inner.epoch);
        }
        if let Ok(mut t) = self.inner.index_tx.lock() {
            *t = Some(tx);
        }
    }

    fn try_context(
        &mut self,
        id: u64,
        choice: ContextChoice,
        tx: UnboundedSender<crate::ui::action::Msg>,
    ) {
        let inner = self.inner.clone();
        let candidates = self.candidates.clone();
        tokio::spawn(async move {
            let connected = async {
                let scope = candidate_scope(&inner, &choice).await?;
                Fleet::connect(scope).await.map_err(|e| e.to_string())
            }
            .await;
            let event = match connected {
                Ok(fleet) => {
                    let ready = ContextEvent::Ready {
                        id,
                        profile: fleet.scope().profile.clone(),
                        regions: fleet.regions().to_vec(),
                    };
                    if let Ok(mut c) = candidates.lock() {
                        c.insert(id, fleet);
                    }
                    ready
                }
                Err(message) => ContextEvent::Failed { id, message },
            };
            let _ = tx.send(crate::ui::action::Msg::Context(event));
        });
    }

    fn commit_context(&mut self, id: u64) -> Option<(UnboundedReceiver<FleetUpdate>, Services)> {
        let fleet = {
            let mut c = self.candidates.lock().ok()?;
            let f = c.remove(&id)?;
            // older attempts are superseded
            c.retain(|k, _| *k > id);
            f
        };
        // the old context stops: its refresh in flight is cancelled, a connection still
        // retrying gives up, its feed's receiver goes with the runtime's old one
        self.stop();
        self.inner.retired.cancel();
        let old = &self.inner;
        let (tx, rx) = unbounded_channel();
        let index_tx = old.index_tx.lock().ok().and_then(|t| t.clone());
        let inner = Arc::new(Inner {
            epoch: id,
            fixed: Some(fleet.scope().clone()),
            ready: Mutex::new(Some(fleet)),
            demo_scope: old.demo_scope.clone(),
            retired: Default::default(),
            args: old.args.clone(),
            cfg: old.cfg.clone(),
            paths: old.paths.clone(),
            interval: old.interval,
            tx,
            handle: Arc::new(Mutex::new(None)),
            fleet: Arc::new(OnceLock::new()),
            connecting: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            demo: old.demo.clone(),
            index_tx: Mutex::new(index_tx),
        });
        let services = Services {
            fleet: inner.fleet.clone(),
            ssm: None,
            gate: self.gate.clone(),
            refresher: Some(Arc::new(LazyRefresher(inner.handle.clone()))),
        };
        self.inner = inner;
        self.connect();
        Some((rx, services))
    }
}

/// The scope of a context to try: the startup flags with another profile and / or
/// regions (a named profile must exist, as at startup: else the credential chain would
/// quietly fall back to other credentials). In `--demo`: the running world's scope with
/// fewer regions (the simulator's only; nothing leaves loopback).
async fn candidate_scope(inner: &Inner, choice: &ContextChoice) -> Result<Scope, String> {
    if inner.args.scope.demo {
        if let Some(p) = choice.profile.as_deref()
            && p != crate::ui::views::ctx::DEMO_PROFILE
        {
            return Err(format!(
                "--demo reads the built-in simulator only, not profile `{p}`: start ssmdeck                  without --demo to use your AWS profiles"
            ));
        }
        // the demo world's every region (not a narrowed scope of a previous switch)
        let world = {
            let known = inner.demo_scope.lock().ok().and_then(|s| s.clone());
            match known {
                Some(s) => s,
                None => resolve_scope(inner).await?,
            }
        };
        let mut scope = world.clone();
        if let Some(r) = &choice.regions {
            if let Some(x) = r.iter().find(|x| !world.regions.contains(x)) {
                return Err(format!(
                    "the demo world has no region {x} (its regions: {})",
                    world.regions.join(", ")
                ));
            }
            scope.regions = r.clone();
        }
        return Ok(scope);
    }
    let mut flags = crate::fleet::scope::ScopeFlags::from(&inner.args.scope);
    flags.profile = choice.profile.clone();
    if let Some(r) = &choice.regions {
        flags.regions = r.clone();
    }
    if let Some(p) = flags.profile.as_deref()
        && p != "default"
    {
        let (config, credentials) = crate::config::aws_profiles::files();
        if !crate::config::aws_profiles::known(&config, &credentials).contains(p) {
            return Err(format!(
                "profile `{p}` is not in {} or {}",
                config.display(),
                credentials.display()
            ));
        }
    }
    Scope::from_args_with_paths(flags, &inner.cfg, &inner.paths).map_err(|e| e.to_string())
}

/// Re-reads nodes through the live feed once it exists.
struct LazyRefresher(Arc<Mutex<Option<FleetHandle>>>);

impl crate::actions::NodeRefresher for LazyRefresher {
    fn refresh_nodes(&self, keys: Vec<NodeKey>) {
        if let Some(h) = self.0.lock().ok().and_then(|h| h.clone()) {
            h.refresh_nodes(keys);
        }
    }
}
