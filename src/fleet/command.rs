//! `ssmdeck snapshot [--demo] [scope flags] --format json`: collect the whole fleet once and
//! print it as JSON on stdout. Exit [`EXIT_COMPLETE`] when everything was read,
//! [`EXIT_PARTIAL`] when some part could not be (`complete: false`, `missing` and `errors`
//! say what and why; stderr names the first gaps), 1 when nothing could be, 2 for bad flags
//! or config.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{ScopeArgs, SnapshotArgs, SnapshotFormat};
use crate::config::{Config, Paths};
use crate::model::FleetSnapshot;

use super::{Fleet, FleetError, Scope};

/// Everything was read.
pub const EXIT_COMPLETE: u8 = 0;
/// Something was collected, but not everything: the snapshot is partial.
pub const EXIT_PARTIAL: u8 = 3;

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
    let (sim, mut scope) = super::demo()
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

/// At least one source (account × region × service) answered.
pub fn collected_anything(s: &FleetSnapshot) -> bool {
    s.sources.iter().any(|s| s.ok)
}

/// The first `max` gaps of a partial snapshot, one line each, then "…and N more".
pub fn describe_missing(s: &FleetSnapshot, max: usize) -> Vec<String> {
    let mut out = vec![format!(
        "partial: {} part(s) could not be read (`missing` and `errors` in the JSON):",
        s.missing.len()
    )];
    out.extend(
        s.missing
            .iter()
            .take(max)
            .map(|m| format!("  {}", crate::text::sanitize(&describe_one(s, m)))),
    );
    if s.missing.len() > max {
        out.push(format!("  …and {} more", s.missing.len() - max));
    }
    out
}

/// One gap for people, with the account's name when the organization tree knows it and the
/// failed call when it is not implied by the kind ("account platform-invited (355081211714),
/// sts AssumeRole: AccessDenied; nothing to show").
fn describe_one(s: &FleetSnapshot, m: &crate::model::Missing) -> String {
    let line = m.describe();
    let Some(id) = m.account_id.as_deref() else {
        return line;
    };
    let name = s.account_name(id);
    let mut out = if name != id && m.kind == crate::model::MissingKind::Account {
        line.replacen(
            &format!("account {id}"),
            &format!("account {name} ({id})"),
            1,
        )
    } else if name != id {
        format!("{line} [{name}]")
    } else {
        line
    };
    if m.kind == crate::model::MissingKind::Account
        && let (Some(svc), Some(op)) = (&m.service, &m.operation)
        && let Some(i) = out.find(": ")
    {
        out.insert_str(i, &format!(", {svc} {op}"));
    }
    out
}

/// One line for stderr.
pub fn summary(s: &FleetSnapshot) -> String {
    let accounts: std::collections::BTreeSet<&str> = s
        .sources
        .iter()
        .filter(|x| x.ok)
        .map(|x| x.account_id.as_str())
        .collect();
    format!(
        "collected {} nodes and {} certificates from {} account(s) in {} region(s); {} error(s); {}",
        s.nodes.len(),
        s.certificates.len(),
        accounts.len(),
        s.regions.len(),
        s.errors.len(),
        if s.complete { "complete" } else { "PARTIAL" }
    )
}
