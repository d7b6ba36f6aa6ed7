//! `:software` (aliases `sw`, `inventory`, `apps`) — software across the organization from
//! GetInventory aggregations per account × region (`fleet::software`), read by a job when
//! the view opens: each application with its versions (node counts, accounts), versions
//! other than the newest marked as drift (`drift:yes`). Accounts whose inventory could not
//! be read are named above the table (an account refused in every region is one entry).
//! Enter on an application or a version → the nodes running it
//! ([`SoftwareNodesView`], GetInventory with filters), where marks and `p` / `s` work as on
//! `:nodes`.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::fmt::thousands;
use super::node_list::{COL_FACT, Listed, NodeListSource, SOFTWARE_COLUMNS};
use super::table_render::{put, render_table};
use crate::model::software::{SoftwareInventory, SoftwareMissing, compare_versions};
use crate::model::{FleetSnapshot, NodeKey};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::{Data, Load};
use crate::ui::effect::{Job, JobEvent, JobKind};
use crate::ui::filter::{FieldSpec, contains, yes_no};
use crate::ui::layout;
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

/// Applications, each followed by its versions (newest first) as tree rows.
pub const COLUMNS: &[Column] = &[
    Column::new("APPLICATION / VERSION", 40, 0),
    Column::new("VERSIONS", 8, 1).num(),
    Column::new("NODES", 6, 0).num(),
    Column::new("ACCTS", 5, 1).num(),
    Column::new("DRIFT", 18, 0).grow(),
];

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::text("name", "application name").alias(&["app"]),
    FieldSpec::text("version", "version"),
    FieldSpec::text("account", "in this account (id)").alias(&["acct"]),
    FieldSpec::yes_no(
        "drift",
        "versions other than the application's newest (and applications having one)",
    ),
];

/// A row: an application, or one of its versions (children follow their application).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwRow {
    App(usize),
    Version(usize, usize),
}

#[derive(Clone, Default)]
pub struct SoftwareSource {
    pub inv: Arc<SoftwareInventory>,
    pub rows: Vec<SwRow>,
    /// Sanitized application names.
    names: Vec<String>,
}

impl SoftwareSource {
    pub fn new(inv: Arc<SoftwareInventory>) -> Self {
        let mut rows = Vec::new();
        for (a, app) in inv.applications.iter().enumerate() {
            rows.push(SwRow::App(a));
            for v in 0..app.versions.len() {
                rows.push(SwRow::Version(a, v));
            }
        }
        let names = inv.applications.iter().map(|a| sanitize(&a.name)).collect();
        SoftwareSource { inv, rows, names }
    }

    fn app(&self, row: usize) -> &crate::model::software::Application {
        match self.rows[row] {
            SwRow::App(a) | SwRow::Version(a, _) => &self.inv.applications[a],
        }
    }

    /// (application name, version if a version row) of `row`.
    pub fn target(&self, row: usize) -> (String, Option<String>) {
        match self.rows[row] {
            SwRow::App(a) => (self.inv.applications[a].name.clone(), None),
            SwRow::Version(a, v) => {
                let app = &self.inv.applications[a];
                (app.name.clone(), Some(app.versions[v].version.clone()))
            }
        }
    }

    fn drift(&self, row: usize) -> bool {
        match self.rows[row] {
            SwRow::App(a) => self.inv.applications[a].drifted() > 0,
            SwRow::Version(a, v) => self.inv.applications[a].versions[v].drift,
        }
    }

    fn nodes(&self, row: usize) -> u64 {
        match self.rows[row] {
            SwRow::App(a) => self.inv.applications[a].nodes,
            SwRow::Version(a, v) => self.inv.applications[a].versions[v].nodes,
        }
    }

    fn accounts(&self, row: usize) -> &std::collections::BTreeSet<String> {
        match self.rows[row] {
            SwRow::App(a) => &self.inv.applications[a].accounts,
            SwRow::Version(a, v) => &self.inv.applications[a].versions[v].accounts,
        }
    }
}

