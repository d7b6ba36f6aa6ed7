//! The patch-now pane: options, live blast-radius preview, typed confirmation. The model
//! (`crate::actions::panes::patch`) does the work; this file maps keys and draws.
//! Confirmed plans are sent by a background job through the mutation gate and the command
//! pane takes over (`command_output.rs`).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::actions::panes::PaneInput;
use crate::actions::panes::patch::{Field, PatchOutcome, PatchPane};
use crate::actions::plan::PatchPlan;
use crate::actions::targets::TargetScope;
use crate::model::{FleetSnapshot, PatchOperation};

use super::super::action::Action;
use super::super::theme::{Role, Theme};
use super::command_output::CommandOutputPane;
use super::contract::{Handled, Open, Pane, PaneCx, PaneSize, Selection, Spec};

pub const ID: &str = "patch_now";

pub const SPEC: Spec = Spec {
    id: ID,
    commands: &["patch", "patch-now"],
    describe: "Patch now: AWS-RunPatchBaseline on the marked / filtered nodes (:patch account ID | ou ID | group NAME)",
    action: Some(Action::PatchNow),
    table: false,
    scoped: false,
    open: Open::Pane(open),
};

fn open(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    let snap = sel
        .snapshot()
        .ok_or_else(|| "Patch now needs fleet data: wait for the first refresh".to_string())?;
    let scope = scope_from(sel, snap)?;
    Ok(Box::new(PatchNowPane {
        model: PatchPane::new(snap, scope, sel.readonly),
        snapshot: snap.clone(),
    }))
}

/// `:patch account 123456789012` (or its name, `:patch account web-prod`), `:patch ou
/// ou-ab12-cdef3456` (or its name or path), `:patch group Production`, else the selection's
/// nodes. An account or OU that is not in the picture is an error, never an empty target.
fn scope_from(sel: &Selection<'_>, snap: &FleetSnapshot) -> Result<TargetScope, String> {
    let args = sel.args.trim();
    if !args.is_empty() {
        let (kind, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        let rest = rest.trim();
        if rest.is_empty() {
            return Err(format!(
                "`:patch {args}`: use `:patch account ID`, `:patch ou ID` or `:patch group NAME`"
            ));
        }
        return match kind {
            "account" => snap
                .accounts
                .iter()
                .find(|a| a.id == rest)
                .or_else(|| {
                    snap.accounts
                        .iter()
                        .find(|a| a.name.eq_ignore_ascii_case(rest))
                })
                .map(|a| TargetScope::Account(a.id.clone()))
                .ok_or_else(|| {
                    format!(
                        "`:patch account {}`: no account with that id or name",
                        crate::text::sanitize(rest)
                    )
                }),
            "ou" => snap
                .organization
                .units
                .iter()
                .find(|u| u.id == rest)
                .or_else(|| {
                    snap.organization.units.iter().find(|u| {
                        u.name.eq_ignore_ascii_case(rest) || u.path.eq_ignore_ascii_case(rest)
                    })
                })
                .map(|u| TargetScope::Ou(u.id.clone()))
                .ok_or_else(|| {
                    format!(
                        "`:patch ou {}`: no OU with that id, name or path",
                        crate::text::sanitize(rest)
                    )
                }),
            "group" | "patchgroup" | "patch-group" => Ok(TargetScope::PatchGroup(rest.to_string())),
            other => Err(format!(
                "`:patch {other}`: use `:patch account ID`, `:patch ou ID` or `:patch group NAME`"
            )),
        };
    }
    let targets = sel.targets();
    if targets.nodes.is_empty() {
        return Err(
            "Patch now: no nodes selected — mark nodes (space) or filter the nodes view".into(),
        );
    }
    Ok(TargetScope::Nodes {
        label: if targets.from.is_empty() {
            format!("{} nodes", targets.nodes.len())
        } else {
            crate::text::sanitize(&targets.from)
        },
        keys: targets.nodes,
    })
}

pub struct PatchNowPane {
    model: PatchPane,
    snapshot: Arc<FleetSnapshot>,
}

impl PatchNowPane {
    fn apply(&mut self, input: PaneInput, cx: &mut PaneCx<'_>) {
        match self.model.input(&self.snapshot, input) {
            PatchOutcome::Nothing => {}
            PatchOutcome::Close => cx.close = true,
            PatchOutcome::Execute(plan) => self.execute(*plan, cx),
        }
    }

    fn execute(&mut self, plan: PatchPlan, cx: &mut PaneCx<'_>) {
        let title = format!("Patch now · {} · {}", plan.operation_label(), plan.scope);
        // the command pane owns the send-and-watch job (it starts when the pane opens)
        cx.open = Some(Box::new(CommandOutputPane::for_plan(
            title,
            plan,
            cx.readonly,
        )));
        cx.close = true;
    }
}

fn key_input(key: &KeyEvent) -> Option<PaneInput> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => return None,
        KeyCode::Char(c) if !ctrl => PaneInput::Char(c),
        KeyCode::Backspace => PaneInput::Backspace,
        KeyCode::Tab => PaneInput::NextField,
        KeyCode::BackTab => PaneInput::PrevField,
        KeyCode::Up => PaneInput::Up,
        KeyCode::Down => PaneInput::Down,
        KeyCode::Left => PaneInput::Left,
        KeyCode::Right => PaneInput::Right,
        KeyCode::Enter => PaneInput::Submit,
        KeyCode::Esc => PaneInput::Back,
        _ => return None,
    })
}

