//! Text helpers the patch-schedule views share (`:windows`, a window, an execution,
//! `:baselines`, the node detail's schedule rows): next runs in local time (zone said) and relative,
//! execution statuses, task summaries, and which accounts' schedules are missing.

use chrono::{DateTime, Utc};

use crate::model::FleetSnapshot;
use crate::model::patching::{MaintenanceWindow, PatchAssociation, WindowExecution};
use crate::model::schedule::NoNext;
use crate::text::sanitize;
use crate::ui::theme::Role;

/// A time in the user's local time zone, the zone said (`Sun 12-06 03:00 UTC`,
/// `Sun 12-06 04:00 +01:00`): a window's schedule reads in its own zone right beside it, so
/// an unlabelled time would read as that zone's. Unit tests draw UTC so their snapshots do
/// not depend on the machine.
pub fn local(t: DateTime<Utc>) -> String {
    let (t, zone) = in_local(t);
    format!("{} {zone}", t.format("%a %m-%d %H:%M"))
}

/// A local date and time with the year and zone, for describe documents.
pub fn local_long(t: DateTime<Utc>) -> String {
    let (t, zone) = in_local(t);
    format!("{} {zone}", t.format("%Y-%m-%d %H:%M"))
}

/// `t` as the local wall clock reads it (UTC in unit tests), and the zone's label: `UTC`
/// at offset zero, else the offset (`+05:30`).
fn in_local(t: DateTime<Utc>) -> (chrono::NaiveDateTime, String) {
    #[cfg(test)]
    let offset = chrono::FixedOffset::east_opt(0).expect("zero offset");
    #[cfg(not(test))]
    let offset = *t.with_timezone(&chrono::Local).offset();
    let label = if offset.local_minus_utc() == 0 {
        "UTC".to_string()
    } else {
        offset.to_string()
    };
    (t.with_timezone(&offset).naive_local(), label)
}

