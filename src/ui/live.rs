//! The live data source: the fleet data layer (`crate::fleet`), connected in the background
//! so the first frame never waits on the network. The profile's cached snapshot is painted
//! before any network call; until the data layer is connected the console shows it (or
//! "connecting"). A failed connection is retried by itself with backoff (1 s doubling up
//! to 30 s; Ctrl-R retries at once) and the console recovers without a keypress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::jobs::Services;
use super::runtime::Source;
use crate::cli::ConsoleArgs;
use crate::config::{Config, Paths};
use crate::fleet::{Fleet, FleetHandle, Scope};
use crate::model::{FleetUpdate, NodeKey};

struct Inner {
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
            gate,
            refresher: Some(Arc::new(LazyRefresher(inner.handle.clone()))),
        };
        let src = LiveSource { inner };
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
    let scope = resolve_scope(inner).await?;
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
    if let Some(c) = &cached {
        let _ = inner.tx.send(FleetUpdate::Snapshot {
            snapshot: Arc::new(c.snapshot.clone()),
            aggregates: Arc::new(c.aggregates.clone()),
        });
    }
    let mut pause = RETRY_FIRST;
    let fleet = loop {
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
            forward_index(handle.patch_index.clone(), tx);
        }
        *h = Some(handle);
    }
    Ok(rx)
}

/// Send the indexer's state to the console on every change of its progress (a pass
/// reports every 200 ms at most; the index itself is an `Arc`, cheap to send), until the
/// console or the indexer goes.
fn forward_index(
    indexer: crate::fleet::patch_index::PatchIndexer,
    tx: UnboundedSender<crate::ui::action::Msg>,
) {
    tokio::spawn(async move {
        let mut progress = indexer.progress();
        loop {
            let p = *progress.borrow_and_update();
            let feed = crate::ui::data::PatchIndexFeed::new(indexer.index(), p);
            if tx.send(crate::ui::action::Msg::PatchIndex(feed)).is_err() {
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
    Ok(if inner.args.scope.demo {
        let mut scope = (inner.demo)().await?;
        if inner.args.scope.no_cache {
            scope.cache_file = None;
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
        // connected already: forward now; else `connect` does once it is
        let guard = self.inner.handle.lock();
        match guard.as_ref().ok().and_then(|h| (*h).clone()) {
            Some(h) => forward_index(h.patch_index.clone(), tx),
            None => {
                if let Ok(mut t) = self.inner.index_tx.lock() {
                    *t = Some(tx);
                }
            }
        }
    }
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
