//! Collecting what a report needs through the data layer (`crate::fleet`): one snapshot,
//! plus every node's patch list for the patches report, spilled to disk as each arrives
//! ([`super::patch_store`]) so memory stays bounded whatever the fleet size.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use futures::StreamExt;

use crate::cli::ReportArgs;
use crate::config::{Config, Paths};
use crate::fleet::{Fleet, Scope};
use crate::model::{Node, NodeKey};

use super::ReportKind;
use super::headless::{Collected, load_config, preflight, produce};
use super::patch_store::{PatchStore, Spiller};
use super::policy::EXIT_ERROR;

/// At most this many patch lists fetched at once (also bounded by the scope's concurrency
/// and the data layer's rate limits).
const PATCH_FETCH_PARALLELISM: usize = 64;

/// `ssmdeck report ...`: the whole command. Exit codes in [`super::policy`].
pub fn run(args: ReportArgs, paths: &Paths) -> ExitCode {
    let mut stderr = std::io::stderr();
    let fail = |msg: String| {
        eprintln!("ssmdeck report: {msg}");
        ExitCode::from(EXIT_ERROR)
    };
    let config = match load_config(args.scope.config.as_deref(), paths) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let previous = match preflight(&args) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    // `report cve` refuses a malformed id before collecting anything
    let queries = if ReportKind::from(args.kind) == ReportKind::Cve {
        match super::questions::parse_ids(&args.ids) {
            Ok(q) => q,
            Err(e) => return fail(e.to_string()),
        }
    } else {
        Vec::new()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let collected = runtime.block_on(async {
        // Keep the demo simulator alive until collection is over.
        let (_sim, scope) = if args.scope.demo {
            // Validate the scope flags as for AWS, then apply the ones that make sense.
            let flags = Scope::from_args_with_paths(&args.scope, &Config::default(), paths)
                .map_err(|e| e.to_string())?;
            let (sim, mut scope) = crate::app::demo::demo()
                .await
                .map_err(|e| format!("cannot start the demo simulator: {e:#}"))?;
            narrow_demo_scope(&mut scope, &flags, &args);
            (Some(sim), scope)
        } else {
            let scope = Scope::from_args_with_paths(&args.scope, &config, paths)
                .map_err(|e| e.to_string())?;
            (None, scope)
        };
        let fleet = Fleet::connect(scope).await.map_err(|e| e.to_string())?;
        if super::questions::is_question(args.kind) {
            return Ok(Err(answer_question(&fleet, &args, &queries).await));
        }
        let needs = matches!(
            args.fail_on,
            Some(crate::cli::FailOn::Uncovered | crate::cli::FailOn::WindowFailed)
        );
        collect_with(
            &fleet,
            args.kind.into(),
            &spill_dir(args.output.as_deref()),
            needs,
        )
        .await
        .map(Ok)
    });
    let collected = match collected {
        Ok(Ok(c)) => c,
        Ok(Err(code)) => return ExitCode::from(code),
        Err(e) => return fail(e),
    };
    let code = produce(
        &args,
        &config,
        &collected,
        previous.as_ref(),
        chrono::Utc::now(),
        &mut stderr,
    );
    ExitCode::from(code)
}

/// `report cve` / `report software`: collect what the question needs, write the answer,
/// return the exit code. `report cve` keeps its patch index beside the snapshot cache (when
/// the scope has one), so the next run reads only the nodes that changed.
async fn answer_question(
    fleet: &Fleet,
    args: &ReportArgs,
    queries: &[crate::model::patch_index::PatchQuery],
) -> u8 {
    let snap = fleet.collect_shared(None).await;
    let now = chrono::Utc::now();
    let mut err = std::io::stderr();
    if ReportKind::from(args.kind) == ReportKind::Cve {
        let file = fleet.patch_index_file();
        let mut index = file
            .as_deref()
            .and_then(crate::fleet::patch_index::load)
            .unwrap_or_default();
        let progress = fleet
            .update_patch_index(&mut index, &snap.nodes, &mut |_, _| {})
            .await;
        tracing::info!(
            calls = progress.calls,
            indexed = progress.indexed,
            "patch index updated"
        );
        if let Some(f) = &file
            && let Err(e) = crate::fleet::patch_index::save(f, &index)
        {
            tracing::warn!(error = %e, "cannot save the patch index");
        }
        super::questions::produce_cve(args, &snap, &index, queries, now, &mut err)
    } else {
        let accounts: Vec<String> = snap
            .accounts
            .iter()
            .filter(|a| a.state.is_active())
            .map(|a| a.id.clone())
            .collect();
        let mut inv = fleet
            .software_inventory(&accounts, args.name.as_deref())
            .await;
        inv.set_agents(&snap.nodes);
        super::questions::produce_software(args, &inv, now, &mut err)
    }
}

/// `--demo` with scope flags: read only the accounts / regions asked for. Reports never
/// mutate anything and do not touch the console's snapshot cache.
fn narrow_demo_scope(scope: &mut Scope, flags: &Scope, args: &ReportArgs) {
    scope.account_filter = flags.account_filter.clone();
    if !flags.regions.is_empty() {
        scope.regions = flags.regions.clone();
    }
    if let Some(c) = args.scope.concurrency {
        scope.concurrency = c.max(1);
    }
    if let Some(r) = &args.scope.role_name {
        scope.role_name = r.clone();
    }
    scope.readonly = true;
    scope.cache_file = None;
}

/// Where the patches report spills its patch lists: next to the output file (the user
/// picked that file system for a file of this size order), else the temporary directory.
pub fn spill_dir(output: Option<&Path>) -> PathBuf {
    match output.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => std::env::temp_dir(),
    }
}

