//! The patch-schedules reader: maintenance windows (targets, tasks, ~8 weeks of executions,
//! the last execution's failed nodes), patch baselines (rules via GetPatchBaseline), patch
//! groups and patch associations, per account × region, through the shared limiter.
//!
//! These change rarely: they are read on their own cadence ([`SCHEDULES_EVERY`], and on
//! demand), not by the fleet refresh; the result is kept in a cell every snapshot takes its
//! copy from (so it is cached with the snapshot). Node tags live in the same cell but are
//! read by their own background pass (`fleet::tags`), which publishes when it is done: the
//! schedules never wait for it. Tag targets are resolved the way AWS
//! resolves them at run time: DescribeInstanceInformation with the same `tag:` filters.
//! AccessDenied on these APIs (a read-only role without them) is one error per account;
//! the rest of ssmdeck is unaffected.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::model::patching::{
    MaintenanceWindow, PatchAssociation, PatchBaseline, PatchRule, PatchSchedules, Resolution,
    TargetSpec, TaskInvocation, WindowExecution, WindowTarget, WindowTask, is_patch_document,
};
use crate::model::tags::NodeTags;
use crate::model::{CollectError, FleetSnapshot};

use super::Fleet;
use super::error::Failure;
use super::limiter::{ApiKey, Limiter};

/// How often the live feed re-reads patch schedules.
pub const SCHEDULES_EVERY: Duration = Duration::from_secs(60 * 60);

/// A custom baseline's rules (GetPatchBaseline) are kept from the last read while younger
/// than this; AWS-managed baselines' rules never change and are read once. Baselines change
/// rarely, and one GetPatchBaseline per custom baseline per account × region per hourly read
/// was a third of the schedules' calls in an organization of many small accounts (#15's
/// budget: the schedules add at most 10 % to the refreshes' calls).
pub const BASELINE_RULES_MAX_AGE: chrono::Duration = chrono::Duration::hours(6);
/// Executions read per window: the last 8 weeks.
pub const HISTORY_DAYS: i64 = 56;
const PAGE: i32 = 100;
const MAX_PAGES: usize = 10;

/// The current patch schedules, shared by the reader and every snapshot built after it.
pub type ScheduleCell = Arc<RwLock<Arc<PatchSchedules>>>;

/// The newest of the cell's schedules and `candidate` ([`offer`]ed, then the cell's).
pub fn newest(cell: &ScheduleCell, candidate: &Arc<PatchSchedules>) -> Arc<PatchSchedules> {
    offer(cell, candidate);
    current(cell)
}

/// The schedules the cell holds now.
pub fn current(cell: &ScheduleCell) -> Arc<PatchSchedules> {
    cell.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Keep the newer parts of `s` in the cell: its windows, baselines and associations if
/// read later than the cell's (by `fetched_at`), and its node tags if read later than the
/// cell's (by `tags.fetched_at`: tags are read by their own pass, [`Fleet::refresh_tags`]).
pub fn offer(cell: &ScheduleCell, s: &Arc<PatchSchedules>) {
    let mut g = cell.write().unwrap_or_else(|e| e.into_inner());
    let newer = s.fetched_at > g.fetched_at;
    let newer_tags = s.tags.fetched_at > g.tags.fetched_at;
    match (newer, newer_tags) {
        (true, true) => *g = s.clone(),
        (true, false) if s.tags.fetched_at == g.tags.fetched_at => *g = s.clone(),
        (true, false) => {
            let mut merged = (**s).clone();
            merged.tags = g.tags.clone();
            *g = Arc::new(merged);
        }
        (false, true) => {
            let mut merged = (**g).clone();
            merged.tags = s.tags.clone();
            *g = Arc::new(merged);
        }
        (false, false) => {}
    }
}

/// Keep `tags` in the cell if read later than the cell's; the cell's schedules after.
pub fn offer_tags(cell: &ScheduleCell, tags: NodeTags) -> Arc<PatchSchedules> {
    let mut g = cell.write().unwrap_or_else(|e| e.into_inner());
    if tags.fetched_at > g.tags.fetched_at {
        let mut merged = (**g).clone();
        merged.tags = tags;
        *g = Arc::new(merged);
    }
    g.clone()
}

struct Ctx<'a> {
    limiter: &'a Limiter,
    cancel: &'a CancellationToken,
    ssm: &'a aws_sdk_ssm::Client,
    account: &'a str,
    region: &'a str,
    now: DateTime<Utc>,
}

