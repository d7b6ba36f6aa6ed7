//! What the mutating panes share (patch now, Run Command): the form | preview | confirmation
//! layout, the blast-radius lines (targets, accounts, regions, platforms, PRODUCTION,
//! every exclusion with its reason), the typed-confirmation block and the form's widgets
//! (choices, text values). Remote text is sanitised here before it is drawn.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::actions::plan::{BlastRadius, Exclusion};
use crate::actions::targets::TargetScope;

use super::super::theme::{Role, Theme};
use super::contract::Selection;

/// The smallest inside of the pane that holds the form (patch now, Run Command) without wrapping a choice (the
/// terminal then is at least [`MIN_TERMINAL`]); below it the pane says so and Enter does
/// nothing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 14;
/// The terminal size that gives the pane [`MIN_WIDTH`] × [`MIN_HEIGHT`] (border, header,
/// breadcrumbs and footer around it).
pub const MIN_TERMINAL: (u16, u16) = (MIN_WIDTH + 2, MIN_HEIGHT + 5);
/// Whether `area` (the inside of the pane) is too small for the form.
pub fn too_small(area: (u16, u16)) -> bool {
    area.0 < MIN_WIDTH || area.1 < MIN_HEIGHT
}

/// The marked nodes, else the view's (filtered) nodes — what patch now and Run Command act
/// on; none is an error naming `what`.
pub fn selected_scope(sel: &Selection<'_>, what: &str) -> Result<TargetScope, String> {
    let targets = sel.targets();
    if targets.nodes.is_empty() {
        return Err(format!(
            "{what}: no nodes selected — mark nodes (space) or filter the nodes view"
        ));
    }
    Ok(TargetScope::Nodes {
        label: if targets.from.is_empty() {
            format!("{} nodes", targets.nodes.len())
        } else {
            crate::text::sanitize(&targets.from)
        },
        keys: targets.nodes,
    })
}

/// Preview labels (`Patch groups `).
pub const PREVIEW_LABEL_W: usize = 13;

/// One preview line: a label column and text that wraps under itself.
pub struct PreviewLine {
    pub label: String,
    pub text: String,
    pub role: Role,
}

pub fn pl(label: &str, text: impl Into<String>, role: Role) -> PreviewLine {
    PreviewLine {
        label: label.to_string(),
        text: text.into(),
        role,
    }
}

fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// "web-prod (111…): 3 · dev: 1" (sanitised).
pub fn counts(v: &[(String, usize)]) -> String {
    v.iter()
        .map(|(k, n)| format!("{}: {n}", crate::text::sanitize(k)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The first lines: "40 targets · 3 accounts · 2 regions · 4 SendCommand calls" and the
/// PRODUCTION warning.
pub fn radius_head(b: &BlastRadius) -> Vec<PreviewLine> {
    let mut out = vec![pl(
        "",
        format!(
            "{} target{} · {} account{} · {} region{} · {} SendCommand call{}",
            b.targets,
            s(b.targets),
            b.by_account.len(),
            s(b.by_account.len()),
            b.by_region.len(),
            s(b.by_region.len()),
            b.commands,
            s(b.commands)
        ),
        Role::Title,
    )];
    if b.production.any() {
        out.push(pl(
            "",
            format!("⚠ PRODUCTION {}", b.production.describe()),
            Role::Critical,
        ));
    }
    out
}

/// Accounts, regions, platforms (patch groups), then every exclusion with its reason.
pub fn radius_body(
    b: &BlastRadius,
    exclusions: &[Exclusion],
    patch_groups: bool,
) -> Vec<PreviewLine> {
    let mut out = vec![
        pl("Accounts", counts(&b.by_account), Role::Text),
        pl("Regions", counts(&b.by_region), Role::Text),
        pl("Platforms", counts(&b.by_platform), Role::Text),
    ];
    if patch_groups {
        out.push(pl("Patch groups", counts(&b.by_patch_group), Role::Text));
    }
    out.push(pl("", "", Role::Text));
    if exclusions.is_empty() {
        out.push(pl("Excluded", "none", Role::Muted));
    } else {
        out.push(pl("Excluded", counts(&b.excluded), Role::Warning));
        for e in exclusions {
            let name = if e.name.is_empty() {
                String::new()
            } else {
                format!(" {}", crate::text::sanitize(&e.name))
            };
            out.push(pl(
                "",
                format!("{}{} — {}", e.key.instance_id, name, e.reason.describe()),
                Role::Warning,
            ));
        }
    }
    out
}

/// Wrapped lines under a hanging indent of `indent` cells (label first, then text).
pub fn hanging(
    label: &str,
    label_role: Role,
    text: &str,
    role: Role,
    indent: usize,
    width: u16,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let chars: Vec<char> = text.chars().collect();
    let avail = (width as usize).saturating_sub(indent).max(1);
    super::describe::wrap(&chars, avail)
        .into_iter()
        .enumerate()
        .map(|(i, (s, e))| {
            let head = if i == 0 {
                format!("{label:<indent$}")
            } else {
                " ".repeat(indent)
            };
            Line::from(vec![
                Span::styled(head, theme.style(label_role)),
                Span::styled(chars[s..e].iter().collect::<String>(), theme.style(role)),
            ])
        })
        .collect()
}

/// The confirmation block's state.
pub struct ConfirmBlock<'a> {
    pub prompt: String,
    pub production: bool,
    /// A phrase is asked for.
    pub typing: bool,
    pub input: &'a str,
    pub focused: bool,
    pub notice: Option<&'a str>,
    pub sending: bool,
}

/// The confirmation block: what to do, the typed phrase, the last notice.
pub fn confirm_lines(c: &ConfirmBlock<'_>, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let role = if c.production {
        Role::Critical
    } else {
        Role::Prompt
    };
    let mut lines = hanging("", role, &c.prompt, role, 0, width, theme);
    if c.typing {
        lines.extend(hanging(
            "confirm › ",
            Role::Key,
            &format!(
                "{}{}",
                crate::text::sanitize(c.input),
                if c.focused { "█" } else { "" }
            ),
            Role::Text,
            10,
            width,
            theme,
        ));
    }
    if let Some(n) = c.notice {
        let role = if c.sending { Role::Info } else { Role::Warning };
        lines.extend(hanging(
            "",
            role,
            &crate::text::sanitize(n),
            role,
            0,
            width,
            theme,
        ));
    }
    lines
}

/// The form layout: options (left, or on top when narrower than `side_by_side`), the
/// preview (wrapped under its labels, scrolled from `scroll`, a last row saying when there
/// is more) and the confirmation block at the bottom. Returns the largest useful scroll.
#[allow(clippy::too_many_arguments)]
pub fn render_form(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    options: Vec<Line<'static>>,
    preview: &[PreviewLine],
    confirm: Vec<Line<'static>>,
    scroll: usize,
    side_by_side: u16,
    left_w: u16,
) -> usize {
    let bottom_h = (confirm.len() as u16 + 1).min(area.height / 3).max(3);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(bottom_h)]).areas(area);
    let side = area.width >= side_by_side;
    let (opts_area, preview_area) = if side {
        let [l, r] =
            Layout::horizontal([Constraint::Length(left_w), Constraint::Min(1)]).areas(top);
        (
            l,
            Rect {
                x: r.x + 1,
                width: r.width.saturating_sub(1),
                ..r
            },
        )
    } else {
        let [o, p] = Layout::vertical([
            Constraint::Length(options.len() as u16 + 1),
            Constraint::Min(1),
        ])
        .areas(top);
        (o, p)
    };
    frame.render_widget(
        Paragraph::new(options).block(
            Block::default()
                .borders(if side {
                    Borders::RIGHT
                } else {
                    Borders::BOTTOM
                })
                .border_style(theme.style(Role::Border)),
        ),
        opts_area,
    );
    let rows: Vec<Line> = preview
        .iter()
        .flat_map(|l| {
            let indent = if l.label.is_empty() && l.role != Role::Warning && l.role != Role::Muted {
                0
            } else {
                PREVIEW_LABEL_W
            };
            hanging(
                &l.label,
                Role::Muted,
                &l.text,
                l.role,
                indent,
                preview_area.width,
                theme,
            )
        })
        .collect();
    let h = preview_area.height as usize;
    let (shown, max) = if rows.len() > h {
        let page = h.saturating_sub(1).max(1);
        let max = rows.len().saturating_sub(page);
        let top = scroll.min(max);
        let mut v: Vec<Line> = rows.iter().skip(top).take(page).cloned().collect();
        v.push(Line::styled(
            format!(
                "rows {}–{} of {} · PgUp/PgDn scroll the preview",
                top + 1,
                (top + page).min(rows.len()),
                rows.len()
            ),
            theme.style(Role::Key),
        ));
        (v, max)
    } else {
        (rows, 0)
    };
    frame.render_widget(Paragraph::new(shown), preview_area);
    frame.render_widget(
        Paragraph::new(confirm).block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(theme.style(Role::Border)),
        ),
        bottom,
    );
    max
}

/// A choice: the selected option in brackets.
pub fn choice(theme: &Theme, options: &[&str], selected: usize) -> Vec<Span<'static>> {
    let mut v = Vec::new();
    for (i, o) in options.iter().enumerate() {
        if i > 0 {
            v.push(Span::raw("  "));
        }
        if i == selected {
            v.push(Span::styled(format!("[{o}]"), theme.style(Role::Title)));
        } else {
            v.push(Span::styled(format!(" {o} "), theme.style(Role::Muted)));
        }
    }
    v
}

/// A text field's value (its tail when longer than `room`: the preview shows it whole) or
/// the placeholder in brackets.
pub fn text_value(
    theme: &Theme,
    value: &str,
    focused: bool,
    placeholder: Option<String>,
    room: usize,
) -> Vec<Span<'static>> {
    let cursor = if focused { "█" } else { "" };
    if value.is_empty() {
        let mut v = vec![Span::raw(cursor.to_string())];
        if let Some(p) = placeholder {
            v.push(Span::styled(format!("({p})"), theme.style(Role::Muted)));
        }
        v
    } else {
        let clean: Vec<char> = crate::text::sanitize(value).chars().collect();
        let keep = room.saturating_sub(2).max(1);
        let shown: String = if clean.len() > keep {
            std::iter::once('…')
                .chain(clean[clean.len() - keep + 1..].iter().copied())
                .collect()
        } else {
            clean.iter().collect()
        };
        vec![Span::styled(
            format!("{shown}{cursor}"),
            theme.style(Role::Text),
        )]
    }
}
