//! One maintenance window (Enter in `:windows`): its schedule and next run on top, then its
//! targets (with the nodes they resolve to), its tasks, and its executions newest first.
//! Tab moves between the three tables; Enter on an execution opens its task invocations.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders, Widget};

use super::contract::{Open, RenderCx, Spec, View, ViewCx};
use super::sched_fmt as sf;
use super::table_render::{TableLook, put, render_table};
use crate::model::FleetSnapshot;
use crate::model::patching::{MaintenanceWindow, Resolution};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const TARGET_COLUMNS: &[Column] = &[
    Column::new("TARGET", 24, 0),
    Column::new("SELECTS", 40, 0).grow(),
    Column::new("NODES", 36, 1),
];

pub const TASK_COLUMNS: &[Column] = &[
    Column::new("TASK", 22, 0),
    Column::new("DOCUMENT", 28, 0),
    Column::new("TYPE", 12, 3),
    Column::new("OPERATION", 9, 1),
    Column::new("REBOOT", 16, 1),
    Column::new("RUNS ON", 30, 2).grow(),
];

pub const EXECUTION_COLUMNS: &[Column] = &[
    Column::new("STARTED", 22, 0),
    Column::new("STATUS", 12, 0),
    Column::new("TOOK", 6, 2).num(),
    Column::new("FAILED NODES", 40, 1).grow(),
    Column::new("DETAILS", 30, 3),
    Column::new("EXECUTION ID", 36, 4),
];

/// A window's targets.
#[derive(Clone, Default)]
pub struct TargetsSource {
    pub w: Arc<MaintenanceWindow>,
}

/// "3: i-0abc…, i-0def…, …" or why it is not known.
fn resolved(r: &Resolution) -> String {
    match r {
        Resolution::Nodes(v) if v.is_empty() => "0 (matches no node now)".into(),
        Resolution::Nodes(v) => {
            let head: Vec<&str> = v.iter().take(3).map(String::as_str).collect();
            let more = if v.len() > 3 { ", …" } else { "" };
            sanitize(&format!("{}: {}{more}", v.len(), head.join(", ")))
        }
        Resolution::All => "every managed node of the account and region".into(),
        Resolution::Unresolved(why) => format!("? {}", sanitize(why)),
        Resolution::Unknown => "? not resolved".into(),
    }
}

