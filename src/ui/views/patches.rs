//! `:patches` (aliases `cves`, `fleet-patches`) — the org-wide patch index: one row per
//! patch with how many nodes have it Missing / Failed / InstalledPendingReboot / Installed,
//! across how many accounts. Most nodes missing first. Enter → the nodes of that patch
//! ([`super::patch_nodes`]). The index fills in the background after each refresh; the
//! line above the table says how far it got, and how many nodes are unknown (their counts
//! are not in the table: unknown is never "not affected").
//!
//! Named `:patches` (not `:patch`): `:patch account|ou|group` opens the patch-now pane.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use serde::Serialize;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::fmt::count;
use super::table_render::{put, render_table};
use crate::model::FleetSnapshot;
use crate::model::patch_index::{NodeStatus, PatchIndex, PatchQuery, PatchStats, unpack};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::{Data, PatchIndexFeed};
use crate::ui::filter::{FieldSpec, contains, prefix_of_any, yes_no};
use crate::ui::layout;
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("TITLE", 28, 0).grow(),
    Column::new("KB / ID", 16, 1),
    Column::new("CLASS", 14, 4),
    Column::new("SEVERITY", 9, 2),
    Column::new("CVES", 16, 1),
    Column::new("MISSING", 7, 0).num(),
    Column::new("FAILED", 6, 0).num(),
    Column::new("PEND RBT", 8, 2).num(),
    Column::new("INSTALLED", 9, 3).num(),
    Column::new("ACCTS", 5, 3).num(),
];

pub const COL_MISSING: usize = 5;

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::patch_query("cve", "patches fixing this CVE"),
    FieldSpec::patch_query("kb", "this Microsoft KB"),
    FieldSpec::text("severity", "severity (critical, important, …)").alias(&["sev"]),
    FieldSpec::text("class", "classification").alias(&["classification"]),
    FieldSpec::choice(
        "state",
        &[
            "missing",
            "failed",
            "pending",
            "reboot",
            "installed",
            "rejected",
            "open",
        ],
        "some node has it in this state (open = missing, failed or pending a reboot)",
    ),
    FieldSpec::text("account", "on a node of this account (name or id)").alias(&["acct"]),
    FieldSpec::text("ou", "on a node of an account under this OU path"),
    FieldSpec::yes_no(
        "affected",
        "some node lacks it (missing, failed, pending a reboot)",
    ),
];

/// One patch of the index with its counts, strings resolved and sanitized.
#[derive(Clone, Debug, Default)]
pub struct PatchRow {
    pub def: u32,
    pub title: String,
    pub kb: String,
    pub class: String,
    pub severity: String,
    /// Upper-case CVE ids.
    pub cves: Vec<String>,
    pub stats: PatchStats,
    /// Accounts (indices into [`PatchesSource::accounts`]) with a node having it.
    pub accounts: Vec<u32>,
}

/// An account as the filters see it: id, name, OU path (sanitized).
#[derive(Clone, Debug, Default)]
pub struct AccountInfo {
    pub id: String,
    pub name: String,
    pub ou_path: String,
}

#[derive(Clone, Default)]
pub struct PatchesSource {
    pub rows: Vec<PatchRow>,
    pub accounts: Vec<AccountInfo>,
}

