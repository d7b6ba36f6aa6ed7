//! The frame: header (scope, badges, refresh age and progress), breadcrumbs with filter and
//! counts, the current view (its own `View::render`), the footer (prompt, toasts or key
//! hints from the live keymap), then modal panes and help on top. Pure function of `&State`.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

use super::super::action::Action;
use super::super::data::Outcome;
use super::super::keymap::Keymap;
use super::super::layout::{self, row};
use super::super::state::{PromptKind, State};
use super::super::theme::{Role, Theme};
use super::contract::{PaneSize, RenderCx};
use super::fmt::{SPINNER, age, thousands};
use super::table_render::{fill, put};

/// Draw everything.
pub fn render(frame: &mut Frame<'_>, state: &State, theme: &Theme, keymap: &Keymap) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    draw(buf, area, state, theme, keymap);
    if layout::too_small(area) {
        return;
    }
    // Panes render through `Frame` (they may use any ratatui widget).
    if let Some(pane) = state.panes.last() {
        let body = body_area(area);
        let rect = match pane.size() {
            PaneSize::Full => body,
            PaneSize::Modal {
                width_pct,
                height_pct,
            } => layout::centered(body, width_pct, height_pct, 60, 14),
        };
        Clear.render(rect, frame.buffer_mut());
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(theme.style(Role::Title))
            .style(theme.style(Role::Text))
            .title(format!(" {} ", crate::text::sanitize(&pane.title())));
        let inner = block.inner(rect);
        block.render(rect, frame.buffer_mut());
        pane.render(frame, inner, theme);
        // help opened over a pane covers it
        if let Some(scroll) = state.help {
            help(
                frame.buffer_mut(),
                body_area(area),
                state,
                theme,
                keymap,
                scroll,
            );
        }
    }
}

/// Between the header + breadcrumb rows and the footer row.
fn body_area(area: Rect) -> Rect {
    layout::without_bottom(layout::below(area, 2), 1)
}

/// Everything but panes, straight into a buffer (used by tests, screenshots and benches).
pub fn draw(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme, keymap: &Keymap) {
    fill(buf, area, theme.style(Role::Text));
    if layout::too_small(area) {
        put(
            buf,
            area.x,
            area.y,
            "terminal too small",
            area.width,
            theme.style(Role::Error),
            None,
            Style::default(),
            false,
        );
        return;
    }
    let (Some(head), Some(crumb), Some(foot)) = (
        row(area, 0),
        row(area, 1),
        row(area, area.height.saturating_sub(1)),
    ) else {
        return;
    };
    header(buf, head, state, theme);
    crumbs(buf, crumb, state, theme);
    let body = body_area(area);
    body_view(buf, body, state, theme, keymap);
    footer(buf, foot, state, theme, keymap);
    if let Some(scroll) = state.help
        && state.panes.is_empty()
    {
        help(buf, body, state, theme, keymap, scroll);
    }
}

/// A refresh in flight: while discovery still names accounts its unit count is no total
/// yet (it grows with every account found, so a fraction would move backwards): the
/// accounts found so far; then units done of the total, which no longer changes.
pub fn progress_label(snap: &crate::model::FleetSnapshot, spinner: usize) -> String {
    let p = snap.progress;
    let spin = SPINNER[spinner % SPINNER.len()];
    if p.discovering {
        let accounts = p.total as usize / snap.regions.len().max(1);
        format!("{spin} discovering accounts… {accounts}")
    } else {
        format!("{spin} {}/{}", p.done, p.total)
    }
}

