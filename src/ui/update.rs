//! `update`: the only place state changes. Keys are resolved through the keymap into
//! actions; data and job results arrive as messages; side effects are returned as data
//! ([`Effect`]), not run. Views and panes are opened through the registry
//! ([`super::views::REGISTRY`]); when one goes, `update` asks the runner to stop its jobs.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Msg};
use super::command::{self, Command};
use super::context::{ContextChoice, ContextEvent};
use super::effect::{Effect, JobId, Owner};
use super::keymap::Keymap;
use super::state::{Data, Owned, Prompt, PromptKind, State};
use super::views::contract::{Handled, Open, Pane, PaneCx, Selection, Spec, View, ViewCx};
use crate::model::FleetUpdate;

/// How long a toast stays in the footer.
const TOAST_SECS: i64 = 6;

pub fn update(state: &mut State, msg: Msg, keymap: &Keymap) -> Vec<Effect> {
    // data of a context the console has switched away from: dropped, never mixed in
    let msg = match msg {
        Msg::OfContext(epoch, inner) if epoch == state.ctx.epoch => *inner,
        Msg::OfContext(..) => return Vec::new(),
        m => m,
    };
    let mut fx = Vec::new();
    // Data messages only store the data; the active view is rebuilt lazily (before a key
    // acts on it, or before the next frame), so a burst of partial snapshots costs one build.
    let lazy = matches!(
        msg,
        Msg::Fleet(_) | Msg::Tick(_) | Msg::Job(..) | Msg::PatchIndex(_)
    );
    if !lazy {
        state.prepare();
    }
    match msg {
        Msg::Key(k) => key(state, &k, keymap, &mut fx),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            state.dirty = true;
        }
        Msg::Tick(now) => tick(state, now),
        Msg::Fleet(u) => fleet(state, u, &mut fx),
        Msg::Job(id, event) => job(state, id, event, &mut fx),
        Msg::Paste(text) => {
            if let Some(top) = state.panes.len().checked_sub(1) {
                with_pane(state, top, &mut fx, |p, cx| {
                    p.paste(&text, cx);
                });
            }
        }
        Msg::Terminate => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        Msg::PatchIndex(feed) => patch_index(state, feed),
        Msg::Context(e) => context_event(state, e, &mut fx),
        // tagged twice: not sent by anything
        Msg::OfContext(..) => {}
    }
    if !lazy {
        state.prepare();
    }
    fx
}

fn tick(state: &mut State, now: chrono::DateTime<chrono::Utc>) {
    state.now = now;
    if state.loading() || state.ctx.pending.is_some() {
        state.spinner = state.spinner.wrapping_add(1);
        state.dirty = true;
    }
    let before = state.toasts.len();
    state
        .toasts
        .retain(|t| (now - t.at).num_seconds() < TOAST_SECS);
    if state.toasts.len() != before {
        state.dirty = true;
    }
    let label = super::views::frame::age_label(state);
    if label != state.age_label {
        state.age_label = label;
        state.dirty = true;
    }
    let mut redraw = false;
    for p in state.panes.iter_mut() {
        redraw |= p.tick(now);
    }
    if redraw {
        state.dirty = true;
    }
}

