//! Node detail (Enter on a node): inventory, patch summary with baseline and patch group,
//! the node's patches (sortable, filterable) and its recent Run Command invocations — loaded
//! on demand through the data layer.

pub use super::fmt::state_role;
use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders, Widget};

use super::contract::{Open, RenderCx, Spec, View, ViewCx};
use super::fmt::age;
use super::table_render::{TableLook, put, render_table, text};
use crate::model::{CommandInvocation, Node, NodeInventory, NodeKey, Patch};
use crate::model::{Compliance, FleetSnapshot, FleetUpdate};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::{Data, Load};
use crate::ui::effect::Effect;
use crate::ui::filter::{FieldSpec, contains, prefix_of_any};
use crate::ui::layout;
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

/// Focus: the patches table.
pub const PATCHES: usize = 0;
/// Focus: the recent invocations table.
pub const INVOCATIONS: usize = 1;
/// Focus: the software table (right of the invocations, or in their place when narrow).
pub const SOFTWARE: usize = 2;

/// Heights in a body of `body` rows, as drawn: (summary boxes, patches block, the block
/// below it). A block of 0 rows is not drawn.
fn heights(body: u16) -> (u16, u16, u16) {
    let box_h: u16 = if body < 28 { 8 } else { 13 };
    let rest = body.saturating_sub(box_h);
    if rest < 4 {
        return (box_h.min(body), 0, 0);
    }
    let ph = (rest * 2 / 3).max(3);
    let below = rest - ph;
    (box_h, ph, if below < 3 { 0 } else { below })
}

/// Rows of the `focus` table in a body of `body` rows (block borders and header taken;
/// the software block's first line is its CVEs).
pub fn table_rows(body: usize, focus: usize) -> usize {
    let (_, ph, below) = heights(body.min(usize::from(u16::MAX)) as u16);
    let h = match focus {
        PATCHES => ph,
        INVOCATIONS => below,
        _ => below.saturating_sub(1),
    };
    usize::from(h).saturating_sub(3).max(1)
}

/// The two tables below the patches: (invocations, software) rects of the `below` block,
/// side by side when wide enough, else the focused one alone (`None` for the other).
fn below_split(below: Rect, focus: usize) -> (Option<Rect>, Option<Rect>) {
    match super::node_software::split(below) {
        Some((l, r)) => (Some(l), Some(r)),
        None if focus == SOFTWARE => (None, Some(below)),
        None => (Some(below), None),
    }
}

pub const PATCH_COLUMNS: &[Column] = &[
    Column::new("TITLE", 40, 0),
    Column::new("KB / ID", 16, 2),
    Column::new("CLASSIFICATION", 16, 2),
    Column::new("SEVERITY", 10, 0),
    Column::new("STATE", 22, 0),
    Column::new("INSTALLED", 10, 3),
    // the CVEs a missing patch fixes outrank its KB id and class: shown at 120 columns
    Column::new("CVES", 30, 1),
];

#[derive(Clone, Default)]
pub struct PatchesSource {
    pub patches: Vec<Patch>,
}

