//! Drawing the shared table: only the visible window, columns fitted to the width, sort
//! arrow, marks, selection and filter-match highlights. Pure: reads state, writes cells.

use std::collections::HashSet;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthChar;

use crate::ui::table::{RowSource, TableState, fit_columns};
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
}

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
    let marker = 2u16;
    let fit = fit_columns(cols, area.width, marker);
    let header_style = theme.style(Role::TableHeader);
    fill(buf, Rect { height: 1, ..area }, header_style);
    let mut x = area.x + marker;
    for &(c, w) in &fit {
        let mut title = cols[c].title.to_string();
        if t.sortable && t.sort_col == c {
            title.push(if t.sort_desc { '▼' } else { '▲' });
        }
        put(
            buf,
            x,
            area.y,
            &title,
            w,
            header_style,
            None,
            header_style,
            cols[c].right,
        );
        x += w + 1;
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    if t.order.is_empty() {
        let msg = &look.empty;
        let w = msg.chars().count() as u16;
        if body.height > 0 {
            let y = body.y + body.height.min(3) / 2;
            let x = body.x + body.width.saturating_sub(w) / 2;
            put(
                buf,
                x,
                y,
                msg,
                body.width,
                theme.style(Role::Muted),
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
    let match_style = theme.style(Role::Match);
    let end = (t.offset + body.height as usize).min(t.order.len());
    for (i, &r) in t.order[t.offset..end].iter().enumerate() {
        let y = body.y + i as u16;
        let row = r as usize;
        let selected = t.offset + i == t.cursor;
        let marked = !look.marks.is_empty() && look.marks.contains(&src.id(row));
        let mut row_style = text_style;
        if marked {
            row_style = row_style.patch(mark_style);
        }
        if selected && look.focused {
            row_style = row_style.patch(sel_style);
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
        if marked {
            put(buf, body.x, y, "●", 1, row_style, None, row_style, false);
        } else if selected && look.focused {
            put(buf, body.x, y, "▸", 1, row_style, None, row_style, false);
        }
        let hl = t.highlights.get(&r);
        let mut x = body.x + marker;
        for &(c, w) in &fit {
            let mut st = src.style(row, c, theme);
            if marked {
                st = st.patch(mark_style);
            }
            if selected && look.focused {
                st = st.patch(sel_style);
            }
            let text = src.text(row, c);
            let h = hl.and_then(|h| h.get(c)).map(|v| v.as_slice());
            put(buf, x, y, &text, w, st, h, match_style, cols[c].right);
            x += w + 1;
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