/// Severity order: critical first.
pub fn sev_rank(s: &str) -> u8 {
    match s.to_ascii_lowercase().as_str() {
        "critical" => 0,
        "important" | "high" => 1,
        "moderate" | "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}

impl PatchesSource {
    /// The rows of `ix` (every patch some node has), accounts named from `snap`.
    pub fn build(ix: &PatchIndex, snap: &FleetSnapshot) -> PatchesSource {
        let mut accounts: Vec<AccountInfo> = Vec::new();
        let mut acct_ix: HashMap<&str, u32> = HashMap::new();
        // per patch: the accounts it appears in (walk nodes; dedupe by last account seen)
        let mut per_def: Vec<Vec<u32>> = vec![Vec::new(); ix.defs.len()];
        for n in &ix.nodes {
            let NodeStatus::Indexed { open, rest, .. } = &n.status else {
                continue;
            };
            let a = *acct_ix.entry(n.key.account_id.as_str()).or_insert_with(|| {
                let id = n.key.account_id.as_str();
                let acc = snap.account(id);
                accounts.push(AccountInfo {
                    id: sanitize(id),
                    name: sanitize(acc.map(|a| a.name.as_str()).unwrap_or(id)),
                    ou_path: sanitize(acc.map(|a| a.ou_path.as_str()).unwrap_or("")),
                });
                accounts.len() as u32 - 1
            });
            for e in open.iter().chain(rest.iter()) {
                let list = &mut per_def[unpack(*e).0 as usize];
                if list.last() != Some(&a) && !list.contains(&a) {
                    list.push(a);
                }
            }
        }
        let rows = ix
            .patch_stats()
            .into_iter()
            .map(|stats| {
                let d = ix.def(stats.def);
                PatchRow {
                    def: stats.def,
                    title: sanitize(ix.str(d.title).trim()),
                    kb: sanitize(ix.str(d.kb)),
                    class: sanitize(ix.str(d.classification)),
                    severity: sanitize(ix.str(d.severity)),
                    cves: ix.cves(stats.def).map(sanitize).collect(),
                    accounts: std::mem::take(&mut per_def[stats.def as usize]),
                    stats,
                }
            })
            .collect();
        PatchesSource { rows, accounts }
    }

    pub fn row(&self, r: usize) -> &PatchRow {
        &self.rows[r]
    }

    fn count(&self, r: usize, col: usize) -> u32 {
        let s = &self.rows[r].stats;
        match col {
            5 => s.missing,
            6 => s.failed,
            7 => s.pending_reboot,
            8 => s.installed,
            9 => s.accounts,
            _ => 0,
        }
    }
}

/// "CVE-2026-1000, CVE-2026-1001" / "CVE-2026-1000 +3" for narrow cells.
fn cve_text(cves: &[String]) -> String {
    match cves.len() {
        0 => "-".into(),
        1..=2 => cves.join(", "),
        n => format!("{} +{}", cves[0], n - 1),
    }
}

impl RowSource for PatchesSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        let r = &self.rows[row];
        format!("patch {} {}", r.kb, r.title)
    }
    fn copy_text(&self, row: usize) -> String {
        let r = &self.rows[row];
        if r.cves.is_empty() {
            r.kb.clone()
        } else {
            r.cves.join(" ")
        }
    }
    fn text(&self, row: usize, col: usize) -> String {
        let r = &self.rows[row];
        match col {
            0 => r.title.clone(),
            1 => r.kb.clone(),
            2 => r.class.clone(),
            3 => r.severity.clone(),
            4 => cve_text(&r.cves),
            5..=9 => count(self.count(row, col)),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        match col {
            4 => Cell::text(self.rows[row].cves.join(" ")),
            5..=9 => Cell::Int(self.count(row, col).into()),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (&self.rows[a], &self.rows[b]);
        match col {
            3 => sev_rank(&y.severity).cmp(&sev_rank(&x.severity)),
            5..=9 => self.count(a, col).cmp(&self.count(b, col)),
            _ => super::nodes::cmp_ignore_case(&self.text(a, col), &self.text(b, col)),
        }
    }
    fn sort_key(&self, row: usize, col: usize) -> Option<i64> {
        match col {
            // ties broken by failed, then pending: the worst first when descending
            5 => {
                let s = &self.rows[row].stats;
                Some(
                    (i64::from(s.missing) << 40)
                        | (i64::from(s.failed.min(0xf_ffff)) << 20)
                        | i64::from(s.pending_reboot.min(0xf_ffff)),
                )
            }
            6..=9 => Some(self.count(row, col).into()),
            _ => None,
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let r = &self.rows[row];
        match col {
            3 if sev_rank(&r.severity) == 0 => theme.style(Role::Critical),
            3 if sev_rank(&r.severity) == 1 => theme.style(Role::Warning),
            4 if !r.cves.is_empty() => theme.style(Role::Warning),
            5 => theme.count(r.stats.missing.into(), Role::NonCompliant),
            6 => theme.count(r.stats.failed.into(), Role::Critical),
            7 => theme.count(r.stats.pending_reboot.into(), Role::Warning),
            8 => theme.count(r.stats.installed.into(), Role::Compliant),
            1 | 2 | 4 | 9 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }
    fn substring_field(&self, field: &str) -> bool {
        matches!(field, "severity" | "class" | "account" | "ou")
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(r) = self.rows.get(row) else {
            return crate::ui::filter::find_field(FIELDS, field).map(|_| false);
        };
        let s = &r.stats;
        Some(match field {
            "cve" | "kb" => match PatchQuery::parse(field, v) {
                Ok(PatchQuery::Cve(c)) => r.cves.iter().any(|x| x.eq_ignore_ascii_case(&c)),
                Ok(PatchQuery::Kb(k)) => {
                    r.kb.eq_ignore_ascii_case(&k) || r.title.to_ascii_uppercase().contains(&k)
                }
                _ => false,
            },
            "severity" => contains(&r.severity, v),
            "class" => contains(&r.class, v),
            "state" => {
                (prefix_of_any(v, &["missing"]) && s.missing > 0)
                    || (prefix_of_any(v, &["failed"]) && s.failed > 0)
                    || (prefix_of_any(v, &["pending", "reboot"]) && s.pending_reboot > 0)
                    || (prefix_of_any(v, &["installed"]) && s.installed > 0)
                    || (prefix_of_any(v, &["rejected"]) && s.rejected > 0)
                    || (prefix_of_any(v, &["open"]) && s.affected() > 0)
            }
            "account" => r.accounts.iter().any(|a| {
                let a = &self.accounts[*a as usize];
                a.id.contains(v) || contains(&a.name, v)
            }),
            "ou" => r
                .accounts
                .iter()
                .any(|a| contains(&self.accounts[*a as usize].ou_path, v)),
            "affected" => yes_no(v).is_some_and(|y| y == (s.affected() > 0)),
            _ => return None,
        })
    }
}

/// The record `y` shows for a patch row.
#[derive(Serialize)]
struct PatchRecord<'a> {
    title: &'a str,
    kb_id: &'a str,
    classification: &'a str,
    severity: &'a str,
    cve_ids: &'a [String],
    nodes_missing: u32,
    nodes_failed: u32,
    nodes_installed_pending_reboot: u32,
    nodes_installed: u32,
    nodes_installed_rejected: u32,
    accounts: u32,
    accounts_affected: u32,
    account_ids: Vec<&'a str>,
}

/// `d` / `y` on a patch row: what it is, where it is open, and what the index does not know.
pub fn describe_row(src: &PatchesSource, r: &PatchRow, feed: &PatchIndexFeed) -> super::doc::Doc {
    let s = &r.stats;
    let account_ids: Vec<&str> = r
        .accounts
        .iter()
        .map(|a| src.accounts[*a as usize].id.as_str())
        .collect();
    let rec = PatchRecord {
        title: &r.title,
        kb_id: &r.kb,
        classification: &r.class,
        severity: &r.severity,
        cve_ids: &r.cves,
        nodes_missing: s.missing,
        nodes_failed: s.failed,
        nodes_installed_pending_reboot: s.pending_reboot,
        nodes_installed: s.installed,
        nodes_installed_rejected: s.rejected,
        accounts: s.accounts,
        accounts_affected: s.accounts_affected,
        account_ids,
    };
    let mut d = super::doc::Doc::new("patch", &r.kb, format!("patch {}", r.kb), &rec);
    d.heading("Patch")
        .field("Title", &r.title)
        .field("KB / ID", &r.kb)
        .field("Classification", &r.class)
        .field_as(
            "Severity",
            &r.severity,
            match sev_rank(&r.severity) {
                0 => Role::Critical,
                1 => Role::Warning,
                _ => Role::Text,
            },
        )
        .list("CVEs", &r.cves);
    d.heading("Nodes (from the patch index)")
        .field_as("Missing", s.missing.to_string(), Role::NonCompliant)
        .field_as("Failed", s.failed.to_string(), Role::Critical)
        .field_as(
            "Pending reboot",
            s.pending_reboot.to_string(),
            Role::Warning,
        )
        .field_as("Installed", s.installed.to_string(), Role::Compliant)
        .field("Rejected", s.rejected.to_string())
        .field(
            "Accounts",
            format!(
                "{} ({} with a node lacking it)",
                s.accounts, s.accounts_affected
            ),
        );
    let unknown = feed.progress.unknown;
    if unknown > 0 {
        d.field_as(
            "Unknown",
            format!(
                "{unknown} node(s) whose patch list is not in the index (not counted above; never read as not affected)"
            ),
            Role::Warning,
        );
    }
    let names: Vec<String> = r
        .accounts
        .iter()
        .map(|a| {
            let a = &src.accounts[*a as usize];
            if a.name == a.id {
                a.id.clone()
            } else {
                format!("{} ({})", a.name, a.id)
            }
        })
        .collect();
    d.list("In accounts", &names);
    d
}

/// The index line above a table: progress, unknown nodes, calls (warning when unknown).
pub fn index_line(buf: &mut Buffer, area: Rect, feed: Option<&PatchIndexFeed>, theme: &Theme) {
    let (text, role) = match feed {
        None => ("patch index: no data yet".to_string(), Role::Muted),
        Some(f) => {
            let role = if f.progress.running {
                Role::Spinner
            } else if f.progress.unknown > 0 {
                Role::Warning
            } else {
                Role::Muted
            };
            let mut t = f.status();
            if f.progress.unknown > 0 {
                t.push_str(" — unknown nodes are not counted (never as not affected)");
            }
            (t, role)
        }
    };
    put(
        buf,
        area.x + 1,
        area.y,
        &text,
        area.width.saturating_sub(1),
        theme.style(role),
        None,
        Style::default(),
        false,
    );
}

pub struct PatchesView {
    pub src: PatchesSource,
    pub table: TableState,
    pub built: Option<u64>,
    /// The index the rows came from (for describe and the drill-down).
    pub index: Arc<PatchIndex>,
}

impl Default for PatchesView {
    fn default() -> Self {
        PatchesView {
            src: PatchesSource::default(),
            table: TableState::new(COL_MISSING, true),
            built: None,
            index: Arc::default(),
        }
    }
}

pub const ID: &str = "patches";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["patches", "cves", "cve", "fleet-patches", "pi"],
    describe: "Patches across the org, from the patch index (nodes missing / failed / pending)",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(PatchesView::default()))
    }),
};