impl RowSource for PatchesSource {
    fn columns(&self) -> &'static [Column] {
        PATCH_COLUMNS
    }
    fn len(&self) -> usize {
        self.patches.len()
    }
    fn id(&self, row: usize) -> String {
        self.patches[row].kb_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let p = &self.patches[row];
        match col {
            0 => sanitize(&p.title),
            1 => sanitize(&p.kb_id),
            2 => sanitize(&p.classification),
            3 => sanitize(&p.severity),
            4 => p.state.as_str().to_string(),
            5 => p
                .installed_time
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into()),
            6 => sanitize(&p.cve_ids.join(",")),
            _ => String::new(),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (&self.patches[a], &self.patches[b]);
        match col {
            3 => sev_rank(&x.severity).cmp(&sev_rank(&y.severity)),
            4 => x
                .state
                .cmp(&y.state)
                .then(sev_rank(&x.severity).cmp(&sev_rank(&y.severity))),
            5 => x.installed_time.cmp(&y.installed_time),
            _ => self
                .text(a, col)
                .to_lowercase()
                .cmp(&self.text(b, col).to_lowercase()),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let p = &self.patches[row];
        match col {
            3 if sev_rank(&p.severity) == 0 => theme.style(Role::Critical),
            3 if sev_rank(&p.severity) == 1 => theme.style(Role::Warning),
            4 => theme.style(state_role(p.state)),
            1 | 5 | 6 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            FieldSpec::text("sev", "severity").alias(&["severity"]),
            FieldSpec::text("state", "patch state (missing, failed, installed, non)"),
            FieldSpec::text("class", "classification").alias(&["classification"]),
            FieldSpec::text("cve", "a CVE id"),
            FieldSpec::text("kb", "KB / patch id").alias(&["id"]),
        ];
        F
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let p = &self.patches[row];
        match col {
            5 => Cell::time(p.installed_time),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(p) = self.patches.get(row) else {
            return crate::ui::filter::find_field(self.fields(), field).map(|_| false);
        };
        Some(match field {
            "sev" => contains(&p.severity, v),
            "state" => {
                let s = p.state.as_str().to_lowercase();
                s.starts_with(v)
                    || (v == "non" && p.state.is_noncompliant())
                    || prefix_of_any(v, &[&s.replace('_', "")])
            }
            "class" => contains(&p.classification, v),
            "cve" => p.cve_ids.iter().any(|c| contains(c, v)),
            "kb" => contains(&p.kb_id, v),
            _ => return None,
        })
    }
}

fn sev_rank(s: &str) -> u8 {
    match s.to_ascii_lowercase().as_str() {
        "critical" => 0,
        "important" | "high" => 1,
        "moderate" | "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}

pub const INVOCATION_COLUMNS: &[Column] = &[
    Column::new("COMMAND ID", 36, 1),
    Column::new("DOCUMENT", 22, 0),
    Column::new("STATUS", 12, 0),
    Column::new("DETAILS", 18, 2),
    Column::new("RC", 4, 2).num(),
    Column::new("REQUESTED", 9, 0).num(),
];

#[derive(Clone, Default)]
pub struct InvocationsSource {
    pub items: Vec<CommandInvocation>,
    pub now: DateTime<Utc>,
}

impl RowSource for InvocationsSource {
    fn columns(&self) -> &'static [Column] {
        INVOCATION_COLUMNS
    }
    fn len(&self) -> usize {
        self.items.len()
    }
    fn id(&self, row: usize) -> String {
        self.items[row].command_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let i = &self.items[row];
        match col {
            0 => sanitize(&i.command_id),
            1 => sanitize(&i.document_name),
            2 => sanitize(&i.status),
            3 => sanitize(&i.status_details),
            4 => match self.value(row, col) {
                Cell::Int(c) => c.to_string(),
                _ => String::new(),
            },
            5 => age(self.now, i.requested_at),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let i = &self.items[row];
        match col {
            // the exit code once the invocation ended, the request time, not its age
            4 if !crate::actions::tracker::is_terminal(
                &crate::actions::tracker::display_status(&i.status, &i.status_details),
            ) =>
            {
                Cell::Empty
            }
            4 => Cell::Int(
                i.plugins
                    .iter()
                    .map(|p| p.response_code)
                    .find(|c| *c != 0)
                    .unwrap_or(0)
                    .into(),
            ),
            5 => Cell::time(i.requested_at),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        match col {
            5 => self.items[b].requested_at.cmp(&self.items[a].requested_at),
            _ => self.text(a, col).cmp(&self.text(b, col)),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        match col {
            2 => theme.style(super::commands::status_role(&self.items[row].status)),
            0 | 5 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
}

pub struct NodeView {
    pub key: NodeKey,
    /// The node as in the latest snapshot (None if it disappeared).
    pub node: Option<Node>,
    pub account_name: String,
    pub ou_path: String,
    pub stale_days: i64,
    pub patches: Load<()>,
    pub inventory: Load<NodeInventory>,
    pub invocations: Load<()>,
    pub patch_src: PatchesSource,
    pub patch_table: TableState,
    pub inv_src: InvocationsSource,
    pub inv_table: TableState,
    /// The node's applications (from the inventory).
    pub sw_src: super::node_software::AppsSource,
    pub sw_table: TableState,
    /// [`PATCHES`], [`INVOCATIONS`] or [`SOFTWARE`] (Tab cycles).
    pub focus: usize,
    pub built: Option<u64>,
    /// What patches it and when, its baseline (#15); `None` until patch schedules are read.
    pub schedule: Option<super::node_schedule::NodeSchedule>,
    /// #16: the node's CVEs lacking a fix, from the patch index (None: no index yet;
    /// `Err`: its patch list is unknown, and why).
    pub cves: Option<Result<Vec<String>, String>>,
    /// The node's tags on one line (or why there are none), sanitized.
    pub tags: String,
    /// The name shown (as `:nodes` shows it: the node's own, its `Name` tag, its computer
    /// name), sanitized.
    pub name: String,
}

impl NodeView {
    pub fn new(key: NodeKey) -> NodeView {
        NodeView {
            key,
            node: None,
            account_name: String::new(),
            ou_path: String::new(),
            stale_days: 7,
            patches: Load::Loading,
            inventory: Load::Loading,
            invocations: Load::Loading,
            patch_src: PatchesSource::default(),
            // non-compliant states first
            patch_table: TableState::new(4, false),
            inv_src: InvocationsSource::default(),
            inv_table: TableState::new(5, false),
            sw_src: Default::default(),
            sw_table: TableState::new(0, false),
            focus: PATCHES,
            built: None,
            schedule: None,
            cves: None,
            tags: String::new(),
            name: String::new(),
        }
    }

    pub fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.node = data.snapshot.node(&self.key).cloned();
        self.account_name = sanitize(data.snapshot.account_name(&self.key.account_id));
        self.ou_path = data
            .snapshot
            .account(&self.key.account_id)
            .map(|a| sanitize(&a.ou_path))
            .unwrap_or_default();
        self.inv_src.now = now;
        self.stale_days = data.stale_days;
        self.schedule = self
            .node
            .as_ref()
            .and_then(|n| super::node_schedule::NodeSchedule::of(&data.snapshot, n, now));
        self.cves = super::node_software::cves(&data.patch_index, &self.key);
        // the Name tag is the Name row already when it is the name shown
        let all = &data.snapshot.schedules.tags;
        let shown = self
            .node
            .as_ref()
            .map_or("", |n| super::fmt::shown_name(n, all.of(&self.key)));
        self.name = sanitize(shown);
        self.tags = match (all.of(&self.key), &self.node) {
            (Some(t), Some(_)) if t.len() > 1 => {
                let rest: Vec<_> = t
                    .iter()
                    .filter(|t| !(t.key == "Name" && t.value == shown))
                    .cloned()
                    .collect();
                sanitize(&crate::model::tags::one_line(&rest))
            }
            _ => sanitize(&all.label(&self.key)),
        };
        self.built = Some(data.generation);
    }

    pub fn set_patches(&mut self, r: Result<Vec<Patch>, String>) {
        match r {
            Ok(p) => {
                self.patch_src = PatchesSource { patches: p };
                self.patch_table.rebuild(&self.patch_src);
                self.patches = Load::Loaded(());
            }
            Err(e) => self.patches = Load::Failed(sanitize(&e)),
        }
    }

    pub fn set_invocations(
        &mut self,
        r: Result<Vec<CommandInvocation>, String>,
        now: DateTime<Utc>,
    ) {
        match r {
            Ok(items) => {
                self.inv_src = InvocationsSource { items, now };
                self.inv_table.rebuild(&self.inv_src);
                self.invocations = Load::Loaded(());
            }
            Err(e) => self.invocations = Load::Failed(sanitize(&e)),
        }
    }

    pub fn set_inventory(&mut self, r: Result<NodeInventory, String>) {
        self.inventory = match r {
            Ok(i) => {
                self.sw_src = super::node_software::AppsSource::of(&i);
                self.sw_table.rebuild(&self.sw_src);
                Load::Loaded(i)
            }
            Err(e) => Load::Failed(sanitize(&e)),
        };
    }

    /// Tab: patches → invocations → software → patches (Shift+Tab back).
    pub fn switch(&mut self, delta: isize) {
        self.focus = (self.focus as isize + delta).rem_euclid(3) as usize;
    }

    pub fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some(match self.focus {
            PATCHES => (&mut self.patch_table, &self.patch_src),
            INVOCATIONS => (&mut self.inv_table, &self.inv_src),
            _ => (&mut self.sw_table, &self.sw_src),
        })
    }

    pub fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some(match self.focus {
            PATCHES => (&self.patch_table, &self.patch_src),
            INVOCATIONS => (&self.inv_table, &self.inv_src),
            _ => (&self.sw_table, &self.sw_src),
        })
    }

    /// The selected application (software focused).
    fn app(&self) -> Option<&super::node_software::App> {
        if self.focus != SOFTWARE {
            return None;
        }
        self.sw_table
            .selected_row()
            .and_then(|r| self.sw_src.apps.get(r))
    }
}

pub const ID: &str = "node";

pub const SPEC: Spec = Spec {
    id: ID,
    // reached by Enter on a node (`:node` is an alias of `:nodes`)
    commands: &[],
    describe: "Node detail",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|sel| match sel.node() {
        Some(key) => Ok(Box::new(NodeView::new(key))),
        None => Err("Select a node first".into()),
    }),
};

impl View for NodeView {
    fn id(&self) -> &'static str {
        ID
    }

    fn crumb(&self, _snap: Option<&FleetSnapshot>) -> String {
        sanitize(&self.key.instance_id)
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        NodeView::ensure_built(self, data, now)
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        NodeView::table(self)
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        NodeView::table_mut(self)
    }

    fn page_rows(&self, body: usize) -> usize {
        body
    }

    /// Each table sits inside a box (two cells narrower than its block); the invocations
    /// and software share a row when the screen is wide enough.
    fn set_layout(&mut self, width: u16, prefs: &crate::ui::columns::ColumnPrefs) {
        let below = Rect::new(0, 0, width, 10);
        let (inv_w, sw_w) = match super::node_software::split(below) {
            Some((l, r)) => (l.width, r.width),
            None => (width, width),
        };
        for (t, src, w) in [
            (
                &mut self.patch_table,
                &self.patch_src as &dyn RowSource,
                width,
            ),
            (&mut self.inv_table, &self.inv_src as &dyn RowSource, inv_w),
            (&mut self.sw_table, &self.sw_src as &dyn RowSource, sw_w),
        ] {
            t.width = w.saturating_sub(2);
            t.chosen = prefs.for_columns(src.columns());
            t.columns_changed(src);
        }
    }

    fn set_page(&mut self, rows: usize) {
        for (focus, t, src) in [
            (
                PATCHES,
                &mut self.patch_table,
                &self.patch_src as &dyn RowSource,
            ),
            (
                INVOCATIONS,
                &mut self.inv_table,
                &self.inv_src as &dyn RowSource,
            ),
            (SOFTWARE, &mut self.sw_table, &self.sw_src as &dyn RowSource),
        ] {
            t.set_page(src, table_rows(rows, focus));
        }
    }

    fn tab(&mut self, delta: isize) -> bool {
        self.switch(delta);
        true
    }

    /// Loads the node's patches, inventory and invocations.
    fn opened(&mut self, cx: &mut ViewCx<'_>) {
        cx.effects.push(Effect::LoadNode(self.key.clone()));
    }

    /// Enter on a patch describes it (CVE ids, installed time, …); on an invocation opens
    /// its output; on an application, the nodes across the organization running that
    /// version (as from `:software`).
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        match self.focus {
            PATCHES => {
                if self.patch_table.selected_row().is_some() {
                    cx.then = Some(Action::Describe);
                }
            }
            INVOCATIONS => cx.then = Some(Action::CommandOutput),
            _ => {
                if let Some(name) = self.app().and_then(|a| a.raw("Name")) {
                    let version = self.app().and_then(|a| a.raw("Version"));
                    cx.drill = Some(super::contract::Drill::SoftwareNodes { name, version });
                }
            }
        }
    }

    /// The selected patch or invocation, else the node itself.
    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let snap = &data.snapshot;
        if self.focus == 0
            && let Some(p) = self
                .patch_table
                .selected_row()
                .and_then(|r| self.patch_src.patches.get(r))
        {
            return Ok(super::doc::patch(snap, &self.key, p));
        }
        if self.focus == 1
            && let Some(i) = self
                .inv_table
                .selected_row()
                .and_then(|r| self.inv_src.items.get(r))
        {
            return Ok(super::doc::invocation(snap, i, now));
        }
        if let Some(a) = self.app() {
            return Ok(super::doc::application(snap, &self.key, a));
        }
        snap.node(&self.key)
            .map(|n| super::sched_doc::node(snap, n, now))
            .ok_or_else(|| format!("{} is no longer in the fleet", self.key.instance_id))
    }

    fn fleet(&mut self, u: FleetUpdate, now: DateTime<Utc>) -> Option<FleetUpdate> {
        match u {
            FleetUpdate::NodePatches { key, result } if key == self.key => self.set_patches(result),
            FleetUpdate::NodeInventory { key, result } if key == self.key => {
                self.set_inventory(result)
            }
            FleetUpdate::NodeCommands { key, result } if key == self.key => {
                self.set_invocations(result, now)
            }
            other => return Some(other),
        }
        None
    }

    fn node(&self) -> Option<NodeKey> {
        Some(self.key.clone())
    }

    fn invocation(&self) -> Option<&CommandInvocation> {
        if self.focus == 1 {
            self.inv_table
                .selected_row()
                .and_then(|r| self.inv_src.items.get(r))
        } else {
            None
        }
    }

    fn targets(&self, _data: &Data, _now: DateTime<Utc>) -> (Vec<NodeKey>, String) {
        (
            vec![self.key.clone()],
            format!("node {}", self.key.instance_id),
        )
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::NextTab,
            Action::SortNext,
            Action::PatchNow,
            Action::Session,
        ]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        draw(buf, area, self, cx);
    }
}

