//! Command mode (`:`): view switching with aliases and k9s-style arguments
//! (`:nodes prod-web`, `:nodes Workloads`), fuzzy completion, and commands registered by panes.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::state::{Data, ViewKind};

/// What a command line means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    View(ViewKind, Option<String>),
    Quit,
    Help,
    Refresh,
    /// A registered pane, with arguments.
    Pane(&'static str, String),
}

/// Built-in commands: (canonical, aliases, description).
pub const BUILTIN: &[(&str, &[&str], &str)] = &[
    (
        "org",
        &["o", "ou", "ous", "orgs", "accounts", "tree"],
        "Organization tree with roll-ups",
    ),
    (
        "nodes",
        &["n", "no", "node", "ec2", "instances", "mi"],
        "Managed nodes (:nodes <account-or-ou>)",
    ),
    (
        "compliance",
        // neither `patch` nor `patches`: `:pat<Tab>` must complete to `:patch`, and
        // `:patch [account ID | ou ID | group NAME]` opens the patch-now pane
        &["c", "comp", "dash", "dashboard"],
        "Compliance dashboard",
    ),
    (
        "certs",
        &["cert", "acm", "certificates"],
        "ACM certificates by expiry (:certs <account-or-ou>)",
    ),
    (
        "commands",
        &["cmd", "cmds", "runs", "history"],
        "Run Command history",
    ),
    ("errors", &["err", "errs"], "What could not be read"),
    ("help", &["h", "?"], "Key and command help"),
    ("refresh", &["r", "reload"], "Refresh now"),
    ("quit", &["q", "q!", "exit", "qa"], "Quit"),
];

/// Lines for the help overlay.
pub fn help_lines() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = BUILTIN
        .iter()
        .map(|(n, a, d)| (format!(":{n}"), format!("{d}  (aliases: {})", a.join(" "))))
        .collect();
    for p in super::pane::registry() {
        if let Some(c) = p.commands.first() {
            v.push((format!(":{c}"), p.describe.to_string()));
        }
    }
    v
}

/// Parse `input` (without the leading `:`).
pub fn parse(input: &str) -> Result<Command, String> {
    let mut it = input.trim().splitn(2, char::is_whitespace);
    let word = it.next().unwrap_or("").to_ascii_lowercase();
    let arg = it
        .next()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if word.is_empty() {
        return Err("empty command".into());
    }
    let canonical = BUILTIN
        .iter()
        .find(|(n, a, _)| *n == word || a.contains(&word.as_str()))
        .map(|(n, _, _)| *n);
    match canonical {
        Some("org") => Ok(Command::View(ViewKind::Org, arg)),
        Some("nodes") => Ok(Command::View(ViewKind::Nodes, arg)),
        Some("compliance") => Ok(Command::View(ViewKind::Compliance, arg)),
        Some("certs") => Ok(Command::View(ViewKind::Certs, arg)),
        Some("commands") => Ok(Command::View(ViewKind::Commands, arg)),
        Some("errors") => Ok(Command::View(ViewKind::Errors, arg)),
        Some("help") => Ok(Command::Help),
        Some("refresh") => Ok(Command::Refresh),
        Some("quit") => Ok(Command::Quit),
        _ => {
            for p in super::pane::registry() {
                if p.commands.iter().any(|c| *c == word) {
                    return Ok(Command::Pane(p.id, arg.unwrap_or_default()));
                }
            }
            Err(format!(
                "unknown command `{word}` — try :nodes, :org, :compliance, :certs, :commands, :errors"
            ))
        }
    }
}