/// Header pieces, most important first; dropped from the end when narrow.
fn header(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    let hs = theme.style(Role::Header);
    fill(buf, area, theme.style(Role::Text));
    let mut left: Vec<(String, Style)> = vec![(" ssmdeck ".into(), theme.style(Role::Badge))];
    let mut badges: Vec<(String, Style)> = Vec::new();
    if state.meta.demo {
        badges.push((" DEMO ".into(), theme.style(Role::BadgeDemo)));
    }
    if state.meta.readonly {
        badges.push((" READ-ONLY ".into(), theme.style(Role::BadgeReadonly)));
    }
    let snap = state.data.as_ref().map(|d| &d.snapshot);
    let mut info: Vec<(String, Style)> = Vec::new();
    if let Some(s) = snap {
        let org = s
            .organization
            .id
            .as_deref()
            .map(crate::text::sanitize)
            .unwrap_or_else(|| "no org".into());
        info.push((format!("org {org}"), hs));
        if let Some(note) = &s.organization.note {
            info.push((
                format!("⚠ {}", crate::text::sanitize(note)),
                theme.style(Role::Warning),
            ));
        }
        if let Some(c) = &s.caller {
            info.push((
                format!("caller {}", crate::text::sanitize(&c.account_id)),
                theme.style(Role::Text),
            ));
        }
    }
    let profile = state
        .meta
        .profile
        .clone()
        .or_else(|| snap.and_then(|s| s.profile.clone()));
    if let Some(p) = profile {
        info.push((
            format!("profile {}", crate::text::sanitize(&p)),
            theme.style(Role::Text),
        ));
    }
    let regions: Vec<String> = match (&state.ctx.scope_regions, snap) {
        (Some(r), _) => r.clone(),
        (None, Some(s)) if !s.regions.is_empty() => s.regions.clone(),
        _ => state.meta.regions.clone(),
    };
    if !regions.is_empty() {
        let shown = if regions.len() > 3 {
            format!("{},… ({})", regions[..2].join(","), regions.len())
        } else {
            regions.join(",")
        };
        info.push((crate::text::sanitize(&shown), theme.style(Role::Muted)));
    }
    // status: progress / age
    let mut status: Vec<(String, Style)> = Vec::new();
    if let Some((_, c)) = &state.ctx.pending {
        status.push((
            format!(
                "{} ⇄ {}…",
                SPINNER[state.spinner % SPINNER.len()],
                crate::text::sanitize(&c.label())
            ),
            theme.style(Role::Spinner),
        ));
    }
    match &state.data {
        None if state.fatal.is_some() => {
            status.push(("✗ no data".into(), theme.style(Role::Error)))
        }
        None => status.push((
            format!("{} connecting", SPINNER[state.spinner % SPINNER.len()]),
            theme.style(Role::Spinner),
        )),
        Some(d) => {
            if d.snapshot.in_progress {
                status.push((
                    progress_label(&d.snapshot, state.spinner),
                    theme.style(Role::Spinner),
                ));
            }
            if d.snapshot.from_cache {
                status.push(("cached".into(), theme.style(Role::Stale)));
            }
            // the patch index filling in the background (only while a pass runs)
            let ip = d.patch_index.progress;
            if ip.running {
                status.push((
                    format!("⟳ index {}/{}", ip.indexed, ip.total),
                    theme.style(Role::Spinner),
                ));
            }
            // a finished refresh that could not read everything: what is shown is partly
            // older data (`:errors` says what and why)
            // the last finished refresh could not read everything: what is shown is partly
            // older data (`:errors` says what and why); kept while the next refresh streams
            match d.last_outcome {
                // AWS could not be reached: everything on screen is the last good data,
                // retried by itself with backoff
                Outcome::Unreachable => {
                    status.push(("✗ unreachable · retrying".into(), theme.style(Role::Error)))
                }
                Outcome::Partial { missing } => {
                    let label = if missing > 0 {
                        format!("◐ partial ({missing} missing)")
                    } else {
                        "◐ partial".into()
                    };
                    status.push((label, theme.style(Role::Stale)));
                }
                Outcome::Complete => {}
            }
            // the refresh's errors and those reading patch schedules and tags (as :errors)
            let n = super::errors::error_count(&d.snapshot);
            if n > 0 {
                let s = if n == 1 { "" } else { "s" };
                status.push((format!("⚠ {n} error{s}"), theme.style(Role::Error)));
            }
            status.push((age_label(state), theme.style(Role::Muted)));
        }
    }
    // assemble: left badge, badges, status right-aligned; info fills the middle as room allows
    let right_w: u16 = status
        .iter()
        .map(|(s, _)| s.chars().count() as u16 + 2)
        .sum();
    let mut x = area.x;
    for (t, st) in left.drain(..).chain(badges) {
        x += put(
            buf,
            x,
            area.y,
            &t,
            area.right().saturating_sub(x),
            st,
            None,
            st,
            false,
        ) + 1;
    }
    let limit = area.right().saturating_sub(right_w);
    for (t, st) in info {
        let w = t.chars().count() as u16;
        if x + w + 3 > limit {
            break;
        }
        x += put(
            buf,
            x,
            area.y,
            "│ ",
            2,
            theme.style(Role::Border),
            None,
            Style::default(),
            false,
        );
        x += put(buf, x, area.y, &t, w, st, None, st, false) + 1;
    }
    let mut rx = limit.max(x);
    for (t, st) in status {
        rx += put(
            buf,
            rx,
            area.y,
            &t,
            area.right().saturating_sub(rx),
            st,
            None,
            st,
            false,
        ) + 2;
    }
}

