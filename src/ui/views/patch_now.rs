//! The patch-now pane: options, live blast-radius preview, typed confirmation. The model
//! (`crate::actions::panes::patch`) does the work; this file maps keys and draws.
//! Confirmed plans are sent by a background job through the mutation gate and the command
//! pane takes over (`command_output.rs`).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::actions::panes::PaneInput;
use crate::actions::panes::patch::{Field, PatchOutcome, PatchPane};
use crate::actions::plan::PatchPlan;
use crate::actions::targets::TargetScope;
use crate::model::{FleetSnapshot, PatchOperation};

use super::super::action::Action;
use super::super::theme::{Role, Theme};
use super::command_output::CommandOutputPane;
use super::contract::{Handled, Open, Pane, PaneCx, PaneSize, Selection, Spec};
use super::preview::{
    ConfirmBlock, PreviewLine, choice, pl, radius_body, radius_head, render_form, text_value,
};

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
        scroll: 0,
        last: std::cell::Cell::new(None),
        max_scroll: std::cell::Cell::new(0),
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
    selected_scope(sel, "Patch now")
}

pub struct PatchNowPane {
    model: PatchPane,
    snapshot: Arc<FleetSnapshot>,
    /// Preview scroll (rows).
    scroll: usize,
    /// Inside of the pane at the last draw (None before the first), and the preview's
    /// largest scroll then.
    last: std::cell::Cell<Option<(u16, u16)>>,
    max_scroll: std::cell::Cell<usize>,
}

impl PatchNowPane {
    fn too_small(&self) -> bool {
        self.last.get().is_some_and(too_small)
    }
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

/// The keys the form reads itself (besides its keymap section), for the help: every key
/// [`key_input`] maps is named here (a test checks it).
pub const FORM_KEYS: &[(&str, &str)] = &[
    ("tab backtab ↑ ↓", "next / previous field"),
    ("space ← →", "change a choice (Operation, RebootOption)"),
    (
        "letters backspace",
        "type in a text field; on a choice field: the confirmation phrase",
    ),
    (
        "enter",
        "go ahead (Scan: at once; Install: after the typed confirmation)",
    ),
    ("pgup pgdn", "scroll the preview"),
    ("esc", "close"),
];

pub(crate) fn key_input(key: &KeyEvent) -> Option<PaneInput> {
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
        PaneSize::Full
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut PaneCx<'_>) -> bool {
        // A form: every key edits it, except on the choice fields where letters are free
        // for the keymap (space/left/right toggle them) — unless a phrase is asked for:
        // then typing is the phrase (the model moves to the confirmation field).
        let input = match key_input(key) {
            Some(i) => i,
            None => return false,
        };
        // too small to show the form: only Esc (close) works, Enter does nothing
        if self.too_small() {
            if input == PaneInput::Back {
                self.apply(input, cx);
            }
            return true;
        }
        let on_choice = matches!(self.model.focus, Field::Operation | Field::Reboot);
        let typing = self.model.confirmation().is_some_and(|c| c.needs_typing());
        let input = match input {
            PaneInput::Char(' ') if on_choice => PaneInput::Toggle,
            PaneInput::Char(_) if on_choice && !typing => return false,
            i => i,
        };
        self.apply(input, cx);
        true
    }

