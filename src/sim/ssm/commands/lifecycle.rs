//! The Run Command lifecycle as a small discrete-event simulation, advanced lazily to the
//! simulated "now" whenever the account × region is touched:
//! Pending → InProgress → Success / Failed / TimedOut / Cancelled, offline targets
//! Undeliverable or Delivery Timed Out, MaxConcurrency slots, MaxErrors stopping the rest,
//! and AWS-RunPatchBaseline's effect on the node's patches and patch state.
//!
//! Durations are simulated seconds, shortened by the command's `--time-scale` speed-up
//! ([`Command::lifecycle`]); the clock itself runs at real time.
//!
//! Statuses follow the model text of `CommandInvocation.StatusDetails` / `Command.StatusDetails`
//! (botocore `ssm/2014-11-06/service-2.json`) and the User Guide page "Understanding command
//! statuses" (`monitor-commands.md`): Undeliverable, Invalid Platform and Access Denied
//! invocations do not count against MaxErrors and do not decide Success / Incomplete (two
//! Success + one Undeliverable is Success; all of them Undeliverable is Failed); Delivery
//! Timed Out does not count against MaxErrors but makes the command Incomplete; targets not
//! started when MaxErrors is exceeded end `Terminated` ("subsequent command invocations were
//! canceled by the system": Status `Cancelled`, the enum has no Terminated).

use chrono::{DateTime, Utc};

use super::{Command, Doc, IStatus, Invocation, Plan, RunResult, scaled};
use crate::sim::rng::Rng;
use crate::sim::ssm::fleet::RegionFleet;
use crate::sim::ssm::node::{Operation, PatchReport};
use crate::sim::ssm::patches::{self, PState};

/// How long a cancelled, running invocation stays `Cancelling`.
const CANCEL_GRACE_S: f64 = 2.0;

/// When a running invocation ends (naturally, by execution timeout, or cancelled).
fn end_time(c: &Command, inv: &Invocation) -> Option<DateTime<Utc>> {
    let start = inv.start?;
    let Plan::Run { duration_s } = inv.plan else {
        return None;
    };
    let natural = start + c.lifecycle(duration_s.min(c.exec_timeout_s as f64));
    match inv.cancel_at {
        Some(t) => Some(natural.min(t.max(start) + c.lifecycle(CANCEL_GRACE_S))),
        None => Some(natural),
    }
}

