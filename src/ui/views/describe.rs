//! The describe / raw pane (k9s `d` / `y`): every field of the selected row, wrapped, or the
//! record as pretty JSON. Scroll (j/k, PgUp/PgDn, g/G), search (`/`, n/N, matches
//! highlighted), copy (`c`, OSC 52), switch between the two (d / y / tab). The documents
//! come from [`super::doc`] through each view's `View::describe`; this file only lays them
//! out and handles keys.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::theme::{Role, Theme};
use super::contract::{Handled, Open, Pane, PaneCx, PaneSize, Selection, Spec};
use super::doc::{Doc, Item};

/// Pane id (and keymap section) of the describe view.
/// The keys both panes answer besides their keymap sections, for the help.
pub const PANE_KEYS: &[(&str, &str)] = &[
    ("d y tab", "switch between the description and the raw JSON"),
    (
        "/",
        "search: type, enter ends, esc clears; n / N move between matches",
    ),
    ("j k pgup pgdn g G", "scroll"),
    ("c", "copy the text (OSC 52)"),
    ("esc", "close"),
];

pub const ID: &str = "describe";
/// Pane id (and keymap section) of the raw JSON view.
pub const RAW_ID: &str = "raw";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["describe"],
    describe: "Describe the selected row: every field, wrapped, scrollable, searchable",
    action: Some(Action::Describe),
    scoped: false,
    table: false,
    open: Open::Pane(|sel| open(sel, Mode::Describe)),
};

pub const RAW_SPEC: Spec = Spec {
    id: RAW_ID,
    commands: &["raw", "json", "yaml"],
    describe: "Raw JSON of the record behind the selected row",
    action: Some(Action::RawView),
    scoped: false,
    table: false,
    open: Open::Pane(|sel| open(sel, Mode::Raw)),
};

fn open(sel: &Selection<'_>, mode: Mode) -> Result<Box<dyn Pane>, String> {
    if let Some(doc) = sel.view.describe_local() {
        return Ok(Box::new(DescribePane::new(doc?, mode)));
    }
    let data = sel
        .data
        .ok_or("Nothing to describe yet: wait for the first refresh")?;
    let doc = sel.view.describe(data, sel.now)?;
    Ok(Box::new(DescribePane::new(doc, mode)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Describe,
    Raw,
}

/// One logical line: a fixed prefix (label column or indent) and text that wraps under
/// itself.
#[derive(Clone, Debug, PartialEq)]
struct Logical {
    prefix: String,
    prefix_role: Role,
    text: Vec<char>,
    role: Role,
}

/// One screen row: part `start..end` (chars) of logical line `line`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Row {
    line: usize,
    start: usize,
    end: usize,
    first: bool,
}

/// A search match: chars `start..start+len` of logical line `line`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Match {
    line: usize,
    start: usize,
    len: usize,
}

pub struct DescribePane {
    doc: Doc,
    mode: Mode,
    lines: Vec<Logical>,
    /// First screen row shown.
    scroll: usize,
    search: String,
    editing: bool,
    matches: Vec<Match>,
    current: usize,
    /// Body size at the last draw (width, height): scrolling and `n` need the wrapping.
    last: Cell<(u16, u16)>,
}

