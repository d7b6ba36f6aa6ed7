//! The command pane: every target of one or more Run Command commands with live status,
//! progress and counts per status, identical outputs grouped; Enter opens a target's output
//! (per step, scrollable, searchable, following while it runs); cancel with confirmation;
//! save to a file. The model is `crate::actions::panes::command`; background jobs (watch,
//! fetch output, cancel, save) are [`Job`]s owned by the pane: their answers come back to
//! [`Pane::job`], and closing the pane stops them (the watch stops polling).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Gauge, Paragraph, Row, Table, TableState, Wrap};

use crate::actions::WatchEvent;
use crate::actions::output::LineKind;
use crate::actions::panes::PaneInput;
use crate::actions::panes::command::{CommandOutcome, CommandPane, DetailKind, Screen};
use crate::actions::plan::PatchPlan;
use crate::model::CommandSummary;

use super::super::action::Action;
use super::super::effect::{Job, JobEvent, JobKind};
use super::super::theme::{Role, Theme};
use super::contract::{Handled, Open, Pane, PaneCx, PaneSize, Selection, Spec};

/// The target filter's fields (`/` on the grid), for the help; parsed by
/// `crate::actions::panes::command` (a test checks each one narrows the grid).
pub const FILTER_FIELDS: &[(&str, &str)] = &[
    (
        "status:",
        "a status word: Success, Failed, InProgress, TimedOut, Cancelled",
    ),
    (
        "variant:",
        "an output variant by number (variant:2), or none",
    ),
    ("code:", "an exit code (code:1)"),
    ("words", "instance id, node name, account id or region"),
];

/// The keys the pane reads itself (besides its keymap section), for the help.
pub const PANE_KEYS: &[(&str, &str)] = &[
    ("enter", "a target's output, or a variant's output and diff"),
    (
        "/",
        "filter the targets (fields below); in an output: search",
    ),
    (
        "ctrl-w",
        "in an output: long lines wrapped (default) / one row per line",
    ),
    ("esc", "back to the grid, then close"),
    (
        "enter y",
        "when asked: cancel the command (any other key keeps it running)",
    ),
];

pub const ID: &str = "command_output";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["output", "command-output"],
    describe: "Run Command output of the selected command (live while it runs)",
    action: Some(Action::CommandOutput),
    table: false,
    scoped: false,
    open: Open::Pane(open),
};

fn open(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    if let Some(cmd) = sel.command() {
        return Ok(Box::new(CommandOutputPane::for_command(
            cmd.clone(),
            sel.readonly,
        )));
    }
    if let Some(inv) = sel.invocation() {
        // one node's invocation: the command, narrowed to that node
        let cmd = CommandSummary {
            command_id: inv.command_id.clone(),
            account_id: inv.account_id.clone(),
            region: inv.region.clone(),
            document_name: inv.document_name.clone(),
            status: inv.status.clone(),
            requested_at: inv.requested_at,
            instance_ids: vec![inv.instance_id.clone()],
            ..CommandSummary::default()
        };
        return Ok(Box::new(CommandOutputPane::for_command(cmd, sel.readonly)));
    }
    Err(
        "Select a command in :commands (or an invocation in a node's Run Command list) first"
            .into(),
    )
}

pub struct CommandOutputPane {
    model: CommandPane,
    /// An output job that follows a running target is running (stopped when the viewer
    /// closes or follow is switched off).
    following: bool,
    /// The send or watch job, started when the pane opens.
    pending_job: Option<Job>,
    spinner: usize,
    now: DateTime<Utc>,
    /// Account id → name (sanitized), as every other view shows accounts.
    names: std::collections::HashMap<String, String>,
    /// An existing command's account id: the title names the account once it is known.
    account: Option<String>,
}