/// Bring the command up to `now`.
pub fn advance(c: &mut Command, f: &mut RegionFleet, now: DateTime<Utc>) {
    if c.done {
        return;
    }
    // Targets that never get delivered resolve on their own clock.
    let requested = c.requested;
    // ExpiresAfter: the delivery timeout plus the execution timeout. "If the command isn't
    // received by the agent before [Timeout + Execution timeout], the status changes to
    // Delivery Timed Out" (User Guide, monitor-commands); "If a command expires, it changes
    // status to DeliveryTimedOut for all invocations that have the status InProgress,
    // Pending, or Delayed" (model text of `Command.ExpiresAfter`).
    let deadline = requested + c.lifecycle((c.timeout_s + c.exec_timeout_s) as f64);
    let second = c.lifecycle(1.0);
    let speedup = c.speedup;
    for inv in c.invocations.iter_mut().filter(|i| !i.status.terminal()) {
        match inv.plan {
            Plan::Undeliverable { after_s } if requested + scaled(after_s, speedup) <= now => {
                finish(
                    inv,
                    IStatus::Failed,
                    "Undeliverable",
                    requested + scaled(after_s, speedup),
                    -1,
                );
            }
            Plan::DeliveryTimeout if deadline <= now => {
                finish(inv, IStatus::TimedOut, "Delivery Timed Out", deadline, -1);
            }
            Plan::InvalidPlatform if requested + second <= now => {
                finish(
                    inv,
                    IStatus::Failed,
                    "InvalidPlatform",
                    requested + second,
                    -1,
                );
            }
            _ => {}
        }
    }
    loop {
        if c.sim_time < deadline {
            fill_slots(c);
        }
        let next = c
            .invocations
            .iter()
            .enumerate()
            .filter(|(_, i)| !i.status.terminal() && i.start.is_some())
            .filter_map(|(k, i)| end_time(c, i).map(|t| (k, t)))
            .min_by_key(|(_, t)| *t);
        match next {
            Some((k, t)) if t <= now && t <= deadline => {
                complete(c, k, t, f);
                c.sim_time = c.sim_time.max(t);
                let errors = c.invocations.iter().filter(|i| i.is_error).count();
                if errors > c.error_limit && !c.stopped {
                    c.stopped = true;
                    for inv in c
                        .invocations
                        .iter_mut()
                        .filter(|i| i.start.is_none() && matches!(i.plan, Plan::Run { .. }))
                        .filter(|i| !i.status.terminal())
                    {
                        // "Terminated: the parent command exceeded its MaxErrors limit and
                        // subsequent command invocations were canceled by the system"
                        finish(inv, IStatus::Cancelled, "Terminated", t, -1);
                    }
                }
            }
            _ => break,
        }
    }
    if deadline <= now {
        for inv in c.invocations.iter_mut().filter(|i| !i.status.terminal()) {
            finish(inv, IStatus::TimedOut, "Delivery Timed Out", deadline, -1);
        }
    }
    // Live statuses of the ones in flight.
    for inv in c.invocations.iter_mut().filter(|i| !i.status.terminal()) {
        if inv.cancel_at.is_some() && inv.started_by(now) {
            inv.status = IStatus::Cancelling;
            inv.details = "Cancelling";
        } else if inv.started_by(now) {
            inv.status = IStatus::InProgress;
            inv.details = "In Progress";
        } else {
            inv.status = IStatus::Pending;
            inv.details = "Pending";
        }
    }
    settle(c, now);
}

/// Start waiting targets while MaxConcurrency allows (at the command's simulated time).
fn fill_slots(c: &mut Command) {
    if c.stopped || c.cancel_at.is_some() {
        return;
    }
    let running = c
        .invocations
        .iter()
        .filter(|i| i.start.is_some() && !i.status.terminal())
        .count();
    let mut free = c.concurrency.saturating_sub(running);
    let t = c.sim_time;
    let seed = c.seed;
    let speedup = c.speedup;
    for (k, inv) in c.invocations.iter_mut().enumerate() {
        if free == 0 {
            break;
        }
        if inv.start.is_none()
            && !inv.status.terminal()
            && inv.cancel_at.is_none()
            && matches!(inv.plan, Plan::Run { .. })
        {
            let mut r = Rng::new(seed ^ (k as u64).wrapping_mul(0x9E37_79B9));
            inv.start = Some(t + scaled(0.8 + r.unit() * 1.6, speedup));
            free -= 1;
        }
    }
}

fn finish(
    inv: &mut Invocation,
    status: IStatus,
    details: &'static str,
    at: DateTime<Utc>,
    code: i32,
) {
    inv.status = status;
    inv.details = details;
    inv.end = Some(at);
    inv.response_code = code;
}

/// One delivered invocation ends at `t`.
fn complete(c: &mut Command, k: usize, t: DateTime<Utc>, f: &mut RegionFleet) {
    let (start, duration_s) = {
        let inv = &c.invocations[k];
        let Plan::Run { duration_s } = inv.plan else {
            return;
        };
        (inv.start.unwrap_or(t), duration_s)
    };
    let natural = start + c.lifecycle(duration_s.min(c.exec_timeout_s as f64));
    if c.invocations[k].cancel_at.is_some() && t < natural {
        finish(
            &mut c.invocations[k],
            IStatus::Cancelled,
            "Cancelled",
            t,
            -1,
        );
        return;
    }
    if duration_s > c.exec_timeout_s as f64 {
        let inv = &mut c.invocations[k];
        finish(inv, IStatus::TimedOut, "Execution Timed Out", t, -1);
        inv.is_error = true;
        return;
    }
    let id = c.invocations[k].instance_id.clone();
    let (ok, code, result) = run_effects(c, &id, start, t, f);
    let inv = &mut c.invocations[k];
    inv.result = Some(result);
    if ok {
        finish(inv, IStatus::Success, "Success", t, code);
    } else {
        finish(inv, IStatus::Failed, "Failed", t, code);
        inv.is_error = true;
    }
}

