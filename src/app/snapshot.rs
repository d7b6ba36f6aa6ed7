//! `ssmdeck snapshot [--demo] [scope flags] --format json`: collect the whole fleet once and
//! print it as JSON on stdout. Exit codes: [`crate::fleet::command`].

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{ScopeArgs, SnapshotArgs, SnapshotFormat};
use crate::config::{Config, Paths};
use crate::fleet::command::{
    EXIT_COMPLETE, EXIT_PARTIAL, collected_anything, describe_missing, summary,
};
use crate::fleet::{Fleet, FleetError, Scope};

pub fn run(args: &SnapshotArgs, paths: &Paths) -> ExitCode {
    let config = match Config::load(args.scope.config.as_deref(), paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ssmdeck: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ssmdeck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let (_sim, scope) = match resolve_scope(&args.scope, &config, paths).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ssmdeck: {e}");
                return ExitCode::from(2);
            }
        };
        let fleet = match Fleet::connect(scope).await {
            Ok(f) => f,
            Err(e) => {
                eprintln!("ssmdeck: {e}");
                return ExitCode::FAILURE;
            }
        };
        let snap = fleet.collect_shared(None).await;
        let out = match args.format {
            SnapshotFormat::Json => serde_json::to_string_pretty(&snap),
        };
        let out = match out {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ssmdeck: cannot encode the snapshot: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, "{out}").and_then(|_| stdout.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("ssmdeck: cannot write the snapshot: {e}");
            }
            return ExitCode::FAILURE;
        }
        eprintln!("ssmdeck: {}", summary(&snap));
        if snap.complete {
            ExitCode::from(EXIT_COMPLETE)
        } else if collected_anything(&snap) {
            for line in describe_missing(&snap, 10) {
                eprintln!("ssmdeck: {line}");
            }
            ExitCode::from(EXIT_PARTIAL)
        } else {
            for e in snap.errors.iter().take(5) {
                eprintln!(
                    "ssmdeck: {} {} {}: {}: {}",
                    e.account_id.as_deref().unwrap_or("-"),
                    e.region.as_deref().unwrap_or("-"),
                    e.service,
                    e.code,
                    e.message
                );
            }
            ExitCode::FAILURE
        }
    })
}

/// The scope from flags + config, or the demo world (scope flags that make sense there —
/// accounts, regions, concurrency — still apply).
async fn resolve_scope(
    args: &ScopeArgs,
    config: &Config,
    paths: &Paths,
) -> Result<(Option<crate::sim::SimHandle>, Scope), FleetError> {
    if !args.demo {
        return Ok((None, Scope::from_args_with_paths(args, config, paths)?));
    }
    let (sim, mut scope) = super::demo::demo()
        .await
        .map_err(|e| FleetError::Other(format!("cannot start the demo simulator: {e:#}")))?;
    let flags = Scope::from_args_with_paths(args, &Config::default(), paths)?;
    if !flags.regions.is_empty() {
        scope.regions = flags.regions;
    }
    scope.account_filter = flags.account_filter;
    if let Some(c) = args.concurrency {
        scope.concurrency = c.max(1);
    }
    if let Some(r) = &args.role_name {
        scope.role_name = r.clone();
    }
    if args.no_cache {
        scope.cache_file = None;
    }
    Ok((Some(sim), scope))
}