impl CommandOutputPane {
    fn learn_names(&mut self, cx: &PaneCx<'_>) {
        if let Some(s) = cx.snapshot {
            self.names = s
                .accounts
                .iter()
                .filter(|a| !a.name.is_empty())
                .map(|a| (a.id.clone(), crate::text::sanitize(&a.name)))
                .collect();
        }
        if let Some(id) = &self.account
            && let Some(name) = self.names.get(id)
        {
            // "… · 621503508443 us-east-1" → "… · web-prod (621503508443) us-east-1"
            let from = format!(" · {id} ");
            if self.model.title.contains(&from) {
                self.model.title =
                    self.model
                        .title
                        .replacen(&from, &format!(" · {name} ({id}) "), 1);
            }
        }
    }

    /// After a confirmed patch-now: the pane whose job sends, watches and refreshes.
    pub fn for_plan(title: String, plan: PatchPlan, readonly: bool) -> Self {
        let mut model = CommandPane::new(title, &[], readonly);
        // a re-run is a fresh operation: a new baseline snapshot id is generated
        let mut parameters = plan.parameters.clone();
        parameters.remove("SnapshotId");
        model.run = Some(crate::actions::panes::command::RunOrigin {
            what: crate::actions::run_plan::RunWhat::Document {
                name: plan.document.clone(),
                description: None,
                parameters,
            },
            options: crate::actions::run_plan::RunOptions {
                comment: plan.comment.clone(),
                ..Default::default()
            },
        });
        CommandOutputPane {
            model,
            following: false,
            pending_job: Some(Job::SendPlan(Box::new(plan))),
            spinner: 0,
            now: Utc::now(),
            names: Default::default(),
            account: None,
        }
    }

    /// After a confirmed run: the pane whose job sends it through the gate and watches it.
    pub fn for_run(title: String, plan: crate::actions::run_plan::RunPlan, readonly: bool) -> Self {
        let mut model = CommandPane::new(title, &[], readonly);
        model.run = Some(crate::actions::panes::command::RunOrigin {
            what: plan.what.clone(),
            options: plan.options.clone(),
        });
        CommandOutputPane {
            model,
            following: false,
            pending_job: Some(Job::SendRun(Box::new(plan))),
            spinner: 0,
            now: Utc::now(),
            names: Default::default(),
            account: None,
        }
    }

    /// [`Self::for_run`], boxed: what the run pane opens when a run is confirmed.
    pub fn boxed_for_run(
        title: String,
        plan: crate::actions::run_plan::RunPlan,
        readonly: bool,
    ) -> Box<dyn Pane> {
        Box::new(Self::for_run(title, plan, readonly))
    }

    /// An existing command (from `:commands` or a node's invocations): watch it.
    pub fn for_command(cmd: CommandSummary, readonly: bool) -> Self {
        let title = format!(
            "{} · {} · {} {}",
            crate::text::sanitize(&cmd.document_name),
            cmd.command_id,
            cmd.account_id,
            cmd.region
        );
        let mut model = CommandPane::new(title, std::slice::from_ref(&cmd), readonly);
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        model.run = Some(crate::actions::panes::command::RunOrigin {
            what: crate::actions::run_plan::RunWhat::of_command(&cmd),
            options: crate::actions::run_plan::RunOptions {
                max_concurrency: opt(&cmd.max_concurrency),
                max_errors: opt(&cmd.max_errors),
                comment: cmd.comment.clone(),
                ..Default::default()
            },
        });
        CommandOutputPane {
            model,
            following: false,
            account: Some(cmd.account_id.clone()),
            pending_job: Some(Job::Watch(Box::new(cmd))),
            spinner: 0,
            now: Utc::now(),
            names: Default::default(),
        }
    }

    fn flush_job(&mut self, cx: &mut PaneCx<'_>) {
        if let Some(j) = self.pending_job.take() {
            cx.start(j);
        }
    }

