//! Command output (pure parts): per-step stdout/stderr as GetCommandInvocation returns it,
//! truncation detection, where the full output lives (S3 / CloudWatch), grouping of
//! identical outputs across targets, rendering for the viewer and saving to a file.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use crate::model::NodeKey;

pub use crate::model::command::{PluginOutput, STDERR_LIMIT, STDOUT_LIMIT};

/// ListCommandInvocations' `CommandPlugin.Output` holds at most 2,500 characters.
pub const LIST_OUTPUT_LIMIT: usize = crate::fleet::convert::INVOCATION_OUTPUT_LIMIT;

/// All steps of one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetOutput {
    pub key: NodeKey,
    pub command_id: String,
    pub plugins: Vec<PluginOutput>,
}

/// A line of the output viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// `── PatchLinux · Success · exit 0 ──`
    Step,
    Stdout,
    Stderr,
    /// Truncation notes, "no output", locations.
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputLine {
    pub kind: LineKind,
    pub text: String,
}

impl TargetOutput {
    /// The viewer's lines: per step a header, stdout, stderr and notes. Sanitized.
    pub fn lines(&self) -> Vec<OutputLine> {
        let mut out = Vec::new();
        let line = |kind, text: String| OutputLine { kind, text };
        for p in &self.plugins {
            let elapsed = if p.elapsed.is_empty() {
                String::new()
            } else {
                format!(" · {}", crate::text::sanitize(&p.elapsed))
            };
            out.push(line(
                LineKind::Step,
                format!(
                    "── {} · {} · exit {}{} ──",
                    crate::text::sanitize(&p.name),
                    crate::text::sanitize(&p.status),
                    p.response_code,
                    elapsed
                ),
            ));
            if p.stdout.is_empty() && p.stderr.is_empty() {
                out.push(line(LineKind::Note, "(no output)".into()));
            }
            for l in crate::text::sanitize_multiline(&p.stdout).lines() {
                out.push(line(LineKind::Stdout, l.to_string()));
            }
            if !p.stderr.is_empty() {
                out.push(line(LineKind::Note, "stderr:".into()));
                for l in crate::text::sanitize_multiline(&p.stderr).lines() {
                    out.push(line(LineKind::Stderr, l.to_string()));
                }
            }
            if let Some(n) = p.truncation_note() {
                out.push(line(LineKind::Note, n));
            } else if let Some(loc) = p.full_output_location() {
                out.push(line(LineKind::Note, format!("also at: {loc}")));
            }
        }
        out
    }

    /// Plain text of the whole output (for saving and grouping).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for l in self.lines() {
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }
}

/// Line indexes matching `query` (case-insensitive), for search in the viewer.
pub fn search(lines: &[OutputLine], query: &str) -> Vec<usize> {
    let q = query.to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.text.to_lowercase().contains(&q))
        .map(|(i, _)| i)
        .collect()
}

/// Targets whose outputs are the same once instance ids, timestamps and UUIDs are masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputGroup {
    pub members: Vec<NodeKey>,
    /// Index (into the input slice) of one member, to show as the sample.
    pub sample: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputGroups {
    /// Largest first.
    pub groups: Vec<OutputGroup>,
    pub total: usize,
}

impl OutputGroups {
    /// "412 nodes: identical output · 3 differ"
    pub fn summary(&self) -> String {
        match self.groups.first() {
            None => "no output yet".to_string(),
            Some(g) if g.members.len() == self.total => format!(
                "{} node{}: identical output",
                self.total,
                if self.total == 1 { "" } else { "s" }
            ),
            Some(g) if g.members.len() == 1 => {
                format!("{} nodes: every output differs", self.total)
            }
            Some(g) => format!(
                "{} nodes: identical output · {} differ",
                g.members.len(),
                self.total - g.members.len()
            ),
        }
    }
}

