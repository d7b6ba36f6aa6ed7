//! The one sortable, filterable, markable table used by every list view.
//!
//! A view supplies a [`RowSource`] (rows over the snapshot, typed comparisons, cell text
//! and `field:value` predicates); [`TableState`] holds plain data: the sorted order, the
//! filtered order, cursor, sort column and filter. Sorting and filtering happen here, in
//! update, when data or the filter changes — never in render.

use std::cmp::Ordering;
use std::collections::HashMap;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use ratatui::style::Style;

use super::filter::{Filter, Term};
use super::theme::{Role, Theme};

/// A column of a list view.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub title: &'static str,
    /// Preferred width in cells.
    pub width: u16,
    /// Lower = more important: columns are dropped from the highest priority number first
    /// when the terminal is narrow.
    pub priority: u8,
    pub right: bool,
    /// Takes the spare width (else the first column does).
    pub grow: bool,
    /// Part of the text the fuzzy filter searches (counts are not).
    pub search: bool,
}

impl Column {
    pub const fn new(title: &'static str, width: u16, priority: u8) -> Column {
        Column {
            title,
            width,
            priority,
            right: false,
            grow: false,
            search: true,
        }
    }
    /// Numbers: right-aligned and not searched by the fuzzy filter.
    pub const fn num(mut self) -> Column {
        self.right = true;
        self.search = false;
        self
    }
    pub const fn grow(mut self) -> Column {
        self.grow = true;
        self
    }
    pub const fn right(mut self) -> Column {
        self.right = true;
        self
    }
}

/// Rows of one view over the current data. `Sync`: large tables build their search text and
/// filter on every core.
pub trait RowSource: Sync {
    fn columns(&self) -> &'static [Column];
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Stable identity of a row (instance id for nodes): cursor and marks follow it.
    fn id(&self, row: usize) -> String;
    /// Sanitized display text of a cell.
    fn text(&self, row: usize, col: usize) -> String;
    /// Append the cell's searchable text (as `text`) to `out`; views with many rows
    /// override it to avoid an allocation per cell.
    fn push_text(&self, row: usize, col: usize, out: &mut String) {
        out.push_str(&self.text(row, col));
    }
    /// Typed comparison for sorting by `col`.
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        self.text(a, col).cmp(&self.text(b, col))
    }
    /// A number that orders rows by `col` exactly as [`RowSource::compare`] does, for
    /// columns where one exists (counts, ranks, times): large tables then sort on a flat
    /// array of keys instead of calling `compare` n·log n times. `None`: use `compare`.
    fn sort_key(&self, _row: usize, _col: usize) -> Option<i64> {
        None
    }
    /// Style of a cell (semantic roles only).
    fn style(&self, _row: usize, _col: usize, theme: &Theme) -> Style {
        theme.style(Role::Text)
    }
    /// Fields accepted in `field:value` filter terms (for help and error messages).
    fn fields(&self) -> &'static [&'static str] {
        &[]
    }
    /// Does `field:value` match by substring (so a longer value can only match fewer rows)?
    /// Lets the filter narrow the last result instead of scanning every row again.
    fn substring_field(&self, _field: &str) -> bool {
        false
    }
    /// Does `row` satisfy `field:value`? `None` when the field is unknown for this view.
    fn field_matches(&self, _row: usize, _field: &str, _value: &str) -> Option<bool> {
        None
    }
}

/// Sort / filter / cursor state of one table (no widgets, no I/O).
#[derive(Clone, Debug, Default)]
pub struct TableState {
    /// All rows, sorted.
    pub sorted: Vec<u32>,
    /// Rows passing the filter, in sort order.
    pub order: Vec<u32>,
    pub cursor: usize,
    pub offset: usize,
    pub sort_col: usize,
    pub sort_desc: bool,
    pub sortable: bool,
    pub filter: Filter,
    /// A problem with the filter (unknown field) shown in the header.
    pub filter_error: Option<String>,
    /// Per-row searchable text (visible columns joined); built on first need (a text
    /// filter) or when the console is idle ([`TableState::warm`]), not with the data, so a
    /// big fleet's first frame does not wait for it.
    haystacks: Vec<String>,
    hay_ready: bool,
    /// Column start offsets (in chars) within each haystack: `ncols` entries per row.
    col_starts: Vec<u16>,
    ncols: usize,
    /// Matched character positions per column, for rows in the visible window.
    pub highlights: HashMap<u32, Vec<Vec<usize>>>,
    /// Rows visible in the body (set from the terminal size).
    pub page: usize,
    /// Row id under the cursor, to keep the cursor on the same row across refreshes.
    pub selected_id: Option<String>,
    pub rows_total: usize,
    /// First row of the window `highlights` was computed for.
    hl_from: usize,
    /// Row under the cursor while the data is unchanged (filter / sort changes).
    selected_idx: Option<u32>,
}

