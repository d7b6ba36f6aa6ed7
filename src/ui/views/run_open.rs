//! How the run pane opens: `:run` / `x` on the marked or filtered nodes, `R` on a past
//! command in `:commands`. Kept apart from `run.rs` and `command_output.rs` (each opens the
//! other: the run pane hands a confirmed run to the command pane, the command pane re-runs
//! through the run pane), so neither imports the other's opener.

use crate::actions::panes::run::RunPane;
use crate::actions::run_plan::{RunOptions, RunWhat};
use crate::actions::targets::TargetScope;

use super::super::action::Action;
use super::command_output::CommandOutputPane;
use super::contract::{Open, Pane, Selection, Spec};
use super::run::{ID, RunPaneView};

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["run", "run-command"],
    describe: "Run Command: a shell command or any document on the marked / filtered nodes (:run CMD prefills the command)",
    action: Some(Action::RunCommand),
    table: false,
    scoped: false,
    open: Open::Pane(open),
};

fn open(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    let snap = sel
        .snapshot()
        .ok_or_else(|| "Run Command needs fleet data: wait for the first refresh".to_string())?;
    let scope = super::preview::selected_scope(sel, "Run Command")?;
    let mut pane = RunPaneView::new(
        ID,
        RunPane::new(snap, scope, sel.readonly),
        snap.clone(),
        CommandOutputPane::boxed_for_run,
    );
    let args = sel.args.trim();
    if !args.is_empty() {
        pane.model.paste(snap, args);
    }
    Ok(Box::new(pane))
}

pub const RERUN_ID: &str = "rerun";

/// `R` on a past command (`:commands`): the run pane prefilled with what it ran, on its
/// targets, through the same preview and confirmation.
pub const RERUN_SPEC: Spec = Spec {
    id: RERUN_ID,
    commands: &["rerun"],
    describe: "Run the selected command again (same document and parameters, its targets)",
    action: Some(Action::Rerun),
    table: false,
    scoped: false,
    open: Open::Pane(open_rerun),
};

fn open_rerun(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    let snap = sel
        .snapshot()
        .ok_or_else(|| "Run Command needs fleet data: wait for the first refresh".to_string())?;
    let cmd = sel
        .command()
        .ok_or_else(|| "Select a command in :commands to run it again".to_string())?;
    if cmd.instance_ids.is_empty() {
        return Err(format!(
            "Command {} targeted {} (not instance ids): mark the nodes and use :run",
            crate::text::sanitize(&cmd.command_id),
            crate::text::sanitize(&cmd.targets.join(", "))
        ));
    }
    let keys: Vec<crate::model::NodeKey> = cmd
        .instance_ids
        .iter()
        .map(|id| crate::model::NodeKey {
            account_id: cmd.account_id.clone(),
            region: cmd.region.clone(),
            instance_id: id.clone(),
        })
        .collect();
    let scope = TargetScope::Nodes {
        label: format!(
            "{} target{} of {}",
            keys.len(),
            if keys.len() == 1 { "" } else { "s" },
            crate::text::sanitize(&cmd.command_id)
        ),
        keys,
    };
    let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let options = RunOptions {
        max_concurrency: opt(&cmd.max_concurrency),
        max_errors: opt(&cmd.max_errors),
        comment: cmd.comment.clone(),
        ..RunOptions::default()
    };
    let what = RunWhat::of_command(cmd);
    let model = RunPane::with_what(snap, scope, &what, &options, sel.readonly);
    Ok(Box::new(RunPaneView::new(
        RERUN_ID,
        model,
        snap.clone(),
        CommandOutputPane::boxed_for_run,
    )))
}
