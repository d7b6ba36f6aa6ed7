//! `update`: the only place state changes. Keys are resolved through the keymap into
//! actions; data and job results arrive as messages; side effects are returned, not run.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Effect, Msg};
use super::command::{self, Command};
use super::keymap::Keymap;
use super::pane::{Handled, PaneCx, Selection, TableCopy};
use super::state::{Data, Prompt, PromptKind, State, ViewKind};
use super::views::node::NodeView;
use super::views::{NodeScope, View};
use crate::model::{FleetUpdate, NodeKey};

/// How long a toast stays in the footer.
const TOAST_SECS: i64 = 6;

pub fn update(state: &mut State, msg: Msg, keymap: &Keymap) -> Vec<Effect> {
    let mut fx = Vec::new();
    // Data messages only store the data; the active view is rebuilt lazily (before a key
    // acts on it, or before the next frame), so a burst of partial snapshots costs one build.
    let lazy = matches!(msg, Msg::Fleet(_) | Msg::Tick(_) | Msg::Pane { .. });
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
        Msg::Pane { pane, payload } => {
            if let Some(i) = state.panes.iter().rposition(|p| p.id() == pane) {
                with_pane(state, i, &mut fx, |p, cx| p.message(payload, cx));
            }
        }
        Msg::Terminate => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
    }
    if !lazy {
        state.prepare();
    }
    fx
}

fn tick(state: &mut State, now: chrono::DateTime<chrono::Utc>) {
    state.now = now;
    if state.loading() {
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
    let label = super::render::age_label(state);
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
            let generation = state.data.as_ref().map(|d| d.generation + 1).unwrap_or(1);
            let complete_at = if snapshot.from_cache {
                Some(snapshot.collected_at)
            } else if snapshot.complete {
                Some(snapshot.data_as_of().unwrap_or(state.now))
            } else {
                state.data.as_ref().and_then(|d| d.complete_at)
            };
            state.data = Some(Data {
                snapshot,
                aggregates,
                generation,
                complete_at,
                stale_days: if state.meta.stale_days > 0 {
                    state.meta.stale_days
                } else {
                    7
                },
            });
            state.fatal = None;
            for i in 0..state.panes.len() {
                with_pane(state, i, fx, |p, cx| p.data_changed(cx));
            }
        }
        FleetUpdate::NodePatches { key, result } => {
            if let Some(v) = node_view(state, &key) {
                v.set_patches(result);
            }
        }
        FleetUpdate::NodeInventory { key, result } => {
            if let Some(v) = node_view(state, &key) {
                v.set_inventory(result);
            }
        }
        FleetUpdate::NodeCommands { key, result } => {
            let now = state.now;
            if let Some(v) = node_view(state, &key) {
                v.set_invocations(result, now);
            }
        }
        FleetUpdate::Notice { message, is_error } => {
            let message = crate::text::sanitize(&message);
            if is_error && state.data.is_none() {
                state.fatal = Some(message.clone());
            }
            state.toast(message, is_error);
        }
    }
}

fn node_view<'a>(state: &'a mut State, key: &NodeKey) -> Option<&'a mut NodeView> {
    state.stack.iter_mut().rev().find_map(|v| match v {
        View::Node(n) if &n.key == key => Some(n.as_mut()),
        _ => None,
    })
}

