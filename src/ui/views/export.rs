//! The export dialog (reports engineer). `export` (key `e`) writes the current table as
//! shown — filter and sort applied — and `export_report` (key `E`, `:export [kind]
//! [format]`) a full report of the loaded snapshot. A small dialog picks the kind, the
//! format and the path (default: `Paths::exports_dir()` with a timestamped name); an
//! existing file is only replaced after `y`; the file is written off the UI thread and
//! the toast says where it went. The dialog logic lives in [`crate::report::export`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::config::Paths;
use crate::model::{Aggregates, FleetSnapshot};
use crate::report::export::{
    CONSOLE_REPORT_KINDS, ExportDialog, ExportJob, ExportWhat, FORMATS, Field, ShownTable, Submit,
};
use crate::report::rows::kind_name;
use crate::report::{ReportFormat, ReportKind, format_ext};
use crate::ui::action::Action;
use crate::ui::effect::{ExportRequest, Job, JobEvent, JobKind};

use super::contract::{Handled, Open, Pane, PaneCx, PaneSize, Selection, Spec};
use crate::ui::theme::{Role, Theme};

/// Export the current view as shown.
/// The keys the dialog reads itself (besides the keymap), for the help.
pub const DIALOG_KEYS: &[(&str, &str)] = &[
    ("tab backtab ↑ ↓", "next / previous field"),
    (
        "← →",
        "change a choice (report, format, columns: shown or all)",
    ),
    (
        "letters backspace ctrl-u",
        "edit the path (ctrl-u clears it)",
    ),
    ("enter", "export"),
    ("y n", "overwrite an existing file, or not"),
    ("esc", "close"),
];

pub const SPEC: Spec = Spec {
    id: "export",
    commands: &["export-view"],
    describe: "Export this view as shown",
    action: Some(Action::Export),
    table: false,
    scoped: false,
    open: Open::Pane(open_view),
};

/// Export a full report of the loaded fleet.
pub const REPORT_SPEC: Spec = Spec {
    id: "export_report",
    commands: &["export", "report"],
    describe: "Export a full report",
    action: Some(Action::ExportReport),
    table: false,
    scoped: false,
    open: Open::Pane(open_report),
};

fn exports_dir() -> std::path::PathBuf {
    Paths::resolve().exports_dir()
}

fn open_view(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    let t = sel
        .table()
        .ok_or("this view has no table to export (E exports the full report)")?;
    let from = if sel.view_id() == super::nodes::ID {
        sel.targets_from()
    } else {
        String::new()
    };
    let subtitle = if !from.is_empty() {
        format!("{from} · as shown")
    } else {
        "as shown (current filter and sort)".to_string()
    };
    let what = ExportWhat::Table(ShownTable {
        view: t.view,
        subtitle,
        columns: t.columns,
        rows: t.rows,
        visible: t.visible,
        all_columns: false,
    });
    let mut dialog = ExportDialog::new(what, exports_dir(), sel.now);
    dialog.apply_args(&sel.args)?;
    Ok(Box::new(ExportPane::new(dialog, "export", sel)))
}

fn open_report(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    if sel.snapshot().is_none() {
        return Err("no data yet: wait for the first refresh, then export".into());
    }
    let kind = match sel.view_id() {
        super::nodes::ID => ReportKind::Nodes,
        super::certs::ID => ReportKind::Certs,
        super::commands::ID => ReportKind::Commands,
        _ => ReportKind::Compliance,
    };
    let mut dialog = ExportDialog::new(ExportWhat::Report(kind), exports_dir(), sel.now);
    dialog.apply_args(&sel.args)?;
    Ok(Box::new(ExportPane::new(dialog, "export_report", sel)))
}

/// The dialog pane.
pub struct ExportPane {
    id: &'static str,
    pub dialog: ExportDialog,
    busy: bool,
    snapshot: Option<Arc<FleetSnapshot>>,
    aggregates: Option<Arc<Aggregates>>,
}

