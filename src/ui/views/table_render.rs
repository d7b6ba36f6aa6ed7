//! Drawing the shared table: only the visible window, columns fitted to the width, sort
//! arrow, marks, selection and filter-match highlights. Pure: reads state, writes cells.

use std::collections::HashSet;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::ui::table::{MARKER, RowSource, TableState, sort_hotkeys};
use crate::ui::theme::{Role, Theme};

/// Write `text` at (x, y) within `width` cells; returns cells used. Chars whose index is in
/// `hl` get `hl_style` patched on. Never writes outside the buffer (text is cut at its edge),
/// whatever the caller computed: a drawing primitive is where a too-small terminal is made
/// safe, not every view.
#[allow(clippy::too_many_arguments)]
pub fn put(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    text: &str,
    width: u16,
    style: Style,
    hl: Option<&[usize]>,
    hl_style: Style,
    right: bool,
) -> u16 {
    let width = width.min(buf.area.right().saturating_sub(x));
    if width == 0 || y < buf.area.top() || y >= buf.area.bottom() || x < buf.area.left() {
        return 0;
    }
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    let truncated = total > width as usize;
    let mut start_x = x;
    if right && !truncated {
        start_x = x + (width - total as u16);
    }
    let mut cx = start_x;
    let limit = x + width;
    for (i, ch) in text.chars().enumerate() {
        let w = ch.width().unwrap_or(0) as u16;
        if w == 0 {
            continue;
        }
        if truncated && cx + w >= limit {
            if cx < limit {
                buf[(cx, y)].set_symbol("…").set_style(style);
                cx += 1;
            }
            break;
        }
        if cx + w > limit {
            break;
        }
        let mut st = style;
        if hl.is_some_and(|h| h.binary_search(&i).is_ok()) {
            st = st.patch(hl_style);
        }
        let mut s = [0u8; 4];
        buf[(cx, y)]
            .set_symbol(ch.encode_utf8(&mut s))
            .set_style(st);
        if w == 2 && cx + 1 < limit {
            buf[(cx + 1, y)].set_symbol("").set_style(st);
        }
        cx += w;
    }
    cx - start_x
}

/// Fill a rectangle with a style (background for selection etc.), clipped to the buffer.
pub fn fill(buf: &mut Buffer, area: Rect, style: Style) {
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            buf[(x, y)].set_symbol(" ").set_style(style);
        }
    }
}

/// Set one cell, if it is inside the buffer.
pub fn set_cell(buf: &mut Buffer, x: u16, y: u16, symbol: &str, style: Style) {
    if let Some(c) = buf.cell_mut((x, y)) {
        c.set_symbol(symbol).set_style(style);
    }
}

pub struct TableLook<'a> {
    pub marks: &'a HashSet<String>,
    pub focused: bool,
    /// Shown centered when there are no rows.
    pub empty: String,
    /// Upper-case letters the keymap uses here (not offered for shift+letter sorting).
    pub reserved: &'a [char],
}

/// Cursor glyph (column 0 of the marker) and mark glyph (column 1): both can show at once.
pub const CURSOR_GLYPH: &str = "▸";
pub const MARK_GLYPH: &str = "✓";