impl Pane for PatchNowPane {
    fn id(&self) -> &'static str {
        ID
    }

    fn title(&self) -> String {
        format!("Patch now · {}", self.model.scope.describe(&self.snapshot))
    }

    fn size(&self) -> PaneSize {
        PaneSize::Modal {
            width_pct: 90,
            height_pct: 85,
        }
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut PaneCx<'_>) -> bool {
        // A form: every key edits it, except on the choice fields where letters are free
        // for the keymap (space/left/right toggle them).
        let input = match key_input(key) {
            Some(i) => i,
            None => return false,
        };
        let on_choice = matches!(self.model.focus, Field::Operation | Field::Reboot);
        let input = match input {
            PaneInput::Char(' ') if on_choice => PaneInput::Toggle,
            PaneInput::Char(_) if on_choice => return false,
            i => i,
        };
        self.apply(input, cx);
        true
    }

    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled {
        let input = match action {
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

    fn data_changed(&mut self, cx: &mut PaneCx<'_>) {
        if let Some(s) = cx.snapshot
            && !self.model.sending
        {
            self.snapshot = s.clone();
            self.model.replan(&self.snapshot);
        }
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        render_patch(&self.model, frame, area, theme);
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Back, "close"),
            (Action::Open, "go"),
            (Action::NextTab, "next field"),
        ]
    }
}

