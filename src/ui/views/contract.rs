//! The one contract views and panes plug in with: a registry entry ([`Spec`]: id = keymap
//! section, `:commands`, key action, description, how to open it from the [`Selection`]),
//! and the behaviour of what it opens — a [`View`] on the navigation stack or a modal
//! [`Pane`] on top (hooks: `opened`, `job` answers, `fleet` data, `render`, `hints`, …).
//! How to add one: see the top of `src/ui/views/mod.rs`.
//!
//! This module knows no concrete view: `views/mod.rs` lists them, the views import this.

use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::super::action::Action;
use super::super::data::Data;
use super::super::effect::{Effect, Job, JobEvent, JobId, JobKind, Owner};
use super::super::table::{RowSource, TableState};
use super::super::theme::Theme;
use super::fmt::SPINNER;
use super::table_render::TableLook;
use crate::model::{
    Aggregates, CommandInvocation, CommandSummary, FleetSnapshot, FleetUpdate, NodeKey,
};

/// A registry entry: one per view or pane kind (see `views::registry`).
pub struct Spec {
    /// Keymap section (`[nodes]`, `[patch_now]`) and breadcrumb base.
    pub id: &'static str,
    /// `:commands` that open it, canonical first (empty: reached only by a key or Enter).
    pub commands: &'static [&'static str],
    /// Help text for the `:command`.
    pub describe: &'static str,
    /// The key action that opens it, if any (bound in `keymaps/*.toml`).
    pub action: Option<Action>,
    /// `:id ARG` completes account and OU names after the command.
    pub scoped: bool,
    /// A list view: the `[table]` keymap section applies after its own (`[nodes]`, then
    /// `[table]`, then `[global]`).
    pub table: bool,
    /// How to build it from what the user points at (or why not: shown as an error toast).
    pub open: Open,
}

/// For views that take no argument: `:org x` is an error.
pub fn no_argument(sel: &Selection<'_>, id: &str) -> Result<(), String> {
    if sel.args.is_empty() {
        Ok(())
    } else {
        Err(format!(":{id} takes no argument (got `{}`)", sel.args))
    }
}

/// How a [`Spec`] opens.
pub enum Open {
    /// A view: replaces the view stack (`:nodes`, a view key).
    View(fn(&Selection<'_>) -> Result<Box<dyn View>, String>),
    /// A pane: opens on top of the current view.
    Pane(fn(&Selection<'_>) -> Result<Box<dyn Pane>, String>),
}

impl Spec {
    pub fn is_view(&self) -> bool {
        matches!(self.open, Open::View(_))
    }

    /// Keymap sections consulted before `global`, most specific first.
    pub fn sections(&self) -> Vec<&'static str> {
        if self.table {
            vec![self.id, "table"]
        } else {
            vec![self.id]
        }
    }
}

/// `&dyn View` → the concrete type, for tests that look inside a view.
pub trait AsAny {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Everything a view draws with besides itself.
pub struct RenderCx<'a> {
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
    pub snapshot: Option<&'a FleetSnapshot>,
    pub marks: &'a HashSet<String>,
    /// No pane or help on top: the table shows its selection.
    pub focused: bool,
    /// A refresh is in flight (partial snapshot).
    pub loading: bool,
    pub spinner: usize,
    /// Upper-case letters the keymap uses here (not offered for shift+letter sorting).
    pub reserved: &'a [char],
    /// The patch index and its progress (changes without a rebuild while a pass runs).
    pub patch_index: Option<&'a crate::ui::data::PatchIndexFeed>,
}

impl<'a> RenderCx<'a> {
    pub fn spinner(&self) -> &'static str {
        SPINNER[self.spinner % SPINNER.len()]
    }

    /// The shared table look (marks, focus) with this empty-table message.
    pub fn look(&self, empty: String) -> TableLook<'a> {
        TableLook {
            marks: self.marks,
            focused: self.focused,
            empty,
            reserved: self.reserved,
        }
    }

    /// "no nodes match /x", "⠋ loading nodes…" or "no nodes".
    pub fn empty_msg(&self, what: &str, t: &TableState) -> String {
        if !t.filter.text.is_empty() && t.rows_total > 0 {
            format!("no {what} match /{}", t.filter.text)
        } else if self.loading {
            format!("{} loading {what}…", self.spinner())
        } else {
            format!("no {what}")
        }
    }
}

/// A view to drill into, as data: the registry builds it ([`crate::ui::views::drill`]), so
/// views that drill into each other (node detail ↔ the nodes running an application) need
/// not import each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drill {
    /// The nodes running an application (one version, or any), as from `:software`.
    SoftwareNodes {
        name: String,
        version: Option<String>,
    },
}