fn fleet(state: &mut State, u: FleetUpdate, fx: &mut Vec<Effect>) {
    state.dirty = true;
    match u {
        FleetUpdate::Snapshot {
            snapshot,
            aggregates,
        } => {
            let first = state.data.is_none();
            let generation = state.data.as_ref().map(|d| d.generation + 1).unwrap_or(1);
            // the cache's own picture is as old as it was when saved; the refresh building
            // on it (`from_cache` while it shows any of it) keeps that age until it completes
            let complete_at = if snapshot.from_cache && first {
                Some(snapshot.collected_at)
            } else if snapshot.complete {
                Some(snapshot.data_as_of().unwrap_or(state.now))
            } else {
                state.data.as_ref().and_then(|d| d.complete_at)
            };
            let previous = state.data.as_ref().map(|d| d.last_outcome);
            let last_outcome =
                crate::ui::data::Outcome::of(&snapshot, previous.unwrap_or_default());
            state.data = Some(Data {
                snapshot,
                aggregates,
                generation,
                complete_at,
                last_outcome,
                stale_days: if state.meta.stale_days > 0 {
                    state.meta.stale_days
                } else {
                    7
                },
                patch_index: state
                    .data
                    .as_ref()
                    .map(|d| d.patch_index.clone())
                    .or_else(|| state.pending_index.take())
                    .unwrap_or_default(),
            });
            state.fatal = None;
            if let Some(d) = &state.data {
                let known = &mut state.ctx.known_regions;
                known.extend(d.snapshot.regions.iter().cloned());
            }
            for i in 0..state.panes.len() {
                with_pane(state, i, fx, |p, cx| p.data_changed(cx));
            }
            if first && let Some(start) = state.startup.take() {
                startup(state, start, fx);
            }
        }
        FleetUpdate::Notice { message, is_error } => {
            let message = crate::text::sanitize(&message);
            if is_error && state.data.is_none() {
                state.fatal = Some(message.clone());
            }
            state.toast(message, is_error);
        }
        // on-demand answers (a node's patches, …): the topmost view that wants it
        mut other => {
            let now = state.now;
            for v in state.stack.iter_mut().rev() {
                match v.fleet(other, now) {
                    Some(back) => other = back,
                    None => return,
                }
            }
        }
    }
}

/// The patch index's latest state: kept with the data; a new index (not just progress)
/// bumps the generation so views answering from it rebuild once. Before any snapshot it
/// waits in an empty picture (the first snapshot keeps it).
fn patch_index(state: &mut State, feed: super::data::PatchIndexFeed) {
    state.dirty = true;
    let Some(d) = state.data.as_mut() else {
        state.pending_index = Some(feed);
        return;
    };
    if !std::sync::Arc::ptr_eq(&d.patch_index.index, &feed.index) {
        d.generation += 1;
    }
    d.patch_index = feed;
}

/// A job's answer, to its owner (dropped when the owner is gone).
fn job(state: &mut State, id: JobId, event: super::effect::JobEvent, fx: &mut Vec<Effect>) {
    if let Some(i) = state.panes.iter().position(|p| p.owner == id.owner) {
        with_pane(state, i, fx, |p, cx| p.job(id.kind, event, cx));
    } else if let Some(i) = state.stack.iter().position(|v| v.owner == id.owner) {
        with_view(state, i, fx, |v, cx| v.job(id.kind, event, cx));
        state.dirty = true;
    }
}

/// Remember owners that start jobs (so their jobs are stopped when they go).
fn note_jobs(state: &mut State, effects: &[Effect]) {
    for e in effects {
        if let Effect::Start(o, _) | Effect::Foreground(o, _) = e {
            state.job_owners.insert(*o);
        }
    }
}

/// A view or pane went: stop its jobs, if it started any.
fn gone(state: &mut State, owner: Owner, fx: &mut Vec<Effect>) {
    if state.job_owners.remove(&owner) {
        fx.push(Effect::StopAll(owner));
    }
}

