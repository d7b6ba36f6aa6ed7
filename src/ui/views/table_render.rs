//! Drawing the shared table: only the visible window, columns fitted to the width, sort
//! arrow, marks, selection and filter-match highlights. Pure: reads state, writes cells.

use std::collections::HashSet;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::ui::table::{MARKER, RowSource, TableState, hidden_marker, sort_hotkeys};
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

/// `text` in `w` cells, cut in the middle (`Microsoft Wi…2019 Datacenter`): the end, where
/// similar names differ, keeps two thirds.
pub fn cut_middle(text: &str, w: u16) -> String {
    let w = usize::from(w);
    if text.width() <= w {
        return text.to_string();
    }
    if w < 3 {
        return text.chars().take(w).collect();
    }
    let tail_w = (w - 1) * 2 / 3;
    let head_w = w - 1 - tail_w;
    let mut head = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let cw = ch.width().unwrap_or(0);
        if used + cw > head_w {
            break;
        }
        used += cw;
        head.push(ch);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for ch in text.chars().rev() {
        let cw = ch.width().unwrap_or(0);
        if used + cw > tail_w {
            break;
        }
        used += cw;
        tail.push(ch);
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
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
    let lay = t.layout_full(cols, area.width);
    let fit = lay.cols.clone();
    // columns hidden left / right: `◂ 3` after the pinned column, `4 ▸` at the right edge
    let (lmark, lw) = hidden_marker(lay.hidden_left, true);
    let (rmark, rw) = hidden_marker(lay.hidden_right, false);
    let mut title_end = area.x;
    // x of each drawn column (the left marker's cells after the pinned one)
    let col_x: Vec<u16> = {
        let mut x = area.x + marker;
        let mut out = Vec::with_capacity(fit.len());
        for (i, &(_, w)) in fit.iter().enumerate() {
            out.push(x);
            x = x.saturating_add(w + 1);
            if i == 0 {
                x = x.saturating_add(lw);
            }
        }
        out
    };
    let shown: Vec<usize> = fit.iter().map(|(c, _)| *c).collect();
    let hotkeys = if t.sortable {
        sort_hotkeys(cols, &shown, look.reserved)
    } else {
        Vec::new()
    };
    let header_style = theme.style(Role::TableHeader);
    let key_style = header_style.add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
    fill(buf, Rect { height: 1, ..area }, header_style);
    let more_style = header_style
        .patch(Style {
            fg: theme.style(Role::Key).fg,
            ..Style::default()
        })
        .add_modifier(Modifier::BOLD);
    if lw > 0 && col_x.len() > 1 {
        text(buf, col_x[1] - lw, area.y, &lmark, lw - 1, more_style);
    } else if lw > 0 {
        text(
            buf,
            col_x[0] + fit[0].1 + 1,
            area.y,
            &lmark,
            lw - 1,
            more_style,
        );
    }
    for (&(c, w), &x) in fit.iter().zip(&col_x) {
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
        title_end = title_end.max(start + n + u16::from(sorted_here));
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
    }
    if rw > 0 {
        // kept free by the layout, else in the header's free cells after the last title,
        // else a bare `▸` in the last cell
        let w = rw - 1;
        if lay.reserved_right > 0 || area.right().saturating_sub(title_end) >= rw {
            text(
                buf,
                area.right().saturating_sub(w),
                area.y,
                &rmark,
                w,
                more_style,
            );
        } else {
            text(
                buf,
                area.right().saturating_sub(1),
                area.y,
                "▸",
                1,
                more_style,
            );
        }
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
        for (&(c, w), &x) in fit.iter().zip(&col_x) {
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
            if cols[c].mid && text.width() > usize::from(w) {
                text = cut_middle(&text, w);
                h = None;
            }
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

#[cfg(test)]
mod tests {
    //! Horizontal scroll of the one table widget: every column reachable, markers, sizes.
    use super::*;
    use crate::ui::table::Column;

    /// Ten columns, NAME pinned; each cell's text ends with its column number so a cut
    /// cell is visible in a test.
    struct Wide;
    const COLS: &[Column] = &[
        Column::new("NAME", 16, 0),
        Column::new("ACCOUNT", 16, 1),
        Column::new("REGION", 14, 2),
        Column::new("SCHEDULE", 22, 3),
        Column::new("IN WORDS", 26, 4),
        Column::new("NEXT RUN", 24, 5),
        Column::new("TASKS", 30, 6),
        Column::new("LAST RUN", 16, 7),
        Column::new("FAILED", 6, 8).num(),
        Column::new("FAIL 30D", 8, 9).num().optional(),
    ];
    impl RowSource for Wide {
        fn columns(&self) -> &'static [Column] {
            COLS
        }
        fn len(&self) -> usize {
            3
        }
        fn id(&self, r: usize) -> String {
            format!("row-{r}")
        }
        fn text(&self, r: usize, c: usize) -> String {
            if c == 0 {
                format!("window-{r}")
            } else {
                let w = usize::from(COLS[c].width) - 3;
                format!("{}{c:02}", "x".repeat(w))
            }
        }
    }

    fn draw(t: &TableState, w: u16, h: u16) -> Vec<String> {
        let theme = crate::ui::tests::theme();
        let marks = HashSet::new();
        let look = TableLook {
            marks: &marks,
            focused: true,
            empty: "none".into(),
            reserved: &[],
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        let area = buf.area;
        render_table(&mut buf, area, t, &Wide, &theme, &look);
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
            .collect()
    }

    fn table(width: u16, wide: bool, chosen: Option<Vec<usize>>) -> TableState {
        let mut t = TableState::new(0, false);
        t.width = width;
        t.wide = wide;
        t.chosen = chosen;
        t.rebuild(&Wide);
        t
    }

    /// Scroll right to the end, collecting every header seen; cells are never cut.
    fn sweep(t: &mut TableState, width: u16) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for _ in 0..COLS.len() + 2 {
            let screen = draw(t, width, 6);
            for c in COLS {
                if screen[0].contains(c.title) && !seen.iter().any(|s| s == c.title) {
                    seen.push(c.title.to_string());
                }
            }
            for line in &screen[1..4] {
                assert!(line.contains("window-"), "the first column stays: {line}");
                assert!(!line.contains('…'), "a cell cut at {width}: {line}");
            }
            if !t.scroll_columns(COLS, 1) {
                break;
            }
        }
        seen
    }

    #[test]
    fn wide_mode_reaches_every_column_at_80_120_and_200() {
        for width in [80u16, 120, 200] {
            let mut t = table(width, true, None);
            let first = draw(&t, width, 6);
            let l = t.layout_full(COLS, width);
            if l.hidden_right > 0 {
                assert!(
                    first[0]
                        .trim_end()
                        .ends_with(&format!("{} ▸", l.hidden_right)),
                    "the right marker counts the columns out of view at {width}: {}",
                    first[0]
                );
            }
            let seen = sweep(&mut t, width);
            assert_eq!(seen.len(), COLS.len(), "at {width}: {seen:?}");
            // at the end: the left marker counts what scrolled off, none on the right
            let last = draw(&t, width, 6);
            let l = t.layout_full(COLS, width);
            assert_eq!(l.hidden_right, 0);
            if width < 200 {
                assert!(l.hidden_left > 0);
                assert!(
                    last[0].contains(&format!("◂ {}", l.hidden_left)),
                    "{}",
                    last[0]
                );
            }
            // and back: ← returns to the start
            while t.scroll_columns(COLS, -1) {}
            assert_eq!(draw(&t, width, 6), first);
        }
    }

    #[test]
    fn chosen_columns_are_never_dropped_silently() {
        // the user chose FAIL 30D (an optional column) and the rest: at 80 columns they do
        // not fit, the marker says so and → reaches them
        let chosen: Vec<usize> = (0..COLS.len()).collect();
        let mut t = table(80, false, Some(chosen));
        let screen = draw(&t, 80, 6);
        let l = t.layout_full(COLS, 80);
        assert!(l.hidden_right > 0);
        assert!(
            screen[0].contains(&format!("{} ▸", l.hidden_right)),
            "{}",
            screen[0]
        );
        let seen = sweep(&mut t, 80);
        assert!(seen.iter().any(|s| s == "FAIL 30D"), "{seen:?}");
        assert_eq!(seen.len(), COLS.len());
    }

    #[test]
    fn fitted_columns_say_how_many_were_dropped_and_scroll_reaches_them() {
        let mut t = table(80, false, None);
        let l = t.layout_full(COLS, 80);
        assert!(l.hidden_right > 0, "{l:?}");
        let screen = draw(&t, 80, 6);
        assert!(
            screen[0]
                .trim_end()
                .ends_with(&format!("{} ▸", l.hidden_right)),
            "{}",
            screen[0]
        );
        // at every width, not only where the header happens to have free cells: the fitted
        // columns leave the count its room
        for width in 50u16..200 {
            let t = table(width, false, None);
            let l = t.layout_full(COLS, width);
            if l.hidden_right > 0 {
                let screen = draw(&t, width, 6);
                assert!(
                    screen[0]
                        .trim_end()
                        .ends_with(&format!("{} ▸", l.hidden_right)),
                    "at {width}: {}",
                    screen[0]
                );
            }
        }
        // every default column is reachable with →
        let seen = sweep(&mut t, 80);
        assert_eq!(
            seen.len(),
            COLS.len() - 1,
            "all but the optional one: {seen:?}"
        );
        // 200 columns: everything fits, no marker, no scroll
        let mut t = table(200, false, None);
        let screen = draw(&t, 200, 6);
        assert!(
            !screen[0].contains('▸') && !screen[0].contains('◂'),
            "{}",
            screen[0]
        );
        assert!(!t.scroll_columns(COLS, 1), "nothing to scroll to");
    }

    #[test]
    fn a_middle_cut_keeps_the_part_that_differs() {
        let a = cut_middle("Microsoft Windows Server 2019 Datacenter", 24);
        let b = cut_middle("Microsoft Windows Server 2022 Datacenter", 24);
        assert_ne!(a, b);
        assert_eq!(a.width(), 24);
        assert!(a.contains('…') && a.ends_with("2019 Datacenter"), "{a}");
        assert_eq!(cut_middle("short", 24), "short");
        for w in 0..6 {
            assert!(cut_middle("Microsoft Windows", w).width() <= usize::from(w));
        }
    }

    #[test]
    fn no_size_panics_scrolled_or_not() {
        for wide in [false, true] {
            for (w, h) in [
                (20u16, 5u16),
                (1, 1),
                (4, 2),
                (5, 3),
                (12, 4),
                (30, 5),
                (80, 24),
            ] {
                let mut t = table(w, wide, None);
                for _ in 0..COLS.len() + 2 {
                    let screen = draw(&t, w, h);
                    assert_eq!(screen.len(), usize::from(h));
                    t.scroll_columns(COLS, 1);
                }
                while t.scroll_columns(COLS, -1) {}
                let l = t.layout_full(COLS, w);
                let used: u32 = l.cols.iter().map(|(_, w)| u32::from(*w) + 1).sum();
                assert!(w < 8 || used <= u32::from(w), "layout fits {w}: {l:?}");
            }
        }
    }
}
