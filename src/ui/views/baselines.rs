//! `:baselines` — every patch baseline in use across accounts × regions (used by a node,
//! mapped to a patch group, or custom), with its approval rules in words, patch groups,
//! approved / rejected counts, and the nodes using it with their compliance. Enter
//! describes it (rules, global filters, approved / rejected lists, sources).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::fmt::{count, pct_text};
use super::sched_fmt as sf;
use super::table_render::{put, render_table};
use crate::model::patching::PatchBaseline;
use crate::model::{Compliance, FleetSnapshot};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{FieldSpec, contains, prefix_of_any, yes_no};
use crate::ui::layout;
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("NAME", 30, 0),
    Column::new("ID", 22, 6),
    Column::new("OS", 16, 3),
    Column::new("OWNER", 6, 4),
    Column::new("DEFAULT", 7, 4),
    Column::new("PATCH GROUPS", 16, 3),
    Column::new("APPROVAL RULES", 40, 2).grow(),
    Column::new("APPR", 4, 5).num(),
    Column::new("REJ", 4, 5).num(),
    Column::new("NODES", 5, 0).num(),
    Column::new("COMPL", 6, 0).num(),
    Column::new("ACCOUNT", 12, 1),
    Column::new("REGION", 14, 1),
    Column::new("ACCOUNT ID", 12, 7).companion(11),
];

pub const COL_NODES: usize = 9;

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::text("account", "account name or id").alias(&["acct"]),
    FieldSpec::text("region", "region"),
    FieldSpec::text(
        "os",
        "operating system (AMAZON_LINUX_2, WINDOWS, UBUNTU, …)",
    ),
    FieldSpec::text("name", "baseline name or id"),
    FieldSpec::text("pg", "a patch group mapped to it").alias(&["patchgroup"]),
    FieldSpec::choice("owner", &["aws", "custom"], "AWS-managed or custom"),
    FieldSpec::yes_no("default", "the default baseline for its OS"),
    FieldSpec::yes_no("used", "nodes report using it"),
];

#[derive(Clone, Debug)]
pub struct Row {
    /// Index into `snap.schedules.baselines`.
    pub index: usize,
    pub nodes: usize,
    pub compliant: usize,
    pub cells: Vec<String>,
}

#[derive(Clone, Default)]
pub struct BaselinesSource {
    pub snap: Arc<FleetSnapshot>,
    pub rows: Vec<Row>,
    /// AWS-managed baselines no node or patch group uses (not listed).
    pub hidden: usize,
}

/// Node count and compliant count per baseline index.
pub fn usage(snap: &FleetSnapshot) -> Vec<(usize, usize)> {
    let s = &snap.schedules;
    let mut out = vec![(0usize, 0usize); s.baselines.len()];
    for (n, b) in snap.nodes.iter().zip(s.baseline_list(&snap.nodes)) {
        if let Some(i) = b {
            out[i].0 += 1;
            out[i].1 += usize::from(n.compliance == Compliance::Compliant);
        }
    }
    out
}

fn in_use(b: &PatchBaseline, nodes: usize) -> bool {
    nodes > 0 || !b.patch_groups.is_empty() || !b.aws_managed
}

impl BaselinesSource {
    pub fn build(snap: &Arc<FleetSnapshot>) -> BaselinesSource {
        let use_ = usage(snap);
        let mut rows = Vec::new();
        let mut hidden = 0;
        for (i, b) in snap.schedules.baselines.iter().enumerate() {
            let (nodes, compliant) = use_[i];
            if !in_use(b, nodes) {
                hidden += 1;
                continue;
            }
            let pct = (nodes > 0).then(|| compliant as f64 * 100.0 / nodes as f64);
            let cells = vec![
                sanitize(&b.name),
                sanitize(&b.baseline_id),
                sanitize(&b.operating_system),
                if b.aws_managed { "AWS" } else { "custom" }.into(),
                if b.default { "default" } else { "·" }.into(),
                if b.patch_groups.is_empty() {
                    "-".into()
                } else {
                    sanitize(&b.patch_groups.join(", "))
                },
                sanitize(&b.rules_summary()),
                if b.detailed {
                    count(b.approved.len() as u64)
                } else {
                    "?".into()
                },
                if b.detailed {
                    count(b.rejected.len() as u64)
                } else {
                    "?".into()
                },
                count(nodes as u64),
                pct_text(pct),
                sf::account(snap, &b.account_id),
                sanitize(&b.region),
                sanitize(&b.account_id),
            ];
            rows.push(Row {
                index: i,
                nodes,
                compliant,
                cells,
            });
        }
        BaselinesSource {
            snap: snap.clone(),
            rows,
            hidden,
        }
    }

    pub fn baseline(&self, row: usize) -> &PatchBaseline {
        &self.snap.schedules.baselines[self.rows[row].index]
    }

    fn pct(&self, row: usize) -> Option<f64> {
        let r = &self.rows[row];
        (r.nodes > 0).then(|| r.compliant as f64 / r.nodes as f64)
    }
}