/// Run `f` on view `i` of the stack with a context, then apply what it asked for.
fn with_view(
    state: &mut State,
    i: usize,
    fx: &mut Vec<Effect>,
    f: impl FnOnce(&mut dyn View, &mut ViewCx<'_>),
) {
    let slot = &mut state.stack[i];
    let mut cx = ViewCx {
        now: state.now,
        data: state.data.as_ref(),
        owner: slot.owner,
        effects: Vec::new(),
        push: None,
        drill: None,
        then: None,
        toasts: Vec::new(),
        switch: None,
    };
    f(&mut *slot.item, &mut cx);
    let ViewCx {
        effects,
        push,
        drill,
        then,
        toasts,
        switch,
        ..
    } = cx;
    note_jobs(state, &effects);
    fx.extend(effects);
    for (t, e) in toasts {
        state.toast(t, e);
    }
    if let Some(v) = push.or_else(|| drill.map(super::views::drill)) {
        push_view(state, v, fx);
    }
    if let Some(a) = then {
        apply(state, a, fx);
    }
    if let Some(c) = switch {
        begin_switch(state, c, fx);
    }
}

/// Push a view on the stack (drill down): built at once, then its `opened` hook (its first
/// jobs are in `fx`).
pub fn push_view(state: &mut State, mut v: Box<dyn View>, fx: &mut Vec<Effect>) {
    if let Some(data) = &state.data {
        v.ensure_built(data, state.now);
    }
    let owner = state.new_owner();
    state.stack.push(Owned { owner, item: v });
    let top = state.stack.len() - 1;
    with_view(state, top, fx, |v, cx| v.opened(cx));
}

/// Replace the whole stack with `v` (`:nodes`, a view key: k9s style).
fn replace_stack(state: &mut State, v: Box<dyn View>, fx: &mut Vec<Effect>) {
    state.visual = None;
    for old in std::mem::take(&mut state.stack) {
        gone(state, old.owner, fx);
    }
    let owner = state.new_owner();
    state.stack.push(Owned { owner, item: v });
    with_view(state, 0, fx, |v, cx| v.opened(cx));
}

/// Pop the top view (never the last one).
fn pop_view(state: &mut State, fx: &mut Vec<Effect>) {
    if state.stack.len() > 1
        && let Some(old) = state.stack.pop()
    {
        gone(state, old.owner, fx);
    }
}

/// Open a pane on top: it gets an owner, then its `opened` hook runs (its first jobs are
/// in `fx`). Public for tests and harnesses that build a pane directly.
pub fn push_pane(state: &mut State, p: Box<dyn Pane>, fx: &mut Vec<Effect>) {
    let owner = state.new_owner();
    state.panes.push(Owned { owner, item: p });
    state.dirty = true;
    let i = state.panes.len() - 1;
    with_pane(state, i, fx, |p, cx| p.opened(cx));
}

/// Close the top pane (its jobs stop).
/// The `:` prompt, empty, with every command offered.
fn open_command_prompt(state: &mut State) {
    state.prompt = Some(Prompt {
        kind: PromptKind::Command,
        input: String::new(),
        completions: command::complete("", state.data.as_ref()),
        selected: 0,
        before: String::new(),
    })
}

fn pop_pane(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some(p) = state.panes.pop() {
        gone(state, p.owner, fx);
    }
}

/// Run `f` on pane `i` with a context, then apply what it asked for. `true` when it closed.
fn with_pane(
    state: &mut State,
    i: usize,
    fx: &mut Vec<Effect>,
    f: impl FnOnce(&mut dyn Pane, &mut PaneCx<'_>),
) -> bool {
    let mut pane = state.panes.remove(i);
    let mut cx = PaneCx {
        now: state.now,
        snapshot: state.data.as_ref().map(|d| &d.snapshot),
        aggregates: state.data.as_ref().map(|d| &d.aggregates),
        readonly: state.meta.readonly,
        owner: pane.owner,
        effects: Vec::new(),
        close: false,
        toasts: Vec::new(),
        open: None,
        columns: None,
        switch: None,
    };
    f(&mut *pane.item, &mut cx);
    let PaneCx {
        effects,
        close,
        toasts,
        open,
        columns,
        switch,
        ..
    } = cx;
    if let Some(c) = columns {
        choose_columns(state, c, fx);
    }
    note_jobs(state, &effects);
    fx.extend(effects);
    if close {
        gone(state, pane.owner, fx);
    } else {
        state.panes.insert(i, pane);
    }
    for (t, e) in toasts {
        state.toast(t, e);
    }
    if let Some(p) = open {
        push_pane(state, p, fx);
    }
    if let Some(c) = switch {
        begin_switch(state, c, fx);
    }
    state.dirty = true;
    close
}

fn key(state: &mut State, k: &KeyEvent, keymap: &Keymap, fx: &mut Vec<Effect>) {
    if state.prompt.is_some() {
        prompt_key(state, k, fx);
        state.dirty = true;
        return;
    }
    if let Some(scroll) = state.help {
        // scrolling stops at the last page (the rows depend on the width)
        let max = super::help::max_scroll(state, keymap);
        let page = (super::help::inner_size(state.size).1 as usize)
            .saturating_sub(1)
            .max(1);
        let scroll = scroll.min(max);
        state.help = match keymap.resolve(&["help"], k) {
            Some(Action::Back | Action::Help) => None,
            Some(Action::Down) => Some((scroll + 1).min(max)),
            Some(Action::Up) => Some(scroll.saturating_sub(1)),
            Some(Action::PageDown) => Some((scroll + page).min(max)),
            Some(Action::PageUp) => Some(scroll.saturating_sub(page)),
            Some(Action::Top) => Some(0),
            Some(Action::Bottom) => Some(max),
            Some(Action::Quit) => {
                state.quit = true;
                fx.push(Effect::Quit);
                Some(scroll)
            }
            _ => Some(scroll),
        };
        state.dirty = true;
        return;
    }
    if let Some(top) = state.panes.len().checked_sub(1) {
        let section = state.panes[top].id();
        let mut consumed = false;
        with_pane(state, top, fx, |p, cx| consumed = p.key(k, cx));
        if consumed {
            return;
        }
        let Some(action) = keymap.resolve(&[section], k) else {
            return;
        };
        let mut handled = Handled::NotConsumed;
        if let Some(top) = state.panes.len().checked_sub(1) {
            with_pane(state, top, fx, |p, cx| handled = p.action(action, cx));
        }
        if handled == Handled::NotConsumed {
            match action {
                Action::Back => pop_pane(state, fx),
                Action::Quit => {
                    state.quit = true;
                    fx.push(Effect::Quit);
                }
                Action::Help => state.help = Some(0),
                Action::CommandMode => {
                    // `:` from a pane that does not read it (as in k9s: a command from
                    // anywhere): the panes close, their jobs stop, and the prompt opens
                    while !state.panes.is_empty() {
                        pop_pane(state, fx);
                    }
                    open_command_prompt(state);
                }
                _ => {}
            }
        }
        state.dirty = true;
        return;
    }
    let sections = super::views::sections(state.view().id());
    if let Some(a) = keymap.resolve(&sections, k) {
        apply(state, a, fx);
        state.dirty = true;
    } else if let KeyCode::Char(c) = k.code
        && c.is_ascii_uppercase()
        && !k
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        // k9s: shift+letter sorts by the column whose header has that letter underlined
        let reserved = keymap.bound_upper(&sections);
        if let Some((t, src)) = state.view_mut().table_mut() {
            let shown = t.shown_columns(src.columns());
            let hk = super::table::sort_hotkeys(src.columns(), &shown, &reserved);
            if let Some((col, _, _)) = hk.into_iter().find(|h| h.1 == c) {
                t.sort_toggle(src, col);
                state.dirty = true;
            }
        }
    }
}

/// The column chooser's choice: applied at once (the next layout uses it) and saved to
/// `views.toml` when the console has one.
fn choose_columns(
    state: &mut State,
    c: super::views::contract::ColumnChoice,
    fx: &mut Vec<Effect>,
) {
    let Some(table) = super::columns::ColumnPrefs::table_of(&super::views::column_tables(), c.cols)
    else {
        state.toast("this table's columns cannot be chosen", true);
        return;
    };
    state.meta.columns.set(table, c.cols, c.chosen);
    if let Some(path) = &state.meta.views_file {
        fx.push(Effect::SaveFile {
            path: path.clone(),
            text: state.meta.columns.to_toml(),
        });
    }
}

/// `-c/--command` and `--filter` from the command line, once there is data to resolve
/// them against.
fn startup(state: &mut State, start: super::state::Startup, fx: &mut Vec<Effect>) {
    state.prepare();
    if let Some(c) = &start.command {
        run_command(state, c, fx);
        state.prepare();
    }
    if let Some(f) = &start.filter {
        set_filter(state, f);
    }
}

/// Apply a user action to the current view (public for tests and the e2e harness).
pub fn apply(state: &mut State, a: Action, fx: &mut Vec<Effect>) {
    let page = state.body_rows().max(1) as isize;
    match a {
        Action::Quit => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        Action::Help => state.help = Some(0),
        Action::Back if state.visual.is_some() => state.visual = None,
        Action::Back => {
            let filtered = state
                .view()
                .table()
                .is_some_and(|(t, _)| !t.filter.text.is_empty());
            if filtered {
                set_filter(state, "");
            } else {
                pop_view(state, fx);
            }
        }
        Action::Open => open(state, fx),
        Action::CommandMode => open_command_prompt(state),
        Action::FilterMode => {
            if state.view().table().is_some() {
                let before = state
                    .view()
                    .table()
                    .map(|(t, _)| t.filter.text.clone())
                    .unwrap_or_default();
                state.prompt = Some(Prompt {
                    kind: PromptKind::Filter,
                    input: before.clone(),
                    completions: Vec::new(),
                    selected: 0,
                    before,
                });
            }
        }
        Action::ClearFilter => set_filter(state, ""),
        Action::Refresh => {
            fx.push(Effect::Refresh);
            state.toast("refreshing…", false);
            // the patch-schedule views: their data is read on its own (hourly) cadence
            if matches!(
                state.view().id(),
                "windows" | "window" | "execution" | "baselines"
            ) {
                fx.push(Effect::RefreshSchedules);
                state.toast("re-reading patch schedules…", false);
            }
        }
        Action::Up => move_by(state, -1),
        Action::Down => move_by(state, 1),
        Action::PageUp => move_by(state, -page),
        Action::PageDown => move_by(state, page),
        Action::Top => {
            if let Some((t, src)) = state.view_mut().table_mut() {
                t.top(src);
            }
            visual_marks(state);
        }
        Action::Bottom => {
            if let Some((t, src)) = state.view_mut().table_mut() {
                t.bottom(src);
            }
            visual_marks(state);
        }
        Action::SortNext | Action::SortPrev | Action::SortReverse => {
            if let Some((t, src)) = state.view_mut().table_mut() {
                // only over the columns drawn: the sort never moves to a hidden column
                match a {
                    Action::SortNext => t.sort_step(src, 1),
                    Action::SortPrev => t.sort_step(src, -1),
                    _ => {
                        let (col, desc) = (t.sort_col, !t.sort_desc);
                        t.sort_by(src, col, desc);
                    }
                }
            }
        }
        Action::Copy => {
            let text = state
                .view()
                .table()
                .and_then(|(t, src)| t.selected_row().map(|r| src.copy_text(r)))
                .map(|t| crate::text::sanitize(&t))
                .filter(|t| !t.is_empty());
            if let Some(t) = text {
                state.toast(format!("copied {t} (OSC 52 clipboard)"), false);
                fx.push(Effect::Clipboard(t));
            }
        }
        Action::ToggleWide => {
            if let Some((t, src)) = state.view_mut().table_mut() {
                t.wide = !t.wide;
                t.columns_changed(src);
                let msg = if t.wide {
                    "wide: every column (ctrl-w again: fit the screen)"
                } else {
                    "columns fitted to the screen"
                };
                state.toast(msg, false);
            }
        }
        Action::ScrollLeft | Action::ScrollRight => {
            if let Some((t, src)) = state.view_mut().table_mut() {
                let d = if a == Action::ScrollLeft { -1 } else { 1 };
                t.scroll_columns(src.columns(), d);
            }
        }
        Action::VisualLine => {
            if state.visual.is_some() {
                state.visual = None;
            } else if let Some((t, _)) = state.view().table()
                && !t.order.is_empty()
            {
                state.visual = Some(super::state::Visual {
                    base: state.marks.clone(),
                    anchor: t.cursor,
                });
                visual_marks(state);
            }
        }
        Action::Mark => {
            let id = state
                .view()
                .table()
                .and_then(|(t, src)| t.selected_row().map(|r| src.id(r)));
            if let Some(id) = id {
                if !state.marks.remove(&id) {
                    state.marks.insert(id);
                }
                move_by(state, 1);
            }
        }
        Action::MarkAll => {
            let ids = state
                .view()
                .table()
                .map(|(t, src)| t.filtered_ids(src))
                .unwrap_or_default();
            if !ids.is_empty() && ids.iter().all(|i| state.marks.contains(i)) {
                for i in &ids {
                    state.marks.remove(i);
                }
            } else {
                state.marks.extend(ids);
            }
        }
        Action::ClearMarks => {
            state.visual = None;
            state.marks.clear();
        }
        Action::NextTab => {
            state.view_mut().tab(1);
        }
        Action::PrevTab => {
            state.view_mut().tab(-1);
        }
        // only meaningful inside the command pane, which consumes them
        Action::CancelCommand
        | Action::SaveOutput
        | Action::FollowOutput
        | Action::NextMatch
        | Action::PrevMatch
        | Action::Variants => {}
        // views and panes with a key: from the registry
        Action::ViewOrg
        | Action::ViewNodes
        | Action::ViewCompliance
        | Action::ViewCerts
        | Action::ViewCommands
        | Action::ViewErrors
        | Action::PatchNow
        | Action::Describe
        | Action::RawView
        | Action::CommandOutput
        | Action::Session
        | Action::Export
        | Action::ExportReport
        | Action::ChooseColumns
        | Action::RunCommand
        | Action::Rerun => match super::views::by_action(a) {
            Some(spec) => open_spec(state, spec, String::new(), fx),
            None => state.toast(
                format!("{} is not available in this build", a.describe()),
                false,
            ),
        },
    }
}

fn move_by(state: &mut State, d: isize) {
    if let Some((t, src)) = state.view_mut().table_mut() {
        t.move_by(src, d);
    }
    if state.visual.is_some() {
        visual_marks(state);
    }
}

/// Marks = the marks from before `V` plus every row between the anchor and the cursor.
fn visual_marks(state: &mut State) {
    let Some(v) = state.visual.clone() else {
        return;
    };
    let Some((t, src)) = state.view().table() else {
        return;
    };
    let (a, b) = if v.anchor <= t.cursor {
        (v.anchor, t.cursor)
    } else {
        (t.cursor, v.anchor)
    };
    let mut marks = v.base.clone();
    for &r in t
        .order
        .get(a..=b.min(t.order.len().saturating_sub(1)))
        .unwrap_or(&[])
    {
        marks.insert(src.id(r as usize));
    }
    state.marks = marks;
}

fn set_filter(state: &mut State, text: &str) {
    let mut problem = None;
    if let Some((t, src)) = state.view_mut().table_mut() {
        t.set_filter(src, text);
        problem = t.filter_error.clone();
    }
    // the breadcrumb line may cut it: `:messages` keeps it whole — once: the filter is
    // checked at every keystroke, and each keystroke's problem replaces the one before (a
    // filter typed to the end without a problem leaves none)
    state
        .messages
        .retract_last(|m| m.error && m.text.starts_with("filter /"));
    if let Some(p) = problem {
        let now = state.now;
        state.messages.push(super::messages::Message {
            at: now,
            error: true,
            text: format!("filter /{text}: {p}"),
        });
    }
}

/// Enter: the view decides (drill down, open a pane, show a detail).
fn open(state: &mut State, fx: &mut Vec<Effect>) {
    if state.data.is_none() && state.view().needs_data() {
        return;
    }
    let top = state.stack.len() - 1;
    with_view(state, top, fx, |v, cx| v.enter(cx));
}

/// Open a registry entry: a view replaces the stack, a pane opens on top; a refusal (a bad
/// argument, nothing selected) is an error toast.
pub fn open_spec(state: &mut State, spec: &Spec, args: String, fx: &mut Vec<Effect>) {
    let sel = selection(state, args);
    match spec.open {
        Open::View(open) => match open(&sel) {
            Ok(v) => replace_stack(state, v, fx),
            Err(e) => state.toast(e, true),
        },
        Open::Pane(open) => match open(&sel) {
            Ok(p) => push_pane(state, p, fx),
            Err(e) => state.toast(e, true),
        },
    }
}

fn run_command(state: &mut State, line: &str, fx: &mut Vec<Effect>) {
    match command::parse(line) {
        Ok(Command::Quit) => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        Ok(Command::Help) => state.help = Some(0),
        Ok(Command::Refresh) => apply(state, Action::Refresh, fx),
        Ok(Command::Open(id, args)) => {
            if let Some(spec) = super::views::spec(id) {
                open_spec(state, spec, args, fx);
            }
        }
        Err(e) => state.toast(e, true),
    }
}

fn prompt_key(state: &mut State, k: &KeyEvent, fx: &mut Vec<Effect>) {
    let Some(mut p) = state.prompt.take() else {
        return;
    };
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let mut keep = true;
    let mut changed = false;
    match k.code {
        KeyCode::Esc => {
            keep = false;
            if p.kind == PromptKind::Filter {
                set_filter(state, "");
            }
        }
        KeyCode::Enter => {
            keep = false;
            if p.kind == PromptKind::Command {
                let line = p.input.trim().to_string();
                let chosen = if command::parse(&line).is_err() || line.is_empty() {
                    p.completions.get(p.selected).cloned().unwrap_or(line)
                } else {
                    line
                };
                if !chosen.is_empty() {
                    run_command(state, &chosen, fx);
                }
            }
        }
        KeyCode::Tab if p.kind == PromptKind::Command => {
            if let Some(c) = p.completions.get(p.selected) {
                p.input = c.clone();
                if !p.input.ends_with(' ') {
                    p.input.push(' ');
                }
                changed = true;
            }
        }
        KeyCode::Down | KeyCode::BackTab
            if p.kind == PromptKind::Command && !p.completions.is_empty() =>
        {
            p.selected = (p.selected + 1) % p.completions.len();
        }
        KeyCode::Up if p.kind == PromptKind::Command && !p.completions.is_empty() => {
            p.selected = (p.selected + p.completions.len() - 1) % p.completions.len();
        }
        KeyCode::Backspace => {
            if p.input.is_empty() {
                keep = false;
            } else {
                p.input.pop();
                changed = true;
            }
        }
        KeyCode::Char('u') if ctrl => {
            p.input.clear();
            changed = true;
        }
        KeyCode::Char('w') if ctrl => {
            let t = p.input.trim_end().to_string();
            p.input = match t.rfind(' ') {
                Some(i) => t[..=i].to_string(),
                None => String::new(),
            };
            changed = true;
        }
        KeyCode::Char('c') if ctrl => {
            keep = false;
        }
        KeyCode::Char(c) if !ctrl => {
            p.input.push(c);
            changed = true;
        }
        _ => {}
    }
    if changed {
        match p.kind {
            PromptKind::Command => {
                p.completions = command::complete(p.input.trim_start(), state.data.as_ref());
                p.selected = 0;
            }
            PromptKind::Filter => set_filter(state, &p.input),
        }
    }
    if keep {
        state.prompt = Some(p);
    }
}

/// What the user is pointing at (targets for actions, the table for exports), computed
/// lazily by whatever opens.
pub fn selection(state: &State, args: String) -> Selection<'_> {
    Selection {
        view: state.view(),
        data: state.data.as_ref(),
        marks: &state.marks,
        args,
        readonly: state.meta.readonly,
        now: state.now,
        ctx: &state.ctx,
    }
}

