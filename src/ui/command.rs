//! Command mode (`:`): view switching with aliases and k9s-style arguments
//! (`:nodes prod-web`, `:nodes Workloads`), fuzzy completion, and commands registered by panes.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::data::Data;
use super::views::REGISTRY;

/// What a command line means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A registered view or pane (registry id), with its argument (empty when none).
    Open(&'static str, String),
    Quit,
    Help,
    Refresh,
}

/// Commands of the console itself (views and panes come from the registry):
/// (canonical, aliases, description).
pub const BUILTIN: &[(&str, &[&str], &str)] = &[
    ("help", &["h", "?"], "Key and command help"),
    ("refresh", &["r", "reload"], "Refresh now"),
    ("quit", &["q", "q!", "exit", "qa"], "Quit"),
];

/// Lines for the help overlay: views, then the console's own commands, then panes.
pub fn help_lines() -> Vec<(String, String)> {
    let line = |name: &str, aliases: &[&str], desc: &str| {
        if aliases.is_empty() {
            (format!(":{name}"), desc.to_string())
        } else {
            (
                format!(":{name}"),
                format!("{desc}  (aliases: {})", aliases.join(" ")),
            )
        }
    };
    let mut v: Vec<(String, String)> = Vec::new();
    for s in REGISTRY.iter().filter(|s| s.is_view()) {
        if let Some((first, rest)) = s.commands.split_first() {
            v.push(line(first, rest, s.describe));
        }
    }
    v.extend(BUILTIN.iter().map(|(n, a, d)| line(n, a, d)));
    for s in REGISTRY.iter().filter(|s| !s.is_view()) {
        if let Some(c) = s.commands.first() {
            v.push((format!(":{c}"), s.describe.to_string()));
        }
    }
    v
}

/// Parse `input` (without the leading `:`).
pub fn parse(input: &str) -> Result<Command, String> {
    let mut it = input.trim().splitn(2, char::is_whitespace);
    let word = it.next().unwrap_or("").to_ascii_lowercase();
    let arg = it.next().map(|s| s.trim().to_string()).unwrap_or_default();
    if word.is_empty() {
        return Err("empty command".into());
    }
    let builtin = BUILTIN
        .iter()
        .find(|(n, a, _)| *n == word || a.contains(&word.as_str()))
        .map(|(n, _, _)| *n);
    match builtin {
        Some("help") => Ok(Command::Help),
        Some("refresh") => Ok(Command::Refresh),
        Some("quit") => Ok(Command::Quit),
        _ => match super::views::by_command(&word) {
            Some(s) => Ok(Command::Open(s.id, arg)),
            None => {
                let views: Vec<String> = REGISTRY
                    .iter()
                    .filter(|s| s.is_view())
                    .filter_map(|s| s.commands.first().map(|c| format!(":{c}")))
                    .collect();
                Err(format!(
                    "unknown command `{word}` — try {}",
                    views.join(", ")
                ))
            }
        },
    }
}

/// Completions for what is typed so far, best first: command names, then (after a view
/// command and a space) account and OU names.
pub fn complete(input: &str, data: Option<&Data>) -> Vec<String> {
    let matcher = SkimMatcherV2::default().ignore_case();
    let mut scored: Vec<(i64, String)> = Vec::new();
    if let Some((cmd, arg)) = input.split_once(' ') {
        let takes_scope = matches!(
            parse(cmd),
            Ok(Command::Open(id, _)) if super::views::spec(id).is_some_and(|s| s.scoped)
        );
        if !takes_scope {
            return Vec::new();
        }
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
        for p in REGISTRY {
            if let Some((first, rest)) = p.commands.split_first() {
                cands.push((first, rest.to_vec()));
            }
        }
        for (name, aliases) in cands {
            let best = std::iter::once(name)
                .chain(aliases)
                .filter_map(|c| {
                    if input.is_empty() {
                        Some(0)
                    } else if c == input {
                        Some(10_000)
                    } else {
                        matcher
                            .fuzzy_match(c, input)
                            .map(|s| s + if c.starts_with(input) { 1000 } else { 0 })
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
        assert_eq!(parse("no").unwrap(), Command::Open("nodes", String::new()));
        assert_eq!(
            parse("nodes  prod-web ").unwrap(),
            Command::Open("nodes", "prod-web".into())
        );
        assert_eq!(parse("q!").unwrap(), Command::Quit);
        assert_eq!(parse("ACM").unwrap(), Command::Open("certs", String::new()));
        // `:patch account ID` (README) opens the patch-now pane, not the dashboard
        assert_eq!(
            parse("patch account 111111111111").unwrap(),
            Command::Open("patch_now", "account 111111111111".into())
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
    }
}
