//! The command pane model: targets with live status, counts and progress; the output
//! viewer (scroll, search, follow while running); grouping of identical outputs; cancel
//! with confirmation; save to a file.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{CommandInvocation, CommandSummary};

use super::super::gate::CancelRequest;
use super::super::output::{self, OutputLine, PluginOutput, TargetOutput};
use super::super::tracker::{CommandTracker, TargetRow};
use super::super::variants::Variants;
use super::PaneInput;

/// How often the viewer re-reads a running target's output in follow mode (the console's
/// output job polls GetCommandInvocation at this pace while the target runs).
pub const FOLLOW_INTERVAL: Duration = Duration::from_secs(3);
const PAGE: usize = 10;

#[derive(Clone, Debug, PartialEq)]
pub enum CommandOutcome {
    Nothing,
    Close,
    /// Fetch this target's full output (GetCommandInvocation per step).
    FetchOutput(Box<TargetRow>),
    /// Confirmed: cancel these (through the gate).
    Cancel(Vec<CancelRequest>),
    /// Save these outputs to a file.
    Save(Vec<TargetOutput>),
    /// Save every target's output (one file per node plus a summary).
    SaveAll(Vec<TargetRow>, String),
    /// Run again on these nodes (through the run pane's preview and confirmation).
    Rerun {
        keys: Vec<crate::model::NodeKey>,
        label: String,
    },
}

/// The output of one target, as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputViewer {
    pub row: TargetRow,
    pub output: Option<TargetOutput>,
    pub lines: Vec<OutputLine>,
    /// First line shown (ignored while following: the tail is shown).
    pub scroll: usize,
    pub follow: bool,
    pub search: String,
    pub search_editing: bool,
    pub matches: Vec<usize>,
    pub current_match: usize,
    pub loading: bool,
    pub error: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    /// Long lines wrapped (the default: every line readable whole at any width); wide
    /// (`ctrl-w`) toggles to one row per line.
    pub wrap: bool,
}

impl OutputViewer {
    fn new(row: TargetRow) -> Self {
        let follow = !row.is_terminal();
        OutputViewer {
            row,
            output: None,
            lines: Vec::new(),
            scroll: 0,
            follow,
            search: String::new(),
            search_editing: false,
            matches: Vec::new(),
            current_match: 0,
            loading: true,
            wrap: true,
            error: None,
            fetched_at: None,
        }
    }

    /// First line to draw for a viewport of `height` lines.
    pub fn top(&self, height: usize) -> usize {
        let max_top = self.lines.len().saturating_sub(height.max(1));
        if self.follow {
            max_top
        } else {
            self.scroll.min(max_top)
        }
    }

    fn research(&mut self) {
        self.matches = output::search(&self.lines, &self.search);
        self.current_match = 0;
        if let Some(&m) = self.matches.first() {
            self.follow = false;
            self.scroll = m.saturating_sub(2);
        }
    }