impl DescribePane {
    pub fn new(doc: Doc, mode: Mode) -> DescribePane {
        let mut p = DescribePane {
            doc,
            mode,
            lines: Vec::new(),
            scroll: 0,
            search: String::new(),
            editing: false,
            matches: Vec::new(),
            current: 0,
            last: Cell::new((78, 20)),
        };
        p.relayout();
        p
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn set_mode(&mut self, mode: Mode) {
        if self.mode != mode {
            self.mode = mode;
            self.scroll = 0;
            self.relayout();
        }
    }

    fn relayout(&mut self) {
        self.lines = match self.mode {
            Mode::Describe => describe_lines(&self.doc),
            Mode::Raw => self
                .doc
                .raw_text()
                .lines()
                .map(|l| {
                    // a long value wraps under its own indentation, not at column 0
                    let clean = crate::text::sanitize(l);
                    let body = clean.trim_start_matches(' ');
                    Logical {
                        prefix: " ".repeat(clean.len() - body.len()),
                        prefix_role: Role::Text,
                        text: body.chars().collect(),
                        role: Role::Text,
                    }
                })
                .collect(),
        };
        self.find();
    }

    /// The text `c` copies: the document as shown (describe) or the JSON (raw).
    pub fn copy_text(&self) -> String {
        match self.mode {
            Mode::Describe => self.doc.plain_text(),
            Mode::Raw => self.doc.raw_text(),
        }
    }

    fn find(&mut self) {
        self.matches.clear();
        self.current = 0;
        let q: Vec<char> = self.search.chars().flat_map(|c| c.to_lowercase()).collect();
        if q.is_empty() {
            return;
        }
        for (i, l) in self.lines.iter().enumerate() {
            let t: Vec<char> = l
                .text
                .iter()
                .map(|c| c.to_lowercase().next().unwrap_or(*c))
                .collect();
            let mut s = 0;
            while s + q.len() <= t.len() {
                if t[s..s + q.len()] == q[..] {
                    self.matches.push(Match {
                        line: i,
                        start: s,
                        len: q.len(),
                    });
                    s += q.len();
                } else {
                    s += 1;
                }
            }
        }
    }

    fn rows(&self, width: u16) -> Vec<Row> {
        let mut out = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            let pw = str_width(&l.prefix);
            let avail = (width as usize).saturating_sub(pw).max(8);
            for (k, (start, end)) in wrap(&l.text, avail).into_iter().enumerate() {
                out.push(Row {
                    line: i,
                    start,
                    end,
                    first: k == 0,
                });
            }
        }
        out
    }

    fn max_scroll(&self) -> usize {
        let (w, h) = self.last.get();
        self.rows(w).len().saturating_sub(h as usize)
    }

    fn scroll_by(&mut self, d: isize) {
        let max = self.max_scroll();
        self.scroll = (self.scroll as isize + d).clamp(0, max as isize) as usize;
    }

    /// Bring the current match into view.
    fn show_current(&mut self) {
        let Some(m) = self.matches.get(self.current).copied() else {
            return;
        };
        let (w, h) = self.last.get();
        let rows = self.rows(w);
        if let Some(r) = rows.iter().position(|r| {
            r.line == m.line && m.start < r.end.max(r.start + 1) && m.start >= r.start
        }) {
            let h = h.max(1) as usize;
            if r < self.scroll || r >= self.scroll + h {
                self.scroll = r.saturating_sub(h / 3);
            }
            self.scroll = self.scroll.min(rows.len().saturating_sub(h));
        }
    }

    fn step_match(&mut self, d: isize) {
        if self.matches.is_empty() {
            return;
        }
        let n = self.matches.len() as isize;
        self.current = ((self.current as isize + d).rem_euclid(n)) as usize;
        self.show_current();
    }

    fn search_status(&self) -> String {
        if !self.editing && self.search.is_empty() {
            return String::new();
        }
        let pos = if self.matches.is_empty() {
            "no match".to_string()
        } else {
            format!("{}/{}", self.current + 1, self.matches.len())
        };
        format!(
            "/{}{} [{pos}]",
            crate::text::sanitize(&self.search),
            if self.editing { "█" } else { "" }
        )
    }
}

fn str_width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Char ranges of `text` wrapped at `width` cells, breaking after the row's last space
/// (a word longer than the row is cut where the row ends). Never loses a character; an empty text is one
/// empty row.
pub fn wrap(text: &[char], width: usize) -> Vec<(usize, usize)> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut w = 0;
        let mut end = start;
        while end < text.len() {
            let cw = text[end].width().unwrap_or(0);
            if w + cw > width && end > start {
                break;
            }
            w += cw;
            end += 1;
        }
        if end < text.len()
            && let Some(sp) = text[start..end].iter().rposition(|c| *c == ' ')
            && sp > 0
        {
            end = start + sp + 1;
        }
        // a space where the row breaks stays at the end of this row (invisible), so the
        // next row does not start with it
        if end < text.len() && text[end] == ' ' {
            end += 1;
        }
        out.push((start, end));
        start = end;
    }
    if out.is_empty() {
        out.push((0, 0));
    }
    out
}

