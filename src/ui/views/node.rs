//! Node detail (Enter on a node): inventory, patch summary with baseline and patch group,
//! the node's patches (sortable, filterable) and its recent Run Command invocations — loaded
//! on demand through the data layer.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use ratatui::style::Style;

use super::age;
use crate::model::{CommandInvocation, Node, NodeInventory, NodeKey, Patch, PatchState};
use crate::text::sanitize;
use crate::ui::filter::{FieldSpec, contains, prefix_of_any};
use crate::ui::state::{Data, Load};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

/// Rows left for the focused table in a body of `body` rows (same split as the renderer:
/// summary boxes on top, patches two thirds of the rest, invocations one third).
pub fn table_rows(body: usize) -> usize {
    let box_h = if body < 28 { 8 } else { 10 };
    let rest = body.saturating_sub(box_h);
    (rest * 2 / 3).max(3).saturating_sub(3).max(1)
}

pub const PATCH_COLUMNS: &[Column] = &[
    Column::new("TITLE", 40, 0),
    Column::new("KB / ID", 16, 1),
    Column::new("CLASSIFICATION", 16, 2),
    Column::new("SEVERITY", 10, 0),
    Column::new("STATE", 22, 0),
    Column::new("INSTALLED", 10, 3),
    Column::new("CVES", 30, 2),
];

#[derive(Clone, Default)]
pub struct PatchesSource {
    pub patches: Vec<Patch>,
}

pub fn state_role(s: PatchState) -> Role {
    match s {
        PatchState::Missing => Role::NonCompliant,
        PatchState::Failed => Role::Critical,
        PatchState::InstalledPendingReboot => Role::Warning,
        PatchState::InstalledRejected => Role::Error,
        PatchState::Installed | PatchState::InstalledOther => Role::Compliant,
        _ => Role::Muted,
    }
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
            4 => i
                .plugins
                .iter()
                .map(|p| p.response_code)
                .find(|c| *c != 0)
                .unwrap_or(0)
                .to_string(),
            5 => age(self.now, i.requested_at),
            _ => String::new(),
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
    /// 0 = patches, 1 = invocations.
    pub focus: usize,
    pub built: Option<u64>,
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
            focus: 0,
            built: None,
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
            Ok(i) => Load::Loaded(i),
            Err(e) => Load::Failed(sanitize(&e)),
        };
    }

    pub fn switch(&mut self, _delta: isize) {
        self.focus = 1 - self.focus;
    }

    pub fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        if self.focus == 0 {
            Some((&mut self.patch_table, &self.patch_src))
        } else {
            Some((&mut self.inv_table, &self.inv_src))
        }
    }

    pub fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        if self.focus == 0 {
            Some((&self.patch_table, &self.patch_src))
        } else {
            Some((&self.inv_table, &self.inv_src))
        }
    }
}
