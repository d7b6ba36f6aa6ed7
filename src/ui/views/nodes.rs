//! `:nodes` — every managed node (optionally scoped to an account, OU, region, patch group
//! or platform).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx};
use super::fmt::{age, count};
use super::scope::NodeScope;
use super::table_render::render_table;
use crate::model::NodeKey;
use crate::model::patch_index::Verdict;
use crate::model::patching::{Coverage, NodePatching};
use crate::model::{Compliance, FleetSnapshot, Node};
use crate::text::{push_sanitized, sanitize};
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{contains, prefix_of_any, yes_no};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

/// The patch counters of one node count **patches** (`CRIT PATCHES`); in `:org` and
/// `:compliance` the same words count **nodes** (`CRIT NODES`).
pub const COLUMNS: &[Column] = &[
    Column::new("NAME", 20, 0),
    Column::new("INSTANCE", 20, 0),
    Column::new("ACCOUNT", 14, 1),
    Column::new("REGION", 14, 3),
    Column::new("PLATFORM", 18, 2),
    Column::new("AGENT", 10, 6),
    Column::new("PING", 14, 2),
    Column::new("PATCH GROUP", 13, 4),
    Column::new("COMPLIANCE", 13, 0),
    Column::new("MISS", 5, 3).num(),
    Column::new("FAIL", 5, 4).num(),
    Column::new("RBT", 4, 5).num(),
    Column::new("CRIT PATCHES", 5, 1).num(),
    Column::new("SEC PATCHES", 4, 3).num(),
    Column::new("SCAN", 5, 1).num(),
    Column::new("ACCOUNT ID", 12, 7).companion(2),
    // patch coverage (#15): chosen in views.toml, or wide mode
    Column::new("COVERED", 9, 5).optional(),
    Column::new("WINDOW", 28, 6).optional(),
    Column::new("NEXT RUN", 28, 5).optional(),
    // tags (read on the schedules' cadence): a choice, not a default; once chosen, as
    // important as the platform (kept while the counters are dropped)
    Column::new("TAGS", 64, 2).optional(),
];

/// The `TAGS` column.
pub const COL_TAGS: usize = 19;

pub const COL_COMPLIANCE: usize = 8;

use crate::ui::filter::FieldSpec;

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::text("account", "account name or id").alias(&["acct"]),
    FieldSpec::text("ou", "OU path"),
    FieldSpec::text("region", "region"),
    FieldSpec::text("os", "platform name, version or type").alias(&["platform"]),
    FieldSpec::text("name", "node name"),
    FieldSpec::text("id", "instance id").alias(&["instance"]),
    FieldSpec::choice(
        "ping",
        &["online", "connectionlost", "lost", "inactive", "offline"],
        "ping status (lost = ConnectionLost, offline = not Online)",
    ),
    FieldSpec::choice(
        "compliance",
        &[
            "compliant",
            "ok",
            "yes",
            "non_compliant",
            "noncompliant",
            "non-compliant",
            "no",
            "unreported",
            "never",
        ],
        "compliant | non | unreported",
    )
    .alias(&["c"]),
    FieldSpec::choice(
        "sev",
        &["critical", "security", "important", "other"],
        "has missing patches of this severity",
    )
    .alias(&["severity"]),
    FieldSpec::text("patchgroup", "patch group").alias(&["pg"]),
    FieldSpec::yes_no("stale", "last scan older than stale_after_days"),
    FieldSpec::text("agent", "agent version, or `outdated`"),
    FieldSpec::yes_no("hybrid", "hybrid (mi-) node"),
    FieldSpec::yes_no("failed", "has failed patches"),
    FieldSpec::yes_no("reboot", "has patches pending reboot"),
    // patch coverage (#15)
    FieldSpec::choice(
        "covered",
        &["yes", "no", "scan", "unknown"],
        "a window or patch association installs patches on it (no = nothing does, or scans only; unknown = schedules not read)",
    ),
    FieldSpec::text(
        "window",
        "a maintenance window or patch association that targets it",
    ),
    FieldSpec::text("baseline", "its patch baseline's name or id"),
    // #16: answered from the patch index (unknown nodes match neither a term nor its negation)
    FieldSpec::patch_query(
        "cve",
        "lacks the fix for this CVE: missing, failed or pending a reboot (patch index)",
    ),
    FieldSpec::patch_query(
        "kb",
        "lacks this KB: missing, failed or pending a reboot (patch index)",
    ),
    FieldSpec::patch_query(
        "patch",
        "lacks a patch whose title or id contains this (patch index)",
    ),
    FieldSpec::yes_no(
        "unindexed",
        "patch list not in the patch index (unknown to cve:/kb:/patch:)",
    ),
    FieldSpec::text(
        "tag",
        "tag:Key=Value (value substring) or tag:Key (has it); spaces in keys may be left out",
    ),
];

