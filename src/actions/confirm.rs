//! Confirmation rules for mutating actions.
//!
//! The rules, precisely:
//! 1. **Scan** (reads the node, changes nothing on it): pressing Enter in the action pane
//!    confirms. No typed text.
//! 2. **Install**: the user types a phrase and presses Enter. The phrase is
//!    - the account's name, when every target is in one account and that account has a
//!      (non-empty) name — e.g. `payments-dev`;
//!    - otherwise the number of target nodes after exclusions, in decimal — e.g. `37`.
//! 3. **Install with production targets** (any target whose patch group, OU path or account
//!    name is production — see [`super::targets::is_production_name`]): the phrase from
//!    rule 2 followed by a space and the word `production` — e.g. `37 production` or
//!    `payments-prod production`.
//! 4. Matching: leading/trailing whitespace is ignored and runs of inner whitespace count
//!    as one space; otherwise the comparison is exact (case-sensitive), so a wrong node
//!    count or account name never confirms.
//! 5. **Cancel a running command**: a dialog naming the command and its running targets;
//!    Enter confirms, Esc keeps it running.
//! 6. **Run Command** (any command or document: it may change the node): Enter confirms
//!    only for a single target outside production; otherwise the phrase of rule 2 (the
//!    account's name, else the target count), with ` production` appended as in rule 3
//!    when any target is production — e.g. `40` or `payments-prod production`.
//!
//! The gate ([`super::gate::Gate`]) is independent of this: a confirmed action is still
//! refused when read-only mode is on.

use crate::model::PatchOperation;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Enter confirms.
    PressEnter,
    /// The user must type `phrase` exactly (see rule 4), then Enter.
    Type { phrase: String, production: bool },
}

impl Confirmation {
    /// Rules 1–3. `single_account_name` is the account name when all targets are in one account.
    pub fn for_patch(
        operation: PatchOperation,
        targets: usize,
        single_account_name: Option<&str>,
        production: bool,
    ) -> Self {
        match operation {
            PatchOperation::Scan => Confirmation::PressEnter,
            // anything but a scan asks for the typed phrase
            PatchOperation::Install | PatchOperation::Other(_) => {
                let name = single_account_name
                    .map(|n| normalize(&crate::text::sanitize(n)))
                    .filter(|n| !n.is_empty());
                let base = name.unwrap_or_else(|| targets.to_string());
                let phrase = if production {
                    format!("{base} production")
                } else {
                    base
                };
                Confirmation::Type { phrase, production }
            }
        }
    }

    /// Rule 6.
    pub fn for_run(targets: usize, single_account_name: Option<&str>, production: bool) -> Self {
        if targets <= 1 && !production {
            return Confirmation::PressEnter;
        }
        Self::for_patch(
            PatchOperation::Install,
            targets,
            single_account_name,
            production,
        )
    }

    /// Rule 5.
    pub fn for_cancel() -> Self {
        Confirmation::PressEnter
    }

    /// What the pane shows above the input line.
    pub fn prompt(&self, what: &str) -> String {
        match self {
            Confirmation::PressEnter => format!("Press Enter to {what}, Esc to go back."),
            Confirmation::Type { phrase, production } => {
                let warn = if *production {
                    "PRODUCTION targets included. "
                } else {
                    ""
                };
                format!("{warn}Type `{phrase}` and press Enter to {what}, Esc to go back.")
            }
        }
    }

    /// Whether `input` (the typed text; ignored for PressEnter) confirms.
    pub fn accepts(&self, input: &str) -> bool {
        match self {
            Confirmation::PressEnter => true,
            Confirmation::Type { phrase, .. } => normalize(input) == *phrase,
        }
    }

    pub fn needs_typing(&self) -> bool {
        matches!(self, Confirmation::Type { .. })
    }
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_command_asks_for_the_phrase_unless_one_node_outside_production() {
        assert_eq!(
            Confirmation::for_run(1, Some("dev"), false),
            Confirmation::PressEnter
        );
        assert!(Confirmation::for_run(1, Some("shop"), true).accepts("shop production"));
        let c = Confirmation::for_run(40, None, false);
        assert!(c.accepts("40") && !c.accepts(""));
    }

    #[test]
    fn scan_is_enter_even_in_production() {
        let c = Confirmation::for_patch(PatchOperation::Scan, 500, None, true);
        assert_eq!(c, Confirmation::PressEnter);
        assert!(c.accepts(""));
    }

    #[test]
    fn install_across_accounts_types_the_count() {
        let c = Confirmation::for_patch(PatchOperation::Install, 37, None, false);
        assert!(c.accepts("37"));
        assert!(c.accepts("  37 "));
        assert!(!c.accepts("36"));
        assert!(!c.accepts(""));
        assert!(!c.accepts("y"));
    }

    #[test]
    fn install_in_one_account_types_its_name() {
        let c = Confirmation::for_patch(PatchOperation::Install, 4, Some("payments dev"), false);
        assert!(c.accepts("payments  dev"));
        assert!(!c.accepts("Payments dev"));
        assert!(!c.accepts("4"));
        // an unnamed account falls back to the count
        let c = Confirmation::for_patch(PatchOperation::Install, 4, Some("  "), false);
        assert!(c.accepts("4"));
    }

    #[test]
    fn production_needs_the_extra_word() {
        let c = Confirmation::for_patch(PatchOperation::Install, 12, None, true);
        assert!(!c.accepts("12"));
        assert!(c.accepts("12 production"));
        assert!(c.prompt("install").contains("PRODUCTION"));
        let c = Confirmation::for_patch(PatchOperation::Install, 3, Some("shop-prod"), true);
        assert!(c.accepts("shop-prod production"));
        assert!(!c.accepts("shop-prod"));
    }

    #[test]
    fn hostile_account_name_is_sanitized_in_the_phrase() {
        let c =
            Confirmation::for_patch(PatchOperation::Install, 2, Some("evil\u{1b}[2Jname"), false);
        assert!(c.accepts("evilname"));
    }
}