/// Collect one snapshot, and the patch lists when the report needs them (spilled to a
/// temporary file in `spill_dir`).
pub async fn collect(
    fleet: &Fleet,
    kind: ReportKind,
    spill_dir: &Path,
) -> Result<Collected, String> {
    collect_with(fleet, kind, spill_dir, false).await
}

/// [`collect`], also reading patch schedules when `needs_schedules` (`--fail-on uncovered`,
/// `--fail-on window-failed`) or the report is about them.
pub async fn collect_with(
    fleet: &Fleet,
    kind: ReportKind,
    spill_dir: &Path,
    needs_schedules: bool,
) -> Result<Collected, String> {
    // Created first: an unwritable directory fails before the expensive collection.
    let spill = match kind {
        ReportKind::Patches => Some(Spiller::create_in(spill_dir).map_err(|e| e.to_string())?),
        _ => None,
    };
    let mut snapshot = fleet.collect_once(None).await;
    if matches!(kind, ReportKind::Windows | ReportKind::Coverage) || needs_schedules {
        snapshot.schedules = fleet.read_schedules(Some(&snapshot)).await;
        if kind == ReportKind::Windows {
            snapshot.schedules = failed_targets_of_all(fleet, &snapshot.schedules).await;
        }
        // what could not be read is listed in the report and makes it partial
        if !snapshot.schedules.errors.is_empty() {
            snapshot
                .errors
                .extend(snapshot.schedules.errors.iter().cloned());
            snapshot.complete = false;
        }
    }
    let patches = if let Some(spill) = spill {
        node_patches(fleet, &snapshot.nodes, spill)
            .await
            .map_err(|e| format!("cannot spill patch lists to {}: {e}", spill_dir.display()))?
    } else {
        PatchStore::default()
    };
    Ok(Collected { snapshot, patches })
}

