//! The patch-now pane model: options, live plan preview, typed confirmation.

use crate::model::{FleetSnapshot, PatchOperation, RebootOption};

use super::super::confirm::Confirmation;
use super::super::plan::{PatchOptions, PatchPlan, PlanError, plan_patch_now};
use super::super::targets::TargetScope;
use super::PaneInput;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Operation,
    Reboot,
    MaxConcurrency,
    MaxErrors,
    Comment,
    Confirm,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Operation => "Operation",
            Field::Reboot => "Reboot",
            Field::MaxConcurrency => "Max concurrency",
            Field::MaxErrors => "Max errors",
            Field::Comment => "Comment",
            Field::Confirm => "Confirm",
        }
    }
}

/// What the console should do after an input.
#[derive(Clone, Debug, PartialEq)]
pub enum PatchOutcome {
    Nothing,
    Close,
    /// Confirmed: send this plan through the gate.
    Execute(Box<PatchPlan>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct PatchPane {
    pub scope: TargetScope,
    pub operation: PatchOperation,
    pub reboot: RebootOption,
    /// Empty = the console's Patch now sizing.
    pub max_concurrency: String,
    pub max_errors: String,
    pub comment: String,
    pub focus: Field,
    pub confirm_input: String,
    pub plan: Result<PatchPlan, PlanError>,
    /// One line for the user (mismatched confirmation, blocked action, ...).
    pub notice: Option<String>,
    pub readonly: bool,
    /// Sent: waiting for the command pane.
    pub sending: bool,
    /// The user picked the reboot option; until then it follows the targets (NoReboot when
    /// any target is production, RebootIfNeeded otherwise).
    pub reboot_chosen: bool,
}

impl PatchPane {
    pub fn new(snapshot: &FleetSnapshot, scope: TargetScope, readonly: bool) -> Self {
        let mut p = PatchPane {
            scope,
            operation: PatchOperation::Scan,
            reboot: RebootOption::RebootIfNeeded,
            max_concurrency: String::new(),
            max_errors: String::new(),
            comment: String::new(),
            focus: Field::Operation,
            confirm_input: String::new(),
            plan: Err(PlanError::NoSelection),
            notice: None,
            readonly,
            sending: false,
            reboot_chosen: false,
        };
        p.replan(snapshot);
        p
    }

    /// Whether any target counts as production (the plan's blast radius says so).
    pub fn production(&self) -> bool {
        self.plan.as_ref().is_ok_and(|p| p.preview.production.any())
    }

    /// The reboot option nobody chose: never reboot production nodes unasked.
    fn default_reboot(&mut self, snapshot: &FleetSnapshot) {
        if self.reboot_chosen {
            return;
        }
        let want = if self.production() {
            RebootOption::NoReboot
        } else {
            RebootOption::RebootIfNeeded
        };
        if self.reboot != want {
            self.reboot = want;
            self.replan(snapshot);
        }
    }

    /// Why the reboot option is what it is (shown in the preview).
    pub fn reboot_reason(&self) -> &'static str {
        match (self.reboot_chosen, self.production()) {
            (true, _) => "chosen",
            (false, true) => "default: production targets are not rebooted unless you choose",
            (false, false) => "default",
        }
    }

    /// The console sizing the empty rate fields stand for, per account × region group
    /// (the console's unit): (MaxConcurrency, MaxErrors), each the distinct values over the
    /// plan's groups, e.g. ("1000", "1000") for a scan or ("1 / 5%", "1 / 5") for an install
    /// over small and mid-sized groups. Each call is then capped at its own target count.
    pub fn sizing_text(&self) -> Option<(String, String)> {
        let p = self.plan.as_ref().ok()?;
        let mut conc: Vec<String> = Vec::new();
        let mut errs: Vec<u32> = Vec::new();
        for g in &p.groups {
            let c = g.sizing.concurrency.to_api();
            if !conc.contains(&c) {
                conc.push(c);
            }
            if !errs.contains(&g.sizing.errors) {
                errs.push(g.sizing.errors);
            }
        }
        errs.sort_unstable();
        if conc.is_empty() {
            return None;
        }
        Some((
            conc.join(" / "),
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" / "),
        ))
    }

    pub fn options(&self) -> PatchOptions {
        PatchOptions {
            operation: self.operation,
            reboot: self.reboot,
            max_concurrency: Some(self.max_concurrency.clone()).filter(|s| !s.trim().is_empty()),
            max_errors: Some(self.max_errors.clone()).filter(|s| !s.trim().is_empty()),
            comment: self.comment.clone(),
            output: crate::model::CommandOutputConfig::default(),
        }
    }

    /// Recompute the plan (options changed, or a new snapshot arrived).
    pub fn replan(&mut self, snapshot: &FleetSnapshot) {
        self.plan = plan_patch_now(snapshot, &self.scope, &self.options());
        self.default_reboot(snapshot);
    }

