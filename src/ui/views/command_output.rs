//! The command pane: every target of one or more Run Command commands with live status,
//! progress and counts per status, identical outputs grouped; Enter opens a target's output
//! (per step, scrollable, searchable, following while it runs); cancel with confirmation;
//! save to a file. The model is `crate::actions::panes::command`; background jobs (watch,
//! fetch output, cancel, save) report back as pane messages.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Gauge, Paragraph, Row, Table, TableState, Wrap};

use crate::actions::output::{LineKind, TargetOutput};
use crate::actions::panes::PaneInput;
use crate::actions::panes::command::{CommandOutcome, CommandPane};
use crate::actions::plan::PatchPlan;
use crate::actions::tracker::TargetRow;
use crate::actions::{CancelRequest, WatchConfig, WatchEvent};
use crate::model::CommandSummary;

use super::super::action::{Action, Effect, JobCtx, PanePayload};
use super::super::pane::{Handled, Pane, PaneCx, PaneSize, PaneSpec, Selection};
use super::super::theme::{Role, Theme};

pub const ID: &str = "command_output";

/// Payloads of this pane's jobs.
enum Payload {
    Watch(WatchEvent),
    Output(Result<TargetOutput, String>),
    Cancelled(Vec<String>),
    Saved(Result<PathBuf, String>),
}

pub fn spec() -> PaneSpec {
    PaneSpec {
        id: ID,
        action: Some(Action::CommandOutput),
        commands: &["output", "command-output"],
        describe: "Run Command output of the selected command (live while it runs)",
        open,
    }
}

fn open(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    if let Some(cmd) = sel.command {
        return Ok(Box::new(CommandOutputPane::for_command(
            cmd.clone(),
            sel.readonly,
        )));
    }
    if let Some(inv) = sel.invocation {
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
    /// Stops the output job's follow loop (viewer closed, follow off).
    follow: Option<tokio_util::sync::CancellationToken>,
    /// The watch job is started on the first chance to emit an effect.
    pending_job: Option<Effect>,
    spinner: usize,
    now: DateTime<Utc>,
    /// Account id → name (sanitized), as every other view shows accounts.
    names: std::collections::HashMap<String, String>,
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
    }

    /// After a confirmed patch-now: the pane plus the job that sends, watches and refreshes.
    pub fn for_plan(title: String, plan: PatchPlan, readonly: bool) -> (Self, Effect) {
        let pane = CommandOutputPane {
            model: CommandPane::new(title, &[], readonly),
            follow: None,
            pending_job: None,
            spinner: 0,
            now: Utc::now(),
            names: Default::default(),
        };
        (pane, patch_job(plan))
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
        CommandOutputPane {
            model: CommandPane::new(title, std::slice::from_ref(&cmd), readonly),
            follow: None,
            pending_job: Some(watch_job(cmd)),
            spinner: 0,
            now: Utc::now(),
            names: Default::default(),
        }
    }

    fn flush_job(&mut self, cx: &mut PaneCx<'_>) {
        if let Some(e) = self.pending_job.take() {
            cx.effects.push(e);
        }
    }

    fn apply(&mut self, input: PaneInput, cx: &mut PaneCx<'_>) {
        self.flush_job(cx);
        let following = self.model.viewer.as_ref().is_some_and(|v| v.follow);
        match self.model.input(input) {
            CommandOutcome::Nothing => {}
            CommandOutcome::Close => {
                self.stop_follow();
                cx.close = true;
            }
            CommandOutcome::FetchOutput(row) => {
                self.stop_follow();
                let token = tokio_util::sync::CancellationToken::new();
                let follow = !row.is_terminal();
                if follow {
                    self.follow = Some(token.clone());
                }
                cx.effects.push(output_job(*row, follow.then_some(token)));
            }
            CommandOutcome::Cancel(reqs) => cx.effects.push(cancel_job(reqs)),
            CommandOutcome::Save(outs) => cx.effects.push(save_job(outs)),
        }
        // viewer closed or follow switched off: stop reading; switched back on: read again
        match &self.model.viewer {
            None => self.stop_follow(),
            Some(v) if !v.follow => self.stop_follow(),
            Some(v) if !following && self.follow.is_none() && !v.row.is_terminal() => {
                let token = tokio_util::sync::CancellationToken::new();
                self.follow = Some(token.clone());
                cx.effects.push(output_job(v.row.clone(), Some(token)));
            }
            Some(_) => {}
        }
    }

    fn stop_follow(&mut self) {
        if let Some(t) = self.follow.take() {
            t.cancel();
        }
    }
}

