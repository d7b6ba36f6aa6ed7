//! The exit-code policy of `ssmdeck report`, for cron and CI:
//! - `0` the report was written and no alert condition holds;
//! - `1` the report was written and `--fail-on` / `--fail-if-expiring` found something
//!   (each reason is printed on stderr);
//! - `2` no report: bad flags, unreadable `--since` file, refused overwrite, write error,
//!   or nothing could be collected.

use chrono::{DateTime, Utc};

use super::FailOn;
use crate::model::{Compliance, FleetSnapshot, Node};

use super::rows::{cert_days_left, sorted_certs};
use super::summary::worst_nodes;

pub const EXIT_OK: u8 = 0;
pub const EXIT_ALERT: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// The alert conditions asked for on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub fail_on: Option<FailOn>,
    pub fail_if_expiring: Option<i64>,
}

fn level_name(l: FailOn) -> &'static str {
    match l {
        FailOn::Critical => "critical",
        FailOn::Security => "security",
        FailOn::Any => "any",
        FailOn::Uncovered => "uncovered",
        FailOn::WindowFailed => "window-failed",
    }
}

/// Whether a node breaches `--fail-on LEVEL`:
/// `critical` = a critical non-compliant patch; `security` = a critical or security
/// non-compliant patch; `any` = the node is non-compliant. Unreported nodes never breach
/// (they are reported separately as unreported).
pub fn node_breaches(n: &Node, level: FailOn) -> bool {
    match level {
        FailOn::Critical => n.critical_noncompliant > 0,
        FailOn::Security => n.critical_noncompliant > 0 || n.security_noncompliant > 0,
        FailOn::Any => n.compliance == Compliance::NonCompliant,
        // not about a node's patches: see `evaluate`
        FailOn::Uncovered | FailOn::WindowFailed => false,
    }
}

fn examples(list: &[String]) -> String {
    let shown: Vec<&str> = list.iter().take(3).map(String::as_str).collect();
    let more = list.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Evaluate the policy; each returned string is one reason to exit 1 (empty = exit 0).
/// Remote strings in the reasons are sanitized.
pub fn evaluate(policy: &Policy, snap: &FleetSnapshot, now: DateTime<Utc>) -> Vec<String> {
    let mut reasons = Vec::new();
    match policy.fail_on {
        Some(FailOn::Uncovered) => {
            reasons.extend(super::schedules::uncovered_reasons(snap, now));
        }
        Some(FailOn::WindowFailed) => reasons.extend(super::schedules::window_failed_reasons(snap)),
        _ => {}
    }
    if let Some(level) = policy
        .fail_on
        .filter(|l| !matches!(l, FailOn::Uncovered | FailOn::WindowFailed))
    {
        let bad: Vec<String> = worst_nodes(snap)
            .into_iter()
            .filter(|n| node_breaches(n, level))
            .map(|n| {
                let name = crate::text::sanitize(&n.name);
                let label = if name.is_empty() {
                    n.instance_id.clone()
                } else {
                    format!("{} ({name})", n.instance_id)
                };
                format!("{label} in {}/{}", n.account_id, n.region)
            })
            .collect();
        if !bad.is_empty() {
            let what = match level {
                FailOn::Critical => "critical non-compliant patches",
                FailOn::Security => "critical or security non-compliant patches",
                FailOn::Any | FailOn::Uncovered | FailOn::WindowFailed => "non-compliant patches",
            };
            reasons.push(format!(
                "--fail-on {}: {} node{} with {what}: {}",
                level_name(level),
                bad.len(),
                if bad.len() == 1 { "" } else { "s" },
                examples(&bad)
            ));
        }
    }
    if let Some(days) = policy.fail_if_expiring {
        let bad: Vec<String> = sorted_certs(snap)
            .into_iter()
            .filter_map(|c| {
                let d = cert_days_left(c, now)?;
                (d <= days).then(|| {
                    let when = if d < 0 {
                        format!("expired {} days ago", -d)
                    } else {
                        format!("{d} days left")
                    };
                    format!(
                        "{} in {}/{} ({when})",
                        crate::text::sanitize(&c.domain_name),
                        c.account_id,
                        c.region
                    )
                })
            })
            .collect();
        if !bad.is_empty() {
            reasons.push(format!(
                "--fail-if-expiring {days}: {} certificate{} expired or expiring within {days} days: {}",
                bad.len(),
                if bad.len() == 1 { "" } else { "s" },
                examples(&bad)
            ));
        }
    }
    reasons
}
