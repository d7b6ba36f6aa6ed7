//! Run Command for any document (pure planning, then the send through the one gate).
//!
//! A shell command goes to Linux and macOS targets as `AWS-RunShellScript` and to Windows
//! targets as `AWS-RunPowerShellScript` (split automatically); a named document goes to the
//! targets whose platform the document supports. Targets are grouped per account × region
//! × document and sent in batches of at most 50 ids (SendCommand's limit).
//!
//! Refused before anything is sent, with the reason: an empty command, a document that
//! does not exist, a parameter the document does not have, a required parameter left
//! empty, a value outside the document's allowed values. The command text is only stored
//! (in the request and the audit log), never run here.

use std::collections::BTreeMap;

use crate::fleet::Ssm;
use crate::model::{
    CommandOutputConfig, DocumentDescription, FleetSnapshot, Node, NodeKey, PlatformType,
};

use super::confirm::Confirmation;
use super::error::ActionError;
use super::gate::{Gate, SendRequest};
use super::plan::{BlastRadius, Exclusion, ExclusionReason};
use super::run::{BatchFailure, SendReport};
use super::targets::{self, TargetScope};

pub const SHELL_DOCUMENT: &str = "AWS-RunShellScript";
pub const POWERSHELL_DOCUMENT: &str = "AWS-RunPowerShellScript";

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunWhat {
    /// Command text (one or more lines), split by platform into the two script documents.
    Shell(String),
    /// A document by name, its description (DescribeDocument + GetDocument; `None`: the
    /// document does not exist) and the parameters to send.
    Document {
        name: String,
        description: Option<Box<DocumentDescription>>,
        parameters: BTreeMap<String, Vec<String>>,
    },
}

/// A run's options (the pane's fields).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Delivery timeout (`TimeoutSeconds`).
    pub timeout_seconds: Option<i32>,
    /// The script documents' `executionTimeout`.
    pub execution_timeout_seconds: Option<u32>,
    pub max_concurrency: Option<String>,
    pub max_errors: Option<String>,
    pub comment: String,
    /// S3 bucket / prefix, CloudWatch Logs.
    pub output: CommandOutputConfig,
}

/// Why a run is refused before anything is sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunRefusal {
    #[error("nothing to run: the command is empty")]
    EmptyCommand,
    #[error("document {0} does not exist (DescribeDocument found no such document)")]
    UnknownDocument(String),
    #[error("document {document} has no parameter {parameter}")]
    UnknownParameter { document: String, parameter: String },
    #[error("parameter {parameter} of {document} is required")]
    MissingParameter { document: String, parameter: String },
    #[error("parameter {parameter} = {value:?} is not one of the allowed values: {allowed}")]
    NotAllowed {
        parameter: String,
        value: String,
        allowed: String,
    },
    #[error("comment is {0} characters; at most 100")]
    CommentTooLong(usize),
    #[error("no target left to run on ({0})")]
    NoTargets(String),
    #[error("{0}")]
    InvalidOption(String),
    #[error("no document named: type a document name")]
    NoDocument,
    #[error("reading document {0} (DescribeDocument)…")]
    Describing(String),
    #[error("document {document} could not be described: {error}")]
    DescribeFailed { document: String, error: String },
}

/// One account × region × document: its batches of ≤ 50 ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunGroup {
    pub account_id: String,
    pub region: String,
    pub document: String,
    pub parameters: BTreeMap<String, Vec<String>>,
    pub batches: Vec<Vec<String>>,
}

/// What will be sent, and what was left out.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPlan {
    pub scope: String,
    pub groups: Vec<RunGroup>,
    pub exclusions: Vec<Exclusion>,
    pub options: RunOptions,
    /// Included targets.
    pub targets: Vec<NodeKey>,
    /// Targets per document ("AWS-RunShellScript" → 38), for the preview.
    pub by_document: Vec<(String, usize)>,
    /// What runs (kept for a re-run on some of the targets).
    pub what: RunWhat,
    /// Accounts, regions, platforms, exclusions, production exposure (as patch now).
    pub preview: BlastRadius,
    /// Typed phrase or Enter ([`Confirmation::for_run`]).
    pub confirmation: Confirmation,
}

impl RunPlan {
    pub fn command_count(&self) -> usize {
        self.groups.iter().map(|g| g.batches.len()).sum()
    }
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }
    /// "df -h" (first line of a shell command, `…` when more) or the document's name.
    pub fn label(&self) -> String {
        self.what.label()
    }
}

