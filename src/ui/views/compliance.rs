//! `:compliance` — the fleet dashboard: gauges and bars on top, a breakdown table below
//! (by OU, account, region, patch group, platform; Tab switches) whose rows drill down to
//! their nodes.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::fmt::{count, pct_text, thousands};
use super::nodes::{NodesView, keys_in_scope};
use super::scope::NodeScope;
use super::table_render::{self, TableLook, put, render_table, text};
use crate::model::NodeKey;
use crate::model::{Aggregates, ComplianceRollup};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::layout::{self, row};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

/// Rows taken by the dashboard above the breakdown table (incl. its tab bar).
pub const DASHBOARD_ROWS: usize = 9;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breakdown {
    Ou,
    Account,
    Region,
    PatchGroup,
    Platform,
}

impl Breakdown {
    pub const ALL: [Breakdown; 5] = [
        Breakdown::Ou,
        Breakdown::Account,
        Breakdown::Region,
        Breakdown::PatchGroup,
        Breakdown::Platform,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Breakdown::Ou => "OU",
            Breakdown::Account => "Account",
            Breakdown::Region => "Region",
            Breakdown::PatchGroup => "Patch group",
            Breakdown::Platform => "Platform",
        }
    }
}

pub const COLUMNS: &[Column] = &[
    // platform names differ at the end ("… Server 2019 Datacenter" / "… 2022 …"): wide
    // enough to show them whole (content-sized, so other breakdowns do not take more)
    Column::new("NAME", 40, 0).mid(),
    Column::new("NODES", 6, 0).num(),
    Column::new("COMPLIANT", 22, 0),
    Column::new("NON-C", 6, 1).num(),
    Column::new("CRIT NODES", 5, 1).num(),
    Column::new("SEC NODES", 5, 2).num(),
    Column::new("MISSING PATCHES", 6, 3).num(),
    Column::new("FAIL", 5, 3).num(),
    Column::new("RBT", 4, 4).num(),
    Column::new("UNREP", 5, 2).num(),
    Column::new("STALE", 5, 3).num(),
    Column::new("UNCOV", 5, 2).num(),
];

#[derive(Clone, Default)]
pub struct BreakdownSource {
    /// (display name, scope key, roll-up)
    pub rows: Vec<(String, NodeScope, ComplianceRollup)>,
    /// Patch schedules were read (else the uncovered count is unknown: `?`).
    pub schedules_read: bool,
}

