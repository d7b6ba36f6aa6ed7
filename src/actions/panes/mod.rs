//! Pane models (state + input handling, no drawing) for the console's action panes: the
//! patch-now pane and the command pane with its output viewer. The console's views
//! (`src/ui/views/patch_now.rs`, `command_output.rs`) draw them and map keys to [`PaneInput`].

pub mod command;
pub mod editor;
pub mod patch;
pub mod run;

/// Keys the pane models understand (the console maps its keymap actions and raw keys here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaneInput {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Next field (Tab).
    NextField,
    /// Previous field (Shift-Tab).
    PrevField,
    Left,
    Right,
    /// Space on a choice field.
    Toggle,
    Char(char),
    Backspace,
    /// Delete (the character under the cursor).
    Delete,
    /// Enter.
    Submit,
    /// Esc.
    Back,
    /// Cancel the running command (asks first).
    CancelCommand,
    /// Save the output to a file.
    Save,
    /// Start searching the output (`/`).
    Search,
    NextMatch,
    PrevMatch,
    /// Toggle follow mode.
    Follow,
    /// Next sort order of the targets.
    Sort,
    /// Show / hide the variants.
    Variants,
    /// Run again: the failed targets, or the selected variant's nodes.
    Rerun,
}