const WINDOW: usize = 120;

impl TableState {
    pub fn new(sort_col: usize, sort_desc: bool) -> TableState {
        TableState {
            sort_col,
            sort_desc,
            sortable: true,
            page: 20,
            ..Default::default()
        }
    }

    pub fn unsorted() -> TableState {
        TableState {
            sortable: false,
            page: 20,
            ..Default::default()
        }
    }

    /// New data: rebuild search text, sort, filter; keep the cursor on the same row id.
    pub fn rebuild(&mut self, src: &dyn RowSource) {
        let n = src.len();
        self.haystacks = Vec::new();
        self.col_starts = Vec::new();
        self.hay_ready = false;
        self.rows_total = n;
        self.selected_idx = None; // new data: follow the row by id
        self.sort(src);
        let f = self.filter.clone();
        self.apply_filter(src, f, false);
    }

    /// Build the search text now if it is not built yet (idle time, or a text filter).
    pub fn warm(&mut self, src: &dyn RowSource) {
        if self.hay_ready {
            return;
        }
        let n = src.len();
        let ncols = src.columns().len();
        let parts = par_chunks(n, |range| search_text(src, range));
        self.haystacks = Vec::with_capacity(n);
        self.col_starts = Vec::with_capacity(n * ncols);
        for (h, starts) in parts {
            self.haystacks.extend(h);
            self.col_starts.extend(starts);
        }
        self.ncols = ncols;
        self.hay_ready = true;
    }

    /// Search text is pending (the console warms it when idle).
    pub fn needs_warm(&self) -> bool {
        !self.hay_ready && self.rows_total > 0
    }

    fn sort(&mut self, src: &dyn RowSource) {
        let mut rows: Vec<u32> = (0..src.len() as u32).collect();
        if self.sortable {
            let col = self.sort_col.min(src.columns().len().saturating_sub(1));
            let desc = self.sort_desc;
            if !rows.is_empty() && src.sort_key(0, col).is_some() {
                let mut keyed: Vec<(i64, u32)> = rows
                    .iter()
                    .map(|&r| (src.sort_key(r as usize, col).unwrap_or(i64::MIN), r))
                    .collect();
                // (key, row) pairs are distinct: an unstable sort gives the stable order
                keyed.sort_unstable_by(|a, b| {
                    let o = a.0.cmp(&b.0);
                    let o = if desc { o.reverse() } else { o };
                    o.then(a.1.cmp(&b.1))
                });
                self.sorted = keyed.into_iter().map(|(_, r)| r).collect();
                return;
            }
            rows.sort_by(|a, b| {
                let o = src.compare(*a as usize, *b as usize, col);
                let o = if desc { o.reverse() } else { o };
                o.then(a.cmp(b))
            });
        }
        self.sorted = rows;
    }

    /// Sort by `col` (toggling direction when it is already the sort column).
    pub fn sort_by(&mut self, src: &dyn RowSource, col: usize, desc: bool) {
        if !self.sortable {
            return;
        }
        self.remember_selection(src);
        self.sort_col = col;
        self.sort_desc = desc;
        self.sort(src);
        let f = self.filter.clone();
        self.apply_filter(src, f, false);
    }

    pub fn set_filter(&mut self, src: &dyn RowSource, text: &str) {
        self.remember_selection(src);
        let f = Filter::parse(text);
        let incremental = f.refines_with(&self.filter, |field| src.substring_field(field))
            && self.filter_error.is_none();
        self.apply_filter(src, f, incremental);
    }

