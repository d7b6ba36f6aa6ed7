//! What flows through the console: user intents ([`Action`], bindable by name in keymaps),
//! machine events ([`Msg`]); the side effects `update` returns are in [`super::effect`].

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

pub use super::effect::{Effect, Job, JobEvent, JobId, JobKind, Owner};
use crate::model::FleetUpdate;

/// A user intent. Every variant is bindable in a keymap by its snake_case name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumString, strum::Display, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    Back,
    Open,
    CommandMode,
    FilterMode,
    ClearFilter,
    Refresh,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    SortNext,
    SortPrev,
    SortReverse,
    Mark,
    MarkAll,
    ClearMarks,
    /// Vim visual line: start / end a range of marks that moves extend.
    VisualLine,
    /// Every column (k9s ctrl-w) / fit the screen.
    ToggleWide,
    /// Copy the row's id / ARN to the clipboard (OSC 52).
    Copy,
    NextTab,
    PrevTab,
    ViewOrg,
    ViewNodes,
    ViewCompliance,
    ViewCerts,
    ViewCommands,
    ViewErrors,
    /// Open the patch-now pane (actions engineer registers it).
    PatchNow,
    /// Open the Run Command output pane for the selected command/invocation.
    CommandOutput,
    /// Start a Session Manager shell on the selected node.
    Session,
    /// Export the current view (reports engineer registers the dialog).
    Export,
    /// Export the full report.
    ExportReport,
    /// Command pane: cancel the running command (asks first).
    CancelCommand,
    /// Command pane: save the output to a file.
    SaveOutput,
    /// Command pane: follow the output of a running target.
    FollowOutput,
    /// Command pane: next / previous search match in the output.
    NextMatch,
    PrevMatch,
    /// Describe the selected row (k9s `d`).
    Describe,
    /// Raw JSON of the selected row's record (k9s `y`).
    RawView,
    /// Choose, order and save the table's columns (`views.toml`).
    ChooseColumns,
    /// Open the run pane (Run Command on the marked / filtered nodes).
    RunCommand,
    /// Run again (through the preview and confirmation): the failed targets, the selected
    /// variant's nodes, or the selected past command.
    Rerun,
    /// Command pane: the outputs grouped into variants.
    Variants,
    /// Lists: scroll the columns left / right (the first column stays; `◂ 3` / `4 ▸` in
    /// the header count the columns out of view).
    ScrollLeft,
    ScrollRight,
}

impl Action {
    /// One-line description for the help overlay.
    pub fn describe(self) -> &'static str {
        use Action::*;
        match self {
            Quit => "Quit ssmdeck",
            Help => "Show this help",
            Back => "Back / close / clear",
            Open => "Open / drill down",
            CommandMode => "Command mode (:nodes, :org, ...)",
            FilterMode => "Filter the table",
            ClearFilter => "Clear the filter",
            Refresh => "Refresh now",
            Up => "Move up",
            Down => "Move down",
            PageUp => "Page up",
            PageDown => "Page down",
            Top => "First row",
            Bottom => "Last row",
            SortNext => "Sort by next column",
            SortPrev => "Sort by previous column",
            SortReverse => "Reverse sort order",
            Mark => "Mark / unmark row",
            MarkAll => "Mark all filtered rows",
            ClearMarks => "Clear marks",
            VisualLine => "Mark a range: start / end (moves extend it)",
            ToggleWide => {
                "Wide: every column / fit the screen (an output: one row per line / wrapped)"
            }
            Copy => "Copy the row's id / ARN, or the describe / raw text (OSC 52 clipboard)",
            NextTab => "Next section / breakdown",
            PrevTab => "Previous section / breakdown",
            ViewOrg => "Organization view",
            ViewNodes => "Nodes view",
            ViewCompliance => "Compliance dashboard",
            ViewCerts => "Certificates view",
            ViewCommands => "Run Command history",
            ViewErrors => "Collection errors",
            PatchNow => "Patch now (marked / filtered nodes)",
            CommandOutput => "Show command output",
            Session => "Session Manager shell",
            CancelCommand => "Cancel the running command",
            SaveOutput => "Save the command output to a file",
            FollowOutput => "Follow the output while it runs",
            NextMatch => "Next search match",
            PrevMatch => "Previous search match",
            Export => "Export this view",
            ExportReport => "Export the full report",
            Describe => "Describe the selected row (every field)",
            RawView => "Raw JSON of the selected row",
            ChooseColumns => "Choose and order the columns (saved in views.toml)",
            RunCommand => "Run Command: a shell command or document (marked / filtered nodes)",
            Rerun => "Run again: failed targets, a variant's nodes, or this command",
            Variants => "Outputs grouped into variants (diff against the majority)",
            ScrollLeft => "Scroll the columns left (◂ N: columns out of view on the left)",
            ScrollRight => "Scroll the columns right (N ▸: columns out of view on the right)",
        }
    }

    /// Short label for footer hints.
    pub fn hint(self) -> &'static str {
        use Action::*;
        match self {
            Quit => "quit",
            Help => "help",
            Back => "back",
            Open => "open",
            CommandMode => "cmd",
            FilterMode => "filter",
            SortNext => "sort",
            SortReverse => "reverse",
            Mark => "mark",
            MarkAll => "mark all",
            VisualLine => "range",
            ToggleWide => "wide",
            Copy => "copy",
            NextTab => "tab",
            Refresh => "refresh",
            PatchNow => "patch",
            Export => "export",
            CommandOutput => "output",
            Session => "shell",
            CancelCommand => "cancel",
            SaveOutput => "save",
            FollowOutput => "follow",
            NextMatch => "next",
            Describe => "describe",
            RawView => "raw",
            ChooseColumns => "columns",
            RunCommand => "run",
            Rerun => "re-run",
            Variants => "variants",
            ScrollRight => "columns",
            _ => "",
        }
    }

    pub fn all() -> &'static [Action] {
        <Action as strum::VariantArray>::VARIANTS
    }
}

/// Machine events: input, data, time, job results.
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Slow tick: advances the clock used for ages and spinners.
    Tick(DateTime<Utc>),
    Fleet(FleetUpdate),
    /// An answer from a background job to its owner (a pane or a view).
    Job(JobId, JobEvent),
    /// Text pasted into the terminal (bracketed paste): to the top pane's text field.
    Paste(String),
    /// The terminal asked us to stop (SIGTERM / SIGHUP).
    Terminate,
    /// The patch index's latest state (forwarded from the indexer by the runtime).
    PatchIndex(super::data::PatchIndexFeed),
    /// `:ctx` / `:region`: the source's answer to `Effect::TryContext`.
    Context(super::context::ContextEvent),
    /// A data message of context `epoch` (the feed's snapshots, the patch index): dropped
    /// when the console has switched to another context since.
    OfContext(u64, Box<Msg>),
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Key(k) => write!(f, "Key({k:?})"),
            Msg::Resize(w, h) => write!(f, "Resize({w},{h})"),
            Msg::Tick(t) => write!(f, "Tick({t})"),
            Msg::Fleet(_) => write!(f, "Fleet(..)"),
            Msg::Job(id, ev) => write!(f, "Job({id:?}, {ev:?})"),
            Msg::Paste(t) => write!(f, "Paste({} chars)", t.chars().count()),
            Msg::Terminate => write!(f, "Terminate"),
            Msg::PatchIndex(p) => write!(f, "PatchIndex({:?})", p.progress),
            Msg::Context(e) => write!(f, "Context({e:?})"),
            Msg::OfContext(e, m) => write!(f, "OfContext({e}, {m:?})"),
        }
    }
}
