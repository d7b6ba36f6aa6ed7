//! What the checkbox panes share (`:region`'s region chooser and the column chooser): a
//! cursor moved by the list keys, two muted hint lines, the rows that fit, and each row's
//! `▸ [✓] ` start.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::ui::action::Action;
use crate::ui::theme::{Role, Theme};

/// Move `cursor` over `len` rows for a list key; `false` when `action` is not one.
pub fn move_cursor(cursor: &mut usize, len: usize, action: &Action) -> bool {
    let step = |cursor: &mut usize, delta: isize| {
        let n = len as isize;
        if n > 0 {
            *cursor = (*cursor as isize + delta).clamp(0, n - 1) as usize;
        }
    };
    match action {
        Action::Up => step(cursor, -1),
        Action::Down => step(cursor, 1),
        Action::PageUp => step(cursor, -10),
        Action::PageDown => step(cursor, 10),
        Action::Top => *cursor = 0,
        Action::Bottom => step(cursor, isize::MAX / 2),
        _ => return false,
    }
    true
}

/// The two hint lines and a blank one above the rows.
pub fn header(theme: &Theme, hints: [&'static str; 2]) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = hints
        .into_iter()
        .map(|h| Line::from(Span::styled(h, theme.style(Role::Muted))))
        .collect();
    lines.push(Line::from(""));
    lines
}

/// The rows to draw in `height` lines below `head` lines: (first row, how many), the
/// cursor's row always among them.
pub fn window(cursor: usize, height: u16, head: usize) -> (usize, usize) {
    let room = (height as usize).saturating_sub(head).max(1);
    (cursor.saturating_sub(room - 1), room)
}

/// A row's style (cursor, chosen, not chosen) and its `▸ [✓] ` start.
pub fn row_start(theme: &Theme, here: bool, on: bool) -> (Style, [Span<'static>; 2]) {
    let style = if here {
        theme.style(Role::Selection)
    } else if on {
        theme.style(Role::Text)
    } else {
        theme.style(Role::Muted)
    };
    (
        style,
        [
            Span::styled(if here { "▸ " } else { "  " }, style),
            Span::styled(if on { "[✓] " } else { "[ ] " }, style),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_stays_on_a_row_and_the_window_keeps_it_in_view() {
        let mut c = 0;
        assert!(move_cursor(&mut c, 5, &Action::Up));
        assert_eq!(c, 0);
        move_cursor(&mut c, 5, &Action::PageDown);
        assert_eq!(c, 4);
        move_cursor(&mut c, 5, &Action::Top);
        assert_eq!(c, 0);
        move_cursor(&mut c, 5, &Action::Bottom);
        assert_eq!(c, 4);
        assert!(!move_cursor(&mut c, 5, &Action::Open));
        let mut empty = 0;
        move_cursor(&mut empty, 0, &Action::Down);
        assert_eq!(empty, 0);
        // 10 lines, 3 of them the header: rows 3..=9 shown when the cursor is on row 9
        assert_eq!(window(9, 10, 3), (3, 7));
        assert_eq!(
            window(0, 2, 3),
            (0, 1),
            "a tiny pane still shows the cursor's row"
        );
    }
}