    fn apply_filter(&mut self, src: &dyn RowSource, f: Filter, incremental: bool) {
        self.filter_error = f
            .terms
            .iter()
            .find(|t| src.field_matches(0, &t.field, &t.value).is_none() && !src.is_empty())
            .map(|t| {
                format!(
                    "unknown field `{}` (fields here: {})",
                    t.field,
                    src.fields().join(", ")
                )
            });
        let base: Vec<u32> = if incremental {
            std::mem::take(&mut self.order)
        } else {
            self.sorted.clone()
        };
        if !f.words.is_empty() || !f.exclude.is_empty() {
            self.warm(src);
        }
        let terms: Vec<&Term> = f.terms.iter().collect();
        let text = !f.words.is_empty() || !f.exclude.is_empty();
        let haystacks = &self.haystacks;
        let keep = |r: u32| {
            let r = r as usize;
            for t in &terms {
                match src.field_matches(r, &t.field, &t.value) {
                    Some(m) if m == t.negate => return false,
                    _ => {}
                }
            }
            !text || f.text_matches(&haystacks[r])
        };
        let order: Vec<u32> = if f.is_empty() {
            base
        } else {
            par_chunks(base.len(), |range| {
                base[range]
                    .iter()
                    .copied()
                    .filter(|&r| keep(r))
                    .collect::<Vec<u32>>()
            })
            .concat()
        };
        self.order = order;
        self.filter = f;
        self.restore_selection(src);
    }

    fn remember_selection(&mut self, src: &dyn RowSource) {
        if let Some(r) = self.selected_row()
            && r < src.len()
        {
            self.selected_id = Some(src.id(r));
            self.selected_idx = Some(r as u32);
        }
    }

    fn restore_selection(&mut self, src: &dyn RowSource) {
        let pos = match self.selected_idx {
            Some(idx) => self.order.iter().position(|&r| r == idx),
            None => self.selected_id.as_ref().and_then(|id| {
                self.order
                    .iter()
                    .position(|&r| (r as usize) < src.len() && &src.id(r as usize) == id)
            }),
        };
        if let Some(pos) = pos {
            self.cursor = pos;
            self.selected_idx = Some(self.order[pos]);
        }
        self.clamp();
        self.update_window(src);
    }

    fn clamp(&mut self) {
        if self.order.is_empty() {
            self.cursor = 0;
            self.offset = 0;
            return;
        }
        self.cursor = self.cursor.min(self.order.len() - 1);
        let page = self.page.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + page {
            self.offset = self.cursor + 1 - page;
        }
        self.offset = self.offset.min(self.order.len().saturating_sub(page));
    }

    /// Recompute match highlights for the rows around the visible window.
    fn update_window(&mut self, _src: &dyn RowSource) {
        self.highlights.clear();
        self.hl_from = self.offset;
        if self.filter.fuzzy.is_empty() {
            return;
        }
        let matcher = SkimMatcherV2::default().smart_case();
        let end = (self.offset + WINDOW).min(self.order.len());
        for &r in &self.order[self.offset..end] {
            let hay = &self.haystacks[r as usize];
            let mut idx: Vec<usize> = Vec::new();
            for w in &self.filter.words {
                if let Some((_, i)) = matcher.fuzzy_indices(hay, &w.text) {
                    idx.extend(i);
                }
            }
            idx.sort_unstable();
            idx.dedup();
            if idx.is_empty() {
                continue;
            }
            let at = r as usize * self.ncols;
            let starts = &self.col_starts[at..at + self.ncols];
            let mut per_col: Vec<Vec<usize>> = vec![Vec::new(); starts.len()];
            for i in idx {
                let col = starts
                    .partition_point(|&s| (s as usize) <= i)
                    .saturating_sub(1);
                per_col[col].push(i - starts[col] as usize);
            }
            self.highlights.insert(r, per_col);
        }
    }

    pub fn selected_row(&self) -> Option<usize> {
        self.order.get(self.cursor).map(|&r| r as usize)
    }