/// What running the document did on the node: (success, exit code, result).
fn run_effects(
    c: &Command,
    id: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    f: &mut RegionFleet,
) -> (bool, i32, RunResult) {
    let snapshot = c
        .parameters
        .get("SnapshotId")
        .and_then(|v| v.get(0))
        .and_then(|v| v.as_str())
        .map(String::from)
        .unwrap_or_else(|| Rng::new(c.seed).uuid());
    if !matches!(c.doc, Doc::PatchBaseline { .. }) {
        // Scripts, packages and agent updates leave the node's patch data alone.
        let Some(node) = f.node(id) else {
            return (false, 1, RunResult::default());
        };
        let code = match &c.doc {
            Doc::Script { lines, powershell } => {
                super::output::script_run(f, c, node, lines, *powershell, start).code
            }
            Doc::Package {
                install,
                name,
                version,
            } => super::output::package_run(node, *install, name, version).2,
            Doc::UpdateAgent { version } => {
                super::output::agent_update_run(node, &f.region, version).2
            }
            Doc::PatchBaseline { .. } => 0,
        };
        let result = RunResult {
            before: node.counts,
            after: node.counts,
            ..RunResult::default()
        };
        return (code == 0, code, result);
    }
    let baseline_id = f.node(id).map(|n| f.baseline_id_for(n)).unwrap_or_default();
    let Some(node) = f.node_mut(id) else {
        return (false, 1, RunResult::default());
    };
    match &c.doc {
        Doc::Script { .. } | Doc::Package { .. } | Doc::UpdateAgent { .. } => {
            (false, 1, RunResult::default())
        }
        Doc::PatchBaseline { install, reboot } => {
            let before = node.counts;
            let broken = node.association_status == "Failed";
            let prev_no_reboot = node.report.as_ref().and_then(|r| r.last_no_reboot);
            if !install {
                if !broken {
                    node.report = Some(PatchReport {
                        baseline_id,
                        snapshot_id: snapshot.clone(),
                        operation: Operation::Scan,
                        start,
                        end,
                        reboot_if_needed: *reboot,
                        last_no_reboot: prev_no_reboot,
                        execution_id: c.id.clone(),
                    });
                }
                let result = RunResult {
                    before,
                    after: node.counts,
                    installed: Some(Vec::new()),
                    failed: Vec::new(),
                    rebooted: false,
                    snapshot_id: snapshot,
                };
                return (!broken, if broken { 1 } else { 0 }, result);
            }
            let fail = broken || before.failed > 0;
            let mut list = patches::patch_list(node);
            let mut installed = Vec::new();
            let mut failed = Vec::new();
            // A failing node keeps failing on the patches that failed before (or its
            // first missing security patch).
            let mut fail_budget = if fail && before.failed == 0 { 1 } else { 0 };
            for p in list.iter_mut() {
                match p.state {
                    PState::Failed if fail => failed.push(p.package.to_string()),
                    PState::Missing if fail && fail_budget > 0 && !p.cve_ids.is_empty() => {
                        p.state = PState::Failed;
                        fail_budget -= 1;
                        failed.push(p.package.to_string());
                    }
                    PState::Missing | PState::Failed => {
                        p.state = if *reboot {
                            PState::Installed
                        } else {
                            PState::InstalledPendingReboot
                        };
                        p.installed_time = Some(end);
                        p.cve_ids = "";
                        installed.push(p.package.to_string());
                    }
                    PState::InstalledPendingReboot if *reboot => p.state = PState::Installed,
                    _ => {}
                }
            }
            if fail
                && failed.is_empty()
                && let Some(p) = list.iter_mut().find(|p| p.state == PState::Installed)
            {
                // Nothing left to fail on: the package manager itself fails.
                failed.push(p.package.to_string());
            }
            let rebooted = *reboot && (!installed.is_empty() || before.pending_reboot > 0);
            node.counts = patches::counts_of(&list);
            node.patches = Some(list);
            node.report = Some(PatchReport {
                baseline_id,
                snapshot_id: snapshot.clone(),
                operation: Operation::Install,
                start,
                end,
                reboot_if_needed: *reboot,
                last_no_reboot: if *reboot { prev_no_reboot } else { Some(end) },
                execution_id: c.id.clone(),
            });
            let result = RunResult {
                before,
                after: node.counts,
                installed: Some(installed),
                failed,
                rebooted,
                snapshot_id: snapshot,
            };
            (!fail, if fail { 1 } else { 0 }, result)
        }
    }
}

