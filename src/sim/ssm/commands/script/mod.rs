//! AWS-RunShellScript / AWS-RunPowerShellScript on a simulated node: a small interpreter
//! that answers the commands people run in an incident (`systemctl status nginx`, `df -h`,
//! `rpm -q openssl`, `dpkg -l`, `uname -a`, `cat /etc/os-release`, `Get-Service`, ...)
//! from the node's data ([`facts`]), deterministically, with the exit codes the real tools
//! give, and a plausible generic answer (`command not found`, 127) for anything else.
//! Nothing is ever executed: the command text is only read.
//!
//! What the SSM agent adds, as real outputs show: a failing script's stderr ends with
//! `failed to run commands: exit status N`; an unknown command's error names the script
//! file the agent wrote (`/var/lib/amazon/ssm/<instance>/document/orchestration/<command>/
//! awsrunShellScript/0.awsrunShellScript/_script.sh: line 1: foo: command not found`);
//! PowerShell output lines end with `\r\n` (a GetCommandInvocation of
//! AWS-RunPowerShellScript quoted in a public note shows `"\r\nOverloadDefinitions ...\r\n"`).

pub mod facts;
mod powershell;
mod shell;

use chrono::{DateTime, Utc};

use crate::sim::ssm::node::NodeRec;

/// Where and when the script runs.
#[derive(Clone, Debug)]
pub struct Env<'a> {
    pub command_id: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
    pub start: DateTime<Utc>,
}

/// What a script printed and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptRun {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Run `lines` (the `commands` parameter, one entry per line) on `node`.
pub fn run(node: &NodeRec, env: &Env, lines: &[String], powershell: bool) -> ScriptRun {
    let mut run = if powershell {
        if node.windows() {
            powershell::run(node, env, lines)
        } else {
            // AWS-RunPowerShellScript lists Linux too: it needs PowerShell (pwsh) there,
            // which the simulated Linux images do not have.
            ScriptRun {
                stdout: String::new(),
                stderr: "exec: \"pwsh\": executable file not found in $PATH\n".into(),
                code: 1,
            }
        }
    } else {
        shell::run(node, env, lines)
    };
    if run.code != 0 {
        run.stderr
            .push_str(&format!("failed to run commands: exit status {}", run.code));
        if powershell {
            run.stderr.push_str("\r\n");
        } else {
            run.stderr.push('\n');
        }
    }
    run
}

/// Split a command line into words, honouring single and double quotes.
pub(crate) fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

/// How one piece of a line is joined to the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Join {
    First,
    /// `;` or a new line
    Always,
    /// `&&`
    And,
    /// `||`
    Or,
}

/// Split a line at `;`, `&&`, `||` (outside quotes) into pipelines, each split at `|`.
pub(crate) fn split_line(line: &str) -> Vec<(Join, Vec<String>)> {
    let mut out = Vec::new();
    let mut pipeline: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut join = Join::First;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            cur.push(c);
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            ';' | '&' | '|' => {
                let double = chars.peek() == Some(&c);
                let next_join = match (c, double) {
                    (';', _) => Some(Join::Always),
                    ('&', true) => Some(Join::And),
                    ('|', true) => Some(Join::Or),
                    _ => None,
                };
                match next_join {
                    Some(j) => {
                        if double {
                            chars.next();
                        }
                        pipeline.push(std::mem::take(&mut cur));
                        out.push((join, std::mem::take(&mut pipeline)));
                        join = j;
                    }
                    None if c == '|' => pipeline.push(std::mem::take(&mut cur)),
                    // a lone `&` (background): run it in the foreground
                    None => {}
                }
            }
            '#' if cur.trim().is_empty() && pipeline.is_empty() => break,
            _ => cur.push(c),
        }
    }
    pipeline.push(cur);
    out.push((join, pipeline));
    out.into_iter()
        .map(|(j, p)| {
            (
                j,
                p.into_iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, p)| !p.is_empty())
        .collect()
}

/// The output of one command.
#[derive(Clone, Debug, Default)]
pub(crate) struct Out {
    pub out: String,
    pub err: String,
    pub code: i32,
}