/// Width of the left (inventory) box of `total` cells when the boxes' values need `left`
/// and `right` cells: each gets what it needs when both fit (the rest shared); else the
/// box needing at most half gets all it needs and the other the rest; else half each.
/// Neither under a third.
fn split_width(total: u16, left: u32, right: u32) -> u16 {
    let t = u32::from(total);
    let w = if left + right <= t {
        left + (t - left - right) / 2
    } else if left <= t / 2 {
        left
    } else if right <= t / 2 {
        t - right
    } else {
        t / 2
    };
    let min = t / 3;
    w.clamp(min, t - min) as u16
}

#[cfg(test)]
#[test]
fn the_boxes_share_the_width_by_need() {
    // both fit: each its need, the rest shared
    assert_eq!(split_width(200, 60, 100), 80);
    // the short inventory whole, the rules get the rest
    assert_eq!(split_width(200, 69, 160), 69);
    assert_eq!(split_width(200, 160, 69), 131);
    // both long: half each; never under a third
    assert_eq!(split_width(120, 70, 140), 60);
    assert_eq!(split_width(120, 10, 400), 40);
    assert_eq!(split_width(0, 10, 10), 0);
}

/// Inventory and patch summary boxes, then the patches and invocations tables.
fn draw(buf: &mut Buffer, area: Rect, v: &NodeView, cx: &RenderCx<'_>) {
    let theme = cx.theme;
    let compact = area.height < 28;
    let box_h: u16 = if compact { 8 } else { 13 };
    let block = |title: String, focused: bool| {
        Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(if focused {
                theme.style(Role::Title)
            } else {
                theme.style(Role::Border)
            })
            .title(title)
            .title_style(theme.style(Role::Title))
    };
    let muted = theme.style(Role::Muted);
    let tx = theme.style(Role::Text);
    let spinner = cx.spinner();
    let kv = |buf: &mut Buffer, r: Rect, rows: &[(&str, String, Style)]| {
        for (i, (k, val, st)) in rows.iter().enumerate().take(r.height as usize) {
            let y = r.y + i as u16;
            put(buf, r.x + 1, y, k, 13, muted, None, Style::default(), false);
            put(
                buf,
                r.x + 15,
                y,
                val,
                r.width.saturating_sub(16),
                *st,
                None,
                Style::default(),
                false,
            );
        }
    };
    // Inventory box rows
    let inv_rows: Option<Vec<(&str, String, Style)>> = match &v.node {
        None => None,
        Some(n) => {
            let s = crate::text::sanitize;
            let mut rows: Vec<(&str, String, Style)> = vec![
                ("Name", v.name.clone(), theme.style(Role::Title)),
                ("Instance", s(&n.instance_id), tx),
                (
                    "Account",
                    format!("{} ({})", v.account_name, s(&n.account_id)),
                    tx,
                ),
                ("Region", s(&n.region), tx),
                (
                    "Platform",
                    s(&format!(
                        "{} {} ({})",
                        n.platform_name,
                        n.platform_version,
                        n.platform_type.as_str()
                    )),
                    tx,
                ),
                ("IP", s(&n.ip_address), tx),
                (
                    "Agent",
                    format!(
                        "{}{}",
                        s(&n.agent_version),
                        if n.agent_outdated { "  (outdated)" } else { "" }
                    ),
                    if n.agent_outdated {
                        theme.style(Role::Warning)
                    } else {
                        tx
                    },
                ),
                (
                    "Ping",
                    format!(
                        "{}  last {}",
                        n.ping_status.as_str(),
                        super::fmt::ago(cx.now, n.last_ping)
                    ),
                    theme.ping(n.ping_status),
                ),
            ];
            // tags after the region (the rows past the box's height are in `d` describe);
            // a short box (6 rows) shows first what a war room asks: is it up, where, what OS
            if compact {
                if let Some(ping) = rows.pop() {
                    rows.insert(2, ping);
                }
                rows.insert(6, ("Tags", v.tags.clone(), muted));
            } else {
                rows.insert(4, ("Tags", v.tags.clone(), muted));
            }
            if !compact {
                rows.insert(3, ("OU", v.ou_path.clone(), muted));
                rows.push((
                    "Registered",
                    n.registration_date
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_else(|| "-".into()),
                    muted,
                ));
            }
            if let Load::Loaded(inv) = &v.inventory
                && let Some(c) = &inv.capture_time
            {
                rows.push(("Inventory", format!("captured {}", s(c)), muted));
            }
            Some(rows)
        }
    };
    // Patch summary box rows
    let sum_rows: Option<Vec<(&str, String, Style)>> = if let Some(n) = &v.node {
        let s = crate::text::sanitize;
        let comp = match n.compliance {
            Compliance::Compliant => "✓ Compliant",
            Compliance::NonCompliant => "✗ Non-compliant",
            Compliance::Unreported => "? Unreported (no patch state)",
        };
        let cnt = |n: u32, role: Role| (n.to_string(), theme.count(n.into(), role));
        let mut rows: Vec<(&str, String, Style)> = vec![
            ("Compliance", comp.into(), theme.compliance(n.compliance)),
            (
                "Patch group",
                s(n.patch_group.as_deref().unwrap_or("-")),
                tx,
            ),
            super::node_schedule::baseline_row(v.schedule.as_ref(), n, theme),
            (
                "Last op",
                match (n.last_operation, n.last_operation_end) {
                    (Some(op), end) => format!(
                        "{} {}{}",
                        op.as_str(),
                        super::fmt::ago(cx.now, end),
                        n.reboot_option
                            .map(|r| format!(" · {}", r.as_str()))
                            .unwrap_or_default()
                    ),
                    _ => "never".into(),
                },
                if n.is_stale(cx.now, chrono::Duration::days(v.stale_days)) {
                    theme.style(Role::Stale)
                } else {
                    tx
                },
            ),
        ];
        // what patches it and when (#15), right under the baseline
        let sched = super::node_schedule::rows(v.schedule.as_ref(), cx.now, theme, compact);
        let at = rows.len() - 1;
        for (i, r) in sched.into_iter().enumerate() {
            rows.insert(at + i, r);
        }
        if n.compliance == Compliance::Unreported {
            // no patch state: the counts are unknown, never a made-up 0
            rows.push((
                "Patches",
                "never scanned (no counts)".into(),
                theme.style(Role::Unreported),
            ));
        } else {
            let (m, ms) = cnt(n.missing, Role::NonCompliant);
            let (f, fs) = cnt(n.failed, Role::Critical);
            rows.push(("Missing", m, ms));
            rows.push(("Failed", f, fs));
            rows.push((
                "Pending rbt",
                format!(
                    "{}   rejected {}",
                    n.installed_pending_reboot, n.installed_rejected
                ),
                theme.count(
                    (n.installed_pending_reboot + n.installed_rejected).into(),
                    Role::Warning,
                ),
            ));
            rows.push((
                "Severity",
                format!(
                    "critical {}  security {}  other {}",
                    n.critical_noncompliant, n.security_noncompliant, n.other_noncompliant
                ),
                theme.count(n.critical_noncompliant.into(), Role::Critical),
            ));
            if !compact {
                rows.push((
                    "Installed",
                    format!(
                        "{}  other {}  n/a {}",
                        n.installed, n.installed_other, n.not_applicable
                    ),
                    muted,
                ));
            }
        }
        Some(rows)
    } else {
        None
    };
    // the two boxes share the width by what their values need (the rules, the windows and
    // the next run beside a short inventory get the cells it does not use)
    let need = |rows: &Option<Vec<(&str, String, Style)>>| -> u32 {
        rows.as_ref()
            .map(|r| {
                r.iter()
                    .map(|(_, v, _)| unicode_width::UnicodeWidthStr::width(v.as_str()))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(34) as u32
            + 18
    };
    let inv_w = split_width(area.width, need(&inv_rows), need(&sum_rows));
    let inv_rect = Rect {
        height: box_h.min(area.height),
        width: inv_w,
        ..area
    };
    let sum_rect = Rect {
        x: area.x + inv_w,
        width: area.width - inv_w,
        height: box_h.min(area.height),
        ..area
    };
    let b = block(" Inventory ".into(), false);
    let inner = b.inner(inv_rect);
    b.render(inv_rect, buf);
    match &inv_rows {
        None => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                "node not in the current snapshot",
                inner.width,
                theme.style(Role::Warning),
                None,
                Style::default(),
                false,
            );
        }
        Some(rows) => kv(buf, inner, rows),
    }
    let b = block(" Patch summary ".into(), false);
    let inner = b.inner(sum_rect);
    b.render(sum_rect, buf);
    if let Some(rows) = &sum_rows {
        kv(buf, inner, rows);
    }
    // Tables: patches, then the invocations and the software (side by side when wide)
    let (_, ph, below_h) = heights(area.height);
    if ph == 0 {
        return;
    }
    let rest = layout::below(area, box_h);
    let prect = Rect {
        height: ph.min(rest.height),
        ..rest
    };
    let look = |focused: bool, empty: String| TableLook {
        marks: cx.marks,
        focused: focused && cx.focused,
        empty,
        reserved: cx.reserved,
    };
    let ptitle = match &v.patches {
        Load::Loading => format!(" Patches {spinner} loading "),
        Load::Failed(_) => " Patches ✗ ".into(),
        Load::Loaded(_) => format!(" Patches ({}) ", count(&v.patch_table)),
    };
    let b = block(ptitle, v.focus == PATCHES);
    let inner = b.inner(prect);
    b.render(prect, buf);
    match &v.patches {
        Load::Failed(e) => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                &format!("✗ {e}"),
                inner.width,
                theme.style(Role::Error),
                None,
                Style::default(),
                false,
            );
        }
        _ => {
            let empty = match &v.patches {
                Load::Loading => format!("{spinner} loading patches…"),
                _ if !v.patch_table.filter.text.is_empty() => {
                    format!("no patches match /{}", v.patch_table.filter.text)
                }
                _ => "no patches reported".into(),
            };
            render_table(
                buf,
                inner,
                &v.patch_table,
                &v.patch_src,
                theme,
                &look(v.focus == PATCHES, empty),
            );
        }
    }
    if below_h == 0 {
        return;
    }
    let below = Rect {
        y: prect.bottom(),
        height: below_h.min(rest.height.saturating_sub(ph)),
        ..rest
    };
    let (inv_rect, sw_rect) = below_split(below, v.focus);
    if let Some(r) = sw_rect {
        draw_software(
            buf,
            r,
            v,
            cx,
            &block,
            &look(v.focus == SOFTWARE, String::new()),
        );
    }
    let Some(irect) = inv_rect else {
        return;
    };
    let ititle = match &v.invocations {
        Load::Loading => format!(" Recent invocations {spinner} "),
        Load::Failed(_) => " Recent invocations ✗ ".into(),
        Load::Loaded(_) => format!(" Recent invocations ({}) ", count(&v.inv_table)),
    };
    let b = block(ititle, v.focus == INVOCATIONS);
    let inner = b.inner(irect);
    b.render(irect, buf);
    match &v.invocations {
        Load::Failed(e) => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                &format!("✗ {e}"),
                inner.width,
                theme.style(Role::Error),
                None,
                Style::default(),
                false,
            );
        }
        _ => {
            let empty = match &v.invocations {
                Load::Loading => format!("{spinner} loading invocations…"),
                _ => "no recent invocations".into(),
            };
            render_table(
                buf,
                inner,
                &v.inv_table,
                &v.inv_src,
                theme,
                &look(v.focus == INVOCATIONS, empty),
            );
        }
    }
}

