//! The run pane (`:run`, `x` on nodes / node detail): Run Command for any command or
//! document on the marked, else filtered, nodes — with the same blast-radius preview and
//! typed confirmation as patch now (`super::preview`). The model is
//! `crate::actions::panes::run`; this file maps keys, starts the document jobs and draws.
//! A confirmed run is handed to the command pane (`command_output.rs`), whose job sends it
//! through the mutation gate and watches it.

use std::cell::Cell;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::actions::panes::PaneInput;
use crate::actions::panes::run::{DocList, DocState, Field, Mode, RunOutcome, RunPane};
use crate::actions::run_plan::{POWERSHELL_DOCUMENT, RunOptions, RunPlan, RunWhat, SHELL_DOCUMENT};
use crate::actions::targets::TargetScope;
use crate::model::FleetSnapshot;

use super::super::action::Action;
use super::super::effect::{Job, JobEvent, JobKind};
use super::super::theme::{Role, Theme};
use super::contract::{Handled, Pane, PaneCx, PaneSize};
use super::preview::{
    ConfirmBlock, PreviewLine, choice, pl, radius_body, radius_head, render_form, text_value,
};

pub const ID: &str = "run";

/// What a confirmed run opens: the command pane that sends and watches it (given by
/// whoever opens the run pane, so this file needs no other pane).
pub type Then = fn(String, RunPlan, bool) -> Box<dyn Pane>;

/// The smallest inside of the pane that holds the form (as patch now).
pub use super::preview::{MIN_HEIGHT, MIN_TERMINAL, MIN_WIDTH};
/// From this inner width the preview sits beside the form.
const SIDE_BY_SIDE: u16 = 100;
/// Form column width when side by side.
const LEFT_W: u16 = 56;
/// Form labels.
const LABEL_W: usize = 16;
/// Editor rows shown (the editor scrolls to its cursor).
const EDITOR_ROWS_WIDE: usize = 8;
const EDITOR_ROWS_NARROW: usize = 3;
/// Command lines the preview shows before folding.
const PREVIEW_COMMAND_LINES: usize = 12;

pub struct RunPaneView {
    /// `run`, or `rerun` when opened on a past command.
    id: &'static str,
    then: Then,
    pub model: RunPane,
    snapshot: Arc<FleetSnapshot>,
    scroll: usize,
    last: Cell<Option<(u16, u16)>>,
    max_scroll: Cell<usize>,
}

impl RunPaneView {
    pub fn new(id: &'static str, model: RunPane, snapshot: Arc<FleetSnapshot>, then: Then) -> Self {
        RunPaneView {
            id,
            then,
            model,
            snapshot,
            scroll: 0,
            last: Cell::new(None),
            max_scroll: Cell::new(0),
        }
    }

    /// A run of `what` on `scope`, prefilled (re-run from the command pane or `:commands`).
    pub fn rerun(
        snapshot: Arc<FleetSnapshot>,
        scope: TargetScope,
        what: &RunWhat,
        options: &RunOptions,
        readonly: bool,
        then: Then,
    ) -> Self {
        let model = RunPane::with_what(&snapshot, scope, what, options, readonly);
        RunPaneView::new(ID, model, snapshot, then)
    }

    fn too_small(&self) -> bool {
        self.last.get().is_some_and(super::preview::too_small)
    }

    /// Where documents are listed and described: the first target's account and region
    /// (AWS-owned documents are the same in every account).
    fn home(&self) -> Option<(String, String)> {
        let keys = crate::actions::targets::resolve(&self.snapshot, &self.model.scope);
        keys.nodes
            .first()
            .map(|n| (n.account_id.clone(), n.region.clone()))
    }

    fn outcome(&mut self, o: RunOutcome, cx: &mut PaneCx<'_>) {
        match o {
            RunOutcome::Nothing => {}
            RunOutcome::Close => cx.close = true,
            RunOutcome::Execute(plan) => self.execute(*plan, cx),
            RunOutcome::ListDocuments => match self.home() {
                Some((account_id, region)) => cx.start(Job::ListDocuments { account_id, region }),
                None => self
                    .model
                    .documents_loaded(Err("no target to list documents in".into())),
            },
            RunOutcome::DescribeDocument(name) => match self.home() {
                Some((account_id, region)) => cx.start(Job::DescribeDocument {
                    account_id,
                    region,
                    name,
                }),
                None => self.model.document_described(
                    &self.snapshot,
                    &name,
                    Err("no target to describe the document in".into()),
                ),
            },
        }
    }