fn describe_lines(doc: &Doc) -> Vec<Logical> {
    let w = doc.label_width();
    let mut out: Vec<Logical> = Vec::new();
    let line = |prefix: String, prefix_role, text: &str, role| Logical {
        prefix,
        prefix_role,
        text: text.chars().collect(),
        role,
    };
    for it in &doc.items {
        match it {
            Item::Heading(h) => {
                if !out.is_empty() {
                    out.push(line(String::new(), Role::Text, "", Role::Text));
                }
                out.push(line(String::new(), Role::Title, h, Role::Title));
            }
            Item::Field { label, value, role } => {
                out.push(line(format!("  {label:<w$}  "), Role::Muted, value, *role));
            }
            Item::List { label, values } => {
                for (i, v) in values.iter().enumerate() {
                    let l = if i == 0 { label.as_str() } else { "" };
                    out.push(line(format!("  {l:<w$}  "), Role::Muted, v, Role::Text));
                }
            }
            Item::Text { text, role } => {
                out.push(line("    ".into(), Role::Muted, text, *role));
            }
        }
    }
    out
}

fn search_key(key: &KeyEvent) -> Option<KeyCode> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char(_) if ctrl => None,
        c @ (KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Enter | KeyCode::Esc) => Some(c),
        _ => None,
    }
}

