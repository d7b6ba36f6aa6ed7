//! Small text helpers the views share: ages, counts, percentages, the spinner.

use chrono::{DateTime, Utc};

use crate::model::{Node, PatchState};
use crate::ui::theme::Role;

/// Spinner frames (one per tick).
pub const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

/// "5m ago", "just now" (clock skew: a time in the future), "time unknown" — for sentences
/// ("Last op Install 5m ago"), where `age`'s bare "now" / "-" would read wrong.
pub fn ago(now: DateTime<Utc>, then: Option<DateTime<Utc>>) -> String {
    match then {
        None => "time unknown".into(),
        Some(t) if (now - t).num_seconds() <= 0 => "just now".into(),
        Some(t) => format!("{} ago", age(now, Some(t))),
    }
}

/// "12s", "5m", "3h", "4d" between `then` and `now`.
pub fn age(now: DateTime<Utc>, then: Option<DateTime<Utc>>) -> String {
    let Some(t) = then else { return "-".into() };
    let s = (now - t).num_seconds();
    if s < 0 {
        return "now".into();
    }
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Thousands separators for counts.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn pct_text(p: Option<f64>) -> String {
    match p {
        Some(p) if p >= 99.95 => "100%".into(),
        Some(p) => format!("{p:.1}%"),
        None => "-".into(),
    }
}

/// Count, blank when zero (keeps tables calm).
pub fn count(n: impl Into<u64>) -> String {
    let n = n.into();
    if n == 0 { "·".into() } else { thousands(n) }
}

/// The name a node is called by, unsanitized: its own (a hybrid node's activation name),
/// else its `Name` tag once `tags` are read (what an EC2 instance is called in the EC2
/// console and what people search by), else its computer name.
pub fn shown_name<'a>(n: &'a Node, tags: Option<&'a [crate::model::tags::Tag]>) -> &'a str {
    if !n.name.is_empty() {
        return &n.name;
    }
    tags.and_then(|t| t.iter().find(|t| t.key == "Name" && !t.value.is_empty()))
        .map_or(n.computer_name.as_str(), |t| t.value.as_str())
}

/// A node's display name without its tags: its own name, else the computer name
/// (sanitized). Where tags are at hand, [`shown_name`].
pub fn node_name(n: &Node) -> String {
    let name = if n.name.is_empty() {
        &n.computer_name
    } else {
        &n.name
    };
    crate::text::sanitize(name)
}

/// A node's platform in a list cell, most distinguishing part first, so a narrow
/// `PLATFORM` column still tells Windows Server 2019 from 2022 and RHEL 8 from 9:
/// well-known long names shortened (`Microsoft Windows Server 2019 Datacenter` →
/// `Win 2019 Datacenter`, `Red Hat Enterprise Linux` → `RHEL`, `SUSE Linux Enterprise
/// Server` → `SLES`), the version appended unless the name already ends with it.
/// The full name and version stay in node detail, describe and exports. Not sanitized.
pub fn platform_label(name: &str, version: &str) -> String {
    const SHORT: &[(&str, &str)] = &[
        ("Microsoft Windows Server ", "Win "),
        ("Microsoft Windows ", "Win "),
        ("Red Hat Enterprise Linux Server", "RHEL"),
        ("Red Hat Enterprise Linux", "RHEL"),
        ("SUSE Linux Enterprise Server", "SLES"),
        ("CentOS Linux", "CentOS"),
    ];
    let name = name.trim();
    let version = version.trim();
    let mut out = String::with_capacity(name.len() + version.len() + 1);
    match SHORT.iter().find(|(long, _)| name.starts_with(long)) {
        Some((long, short)) => {
            out.push_str(short);
            out.push_str(&name[long.len()..]);
        }
        None => out.push_str(name),
    }
    // Windows names carry the release year; their build number is the version
    let redundant = version.is_empty() || name.ends_with(version);
    if !redundant {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(version);
    }
    out
}

#[cfg(test)]
#[test]
fn platform_labels_keep_what_tells_releases_apart() {
    assert_eq!(
        platform_label("Microsoft Windows Server 2019 Datacenter", "10.0.17763"),
        "Win 2019 Datacenter 10.0.17763"
    );
    assert_eq!(
        platform_label("Red Hat Enterprise Linux", "9.4"),
        "RHEL 9.4"
    );
    assert_eq!(platform_label("Amazon Linux", "2023"), "Amazon Linux 2023");
    assert_eq!(
        platform_label("Amazon Linux 2023", "2023"),
        "Amazon Linux 2023"
    );
    assert_eq!(platform_label("Ubuntu", "22.04"), "Ubuntu 22.04");
    assert_eq!(platform_label("", "10.0"), "10.0");
    assert_eq!(platform_label("Debian", ""), "Debian");
}

pub fn status_role(status: &str) -> Role {
    match status {
        "Success" => Role::Ok,
        "Failed" | "TimedOut" | "Undeliverable" | "DeliveryTimedOut" | "ExecutionTimedOut" => {
            Role::Error
        }
        "Cancelled" | "Cancelling" | "Terminated" => Role::Muted,
        "Pending" | "InProgress" | "Delayed" => Role::Info,
        _ => Role::Text,
    }
}

pub fn state_role(s: PatchState) -> Role {
    match s {
        PatchState::Missing => Role::NonCompliant,
        PatchState::Failed => Role::Critical,
        PatchState::InstalledPendingReboot => Role::Warning,
        PatchState::InstalledRejected => Role::Error,
        PatchState::Installed | PatchState::InstalledOther => Role::Compliant,
        _ => Role::Muted,
    }
}

/// A status line of ` · `-separated parts within `width` cells: the parts that do not fit
/// are left off from the end (most important first), whole, never one cut mid-word; the
/// first part is only cut when it alone is too wide.
pub fn fit_parts(line: &str, width: u16) -> String {
    use unicode_width::UnicodeWidthStr;
    let width = usize::from(width);
    if line.width() <= width {
        return line.to_string();
    }
    let mut out = String::new();
    for (i, part) in line.split(" · ").enumerate() {
        let add = if i == 0 {
            part.width()
        } else {
            part.width() + 3
        };
        if i > 0 && out.width() + add > width {
            break;
        }
        if i > 0 {
            out.push_str(" · ");
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod fit_parts_tests {
    use super::fit_parts;

    #[test]
    fn status_parts_are_left_off_whole_from_the_end() {
        let line = "⚠ partial: 1 account not read — x (see :errors) · 78 windows · 48 patch associations · read 3s ago";
        assert_eq!(fit_parts(line, 200), line);
        assert_eq!(
            fit_parts(line, 80),
            "⚠ partial: 1 account not read — x (see :errors) · 78 windows"
        );
        assert!(!fit_parts(line, 70).contains("pat"));
        assert_eq!(fit_parts("a · b", 1), "a");
    }
}