impl RowSource for SoftwareSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        let (name, v) = self.target(row);
        format!("software {name} {}", v.unwrap_or_default())
    }
    fn copy_text(&self, row: usize) -> String {
        let (name, v) = self.target(row);
        match v {
            Some(v) => format!("{name} {v}"),
            None => name,
        }
    }
    fn depth(&self, row: usize) -> Option<usize> {
        Some(match self.rows[row] {
            SwRow::App(_) => 0,
            SwRow::Version(..) => 1,
        })
    }
    fn text(&self, row: usize, col: usize) -> String {
        let app = self.app(row);
        match (self.rows[row], col) {
            (SwRow::App(a), 0) => self.names[a].clone(),
            (SwRow::Version(_, v), 0) => sanitize(&app.versions[v].version),
            (SwRow::App(_), 1) => app.versions.len().to_string(),
            (SwRow::Version(..), 1) => String::new(),
            (_, 2) => thousands(self.nodes(row)),
            (_, 3) => self.accounts(row).len().to_string(),
            (SwRow::App(_), 4) => match app.drifted() {
                0 => "✓ one version".into(),
                n => format!("{n} drifted"),
            },
            (SwRow::Version(_, v), 4) => {
                let ver = &app.versions[v];
                match (ver.drift, ver.version == app.majority) {
                    (false, true) => "newest".into(),
                    (false, false) => "newest (minority)".into(),
                    (true, true) => "drift (majority)".into(),
                    (true, false) => "drift".into(),
                }
            }
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        match col {
            0 => Cell::text(self.app(row).name.clone()),
            1 => Cell::Int(self.app(row).versions.len() as i64),
            2 => Cell::Int(self.nodes(row) as i64),
            3 => Cell::Int(self.accounts(row).len() as i64),
            4 => match self.rows[row] {
                SwRow::App(_) if self.app(row).drifted() == 0 => Cell::text("one version"),
                _ => Cell::text(self.text(row, col)),
            },
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        match col {
            1 => self.app(a).versions.len().cmp(&self.app(b).versions.len()),
            2 => self.nodes(a).cmp(&self.nodes(b)),
            3 => self.accounts(a).len().cmp(&self.accounts(b).len()),
            4 => self.drift(b).cmp(&self.drift(a)),
            _ => super::nodes::cmp_ignore_case(&self.app(a).name, &self.app(b).name)
                // versions of one application: newest first
                .then_with(|| match (self.rows[a], self.rows[b]) {
                    (SwRow::Version(x, i), SwRow::Version(y, j)) => compare_versions(
                        &self.inv.applications[y].versions[j].version,
                        &self.inv.applications[x].versions[i].version,
                    ),
                    _ => Ordering::Equal,
                }),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let drift = self.drift(row);
        match (self.rows[row], col) {
            (SwRow::App(_), 0) => theme.style(Role::Title),
            (SwRow::Version(..), 0 | 4) if drift => theme.style(Role::Warning),
            (SwRow::App(_), 4) if drift => theme.style(Role::Warning),
            (_, 4) => theme.style(Role::Ok),
            (_, 1 | 3) => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }
    fn substring_field(&self, field: &str) -> bool {
        matches!(field, "name" | "version" | "account")
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        if row >= self.rows.len() {
            return crate::ui::filter::find_field(FIELDS, field).map(|_| false);
        }
        let app = self.app(row);
        Some(match field {
            "name" => contains(&app.name, v),
            "version" => match self.rows[row] {
                SwRow::App(_) => app.versions.iter().any(|x| contains(&x.version, v)),
                SwRow::Version(_, i) => contains(&app.versions[i].version, v),
            },
            "account" => self.accounts(row).iter().any(|a| a.contains(v)),
            "drift" => yes_no(v).is_some_and(|y| y == self.drift(row)),
            _ => return None,
        })
    }
}

/// "prod-web (222222222222) AccessDeniedException" for the missing line.
fn missing_text(snap: Option<&FleetSnapshot>, m: &SoftwareMissing) -> String {
    let name = snap
        .map(|s| s.account_name(&m.account_id).to_string())
        .unwrap_or_else(|| m.account_id.clone());
    let who = if name == m.account_id {
        sanitize(&m.account_id)
    } else {
        format!("{} ({})", sanitize(&name), sanitize(&m.account_id))
    };
    match &m.region {
        Some(r) => format!("{who} {} {}", sanitize(r), sanitize(&m.code)),
        None => format!("{who} {}", sanitize(&m.code)),
    }
}

/// Two lines above a table: what was read, then which accounts are missing (in the error
/// role) — or how far the job is.
fn status_lines(
    buf: &mut Buffer,
    area: Rect,
    theme: &Theme,
    first: (String, Role),
    missing: &[SoftwareMissing],
    snap: Option<&FleetSnapshot>,
) -> Rect {
    let line = |buf: &mut Buffer, y: u16, text: &str, role: Role| {
        put(
            buf,
            area.x + 1,
            y,
            text,
            area.width.saturating_sub(1),
            theme.style(role),
            None,
            Style::default(),
            false,
        );
    };
    line(buf, area.y, &first.0, first.1);
    if missing.is_empty() || area.height < 4 {
        return layout::below(area, 1);
    }
    let names: Vec<String> = missing.iter().map(|m| missing_text(snap, m)).collect();
    line(
        buf,
        area.y + 1,
        &format!(
            "✗ inventory not read for {} account(s) — left out of the counts: {}",
            missing.len(),
            names.join(", ")
        ),
        Role::Error,
    );
    layout::below(area, 2)
}

pub struct SoftwareView {
    pub inv: Load<Arc<SoftwareInventory>>,
    pub progress: (usize, usize),
    pub src: SoftwareSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl Default for SoftwareView {
    fn default() -> Self {
        SoftwareView {
            inv: Load::Loading,
            progress: (0, 0),
            src: SoftwareSource::default(),
            table: TableState::new(0, false),
            built: None,
        }
    }
}

impl SoftwareView {
    /// The job's answer (also how tests feed one).
    pub fn set_inventory(&mut self, r: Result<Box<SoftwareInventory>, String>) {
        match r {
            Ok(inv) => {
                let inv: Arc<SoftwareInventory> = Arc::from(inv);
                self.src = SoftwareSource::new(inv.clone());
                self.table.rebuild(&self.src);
                self.inv = Load::Loaded(inv);
            }
            Err(e) => self.inv = Load::Failed(sanitize(&e)),
        }
    }
}

/// The accounts the software job reads: every account of the snapshot.
/// The accounts whose inventory is read: the active ones (a suspended or closing account
/// cannot be entered; the refresh does not read it either, and neither does this).
fn accounts(data: Option<&Data>) -> Vec<String> {
    data.map(|d| {
        d.snapshot
            .accounts
            .iter()
            .filter(|a| a.state.is_active())
            .map(|a| a.id.clone())
            .collect()
    })
    .unwrap_or_default()
}

pub const ID: &str = "software";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["software", "sw", "inventory", "apps"],
    describe: "Software across the org (GetInventory): versions, node counts, drift",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(SoftwareView::default()))
    }),
};