/// What a view may do from a hook: ask for effects, push a view, run an action, toast.
pub struct ViewCx<'a> {
    pub now: DateTime<Utc>,
    pub data: Option<&'a Data>,
    /// This view's owner id (its jobs are keyed by it and stopped when it leaves the stack).
    pub owner: Owner,
    pub effects: Vec<Effect>,
    /// Push this view on the stack (drill down).
    pub push: Option<Box<dyn View>>,
    /// Push the view the registry builds for this (a drill into a view that may drill
    /// back: no import circle).
    pub drill: Option<Drill>,
    /// Then apply this action (e.g. Enter on a command opens its output pane).
    pub then: Option<Action>,
    /// Toasts to show: (text, is_error).
    pub toasts: Vec<(String, bool)>,
    /// Switch to this profile / region scope (`:ctx`): tried first, the old one kept if
    /// it fails.
    pub switch: Option<crate::ui::context::ContextChoice>,
}

impl ViewCx<'_> {
    /// Start a job owned by this view (replacing a running one of the same kind).
    pub fn start(&mut self, job: Job) {
        self.effects.push(Effect::Start(self.owner, job));
    }
    /// Stop this view's job of `kind`, if running.
    pub fn stop(&mut self, kind: JobKind) {
        self.effects.push(Effect::Stop(JobId {
            owner: self.owner,
            kind,
        }));
    }
    pub fn toast(&mut self, text: impl Into<String>) {
        self.toasts.push((text.into(), false));
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.toasts.push((text.into(), true));
    }
}

