//! The column chooser (`C`, `:columns`): the view's columns with checkboxes, in the order
//! drawn. Space shows / hides the column under the cursor, `J` / `K` move it down / up,
//! `r` goes back to the view's defaults. Every change applies at once and is saved to
//! `views.toml` (k9s `views.yaml`); the file is checked at startup with file and line.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::checklist;
use super::contract::{ColumnChoice, Handled, Open, Pane, PaneCx, PaneSize, Selection, Spec};
use crate::ui::action::Action;
use crate::ui::table::Column;
use crate::ui::theme::{Role, Theme};

/// The keys the chooser reads itself (besides the keymap), for the help.
pub const CHOOSER_KEYS: &[(&str, &str)] = &[
    ("space", "show / hide the column"),
    ("J K", "move the column right / left"),
    ("r", "back to the defaults"),
    ("enter esc", "close (the choice is saved at once)"),
];

pub const SPEC: Spec = Spec {
    id: "columns",
    commands: &["columns", "cols"],
    describe: "Choose and order this table's columns",
    action: Some(Action::ChooseColumns),
    table: false,
    scoped: false,
    open: Open::Pane(open),
};

fn open(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    let (t, src) = sel
        .view
        .table()
        .ok_or("this view has no table whose columns can be chosen")?;
    let cols = src.columns();
    Ok(Box::new(ChooserPane::new(
        sel.view_id(),
        cols,
        &t.offered_columns(cols),
    )))
}

/// The chooser's state: every column, shown or not, in order.
pub struct ChooserPane {
    view: &'static str,
    cols: &'static [Column],
    /// (column index, shown), in the order drawn (shown ones first, then the others).
    pub items: Vec<(usize, bool)>,
    pub cursor: usize,
}

impl ChooserPane {
    pub fn new(view: &'static str, cols: &'static [Column], offered: &[usize]) -> ChooserPane {
        let mut items: Vec<(usize, bool)> = offered
            .iter()
            .filter(|&&c| c < cols.len())
            .map(|&c| (c, true))
            .collect();
        for c in 0..cols.len() {
            if !offered.contains(&c) {
                items.push((c, false));
            }
        }
        ChooserPane {
            view,
            cols,
            items,
            cursor: 0,
        }
    }

    /// The shown columns, in order.
    pub fn chosen(&self) -> Vec<usize> {
        self.items
            .iter()
            .filter(|(_, on)| *on)
            .map(|(c, _)| *c)
            .collect()
    }

    fn apply(&self, cx: &mut PaneCx<'_>) {
        cx.columns = Some(ColumnChoice {
            cols: self.cols,
            chosen: Some(self.chosen()),
        });
    }

    fn toggle(&mut self, cx: &mut PaneCx<'_>) {
        let Some(item) = self.items.get(self.cursor).copied() else {
            return;
        };
        if item.1 && self.chosen().len() == 1 {
            cx.error("at least one column stays shown");
            return;
        }
        self.items[self.cursor].1 = !item.1;
        self.apply(cx);
    }

    fn shift(&mut self, delta: isize, cx: &mut PaneCx<'_>) {
        let to = self.cursor as isize + delta;
        if to < 0 || to as usize >= self.items.len() {
            return;
        }
        self.items.swap(self.cursor, to as usize);
        self.cursor = to as usize;
        self.apply(cx);
    }

    fn reset(&mut self, cx: &mut PaneCx<'_>) {
        let defaults: Vec<usize> = (0..self.cols.len())
            .filter(|&c| !self.cols[c].hidden)
            .collect();
        *self = ChooserPane::new(self.view, self.cols, &defaults);
        cx.columns = Some(ColumnChoice {
            cols: self.cols,
            chosen: None,
        });
        cx.toast("columns: back to the view's defaults");
    }
}

impl Pane for ChooserPane {
    fn id(&self) -> &'static str {
        SPEC.id
    }

    fn title(&self) -> String {
        format!("Columns of {}", self.view)
    }

    fn size(&self) -> PaneSize {
        PaneSize::Modal {
            width_pct: 50,
            height_pct: 80,
        }
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut PaneCx<'_>) -> bool {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return false;
        }
        match key.code {
            KeyCode::Char(' ') => self.toggle(cx),
            KeyCode::Char('J') => self.shift(1, cx),
            KeyCode::Char('K') => self.shift(-1, cx),
            KeyCode::Char('r') => self.reset(cx),
            _ => return false,
        }
        true
    }

    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled {
        if checklist::move_cursor(&mut self.cursor, self.items.len(), &action) {
            return Handled::Consumed;
        }
        match action {
            Action::Open => cx.close = true,
            Action::Back | Action::Quit | Action::Help => return Handled::NotConsumed,
            _ => {}
        }
        Handled::Consumed
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let mut lines = checklist::header(
            theme,
            [
                "space show/hide · J/K move · r defaults · Enter/Esc close",
                "order = left to right; saved to views.toml at once",
            ],
        );
        let (offset, room) = checklist::window(self.cursor, area.height, lines.len());
        for (i, (c, on)) in self.items.iter().enumerate().skip(offset).take(room) {
            let (style, [cursor, check]) = checklist::row_start(theme, i == self.cursor, *on);
            let note = if self.cols[*c].hidden && !*on {
                "  (not shown by default)"
            } else {
                ""
            };
            lines.push(Line::from(vec![
                cursor,
                check,
                Span::styled(self.cols[*c].title.to_string(), style),
                Span::styled(note, theme.style(Role::Muted)),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![(Action::Back, "close")]
    }
}
