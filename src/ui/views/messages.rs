//! `:messages` (`:msg`, `:log`) — every toast and status message of the session, whole, k9s
//! style: time, level and text, newest first. The footer shows one message at a time and
//! cuts a long one (ending `… :messages`); here Enter or `d` opens the whole text in the
//! describe pane and `c` copies it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::contract::{Open, RenderCx, Spec, View, ViewCx, no_argument};
use super::table_render::render_table;
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::data::Data;
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::messages::{Message, MessageLog};
use crate::ui::table::{Cell, Column, RowSource, TableState};
use crate::ui::theme::{Role, Theme};

pub const COLUMNS: &[Column] = &[
    Column::new("TIME", 8, 0),
    Column::new("LEVEL", 5, 1),
    Column::new("MESSAGE", 60, 0).grow(),
];

pub const ID: &str = "messages";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["messages", "msg", "log"],
    describe: "Every message of the session, whole",
    action: None,
    table: true,
    scoped: false,
    open: Open::View(|sel| {
        no_argument(sel, ID)?;
        Ok(Box::new(MessagesView::default()))
    }),
};

/// The log's messages, newest first.
#[derive(Clone, Default)]
pub struct MessagesSource {
    pub items: Arc<Vec<Message>>,
}

impl MessagesSource {
    fn msg(&self, row: usize) -> &Message {
        &self.items[self.items.len() - 1 - row]
    }
}

/// The time of day a message was shown (the machine's zone; UTC in tests).
fn clock(t: DateTime<Utc>) -> String {
    #[cfg(test)]
    {
        t.format("%H:%M:%S").to_string()
    }
    #[cfg(not(test))]
    {
        t.with_timezone(&chrono::Local)
            .format("%H:%M:%S")
            .to_string()
    }
}

impl RowSource for MessagesSource {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.items.len()
    }
    fn id(&self, row: usize) -> String {
        // stable while new messages arrive on top: the message's position in the session
        format!("message {}", self.items.len() - 1 - row)
    }
    fn text(&self, row: usize, col: usize) -> String {
        let m = self.msg(row);
        match col {
            0 => clock(m.at),
            1 => m.level().to_string(),
            // one line here; Enter / d shows it whole
            2 => sanitize(&m.text.replace(['\n', '\r'], " ")),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        let m = self.msg(row);
        match col {
            0 => Cell::Time(m.at),
            2 => Cell::text(crate::text::sanitize_multiline(&m.text)),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn copy_text(&self, row: usize) -> String {
        crate::text::sanitize_multiline(&self.msg(row).text)
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> std::cmp::Ordering {
        match col {
            // newest first is row order
            0 => b.cmp(&a),
            _ => self.text(a, col).cmp(&self.text(b, col)),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        match col {
            1 if self.msg(row).error => theme.style(Role::Error),
            1 => theme.style(Role::Info),
            0 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[FieldSpec::choice(
            "level",
            &["error", "info"],
            "error or info",
        )];
        F
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(m) = self.items.get(self.items.len().wrapping_sub(1 + row)) else {
            return crate::ui::filter::find_field(self.fields(), field).map(|_| false);
        };
        Some(match field {
            "level" => contains(m.level(), v),
            _ => return None,
        })
    }
}

pub struct MessagesView {
    pub src: MessagesSource,
    pub table: TableState,
    /// The log's `seq` the rows were built from.
    seq: Option<u64>,
    built: Option<u64>,
}

impl Default for MessagesView {
    fn default() -> Self {
        MessagesView {
            src: MessagesSource::default(),
            // newest first
            table: TableState::new(0, true),
            seq: None,
            built: None,
        }
    }
}

impl MessagesView {
    fn doc(&self) -> Result<super::doc::Doc, String> {
        let r = self
            .table
            .selected_row()
            .ok_or("No message selected (none yet this session)")?;
        let m = self.src.msg(r);
        let mut d = super::doc::Doc::new(
            "message",
            &self.src.id(r),
            format!("{} message at {}", m.level(), clock(m.at)),
            m,
        );
        d.heading("Message")
            .field(
                "Time",
                format!(
                    "{} ({})",
                    clock(m.at),
                    m.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            )
            .field_as(
                "Level",
                m.level(),
                if m.error { Role::Error } else { Role::Info },
            )
            .heading("Text")
            .text(&m.text, if m.error { Role::Error } else { Role::Text });
        Ok(d)
    }
}

impl View for MessagesView {
    fn id(&self) -> &'static str {
        ID
    }

    fn built(&self) -> Option<u64> {
        self.built
    }

    fn needs_data(&self) -> bool {
        false
    }

    /// Its rows come from the message log ([`View::messages`]), not the fleet data.
    fn ensure_built(&mut self, data: &Data, _now: DateTime<Utc>) {
        self.built = Some(data.generation);
    }

    fn messages(&mut self, log: &MessageLog) {
        if self.seq == Some(log.seq) {
            return;
        }
        self.seq = Some(log.seq);
        self.src = MessagesSource {
            items: log.items.clone(),
        };
        self.table.rebuild(&self.src);
    }

    fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        Some((&self.table, &self.src))
    }

    fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        Some((&mut self.table, &self.src))
    }

    /// Enter opens the whole message (as `d`).
    fn enter(&mut self, cx: &mut ViewCx<'_>) {
        if self.table.selected_row().is_some() {
            cx.then = Some(Action::Describe);
        }
    }

    fn describe_local(&self) -> Option<Result<super::doc::Doc, String>> {
        Some(self.doc())
    }

    fn describe(&self, _data: &Data, _now: DateTime<Utc>) -> Result<super::doc::Doc, String> {
        self.doc()
    }

    fn render(&self, buf: &mut Buffer, area: Rect, cx: &RenderCx<'_>) {
        render_table(
            buf,
            area,
            &self.table,
            &self.src,
            cx.theme,
            &cx.look("no messages yet this session".to_string()),
        );
    }
}