/// The software block: the node's CVEs lacking a fix on its first line, then its
/// applications table (or why there is none yet).
fn draw_software(
    buf: &mut Buffer,
    area: Rect,
    v: &NodeView,
    cx: &RenderCx<'_>,
    block: &dyn Fn(String, bool) -> Block<'static>,
    look: &TableLook<'_>,
) {
    let theme = cx.theme;
    let title = match &v.inventory {
        Load::Loaded(_) => format!(" Software ({}) · CVEs ", count(&v.sw_table)),
        _ => " Software · CVEs ".into(),
    };
    let b = block(title, v.focus == SOFTWARE);
    let inner = b.inner(area);
    b.render(area, buf);
    if inner.height == 0 {
        return;
    }
    let (cve_text, role) = super::node_software::cve_line(&v.cves);
    let line = |buf: &mut Buffer, y: u16, s: &str, role: Role| {
        text(
            buf,
            inner.x + 1,
            y,
            s,
            inner.width.saturating_sub(1),
            theme.style(role),
        );
    };
    line(buf, inner.y, &cve_text, role);
    let table = layout::below(inner, 1);
    if table.height == 0 {
        return;
    }
    match &v.inventory {
        Load::Loading => line(
            buf,
            table.y,
            &format!("{} loading applications…", cx.spinner()),
            Role::Spinner,
        ),
        Load::Failed(e) => line(buf, table.y, &format!("✗ applications: {e}"), Role::Error),
        Load::Loaded(_) => {
            let empty = if v.sw_table.filter.text.is_empty() {
                "no applications in the inventory".to_string()
            } else {
                format!("no applications match /{}", v.sw_table.filter.text)
            };
            let look = TableLook {
                empty,
                marks: look.marks,
                focused: look.focused,
                reserved: look.reserved,
            };
            render_table(buf, table, &v.sw_table, &v.sw_src, theme, &look);
        }
    }
}

/// `12` or, filtered, `3/12`.
fn count(t: &TableState) -> String {
    if t.order.len() == t.rows_total {
        format!("{}", t.rows_total)
    } else {
        format!("{}/{}", t.order.len(), t.rows_total)
    }
}