/// Draw the patch-now pane (also used by snapshot tests).
pub fn render_patch(m: &PatchPane, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let [top, bottom] = Layout::vertical([Constraint::Min(8), Constraint::Length(5)]).areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(top);

    // options
    let mut lines = Vec::new();
    if m.readonly {
        lines.push(Line::styled(
            "READ-ONLY: preview only — sending will be refused",
            theme.style(Role::BadgeReadonly),
        ));
        lines.push(Line::raw(""));
    }
    let sizing = m
        .plan
        .as_ref()
        .ok()
        .and_then(|p| p.groups.first())
        .map(|g| {
            (
                g.batches[0].max_concurrency.clone(),
                g.batches[0].max_errors.clone(),
            )
        });
    for f in m.fields() {
        if f == Field::Confirm {
            continue;
        }
        let focused = m.focus == f;
        let marker = if focused { "› " } else { "  " };
        let label_style = if focused {
            theme.style(Role::Selection)
        } else {
            theme.style(Role::Text)
        };
        let value: Vec<Span> = match f {
            Field::Operation => choice(
                theme,
                &["Scan", "Install"],
                match m.operation {
                    PatchOperation::Install => 1,
                    // the pane only ever holds Scan or Install
                    PatchOperation::Scan | PatchOperation::Other(_) => 0,
                },
            ),
            Field::Reboot => choice(
                theme,
                &["RebootIfNeeded", "NoReboot"],
                match m.reboot {
                    crate::model::RebootOption::NoReboot => 1,
                    crate::model::RebootOption::RebootIfNeeded
                    | crate::model::RebootOption::Other(_) => 0,
                },
            ),
            Field::MaxConcurrency => text_value(
                theme,
                &m.max_concurrency,
                focused,
                sizing.as_ref().map(|s| format!("console sizing: {}", s.0)),
            ),
            Field::MaxErrors => text_value(
                theme,
                &m.max_errors,
                focused,
                sizing.as_ref().map(|s| format!("console sizing: {}", s.1)),
            ),
            Field::Comment => text_value(
                theme,
                &m.comment,
                focused,
                Some("optional, ≤ 100 chars".into()),
            ),
            Field::Confirm => Vec::new(),
        };
        let mut spans = vec![
            Span::styled(marker, theme.style(Role::Key)),
            Span::styled(format!("{:<16}", f.label()), label_style),
        ];
        spans.extend(value);
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "tab/↑↓ field · space/←→ change · enter go · esc close",
        theme.style(Role::Muted),
    ));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::RIGHT)
                .border_style(theme.style(Role::Border)),
        ),
        left,
    );

    // preview
    let mut lines: Vec<Line> = Vec::new();
    match &m.plan {
        Err(e) => lines.push(Line::styled(e.to_string(), theme.style(Role::Error))),
        Ok(p) => preview_lines(p, theme, &mut lines),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), right);

    // confirmation
    let mut lines = vec![Line::styled(
        m.prompt(),
        if m.plan.as_ref().is_ok_and(|p| p.preview.production.any()) {
            theme.style(Role::Critical)
        } else {
            theme.style(Role::Prompt)
        },
    )];
    if m.confirmation().is_some_and(|c| c.needs_typing()) {
        let focused = m.focus == Field::Confirm;
        lines.push(Line::from(vec![
            Span::styled("confirm › ", theme.style(Role::Key)),
            Span::styled(
                format!(
                    "{}{}",
                    crate::text::sanitize(&m.confirm_input),
                    if focused { "█" } else { "" }
                ),
                theme.style(Role::Text),
            ),
        ]));
    }
    if let Some(n) = &m.notice {
        let role = if m.sending { Role::Info } else { Role::Warning };
        lines.push(Line::styled(crate::text::sanitize(n), theme.style(role)));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(theme.style(Role::Border)),
        ),
        bottom,
    );
}

fn choice(theme: &Theme, options: &[&str], selected: usize) -> Vec<Span<'static>> {
    let mut v = Vec::new();
    for (i, o) in options.iter().enumerate() {
        if i > 0 {
            v.push(Span::raw("  "));
        }
        if i == selected {
            v.push(Span::styled(format!("[{o}]"), theme.style(Role::Title)));
        } else {
            v.push(Span::styled(format!(" {o} "), theme.style(Role::Muted)));
        }
    }
    v
}

fn text_value(
    theme: &Theme,
    value: &str,
    focused: bool,
    placeholder: Option<String>,
) -> Vec<Span<'static>> {
    let cursor = if focused { "█" } else { "" };
    if value.is_empty() {
        let mut v = vec![Span::raw(cursor.to_string())];
        if let Some(p) = placeholder {
            v.push(Span::styled(format!(" ({p})"), theme.style(Role::Muted)));
        }
        v
    } else {
        vec![Span::styled(
            format!("{}{cursor}", crate::text::sanitize(value)),
            theme.style(Role::Text),
        )]
    }
}