impl RowSource for BaselinesSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        let b = self.baseline(row);
        format!("{}/{}/{}", b.account_id, b.region, b.baseline_id)
    }
    fn copy_text(&self, row: usize) -> String {
        self.baseline(row).baseline_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        self.rows[row].cells.get(col).cloned().unwrap_or_default()
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let b = self.baseline(row);
        let r = &self.rows[row];
        match col {
            3 => Cell::Bool(b.aws_managed),
            4 => Cell::Bool(b.default),
            7 if b.detailed => Cell::Int(b.approved.len() as i64),
            8 if b.detailed => Cell::Int(b.rejected.len() as i64),
            7 | 8 => Cell::Empty,
            9 => Cell::Int(r.nodes as i64),
            10 => self.pct(row).map_or(Cell::Empty, |p| Cell::Num(p * 100.0)),
            11 => Cell::text(b.account_id.clone()),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> std::cmp::Ordering {
        let (x, y) = (&self.rows[a], &self.rows[b]);
        match col {
            7 => self
                .baseline(a)
                .approved
                .len()
                .cmp(&self.baseline(b).approved.len()),
            8 => self
                .baseline(a)
                .rejected
                .len()
                .cmp(&self.baseline(b).rejected.len()),
            9 => x.nodes.cmp(&y.nodes),
            10 => self
                .pct(a)
                .partial_cmp(&self.pct(b))
                .unwrap_or(std::cmp::Ordering::Equal),
            _ => super::nodes::cmp_ignore_case(&x.cells[col], &y.cells[col]),
        }
        .then_with(|| x.cells[0].cmp(&y.cells[0]))
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let b = self.baseline(row);
        match col {
            0 if !b.aws_managed => theme.style(Role::Title),
            4 if b.default => theme.style(Role::Info),
            6 if !b.detailed => theme.style(Role::Muted),
            10 => match self.pct(row) {
                Some(p) if p >= 0.95 => theme.style(Role::Compliant),
                Some(_) => theme.style(Role::NonCompliant),
                None => theme.style(Role::Muted),
            },
            1 | 3 | 11 | 12 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        if self.rows.is_empty() {
            return crate::ui::filter::find_field(FIELDS, field).map(|_| false);
        }
        let b = self.baseline(row);
        let r = &self.rows[row];
        Some(match field {
            "account" | "acct" => b.account_id.contains(v) || contains(&r.cells[11], v),
            "region" => contains(&b.region, v),
            "os" => contains(&b.operating_system, v),
            "name" => contains(&b.name, v) || contains(&b.baseline_id, v),
            "pg" | "patchgroup" => b.patch_groups.iter().any(|g| contains(g, v)),
            "owner" => {
                if b.aws_managed {
                    prefix_of_any(v, &["aws"])
                } else {
                    prefix_of_any(v, &["custom"])
                }
            }
            "default" => yes_no(v).is_some_and(|y| y == b.default),
            "used" => yes_no(v).is_some_and(|y| y == (r.nodes > 0)),
            _ => return None,
        })
    }
}

pub struct BaselinesView {
    pub src: BaselinesSource,
    pub table: TableState,
    pub built: Option<u64>,
    pub status: (String, Role),
}

impl Default for BaselinesView {
    fn default() -> Self {
        BaselinesView {
            src: BaselinesSource::default(),
            // most nodes first
            table: TableState::new(COL_NODES, true),
            built: None,
            status: (String::new(), Role::Muted),
        }
    }
}

pub const ID: &str = "baselines";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["baselines", "pb", "baseline", "patch-baselines"],
    describe: "Patch baselines in use: approval rules, patch groups, nodes and their compliance",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(BaselinesView::default()))
    }),
};

fn status_line(src: &BaselinesSource, snap: &FleetSnapshot) -> (String, Role) {
    if snap.schedules.fetched_at.is_none() {
        return (
            "patch baselines not read yet — they are read with the patch schedules after the first refresh".into(),
            Role::Muted,
        );
    }
    let missing = sf::missing(snap);
    let head = format!(
        "{} baselines in use · {} unused AWS-managed ones not listed",
        src.rows.len(),
        src.hidden
    );
    if missing.is_empty() {
        (head, Role::Muted)
    } else {
        (
            format!(
                "⚠ partial: not read for {} (see :errors) · {head}",
                missing.join(", ")
            ),
            Role::Warning,
        )
    }
}

impl View for BaselinesView {
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

    fn page_rows(&self, body: usize) -> usize {
        body.saturating_sub(2)
    }

    fn set_page(&mut self, rows: usize) {
        self.table
            .set_page(&self.src, rows.saturating_sub(1).max(1));
    }

    /// Enter describes the baseline: rules, filters, lists, sources.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if self.table.selected_row().is_some() {
            cx.then = Some(Action::Describe);
        }
    }

    fn describe(&self, data: &Data, _now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        let row = &self.src.rows[r];
        let b = self.src.baseline(r);
        Ok(super::sched_doc::baseline(
            &data.snapshot,
            b,
            row.nodes,
            row.compliant,
        ))
    }

    fn hints(&self) -> Vec<Action> {
        vec![Action::Describe, Action::SortNext, Action::SortReverse]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        if area.height == 0 {
            return;
        }
        let (line, role) = &self.status;
        put(
            buf,
            area.x,
            area.y,
            &super::fmt::fit_parts(line, area.width),
            area.width,
            cx.theme.style(*role),
            None,
            Style::default(),
            false,
        );
        let rest = layout::below(area, 1);
        let msg = if !self.table.filter.text.is_empty() && self.table.rows_total > 0 {
            format!("no baselines match /{}", self.table.filter.text)
        } else if cx.snapshot.is_none_or(|s| s.schedules.fetched_at.is_none()) {
            format!("{} reading patch baselines…", cx.spinner())
        } else {
            "no patch baselines in use in the accounts read".into()
        };
        render_table(buf, rest, &self.table, &self.src, cx.theme, &cx.look(msg));
    }

    fn ensure_built(&mut self, data: &Data, _now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.src = BaselinesSource::build(&data.snapshot);
        self.status = status_line(&self.src, &data.snapshot);
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }
}