/// "updated 12s ago": when the oldest data on screen was last read successfully (a failed
/// or partial refresh keeps the old data, and so its age); "nothing read yet" before any.
pub fn age_label(state: &State) -> String {
    match &state.data {
        Some(d) => match d.snapshot.data_as_of().or(d.complete_at) {
            Some(t) => format!("updated {} ago", age(state.now, Some(t))),
            // no per-source times (fixtures, older caches)
            None if d.snapshot.sources.is_empty() && !d.snapshot.is_partial() => format!(
                "updated {} ago",
                age(state.now, Some(d.snapshot.collected_at))
            ),
            None => "nothing read yet".into(),
        },
        None => String::new(),
    }
}

fn crumbs(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    fill(buf, area, theme.style(Role::Text));
    let snap = state.data.as_ref().map(|d| d.snapshot.as_ref());
    let mut parts: Vec<String> = state.stack.iter().map(|v| v.crumb(snap)).collect();
    for p in &state.panes {
        parts.push(crate::text::sanitize(&p.title()));
    }
    let mut x = area.x + 1;
    let n = parts.len();
    for (i, p) in parts.iter().enumerate() {
        let st = if i + 1 == n {
            theme.style(Role::Title)
        } else {
            theme.style(Role::Breadcrumb)
        };
        x += put(
            buf,
            x,
            area.y,
            p,
            area.right().saturating_sub(x),
            st,
            None,
            st,
            false,
        );
        if i + 1 < n {
            x += put(
                buf,
                x,
                area.y,
                " › ",
                area.right().saturating_sub(x),
                theme.style(Role::Muted),
                None,
                Style::default(),
                false,
            );
        }
    }
    // right side: regions out of scope, filter, counts, marks
    let mut right: Vec<(String, Style)> = Vec::new();
    // `:region` took regions out of scope: neither read nor shown, and said so on every view
    if !state.ctx.out_of_scope.is_empty() {
        let names: Vec<&str> = state
            .ctx
            .out_of_scope
            .iter()
            .map(|(r, _)| r.as_str())
            .collect();
        right.push((
            format!(
                "⊘ out of scope: {}",
                crate::text::sanitize(&names.join(","))
            ),
            theme.style(Role::Warning),
        ));
    }
    if let Some((t, _)) = state.view().table() {
        if let Some(err) = &t.filter_error {
            right.push((format!("⚠ {err}"), theme.style(Role::Error)));
        }
        if !t.filter.text.is_empty() {
            right.push((format!("/{}", t.filter.text), theme.style(Role::Prompt)));
        }
        right.push((
            if t.order.len() == t.rows_total {
                thousands(t.rows_total as u64)
            } else {
                format!(
                    "{}/{}",
                    thousands(t.order.len() as u64),
                    thousands(t.rows_total as u64)
                )
            },
            theme.style(Role::Muted),
        ));
    }
    // vim `V`: a range is being marked (j/k extend it, V again or esc ends it)
    if state.visual.is_some() {
        right.push(("-- VISUAL --".to_string(), theme.style(Role::Prompt)));
    }
    if !state.marks.is_empty() {
        right.push((
            format!("{} marked", state.marks.len()),
            theme.style(Role::Marked),
        ));
    }
    // a filter error too long for the line is cut with a pointer to `:messages`, so the
    // filter and the row count after it stay on screen
    if let Some(i) = right.iter().position(|(s, _)| s.starts_with("⚠ ")) {
        let others: usize = right
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, (s, _))| s.chars().count() + 2)
            .sum();
        let room = (area.right().saturating_sub(x + 2) as usize).saturating_sub(others + 2);
        right[i].0 = toast_line(&right[i].0, room);
    }
    let text_w: u16 = right
        .iter()
        .map(|(s, _)| s.chars().count() as u16 + 2)
        .sum();
    let mut rx = area.right().saturating_sub(text_w).max(x + 2);
    for (t, st) in right {
        rx += put(
            buf,
            rx,
            area.y,
            &t,
            area.right().saturating_sub(rx),
            st,
            None,
            st,
            false,
        ) + 2;
    }
}

