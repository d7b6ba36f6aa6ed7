//! Test helpers for the patch-schedule views: open a window or an execution the way a user
//! does (shared by the snapshot, size and schedule tests), and fixture task invocations.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Effect, Msg};
use super::effect::{Job, JobEvent, JobId, JobKind};
use super::keymap::Keymap;
use super::state::State;
use super::update::update;
use super::views::execution::ExecutionView;
use super::views::window::WindowView;
use crate::model::patching::{MaintenanceWindow, TaskInvocation, WindowExecution};

/// The task invocations an execution of `w` had: one per target node, failed where the
/// execution lists it.
pub(super) fn invocations(w: &MaintenanceWindow, e: &WindowExecution) -> Vec<TaskInvocation> {
    let failed = e.failed_targets.clone().unwrap_or_default();
    let mut nodes: Vec<String> = w
        .targets
        .iter()
        .flat_map(|t| match &t.resolved {
            crate::model::patching::Resolution::Nodes(v) => v.clone(),
            _ => Vec::new(),
        })
        .collect();
    nodes.sort();
    nodes
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let bad = failed.contains(&id);
            TaskInvocation {
                status: if bad { "FAILED" } else { "SUCCESS" }.into(),
                status_details: if bad {
                    "Failed: 1 plugin(s) failed (PatchLinux exit code 1)".into()
                } else {
                    "Success".into()
                },
                command_id: format!("5c0a3bd2-1f6e-4a55-9c1a-00000000{i:04}"),
                window_target_id: "tgt-production".into(),
                start: e.start,
                end: e.end,
                instance_id: id,
            }
        })
        .collect()
}

/// One key through the default keymap, then the frame's prepare (as the runtime does).
fn key(s: &mut State, k: &Keymap, code: KeyCode) -> Vec<Effect> {
    let fx = update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), k);
    s.prepare();
    fx
}

fn typed(s: &mut State, k: &Keymap, text: &str) {
    for c in text.chars() {
        key(s, k, KeyCode::Char(c));
    }
}

/// The filter `drill` opens a window with: the production window whose last run failed.
pub(super) const FAILED_WINDOW: &str = "name:prod-patch-sun status:failed";

/// Open a window (`window`) or its newest execution with its invocations answered
/// (`execution`), as a user does: `:windows`, filter to the production window whose last
/// run failed, Enter, Enter.
pub(super) fn drill(s: &mut State, kind: &str) {
    let k = &Keymap::load("default", std::path::Path::new("/nonexistent")).expect("default keymap");
    key(s, k, KeyCode::Char(':'));
    typed(s, k, "windows");
    key(s, k, KeyCode::Enter);
    key(s, k, KeyCode::Char('/'));
    typed(s, k, FAILED_WINDOW);
    key(s, k, KeyCode::Enter);
    key(s, k, KeyCode::Enter);
    if kind != "execution" || s.view_as::<WindowView>().is_none() {
        return;
    }
    let fx = key(s, k, KeyCode::Enter);
    let Some(v) = s.view_as::<ExecutionView>() else {
        return;
    };
    let owner = s.stack.last().expect("a view").owner;
    if !fx
        .iter()
        .any(|e| matches!(e, Effect::Start(o, Job::WindowInvocations { .. }) if *o == owner))
    {
        return;
    }
    let snap = s.data.as_ref().expect("data").snapshot.clone();
    let Some(w) =
        snap.schedules.windows.iter().find(|w| {
            w.name == v.window_name && w.account_id == v.account_id && w.region == v.region
        })
    else {
        return;
    };
    let inv = invocations(w, &v.execution);
    update(
        s,
        Msg::Job(
            JobId {
                owner,
                kind: JobKind::WindowInvocations,
            },
            JobEvent::WindowInvocations(Ok(inv)),
        ),
        k,
    );
    s.prepare();
}