impl RowSource for TargetsSource {
    fn columns(&self) -> &'static [Column] {
        TARGET_COLUMNS
    }
    fn len(&self) -> usize {
        self.w.targets.len()
    }
    fn id(&self, row: usize) -> String {
        self.w.targets[row].target_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let t = &self.w.targets[row];
        match col {
            0 => sanitize(if t.name.is_empty() {
                &t.target_id
            } else {
                &t.name
            }),
            1 => sanitize(
                &t.targets
                    .iter()
                    .map(|x| x.describe())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            2 => resolved(&t.resolved),
            _ => String::new(),
        }
    }
    /// Exported: every node id (the screen shows three and `…`), or why there are none.
    fn value(&self, row: usize, col: usize) -> Cell {
        match (&self.w.targets[row].resolved, col) {
            (Resolution::Nodes(v), 2) => Cell::text(sanitize(&v.join(" "))),
            (Resolution::Unresolved(why), 2) => {
                Cell::text(format!("unresolved: {}", sanitize(why)))
            }
            (Resolution::Unknown, 2) => Cell::Empty,
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        match (&self.w.targets[row].resolved, col) {
            (Resolution::Unresolved(_) | Resolution::Unknown, 2) => theme.style(Role::Warning),
            (Resolution::Nodes(v), 2) if v.is_empty() => theme.style(Role::Warning),
            _ => theme.style(Role::Text),
        }
    }
}

/// A window's tasks.
#[derive(Clone, Default)]
pub struct TasksSource {
    pub w: Arc<MaintenanceWindow>,
}

impl RowSource for TasksSource {
    fn columns(&self) -> &'static [Column] {
        TASK_COLUMNS
    }
    fn len(&self) -> usize {
        self.w.tasks.len()
    }
    fn id(&self, row: usize) -> String {
        self.w.tasks[row].task_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let t = &self.w.tasks[row];
        match col {
            0 => sanitize(if t.name.is_empty() {
                &t.task_id
            } else {
                &t.name
            }),
            1 => sanitize(&t.task_arn),
            2 => sanitize(&t.task_type),
            3 => sanitize(t.operation.as_deref().unwrap_or("-")),
            4 => sanitize(t.reboot_option.as_deref().unwrap_or("-")),
            5 => {
                let names: Vec<String> = t
                    .window_target_ids
                    .iter()
                    .map(|id| {
                        self.w
                            .targets
                            .iter()
                            .find(|x| &x.target_id == id)
                            .filter(|x| !x.name.is_empty())
                            .map_or_else(|| id.clone(), |x| x.name.clone())
                    })
                    .chain(t.other_targets.iter().map(|x| x.describe()))
                    .collect();
                sanitize(&names.join(", "))
            }
            _ => String::new(),
        }
    }
    fn style(&self, _row: usize, col: usize, theme: &Theme) -> Style {
        match col {
            2 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
}

/// A window's executions, newest first.
#[derive(Clone, Default)]
pub struct ExecutionsSource {
    pub w: Arc<MaintenanceWindow>,
    pub now: DateTime<Utc>,
}

impl RowSource for ExecutionsSource {
    fn columns(&self) -> &'static [Column] {
        EXECUTION_COLUMNS
    }
    fn len(&self) -> usize {
        self.w.executions.len()
    }
    fn id(&self, row: usize) -> String {
        self.w.executions[row].execution_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let e = &self.w.executions[row];
        match col {
            0 => match e.start {
                Some(t) => format!("{} ({})", sf::local(t), super::fmt::ago(self.now, Some(t))),
                None => "-".into(),
            },
            1 => sanitize(&e.status),
            2 => sf::took(e.start, e.end),
            3 => match &e.failed_targets {
                Some(v) if v.is_empty() => "·".into(),
                Some(v) => sanitize(&format!("{}: {}", v.len(), v.join(", "))),
                None if e.is_failure() => "? (Enter lists the invocations)".into(),
                None => "·".into(),
            },
            4 => sanitize(&e.status_details),
            5 => sanitize(&e.execution_id),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let e = &self.w.executions[row];
        match col {
            0 => Cell::time(e.start),
            2 => super::sched_fmt::took_secs(e.start, e.end).map_or(Cell::Empty, Cell::Int),
            3 => match &e.failed_targets {
                Some(v) => Cell::text(sanitize(&v.join(" "))),
                None => Cell::Empty,
            },
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> std::cmp::Ordering {
        let (x, y) = (&self.w.executions[a], &self.w.executions[b]);
        match col {
            0 => x.start.cmp(&y.start),
            2 => (x.end.zip(x.start).map(|(e, s)| e - s))
                .cmp(&y.end.zip(y.start).map(|(e, s)| e - s)),
            _ => self.text(a, col).cmp(&self.text(b, col)),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let e = &self.w.executions[row];
        match col {
            1 => theme.style(sf::exec_role(&e.status)),
            3 if e.failed_targets.as_ref().is_some_and(|v| !v.is_empty()) => {
                theme.style(Role::Error)
            }
            4 | 5 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[FieldSpec::text(
            "status",
            "execution status (success, failed, timed_out, …)",
        )];
        F
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(e) = self.w.executions.get(row) else {
            return crate::ui::filter::find_field(self.fields(), field).map(|_| false);
        };
        Some(match field {
            "status" => contains(&e.status.replace('_', ""), &v.replace('_', "")),
            _ => return None,
        })
    }
}

pub struct WindowView {
    pub account_id: String,
    pub region: String,
    pub window_id: String,
    pub window: Option<Arc<MaintenanceWindow>>,
    pub account_name: String,
    pub targets: TargetsSource,
    pub target_table: TableState,
    pub tasks: TasksSource,
    pub task_table: TableState,
    pub execs: ExecutionsSource,
    pub exec_table: TableState,
    /// 0 = targets, 1 = tasks, 2 = executions.
    pub focus: usize,
    pub now: DateTime<Utc>,
    pub built: Option<u64>,
}

impl WindowView {
    pub fn new(account_id: &str, region: &str, window_id: &str) -> WindowView {
        WindowView {
            account_id: account_id.into(),
            region: region.into(),
            window_id: window_id.into(),
            window: None,
            account_name: String::new(),
            targets: TargetsSource::default(),
            target_table: TableState::unsorted(),
            tasks: TasksSource::default(),
            task_table: TableState::unsorted(),
            execs: ExecutionsSource::default(),
            // newest first
            exec_table: TableState::new(0, true),
            focus: 2,
            now: Utc::now(),
            built: None,
        }
    }

    fn selected_execution(&self) -> Option<&crate::model::patching::WindowExecution> {
        self.exec_table
            .selected_row()
            .and_then(|r| self.execs.w.executions.get(r))
    }
}

pub const ID: &str = "window";

pub const SPEC: Spec = Spec {
    id: ID,
    // reached by Enter in :windows
    commands: &[],
    describe: "A maintenance window: targets, tasks, executions",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|_| Err("Select a maintenance window in :windows first".into())),
};

/// Heights of the three tables in a body of `h` rows below the summary.
fn split(h: u16, targets: usize, tasks: usize) -> (u16, u16, u16) {
    let want = |n: usize, max: u16| (n as u16 + 3).clamp(4, max);
    let t = want(targets, 7).min(h / 3);
    let k = want(tasks, 6).min(h / 3);
    (t, k, h.saturating_sub(t + k))
}

const SUMMARY: u16 = 4;

impl View for WindowView {
    fn id(&self) -> &'static str {
        ID
    }

    fn crumb(&self, _snap: Option<&FleetSnapshot>) -> String {
        match &self.window {
            Some(w) => sanitize(&w.name),
            None => sanitize(&self.window_id),
        }
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.now = now;
        self.account_name = sf::account(&data.snapshot, &self.account_id);
        self.window = data
            .snapshot
            .schedules
            .window(&self.account_id, &self.region, &self.window_id)
            .map(|w| Arc::new(w.clone()));
        let w = self.window.clone().unwrap_or_default();
        self.targets = TargetsSource { w: w.clone() };
        self.target_table.rebuild(&self.targets);
        self.tasks = TasksSource { w: w.clone() };
        self.task_table.rebuild(&self.tasks);
        self.execs = ExecutionsSource { w, now };
        self.exec_table.rebuild(&self.execs);
        self.built = Some(data.generation);
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some(match self.focus {
            0 => (&self.target_table, &self.targets as &dyn RowSource),
            1 => (&self.task_table, &self.tasks as &dyn RowSource),
            _ => (&self.exec_table, &self.execs as &dyn RowSource),
        })
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some(match self.focus {
            0 => (&mut self.target_table, &self.targets as &dyn RowSource),
            1 => (&mut self.task_table, &self.tasks as &dyn RowSource),
            _ => (&mut self.exec_table, &self.execs as &dyn RowSource),
        })
    }

    /// The tables sit inside boxes (two cells narrower than the screen).
    fn set_layout(&mut self, width: u16, prefs: &crate::ui::columns::ColumnPrefs) {
        for (t, src) in [
            (&mut self.target_table, &self.targets as &dyn RowSource),
            (&mut self.task_table, &self.tasks as &dyn RowSource),
            (&mut self.exec_table, &self.execs as &dyn RowSource),
        ] {
            t.width = width.saturating_sub(2);
            t.chosen = prefs.for_columns(src.columns());
            t.columns_changed(src);
        }
    }

    fn page_rows(&self, body: usize) -> usize {
        body
    }

    fn set_page(&mut self, rows: usize) {
        let h = (rows as u16).saturating_sub(SUMMARY);
        let (t, k, e) = split(h, self.targets.len(), self.tasks.len());
        let inner = |x: u16| (x.saturating_sub(3) as usize).max(1);
        self.target_table.set_page(&self.targets, inner(t));
        self.task_table.set_page(&self.tasks, inner(k));
        self.exec_table.set_page(&self.execs, inner(e));
    }

    fn tab(&mut self, delta: isize) -> bool {
        self.focus = (self.focus as isize + delta).rem_euclid(3) as usize;
        true
    }

    /// Enter on an execution opens its task invocations; elsewhere describes the window.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if self.focus == 2 {
            if let (Some(w), Some(e)) = (&self.window, self.selected_execution()) {
                cx.push = Some(Box::new(super::execution::ExecutionView::new(
                    &self.account_id,
                    &self.region,
                    &w.name,
                    e.clone(),
                )));
            }
        } else {
            cx.then = Some(Action::Describe);
        }
    }

    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let w = self
            .window
            .as_ref()
            .ok_or("This window is no longer in the snapshot")?;
        if self.focus == 2
            && let Some(e) = self.selected_execution()
        {
            return Ok(super::sched_doc::execution(&data.snapshot, w, e, now));
        }
        Ok(super::sched_doc::window(&data.snapshot, w, now))
    }

    fn hints(&self) -> Vec<Action> {
        vec![Action::NextTab, Action::Describe, Action::SortNext]
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        let theme = cx.theme;
        let Some(w) = &self.window else {
            put(
                buf,
                area.x + 1,
                area.y,
                "this window is no longer in the snapshot (deleted, or its account could not be read)",
                area.width.saturating_sub(1),
                theme.style(Role::Warning),
                None,
                Style::default(),
                false,
            );
            return;
        };
        summary(buf, area, self, w, cx);
        let rest = crate::ui::layout::below(area, SUMMARY);
        let (th, kh, eh) = split(rest.height, self.targets.len(), self.tasks.len());
        let count = |t: &TableState| {
            if t.order.len() == t.rows_total {
                format!("{}", t.rows_total)
            } else {
                format!("{}/{}", t.order.len(), t.rows_total)
            }
        };
        let boxes: [(u16, String, &TableState, &dyn RowSource, &str); 3] = [
            (
                th,
                format!(" Targets ({}) ", count(&self.target_table)),
                &self.target_table,
                &self.targets,
                "no targets: this window runs on nothing",
            ),
            (
                kh,
                format!(" Tasks ({}) ", count(&self.task_table)),
                &self.task_table,
                &self.tasks,
                "no tasks: this window does nothing",
            ),
            (
                eh,
                format!(" Executions, newest first ({}) ", count(&self.exec_table)),
                &self.exec_table,
                &self.execs,
                "no executions in the last 8 weeks",
            ),
        ];
        let mut y = rest.y;
        for (i, (h, title, t, src, empty)) in boxes.into_iter().enumerate() {
            let h = h.min(rest.bottom().saturating_sub(y));
            if h < 3 {
                break;
            }
            let r = Rect {
                y,
                height: h,
                ..rest
            };
            let focused = self.focus == i;
            let b = Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Rounded)
                .border_style(theme.style(if focused { Role::Title } else { Role::Border }))
                .title(title)
                .title_style(theme.style(Role::Title));
            let inner = b.inner(r);
            b.render(r, buf);
            let empty = if !t.filter.text.is_empty() && t.rows_total > 0 {
                format!("no rows match /{}", t.filter.text)
            } else {
                empty.to_string()
            };
            let look = TableLook {
                marks: cx.marks,
                focused: focused && cx.focused,
                empty,
                reserved: cx.reserved,
            };
            render_table(buf, inner, t, src, theme, &look);
            y += h;
        }
    }
}