fn job(
    f: impl FnOnce(JobCtx) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
    + Send
    + 'static,
) -> Effect {
    Effect::Job {
        pane: ID,
        job: Box::new(f),
    }
}

fn patch_job(plan: PatchPlan) -> Effect {
    job(move |ctx: JobCtx| {
        Box::pin(async move {
            let Some(fleet) = ctx.services.clients.clone() else {
                ctx.send(Payload::Watch(WatchEvent::Sent {
                    commands: Vec::new(),
                    failures: vec!["not connected to AWS in this session: nothing was sent".into()],
                }));
                return;
            };
            let gate = ctx.services.gate.clone();
            let refresher = ctx.services.refresher();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let fwd_ctx = ctx.clone();
            let fwd = tokio::spawn(async move {
                while let Some(e) = rx.recv().await {
                    if !fwd_ctx.send(Payload::Watch(e)) {
                        break;
                    }
                }
            });
            let cancel = tokio_util::sync::CancellationToken::new();
            crate::actions::patch_now(
                &gate,
                &fleet,
                &refresher,
                &plan,
                &WatchConfig::default(),
                Some(&tx),
                &cancel,
            )
            .await;
            drop(tx);
            let _ = fwd.await;
        })
    })
}

fn watch_job(cmd: CommandSummary) -> Effect {
    job(move |ctx: JobCtx| {
        Box::pin(async move {
            let Some(fleet) = ctx.services.clients.clone() else {
                ctx.send(Payload::Watch(WatchEvent::PollError {
                    command_id: cmd.command_id.clone(),
                    message: "not connected to AWS in this session".into(),
                }));
                return;
            };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let fwd_ctx = ctx.clone();
            let fwd = tokio::spawn(async move {
                while let Some(e) = rx.recv().await {
                    if !fwd_ctx.send(Payload::Watch(e)) {
                        break;
                    }
                }
            });
            let cancel = tokio_util::sync::CancellationToken::new();
            let tracker = crate::actions::watch::watch(
                &fleet,
                std::slice::from_ref(&cmd),
                &WatchConfig::default(),
                Some(&tx),
                &cancel,
            )
            .await;
            let _ = tx.send(WatchEvent::Finished {
                summary: tracker.summary(),
                refreshed: 0,
            });
            drop(tx);
            let _ = fwd.await;
        })
    })
}

/// Read a target's output; with `follow`, keep re-reading it every few seconds until every
/// step finished or the token is cancelled (viewer closed, follow off).
fn output_job(row: TargetRow, follow: Option<tokio_util::sync::CancellationToken>) -> Effect {
    job(move |ctx: JobCtx| {
        Box::pin(async move {
            let Some(clients) = ctx.services.clients.clone() else {
                ctx.send(Payload::Output(Err(
                    "not connected to AWS in this session".into()
                )));
                return;
            };
            loop {
                let r = crate::actions::watch::fetch_output(
                    &clients,
                    &row,
                    std::time::Duration::from_secs(20),
                )
                .await
                .map_err(|e| e.to_string());
                let finished = match &r {
                    Ok(o) => {
                        !o.plugins.is_empty()
                            && o.plugins.iter().all(|p| {
                                crate::actions::tracker::is_terminal(
                                    &crate::actions::tracker::display_status(
                                        &p.status,
                                        &p.status_details,
                                    ),
                                )
                            })
                    }
                    Err(_) => false,
                };
                if !ctx.send(Payload::Output(r)) || finished {
                    return;
                }
                let Some(token) = &follow else { return };
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(crate::actions::panes::command::FOLLOW_INTERVAL) => {}
                }
            }
        })
    })
}

fn cancel_job(reqs: Vec<CancelRequest>) -> Effect {
    job(move |ctx: JobCtx| {
        Box::pin(async move {
            let mut errors = Vec::new();
            match ctx.services.clients.clone() {
                Some(fleet) => {
                    for r in &reqs {
                        if let Err(e) = ctx.services.gate.cancel_command(&fleet, r).await {
                            errors.push(e.to_string());
                        }
                    }
                }
                None => errors.push("not connected to AWS in this session".into()),
            }
            ctx.send(Payload::Cancelled(errors));
        })
    })
}