/// The command's own status, from its invocations.
pub fn settle(c: &mut Command, now: DateTime<Utc>) {
    let all_terminal = c.invocations.iter().all(|i| i.status.terminal());
    if !all_terminal {
        let (s, d) = if c.cancel_at.is_some() {
            ("Cancelling", "Cancelling")
        } else if c
            .invocations
            .iter()
            .any(|i| i.started_by(now) || i.status.terminal())
        {
            ("InProgress", "In Progress")
        } else {
            ("Pending", "Pending")
        };
        c.status = s;
        c.status_details = d;
        return;
    }
    c.done = true;
    let errors: Vec<&Invocation> = c.invocations.iter().filter(|i| i.is_error).collect();
    let dto = c
        .invocations
        .iter()
        .filter(|i| i.details == "Delivery Timed Out")
        .count();
    // Invocations that neither count against MaxErrors nor decide Success / Incomplete.
    let counted: Vec<&Invocation> = c.invocations.iter().filter(|i| !neutral(i)).collect();
    let (s, d) =
        if c.cancel_at.is_some() && c.invocations.iter().any(|i| i.status == IStatus::Cancelled) {
            ("Cancelled", "Cancelled")
        } else if errors.len() > c.error_limit {
            if errors.iter().all(|i| i.status == IStatus::TimedOut) {
                ("TimedOut", "Execution Timed Out")
            } else {
                ("Failed", "Failed")
            }
        } else if counted.is_empty() {
            // "if all invocations in a command have the status Undeliverable, then the
            // command status returned is Failed" (User Guide, monitor-commands)
            ("Failed", "Failed")
        } else if counted.iter().all(|i| i.status == IStatus::Success) {
            ("Success", "Success")
        } else if dto > c.error_limit {
            ("TimedOut", "Delivery Timed Out")
        } else {
            ("Failed", "Incomplete")
        };
    c.status = s;
    c.status_details = d;
}

/// Undeliverable, Invalid Platform, Access Denied: not the command's fault, so they count
/// neither against MaxErrors nor toward Success / Incomplete (model text of
/// `CommandInvocation.StatusDetails`; User Guide "Understanding command statuses").
fn neutral(i: &Invocation) -> bool {
    matches!(
        i.details,
        "Undeliverable" | "InvalidPlatform" | "Invalid Platform" | "AccessDenied" | "Access Denied"
    )
}

/// CancelCommand: stop waiting targets now; running ones go `Cancelling`, then `Cancelled`.
pub fn cancel(c: &mut Command, ids: &[&str], now: DateTime<Utc>) {
    if c.done {
        return;
    }
    if ids.is_empty() {
        c.cancel_at = Some(now);
    }
    for inv in c
        .invocations
        .iter_mut()
        .filter(|i| ids.is_empty() || ids.contains(&i.instance_id.as_str()))
        .filter(|i| !i.status.terminal())
    {
        inv.cancel_at = Some(now);
        if inv.started_by(now) {
            inv.status = IStatus::Cancelling;
            inv.details = "Cancelling";
        } else {
            inv.start = None;
            finish(inv, IStatus::Cancelled, "Cancelled", now, -1);
        }
    }
    settle(c, now);
}