#[cfg(test)]
#[test]
fn local_times_say_their_zone() {
    let t = DateTime::parse_from_rfc3339("2026-12-06T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(local(t), "Sun 12-06 03:00 UTC");
    assert_eq!(local_long(t), "2026-12-06 03:00 UTC");
}

/// "in 5d", "in 3h", "in 12m", "now" (a time in the past reads "now").
pub fn until(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let s = (t - now).num_seconds();
    match s {
        i64::MIN..=0 => "now".into(),
        1..=59 => format!("in {s}s"),
        60..=3599 => format!("in {}m", s / 60),
        3600..=172_799 => format!("in {}h", s / 3600),
        _ => format!("in {}d", s / 86_400),
    }
}

/// Why there is no next run, in a few words (a marker when the schedule is not understood).
pub fn no_next(e: &NoNext) -> String {
    match e {
        NoNext::Unparsed => "(?) schedule not understood".into(),
        NoNext::UnknownTimezone(tz) => format!("(?) unknown time zone {}", sanitize(tz)),
        NoNext::RateWithoutAnchor => "after its first run".into(),
        // an at() in the past, an end date passed, disabled: it covers nothing
        NoNext::Never => "no future run".into(),
    }
}

/// "Sun 12-06 03:00 (in 5d)", or why there is none.
pub fn next_text(r: &Result<DateTime<Utc>, NoNext>, now: DateTime<Utc>) -> String {
    match r {
        Ok(t) => format!("{} ({})", local(*t), until(now, *t)),
        Err(e) => no_next(e),
    }
}

/// The role of a next run: muted when there is none, a warning when it cannot be computed.
pub fn next_role(r: &Result<DateTime<Utc>, NoNext>) -> Role {
    match r {
        Ok(_) => Role::Text,
        Err(NoNext::Unparsed | NoNext::UnknownTimezone(_)) => Role::Warning,
        Err(_) => Role::Muted,
    }
}

/// A maintenance-window execution status (`SUCCESS`, `FAILED`, …) as a theme role.
pub fn exec_role(status: &str) -> Role {
    match status.to_ascii_uppercase().as_str() {
        "SUCCESS" => Role::Ok,
        "FAILED" | "TIMED_OUT" | "SKIPPED_OVERLAPPING" => Role::Error,
        "CANCELLED" | "CANCELLING" => Role::Muted,
        "PENDING" | "IN_PROGRESS" => Role::Info,
        _ => Role::Text,
    }
}

/// "FAILED 2d ago", or "never run".
pub fn last_run(e: Option<&WindowExecution>, now: DateTime<Utc>) -> String {
    match e {
        Some(e) => format!(
            "{} {}",
            sanitize(&e.status),
            super::fmt::ago(now, e.start.or(e.end))
        ),
        None => "never run".into(),
    }
}

/// Duration of an ended execution or invocation in seconds, for exports.
pub fn took_secs(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> Option<i64> {
    match (start, end) {
        (Some(s), Some(e)) if e >= s => Some((e - s).num_seconds()),
        _ => None,
    }
}

/// Duration of an execution or invocation ("12m", "-" while unknown).
pub fn took(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> String {
    match (start, end) {
        (Some(s), Some(e)) if e >= s => super::fmt::age(e, Some(s)),
        (Some(_), None) => "running".into(),
        _ => "-".into(),
    }
}

/// "RunPatchBaseline Install · RebootIfNeeded" per task, `; `-separated.
pub fn tasks(w: &MaintenanceWindow) -> String {
    if w.tasks.is_empty() {
        return "no tasks".into();
    }
    w.tasks
        .iter()
        .map(|t| {
            let doc = t.task_arn.rsplit('/').next().unwrap_or(&t.task_arn);
            let doc = doc.strip_prefix("AWS-").unwrap_or(doc);
            let mut s = doc.to_string();
            if let Some(op) = &t.operation {
                s.push(' ');
                s.push_str(op);
            }
            if let Some(r) = &t.reboot_option {
                s.push_str(" · ");
                s.push_str(r);
            }
            sanitize(&s)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The same for a patch association.
pub fn association_task(a: &PatchAssociation) -> String {
    let doc = a.document.strip_prefix("AWS-").unwrap_or(&a.document);
    let mut s = doc.to_string();
    if let Some(op) = &a.operation {
        s.push(' ');
        s.push_str(op);
    }
    if let Some(r) = &a.reboot_option {
        s.push_str(" · ");
        s.push_str(r);
    }
    sanitize(&s)
}

/// An association's node counts per status: "Success 12 · Failed 1".
pub fn association_counts(a: &PatchAssociation) -> String {
    if a.counts.is_empty() {
        return "-".into();
    }
    a.counts
        .iter()
        .map(|(k, v)| format!("{} {v}", sanitize(k)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Time zone and schedule offset as one label: "Asia/Tokyo +2d", "UTC".
pub fn zone(tz: Option<&str>, offset_days: Option<u32>) -> String {
    let tz = sanitize(tz.filter(|t| !t.is_empty()).unwrap_or("UTC"));
    match offset_days {
        Some(d) if d > 0 => format!("{tz} +{d}d"),
        _ => tz,
    }
}

/// The UTC offset of an IANA zone at `now` ("UTC+09:00"), when the zone is known.
pub fn utc_offset(tz: Option<&str>, now: DateTime<Utc>) -> Option<String> {
    use chrono::Offset;
    let tz: chrono_tz::Tz = tz?.parse().ok()?;
    let secs = now.with_timezone(&tz).offset().fix().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.abs() / 60;
    Some(format!("UTC{sign}{:02}:{:02}", m / 60, m % 60))
}

/// An account's name (its id when it has none), sanitized.
pub fn account(snap: &FleetSnapshot, id: &str) -> String {
    let n = snap.account_name(id);
    sanitize(if n.is_empty() { id } else { n })
}

/// Account × region pairs whose patch schedules were not read, grouped per account:
/// `["audit (AccessDenied)", "staging: ap-southeast-2"]`. Empty when everything was read
/// (or nothing was tried yet: see `PatchSchedules::fetched_at`).
pub fn missing(snap: &FleetSnapshot) -> Vec<String> {
    let s = &snap.schedules;
    if s.fetched_at.is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for a in snap.accounts.iter().filter(|a| a.state.is_active()) {
        let regions: Vec<&str> = snap
            .regions
            .iter()
            .filter(|r| !s.read.iter().any(|(ra, rr)| *ra == a.id && rr == *r))
            .map(String::as_str)
            .collect();
        if regions.is_empty() {
            continue;
        }
        let code = s
            .errors
            .iter()
            .chain(&snap.errors)
            .find(|e| e.account_id.as_deref() == Some(a.id.as_str()))
            .map(|e| sanitize(&e.code));
        let name = account(snap, &a.id);
        let mut t = if regions.len() == snap.regions.len() {
            name
        } else {
            format!("{name}: {}", sanitize(&regions.join(", ")))
        };
        if let Some(c) = code {
            t.push_str(&format!(" ({c})"));
        }
        out.push(t);
    }
    out
}

/// Nodes a window's targets resolve to; `InstanceIds=*` is every node of its account and
/// region in the snapshot; `None` when a target could not be resolved.
pub fn window_nodes(
    snap: &FleetSnapshot,
    w: &crate::model::patching::MaintenanceWindow,
) -> Option<usize> {
    use crate::model::patching::Resolution;
    if w.targets.iter().any(|t| t.resolved == Resolution::All) {
        let unit = snap
            .nodes
            .iter()
            .filter(|n| n.account_id == w.account_id && n.region == w.region)
            .count();
        return w
            .targets
            .iter()
            .all(|t| matches!(t.resolved, Resolution::All | Resolution::Nodes(_)))
            .then_some(unit);
    }
    w.target_nodes()
}