/// Four lines: name and where; schedule; next run, duration, enabled; last run.
fn summary(buf: &mut Buffer, area: Rect, v: &WindowView, w: &MaintenanceWindow, cx: &RenderCx<'_>) {
    let theme = cx.theme;
    let now = cx.now;
    let next = w.next_run(now);
    let since = now - chrono::Duration::days(30);
    let last = w.last_execution();
    let zone = match sf::utc_offset(w.timezone.as_deref(), now) {
        Some(o) => format!("{} ({o})", sf::zone(w.timezone.as_deref(), w.offset_days)),
        None => sf::zone(w.timezone.as_deref(), w.offset_days),
    };
    let lines: [Vec<(String, Role)>; 4] = [
        vec![
            (sanitize(&w.name), Role::Title),
            (
                format!(
                    "  {} · {} · {}{}",
                    v.account_name,
                    sanitize(&w.region),
                    sanitize(&w.window_id),
                    if w.description.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", sanitize(&w.description))
                    }
                ),
                Role::Muted,
            ),
        ],
        vec![
            ("Schedule  ".into(), Role::Muted),
            (sanitize(&w.schedule), Role::Text),
            (format!("  {}", w.spec().describe()), Role::Info),
            (format!("  zone {zone}"), Role::Muted),
        ],
        vec![
            ("Next run  ".into(), Role::Muted),
            (sf::next_text(&next, now), sf::next_role(&next)),
            (
                format!(
                    "  duration {}h, cutoff {}h · ",
                    w.duration_hours, w.cutoff_hours
                ),
                Role::Muted,
            ),
            (
                if w.enabled { "enabled" } else { "DISABLED" }.into(),
                if w.enabled { Role::Ok } else { Role::Warning },
            ),
            (
                match sf::window_nodes(cx.snapshot.unwrap_or(&FleetSnapshot::default()), w) {
                    Some(n) => format!(" · {n} target nodes"),
                    None => " · target nodes not resolved".into(),
                },
                Role::Muted,
            ),
        ],
        vec![
            ("Last run  ".into(), Role::Muted),
            (
                sf::last_run(last, now),
                sf::exec_role(last.map(|e| e.status.as_str()).unwrap_or("")),
            ),
            (
                match last.and_then(|e| e.failed_targets.as_ref()) {
                    Some(v) if v.len() == 1 => " · 1 failed node".into(),
                    Some(v) if !v.is_empty() => format!(" · {} failed nodes", v.len()),
                    _ => String::new(),
                },
                Role::Error,
            ),
            (
                match w.failures_since(since) {
                    0 => " · no failed run in the last 30 days".to_string(),
                    1 => " · 1 failed run in the last 30 days".to_string(),
                    n => format!(" · {n} failed runs in the last 30 days"),
                },
                if w.failures_since(since) > 0 {
                    Role::Warning
                } else {
                    Role::Muted
                },
            ),
        ],
    ];
    for (i, spans) in lines.iter().enumerate() {
        let y = area.y + i as u16;
        if y >= area.bottom() {
            break;
        }
        let mut x = area.x + 1;
        for (text, role) in spans {
            let left = area.right().saturating_sub(x);
            if left == 0 {
                break;
            }
            x += put(
                buf,
                x,
                y,
                text,
                left,
                theme.style(*role),
                None,
                Style::default(),
                false,
            );
        }
    }
}