/// A view on the navigation stack. Keys resolve through its [`View::sections`] then
/// `global`; table actions (move, sort, filter, mark) work on [`View::table_mut`].
pub trait View: AsAny + Send {
    /// Its registry id (= keymap section).
    fn id(&self) -> &'static str;
    /// Breadcrumb text (sanitized).
    fn crumb(&self, _snap: Option<&FleetSnapshot>) -> String {
        self.id().to_string()
    }
    /// Generation of the data it was last built from.
    fn built(&self) -> Option<u64>;
    /// Drawn and usable only once there is fleet data (`:ctx` is not: its rows come from
    /// the AWS files, and it is how one leaves a profile that cannot connect).
    fn needs_data(&self) -> bool {
        true
    }
    /// Rebuild from `data` when older (cheap when not).
    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>);
    /// The session's message log, before each draw (`:messages` shows it; others ignore it).
    fn messages(&mut self, _log: &crate::ui::messages::MessageLog) {}
    /// `d` / `y` for a view whose rows are not fleet data (usable before any refresh).
    fn describe_local(&self) -> Option<Result<super::doc::Doc, String>> {
        None
    }
    /// The focused table and its rows.
    fn table(&self) -> Option<(&TableState, &dyn RowSource)>;
    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)>;
    /// Rows of a page (PageUp / PageDown) in a body of `body` rows.
    fn page_rows(&self, body: usize) -> usize {
        body.saturating_sub(1)
    }
    /// The table's visible rows for a body of `page_rows` rows.
    fn set_page(&mut self, rows: usize) {
        if let Some((t, src)) = self.table_mut() {
            t.set_page(src, rows.max(1));
        }
    }
    /// Table width and column choices (from the terminal size and `views.toml`).
    fn set_layout(&mut self, width: u16, prefs: &crate::ui::columns::ColumnPrefs) {
        if let Some((t, src)) = self.table_mut() {
            t.width = width;
            t.chosen = prefs.for_columns(src.columns());
            t.columns_changed(src);
        }
    }
    /// Switch section / breakdown (Tab). `true` when it did.
    fn tab(&mut self, _delta: isize) -> bool {
        false
    }
    /// Enter on the selected row (drill down: `cx.push`, or `cx.then`, or a toast).
    fn enter(&mut self, _cx: &mut ViewCx<'_>) {}
    /// Called once when it became the top of the stack by opening (start loads here).
    fn opened(&mut self, _cx: &mut ViewCx<'_>) {}
    /// An on-demand answer of the data layer; return it when it is not this view's.
    fn fleet(&mut self, u: FleetUpdate, _now: DateTime<Utc>) -> Option<FleetUpdate> {
        Some(u)
    }
    /// An answer from one of this view's jobs.
    fn job(&mut self, _kind: JobKind, _event: JobEvent, _cx: &mut ViewCx<'_>) {}
    /// Draw the body (pure).
    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>);
    /// Footer hints after `:` `/` `open` and before `back` `help` `quit`.
    fn hints(&self) -> Vec<Action> {
        vec![Action::SortNext, Action::SortReverse]
    }
    /// The node under the cursor or shown, if any.
    fn node(&self) -> Option<NodeKey> {
        None
    }
    /// The selected command, if any.
    fn command(&self) -> Option<&CommandSummary> {
        None
    }
    /// The selected Run Command invocation, if any.
    fn invocation(&self) -> Option<&CommandInvocation> {
        None
    }
    /// The nodes an action aims at when none is marked, and how they were chosen
    /// ("all 40 in view", "account prod-web").
    fn targets(&self, _data: &Data, _now: DateTime<Utc>) -> (Vec<NodeKey>, String) {
        (Vec::new(), String::new())
    }
    /// How [`View::targets`] chooses, without building the list (override when it is big).
    fn targets_from(&self, data: &Data, now: DateTime<Utc>) -> String {
        self.targets(data, now).1
    }

    /// The selected row described (`d` / `y` / Enter on rows without a drill-down): a
    /// [`super::doc`] builder for the row's record, or why there is nothing to describe.
    fn describe(&self, _data: &Data, _now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        Err("Nothing selected to describe".into())
    }
    /// Idle work: build the focused table's search text. `true` when something was done.
    fn warm(&mut self) -> bool {
        match self.table_mut() {
            Some((t, src)) if t.needs_warm() => {
                t.warm(src);
                true
            }
            _ => false,
        }
    }
}

/// Whether a pane used an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    Consumed,
    NotConsumed,
}

/// How much of the screen a pane takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaneSize {
    /// Centered, as a percentage of the body (min 60×14 cells when possible).
    Modal { width_pct: u16, height_pct: u16 },
    /// The whole body area.
    Full,
}

/// What a pane may touch while handling input or answers.
pub struct PaneCx<'a> {
    pub now: DateTime<Utc>,
    pub snapshot: Option<&'a Arc<FleetSnapshot>>,
    pub aggregates: Option<&'a Arc<Aggregates>>,
    pub readonly: bool,
    /// This pane's owner id (its jobs are keyed by it and stopped when it closes).
    pub owner: Owner,
    /// Effects for the runtime (jobs, refreshes, foreground commands).
    pub effects: Vec<Effect>,
    /// Set to close this pane (its jobs are stopped).
    pub close: bool,
    /// Toasts to show: (text, is_error).
    pub toasts: Vec<(String, bool)>,
    /// Open another pane on top (e.g. patch-now opening the command-output pane).
    pub open: Option<Box<dyn Pane>>,
    /// New column choices for a table (the column chooser): applied and saved.
    pub columns: Option<ColumnChoice>,
    /// Switch to this profile / region scope (`:region`): tried first, the old one kept
    /// if it fails.
    pub switch: Option<crate::ui::context::ContextChoice>,
}