/// Run `f` on pane `i` with a context, then apply what it asked for.
fn with_pane(
    state: &mut State,
    i: usize,
    fx: &mut Vec<Effect>,
    f: impl FnOnce(&mut dyn super::pane::Pane, &mut PaneCx<'_>),
) -> bool {
    let mut pane = state.panes.remove(i);
    let mut cx = PaneCx {
        now: state.now,
        snapshot: state.data.as_ref().map(|d| &d.snapshot),
        aggregates: state.data.as_ref().map(|d| &d.aggregates),
        readonly: state.meta.readonly,
        effects: Vec::new(),
        close: false,
        toasts: Vec::new(),
        open: None,
    };
    f(pane.as_mut(), &mut cx);
    let PaneCx {
        effects,
        close,
        toasts,
        open,
        ..
    } = cx;
    fx.extend(effects);
    if !close {
        state.panes.insert(i, pane);
    }
    if let Some(p) = open {
        state.panes.push(p);
    }
    for (t, e) in toasts {
        state.toast(t, e);
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
                Action::Back => {
                    state.panes.pop();
                }
                Action::Quit => {
                    state.quit = true;
                    fx.push(Effect::Quit);
                }
                Action::Help => state.help = Some(0),
                _ => {}
            }
        }
        state.dirty = true;
        return;
    }
    let sections = state.view().sections();
    if let Some(a) = keymap.resolve(&sections, k) {
        apply(state, a, fx);
        state.dirty = true;
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
        Action::Back => {
            let filtered = state
                .view()
                .table()
                .is_some_and(|(t, _)| !t.filter.text.is_empty());
            if filtered {
                set_filter(state, "");
            } else if state.stack.len() > 1 {
                state.stack.pop();
            }
        }
        Action::Open => open(state, fx),
        Action::CommandMode => {
            state.prompt = Some(Prompt {
                kind: PromptKind::Command,
                input: String::new(),
                completions: command::complete("", state.data.as_ref()),
                selected: 0,
                before: String::new(),
            })
        }
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
        }
        Action::Up => move_by(state, -1),
        Action::Down => move_by(state, 1),
        Action::PageUp => move_by(state, -page),
        Action::PageDown => move_by(state, page),
        Action::Top => {
            if let Some((t, src)) = state.view_mut().table_mut() {
                t.top(src);
            }
        }
        Action::Bottom => {
            if let Some((t, src)) = state.view_mut().table_mut() {
                t.bottom(src);
            }
        }
        Action::SortNext | Action::SortPrev | Action::SortReverse => {
            if let Some((t, src)) = state.view_mut().table_mut() {
                let n = src.columns().len();
                let (col, desc) = match a {
                    Action::SortNext => ((t.sort_col + 1) % n, false),
                    Action::SortPrev => ((t.sort_col + n - 1) % n, false),
                    _ => (t.sort_col, !t.sort_desc),
                };
                t.sort_by(src, col, desc);
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
        Action::ClearMarks => state.marks.clear(),
        Action::NextTab => {
            state.view_mut().tab(1);
        }
        Action::PrevTab => {
            state.view_mut().tab(-1);
        }
        Action::ViewOrg => switch_view(state, ViewKind::Org, None),
        Action::ViewNodes => switch_view(state, ViewKind::Nodes, None),
        Action::ViewCompliance => switch_view(state, ViewKind::Compliance, None),
        Action::ViewCerts => switch_view(state, ViewKind::Certs, None),
        Action::ViewCommands => switch_view(state, ViewKind::Commands, None),
        Action::ViewErrors => switch_view(state, ViewKind::Errors, None),
        // only meaningful inside the command pane, which consumes them
        Action::CancelCommand
        | Action::SaveOutput
        | Action::FollowOutput
        | Action::NextMatch
        | Action::PrevMatch
        | Action::Copy => {}
        Action::PatchNow
        | Action::Describe
        | Action::RawView
        | Action::CommandOutput
        | Action::Session
        | Action::Export
        | Action::ExportReport => {
            let reg = super::pane::registry();
            match reg.iter().find(|p| p.action == Some(a)) {
                Some(spec) => open_pane(state, spec, String::new(), fx),
                None => state.toast(
                    format!("{} is not available in this build", a.describe()),
                    false,
                ),
            }
        }
    }
}

fn move_by(state: &mut State, d: isize) {
    if let Some((t, src)) = state.view_mut().table_mut() {
        t.move_by(src, d);
    }
}

fn set_filter(state: &mut State, text: &str) {
    if let Some((t, src)) = state.view_mut().table_mut() {
        t.set_filter(src, text);
    }
}