impl Ctx<'_> {
    async fn call<T, F, Fut>(&self, api: &'static str, f: F) -> Result<T, CollectError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let key = ApiKey::new(self.account, self.region, api);
        self.limiter
            .call(&key, self.cancel, f)
            .await
            .map_err(|f| f.to_collect_error(Some(self.account), Some(self.region), "ssm", api))
    }
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(super::convert::exact)
}

fn iso(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(crate::model::patching::parse_aws_time)
}

fn targets(list: &[aws_sdk_ssm::types::Target]) -> Vec<TargetSpec> {
    list.iter()
        .map(|t| TargetSpec {
            key: t.key().unwrap_or_default().to_string(),
            values: t.values().to_vec(),
        })
        .collect()
}

/// What one account × region produced.
#[derive(Default)]
struct Unit {
    windows: Vec<MaintenanceWindow>,
    baselines: Vec<PatchBaseline>,
    associations: Vec<PatchAssociation>,
    errors: Vec<CollectError>,
    ok: bool,
}

impl Fleet {
    /// Read patch schedules for every account × region of the last snapshot (or of `snap`),
    /// keep them (the next snapshots carry them) and return them.
    pub async fn read_schedules(&self, snap: Option<&FleetSnapshot>) -> Arc<PatchSchedules> {
        let last = self.inner.last_snapshot();
        let snap = snap.or(last.as_deref());
        let prev = current(&self.inner.schedules);
        let accounts: Vec<String> = match snap {
            Some(s) if !s.accounts.is_empty() => s
                .accounts
                .iter()
                .filter(|a| a.state.is_active())
                .map(|a| a.id.clone())
                .collect(),
            _ => vec![self.inner.caller.account_id.clone()],
        };
        // accounts the refresh could not enter are listed there already: not tried again
        let not_entered: Vec<&str> = snap
            .map(|s| {
                s.missing
                    .iter()
                    .filter(|m| m.kind == crate::model::MissingKind::Account)
                    .filter_map(|m| m.account_id.as_deref())
                    .collect()
            })
            .unwrap_or_default();
        let accounts: Vec<String> = accounts
            .into_iter()
            .filter(|a| !not_entered.contains(&a.as_str()))
            .collect();
        // baselines in use: the ones nodes report (their rules are read)
        let in_use: std::collections::HashSet<String> = snap
            .map(|s| {
                s.nodes
                    .iter()
                    .filter_map(|n| n.baseline_id.as_deref().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let in_use = &in_use;
        let cancel = CancellationToken::new();
        let now = Utc::now();
        let units = futures::future::join_all(
            accounts
                .iter()
                .flat_map(|a| {
                    self.inner
                        .regions
                        .iter()
                        .map(move |r| (a.clone(), r.clone()))
                })
                .map(|(a, r)| {
                    let cancel = cancel.clone();
                    let prev = prev.clone();
                    async move {
                        if let Err(e) = self.account_credentials(&a).await {
                            let err = CollectError {
                                account_id: Some(a.clone()),
                                region: Some(r.clone()),
                                service: "sts".into(),
                                operation: "AssumeRole".into(),
                                code: "AccountNotEntered".into(),
                                message: e.to_string(),
                                at: Some(now),
                            };
                            return (
                                a,
                                r,
                                Unit {
                                    errors: vec![err],
                                    ..Unit::default()
                                },
                            );
                        }
                        let clients = self.inner.clients.region_clients(&a, &r).await;
                        let ctx = Ctx {
                            limiter: &self.inner.limiter,
                            cancel: &cancel,
                            ssm: &clients.ssm,
                            account: &a,
                            region: &r,
                            now,
                        };
                        let u = read_unit(&ctx, &prev, in_use).await;
                        (a, r, u)
                    }
                }),
        )
        .await;
        let mut out = PatchSchedules {
            fetched_at: Some(now),
            ..PatchSchedules::default()
        };
        // AccessDenied: one error per account (a read-only role without these APIs)
        let mut denied: BTreeMap<String, CollectError> = BTreeMap::new();
        for (a, r, u) in units {
            if u.ok {
                out.read.push((a.clone(), r.clone()));
            } else if let Some(p) = prev.read.iter().find(|(pa, pr)| *pa == a && *pr == r) {
                // a failure never shrinks the last good picture: keep that unit's old data
                out.read.push(p.clone());
                out.windows.extend(
                    prev.windows
                        .iter()
                        .filter(|w| w.account_id == a && w.region == r)
                        .cloned(),
                );
                out.baselines.extend(
                    prev.baselines
                        .iter()
                        .filter(|b| b.account_id == a && b.region == r)
                        .cloned(),
                );
                out.associations.extend(
                    prev.associations
                        .iter()
                        .filter(|x| x.account_id == a && x.region == r)
                        .cloned(),
                );
            }
            out.windows.extend(u.windows);
            out.baselines.extend(u.baselines);
            out.associations.extend(u.associations);
            for e in u.errors {
                if is_denied(&e.code) {
                    denied.entry(a.clone()).or_insert_with(|| CollectError {
                        region: None,
                        message: format!(
                            "patch schedules not readable in this account ({}: {}); the rest of ssmdeck is unaffected",
                            e.operation, e.message
                        ),
                        ..e
                    });
                } else {
                    out.errors.push(e);
                }
            }
        }
        out.errors.extend(denied.into_values());
        // node tags: carried (the cell's newest); their own pass reads them (`fleet::tags`)
        out.tags = prev.tags.clone();
        let out = newest(&self.inner.schedules, &Arc::new(out));
        self.publish_schedules(&out);
        out
    }

    /// Put `s` (the cell's newest) into the last snapshot, so the next publication shows it.
    pub(crate) fn publish_schedules(&self, s: &Arc<PatchSchedules>) {
        if let Some(last) = self.inner.last_snapshot() {
            let mut snap = (*last).clone();
            snap.schedules = s.clone();
            self.inner.set_last(Arc::new(snap));
        }
    }
}

fn is_denied(code: &str) -> bool {
    code.starts_with("AccessDenied") || code == "UnauthorizedOperation"
}

async fn read_unit(
    ctx: &Ctx<'_>,
    prev: &PatchSchedules,
    in_use: &std::collections::HashSet<String>,
) -> Unit {
    let mut u = Unit::default();
    let (windows, baselines, associations) = tokio::join!(
        read_windows(ctx),
        read_baselines(ctx, prev, in_use),
        read_associations(ctx)
    );
    let mut ok = true;
    match windows {
        Ok(w) => u.windows = w,
        Err(e) => {
            ok = false;
            u.errors.push(e);
        }
    }
    match baselines {
        Ok((b, errs)) => {
            u.baselines = b;
            u.errors.extend(errs);
        }
        Err(e) => {
            ok = false;
            u.errors.push(e);
        }
    }
    match associations {
        Ok(a) => u.associations = a,
        Err(e) => {
            ok = false;
            u.errors.push(e);
        }
    }
    if ok {
        resolve_targets(ctx, &mut u).await;
    }
    u.ok = ok;
    u
}

async fn read_windows(ctx: &Ctx<'_>) -> Result<Vec<MaintenanceWindow>, CollectError> {
    let ssm = ctx.ssm;
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = ctx
            .call("DescribeMaintenanceWindows", || {
                let t = token.clone();
                async move {
                    ssm.describe_maintenance_windows()
                        .max_results(PAGE)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await?;
        for w in page.window_identities() {
            ids.push(MaintenanceWindow {
                account_id: ctx.account.to_string(),
                region: ctx.region.to_string(),
                window_id: w.window_id().unwrap_or_default().to_string(),
                name: w.name().unwrap_or_default().to_string(),
                description: w.description().unwrap_or_default().to_string(),
                enabled: w.enabled(),
                schedule: w.schedule().unwrap_or_default().to_string(),
                timezone: w.schedule_timezone().map(str::to_string),
                offset_days: w.schedule_offset().map(|o| o.max(0) as u32),
                duration_hours: w.duration().unwrap_or(0).max(0) as u32,
                cutoff_hours: w.cutoff().max(0) as u32,
                start_date: iso(w.start_date()),
                end_date: iso(w.end_date()),
                aws_next_execution: w.next_execution_time().map(str::to_string),
                ..MaintenanceWindow::default()
            });
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let filled = futures::future::join_all(ids.into_iter().map(|w| window_detail(ctx, w))).await;
    filled.into_iter().collect()
}

async fn window_detail(
    ctx: &Ctx<'_>,
    mut w: MaintenanceWindow,
) -> Result<MaintenanceWindow, CollectError> {
    let ssm = ctx.ssm;
    let id = w.window_id.clone();
    let since = (ctx.now - chrono::Duration::days(HISTORY_DAYS))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (t, k, e) = tokio::join!(
        ctx.call("DescribeMaintenanceWindowTargets", || {
            let id = id.clone();
            async move {
                ssm.describe_maintenance_window_targets()
                    .window_id(id)
                    .max_results(PAGE)
                    .send()
                    .await
                    .map_err(|e| Failure::from_sdk(&e))
            }
        }),
        ctx.call("DescribeMaintenanceWindowTasks", || {
            let id = id.clone();
            async move {
                ssm.describe_maintenance_window_tasks()
                    .window_id(id)
                    .max_results(PAGE)
                    .send()
                    .await
                    .map_err(|e| Failure::from_sdk(&e))
            }
        }),
        ctx.call("DescribeMaintenanceWindowExecutions", || {
            let (id, since) = (id.clone(), since.clone());
            async move {
                ssm.describe_maintenance_window_executions()
                    .window_id(id)
                    .filters(
                        aws_sdk_ssm::types::MaintenanceWindowFilter::builder()
                            .key("ExecutedAfter")
                            .values(since)
                            .build(),
                    )
                    .max_results(PAGE)
                    .send()
                    .await
                    .map_err(|e| Failure::from_sdk(&e))
            }
        }),
    );
    w.targets = t?
        .targets()
        .iter()
        .map(|t| WindowTarget {
            target_id: t.window_target_id().unwrap_or_default().to_string(),
            name: t.name().unwrap_or_default().to_string(),
            targets: targets(t.targets()),
            resolved: if t
                .resource_type()
                .is_some_and(|r| r.as_str() == "RESOURCE_GROUP")
            {
                Resolution::Unresolved("resource group targets are not resolved by ssmdeck".into())
            } else {
                Resolution::Unknown
            },
        })
        .collect();
    w.tasks = k?
        .tasks()
        .iter()
        .map(|t| {
            let param = |name: &str| {
                t.task_parameters()
                    .and_then(|p| p.get(name))
                    .and_then(|v| v.values().first().cloned())
            };
            let (ids, other): (Vec<TargetSpec>, Vec<TargetSpec>) = targets(t.targets())
                .into_iter()
                .partition(|s| s.key == "WindowTargetIds");
            WindowTask {
                task_id: t.window_task_id().unwrap_or_default().to_string(),
                name: t.name().unwrap_or_default().to_string(),
                task_arn: t.task_arn().unwrap_or_default().to_string(),
                task_type: t
                    .r#type()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
                operation: param("Operation"),
                reboot_option: param("RebootOption"),
                window_target_ids: ids.into_iter().flat_map(|s| s.values).collect(),
                other_targets: other,
            }
        })
        .collect();
    let mut execs: Vec<WindowExecution> = e?
        .window_executions()
        .iter()
        .map(|x| WindowExecution {
            execution_id: x.window_execution_id().unwrap_or_default().to_string(),
            status: x
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            status_details: x.status_details().unwrap_or_default().to_string(),
            start: time(x.start_time()),
            end: time(x.end_time()),
            failed_targets: None,
        })
        .collect();
    execs.sort_by_key(|x| std::cmp::Reverse(x.start));
    // the last execution's failed nodes (the rest are counted, not itemized)
    if let Some(last) = execs.first_mut()
        && last.is_failure()
    {
        match failed_nodes(ctx, &last.execution_id).await {
            Ok(nodes) => {
                last.failed_targets = Some(nodes.into_iter().map(|i| i.instance_id).collect())
            }
            Err(e) => tracing::info!(code = %e.code, "window execution invocations not read"),
        }
    }
    w.executions = execs;
    Ok(w)
}

impl Fleet {
    /// The task invocations of one window execution (one per node), on demand.
    pub async fn window_execution_invocations(
        &self,
        account: &str,
        region: &str,
        execution_id: &str,
    ) -> Result<Vec<TaskInvocation>, CollectError> {
        let clients = self.inner.clients.region_clients(account, region).await;
        let cancel = CancellationToken::new();
        let ctx = Ctx {
            limiter: &self.inner.limiter,
            cancel: &cancel,
            ssm: &clients.ssm,
            account,
            region,
            now: Utc::now(),
        };
        invocations(&ctx, execution_id).await
    }
}

async fn failed_nodes(
    ctx: &Ctx<'_>,
    execution_id: &str,
) -> Result<Vec<TaskInvocation>, CollectError> {
    Ok(invocations(ctx, execution_id)
        .await?
        .into_iter()
        .filter(|i| i.status != "SUCCESS")
        .collect())
}

async fn invocations(
    ctx: &Ctx<'_>,
    execution_id: &str,
) -> Result<Vec<TaskInvocation>, CollectError> {
    let ssm = ctx.ssm;
    let tasks = ctx
        .call("DescribeMaintenanceWindowExecutionTasks", || {
            let id = execution_id.to_string();
            async move {
                ssm.describe_maintenance_window_execution_tasks()
                    .window_execution_id(id)
                    .max_results(PAGE)
                    .send()
                    .await
                    .map_err(|e| Failure::from_sdk(&e))
            }
        })
        .await?;
    let mut out = Vec::new();
    for t in tasks.window_execution_task_identities() {
        let Some(task_id) = t.task_execution_id() else {
            continue;
        };
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = ctx
                .call("DescribeMaintenanceWindowExecutionTaskInvocations", || {
                    let (id, task, tk) =
                        (execution_id.to_string(), task_id.to_string(), token.clone());
                    async move {
                        ssm.describe_maintenance_window_execution_task_invocations()
                            .window_execution_id(id)
                            .task_id(task)
                            .max_results(PAGE)
                            .set_next_token(tk)
                            .send()
                            .await
                            .map_err(|e| Failure::from_sdk(&e))
                    }
                })
                .await?;
            for i in page.window_execution_task_invocation_identities() {
                out.push(TaskInvocation {
                    instance_id: instance_of(i.parameters().unwrap_or_default()),
                    status: i
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    status_details: i.status_details().unwrap_or_default().to_string(),
                    command_id: i.execution_id().unwrap_or_default().to_string(),
                    window_target_id: i.window_target_id().unwrap_or_default().to_string(),
                    start: time(i.start_time()),
                    end: time(i.end_time()),
                });
            }
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(out)
}

/// The node of a Run Command task invocation: `Parameters` is a JSON string whose
/// `instanceIds` names it (aws-cli example `describe-maintenance-window-execution-task-invocations`).
pub fn instance_of(parameters: &str) -> String {
    serde_json::from_str::<serde_json::Value>(parameters)
        .ok()
        .and_then(|v| {
            v["instanceIds"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|x| x.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

type BaselinesOk = (Vec<PatchBaseline>, Vec<CollectError>);

async fn read_baselines(
    ctx: &Ctx<'_>,
    prev: &PatchSchedules,
    in_use: &std::collections::HashSet<String>,
) -> Result<BaselinesOk, CollectError> {
    let ssm = ctx.ssm;
    let mut list: Vec<PatchBaseline> = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = ctx
            .call("DescribePatchBaselines", || {
                let t = token.clone();
                async move {
                    ssm.describe_patch_baselines()
                        .max_results(PAGE)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await?;
        for b in page.baseline_identities() {
            let name = b.baseline_name().unwrap_or_default().to_string();
            let id = b.baseline_id().unwrap_or_default().to_string();
            list.push(PatchBaseline {
                account_id: ctx.account.to_string(),
                region: ctx.region.to_string(),
                aws_managed: name.starts_with("AWS-") || id.starts_with("arn:"),
                baseline_id: id,
                name,
                operating_system: b
                    .operating_system()
                    .map(|o| o.as_str().to_string())
                    .unwrap_or_default(),
                description: b.baseline_description().unwrap_or_default().to_string(),
                default: b.default_baseline(),
                ..PatchBaseline::default()
            });
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let groups = ctx
        .call("DescribePatchGroups", || async move {
            ssm.describe_patch_groups()
                .max_results(PAGE)
                .send()
                .await
                .map_err(|e| Failure::from_sdk(&e))
        })
        .await?;
    for m in groups.mappings() {
        let (Some(g), Some(id)) = (
            m.patch_group(),
            m.baseline_identity().and_then(|b| b.baseline_id()),
        ) else {
            continue;
        };
        if let Some(b) = list.iter_mut().find(|b| b.baseline_id == id) {
            b.patch_groups.push(g.to_string());
        }
    }
    // Rules: the baselines nodes report and the custom ones mapped to patch groups (with
    // no nodes reporting, the defaults); AWS-managed ones do not change, so their rules
    // are kept from the previous read, and a custom one's while younger than
    // BASELINE_RULES_MAX_AGE (its name, description and groups are this read's).
    let mut errors = Vec::new();
    let used = |b: &PatchBaseline| {
        in_use
            .iter()
            .any(|u| *u == b.baseline_id || u.ends_with(&format!("/{}", b.baseline_id)))
    };
    let wanted: Vec<usize> = (0..list.len())
        .filter(|&i| {
            let b = &list[i];
            used(b)
                || (!b.aws_managed && !b.patch_groups.is_empty())
                || (in_use.is_empty() && b.default)
        })
        .collect();
    let mut fetch = Vec::new();
    for i in wanted {
        let kept = prev.baselines.iter().find(|p| {
            let fresh = p.aws_managed
                || p.detailed_at
                    .is_some_and(|t| Utc::now() - t < BASELINE_RULES_MAX_AGE);
            fresh
                && p.detailed
                && p.account_id == ctx.account
                && p.region == ctx.region
                && p.baseline_id == list[i].baseline_id
        });
        match kept {
            Some(p) => {
                let listed = std::mem::replace(&mut list[i], p.clone());
                list[i].patch_groups = listed.patch_groups;
                list[i].default = listed.default;
                list[i].name = listed.name;
                list[i].description = listed.description;
            }
            None => fetch.push(i),
        }
    }
    let details = futures::future::join_all(fetch.iter().map(|&i| {
        let id = list[i].baseline_id.clone();
        async move {
            ctx.call("GetPatchBaseline", || {
                let id = id.clone();
                async move {
                    ssm.get_patch_baseline()
                        .baseline_id(id)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await
        }
    }))
    .await;
    for (i, r) in fetch.into_iter().zip(details) {
        match r {
            Ok(d) => apply_detail(&mut list[i], &d),
            Err(e) => {
                if errors.is_empty() {
                    errors.push(e);
                }
            }
        }
    }
    Ok((list, errors))
}

fn filters(g: Option<&aws_sdk_ssm::types::PatchFilterGroup>) -> Vec<(String, Vec<String>)> {
    g.map(|g| {
        g.patch_filters()
            .iter()
            .map(|f| (f.key().as_str().to_string(), f.values().to_vec()))
            .collect()
    })
    .unwrap_or_default()
}

fn apply_detail(
    b: &mut PatchBaseline,
    d: &aws_sdk_ssm::operation::get_patch_baseline::GetPatchBaselineOutput,
) {
    b.detailed = true;
    b.detailed_at = Some(Utc::now());
    b.global_filters = filters(d.global_filters());
    b.rules = d
        .approval_rules()
        .map(|r| {
            r.patch_rules()
                .iter()
                .map(|r| PatchRule {
                    filters: filters(r.patch_filter_group()),
                    compliance_level: r.compliance_level().map(|c| c.as_str().to_string()),
                    approve_after_days: r.approve_after_days(),
                    approve_until_date: r.approve_until_date().map(str::to_string),
                    enable_non_security: r.enable_non_security().unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default();
    b.approved = d.approved_patches().to_vec();
    b.rejected = d.rejected_patches().to_vec();
    b.rejected_action = d.rejected_patches_action().map(|a| a.as_str().to_string());
    b.sources = d
        .sources()
        .iter()
        .map(|s| {
            (
                s.name().to_string(),
                s.products().to_vec(),
                s.configuration().to_string(),
            )
        })
        .collect();
    if b.patch_groups.is_empty() {
        b.patch_groups = d.patch_groups().to_vec();
    }
}

async fn read_associations(ctx: &Ctx<'_>) -> Result<Vec<PatchAssociation>, CollectError> {
    let ssm = ctx.ssm;
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = ctx
            .call("ListAssociations", || {
                let t = token.clone();
                async move {
                    ssm.list_associations()
                        .max_results(50)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await?;
        for a in page.associations() {
            let doc = a.name().unwrap_or_default();
            if !is_patch_document(doc) {
                continue;
            }
            let counts = a
                .overview()
                .and_then(|o| o.association_status_aggregated_count())
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), (*v).max(0) as u32))
                        .collect()
                })
                .unwrap_or_default();
            out.push(PatchAssociation {
                account_id: ctx.account.to_string(),
                region: ctx.region.to_string(),
                association_id: a.association_id().unwrap_or_default().to_string(),
                name: a.association_name().unwrap_or(doc).to_string(),
                document: doc.to_string(),
                schedule: a.schedule_expression().map(str::to_string),
                offset_days: a.schedule_offset().map(|o| o.max(0) as u32),
                targets: targets(a.targets()),
                status: a.overview().and_then(|o| o.status()).map(str::to_string),
                last_execution: time(a.last_execution_date()),
                counts,
                ..PatchAssociation::default()
            });
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    // the operation is a document parameter: DescribeAssociation
    let details = futures::future::join_all(out.iter().map(|a| {
        let id = a.association_id.clone();
        async move {
            ctx.call("DescribeAssociation", || {
                let id = id.clone();
                async move {
                    ssm.describe_association()
                        .association_id(id)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await
        }
    }))
    .await;
    for (a, d) in out.iter_mut().zip(details) {
        let params = d
            .ok()
            .and_then(|d| {
                d.association_description()
                    .and_then(|x| x.parameters())
                    .cloned()
            })
            .unwrap_or_default();
        let first = |k: &str| params.get(k).and_then(|v| v.first()).cloned();
        a.operation = first("Operation");
        a.reboot_option = first("RebootOption");
    }
    Ok(out)
}

/// Resolve every window target and association target the way AWS does at run time.
async fn resolve_targets(ctx: &Ctx<'_>, u: &mut Unit) {
    let mut cache: HashMap<Vec<TargetSpec>, Resolution> = HashMap::new();
    let mut wanted: Vec<Vec<TargetSpec>> = Vec::new();
    for t in u.windows.iter().flat_map(|w| w.targets.iter()) {
        if t.resolved == Resolution::Unknown {
            wanted.push(t.targets.clone());
        }
    }
    for a in &u.associations {
        wanted.push(a.targets.clone());
    }
    wanted.sort();
    wanted.dedup();
    let resolved = futures::future::join_all(wanted.iter().map(|t| resolve(ctx, t))).await;
    for (t, r) in wanted.into_iter().zip(resolved) {
        cache.insert(t, r);
    }
    for t in u.windows.iter_mut().flat_map(|w| w.targets.iter_mut()) {
        if let Some(r) = cache.get(&t.targets) {
            t.resolved = r.clone();
        }
    }
    for a in &mut u.associations {
        if let Some(r) = cache.get(&a.targets) {
            a.resolved = r.clone();
        }
    }
}

async fn resolve(ctx: &Ctx<'_>, spec: &[TargetSpec]) -> Resolution {
    use aws_sdk_ssm::types::InstanceInformationStringFilter;
    if spec.is_empty() {
        return Resolution::Nodes(Vec::new());
    }
    let mut ids: Option<Vec<String>> = None;
    let mut filters = Vec::new();
    for t in spec {
        if t.key.eq_ignore_ascii_case("InstanceIds") {
            if t.values.iter().any(|v| v == "*") {
                continue;
            }
            ids = Some(t.values.clone());
        } else if t.key.starts_with("tag:") || t.key == "tag-key" {
            match InstanceInformationStringFilter::builder()
                .key(t.key.clone())
                .set_values(Some(t.values.clone()))
                .build()
            {
                Ok(f) => filters.push(f),
                Err(_) => {
                    return Resolution::Unresolved(format!("target {} is not valid", t.describe()));
                }
            }
        } else {
            return Resolution::Unresolved(format!(
                "{} targets are not resolved by ssmdeck",
                t.key
            ));
        }
    }
    if filters.is_empty() {
        return match ids {
            Some(v) => Resolution::Nodes(v),
            None => Resolution::All,
        };
    }
    let ssm = ctx.ssm;
    let mut found = Vec::new();
    let key = ApiKey::new(ctx.account, ctx.region, "DescribeInstanceInformation");
    let read = super::paginate::paginate(
        ctx.limiter,
        &key,
        ctx.cancel,
        200,
        |token| {
            let call = ssm
                .describe_instance_information()
                .set_filters(Some(filters.clone()))
                .max_results(50)
                .set_next_token(token);
            async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
        },
        |page| {
            found.extend(
                page.instance_information_list()
                    .iter()
                    .filter_map(|i| i.instance_id().map(str::to_string)),
            );
            page.next_token().map(str::to_string)
        },
    )
    .await;
    match read {
        Err(e) => {
            return Resolution::Unresolved(format!("DescribeInstanceInformation: {}", e.code));
        }
        // a listing cut at the page cap would under-count the targets: say so instead
        Ok(p) if !p.complete => {
            return Resolution::Unresolved(format!(
                "DescribeInstanceInformation: more than {} pages of targets",
                p.pages
            ));
        }
        Ok(_) => {}
    }
    if let Some(ids) = ids {
        found.retain(|f| ids.contains(f));
    }
    Resolution::Nodes(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_of_an_invocation_comes_from_its_parameters() {
        let p = r#"{"documentName":"AWS-RunShellScript","instanceIds":["i-0000293ffd8c57862"],"parameters":{"commands":["df"]},"maxConcurrency":"1","maxErrors":"1"}"#;
        assert_eq!(instance_of(p), "i-0000293ffd8c57862");
        assert_eq!(instance_of("not json"), "");
    }
}