impl RunWhat {
    /// A short, sanitised label: the first command line (`…` when more) or the document.
    pub fn label(&self) -> String {
        match self {
            RunWhat::Shell(text) => {
                let mut lines = text.lines().filter(|l| !l.trim().is_empty());
                let first = crate::text::sanitize(lines.next().unwrap_or("").trim());
                if lines.next().is_some() {
                    format!("{first} …")
                } else {
                    first
                }
            }
            RunWhat::Document { name, .. } => crate::text::sanitize(name),
        }
    }

    /// What a past command ran, to run it again: the script documents' `commands` as a
    /// shell command (split by platform again), any other document with its parameters
    /// (its description is read again before sending).
    pub fn of_command(c: &crate::model::CommandSummary) -> RunWhat {
        if c.document_name == SHELL_DOCUMENT || c.document_name == POWERSHELL_DOCUMENT {
            let text = c
                .parameters
                .get("commands")
                .map(|v| v.join("\n"))
                .unwrap_or_default();
            return RunWhat::Shell(text);
        }
        RunWhat::Document {
            name: c.document_name.clone(),
            description: None,
            parameters: c.parameters.clone(),
        }
    }
}

/// Which document runs on `n` (`None`: the document does not support its platform).
fn document_for(what: &RunWhat, n: &Node) -> Option<String> {
    match what {
        RunWhat::Shell(_) => match n.platform_type {
            PlatformType::Windows => Some(POWERSHELL_DOCUMENT.into()),
            PlatformType::Linux | PlatformType::MacOS => Some(SHELL_DOCUMENT.into()),
            _ => None,
        },
        RunWhat::Document {
            name, description, ..
        } => {
            let d = description.as_ref()?;
            let platform = match n.platform_type {
                PlatformType::Windows => "Windows",
                PlatformType::Linux => "Linux",
                PlatformType::MacOS => "MacOS",
                _ => return None,
            };
            (d.platform_types.is_empty() || d.platform_types.iter().any(|p| p == platform))
                .then(|| name.clone())
        }
    }
}

/// The parameters checked against the document, as SendCommand will check them.
fn check_parameters(
    name: &str,
    d: &DocumentDescription,
    params: &BTreeMap<String, Vec<String>>,
) -> Result<(), RunRefusal> {
    for k in params.keys() {
        if !d.parameters.iter().any(|p| &p.name == k) {
            return Err(RunRefusal::UnknownParameter {
                document: name.into(),
                parameter: k.clone(),
            });
        }
    }
    for p in &d.parameters {
        let values = params.get(&p.name);
        let empty = values.is_none_or(|v| v.iter().all(|s| s.trim().is_empty()));
        if empty && p.default_value.is_none() {
            return Err(RunRefusal::MissingParameter {
                document: name.into(),
                parameter: p.name.clone(),
            });
        }
        if let Some(v) = values.filter(|_| !p.allowed_values.is_empty())
            && let Some(bad) = v.iter().find(|x| !p.allowed_values.contains(x))
        {
            return Err(RunRefusal::NotAllowed {
                parameter: p.name.clone(),
                value: bad.clone(),
                allowed: p.allowed_values.join(", "),
            });
        }
    }
    Ok(())
}