fn body_view(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme, keymap: &Keymap) {
    let reserved = keymap.bound_upper(&super::sections(state.view().id()));
    if state.data.is_none() && state.view().needs_data() {
        let (msg, role) = match &state.fatal {
            Some(e) => (format!("✗ {}", crate::text::sanitize(e)), Role::Error),
            None => (
                format!(
                    "{} Loading the fleet…",
                    SPINNER[state.spinner % SPINNER.len()]
                ),
                Role::Spinner,
            ),
        };
        let y = area.y + area.height / 2;
        let w = (msg.chars().count() as u16).min(area.width);
        put(
            buf,
            area.x + (area.width - w) / 2,
            y,
            &msg,
            area.width,
            theme.style(role),
            None,
            Style::default(),
            false,
        );
        if state.fatal.is_some() {
            let hint = "press ctrl-r to retry, q to quit";
            let w = hint.len() as u16;
            put(
                buf,
                area.x + area.width.saturating_sub(w) / 2,
                y + 1,
                hint,
                area.width,
                theme.style(Role::Muted),
                None,
                Style::default(),
                false,
            );
        }
        return;
    }
    let cx = RenderCx {
        theme,
        now: state.now,
        snapshot: state.data.as_ref().map(|d| d.snapshot.as_ref()),
        marks: &state.marks,
        focused: state.help.is_none() && state.panes.is_empty(),
        loading: state.loading(),
        spinner: state.spinner,
        reserved: &reserved,
        patch_index: state.data.as_ref().map(|d| &d.patch_index),
    };
    state.view().render(buf, area, &cx);
}

fn footer(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme, keymap: &Keymap) {
    fill(buf, area, theme.style(Role::Text));
    if let Some(p) = &state.prompt {
        let (sigil, label) = match p.kind {
            PromptKind::Command => (":", ""),
            PromptKind::Filter => ("/", ""),
        };
        let ps = theme.style(Role::Prompt);
        let mut x = area.x;
        x += put(buf, x, area.y, sigil, 1, ps, None, ps, false);
        x += put(buf, x, area.y, label, area.width, ps, None, ps, false);
        x += put(
            buf,
            x,
            area.y,
            &p.input,
            area.right().saturating_sub(x),
            theme.style(Role::Text),
            None,
            Style::default(),
            false,
        );
        // cursor block
        if x < area.right() {
            put(
                buf,
                x,
                area.y,
                " ",
                1,
                theme.style(Role::Selection),
                None,
                Style::default(),
                false,
            );
            x += 2;
        }
        if p.kind == PromptKind::Command {
            for (i, c) in p.completions.iter().take(8).enumerate() {
                let st = if i == p.selected {
                    theme.style(Role::Key)
                } else {
                    theme.style(Role::Muted)
                };
                let used = put(
                    buf,
                    x,
                    area.y,
                    c,
                    area.right().saturating_sub(x),
                    st,
                    None,
                    st,
                    false,
                );
                x += used + 2;
                if x >= area.right() {
                    break;
                }
            }
        } else {
            let hint = "  field:value  !negate  enter keep · esc clear";
            put(
                buf,
                x,
                area.y,
                hint,
                area.right().saturating_sub(x),
                theme.style(Role::Muted),
                None,
                Style::default(),
                false,
            );
        }
        return;
    }
    if let Some(t) = state.toasts.back() {
        let st = if t.error {
            theme.style(Role::Error)
        } else {
            theme.style(Role::Info)
        };
        let icon = if t.error { "✗ " } else { "● " };
        let room = area.width.saturating_sub(1);
        put(
            buf,
            area.x + 1,
            area.y,
            &toast_line(&format!("{icon}{}", t.text), room as usize),
            room,
            st,
            None,
            st,
            false,
        );
        return;
    }
    let mut x = area.x + 1;
    for (key, label) in hints(state, keymap) {
        let need = (key.chars().count() + label.chars().count() + 3) as u16;
        if x + need > area.right() {
            break;
        }
        x += put(
            buf,
            x,
            area.y,
            &format!("<{key}>"),
            area.right().saturating_sub(x),
            theme.style(Role::Key),
            None,
            Style::default(),
            false,
        );
        x += put(
            buf,
            x,
            area.y,
            &format!(" {label}  "),
            area.right().saturating_sub(x),
            theme.style(Role::Muted),
            None,
            Style::default(),
            false,
        );
    }
}