    fn apply(&mut self, input: PaneInput, cx: &mut PaneCx<'_>) {
        self.flush_job(cx);
        let was_following = self.model.viewer.as_ref().is_some_and(|v| v.follow);
        match self.model.input(input) {
            CommandOutcome::Nothing => {}
            // closing stops every job of the pane (watch, output)
            CommandOutcome::Close => cx.close = true,
            CommandOutcome::FetchOutput(row) => {
                // replaces a running output job (one per pane)
                let follow = !row.is_terminal();
                self.following = follow;
                cx.start(Job::FetchOutput { row, follow });
            }
            CommandOutcome::Cancel(reqs) => cx.start(Job::CancelCommands(reqs)),
            CommandOutcome::Save(outs) => cx.start(Job::SaveOutput(outs)),
            CommandOutcome::SaveAll(rows, summary) => {
                cx.toast(format!(
                    "Saving {} output(s): reading each finished target's full output…",
                    rows.len()
                ));
                cx.start(Job::SaveAll { rows, summary })
            }
            CommandOutcome::Rerun { keys, label } => self.rerun(keys, label, cx),
        }
        // viewer closed or follow switched off: stop reading; switched back on: read again
        match &self.model.viewer {
            None => self.stop_follow(cx),
            Some(v) if !v.follow => self.stop_follow(cx),
            Some(v) if !was_following && !self.following && !v.row.is_terminal() => {
                self.following = true;
                cx.start(Job::FetchOutput {
                    row: Box::new(v.row.clone()),
                    follow: true,
                });
            }
            Some(_) => {}
        }
    }

    /// Open the run pane on `keys` with what this command ran (the same preview and
    /// confirmation as any run).
    fn rerun(&mut self, keys: Vec<crate::model::NodeKey>, label: String, cx: &mut PaneCx<'_>) {
        let Some(snap) = cx.snapshot else {
            cx.error("Re-run needs fleet data: wait for the first refresh");
            return;
        };
        let Some(origin) = self.model.run.clone() else {
            cx.error("What this command ran is not known: open it from :commands to re-run it");
            return;
        };
        let scope = crate::actions::targets::TargetScope::Nodes { label, keys };
        cx.open = Some(Box::new(super::run::RunPaneView::rerun(
            snap.clone(),
            scope,
            &origin.what,
            &origin.options,
            cx.readonly,
            CommandOutputPane::boxed_for_run,
        )));
    }

    fn stop_follow(&mut self, cx: &mut PaneCx<'_>) {
        if std::mem::take(&mut self.following) {
            cx.stop(JobKind::FetchOutput);
        }
    }
}

fn key_input(key: &KeyEvent, searching: bool) -> Option<PaneInput> {
    if !searching {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char(c) if !ctrl => PaneInput::Char(c),
        KeyCode::Backspace => PaneInput::Backspace,
        KeyCode::Enter => PaneInput::Submit,
        KeyCode::Esc => PaneInput::Back,
        _ => return None,
    })
}