/// Nodes in scope over a snapshot.
#[derive(Clone, Default)]
pub struct NodesSource {
    pub snap: Arc<FleetSnapshot>,
    /// Indices into `snap.nodes`.
    pub rows: Vec<u32>,
    pub account_names: HashMap<String, String>,
    pub ou_paths: HashMap<String, String>,
    pub now: DateTime<Utc>,
    pub stale_days: i64,
    /// Patch coverage of each node of `snap.nodes` (same order); empty when the patch
    /// schedules were never read.
    pub coverage: Arc<Vec<NodePatching>>,
    /// Each node's baseline (index into `snap.schedules.baselines`), same order.
    pub baselines: Arc<Vec<Option<usize>>>,
    /// `cve:` / `kb:` / `patch:` answers from the patch index (#16).
    pub index: Arc<super::index_filter::IndexAnswers>,
    /// Per row, the index of its tags in `snap.schedules.tags.nodes` (None: not read).
    pub tag_rows: Vec<Option<u32>>,
}

impl NodesSource {
    pub fn build(data: &Data, scope: &NodeScope, now: DateTime<Utc>) -> NodesSource {
        let snap = data.snapshot.clone();
        let account_names: HashMap<String, String> = snap
            .accounts
            .iter()
            .map(|a| {
                let n = if a.name.is_empty() { &a.id } else { &a.name };
                (a.id.clone(), sanitize(n))
            })
            .collect();
        let ou_paths: HashMap<String, String> = snap
            .accounts
            .iter()
            .map(|a| (a.id.clone(), sanitize(&a.ou_path)))
            .collect();
        let in_ou: Option<HashSet<&str>> = match scope {
            NodeScope::Ou(ou) => Some(accounts_under(&snap, ou)),
            _ => None,
        };
        let rows: Vec<u32> = snap
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| match scope {
                NodeScope::All => true,
                NodeScope::Account(a) => &n.account_id == a,
                NodeScope::Ou(_) => in_ou
                    .as_ref()
                    .is_some_and(|s| s.contains(n.account_id.as_str())),
                NodeScope::Region(r) => &n.region == r,
                NodeScope::PatchGroup(p) => n.patch_group.as_deref().unwrap_or("") == p,
                NodeScope::Platform(p) => platform_key(n) == *p,
            })
            .map(|(i, _)| i as u32)
            .collect();
        let stale_days = data.stale_days;
        let (coverage, baselines) = if snap.schedules.fetched_at.is_some() {
            (
                snap.schedules.coverage_list(&snap.nodes, now),
                snap.schedules.baseline_list(&snap.nodes),
            )
        } else {
            Default::default()
        };
        let tag_rows = tag_rows(&snap, &rows);
        NodesSource {
            snap: snap.clone(),
            rows,
            account_names,
            ou_paths,
            now,
            stale_days,
            coverage: Arc::new(coverage),
            baselines: Arc::new(baselines),
            index: Arc::new(super::index_filter::IndexAnswers::new(
                data.patch_index.index.clone(),
                snap.clone(),
            )),
            tag_rows,
        }
    }

    /// The patch coverage of the node of `row` (`None`: schedules never read).
    pub fn patching(&self, row: usize) -> Option<&NodePatching> {
        self.coverage.get(self.rows[row] as usize)
    }

    fn coverage_text(&self, row: usize, col: usize) -> String {
        let Some(p) = self.patching(row) else {
            return "?".into();
        };
        match col {
            16 => p.coverage.label().into(),
            17 => {
                let by = p.coverage.by();
                if by.is_empty() {
                    "-".into()
                } else {
                    sanitize(
                        &by.iter()
                            .map(|b| b.strip_prefix("window ").unwrap_or(b))
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                }
            }
            _ => match &p.next_run {
                Some((t, _)) => super::sched_fmt::until(self.now, *t),
                None => "-".into(),
            },
        }
    }

    /// The tags of `row`, when they were read.
    pub fn tags(&self, row: usize) -> Option<&[crate::model::tags::Tag]> {
        let i = (*self.tag_rows.get(row)?)?;
        self.snap
            .schedules
            .tags
            .nodes
            .get(i as usize)
            .map(|(_, t)| t.as_slice())
    }

    /// The name shown for `row`, unsanitized ([`super::fmt::shown_name`]).
    pub fn name(&self, row: usize) -> &str {
        super::fmt::shown_name(self.node(row), self.tags(row))
    }

    /// The row's tags on one line, without the `Name` tag when it is the name shown.
    fn tags_text(&self, row: usize) -> String {
        match self.tags(row) {
            Some([]) => "-".into(),
            Some(t) => {
                let name = self.name(row);
                let rest: Vec<_> = t
                    .iter()
                    .filter(|t| !(t.key == "Name" && t.value == name))
                    .cloned()
                    .collect();
                sanitize(&crate::model::tags::one_line(&rest))
            }
            None => String::new(),
        }
    }

    pub fn node(&self, row: usize) -> &Node {
        &self.snap.nodes[self.rows[row] as usize]
    }

    fn is_stale(&self, n: &Node) -> bool {
        n.is_stale(self.now, chrono::Duration::days(self.stale_days))
    }
}