impl View for SoftwareView {
    fn id(&self) -> &'static str {
        ID
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn ensure_built(&mut self, data: &Data, _now: DateTime<Utc>) {
        self.built = Some(data.generation);
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    fn page_rows(&self, body: usize) -> usize {
        body.saturating_sub(3)
    }

    /// Starts reading the inventory of every account.
    fn opened(&mut self, cx: &mut ViewCx<'_>) {
        let accounts = accounts(cx.data);
        if accounts.is_empty() {
            self.inv = Load::Failed(
                "no accounts read yet — open :software again once the organization is read".into(),
            );
            return;
        }
        self.inv = Load::Loading;
        cx.start(Job::Software { accounts });
    }

    fn job(&mut self, kind: JobKind, event: JobEvent, _cx: &mut ViewCx<'_>) {
        match (kind, event) {
            (JobKind::Software, JobEvent::SoftwareProgress { done, total }) => {
                self.progress = (done, total)
            }
            (JobKind::Software, JobEvent::Software(r)) => self.set_inventory(r),
            _ => {}
        }
    }

    /// Enter: the nodes running the application (or that version of it).
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if let Some(r) = self.table.selected_row() {
            let (name, version) = self.src.target(r);
            cx.push = Some(Box::new(SoftwareNodesView::new(name, version)));
        }
    }