    /// Fields in order (Reboot only for Install; Confirm only when typing is needed).
    pub fn fields(&self) -> Vec<Field> {
        let mut v = vec![Field::Operation];
        if self.operation == PatchOperation::Install {
            v.push(Field::Reboot);
        }
        v.extend([Field::MaxConcurrency, Field::MaxErrors, Field::Comment]);
        if self.confirmation().is_some_and(|c| c.needs_typing()) {
            v.push(Field::Confirm);
        }
        v
    }

    pub fn confirmation(&self) -> Option<&Confirmation> {
        self.plan.as_ref().ok().map(|p| &p.confirmation)
    }

    /// The text line under the form: what to do to go ahead.
    pub fn prompt(&self) -> String {
        match &self.plan {
            Err(e) => e.to_string(),
            Ok(p) => {
                let what = match self.operation {
                    PatchOperation::Scan | PatchOperation::Other(_) => format!(
                        "scan {} node{}",
                        p.target_count(),
                        if p.target_count() == 1 { "" } else { "s" }
                    ),
                    PatchOperation::Install => format!(
                        "install patches on {} node{} ({})",
                        p.target_count(),
                        if p.target_count() == 1 { "" } else { "s" },
                        self.reboot.as_str()
                    ),
                };
                p.confirmation.prompt(&what)
            }
        }
    }

    fn move_focus(&mut self, delta: isize) {
        let fields = self.fields();
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = fields.len() as isize;
        self.focus = fields[((i + delta).rem_euclid(n)) as usize];
    }

    fn changed(&mut self, snapshot: &FleetSnapshot) {
        self.replan(snapshot);
        self.confirm_input.clear();
        self.notice = None;
        if !self.fields().contains(&self.focus) {
            self.focus = Field::Operation;
        }
    }

    pub fn input(&mut self, snapshot: &FleetSnapshot, input: PaneInput) -> PatchOutcome {
        if self.sending {
            return match input {
                PaneInput::Back => PatchOutcome::Close,
                _ => PatchOutcome::Nothing,
            };
        }
        match input {
            PaneInput::Back => return PatchOutcome::Close,
            PaneInput::NextField | PaneInput::Down => self.move_focus(1),
            PaneInput::PrevField | PaneInput::Up => self.move_focus(-1),
            PaneInput::Left | PaneInput::Right | PaneInput::Toggle => match self.focus {
                Field::Operation => {
                    self.operation = match self.operation {
                        PatchOperation::Scan => PatchOperation::Install,
                        PatchOperation::Install | PatchOperation::Other(_) => PatchOperation::Scan,
                    };
                    self.changed(snapshot);
                }
                Field::Reboot => {
                    self.reboot_chosen = true;
                    self.reboot = match self.reboot {
                        RebootOption::RebootIfNeeded => RebootOption::NoReboot,
                        RebootOption::NoReboot | RebootOption::Other(_) => {
                            RebootOption::RebootIfNeeded
                        }
                    };
                    self.changed(snapshot);
                }
                _ if input == PaneInput::Toggle => self.type_char(snapshot, ' '),
                _ => {}
            },
            // typing on a choice field when a phrase is asked for: it is the phrase
            PaneInput::Char(c)
                if matches!(self.focus, Field::Operation | Field::Reboot)
                    && self.confirmation().is_some_and(|k| k.needs_typing()) =>
            {
                self.focus = Field::Confirm;
                self.type_char(snapshot, c);
            }
            PaneInput::Char(c) => self.type_char(snapshot, c),
            PaneInput::Backspace => {
                if let Some(s) = self.text_field() {
                    s.pop();
                    self.edited(snapshot);
                }
            }
            PaneInput::Submit => return self.submit(),
            _ => {}
        }
        PatchOutcome::Nothing
    }

    fn text_field(&mut self) -> Option<&mut String> {
        match self.focus {
            Field::MaxConcurrency => Some(&mut self.max_concurrency),
            Field::MaxErrors => Some(&mut self.max_errors),
            Field::Comment => Some(&mut self.comment),
            Field::Confirm => Some(&mut self.confirm_input),
            Field::Operation | Field::Reboot => None,
        }
    }

    fn type_char(&mut self, snapshot: &FleetSnapshot, c: char) {
        if c.is_control() {
            return;
        }
        let limit = match self.focus {
            Field::MaxConcurrency | Field::MaxErrors => 7,
            Field::Comment => super::super::plan::MAX_COMMENT_CHARS,
            Field::Confirm => 200,
            _ => return,
        };
        if let Some(s) = self.text_field()
            && s.chars().count() < limit
        {
            s.push(c);
            self.edited(snapshot);
        }
    }

