//! The run pane model (Run Command for any command or document): what to run (a shell
//! command in a multi-line editor, or a document by name with its parameters), options,
//! live plan preview, typed confirmation. The console's `src/ui/views/run.rs` draws it.
//!
//! A shell command goes as `AWS-RunShellScript` to Linux/macOS targets and
//! `AWS-RunPowerShellScript` to Windows targets ([`crate::actions::run_plan`]); a document's
//! name completes from ListDocuments and its parameters (defaults, allowed values) come
//! from DescribeDocument — both read by jobs the pane asks for ([`RunOutcome`]).

use std::collections::BTreeMap;

use crate::model::{CommandOutputConfig, DocumentDescription, FleetSnapshot};

use super::super::confirm::Confirmation;
use super::super::run_plan::{RunOptions, RunPlan, RunRefusal, RunWhat, plan_run};
use super::super::targets::TargetScope;
use super::PaneInput;
use super::editor::Editor;

/// The form's fields, in order (some only in one mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Mode,
    Command,
    Document,
    /// The document's parameter at this index.
    Param(usize),
    Timeout,
    MaxConcurrency,
    MaxErrors,
    Comment,
    S3Bucket,
    S3Prefix,
    CloudWatch,
    Confirm,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Mode => "Run",
            Field::Command => "Command",
            Field::Document => "Document",
            Field::Param(_) => "",
            Field::Timeout => "Timeout (s)",
            Field::MaxConcurrency => "Max concurrency",
            Field::MaxErrors => "Max errors",
            Field::Comment => "Comment",
            Field::S3Bucket => "S3 bucket",
            Field::S3Prefix => "S3 key prefix",
            Field::CloudWatch => "CloudWatch Logs",
            Field::Confirm => "Confirm",
        }
    }
}

/// Shell command or document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Shell,
    Document,
}

/// The document list for completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocList {
    NotAsked,
    Loading,
    Loaded(Vec<String>),
    Failed(String),
}

/// The description of the document named in the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocState {
    /// No name yet, or the name changed since.
    Unknown,
    Loading(String),
    Described(Box<DocumentDescription>),
    /// DescribeDocument found no such document.
    Missing(String),
    /// The call failed otherwise (shown; the run is refused until it is described).
    Failed {
        name: String,
        error: String,
    },
}

/// What the console does after an input.
#[derive(Clone, Debug, PartialEq)]
pub enum RunOutcome {
    Nothing,
    Close,
    /// Confirmed: send through the gate.
    Execute(Box<RunPlan>),
    /// Read the document list (ListDocuments) for completion.
    ListDocuments,
    /// Describe this document (DescribeDocument + GetDocument).
    DescribeDocument(String),
}

/// Rows of the document completion list shown under the field.
pub const SUGGESTIONS: usize = 4;

#[derive(Clone, Debug, PartialEq)]
pub struct RunPane {
    pub scope: TargetScope,
    pub mode: Mode,
    pub editor: Editor,
    pub document: String,
    pub documents: DocList,
    pub doc: DocState,
    /// (name, value) per parameter of the described document, defaults filled in.
    pub params: Vec<(String, String)>,
    pub timeout: String,
    pub max_concurrency: String,
    pub max_errors: String,
    pub comment: String,
    pub s3_bucket: String,
    pub s3_prefix: String,
    pub cloudwatch: bool,
    pub focus: Field,
    pub confirm_input: String,
    pub plan: Result<RunPlan, RunRefusal>,
    pub notice: Option<String>,
    pub readonly: bool,
    pub sending: bool,
}

impl RunPane {
    pub fn new(snapshot: &FleetSnapshot, scope: TargetScope, readonly: bool) -> Self {
        let mut p = RunPane {
            scope,
            mode: Mode::Shell,
            editor: Editor::default(),
            document: String::new(),
            documents: DocList::NotAsked,
            doc: DocState::Unknown,
            params: Vec::new(),
            timeout: String::new(),
            max_concurrency: String::new(),
            max_errors: String::new(),
            comment: String::new(),
            s3_bucket: String::new(),
            s3_prefix: String::new(),
            cloudwatch: false,
            focus: Field::Command,
            confirm_input: String::new(),
            plan: Err(RunRefusal::EmptyCommand),
            notice: None,
            readonly,
            sending: false,
        };
        p.replan(snapshot);
        p
    }

