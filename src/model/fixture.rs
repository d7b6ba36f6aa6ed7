//! Builders shared by the two hand-built fixture fleets (`crate::ui::fixture`, the console's
//! tests, screenshots and benchmarks; `crate::report::fixture`, the reports' golden files):
//! the instant both are built around, and organization pieces. Each fleet keeps its own
//! nodes and certificates — their exact values are what the snapshots and golden files
//! show.

use chrono::{DateTime, TimeZone, Utc};

use super::{Account, AccountState, OrgUnit};

/// The fixed "now" of the fixture fleets: `2026-11-23T06:00:00Z`.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0)
        .single()
        .expect("valid date")
}

/// An OU (or root, without a parent).
pub fn ou(id: &str, name: &str, parent: Option<&str>, path: &str) -> OrgUnit {
    OrgUnit {
        id: id.into(),
        name: name.into(),
        parent_id: parent.map(Into::into),
        path: path.into(),
    }
}

/// An account in an OU, with the email `aws+<email_tag>@example.com`.
pub fn account(
    id: &str,
    name: &str,
    email_tag: &str,
    ou_id: &str,
    path: &str,
    state: AccountState,
) -> Account {
    Account {
        id: id.into(),
        name: name.into(),
        email: Some(format!("aws+{email_tag}@example.com")),
        ou_id: Some(ou_id.into()),
        ou_path: path.into(),
        state,
    }
}