    /// After a text edit: the confirmation text changes nothing in the plan, a comment only
    /// the comment (no replanning per keystroke on a large fleet), the rate controls replan.
    fn edited(&mut self, snapshot: &FleetSnapshot) {
        match self.focus {
            Field::Confirm => self.notice = None,
            Field::Comment => {
                let comment = crate::text::sanitize(self.comment.trim());
                match &mut self.plan {
                    Ok(p) => {
                        p.comment = comment.clone();
                        p.options.comment = comment;
                    }
                    Err(_) => self.changed(snapshot),
                }
            }
            _ => self.changed(snapshot),
        }
    }

    fn submit(&mut self) -> PatchOutcome {
        let plan = match &self.plan {
            Ok(p) => p,
            Err(e) => {
                self.notice = Some(e.to_string());
                return PatchOutcome::Nothing;
            }
        };
        match &plan.confirmation {
            Confirmation::PressEnter => {}
            // typed already (from any field): it counts
            Confirmation::Type { .. } if plan.confirmation.accepts(&self.confirm_input) => {}
            Confirmation::Type { phrase, .. } => {
                if self.focus != Field::Confirm && self.confirm_input.trim().is_empty() {
                    self.focus = Field::Confirm;
                    self.notice = Some(format!("Type `{phrase}` to confirm"));
                    return PatchOutcome::Nothing;
                }
                if !plan.confirmation.accepts(&self.confirm_input) {
                    self.notice = Some(format!(
                        "That does not match: type `{phrase}` exactly (Esc to go back)"
                    ));
                    return PatchOutcome::Nothing;
                }
            }
        }
        self.sending = true;
        self.notice = Some("Sending…".into());
        PatchOutcome::Execute(Box::new(plan.clone()))
    }