impl Pane for CommandOutputPane {
    fn id(&self) -> &'static str {
        ID
    }

    fn title(&self) -> String {
        self.model.title.clone()
    }

    fn size(&self) -> PaneSize {
        PaneSize::Full
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut PaneCx<'_>) -> bool {
        let searching = self.model.viewer.as_ref().is_some_and(|v| v.search_editing)
            || (self.model.viewer.is_none() && self.model.filter_editing);
        if self.model.confirm_cancel {
            let input = match key.code {
                KeyCode::Enter | KeyCode::Char('y') => PaneInput::Submit,
                _ => PaneInput::Back,
            };
            self.apply(input, cx);
            return true;
        }
        match key_input(key, searching) {
            Some(i) => {
                self.apply(i, cx);
                true
            }
            None => false,
        }
    }

    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled {
        // wide, in an output: one row per line instead of wrapped lines
        if action == Action::ToggleWide
            && let Some(v) = self.model.viewer.as_mut()
        {
            v.wrap = !v.wrap;
            return Handled::Consumed;
        }
        let input = match action {
            Action::Back => PaneInput::Back,
            Action::Open => PaneInput::Submit,
            Action::Up => PaneInput::Up,
            Action::Down => PaneInput::Down,
            Action::PageUp => PaneInput::PageUp,
            Action::PageDown => PaneInput::PageDown,
            Action::Top => PaneInput::Top,
            Action::Bottom => PaneInput::Bottom,
            Action::FilterMode => PaneInput::Search,
            Action::CancelCommand => PaneInput::CancelCommand,
            Action::SaveOutput => PaneInput::Save,
            Action::FollowOutput => PaneInput::Follow,
            Action::NextMatch => PaneInput::NextMatch,
            Action::PrevMatch => PaneInput::PrevMatch,
            Action::SortNext => PaneInput::Sort,
            Action::Variants => PaneInput::Variants,
            Action::Rerun => PaneInput::Rerun,
            _ => {
                self.flush_job(cx);
                return Handled::NotConsumed;
            }
        };
        self.apply(input, cx);
        Handled::Consumed
    }

    fn opened(&mut self, cx: &mut PaneCx<'_>) {
        self.learn_names(cx);
        self.flush_job(cx);
    }

    fn data_changed(&mut self, cx: &mut PaneCx<'_>) {
        self.learn_names(cx);
    }

    fn job(&mut self, _kind: JobKind, event: JobEvent, cx: &mut PaneCx<'_>) {
        self.flush_job(cx);
        match event {
            JobEvent::Watch(WatchEvent::Sent { commands, failures }) => {
                if commands.is_empty() && !failures.is_empty() {
                    cx.error(failures[0].clone());
                } else if !failures.is_empty() {
                    cx.error(format!(
                        "{} batch(es) could not be sent: {}",
                        failures.len(),
                        failures[0]
                    ));
                } else {
                    cx.toast(format!("{} command(s) sent", commands.len()));
                }
                let nothing = commands.is_empty();
                self.model.add_commands(&commands, failures);
                if nothing {
                    self.model.finish("nothing was sent".into(), 0);
                }
            }
            JobEvent::Watch(WatchEvent::Invocations(invs)) => self.model.apply(&invs),
            JobEvent::Watch(WatchEvent::NotInHistory { command_id }) => {
                self.model.tracker.mark_not_in_history(&command_id);
                self.model.notice =
                    Some(crate::actions::watch::not_in_history_message(&command_id));
            }
            JobEvent::Watch(WatchEvent::PollError { message, .. }) => {
                self.model.poll_error = Some(message)
            }
            JobEvent::Watch(WatchEvent::Finished { summary, refreshed }) => {
                if refreshed > 0 {
                    cx.toast(format!(
                        "Finished: {summary} · refreshing {refreshed} node(s)"
                    ));
                }
                self.model.finish(summary, refreshed);
            }
            JobEvent::Output(r) => self.model.output_loaded(r, cx.now),
            JobEvent::Cancelled(errors) => {
                if errors.is_empty() {
                    cx.toast("Cancel requested");
                } else {
                    self.model.notice = Some(errors[0].clone());
                    cx.error(errors[0].clone());
                }
            }
            JobEvent::Saved(Ok(path)) => cx.toast(format!("Saved to {}", path.display())),
            JobEvent::Saved(Err(e)) => cx.error(format!("Could not save the output: {e}")),
            JobEvent::SavedAll(Ok(path)) => {
                let msg = format!(
                    "Saved every output (one file per node + summary.txt) to {}",
                    path.display()
                );
                self.model.notice = Some(msg.clone());
                cx.toast(msg)
            }
            JobEvent::SavedAll(Err(e)) => cx.error(format!("Could not save the outputs: {e}")),
            _ => {}
        }
    }

    fn tick(&mut self, now: DateTime<Utc>) -> bool {
        self.now = now;
        let running = self.model.is_running();
        if running {
            self.spinner = self.spinner.wrapping_add(1);
        }
        running
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        render_command(
            &self.model,
            self.spinner,
            self.now,
            &self.names,
            frame,
            area,
            theme,
        );
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.model.viewer.is_some() {
            vec![
                (Action::Back, "targets"),
                (Action::FilterMode, "search"),
                (Action::FollowOutput, "follow"),
                (Action::SaveOutput, "save"),
            ]
        } else {
            match self.model.screen {
                Screen::Targets => vec![
                    (Action::Back, "close"),
                    (Action::Open, "output"),
                    (Action::Variants, "variants"),
                    (Action::FilterMode, "filter"),
                    (Action::SortNext, "sort"),
                    (Action::Rerun, "re-run failed"),
                    (Action::CancelCommand, "cancel"),
                    (Action::SaveOutput, "save all"),
                ],
                Screen::Variants => vec![
                    (Action::Back, "targets"),
                    (Action::Open, "output + diff"),
                    (Action::Rerun, "re-run variant"),
                    (Action::SaveOutput, "save all"),
                ],
                Screen::Variant => vec![
                    (Action::Back, "variants"),
                    (Action::Rerun, "re-run variant"),
                    (Action::SaveOutput, "save all"),
                ],
            }
        }
    }
}

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

