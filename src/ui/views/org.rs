//! `:org` — the OU → account tree with compliance roll-ups and inline error markers.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::fmt::{count, pct_text};
use super::nodes::{NodesView, keys_in_scope};
use super::scope::NodeScope;
use super::table_render::render_table;
use crate::model::NodeKey;
use crate::model::{AccountState, Aggregates, ComplianceRollup, FleetSnapshot};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};
use crate::ui::views::nodes::cmp_ignore_case;

pub const COLUMNS: &[Column] = &[
    Column::new("NAME", 26, 0),
    Column::new("ID", 16, 3),
    Column::new("NODES", 6, 0).num(),
    Column::new("COMPL", 6, 0).num(),
    Column::new("CRIT NODES", 5, 1).num(),
    Column::new("SEC NODES", 5, 2).num(),
    Column::new("FAIL", 5, 3).num(),
    Column::new("RBT", 4, 4).num(),
    Column::new("UNREP", 5, 2).num(),
    Column::new("STALE", 5, 3).num(),
    Column::new("CERT≤30", 7, 2).num(),
    Column::new("UNCOV", 5, 2).num(),
    Column::new("STATUS", 18, 1).grow(),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgRowKind {
    Ou(String),
    Account(String),
}

#[derive(Clone, Debug)]
pub struct OrgRow {
    pub kind: OrgRowKind,
    pub depth: usize,
    pub name: String,
    pub id: String,
    pub last_child: bool,
    pub state: Option<AccountState>,
    pub errors: u32,
}

#[derive(Clone, Default)]
pub struct OrgSource {
    pub rows: Vec<OrgRow>,
    pub agg: Arc<Aggregates>,
    pub first_error: HashMap<String, String>,
    pub tree_prefix: Vec<String>,
    /// Accounts partly shown from older data (a source not read by the last refresh): when
    /// that data was last read.
    pub stale_since: HashMap<String, DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// Patch schedules were read (else the uncovered count is unknown: `?`).
    pub schedules_read: bool,
}

impl OrgSource {
    pub fn build(data: &Data, now: DateTime<Utc>) -> OrgSource {
        let snap: &FleetSnapshot = &data.snapshot;
        let mut stale_since: HashMap<String, DateTime<Utc>> = HashMap::new();
        if !snap.in_progress {
            for s in snap.sources.iter().filter(|s| !s.ok) {
                if let Some(t) = s.fetched_at {
                    let e = stale_since.entry(s.account_id.clone()).or_insert(t);
                    *e = (*e).min(t);
                }
            }
        }
        let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (i, u) in snap.organization.units.iter().enumerate() {
            children.entry(u.parent_id.as_deref()).or_default().push(i);
        }
        let mut accts: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (i, a) in snap.accounts.iter().enumerate() {
            let ou = a
                .ou_id
                .as_deref()
                .filter(|o| snap.organization.units.iter().any(|u| u.id == *o));
            accts.entry(ou).or_default().push(i);
        }
        for v in accts.values_mut() {
            v.sort_by_key(|i| snap.accounts[*i].name.to_lowercase());
        }
        let mut first_error = HashMap::new();
        for e in &snap.errors {
            if let Some(a) = &e.account_id {
                first_error.entry(a.clone()).or_insert_with(|| {
                    let parts: Vec<&str> = [
                        e.code.as_str(),
                        e.region.as_deref().unwrap_or(""),
                        e.service.as_str(),
                    ]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect();
                    sanitize(&parts.join(" "))
                });
            }
        }
        let mut rows = Vec::new();
        let mut prefix = Vec::new();
        // (unit index, depth, ancestors-last flags)
        #[allow(clippy::too_many_arguments)]
        fn walk(
            snap: &FleetSnapshot,
            children: &HashMap<Option<&str>, Vec<usize>>,
            accts: &HashMap<Option<&str>, Vec<usize>>,
            data: &Data,
            parent: Option<&str>,
            depth: usize,
            lasts: &mut Vec<bool>,
            rows: &mut Vec<OrgRow>,
            prefix: &mut Vec<String>,
        ) {
            let units = children.get(&parent).cloned().unwrap_or_default();
            let accounts = accts.get(&parent).cloned().unwrap_or_default();
            let total = units.len() + accounts.len();
            let mut k = 0;
            for a in accounts {
                k += 1;
                let acct = &snap.accounts[a];
                let last = k == total;
                rows.push(OrgRow {
                    kind: OrgRowKind::Account(acct.id.clone()),
                    depth,
                    name: sanitize(if acct.name.is_empty() {
                        &acct.id
                    } else {
                        &acct.name
                    }),
                    id: sanitize(&acct.id),
                    last_child: last,
                    state: Some(acct.state),
                    errors: data
                        .aggregates
                        .errors_by_account
                        .get(&acct.id)
                        .copied()
                        .unwrap_or(0),
                });
                prefix.push(tree(lasts, last, depth));
            }
            for u in units {
                k += 1;
                let unit = &snap.organization.units[u];
                let last = k == total;
                rows.push(OrgRow {
                    kind: OrgRowKind::Ou(unit.id.clone()),
                    depth,
                    name: sanitize(&unit.name),
                    id: sanitize(&unit.id),
                    last_child: last,
                    state: None,
                    errors: 0,
                });
                prefix.push(tree(lasts, last, depth));
                lasts.push(last);
                walk(
                    snap,
                    children,
                    accts,
                    data,
                    Some(unit.id.as_str()),
                    depth + 1,
                    lasts,
                    rows,
                    prefix,
                );
                lasts.pop();
            }
        }
        fn tree(lasts: &[bool], last: bool, depth: usize) -> String {
            if depth == 0 {
                return String::new();
            }
            let mut s = String::new();
            for l in lasts.iter().skip(1) {
                s.push_str(if *l { "  " } else { "│ " });
            }
            s.push_str(if last { "└ " } else { "├ " });
            s
        }
        let mut lasts = Vec::new();
        walk(
            snap,
            &children,
            &accts,
            data,
            None,
            0,
            &mut lasts,
            &mut rows,
            &mut prefix,
        );
        OrgSource {
            rows,
            agg: data.aggregates.clone(),
            first_error,
            tree_prefix: prefix,
            stale_since,
            now,
            schedules_read: snap.schedules.fetched_at.is_some(),
        }
    }

    /// Nodes nothing installs patches on; `?` before the patch schedules were read.
    fn uncovered_text(&self, ru: &ComplianceRollup) -> String {
        if self.schedules_read {
            count(ru.uncovered)
        } else {
            "?".into()
        }
    }

    pub fn rollup(&self, row: usize) -> Option<&ComplianceRollup> {
        match &self.rows[row].kind {
            OrgRowKind::Ou(id) => self.agg.by_ou.get(id),
            OrgRowKind::Account(id) => self.agg.by_account.get(id),
        }
    }

    /// Scope for drilling into the row's nodes.
    pub fn scope(&self, row: usize) -> NodeScope {
        match &self.rows[row].kind {
            OrgRowKind::Ou(id) => NodeScope::Ou(id.clone()),
            OrgRowKind::Account(id) => NodeScope::Account(id.clone()),
        }
    }
}

impl RowSource for OrgSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        self.rows[row].id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let r = &self.rows[row];
        let empty = ComplianceRollup::default();
        let ru = self.rollup(row).unwrap_or(&empty);
        match col {
            // the tree prefix (├ └) is drawn by the table for the current sort
            0 => {
                let icon = match r.kind {
                    OrgRowKind::Ou(_) => "▾ ",
                    OrgRowKind::Account(_) => "",
                };
                format!("{icon}{}", r.name)
            }
            1 => r.id.clone(),
            2 => count(ru.nodes),
            3 => pct_text(ru.pct_compliant()),
            4 => count(ru.critical),
            5 => count(ru.security),
            6 => count(ru.with_failed),
            7 => count(ru.pending_reboot),
            8 => count(ru.unreported),
            9 => count(ru.stale),
            10 => count(ru.certs_expiring_30),
            11 => self.uncovered_text(ru),
            12 => {
                let mut s = String::new();
                if let Some(st) = r.state
                    && !st.is_active()
                {
                    s.push_str(st.as_str());
                    s.push(' ');
                }
                // partly shown from older data: its true age
                if let OrgRowKind::Account(a) = &r.kind
                    && let Some(t) = self.stale_since.get(a)
                {
                    s.push_str(&format!(
                        "◐ data {} old ",
                        super::fmt::age(self.now, Some(*t))
                    ));
                }
                if r.errors > 0 {
                    let what = match &r.kind {
                        OrgRowKind::Account(a) => {
                            self.first_error.get(a).cloned().unwrap_or_default()
                        }
                        OrgRowKind::Ou(_) => String::new(),
                    };
                    s.push_str(&format!("⚠ {what}"));
                    if r.errors > 1 {
                        s.push_str(&format!(" (+{})", r.errors - 1));
                    }
                }
                s.trim().to_string()
            }
            _ => String::new(),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let r = &self.rows[row];
        let empty = ComplianceRollup::default();
        let ru = self.rollup(row).unwrap_or(&empty);
        match col {
            0 if matches!(r.kind, OrgRowKind::Ou(_)) => theme.style(Role::Title),
            1 => theme.style(Role::Muted),
            3 => theme.pct(ru.pct_compliant()),
            4 => theme.count(ru.critical.into(), Role::Critical),
            5 => theme.count(ru.security.into(), Role::NonCompliant),
            6 => theme.count(ru.with_failed.into(), Role::Critical),
            7 => theme.count(ru.pending_reboot.into(), Role::Warning),
            8 => theme.count(ru.unreported.into(), Role::Unreported),
            9 => theme.count(ru.stale.into(), Role::Stale),
            10 => theme.count(ru.certs_expiring_30.into(), Role::Band30),
            11 => theme.count(ru.uncovered.into(), Role::Critical),
            12 => theme.style(Role::Error),
            _ => theme.style(Role::Text),
        }
    }
    fn depth(&self, row: usize) -> Option<usize> {
        Some(self.rows[row].depth)
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (&self.rows[a], &self.rows[b]);
        let empty = ComplianceRollup::default();
        let (rx, ry) = (
            self.rollup(a).unwrap_or(&empty),
            self.rollup(b).unwrap_or(&empty),
        );
        let kind = |r: &OrgRow| matches!(r.kind, OrgRowKind::Ou(_));
        match col {
            // accounts before OUs, then by name
            0 => kind(x)
                .cmp(&kind(y))
                .then_with(|| cmp_ignore_case(&x.name, &y.name)),
            1 => x.id.cmp(&y.id),
            2 => rx.nodes.cmp(&ry.nodes),
            // worst first ascending; nothing to be compliant about (no nodes) is best
            3 => pct_key(rx.pct_compliant()).cmp(&pct_key(ry.pct_compliant())),
            4 => rx.critical.cmp(&ry.critical),
            5 => rx.security.cmp(&ry.security),
            6 => rx.with_failed.cmp(&ry.with_failed),
            7 => rx.pending_reboot.cmp(&ry.pending_reboot),
            8 => rx.unreported.cmp(&ry.unreported),
            9 => rx.stale.cmp(&ry.stale),
            10 => rx.certs_expiring_30.cmp(&ry.certs_expiring_30),
            11 => rx.uncovered.cmp(&ry.uncovered),
            _ => self.text(a, col).cmp(&self.text(b, col)),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let r = &self.rows[row];
        let empty = ComplianceRollup::default();
        let ru = self.rollup(row).unwrap_or(&empty);
        match col {
            0 => Cell::text(r.name.clone()),
            2 => Cell::Int(ru.nodes.into()),
            3 => ru
                .pct_compliant()
                .map(|p| Cell::Num((p * 100.0).round() / 100.0))
                .unwrap_or(Cell::Empty),
            4 => Cell::Int(ru.critical.into()),
            5 => Cell::Int(ru.security.into()),
            6 => Cell::Int(ru.with_failed.into()),
            7 => Cell::Int(ru.pending_reboot.into()),
            8 => Cell::Int(ru.unreported.into()),
            9 => Cell::Int(ru.stale.into()),
            10 => Cell::Int(ru.certs_expiring_30.into()),
            11 if self.schedules_read => Cell::Int(ru.uncovered.into()),
            11 => Cell::Empty,
            // the status as words and a timestamp, without the screen's ◐ / ⚠ and ages
            12 => {
                let mut parts: Vec<String> = Vec::new();
                if let Some(st) = r.state
                    && !st.is_active()
                {
                    parts.push(st.as_str().to_string());
                }
                if let OrgRowKind::Account(a) = &r.kind
                    && let Some(t) = self.stale_since.get(a)
                {
                    parts.push(format!(
                        "data from {}",
                        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ));
                }
                if r.errors > 0 {
                    let what = match &r.kind {
                        OrgRowKind::Account(a) => self.first_error.get(a).cloned(),
                        OrgRowKind::Ou(_) => None,
                    };
                    let mut e = what.unwrap_or_else(|| format!("{} error(s)", r.errors));
                    if r.errors > 1 {
                        e.push_str(&format!(" (+{} more)", r.errors - 1));
                    }
                    parts.push(e);
                }
                Cell::text(parts.join("; "))
            }
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            FieldSpec::text("name", "account or OU name").alias(&["account", "ou"]),
            FieldSpec::text("id", "account or OU id"),
            FieldSpec::yes_no("errors", "could not be read (fully)"),
        ];
        F
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(r) = self.rows.get(row) else {
            return crate::ui::filter::find_field(self.fields(), field).map(|_| false);
        };
        Some(match field {
            "name" => contains(&r.name, v),
            "id" => contains(&r.id, v),
            "errors" => crate::ui::filter::yes_no(v).is_some_and(|y| y == (r.errors > 0)),
            _ => return None,
        })
    }
}

pub struct OrgView {
    pub src: OrgSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl Default for OrgView {
    fn default() -> Self {
        OrgView {
            src: OrgSource::default(),
            // the tree by name; `>`/`<`/`r` and shift+letter sort siblings, keeping the tree
            table: TableState::new(0, false),
            built: None,
        }
    }
}

/// Compliance % for sorting: no nodes (nothing to be non-compliant) sorts as the best.
pub fn pct_key(p: Option<f64>) -> i64 {
    p.map(|p| (p * 100.0).round() as i64).unwrap_or(i64::MAX)
}

pub const ID: &str = "org";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["org", "o", "ou", "ous", "orgs", "accounts", "tree"],
    describe: "Organization tree with roll-ups",
    action: Some(Action::ViewOrg),
    table: true,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(OrgView::default()))
    }),
};

