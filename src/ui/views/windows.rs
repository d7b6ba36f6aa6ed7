//! `:windows` — what patches the fleet, and when: every maintenance window and every patch
//! association (State Manager associations running `AWS-RunPatchBaseline`, Quick Setup
//! patch policies among them) across accounts × regions, soonest next run first. A line on
//! top says when the schedules were read and which accounts' could not be (never an empty
//! table that looks fine). Enter on a window opens it (targets, tasks, executions); on an
//! association, its description.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::fmt::{age, count};
use super::sched_fmt as sf;
use super::table_render::{put, render_table};
use crate::model::FleetSnapshot;
use crate::model::schedule::NoNext;
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{FieldSpec, contains, prefix_of_any, yes_no};
use crate::ui::layout;
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("NAME", 20, 0),
    Column::new("KIND", 12, 3),
    Column::new("ACCOUNT", 12, 1),
    Column::new("REGION", 14, 2),
    Column::new("SCHEDULE", 28, 5),
    Column::new("IN WORDS", 25, 3),
    Column::new("ZONE", 18, 7),
    Column::new("NEXT RUN", 28, 0),
    Column::new("DUR/CUT", 7, 7).right(),
    Column::new("ON", 3, 7),
    Column::new("NODES", 5, 4).num(),
    Column::new("TASKS", 28, 6),
    Column::new("LAST RUN", 15, 2),
    Column::new("FAILED", 6, 4).num(),
    Column::new("FAIL 30D", 4, 4).num(),
    Column::new("ACCOUNT ID", 12, 8).companion(2),
    Column::new("ID", 20, 8).companion(0),
];

pub const COL_NEXT: usize = 7;

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::text("account", "account name or id").alias(&["acct"]),
    FieldSpec::text("region", "region"),
    FieldSpec::text("name", "window or association name"),
    FieldSpec::choice(
        "kind",
        &["window", "association", "policy"],
        "window | association (policy = Quick Setup patch policy)",
    ),
    FieldSpec::yes_no("enabled", "enabled (a disabled window never runs)").alias(&["on"]),
    FieldSpec::text(
        "status",
        "last run status (success, failed, timed_out, …; association: its status)",
    ),
    FieldSpec::yes_no("failed", "a failed run in the last 30 days"),
    FieldSpec::choice(
        "op",
        &["install", "scan"],
        "patch operation of its tasks (Install or Scan)",
    ),
];

/// What one row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Window(usize),
    Association(usize),
}

/// One row, computed once per snapshot (there are tens to hundreds of them).
#[derive(Clone, Debug)]
pub struct Row {
    pub kind: Kind,
    pub account_id: String,
    pub region: String,
    pub id: String,
    pub next: Result<DateTime<Utc>, NoNext>,
    pub enabled: bool,
    pub nodes: Option<usize>,
    pub last_status: String,
    pub last_at: Option<DateTime<Utc>>,
    pub failed: Option<usize>,
    pub fail_30d: usize,
    pub operation: Option<String>,
    pub cells: Vec<String>,
}

#[derive(Clone, Default)]
pub struct WindowsSource {
    pub snap: Arc<FleetSnapshot>,
    pub rows: Vec<Row>,
    pub now: DateTime<Utc>,
}

