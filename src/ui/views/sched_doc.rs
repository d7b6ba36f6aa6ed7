//! Describe documents (`d`, `y`, Enter where there is no drill-down) for the patch-schedule
//! rows: a maintenance window, one of its executions or task invocations, a patch
//! association, a patch baseline. Built like the others in [`super::doc`].

use chrono::{DateTime, Duration, Utc};

use super::doc::Doc;
use super::sched_fmt as sf;
use crate::model::FleetSnapshot;
use crate::model::patching::{
    MaintenanceWindow, PatchAssociation, PatchBaseline, Resolution, TaskInvocation, WindowExecution,
};
use crate::ui::theme::Role;

fn account_label(snap: &FleetSnapshot, id: &str) -> String {
    let name = sf::account(snap, id);
    if name == id {
        id.to_string()
    } else {
        format!("{name} ({id})")
    }
}

fn when(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => format!("{} ({})", sf::local_long(t), super::fmt::ago(now, Some(t))),
        None => "-".into(),
    }
}

fn resolution(r: &Resolution) -> (String, Role) {
    match r {
        Resolution::Nodes(v) => (format!("{} node(s)", v.len()), Role::Text),
        Resolution::All => (
            "every managed node of the account and region".into(),
            Role::Text,
        ),
        Resolution::Unresolved(why) => (format!("not resolved: {why}"), Role::Warning),
        Resolution::Unknown => ("not resolved".into(), Role::Warning),
    }
}

/// A maintenance window: schedule, next run, targets, tasks, the last executions.
pub fn window(snap: &FleetSnapshot, w: &MaintenanceWindow, now: DateTime<Utc>) -> Doc {
    let mut d = Doc::new(
        "window",
        &w.window_id,
        format!("maintenance window {} ({})", w.name, w.window_id),
        w,
    );
    let next = w.next_run(now);
    d.heading("Window")
        .field("Name", &w.name)
        .field("ID", &w.window_id)
        .opt("Description", &w.description)
        .field("Account", account_label(snap, &w.account_id))
        .field("Region", &w.region)
        .field_as(
            "Enabled",
            if w.enabled {
                "yes"
            } else {
                "no — it never runs"
            },
            if w.enabled { Role::Text } else { Role::Warning },
        );
    d.heading("Schedule")
        .field("As written", &w.schedule)
        .field("In words", w.spec().describe())
        .field(
            "Time zone",
            w.timezone.as_deref().unwrap_or("UTC (none set)"),
        );
    if let Some(o) = sf::utc_offset(w.timezone.as_deref(), now) {
        d.field("UTC offset now", o);
    }
    d.field(
        "Schedule offset",
        match w.offset_days {
            Some(n) if n > 0 => format!("{n} day(s) after each occurrence"),
            _ => "none".into(),
        },
    )
    .field_as(
        "Next run",
        match &next {
            Ok(t) => format!("{} ({})", sf::local_long(*t), sf::until(now, *t)),
            Err(e) => sf::no_next(e),
        },
        sf::next_role(&next),
    )
    .opt(
        "AWS next run",
        w.aws_next_execution.as_deref().unwrap_or(""),
    )
    .field(
        "Duration / cutoff",
        format!("{} h / {} h", w.duration_hours, w.cutoff_hours),
    )
    .opt(
        "Start date",
        w.start_date.map(sf::local_long).unwrap_or_default(),
    )
    .opt(
        "End date",
        w.end_date.map(sf::local_long).unwrap_or_default(),
    );
    d.heading("Targets");
    if w.targets.is_empty() {
        d.field_as(
            "Targets",
            "none: this window runs on nothing",
            Role::Warning,
        );
    }
    for t in &w.targets {
        let (res, role) = resolution(&t.resolved);
        let sel: Vec<String> = t.targets.iter().map(|x| x.describe()).collect();
        let label = if t.name.is_empty() {
            &t.target_id
        } else {
            &t.name
        };
        d.field_as(label, format!("{} → {res}", sel.join("; ")), role);
    }
    d.heading("Tasks");
    if w.tasks.is_empty() {
        d.field_as("Tasks", "none: this window does nothing", Role::Warning);
    }
    for t in &w.tasks {
        let label = if t.name.is_empty() {
            &t.task_id
        } else {
            &t.name
        };
        d.field(
            label,
            format!(
                "{} ({}) · operation {} · reboot {}",
                t.task_arn,
                t.task_type,
                t.operation.as_deref().unwrap_or("-"),
                t.reboot_option.as_deref().unwrap_or("-")
            ),
        );
    }
    d.heading("Executions");
    let since = now - Duration::days(30);
    d.field("Failed, last 30 days", w.failures_since(since).to_string());
    for e in w.executions.iter().take(8) {
        d.field_as(
            &when(e.start, now),
            format!(
                "{}{}",
                e.status,
                match &e.failed_targets {
                    Some(v) if !v.is_empty() => format!(" · failed: {}", v.join(", ")),
                    _ => String::new(),
                }
            ),
            sf::exec_role(&e.status),
        );
    }
    d
}