    fn action(&mut self, action: Action, cx: &mut PaneCx<'_>) -> Handled {
        if self.too_small() {
            return match action {
                Action::Back => {
                    self.apply(PaneInput::Back, cx);
                    Handled::Consumed
                }
                Action::Quit => Handled::NotConsumed,
                _ => Handled::Consumed,
            };
        }
        let input = match action {
            Action::PageDown | Action::PageUp => {
                let d = (self.last.get().map(|l| l.1).unwrap_or(10) / 2).max(1) as usize;
                self.scroll = if action == Action::PageDown {
                    (self.scroll + d).min(self.max_scroll.get())
                } else {
                    self.scroll.saturating_sub(d)
                };
                return Handled::Consumed;
            }
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
        self.last.set(Some((area.width, area.height)));
        let max = render_patch(&self.model, frame, area, theme, self.scroll);
        self.max_scroll.set(max);
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.too_small() {
            return vec![(Action::Back, "close")];
        }
        vec![
            (Action::Back, "close"),
            (Action::Open, "go"),
            (Action::NextTab, "next field"),
            (Action::PageDown, "preview"),
        ]
    }
}

pub use super::preview::{MIN_HEIGHT, MIN_TERMINAL, MIN_WIDTH, selected_scope, too_small};
/// From this inner width the preview sits beside the options.
const SIDE_BY_SIDE: u16 = 100;
/// Options column width when side by side (the longest option line fits).
const LEFT_W: u16 = 50;
/// Option labels.
const LABEL_W: usize = 17;

/// The option lines (at most 7), each shorter than [`LEFT_W`] / [`MIN_WIDTH`].
fn option_lines(m: &PatchPane, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if m.readonly {
        lines.push(Line::styled(
            "READ-ONLY: preview only — sending is refused",
            theme.style(Role::BadgeReadonly),
        ));
    }
    let sizing = m.sizing_text();
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
        // room for a text value after the marker and the label
        let room = (width as usize).saturating_sub(2 + LABEL_W + 1);
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
                &["NoReboot", "RebootIfNeeded"],
                match m.reboot {
                    crate::model::RebootOption::NoReboot => 0,
                    crate::model::RebootOption::RebootIfNeeded
                    | crate::model::RebootOption::Other(_) => 1,
                },
            ),
            Field::MaxConcurrency => text_value(
                theme,
                &m.max_concurrency,
                focused,
                sizing.as_ref().map(|s| format!("auto: {}", s.0)),
                room,
            ),
            Field::MaxErrors => text_value(
                theme,
                &m.max_errors,
                focused,
                sizing.as_ref().map(|s| format!("auto: {}", s.1)),
                room,
            ),
            Field::Comment => text_value(
                theme,
                &m.comment,
                focused,
                Some("optional, ≤ 100 chars".into()),
                room,
            ),
            Field::Confirm => Vec::new(),
        };
        let mut spans = vec![
            Span::styled(marker, theme.style(Role::Key)),
            Span::styled(format!("{:<LABEL_W$}", f.label()), label_style),
        ];
        spans.extend(value);
        lines.push(Line::from(spans));
    }
    lines.push(Line::styled(
        if m.confirmation().is_some_and(|c| c.needs_typing()) {
            "tab/↑↓ field · space/←→ change · type the phrase"
        } else {
            "tab/↑↓ field · space/←→ change · enter go"
        },
        theme.style(Role::Muted),
    ));
    lines
}