impl View for PatchesView {
    fn id(&self) -> &'static str {
        ID
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

    /// One row for the index line.
    fn page_rows(&self, body: usize) -> usize {
        body.saturating_sub(2)
    }

    /// Enter: the nodes of this patch (state, account, OU, region), unknown ones included.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if let Some(r) = self.table.selected_row() {
            let row = self.src.row(r);
            cx.push = Some(Box::new(super::patch_nodes::PatchNodesView::new(
                self.index.str(self.index.def(row.def).kb).to_string(),
                self.index.str(self.index.def(row.def).title).to_string(),
            )));
        }
    }

    fn describe(&self, data: &Data, _now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        Ok(describe_row(&self.src, self.src.row(r), &data.patch_index))
    }

    fn hints(&self) -> Vec<Action> {
        vec![Action::SortNext, Action::SortReverse, Action::Describe]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        if area.height == 0 {
            return;
        }
        index_line(buf, area, cx.patch_index, cx.theme);
        let body = layout::below(area, 1);
        let empty = match cx.patch_index {
            _ if !self.table.filter.text.is_empty() && self.table.rows_total > 0 => {
                format!("no patches match /{}", self.table.filter.text)
            }
            Some(f) if f.progress.running => {
                format!("{} indexing patches…", cx.spinner())
            }
            Some(f) if f.published && f.progress.total > 0 => {
                "no patches in the index (every node unknown or without patches)".into()
            }
            _ => "no patch index yet — it fills after the first refresh".into(),
        };
        render_table(buf, body, &self.table, &self.src, cx.theme, &cx.look(empty));
    }

    fn ensure_built(&mut self, data: &Data, _now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        let index = data.patch_index.index.clone();
        if !Arc::ptr_eq(&index, &self.index) || self.built.is_none() {
            self.src = PatchesSource::build(&index, &data.snapshot);
            self.index = index;
            self.table.rebuild(&self.src);
        }
        self.built = Some(data.generation);
    }
}