fn status_role(status: &str) -> Role {
    match status {
        "Success" => Role::Ok,
        "Pending" | "Delayed" => Role::Muted,
        "InProgress" | "Cancelling" => Role::Info,
        "Cancelled" => Role::Warning,
        _ => Role::Error,
    }
}

fn fmt_duration(d: Option<chrono::Duration>) -> String {
    match d {
        None => "—".into(),
        Some(d) => {
            let s = d.num_seconds();
            if s >= 3600 {
                format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
            } else if s >= 60 {
                format!("{}m{:02}s", s / 60, s % 60)
            } else {
                format!("{s}s")
            }
        }
    }
}

/// Draw the command pane (also used by snapshot tests).
#[allow(clippy::too_many_arguments)]
pub fn render_command(
    m: &CommandPane,
    spinner: usize,
    now: DateTime<Utc>,
    names: &std::collections::HashMap<String, String>,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    let [head, gauge, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(2),
    ])
    .areas(area);
    let (done, total) = m.tracker.progress();
    let state = if m.finished.is_some() || (total > 0 && done == total) {
        Span::styled("finished", theme.style(Role::Ok))
    } else {
        Span::styled(
            format!("{} running", SPINNER[spinner % SPINNER.len()]),
            theme.style(Role::Spinner),
        )
    };
    let mut counts: Vec<Span> = vec![state, Span::raw("  ")];
    for (i, (s, n)) in m.tracker.counts().iter().enumerate() {
        if i > 0 {
            counts.push(Span::styled(" · ", theme.style(Role::Muted)));
        }
        counts.push(Span::styled(
            format!("{n} {s}"),
            theme.style(status_role(s)),
        ));
    }
    let group = if m.variants.total > 0 {
        let mut g = format!("outputs: {}", m.variants.summary());
        if m.variants.variants.len() > 1 {
            g.push_str(" · v: variants and diff");
        }
        g
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(counts),
            Line::styled(group, theme.style(Role::Muted)),
        ]),
        head,
    );
    let ratio = if total == 0 {
        0.0
    } else {
        done as f64 / total as f64
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.style(Role::Gauge))
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!("{done}/{total} done")),
        gauge,
    );

    match &m.viewer {
        Some(v) => render_viewer(v, names, frame, body, theme),
        None => match m.screen {
            Screen::Targets => render_targets(m, now, names, frame, body, theme),
            Screen::Variants => render_variants(m, frame, body, theme),
            Screen::Variant => render_detail(m, frame, body, theme),
        },
    }

    let mut lines = Vec::new();
    if let Some(n) = &m.notice {
        let role = if m.confirm_cancel {
            Role::Critical
        } else {
            Role::Info
        };
        lines.push(Line::styled(crate::text::sanitize(n), theme.style(role)));
    }
    if let Some(e) = &m.poll_error {
        lines.push(Line::styled(
            format!("polling: {}", crate::text::sanitize(e)),
            theme.style(Role::Warning),
        ));
    }
    for f in m.send_failures.iter().take(2) {
        lines.push(Line::styled(
            crate::text::sanitize(f),
            theme.style(Role::Error),
        ));
    }
    if lines.is_empty()
        && let Some(s) = &m.finished
    {
        let refreshed = if m.refreshed > 0 {
            format!(" · {} node(s) refreshed", m.refreshed)
        } else {
            String::new()
        };
        lines.push(Line::styled(
            format!("Finished: {s}{refreshed}"),
            theme.style(Role::Muted),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), foot);
}

