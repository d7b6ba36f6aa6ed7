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

use super::super::action::{Action, Effect, JobCtx, PanePayload};
use super::super::pane::{Handled, Pane, PaneCx, PaneSize, PaneSpec, Selection};
use super::super::theme::{Role, Theme};

pub const ID: &str = "session";

enum Payload {
    Ready(Box<SessionPlan>, std::process::Command),
    Failed(String),
}

pub fn spec() -> PaneSpec {
    PaneSpec {
        id: ID,
        action: Some(Action::Session),
        commands: &["session", "ssh", "shell"],
        describe: "Session Manager shell on the selected node (aws ssm start-session)",
        open,
    }
}

fn open(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    let snap = sel.snapshot.ok_or_else(|| {
        "Session Manager needs fleet data: wait for the first refresh".to_string()
    })?;
    let key: NodeKey = sel
        .node
        .clone()
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
        let node = self.node.clone();
        let aws = self.aws.clone();
        cx.effects.push(Effect::Job {
            pane: ID,
            job: Box::new(move |ctx: JobCtx| {
                Box::pin(async move {
                    let Some(fleet) = ctx.services.ssm() else {
                        ctx.send(Payload::Failed(
                            "not connected to AWS in this session".into(),
                        ));
                        return;
                    };
                    let env = match fleet.credentials_env(&node.account_id, &node.region).await {
                        Ok(e) => e,
                        Err(e) => {
                            ctx.send(Payload::Failed(e.to_string()));
                            return;
                        }
                    };
                    let endpoint = fleet.endpoint_url();
                    let plan = match session::plan_session(&node, &aws, env, endpoint.as_deref()) {
                        Ok(p) => p,
                        Err(e) => {
                            ctx.send(Payload::Failed(e.to_string()));
                            return;
                        }
                    };
                    ctx.services.gate.learn_caller(&fleet);
                    match ctx.services.gate.start_session(&plan) {
                        Ok(cmd) => ctx.send(Payload::Ready(Box::new(plan), cmd)),
                        Err(e) => ctx.send(Payload::Failed(e.to_string())),
                    };
                })
            }),
        });
    }
}

impl SessionPane {
    fn handle(&mut self, p: Payload, cx: &mut PaneCx<'_>) {
        match p {
            Payload::Ready(plan, command) => {
                self.status = format!("Running {} …", plan.display());
                self.plan = Some(plan);
                cx.effects.push(Effect::Foreground { pane: ID, command });
            }
            Payload::Failed(e) => {
                self.status = e.clone();
                self.error = true;
                cx.error(e);
            }
        }
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

    fn message(&mut self, payload: PanePayload, cx: &mut PaneCx<'_>) {
        let payload = match payload.downcast::<Payload>() {
            Ok(p) => {
                self.handle(*p, cx);
                return;
            }
            Err(other) => other,
        };
        if let Ok(status) = cx_status(payload) {
            let text = match &status {
                Ok(s) => format!("session ended ({s})"),
                Err(e) => format!("session could not run: {e}"),
            };
            if let Some(plan) = &self.plan {
                let gate_msg = text.clone();
                let plan = plan.clone();
                cx.effects.push(Effect::Job {
                    pane: ID,
                    job: Box::new(move |ctx: JobCtx| {
                        Box::pin(async move { ctx.services.gate.session_ended(&plan, &gate_msg) })
                    }),
                });
            }
            match status {
                Ok(_) => cx.toast(text),
                Err(_) => cx.error(text),
            }
            cx.close = true;
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

fn cx_status(
    payload: PanePayload,
) -> Result<Result<std::process::ExitStatus, String>, PanePayload> {
    payload
        .downcast::<Result<std::process::ExitStatus, String>>()
        .map(|b| *b)
}