fn open(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(data) = state.data.clone() else {
        return;
    };
    let target: Option<View> = match state.view() {
        View::Org(v) => match v.table.selected_row() {
            // an account that could not be read has no nodes to show: say why instead
            Some(r)
                if matches!(&v.src.rows[r].kind, super::views::org::OrgRowKind::Account(id)
                    if super::describe::unreadable(&data.snapshot, id)) =>
            {
                apply(state, Action::Describe, fx);
                None
            }
            r => r.map(|r| View::new(ViewKind::Nodes, Some(v.src.scope(r)))),
        },
        View::Compliance(v) => v
            .table
            .selected_row()
            .and_then(|r| v.scope(r))
            .map(|s| View::new(ViewKind::Nodes, Some(s))),
        View::Nodes(v) => v.table.selected_row().map(|r| {
            let key = v.src.node(r).key();
            View::Node(Box::new(NodeView::new(key)))
        }),
        // a certificate, an error row: Enter reads the whole record
        View::Certs(_) | View::Errors(_) => {
            apply(state, Action::Describe, fx);
            None
        }
        // node detail: a patch row is described, an invocation opens its output
        View::Node(v) if v.focus == 0 => {
            if v.patch_table.selected_row().is_some() {
                apply(state, Action::Describe, fx);
            }
            None
        }
        View::Commands(_) | View::Node(_) => {
            apply(state, Action::CommandOutput, fx);
            None
        }
    };
    if let Some(mut v) = target {
        if let View::Node(n) = &v {
            fx.push(Effect::LoadNode(n.key.clone()));
        }
        v.ensure_built(&data, state.now);
        state.stack.push(v);
    }
}

/// `:view [arg]` — replace the stack with the view (k9s style).
fn switch_view(state: &mut State, kind: ViewKind, arg: Option<String>) {
    let scope = match (&arg, kind) {
        (None, _) => None,
        (Some(a), ViewKind::Nodes | ViewKind::Certs) => match resolve_scope(state, a) {
            Ok(s) => Some(s),
            Err(e) => {
                state.toast(e, true);
                return;
            }
        },
        (Some(a), _) => {
            state.toast(
                format!(":{} takes no argument (got `{a}`)", kind.id()),
                true,
            );
            return;
        }
    };
    state.stack.clear();
    state.stack.push(View::new(kind, scope));
}

/// An account (id or name), OU (id or name), region or patch group.
fn resolve_scope(state: &State, arg: &str) -> Result<NodeScope, String> {
    let Some(d) = &state.data else {
        return Err("no data yet to resolve the scope".into());
    };
    let s = &d.snapshot;
    let a = arg.to_lowercase();
    if let Some(acct) = s
        .accounts
        .iter()
        .find(|x| x.id == arg || x.name.to_lowercase() == a)
    {
        return Ok(NodeScope::Account(acct.id.clone()));
    }
    if let Some(u) = s
        .organization
        .units
        .iter()
        .find(|u| u.id == arg || u.name.to_lowercase() == a)
    {
        return Ok(NodeScope::Ou(u.id.clone()));
    }
    if s.regions.iter().any(|r| r == arg) || s.nodes.iter().any(|n| n.region == arg) {
        return Ok(NodeScope::Region(arg.to_string()));
    }
    if let Some(acct) = s
        .accounts
        .iter()
        .find(|x| x.name.to_lowercase().contains(&a))
    {
        return Ok(NodeScope::Account(acct.id.clone()));
    }
    if let Some(u) = s
        .organization
        .units
        .iter()
        .find(|u| u.name.to_lowercase().contains(&a))
    {
        return Ok(NodeScope::Ou(u.id.clone()));
    }
    if s.nodes
        .iter()
        .any(|n| n.patch_group.as_deref() == Some(arg))
    {
        return Ok(NodeScope::PatchGroup(arg.to_string()));
    }
    Err(format!(
        "no account, OU, region or patch group matches `{arg}`"
    ))
}