    fn apply(&mut self, input: PaneInput, cx: &mut PaneCx<'_>) {
        let o = self.model.input(&self.snapshot, input);
        self.outcome(o, cx);
    }

    fn execute(&mut self, plan: RunPlan, cx: &mut PaneCx<'_>) {
        let title = format!("Run · {} · {}", plan.label(), plan.scope);
        cx.open = Some((self.then)(title, plan, cx.readonly));
        cx.close = true;
    }
}

/// The keys the form reads itself (besides its keymap section), for the help: every key
/// [`key_input`] maps is named here (a test checks it).
pub const FORM_KEYS: &[(&str, &str)] = &[
    ("ctrl-s", "send (from any field)"),
    (
        "enter",
        "new line in the command editor; send from the other fields",
    ),
    ("tab backtab", "next / previous field"),
    (
        "↑ ↓ ← → home end",
        "move in the editor; ← → / space change a choice (Run: shell or document)",
    ),
    (
        "letters backspace delete",
        "edit the command, a document name, a parameter or an option",
    ),
    ("pgup pgdn", "scroll the preview"),
    ("esc", "close"),
];

pub(crate) fn key_input(key: &KeyEvent) -> Option<PaneInput> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => return None,
        KeyCode::Char(c) if !ctrl => PaneInput::Char(c),
        KeyCode::Backspace => PaneInput::Backspace,
        KeyCode::Delete => PaneInput::Delete,
        KeyCode::Tab => PaneInput::NextField,
        KeyCode::BackTab => PaneInput::PrevField,
        KeyCode::Up => PaneInput::Up,
        KeyCode::Down => PaneInput::Down,
        KeyCode::Left => PaneInput::Left,
        KeyCode::Right => PaneInput::Right,
        KeyCode::Home => PaneInput::Top,
        KeyCode::End => PaneInput::Bottom,
        KeyCode::Enter => PaneInput::Submit,
        KeyCode::Esc => PaneInput::Back,
        _ => return None,
    })
}

impl Pane for RunPaneView {
    fn id(&self) -> &'static str {
        self.id
    }

    fn title(&self) -> String {
        format!(
            "Run Command · {}",
            self.model.scope.describe(&self.snapshot)
        )
    }

    fn size(&self) -> PaneSize {
        PaneSize::Full
    }

    fn opened(&mut self, cx: &mut PaneCx<'_>) {
        // a re-run of a document: read its description (and the list for completion)
        if self.model.mode == Mode::Document {
            self.model.documents = DocList::Loading;
            self.outcome(RunOutcome::ListDocuments, cx);
            if let Some(name) = self.model.needs_description() {
                self.model.doc = DocState::Loading(name.clone());
                self.model.replan(&self.snapshot);
                self.outcome(RunOutcome::DescribeDocument(name), cx);
            }
        }
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut PaneCx<'_>) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        // ctrl-s sends from anywhere (Enter is a new line in the editor)
        if ctrl && key.code == KeyCode::Char('s') {
            if !self.too_small() {
                let o = self.model.go();
                self.outcome(o, cx);
            }
            return true;
        }
        let Some(input) = key_input(key) else {
            return false;
        };
        if self.too_small() {
            if input == PaneInput::Back {
                self.apply(input, cx);
            }
            return true;
        }
        let on_choice = matches!(self.model.focus, Field::Mode | Field::CloudWatch);
        let typing = self.model.confirmation().is_some_and(|c| c.needs_typing());
        let input = match input {
            PaneInput::Char(' ') if on_choice => PaneInput::Toggle,
            // letters on a choice are the keymap's (help, quit), unless a phrase is asked for
            PaneInput::Char(_) if on_choice && !typing => return false,
            i => i,
        };
        self.apply(input, cx);
        true
    }

    fn paste(&mut self, text: &str, _cx: &mut PaneCx<'_>) -> bool {
        if !self.too_small() {
            self.model.paste(&self.snapshot, text);
        }
        true
    }

    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled {
        if self.too_small() {
            return match action {
                Action::Back => {
                    self.apply(PaneInput::Back, cx);
                    Handled::Consumed
                }
                Action::Quit => Handled::NotConsumed,
                _ => Handled::Consumed,
            };
        }
        let input = match action {
            Action::PageDown | Action::PageUp => {
                let d = (self.last.get().map(|l| l.1).unwrap_or(10) / 2).max(1) as usize;
                self.scroll = if action == Action::PageDown {
                    (self.scroll + d).min(self.max_scroll.get())
                } else {
                    self.scroll.saturating_sub(d)
                };
                return Handled::Consumed;
            }
            Action::Back => PaneInput::Back,
            Action::Open => PaneInput::Submit,
            Action::Up => PaneInput::Up,
            Action::Down => PaneInput::Down,
            Action::NextTab => PaneInput::NextField,
            Action::PrevTab => PaneInput::PrevField,
            _ => return Handled::NotConsumed,
        };
        self.apply(input, cx);
        Handled::Consumed
    }

    fn job(&mut self, _kind: JobKind, event: JobEvent, _cx: &mut PaneCx<'_>) {
        match event {
            JobEvent::Documents(r) => self.model.documents_loaded(r),
            JobEvent::DocumentDescribed { name, result } => {
                self.model
                    .document_described(&self.snapshot, &name, result.map(|d| d.map(|d| *d)))
            }
            _ => {}
        }
    }

    fn data_changed(&mut self, cx: &mut PaneCx<'_>) {
        if let Some(s) = cx.snapshot
            && !self.model.sending
        {
            self.snapshot = s.clone();
            self.model.replan(&self.snapshot);
        }
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        self.last.set(Some((area.width, area.height)));
        let max = render_run(&self.model, frame, area, theme, self.scroll);
        self.max_scroll.set(max);
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.too_small() {
            return vec![(Action::Back, "close")];
        }
        vec![
            (Action::Back, "close"),
            (Action::NextTab, "next field"),
            (Action::PageDown, "preview"),
        ]
    }
}