fn save_job(outs: Vec<TargetOutput>) -> Effect {
    job(move |ctx: JobCtx| {
        Box::pin(async move {
            let dir = crate::config::Paths::resolve().exports_dir();
            let cmd = outs
                .first()
                .map(|o| o.command_id.clone())
                .unwrap_or_default();
            let name = if outs.len() == 1 {
                format!("command-{cmd}-{}.txt", outs[0].key.instance_id)
            } else {
                format!("command-{cmd}-{}-targets.txt", outs.len())
            };
            let path = dir.join(name);
            let r = tokio::task::spawn_blocking(move || {
                crate::actions::output::save(&path, &outs).map(|_| path)
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
            ctx.send(Payload::Saved(r));
        })
    })
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
        let searching = self.model.viewer.as_ref().is_some_and(|v| v.search_editing);
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

    fn message(&mut self, payload: PanePayload, cx: &mut PaneCx<'_>) {
        self.flush_job(cx);
        let Ok(p) = payload.downcast::<Payload>() else {
            return;
        };
        match *p {
            Payload::Watch(WatchEvent::Sent { commands, failures }) => {
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
            Payload::Watch(WatchEvent::Invocations(invs)) => self.model.apply(&invs),
            Payload::Watch(WatchEvent::PollError { message, .. }) => {
                self.model.poll_error = Some(message)
            }
            Payload::Watch(WatchEvent::Finished { summary, refreshed }) => {
                if refreshed > 0 {
                    cx.toast(format!(
                        "Finished: {summary} · refreshing {refreshed} node(s)"
                    ));
                }
                self.model.finish(summary, refreshed);
            }
            Payload::Output(r) => self.model.output_loaded(r, cx.now),
            Payload::Cancelled(errors) => {
                if errors.is_empty() {
                    cx.toast("Cancel requested");
                } else {
                    self.model.notice = Some(errors[0].clone());
                    cx.error(errors[0].clone());
                }
            }
            Payload::Saved(Ok(path)) => cx.toast(format!("Saved to {}", path.display())),
            Payload::Saved(Err(e)) => cx.error(format!("Could not save the output: {e}")),
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
            vec![
                (Action::Back, "close"),
                (Action::Open, "output"),
                (Action::CancelCommand, "cancel"),
                (Action::SaveOutput, "save"),
            ]
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
    let group = if m.groups.total > 0 {
        m.groups.summary()
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
        None => {
            let header = Row::new(
                [
                    "Node", "Name", "Account", "Region", "Status", "Code", "Duration",
                ]
                .map(|h| Cell::from(h).style(theme.style(Role::TableHeader))),
            );
            let rows: Vec<Row> = m
                .tracker
                .rows()
                .iter()
                .map(|r| {
                    Row::new(vec![
                        Cell::from(r.key.instance_id.clone()),
                        Cell::from(crate::text::sanitize(&r.instance_name)),
                        Cell::from(
                            names
                                .get(&r.key.account_id)
                                .cloned()
                                .unwrap_or_else(|| r.key.account_id.clone()),
                        ),
                        Cell::from(r.key.region.clone()),
                        Cell::from(r.status.clone()).style(theme.style(status_role(&r.status))),
                        Cell::from(
                            r.response_code
                                .map(|c| c.to_string())
                                .unwrap_or_else(|| "—".into()),
                        ),
                        Cell::from(fmt_duration(r.duration(now))),
                    ])
                })
                .collect();
            let mut ts = TableState::default();
            if !rows.is_empty() {
                ts.select(Some(m.selected.min(rows.len() - 1)));
            }
            let table = Table::new(
                rows,
                [
                    Constraint::Length(20),
                    Constraint::Min(12),
                    Constraint::Length(13),
                    Constraint::Length(15),
                    Constraint::Length(17),
                    Constraint::Length(5),
                    Constraint::Length(8),
                ],
            )
            .header(header)
            .row_highlight_style(theme.style(Role::Selection))
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(theme.style(Role::Border)),
            );
            frame.render_stateful_widget(table, body, &mut ts);
        }
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
                    " {} · {} · {} · {}{}{}",
                    crate::text::sanitize(&v.row.instance_name),
                    names
                        .get(&v.row.key.account_id)
                        .map(String::as_str)
                        .unwrap_or(v.row.key.account_id.as_str()),
                    v.row.key.region,
                    status,
                    if v.follow { " · follow" } else { "" },
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
    let top = v.top(h);
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
    frame.render_widget(Paragraph::new(lines), text);
}

/// A watch event as this pane's job would deliver it (tests drive the pane with these).
#[cfg(test)]
pub fn test_payload(e: WatchEvent) -> PanePayload {
    Box::new(Payload::Watch(e))
}
