//! One maintenance-window execution (Enter on an execution of a window): its task
//! invocations, one per node, read on demand through the data layer
//! (DescribeMaintenanceWindowExecutionTasks + …TaskInvocations, a job owned by this view).
//! Enter on an invocation opens the command output pane (its Run Command command id).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx};
use super::sched_fmt as sf;
use super::table_render::{put, render_table};
use crate::model::patching::{TaskInvocation, WindowExecution};
use crate::model::{CommandInvocation, FleetSnapshot, NodeKey};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::{Data, Load};
use crate::ui::effect::{Job, JobEvent, JobKind};
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("NODE", 22, 0),
    Column::new("INSTANCE", 20, 1),
    Column::new("STATUS", 12, 0),
    Column::new("DETAILS", 30, 2).grow(),
    Column::new("STARTED", 22, 2),
    Column::new("TOOK", 6, 3).num(),
    Column::new("COMMAND ID", 36, 3),
];

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::text(
        "status",
        "invocation status (success, failed, timed_out, …)",
    ),
    FieldSpec::text("node", "node name or instance id").alias(&["id", "name"]),
];

#[derive(Clone, Default)]
pub struct InvocationsSource {
    pub items: Vec<TaskInvocation>,
    /// The same rows as Run Command invocations (what the command output pane opens).
    pub commands: Vec<CommandInvocation>,
    /// Instance id → node name (sanitized).
    pub names: HashMap<String, String>,
    pub now: DateTime<Utc>,
}