/// The per-target grid: account, node, name, status, exit code, duration (ticking while
/// running), variant. Only the rows on screen are built (1,000 targets stay cheap).
fn render_targets(
    m: &CommandPane,
    now: DateTime<Utc>,
    names: &std::collections::HashMap<String, String>,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    let [bar, grid] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let order = m.visible();
    let total = m.tracker.rows().len();
    let filter = if m.filter_editing || !m.filter.is_empty() {
        format!(
            "/{}{} · ",
            crate::text::sanitize(&m.filter),
            if m.filter_editing { "█" } else { "" }
        )
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "{filter}{} of {total} target{} · sort: {} · /status:Failed variant:2 code:1",
                order.len(),
                if total == 1 { "" } else { "s" },
                m.sort.label()
            ),
            theme.style(Role::Muted),
        )),
        bar,
    );
    let header = Row::new(
        [
            "Account", "Node", "Name", "Status", "Exit", "Duration", "Variant",
        ]
        .map(|h| Cell::from(h).style(theme.style(Role::TableHeader))),
    );
    let page = (grid.height as usize).saturating_sub(2).max(1);
    let selected = m.selected.min(order.len().saturating_sub(1));
    let top = selected.saturating_sub(page - 1);
    let rows_all = m.tracker.rows();
    let rows: Vec<Row> = order
        .iter()
        .skip(top)
        .take(page)
        .map(|&i| {
            let r = &rows_all[i];
            let variant = m
                .row_variant
                .get(i)
                .copied()
                .flatten()
                .map(|v| format!("#{}", v + 1))
                .unwrap_or_else(|| "—".into());
            Row::new(vec![
                Cell::from(
                    names
                        .get(&r.key.account_id)
                        .cloned()
                        .unwrap_or_else(|| r.key.account_id.clone()),
                ),
                Cell::from(r.key.instance_id.clone()),
                Cell::from(crate::text::sanitize(&r.instance_name)),
                Cell::from(r.status.clone()).style(theme.style(status_role(&r.status))),
                // no exit code until the target ended (an InProgress step's 0 is not one)
                Cell::from(
                    r.response_code
                        .filter(|c| *c >= 0 && r.is_terminal())
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "—".into()),
                )
                .style(theme.style(match r.response_code {
                    Some(c) if c > 0 => Role::Error,
                    _ => Role::Text,
                })),
                Cell::from(fmt_duration(r.duration(now))),
                Cell::from(variant).style(theme.style(
                    match m.row_variant.get(i).copied().flatten() {
                        Some(0) => Role::Muted,
                        Some(_) => Role::Warning,
                        None => Role::Muted,
                    },
                )),
            ])
        })
        .collect();
    let mut ts = TableState::default();
    if !rows.is_empty() {
        ts.select(Some(selected - top));
    }
    // the account and node columns as wide as their longest value (a name is never cut
    // while the Name column has room to spare); the Name column takes the rest
    let widest = |w: &dyn Fn(&crate::actions::tracker::TargetRow) -> usize, min: usize, max| {
        rows_all.iter().map(w).max().unwrap_or(0).clamp(min, max) as u16
    };
    let account_w = widest(
        &|r| {
            names
                .get(&r.key.account_id)
                .map_or(r.key.account_id.chars().count(), |n| n.chars().count())
        },
        7,
        24,
    );
    let node_w = widest(&|r| r.key.instance_id.chars().count(), 4, 20);
    let table = Table::new(
        rows,
        [
            Constraint::Length(account_w),
            Constraint::Length(node_w),
            Constraint::Min(6),
            Constraint::Length(16),
            Constraint::Length(4),
            Constraint::Length(8),
            Constraint::Length(7),
        ],
    )
    .header(header)
    .row_highlight_style(theme.style(Role::Selection))
    .block(
        Block::default()
            .borders(Borders::TOP)
            .border_style(theme.style(Role::Border)),
    );
    frame.render_stateful_widget(table, grid, &mut ts);
}