/// `:ctx` / `:region` asked for another context: try it (the current one keeps running);
/// a newer request replaces one still connecting.
fn begin_switch(state: &mut State, choice: ContextChoice, fx: &mut Vec<Effect>) {
    let id = state.ctx.next_id();
    state.toast(format!("connecting to {}…", choice.label()), false);
    state.ctx.pending = Some((id, choice.clone()));
    state.ctx.failed = None;
    fx.push(Effect::TryContext { id, choice });
}

/// What the console reads now, for messages: "profile ops", "the demo".
fn current_label(state: &State) -> String {
    match (&state.ctx.profile, state.ctx.demo) {
        (_, true) => "the demo".into(),
        (Some(p), _) => format!("profile {}", crate::text::sanitize(p)),
        (None, _) => "the default credentials".into(),
    }
}

/// The regions read now: as the last switch set them, else as the data (or the flags) say.
fn regions_in_scope(state: &State) -> Vec<String> {
    if let Some(r) = &state.ctx.scope_regions {
        return r.clone();
    }
    match &state.data {
        Some(d) if !d.snapshot.regions.is_empty() => d.snapshot.regions.clone(),
        _ => state.meta.regions.clone(),
    }
}

/// The source's answer to a `TryContext`: only the latest request counts.
fn context_event(state: &mut State, e: ContextEvent, fx: &mut Vec<Effect>) {
    state.dirty = true;
    let id = match &e {
        ContextEvent::Ready { id, .. } | ContextEvent::Failed { id, .. } => *id,
    };
    let Some((_, choice)) = state.ctx.pending.take_if(|(p, _)| *p == id) else {
        return;
    };
    match e {
        ContextEvent::Ready {
            id,
            profile,
            regions,
        } => commit_switch(state, id, profile, regions, fx),
        ContextEvent::Failed { message, .. } => {
            let message = crate::text::sanitize(&message);
            state.toast(
                format!(
                    "{}: {message} — still on {}",
                    choice.label(),
                    current_label(state)
                ),
                true,
            );
            if let Some(v) = state
                .view_mut()
                .as_any_mut()
                .downcast_mut::<super::views::ctx::CtxView>()
            {
                v.failed(&choice, &message);
            }
            state.ctx.failed = Some((choice.label(), message));
        }
    }
}