    fn jump(&mut self, delta: isize) {
        if self.matches.is_empty() {
            return;
        }
        let n = self.matches.len() as isize;
        self.current_match = ((self.current_match as isize + delta).rem_euclid(n)) as usize;
        self.follow = false;
        self.scroll = self.matches[self.current_match].saturating_sub(2);
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CommandPane {
    pub title: String,
    pub tracker: CommandTracker,
    pub selected: usize,
    /// Batches that could not be sent (patch now).
    pub send_failures: Vec<String>,
    pub poll_error: Option<String>,
    /// Set when every target finished: the summary line.
    pub finished: Option<String>,
    /// Nodes handed to the data layer for a refresh when finished.
    pub refreshed: usize,
    pub viewer: Option<OutputViewer>,
    pub confirm_cancel: bool,
    pub notice: Option<String>,
    pub readonly: bool,
    /// What ran, when known (a run from this console, or a past command): re-runs use it.
    pub run: Option<RunOrigin>,
    /// Finished targets' outputs grouped into variants (members index `grouped`).
    pub variants: Variants,
    /// Tracker row of each grouped output (the variants' member indexes point here).
    pub grouped: Vec<usize>,
    /// Per tracker row: its variant (`None`: running, or no output).
    pub row_variant: Vec<Option<usize>>,
    /// Per tracker row: its normalised output, computed once when it finished.
    normalized: Vec<Option<String>>,
    pub screen: Screen,
    /// Selected variant (variants screen) and the detail's scroll.
    pub variant_selected: usize,
    pub detail_scroll: usize,
    pub sort: SortKey,
    /// Target filter: `status:Failed`, `variant:2`, `code:1`, other words match node,
    /// name or account.
    pub filter: String,
    pub filter_editing: bool,
}

/// What the pane lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The per-target grid.
    Targets,
    /// The variants with their node counts.
    Variants,
    /// One variant: its output and its diff against the majority.
    Variant,
}

/// How the targets are sorted (`s` cycles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// As sent (account, region, node).
    Sent,
    Status,
    Variant,
    Code,
    Duration,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Sent => SortKey::Status,
            SortKey::Status => SortKey::Variant,
            SortKey::Variant => SortKey::Code,
            SortKey::Code => SortKey::Duration,
            SortKey::Duration => SortKey::Sent,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Sent => "as sent",
            SortKey::Status => "status",
            SortKey::Variant => "variant",
            SortKey::Code => "exit code",
            SortKey::Duration => "duration",
        }
    }
}

/// A line of the variant detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailKind {
    Head,
    Text,
    Same,
    Added,
    Removed,
    Skipped,
}

/// The text a target's output is grouped by: per step its name and exit code, stdout and
/// stderr, as received (normalised before grouping, sanitised before drawing).
pub fn row_text(r: &TargetRow) -> String {
    let mut s = String::new();
    for p in &r.plugins {
        if r.plugins.len() > 1 {
            s.push_str(&format!("── {} ──\n", p.name));
        }
        s.push_str(&format!("[exit {}]\n", p.response_code));
        s.push_str(&p.stdout);
        if !p.stderr.is_empty() {
            if !p.stdout.is_empty() && !p.stdout.ends_with('\n') {
                s.push('\n');
            }
            s.push_str("stderr:\n");
            s.push_str(&p.stderr);
        }
        if !s.ends_with('\n') && r.plugins.len() > 1 {
            s.push('\n');
        }
    }
    s
}

/// Whether the text of [`row_text`] ends in an output cut at ListCommandInvocations'
/// 2,500 characters (its last line is then where the cut fell).
fn row_truncated(r: &TargetRow) -> bool {
    r.plugins.last().is_some_and(|p| {
        p.stderr.is_empty()
            && (p.truncated || p.stdout.chars().count() >= output::LIST_OUTPUT_LIMIT)
    })
}

/// What a command ran and how, for a re-run on some of its targets.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOrigin {
    pub what: super::super::run_plan::RunWhat,
    pub options: super::super::run_plan::RunOptions,
}

impl CommandPane {
    pub fn new(title: impl Into<String>, commands: &[CommandSummary], readonly: bool) -> Self {
        let tracker = CommandTracker::new(commands);
        let mut p = CommandPane {
            title: title.into(),
            tracker,
            selected: 0,
            send_failures: Vec::new(),
            poll_error: None,
            finished: None,
            refreshed: 0,
            viewer: None,
            confirm_cancel: false,
            notice: None,
            readonly,
            run: None,
            variants: Variants::default(),
            grouped: Vec::new(),
            row_variant: Vec::new(),
            normalized: Vec::new(),
            screen: Screen::Targets,
            variant_selected: 0,
            detail_scroll: 0,
            sort: SortKey::Sent,
            filter: String::new(),
            filter_editing: false,
        };
        p.regroup();
        p
    }

    pub fn is_running(&self) -> bool {
        self.finished.is_none() && !self.tracker.is_done()
    }