/// The preview: blast radius, options as they will be sent, every exclusion and call.
fn preview(m: &PatchPane) -> Vec<PreviewLine> {
    let p = match &m.plan {
        Err(e) => return vec![pl("", e.to_string(), Role::Error)],
        Ok(p) => p,
    };
    let b = &p.preview;
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let mut out = radius_head(b);
    out.push(pl("", "", Role::Text));
    match m.operation {
        PatchOperation::Install => {
            out.push(pl("Operation", "Install", Role::Text));
            out.push(pl(
                "Reboot",
                format!("{} ({})", m.reboot.as_str(), m.reboot_reason()),
                if m.reboot == crate::model::RebootOption::RebootIfNeeded && b.production.any() {
                    Role::Critical
                } else {
                    Role::Text
                },
            ));
        }
        _ => out.push(pl(
            "Operation",
            "Scan (reads the nodes, changes nothing)",
            Role::Text,
        )),
    }
    let sizing = m.sizing_text();
    let rate = |typed: &str, auto: Option<&String>| {
        if typed.trim().is_empty() {
            auto.map(|a| format!("{a} (console sizing)"))
                .unwrap_or_else(|| "-".into())
        } else {
            crate::text::sanitize(typed.trim())
        }
    };
    out.push(pl(
        "Rate",
        format!(
            "MaxConcurrency {} · MaxErrors {}, per account × region; a call never asks for more than its targets",
            rate(&m.max_concurrency, sizing.as_ref().map(|x| &x.0)),
            rate(&m.max_errors, sizing.as_ref().map(|x| &x.1))
        ),
        Role::Text,
    ));
    // how SendCommand names the targets: a tag when they are exactly its nodes
    out.push(match &p.tag_target {
        Some((k, v)) => pl(
            "Targets",
            format!(
                "Key=tag:{},Values={} — exactly these {} nodes (tags as last read); one call per account × region",
                crate::text::sanitize(k),
                crate::text::sanitize(v),
                b.targets
            ),
            Role::Text,
        ),
        None => pl(
            "Targets",
            "instance ids (no tag's nodes are exactly these), at most 50 per call",
            Role::Text,
        ),
    });
    if !p.comment.is_empty() {
        out.push(pl("Comment", p.comment.clone(), Role::Text));
    }
    out.push(pl("", "", Role::Text));
    out.extend(radius_body(b, &p.exclusions, true));
    out.push(pl("", "", Role::Text));
    for (i, g) in p.groups.iter().enumerate() {
        let sizes: Vec<String> = g
            .batches
            .iter()
            .map(|b| b.instance_ids.len().to_string())
            .collect();
        out.push(pl(
            if i == 0 { "Calls" } else { "" },
            format!(
                "{} {}: {} call{} ({}) · concurrency {} · errors {}",
                crate::text::sanitize(if g.account_name.is_empty() {
                    &g.account_id
                } else {
                    &g.account_name
                }),
                g.region,
                g.batches.len(),
                s(g.batches.len()),
                sizes.join("+"),
                g.batches[0].max_concurrency,
                g.batches
                    .iter()
                    .map(|b| b.max_errors.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
            Role::Muted,
        ));
    }
    out
}

/// The confirmation block: what to do, the typed phrase, the last notice.
fn confirm_lines(m: &PatchPane, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let block = ConfirmBlock {
        prompt: m.prompt(),
        production: m.production(),
        typing: m.confirmation().is_some_and(|c| c.needs_typing()),
        input: &m.confirm_input,
        focused: m.focus == Field::Confirm,
        notice: m.notice.as_deref(),
        sending: m.sending,
    };
    super::preview::confirm_lines(&block, theme, width)
}

/// Draw the patch-now pane into the inside of its frame (also used by snapshot tests).
/// `scroll` is the preview's first row; returns the largest useful scroll.
pub fn render_patch(
    m: &PatchPane,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    scroll: usize,
) -> usize {
    if too_small((area.width, area.height)) {
        let msg = format!(
            "Patch now needs a terminal of at least {}×{}. Enlarge it, or press Esc to close.",
            MIN_TERMINAL.0, MIN_TERMINAL.1
        );
        frame.render_widget(
            Paragraph::new(Line::styled(msg, theme.style(Role::Warning))).wrap(Wrap { trim: true }),
            area,
        );
        return 0;
    }
    let confirm = confirm_lines(m, theme, area.width);
    let side = area.width >= SIDE_BY_SIDE;
    let opts_w = if side { LEFT_W } else { area.width };
    let options = option_lines(m, theme, opts_w);
    render_form(
        frame,
        area,
        theme,
        options,
        &preview(m),
        confirm,
        scroll,
        SIDE_BY_SIDE,
        LEFT_W,
    )
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyCode;

    use super::super::super::action::Msg;
    use super::super::super::effect::{Effect, Job, JobEvent, JobId, JobKind};
    use super::super::super::fixture;
    use super::super::super::pane_tests::{key, keymap, mark_online, screen, snap, state, typed};
    use super::super::super::state::State;
    use super::super::super::update::update;
    use super::super::command_output;
    use crate::actions::WatchEvent;
    use crate::model::{CommandInvocation, CommandPluginOutput, CommandSummary};
    #[test]
    fn no_option_wraps_or_is_cut_from_80x24_to_200x60() {
        let mut s = state(false);
        key(&mut s, KeyCode::Char('p'));
        for install in [false, true] {
            if install {
                key(&mut s, KeyCode::Char(' '));
            }
            for (w, h) in [
                (80u16, 24u16),
                (90, 30),
                (100, 30),
                (120, 40),
                (160, 50),
                (200, 60),
            ] {
                let text = screen(&mut s, w, h);
                let row = |label: &str| {
                    text.lines()
                        .find(|l| l.contains(label))
                        .unwrap_or_else(|| panic!("{w}x{h}: no `{label}`:\n{text}"))
                        .to_string()
                };
                let op = row("Operation   ");
                assert!(
                    op.contains("Scan") && op.contains("Install"),
                    "{w}x{h}: {op}"
                );
                if install {
                    let r = row("Reboot   ");
                    assert!(
                        r.contains("[NoReboot]") && r.contains("RebootIfNeeded"),
                        "{w}x{h}: {r}"
                    );
                }
                assert!(row("Max concurrency").contains("(auto: "), "{w}x{h}");
                assert!(row("Max errors").contains("(auto: "), "{w}x{h}");
                // nothing of the form starts a row on its own (a wrapped choice)
                for l in text.lines() {
                    let t = l.trim_start_matches('│');
                    for w in ["NoReboot", "Install", "RebootIfNeeded", "sizing"] {
                        assert!(!t.starts_with(w), "wrapped `{w}`: {l}\n{text}");
                    }
                }
                // the confirmation is there in full
                assert!(
                    text.contains(if install {
                        "Type `"
                    } else {
                        "Press Enter to scan"
                    }),
                    "{w}x{h}:\n{text}"
                );
            }
        }
        snap("patch_now", "install", &mut s);
        key(&mut s, KeyCode::Char(' '));
        snap("patch_now", "scan", &mut s);
    }

    #[test]
    fn scan_sizing_is_the_console_sizing_not_the_per_call_cap() {
        let mut s = state(false);
        key(&mut s, KeyCode::Char('p'));
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("(auto: 1000)"), "{text}");
        assert!(
            text.contains("MaxConcurrency 1000 (console sizing)"),
            "{text}"
        );
        assert!(!text.contains("console sizing: 1)"), "{text}");
    }

    #[test]
    fn too_small_says_so_and_enter_does_nothing() {
        let mut s = state(false);
        key(&mut s, KeyCode::Char('p'));
        let (w, h) = super::MIN_TERMINAL;
        let text = screen(&mut s, w - 1, h);
        assert!(text.contains(&format!("at least {w}×{h}")), "{text}");
        assert!(key(&mut s, KeyCode::Enter).is_empty());
        assert_eq!(s.panes.last().map(|p| p.id()), Some(super::ID));
        let text = screen(&mut s, w - 1, h);
        assert!(!text.contains("Sending"), "{text}");
        // at the minimum the form is there; Esc closes at any size
        assert!(screen(&mut s, w, h).contains("Operation"));
        screen(&mut s, w, h - 1);
        key(&mut s, KeyCode::Esc);
        assert!(s.panes.is_empty());
    }

    #[test]
    fn typing_the_phrase_before_enter_is_not_ignored() {
        let mut s = state(false);
        mark_online(&mut s, 2);
        key(&mut s, KeyCode::Char('p'));
        key(&mut s, KeyCode::Char(' ')); // Install; the focus stays on Operation
        let text = screen(&mut s, 120, 40);
        let start = text.find("Type `").expect("a typed confirmation") + 6;
        let end = start + text[start..].find('`').unwrap();
        let phrase = text[start..end].to_string();
        typed(&mut s, &phrase);
        let text = screen(&mut s, 120, 40);
        assert!(text.contains(&format!("confirm › {phrase}")), "{text}");
        let fx = key(&mut s, KeyCode::Enter);
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::Start(_, Job::SendPlan(_)))),
            "{fx:?}"
        );
    }

    #[test]
    fn production_targets_default_to_no_reboot_in_the_preview() {
        let mut s = state(false);
        key(&mut s, KeyCode::Char('p'));
        key(&mut s, KeyCode::Char(' '));
        let text = screen(&mut s, 200, 60);
        assert!(text.contains("⚠ PRODUCTION"), "{text}");
        assert!(text.contains("[NoReboot]"), "{text}");
        assert!(
            text.contains("NoReboot (default: production targets"),
            "{text}"
        );
        assert!(text.contains("(NoReboot)"), "the prompt names it: {text}");
    }

    #[test]
    fn p_opens_the_preview_and_enter_sends_a_scan_through_a_job() {
        let mut s = state(false);
        mark_online(&mut s, 2);
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
        mark_online(&mut s, 2);
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
        mark_online(&mut s, 2);
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
        assert!(text.contains("outputs: 2 identical"), "{text}");
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