/// The variants, largest first, with their node counts and a few nodes each.
fn render_variants<'a>(m: &'a CommandPane, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let rows_all = m.tracker.rows();
    let header = Row::new(
        [
            "Variant",
            "Nodes",
            "Share",
            "First line (that differs)",
            "Nodes",
        ]
        .map(|h| Cell::from(h).style(theme.style(Role::TableHeader))),
    );
    let total = m.variants.total.max(1);
    // a variant's first nodes (three), then … when it has more
    let node_list = |var: &crate::actions::variants::Variant| {
        let nodes: Vec<&str> = var
            .members
            .iter()
            .take(3)
            .map(|&i| rows_all[m.grouped[i]].key.instance_id.as_str())
            .collect();
        format!(
            "{}{}",
            nodes.join(" "),
            if var.members.len() > 3 { " …" } else { "" }
        )
    };
    // the node list whole (up to the room left once the first line has 24 columns); the
    // first line takes the rest
    let nodes_w = m
        .variants
        .variants
        .iter()
        .map(|v| node_list(v).chars().count())
        .max()
        .unwrap_or(5)
        .max(5)
        .min(usize::from(area.width.saturating_sub(11 + 5 + 5 + 24 + 4))) as u16;
    let page = (area.height as usize).saturating_sub(2).max(1);
    let selected = m
        .variant_selected
        .min(m.variants.variants.len().saturating_sub(1));
    let top = selected.saturating_sub(page - 1);
    let rows: Vec<Row> = m
        .variants
        .variants
        .iter()
        .enumerate()
        .skip(top)
        .take(page)
        .map(|(v, var)| {
            // the majority's first line of output; another variant's first line that differs
            let text = |t: &'a str| {
                t.lines()
                    .filter(|l| !l.trim().is_empty() && !l.starts_with("[exit "))
            };
            let first = if v == 0 {
                text(&var.normalized).next().unwrap_or("")
            } else {
                let mut major =
                    text(&m.variants.variants[0].normalized).chain(std::iter::repeat(""));
                text(&var.normalized)
                    .find(|l| major.next() != Some(*l))
                    .unwrap_or("")
            };
            // a variant whose lines are all the majority's first ones (or none) says so
            let first = match (first, var.normalized.trim().is_empty()) {
                ("", true) => "(no output)".to_string(),
                ("", false) => "(fewer lines)".to_string(),
                (l, _) => crate::text::sanitize(l),
            };
            Row::new(vec![
                Cell::from(if v == 0 {
                    "#1 majority".to_string()
                } else {
                    format!("#{}", v + 1)
                }),
                Cell::from(var.members.len().to_string()),
                Cell::from(format!(
                    "{:.0}%",
                    var.members.len() as f64 * 100.0 / total as f64
                )),
                Cell::from(first),
                Cell::from(node_list(var)),
            ])
            .style(theme.style(if v == 0 { Role::Text } else { Role::Warning }))
        })
        .collect();
    let mut ts = TableState::default();
    if !rows.is_empty() {
        ts.select(Some(selected - top));
    }
    let table = Table::new(
        rows,
        [
            Constraint::Length(11),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Fill(1),
            Constraint::Length(nodes_w),
        ],
    )
    .header(header)
    .row_highlight_style(theme.style(Role::Selection))
    .block(
        Block::default()
            .borders(Borders::TOP)
            .title(format!(" {} · Enter: output + diff ", m.variants.summary()))
            .border_style(theme.style(Role::Border)),
    );
    frame.render_stateful_widget(table, area, &mut ts);
}