impl ExportPane {
    pub fn new(dialog: ExportDialog, id: &'static str, sel: &Selection<'_>) -> Self {
        ExportPane {
            id,
            dialog,
            busy: false,
            snapshot: sel.snapshot().cloned(),
            aggregates: sel.aggregates().cloned(),
        }
    }

    fn start(&mut self, job: ExportJob, cx: &mut PaneCx<'_>) {
        self.busy = true;
        let snap = cx.snapshot.cloned().or_else(|| self.snapshot.clone());
        let agg = cx.aggregates.cloned().or_else(|| self.aggregates.clone());
        let now: DateTime<Utc> = cx.now;
        cx.start(Job::Export(Box::new(ExportRequest {
            job,
            snapshot: snap,
            aggregates: agg,
            now,
        })));
    }

    fn submit(&mut self, cx: &mut PaneCx<'_>) {
        match self.dialog.submit() {
            Submit::Go(job) => self.start(job, cx),
            Submit::AskOverwrite | Submit::Invalid(_) => {}
        }
    }
}

impl Pane for ExportPane {
    fn id(&self) -> &'static str {
        self.id
    }

    fn title(&self) -> String {
        match &self.dialog.what {
            ExportWhat::Table(t) => format!("Export {} view", t.view),
            ExportWhat::Report(_) => "Export report".to_string(),
        }
    }

    fn size(&self) -> PaneSize {
        PaneSize::Modal {
            width_pct: 70,
            height_pct: 40,
        }
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut PaneCx<'_>) -> bool {
        if self.busy {
            return !matches!(key.code, KeyCode::Esc);
        }
        if self.dialog.confirming {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    if let Some(job) = self.dialog.confirm(true) {
                        self.start(job, cx);
                    }
                    return true;
                }
                KeyCode::Char('n') | KeyCode::Char('N') => {
                    self.dialog.confirm(false);
                    return true;
                }
                KeyCode::Esc => {
                    self.dialog.confirm(false);
                    return true;
                }
                _ => return true,
            }
        }
        match key.code {
            KeyCode::Tab => self.dialog.focus_by(1),
            KeyCode::BackTab => self.dialog.focus_by(-1),
            KeyCode::Enter => self.submit(cx),
            KeyCode::Left if self.dialog.focus != Field::Path => self.dialog.cycle(-1),
            KeyCode::Right if self.dialog.focus != Field::Path => self.dialog.cycle(1),
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.dialog.clear_path()
            }
            KeyCode::Char(c)
                if self.dialog.focus == Field::Path
                    && !key.modifiers.contains(KeyModifiers::CONTROL) =>
            {
                self.dialog.type_char(c)
            }
            KeyCode::Backspace if self.dialog.focus == Field::Path => self.dialog.backspace(),
            _ => return false,
        }
        true
    }

    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled {
        match action {
            Action::Back => Handled::NotConsumed,
            Action::Quit | Action::Help => Handled::NotConsumed,
            _ if self.busy => Handled::Consumed,
            Action::Up => {
                self.dialog.focus_by(-1);
                Handled::Consumed
            }
            Action::Down => {
                self.dialog.focus_by(1);
                Handled::Consumed
            }
            Action::Open => {
                self.submit(cx);
                Handled::Consumed
            }
            _ => Handled::Consumed,
        }
    }

    fn job(&mut self, _kind: JobKind, event: JobEvent, cx: &mut PaneCx<'_>) {
        let JobEvent::Exported(res) = event else {
            return;
        };
        self.busy = false;
        match res {
            Ok(done) => {
                cx.toast(done.toast());
                cx.close = true;
            }
            Err(e) => {
                self.dialog.message = Some(e.clone());
                cx.error(e);
            }
        }
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let d = &self.dialog;
        let label = |f: Field, text: &'static str| {
            let style = if d.focus == f {
                theme.style(Role::Selection)
            } else {
                theme.style(Role::Muted)
            };
            Span::styled(format!("{text:>8} "), style)
        };
        let choice = |selected: bool, text: String| {
            if selected {
                Span::styled(format!("[{text}]"), theme.style(Role::Title))
            } else {
                Span::styled(format!(" {text} "), theme.style(Role::Text))
            }
        };
        let mut lines: Vec<Line<'_>> = Vec::new();
        match &d.what {
            ExportWhat::Table(t) => {
                // the count is what will be written: the dialog never says 15 for 8
                lines.push(Line::from(vec![
                    Span::styled(format!("{:>8} ", "What"), theme.style(Role::Muted)),
                    Span::styled(
                        format!(
                            "{} view as shown — {} rows × {} columns",
                            t.view,
                            t.rows.len(),
                            t.exported().len()
                        ),
                        theme.style(Role::Text),
                    ),
                ]));
                lines.push(Line::from(vec![
                    label(Field::Columns, "Columns"),
                    choice(!t.all_columns, format!("visible ({})", t.visible.len())),
                    choice(t.all_columns, format!("all ({})", t.columns.len())),
                ]));
            }
            ExportWhat::Report(k) => {
                let mut spans = vec![label(Field::Kind, "Report")];
                for kind in CONSOLE_REPORT_KINDS {
                    spans.push(choice(kind == *k, kind_name(kind).to_string()));
                }
                lines.push(Line::from(spans));
            }
        }
        let mut spans = vec![label(Field::Format, "Format")];
        for f in FORMATS {
            spans.push(choice(f == d.format, format_name(f)));
        }
        lines.push(Line::from(spans));
        let cursor = if d.focus == Field::Path { "▏" } else { "" };
        let room = (area.width as usize).saturating_sub(10);
        lines.push(Line::from(vec![
            label(Field::Path, "Path"),
            Span::styled(
                format!("{}{cursor}", tail(&crate::text::sanitize(&d.path), room)),
                theme.style(Role::Text),
            ),
        ]));
        lines.push(Line::from(""));
        if self.busy {
            lines.push(Line::from(Span::styled(
                "writing…",
                theme.style(Role::Info),
            )));
        } else if d.confirming {
            lines.push(Line::from(Span::styled(
                format!("{} exists. Overwrite it? y / n", d.path),
                theme.style(Role::Warning),
            )));
        } else if let Some(m) = &d.message {
            lines.push(Line::from(Span::styled(
                crate::text::sanitize(m),
                theme.style(Role::Error),
            )));
        }
        lines.push(Line::from(Span::styled(
            "Tab/↑↓ field · ←/→ change · type the path (Ctrl-U clears) · Enter export · Esc cancel",
            theme.style(Role::Muted),
        )));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![(Action::Open, "export"), (Action::Back, "cancel")]
    }
}

