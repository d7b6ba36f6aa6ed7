//! The console's export dialog, as a model the UI pane drives (so it is testable without a
//! terminal): what to export (the current table as shown, or a full report of a chosen
//! kind), the format, and the path — defaulting to `Paths::exports_dir()` with a
//! timestamped name that follows the choices until the user edits it. Submitting yields an
//! [`ExportJob`]; an existing file is only replaced after the user confirms.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::model::{AggregateConfig, Aggregates, FleetSnapshot};

use super::table::{Cell, TableMeta, write_table};
use super::write::write_atomic;
use super::{
    DEFAULT_EXPIRING_DAYS, PatchStore, Report, ReportFormat, ReportInput, ReportKind, format_ext,
    rows::kind_name,
};

/// A table as the console shows it (filter and sort applied).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShownTable {
    /// View id (`nodes`, `certs`, ...), used in the file name.
    pub view: String,
    /// Filter / sort / scope description for the export's metadata.
    pub subtitle: String,
    /// Every column of the view (hidden ones too), and typed cells for each.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// The columns on screen (with their companions, e.g. an account's id): what
    /// "visible columns" exports.
    pub visible: Vec<usize>,
    /// Export every column instead of the visible ones (the user's choice).
    pub all_columns: bool,
}

impl ShownTable {
    /// Indices of the columns that will be written.
    pub fn exported(&self) -> Vec<usize> {
        if self.all_columns {
            (0..self.columns.len()).collect()
        } else {
            self.visible.clone()
        }
    }

    /// Headers and rows as they will be written.
    pub fn to_write(&self) -> (Vec<String>, Vec<Vec<Cell>>) {
        let idx = self.exported();
        let headers = idx.iter().map(|&i| self.columns[i].clone()).collect();
        let rows = self
            .rows
            .iter()
            .map(|r| {
                idx.iter()
                    .map(|&i| r.get(i).cloned().unwrap_or(Cell::Empty))
                    .collect()
            })
            .collect();
        (headers, rows)
    }
}

/// What is exported.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportWhat {
    Table(ShownTable),
    Report(ReportKind),
}

/// Report kinds the console can export without extra collection (the patches report
/// needs every node's patch list: use `ssmdeck report patches`, or export a node's
/// patch table as shown).
pub const CONSOLE_REPORT_KINDS: [ReportKind; 4] = [
    ReportKind::Compliance,
    ReportKind::Nodes,
    ReportKind::Certs,
    ReportKind::Commands,
];

pub const FORMATS: [ReportFormat; 4] = [
    ReportFormat::Csv,
    ReportFormat::Json,
    ReportFormat::Md,
    ReportFormat::Html,
];

/// Dialog fields, in focus order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Kind,
    /// Visible columns or all (a table as shown).
    Columns,
    Format,
    Path,
}

/// What submitting the dialog did.
#[derive(Debug)]
pub enum Submit {
    /// The file exists: the dialog now asks to overwrite (answer with [`ExportDialog::confirm`]).
    AskOverwrite,
    /// Ready to write (run it off the UI thread).
    Go(ExportJob),
    /// Something to fix first (shown in the dialog).
    Invalid(String),
}

/// The dialog's state.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportDialog {
    pub what: ExportWhat,
    pub format: ReportFormat,
    pub path: String,
    /// The user typed in the path: stop following the kind/format choices.
    pub path_edited: bool,
    pub focus: Field,
    /// Waiting for y/n on "overwrite?".
    pub confirming: bool,
    /// Shown under the fields (validation problems).
    pub message: Option<String>,
    pub dir: PathBuf,
    pub opened_at: DateTime<Utc>,
}

/// `ssmdeck-<what>-<YYYYmmdd-HHMMSS>.<ext>`.
pub fn default_file_name(what: &ExportWhat, format: ReportFormat, now: DateTime<Utc>) -> String {
    let name = match what {
        ExportWhat::Table(t) => sanitize_file_part(&t.view),
        ExportWhat::Report(k) => format!("{}-report", kind_name(*k)),
    };
    format!(
        "ssmdeck-{name}-{}.{}",
        now.format("%Y%m%d-%H%M%S"),
        format_ext(format)
    )
}

fn sanitize_file_part(s: &str) -> String {
    let v: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if v.is_empty() { "view".into() } else { v }
}