/// Per row of `rows`, where its tags are in the snapshot's tag list.
fn tag_rows(snap: &FleetSnapshot, rows: &[u32]) -> Vec<Option<u32>> {
    let list = &snap.schedules.tags.nodes;
    if list.is_empty() {
        return vec![None; rows.len()];
    }
    let at: HashMap<(&str, &str, &str), u32> = list
        .iter()
        .enumerate()
        .map(|(i, (k, _))| {
            (
                (
                    k.account_id.as_str(),
                    k.region.as_str(),
                    k.instance_id.as_str(),
                ),
                i as u32,
            )
        })
        .collect();
    rows.iter()
        .map(|&r| {
            let n = &snap.nodes[r as usize];
            at.get(&(
                n.account_id.as_str(),
                n.region.as_str(),
                n.instance_id.as_str(),
            ))
            .copied()
        })
        .collect()
}

/// The platform key used by `Aggregates::by_platform`.
pub fn platform_key(n: &Node) -> String {
    if n.platform_name.is_empty() {
        n.platform_type.as_str().to_string()
    } else {
        n.platform_name.to_string()
    }
}

/// Account ids in OU `ou` or any OU below it.
pub fn accounts_under<'a>(snap: &'a FleetSnapshot, ou: &str) -> HashSet<&'a str> {
    let mut ous: HashSet<&str> = HashSet::new();
    ous.insert(ou);
    // parents come before children in `units`, but iterate to a fixed point to be safe
    loop {
        let before = ous.len();
        for u in &snap.organization.units {
            if let Some(p) = u.parent_id.as_deref()
                && ous.contains(p)
            {
                ous.insert(u.id.as_str());
            }
        }
        if ous.len() == before {
            break;
        }
    }
    snap.accounts
        .iter()
        .filter(|a| a.ou_id.as_deref().is_some_and(|o| ous.contains(o)))
        .map(|a| a.id.as_str())
        .collect()
}

