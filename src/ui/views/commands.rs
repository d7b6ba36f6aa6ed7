//! `:commands` — recent Run Command history across accounts and regions.

pub use super::fmt::status_role;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::fmt::age;
use super::table_render::render_table;
use crate::model::{CommandSummary, FleetSnapshot};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("COMMAND ID", 36, 2),
    Column::new("DOCUMENT", 22, 0),
    Column::new("ACCOUNT", 14, 1),
    Column::new("REGION", 14, 3),
    Column::new("STATUS", 11, 0),
    Column::new("TARGETS", 22, 1),
    Column::new("DONE", 6, 0).num(),
    Column::new("ERR", 5, 0).num(),
    Column::new("REQUESTED", 9, 1).num(),
    Column::new("COMMENT", 24, 4).grow(),
    Column::new("ACCOUNT ID", 12, 7).companion(2),
];

#[derive(Clone, Default)]
pub struct CommandsSource {
    pub snap: Arc<FleetSnapshot>,
    pub account_names: HashMap<String, String>,
    pub now: DateTime<Utc>,
}

impl CommandsSource {
    pub fn cmd(&self, row: usize) -> &CommandSummary {
        &self.snap.commands[row]
    }
}

impl RowSource for CommandsSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.snap.commands.len()
    }
    fn id(&self, row: usize) -> String {
        self.cmd(row).command_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let c = self.cmd(row);
        match col {
            0 => sanitize(&c.command_id),
            1 => sanitize(&c.document_name),
            2 => self
                .account_names
                .get(&c.account_id)
                .cloned()
                .unwrap_or_else(|| sanitize(&c.account_id)),
            3 => sanitize(&c.region),
            4 => sanitize(&c.status),
            5 => {
                if !c.targets.is_empty() {
                    sanitize(&c.targets.join(","))
                } else if c.instance_ids.len() == 1 {
                    sanitize(&c.instance_ids[0])
                } else {
                    format!(
                        "{} instances",
                        c.instance_ids.len().max(c.target_count as usize)
                    )
                }
            }
            6 => format!("{}/{}", c.completed_count, c.target_count),
            7 => super::fmt::count(c.error_count + c.delivery_timed_out_count),
            8 => age(self.now, c.requested_at),
            9 => sanitize(&c.comment),
            10 => sanitize(&c.account_id),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let c = self.cmd(row);
        match col {
            7 => Cell::Int(i64::from(c.error_count + c.delivery_timed_out_count)),
            8 => Cell::time(c.requested_at),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (self.cmd(a), self.cmd(b));
        match col {
            6 => x.completed_count.cmp(&y.completed_count),
            7 => x.error_count.cmp(&y.error_count),
            8 => y.requested_at.cmp(&x.requested_at),
            _ => self.text(a, col).cmp(&self.text(b, col)),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let c = self.cmd(row);
        match col {
            0 | 2 | 3 => theme.style(Role::Muted),
            4 => theme.style(status_role(&c.status)),
            7 => theme.count(
                u64::from(c.error_count + c.delivery_timed_out_count),
                Role::Error,
            ),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            FieldSpec::text("account", "account name or id"),
            FieldSpec::text("region", "region"),
            FieldSpec::text("status", "command status"),
            FieldSpec::text("document", "document name").alias(&["doc"]),
            FieldSpec::yes_no("running", "still running"),
        ];
        F
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        if self.snap.commands.is_empty() {
            return crate::ui::filter::find_field(self.fields(), field).map(|_| false);
        }
        let c = self.cmd(row);
        Some(match field {
            "account" => {
                c.account_id.contains(v)
                    || self
                        .account_names
                        .get(&c.account_id)
                        .is_some_and(|n| contains(n, v))
            }
            "region" => contains(&c.region, v),
            "status" => contains(&c.status, v),
            "document" => contains(&c.document_name, v),
            "running" => crate::ui::filter::yes_no(v).is_some_and(|y| y == c.is_running()),
            _ => return None,
        })
    }
}

pub struct CommandsView {
    pub src: CommandsSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl Default for CommandsView {
    fn default() -> Self {
        CommandsView {
            src: CommandsSource::default(),
            // newest first
            table: TableState::new(8, false),
            built: None,
        }
    }
}

pub const ID: &str = "commands";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["commands", "cmd", "cmds", "runs", "history"],
    describe: "Run Command history",
    action: Some(Action::ViewCommands),
    table: true,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(CommandsView::default()))
    }),
};

impl View for CommandsView {
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

    /// Enter opens the command's output pane.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        cx.then = Some(Action::CommandOutput);
    }

    fn command(&self) -> Option<&CommandSummary> {
        self.table.selected_row().map(|r| self.src.cmd(r))
    }

    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        Ok(super::doc::command(&data.snapshot, self.src.cmd(r), now))
    }

    fn hints(&self) -> Vec<Action> {
        vec![Action::SortNext, Action::CommandOutput]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        let look = cx.look(cx.empty_msg("commands", &self.table));
        render_table(buf, area, &self.table, &self.src, cx.theme, &look);
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.src = CommandsSource {
            snap: data.snapshot.clone(),
            account_names: data
                .snapshot
                .accounts
                .iter()
                .map(|a| {
                    (
                        a.id.clone(),
                        sanitize(if a.name.is_empty() { &a.id } else { &a.name }),
                    )
                })
                .collect(),
            now,
        };
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }
}
