//! The one sortable, filterable, markable table used by every list view.
//!
//! A view supplies a [`RowSource`] (rows over the snapshot, typed comparisons, cell text
//! and `field:value` predicates); [`TableState`] holds plain data: the sorted order, the
//! filtered order, cursor, sort column and filter. Sorting and filtering happen here, in
//! update, when data or the filter changes — never in render.
//!
//! Column widths follow one rule for every view ([`fit_columns`]): each column asks for its
//! content's width (measured over the rows, clamped to its declared width), columns are
//! dropped by priority until the rest fit (never the sort column), then spare width goes
//! back to columns whose content is wider, most important first, and what is still left to
//! the growing column (`MESSAGE`, `RISK`, ...). Wide mode (`ctrl-w`) shows every column.

use std::cmp::Ordering;
use std::collections::HashMap;

use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

use super::filter::{FieldSpec, Filter, Term, find_field};
use super::theme::{Role, Theme};

/// A column of a list view.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub title: &'static str,
    /// Widest the column is drawn before spare width is shared out (content narrower than
    /// this takes less).
    pub width: u16,
    /// Lower = more important: columns are dropped from the highest priority number first
    /// when the terminal is narrow.
    pub priority: u8,
    pub right: bool,
    /// Takes the spare width left once every column shows its content.
    pub grow: bool,
    /// Part of the text the filter searches (counts are not).
    pub search: bool,
    /// Not drawn unless chosen (`views.toml`) or in wide mode (ids that the export needs).
    pub hidden: bool,
    /// Exported whenever the column at this index is (an account's id with its name).
    pub with: Option<usize>,
    /// Cut in the middle, not at the end, when too narrow: values that differ at the end
    /// ("… Server 2019 Datacenter" / "… 2022 …") stay distinguishable.
    pub mid: bool,
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
            hidden: false,
            with: None,
            mid: false,
        }
    }
    /// Cut in the middle when too narrow (see [`Column::mid`]).
    pub const fn mid(mut self) -> Column {
        self.mid = true;
        self
    }
    /// Numbers: right-aligned and not searched by the filter.
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
    /// Offered but not drawn by default: shown when chosen (the column chooser,
    /// `views.toml`) or in wide mode.
    pub const fn optional(mut self) -> Column {
        self.hidden = true;
        self
    }
    /// Hidden unless chosen or wide; exported with column `with`.
    pub const fn companion(mut self, with: usize) -> Column {
        self.hidden = true;
        self.search = false;
        self.with = Some(with);
        self
    }
}

pub use crate::report::table::Cell;

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
    /// Typed value of a cell for exports (default: its text).
    fn value(&self, row: usize, col: usize) -> Cell {
        Cell::text(self.text(row, col))
    }
    /// Append the cell's searchable text (as `text`) to `out`; views with many rows
    /// override it to avoid an allocation per cell.
    fn push_text(&self, row: usize, col: usize, out: &mut String) {
        out.push_str(&self.text(row, col));
    }
    /// What `c` copies for `row` (an id or ARN ssmdeck shows): the row id by default.
    fn copy_text(&self, row: usize) -> String {
        self.id(row)
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
    /// Rows form a tree (given in pre-order): the depth of `row`. Sorting then orders
    /// siblings and keeps every row under its parent.
    fn depth(&self, _row: usize) -> Option<usize> {
        None
    }
    /// Style of a cell (semantic roles only).
    fn style(&self, _row: usize, _col: usize, _theme: &Theme) -> Style {
        _theme.style(Role::Text)
    }
    /// Fields accepted in `field:value` filter terms: validation, matching and help.
    fn fields(&self) -> &'static [FieldSpec] {
        &[]
    }
    /// Does `field:value` match by substring (so a longer value can only match fewer rows)?
    /// Lets the filter narrow the last result instead of scanning every row again.
    fn substring_field(&self, _field: &str) -> bool {
        false
    }
    /// Does `row` satisfy `field:value`? `field` is the canonical name of one of
    /// [`RowSource::fields`]. `None` when the field is unknown for this view.
    fn field_matches(&self, _row: usize, _field: &str, _value: &str) -> Option<bool> {
        None
    }
    /// Is `field:value` known for `row` at all? An unknown row matches neither the term
    /// nor its negation (`!cve:X` never lists a node whose patch list is unknown as "not
    /// affected"). Asked for negated terms only.
    fn field_known(&self, _row: usize, _field: &str, _value: &str) -> bool {
        true
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
    /// Why the filter cannot be applied (unknown field, bad value, bad regex): shown in the
    /// header, and no rows are shown.
    pub filter_error: Option<String>,
    /// Per-row searchable text (visible columns joined); built on first need (a text
    /// filter) or when the console is idle ([`TableState::warm`]), not with the data, so a
    /// big fleet's first frame does not wait for it.
    haystacks: Vec<String>,
    hay_ready: bool,
    /// The columns the search text was built from ([`TableState::searched`]).
    hay_cols: Vec<bool>,
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
    /// Widest content per column (display cells), measured when the data changes.
    pub natural: Vec<u16>,
    /// Width the table is drawn in (set from the terminal size, like `page`).
    pub width: u16,
    /// Wide mode (`ctrl-w`): every column, hidden ones too.
    pub wide: bool,
    /// Columns chosen in `views.toml` (by index); `None`: the view's defaults.
    pub chosen: Option<Vec<usize>>,
    /// Tree prefix (`├ `, `└ `) per row for tree sources, for the current sort.
    pub tree_prefix: Vec<String>,
    /// Horizontal scroll: columns (after the pinned first one) scrolled past on the left
    /// (`←`/`→`). Clamped when laid out, so the last column never scrolls off.
    pub hscroll: usize,
}