impl ExportDialog {
    /// A dialog for `what`, defaulting to CSV in `dir`.
    pub fn new(what: ExportWhat, dir: PathBuf, now: DateTime<Utc>) -> Self {
        let mut d = ExportDialog {
            what,
            format: ReportFormat::Csv,
            path: String::new(),
            path_edited: false,
            focus: Field::Format,
            confirming: false,
            message: None,
            dir,
            opened_at: now,
        };
        if matches!(d.what, ExportWhat::Report(_)) {
            d.focus = Field::Kind;
        }
        d.refresh_path();
        d
    }

    /// Apply `:export` arguments such as `certs html` or `md` (kind and/or format names).
    pub fn apply_args(&mut self, args: &str) -> Result<(), String> {
        for word in args.split_whitespace() {
            let w = word.to_ascii_lowercase();
            if let Some(f) = FORMATS
                .iter()
                .find(|f| format_ext(**f) == w || (w == "markdown" && **f == ReportFormat::Md))
            {
                self.format = *f;
            } else if let Some(k) = CONSOLE_REPORT_KINDS
                .iter()
                .find(|k| kind_name(**k) == w || (w == "certificates" && **k == ReportKind::Certs))
            {
                if let ExportWhat::Report(_) = self.what {
                    self.what = ExportWhat::Report(*k);
                }
            } else if w == "patches" {
                return Err(
                    "the patches report needs every node's patch list: run `ssmdeck report patches`, or export a node's patch table with the export key".into(),
                );
            } else {
                return Err(format!(
                    "unknown export argument `{word}` (kinds: compliance, nodes, certs, commands; formats: csv, json, md, html)"
                ));
            }
        }
        self.refresh_path();
        Ok(())
    }

    fn refresh_path(&mut self) {
        if !self.path_edited {
            self.path = self
                .dir
                .join(default_file_name(&self.what, self.format, self.opened_at))
                .display()
                .to_string();
        } else if let Some(stem) = self.path.strip_suffix(&format!(".{}", self.previous_ext())) {
            // Keep a typed name but follow the format's extension.
            self.path = format!("{stem}.{}", format_ext(self.format));
        }
    }

    fn previous_ext(&self) -> &'static str {
        FORMATS
            .iter()
            .map(|f| format_ext(*f))
            .find(|e| self.path.ends_with(&format!(".{e}")))
            .unwrap_or("")
    }

    /// Fields shown (the kind only for a full report).
    pub fn fields(&self) -> &'static [Field] {
        match self.what {
            ExportWhat::Table(_) => &[Field::Columns, Field::Format, Field::Path],
            ExportWhat::Report(_) => &[Field::Kind, Field::Format, Field::Path],
        }
    }

    /// Move focus by `d` fields (wrapping).
    pub fn focus_by(&mut self, d: isize) {
        let f = self.fields();
        let i = f.iter().position(|x| *x == self.focus).unwrap_or(0) as isize;
        let n = f.len() as isize;
        self.focus = f[((i + d) % n + n) as usize % n as usize];
        self.confirming = false;
    }

    /// Change the focused choice by `d` (kind or format).
    pub fn cycle(&mut self, d: isize) {
        let step = |i: usize, n: usize| ((i as isize + d).rem_euclid(n as isize)) as usize;
        match self.focus {
            Field::Format => {
                let i = FORMATS.iter().position(|f| *f == self.format).unwrap_or(0);
                self.format = FORMATS[step(i, FORMATS.len())];
            }
            Field::Kind => {
                if let ExportWhat::Report(k) = self.what {
                    let i = CONSOLE_REPORT_KINDS
                        .iter()
                        .position(|x| *x == k)
                        .unwrap_or(0);
                    self.what = ExportWhat::Report(
                        CONSOLE_REPORT_KINDS[step(i, CONSOLE_REPORT_KINDS.len())],
                    );
                }
            }
            Field::Columns => {
                if let ExportWhat::Table(t) = &mut self.what {
                    t.all_columns = !t.all_columns;
                }
            }
            Field::Path => return,
        }
        self.confirming = false;
        self.message = None;
        self.refresh_path();
    }

    /// Type into the path field.
    pub fn type_char(&mut self, c: char) {
        if self.focus == Field::Path && !c.is_control() {
            self.path.push(c);
            self.path_edited = true;
            self.confirming = false;
            self.message = None;
        }
    }

    pub fn backspace(&mut self) {
        if self.focus == Field::Path {
            self.path.pop();
            self.path_edited = true;
            self.confirming = false;
            self.message = None;
        }
    }

    /// Clear the path field (Ctrl-U).
    pub fn clear_path(&mut self) {
        if self.focus == Field::Path {
            self.path.clear();
            self.path_edited = true;
        }
    }

    /// The path to write, with `~/` expanded.
    pub fn target(&self) -> PathBuf {
        let p = self.path.trim();
        if let Some(rest) = p.strip_prefix("~/")
            && let Some(home) = directories::BaseDirs::new()
        {
            return home.home_dir().join(rest);
        }
        PathBuf::from(p)
    }

    /// Enter: validate and either ask to overwrite or hand back the job.
    pub fn submit(&mut self) -> Submit {
        let target = self.target();
        if self.path.trim().is_empty() {
            return self.invalid("type a file path".into());
        }
        if target.is_dir() {
            return self.invalid(format!("{} is a directory", target.display()));
        }
        if std::fs::symlink_metadata(&target).is_ok() && !self.confirming {
            self.confirming = true;
            self.message = None;
            return Submit::AskOverwrite;
        }
        let force = self.confirming;
        self.confirming = false;
        Submit::Go(self.job(target, force))
    }

    /// Answer to "overwrite?": yes writes, no returns to the path field.
    pub fn confirm(&mut self, yes: bool) -> Option<ExportJob> {
        if !self.confirming {
            return None;
        }
        self.confirming = false;
        if yes {
            Some(self.job(self.target(), true))
        } else {
            self.focus = Field::Path;
            self.message = Some("not overwritten: edit the path".into());
            None
        }
    }

    fn invalid(&mut self, m: String) -> Submit {
        self.message = Some(m.clone());
        self.focus = Field::Path;
        Submit::Invalid(m)
    }

    fn job(&self, path: PathBuf, force: bool) -> ExportJob {
        ExportJob {
            what: self.what.clone(),
            format: self.format,
            path,
            force,
            create_dir: self.target().parent() == Some(self.dir.as_path()),
        }
    }
}