    /// The gate refused or every batch failed: show why and allow another try.
    pub fn send_failed(&mut self, message: String) {
        self.sending = false;
        self.notice = Some(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, Node, PingStatus, PlatformType};

    fn snap() -> FleetSnapshot {
        let mut s = FleetSnapshot {
            accounts: vec![
                Account {
                    id: "111111111111".into(),
                    name: "dev".into(),
                    ..Account::default()
                },
                Account {
                    id: "222222222222".into(),
                    name: "shop".into(),
                    ..Account::default()
                },
            ],
            ..FleetSnapshot::default()
        };
        for (i, acct) in ["111111111111", "111111111111", "222222222222"]
            .iter()
            .enumerate()
        {
            s.nodes.push(Node {
                instance_id: format!("i-{i:017x}"),
                account_id: acct.to_string(),
                region: "us-east-1".into(),
                platform_type: PlatformType::Linux,
                ping_status: PingStatus::Online,
                ..Node::default()
            });
        }
        s
    }

    fn all(s: &FleetSnapshot) -> TargetScope {
        TargetScope::marked(s.nodes.iter().map(|n| n.key()).collect())
    }

    #[test]
    fn scan_goes_on_enter() {
        let s = snap();
        let mut p = PatchPane::new(&s, all(&s), false);
        assert!(
            p.prompt().contains("Press Enter to scan 3 nodes"),
            "{}",
            p.prompt()
        );
        match p.input(&s, PaneInput::Submit) {
            PatchOutcome::Execute(plan) => assert_eq!(plan.target_count(), 3),
            o => panic!("{o:?}"),
        }
        assert!(p.sending);
        assert_eq!(
            p.input(&s, PaneInput::Submit),
            PatchOutcome::Nothing,
            "no double send"
        );
    }

    #[test]
    fn install_needs_the_typed_count() {
        let s = snap();
        let mut p = PatchPane::new(&s, all(&s), false);
        p.input(&s, PaneInput::Toggle);
        assert_eq!(p.operation, PatchOperation::Install);
        assert!(p.fields().contains(&Field::Reboot));
        assert!(p.fields().contains(&Field::Confirm));
        assert_eq!(p.input(&s, PaneInput::Submit), PatchOutcome::Nothing);
        assert_eq!(p.focus, Field::Confirm);
        for c in "2".chars() {
            p.input(&s, PaneInput::Char(c));
        }
        assert_eq!(p.input(&s, PaneInput::Submit), PatchOutcome::Nothing);
        assert!(p.notice.as_deref().unwrap().contains("type `3` exactly"));
        p.input(&s, PaneInput::Backspace);
        p.input(&s, PaneInput::Char('3'));
        assert!(matches!(
            p.input(&s, PaneInput::Submit),
            PatchOutcome::Execute(_)
        ));
    }

    #[test]
    fn changing_options_resets_the_confirmation() {
        let s = snap();
        let scope = TargetScope::Account("111111111111".into());
        let mut p = PatchPane::new(&s, scope, false);
        p.input(&s, PaneInput::Right); // Install
        p.input(&s, PaneInput::Submit); // focus → Confirm
        for c in "dev".chars() {
            p.input(&s, PaneInput::Char(c));
        }
        // go back and change the reboot option: typed text is cleared
        p.focus = Field::Reboot;
        p.input(&s, PaneInput::Toggle);
        assert_eq!(p.reboot, RebootOption::NoReboot);
        assert!(p.confirm_input.is_empty());
        // bad override shows the error instead of sending
        p.focus = Field::MaxConcurrency;
        p.input(&s, PaneInput::Char('0'));
        assert!(p.plan.is_err());
        assert_eq!(p.input(&s, PaneInput::Submit), PatchOutcome::Nothing);
        assert!(p.notice.as_deref().unwrap().contains("MaxConcurrency"));
        p.input(&s, PaneInput::Backspace);
        assert!(p.plan.is_ok());
    }

    #[test]
    fn comment_edits_keep_the_typed_confirmation() {
        let s = snap();
        let mut p = PatchPane::new(&s, all(&s), false);
        p.input(&s, PaneInput::Toggle); // Install
        p.input(&s, PaneInput::Submit); // → Confirm
        p.input(&s, PaneInput::Char('3'));
        p.focus = Field::Comment;
        for c in "CVE fix".chars() {
            p.input(&s, PaneInput::Char(c));
        }
        assert_eq!(p.confirm_input, "3");
        assert_eq!(p.plan.as_ref().unwrap().comment, "CVE fix");
        p.focus = Field::Confirm;
        match p.input(&s, PaneInput::Submit) {
            PatchOutcome::Execute(plan) => assert_eq!(plan.comment, "CVE fix"),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn failed_send_can_be_retried_and_esc_closes() {
        let s = snap();
        let mut p = PatchPane::new(&s, all(&s), true);
        assert!(matches!(
            p.input(&s, PaneInput::Submit),
            PatchOutcome::Execute(_)
        ));
        p.send_failed("read-only mode: SendCommand was not sent".into());
        assert!(!p.sending);
        assert_eq!(p.input(&s, PaneInput::Back), PatchOutcome::Close);
    }

    fn prod(s: &FleetSnapshot) -> FleetSnapshot {
        let mut s = s.clone();
        for n in &mut s.nodes {
            n.patch_group = Some("Production".into());
        }
        s
    }

    #[test]
    fn production_targets_install_without_reboot_unless_the_user_chooses() {
        let s = prod(&snap());
        let mut p = PatchPane::new(&s, all(&s), false);
        p.input(&s, PaneInput::Toggle); // Install
        assert_eq!(p.reboot, RebootOption::NoReboot);
        assert!(p.prompt().contains("(NoReboot)"), "{}", p.prompt());
        assert!(p.reboot_reason().contains("production"));
        assert_eq!(
            p.plan.as_ref().unwrap().parameters.get("RebootOption"),
            Some(&vec!["NoReboot".to_string()])
        );
        // an explicit choice sticks
        p.focus = Field::Reboot;
        p.input(&s, PaneInput::Toggle);
        assert_eq!(p.reboot, RebootOption::RebootIfNeeded);
        assert_eq!(p.reboot_reason(), "chosen");
        // not production: the console default
        let s2 = snap();
        let mut q = PatchPane::new(&s2, all(&s2), false);
        q.input(&s2, PaneInput::Toggle);
        assert_eq!(q.reboot, RebootOption::RebootIfNeeded);
    }

    #[test]
    fn a_phrase_typed_on_a_choice_field_is_the_confirmation_and_enter_sends() {
        let s = snap();
        let mut p = PatchPane::new(&s, all(&s), false);
        p.input(&s, PaneInput::Toggle); // Install, focus still on Operation
        assert_eq!(p.focus, Field::Operation);
        p.input(&s, PaneInput::Char('3'));
        assert_eq!(p.focus, Field::Confirm, "typing jumps to the confirmation");
        assert_eq!(p.confirm_input, "3");
        // typed first, Enter from another field still sends
        p.focus = Field::Comment;
        assert!(matches!(
            p.input(&s, PaneInput::Submit),
            PatchOutcome::Execute(_)
        ));
    }

    #[test]
    fn sizing_text_is_the_console_sizing_not_a_per_call_cap() {
        let mut s = snap();
        // one account × region group of 30 nodes
        let base = s.nodes[0].clone();
        s.nodes = (0..30)
            .map(|i| Node {
                instance_id: format!("i-{i:017x}"),
                ..base.clone()
            })
            .collect();
        let mut p = PatchPane::new(&s, all(&s), false);
        assert_eq!(
            p.sizing_text(),
            Some(("1000".to_string(), "1000".to_string()))
        );
        p.input(&s, PaneInput::Toggle); // Install: 25–100 nodes → 5% / 5
        assert_eq!(p.sizing_text(), Some(("5%".to_string(), "5".to_string())));
    }
}