impl WindowsSource {
    pub fn build(snap: &Arc<FleetSnapshot>, now: DateTime<Utc>) -> WindowsSource {
        let s = &snap.schedules;
        let since = now - Duration::days(30);
        let mut rows = Vec::new();
        for (i, w) in s.windows.iter().enumerate() {
            let next = w.next_run(now);
            let last = w.last_execution();
            let failed = last.and_then(|e| e.failed_targets.as_ref().map(Vec::len));
            let spec = w.spec();
            let cells = vec![
                sanitize(&w.name),
                "window".into(),
                sf::account(snap, &w.account_id),
                sanitize(&w.region),
                sanitize(&w.schedule),
                spec.describe(),
                sf::zone(w.timezone.as_deref(), w.offset_days),
                sf::next_text(&next, now),
                format!("{}h/{}h", w.duration_hours, w.cutoff_hours),
                if w.enabled { "yes" } else { "no" }.into(),
                sf::window_nodes(snap, w)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into()),
                sf::tasks(w),
                sf::last_run(last, now),
                match failed {
                    Some(n) => count(n as u64),
                    None if last.is_some_and(|e| e.is_failure()) => "?".into(),
                    None => "·".into(),
                },
                count(w.failures_since(since) as u64),
                sanitize(&w.account_id),
                sanitize(&w.window_id),
            ];
            rows.push(Row {
                kind: Kind::Window(i),
                account_id: w.account_id.clone(),
                region: w.region.clone(),
                id: w.window_id.clone(),
                next,
                enabled: w.enabled,
                nodes: sf::window_nodes(snap, w),
                last_status: last.map(|e| e.status.clone()).unwrap_or_default(),
                last_at: last.and_then(|e| e.start),
                failed,
                fail_30d: w.failures_since(since),
                operation: w.patch_operation().map(str::to_string),
                cells,
            });
        }
        for (i, a) in s.associations.iter().enumerate() {
            let next = a.next_run(now);
            let nodes = match &a.resolved {
                crate::model::patching::Resolution::Nodes(v) => Some(v.len()),
                crate::model::patching::Resolution::All => Some(
                    snap.nodes
                        .iter()
                        .filter(|n| n.account_id == a.account_id && n.region == a.region)
                        .count(),
                ),
                _ => None,
            };
            // nodes whose last run failed: neither succeeded nor still to run (AWS's
            // aggregated counts are by status: Success, Pending, Failed, …)
            let failed = a
                .counts
                .iter()
                .filter(|(k, _)| {
                    let k = k.to_ascii_lowercase();
                    !matches!(
                        k.as_str(),
                        "success" | "pending" | "inprogress" | "in_progress" | "skipped"
                    )
                })
                .map(|(_, v)| *v as usize)
                .sum::<usize>();
            let status = a.status.clone().unwrap_or_default();
            let spec = a.spec();
            let cells = vec![
                sanitize(&a.name),
                if a.is_quick_setup() {
                    "patch policy"
                } else {
                    "association"
                }
                .into(),
                sf::account(snap, &a.account_id),
                sanitize(&a.region),
                sanitize(a.schedule.as_deref().unwrap_or("-")),
                spec.as_ref()
                    .map(|s| s.describe())
                    .unwrap_or_else(|| "no schedule (runs when nodes change)".into()),
                sf::zone(None, a.offset_days),
                sf::next_text(&next, now),
                "-".into(),
                "yes".into(),
                nodes.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
                sf::association_task(a),
                match &a.status {
                    Some(st) => format!("{} {}", sanitize(st), sf_ago(now, a.last_execution)),
                    None => "never run".into(),
                },
                count(failed as u64),
                "·".into(),
                sanitize(&a.account_id),
                sanitize(&a.association_id),
            ];
            rows.push(Row {
                kind: Kind::Association(i),
                account_id: a.account_id.clone(),
                region: a.region.clone(),
                id: a.association_id.clone(),
                next,
                enabled: true,
                nodes,
                last_status: status,
                last_at: a.last_execution,
                failed: Some(failed),
                fail_30d: 0,
                operation: a.operation.clone(),
                cells,
            });
        }
        WindowsSource {
            snap: snap.clone(),
            rows,
            now,
        }
    }

    pub fn row(&self, r: usize) -> &Row {
        &self.rows[r]
    }
}

fn sf_ago(now: DateTime<Utc>, t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(_) => super::fmt::ago(now, t),
        None => String::new(),
    }
}

/// Runs with a time first (soonest), then those without, in a stable order.
fn next_key(r: &Row) -> (u8, i64) {
    match &r.next {
        Ok(t) => (0, t.timestamp()),
        Err(NoNext::RateWithoutAnchor) => (1, 0),
        Err(NoNext::Unparsed | NoNext::UnknownTimezone(_)) => (2, 0),
        Err(NoNext::Never) => (3, 0),
    }
}

impl RowSource for WindowsSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        let r = self.row(row);
        format!("{}/{}/{}", r.account_id, r.region, r.id)
    }
    fn copy_text(&self, row: usize) -> String {
        self.row(row).id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        self.row(row).cells.get(col).cloned().unwrap_or_default()
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let r = self.row(row);
        match col {
            2 => Cell::text(r.account_id.clone()),
            7 => match r.next {
                Ok(t) => Cell::time(Some(t)),
                Err(_) => Cell::text(self.text(row, col)),
            },
            9 => Cell::Bool(r.enabled),
            10 => r.nodes.map_or(Cell::Empty, |n| Cell::Int(n as i64)),
            // "RunPatchBaseline Install RebootIfNeeded; …": words, not the screen's `·`
            11 => Cell::text(self.text(row, col).replace(" · ", " ")),
            12 => Cell::text(r.last_status.clone()),
            13 => r.failed.map_or(Cell::Empty, |n| Cell::Int(n as i64)),
            14 => Cell::Int(r.fail_30d as i64),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (self.row(a), self.row(b));
        match col {
            7 => next_key(x).cmp(&next_key(y)),
            10 => x.nodes.cmp(&y.nodes),
            12 => x.last_at.cmp(&y.last_at),
            13 => x.failed.cmp(&y.failed),
            14 => x.fail_30d.cmp(&y.fail_30d),
            _ => super::nodes::cmp_ignore_case(&x.cells[col], &y.cells[col]),
        }
        .then_with(|| next_key(x).cmp(&next_key(y)))
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        let r = self.row(row);
        match col {
            0 if matches!(r.kind, Kind::Association(_)) => theme.style(Role::Info),
            5 | 4 if r.cells[5].starts_with(crate::model::schedule::UNPARSED_MARK) => {
                theme.style(Role::Warning)
            }
            7 => theme.style(sf::next_role(&r.next)),
            9 if !r.enabled => theme.style(Role::Warning),
            10 if r.nodes.is_none() => theme.style(Role::Warning),
            10 if r.nodes == Some(0) => theme.style(Role::Warning),
            12 => theme.style(sf::exec_role(&r.last_status)),
            13 => theme.count(r.failed.unwrap_or(0) as u64, Role::Error),
            14 => theme.count(r.fail_30d as u64, Role::Error),
            1 | 3 | 6 | 8 | 11 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(r) = self.rows.get(row) else {
            return crate::ui::filter::find_field(FIELDS, field).map(|_| false);
        };
        Some(match field {
            "account" | "acct" => r.account_id.contains(v) || contains(&r.cells[2], v),
            "region" => contains(&r.region, v),
            "name" => contains(&r.cells[0], v),
            "kind" => match r.kind {
                Kind::Window(_) => prefix_of_any(v, &["window"]),
                Kind::Association(_) => {
                    prefix_of_any(v, &["association"])
                        || (prefix_of_any(v, &["policy"]) && r.cells[1] == "patch policy")
                }
            },
            "enabled" | "on" => yes_no(v).is_some_and(|y| y == r.enabled),
            "status" => {
                let s = r.last_status.to_ascii_lowercase();
                s.starts_with(v) || s.replace('_', "").starts_with(&v.replace('_', ""))
            }
            "failed" => yes_no(v).is_some_and(|y| y == (r.fail_30d > 0 || r.failed > Some(0))),
            "op" => r
                .operation
                .as_deref()
                .is_some_and(|o| o.to_ascii_lowercase().starts_with(v)),
            _ => return None,
        })
    }
}

pub struct WindowsView {
    pub src: WindowsSource,
    pub table: TableState,
    pub built: Option<u64>,
    /// The status line: when read, how many, what is missing.
    pub status: (String, Role),
}

impl Default for WindowsView {
    fn default() -> Self {
        WindowsView {
            src: WindowsSource::default(),
            table: TableState::new(COL_NEXT, false),
            built: None,
            status: (String::new(), Role::Muted),
        }
    }
}

pub const ID: &str = "windows";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["windows", "mw", "schedules", "maintenance-windows"],
    describe: "Maintenance windows and patch associations: what patches, and when",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(WindowsView::default()))
    }),
};