/// Group targets with identical (masked) output.
pub fn group_identical(outputs: &[TargetOutput]) -> OutputGroups {
    let mut by_text: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<OutputGroup> = Vec::new();
    for (i, o) in outputs.iter().enumerate() {
        let fp = mask_variable_parts(&o.text());
        match by_text.get(&fp) {
            Some(&g) => groups[g].members.push(o.key.clone()),
            None => {
                by_text.insert(fp, groups.len());
                groups.push(OutputGroup {
                    members: vec![o.key.clone()],
                    sample: i,
                });
            }
        }
    }
    groups.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(a.sample.cmp(&b.sample))
    });
    OutputGroups {
        groups,
        total: outputs.len(),
    }
}

/// Replace what legitimately differs between otherwise identical outputs: instance ids
/// (`i-…`, `mi-…`), UUIDs and timestamps (`2026-11-23T07:01:02.123Z`, `2026-11-23 07:01:02`,
/// `07:01:02`).
pub fn mask_variable_parts(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let at_word_start = |i: usize| i == 0 || !chars[i - 1].is_ascii_alphanumeric();
    while i < chars.len() {
        if at_word_start(i) {
            if let Some(n) = match_instance_id(&chars[i..]) {
                out.push_str("<instance>");
                i += n;
                continue;
            }
            if let Some(n) = match_uuid(&chars[i..]) {
                out.push_str("<uuid>");
                i += n;
                continue;
            }
            if let Some(n) = match_timestamp(&chars[i..]) {
                out.push_str("<time>");
                i += n;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn hex_run(c: &[char]) -> usize {
    c.iter().take_while(|c| c.is_ascii_hexdigit()).count()
}

fn digit_run(c: &[char]) -> usize {
    c.iter().take_while(|c| c.is_ascii_digit()).count()
}

fn match_instance_id(c: &[char]) -> Option<usize> {
    let prefix = if c.starts_with(&['m', 'i', '-']) {
        3
    } else if c.starts_with(&['i', '-']) {
        2
    } else {
        return None;
    };
    let n = hex_run(&c[prefix..]);
    let end = prefix + n;
    let boundary = c.get(end).is_none_or(|ch| !ch.is_ascii_alphanumeric());
    ((n == 8 || n == 17) && boundary).then_some(end)
}

fn match_uuid(c: &[char]) -> Option<usize> {
    let mut pos = 0;
    for (k, len) in [8, 4, 4, 4, 12].iter().enumerate() {
        if hex_run(&c[pos..]) < *len {
            return None;
        }
        pos += len;
        if k < 4 {
            if c.get(pos) != Some(&'-') {
                return None;
            }
            pos += 1;
        }
    }
    c.get(pos)
        .is_none_or(|ch| !ch.is_ascii_alphanumeric())
        .then_some(pos)
}

fn match_timestamp(c: &[char]) -> Option<usize> {
    let mut pos = 0;
    // optional date part YYYY-MM-DD followed by T or space
    if digit_run(c) == 4
        && c.get(4) == Some(&'-')
        && digit_run(&c[5..]) == 2
        && c.get(7) == Some(&'-')
        && digit_run(&c[8..]) == 2
    {
        pos = 10;
        match c.get(pos) {
            Some('T') | Some(' ') if digit_run(&c[pos + 1..]) == 2 => pos += 1,
            _ => return Some(pos), // a bare date
        }
    }
    // HH:MM:SS
    if digit_run(&c[pos..]) == 2
        && c.get(pos + 2) == Some(&':')
        && digit_run(&c[pos + 3..]) == 2
        && c.get(pos + 5) == Some(&':')
        && digit_run(&c[pos + 6..]) == 2
    {
        pos += 8;
        if c.get(pos) == Some(&'.') || c.get(pos) == Some(&',') {
            let n = digit_run(&c[pos + 1..]);
            if n > 0 {
                pos += 1 + n;
            }
        }
        if c.get(pos) == Some(&'Z') {
            pos += 1;
        }
        return Some(pos);
    }
    None
}

/// Save outputs (one after the other, each with a header) to `path`, atomically.
pub fn save(path: &Path, outputs: &[TargetOutput]) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        for o in outputs {
            writeln!(
                f,
                "==== {} · {} · {} · command {} ====",
                o.key.instance_id, o.key.account_id, o.key.region, o.command_id
            )?;
            f.write_all(o.text().as_bytes())?;
            writeln!(f)?;
        }
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> NodeKey {
        NodeKey {
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            instance_id: format!("i-{i:017x}"),
        }
    }

    fn target(i: usize, stdout: &str) -> TargetOutput {
        TargetOutput {
            key: key(i),
            command_id: "c1".into(),
            plugins: vec![PluginOutput {
                name: "PatchLinux".into(),
                status: "Success".into(),
                stdout: stdout.into(),
                ..PluginOutput::default()
            }],
        }
    }

    #[test]
    fn truncation_is_detected_with_the_location() {
        let mut p = PluginOutput {
            stdout: "x".repeat(STDOUT_LIMIT),
            ..PluginOutput::default()
        };
        let n = p.truncation_note().unwrap();
        assert!(n.contains("24,000"), "{n}");
        assert!(n.contains("S3 bucket or CloudWatch"), "{n}");
        p.stdout_url = "https://s3.amazonaws.com/bucket/prefix/stdout".into();
        p.cloudwatch_log_group = Some("/aws/ssm/AWS-RunPatchBaseline".into());
        let n = p.truncation_note().unwrap();
        assert!(n.contains("s3.amazonaws.com/bucket/prefix/stdout"), "{n}");
        assert!(
            n.contains("CloudWatch Logs group /aws/ssm/AWS-RunPatchBaseline"),
            "{n}"
        );
        let short = PluginOutput {
            stdout: "x".repeat(STDOUT_LIMIT - 1),
            stderr: "e".repeat(STDERR_LIMIT),
            ..PluginOutput::default()
        };
        assert!(
            short
                .truncation_note()
                .unwrap()
                .contains("stderr was cut at 8,000")
        );
        assert!(PluginOutput::default().truncation_note().is_none());
    }

    #[test]
    fn identical_outputs_group_ignoring_ids_and_times() {
        let mut outs: Vec<TargetOutput> = (0..412)
            .map(|i| {
                target(
                    i,
                    &format!(
                        "2026-11-23T07:0{}:12.345Z Patching i-{i:017x}\nInstalled 3 patches\nsnapshot 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n",
                        i % 10
                    ),
                )
            })
            .collect();
        outs.push(target(500, "Failed: yum lock held\n"));
        outs.push(target(501, "Failed: yum lock held\n"));
        outs.push(target(502, "Installed 4 patches\n"));
        let g = group_identical(&outs);
        assert_eq!(g.groups.len(), 3);
        assert_eq!(g.groups[0].members.len(), 412);
        assert_eq!(g.summary(), "412 nodes: identical output · 3 differ");
        let one = group_identical(&outs[..5]);
        assert_eq!(one.summary(), "5 nodes: identical output");
    }

    #[test]
    fn masking_leaves_other_text_alone() {
        assert_eq!(
            mask_variable_parts("node i-0123456789abcdef0 at 10:11:12 took 5s, pi-12345678x"),
            "node <instance> at <time> took 5s, pi-12345678x"
        );
        assert_eq!(mask_variable_parts("mi-0123456789abcdef0"), "<instance>");
        assert_eq!(mask_variable_parts("version 2026-01-02"), "version <time>");
    }

    #[test]
    fn lines_are_sanitized_and_searchable() {
        let mut t = target(1, "ok \u{1b}[31mred\u{1b}[0m\nsecond line");
        t.plugins[0].stderr = "warning: x".into();
        let lines = t.lines();
        assert_eq!(lines[0].kind, LineKind::Step);
        assert!(lines[0].text.contains("PatchLinux · Success · exit 0"));
        assert_eq!(lines[1].text, "ok red");
        assert_eq!(
            lines.iter().filter(|l| l.kind == LineKind::Stderr).count(),
            1
        );
        assert_eq!(search(&lines, "SECOND"), vec![2]);
        assert!(search(&lines, "").is_empty());
    }

    #[test]
    fn save_writes_every_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/cmd.txt");
        save(&path, &[target(1, "one\n"), target(2, "two\n")]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("==== i-00000000000000001"));
        assert!(text.contains("one") && text.contains("two"));
        assert!(!path.with_extension("tmp").exists());
    }
}