impl Out {
    pub fn ok(out: impl Into<String>) -> Self {
        Out {
            out: out.into(),
            ..Out::default()
        }
    }
    pub fn fail(code: i32, err: impl Into<String>) -> Self {
        Out {
            err: err.into(),
            code,
            ..Out::default()
        }
    }
}

/// Text filters shared by both shells: `grep`, `head`, `tail`, `wc`, `sort`, `uniq`
/// (PowerShell: `Select-String`, `Select-Object -First/-Last`, `Measure-Object`).
pub(crate) fn filter(args: &[String], input: &str) -> Option<Out> {
    let cmd = args.first()?.as_str();
    let rest = &args[1..];
    let flag = |f: &str| rest.iter().any(|a| a == f);
    let number = |short: &str| -> Option<usize> {
        rest.iter().enumerate().find_map(|(i, a)| {
            if a == short || a == "-First" || a == "-Last" {
                rest.get(i + 1)?.parse().ok()
            } else {
                a.strip_prefix('-')?.parse().ok()
            }
        })
    };
    let lines: Vec<&str> = input.lines().collect();
    let join = |v: Vec<&str>| -> String {
        let mut s = v.join("\n");
        if !s.is_empty() {
            s.push('\n');
        }
        s
    };
    Some(match cmd {
        "grep" | "egrep" | "Select-String" | "findstr" => {
            let pattern = rest
                .iter()
                .find(|a| !a.starts_with('-'))
                .cloned()
                .unwrap_or_default();
            let ci = flag("-i") || cmd == "Select-String" || flag("/i");
            let invert = flag("-v");
            let count = flag("-c");
            let pats: Vec<String> = pattern
                .split("\\|")
                .map(|p| if ci { p.to_lowercase() } else { p.to_string() })
                .collect();
            let hit = |l: &str| {
                let l = if ci { l.to_lowercase() } else { l.to_string() };
                pats.iter().any(|p| l.contains(p.as_str())) != invert
            };
            let matched: Vec<&str> = lines.iter().copied().filter(|l| hit(l)).collect();
            let code = if matched.is_empty() { 1 } else { 0 };
            let out = if count {
                format!("{}\n", matched.len())
            } else {
                join(matched)
            };
            Out {
                out,
                err: String::new(),
                code,
            }
        }
        "head" => Out::ok(join(
            lines
                .iter()
                .copied()
                .take(number("-n").unwrap_or(10))
                .collect(),
        )),
        "tail" => {
            let n = number("-n").unwrap_or(10);
            Out::ok(join(lines[lines.len().saturating_sub(n)..].to_vec()))
        }
        "Select-Object" => {
            let n = number("-First").unwrap_or(usize::MAX);
            if flag("-Last") {
                Out::ok(join(lines[lines.len().saturating_sub(n)..].to_vec()))
            } else {
                Out::ok(join(lines.iter().copied().take(n).collect()))
            }
        }
        "wc" => {
            if flag("-l") {
                Out::ok(format!("{}\n", lines.len()))
            } else {
                let words: usize = lines.iter().map(|l| l.split_whitespace().count()).sum();
                Out::ok(format!(
                    "{:>7} {:>7} {:>7}\n",
                    lines.len(),
                    words,
                    input.len()
                ))
            }
        }
        "Measure-Object" => Out::ok(format!(
            "\nCount    : {}\nAverage  :\nSum      :\nMaximum  :\nMinimum  :\nProperty :\n\n",
            lines.len()
        )),
        "sort" | "Sort-Object" => {
            let mut v = lines.clone();
            v.sort_unstable();
            if flag("-r") || flag("-Descending") {
                v.reverse();
            }
            if flag("-u") || flag("-Unique") {
                v.dedup();
            }
            Out::ok(join(v))
        }
        "uniq" => {
            let mut v = lines.clone();
            v.dedup();
            Out::ok(join(v))
        }
        "cat" | "Out-String" | "Format-Table" | "ft" | "Format-List" | "fl" | "Out-Default" => {
            Out::ok(input.to_string())
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