/// The form's lines: mode, the editor or document + parameters, options, output.
fn form_lines(m: &RunPane, theme: &Theme, width: u16, wide: bool) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if m.readonly {
        lines.push(Line::styled(
            "READ-ONLY: preview only — sending is refused",
            theme.style(Role::BadgeReadonly),
        ));
    }
    let room = (width as usize).saturating_sub(2 + LABEL_W + 1);
    let output_focused = matches!(
        m.focus,
        Field::S3Bucket | Field::S3Prefix | Field::CloudWatch
    );
    let label = |f: Field, text: &str| -> Vec<Span<'static>> {
        let focused = m.focus == f;
        let text: String = text.chars().take(LABEL_W - 1).collect();
        vec![
            Span::styled(if focused { "› " } else { "  " }, theme.style(Role::Key)),
            Span::styled(
                format!("{text:<LABEL_W$}"),
                theme.style(if focused { Role::Selection } else { Role::Text }),
            ),
        ]
    };
    for f in m.fields() {
        let focused = m.focus == f;
        let mut spans = label(f, f.label());
        match f {
            Field::Confirm => continue,
            Field::Mode => spans.extend(choice(
                theme,
                &["Shell command", "Document"],
                usize::from(m.mode == Mode::Document),
            )),
            Field::Command => {
                let rows = if wide {
                    EDITOR_ROWS_WIDE
                } else {
                    EDITOR_ROWS_NARROW
                };
                lines.extend(editor_lines(m, theme, room, rows, spans));
                continue;
            }
            Field::Document => {
                let state = match &m.doc {
                    DocState::Loading(_) => Some("describing…".to_string()),
                    DocState::Missing(_) => Some("no such document".to_string()),
                    DocState::Failed { .. } => Some("could not describe".to_string()),
                    DocState::Described(d) => Some(format!(
                        "{} parameter{}",
                        d.parameters.len(),
                        if d.parameters.len() == 1 { "" } else { "s" }
                    )),
                    DocState::Unknown => None,
                };
                spans.extend(text_value(
                    theme,
                    &m.document,
                    focused,
                    Some("name, e.g. AWS-ConfigureAWSPackage".into()),
                    room,
                ));
                if let Some(st) = state.filter(|_| !m.document.is_empty()) {
                    spans.push(Span::styled(format!("  {st}"), theme.style(Role::Muted)));
                }
                lines.push(Line::from(spans));
                if focused {
                    let list = match &m.documents {
                        DocList::Loading => vec!["loading documents (ListDocuments)…".to_string()],
                        DocList::Failed(e) => {
                            vec![format!("documents: {}", crate::text::sanitize(e))]
                        }
                        DocList::Loaded(_) => {
                            let s = m.suggestions();
                            if s.is_empty() {
                                Vec::new()
                            } else {
                                vec![format!(
                                    "→ {}",
                                    s.iter()
                                        .map(|d| crate::text::sanitize(d))
                                        .collect::<Vec<_>>()
                                        .join("  ")
                                )]
                            }
                        }
                        DocList::NotAsked => Vec::new(),
                    };
                    for l in list {
                        let l: String = l.chars().take(room).collect();
                        lines.push(Line::styled(
                            format!("{:width$}{l}", "", width = 2 + LABEL_W),
                            theme.style(Role::Muted),
                        ));
                    }
                }
                continue;
            }
            Field::Param(i) => {
                let (name, value) = &m.params[i];
                let spec = match &m.doc {
                    DocState::Described(d) => d.parameters.iter().find(|p| &p.name == name),
                    _ => None,
                };
                let hint = spec.map(|p| {
                    if !p.allowed_values.is_empty() {
                        format!("one of {}", p.allowed_values.join("|"))
                    } else if p.default_value.is_none() {
                        "required".to_string()
                    } else {
                        "empty: the document's default".to_string()
                    }
                });
                spans = label(f, &crate::text::sanitize(name));
                spans.extend(text_value(theme, value, focused, hint, room));
            }
            Field::Timeout => spans.extend(text_value(
                theme,
                &m.timeout,
                focused,
                Some("default 3600".into()),
                room,
            )),
            Field::MaxConcurrency => spans.extend(text_value(
                theme,
                &m.max_concurrency,
                focused,
                Some("AWS default: 50".into()),
                room,
            )),
            Field::MaxErrors => spans.extend(text_value(
                theme,
                &m.max_errors,
                focused,
                Some("AWS default: 0".into()),
                room,
            )),
            Field::Comment => spans.extend(text_value(
                theme,
                &m.comment,
                focused,
                Some("optional, ≤ 100 chars".into()),
                room,
            )),
            // narrow: the three output fields fold into one line until one is focused
            Field::S3Bucket if !wide && !output_focused => {
                spans = label(f, "Output");
                spans.push(Span::styled(output_summary(m), theme.style(Role::Muted)));
            }
            Field::S3Prefix | Field::CloudWatch if !wide && !output_focused => continue,
            Field::S3Bucket => spans.extend(text_value(
                theme,
                &m.s3_bucket,
                focused,
                Some("optional".into()),
                room,
            )),
            Field::S3Prefix => spans.extend(text_value(
                theme,
                &m.s3_prefix,
                focused,
                Some("optional".into()),
                room,
            )),
            Field::CloudWatch => {
                spans.extend(choice(theme, &["Off", "On"], usize::from(m.cloudwatch)))
            }
        }
        lines.push(Line::from(spans));
    }
    let typing = m.confirmation().is_some_and(|c| c.needs_typing());
    lines.push(Line::styled(
        match (m.focus, typing) {
            (Field::Command, _) => "enter new line · tab next field · ctrl-s send",
            (Field::Document, _) => "→ complete · tab describe + next · ctrl-s send",
            (_, true) => "tab/↑↓ field · space/←→ change · type the phrase",
            (_, false) => "tab/↑↓ field · space/←→ change · enter go",
        },
        theme.style(Role::Muted),
    ));
    lines
}

