//! What `ssmdeck snapshot` (`crate::app::snapshot`) and `ssmdeck report` say about a
//! collected snapshot: exit [`EXIT_COMPLETE`] when everything was read, [`EXIT_PARTIAL`]
//! when some part could not be (`complete: false`, `missing` and `errors` say what and
//! why; stderr names the first gaps), 1 when nothing could be, 2 for bad flags or config.

use crate::model::FleetSnapshot;

/// Everything was read.
pub const EXIT_COMPLETE: u8 = 0;
/// Something was collected, but not everything: the snapshot is partial.
pub const EXIT_PARTIAL: u8 = 3;

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
