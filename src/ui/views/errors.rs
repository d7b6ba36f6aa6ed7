//! `:errors` — what could not be read, per account / region / service, with the message.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::fmt::age;
use super::table_render::render_table;
use crate::model::{CollectError, FleetSnapshot};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("ACCOUNT", 18, 0),
    Column::new("REGION", 14, 1),
    Column::new("SERVICE", 8, 2),
    Column::new("OPERATION", 26, 3),
    Column::new("CODE", 20, 0),
    Column::new("AGE", 5, 4).num(),
    Column::new("MESSAGE", 40, 0).grow(),
];

#[derive(Clone, Default)]
pub struct ErrorsSource {
    pub snap: Arc<FleetSnapshot>,
    pub now: DateTime<Utc>,
}

impl ErrorsSource {
    fn err(&self, row: usize) -> &CollectError {
        nth_error(&self.snap, row).expect("row in range")
    }
}

/// The `row`-th error listed: the refresh's, then those reading patch schedules (one per
/// account when a role lacks those APIs), then those reading node tags (one per account ×
/// region × API).
pub fn nth_error(snap: &FleetSnapshot, row: usize) -> Option<&CollectError> {
    snap.errors.get(row).or_else(|| {
        let row = row.checked_sub(snap.errors.len())?;
        snap.schedules.errors.get(row).or_else(|| {
            snap.schedules
                .tags
                .errors
                .get(row.checked_sub(snap.schedules.errors.len())?)
        })
    })
}

/// Every error `:errors` lists (the header counts the same).
pub fn error_count(snap: &FleetSnapshot) -> usize {
    snap.errors.len() + snap.schedules.errors.len() + snap.schedules.tags.errors.len()
}

impl RowSource for ErrorsSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        error_count(&self.snap)
    }
    fn id(&self, row: usize) -> String {
        let e = self.err(row);
        format!(
            "{:?}/{:?}/{}/{}",
            e.account_id, e.region, e.service, e.operation
        )
    }
    fn text(&self, row: usize, col: usize) -> String {
        let e = self.err(row);
        match col {
            0 => match &e.account_id {
                Some(a) => {
                    let name = self.snap.account_name(a);
                    if name == a {
                        sanitize(a)
                    } else {
                        sanitize(&format!("{name} ({a})"))
                    }
                }
                None => "(organization)".into(),
            },
            1 => sanitize(e.region.as_deref().unwrap_or("-")),
            2 => sanitize(&e.service),
            3 => sanitize(&e.operation),
            4 => sanitize(&e.code),
            5 => age(self.now, e.at),
            6 => sanitize(&e.message),
            _ => String::new(),
        }
    }
    fn copy_text(&self, row: usize) -> String {
        self.err(row).message.clone()
    }
    fn style(&self, _row: usize, col: usize, theme: &Theme) -> Style {
        match col {
            4 => theme.style(Role::Error),
            1 | 2 | 3 | 5 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            FieldSpec::text("account", "account name or id"),
            FieldSpec::text("region", "region"),
            FieldSpec::text("service", "ssm, acm, organizations, sts"),
            FieldSpec::text("code", "error code"),
        ];
        F
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let e = self.err(row);
        match col {
            0 => Cell::opt_text(e.account_id.as_deref()),
            1 => Cell::opt_text(e.region.as_deref()),
            5 => Cell::time(e.at),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        if error_count(&self.snap) == 0 {
            return crate::ui::filter::find_field(self.fields(), field).map(|_| false);
        }
        let e = self.err(row);
        Some(match field {
            "account" => e
                .account_id
                .as_deref()
                .is_some_and(|a| a.contains(v) || contains(self.snap.account_name(a), v)),
            "region" => contains(e.region.as_deref().unwrap_or(""), v),
            "service" => contains(&e.service, v),
            "code" => contains(&e.code, v),
            _ => return None,
        })
    }
}

pub struct ErrorsView {
    pub src: ErrorsSource,
    pub table: TableState,
    pub built: Option<u64>,
}

impl Default for ErrorsView {
    fn default() -> Self {
        ErrorsView {
            src: ErrorsSource::default(),
            table: TableState::new(0, false),
            built: None,
        }
    }
}

pub const ID: &str = "errors";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["errors", "err", "errs"],
    describe: "What could not be read",
    action: Some(Action::ViewErrors),
    table: true,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(ErrorsView::default()))
    }),
};

impl View for ErrorsView {
    fn id(&self) -> &'static str {
        ID
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    /// Enter describes the error: the whole message, where, when, whether it is retried.
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if self.table.selected_row().is_some() {
            cx.then = Some(Action::Describe);
        }
    }

    fn describe(&self, data: &Data, now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("Nothing selected to describe")?;
        let e = nth_error(&data.snapshot, r).ok_or("Nothing selected to describe")?;
        Ok(super::doc::error(&data.snapshot, e, now))
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        let msg = if cx.loading {
            cx.empty_msg("errors", &self.table)
        } else {
            "✓ no collection errors".into()
        };
        render_table(buf, area, &self.table, &self.src, cx.theme, &cx.look(msg));
    }

    /// Also rebuilt when the clock moved: the AGE column ages with it (a handful of rows).
    fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        if self.built == Some(data.generation) && self.src.now == now {
            return;
        }
        self.src = ErrorsSource {
            snap: data.snapshot.clone(),
            now,
        };
        self.table.rebuild(&self.src);
        self.built = Some(data.generation);
    }
}