/// Every node's patch list (nodes that never reported have none to fetch), each written
/// to `spill` as soon as it arrives; at most [`PATCH_FETCH_PARALLELISM`] lists are in
/// memory at once. Requests are interleaved across account × region, so the data layer's
/// per-account × region rate limits work in parallel instead of queueing behind one
/// another.
pub async fn node_patches(
    fleet: &Fleet,
    nodes: &[Node],
    mut spill: Spiller,
) -> std::io::Result<PatchStore> {
    let keys = interleave(nodes.iter().filter(|n| n.has_patch_state()).map(Node::key));
    let parallel = fleet.scope().concurrency.clamp(1, PATCH_FETCH_PARALLELISM);
    let mut lists = futures::stream::iter(keys)
        .map(|key| async move {
            let res = fleet.node_patches(&key).await.map_err(|e| e.to_string());
            (key, res)
        })
        .buffer_unordered(parallel);
    let mut count = 0usize;
    while let Some((key, res)) = lists.next().await {
        spill.add(&key, res)?;
        count += 1;
    }
    tracing::debug!(
        lists = count,
        bytes = spill.spilled_bytes(),
        "patch lists spilled"
    );
    spill.finish()
}

/// Round-robin over account × region groups: a1/r1, a2/r1, a1/r2, ..., then the second
/// node of each group, and so on.
pub fn interleave(keys: impl Iterator<Item = NodeKey>) -> Vec<NodeKey> {
    let mut groups: std::collections::BTreeMap<(String, String), Vec<NodeKey>> = Default::default();
    for k in keys {
        groups
            .entry((k.account_id.clone(), k.region.clone()))
            .or_default()
            .push(k);
    }
    let mut queues: Vec<std::vec::IntoIter<NodeKey>> =
        groups.into_values().map(Vec::into_iter).collect();
    let mut out = Vec::new();
    loop {
        let before = out.len();
        for q in &mut queues {
            if let Some(k) = q.next() {
                out.push(k);
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

/// The windows report lists the failed nodes of every failed execution, not only the last
/// one's: read the invocations of the others (failures are few).
async fn failed_targets_of_all(
    fleet: &Fleet,
    s: &std::sync::Arc<crate::model::patching::PatchSchedules>,
) -> std::sync::Arc<crate::model::patching::PatchSchedules> {
    let mut out = (**s).clone();
    let wanted: Vec<(usize, usize)> = out
        .windows
        .iter()
        .enumerate()
        .flat_map(|(wi, w)| {
            w.executions
                .iter()
                .enumerate()
                .filter(|(_, e)| e.is_failure() && e.failed_targets.is_none())
                .map(move |(ei, _)| (wi, ei))
        })
        .collect();
    let got = futures::future::join_all(wanted.iter().map(|&(wi, ei)| {
        let w = &out.windows[wi];
        fleet.window_execution_invocations(&w.account_id, &w.region, &w.executions[ei].execution_id)
    }))
    .await;
    for ((wi, ei), r) in wanted.into_iter().zip(got) {
        match r {
            Ok(list) => {
                out.windows[wi].executions[ei].failed_targets = Some(
                    list.into_iter()
                        .filter(|i| i.status != "SUCCESS")
                        .map(|i| i.instance_id)
                        .collect(),
                );
            }
            Err(e) => out.errors.push(e),
        }
    }
    std::sync::Arc::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_fetches_alternate_between_accounts_and_regions() {
        let k = |a: &str, r: &str, i: &str| NodeKey {
            account_id: a.into(),
            region: r.into(),
            instance_id: i.into(),
        };
        let keys = vec![
            k("1", "us-east-1", "i-1"),
            k("1", "us-east-1", "i-2"),
            k("1", "us-east-1", "i-3"),
            k("2", "us-east-1", "i-4"),
            k("1", "eu-west-1", "i-5"),
        ];
        let order: Vec<String> = interleave(keys.into_iter())
            .into_iter()
            .map(|k| k.instance_id)
            .collect();
        assert_eq!(order, ["i-5", "i-1", "i-4", "i-2", "i-3"]);
    }
}
