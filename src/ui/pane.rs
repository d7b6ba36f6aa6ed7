//! Panes: modal overlays on top of the view stack (help is built in; the actions engineer's
//! patch-now and command-output panes and the reports engineer's export dialog plug in
//! here). See `src/ui/mod.rs` for how to register one.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::{Action, Effect, PanePayload};
use super::state::ViewKind;
use super::theme::Theme;
use crate::model::{Aggregates, CommandInvocation, CommandSummary, FleetSnapshot, NodeKey};

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

/// What a pane may touch while handling input or messages.
pub struct PaneCx<'a> {
    pub now: DateTime<Utc>,
    pub snapshot: Option<&'a Arc<FleetSnapshot>>,
    pub aggregates: Option<&'a Arc<Aggregates>>,
    pub readonly: bool,
    /// Effects for the runtime (jobs, refreshes, foreground commands).
    pub effects: Vec<Effect>,
    /// Set to close this pane.
    pub close: bool,
    /// Toasts to show: (text, is_error).
    pub toasts: Vec<(String, bool)>,
    /// Open another pane on top (e.g. patch-now opening the command-output pane).
    pub open: Option<Box<dyn Pane>>,
}

impl PaneCx<'_> {
    pub fn toast(&mut self, text: impl Into<String>) {
        self.toasts.push((text.into(), false));
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.toasts.push((text.into(), true));
    }
}

/// A modal pane. Keys go to `key` first (text fields), then through the keymap (section
/// [`Pane::id`], then `global`) to `action`; unconsumed actions fall through to the view.
/// `Back` (Esc) closes the pane unless the pane consumes it.
pub trait Pane: Send {
    /// Keymap section and message routing id (`patch_now`, `command_output`, `export`).
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
    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled;
    /// Called once right after the pane was opened from its [`PaneSpec`] (start background
    /// jobs here: `open` itself cannot emit effects).
    fn opened(&mut self, _cx: &mut PaneCx<'_>) {}
    /// A payload from this pane's background job (`JobCtx::send`), or the exit status of a
    /// foreground command.
    fn message(&mut self, _payload: PanePayload, _cx: &mut PaneCx<'_>) {}
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

/// A flat copy of the current table as shown (filter and sort applied), for exports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableCopy {
    pub view: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What the user is pointing at when a pane is opened.
pub struct Selection<'a> {
    pub view: ViewKind,
    pub snapshot: Option<&'a Arc<FleetSnapshot>>,
    pub aggregates: Option<&'a Arc<Aggregates>>,
    /// Target nodes: marked nodes if any; else the selected node (node detail), the nodes of
    /// the selected account / OU / breakdown row, or every row of the current nodes filter.
    pub nodes: Vec<NodeKey>,
    /// How `nodes` was chosen ("3 marked", "filter account:prod", "account prod-web", ...).
    pub nodes_from: String,
    /// The selected command (`:commands`), if any.
    pub command: Option<&'a CommandSummary>,
    /// The node under the cursor (nodes view) or shown (node detail), if any.
    pub node: Option<NodeKey>,
    /// The selected invocation in a node's recent Run Command invocations, if any.
    pub invocation: Option<&'a CommandInvocation>,
    /// The current table as shown, for "export this view".
    pub table: Option<TableCopy>,
    /// The selected row described (`d` / `y`), or why there is nothing to describe.
    pub doc: Result<super::describe::Doc, String>,
    /// Arguments of the `:command` that opened the pane (empty for keys).
    pub args: String,
    pub readonly: bool,
    pub now: DateTime<Utc>,
}

/// A pane kind other modules register (one line in [`registry`]).
pub struct PaneSpec {
    /// Pane id; also its keymap section.
    pub id: &'static str,
    /// The key action that opens it (bound in keymaps), if any.
    pub action: Option<Action>,
    /// `:commands` that open it (first = canonical name).
    pub commands: &'static [&'static str],
    pub describe: &'static str,
    /// Build the pane from the selection, or explain why not (shown as a toast).
    pub open: fn(&Selection<'_>) -> Result<Box<dyn Pane>, String>,
}

/// Every registered pane. To add one: write `src/ui/views/<your_pane>.rs` implementing
/// [`Pane`] with a `pub fn spec() -> PaneSpec`, add `pub mod <your_pane>;` in
/// `src/ui/views/mod.rs`, and add `super::views::<your_pane>::spec(),` below.
pub fn registry() -> Vec<PaneSpec> {
    vec![
        super::views::patch_now::spec(),
        super::views::command_output::spec(),
        super::views::session::spec(),
        super::views::export::spec(),
        super::views::export::report_spec(),
        super::views::describe::spec(),
        super::views::describe::raw_spec(),
    ]
}