/// The end of `s` that fits in `width` cells, with a leading `…` when cut (the file name
/// matters more than the start of the directory).
fn tail(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width || width < 2 {
        return s.to_string();
    }
    let mut out: Vec<char> = Vec::new();
    let mut used = 1;
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    std::iter::once('…').chain(out.into_iter().rev()).collect()
}

fn format_name(f: ReportFormat) -> String {
    match f {
        ReportFormat::Md => "Markdown".into(),
        other => format_ext(other).to_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::ui::action::Msg;
    use crate::ui::effect::{Effect, Job};
    use crate::ui::fixture;
    use crate::ui::jobs::Jobs;
    use crate::ui::keymap::Keymap;
    use crate::ui::runtime::Services;
    use crate::ui::state::{Meta, State};
    use crate::ui::theme::{ColorMode, Theme};
    use crate::ui::update::{selection, update};
    use crate::ui::views::frame::render;

    fn km() -> Keymap {
        Keymap::load("default", std::path::Path::new("/nonexistent")).unwrap()
    }

    fn loaded() -> State {
        let meta = Meta {
            demo: true,
            readonly: true,
            theme: "default".into(),
            keymap: "default".into(),
            ..Default::default()
        };
        let mut s = State::new(meta, fixture::now());
        update(&mut s, Msg::Fleet(fixture::update()), &km());
        s
    }

    fn press(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
        update(s, Msg::Key(KeyEvent::new(code, mods)), &km())
    }

    fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
        press(s, code, KeyModifiers::NONE)
    }

    fn typed(s: &mut State, text: &str) {
        for c in text.chars() {
            key(s, KeyCode::Char(c));
        }
    }

    fn set_path(s: &mut State, path: &std::path::Path) {
        // focus the path field (Tab until it takes typed text), clear it, type the path
        for _ in 0..3 {
            let before = screen(s);
            key(s, KeyCode::Tab);
            if before.contains("Path") {
                press(s, KeyCode::Char('u'), KeyModifiers::CONTROL);
                typed(s, "x");
                if screen(s).contains("x▏") {
                    key(s, KeyCode::Backspace);
                    typed(s, path.to_str().unwrap());
                    return;
                }
                key(s, KeyCode::Backspace);
            }
        }
        panic!("could not focus the path field:\n{}", screen(s));
    }

    fn screen(s: &mut State) -> String {
        s.size = (120, 40);
        s.prepare();
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let theme = Theme::load_in(
            "default",
            std::path::Path::new("/nonexistent"),
            ColorMode::TrueColor,
        )
        .unwrap();
        let k = km();
        term.draw(|f| render(f, s, &theme, &k)).unwrap();
        let buf = term.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    /// Run the pane's background job through the job runner and feed its answer back.
    fn run_jobs(s: &mut State, fx: Vec<Effect>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let services = Services {
            gate: crate::actions::Gate::new(
                Some(crate::actions::ReadOnlySource::Flag),
                dir.path().join("audit.jsonl"),
            ),
            fleet: Default::default(),
            ssm: None,
            refresher: None,
        };
        let mut jobs = Jobs::new(services, tx);
        for e in fx {
            if let Effect::Start(owner, job) = e {
                let msg = rt.block_on(async {
                    jobs.start(owner, job);
                    rx.recv().await.expect("the job answers")
                });
                update(s, msg, &km());
            }
        }
    }

    fn last_toast(s: &State) -> String {
        s.toasts.back().map(|t| t.text.clone()).unwrap_or_default()
    }

    #[test]
    fn e_exports_the_filtered_view_as_shown() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = loaded();
        key(&mut s, KeyCode::Char(':'));
        typed(&mut s, "nodes");
        key(&mut s, KeyCode::Enter);
        key(&mut s, KeyCode::Char('/'));
        typed(&mut s, "compliance:non");
        key(&mut s, KeyCode::Enter);
        let shown = selection(&s, String::new()).table().unwrap();
        assert!(!shown.rows.is_empty());

        key(&mut s, KeyCode::Char('e'));
        assert_eq!(s.panes.len(), 1, "the export dialog opened");
        let text = screen(&mut s);
        assert!(text.contains("Export nodes view"), "{text}");
        assert!(
            text.contains("ssmdeck-nodes-"),
            "default timestamped name: {text}"
        );
        key(&mut s, KeyCode::Right); // CSV → JSON
        let target = tmp.path().join("shown.json");
        set_path(&mut s, &target);
        let fx = key(&mut s, KeyCode::Enter);
        let owner = s.panes[0].owner;
        match fx.as_slice() {
            [Effect::Start(o, Job::Export(req))] => {
                assert_eq!(*o, owner);
                assert_eq!(req.job.path, target);
            }
            other => panic!("{other:?}"),
        }
        run_jobs(&mut s, fx);
        assert!(s.panes.is_empty(), "closed after writing");
        assert!(
            last_toast(&s).contains(&format!("to {}", target.display())),
            "{}",
            last_toast(&s)
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
        assert_eq!(v["rows"].as_array().unwrap().len(), shown.rows.len());
        assert_eq!(v["columns"][0], shown.columns[0].as_str());
        assert_eq!(
            v["rows"][0][&shown.columns[0]],
            shown.rows[0][0].plain().as_str(),
            "same order as on screen"
        );
        // typed data, not screen glyphs: counts are numbers (0, not `·`), the scan time is
        // a timestamp, no `↑` on agent versions, and the account id is there
        let cols: Vec<&str> = v["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(cols.len(), shown.visible.len(), "the columns on screen");
        assert!(cols.contains(&"ACCOUNT ID"), "{cols:?}");
        for row in v["rows"].as_array().unwrap() {
            for (k, val) in row.as_object().unwrap() {
                let s = val.as_str().unwrap_or("");
                assert!(s != "·" && !s.ends_with('↑') && s != "'-", "{k}: {val}");
            }
            if let Some(c) = row.get("CRIT PATCHES") {
                assert!(c.is_number() || c.is_null(), "{c}");
            }
            if let Some(t) = row.get("SCAN").and_then(|t| t.as_str()) {
                assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{t}");
            }
        }
    }

    #[test]
    fn shift_e_exports_the_full_report_and_asks_before_overwriting() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("audit.html");
        std::fs::write(&target, "old").unwrap();
        let mut s = loaded();
        key(&mut s, KeyCode::Char(':'));
        typed(&mut s, "export compliance html");
        key(&mut s, KeyCode::Enter);
        assert_eq!(s.panes.len(), 1, "{}", last_toast(&s));
        let text = screen(&mut s);
        assert!(text.contains("Export report"), "{text}");
        set_path(&mut s, &target);
        let fx = key(&mut s, KeyCode::Enter);
        assert!(fx.is_empty(), "asks first");
        assert!(screen(&mut s).contains("exists. Overwrite it? y / n"));
        key(&mut s, KeyCode::Char('n'));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        key(&mut s, KeyCode::Enter);
        let fx = key(&mut s, KeyCode::Char('y'));
        run_jobs(&mut s, fx);
        assert!(
            last_toast(&s).contains("exported compliance report"),
            "{}",
            last_toast(&s)
        );
        let html = std::fs::read_to_string(&target).unwrap();
        crate::report::html::check_well_formed(&html).unwrap();
        assert!(html.contains("<h2>By account</h2>"));
    }

    #[test]
    fn long_paths_keep_their_file_name() {
        let p = "/very/long/directory/name/that/goes/on/ssmdeck-nodes-20261123-060000.csv";
        let t = super::tail(p, 40);
        assert!(
            t.starts_with('…') && t.ends_with("ssmdeck-nodes-20261123-060000.csv"),
            "{t}"
        );
        assert_eq!(super::tail("short", 30), "short");
    }

    #[test]
    fn the_dialog_fits_a_small_terminal() {
        let mut s = loaded();
        key(&mut s, KeyCode::Char('E'));
        assert_eq!(s.panes.len(), 1, "{}", last_toast(&s));
        s.size = (80, 24);
        s.prepare();
        let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let theme = Theme::load_in(
            "default",
            std::path::Path::new("/nonexistent"),
            ColorMode::TrueColor,
        )
        .unwrap();
        let k = km();
        term.draw(|f| render(f, &s, &theme, &k)).unwrap();
        let buf = term.backend().buffer();
        let text: String = (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect();
        assert!(text.contains("Format") && text.contains(".csv"), "{text}");
    }

    #[test]
    fn export_arguments_are_checked() {
        let mut s = loaded();
        key(&mut s, KeyCode::Char(':'));
        typed(&mut s, "export pdf");
        key(&mut s, KeyCode::Enter);
        assert!(s.panes.is_empty());
        assert!(
            last_toast(&s).contains("unknown export argument"),
            "{}",
            last_toast(&s)
        );
    }
}