    pub fn selected_row(&self) -> Option<&TargetRow> {
        let order = self.visible();
        order.get(self.selected).map(|&i| &self.tracker.rows()[i])
    }

    /// Tracker rows shown, filtered and sorted.
    pub fn visible(&self) -> Vec<usize> {
        let rows = self.tracker.rows();
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let mut v: Vec<usize> = (0..rows.len())
            .filter(|&i| words.iter().all(|w| self.matches(i, w)))
            .collect();
        let variant = |i: usize| self.row_variant.get(i).copied().flatten();
        match self.sort {
            SortKey::Sent => {}
            SortKey::Status => v.sort_by_key(|&i| status_rank(&rows[i].status)),
            SortKey::Variant => v.sort_by_key(|&i| variant(i).unwrap_or(usize::MAX)),
            SortKey::Code => v.sort_by_key(|&i| std::cmp::Reverse(rows[i].response_code)),
            SortKey::Duration => v.sort_by_key(|&i| {
                std::cmp::Reverse(
                    rows[i]
                        .started_at
                        .zip(rows[i].finished_at)
                        .map(|(a, b)| b - a),
                )
            }),
        }
        v
    }

    fn matches(&self, i: usize, word: &str) -> bool {
        let r = &self.tracker.rows()[i];
        let (field, value) = word.split_once(':').unwrap_or(("", word));
        match field {
            "status" => r.status.to_ascii_lowercase().contains(value),
            "variant" | "v" => match self.row_variant.get(i).copied().flatten() {
                Some(n) => value.trim_start_matches('#') == (n + 1).to_string(),
                None => value == "none",
            },
            "code" | "exit" => r.response_code.map(|c| c.to_string()).as_deref() == Some(value),
            _ => {
                r.key.instance_id.to_ascii_lowercase().contains(word)
                    || r.instance_name.to_ascii_lowercase().contains(word)
                    || r.key.account_id.contains(word)
                    || r.key.region.contains(word)
            }
        }
    }

    /// Finished targets that did not succeed (re-run on them).
    pub fn failed(&self) -> Vec<crate::model::NodeKey> {
        self.tracker
            .rows()
            .iter()
            .filter(|r| r.is_terminal() && r.status != "Success")
            .map(|r| r.key.clone())
            .collect()
    }