    fn describe(&self, data: &Data, _now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        let app = self.src.app(r);
        let (name, version) = self.src.target(r);
        let mut d = match &version {
            Some(v) => {
                let ver = app
                    .versions
                    .iter()
                    .find(|x| &x.version == v)
                    .ok_or("Nothing selected to describe")?;
                let mut d = super::doc::Doc::new(
                    "software",
                    &format!("{name} {v}"),
                    format!("{name} {v}"),
                    ver,
                );
                d.heading("Version")
                    .field("Application", &name)
                    .field("Version", v)
                    .field("Nodes", ver.nodes.to_string())
                    .field_as(
                        "Drift",
                        if ver.drift {
                            format!("yes — the newest is {}", app.newest)
                        } else {
                            "no — the newest".into()
                        },
                        if ver.drift { Role::Warning } else { Role::Ok },
                    );
                let accts: Vec<String> = ver
                    .accounts
                    .iter()
                    .map(|a| format!("{} ({a})", data.snapshot.account_name(a)))
                    .collect();
                d.list("Accounts", &accts);
                d
            }
            None => {
                let mut d = super::doc::Doc::new("software", &name, name.clone(), app);
                d.heading("Application")
                    .field("Name", &name)
                    .field("Newest", &app.newest)
                    .field("Majority", &app.majority)
                    .field("Nodes", app.nodes.to_string())
                    .field("Accounts", app.accounts.len().to_string());
                let vs: Vec<String> = app
                    .versions
                    .iter()
                    .map(|v| {
                        format!(
                            "{}  {} node(s)  {} account(s){}",
                            v.version,
                            v.nodes,
                            v.accounts.len(),
                            if v.drift { "  drift" } else { "" }
                        )
                    })
                    .collect();
                d.list("Versions", &vs);
                d
            }
        };
        if let Load::Loaded(inv) = &self.inv
            && !inv.missing.is_empty()
        {
            let m: Vec<String> = inv
                .missing
                .iter()
                .map(|m| format!("{} — {}", missing_text(Some(&data.snapshot), m), m.message))
                .collect();
            d.heading("Not read (counts above leave these out)");
            d.list("Accounts", &m);
        }
        Ok(d)
    }

    fn hints(&self) -> Vec<Action> {
        vec![Action::SortNext, Action::SortReverse, Action::Describe]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        if area.height == 0 {
            return;
        }
        let spinner = cx.spinner();
        let (first, missing): ((String, Role), &[SoftwareMissing]) = match &self.inv {
            Load::Loading => {
                let (done, total) = self.progress;
                (
                    (
                        if total > 0 {
                            format!(
                                "{spinner} reading inventory: {done}/{total} account × region units (GetInventory)"
                            )
                        } else {
                            format!("{spinner} reading inventory (GetInventory)…")
                        },
                        Role::Spinner,
                    ),
                    &[],
                )
            }
            Load::Failed(e) => ((format!("✗ {e}"), Role::Error), &[]),
            Load::Loaded(inv) => {
                let drifted = inv.applications.iter().filter(|a| a.drifted() > 0).count();
                let mut t = format!(
                    "{} applications · {} with drift · {} account × region units read",
                    inv.applications.len(),
                    drifted,
                    inv.units_read
                );
                if !inv.is_complete() {
                    t.push_str(" · partial");
                }
                let role = if inv.is_complete() {
                    Role::Muted
                } else {
                    Role::Warning
                };
                ((t, role), &inv.missing[..])
            }
        };
        let body = status_lines(buf, area, cx.theme, first, missing, cx.snapshot);
        let empty = match &self.inv {
            Load::Loading => format!("{spinner} loading software…"),
            Load::Failed(_) => "no software inventory".into(),
            Load::Loaded(_) if !self.table.filter.text.is_empty() && self.table.rows_total > 0 => {
                format!("no software matches /{}", self.table.filter.text)
            }
            Load::Loaded(_) => "no applications reported (is inventory collection on?)".into(),
        };
        render_table(buf, body, &self.table, &self.src, cx.theme, &cx.look(empty));
    }
}