/// Column choices for one table, as the column chooser sets them.
#[derive(Clone, Debug)]
pub struct ColumnChoice {
    /// The table's columns (its name in `views.toml` is found from them).
    pub cols: &'static [crate::ui::table::Column],
    /// Chosen column indices in order; `None`: the view's defaults.
    pub chosen: Option<Vec<usize>>,
}

impl PaneCx<'_> {
    /// Start a job owned by this pane (replacing a running one of the same kind).
    pub fn start(&mut self, job: Job) {
        self.effects.push(Effect::Start(self.owner, job));
    }
    /// Stop this pane's job of `kind`, if running.
    pub fn stop(&mut self, kind: JobKind) {
        self.effects.push(Effect::Stop(JobId {
            owner: self.owner,
            kind,
        }));
    }
    pub fn toast(&mut self, text: impl Into<String>) {
        self.toasts.push((text.into(), false));
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.toasts.push((text.into(), true));
    }
}

/// A modal pane. Keys go to `key` first (text fields), then through the keymap (section
/// [`Pane::id`], then `global`) to `action`; unconsumed actions fall through to the view.
/// `Back` (Esc) closes the pane unless the pane consumes it. Closing stops its jobs.
pub trait Pane: AsAny + Send {
    /// Its registry id (= keymap section): `patch_now`, `command_output`, `export`.
    fn id(&self) -> &'static str;
    /// Shown in the pane border and the breadcrumbs.
    fn title(&self) -> String;
    fn size(&self) -> PaneSize {
        PaneSize::Modal {
            width_pct: 70,
            height_pct: 70,
        }
    }
    /// Raw key (for text input). Return `true` when consumed.
    fn key(&mut self, _key: &KeyEvent, _cx: &mut PaneCx<'_>) -> bool {
        false
    }
    /// Pasted text (bracketed paste). Return `true` when used.
    fn paste(&mut self, _text: &str, _cx: &mut PaneCx<'_>) -> bool {
        false
    }
    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled;
    /// Called once right after the pane was opened (start background jobs here: `open`
    /// itself cannot emit effects).
    fn opened(&mut self, _cx: &mut PaneCx<'_>) {}
    /// An answer from one of this pane's jobs (or the exit of its foreground command).
    fn job(&mut self, _kind: JobKind, _event: JobEvent, _cx: &mut PaneCx<'_>) {}
    /// A new snapshot arrived.
    fn data_changed(&mut self, _cx: &mut PaneCx<'_>) {}
    /// Slow tick (≈1 s): return true to be redrawn (spinners, elapsed times).
    fn tick(&mut self, _now: DateTime<Utc>) -> bool {
        false
    }
    /// Draw inside `area` (already cleared and framed by the console).
    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme);
    /// Footer hints: (action, label) pairs; keys come from the live keymap.
    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![(Action::Back, "close")]
    }
}

/// A copy of the current table (filter and sort applied) as typed data, for exports:
/// every column, and which of them are on screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableCopy {
    pub view: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<crate::report::table::Cell>>,
    /// Columns drawn at the current width, with their companions (an account's id).
    pub visible: Vec<usize>,
}

/// The exported value of a cell: the view's typed value, with what is only a screen glyph
/// made data — a lone placeholder (`-`, `?`, `—`, `never`) is empty, a zero drawn as `·`
/// is 0 in a number column (empty elsewhere), and a number column's `1,234` or `85.0%`
/// is a number. Every export goes through it, so a view that forgets a `value` override
/// still writes no glyph.
pub fn export_cell(
    v: crate::report::table::Cell,
    col: &crate::ui::table::Column,
) -> crate::report::table::Cell {
    use crate::report::table::Cell;
    let Cell::Text(s) = v else { return v };
    match s.trim() {
        "" | "-" | "?" | "—" | "never" | "never run" => return Cell::Empty,
        "·" if col.right => return Cell::Int(0),
        "·" => return Cell::Empty,
        _ => {}
    }
    if col.right {
        let digits = s.trim().replace(',', "");
        if let Ok(n) = digits.parse::<i64>() {
            return Cell::Int(n);
        }
        if let Some(p) = digits.strip_suffix('%')
            && let Ok(x) = p.parse::<f64>()
        {
            return Cell::Num(x);
        }
    }
    Cell::Text(s)
}