/// `SUCCESS` → `Success`, `TIMED_OUT` → `TimedOut` (Run Command's spelling).
fn camel(status: &str) -> String {
    status
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

impl RowSource for InvocationsSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.items.len()
    }
    fn id(&self, row: usize) -> String {
        let i = &self.items[row];
        format!("{}/{}", i.instance_id, i.command_id)
    }
    fn copy_text(&self, row: usize) -> String {
        self.items[row].command_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let i = &self.items[row];
        match col {
            0 => self
                .names
                .get(&i.instance_id)
                .cloned()
                .unwrap_or_else(|| "-".into()),
            1 => sanitize(if i.instance_id.is_empty() {
                "(not a node task)"
            } else {
                &i.instance_id
            }),
            2 => sanitize(&i.status),
            3 => sanitize(&i.status_details),
            4 => match i.start {
                Some(t) => format!("{} ({})", sf::local(t), super::fmt::ago(self.now, Some(t))),
                None => "-".into(),
            },
            5 => sf::took(i.start, i.end),
            6 => sanitize(if i.command_id.is_empty() {
                "-"
            } else {
                &i.command_id
            }),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let i = &self.items[row];
        match col {
            1 => Cell::text(sanitize(&i.instance_id)),
            4 => Cell::time(i.start),
            5 => super::sched_fmt::took_secs(i.start, i.end).map_or(Cell::Empty, Cell::Int),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> std::cmp::Ordering {
        let (x, y) = (&self.items[a], &self.items[b]);
        match col {
            // failures first when ascending
            2 => (x.status == "SUCCESS", &x.status).cmp(&(y.status == "SUCCESS", &y.status)),
            4 => x.start.cmp(&y.start),
            _ => self.text(a, col).cmp(&self.text(b, col)),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let i = &self.items[row];
        match col {
            2 => theme.style(sf::exec_role(&i.status)),
            1 | 5 | 6 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(i) = self.items.get(row) else {
            return crate::ui::filter::find_field(FIELDS, field).map(|_| false);
        };
        Some(match field {
            "status" => contains(&i.status.replace('_', ""), &v.replace('_', "")),
            "node" | "id" | "name" => {
                contains(&i.instance_id, v)
                    || self
                        .names
                        .get(&i.instance_id)
                        .is_some_and(|n| contains(n, v))
            }
            _ => return None,
        })
    }
}

pub struct ExecutionView {
    pub account_id: String,
    pub region: String,
    pub window_name: String,
    pub execution: WindowExecution,
    pub load: Load<()>,
    pub src: InvocationsSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl ExecutionView {
    pub fn new(
        account_id: &str,
        region: &str,
        window_name: &str,
        execution: WindowExecution,
    ) -> ExecutionView {
        ExecutionView {
            account_id: account_id.into(),
            region: region.into(),
            window_name: window_name.into(),
            execution,
            load: Load::Loading,
            src: InvocationsSource::default(),
            // failures first
            table: TableState::new(2, false),
            built: None,
        }
    }

    /// The job that reads this execution's invocations.
    pub fn invocations_job(&self) -> Job {
        Job::WindowInvocations {
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            execution_id: self.execution.execution_id.clone(),
        }
    }

    /// The invocations arrived (or failed).
    pub fn set(&mut self, r: Result<Vec<TaskInvocation>, String>) {
        match r {
            Ok(items) => {
                self.src.commands = items
                    .iter()
                    .map(|i| CommandInvocation {
                        command_id: i.command_id.clone(),
                        account_id: self.account_id.clone(),
                        region: self.region.clone(),
                        instance_id: i.instance_id.clone(),
                        instance_name: self
                            .src
                            .names
                            .get(&i.instance_id)
                            .cloned()
                            .unwrap_or_default(),
                        document_name: "AWS-RunPatchBaseline".into(),
                        status: camel(&i.status),
                        status_details: i.status_details.clone(),
                        requested_at: i.start,
                        plugins: Vec::new(),
                    })
                    .collect();
                self.src.items = items;
                self.table.rebuild(&self.src);
                self.load = Load::Loaded(());
            }
            Err(e) => self.load = Load::Failed(sanitize(&e)),
        }
    }

    fn selected(&self) -> Option<usize> {
        self.table.selected_row()
    }
}

pub const ID: &str = "execution";

pub const SPEC: Spec = Spec {
    id: ID,
    // reached by Enter on an execution of a window
    commands: &[],
    describe: "A maintenance-window execution: its task invocations per node",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|_| Err("Select an execution of a maintenance window first".into())),
};

impl View for ExecutionView {
    fn id(&self) -> &'static str {
        ID
    }

    fn crumb(&self, _snap: Option<&FleetSnapshot>) -> String {
        match self.execution.start {
            Some(t) => format!("run {}", t.format("%m-%d %H:%M")),
            None => "run".into(),
        }
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.src.now = now;
        self.src.names = data
            .snapshot
            .nodes
            .iter()
            .filter(|n| n.account_id == self.account_id && n.region == self.region)
            .map(|n| (n.instance_id.clone(), super::fmt::node_name(n)))
            .collect();
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    /// One line of the body says which run this is.
    fn page_rows(&self, body: usize) -> usize {
        body.saturating_sub(2)
    }

    fn set_page(&mut self, rows: usize) {
        self.table
            .set_page(&self.src, rows.saturating_sub(1).max(1));
    }

    fn opened(&mut self, cx: &mut ViewCx<'_>) {
        cx.start(self.invocations_job());
    }

    fn job(&mut self, kind: JobKind, event: JobEvent, _cx: &mut ViewCx<'_>) {
        if let (JobKind::WindowInvocations, JobEvent::WindowInvocations(r)) = (kind, event) {
            self.set(r);
        }
    }

    /// Enter opens the invocation's command output (it has a Run Command id).
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        let Some(r) = self.selected() else {
            return;
        };
        if self.src.items[r].command_id.is_empty() {
            cx.error("This invocation has no Run Command id: no output to show");
        } else {
            cx.then = Some(Action::CommandOutput);
        }
    }

    fn invocation(&self) -> Option<&CommandInvocation> {
        self.selected()
            .and_then(|r| self.src.commands.get(r))
            .filter(|c| !c.command_id.is_empty())
    }

    fn node(&self) -> Option<NodeKey> {
        self.selected().and_then(|r| {
            let id = &self.src.items[r].instance_id;
            (!id.is_empty()).then(|| NodeKey {
                account_id: self.account_id.clone(),
                region: self.region.clone(),
                instance_id: id.clone(),
            })
        })
    }

    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self.selected().ok_or("Nothing selected to describe")?;
        Ok(super::sched_doc::task_invocation(
            &data.snapshot,
            &self.window_name,
            &self.src.items[r],
            &self.account_id,
            &self.region,
            now,
        ))
    }

    fn hints(&self) -> Vec<Action> {
        vec![Action::CommandOutput, Action::Describe, Action::SortNext]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        if area.height == 0 {
            return;
        }
        let e = &self.execution;
        let head = format!(
            "{} · run {} · {} · took {}{}",
            sanitize(&self.window_name),
            e.start.map(sf::local).unwrap_or_else(|| "-".into()),
            sanitize(&e.status),
            sf::took(e.start, e.end),
            if e.status_details.is_empty() {
                String::new()
            } else {
                format!(" · {}", sanitize(&e.status_details))
            }
        );
        put(
            buf,
            area.x,
            area.y,
            &head,
            area.width,
            cx.theme.style(sf::exec_role(&e.status)),
            None,
            Style::default(),
            false,
        );
        let rest = crate::ui::layout::below(area, 1);
        let msg = match &self.load {
            Load::Loading => format!("{} reading the task invocations…", cx.spinner()),
            Load::Failed(e) => format!("✗ could not read the task invocations: {e}"),
            Load::Loaded(_) => cx.empty_msg("task invocations", &self.table),
        };
        render_table(buf, rest, &self.table, &self.src, cx.theme, &cx.look(msg));
    }
}