/// "none" / "s3://bucket/prefix · CloudWatch Logs" (tab to set).
fn output_summary(m: &RunPane) -> String {
    let mut v = Vec::new();
    if !m.s3_bucket.trim().is_empty() {
        v.push(format!(
            "s3://{}/{}",
            crate::text::sanitize(m.s3_bucket.trim()),
            crate::text::sanitize(m.s3_prefix.trim())
        ));
    }
    if m.cloudwatch {
        v.push("CloudWatch Logs".into());
    }
    if v.is_empty() {
        "(API only · tab to add S3 / CloudWatch)".into()
    } else {
        v.join(" · ")
    }
}

/// The editor: a gutter, `rows` lines around the cursor, the cursor as a block.
fn editor_lines(
    m: &RunPane,
    theme: &Theme,
    room: usize,
    rows: usize,
    head: Vec<Span<'static>>,
) -> Vec<Line<'static>> {
    let focused = m.focus == Field::Command;
    let (crow, ccol) = m.editor.cursor();
    let n = m.editor.line_count();
    let top = crow.saturating_sub(rows - 1).min(n.saturating_sub(rows));
    let width = room.saturating_sub(2).max(4);
    let mut out = Vec::new();
    let all: Vec<String> = m.editor.lines().collect();
    for (i, text) in all.iter().enumerate().skip(top).take(rows) {
        let mut spans = if i == top {
            head.clone()
        } else {
            vec![Span::raw(" ".repeat(2 + LABEL_W))]
        };
        spans.push(Span::styled("┊ ", theme.style(Role::Border)));
        let chars: Vec<char> = crate::text::sanitize(text).chars().collect();
        // keep the cursor in view on long lines
        let start = if focused && i == crow && ccol >= width {
            ccol + 1 - width
        } else {
            0
        };
        let end = (start + width).min(chars.len());
        let visible: String = chars[start.min(end)..end].iter().collect();
        if focused && i == crow {
            let at = ccol - start;
            let before: String = visible.chars().take(at).collect();
            let under: String = visible
                .chars()
                .nth(at)
                .map(String::from)
                .unwrap_or(" ".into());
            let after: String = visible.chars().skip(at + 1).collect();
            spans.push(Span::styled(before, theme.style(Role::Text)));
            spans.push(Span::styled(under, theme.style(Role::Selection)));
            spans.push(Span::styled(after, theme.style(Role::Text)));
        } else {
            spans.push(Span::styled(visible, theme.style(Role::Text)));
        }
        out.push(Line::from(spans));
    }
    if m.editor.is_blank()
        && !focused
        && let Some(l) = out.first_mut()
    {
        {
            l.spans.push(Span::styled(
                "(a shell command; enter for more lines)",
                theme.style(Role::Muted),
            ));
        }
    }
    let hidden = n.saturating_sub(rows);
    if hidden > 0 {
        out.push(Line::styled(
            format!(
                "{:w$}┊ {} line{} · line {} of {n}",
                "",
                n,
                if n == 1 { "" } else { "s" },
                crow + 1,
                w = 2 + LABEL_W
            ),
            theme.style(Role::Muted),
        ));
    }
    out
}

