//! `--demo`: an in-process simulator (`SimConfig::demo()`) on loopback and a scope pointing
//! at it — static dummy credentials, the simulator's regions, no reliance on ~/.aws. The
//! same SDK code path as against AWS: the data layer only ever sees the [`Scope`].

use std::sync::{Arc, Mutex};

use crate::config::Paths;
use crate::fleet::{Scope, StaticCredentials};
use crate::sim::{self, SimConfig, SimHandle};

/// Start the demo world and return it with a scope for it. Keep the handle alive as long
/// as the scope is used (the simulator stops when it is dropped).
pub async fn demo() -> anyhow::Result<(SimHandle, Scope)> {
    demo_with(SimConfig::demo()).await
}

/// Like [`demo`], with another world.
pub async fn demo_with(cfg: SimConfig) -> anyhow::Result<(SimHandle, Scope)> {
    let regions = cfg.regions.clone();
    let handle = sim::start(cfg).await?;
    let scope = sim_scope(&handle.url, regions);
    Ok((handle, scope))
}

/// A scope for a simulator at `url` (also what the tests and the benchmark use).
pub fn sim_scope(url: &str, regions: Vec<String>) -> Scope {
    let mut scope = Scope {
        endpoint_url: Some(url.to_string()),
        regions,
        demo: true,
        static_credentials: Some(StaticCredentials {
            access_key_id: "AKIASSMDECKDEMO00001".into(),
            secret_access_key: "ssmdeck-demo-secret".into(),
            session_token: None,
        }),
        // the simulator answers fast: short timeouts surface a stuck call quickly
        call_timeout: std::time::Duration::from_secs(10),
        ..Scope::default()
    };
    scope.cache_file = Some(Paths::resolve().snapshot_cache(&scope.cache_key()));
    scope
}

/// The console's `--demo` world: started (in the background, on each connection attempt)
/// when the console asks for its scope, and kept running as long as the console holds the
/// starter. The console sees only the scope.
pub fn console_world() -> crate::ui::live::StartDemo {
    let world: Arc<Mutex<Option<SimHandle>>> = Arc::default();
    Arc::new(move || {
        let world = world.clone();
        Box::pin(async move {
            let (sim, scope) = demo()
                .await
                .map_err(|e| format!("cannot start the demo simulator: {e}"))?;
            *world.lock().unwrap_or_else(|e| e.into_inner()) = Some(sim);
            Ok(scope)
        })
    })
}