impl Pane for DescribePane {
    fn id(&self) -> &'static str {
        match self.mode {
            Mode::Describe => ID,
            Mode::Raw => RAW_ID,
        }
    }

    fn title(&self) -> String {
        match self.mode {
            Mode::Describe => format!("Describe · {}", self.doc.title),
            Mode::Raw => format!("Raw JSON · {}", self.doc.title),
        }
    }

    fn size(&self) -> PaneSize {
        PaneSize::Full
    }

    fn key(&mut self, key: &KeyEvent, _cx: &mut PaneCx<'_>) -> bool {
        if !self.editing {
            return false;
        }
        match search_key(key) {
            Some(KeyCode::Char(c)) => {
                self.search.push(c);
                self.find();
                self.show_current();
            }
            Some(KeyCode::Backspace) => {
                self.search.pop();
                self.find();
                self.show_current();
            }
            Some(KeyCode::Enter) => self.editing = false,
            Some(KeyCode::Esc) => {
                self.editing = false;
                self.search.clear();
                self.find();
            }
            _ => return false,
        }
        true
    }

    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled {
        let page = (self.last.get().1 as isize - 1).max(1);
        match action {
            Action::Back if !self.search.is_empty() => {
                self.search.clear();
                self.find();
            }
            Action::Up => self.scroll_by(-1),
            Action::Down => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-page),
            Action::PageDown => self.scroll_by(page),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = self.max_scroll(),
            Action::FilterMode => {
                self.editing = true;
                self.search.clear();
                self.find();
            }
            Action::NextMatch => self.step_match(1),
            Action::PrevMatch => self.step_match(-1),
            Action::Describe => self.set_mode(Mode::Describe),
            Action::RawView => self.set_mode(Mode::Raw),
            Action::NextTab | Action::PrevTab => self.set_mode(match self.mode {
                Mode::Describe => Mode::Raw,
                Mode::Raw => Mode::Describe,
            }),
            Action::Copy => {
                let text = self.copy_text();
                let (fit, cut) = super::super::clipboard::fit(&text);
                let n = fit.lines().count();
                cx.effects.push(Effect::Clipboard(fit.to_string()));
                cx.toast(format!(
                    "copied {n} line{} of the {} to the clipboard (OSC 52){}",
                    if n == 1 { "" } else { "s" },
                    match self.mode {
                        Mode::Describe => "description",
                        Mode::Raw => "JSON",
                    },
                    if cut {
                        " — cut at the terminal's limit"
                    } else {
                        ""
                    }
                ));
            }
            // Enter has nothing to open here; quitting and closing go to the console
            Action::Open => {}
            _ => return Handled::NotConsumed,
        }
        Handled::Consumed
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let head = Rect { height: 1, ..area };
        let body = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        self.last.set((body.width, body.height));
        let rows = self.rows(body.width);
        let scroll = self
            .scroll
            .min(rows.len().saturating_sub(body.height as usize));
        // header: which view, which record, where we are, the search
        let tab = |m: Mode, label: &str| {
            if self.mode == m {
                Span::styled(format!("[{label}]"), theme.style(Role::Title))
            } else {
                Span::styled(format!(" {label} "), theme.style(Role::Muted))
            }
        };
        let pos = if rows.len() > body.height as usize {
            format!(
                " {}-{}/{} ",
                scroll + 1,
                (scroll + body.height as usize).min(rows.len()),
                rows.len()
            )
        } else {
            String::new()
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw(" "),
                tab(Mode::Describe, "describe"),
                Span::raw(" "),
                tab(Mode::Raw, "raw"),
                Span::styled(pos, theme.style(Role::Muted)),
                Span::styled(self.search_status(), theme.style(Role::Prompt)),
            ])),
            head,
        );
        let current = self.matches.get(self.current).copied();
        let mut out: Vec<Line> = Vec::new();
        for r in rows.iter().skip(scroll).take(body.height as usize) {
            let l = &self.lines[r.line];
            let mut spans = Vec::new();
            if r.first {
                spans.push(Span::styled(l.prefix.clone(), theme.style(l.prefix_role)));
            } else {
                spans.push(Span::raw(" ".repeat(str_width(&l.prefix))));
            }
            // split the row at match boundaries
            let base = theme.style(l.role);
            let mut i = r.start;
            while i < r.end {
                let hit = self
                    .matches
                    .iter()
                    .find(|m| m.line == r.line && m.start <= i && i < m.start + m.len);
                let (end, style) = match hit {
                    Some(m) => {
                        let st: Style = if Some(*m) == current {
                            theme.style(Role::Selection).add_modifier(Modifier::BOLD)
                        } else {
                            theme.style(Role::Match).add_modifier(Modifier::BOLD)
                        };
                        ((m.start + m.len).min(r.end), st)
                    }
                    None => {
                        let next = self
                            .matches
                            .iter()
                            .filter(|m| m.line == r.line && m.start > i)
                            .map(|m| m.start)
                            .min()
                            .unwrap_or(r.end)
                            .min(r.end);
                        (next, base)
                    }
                };
                spans.push(Span::styled(
                    l.text[i..end].iter().collect::<String>(),
                    style,
                ));
                i = end;
            }
            out.push(Line::from(spans));
        }
        frame.render_widget(Paragraph::new(out), body);
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Back, "close"),
            (
                match self.mode {
                    Mode::Describe => Action::RawView,
                    Mode::Raw => Action::Describe,
                },
                match self.mode {
                    Mode::Describe => "raw",
                    Mode::Raw => "describe",
                },
            ),
            (Action::FilterMode, "search"),
            (Action::NextMatch, "next"),
            (Action::Copy, "copy"),
            (Action::PageDown, "page"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_every_character_and_prefers_spaces() {
        let t: Vec<char> = "User: arn:aws:sts::111111111111:assumed-role/x is not authorized to perform: ssm:DescribeInstanceInformation".chars().collect();
        let rows = wrap(&t, 30);
        let joined: String = rows
            .iter()
            .map(|(s, e)| t[*s..*e].iter().collect::<String>())
            .collect();
        assert_eq!(joined, t.iter().collect::<String>());
        // at most the width, plus a trailing space where the row breaks
        assert!(
            rows.iter()
                .all(|(s, e)| e - s <= 30 || (e - s == 31 && t[e - 1] == ' '))
        );
        assert!(rows.iter().skip(1).all(|(s, _)| t[*s] != ' '), "{rows:?}");
        // words are kept whole when they fit a row: every row but the last ends at a space
        // or is a full row of one long word
        for (s, e) in &rows[..rows.len() - 1] {
            assert!(t[e - 1] == ' ' || e - s == 30, "{rows:?}");
        }
        assert_eq!(
            wrap(&"ab cd".chars().collect::<Vec<_>>(), 3),
            vec![(0, 3), (3, 5)]
        );
        assert_eq!(wrap(&[], 10), vec![(0, 0)]);
    }
}