/// The preview: blast radius, the documents per platform, what runs, options, exclusions,
/// calls.
fn preview(m: &RunPane) -> Vec<PreviewLine> {
    let p = match &m.plan {
        Err(_) if m.blank() => {
            return vec![pl(
                "",
                "Nothing to run yet: the preview (targets, documents, calls) shows once a command is typed",
                Role::Muted,
            )];
        }
        Err(e) => return vec![pl("", format!("Refused before sending: {e}"), Role::Error)],
        Ok(p) => p,
    };
    let b = &p.preview;
    let mut out = radius_head(b);
    out.push(pl("", "", Role::Text));
    let docs = p
        .by_document
        .iter()
        .map(|(d, n)| {
            let on = match d.as_str() {
                SHELL_DOCUMENT => " (Linux/macOS)",
                POWERSHELL_DOCUMENT => " (Windows)",
                _ => "",
            };
            format!("{}: {n}{on}", crate::text::sanitize(d))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    out.push(pl("Documents", docs, Role::Text));
    match &p.what {
        RunWhat::Shell(text) => {
            let lines: Vec<&str> = text.lines().collect();
            for (i, l) in lines.iter().take(PREVIEW_COMMAND_LINES).enumerate() {
                out.push(pl(
                    if i == 0 { "Command" } else { "" },
                    format!("{:>2}│ {}", i + 1, crate::text::sanitize(l)),
                    Role::Muted,
                ));
            }
            if lines.len() > PREVIEW_COMMAND_LINES {
                out.push(pl(
                    "",
                    format!("  │ … {} more lines", lines.len() - PREVIEW_COMMAND_LINES),
                    Role::Muted,
                ));
            }
        }
        RunWhat::Document { .. } => {
            let params = p
                .groups
                .first()
                .map(|g| {
                    g.parameters
                        .iter()
                        .map(|(k, v)| {
                            format!(
                                "{}={}",
                                crate::text::sanitize(k),
                                crate::text::sanitize(&v.join(","))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" · ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "(the document's defaults)".into());
            out.push(pl("Parameters", params, Role::Text));
        }
    }
    let o = &p.options;
    if matches!(p.what, RunWhat::Shell(_)) {
        out.push(pl(
            "Timeout",
            o.execution_timeout_seconds
                .map(|t| format!("{t} s"))
                .unwrap_or_else(|| "3600 s (the documents' default)".into()),
            Role::Text,
        ));
    }
    out.push(pl(
        "Rate",
        format!(
            "MaxConcurrency {} · MaxErrors {}, per call",
            o.max_concurrency.as_deref().unwrap_or("50 (AWS default)"),
            o.max_errors.as_deref().unwrap_or("0 (AWS default)")
        ),
        Role::Text,
    ));
    if !o.comment.is_empty() {
        out.push(pl("Comment", o.comment.clone(), Role::Text));
    }
    out.push(pl("Output", output_summary(m), Role::Text));
    out.push(pl("", "", Role::Text));
    out.extend(radius_body(b, &p.exclusions, false));
    out.push(pl("", "", Role::Text));
    for (i, g) in p.groups.iter().enumerate() {
        let sizes: Vec<String> = g.batches.iter().map(|b| b.len().to_string()).collect();
        out.push(pl(
            if i == 0 { "Calls" } else { "" },
            format!(
                "{} {} {}: {} call{} ({})",
                crate::text::sanitize(
                    m_account_name(m, &g.account_id).unwrap_or(g.account_id.as_str())
                ),
                g.region,
                g.document,
                g.batches.len(),
                if g.batches.len() == 1 { "" } else { "s" },
                sizes.join("+"),
            ),
            Role::Muted,
        ));
    }
    out
}

/// The account's name as the preview counted it ("name (id)").
fn m_account_name<'a>(m: &'a RunPane, id: &str) -> Option<&'a str> {
    let p = m.plan.as_ref().ok()?;
    p.preview.by_account.iter().find_map(|(label, _)| {
        label
            .strip_suffix(&format!(" ({id})"))
            .filter(|n| !n.is_empty())
    })
}

/// Draw the run pane into the inside of its frame (also used by snapshot tests).
pub fn render_run(
    m: &RunPane,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    scroll: usize,
) -> usize {
    if super::preview::too_small((area.width, area.height)) {
        let msg = format!(
            "Run Command needs a terminal of at least {}×{}. Enlarge it, or press Esc to close.",
            MIN_TERMINAL.0, MIN_TERMINAL.1
        );
        frame.render_widget(
            Paragraph::new(Line::styled(msg, theme.style(Role::Warning))).wrap(Wrap { trim: true }),
            area,
        );
        return 0;
    }
    let block = ConfirmBlock {
        prompt: m.prompt(),
        production: m.production(),
        typing: m.confirmation().is_some_and(|c| c.needs_typing()),
        input: &m.confirm_input,
        focused: m.focus == Field::Confirm,
        notice: m.notice.as_deref(),
        sending: m.sending,
    };
    let confirm = super::preview::confirm_lines(&block, theme, area.width);
    let wide = area.width >= SIDE_BY_SIDE;
    let form_w = if wide { LEFT_W } else { area.width };
    let form = form_lines(m, theme, form_w, area.height >= 30);
    render_form(
        frame,
        area,
        theme,
        form,
        &preview(m),
        confirm,
        scroll,
        SIDE_BY_SIDE,
        LEFT_W,
    )
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyCode;

    use super::super::super::action::Msg;
    use super::super::super::effect::{Effect, Job, JobEvent, JobId, JobKind};
    use super::super::super::fixture;
    use super::super::super::pane_tests::{
        ctrl, key, keymap, mark_online, screen, snap, state, typed,
    };
    use super::super::super::state::State;
    use super::super::super::update::update;
    use super::super::command_output;
    use super::RunPaneView;
    use crate::actions::WatchEvent;
    use crate::actions::run_plan::{POWERSHELL_DOCUMENT, SHELL_DOCUMENT};
    use crate::model::{CommandInvocation, CommandPluginOutput, CommandSummary, PlatformType};
    fn run_pane(s: &State) -> &RunPaneView {
        s.panes
            .last()
            .and_then(|p| p.item.as_any().downcast_ref::<RunPaneView>())
            .expect("the run pane on top")
    }

    /// The phrase the confirmation asks for, read off the screen.
    fn phrase(s: &mut State) -> String {
        let text = screen(s, 120, 40);
        let start = text.find("Type `").expect("a typed confirmation") + 6;
        let end = start + text[start..].find('`').unwrap();
        text[start..end].to_string()
    }

    #[test]
    fn an_empty_command_is_refused_before_anything_is_sent() {
        let mut s = state(false);
        mark_online(&mut s, 2);
        key(&mut s, KeyCode::Char('x'));
        assert_eq!(s.panes.last().map(|p| p.id()), Some(super::ID));
        // a fresh form is not a refusal: it says what to do
        let fresh = screen(&mut s, 120, 40);
        assert!(!fresh.contains("Refused"), "{fresh}");
        assert!(fresh.contains("Type the command to run"), "{fresh}");
        // Enter in the editor is a new line, never a send
        assert!(key(&mut s, KeyCode::Enter).is_empty());
        typed(&mut s, "   ");
        assert!(ctrl(&mut s, 's').is_empty());
        let text = screen(&mut s, 120, 40);
        assert!(
            text.contains("Refused before sending: nothing to run: the command is empty"),
            "{text}"
        );
        assert_eq!(s.panes.len(), 1, "still the run pane");
    }

    #[test]
    fn read_only_shows_the_preview_and_refuses_to_send() {
        let mut s = state(true);
        mark_online(&mut s, 2);
        key(&mut s, KeyCode::Char('x'));
        typed(&mut s, "systemctl restart nginx");
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("READ-ONLY"), "{text}");
        assert!(text.contains("2 targets"), "{text}");
        assert!(phrase(&mut s).contains('2') || !phrase(&mut s).is_empty());
        assert!(ctrl(&mut s, 's').is_empty(), "read-only never sends");
        let text = screen(&mut s, 120, 40);
        assert!(
            text.contains("Read-only mode: sending is refused"),
            "{text}"
        );
        assert_eq!(s.panes.last().map(|p| p.id()), Some(super::ID));
    }

    #[test]
    fn a_shell_command_splits_into_shell_and_powershell_by_platform() {
        let mut s = state(false);
        key(&mut s, KeyCode::Char('/'));
        typed(&mut s, "ping:online");
        key(&mut s, KeyCode::Enter);
        key(&mut s, KeyCode::Char('x'));
        typed(&mut s, "hostname");
        let plan = run_pane(&s).model.plan.clone().expect("a plan");
        let snapshot = fixture::snapshot();
        let platform = |id: &str| {
            snapshot
                .nodes
                .iter()
                .find(|n| n.instance_id == id)
                .map(|n| n.platform_type)
        };
        let windows = plan
            .targets
            .iter()
            .filter(|k| platform(&k.instance_id) == Some(PlatformType::Windows))
            .count();
        assert!(windows > 0 && windows < plan.targets.len(), "{plan:?}");
        assert_eq!(
            plan.by_document,
            vec![
                (POWERSHELL_DOCUMENT.to_string(), windows),
                (SHELL_DOCUMENT.to_string(), plan.targets.len() - windows)
            ]
        );
        for g in &plan.groups {
            let want = if platform(&g.batches[0][0]) == Some(PlatformType::Windows) {
                POWERSHELL_DOCUMENT
            } else {
                SHELL_DOCUMENT
            };
            assert_eq!(g.document, want);
            assert_eq!(g.parameters["commands"], vec!["hostname"]);
        }
        let text = screen(&mut s, 200, 60);
        assert!(
            text.contains(&format!("{POWERSHELL_DOCUMENT}: {windows} (Windows)")),
            "{text}"
        );
        assert!(text.contains("(Linux/macOS)"), "{text}");
    }

    /// Send `df -h` to two marked nodes; the command pane is then on top.
    fn sent(s: &mut State, n: usize) -> (Vec<CommandSummary>, crate::model::FleetSnapshot) {
        mark_online(s, n);
        key(s, KeyCode::Char('x'));
        typed(s, "df -h");
        let p = phrase(s);
        // the first send asks for the phrase and moves to it
        assert!(ctrl(s, 's').is_empty());
        assert!(screen(s, 120, 40).contains(&format!("Type `{p}` to confirm")));
        typed(s, &p);
        let fx = ctrl(s, 's');
        assert_eq!(s.panes.len(), 1);
        assert_eq!(s.panes[0].id(), command_output::ID);
        let plan = match fx.as_slice() {
            [Effect::Start(o, Job::SendRun(plan))] if *o == s.panes[0].owner => plan.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(plan.target_count(), n);
        let snapshot = fixture::snapshot();
        let commands = plan
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| CommandSummary {
                command_id: format!("cmd-{i}"),
                account_id: g.account_id.clone(),
                region: g.region.clone(),
                document_name: g.document.clone(),
                instance_ids: g.batches[0].clone(),
                ..CommandSummary::default()
            })
            .collect();
        (commands, snapshot)
    }

    fn watch(s: &mut State, e: WatchEvent) {
        let id = JobId {
            owner: s.panes[0].owner,
            kind: JobKind::SendRun,
        };
        update(s, Msg::Job(id, JobEvent::Watch(e)), &keymap());
    }

    fn inv(c: &CommandSummary, id: &str, status: &str, code: i32, out: &str) -> CommandInvocation {
        CommandInvocation {
            command_id: c.command_id.clone(),
            account_id: c.account_id.clone(),
            region: c.region.clone(),
            instance_id: id.into(),
            status: status.into(),
            status_details: status.into(),
            plugins: vec![CommandPluginOutput {
                name: "aws:runShellScript".into(),
                status: status.into(),
                response_code: code,
                stdout: out.into(),
                started_at: Some(fixture::now() - chrono::Duration::seconds(4)),
                finished_at: Some(fixture::now() - chrono::Duration::seconds(1)),
                ..CommandPluginOutput::default()
            }],
            ..CommandInvocation::default()
        }
    }

    #[test]
    fn rerun_on_the_failed_targets_previews_exactly_those_nodes() {
        let mut s = state(false);
        let (commands, _) = sent(&mut s, 2);
        watch(
            &mut s,
            WatchEvent::Sent {
                commands: commands.clone(),
                failures: vec![],
            },
        );
        let ids: Vec<(usize, String)> = commands
            .iter()
            .enumerate()
            .flat_map(|(c, cmd)| cmd.instance_ids.iter().map(move |i| (c, i.clone())))
            .collect();
        let (c0, ok_id) = &ids[0];
        let (c1, bad_id) = &ids[1];
        watch(
            &mut s,
            WatchEvent::Invocations(vec![
                inv(
                    &commands[*c0],
                    ok_id,
                    "Success",
                    0,
                    "/dev/root 20G 7G 13G 35% /\n",
                ),
                inv(
                    &commands[*c1],
                    bad_id,
                    "Failed",
                    1,
                    "df: /mnt: No such file\n",
                ),
            ]),
        );
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("outputs: 2 outputs · all differ"), "{text}");
        key(&mut s, KeyCode::Char('R'));
        assert_eq!(s.panes.len(), 2, "the run pane opens over the result");
        let pane = run_pane(&s);
        let plan = pane.model.plan.clone().expect("a plan");
        let keys: Vec<&str> = plan
            .targets
            .iter()
            .map(|k| k.instance_id.as_str())
            .collect();
        assert_eq!(keys, vec![bad_id.as_str()]);
        assert_eq!(pane.model.editor.text(), "df -h", "the same command");
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("1 failed target"), "{text}");
        assert!(text.contains("1 target · 1 account"), "{text}");
        // Esc goes back to the result
        key(&mut s, KeyCode::Esc);
        assert_eq!(s.panes.last().map(|p| p.id()), Some(command_output::ID));
    }

    #[test]
    fn snapshots_of_the_editor_preview_and_result_with_variants() {
        let mut s = state(false);
        mark_online(&mut s, 3);
        key(&mut s, KeyCode::Char('x'));
        typed(&mut s, "df -h /");
        key(&mut s, KeyCode::Enter);
        typed(&mut s, "systemctl is-active nginx");
        snap("run", "editor", &mut s);
        let mut s = state(false);
        let (commands, _) = sent(&mut s, 3);
        watch(
            &mut s,
            WatchEvent::Sent {
                commands: commands.clone(),
                failures: vec![],
            },
        );
        let mut invs = Vec::new();
        for (ci, c) in commands.iter().enumerate() {
            for (k, id) in c.instance_ids.iter().enumerate() {
                let disk = if ci == 0 && k == 0 { "95%" } else { "35%" };
                invs.push(inv(
                    c,
                    id,
                    "Success",
                    0,
                    &format!("Filesystem Size Used Avail Use% Mounted on\n/dev/root 20G 7G 13G {disk} /\nhost {id}\n"),
                ));
            }
        }
        watch(&mut s, WatchEvent::Invocations(invs));
        snap("run", "result", &mut s);
        key(&mut s, KeyCode::Char('v'));
        snap("run", "variants", &mut s);
        key(&mut s, KeyCode::Down);
        key(&mut s, KeyCode::Enter);
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("diff against the majority"), "{text}");
        assert!(text.contains("- /dev/root 20G 7G 13G 35% /"), "{text}");
        assert!(text.contains("+ /dev/root 20G 7G 13G 95% /"), "{text}");
        snap("run", "variant_diff", &mut s);
    }
}
