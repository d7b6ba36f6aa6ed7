//! Enter on a `:patches` row: every node that has the patch, with its state there
//! (Failed, Missing, PendingReboot first), account, OU and region — and every node whose
//! patch list is unknown, listed as `unknown` with the reason (never left out, never "not
//! affected"). Mark nodes and `p` opens the patch-now pane on them.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::contract::{Open, RenderCx, Spec, View, ViewCx};
use super::node_list::{COL_FACT, Listed, NodeListSource, PATCH_COLUMNS, state_word};
use super::table_render::render_table;
use crate::model::patch_index::{NodeStatus, PatchIndex, unpack};
use crate::model::{FleetSnapshot, NodeKey, PatchState};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::layout;
use crate::ui::table::{RowSource, TableState};
use crate::ui::theme::Role;

/// Rank of a state in the default order: the worst first.
fn rank(s: PatchState) -> u32 {
    match s {
        PatchState::Failed => 0,
        PatchState::Missing => 1,
        PatchState::InstalledPendingReboot => 2,
        PatchState::InstalledRejected => 4,
        PatchState::Installed | PatchState::InstalledOther => 5,
        _ => 6,
    }
}

/// The nodes of patch (`kb`, `title`) in `ix`, and the unknown ones.
pub fn rows(ix: &PatchIndex, snap: &FleetSnapshot, kb: &str, title: &str) -> Vec<Listed> {
    let def = ix.find_def(kb, title);
    let pos = NodeListSource::positions(snap);
    let mut out = Vec::new();
    for n in &ix.nodes {
        let (fact, role, rank, detail) = match &n.status {
            NodeStatus::Unknown(why) => ("unknown".to_string(), Role::Unreported, 3, sanitize(why)),
            NodeStatus::Indexed { open, rest, .. } => {
                let Some(def) = def else { continue };
                let Some((_, s)) = open
                    .iter()
                    .chain(rest.iter())
                    .map(|e| unpack(*e))
                    .find(|(d, _)| *d == def)
                else {
                    continue;
                };
                (
                    state_word(s).to_string(),
                    super::fmt::state_role(s),
                    rank(s),
                    String::new(),
                )
            }
        };
        out.push(Listed {
            snap: pos.get(&n.key).copied(),
            key: n.key.clone(),
            fact,
            role,
            rank,
            detail,
        });
    }
    out
}

pub struct PatchNodesView {
    pub kb: String,
    pub title: String,
    pub src: NodeListSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl PatchNodesView {
    pub fn new(kb: String, title: String) -> Self {
        PatchNodesView {
            kb,
            title,
            src: NodeListSource::default(),
            table: TableState::new(COL_FACT, false),
            built: None,
        }
    }

    /// (lacking the fix, unknown) among the rows.
    pub fn counts(&self) -> (usize, usize) {
        let lacking = self.src.rows.iter().filter(|r| r.rank <= 2).count();
        let unknown = self.src.rows.iter().filter(|r| r.rank == 3).count();
        (lacking, unknown)
    }
}

pub const ID: &str = "patch_nodes";

pub const SPEC: Spec = Spec {
    id: ID,
    // reached by Enter on a `:patches` row
    commands: &[],
    describe: "Nodes of one patch (state per node; unknown listed)",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|_| Err("open :patches and press Enter on a patch".into())),
};

impl View for PatchNodesView {
    fn id(&self) -> &'static str {
        ID
    }

    fn crumb(&self, _snap: Option<&FleetSnapshot>) -> String {
        sanitize(&self.kb)
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

    /// Enter opens the node's detail.
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

    /// Every row of the current filter (nodes still in the snapshot).
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
        let kb = sanitize(&self.kb);
        if self.table.filter.text.is_empty() {
            format!("all {} nodes of {kb}", self.table.order.len())
        } else {
            format!(
                "{} nodes of {kb} (/{})",
                self.table.order.len(),
                self.table.filter.text.trim()
            )
        }
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
        let (lacking, unknown) = self.counts();
        let mut line = format!(
            "{} · {lacking} node(s) lack it",
            sanitize(self.title.trim())
        );
        if unknown > 0 {
            line.push_str(&format!(" · {unknown} unknown (patch list not read)"));
        }
        let role = if unknown > 0 {
            Role::Warning
        } else {
            Role::Muted
        };
        super::table_render::put(
            buf,
            area.x + 1,
            area.y,
            &line,
            area.width.saturating_sub(1),
            cx.theme.style(role),
            None,
            ratatui::style::Style::default(),
            false,
        );
        let body = layout::below(area, 1);
        let empty = if !self.table.filter.text.is_empty() && self.table.rows_total > 0 {
            format!("no nodes match /{}", self.table.filter.text)
        } else {
            "no node has this patch in the current index".into()
        };
        render_table(buf, body, &self.table, &self.src, cx.theme, &cx.look(empty));
    }

    fn ensure_built(&mut self, data: &Data, _now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        let rows = rows(
            &data.patch_index.index,
            &data.snapshot,
            &self.kb,
            &self.title,
        );
        self.src = NodeListSource::new(data.snapshot.clone(), rows, PATCH_COLUMNS);
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }
}