fn counts_line(label: &str, v: &[(String, usize)], theme: &Theme) -> Line<'static> {
    const MAX: usize = 6;
    let mut parts: Vec<String> = v
        .iter()
        .take(MAX)
        .map(|(k, n)| format!("{k}: {n}"))
        .collect();
    if v.len() > MAX {
        parts.push(format!("+{} more", v.len() - MAX));
    }
    Line::from(vec![
        Span::styled(format!("{label:<13}"), theme.style(Role::Muted)),
        Span::styled(parts.join(" · "), theme.style(Role::Text)),
    ])
}

fn preview_lines(p: &PatchPlan, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    let b = &p.preview;
    lines.push(Line::from(vec![
        Span::styled(
            format!(
                "{} target{}",
                b.targets,
                if b.targets == 1 { "" } else { "s" }
            ),
            theme.style(Role::Title),
        ),
        Span::styled(
            format!(
                " · {} account{} · {} region{} · {} SendCommand call{}",
                b.by_account.len(),
                if b.by_account.len() == 1 { "" } else { "s" },
                b.by_region.len(),
                if b.by_region.len() == 1 { "" } else { "s" },
                b.commands,
                if b.commands == 1 { "" } else { "s" }
            ),
            theme.style(Role::Text),
        ),
    ]));
    if b.production.any() {
        lines.push(Line::styled(
            format!("⚠ PRODUCTION {}", b.production.describe()),
            theme.style(Role::Critical),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(counts_line("Accounts", &b.by_account, theme));
    lines.push(counts_line("Regions", &b.by_region, theme));
    lines.push(counts_line("Platforms", &b.by_platform, theme));
    lines.push(counts_line("Patch groups", &b.by_patch_group, theme));
    lines.push(Line::raw(""));
    if p.exclusions.is_empty() {
        lines.push(Line::styled("Excluded     none", theme.style(Role::Muted)));
    } else {
        lines.push(counts_line("Excluded", &b.excluded, theme));
        for e in p.exclusions.iter().take(5) {
            let name = if e.name.is_empty() {
                String::new()
            } else {
                format!(" {}", e.name)
            };
            lines.push(Line::styled(
                format!("  {}{} — {}", e.key.instance_id, name, e.reason.describe()),
                theme.style(Role::Warning),
            ));
        }
        if p.exclusions.len() > 5 {
            lines.push(Line::styled(
                format!("  … and {} more", p.exclusions.len() - 5),
                theme.style(Role::Muted),
            ));
        }
    }
    lines.push(Line::raw(""));
    for g in p.groups.iter().take(6) {
        let sizes: Vec<String> = g
            .batches
            .iter()
            .map(|b| b.instance_ids.len().to_string())
            .collect();
        lines.push(Line::styled(
            format!(
                "{} {}: {} call{} ({}) · concurrency {} · errors {}",
                if g.account_name.is_empty() {
                    &g.account_id
                } else {
                    &g.account_name
                },
                g.region,
                g.batches.len(),
                if g.batches.len() == 1 { "" } else { "s" },
                sizes.join("+"),
                g.batches[0].max_concurrency,
                g.batches
                    .iter()
                    .map(|b| b.max_errors.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
            theme.style(Role::Muted),
        ));
    }
    if p.groups.len() > 6 {
        lines.push(Line::styled(
            format!("… and {} more account × region groups", p.groups.len() - 6),
            theme.style(Role::Muted),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::super::super::action::Msg;
    use super::super::super::effect::{Effect, Job, JobEvent, JobId, JobKind};
    use super::super::super::fixture;
    use super::super::super::keymap::Keymap;
    use super::super::super::state::{Meta, State};
    use super::super::super::theme::{ColorMode, Theme};
    use super::super::super::update::update;
    use super::super::command_output;
    use super::super::frame::render;
    use crate::actions::WatchEvent;
    use crate::model::{CommandInvocation, CommandPluginOutput, CommandSummary};

    fn keymap() -> Keymap {
        Keymap::load("default", std::path::Path::new("/nonexistent")).unwrap()
    }

    fn state(readonly: bool) -> State {
        let mut s = State::new(
            Meta {
                demo: true,
                readonly,
                theme: "default".into(),
                keymap: "default".into(),
                ..Default::default()
            },
            fixture::now(),
        );
        update(&mut s, Msg::Fleet(fixture::update()), &keymap());
        s
    }

    fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
        update(
            s,
            Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
            &keymap(),
        )
    }

    fn typed(s: &mut State, text: &str) {
        for c in text.chars() {
            key(s, KeyCode::Char(c));
        }
    }

    fn screen(s: &mut State, w: u16, h: u16) -> String {
        s.size = (w, h);
        s.prepare();
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let t = Theme::load_in(
            "default",
            std::path::Path::new("/nonexistent"),
            ColorMode::TrueColor,
        )
        .unwrap();
        let k = keymap();
        term.draw(|f| render(f, s, &t, &k)).unwrap();
        let buf = term.backend().buffer();
        let mut out = String::new();
        for y in 0..h {
            for x in 0..w {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    /// Filter to online nodes and mark the first two.
    fn mark_two_online(s: &mut State) {
        key(s, KeyCode::Char('/'));
        typed(s, "ping:online");
        key(s, KeyCode::Enter);
        key(s, KeyCode::Char(' '));
        key(s, KeyCode::Char(' '));
        assert_eq!(s.marks.len(), 2);
    }

    #[test]
    fn p_opens_the_preview_and_enter_sends_a_scan_through_a_job() {
        let mut s = state(false);
        mark_two_online(&mut s);
        key(&mut s, KeyCode::Char('p'));
        assert_eq!(s.panes.last().map(|p| p.id()), Some(super::ID));
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("2 targets"), "{text}");
        assert!(text.contains("Press Enter to scan 2 nodes"), "{text}");
        assert!(text.contains("[Scan]"), "{text}");
        let fx = key(&mut s, KeyCode::Enter);
        // the patch pane hands over to the command pane, which owns the send-and-watch job
        assert_eq!(s.panes.len(), 1);
        assert_eq!(s.panes[0].id(), command_output::ID);
        let owner = s.panes[0].owner;
        match fx.as_slice() {
            [Effect::Start(o, Job::SendPlan(plan))] => {
                assert_eq!(*o, owner);
                assert_eq!(plan.options.operation, crate::model::PatchOperation::Scan);
                assert_eq!(plan.target_count(), 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn install_asks_for_the_typed_count_and_shows_read_only() {
        let mut s = state(true);
        mark_two_online(&mut s);
        key(&mut s, KeyCode::Char('p'));
        key(&mut s, KeyCode::Char(' ')); // Operation → Install
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("[Install]"), "{text}");
        assert!(text.contains("READ-ONLY"), "{text}");
        assert!(text.contains("RebootIfNeeded"), "{text}");
        // Enter jumps to the confirmation, a wrong count does not send
        assert!(key(&mut s, KeyCode::Enter).is_empty());
        typed(&mut s, "3");
        let fx = key(&mut s, KeyCode::Enter);
        assert!(fx.is_empty(), "{fx:?}");
        assert!(screen(&mut s, 120, 40).contains("does not match"));
        key(&mut s, KeyCode::Backspace);
        let phrase = match &s.panes.last().map(|p| p.title()) {
            Some(_) => {
                // the phrase is the count, or the account name when one account
                let text = screen(&mut s, 120, 40);
                let start = text.find("Type `").expect("a typed confirmation") + 6;
                let end = start + text[start..].find('`').unwrap();
                text[start..end].to_string()
            }
            None => unreachable!(),
        };
        typed(&mut s, &phrase);
        let fx = key(&mut s, KeyCode::Enter);
        let owner = s.panes[0].owner;
        assert!(
            matches!(fx.as_slice(), [Effect::Start(o, Job::SendPlan(p))] if *o == owner && p.options.operation == crate::model::PatchOperation::Install),
            "{fx:?}"
        );
        // Esc on the command pane closes it and stops its job
        let fx = key(&mut s, KeyCode::Esc);
        assert!(s.panes.is_empty());
        assert_eq!(fx, [Effect::StopAll(owner)]);
    }

    #[test]
    fn command_pane_shows_live_status_counts_and_output() {
        let mut s = state(false);
        mark_two_online(&mut s);
        key(&mut s, KeyCode::Char('p'));
        key(&mut s, KeyCode::Enter);
        let ids: Vec<String> = {
            let snap = fixture::snapshot();
            let mut v: Vec<_> = snap
                .nodes
                .iter()
                .filter(|n| s.marks.contains(&n.instance_id))
                .map(|n| n.key())
                .collect();
            v.sort();
            v.into_iter().map(|k| k.instance_id).collect()
        };
        let snap = fixture::snapshot();
        let node = |id: &str| {
            snap.nodes
                .iter()
                .find(|n| n.instance_id == id)
                .unwrap()
                .clone()
        };
        let commands: Vec<CommandSummary> = ids
            .iter()
            .map(|id| {
                let n = node(id);
                CommandSummary {
                    command_id: format!("cmd-{id}"),
                    account_id: n.account_id.clone(),
                    region: n.region.clone(),
                    document_name: "AWS-RunPatchBaseline".into(),
                    instance_ids: vec![id.clone()],
                    ..CommandSummary::default()
                }
            })
            .collect();
        let owner = s.panes[0].owner;
        let send = |s: &mut State, e: WatchEvent| {
            let id = JobId {
                owner,
                kind: JobKind::SendPlan,
            };
            update(s, Msg::Job(id, JobEvent::Watch(e)), &keymap())
        };
        send(
            &mut s,
            WatchEvent::Sent {
                commands: commands.clone(),
                failures: vec![],
            },
        );
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("0/2 done"), "{text}");
        assert!(text.contains("2 Pending"), "{text}");
        let inv = |c: &CommandSummary, status: &str, out: &str| CommandInvocation {
            command_id: c.command_id.clone(),
            account_id: c.account_id.clone(),
            region: c.region.clone(),
            instance_id: c.instance_ids[0].clone(),
            status: status.into(),
            status_details: status.into(),
            plugins: vec![CommandPluginOutput {
                name: "PatchLinux".into(),
                status: status.into(),
                stdout: out.into(),
                ..CommandPluginOutput::default()
            }],
            ..CommandInvocation::default()
        };
        send(
            &mut s,
            WatchEvent::Invocations(vec![inv(&commands[0], "InProgress", "")]),
        );
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("1 InProgress"), "{text}");
        send(
            &mut s,
            WatchEvent::Invocations(vec![
                inv(&commands[0], "Success", "Patch operation completed.\n"),
                inv(&commands[1], "Success", "Patch operation completed.\n"),
            ]),
        );
        send(
            &mut s,
            WatchEvent::Finished {
                summary: "2/2 done · 2 Success".into(),
                refreshed: 2,
            },
        );
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("2/2 done"), "{text}");
        assert!(text.contains("2 Success"), "{text}");
        assert!(text.contains("2 nodes: identical output"), "{text}");
        assert!(text.contains("finished"), "{text}");
        // Enter opens the first target's output (fetched once by a job: it finished)
        let fx = key(&mut s, KeyCode::Enter);
        match fx.as_slice() {
            [Effect::Start(o, Job::FetchOutput { row, follow: false })] => {
                assert_eq!(*o, owner);
                assert_eq!(row.key.instance_id, ids[0]);
            }
            other => panic!("{other:?}"),
        }
        // cancel on a finished command explains instead of asking
        key(&mut s, KeyCode::Esc);
        key(&mut s, KeyCode::Char('c'));
        assert!(screen(&mut s, 120, 40).contains("Nothing to cancel"));
    }
}