/// Target nodes and how they were chosen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Targets {
    /// Marked nodes if any; else the node shown (node detail), the nodes of the selected
    /// account / OU / breakdown row, or every row of the current nodes filter.
    pub nodes: Vec<NodeKey>,
    /// "3 marked", "filter /account:prod", "account prod-web", ...
    pub from: String,
}

/// What the user is pointing at when something opens. Computed lazily: a pane asks only
/// for what it needs (a copy of the table exists only when an export asks for it).
pub struct Selection<'a> {
    pub view: &'a dyn View,
    pub data: Option<&'a Data>,
    pub marks: &'a HashSet<String>,
    /// Arguments of the `:command` that opened it (empty for keys).
    pub args: String,
    pub readonly: bool,
    pub now: DateTime<Utc>,
    /// The profile and regions in use, and the regions known (`:ctx`, `:region`).
    pub ctx: &'a crate::ui::context::Ctx,
}

impl<'a> Selection<'a> {
    /// The current view's id.
    pub fn view_id(&self) -> &'static str {
        self.view.id()
    }
    pub fn snapshot(&self) -> Option<&'a Arc<FleetSnapshot>> {
        self.data.map(|d| &d.snapshot)
    }
    pub fn aggregates(&self) -> Option<&'a Arc<Aggregates>> {
        self.data.map(|d| &d.aggregates)
    }
    /// The node under the cursor (nodes view) or shown (node detail).
    pub fn node(&self) -> Option<NodeKey> {
        self.view.node()
    }
    /// The selected command (`:commands`).
    pub fn command(&self) -> Option<&'a CommandSummary> {
        self.data.and(self.view.command())
    }
    /// The selected invocation in a node's recent Run Command invocations.
    pub fn invocation(&self) -> Option<&'a CommandInvocation> {
        self.view.invocation()
    }
    /// Target nodes: the marked ones if any, else what the view points at.
    pub fn targets(&self) -> Targets {
        let Some(d) = self.data else {
            return Targets::default();
        };
        if !self.marks.is_empty() {
            let nodes: Vec<NodeKey> = d
                .snapshot
                .nodes
                .iter()
                .filter(|n| self.marks.contains(&n.instance_id))
                .map(|n| n.key())
                .collect();
            let from = format!("{} marked", nodes.len());
            return Targets { nodes, from };
        }
        let (nodes, from) = self.view.targets(d, self.now);
        Targets { nodes, from }
    }
    /// How [`Selection::targets`] would choose ("3 marked", "filter /x"), without the list.
    pub fn targets_from(&self) -> String {
        let Some(d) = self.data else {
            return String::new();
        };
        if !self.marks.is_empty() {
            let n = d
                .snapshot
                .nodes
                .iter()
                .filter(|n| self.marks.contains(&n.instance_id))
                .count();
            return format!("{n} marked");
        }
        self.view.targets_from(d, self.now)
    }

    /// The current table as shown, for "export this view".
    pub fn table(&self) -> Option<TableCopy> {
        self.view.table().map(|(t, src)| {
            let cols = src.columns();
            let shown = t.drawn_columns(cols);
            // on-screen columns (scrolled into view or not), each followed by its companions (an account name's id)
            let mut visible = Vec::new();
            for &c in &shown {
                visible.push(c);
                for (i, col) in cols.iter().enumerate() {
                    if col.with == Some(c) && !shown.contains(&i) {
                        visible.push(i);
                    }
                }
            }
            TableCopy {
                view: self.view.id().to_string(),
                columns: cols.iter().map(|c| c.title.to_string()).collect(),
                rows: t
                    .order
                    .iter()
                    .map(|&r| {
                        (0..cols.len())
                            .map(|c| export_cell(src.value(r as usize, c), &cols[c]))
                            .collect()
                    })
                    .collect(),
                visible,
            }
        })
    }
}
