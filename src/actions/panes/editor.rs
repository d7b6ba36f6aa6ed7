//! A small multi-line text editor (pure): the run pane's shell command. Lines of chars, a
//! cursor, insert / newline / delete, cursor movement, paste (CR LF and CR become line
//! breaks, tabs four spaces, other control characters are dropped: what is sent is what
//! is shown).

/// At most this many characters in the editor (SendCommand's whole request is 64 KiB).
pub const MAX_CHARS: usize = 32_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Editor {
    lines: Vec<Vec<char>>,
    /// (line, column in chars); the column may sit one past the end of the line.
    pub row: usize,
    pub col: usize,
}

impl Default for Editor {
    fn default() -> Self {
        Editor {
            lines: vec![Vec::new()],
            row: 0,
            col: 0,
        }
    }
}

impl Editor {
    /// An editor holding `text`, the cursor at its end.
    pub fn with_text(text: &str) -> Self {
        let mut e = Editor::default();
        e.paste(text);
        e
    }

    /// The text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.lines.iter().map(|l| l.iter().collect())
    }

    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    pub fn is_blank(&self) -> bool {
        self.lines
            .iter()
            .all(|l| l.iter().all(|c| c.is_whitespace()))
    }

    fn len(&self) -> usize {
        self.lines.iter().map(Vec::len).sum::<usize>() + self.lines.len() - 1
    }

    /// Insert a printable character at the cursor (control characters are ignored).
    pub fn insert(&mut self, c: char) {
        if c.is_control() || self.len() >= MAX_CHARS {
            return;
        }
        let col = self.col.min(self.lines[self.row].len());
        self.lines[self.row].insert(col, c);
        self.col = col + 1;
    }

    /// Split the line at the cursor.
    pub fn newline(&mut self) {
        if self.len() >= MAX_CHARS {
            return;
        }
        let col = self.col.min(self.lines[self.row].len());
        let rest = self.lines[self.row].split_off(col);
        self.lines.insert(self.row + 1, rest);
        self.row += 1;
        self.col = 0;
    }

    /// Insert pasted text (line breaks kept, tabs as four spaces, control characters
    /// dropped).
    pub fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        for c in text.chars() {
            match c {
                '\n' => self.newline(),
                '\t' => (0..4).for_each(|_| self.insert(' ')),
                c => self.insert(c),
            }
        }
    }

    /// Delete the character before the cursor (joining lines at a line start).
    pub fn backspace(&mut self) {
        let col = self.col.min(self.lines[self.row].len());
        if col > 0 {
            self.lines[self.row].remove(col - 1);
            self.col = col - 1;
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.lines[self.row].len();
            self.lines[self.row].extend(line);
        }
    }

    /// Delete the character under the cursor (joining the next line at a line end).
    pub fn delete(&mut self) {
        let col = self.col.min(self.lines[self.row].len());
        if col < self.lines[self.row].len() {
            self.lines[self.row].remove(col);
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            self.lines[self.row].extend(next);
        }
        self.col = col;
    }

    pub fn left(&mut self) {
        let col = self.col.min(self.lines[self.row].len());
        if col > 0 {
            self.col = col - 1;
        } else if self.row > 0 {
            self.row -= 1;
            self.col = self.lines[self.row].len();
        }
    }

    pub fn right(&mut self) {
        let col = self.col.min(self.lines[self.row].len());
        if col < self.lines[self.row].len() {
            self.col = col + 1;
        } else if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = 0;
        }
    }

    /// Up a line; `false` on the first line (the form moves to the previous field).
    pub fn up(&mut self) -> bool {
        if self.row == 0 {
            return false;
        }
        self.row -= 1;
        true
    }

    /// Down a line; `false` on the last line.
    pub fn down(&mut self) -> bool {
        if self.row + 1 >= self.lines.len() {
            return false;
        }
        self.row += 1;
        true
    }

    pub fn home(&mut self) {
        self.col = 0;
    }

    pub fn end(&mut self) {
        self.col = self.lines[self.row].len();
    }

    /// The cursor's column as drawn (clamped to the line).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col.min(self.lines[self.row].len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_newlines_moving_and_deleting() {
        let mut e = Editor::default();
        for c in "df -h".chars() {
            e.insert(c);
        }
        e.newline();
        for c in "uptime".chars() {
            e.insert(c);
        }
        assert_eq!(e.text(), "df -h\nuptime");
        assert_eq!(e.cursor(), (1, 6));
        // up keeps the column, clamped to the shorter line
        assert!(e.up());
        assert_eq!(e.cursor(), (0, 5));
        assert!(!e.up());
        e.home();
        e.insert('#');
        assert_eq!(e.text(), "#df -h\nuptime");
        // backspace at a line start joins the lines
        assert!(e.down());
        e.home();
        e.backspace();
        assert_eq!(e.text(), "#df -huptime");
        e.delete();
        assert_eq!(e.text(), "#df -hptime");
        e.left();
        e.left();
        e.right();
        assert_eq!(e.cursor(), (0, 5));
        e.end();
        e.delete();
        assert_eq!(e.text(), "#df -hptime");
    }

    #[test]
    fn paste_keeps_lines_and_drops_control_characters() {
        let mut e = Editor::with_text("a\r\nb\rc\td\x1b[31m");
        assert_eq!(e.text(), "a\nb\nc    d[31m");
        assert_eq!(e.line_count(), 3);
        assert!(!e.is_blank());
        e = Editor::with_text(" \n \t");
        assert!(e.is_blank());
        let big = "x".repeat(MAX_CHARS + 10);
        assert_eq!(Editor::with_text(&big).text().len(), MAX_CHARS);
    }
}