/// The nodes running one application (version), from GetInventory with filters.
pub struct SoftwareNodesView {
    pub name: String,
    pub version: Option<String>,
    pub found: Load<(Vec<NodeKey>, Vec<SoftwareMissing>)>,
    pub src: NodeListSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl SoftwareNodesView {
    pub fn new(name: String, version: Option<String>) -> Self {
        SoftwareNodesView {
            name,
            version,
            found: Load::Loading,
            src: NodeListSource::default(),
            table: TableState::new(COL_FACT, false),
            built: None,
        }
    }

    fn rebuild(&mut self, snap: Arc<FleetSnapshot>) {
        let rows = match &self.found {
            Load::Loaded((keys, _)) => {
                let pos = NodeListSource::positions(&snap);
                let fact = self.version.clone().map(|v| sanitize(&v));
                keys.iter()
                    .map(|k| {
                        let snap_ix = pos.get(k).copied();
                        Listed {
                            key: k.clone(),
                            snap: snap_ix,
                            fact: fact.clone().unwrap_or_else(|| "installed".into()),
                            role: Role::Text,
                            rank: 0,
                            detail: if snap_ix.is_none() {
                                "in inventory, not in the snapshot".into()
                            } else {
                                String::new()
                            },
                        }
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        self.src = NodeListSource::new(snap, rows, SOFTWARE_COLUMNS);
        self.table.rebuild(&self.src);
    }

    fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {}", sanitize(&self.name), sanitize(v)),
            None => sanitize(&self.name),
        }
    }
}

pub const NODES_ID: &str = "software_nodes";

pub const NODES_SPEC: Spec = Spec {
    id: NODES_ID,
    // reached by Enter on a `:software` row
    commands: &[],
    describe: "Nodes running one application (version)",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|_| Err("open :software and press Enter on an application".into())),
};

impl View for SoftwareNodesView {
    fn id(&self) -> &'static str {
        NODES_ID
    }

    fn crumb(&self, _snap: Option<&FleetSnapshot>) -> String {
        self.label()
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn ensure_built(&mut self, data: &Data, _now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.rebuild(data.snapshot.clone());
        self.built = Some(data.generation);
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    fn page_rows(&self, body: usize) -> usize {
        body.saturating_sub(3)
    }

    fn opened(&mut self, cx: &mut ViewCx<'_>) {
        let accounts = accounts(cx.data);
        cx.start(Job::SoftwareNodes {
            accounts,
            name: self.name.clone(),
            version: self.version.clone(),
        });
    }

    fn job(&mut self, kind: JobKind, event: JobEvent, cx: &mut ViewCx<'_>) {
        if let (JobKind::SoftwareNodes, JobEvent::SoftwareNodes(r)) = (kind, event) {
            self.found = match r {
                Ok(found) => Load::Loaded(found),
                Err(e) => Load::Failed(sanitize(&e)),
            };
            if let Some(d) = cx.data {
                self.rebuild(d.snapshot.clone());
            }
        }
    }

    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if let Some(r) = self.table.selected_row() {
            let key = self.src.rows[r].key.clone();
            cx.push = Some(Box::new(super::node::NodeView::new(key)));
        }
    }

    fn node(&self) -> Option<NodeKey> {
        self.table
            .selected_row()
            .map(|r| self.src.rows[r].key.clone())
    }

    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        let n = self
            .src
            .node(r)
            .ok_or("this node is not in the current snapshot")?;
        Ok(super::doc::node(&data.snapshot, n, now))
    }

    fn targets(&self, data: &Data, now: DateTime<Utc>) -> (Vec<NodeKey>, String) {
        let nodes = self
            .table
            .order
            .iter()
            .filter(|&&r| self.src.rows[r as usize].snap.is_some())
            .map(|&r| self.src.rows[r as usize].key.clone())
            .collect();
        (nodes, self.targets_from(data, now))
    }

    fn targets_from(&self, _data: &Data, _now: DateTime<Utc>) -> String {
        format!("{} nodes running {}", self.table.order.len(), self.label())
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::Mark,
            Action::SortNext,
            Action::PatchNow,
            Action::Session,
        ]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        if area.height == 0 {
            return;
        }
        let (first, missing): ((String, Role), &[SoftwareMissing]) = match &self.found {
            Load::Loading => (
                (
                    format!("{} asking GetInventory for {}…", cx.spinner(), self.label()),
                    Role::Spinner,
                ),
                &[],
            ),
            Load::Failed(e) => ((format!("✗ {e}"), Role::Error), &[]),
            Load::Loaded((keys, missing)) => (
                (
                    format!(
                        "{} node(s) run {}{}",
                        keys.len(),
                        self.label(),
                        if missing.is_empty() {
                            ""
                        } else {
                            " · partial"
                        }
                    ),
                    if missing.is_empty() {
                        Role::Muted
                    } else {
                        Role::Warning
                    },
                ),
                &missing[..],
            ),
        };
        let body = status_lines(buf, area, cx.theme, first, missing, cx.snapshot);
        let empty = match &self.found {
            Load::Loading => format!("{} loading nodes…", cx.spinner()),
            _ if !self.table.filter.text.is_empty() && self.table.rows_total > 0 => {
                format!("no nodes match /{}", self.table.filter.text)
            }
            _ => "no node reports it".into(),
        };
        render_table(buf, body, &self.table, &self.src, cx.theme, &cx.look(empty));
    }
}