pub fn compliance_label(c: Compliance) -> &'static str {
    match c {
        Compliance::Compliant => "Compliant",
        Compliance::NonCompliant => "Non-compliant",
        Compliance::Unreported => "Unreported",
    }
}

/// A name as drawn, borrowed when it needs no sanitizing (the usual case).
fn clean(raw: &str) -> std::borrow::Cow<'_, str> {
    if crate::text::is_clean(raw) {
        std::borrow::Cow::Borrowed(raw)
    } else {
        std::borrow::Cow::Owned(sanitize(raw))
    }
}

/// Case-insensitive order without allocating (sorting 50,000 names by a lower-cased copy
/// each comparison costs more than the rest of a rebuild).
pub fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase))
    }
}

pub use super::fmt::node_name;

impl RowSource for NodesSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        self.node(row).instance_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let n = self.node(row);
        match col {
            0 => sanitize(self.name(row)),
            1 => sanitize(&n.instance_id),
            2 => self
                .account_names
                .get(&n.account_id)
                .cloned()
                .unwrap_or_else(|| sanitize(&n.account_id)),
            3 => sanitize(&n.region),
            4 => sanitize(&super::fmt::platform_label(
                &n.platform_name,
                &n.platform_version,
            )),
            5 => {
                let v = sanitize(&n.agent_version);
                if n.agent_outdated {
                    format!("{v}↑")
                } else {
                    v
                }
            }
            6 => n.ping_status.as_str().to_string(),
            7 => sanitize(n.patch_group.as_deref().unwrap_or("-")),
            8 => compliance_label(n.compliance).to_string(),
            // a node that never reported has no counts: `?`, never the `·` of a clean one
            9..=13 if n.compliance == Compliance::Unreported => "?".into(),
            9 => count(n.missing),
            10 => count(n.failed),
            11 => count(n.installed_pending_reboot),
            12 => count(n.critical_noncompliant),
            13 => count(n.security_noncompliant),
            14 => {
                if n.last_operation_end.is_none() {
                    "never".into()
                } else {
                    age(self.now, n.last_operation_end)
                }
            }
            15 => sanitize(&n.account_id),
            16..=18 => self.coverage_text(row, col),
            COL_TAGS => self.tags_text(row),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let n = self.node(row);
        // counts are unknown (empty) for a node that never reported, never a made-up 0
        let reported = n.compliance != Compliance::Unreported;
        let num = |v: u32| {
            if reported {
                Cell::Int(v.into())
            } else {
                Cell::Empty
            }
        };
        match col {
            // exports keep the platform whole (the screen shortens it)
            4 => Cell::text(
                sanitize(&format!("{} {}", n.platform_name, n.platform_version))
                    .trim()
                    .to_string(),
            ),
            5 => Cell::text(sanitize(&n.agent_version)),
            7 => Cell::opt_text(n.patch_group.as_deref()),
            9 => num(n.missing),
            10 => num(n.failed),
            11 => num(n.installed_pending_reboot),
            12 => num(n.critical_noncompliant),
            13 => num(n.security_noncompliant),
            14 => Cell::time(n.last_operation_end),
            18 => match self.patching(row).and_then(|p| p.next_run.as_ref()) {
                Some((t, _)) => Cell::time(Some(*t)),
                None => Cell::Empty,
            },
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn push_text(&self, row: usize, col: usize, out: &mut String) {
        let n = self.node(row);
        match col {
            0 => push_sanitized(out, self.name(row)),
            1 => push_sanitized(out, &n.instance_id),
            2 => match self.account_names.get(&n.account_id) {
                Some(a) => out.push_str(a),
                None => push_sanitized(out, &n.account_id),
            },
            3 => push_sanitized(out, &n.region),
            4 => push_sanitized(
                out,
                &super::fmt::platform_label(&n.platform_name, &n.platform_version),
            ),
            6 => out.push_str(n.ping_status.as_str()),
            7 => push_sanitized(out, n.patch_group.as_deref().unwrap_or("-")),
            8 => out.push_str(compliance_label(n.compliance)),
            _ => out.push_str(&self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (self.node(a), self.node(b));
        match col {
            0 => cmp_ignore_case(&clean(self.name(a)), &clean(self.name(b))),
            1 => x.instance_id.cmp(&y.instance_id),
            2 => self
                .account_names
                .get(&x.account_id)
                .cmp(&self.account_names.get(&y.account_id)),
            3 => x.region.cmp(&y.region),
            4 => (&x.platform_name, &x.platform_version)
                .cmp(&(&y.platform_name, &y.platform_version)),
            5 => x.agent_version.cmp(&y.agent_version),
            6 => x.ping_status.cmp(&y.ping_status),
            7 => x.patch_group.cmp(&y.patch_group),
            // worst first when ascending: non-compliant, unreported, compliant
            8 => rank(x).cmp(&rank(y)),
            9 => x.missing.cmp(&y.missing),
            10 => x.failed.cmp(&y.failed),
            11 => x.installed_pending_reboot.cmp(&y.installed_pending_reboot),
            12 => x.critical_noncompliant.cmp(&y.critical_noncompliant),
            13 => x.security_noncompliant.cmp(&y.security_noncompliant),
            14 => x.last_operation_end.cmp(&y.last_operation_end),
            // nodes nothing installs on first, then the soonest next run
            16 => cover_rank(self.patching(a)).cmp(&cover_rank(self.patching(b))),
            17 => self.coverage_text(a, 17).cmp(&self.coverage_text(b, 17)),
            18 => next_run_key(self.patching(a)).cmp(&next_run_key(self.patching(b))),
            COL_TAGS => self.tags_text(a).cmp(&self.tags_text(b)),
            _ => Ordering::Equal,
        }
    }
    fn sort_key(&self, row: usize, col: usize) -> Option<i64> {
        let n = self.node(row);
        Some(match col {
            8 => {
                let (r, std::cmp::Reverse(c)) = rank(n);
                (i64::from(r) << 32) | i64::from(u32::MAX - c)
            }
            9 => n.missing.into(),
            10 => n.failed.into(),
            11 => n.installed_pending_reboot.into(),
            12 => n.critical_noncompliant.into(),
            13 => n.security_noncompliant.into(),
            _ => return None,
        })
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let n = self.node(row);
        match col {
            5 if n.agent_outdated => theme.style(Role::Warning),
            6 => theme.ping(n.ping_status),
            8 => theme.compliance(n.compliance),
            9 => theme.count(n.missing.into(), Role::NonCompliant),
            10 => theme.count(n.failed.into(), Role::Critical),
            11 => theme.count(n.installed_pending_reboot.into(), Role::Warning),
            12 => theme.count(n.critical_noncompliant.into(), Role::Critical),
            13 => theme.count(n.security_noncompliant.into(), Role::NonCompliant),
            14 if n.last_operation_end.is_none() => theme.style(Role::Unreported),
            14 if self.is_stale(n) => theme.style(Role::Stale),
            16 => match self.patching(row).map(|p| &p.coverage) {
                Some(Coverage::Install { .. }) => theme.style(Role::Compliant),
                Some(Coverage::Uncovered) => theme.style(Role::Critical),
                Some(Coverage::ScanOnly { .. }) => theme.style(Role::Warning),
                _ => theme.style(Role::Unreported),
            },
            17 | 18 => theme.style(Role::Muted),
            1 | 2 | 3 | 7 => theme.style(Role::Muted),
            COL_TAGS => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }
    fn substring_field(&self, field: &str) -> bool {
        matches!(
            field,
            "account"
                | "acct"
                | "ou"
                | "region"
                | "os"
                | "platform"
                | "name"
                | "id"
                | "instance"
                | "patchgroup"
                | "pg"
        )
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        if self.rows.is_empty() {
            return crate::ui::filter::find_field(FIELDS, field).map(|_| false);
        }
        let n = self.node(row);
        Some(match field {
            "account" | "acct" => {
                n.account_id.contains(v)
                    || self
                        .account_names
                        .get(&n.account_id)
                        .is_some_and(|a| contains(a, v))
            }
            "ou" => self
                .ou_paths
                .get(&n.account_id)
                .is_some_and(|p| contains(p, v)),
            "region" => contains(&n.region, v),
            "os" | "platform" => {
                contains(&n.platform_name, v)
                    || contains(&n.platform_version, v)
                    || contains(n.platform_type.as_str(), v)
            }
            "name" => {
                contains(&n.name, v) || contains(&n.computer_name, v) || contains(self.name(row), v)
            }
            "id" | "instance" => contains(&n.instance_id, v),
            "ping" => {
                let p = n.ping_status.as_str().to_lowercase();
                p.starts_with(v)
                    || (v == "lost" && p == "connectionlost")
                    || (v == "offline" && p != "online")
            }
            "compliance" | "c" => match n.compliance {
                Compliance::Compliant => prefix_of_any(v, &["compliant", "ok", "yes"]),
                Compliance::NonCompliant => {
                    prefix_of_any(v, &["non_compliant", "noncompliant", "non-compliant", "no"])
                }
                Compliance::Unreported => prefix_of_any(v, &["unreported", "never"]),
            },
            "sev" | "severity" => {
                if prefix_of_any(v, &["critical"]) {
                    n.critical_noncompliant > 0
                } else if prefix_of_any(v, &["security", "important"]) {
                    n.security_noncompliant > 0
                } else if prefix_of_any(v, &["other"]) {
                    n.other_noncompliant > 0
                } else {
                    false
                }
            }
            "patchgroup" | "pg" => contains(n.patch_group.as_deref().unwrap_or(""), v),
            "stale" => yes_no(v).is_some_and(|y| y == self.is_stale(n)),
            "agent" => {
                if prefix_of_any(v, &["outdated", "old"]) {
                    n.agent_outdated
                } else {
                    contains(&n.agent_version, v)
                }
            }
            "hybrid" => yes_no(v).is_some_and(|y| y == n.is_hybrid()),
            "failed" => yes_no(v).is_some_and(|y| y == (n.failed > 0)),
            "reboot" => yes_no(v).is_some_and(|y| y == (n.installed_pending_reboot > 0)),
            "covered" => {
                let c = self.patching(row).map(|p| &p.coverage);
                match c {
                    Some(Coverage::Install { .. }) => prefix_of_any(v, &["yes"]),
                    Some(Coverage::Uncovered) => prefix_of_any(v, &["no"]),
                    Some(Coverage::ScanOnly { .. }) => prefix_of_any(v, &["no", "scan"]),
                    Some(Coverage::Unknown { .. }) | None => prefix_of_any(v, &["unknown"]),
                }
            }
            "window" => self
                .patching(row)
                .is_some_and(|p| p.coverage.by().iter().any(|b| contains(b, v))),
            "baseline" => match self
                .baselines
                .get(self.rows[row] as usize)
                .copied()
                .flatten()
                .and_then(|i| self.snap.schedules.baselines.get(i))
            {
                Some(b) => contains(&b.name, v) || contains(&b.baseline_id, v),
                None => n.baseline_id.as_deref().is_some_and(|id| contains(id, v)),
            },
            "cve" | "kb" | "patch" => {
                self.index.verdict(field, v, self.rows[row]) == Some(Verdict::Lacking)
            }
            "unindexed" => yes_no(v).is_some_and(|y| y == self.index.unindexed(self.rows[row])),
            "tag" => self
                .tags(row)
                .is_some_and(|t| crate::model::tags::matches(t, v)),
            _ => return None,
        })
    }
    /// A node whose patch list is unknown answers neither `cve:X` nor `!cve:X`.
    fn field_known(&self, row: usize, field: &str, v: &str) -> bool {
        match field {
            "cve" | "kb" | "patch" => self
                .rows
                .get(row)
                .is_some_and(|&r| self.index.verdict(field, v, r) != Some(Verdict::Unknown)),
            _ => true,
        }
    }
}

/// Uncovered, scan only, unknown, covered.
fn cover_rank(p: Option<&NodePatching>) -> u8 {
    match p.map(|p| &p.coverage) {
        Some(Coverage::Uncovered) => 0,
        Some(Coverage::ScanOnly { .. }) => 1,
        Some(Coverage::Unknown { .. }) | None => 2,
        Some(Coverage::Install { .. }) => 3,
    }
}

/// The soonest next run first; none last.
fn next_run_key(p: Option<&NodePatching>) -> (bool, Option<DateTime<Utc>>) {
    let t = p.and_then(|p| p.next_run.as_ref()).map(|(t, _)| *t);
    (t.is_none(), t)
}

fn rank(n: &Node) -> (u8, std::cmp::Reverse<u32>) {
    let r = match n.compliance {
        Compliance::NonCompliant => 0,
        Compliance::Unreported => 1,
        Compliance::Compliant => 2,
    };
    (r, std::cmp::Reverse(n.critical_noncompliant))
}

pub struct NodesView {
    pub scope: NodeScope,
    pub src: NodesSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl NodesView {
    pub fn new(scope: NodeScope) -> NodesView {
        NodesView {
            scope,
            src: NodesSource::default(),
            table: TableState::new(COL_COMPLIANCE, false),
            built: None,
        }
    }
}

/// The nodes of `scope`, in the nodes view's default order.
pub fn keys_in_scope(data: &Data, scope: &NodeScope, now: DateTime<Utc>) -> Vec<NodeKey> {
    NodesSource::build(data, scope, now)
        .rows
        .iter()
        .map(|&i| data.snapshot.nodes[i as usize].key())
        .collect()
}

pub const ID: &str = "nodes";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["nodes", "n", "no", "node", "ec2", "instances", "mi"],
    describe: "Managed nodes (:nodes <account-or-ou>)",
    action: Some(Action::ViewNodes),
    table: true,
    scoped: true,
    open: Open::View(|sel| {
        let scope = NodeScope::from_args(sel.data, &sel.args)?;
        Ok(Box::new(NodesView::new(scope)))
    }),
};

impl View for NodesView {
    fn id(&self) -> &'static str {
        ID
    }

    fn crumb(&self, snap: Option<&FleetSnapshot>) -> String {
        match self.scope.label(snap) {
            l if l.is_empty() => "nodes".into(),
            l => format!("nodes({l})"),
        }
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    /// Enter opens the node's detail.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if let Some(r) = self.table.selected_row() {
            let key = self.src.node(r).key();
            cx.push = Some(Box::new(super::node::NodeView::new(key)));
        }
    }

    fn node(&self) -> Option<NodeKey> {
        self.table.selected_row().map(|r| self.src.node(r).key())
    }

    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        Ok(super::sched_doc::node(
            &data.snapshot,
            self.src.node(r),
            now,
        ))
    }

    /// Every row of the current filter, as sorted.
    fn targets(&self, data: &Data, now: DateTime<Utc>) -> (Vec<NodeKey>, String) {
        let nodes: Vec<NodeKey> = self
            .table
            .order
            .iter()
            .map(|&r| self.src.node(r as usize).key())
            .collect();
        (nodes, self.targets_from(data, now))
    }

    fn targets_from(&self, _data: &Data, _now: DateTime<Utc>) -> String {
        if self.table.filter.text.is_empty() {
            format!("all {} in view", self.table.order.len())
        } else {
            // nothing marked: the targets are the filtered rows — say so
            format!(
                "{} filtered rows (/{})",
                self.table.order.len(),
                self.table.filter.text.trim()
            )
        }
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::Mark,
            Action::SortNext,
            Action::SortReverse,
            Action::PatchNow,
            Action::Session,
        ]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        // #16: a patch question says how complete its answer is, above the table
        let area = match super::index_filter::banner(&self.table, &self.src.index, &self.src.rows) {
            Some((text, role)) if area.height > 2 => {
                super::table_render::put(
                    buf,
                    area.x + 1,
                    area.y,
                    &text,
                    area.width.saturating_sub(1),
                    cx.theme.style(role),
                    None,
                    Style::default(),
                    false,
                );
                crate::ui::layout::below(area, 1)
            }
            _ => area,
        };
        let look = cx.look(cx.empty_msg("nodes", &self.table));
        render_table(buf, area, &self.table, &self.src, cx.theme, &look);
    }

    /// One row less while a patch question's banner is shown.
    fn page_rows(&self, body: usize) -> usize {
        if super::index_filter::has_question(&self.table) {
            body.saturating_sub(2)
        } else {
            body.saturating_sub(1)
        }
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.src = NodesSource::build(data, &self.scope, now);
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::table::RowSource;

    #[test]
    fn sort_keys_order_rows_as_compare_does() {
        let snap = crate::ui::fixture::large(3000);
        let data = crate::ui::state::Data {
            aggregates: crate::model::Aggregates::compute(
                &snap,
                &Default::default(),
                crate::ui::fixture::now(),
            )
            .into(),
            snapshot: snap.into(),
            generation: 1,
            complete_at: None,
            last_outcome: Default::default(),
            stale_days: 7,
            patch_index: Default::default(),
        };
        let src = NodesSource::build(&data, &NodeScope::All, crate::ui::fixture::now());
        let mut keyed = 0;
        for col in 0..src.columns().len() {
            if src.sort_key(0, col).is_none() {
                continue;
            }
            keyed += 1;
            for a in 0..src.len() {
                let b = (a * 7919 + 13) % src.len();
                let by_key = src.sort_key(a, col).cmp(&src.sort_key(b, col));
                assert_eq!(by_key, src.compare(a, b, col), "column {col}, rows {a} {b}");
            }
        }
        assert!(keyed >= 6, "compliance and the counters have keys");
    }

    #[test]
    fn typing_a_field_value_narrows_to_what_a_fresh_filter_finds() {
        let snap = crate::ui::fixture::large(3000);
        let data = crate::ui::state::Data {
            aggregates: Default::default(),
            snapshot: snap.into(),
            generation: 1,
            complete_at: None,
            last_outcome: Default::default(),
            stale_days: 7,
            patch_index: Default::default(),
        };
        let src = NodesSource::build(&data, &NodeScope::All, crate::ui::fixture::now());
        let mut typed = crate::ui::table::TableState::new(COL_COMPLIANCE, false);
        typed.rebuild(&src);
        let query = "account:workload-1 os:ubu";
        for end in 1..=query.len() {
            typed.set_filter(&src, &query[..end]);
            let mut fresh = crate::ui::table::TableState::new(COL_COMPLIANCE, false);
            fresh.rebuild(&src);
            fresh.set_filter(&src, &query[..end]);
            assert_eq!(typed.order, fresh.order, "after typing `{}`", &query[..end]);
        }
        assert!(!typed.order.is_empty() && typed.order.len() < src.len());
    }
}