    pub fn move_by(&mut self, src: &dyn RowSource, delta: isize) {
        if self.order.is_empty() {
            return;
        }
        let max = self.order.len() as isize - 1;
        self.cursor = (self.cursor as isize + delta).clamp(0, max) as usize;
        self.clamp();
        if let Some(r) = self.selected_row() {
            self.selected_id = Some(src.id(r));
            self.selected_idx = Some(r as u32);
        }
        if self.offset < self.hl_from || self.offset + self.page > self.hl_from + WINDOW {
            self.update_window(src);
        }
    }

    pub fn top(&mut self, src: &dyn RowSource) {
        self.move_by(src, -(self.order.len() as isize));
    }

    pub fn bottom(&mut self, src: &dyn RowSource) {
        self.move_by(src, self.order.len() as isize);
    }

    pub fn set_page(&mut self, src: &dyn RowSource, page: usize) {
        if page != self.page {
            self.page = page.max(1);
            self.clamp();
            self.update_window(src);
        }
    }

    /// Rows in the visible window.
    pub fn visible(&self) -> &[u32] {
        let end = (self.offset + self.page).min(self.order.len());
        &self.order[self.offset.min(end)..end]
    }

    /// Ids of every row passing the filter.
    pub fn filtered_ids(&self, src: &dyn RowSource) -> Vec<String> {
        self.order.iter().map(|&r| src.id(r as usize)).collect()
    }
}

/// Rows at which work is split over threads (below it one thread is faster).
const PAR_MIN_ROWS: usize = 8_192;

/// `f` over `0..n` split into contiguous ranges, one per core when `n` is large; results in
/// range order.
fn par_chunks<T: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
    let threads = if n < PAR_MIN_ROWS {
        1
    } else {
        std::thread::available_parallelism()
            .map(|t| t.get())
            .unwrap_or(1)
            .min(n / (PAR_MIN_ROWS / 2))
            .max(1)
    };
    if threads == 1 {
        return vec![f(0..n)];
    }
    let per = n.div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let range = (i * per).min(n)..((i + 1) * per).min(n);
                s.spawn(move || f(range))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Search text and column starts of `rows`.
fn search_text(src: &dyn RowSource, rows: std::ops::Range<usize>) -> (Vec<String>, Vec<u16>) {
    let cols = src.columns();
    let mut hay = Vec::with_capacity(rows.len());
    let mut starts = Vec::with_capacity(rows.len() * cols.len());
    for r in rows {
        let mut h = String::with_capacity(96);
        let mut chars = 0usize;
        for (c, col) in cols.iter().enumerate() {
            if c > 0 {
                h.push(' ');
                chars += 1;
            }
            starts.push(chars.min(u16::MAX as usize) as u16);
            if col.search {
                let before = h.len();
                src.push_text(r, c, &mut h);
                let added = &h[before..];
                chars += if added.is_ascii() {
                    added.len()
                } else {
                    added.chars().count()
                };
            }
        }
        hay.push(h);
    }
    (hay, starts)
}