/// Where a footer message too long for its line can be read whole.
pub const TOAST_MORE: &str = "… (whole: :messages)";

/// A footer message in `width` cells: whole when it fits, else cut and ending with
/// [`TOAST_MORE`] (the message log has it whole).
pub fn toast_line(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let text = crate::text::sanitize(&text.replace(['\n', '\r'], " "));
    if text.width() <= width {
        return text;
    }
    let marker = TOAST_MORE.width();
    if width <= marker + 8 {
        // too narrow for the marker: the table cell's `…` cut
        return text;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - marker {
            break;
        }
        used += w;
        out.push(c);
    }
    format!("{}{TOAST_MORE}", out.trim_end())
}

/// Footer hints for the current context: (key, label), keys from the live keymap.
pub fn hints(state: &State, keymap: &Keymap) -> Vec<(String, String)> {
    let (sections, actions): (Vec<&str>, Vec<(Action, String)>) =
        if let Some(p) = state.panes.last() {
            (
                vec![p.id()],
                p.hints()
                    .into_iter()
                    .map(|(a, l)| (a, l.to_string()))
                    .collect(),
            )
        } else if state.help.is_some() {
            (
                vec!["help"],
                vec![
                    (Action::Back, "close".into()),
                    (Action::Down, "scroll".into()),
                ],
            )
        } else {
            let v = state.view();
            let mut a: Vec<Action> = vec![Action::CommandMode, Action::FilterMode, Action::Open];
            a.extend(v.hints());
            if state.stack.len() > 1 {
                a.push(Action::Back);
            }
            a.extend([Action::Help, Action::Quit]);
            let labels = a.into_iter().map(|x| (x, x.hint().to_string())).collect();
            (super::sections(v.id()), labels)
        };
    actions
        .into_iter()
        .filter_map(|(a, label)| {
            keymap.keys_for(&sections, a).first().map(|k| {
                (
                    k.to_string(),
                    if label.is_empty() {
                        a.to_string()
                    } else {
                        label
                    },
                )
            })
        })
        .collect()
}

fn help(
    buf: &mut Buffer,
    body: Rect,
    state: &State,
    theme: &Theme,
    keymap: &Keymap,
    scroll: usize,
) {
    let rect = super::super::help::overlay(body);
    Clear.render(rect, buf);
    let inner_w = rect.width.saturating_sub(2);
    let rows = super::super::help::screen_rows(state, keymap, inner_w);
    let h = rect.height.saturating_sub(2) as usize;
    let skip = scroll.min(rows.len().saturating_sub(h));
    let title = format!(" Help — {} (keymap {}) ", state.view().id(), keymap.name);
    let pos = if rows.len() > h {
        let keys: Vec<String> = [
            Action::Down,
            Action::Up,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
        ]
        .iter()
        .filter_map(|a| {
            keymap
                .keys_for(&["help"], *a)
                .first()
                .map(|k| k.to_string())
        })
        .collect();
        format!(
            " rows {}–{} of {} · {} ",
            skip + 1,
            (skip + h).min(rows.len()),
            rows.len(),
            keys.join(" ")
        )
    } else {
        String::new()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.style(Role::Title))
        .style(theme.style(Role::Text))
        .title(title)
        .title_bottom(pos);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let kw = super::super::help::key_width(inner.width) as u16;
    for (i, r) in rows.iter().skip(skip).take(h).enumerate() {
        let y = inner.y + i as u16;
        if r.role == Role::Title {
            put(
                buf,
                inner.x + 1,
                y,
                &r.key,
                inner.width.saturating_sub(1),
                theme.style(Role::Title),
                None,
                Style::default(),
                false,
            );
            continue;
        }
        let ks = if r.role == Role::Key {
            theme.style(Role::Title)
        } else {
            theme.style(Role::Key)
        };
        let key_w = if r.text.is_empty() {
            inner.width.saturating_sub(1)
        } else {
            kw
        };
        put(
            buf,
            inner.x + 1,
            y,
            &r.key,
            key_w,
            ks,
            None,
            Style::default(),
            false,
        );
        put(
            buf,
            inner.x + kw + 2,
            y,
            &r.text,
            inner.width.saturating_sub(kw + 2),
            theme.style(Role::Text),
            None,
            Style::default(),
            false,
        );
    }
}