/// Completions for what is typed so far, best first: command names, then (after a view
/// command and a space) account and OU names.
pub fn complete(input: &str, data: Option<&Data>) -> Vec<String> {
    let matcher = SkimMatcherV2::default().ignore_case();
    let mut scored: Vec<(i64, String)> = Vec::new();
    if let Some((cmd, arg)) = input.split_once(' ') {
        let parsed = parse(cmd);
        // `:patch account|ou|group NAME`: complete the kind, then the names
        let mut prefix = cmd.to_string();
        let mut arg = arg.trim_start();
        if matches!(parsed, Ok(Command::Pane("patch_now", _))) {
            match arg.split_once(' ') {
                None => {
                    return ["account", "ou", "group"]
                        .iter()
                        .filter(|k| k.starts_with(arg))
                        .map(|k| format!("{cmd} {k}"))
                        .collect();
                }
                Some((kind, rest)) if kind == "account" || kind == "ou" => {
                    prefix = format!("{cmd} {kind}");
                    arg = rest;
                }
                Some(_) => return Vec::new(),
            }
        } else if !matches!(
            parsed,
            Ok(Command::View(ViewKind::Nodes | ViewKind::Certs, _))
        ) {
            return Vec::new();
        }
        let cmd = prefix.as_str();
        let Some(d) = data else { return Vec::new() };
        let arg = arg.trim();
        let mut names: Vec<String> = d
            .snapshot
            .accounts
            .iter()
            .map(|a| crate::text::sanitize(&a.name))
            .chain(
                d.snapshot
                    .organization
                    .units
                    .iter()
                    .map(|u| crate::text::sanitize(&u.name)),
            )
            .filter(|n| !n.is_empty() && !n.contains(' '))
            .collect();
        names.sort();
        names.dedup();
        for n in names {
            let score = if arg.is_empty() {
                Some(0)
            } else {
                matcher.fuzzy_match(&n, arg)
            };
            if let Some(s) = score {
                scored.push((s, format!("{cmd} {n}")));
            }
        }
    } else {
        let mut cands: Vec<(&str, Vec<&str>)> =
            BUILTIN.iter().map(|(n, a, _)| (*n, a.to_vec())).collect();
        let reg = super::pane::registry();
        for p in &reg {
            if let Some((first, rest)) = p.commands.split_first() {
                cands.push((first, rest.to_vec()));
            }
        }
        for (name, aliases) in cands {
            // an exact name or alias first, then a prefix of the canonical name, then a
            // prefix of an alias, then fuzzy matches
            let best = std::iter::once((name, true))
                .chain(aliases.into_iter().map(|a| (a, false)))
                .filter_map(|(c, canonical)| {
                    if input.is_empty() {
                        Some(0)
                    } else if c == input {
                        Some(10_000)
                    } else {
                        let bonus = match (c.starts_with(input), canonical) {
                            (true, true) => 2000,
                            (true, false) => 1000,
                            _ => 0,
                        };
                        matcher.fuzzy_match(c, input).map(|s| s + bonus)
                    }
                })
                .max();
            if let Some(s) = best {
                scored.push((s, name.to_string()));
            }
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, s)| s).take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_arguments() {
        assert_eq!(parse("no").unwrap(), Command::View(ViewKind::Nodes, None));
        assert_eq!(
            parse("nodes  prod-web ").unwrap(),
            Command::View(ViewKind::Nodes, Some("prod-web".into()))
        );
        assert_eq!(parse("q!").unwrap(), Command::Quit);
        assert_eq!(parse("ACM").unwrap(), Command::View(ViewKind::Certs, None));
        // `:patch account ID` (README) opens the patch-now pane, not the dashboard
        assert_eq!(
            parse("patch account 111111111111").unwrap(),
            Command::Pane("patch_now", "account 111111111111".into())
        );
        assert!(
            parse("frobnicate")
                .unwrap_err()
                .contains("unknown command `frobnicate`")
        );
    }

    #[test]
    fn fuzzy_completion_prefers_prefixes() {
        assert_eq!(
            complete("ce", None).first().map(String::as_str),
            Some("certs")
        );
        assert_eq!(
            complete("cmp", None).first().map(String::as_str),
            Some("compliance")
        );
        assert_eq!(
            complete("err", None).first().map(String::as_str),
            Some("errors")
        );
        assert!(complete("", None).len() >= 6);
        // `:pat<Tab>` is `:patch`, never the dashboard (whose alias used to win)
        assert_eq!(
            complete("pat", None).first().map(String::as_str),
            Some("patch")
        );
        assert_eq!(
            complete("patch ", None),
            ["patch account", "patch ou", "patch group"]
        );
        assert_eq!(complete("patch o", None), ["patch ou"]);
    }
}
