//! The command pane model: targets with live status, counts and progress; the output
//! viewer (scroll, search, follow while running); grouping of identical outputs; cancel
//! with confirmation; save to a file.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{CommandInvocation, CommandSummary};

use super::super::gate::CancelRequest;
use super::super::output::{self, OutputGroups, OutputLine, PluginOutput, TargetOutput};
use super::super::tracker::{CommandTracker, TargetRow};
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
    pub groups: OutputGroups,
    pub readonly: bool,
    /// What ran, when known (a run from this console, or a past command): re-runs use it.
    pub run: Option<RunOrigin>,
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
            groups: OutputGroups::default(),
            readonly,
            run: None,
        };
        p.regroup();
        p
    }

    pub fn is_running(&self) -> bool {
        self.finished.is_none() && !self.tracker.is_done()
    }

    pub fn selected_row(&self) -> Option<&TargetRow> {
        self.tracker.rows().get(self.selected)
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

    /// Group finished targets' outputs (the ≤ 2,500-character step outputs the watcher has).
    fn regroup(&mut self) {
        let outs: Vec<TargetOutput> = self
            .tracker
            .rows()
            .iter()
            .filter(|r| r.is_terminal() && !r.plugins.is_empty())
            .map(row_output)
            .collect();
        self.groups = output::group_identical(&outs);
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
        let n = self.tracker.rows().len();
        match input {
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
            PaneInput::CancelCommand => return self.ask_cancel(),
            PaneInput::Save => return self.save(),
            _ => {}
        }
        CommandOutcome::Nothing
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
        // the viewer's full output if one is open, else every target's step output
        if let Some(o) = self.viewer.as_ref().and_then(|v| v.output.clone()) {
            return CommandOutcome::Save(vec![o]);
        }
        let outs: Vec<TargetOutput> = self.tracker.rows().iter().map(row_output).collect();
        if outs.is_empty() {
            self.notice = Some("Nothing to save yet".into());
            return CommandOutcome::Nothing;
        }
        CommandOutcome::Save(outs)
    }
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
        assert_eq!(p.groups.summary(), "3 nodes: identical output · 1 differ");
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
            CommandOutcome::Save(o) => assert_eq!(o.len(), 2),
            o => panic!("{o:?}"),
        }
    }
}