    /// A pane prefilled with what a past or current run ran (re-run on some nodes).
    pub fn with_what(
        snapshot: &FleetSnapshot,
        scope: TargetScope,
        what: &RunWhat,
        options: &RunOptions,
        readonly: bool,
    ) -> Self {
        let mut p = RunPane::new(snapshot, scope, readonly);
        match what {
            RunWhat::Shell(text) => p.editor = Editor::with_text(text),
            RunWhat::Document {
                name,
                description,
                parameters,
            } => {
                p.mode = Mode::Document;
                p.focus = Field::Document;
                p.document = name.clone();
                p.params = parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), v.join(",")))
                    .collect();
                if let Some(d) = description {
                    p.doc = DocState::Described(d.clone());
                }
            }
        }
        p.timeout = options
            .execution_timeout_seconds
            .map(|t| t.to_string())
            .unwrap_or_default();
        p.max_concurrency = options.max_concurrency.clone().unwrap_or_default();
        p.max_errors = options.max_errors.clone().unwrap_or_default();
        p.comment = options.comment.clone();
        p.s3_bucket = options.output.s3_bucket.clone().unwrap_or_default();
        p.s3_prefix = options.output.s3_key_prefix.clone().unwrap_or_default();
        p.cloudwatch = options.output.cloudwatch;
        p.replan(snapshot);
        p
    }

    /// A document named but not described yet (the pane asks for it when opened).
    pub fn needs_description(&self) -> Option<String> {
        (self.mode == Mode::Document
            && !self.document.trim().is_empty()
            && self.doc == DocState::Unknown)
            .then(|| self.document.trim().to_string())
    }

    pub fn production(&self) -> bool {
        self.plan.as_ref().is_ok_and(|p| p.preview.production.any())
    }

    pub fn confirmation(&self) -> Option<&Confirmation> {
        self.plan.as_ref().ok().map(|p| &p.confirmation)
    }

    pub fn what(&self) -> RunWhat {
        match self.mode {
            Mode::Shell => RunWhat::Shell(self.editor.text()),
            Mode::Document => {
                let name = self.document.trim().to_string();
                let description = match &self.doc {
                    DocState::Described(d) if d.name == name => Some(d.clone()),
                    _ => None,
                };
                let parameters: BTreeMap<String, Vec<String>> = self
                    .params
                    .iter()
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(k, v)| (k.clone(), vec![v.trim().to_string()]))
                    .collect();
                RunWhat::Document {
                    name,
                    description,
                    parameters,
                }
            }
        }
    }

    pub fn options(&self) -> Result<RunOptions, String> {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let max_concurrency = opt(&self.max_concurrency)
            .map(|s| super::super::sizing::validate_max_concurrency(&s))
            .transpose()?;
        let max_errors = opt(&self.max_errors)
            .map(|s| super::super::sizing::validate_max_errors(&s))
            .transpose()?;
        let execution_timeout_seconds = match opt(&self.timeout) {
            None => None,
            Some(t) => match t.parse::<u32>() {
                // AWS-RunShellScript's executionTimeout: 1 s to 48 hours (its allowedPattern)
                Ok(n) if (1..=172_800).contains(&n) => Some(n),
                _ => {
                    return Err(format!(
                        "timeout {t:?}: a number of seconds from 1 to 172800 (48 hours)"
                    ));
                }
            },
        };
        Ok(RunOptions {
            timeout_seconds: None,
            execution_timeout_seconds,
            max_concurrency,
            max_errors,
            comment: crate::text::sanitize(self.comment.trim()),
            output: CommandOutputConfig {
                s3_bucket: opt(&self.s3_bucket),
                s3_key_prefix: opt(&self.s3_prefix),
                cloudwatch: self.cloudwatch,
                cloudwatch_log_group: None,
            },
        })
    }

    /// Recompute the plan (anything changed, or a new snapshot arrived).
    pub fn replan(&mut self, snapshot: &FleetSnapshot) {
        self.plan = match self.options() {
            Err(e) => Err(RunRefusal::InvalidOption(e)),
            Ok(o) => self.plan_with(snapshot, &o),
        };
    }

    fn plan_with(&self, snapshot: &FleetSnapshot, o: &RunOptions) -> Result<RunPlan, RunRefusal> {
        if self.mode == Mode::Document {
            match &self.doc {
                DocState::Loading(n) => return Err(RunRefusal::Describing(n.clone())),
                DocState::Failed { name, error } => {
                    return Err(RunRefusal::DescribeFailed {
                        document: name.clone(),
                        error: error.clone(),
                    });
                }
                DocState::Missing(n) if *n == self.document.trim() => {
                    return Err(RunRefusal::UnknownDocument(n.clone()));
                }
                _ if self.document.trim().is_empty() => return Err(RunRefusal::NoDocument),
                DocState::Unknown | DocState::Missing(_) => {
                    return Err(RunRefusal::Describing(self.document.trim().to_string()));
                }
                DocState::Described(_) => {}
            }
        }
        plan_run(snapshot, &self.scope, &self.what(), o)
    }

    /// Fields in order for the mode (Confirm only when a phrase is asked for).
    pub fn fields(&self) -> Vec<Field> {
        let mut v = vec![Field::Mode];
        match self.mode {
            Mode::Shell => v.extend([Field::Command, Field::Timeout]),
            Mode::Document => {
                v.push(Field::Document);
                v.extend((0..self.params.len()).map(Field::Param));
            }
        }
        v.extend([
            Field::MaxConcurrency,
            Field::MaxErrors,
            Field::Comment,
            Field::S3Bucket,
            Field::S3Prefix,
            Field::CloudWatch,
        ]);
        if self.confirmation().is_some_and(|c| c.needs_typing()) {
            v.push(Field::Confirm);
        }
        v
    }

    /// Nothing typed yet and no send tried: a fresh form, not a refusal to show in red.
    pub fn blank(&self) -> bool {
        matches!(self.plan, Err(RunRefusal::EmptyCommand)) && self.notice.is_none()
    }

    /// The line under the form: what to do to go ahead, or why not.
    pub fn prompt(&self) -> String {
        if self.blank() {
            return "Type the command to run (or Tab to the document field); ctrl-s reviews it"
                .into();
        }
        match &self.plan {
            Err(e) => format!("Refused before sending: {e}"),
            Ok(p) => {
                let n = p.target_count();
                let what = format!(
                    "run {} on {n} node{}",
                    match &p.what {
                        RunWhat::Shell(_) => "the command".to_string(),
                        RunWhat::Document { name, .. } => crate::text::sanitize(name),
                    },
                    if n == 1 { "" } else { "s" }
                );
                let prompt = p.confirmation.prompt(&what);
                // Enter in the command editor is a new line: say how to go on from there
                if self.focus == Field::Command && self.mode == Mode::Shell {
                    format!("ctrl-s to go on — {prompt}")
                } else {
                    prompt
                }
            }
        }
    }

    /// Document names matching what is typed (prefix matches first, then substring).
    pub fn suggestions(&self) -> Vec<&str> {
        let DocList::Loaded(all) = &self.documents else {
            return Vec::new();
        };
        let q = self.document.trim().to_ascii_lowercase();
        let mut pre: Vec<&str> = Vec::new();
        let mut sub: Vec<&str> = Vec::new();
        for d in all {
            let l = d.to_ascii_lowercase();
            if l == q {
                continue;
            }
            if l.starts_with(&q) {
                pre.push(d);
            } else if !q.is_empty() && l.contains(&q) {
                sub.push(d);
            }
        }
        pre.extend(sub);
        pre.truncate(SUGGESTIONS);
        pre
    }

    fn move_focus(&mut self, delta: isize) -> RunOutcome {
        let fields = self.fields();
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = fields.len() as isize;
        let leaving = self.focus;
        self.focus = fields[((i + delta).rem_euclid(n)) as usize];
        if leaving == Field::Document {
            return self.describe_if_needed();
        }
        RunOutcome::Nothing
    }

    fn describe_if_needed(&mut self) -> RunOutcome {
        match self.needs_description() {
            Some(name) => {
                self.doc = DocState::Loading(name.clone());
                self.plan = Err(RunRefusal::Describing(name.clone()));
                RunOutcome::DescribeDocument(name)
            }
            None => RunOutcome::Nothing,
        }
    }

    fn changed(&mut self, snapshot: &FleetSnapshot) {
        self.replan(snapshot);
        self.confirm_input.clear();
        self.notice = None;
        if !self.fields().contains(&self.focus) {
            self.focus = Field::Mode;
        }
    }

    /// The document list arrived (or failed).
    pub fn documents_loaded(&mut self, r: Result<Vec<String>, String>) {
        self.documents = match r {
            Ok(mut v) => {
                v.sort();
                v.dedup();
                DocList::Loaded(v)
            }
            Err(e) => DocList::Failed(e),
        };
    }

    /// A description arrived: `Ok(None)` = no such document.
    pub fn document_described(
        &mut self,
        snapshot: &FleetSnapshot,
        name: &str,
        r: Result<Option<DocumentDescription>, String>,
    ) {
        if self.document.trim() != name {
            return;
        }
        match r {
            Ok(Some(d)) => {
                // keep values typed (or prefilled by a re-run) for parameters it has
                let old: BTreeMap<String, String> = self.params.drain(..).collect();
                self.params = d
                    .parameters
                    .iter()
                    .map(|p| {
                        let v = old
                            .get(&p.name)
                            .cloned()
                            .or_else(|| p.default_value.clone())
                            .unwrap_or_default();
                        (p.name.clone(), v)
                    })
                    .collect();
                // parameters typed that the document does not have stay, to be refused
                for (k, v) in old {
                    if !self.params.iter().any(|(n, _)| *n == k) {
                        self.params.push((k, v));
                    }
                }
                self.doc = DocState::Described(Box::new(d));
            }
            Ok(None) => self.doc = DocState::Missing(name.to_string()),
            Err(error) => {
                self.doc = DocState::Failed {
                    name: name.to_string(),
                    error,
                }
            }
        }
        self.changed(snapshot);
    }

    pub fn input(&mut self, snapshot: &FleetSnapshot, input: PaneInput) -> RunOutcome {
        if self.sending {
            return match input {
                PaneInput::Back => RunOutcome::Close,
                _ => RunOutcome::Nothing,
            };
        }
        let typing = self.confirmation().is_some_and(|c| c.needs_typing());
        match (self.focus, input) {
            (_, PaneInput::Back) => return RunOutcome::Close,
            (_, PaneInput::NextField) => return self.move_focus(1),
            (_, PaneInput::PrevField) => return self.move_focus(-1),
            // the editor: Enter is a new line, arrows move in the text
            (Field::Command, PaneInput::Submit) => {
                self.editor.newline();
                self.changed(snapshot);
            }
            // past the first / last line: the previous / next field
            (Field::Command, PaneInput::Up) if !self.editor.up() => return self.move_focus(-1),
            (Field::Command, PaneInput::Down) if !self.editor.down() => {
                return self.move_focus(1);
            }
            (Field::Command, PaneInput::Up | PaneInput::Down) => {}
            (Field::Command, PaneInput::Left) => self.editor.left(),
            (Field::Command, PaneInput::Right) => self.editor.right(),
            (Field::Command, PaneInput::Top) => self.editor.home(),
            (Field::Command, PaneInput::Bottom) => self.editor.end(),
            (Field::Command, PaneInput::Char(c)) => {
                self.editor.insert(c);
                self.changed(snapshot);
            }
            (Field::Command, PaneInput::Toggle) => {
                self.editor.insert(' ');
                self.changed(snapshot);
            }
            (Field::Command, PaneInput::Backspace) => {
                self.editor.backspace();
                self.changed(snapshot);
            }
            (Field::Command, PaneInput::Delete) => {
                self.editor.delete();
                self.changed(snapshot);
            }
            (_, PaneInput::Down) => return self.move_focus(1),
            (_, PaneInput::Up) => return self.move_focus(-1),
            (Field::Mode, PaneInput::Left | PaneInput::Right | PaneInput::Toggle) => {
                self.mode = match self.mode {
                    Mode::Shell => Mode::Document,
                    Mode::Document => Mode::Shell,
                };
                self.changed(snapshot);
                if self.mode == Mode::Document && self.documents == DocList::NotAsked {
                    self.documents = DocList::Loading;
                    return RunOutcome::ListDocuments;
                }
            }
            (Field::CloudWatch, PaneInput::Left | PaneInput::Right | PaneInput::Toggle) => {
                self.cloudwatch = !self.cloudwatch;
                self.changed(snapshot);
            }
            // right at the end of the document name takes the first suggestion
            (Field::Document, PaneInput::Right) => {
                if let Some(s) = self.suggestions().first().map(|s| s.to_string()) {
                    self.document = s;
                    self.doc = DocState::Unknown;
                    self.changed(snapshot);
                }
            }
            (Field::Mode | Field::CloudWatch, PaneInput::Char(c)) if typing => {
                self.focus = Field::Confirm;
                self.type_char(snapshot, c);
            }
            (_, PaneInput::Char(c)) => self.type_char(snapshot, c),
            (_, PaneInput::Toggle) => self.type_char(snapshot, ' '),
            (_, PaneInput::Backspace) => {
                if let Some(s) = self.text_field() {
                    s.pop();
                    self.edited(snapshot);
                }
            }
            (Field::Document, PaneInput::Submit) if self.needs_description().is_some() => {
                return self.describe_if_needed();
            }
            (_, PaneInput::Submit) => return self.go(),
            _ => {}
        }
        RunOutcome::Nothing
    }

    /// Pasted text: into the editor (line breaks kept) or, on a one-line field, its first
    /// line.
    pub fn paste(&mut self, snapshot: &FleetSnapshot, text: &str) {
        if self.sending {
            return;
        }
        if self.focus == Field::Command {
            self.editor.paste(text);
            self.changed(snapshot);
            return;
        }
        let line = text.lines().next().unwrap_or("");
        for c in line.chars() {
            self.type_char(snapshot, c);
        }
    }

    fn text_field(&mut self) -> Option<&mut String> {
        match self.focus {
            Field::Document => Some(&mut self.document),
            Field::Param(i) => self.params.get_mut(i).map(|p| &mut p.1),
            Field::Timeout => Some(&mut self.timeout),
            Field::MaxConcurrency => Some(&mut self.max_concurrency),
            Field::MaxErrors => Some(&mut self.max_errors),
            Field::Comment => Some(&mut self.comment),
            Field::S3Bucket => Some(&mut self.s3_bucket),
            Field::S3Prefix => Some(&mut self.s3_prefix),
            Field::Confirm => Some(&mut self.confirm_input),
            Field::Mode | Field::Command | Field::CloudWatch => None,
        }
    }

    fn type_char(&mut self, snapshot: &FleetSnapshot, c: char) {
        if c.is_control() {
            return;
        }
        let limit = match self.focus {
            Field::MaxConcurrency | Field::MaxErrors => 7,
            Field::Timeout => 6,
            Field::Comment => super::super::plan::MAX_COMMENT_CHARS,
            // S3 bucket names ≤ 63, document names ≤ 128, key prefixes ≤ 500
            Field::S3Bucket => 63,
            Field::Document => 128,
            Field::S3Prefix | Field::Param(_) => 500,
            Field::Confirm => 200,
            Field::Mode | Field::Command | Field::CloudWatch => return,
        };
        if let Some(s) = self.text_field()
            && s.chars().count() < limit
        {
            s.push(c);
            self.edited(snapshot);
        }
    }

    fn edited(&mut self, snapshot: &FleetSnapshot) {
        match self.focus {
            Field::Confirm => self.notice = None,
            Field::Document => {
                // a new name: its parameters are unknown until described
                self.doc = DocState::Unknown;
                self.params.clear();
                self.changed(snapshot);
            }
            _ => self.changed(snapshot),
        }
    }

    /// Send (Enter outside the editor, ctrl-s anywhere): refused with the reason, asks for
    /// the phrase, or hands the plan over.
    pub fn go(&mut self) -> RunOutcome {
        if self.sending {
            return RunOutcome::Nothing;
        }
        let plan = match &self.plan {
            Ok(p) => p,
            Err(_) => {
                // the prompt says why; nothing was sent
                self.notice = Some("Nothing was sent.".into());
                return RunOutcome::Nothing;
            }
        };
        if self.readonly {
            self.notice = Some(
                "Read-only mode: sending is refused (the preview shows what would run)".into(),
            );
            return RunOutcome::Nothing;
        }
        if let Confirmation::Type { phrase, .. } = &plan.confirmation
            && !plan.confirmation.accepts(&self.confirm_input)
        {
            if self.focus != Field::Confirm && self.confirm_input.trim().is_empty() {
                self.focus = Field::Confirm;
                self.notice = Some(format!("Type `{phrase}` to confirm"));
            } else {
                self.notice = Some(format!(
                    "That does not match: type `{phrase}` exactly (Esc to go back)"
                ));
            }
            return RunOutcome::Nothing;
        }
        self.sending = true;
        self.notice = Some("Sending…".into());
        RunOutcome::Execute(Box::new(plan.clone()))
    }
}