/// The new context is connected: switch. Nothing of the old one stays: its picture, its
/// views and panes (their jobs are cancelled; late answers find no owner), its marks. The
/// new feed paints that profile's cached picture first, then refreshes.
fn commit_switch(
    state: &mut State,
    id: u64,
    profile: Option<String>,
    regions: Vec<String>,
    fx: &mut Vec<Effect>,
) {
    let same_profile = profile == state.ctx.profile;
    let before = regions_in_scope(state);
    // regions taken out of scope (same profile): listed with the nodes the picture had there
    let mut out: Vec<(String, usize)> = if same_profile {
        state.ctx.out_of_scope.clone()
    } else {
        Vec::new()
    };
    if same_profile {
        for r in before.iter().filter(|r| !regions.contains(r)) {
            if !out.iter().any(|(x, _)| x == r) {
                let n = state.data.as_ref().map_or(0, |d| {
                    d.snapshot.nodes.iter().filter(|n| &n.region == r).count()
                });
                out.push((r.clone(), n));
            }
        }
    }
    out.retain(|(r, _)| !regions.contains(r));
    out.sort();
    while let Some(p) = state.panes.pop() {
        gone(state, p.owner, fx);
    }
    state.help = None;
    state.data = None;
    state.fatal = None;
    state.pending_index = None;
    state.startup = None;
    state.marks.clear();
    state.visual = None;
    state.ctx.epoch = id;
    state.ctx.profile = profile.clone();
    state.ctx.scope_regions = Some(regions.clone());
    state.ctx.known_regions.extend(regions.iter().cloned());
    state.ctx.out_of_scope = out.clone();
    state.meta.profile = profile;
    state.meta.regions = regions.clone();
    replace_stack(
        state,
        Box::new(super::views::nodes::NodesView::new(
            super::views::scope::NodeScope::All,
        )),
        fx,
    );
    state.job_owners.clear();
    let mut text = format!("now on {} · {}", current_label(state), regions.join(","));
    if !out.is_empty() {
        let names: Vec<&str> = out.iter().map(|(r, _)| r.as_str()).collect();
        let nodes: usize = out.iter().map(|(_, n)| n).sum();
        text.push_str(&format!(
            " · out of scope: {} ({nodes} nodes not read, not shown)",
            names.join(",")
        ));
    }
    state.toast(text, false);
    fx.push(Effect::CommitContext(id));
}