const WINDOW: usize = 120;
/// Rows measured for column widths (all rows up to this many, else an even sample).
const MEASURE_ROWS: usize = 2_000;
/// Spare width is shared out up to this many cells per column (the growing column takes
/// the rest).
const NATURAL_CAP: u16 = 64;
/// Space before the first column: cursor `▸` and mark `✓`.
pub const MARKER: u16 = 2;

impl TableState {
    pub fn new(sort_col: usize, sort_desc: bool) -> TableState {
        TableState {
            sort_col,
            sort_desc,
            sortable: true,
            page: 20,
            width: 120,
            ..Default::default()
        }
    }

    pub fn unsorted() -> TableState {
        TableState {
            sortable: false,
            page: 20,
            width: 120,
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
        self.measure(src);
        self.sort(src);
        let f = self.filter.clone();
        self.apply_filter(src, f, false);
    }

    /// Content width per column over (a sample of) the rows.
    fn measure(&mut self, src: &dyn RowSource) {
        let cols = src.columns();
        let n = src.len();
        let step = n.div_ceil(MEASURE_ROWS).max(1);
        let mut w: Vec<u16> = cols.iter().map(|c| c.title.width() as u16 + 1).collect();
        for r in (0..n).step_by(step) {
            let indent = src.depth(r).map(|d| 2 * d).unwrap_or(0);
            for (c, slot) in w.iter_mut().enumerate() {
                let extra = if c == 0 { indent } else { 0 };
                let cw = (src.text(r, c).width() + extra).min(u16::MAX as usize) as u16;
                *slot = (*slot).max(cw);
            }
        }
        self.natural = w;
    }

    /// Build the search text now if it is not built yet (idle time, or a text filter).
    pub fn warm(&mut self, src: &dyn RowSource) {
        if self.hay_ready {
            return;
        }
        let n = src.len();
        let ncols = src.columns().len();
        let searched = self.searched(src.columns());
        let parts = par_chunks(n, |range| search_text(src, &searched, range));
        self.hay_cols = searched;
        self.haystacks = Vec::with_capacity(n);
        self.col_starts = Vec::with_capacity(n * ncols);
        for (h, starts) in parts {
            self.haystacks.extend(h);
            self.col_starts.extend(starts);
        }
        self.ncols = ncols;
        self.hay_ready = true;
    }

    /// The columns a text filter searches: the searchable ones drawn (wide mode: all;
    /// else the chosen ones, else the view's defaults). A row never matches on text the
    /// user cannot see (a hidden tag or window name); those have their own fields.
    fn searched(&self, cols: &[Column]) -> Vec<bool> {
        cols.iter()
            .enumerate()
            .map(|(c, col)| {
                col.search
                    && (self.wide
                        || match &self.chosen {
                            Some(ch) => ch.contains(&c),
                            None => !col.hidden,
                        })
            })
            .collect()
    }

    /// The drawn columns changed (column choices, wide mode): a text filter searches the
    /// new set.
    pub fn columns_changed(&mut self, src: &dyn RowSource) {
        if self.hay_ready && self.searched(src.columns()) != self.hay_cols {
            self.hay_ready = false;
            self.haystacks = Vec::new();
            self.col_starts = Vec::new();
            let f = self.filter.clone();
            self.apply_filter(src, f, false);
        }
    }

    /// Search text is pending (the console warms it when idle).
    pub fn needs_warm(&self) -> bool {
        !self.hay_ready && self.rows_total > 0
    }

    fn sort(&mut self, src: &dyn RowSource) {
        let mut rows: Vec<u32> = (0..src.len() as u32).collect();
        if !self.sortable {
            self.sorted = rows;
            self.tree_prefix = tree_prefixes(src, &self.sorted);
            return;
        }
        let col = self.sort_col.min(src.columns().len().saturating_sub(1));
        let desc = self.sort_desc;
        if !rows.is_empty() && src.depth(0).is_some() {
            self.sorted = tree_sort(src, col, desc);
            self.tree_prefix = tree_prefixes(src, &self.sorted);
            return;
        }
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
        self.sorted = rows;
    }

    /// Sort by `col` in direction `desc`.
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

    /// A new filter text: apply it and put the cursor on the first match (k9s).
    pub fn set_filter(&mut self, src: &dyn RowSource, text: &str) {
        self.remember_selection(src);
        let f = Filter::parse(text);
        let changed = f.text != self.filter.text;
        let incremental = f.refines_with(&self.filter, |field| src.substring_field(field))
            && self.filter_error.is_none();
        self.apply_filter(src, f, incremental);
        if changed && !text.trim().is_empty() {
            self.cursor = 0;
            self.offset = 0;
            self.selected_idx = self.order.first().copied();
            self.selected_id = self.order.first().map(|&r| src.id(r as usize));
            self.update_window(src);
        }
    }

    /// The filter's first problem: a bad regex, an unknown field or a bad value.
    fn check_filter(&self, src: &dyn RowSource, f: &Filter) -> Option<String> {
        if let Some(e) = &f.error {
            return Some(e.clone());
        }
        let fields = src.fields();
        for t in &f.terms {
            match find_field(fields, &t.field) {
                None => {
                    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
                    return Some(if names.is_empty() {
                        format!("unknown field `{}` (this view has no fields)", t.field)
                    } else {
                        format!(
                            "unknown field `{}` (fields here: {})",
                            t.field,
                            names.join(", ")
                        )
                    });
                }
                Some(spec) => {
                    if let Err(e) = spec.check(&t.value) {
                        return Some(e);
                    }
                }
            }
        }
        None
    }

    fn apply_filter(&mut self, src: &dyn RowSource, f: Filter, incremental: bool) {
        self.filter_error = self.check_filter(src, &f);
        if self.filter_error.is_some() {
            // never "every row, scrolled somewhere": no rows and the error
            self.order = Vec::new();
            self.filter = f;
            self.cursor = 0;
            self.offset = 0;
            self.highlights.clear();
            return;
        }
        let base: Vec<u32> = if incremental {
            std::mem::take(&mut self.order)
        } else {
            self.sorted.clone()
        };
        if f.has_text() {
            self.warm(src);
        }
        let fields = src.fields();
        let terms: Vec<(&Term, &'static str)> = f
            .terms
            .iter()
            .map(|t| {
                (
                    t,
                    find_field(fields, &t.field).map(|s| s.name).unwrap_or(""),
                )
            })
            .collect();
        let text = f.has_text();
        let haystacks = &self.haystacks;
        let keep = |r: u32| {
            let r = r as usize;
            for (t, name) in &terms {
                match src.field_matches(r, name, &t.value) {
                    Some(m) if m == t.negate => return false,
                    Some(_) if t.negate && !src.field_known(r, name, &t.value) => return false,
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
        if self.filter.words.is_empty() || !self.hay_ready {
            return;
        }
        let end = (self.offset + WINDOW).min(self.order.len());
        for &r in &self.order[self.offset.min(end)..end] {
            let hay = &self.haystacks[r as usize];
            let idx = self.filter.match_positions(hay);
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

    /// Columns drawn in `width` cells, with their widths (the one layout rule).
    pub fn layout(&self, cols: &[Column], width: u16) -> Vec<(usize, u16)> {
        self.layout_full(cols, width).cols
    }

    /// [`TableState::layout`] with the columns hidden left and right of the window.
    pub fn layout_full(&self, cols: &[Column], width: u16) -> Layout {
        fit_layout(&Fit {
            cols,
            natural: &self.natural,
            width,
            chosen: self.chosen.as_deref(),
            wide: self.wide,
            keep: self.sortable.then_some(self.sort_col),
            scroll: self.hscroll,
        })
    }

    /// Scroll the columns by `delta` (right: positive) at the current width; `false` when
    /// there was nothing to scroll to.
    pub fn scroll_columns(&mut self, cols: &[Column], delta: isize) -> bool {
        let now = self.layout_full(cols, self.width);
        let target = (now.scroll as isize + delta).max(0) as usize;
        let target = target.min(now.max_scroll);
        if target == now.scroll {
            self.hscroll = now.scroll;
            return false;
        }
        self.hscroll = target;
        true
    }

    /// Every column the table lays out, scrolled into view or not (wide: all; chosen
    /// ones; else the ones fitted): what "export visible columns" writes.
    pub fn drawn_columns(&self, cols: &[Column]) -> Vec<usize> {
        let l = self.layout_full(cols, self.width);
        if l.hidden_left == 0 && l.hidden_right == 0 {
            return l.cols.iter().map(|(c, _)| *c).collect();
        }
        l.list
    }

    /// Indices of the columns drawn at the current width, left to right.
    pub fn shown_columns(&self, cols: &[Column]) -> Vec<usize> {
        self.layout(cols, self.width)
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    }

    /// Columns the view offers (chosen ones, or the defaults), in order: what "export
    /// visible columns" and the column chooser start from.
    pub fn offered_columns(&self, cols: &[Column]) -> Vec<usize> {
        match &self.chosen {
            Some(c) => c.clone(),
            None => (0..cols.len()).filter(|&c| !cols[c].hidden).collect(),
        }
    }

    /// Sort by the next / previous column that is drawn (never a hidden one).
    pub fn sort_step(&mut self, src: &dyn RowSource, delta: isize) {
        let shown = self.shown_columns(src.columns());
        if shown.is_empty() {
            return;
        }
        let pos = shown.iter().position(|&c| c == self.sort_col);
        let n = shown.len() as isize;
        let next = match pos {
            Some(p) => shown[(p as isize + delta).rem_euclid(n) as usize],
            None => shown[0],
        };
        self.sort_by(src, next, false);
    }

    /// Sort by `col`; the same column again reverses the order (k9s shift+letter).
    pub fn sort_toggle(&mut self, src: &dyn RowSource, col: usize) {
        let desc = if self.sort_col == col {
            !self.sort_desc
        } else {
            false
        };
        self.sort_by(src, col, desc);
    }
}

/// Rows in pre-order with siblings sorted by `col`, every subtree kept under its parent.
fn tree_sort(src: &dyn RowSource, col: usize, desc: bool) -> Vec<u32> {
    let n = src.len();
    // children of each row (None = roots), in source order
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n + 1];
    let mut stack: Vec<(usize, u32)> = Vec::new();
    for r in 0..n {
        let d = src.depth(r).unwrap_or(0);
        while stack.last().is_some_and(|(sd, _)| *sd >= d) {
            stack.pop();
        }
        let parent = stack.last().map(|(_, p)| *p as usize).unwrap_or(n);
        children[parent].push(r as u32);
        stack.push((d, r as u32));
    }
    for list in children.iter_mut() {
        list.sort_by(|a, b| {
            let o = src.compare(*a as usize, *b as usize, col);
            let o = if desc { o.reverse() } else { o };
            o.then(a.cmp(b))
        });
    }
    let mut out = Vec::with_capacity(n);
    fn walk(node: usize, children: &[Vec<u32>], out: &mut Vec<u32>) {
        for &c in &children[node] {
            out.push(c);
            walk(c as usize, children, out);
        }
    }
    walk(n, &children, &mut out);
    out
}

/// `│ ├ └` prefixes for a tree source's rows in `order` (empty for flat sources).
fn tree_prefixes(src: &dyn RowSource, order: &[u32]) -> Vec<String> {
    if src.is_empty() || src.depth(0).is_none() {
        return Vec::new();
    }
    let n = src.len();
    let mut out = vec![String::new(); n];
    let depth = |i: usize| src.depth(order[i] as usize).unwrap_or(0);
    // is the row at position i the last of its siblings?
    let last = |i: usize| {
        let d = depth(i);
        for j in i + 1..order.len() {
            let dj = depth(j);
            if dj < d {
                return true;
            }
            if dj == d {
                return false;
            }
        }
        true
    };
    let mut open: Vec<bool> = Vec::new(); // per depth: ancestors' "has more siblings"
    for i in 0..order.len() {
        let d = depth(i);
        let is_last = last(i);
        open.truncate(d);
        let mut s = String::new();
        if d > 0 {
            for more in open.iter().skip(1) {
                s.push_str(if *more { "│ " } else { "  " });
            }
            s.push_str(if is_last { "└ " } else { "├ " });
        }
        out[order[i] as usize] = s;
        open.push(!is_last);
    }
    out
}

/// Letters for shift+letter sorting: for each drawn column, the first letter of its title
/// that no key in the keymap uses (`reserved`, upper case) and no column before it took.
/// Returns (column, letter, index of the letter in the title).
pub fn sort_hotkeys(
    cols: &[Column],
    shown: &[usize],
    reserved: &[char],
) -> Vec<(usize, char, usize)> {
    let mut used: Vec<char> = reserved.to_vec();
    let mut out = Vec::new();
    for &c in shown {
        let pick =
            cols[c].title.chars().enumerate().find(|(_, ch)| {
                ch.is_ascii_alphabetic() && !used.contains(&ch.to_ascii_uppercase())
            });
        if let Some((i, ch)) = pick {
            let up = ch.to_ascii_uppercase();
            used.push(up);
            out.push((c, up, i));
        }
    }
    out
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
fn search_text(
    src: &dyn RowSource,
    searched: &[bool],
    rows: std::ops::Range<usize>,
) -> (Vec<String>, Vec<u16>) {
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
            if col.search && searched.get(c).copied().unwrap_or(true) {
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

/// What [`fit_columns`] lays out.
#[derive(Clone, Copy)]
pub struct Fit<'a> {
    pub cols: &'a [Column],
    /// Content width per column (empty: use the declared widths).
    pub natural: &'a [u16],
    pub width: u16,
    /// Columns chosen by the user (`views.toml`), else the non-hidden ones.
    pub chosen: Option<&'a [usize]>,
    /// Every column, none dropped (the ones past the right edge are cut).
    pub wide: bool,
    /// Never dropped (the sort column: its ▲/▼ stays visible).
    pub keep: Option<usize>,
    /// Horizontal scroll ([`TableState::hscroll`]).
    pub scroll: usize,
}

/// What [`fit_layout`] decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Columns drawn, left to right, with their widths.
    pub cols: Vec<(usize, u16)>,
    /// Columns of the scrolled list left of the window (after the pinned first column).
    pub hidden_left: usize,
    /// Columns right of the window: scrolled past, or (fitted mode) dropped for width.
    pub hidden_right: usize,
    /// The scroll actually applied (clamped) and the largest useful one.
    pub scroll: usize,
    pub max_scroll: usize,
    /// The scrolled list (pinned first column, then the rest in order).
    pub list: Vec<usize>,
    /// Cells kept free at the right for the `4 ▸` marker (scrolled mode); 0: the marker
    /// goes in the header's free cells.
    pub reserved_right: u16,
}

/// The left / right markers of hidden columns (`◂ 3`, `4 ▸`) and the cells each takes
/// with its gap (0 when nothing is hidden on that side).
pub fn hidden_marker(n: usize, left: bool) -> (String, u16) {
    if n == 0 {
        return (String::new(), 0);
    }
    let s = if left {
        format!("◂ {n}")
    } else {
        format!("{n} ▸")
    };
    let w = s.width() as u16 + 1;
    (s, w)
}

/// The one width rule (see the module doc): which columns are drawn in `width` cells and
/// how wide, left to right.
pub fn fit_columns(f: &Fit<'_>) -> Vec<(usize, u16)> {
    fit_layout(f).cols
}

/// The one width rule with horizontal scrolling. Fitted mode (the view's default columns or
/// the ones chosen with `C`, not scrolled) drops the least important columns until the rest
/// fit, and counts them as hidden right (`4 ▸`): never silently. Scrolled mode (wide, or
/// scrolled with `→`) drops none: the first column stays pinned, the others scroll, each drawn whole or not at all,
/// and markers (`◂ 3`, `4 ▸`) take their cells at the edges.
pub fn fit_layout(f: &Fit<'_>) -> Layout {
    let cols = f.cols;
    if cols.is_empty() {
        return Layout::default();
    }
    let offered: Vec<usize> = if f.wide {
        (0..cols.len()).collect()
    } else {
        let mut ch: Vec<usize> = match f.chosen {
            Some(ch) => ch.iter().copied().filter(|&c| c < cols.len()).collect(),
            None => (0..cols.len()).filter(|&c| !cols[c].hidden).collect(),
        };
        if let Some(k) = f.keep
            && k < cols.len()
            && !ch.contains(&k)
        {
            let at = ch.iter().position(|&c| c > k).unwrap_or(ch.len());
            ch.insert(at, k);
        }
        ch
    };
    let scrolled = f.wide || f.scroll > 0;
    if !scrolled {
        let fitted = fit_fitted(f);
        if fitted.len() >= offered.len() {
            return Layout {
                cols: fitted,
                list: offered,
                ..Default::default()
            };
        }
        // columns dropped for width: counted, and `→` reaches them (scrolled mode). The
        // count goes in the header's free cells after the last title; where there are too few
        // (the fitted columns widen into every cell, or the last title is right-aligned), its
        // cells are kept free at the right, if the same columns still fit without them; else
        // a bare `▸` says columns are out of view.
        let rw = hidden_marker(offered.len() - fitted.len(), false).1;
        let free = {
            let used: u32 = fitted.iter().map(|&(_, w)| u32::from(w) + 1).sum();
            let trailing = u32::from(f.width.saturating_sub(MARKER)).saturating_sub(used);
            let after_title = fitted.last().map_or(0, |&(c, w)| {
                let title = cols[c].title.width() as u16 + u16::from(f.keep == Some(c));
                if cols[c].right {
                    0
                } else {
                    w.saturating_sub(title)
                }
            });
            u32::from(after_title) + 1 + trailing
        };
        let (cols, rw) = if free >= u32::from(rw) {
            (fitted, 0)
        } else {
            let narrower = fit_fitted(&Fit {
                width: f.width.saturating_sub(rw),
                ..*f
            });
            if narrower.len() == fitted.len() {
                (narrower, rw)
            } else {
                (fitted, 0)
            }
        };
        let max_scroll = scroll_layout(f, &offered, 1).max_scroll.max(1);
        return Layout {
            hidden_right: offered.len().saturating_sub(cols.len()),
            cols,
            scroll: 0,
            max_scroll,
            list: offered,
            hidden_left: 0,
            reserved_right: rw,
        };
    }
    scroll_layout(f, &offered, f.scroll)
}

/// Scrolled mode of [`fit_layout`] over `list` (pinned first column, the rest scrolled).
fn scroll_layout(f: &Fit<'_>, list: &[usize], scroll: usize) -> Layout {
    let cols = f.cols;
    let title_w = |c: usize| cols[c].title.width() as u16 + u16::from(f.keep == Some(c));
    let natural = |c: usize| f.natural.get(c).copied().unwrap_or(cols[c].width);
    let want_of = |c: usize| {
        natural(c)
            .min(NATURAL_CAP.max(cols[c].width))
            .max(title_w(c))
    };
    let avail = u32::from(f.width.saturating_sub(MARKER));
    // wide mode shows content whole (up to the cap; the pinned column up to a third of
    // the width); otherwise the declared width
    let base = |c: usize, pinned: bool| {
        let declared = natural(c).min(cols[c].width).max(title_w(c));
        match (f.wide, pinned) {
            (false, _) => declared,
            (true, false) => want_of(c),
            (true, true) => want_of(c).min((avail / 3) as u16).max(declared),
        }
    };
    let Some((&pin, rest)) = list.split_first() else {
        return Layout::default();
    };
    let pin_w = u32::from(base(pin, true)) + 1;
    let rest_w: Vec<u32> = rest
        .iter()
        .map(|&c| u32::from(base(c, false)) + 1)
        .collect();
    // how many columns from `s` fit, and whether a right marker is needed
    let fits_from = |s: usize| -> (usize, u16, u16) {
        let (_, lw) = hidden_marker(s, true);
        let room = avail.saturating_sub(pin_w + u32::from(lw));
        let count = |room: u32| {
            let mut used = 0u32;
            let mut k = 0;
            for w in &rest_w[s.min(rest_w.len())..] {
                if used + w > room {
                    break;
                }
                used += w;
                k += 1;
            }
            k
        };
        let k = count(room);
        if s + k >= rest.len() {
            return (k, lw, 0);
        }
        let right = rest.len() - s - k;
        let (_, rw) = hidden_marker(right, false);
        let k2 = count(room.saturating_sub(u32::from(rw)));
        let (_, rw) = hidden_marker(rest.len() - s - k2, false);
        (k2, lw, rw)
    };
    let max_scroll = (0..=rest.len())
        .find(|&s| {
            let (k, _, _) = fits_from(s);
            s + k >= rest.len()
        })
        .unwrap_or(rest.len())
        .min(rest.len().saturating_sub(1));
    let s = scroll.min(max_scroll);
    let (mut k, lw, rw) = fits_from(s);
    let mut widths: Vec<(usize, u16)> = vec![(pin, base(pin, true))];
    widths.extend(rest[s..s + k].iter().map(|&c| (c, base(c, false))));
    let used = |w: &[(usize, u16)]| w.iter().map(|(_, w)| u32::from(*w) + 1).sum::<u32>();
    let room = avail.saturating_sub(u32::from(lw) + u32::from(rw));
    if k == 0 && s < rest.len() {
        // one column wider than the room: show what fits of it rather than nothing
        let left = room.saturating_sub(used(&widths));
        if left >= 4 {
            widths.push((rest[s], (left - 1) as u16));
            k = 1;
        }
    }
    // tiny terminals: cut the pinned column
    if used(&widths) > room {
        let over = (used(&widths) - room) as u16;
        let w = widths[0].1;
        widths[0].1 = w.saturating_sub(over).max(1);
    }
    // spare width: the smallest shortfall first, then the growing column
    let mut spare = room.saturating_sub(used(&widths));
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by_key(|&i| {
        let (c, w) = widths[i];
        (want_of(c).saturating_sub(w), cols[c].priority, c)
    });
    for i in order {
        if spare == 0 {
            break;
        }
        let (c, w) = widths[i];
        // the pinned column takes at most a third of the width: the rest is for scrolling
        let want = if i == 0 {
            want_of(c).min(((avail / 3) as u16).max(w))
        } else {
            want_of(c)
        };
        if want > w {
            let add = (u32::from(want - w)).min(spare) as u16;
            widths[i].1 = w + add;
            spare -= u32::from(add);
        }
    }
    if spare > 0
        && let Some(g) = widths.iter().position(|(c, _)| cols[*c].grow)
    {
        widths[g].1 = widths[g]
            .1
            .saturating_add(spare.min(u32::from(u16::MAX)) as u16);
    } else if spare > 0
        && let Some(last) = widths.last_mut()
        && natural(last.0) > last.1
    {
        // no growing column: the last one drawn shows more of a long value (tags)
        let add = u32::from(natural(last.0) - last.1).min(spare);
        last.1 += add as u16;
    }
    Layout {
        cols: widths,
        hidden_left: s,
        hidden_right: rest.len() - s - k,
        scroll: s,
        max_scroll,
        list: list.to_vec(),
        reserved_right: rw,
    }
}

/// Fitted mode of [`fit_layout`]: the view's columns, the least important dropped.
fn fit_fitted(f: &Fit<'_>) -> Vec<(usize, u16)> {
    let cols = f.cols;
    let title_w = |c: usize| cols[c].title.width() as u16 + u16::from(f.keep == Some(c));
    let natural = |c: usize| f.natural.get(c).copied().unwrap_or(cols[c].width);
    // what each column asks for: its content, at most its declared width, at least its title
    let base = |c: usize| natural(c).min(cols[c].width).max(title_w(c));
    let mut chosen: Vec<usize> = if f.wide {
        (0..cols.len()).collect()
    } else {
        match f.chosen {
            Some(ch) => ch.iter().copied().filter(|&c| c < cols.len()).collect(),
            None => (0..cols.len()).filter(|&c| !cols[c].hidden).collect(),
        }
    };
    if let Some(k) = f.keep
        && k < cols.len()
        && !chosen.contains(&k)
        && !f.wide
    {
        // sorted by a column the user hid: show it anyway (the arrow says why)
        let at = chosen.iter().position(|&c| c > k).unwrap_or(chosen.len());
        chosen.insert(at, k);
    }
    let avail = u32::from(f.width.saturating_sub(MARKER));
    let mut widths: HashMap<usize, u16> = chosen.iter().map(|&c| (c, base(c))).collect();
    let need = |chosen: &[usize], widths: &HashMap<usize, u16>| -> u32 {
        chosen.iter().map(|c| u32::from(widths[c]) + 1).sum::<u32>()
    };
    let offered = chosen.clone();
    // 1. drop the least important columns until the rest fit (never the sort column);
    // wide mode drops none: what does not fit is cut at the right edge
    while !f.wide && chosen.len() > 1 && need(&chosen, &widths) > avail {
        let victim = chosen
            .iter()
            .enumerate()
            .filter(|(_, c)| Some(**c) != f.keep)
            .max_by_key(|(i, c)| (cols[**c].priority, *i))
            .map(|(p, c)| (p, *c));
        let Some((pos, c)) = victim else { break };
        if cols[c].priority == 0 {
            // essential columns: squeeze the flexible one (grow, else the widest) first
            let flex = chosen
                .iter()
                .copied()
                .filter(|&c| cols[c].grow)
                .chain(chosen.iter().copied().max_by_key(|c| widths[c]))
                .next();
            if let Some(fl) = flex {
                let over = need(&chosen, &widths) - avail;
                let min = title_w(fl).max(8);
                let w = widths[&fl];
                let can = w.saturating_sub(min);
                if can > 0 {
                    widths.insert(fl, w - (over.min(u32::from(can)) as u16));
                    continue;
                }
            }
        }
        chosen.remove(pos);
    }
    // 1b. a dropped column that fits in the cells the drops left — after the shown columns
    // got the width their content wants (step 2) — comes back, the most important first, in
    // its place: no cells stay blank while a column is out of view
    let want_of = |c: usize| natural(c).min(NATURAL_CAP.max(cols[c].width));
    if chosen.len() < offered.len() && !f.wide {
        let mut dropped: Vec<usize> = offered
            .iter()
            .copied()
            .filter(|c| !chosen.contains(c))
            .collect();
        dropped.sort_by_key(|&c| cols[c].priority);
        for c in dropped {
            let shortfall: u32 = chosen
                .iter()
                .map(|&x| u32::from(want_of(x).saturating_sub(widths[&x])))
                .sum();
            // the count of the columns still out (`3 ▸`) keeps its cells
            let count = u32::from(hidden_marker(offered.len() - chosen.len() - 1, false).1);
            let with = need(&chosen, &widths) + shortfall + u32::from(widths[&c]) + 1;
            if with + count <= avail {
                let at = offered.iter().position(|&x| x == c).unwrap_or(0);
                let pos = chosen
                    .iter()
                    .position(|&x| offered.iter().position(|&y| y == x).unwrap_or(0) > at)
                    .unwrap_or(chosen.len());
                chosen.insert(pos, c);
            }
        }
    }
    // still too wide (one column, or tiny terminals): cut the last column
    let used = need(&chosen, &widths);
    if used > avail
        && !f.wide
        && let Some(&last) = chosen.last()
    {
        let over = (used - avail) as u16;
        let w = widths[&last];
        widths.insert(last, w.saturating_sub(over).max(1));
    }
    // 2. spare width to columns whose content is wider than they got: the smallest shortfall
    // first (then the most important), so a state or a renewal status cut by a few cells is
    // shown whole before a long name takes the rest
    let mut spare = avail.saturating_sub(need(&chosen, &widths));
    let mut by_shortfall = chosen.clone();
    by_shortfall.sort_by_key(|&c| (want_of(c).saturating_sub(widths[&c]), cols[c].priority, c));
    for &c in &by_shortfall {
        if spare == 0 {
            break;
        }
        let want = want_of(c);
        let w = widths[&c];
        if want > w {
            let add = (u32::from(want - w)).min(spare) as u16;
            widths.insert(c, w + add);
            spare -= u32::from(add);
        }
    }
    // 3. the rest to the growing column
    if spare > 0
        && let Some(&g) = chosen.iter().find(|&&c| cols[c].grow)
    {
        let w = widths[&g];
        widths.insert(g, w.saturating_add(spare.min(u32::from(u16::MAX)) as u16));
    }
    chosen.into_iter().map(|c| (c, widths[&c])).collect()
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
        fn fields(&self) -> &'static [FieldSpec] {
            const F: &[FieldSpec] = &[FieldSpec::yes_no("big", "more than 10")];
            F
        }
        fn field_matches(&self, r: usize, f: &str, v: &str) -> Option<bool> {
            (f == "big")
                .then(|| (self.0[r].1 > 10) == super::super::filter::yes_no(v).unwrap_or(true))
        }
    }

    fn names(t: &TableState, s: &Words) -> Vec<String> {
        t.order.iter().map(|&r| s.id(r as usize)).collect()
    }

    /// Rows with a name and a hidden (optional) note.
    struct Noted(Vec<(&'static str, &'static str)>);
    const NOTED: &[Column] = &[
        Column::new("NAME", 10, 0),
        Column::new("NOTE", 10, 1).optional(),
    ];
    impl RowSource for Noted {
        fn columns(&self) -> &'static [Column] {
            NOTED
        }
        fn len(&self) -> usize {
            self.0.len()
        }
        fn id(&self, r: usize) -> String {
            self.0[r].0.to_string()
        }
        fn text(&self, r: usize, c: usize) -> String {
            if c == 0 { self.0[r].0 } else { self.0[r].1 }.to_string()
        }
        fn compare(&self, a: usize, b: usize, c: usize) -> Ordering {
            self.text(a, c).cmp(&self.text(b, c))
        }
    }

    #[test]
    fn a_text_filter_matches_only_what_the_table_draws() {
        // `/web-prod` must not list a row whose only "web-prod" is in a hidden column
        // (a tag, a window name): the user could not see why it matched
        let s = Noted(vec![("web-prod-1", "team"), ("db-1", "web-prod window")]);
        let mut t = TableState::new(0, false);
        t.rebuild(&s);
        t.set_filter(&s, "web-prod");
        assert_eq!(names_of(&t, &s), ["web-prod-1"]);
        // shown (wide mode, or chosen): searched too, at once
        t.wide = true;
        t.columns_changed(&s);
        assert_eq!(names_of(&t, &s), ["db-1", "web-prod-1"]);
        t.wide = false;
        t.chosen = Some(vec![0]);
        t.columns_changed(&s);
        assert_eq!(names_of(&t, &s), ["web-prod-1"]);
        t.chosen = Some(vec![0, 1]);
        t.columns_changed(&s);
        assert_eq!(names_of(&t, &s), ["db-1", "web-prod-1"]);
    }

    fn names_of(t: &TableState, s: &dyn RowSource) -> Vec<String> {
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
        assert_eq!(
            t.selected_row().map(|r| s.id(r)).as_deref(),
            Some("web-2"),
            "after filtering the cursor is on the first match"
        );
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
        assert!(
            t.order.is_empty(),
            "an unknown field shows no rows, not all"
        );
        t.set_filter(&s, "big:maybe");
        assert!(t.filter_error.as_deref().unwrap().contains("yes or no"));
        assert!(t.order.is_empty());
        t.set_filter(&s, "");
        assert_eq!(t.order.len(), 4);
    }

    #[test]
    fn the_count_of_dropped_columns_keeps_its_cells_when_the_row_is_full() {
        // NAME's content is wider than it gets, so the spare width goes to it, and the last
        // title is right-aligned: no free header cell is left for `1 ▸` unless the layout
        // keeps them
        let cols = [
            Column::new("NAME", 20, 0),
            Column::new("B", 10, 5),
            Column::new("SCAN", 6, 1).num(),
        ];
        let width = MARKER + 35;
        let lay = fit_layout(&Fit {
            cols: &cols,
            natural: &[40, 10, 6],
            width,
            chosen: None,
            wide: false,
            keep: None,
            scroll: 0,
        });
        assert_eq!(lay.cols.iter().map(|c| c.0).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(lay.hidden_right, 1);
        let (_, rw) = hidden_marker(1, false);
        assert_eq!(lay.reserved_right, rw, "{lay:?}");
        let used: u16 = lay.cols.iter().map(|c| c.1 + 1).sum();
        assert!(MARKER + used + rw <= width + 1, "{lay:?}");
    }

    #[test]
    fn narrow_terminals_drop_low_priority_columns() {
        let cols = [
            Column::new("A", 10, 0),
            Column::new("B", 10, 5),
            Column::new("C", 10, 1),
        ];
        let fit = fit_columns(&Fit {
            cols: &cols,
            natural: &[],
            width: 25,
            chosen: None,
            wide: false,
            keep: None,
            scroll: 0,
        });
        assert_eq!(fit.iter().map(|f| f.0).collect::<Vec<_>>(), vec![0, 2]);
        // the sort column is never the one dropped
        let fit = fit_columns(&Fit {
            cols: &cols,
            natural: &[],
            width: 25,
            chosen: None,
            wide: false,
            keep: Some(1),
            scroll: 0,
        });
        assert!(fit.iter().any(|f| f.0 == 1), "{fit:?}");
    }

    #[test]
    fn columns_take_their_content_width_and_the_rest_goes_to_the_growing_one() {
        let cols = [
            Column::new("DOMAIN", 24, 0),
            Column::new("ACCOUNT", 12, 1),
            Column::new("MESSAGE", 20, 2).grow(),
        ];
        // content wider than declared: at 200 columns nothing is cut
        let natural = [40, 18, 90];
        let fit = fit_columns(&Fit {
            cols: &cols,
            natural: &natural,
            width: 200,
            chosen: None,
            wide: false,
            keep: None,
            scroll: 0,
        });
        assert_eq!(fit[0], (0, 40));
        assert_eq!(fit[1], (1, 18));
        assert_eq!(
            fit[2].1,
            200 - MARKER - 40 - 18 - 3,
            "message takes the rest"
        );
        // narrow: declared widths, the least important dropped first
        let fit = fit_columns(&Fit {
            cols: &cols,
            natural: &natural,
            width: 62,
            chosen: None,
            wide: false,
            keep: None,
            scroll: 0,
        });
        assert_eq!(fit.iter().map(|f| f.0).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert!(fit.iter().map(|f| u32::from(f.1) + 1).sum::<u32>() <= 60);
        // chosen columns only; wide mode shows every one
        let fit = fit_columns(&Fit {
            cols: &cols,
            natural: &natural,
            width: 200,
            chosen: Some(&[0, 2]),
            wide: false,
            keep: None,
            scroll: 0,
        });
        assert_eq!(fit.iter().map(|f| f.0).collect::<Vec<_>>(), vec![0, 2]);
    }

    #[test]
    fn shift_letters_skip_keys_the_keymap_uses() {
        let cols = [
            Column::new("NAME", 10, 0),
            Column::new("NODES", 4, 1),
            Column::new("GROUP", 4, 1),
        ];
        let hk = sort_hotkeys(&cols, &[0, 1, 2], &['G']);
        assert_eq!(hk, vec![(0, 'N', 0), (1, 'O', 1), (2, 'R', 1)]);
    }
}