/// Pick which columns fit in `width` (dropping the least important first), with widths.
pub fn fit_columns(cols: &[Column], width: u16, marker: u16) -> Vec<(usize, u16)> {
    let mut chosen: Vec<usize> = (0..cols.len()).collect();
    let flex = cols.iter().position(|c| c.grow).unwrap_or(0);
    let need = |chosen: &[usize], shrink: u16| -> u32 {
        chosen
            .iter()
            .map(|&c| u32::from(cols[c].width) + 1)
            .sum::<u32>()
            + u32::from(marker)
            - u32::from(shrink)
    };
    // The flexible column (grow, else the first) gives up width before an essential
    // (priority 0) column is dropped.
    let max_shrink = cols
        .get(flex)
        .map(|c| c.width.saturating_sub(12))
        .unwrap_or(0);
    let mut shrink = 0u16;
    while chosen.len() > 1 && need(&chosen, shrink) > u32::from(width) {
        let (pos, c) = chosen
            .iter()
            .enumerate()
            .max_by_key(|(i, c)| (cols[**c].priority, *i))
            .map(|(p, c)| (p, *c))
            .expect("non-empty");
        if cols[c].priority == 0 && shrink < max_shrink && chosen.contains(&flex) {
            let over = need(&chosen, shrink) - u32::from(width);
            shrink = (u32::from(shrink) + over).min(u32::from(max_shrink)) as u16;
            continue;
        }
        chosen.remove(pos);
    }
    let shrink = if chosen.contains(&flex) { shrink } else { 0 };
    let mut out: Vec<(usize, u16)> = chosen
        .iter()
        .map(|&c| {
            (
                c,
                if c == flex {
                    cols[c].width - shrink
                } else {
                    cols[c].width
                },
            )
        })
        .collect();
    // Give spare room to the growing column, else the first one (usually the name).
    let used = need(&chosen, shrink) as u16;
    let target = out.iter().position(|(c, _)| cols[*c].grow).unwrap_or(0);
    if let Some(col) = out.get_mut(target)
        && width > used
    {
        let cap = if cols[col.0].grow {
            u16::MAX
        } else {
            col.1 * 2
        };
        col.1 += (width - used).min(cap);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Words(Vec<(&'static str, u32)>);
    const COLS: &[Column] = &[Column::new("NAME", 10, 0), Column::new("N", 4, 1)];
    impl RowSource for Words {
        fn columns(&self) -> &'static [Column] {
            COLS
        }
        fn len(&self) -> usize {
            self.0.len()
        }
        fn id(&self, r: usize) -> String {
            self.0[r].0.to_string()
        }
        fn text(&self, r: usize, c: usize) -> String {
            if c == 0 {
                self.0[r].0.to_string()
            } else {
                self.0[r].1.to_string()
            }
        }
        fn compare(&self, a: usize, b: usize, c: usize) -> Ordering {
            if c == 0 {
                self.0[a].0.cmp(self.0[b].0)
            } else {
                self.0[a].1.cmp(&self.0[b].1)
            }
        }
        fn fields(&self) -> &'static [&'static str] {
            &["big"]
        }
        fn field_matches(&self, r: usize, f: &str, v: &str) -> Option<bool> {
            (f == "big")
                .then(|| (self.0[r].1 > 10) == super::super::filter::yes_no(v).unwrap_or(true))
        }
    }

    fn names(t: &TableState, s: &Words) -> Vec<String> {
        t.order.iter().map(|&r| s.id(r as usize)).collect()
    }

    #[test]
    fn sorts_filters_and_keeps_cursor_on_row() {
        let s = Words(vec![
            ("web-1", 5),
            ("db-1", 50),
            ("web-2", 20),
            ("cache", 1),
        ]);
        let mut t = TableState::new(0, false);
        t.rebuild(&s);
        assert_eq!(names(&t, &s), ["cache", "db-1", "web-1", "web-2"]);
        t.sort_by(&s, 1, true);
        assert_eq!(names(&t, &s), ["db-1", "web-2", "web-1", "cache"]);
        t.move_by(&s, 2); // web-1
        t.set_filter(&s, "web");
        assert_eq!(names(&t, &s), ["web-2", "web-1"]);
        assert_eq!(t.selected_row().map(|r| s.id(r)).as_deref(), Some("web-1"));
        assert!(!t.highlights.is_empty(), "matches are highlighted");
        let hl = &t.highlights[&0];
        assert_eq!(hl[0], vec![0, 1, 2], "w-e-b in the NAME column");
        t.set_filter(&s, "web big:yes");
        assert_eq!(names(&t, &s), ["web-2"]);
        t.set_filter(&s, "!big:yes");
        assert_eq!(names(&t, &s), ["web-1", "cache"]);
        t.set_filter(&s, "!web");
        assert_eq!(names(&t, &s), ["db-1", "cache"]);
        t.set_filter(&s, "colour:red");
        assert!(
            t.filter_error
                .as_deref()
                .unwrap()
                .contains("unknown field `colour`")
        );
        t.set_filter(&s, "");
        assert_eq!(t.order.len(), 4);
    }

    #[test]
    fn narrow_terminals_drop_low_priority_columns() {
        let cols = [
            Column::new("A", 10, 0),
            Column::new("B", 10, 5),
            Column::new("C", 10, 1),
        ];
        let fit = fit_columns(&cols, 25, 0);
        assert_eq!(fit.iter().map(|f| f.0).collect::<Vec<_>>(), vec![0, 2]);
    }
}
