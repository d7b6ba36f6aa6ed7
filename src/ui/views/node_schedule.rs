//! The node detail's patch-schedule rows: its baseline by name with its rules in words,
//! what patches it (windows or associations, or "uncovered") and its next run.

use chrono::{DateTime, Utc};
use ratatui::style::Style;

use super::sched_fmt as sf;
use crate::model::patching::Coverage;
use crate::model::{FleetSnapshot, Node};
use crate::text::sanitize;
use crate::ui::theme::{Role, Theme};

/// What the node detail shows about a node's patch schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSchedule {
    pub coverage: Coverage,
    /// The soonest next run of what installs, and what runs then ("window prod-patch-sun-0300").
    pub next: Option<(DateTime<Utc>, String)>,
    /// The soonest next scan (a scan-only window or association).
    pub next_scan: Option<(DateTime<Utc>, String)>,
    /// What targets it but never runs again.
    pub no_future_run: Vec<String>,
    /// Its baseline: name, AWS-managed, default for its OS, rules in words.
    pub baseline: Option<(String, bool, bool, String)>,
}

impl NodeSchedule {
    /// `None` while the patch schedules were never read.
    pub fn of(snap: &FleetSnapshot, n: &Node, now: DateTime<Utc>) -> Option<NodeSchedule> {
        let s = &snap.schedules;
        s.fetched_at?;
        let p = s
            .coverage_list(std::slice::from_ref(n), now)
            .into_iter()
            .next()?;
        Some(NodeSchedule {
            coverage: p.coverage,
            next: p.next_run,
            next_scan: p.next_scan,
            no_future_run: p.no_future_run,
            baseline: s.baseline_of(n).map(|b| {
                (
                    sanitize(&b.name),
                    b.aws_managed,
                    b.default,
                    sanitize(&b.rules_summary()),
                )
            }),
        })
    }
}

fn names(by: &[String]) -> String {
    sanitize(
        &by.iter()
            .map(|b| b.strip_prefix("window ").unwrap_or(b))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// The "Baseline" row: its name (and owner), else the id the node reports.
pub fn baseline_row(
    s: Option<&NodeSchedule>,
    n: &Node,
    theme: &Theme,
) -> (&'static str, String, Style) {
    let tx = theme.style(Role::Text);
    match s.and_then(|s| s.baseline.as_ref()) {
        Some((name, aws, default, _)) => (
            "Baseline",
            format!(
                "{name} ({}{})",
                if *aws { "AWS" } else { "custom" },
                if *default { ", default" } else { "" }
            ),
            tx,
        ),
        None => (
            "Baseline",
            match n.baseline_id.as_deref() {
                Some(id) => sanitize(id),
                None => "- (never scanned: no baseline reported)".into(),
            },
            theme.style(Role::Muted),
        ),
    }
}

/// Rules (roomy layouts), what patches it, its next run (one row with "patched by" when
/// compact).
pub fn rows(
    s: Option<&NodeSchedule>,
    now: DateTime<Utc>,
    theme: &Theme,
    compact: bool,
) -> Vec<(&'static str, String, Style)> {
    let Some(s) = s else {
        return vec![(
            "Patched by",
            "? patch schedules not read yet".into(),
            theme.style(Role::Muted),
        )];
    };
    let mut out = Vec::new();
    if !compact && let Some((_, _, _, rules)) = &s.baseline {
        out.push(("Rules", rules.clone(), theme.style(Role::Muted)));
    }
    let (mut by, role) = match &s.coverage {
        Coverage::Install { by } => (names(by), Role::Ok),
        Coverage::ScanOnly { by } => (
            format!("scan only ({}) — nothing installs patches", names(by)),
            Role::Warning,
        ),
        Coverage::Uncovered if s.no_future_run.is_empty() => {
            ("✗ uncovered — nothing targets it".into(), Role::Critical)
        }
        Coverage::Uncovered => (
            "✗ uncovered — nothing that runs again targets it".into(),
            Role::Critical,
        ),
        Coverage::Unknown { reason } => (format!("? {}", sanitize(reason)), Role::Unreported),
    };
    // what targets it but never runs again is listed, said to cover nothing
    if !s.no_future_run.is_empty() {
        by.push_str(&format!(" · {} (no future run)", names(&s.no_future_run)));
    }
    // how soon and by what first: the absolute time (its zone said) last, whole in `d`
    let when = |(t, what): &(DateTime<Utc>, String)| {
        format!(
            "{} · {} · {}",
            sf::until(now, *t),
            sanitize(what.strip_prefix("window ").unwrap_or(what)),
            sf::local(*t),
        )
    };
    let next = s.next.as_ref().map(when);
    if compact {
        let text = match (&s.coverage, &s.next) {
            (Coverage::Install { .. }, Some((t, _))) => {
                format!("{by} · next {}", sf::until(now, *t))
            }
            _ => by,
        };
        out.push(("Patched by", text, theme.style(role)));
    } else {
        out.push(("Patched by", by, theme.style(role)));
        // "Next run" answers "when is it patched next": an install, never a scan
        if matches!(s.coverage, Coverage::Install { .. }) {
            out.push((
                "Next run",
                next.unwrap_or_else(|| "none scheduled".into()),
                theme.style(Role::Text),
            ));
        } else if !matches!(s.coverage, Coverage::Unknown { .. }) {
            out.push((
                "Next run",
                "no install scheduled".into(),
                theme.style(Role::Warning),
            ));
        }
        if let Some(scan) = &s.next_scan {
            out.push(("Next scan", when(scan), theme.style(Role::Muted)));
        }
    }
    out
}