/// One execution of a window.
pub fn execution(
    snap: &FleetSnapshot,
    w: &MaintenanceWindow,
    e: &WindowExecution,
    now: DateTime<Utc>,
) -> Doc {
    let mut d = Doc::new(
        "window-execution",
        &e.execution_id,
        format!("execution {} of {}", e.execution_id, w.name),
        e,
    );
    d.heading("Execution")
        .field("Window", format!("{} ({})", w.name, w.window_id))
        .field("Account", account_label(snap, &w.account_id))
        .field("Region", &w.region)
        .field("Execution ID", &e.execution_id)
        .field_as("Status", &e.status, sf::exec_role(&e.status))
        .opt("Details", &e.status_details)
        .field("Started", when(e.start, now))
        .field("Ended", when(e.end, now))
        .field("Took", sf::took(e.start, e.end));
    match &e.failed_targets {
        Some(v) => {
            d.list("Failed nodes", v);
        }
        None => {
            d.field(
                "Failed nodes",
                "not read with the schedules (Enter lists every invocation)",
            );
        }
    }
    d
}

/// One task invocation of an execution (one node).
pub fn task_invocation(
    snap: &FleetSnapshot,
    window_name: &str,
    i: &TaskInvocation,
    account_id: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Doc {
    let mut d = Doc::new(
        "window-invocation",
        &format!("{}/{}", i.instance_id, i.command_id),
        format!("{window_name} on {}", i.instance_id),
        i,
    );
    d.heading("Task invocation")
        .field("Window", window_name)
        .field("Instance ID", &i.instance_id)
        .field("Account", account_label(snap, account_id))
        .field("Region", region)
        .field_as("Status", &i.status, sf::exec_role(&i.status))
        .opt("Details", &i.status_details)
        .field(
            "Command ID",
            if i.command_id.is_empty() {
                "-"
            } else {
                &i.command_id
            },
        )
        .opt("Window target", &i.window_target_id)
        .field("Started", when(i.start, now))
        .field("Ended", when(i.end, now));
    d
}

/// A patch association (a Quick Setup patch policy's among them).
pub fn association(snap: &FleetSnapshot, a: &PatchAssociation, now: DateTime<Utc>) -> Doc {
    let mut d = Doc::new(
        "association",
        &a.association_id,
        format!("patch association {} ({})", a.name, a.association_id),
        a,
    );
    let next = a.next_run(now);
    d.heading("Association")
        .field("Name", &a.name)
        .field("ID", &a.association_id)
        .field(
            "Kind",
            if a.is_quick_setup() {
                "Quick Setup patch policy"
            } else {
                "State Manager association"
            },
        )
        .field("Account", account_label(snap, &a.account_id))
        .field("Region", &a.region)
        .field("Document", &a.document)
        .field("Operation", a.operation.as_deref().unwrap_or("-"))
        .field("Reboot option", a.reboot_option.as_deref().unwrap_or("-"));
    d.heading("Schedule")
        .field("As written", a.schedule.as_deref().unwrap_or("(none)"))
        .field(
            "In words",
            a.spec()
                .map(|s| s.describe())
                .unwrap_or_else(|| "no schedule (runs when targets change)".into()),
        )
        .field_as(
            "Next run",
            match &next {
                Ok(t) => format!("{} ({})", sf::local_long(*t), sf::until(now, *t)),
                Err(e) => sf::no_next(e),
            },
            sf::next_role(&next),
        );
    d.heading("Targets");
    let sel: Vec<String> = a.targets.iter().map(|x| x.describe()).collect();
    let (res, role) = resolution(&a.resolved);
    d.field_as("Selects", format!("{} → {res}", sel.join("; ")), role);
    d.heading("Compliance")
        .field("Status", a.status.as_deref().unwrap_or("never run"))
        .field("Last run", when(a.last_execution, now))
        .field("Nodes by status", sf::association_counts(a));
    d
}

/// A patch baseline: rules in words, global filters, approved / rejected lists, sources.
pub fn baseline(snap: &FleetSnapshot, b: &PatchBaseline, nodes: usize, compliant: usize) -> Doc {
    let mut d = Doc::new(
        "baseline",
        &b.baseline_id,
        format!("patch baseline {} ({})", b.name, b.baseline_id),
        b,
    );
    d.heading("Baseline")
        .field("Name", &b.name)
        .field("ID", &b.baseline_id)
        .opt("Description", &b.description)
        .field("Operating system", &b.operating_system)
        .field(
            "Owner",
            if b.aws_managed {
                "AWS-managed"
            } else {
                "custom"
            },
        )
        .field(
            "Default",
            if b.default {
                format!("yes — the default for {} here", b.operating_system)
            } else {
                "no".into()
            },
        )
        .field("Account", account_label(snap, &b.account_id))
        .field("Region", &b.region);
    d.list("Patch groups", &b.patch_groups);
    d.heading("Nodes").field(
        "Using it",
        if nodes == 0 {
            "none report it".to_string()
        } else {
            format!(
                "{nodes} · {compliant} compliant ({:.0}%)",
                compliant as f64 * 100.0 / nodes as f64
            )
        },
    );
    d.heading("Approval rules");
    if !b.detailed {
        d.field_as(
            "Rules",
            "not read (GetPatchBaseline is read for baselines nodes use)",
            Role::Muted,
        );
    } else if b.rules.is_empty() {
        d.field("Rules", "no approval rules (only the approved list)");
    }
    for (i, r) in b.rules.iter().enumerate() {
        d.field(&format!("Rule {}", i + 1), r.describe());
    }
    if b.detailed {
        d.heading("Global filters");
        let gf: Vec<String> = b
            .global_filters
            .iter()
            .map(|(k, v)| format!("{k} = {}", v.join(", ")))
            .collect();
        d.list("Filters", &gf);
        d.heading("Explicit lists");
        d.list("Approved", &b.approved);
        d.list("Rejected", &b.rejected);
        d.opt(
            "Rejected action",
            b.rejected_action.as_deref().unwrap_or(""),
        );
        if !b.sources.is_empty() {
            d.heading("Sources");
            for (name, products, conf) in &b.sources {
                d.field(name, format!("{} — {}", products.join(", "), conf));
            }
        }
    }
    d
}

/// A managed node ([`super::doc::node`]) with its patch schedule, before its collection
/// errors.
pub fn node(snap: &FleetSnapshot, n: &crate::model::Node, now: DateTime<Utc>) -> Doc {
    let mut d = super::doc::node(snap, n, now);
    let errors = d
        .items
        .iter()
        .position(|i| matches!(i, super::doc::Item::Heading(h) if h == "Collection errors"));
    let tail = errors.map(|at| d.items.split_off(at)).unwrap_or_default();
    node_schedule(&mut d, snap, n, now);
    d.items.extend(tail);
    d
}

/// A node's patch schedule in its describe document: baseline by name with its rules,
/// what patches it and when.
pub fn node_schedule(
    d: &mut Doc,
    snap: &FleetSnapshot,
    n: &crate::model::Node,
    now: DateTime<Utc>,
) {
    use crate::model::patching::Coverage;
    d.heading("Patch schedule");
    let Some(s) = super::node_schedule::NodeSchedule::of(snap, n, now) else {
        d.field_as("Patched by", "? patch schedules not read yet", Role::Muted);
        return;
    };
    match &s.baseline {
        Some((name, aws, default, rules)) => {
            d.field(
                "Baseline name",
                format!(
                    "{name} ({}{})",
                    if *aws { "AWS-managed" } else { "custom" },
                    if *default { ", default for its OS" } else { "" }
                ),
            )
            .field("Approval rules", rules);
        }
        None => {
            // the id the patch state names, so it can be looked up (another account's
            // shared baseline, one deleted since the scan, or a region not read)
            let text = match n.baseline_id.as_deref() {
                Some(id) if !id.is_empty() => {
                    format!("{id} — not among the baselines read")
                }
                _ => "- (never scanned: no baseline reported)".to_string(),
            };
            d.field_as("Baseline", text, Role::Muted);
        }
    }
    let (text, role) = match &s.coverage {
        Coverage::Install { by } => (by.join(", "), Role::Text),
        Coverage::ScanOnly { by } => (
            format!("scan only ({}): nothing installs patches", by.join(", ")),
            Role::Warning,
        ),
        Coverage::Uncovered => (
            "uncovered: no maintenance window or patch association targets it".into(),
            Role::Error,
        ),
        Coverage::Unknown { reason } => (format!("unknown: {reason}"), Role::Warning),
    };
    d.field_as("Patched by", text, role);
    if let Some((t, what)) = &s.next {
        d.field(
            "Next run",
            format!("{} ({}) · {what}", sf::local_long(*t), sf::until(now, *t)),
        );
    }
}