impl BreakdownSource {
    pub fn build(data: &Data, by: Breakdown) -> BreakdownSource {
        let agg = &data.aggregates;
        let snap = &data.snapshot;
        let rows = match by {
            Breakdown::Ou => snap
                .organization
                .units
                .iter()
                .map(|u| {
                    let path = if u.path.is_empty() { &u.name } else { &u.path };
                    (
                        sanitize(path),
                        NodeScope::Ou(u.id.clone()),
                        agg.by_ou.get(&u.id).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
            Breakdown::Account => agg
                .by_account
                .iter()
                .filter(|(_, r)| r.nodes > 0)
                .map(|(id, r)| {
                    (
                        sanitize(snap.account_name(id)),
                        NodeScope::Account(id.clone()),
                        r.clone(),
                    )
                })
                .collect(),
            Breakdown::Region => map_rows(&agg.by_region, NodeScope::Region),
            Breakdown::PatchGroup => map_rows(&agg.by_patch_group, NodeScope::PatchGroup),
            Breakdown::Platform => map_rows(&agg.by_platform, NodeScope::Platform),
        };
        BreakdownSource {
            rows,
            schedules_read: snap.schedules.fetched_at.is_some(),
        }
    }
}

fn map_rows(
    m: &std::collections::BTreeMap<String, ComplianceRollup>,
    f: fn(String) -> NodeScope,
) -> Vec<(String, NodeScope, ComplianceRollup)> {
    m.iter()
        .filter(|(_, r)| r.nodes > 0)
        .map(|(k, r)| {
            let name = if k.is_empty() {
                "(none)".to_string()
            } else {
                sanitize(k)
            };
            (name, f(k.clone()), r.clone())
        })
        .collect()
}

/// A text bar `███████░░░ 72.5%` for a compliance percentage.
pub fn bar(pct: Option<f64>, width: usize) -> (String, String, String) {
    let Some(p) = pct else {
        return (
            String::new(),
            "░".repeat(width.saturating_sub(7)),
            "     -".into(),
        );
    };
    let cells = width.saturating_sub(7);
    let full = ((p / 100.0) * cells as f64).round() as usize;
    let full = full.min(cells);
    (
        "█".repeat(full),
        "░".repeat(cells - full),
        format!(" {:>6}", pct_text(Some(p))),
    )
}

impl RowSource for BreakdownSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        format!("{:?}", self.rows[row].1)
    }
    fn text(&self, row: usize, col: usize) -> String {
        let (name, _, r) = &self.rows[row];
        match col {
            0 => name.clone(),
            1 => thousands(r.nodes.into()),
            2 => {
                let (full, empty, pct) = bar(r.pct_compliant(), 22);
                format!("{full}{empty}{pct}")
            }
            3 => count(r.non_compliant),
            4 => count(r.critical),
            5 => count(r.security),
            6 => count(r.missing_patches),
            7 => count(r.with_failed),
            8 => count(r.pending_reboot),
            9 => count(r.unreported),
            10 => count(r.stale),
            11 if self.schedules_read => count(r.uncovered),
            11 => "?".into(),
            _ => String::new(),
        }
    }
    fn copy_text(&self, row: usize) -> String {
        match &self.rows[row].1 {
            NodeScope::Account(id) | NodeScope::Ou(id) => id.clone(),
            _ => self.rows[row].0.clone(),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (&self.rows[a].2, &self.rows[b].2);
        match col {
            0 => self.rows[a]
                .0
                .to_lowercase()
                .cmp(&self.rows[b].0.to_lowercase()),
            1 => x.nodes.cmp(&y.nodes),
            // worst first ascending; an empty OU (no nodes) is the best, not the worst
            2 => {
                super::org::pct_key(x.pct_compliant()).cmp(&super::org::pct_key(y.pct_compliant()))
            }
            3 => x.non_compliant.cmp(&y.non_compliant),
            4 => x.critical.cmp(&y.critical),
            5 => x.security.cmp(&y.security),
            6 => x.missing_patches.cmp(&y.missing_patches),
            7 => x.with_failed.cmp(&y.with_failed),
            8 => x.pending_reboot.cmp(&y.pending_reboot),
            9 => x.unreported.cmp(&y.unreported),
            10 => x.stale.cmp(&y.stale),
            11 => x.uncovered.cmp(&y.uncovered),
            _ => Ordering::Equal,
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let r = &self.rows[row].2;
        match col {
            2 => theme.pct(r.pct_compliant()),
            3 => theme.count(r.non_compliant.into(), Role::NonCompliant),
            4 => theme.count(r.critical.into(), Role::Critical),
            5 => theme.count(r.security.into(), Role::NonCompliant),
            6 => theme.count(r.missing_patches, Role::NonCompliant),
            7 => theme.count(r.with_failed.into(), Role::Critical),
            8 => theme.count(r.pending_reboot.into(), Role::Warning),
            9 => theme.count(r.unreported.into(), Role::Unreported),
            10 => theme.count(r.stale.into(), Role::Stale),
            11 => theme.count(r.uncovered.into(), Role::Critical),
            _ => theme.style(Role::Text),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let r = &self.rows[row].2;
        match col {
            1 => Cell::Int(r.nodes.into()),
            2 => r
                .pct_compliant()
                .map(|p| Cell::Num((p * 100.0).round() / 100.0))
                .unwrap_or(Cell::Empty),
            3 => Cell::Int(r.non_compliant.into()),
            4 => Cell::Int(r.critical.into()),
            5 => Cell::Int(r.security.into()),
            6 => Cell::Int(r.missing_patches as i64),
            7 => Cell::Int(r.with_failed.into()),
            8 => Cell::Int(r.pending_reboot.into()),
            9 => Cell::Int(r.unreported.into()),
            10 => Cell::Int(r.stale.into()),
            11 if self.schedules_read => Cell::Int(r.uncovered.into()),
            11 => Cell::Empty,
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[FieldSpec::text("name", "row name")];
        F
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        match field {
            "name" => Some(self.rows.get(row).is_some_and(|r| contains(&r.0, v))),
            _ => None,
        }
    }
}

pub struct ComplianceView {
    pub by: Breakdown,
    pub src: BreakdownSource,
    pub table: TableState,
    pub agg: Arc<Aggregates>,
    pub built: Option<u64>,
}

impl Default for ComplianceView {
    fn default() -> Self {
        ComplianceView {
            by: Breakdown::Account,
            src: BreakdownSource::default(),
            // worst compliance first
            table: TableState::new(2, false),
            agg: Arc::default(),
            built: None,
        }
    }
}

impl ComplianceView {
    pub fn ensure_built(&mut self, data: &Data, _now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.agg = data.aggregates.clone();
        self.src = BreakdownSource::build(data, self.by);
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }

    pub fn switch(&mut self, delta: isize) {
        let i = Breakdown::ALL
            .iter()
            .position(|b| *b == self.by)
            .unwrap_or(0) as isize;
        let n = Breakdown::ALL.len() as isize;
        self.by = Breakdown::ALL[((i + delta).rem_euclid(n)) as usize];
        self.built = None;
        self.table.cursor = 0;
        self.table.offset = 0;
        self.table.selected_id = None;
    }

    pub fn scope(&self, row: usize) -> Option<NodeScope> {
        self.src.rows.get(row).map(|r| r.1.clone())
    }
}

pub const ID: &str = "compliance";

pub const SPEC: Spec = Spec {
    id: ID,
    // not `patch`: `:patch [account ID | ou ID | group NAME]` opens the patch-now pane
    // neither `patch` nor `patches`: `:pat<Tab>` must complete to `:patch`, and
    // `:patch [account ID | ou ID | group NAME]` opens the patch-now pane
    commands: &["compliance", "c", "comp", "dash", "dashboard"],
    describe: "Compliance dashboard",
    action: Some(Action::ViewCompliance),
    table: false,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(ComplianceView::default()))
    }),
};

impl View for ComplianceView {
    fn id(&self) -> &'static str {
        ID
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        ComplianceView::ensure_built(self, data, now)
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    fn set_page(&mut self, rows: usize) {
        let rows = rows.saturating_sub(DASHBOARD_ROWS);
        self.table.set_page(&self.src, rows.max(1));
    }

    fn tab(&mut self, delta: isize) -> bool {
        self.switch(delta);
        true
    }

    /// Enter opens the nodes of the selected breakdown row.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if let Some(s) = self.table.selected_row().and_then(|r| self.scope(r)) {
            cx.push = Some(Box::new(NodesView::new(s)));
        }
    }