/// The line above the table: when the schedules were read, what they hold, and which
/// accounts × regions are missing (the table is partial then, and says so).
pub fn status_line(snap: &FleetSnapshot, now: DateTime<Utc>) -> (String, Role) {
    let s = &snap.schedules;
    let Some(at) = s.fetched_at else {
        return (
            "patch schedules not read yet — they are read after the first refresh (ctrl-r reads them again)".into(),
            Role::Muted,
        );
    };
    let missing = sf::missing(snap);
    // most important first: the line is fitted to the width by leaving parts off the end
    let head = format!(
        "{} windows · {} patch associations · read {} ago · {} account×region read",
        s.windows.len(),
        s.associations.len(),
        age(now, Some(at)),
        s.read.len()
    );
    if missing.is_empty() {
        (head, Role::Muted)
    } else {
        (
            format!(
                "⚠ partial: {} not read — {} (see :errors) · {head}",
                if missing.len() == 1 {
                    "1 account".to_string()
                } else {
                    format!("{} accounts", missing.len())
                },
                missing.join(", ")
            ),
            Role::Warning,
        )
    }
}

impl View for WindowsView {
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

    /// One line of the body is the status line.
    fn page_rows(&self, body: usize) -> usize {
        body.saturating_sub(2)
    }

    fn set_page(&mut self, rows: usize) {
        self.table
            .set_page(&self.src, rows.saturating_sub(1).max(1));
    }

    /// Enter on a window opens it; on an association, its description.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        let Some(r) = self.table.selected_row() else {
            return;
        };
        let row = self.src.row(r);
        match row.kind {
            Kind::Window(_) => {
                cx.push = Some(Box::new(super::window::WindowView::new(
                    &row.account_id,
                    &row.region,
                    &row.id,
                )))
            }
            Kind::Association(_) => cx.then = Some(Action::Describe),
        }
    }

    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        let s = &data.snapshot.schedules;
        let row = self.src.row(r);
        match row.kind {
            Kind::Window(i) => s
                .windows
                .get(i)
                .map(|w| super::sched_doc::window(&data.snapshot, w, now)),
            Kind::Association(i) => s
                .associations
                .get(i)
                .map(|a| super::sched_doc::association(&data.snapshot, a, now)),
        }
        .ok_or_else(|| "Nothing selected to describe".into())
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
            format!("no windows match /{}", self.table.filter.text)
        } else if cx.snapshot.is_none_or(|s| s.schedules.fetched_at.is_none()) {
            format!("{} reading patch schedules…", cx.spinner())
        } else if role == &Role::Warning {
            "no windows or patch associations in the accounts read (others could not be read: above)"
                .into()
        } else {
            "no maintenance windows or patch associations: nothing patches this fleet on a schedule"
                .into()
        };
        render_table(buf, rest, &self.table, &self.src, cx.theme, &cx.look(msg));
    }

    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) {
            return;
        }
        self.src = WindowsSource::build(&data.snapshot, now);
        self.status = status_line(&data.snapshot, now);
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }
}
