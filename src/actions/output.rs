//! Command output (pure parts): per-step stdout/stderr as GetCommandInvocation returns it,
//! truncation detection, where the full output lives (S3 / CloudWatch), grouping of
//! identical outputs across targets, rendering for the viewer and saving to a file.

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

/// A step's status as the user should read it (sanitized): a step for another platform
/// (PatchWindows on Linux) is skipped by its precondition — AWS reports Success with a
/// "Step execution skipped" note — so it says "skipped (not this platform)". The command
/// pane and the invocation's describe both use it, so they agree.
pub fn step_status(status: &str, stdout: &str) -> String {
    if stdout.starts_with("Step execution skipped") {
        "skipped (not this platform)".to_string()
    } else {
        crate::text::sanitize(status)
    }
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
            let status = step_status(&p.status, &p.stdout);
            // no exit code until the step ended (an InProgress step's 0 is not one)
            let ended = super::tracker::is_terminal(&super::tracker::display_status(
                &p.status,
                &p.status_details,
            ));
            let exit = if ended && p.response_code >= 0 {
                format!(" · exit {}", p.response_code)
            } else {
                String::new()
            };
            out.push(line(
                LineKind::Step,
                format!(
                    "── {} · {status}{exit}{} ──",
                    crate::text::sanitize(&p.name),
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

/// Group targets with identical output once instance ids, host names, IPs, timestamps and
/// UUIDs are normalised (`super::variants`).
pub fn group_identical(outputs: &[TargetOutput]) -> OutputGroups {
    let texts: Vec<String> = outputs.iter().map(TargetOutput::text).collect();
    let subjects: Vec<super::variants::Subject> = texts
        .iter()
        .map(|t| super::variants::Subject::new(t, &[]))
        .collect();
    let v = super::variants::Variants::group(&subjects);
    OutputGroups {
        groups: v
            .variants
            .iter()
            .map(|var| OutputGroup {
                members: var
                    .members
                    .iter()
                    .map(|&m| outputs[m].key.clone())
                    .collect(),
                sample: var.sample,
            })
            .collect(),
        total: outputs.len(),
    }
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

/// `s` as a safe file-name part (letters, digits, `.`, `_`, `-`; anything else `_`).
pub fn file_part(s: &str) -> String {
    let p: String = s
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if p.is_empty() || p.chars().all(|c| c == '.') {
        "_".into()
    } else {
        p
    }
}

/// Save every output into `dir` (created): one file per node,
/// `<account>_<region>_<instance>.txt`, holding each step's stdout and stderr exactly as
/// received (unsanitised; only a `### step` line per step is ours), and `summary.txt`.
pub fn save_all(dir: &Path, outputs: &[TargetOutput], summary: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for o in outputs {
        let name = format!(
            "{}_{}_{}.txt",
            file_part(&o.key.account_id),
            file_part(&o.key.region),
            file_part(&o.key.instance_id)
        );
        let mut f = std::fs::File::create(dir.join(name))?;
        for p in &o.plugins {
            writeln!(
                f,
                "### step {} · {} · exit {} · command {}",
                p.name, p.status, p.response_code, o.command_id
            )?;
            f.write_all(p.stdout.as_bytes())?;
            if !p.stderr.is_empty() {
                writeln!(f, "\n### stderr")?;
                f.write_all(p.stderr.as_bytes())?;
            }
            if !p.stdout.ends_with('\n') || !p.stderr.is_empty() {
                writeln!(f)?;
            }
        }
        f.sync_all()?;
    }
    std::fs::write(dir.join("summary.txt"), summary)?;
    Ok(())
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
    fn save_all_writes_one_raw_file_per_node_and_a_summary() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run-x");
        let mut a = target(1, "red \x1b[31mtext\x1b[0m\n");
        a.plugins[0].stderr = "warn\n".into();
        save_all(&out, &[a, target(2, "ok")], "the summary").unwrap();
        let f = std::fs::read_to_string(
            out.join(format!("111111111111_us-east-1_{}.txt", key(1).instance_id)),
        )
        .unwrap();
        assert!(
            f.contains("red \x1b[31mtext\x1b[0m\n"),
            "raw, as received: {f:?}"
        );
        assert!(f.contains("### stderr\nwarn"), "{f:?}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3);
        assert_eq!(
            std::fs::read_to_string(out.join("summary.txt")).unwrap(),
            "the summary"
        );
        assert_eq!(file_part("../../etc/passwd"), ".._.._etc_passwd");
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