    /// An account or OU row describes that account / OU; other breakdowns their row.
    fn describe(&self, data: &Data, _now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let snap = &data.snapshot;
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        Ok(match self.scope(r) {
            Some(NodeScope::Account(id)) if snap.account(&id).is_some() => {
                super::doc::account(data, snap.account(&id).expect("checked"))
            }
            Some(NodeScope::Ou(id)) => match snap.organization.units.iter().find(|u| u.id == id) {
                Some(u) => super::doc::ou(data, u),
                None => super::doc::table_row("compliance", &self.src, r),
            },
            _ => super::doc::table_row("compliance", &self.src, r),
        })
    }

    fn targets(&self, data: &Data, now: DateTime<Utc>) -> (Vec<NodeKey>, String) {
        match self.table.selected_row().and_then(|r| self.scope(r)) {
            Some(sc) => (
                keys_in_scope(data, &sc, now),
                sc.label(Some(&data.snapshot)),
            ),
            None => (Vec::new(), String::new()),
        }
    }

    fn hints(&self) -> Vec<Action> {
        vec![Action::NextTab, Action::SortNext]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        draw(
            buf,
            area,
            self,
            cx.theme,
            cx.look(cx.empty_msg("nodes", &self.table)),
        );
    }
}

/// The dashboard (gauge, counts, breakdown tabs) above the breakdown table.
fn draw(buf: &mut Buffer, area: Rect, v: &ComplianceView, theme: &Theme, look: TableLook<'_>) {
    let f = &v.agg.fleet;
    let muted = theme.style(Role::Muted);
    let tx = theme.style(Role::Text);
    let y0 = area.y;
    let w = area.width;
    // The dashboard's rows that fit, top first; the table takes what is left.
    let Some(_) = row(area, 0) else { return };
    // Line 0: fleet gauge
    let label = "Fleet compliance ";
    let mut x = area.x + 1;
    x += text(
        buf,
        x,
        y0,
        label,
        area.right().saturating_sub(x),
        theme.style(Role::Title),
    );
    let pct = f.pct_compliant();
    let summary = format!(
        "{} nodes · {} compliant · {} non-compliant · {} unreported",
        thousands(f.nodes.into()),
        thousands(f.compliant.into()),
        thousands(f.non_compliant.into()),
        thousands(f.unreported.into())
    );
    // the gauge gives up cells before the counts beside it are cut
    let room = area.right().saturating_sub(x);
    let sw = unicode_width::UnicodeWidthStr::width(summary.as_str()) as u16;
    let gw = (w / 3).min(room.saturating_sub(sw + 10)).max(10).min(room);
    table_render::bar(
        buf,
        x,
        y0,
        gw,
        pct.unwrap_or(0.0) / 100.0,
        theme,
        Role::Compliant,
    );
    x += gw + 1;
    x += text(
        buf,
        x,
        y0,
        &format!("{:>6}", pct_text(pct)),
        7.min(area.right().saturating_sub(x)),
        theme.pct(pct),
    ) + 2;
    text(buf, x, y0, &summary, area.right().saturating_sub(x), muted);

    // Three columns of labelled bars.
    let colw = (w.saturating_sub(2)) / 3;
    let nodes = f64::from(f.nodes.max(1));
    type Group<'a> = (&'a str, Vec<(&'a str, u64, Role)>);
    let groups: [Group<'_>; 3] = [
        (
            "Non-compliant by severity",
            vec![
                ("Critical", f.critical.into(), Role::Critical),
                ("Security", f.security.into(), Role::NonCompliant),
                ("Other", f.other.into(), Role::Warning),
            ],
        ),
        (
            "Nodes with patches",
            vec![
                ("Missing", f.with_missing.into(), Role::NonCompliant),
                ("Failed", f.with_failed.into(), Role::Critical),
                ("Pending rbt", f.pending_reboot.into(), Role::Warning),
            ],
        ),
        (
            "Reporting",
            vec![
                ("≤7 days", f.reported_recently.into(), Role::Compliant),
                ("Stale >7d", f.stale.into(), Role::Stale),
                ("Never", f.unreported.into(), Role::Unreported),
            ],
        ),
    ];
    for (gi, (title, rows)) in groups.iter().enumerate() {
        let gx = area.x + 1 + gi as u16 * colw;
        if let Some(r) = row(area, 2) {
            text(buf, gx, r.y, title, colw, theme.style(Role::Header));
        }
        for (ri, (label, n, role)) in rows.iter().enumerate() {
            let Some(r) = row(area, 3 + ri as u16) else {
                break;
            };
            let y = r.y;
            let lw = 12u16.min(colw / 2);
            text(buf, gx, y, label, lw.saturating_sub(1), tx);
            let num = thousands(*n);
            let bw = colw.saturating_sub(lw + 9);
            table_render::bar(buf, gx + lw, y, bw, *n as f64 / nodes, theme, *role);
            let st = if *n == 0 { muted } else { theme.style(*role) };
            put(
                buf,
                gx + lw + bw + 1,
                y,
                &num,
                7,
                st,
                None,
                Style::default(),
                true,
            );
        }
    }
    // certs + online line
    let c = &v.agg.certs;
    let within = |b| c.by_band.get(&b).copied().unwrap_or(0);
    use crate::model::ExpiryBand as B;
    let line = [
        (
            format!("online {}", thousands(f.online.into())),
            theme.style(Role::Ok),
        ),
        (
            format!("offline {}", thousands(f.offline.into())),
            theme.count(f.offline.into(), Role::Offline),
        ),
        (
            format!("agent outdated {}", thousands(f.agent_outdated.into())),
            theme.count(f.agent_outdated.into(), Role::Warning),
        ),
        (
            format!("certs expired {}", within(B::Expired)),
            theme.count(within(B::Expired).into(), Role::Expired),
        ),
        // cumulative, as `≤` says (and as the `band:` filter counts): ≤14d includes ≤7d
        (
            format!("≤7d {}", within(B::Within7)),
            theme.count(within(B::Within7).into(), Role::Band7),
        ),
        (
            format!("≤14d {}", within(B::Within7) + within(B::Within14)),
            theme.count(
                (within(B::Within7) + within(B::Within14)).into(),
                Role::Band14,
            ),
        ),
        (
            format!(
                "≤30d {}",
                within(B::Within7) + within(B::Within14) + within(B::Within30)
            ),
            theme.count(
                (within(B::Within7) + within(B::Within14) + within(B::Within30)).into(),
                Role::Band30,
            ),
        ),
        (
            format!("at risk {}", c.at_risk),
            theme.count(c.at_risk.into(), Role::Risk),
        ),
    ];
    let mut x = area.x + 1;
    for (s, st) in line {
        let Some(r) = row(area, 6) else { break };
        if x + s.chars().count() as u16 + 3 > area.right() {
            break;
        }
        x += text(buf, x, r.y, &s, area.right() - x, st);
        x += text(buf, x, r.y, "  ", 2, muted);
    }
    // tab bar
    let Some(tabs) = row(area, 8) else { return };
    let y = tabs.y;
    let mut x = area.x + 1;
    x += text(buf, x, y, "Breakdown: ", 11, muted);
    for b in Breakdown::ALL {
        let st = if b == v.by {
            theme.style(Role::Selection).patch(theme.style(Role::Title))
        } else {
            muted
        };
        x += text(
            buf,
            x,
            y,
            &format!(" {} ", b.label()),
            area.right().saturating_sub(x),
            st,
        ) + 1;
    }
    let table_area = layout::below(area, DASHBOARD_ROWS as u16);
    render_table(buf, table_area, &v.table, &v.src, theme, &look);
}