/// Plan a run of `what` on `scope`.
pub fn plan_run(
    snapshot: &FleetSnapshot,
    scope: &TargetScope,
    what: &RunWhat,
    options: &RunOptions,
) -> Result<RunPlan, RunRefusal> {
    let parameters: BTreeMap<String, Vec<String>> = match what {
        RunWhat::Shell(text) => {
            if text.trim().is_empty() {
                return Err(RunRefusal::EmptyCommand);
            }
            let lines: Vec<String> = text.lines().map(String::from).collect();
            BTreeMap::from([("commands".to_string(), lines)])
        }
        RunWhat::Document {
            name,
            description,
            parameters,
        } => {
            let d = description
                .as_ref()
                .ok_or_else(|| RunRefusal::UnknownDocument(name.clone()))?;
            check_parameters(name, d, parameters)?;
            parameters.clone()
        }
    };
    let comment_len = options.comment.chars().count();
    if comment_len > 100 {
        return Err(RunRefusal::CommentTooLong(comment_len));
    }
    let resolved = targets::resolve(snapshot, scope);
    let mut exclusions: Vec<Exclusion> = resolved
        .missing
        .iter()
        .map(|k| Exclusion {
            key: k.clone(),
            name: k.instance_id.clone(),
            reason: ExclusionReason::NotInSnapshot,
        })
        .collect();
    // (account, region, document) → ids
    let mut groups: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    let mut included = Vec::new();
    let mut included_nodes: Vec<&Node> = Vec::new();
    for n in &resolved.nodes {
        if let Some(reason) = super::plan::exclusion_reason(snapshot, n) {
            exclusions.push(Exclusion {
                key: n.key(),
                name: crate::text::sanitize(&n.name),
                reason,
            });
            continue;
        }
        let Some(doc) = document_for(what, n) else {
            let document = match what {
                RunWhat::Document { name, .. } => name.clone(),
                RunWhat::Shell(_) => "a shell command".into(),
            };
            exclusions.push(Exclusion {
                key: n.key(),
                name: crate::text::sanitize(&n.name),
                reason: ExclusionReason::DocumentPlatform {
                    document,
                    platform: n.platform_type.as_str().to_string(),
                },
            });
            continue;
        };
        included.push(n.key());
        included_nodes.push(n);
        groups
            .entry((n.account_id.clone(), n.region.clone(), doc))
            .or_default()
            .push(n.instance_id.clone());
    }
    if included.is_empty() {
        let why = if exclusions.is_empty() {
            "no nodes selected".to_string()
        } else {
            format!("{} excluded", exclusions.len())
        };
        return Err(RunRefusal::NoTargets(why));
    }
    let mut by_document: BTreeMap<String, usize> = BTreeMap::new();
    let groups: Vec<RunGroup> = groups
        .into_iter()
        .map(|((account_id, region, document), ids)| {
            *by_document.entry(document.clone()).or_default() += ids.len();
            RunGroup {
                account_id,
                region,
                document,
                parameters: parameters.clone(),
                batches: ids.chunks(50).map(<[String]>::to_vec).collect(),
            }
        })
        .collect();
    included.sort();
    let commands = groups.iter().map(|g| g.batches.len()).sum();
    let preview = super::plan::blast_radius(snapshot, &included_nodes, &exclusions, commands);
    let accounts: std::collections::BTreeSet<&str> = included_nodes
        .iter()
        .map(|n| n.account_id.as_str())
        .collect();
    let single_account_name = match accounts.iter().next() {
        Some(id) if accounts.len() == 1 => snapshot.account(id).map(|a| a.name.as_str()),
        _ => None,
    };
    let confirmation = Confirmation::for_run(
        included.len(),
        single_account_name,
        preview.production.any(),
    );
    Ok(RunPlan {
        scope: scope.describe(snapshot),
        groups,
        exclusions,
        options: options.clone(),
        targets: included,
        by_document: by_document.into_iter().collect(),
        what: what.clone(),
        preview,
        confirmation,
    })
}

/// Send every batch of `plan` through the gate (one group after the other; a closed gate
/// or an unwritable audit log stops the rest).
pub async fn send_run(gate: &Gate, ssm: &Ssm, plan: &RunPlan) -> SendReport {
    let o = &plan.options;
    let mut report = SendReport::default();
    for g in &plan.groups {
        for ids in &g.batches {
            let req = SendRequest {
                account_id: g.account_id.clone(),
                region: g.region.clone(),
                document: g.document.clone(),
                parameters: g.parameters.clone(),
                instance_ids: ids.clone(),
                max_concurrency: o.max_concurrency.clone(),
                max_errors: o.max_errors.clone(),
                comment: (!o.comment.is_empty()).then(|| o.comment.clone()),
                timeout_seconds: o.timeout_seconds,
                execution_timeout_seconds: o
                    .execution_timeout_seconds
                    .filter(|_| g.document == SHELL_DOCUMENT || g.document == POWERSHELL_DOCUMENT),
                output: o.output.clone(),
                ..SendRequest::default()
            };
            match gate.send_command(ssm, &req).await {
                Ok(mut c) => {
                    if c.instance_ids.is_empty() {
                        c.instance_ids = req.instance_ids.clone();
                    }
                    if c.document_name.is_empty() {
                        c.document_name = req.document.clone();
                    }
                    report.sent.push(c);
                }
                Err(error) => {
                    let stop = error.is_read_only() || matches!(error, ActionError::Audit { .. });
                    report.failed.push(BatchFailure {
                        account_id: g.account_id.clone(),
                        region: g.region.clone(),
                        instance_ids: req.instance_ids.clone(),
                        error,
                    });
                    if stop {
                        return report;
                    }
                }
            }
        }
    }
    report
}