impl View for OrgView {
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

    /// Enter opens the row's nodes; on an account that could not be read (no nodes because
    /// of an error) it describes the account instead, with the error that covers it.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if let Some(r) = self.table.selected_row() {
            let unreadable = match (&self.src.rows[r].kind, cx.data) {
                (OrgRowKind::Account(id), Some(d)) => super::doc::unreadable(&d.snapshot, id),
                _ => false,
            };
            if unreadable {
                cx.then = Some(Action::Describe);
            } else {
                cx.push = Some(Box::new(NodesView::new(self.src.scope(r))));
            }
        }
    }

    fn describe(&self, data: &Data, _now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let snap = &data.snapshot;
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        match &self.src.rows[r].kind {
            OrgRowKind::Account(id) => snap
                .account(id)
                .map(|a| super::doc::account(data, a))
                .ok_or_else(|| format!("account {id} is no longer in the picture")),
            OrgRowKind::Ou(id) => snap
                .organization
                .units
                .iter()
                .find(|u| &u.id == id)
                .map(|u| super::doc::ou(data, u))
                .ok_or_else(|| format!("OU {id} is no longer in the picture")),
        }
    }

    fn targets(&self, data: &Data, now: DateTime<Utc>) -> (Vec<NodeKey>, String) {
        match self.table.selected_row() {
            Some(r) => {
                let sc = self.src.scope(r);
                (
                    keys_in_scope(data, &sc, now),
                    sc.label(Some(&data.snapshot)),
                )
            }
            None => (Vec::new(), String::new()),
        }
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        let look = cx.look(cx.empty_msg("accounts", &self.table));
        render_table(buf, area, &self.table, &self.src, cx.theme, &look);
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.src = OrgSource::build(data, now);
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AggregateConfig, SourceStatus};
    use crate::ui::fixture;

    fn data(s: FleetSnapshot) -> Data {
        let aggregates = Aggregates::compute(&s, &AggregateConfig::default(), fixture::now());
        Data {
            snapshot: Arc::new(s),
            aggregates: Arc::new(aggregates),
            generation: 1,
            complete_at: None,
            last_outcome: Default::default(),
            stale_days: 7,
            patch_index: Default::default(),
        }
    }

    #[test]
    fn an_account_shown_from_older_data_says_how_old() {
        let now = fixture::now();
        let mut s = fixture::snapshot();
        let acct = s.accounts[1].id.clone();
        s.complete = false;
        s.sources = vec![SourceStatus {
            account_id: acct.clone(),
            region: "us-east-1".into(),
            service: "ssm".into(),
            fetched_at: Some(now - chrono::Duration::minutes(5)),
            ok: false,
        }];
        let src = OrgSource::build(&data(s), now);
        let row = src
            .rows
            .iter()
            .position(|r| r.kind == OrgRowKind::Account(acct.clone()))
            .unwrap();
        let status = src.text(row, 12);
        assert!(status.starts_with("◐ data 5m old"), "{status}");
        // the other accounts were read: no marker
        let other = src
            .rows
            .iter()
            .position(|r| matches!(&r.kind, OrgRowKind::Account(a) if *a != acct))
            .unwrap();
        assert!(!src.text(other, 12).contains("old"));
    }
}