/// One export to run (off the UI thread: a report of 50,000 nodes takes a moment).
#[derive(Clone, Debug, PartialEq)]
pub struct ExportJob {
    pub what: ExportWhat,
    pub format: ReportFormat,
    pub path: PathBuf,
    pub force: bool,
    /// Create the directory first (the default exports directory may not exist yet).
    pub create_dir: bool,
}

/// What an export wrote (for the toast).
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub path: PathBuf,
    pub rows: usize,
    pub what: String,
}

impl Exported {
    pub fn toast(&self) -> String {
        format!(
            "exported {} ({} rows) to {}",
            self.what,
            self.rows,
            self.path.display()
        )
    }
}

impl ExportJob {
    /// Write the file. `snapshot`/`aggregates` are needed for full reports.
    pub fn run(
        &self,
        snapshot: Option<&Arc<FleetSnapshot>>,
        aggregates: Option<&Arc<Aggregates>>,
        now: DateTime<Utc>,
    ) -> Result<Exported, String> {
        if self.create_dir
            && let Some(dir) = self.path.parent()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        match &self.what {
            ExportWhat::Table(t) => {
                let meta = TableMeta {
                    title: t.view.clone(),
                    subtitle: t.subtitle.clone(),
                    generated_at: now,
                };
                let (headers, rows) = t.to_write();
                write_atomic(&self.path, self.force, |w| {
                    write_table(self.format, &headers, &rows, &meta, w)
                })
                .map_err(|e| e.to_string())?;
                Ok(Exported {
                    path: self.path.clone(),
                    rows: t.rows.len(),
                    what: format!("{} view", t.view),
                })
            }
            ExportWhat::Report(kind) => {
                let snap = snapshot.ok_or("no data yet: wait for the first refresh")?;
                let stale_after = Duration::days(7);
                let computed;
                let agg: &Aggregates = match aggregates {
                    Some(a) => a,
                    None => {
                        computed = Aggregates::compute(snap, &AggregateConfig { stale_after }, now);
                        &computed
                    }
                };
                let patches = PatchStore::default();
                let report = Report::build(&ReportInput {
                    kind: *kind,
                    snapshot: snap,
                    aggregates: agg,
                    patches: &patches,
                    now,
                    stale_after,
                    expiring_within_days: DEFAULT_EXPIRING_DAYS,
                    previous: None,
                });
                write_atomic(&self.path, self.force, |w| report.render(self.format, w))
                    .map_err(|e| e.to_string())?;
                Ok(Exported {
                    path: self.path.clone(),
                    rows: report.rows.len(),
                    what: format!("{} report", kind_name(*kind)),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{fixture, fixture_now};

    fn table() -> ExportWhat {
        ExportWhat::Table(ShownTable {
            view: "nodes".into(),
            subtitle: "filter /prod · sorted by Critical".into(),
            columns: vec!["Name".into(), "Critical".into()],
            rows: vec![
                vec![Cell::text("db-01"), Cell::Int(2)],
                vec![Cell::text("@evil"), Cell::Int(0)],
            ],
            visible: vec![0, 1],
            all_columns: false,
        })
    }

    #[test]
    fn default_path_is_timestamped_in_the_exports_dir_and_follows_choices() {
        let dir = PathBuf::from("/data/exports");
        let mut d = ExportDialog::new(table(), dir.clone(), fixture_now());
        assert_eq!(d.path, "/data/exports/ssmdeck-nodes-20261123-060000.csv");
        d.cycle(1);
        assert_eq!(d.format, ReportFormat::Json);
        assert!(d.path.ends_with("ssmdeck-nodes-20261123-060000.json"));
        let mut r = ExportDialog::new(
            ExportWhat::Report(ReportKind::Compliance),
            dir,
            fixture_now(),
        );
        assert_eq!(r.focus, Field::Kind);
        r.cycle(-1);
        assert_eq!(r.what, ExportWhat::Report(ReportKind::Commands));
        r.apply_args("certs html").unwrap();
        assert_eq!(r.what, ExportWhat::Report(ReportKind::Certs));
        assert!(
            r.path
                .ends_with("ssmdeck-certs-report-20261123-060000.html"),
            "{}",
            r.path
        );
        assert!(
            r.apply_args("patches")
                .unwrap_err()
                .contains("ssmdeck report patches")
        );
        assert!(
            r.apply_args("pdf")
                .unwrap_err()
                .contains("unknown export argument")
        );
    }

    #[test]
    fn a_typed_path_keeps_its_name_but_follows_the_format() {
        let mut d = ExportDialog::new(table(), PathBuf::from("/x"), fixture_now());
        d.focus_by(1);
        assert_eq!(d.focus, Field::Path);
        d.clear_path();
        for c in "/tmp/mine.csv".chars() {
            d.type_char(c);
        }
        d.focus_by(-1);
        assert_eq!(d.focus, Field::Format);
        d.cycle(3);
        assert_eq!(d.path, "/tmp/mine.html");
    }

    #[test]
    fn writes_then_asks_before_overwriting() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("exports");
        let mut d = ExportDialog::new(table(), dir.clone(), fixture_now());
        let Submit::Go(job) = d.submit() else {
            panic!("expected a job")
        };
        assert!(job.create_dir && !job.force);
        let done = job.run(None, None, fixture_now()).unwrap();
        assert_eq!(done.rows, 2);
        assert!(
            done.toast().contains("exported nodes view (2 rows) to "),
            "{}",
            done.toast()
        );
        let text = std::fs::read_to_string(&done.path).unwrap();
        assert!(text.contains("'@evil"), "formula neutralised: {text}");

        // Same path again: ask; "no" keeps the file, "yes" overwrites.
        assert!(matches!(d.submit(), Submit::AskOverwrite));
        assert!(d.confirm(false).is_none());
        assert!(d.message.as_deref().unwrap().contains("not overwritten"));
        assert!(matches!(d.submit(), Submit::AskOverwrite));
        let job = d.confirm(true).expect("job");
        assert!(job.force);
        job.run(None, None, fixture_now()).unwrap();
    }

    #[test]
    fn full_report_from_the_console_snapshot() {
        let tmp = tempfile::tempdir().unwrap();
        let (snap, _) = fixture();
        let snap = Arc::new(snap);
        let mut d = ExportDialog::new(
            ExportWhat::Report(ReportKind::Compliance),
            tmp.path().to_path_buf(),
            fixture_now(),
        );
        d.apply_args("md").unwrap();
        let Submit::Go(job) = d.submit() else {
            panic!("expected a job")
        };
        let done = job.run(Some(&snap), None, fixture_now()).unwrap();
        assert_eq!(done.rows, 5);
        let md = std::fs::read_to_string(&done.path).unwrap();
        assert!(md.contains("**Fleet 40.0% compliant**"), "{md}");
        assert!(
            job.run(None, None, fixture_now())
                .unwrap_err()
                .contains("no data yet")
        );
    }

    #[test]
    fn empty_path_and_directories_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let mut d = ExportDialog::new(table(), tmp.path().to_path_buf(), fixture_now());
        d.focus = Field::Path;
        d.clear_path();
        assert!(matches!(d.submit(), Submit::Invalid(m) if m.contains("type a file path")));
        for c in tmp.path().display().to_string().chars() {
            d.type_char(c);
        }
        assert!(matches!(d.submit(), Submit::Invalid(m) if m.contains("is a directory")));
    }
}