/// The whole run: send through the gate, then watch every target to the end. Events go
/// to `tx` as they happen (the command pane's job forwards them).
pub async fn run_and_watch(
    gate: &Gate,
    ssm: &Ssm,
    plan: &RunPlan,
    cfg: &super::watch::WatchConfig,
    tx: Option<&tokio::sync::mpsc::UnboundedSender<super::watch::WatchEvent>>,
    cancel: &tokio_util::sync::CancellationToken,
) -> (SendReport, super::tracker::CommandTracker) {
    let report = send_run(gate, ssm, plan).await;
    if let Some(tx) = tx {
        let _ = tx.send(super::watch::WatchEvent::Sent {
            commands: report.sent.clone(),
            failures: report.failed.iter().map(|f| f.error.to_string()).collect(),
        });
    }
    // a shell command changes nothing the fleet picture shows: no node refresh afterwards
    let tracker = super::watch::watch(ssm, &report.sent, cfg, tx, cancel).await;
    if let Some(tx) = tx {
        let _ = tx.send(super::watch::WatchEvent::Finished {
            summary: tracker.summary(),
            refreshed: 0,
        });
    }
    (report, tracker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DocumentParameter, PingStatus};

    fn snapshot() -> FleetSnapshot {
        let mut s = FleetSnapshot::default();
        let mk = |acct: &str, id: &str, p: PlatformType, ping: PingStatus| Node {
            account_id: acct.into(),
            region: "us-east-1".into(),
            instance_id: id.into(),
            platform_type: p,
            ping_status: ping,
            ..Node::default()
        };
        s.nodes = vec![
            mk(
                "111111111111",
                "i-00000000000000001",
                PlatformType::Linux,
                PingStatus::Online,
            ),
            mk(
                "111111111111",
                "i-00000000000000002",
                PlatformType::Windows,
                PingStatus::Online,
            ),
            mk(
                "222222222222",
                "i-00000000000000003",
                PlatformType::Linux,
                PingStatus::Online,
            ),
            mk(
                "222222222222",
                "i-00000000000000004",
                PlatformType::Linux,
                PingStatus::ConnectionLost,
            ),
        ];
        s
    }

    fn all(s: &FleetSnapshot) -> TargetScope {
        TargetScope::marked(s.nodes.iter().map(Node::key).collect())
    }

    #[test]
    fn shell_commands_split_by_platform_and_offline_nodes_are_excluded() {
        let s = snapshot();
        let p = plan_run(
            &s,
            &all(&s),
            &RunWhat::Shell("systemctl status nginx\ndf -h".into()),
            &RunOptions::default(),
        )
        .unwrap();
        assert_eq!(p.targets.len(), 3);
        assert_eq!(
            p.by_document,
            vec![
                (POWERSHELL_DOCUMENT.to_string(), 1),
                (SHELL_DOCUMENT.to_string(), 2)
            ]
        );
        assert_eq!(p.groups.len(), 3, "account × region × document");
        assert_eq!(
            p.groups[0].parameters["commands"],
            vec!["systemctl status nginx", "df -h"]
        );
        assert_eq!(p.exclusions.len(), 1);
        assert_eq!(p.exclusions[0].reason.label(), "offline");
    }

    #[test]
    fn bad_input_is_refused_before_anything_is_sent() {
        let s = snapshot();
        let none = RunOptions::default();
        assert_eq!(
            plan_run(&s, &all(&s), &RunWhat::Shell("  \n ".into()), &none),
            Err(RunRefusal::EmptyCommand)
        );
        let unknown = RunWhat::Document {
            name: "AWS-Nope".into(),
            description: None,
            parameters: BTreeMap::new(),
        };
        assert_eq!(
            plan_run(&s, &all(&s), &unknown, &none),
            Err(RunRefusal::UnknownDocument("AWS-Nope".into()))
        );
        let d = DocumentDescription {
            name: "AWS-RunPatchBaseline".into(),
            platform_types: vec!["Windows".into(), "Linux".into()],
            parameters: vec![DocumentParameter {
                name: "Operation".into(),
                allowed_values: vec!["Scan".into(), "Install".into()],
                ..DocumentParameter::default()
            }],
            ..DocumentDescription::default()
        };
        let run = |params: &[(&str, &str)]| {
            plan_run(
                &s,
                &all(&s),
                &RunWhat::Document {
                    name: "AWS-RunPatchBaseline".into(),
                    description: Some(Box::new(d.clone())),
                    parameters: params
                        .iter()
                        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                        .collect(),
                },
                &none,
            )
        };
        let e = run(&[("Operation", "Reboot")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("not one of the allowed values: Scan, Install"),
            "{e}"
        );
        assert!(matches!(run(&[]), Err(RunRefusal::MissingParameter { .. })));
        assert!(matches!(
            run(&[("Operation", "Scan"), ("Colour", "x")]),
            Err(RunRefusal::UnknownParameter { .. })
        ));
        let ok = run(&[("Operation", "Scan")]).unwrap();
        assert_eq!(ok.targets.len(), 3);
        let long = RunOptions {
            comment: "x".repeat(101),
            ..RunOptions::default()
        };
        assert_eq!(
            plan_run(&s, &all(&s), &RunWhat::Shell("uptime".into()), &long),
            Err(RunRefusal::CommentTooLong(101))
        );
    }
}