fn run_command(state: &mut State, line: &str, fx: &mut Vec<Effect>) {
    match command::parse(line) {
        Ok(Command::View(k, arg)) => switch_view(state, k, arg),
        Ok(Command::Quit) => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        Ok(Command::Help) => state.help = Some(0),
        Ok(Command::Refresh) => apply(state, Action::Refresh, fx),
        Ok(Command::Pane(id, args)) => {
            let reg = super::pane::registry();
            if let Some(spec) = reg.iter().find(|p| p.id == id) {
                open_pane(state, spec, args, fx);
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
                if !p.input.contains(' ') {
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

/// Build the selection for a pane and open it.
pub fn open_pane(
    state: &mut State,
    spec: &super::pane::PaneSpec,
    args: String,
    fx: &mut Vec<Effect>,
) {
    let sel = selection(state, args);
    match (spec.open)(&sel) {
        Ok(p) => {
            state.panes.push(p);
            state.dirty = true;
            let i = state.panes.len() - 1;
            with_pane(state, i, fx, |p, cx| p.opened(cx));
        }
        Err(e) => state.toast(e, true),
    }
}

/// What the user is pointing at (targets for actions, the table for exports).
pub fn selection(state: &State, args: String) -> Selection<'_> {
    let snap = state.data.as_ref().map(|d| &d.snapshot);
    let mut nodes: Vec<NodeKey> = Vec::new();
    let mut from = String::new();
    let mut command = None;
    let mut node = None;
    let mut invocation = None;
    match state.view() {
        View::Nodes(v) => {
            node = v.table.selected_row().map(|r| v.src.node(r).key());
        }
        View::Node(v) => {
            node = Some(v.key.clone());
            if v.focus == 1 {
                invocation = v
                    .inv_table
                    .selected_row()
                    .and_then(|r| v.inv_src.items.get(r));
            }
        }
        _ => {}
    }
    if let Some(s) = snap {
        if !state.marks.is_empty() {
            nodes = s
                .nodes
                .iter()
                .filter(|n| state.marks.contains(&n.instance_id))
                .map(|n| n.key())
                .collect();
            from = format!("{} marked", nodes.len());
        } else {
            let scoped = |scope: &NodeScope| -> Vec<NodeKey> {
                let d = state.data.as_ref().expect("data");
                super::views::nodes::NodesSource::build(d, scope, state.now)
                    .rows
                    .iter()
                    .map(|&i| s.nodes[i as usize].key())
                    .collect()
            };
            match state.view() {
                View::Nodes(v) => {
                    nodes = v
                        .table
                        .order
                        .iter()
                        .map(|&r| v.src.node(r as usize).key())
                        .collect();
                    from = if v.table.filter.text.is_empty() {
                        format!("all {} in view", nodes.len())
                    } else {
                        format!("filter /{}", v.table.filter.text)
                    };
                }
                View::Node(v) => {
                    nodes = vec![v.key.clone()];
                    from = format!("node {}", v.key.instance_id);
                }
                View::Org(v) => {
                    if let Some(r) = v.table.selected_row() {
                        let sc = v.src.scope(r);
                        nodes = scoped(&sc);
                        from = sc.label(Some(s));
                    }
                }
                View::Compliance(v) => {
                    if let Some(sc) = v.table.selected_row().and_then(|r| v.scope(r)) {
                        nodes = scoped(&sc);
                        from = sc.label(Some(s));
                    }
                }
                View::Commands(v) => {
                    command = v.table.selected_row().map(|r| v.src.cmd(r));
                }
                _ => {}
            }
        }
        if command.is_none()
            && let View::Commands(v) = state.view()
        {
            command = v.table.selected_row().map(|r| v.src.cmd(r));
        }
    }
    let table = state.view().table().map(|(t, src)| TableCopy {
        view: state.view().kind().id().to_string(),
        columns: src.columns().iter().map(|c| c.title.to_string()).collect(),
        rows: t
            .order
            .iter()
            .map(|&r| {
                (0..src.columns().len())
                    .map(|c| src.text(r as usize, c))
                    .collect()
            })
            .collect(),
    });
    let doc = match &state.data {
        Some(d) => super::describe::of_view(state.view(), d, state.now),
        None => Err("Nothing to describe yet: wait for the first refresh".into()),
    };
    Selection {
        doc,
        view: state.view().kind(),
        snapshot: snap,
        aggregates: state.data.as_ref().map(|d| &d.aggregates),
        nodes,
        nodes_from: from,
        command,
        node,
        invocation,
        table,
        args,
        readonly: state.meta.readonly,
        now: state.now,
    }
}
