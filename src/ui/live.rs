//! The live data source: the fleet data layer (`crate::fleet`), connected in the background
//! so the first frame never waits on the network. Until it is connected the console shows
//! "connecting"; a failure arrives as an error notice (Ctrl-R retries).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::runtime::{Services, Source};
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
    /// The in-process simulator of `--demo` (stops when dropped).
    sim: Mutex<Option<crate::sim::SimHandle>>,
}

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
            sim: Mutex::new(None),
        });
        let services = Services {
            readonly: gate.is_readonly(),
            fleet: fleet.clone(),
            gate,
            clients: Some(crate::actions::SharedClients::new(LazyFleet(fleet))),
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

async fn connect(inner: &Inner) -> Result<UnboundedReceiver<FleetUpdate>, String> {
    let scope = if inner.args.scope.demo {
        let (sim, mut scope) = crate::fleet::demo()
            .await
            .map_err(|e| format!("cannot start the demo simulator: {e}"))?;
        if inner.args.scope.no_cache {
            scope.cache_file = None;
        }
        if let Ok(mut s) = inner.sim.lock() {
            *s = Some(sim);
        }
        scope
    } else {
        Scope::from_args_with_paths(&inner.args.scope, &inner.cfg, &inner.paths)
            .map_err(|e| e.to_string())?
    };
    let fleet = Fleet::connect(scope).await.map_err(|e| e.to_string())?;
    let (rx, handle) = fleet.start_live(inner.interval, !inner.args.scope.no_cache);
    let _ = inner.fleet.set(fleet);
    if let Ok(mut h) = inner.handle.lock() {
        *h = Some(handle);
    }
    Ok(rx)
}

impl Source for LiveSource {
    fn refresh(&self) {
        match self.handle() {
            Some(h) => h.refresh(),
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
    fn refresh_nodes(&self, keys: Vec<NodeKey>) {
        if let Some(h) = self.handle() {
            h.refresh_nodes(keys);
        }
    }
    fn stop(&self) {
        if let Some(h) = self.handle() {
            h.stop();
        }
    }
}

/// The actions' client source before and after the fleet is connected.
struct LazyFleet(Arc<OnceLock<Fleet>>);

const NOT_CONNECTED: &str = "not connected to the fleet yet";

impl crate::actions::SsmClients for LazyFleet {
    async fn ssm_client(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<aws_sdk_ssm::Client, String> {
        match self.0.get() {
            Some(f) => crate::actions::SsmClients::ssm_client(f, account_id, region).await,
            None => Err(NOT_CONNECTED.into()),
        }
    }

    async fn credentials_env(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<Vec<(String, String)>, String> {
        match self.0.get() {
            Some(f) => crate::actions::SsmClients::credentials_env(f, account_id, region).await,
            None => Err(NOT_CONNECTED.into()),
        }
    }

    fn endpoint_url(&self) -> Option<String> {
        self.0.get().and_then(|f| f.scope().endpoint_url.clone())
    }

    fn caller(&self) -> Option<String> {
        self.0.get().and_then(crate::actions::SsmClients::caller)
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