/// One variant: its nodes, its output (sanitised) and its diff against the majority.
fn render_detail(m: &CommandPane, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let lines = m.variant_lines(m.variant_selected);
    let h = area.height as usize;
    let max = lines.len().saturating_sub(h);
    let top = m.detail_scroll.min(max);
    let shown: Vec<Line> = lines
        .iter()
        .skip(top)
        .take(h)
        .map(|(k, t)| {
            let role = match k {
                DetailKind::Head => Role::Title,
                DetailKind::Text | DetailKind::Same => Role::Text,
                DetailKind::Added => Role::Ok,
                DetailKind::Removed => Role::Error,
                DetailKind::Skipped => Role::Muted,
            };
            Line::styled(t.clone(), theme.style(role))
        })
        .collect();
    frame.render_widget(Paragraph::new(shown), area);
}

fn render_viewer(
    v: &crate::actions::panes::command::OutputViewer,
    names: &std::collections::HashMap<String, String>,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    let [head, text] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let search = if v.search_editing || !v.search.is_empty() {
        let pos = if v.matches.is_empty() {
            "no match".to_string()
        } else {
            format!("{}/{}", v.current_match + 1, v.matches.len())
        };
        format!(
            " · /{}{} [{pos}]",
            crate::text::sanitize(&v.search),
            if v.search_editing { "█" } else { "" }
        )
    } else {
        String::new()
    };
    let status = if v.loading && v.output.is_none() {
        "loading…".to_string()
    } else {
        v.row.status.clone()
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(v.row.key.instance_id.clone(), theme.style(Role::Title)),
            Span::styled(
                format!(
                    " {} · {} · {} · {}{}{}{}",
                    crate::text::sanitize(&v.row.instance_name),
                    names
                        .get(&v.row.key.account_id)
                        .map(String::as_str)
                        .unwrap_or(v.row.key.account_id.as_str()),
                    v.row.key.region,
                    status,
                    if v.follow { " · follow" } else { "" },
                    if v.wrap { " · wrap" } else { "" },
                    search
                ),
                theme.style(Role::Text),
            ),
        ])),
        head,
    );
    if let Some(e) = &v.error {
        frame.render_widget(
            Paragraph::new(Line::styled(
                crate::text::sanitize(e),
                theme.style(Role::Error),
            ))
            .wrap(Wrap { trim: true }),
            text,
        );
        return;
    }
    let h = text.height as usize;
    let width = usize::from(text.width.max(1));
    let rows_of = |l: &crate::actions::output::OutputLine| {
        if v.wrap {
            unicode_width::UnicodeWidthStr::width(l.text.as_str())
                .div_ceil(width)
                .max(1)
        } else {
            1
        }
    };
    let top = if v.wrap && v.follow {
        // the tail, as many whole lines as their wrapped rows fit
        let mut rows = 0;
        let mut top = v.lines.len();
        while top > 0 && rows + rows_of(&v.lines[top - 1]) <= h {
            rows += rows_of(&v.lines[top - 1]);
            top -= 1;
        }
        top
    } else {
        v.top(h)
    };
    let current = v.matches.get(v.current_match).copied();
    let lines: Vec<Line> = v
        .lines
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(i, l)| {
            let role = match l.kind {
                LineKind::Step => Role::Title,
                LineKind::Stdout => Role::Text,
                LineKind::Stderr => Role::Error,
                LineKind::Note => Role::Warning,
            };
            let style = if Some(i) == current {
                theme.style(Role::Match)
            } else {
                theme.style(role)
            };
            Line::styled(l.text.clone(), style)
        })
        .collect();
    let para = Paragraph::new(lines);
    let para = if v.wrap {
        para.wrap(Wrap { trim: false })
    } else {
        para
    };
    frame.render_widget(para, text);
}