    /// The nodes of variant `v`.
    pub fn variant_nodes(&self, v: usize) -> Vec<crate::model::NodeKey> {
        self.variants
            .variants
            .get(v)
            .map(|var| {
                var.members
                    .iter()
                    .map(|&m| self.tracker.rows()[self.grouped[m]].key.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The detail of variant `v`: its nodes, its output (a sample member's, sanitised) and
    /// its diff against the majority (the normalised texts).
    pub fn variant_lines(&self, v: usize) -> Vec<(DetailKind, String)> {
        let Some(var) = self.variants.variants.get(v) else {
            return Vec::new();
        };
        let rows = self.tracker.rows();
        let mut out = Vec::new();
        let nodes: Vec<String> = var
            .members
            .iter()
            .take(20)
            .map(|&m| rows[self.grouped[m]].key.instance_id.clone())
            .collect();
        let more = var.members.len().saturating_sub(nodes.len());
        out.push((
            DetailKind::Head,
            format!(
                "Variant #{} · {} node{}: {}{}",
                v + 1,
                var.members.len(),
                if var.members.len() == 1 { "" } else { "s" },
                nodes.join(" "),
                if more > 0 {
                    format!(" … and {more} more")
                } else {
                    String::new()
                }
            ),
        ));
        let sample = &rows[self.grouped[var.sample]];
        out.push((
            DetailKind::Head,
            format!("── output of {} ──", sample.key.instance_id),
        ));
        for l in crate::text::sanitize_multiline(&row_text(sample)).lines() {
            out.push((DetailKind::Text, l.to_string()));
        }
        match self.variants.majority() {
            Some(major) if v > 0 => {
                out.push((
                    DetailKind::Head,
                    format!(
                        "── diff against the majority (#1, {} nodes): - majority only · + this variant only ──",
                        major.members.len()
                    ),
                ));
                for d in super::super::variants::diff(&major.normalized, &var.normalized, 2) {
                    use super::super::variants::DiffLine;
                    out.push(match d {
                        DiffLine::Same(t) => {
                            (DetailKind::Same, format!("  {}", crate::text::sanitize(&t)))
                        }
                        DiffLine::Added(t) => (
                            DetailKind::Added,
                            format!("+ {}", crate::text::sanitize(&t)),
                        ),
                        DiffLine::Removed(t) => (
                            DetailKind::Removed,
                            format!("- {}", crate::text::sanitize(&t)),
                        ),
                        DiffLine::Skipped(n) => {
                            (DetailKind::Skipped, format!("  … {n} identical lines …"))
                        }
                    });
                }
            }
            _ => out.push((
                DetailKind::Head,
                "── the majority: the other variants are diffed against it ──".into(),
            )),
        }
        out
    }

    /// Fresh invocations from the watcher.
    pub fn apply(&mut self, invocations: &[CommandInvocation]) {
        if self.tracker.apply(invocations) {
            self.poll_error = None;
            self.regroup();
            if let Some(v) = &mut self.viewer
                && let Some(r) = self.tracker.row(&v.row.command_id, &v.row.key.instance_id)
            {
                v.row = r.clone();
            }
        }
    }

    pub fn add_commands(&mut self, commands: &[CommandSummary], failures: Vec<String>) {
        for c in commands {
            self.tracker.add_command(c);
        }
        self.send_failures.extend(failures);
        self.regroup();
    }

    pub fn finish(&mut self, summary: String, refreshed: usize) {
        self.finished = Some(summary);
        self.refreshed = refreshed;
        self.confirm_cancel = false;
    }

    /// Group finished targets' outputs (the ≤ 2,500-character step outputs the watcher
    /// has) into variants. A target is normalised once, when it finished (its output does
    /// not change after that); regrouping is then one hash per target.
    fn regroup(&mut self) {
        let rows = self.tracker.rows();
        self.normalized.resize(rows.len(), None);
        for (i, r) in rows.iter().enumerate() {
            if self.normalized[i].is_none() && r.is_terminal() && !r.plugins.is_empty() {
                let own: Vec<&str> = [r.instance_name.as_str()]
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .collect();
                let text = row_text(r);
                let subject = super::super::variants::Subject {
                    text: &text,
                    own: &own,
                    truncated: row_truncated(r),
                };
                self.normalized[i] = Some(super::super::variants::normalize_subject(&subject));
            }
        }
        self.grouped = (0..rows.len())
            .filter(|&i| self.normalized[i].is_some())
            .collect();
        let texts: Vec<&str> = self
            .grouped
            .iter()
            .filter_map(|&i| self.normalized[i].as_deref())
            .collect();
        self.variants = Variants::group_normalized(&texts);
        self.row_variant = vec![None; rows.len()];
        for (v, var) in self.variants.variants.iter().enumerate() {
            for &m in &var.members {
                self.row_variant[self.grouped[m]] = Some(v);
            }
        }
        let n = self.variants.variants.len();
        self.variant_selected = self.variant_selected.min(n.saturating_sub(1));
    }

    /// The full output arrived for a target.
    pub fn output_loaded(&mut self, result: Result<TargetOutput, String>, now: DateTime<Utc>) {
        let Some(v) = &mut self.viewer else { return };
        v.loading = false;
        v.fetched_at = Some(now);
        match result {
            Ok(o) if o.key == v.row.key && o.command_id == v.row.command_id => {
                v.lines = o.lines();
                v.output = Some(o);
                v.error = None;
                if !v.search.is_empty() {
                    v.matches = output::search(&v.lines, &v.search);
                }
            }
            Ok(_) => {}
            Err(e) => v.error = Some(e),
        }
    }

    pub fn input(&mut self, input: PaneInput) -> CommandOutcome {
        if self.confirm_cancel {
            return match input {
                PaneInput::Submit | PaneInput::Char('y') => {
                    self.confirm_cancel = false;
                    let reqs = self.cancel_requests();
                    self.notice = Some(format!("Cancelling {} command(s)…", reqs.len()));
                    CommandOutcome::Cancel(reqs)
                }
                _ => {
                    self.confirm_cancel = false;
                    self.notice = None;
                    CommandOutcome::Nothing
                }
            };
        }
        if let Some(v) = &mut self.viewer {
            if v.search_editing {
                match input {
                    PaneInput::Char(c) => {
                        v.search.push(c);
                        v.research();
                    }
                    PaneInput::Backspace => {
                        v.search.pop();
                        v.research();
                    }
                    PaneInput::Submit => v.search_editing = false,
                    PaneInput::Back => {
                        v.search_editing = false;
                        v.search.clear();
                        v.matches.clear();
                    }
                    _ => {}
                }
                return CommandOutcome::Nothing;
            }
            match input {
                PaneInput::Back => self.viewer = None,
                PaneInput::Up => {
                    v.scroll = v.top(PAGE).saturating_sub(1);
                    v.follow = false;
                }
                PaneInput::Down => v.scroll = v.top(PAGE) + 1,
                PaneInput::PageUp => {
                    v.scroll = v.top(PAGE).saturating_sub(PAGE);
                    v.follow = false;
                }
                PaneInput::PageDown => v.scroll = v.top(PAGE) + PAGE,
                PaneInput::Top => {
                    v.scroll = 0;
                    v.follow = false;
                }
                PaneInput::Bottom | PaneInput::Follow => {
                    v.follow = !v.follow || input == PaneInput::Bottom
                }
                PaneInput::Search => {
                    v.search_editing = true;
                    v.search.clear();
                }
                PaneInput::NextMatch | PaneInput::Char('n') => v.jump(1),
                PaneInput::PrevMatch | PaneInput::Char('N') => v.jump(-1),
                PaneInput::Save => return self.save(),
                PaneInput::CancelCommand => return self.ask_cancel(),
                _ => {}
            }
            return CommandOutcome::Nothing;
        }
        if self.filter_editing {
            match input {
                PaneInput::Char(c) => self.filter.push(c),
                PaneInput::Backspace => {
                    self.filter.pop();
                }
                PaneInput::Submit => self.filter_editing = false,
                PaneInput::Back => {
                    self.filter_editing = false;
                    self.filter.clear();
                }
                _ => {}
            }
            self.selected = 0;
            return CommandOutcome::Nothing;
        }
        match self.screen {
            Screen::Variants => return self.variants_input(input),
            Screen::Variant => return self.detail_input(input),
            Screen::Targets => {}
        }
        let n = self.visible().len();
        match input {
            PaneInput::Back if !self.filter.is_empty() => {
                self.filter.clear();
                self.selected = 0;
            }
            PaneInput::Back => return CommandOutcome::Close,
            PaneInput::Up => self.selected = self.selected.saturating_sub(1),
            PaneInput::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            PaneInput::PageUp => self.selected = self.selected.saturating_sub(PAGE),
            PaneInput::PageDown => self.selected = (self.selected + PAGE).min(n.saturating_sub(1)),
            PaneInput::Top => self.selected = 0,
            PaneInput::Bottom => self.selected = n.saturating_sub(1),
            PaneInput::Submit => {
                if let Some(r) = self.selected_row().cloned() {
                    self.viewer = Some(OutputViewer::new(r.clone()));
                    return CommandOutcome::FetchOutput(Box::new(r));
                }
            }
            PaneInput::Search => {
                self.filter_editing = true;
                self.notice = None;
            }
            PaneInput::Sort => {
                self.sort = self.sort.next();
                self.selected = 0;
            }
            PaneInput::Variants => self.screen = Screen::Variants,
            PaneInput::Rerun => {
                let keys = self.failed();
                if keys.is_empty() {
                    self.notice = Some(if self.tracker.rows().iter().any(|r| !r.is_terminal()) {
                        "No failed target yet (re-run waits for targets to finish)".into()
                    } else {
                        "No failed target: every target succeeded".into()
                    });
                    return CommandOutcome::Nothing;
                }
                let label = format!("{} failed target{}", keys.len(), plural(keys.len()));
                return CommandOutcome::Rerun { keys, label };
            }
            PaneInput::CancelCommand => return self.ask_cancel(),
            PaneInput::Save => return self.save(),
            _ => {}
        }
        CommandOutcome::Nothing
    }

    fn variants_input(&mut self, input: PaneInput) -> CommandOutcome {
        let n = self.variants.variants.len();
        match input {
            PaneInput::Back | PaneInput::Variants => self.screen = Screen::Targets,
            PaneInput::Up => self.variant_selected = self.variant_selected.saturating_sub(1),
            PaneInput::Down => {
                self.variant_selected = (self.variant_selected + 1).min(n.saturating_sub(1))
            }
            PaneInput::Top => self.variant_selected = 0,
            PaneInput::Bottom => self.variant_selected = n.saturating_sub(1),
            PaneInput::Submit if n > 0 => {
                self.screen = Screen::Variant;
                self.detail_scroll = 0;
            }
            PaneInput::Rerun => return self.rerun_variant(),
            PaneInput::Save => return self.save(),
            _ => {}
        }
        CommandOutcome::Nothing
    }

    fn detail_input(&mut self, input: PaneInput) -> CommandOutcome {
        match input {
            PaneInput::Back => self.screen = Screen::Variants,
            PaneInput::Variants => self.screen = Screen::Targets,
            PaneInput::Up => self.detail_scroll = self.detail_scroll.saturating_sub(1),
            PaneInput::Down => self.detail_scroll += 1,
            PaneInput::PageUp => self.detail_scroll = self.detail_scroll.saturating_sub(PAGE),
            PaneInput::PageDown => self.detail_scroll += PAGE,
            PaneInput::Top => self.detail_scroll = 0,
            PaneInput::Rerun => return self.rerun_variant(),
            PaneInput::Save => return self.save(),
            _ => {}
        }
        CommandOutcome::Nothing
    }

    fn rerun_variant(&mut self) -> CommandOutcome {
        let v = self.variant_selected;
        let keys = self.variant_nodes(v);
        if keys.is_empty() {
            self.notice = Some("No variant selected".into());
            return CommandOutcome::Nothing;
        }
        let label = format!(
            "{} node{} of variant #{}",
            keys.len(),
            plural(keys.len()),
            v + 1
        );
        CommandOutcome::Rerun { keys, label }
    }

    fn ask_cancel(&mut self) -> CommandOutcome {
        if !self.is_running() {
            self.notice = Some("Nothing to cancel: every target has finished".into());
            return CommandOutcome::Nothing;
        }
        let (done, total) = self.tracker.progress();
        self.confirm_cancel = true;
        self.notice = Some(format!(
            "Cancel {} running target(s) of {} command(s)? Enter to cancel them, Esc to keep them running",
            total - done,
            self.cancel_requests().len()
        ));
        CommandOutcome::Nothing
    }

    /// One CancelCommand per command that still has running targets.
    pub fn cancel_requests(&self) -> Vec<CancelRequest> {
        self.tracker
            .commands()
            .iter()
            .filter(|c| !self.tracker.command_done(&c.command_id))
            .map(|c| CancelRequest {
                account_id: c.account_id.clone(),
                region: c.region.clone(),
                command_id: c.command_id.clone(),
                instance_ids: Vec::new(),
            })
            .collect()
    }

    fn save(&mut self) -> CommandOutcome {
        // the viewer's full output if one is open, else every target (one file per node
        // and a summary; the job reads each finished target's full output)
        if let Some(o) = self.viewer.as_ref().and_then(|v| v.output.clone()) {
            return CommandOutcome::Save(vec![o]);
        }
        let rows = self.tracker.rows().to_vec();
        if rows.is_empty() {
            self.notice = Some("Nothing to save yet".into());
            return CommandOutcome::Nothing;
        }
        CommandOutcome::SaveAll(rows, self.summary_text())
    }

    /// The summary file: commands, counts, variants and one line per target.
    pub fn summary_text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("{}\n", self.title));
        for c in self.tracker.commands() {
            s.push_str(&format!(
                "command {} · {} · {} {} · {} target(s)\n",
                c.command_id,
                c.document_name,
                c.account_id,
                c.region,
                c.instance_ids.len()
            ));
        }
        s.push_str(&format!("{}\n", self.tracker.summary()));
        s.push_str(&format!("outputs: {}\n\n", self.variants.summary()));
        for (v, var) in self.variants.variants.iter().enumerate() {
            s.push_str(&format!(
                "variant #{}: {} node(s)\n",
                v + 1,
                var.members.len()
            ));
        }
        s.push_str("\naccount\tregion\tnode\tname\tstatus\texit\tvariant\n");
        for (i, r) in self.tracker.rows().iter().enumerate() {
            s.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                r.key.account_id,
                r.key.region,
                r.key.instance_id,
                crate::text::sanitize(&r.instance_name),
                r.status,
                r.response_code.map(|c| c.to_string()).unwrap_or_default(),
                self.row_variant
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|v| format!("#{}", v + 1))
                    .unwrap_or_default()
            ));
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Sort rank: finished and not successful first, then running, then Success.
fn status_rank(s: &str) -> (u8, String) {
    let k = match s {
        "Success" => 2,
        "Pending" | "InProgress" | "Delayed" | "Cancelling" => 1,
        _ => 0,
    };
    (k, s.to_string())
}

/// A target's output as the watcher has it (≤ 2,500 characters per step).
pub fn row_output(r: &TargetRow) -> TargetOutput {
    TargetOutput {
        key: r.key.clone(),
        command_id: r.command_id.clone(),
        plugins: r
            .plugins
            .iter()
            .map(|p| PluginOutput {
                name: p.name.clone(),
                status: p.status.clone(),
                status_details: p.status_details.clone(),
                response_code: p.response_code,
                stdout: p.stdout.clone(),
                stderr: p.stderr.clone(),
                stdout_url: p.output_url.clone(),
                started_at: p.started_at,
                finished_at: p.finished_at,
                ..PluginOutput::default()
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CommandPluginOutput;

    fn cmd(n: usize) -> CommandSummary {
        CommandSummary {
            command_id: "c1".into(),
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            instance_ids: (0..n).map(|i| format!("i-{i:017x}")).collect(),
            ..CommandSummary::default()
        }
    }

    fn inv(i: usize, status: &str, out: &str) -> CommandInvocation {
        CommandInvocation {
            command_id: "c1".into(),
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            instance_id: format!("i-{i:017x}"),
            status: status.into(),
            plugins: vec![CommandPluginOutput {
                name: "PatchLinux".into(),
                status: status.into(),
                stdout: out.into(),
                ..CommandPluginOutput::default()
            }],
            ..CommandInvocation::default()
        }
    }

    fn target_output(i: usize, text: &str) -> TargetOutput {
        TargetOutput {
            key: crate::model::NodeKey {
                account_id: "111111111111".into(),
                region: "us-east-1".into(),
                instance_id: format!("i-{i:017x}"),
            },
            command_id: "c1".into(),
            plugins: vec![PluginOutput {
                name: "PatchLinux".into(),
                status: "InProgress".into(),
                stdout: text.into(),
                ..PluginOutput::default()
            }],
        }
    }

    #[test]
    fn live_updates_counts_and_grouping() {
        let mut p = CommandPane::new("Scan", &[cmd(4)], false);
        assert!(p.is_running());
        p.apply(&[
            inv(0, "Success", "ok\n"),
            inv(1, "Success", "ok\n"),
            inv(2, "Success", "ok\n"),
            inv(3, "Failed", "boom\n"),
        ]);
        assert!(!p.is_running());
        assert_eq!(p.variants.summary(), "3 identical · 1 variant");
        assert_eq!(p.tracker.summary(), "4/4 done · 3 Success · 1 Failed");
    }

    #[test]
    fn viewer_fetches_follows_and_searches() {
        let mut p = CommandPane::new("Scan", &[cmd(2)], false);
        p.apply(&[inv(0, "InProgress", "")]);
        let now = Utc::now();
        match p.input(PaneInput::Submit) {
            CommandOutcome::FetchOutput(r) => {
                assert_eq!(r.key.instance_id, format!("i-{:017x}", 0))
            }
            o => panic!("{o:?}"),
        }
        let v = p.viewer.as_ref().unwrap();
        assert!(v.follow && v.loading);
        let text: String = (0..40).map(|i| format!("line {i}\n")).collect();
        p.output_loaded(Ok(target_output(0, &text)), now);
        let v = p.viewer.as_ref().unwrap();
        assert_eq!(v.top(10), v.lines.len() - 10, "follow shows the tail");
        // a later read (follow mode) replaces the text and stays at the tail
        let more: String = (0..60).map(|i| format!("line {i}\n")).collect();
        p.output_loaded(
            Ok(target_output(0, &more)),
            now + chrono::Duration::seconds(3),
        );
        let v = p.viewer.as_ref().unwrap();
        assert_eq!(v.lines.len(), 61);
        assert_eq!(v.top(10), 51);
        // search jumps and leaves follow mode
        p.input(PaneInput::Search);
        for c in "line 7".chars() {
            p.input(PaneInput::Char(c));
        }
        p.input(PaneInput::Submit);
        let v = p.viewer.as_ref().unwrap();
        assert!(!v.follow);
        assert_eq!(v.matches.len(), 1);
        assert_eq!(v.lines[v.matches[0]].text, "line 7");
        // Esc closes the viewer, a second Esc the pane
        assert_eq!(p.input(PaneInput::Back), CommandOutcome::Nothing);
        assert!(p.viewer.is_none());
        assert_eq!(p.input(PaneInput::Back), CommandOutcome::Close);
    }

    #[test]
    fn cancel_asks_first() {
        let mut p = CommandPane::new("Install", &[cmd(2)], false);
        assert_eq!(p.input(PaneInput::CancelCommand), CommandOutcome::Nothing);
        assert!(p.confirm_cancel);
        assert!(
            p.notice
                .as_deref()
                .unwrap()
                .contains("Cancel 2 running target(s)")
        );
        // Esc keeps it running
        assert_eq!(p.input(PaneInput::Back), CommandOutcome::Nothing);
        assert!(!p.confirm_cancel);
        p.input(PaneInput::CancelCommand);
        match p.input(PaneInput::Submit) {
            CommandOutcome::Cancel(r) => {
                assert_eq!(r.len(), 1);
                assert_eq!(r[0].command_id, "c1");
            }
            o => panic!("{o:?}"),
        }
        // finished commands cannot be cancelled
        p.apply(&[inv(0, "Cancelled", ""), inv(1, "Cancelled", "")]);
        assert_eq!(p.input(PaneInput::CancelCommand), CommandOutcome::Nothing);
        assert!(!p.confirm_cancel);
    }

    #[test]
    fn save_all_step_outputs() {
        let mut p = CommandPane::new("Scan", &[cmd(2)], false);
        p.apply(&[inv(0, "Success", "a"), inv(1, "Success", "b")]);
        match p.input(PaneInput::Save) {
            CommandOutcome::SaveAll(rows, summary) => {
                assert_eq!(rows.len(), 2);
                assert!(
                    summary.contains("outputs: 2 outputs · all differ"),
                    "{summary}"
                );
            }
            o => panic!("{o:?}"),
        }
    }
}
