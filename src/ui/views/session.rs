//! Session Manager: on a node, suspend the console and run `aws ssm start-session` with that
//! account's credentials in the child's environment (through the mutation gate), then
//! resume. Offline nodes and missing tools are explained instead of tried.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::actions::session::{self, SessionPlan};
use crate::model::{Node, NodeKey};

use super::super::action::Action;
use super::super::effect::{Effect, Job, JobEvent, JobKind};
use super::super::theme::{Role, Theme};
use super::contract::{Handled, Open, Pane, PaneCx, PaneSize, Selection, Spec};

pub const ID: &str = "session";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["session", "ssh", "shell"],
    describe: "Session Manager shell on the selected node (aws ssm start-session)",
    action: Some(Action::Session),
    table: false,
    scoped: false,
    open: Open::Pane(open),
};

fn open(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    let snap = sel.snapshot().ok_or_else(|| {
        "Session Manager needs fleet data: wait for the first refresh".to_string()
    })?;
    let key: NodeKey = sel
        .node()
        .ok_or_else(|| "Select a node first (in :nodes or a node's detail)".to_string())?;
    let node: Node = snap
        .node(&key)
        .cloned()
        .ok_or_else(|| format!("{} is no longer in the fleet", key.instance_id))?;
    // offline and missing tools: explain now, do not try
    let probe = session::plan_session(&node, std::path::Path::new("aws"), Vec::new(), None);
    if let Err(e) = probe {
        return Err(e.to_string());
    }
    let (aws, _plugin) =
        session::find_tools(std::env::var_os("PATH").as_deref()).map_err(|e| e.to_string())?;
    Ok(Box::new(SessionPane {
        node,
        aws,
        started: false,
        status: "Getting credentials for the account…".into(),
        error: false,
        plan: None,
    }))
}

pub struct SessionPane {
    node: Node,
    aws: std::path::PathBuf,
    started: bool,
    status: String,
    error: bool,
    plan: Option<Box<SessionPlan>>,
}

impl SessionPane {
    /// A pane for `node` that has not started (tests draw it without the plugin on PATH).
    #[cfg(test)]
    pub fn for_tests(node: Node) -> SessionPane {
        SessionPane {
            node,
            aws: "aws".into(),
            started: false,
            status: "Getting credentials for the account…".into(),
            error: false,
            plan: None,
        }
    }

    fn start(&mut self, cx: &mut PaneCx<'_>) {
        if self.started {
            return;
        }
        self.started = true;
        cx.start(Job::PrepareSession {
            node: Box::new(self.node.clone()),
            aws: self.aws.clone(),
        });
    }
}

impl Pane for SessionPane {
    fn id(&self) -> &'static str {
        ID
    }

    fn title(&self) -> String {
        format!("Session Manager · {}", self.node.instance_id)
    }

    fn size(&self) -> PaneSize {
        PaneSize::Modal {
            width_pct: 60,
            height_pct: 30,
        }
    }

    fn opened(&mut self, cx: &mut PaneCx<'_>) {
        self.start(cx);
    }

    fn key(&mut self, _key: &KeyEvent, cx: &mut PaneCx<'_>) -> bool {
        self.start(cx);
        false
    }

    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled {
        self.start(cx);
        match action {
            Action::Back => {
                cx.close = true;
                Handled::Consumed
            }
            _ => Handled::NotConsumed,
        }
    }

    fn job(&mut self, _kind: JobKind, event: JobEvent, cx: &mut PaneCx<'_>) {
        match event {
            JobEvent::SessionReady(plan, command) => {
                self.status = format!("Running {} …", plan.display());
                self.plan = Some(plan);
                cx.effects.push(Effect::Foreground(cx.owner, command));
            }
            JobEvent::SessionFailed(e) => {
                self.status = e.clone();
                self.error = true;
                cx.error(e);
            }
            JobEvent::Exited(status) => {
                let text = match &status {
                    Ok(s) => format!("session ended ({s})"),
                    Err(e) => format!("session could not run: {e}"),
                };
                if let Some(plan) = self.plan.take() {
                    // recorded in the audit log (finishes even though the pane closes)
                    cx.start(Job::SessionEnded {
                        plan,
                        status: text.clone(),
                    });
                }
                match status {
                    Ok(_) => cx.toast(text),
                    Err(_) => cx.error(text),
                }
                cx.close = true;
            }
            _ => {}
        }
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let mut lines = vec![
            Line::styled(
                format!(
                    "{} · {} · account {} · {}",
                    crate::text::sanitize(&self.node.name),
                    self.node.instance_id,
                    self.node.account_id,
                    self.node.region
                ),
                theme.style(Role::Title),
            ),
            Line::raw(""),
            Line::styled(
                crate::text::sanitize(&self.status),
                theme.style(if self.error { Role::Error } else { Role::Text }),
            ),
        ];
        if !self.started {
            lines.push(Line::styled(
                "Press Enter to start the session, Esc to go back",
                theme.style(Role::Prompt),
            ));
        } else if !self.error && self.plan.is_none() {
            lines.push(Line::styled(
                "The console is suspended while the session runs; exit the shell to come back.",
                theme.style(Role::Muted),
            ));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
    }
}