/// Draw the header and visible rows of `t` into `area`.
pub fn render_table(
    buf: &mut Buffer,
    area: Rect,
    t: &TableState,
    src: &dyn RowSource,
    theme: &Theme,
    look: &TableLook<'_>,
) {
    if area.height == 0 || area.width < 4 {
        return;
    }
    let cols = src.columns();
    let marker = MARKER;
    let fit = t.layout(cols, area.width);
    let shown: Vec<usize> = fit.iter().map(|(c, _)| *c).collect();
    let hotkeys = if t.sortable {
        sort_hotkeys(cols, &shown, look.reserved)
    } else {
        Vec::new()
    };
    let header_style = theme.style(Role::TableHeader);
    let key_style = header_style.add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
    fill(buf, Rect { height: 1, ..area }, header_style);
    let mut x = area.x + marker;
    for &(c, w) in &fit {
        if x >= area.right() {
            break;
        }
        let sorted_here = t.sortable && t.sort_col == c;
        let arrow = if t.sort_desc { "▼" } else { "▲" };
        let title = cols[c].title;
        let tw = (title.width() as u16).min(w.saturating_sub(u16::from(sorted_here)));
        let hk = hotkeys.iter().find(|h| h.0 == c).map(|h| [h.2]);
        // right-aligned titles sit over right-aligned numbers, the arrow after them
        let used = tw + u16::from(sorted_here);
        let start = if cols[c].right {
            x + w.saturating_sub(used)
        } else {
            x
        };
        let n = put(
            buf,
            start,
            area.y,
            title,
            tw,
            header_style,
            hk.as_ref().map(|h| h.as_slice()),
            key_style,
            false,
        );
        if sorted_here {
            put(
                buf,
                start + n,
                area.y,
                arrow,
                1,
                header_style,
                None,
                header_style,
                false,
            );
        }
        x = x.saturating_add(w + 1);
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    if t.order.is_empty() {
        let msg = match &t.filter_error {
            Some(e) => format!("✗ {e}"),
            None => look.empty.clone(),
        };
        let w = msg.width() as u16;
        if body.height > 0 {
            let y = body.y + body.height.min(3) / 2;
            let x = body.x + body.width.saturating_sub(w) / 2;
            let role = if t.filter_error.is_some() {
                Role::Error
            } else {
                Role::Muted
            };
            put(
                buf,
                x,
                y,
                &msg,
                body.width,
                theme.style(role),
                None,
                Style::default(),
                false,
            );
        }
        return;
    }
    let text_style = theme.style(Role::Text);
    let sel_style = theme.style(Role::Selection);
    let mark_style = theme.style(Role::Marked);
    let sel_mark_style = sel_style.patch(theme.style(Role::SelectionMarked));
    let match_style = theme.style(Role::Match);
    let end = (t.offset + body.height as usize).min(t.order.len());
    for (i, &r) in t.order[t.offset..end].iter().enumerate() {
        let y = body.y + i as u16;
        let row = r as usize;
        let selected = t.offset + i == t.cursor && look.focused;
        let marked = !look.marks.is_empty() && look.marks.contains(&src.id(row));
        // the cursor row's style wins over the mark's: the cursor never disappears
        let mut row_style = text_style;
        if marked {
            row_style = row_style.patch(mark_style);
        }
        if selected {
            row_style = row_style.patch(if marked { sel_mark_style } else { sel_style });
        }
        fill(
            buf,
            Rect {
                y,
                height: 1,
                ..body
            },
            row_style,
        );
        if selected {
            put(
                buf,
                body.x,
                y,
                CURSOR_GLYPH,
                1,
                row_style,
                None,
                row_style,
                false,
            );
        }
        if marked {
            let st = if selected {
                row_style
            } else {
                row_style.add_modifier(Modifier::BOLD)
            };
            put(buf, body.x + 1, y, MARK_GLYPH, 1, st, None, st, false);
        }
        let hl = t.highlights.get(&r);
        let mut x = body.x + marker;
        for &(c, w) in &fit {
            if x >= body.right() {
                break;
            }
            let mut st = src.style(row, c, theme);
            if marked {
                st = st.patch(mark_style);
            }
            if selected {
                st = st.patch(if marked { sel_mark_style } else { sel_style });
            }
            let mut text = src.text(row, c);
            let mut h: Option<Vec<usize>> = hl.and_then(|h| h.get(c)).cloned();
            if c == 0
                && let Some(p) = t.tree_prefix.get(row)
                && !p.is_empty()
            {
                let shift = p.chars().count();
                text = format!("{p}{text}");
                if let Some(v) = h.as_mut() {
                    v.iter_mut().for_each(|i| *i += shift);
                }
            }
            put(
                buf,
                x,
                y,
                &text,
                w,
                st,
                h.as_deref(),
                match_style,
                cols[c].right,
            );
            x = x.saturating_add(w + 1);
        }
    }
}

/// A horizontal bar `width` cells wide, `frac` of it filled.
pub fn bar(buf: &mut Buffer, x: u16, y: u16, width: u16, frac: f64, theme: &Theme, role: Role) {
    let full = ((frac.clamp(0.0, 1.0)) * f64::from(width)).round() as u16;
    for i in 0..width {
        let (sym, st) = if i < full {
            ("█", theme.style(role))
        } else {
            ("░", theme.style(Role::BarEmpty))
        };
        set_cell(buf, x.saturating_add(i), y, sym, st);
    }
}

/// Plain text within `w` cells; returns cells used.
pub fn text(buf: &mut Buffer, x: u16, y: u16, s: &str, w: u16, st: Style) -> u16 {
    put(buf, x, y, s, w, st, None, Style::default(), false)
}
