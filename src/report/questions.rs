//! `ssmdeck report cve --id CVE-… [--id …]` and `ssmdeck report software [--name NAME]`:
//! the organization-wide questions, answered from the patch index and from GetInventory
//! aggregations, in every report format (CSV, JSON, Markdown, HTML).
//!
//! `report cve` lists every node lacking the fix (the patch naming the CVE / KB is
//! Missing, Failed or installed pending a reboot) and every node whose patch list is
//! unknown (never scanned, or it could not be read) — as unknown, never as clear. Exit
//! codes: 1 when any node lacks a fix; else 3 when anything is unknown or partial; else 0;
//! 2 for bad input (a malformed id is refused before anything is collected).

use std::collections::HashMap;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::cli::{ReportArgs, ReportFormat, ReportKind};
use crate::model::patch_index::{NodeAnswer, PatchIndex, PatchQuery, QueryError};
use crate::model::software::SoftwareInventory;
use crate::model::{FleetSnapshot, Node};

use super::headless::exit_code;
use super::safety::{csv_cell, html, md};
use super::write::{write_atomic, write_stdout};

/// The `--id` values of `report cve`, checked: `CVE-YYYY-NNNN…` or `KB…`.
pub fn parse_ids(ids: &[String]) -> Result<Vec<PatchQuery>, QueryError> {
    if ids.is_empty() {
        return Err(QueryError(
            "report cve needs at least one --id CVE-YYYY-NNNN (or --id KBNNNNNNN)".into(),
        ));
    }
    ids.iter()
        .map(|id| {
            let field = if id.trim().to_ascii_uppercase().starts_with("KB") {
                "kb"
            } else {
                "cve"
            };
            PatchQuery::parse(field, id)
        })
        .collect()
}

/// One row of the CVE report.
#[derive(Clone, Debug, PartialEq)]
pub struct CveRow {
    pub query: String,
    /// `LACKS_FIX` or `UNKNOWN`.
    pub verdict: &'static str,
    pub account_id: String,
    pub account_name: String,
    pub ou: String,
    pub region: String,
    pub instance_id: String,
    pub node_name: String,
    pub platform: String,
    pub patch: String,
    pub kb_id: String,
    pub patch_state: String,
    pub cve_ids: String,
    pub reason: String,
}

const CVE_HEADERS: &[&str] = &[
    "Query",
    "Verdict",
    "Account ID",
    "Account name",
    "OU",
    "Region",
    "Instance ID",
    "Node name",
    "Platform",
    "Patch",
    "KB ID/Patch ID",
    "Patch state",
    "CVE IDs",
    "Reason",
];

impl CveRow {
    fn cells(&self) -> [&str; 14] {
        [
            &self.query,
            self.verdict,
            &self.account_id,
            &self.account_name,
            &self.ou,
            &self.region,
            &self.instance_id,
            &self.node_name,
            &self.platform,
            &self.patch,
            &self.kb_id,
            &self.patch_state,
            &self.cve_ids,
            &self.reason,
        ]
    }
}

/// Per question: nodes lacking the fix, unknown, clear.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CveSummary {
    pub query: String,
    pub lacking: usize,
    pub unknown: usize,
    pub clear: usize,
    pub patches: usize,
}

/// The built CVE report.
#[derive(Clone, Debug, Default)]
pub struct CveReport {
    pub summaries: Vec<CveSummary>,
    pub rows: Vec<CveRow>,
    pub nodes: usize,
    /// The snapshot read everything.
    pub complete: bool,
    pub generated_at: Option<DateTime<Utc>>,
}

impl CveReport {
    pub fn build(
        snap: &FleetSnapshot,
        index: &PatchIndex,
        queries: &[PatchQuery],
        now: DateTime<Utc>,
    ) -> CveReport {
        let nodes: HashMap<(&str, &str, &str), &Node> = snap
            .nodes
            .iter()
            .map(|n| {
                (
                    (
                        n.account_id.as_str(),
                        n.region.as_str(),
                        n.instance_id.as_str(),
                    ),
                    n,
                )
            })
            .collect();
        let accounts: HashMap<&str, (&str, &str)> = snap
            .accounts
            .iter()
            .map(|a| (a.id.as_str(), (a.name.as_str(), a.ou_path.as_str())))
            .collect();
        let mut out = CveReport {
            nodes: index.nodes.len(),
            complete: snap.complete,
            generated_at: Some(now),
            ..CveReport::default()
        };
        for q in queries {
            let hit = index.matching(q);
            let mut s = CveSummary {
                query: q.to_string(),
                patches: hit.iter().filter(|h| **h).count(),
                ..CveSummary::default()
            };
            for (pos, ix_node) in index.nodes.iter().enumerate() {
                let k = &ix_node.key;
                let node = nodes.get(&(
                    k.account_id.as_str(),
                    k.region.as_str(),
                    k.instance_id.as_str(),
                ));
                let (acct_name, ou) = accounts
                    .get(k.account_id.as_str())
                    .copied()
                    .unwrap_or(("", ""));
                let base = CveRow {
                    query: q.to_string(),
                    verdict: "UNKNOWN",
                    account_id: k.account_id.clone(),
                    account_name: acct_name.to_string(),
                    ou: ou.to_string(),
                    region: k.region.clone(),
                    instance_id: k.instance_id.clone(),
                    node_name: node.map(|n| n.name.clone()).unwrap_or_default(),
                    platform: node
                        .map(|n| {
                            format!("{} {}", n.platform_name, n.platform_version)
                                .trim()
                                .to_string()
                        })
                        .unwrap_or_default(),
                    patch: String::new(),
                    kb_id: String::new(),
                    patch_state: String::new(),
                    cve_ids: String::new(),
                    reason: String::new(),
                };
                match index.answer_node(pos, &hit) {
                    NodeAnswer::Clear => s.clear += 1,
                    NodeAnswer::Unknown(why) => {
                        s.unknown += 1;
                        out.rows.push(CveRow {
                            reason: why,
                            ..base
                        });
                    }
                    NodeAnswer::Affected(found) => {
                        s.lacking += 1;
                        for (def, state) in found {
                            let d = index.def(def);
                            out.rows.push(CveRow {
                                verdict: "LACKS_FIX",
                                patch: index.str(d.title).to_string(),
                                kb_id: index.str(d.kb).to_string(),
                                patch_state: state.as_str().to_string(),
                                cve_ids: index.cves(def).collect::<Vec<_>>().join(","),
                                ..base.clone()
                            });
                        }
                    }
                }
            }
            out.summaries.push(s);
        }
        // lacking the fix first, then unknown; by account, region, node
        out.rows.sort_by(|a, b| {
            (
                a.verdict != "LACKS_FIX",
                &a.account_id,
                &a.region,
                &a.instance_id,
                &a.query,
            )
                .cmp(&(
                    b.verdict != "LACKS_FIX",
                    &b.account_id,
                    &b.region,
                    &b.instance_id,
                    &b.query,
                ))
        });
        out
    }

    pub fn any_lacking(&self) -> bool {
        self.summaries.iter().any(|s| s.lacking > 0)
    }

    pub fn any_unknown(&self) -> bool {
        self.summaries.iter().any(|s| s.unknown > 0)
    }

    pub fn render(&self, format: ReportFormat, w: &mut dyn Write) -> io::Result<()> {
        let rows: Vec<[&str; 14]> = self.rows.iter().map(CveRow::cells).collect();
        match format {
            ReportFormat::Csv => write_csv(w, CVE_HEADERS, &rows),
            ReportFormat::Json => {
                let v = json!({
                    "kind": "cve",
                    "generated_at": self.generated_at,
                    "complete": self.complete && !self.any_unknown(),
                    "nodes": self.nodes,
                    "summary": self.summaries.iter().map(|s| json!({
                        "query": s.query, "lacking_fix": s.lacking, "unknown": s.unknown,
                        "clear": s.clear, "patches_matched": s.patches,
                    })).collect::<Vec<_>>(),
                    "rows": self.rows.iter().map(|r| {
                        let m: serde_json::Map<String, serde_json::Value> = CVE_HEADERS
                            .iter()
                            .zip(r.cells())
                            .map(|(h, c)| (json_key(h), json!(c)))
                            .collect();
                        serde_json::Value::Object(m)
                    }).collect::<Vec<_>>(),
                });
                serde_json::to_writer_pretty(&mut *w, &v)?;
                writeln!(w)
            }
            ReportFormat::Md => {
                writeln!(w, "# Nodes lacking a fix\n")?;
                let summary: Vec<Vec<String>> = self
                    .summaries
                    .iter()
                    .map(|s| {
                        vec![
                            md(&s.query),
                            s.lacking.to_string(),
                            s.unknown.to_string(),
                            s.clear.to_string(),
                        ]
                    })
                    .collect();
                write_md_table(
                    w,
                    &["Query", "Lacking the fix", "Unknown", "Clear"],
                    &summary,
                )?;
                writeln!(w)?;
                if !self.complete {
                    writeln!(
                        w,
                        "**Partial**: some accounts or regions could not be read.\n"
                    )?;
                }
                let rows: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| r.iter().map(|c| md(c)).collect())
                    .collect();
                write_md_table(w, CVE_HEADERS, &rows)
            }
            ReportFormat::Html => write_html(
                w,
                "Nodes lacking a fix",
                &self
                    .summaries
                    .iter()
                    .map(|s| {
                        format!(
                            "{}: {} lacking the fix, {} unknown, {} clear",
                            s.query, s.lacking, s.unknown, s.clear
                        )
                    })
                    .collect::<Vec<_>>(),
                CVE_HEADERS,
                &rows,
            ),
        }
    }
}

fn json_key(h: &str) -> String {
    h.to_ascii_lowercase().replace(['/', ' '], "_")
}

fn write_csv<'a>(
    w: &mut dyn Write,
    headers: &[&str],
    rows: &[impl AsRef<[&'a str]>],
) -> io::Result<()> {
    writeln!(
        w,
        "{}",
        headers
            .iter()
            .map(|h| csv_cell(h))
            .collect::<Vec<_>>()
            .join(",")
    )?;
    for r in rows {
        writeln!(
            w,
            "{}",
            r.as_ref()
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(",")
        )?;
    }
    Ok(())
}

fn write_md_table(w: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    writeln!(w, "| {} |", headers.join(" | "))?;
    writeln!(w, "|{}", "---|".repeat(headers.len()))?;
    for r in rows {
        writeln!(w, "| {} |", r.join(" | "))?;
    }
    Ok(())
}

fn write_html<'a>(
    w: &mut dyn Write,
    title: &str,
    summary: &[String],
    headers: &[&str],
    rows: &[impl AsRef<[&'a str]>],
) -> io::Result<()> {
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}</style></head><body>\n<h1>{t}</h1>",
        t = html(title)
    )?;
    writeln!(w, "<ul>")?;
    for s in summary {
        writeln!(w, "<li>{}</li>", html(s))?;
    }
    writeln!(w, "</ul>\n<table><thead><tr>")?;
    for h in headers {
        write!(w, "<th>{}</th>", html(h))?;
    }
    writeln!(w, "</tr></thead><tbody>")?;
    for r in rows {
        write!(w, "<tr>")?;
        for c in r.as_ref() {
            write!(w, "<td>{}</td>", html(c))?;
        }
        writeln!(w, "</tr>")?;
    }
    writeln!(w, "</tbody></table></body></html>")
}

// ---------------------------------------------------------------------------------------
// software

const SOFTWARE_HEADERS: &[&str] = &[
    "Application",
    "Version",
    "Nodes",
    "Accounts",
    "Newest",
    "Majority",
    "Drift",
];

/// Rows of the software report: one per application × version.
pub fn software_rows(inv: &SoftwareInventory) -> Vec<[String; 7]> {
    let mut out = Vec::new();
    for a in &inv.applications {
        for v in &a.versions {
            out.push([
                a.name.clone(),
                v.version.clone(),
                v.nodes.to_string(),
                v.accounts.len().to_string(),
                a.newest.clone(),
                a.majority.clone(),
                if v.drift { "DRIFT" } else { "" }.to_string(),
            ]);
        }
    }
    out
}

pub fn render_software(
    inv: &SoftwareInventory,
    format: ReportFormat,
    now: DateTime<Utc>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let rows = software_rows(inv);
    let cells: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let missing: Vec<String> = inv
        .missing
        .iter()
        .map(|m| match &m.region {
            Some(r) => format!("{} {}: {}: {}", m.account_id, r, m.code, m.message),
            None => format!("{} (every region): {}: {}", m.account_id, m.code, m.message),
        })
        .collect();
    match format {
        ReportFormat::Csv => write_csv(w, SOFTWARE_HEADERS, &cells),
        ReportFormat::Json => {
            let v = json!({
                "kind": "software",
                "generated_at": now,
                "complete": inv.is_complete(),
                "applications": inv.applications,
                "platforms": inv.platforms.iter().map(|(n, v, c)| json!({"platform": n, "version": v, "nodes": c})).collect::<Vec<_>>(),
                "agents": inv.agents.iter().map(|(v, c)| json!({"version": v, "nodes": c})).collect::<Vec<_>>(),
                "missing": inv.missing,
            });
            serde_json::to_writer_pretty(&mut *w, &v)?;
            writeln!(w)
        }
        ReportFormat::Md => {
            writeln!(w, "# Software inventory\n")?;
            if !missing.is_empty() {
                writeln!(w, "**Partial**: not read:\n")?;
                for m in &missing {
                    writeln!(w, "- {}", md(m))?;
                }
                writeln!(w)?;
            }
            let rows: Vec<Vec<String>> = cells
                .iter()
                .map(|r| r.iter().map(|c| md(c)).collect())
                .collect();
            write_md_table(w, SOFTWARE_HEADERS, &rows)?;
            if !inv.agents.is_empty() {
                writeln!(w, "\n## SSM agent versions\n")?;
                let rows: Vec<Vec<String>> = inv
                    .agents
                    .iter()
                    .map(|(v, c)| vec![md(v), c.to_string()])
                    .collect();
                write_md_table(w, &["Agent version", "Nodes"], &rows)?;
            }
            Ok(())
        }
        ReportFormat::Html => {
            let mut summary = vec![format!(
                "{} applications, {} account × region units read",
                inv.applications.len(),
                inv.units_read
            )];
            summary.extend(missing.iter().map(|m| format!("not read: {m}")));
            write_html(w, "Software inventory", &summary, SOFTWARE_HEADERS, &cells)
        }
    }
}

// ---------------------------------------------------------------------------------------
// the commands

/// Write with `args`' output target (a file atomically, or stdout).
fn emit(
    args: &ReportArgs,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    match &args.output {
        Some(path) => write_atomic(path, args.force, produce).map_err(|e| e.to_string()),
        None => write_stdout(produce).map_err(|e| format!("cannot write to stdout: {e}")),
    }
}

/// `report cve`: write the report, return the exit code.
pub fn produce_cve(
    args: &ReportArgs,
    snap: &FleetSnapshot,
    index: &PatchIndex,
    queries: &[PatchQuery],
    now: DateTime<Utc>,
    err: &mut dyn Write,
) -> u8 {
    let report = CveReport::build(snap, index, queries, now);
    if let Err(e) = emit(args, |w| report.render(args.format, w)) {
        let _ = writeln!(err, "ssmdeck report: {e}");
        return super::policy::EXIT_ERROR;
    }
    for s in &report.summaries {
        let _ = writeln!(
            err,
            "ssmdeck report: {}: {} nodes lack the fix, {} unknown, {} clear",
            s.query, s.lacking, s.unknown, s.clear
        );
    }
    if !snap.complete {
        for line in crate::fleet::command::describe_missing(snap, 10) {
            let _ = writeln!(err, "ssmdeck report: {line}");
        }
    }
    exit_code(report.any_lacking(), snap.complete && !report.any_unknown())
}

/// `report software`: write the report, return the exit code (3 when partial).
pub fn produce_software(
    args: &ReportArgs,
    inv: &SoftwareInventory,
    now: DateTime<Utc>,
    err: &mut dyn Write,
) -> u8 {
    if let Err(e) = emit(args, |w| render_software(inv, args.format, now, w)) {
        let _ = writeln!(err, "ssmdeck report: {e}");
        return super::policy::EXIT_ERROR;
    }
    for m in &inv.missing {
        let _ = writeln!(
            err,
            "ssmdeck report: not read: {} {}: {}",
            m.account_id,
            m.region.as_deref().unwrap_or("(every region)"),
            m.code
        );
    }
    exit_code(false, inv.is_complete())
}

/// Whether a kind is answered here rather than by [`super::Report`].
pub fn is_question(kind: ReportKind) -> bool {
    matches!(kind, ReportKind::Cve | ReportKind::Software)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::patch_index::Stamp;
    use crate::model::{NodeKey, Patch, PatchState};

    #[test]
    fn malformed_ids_are_refused() {
        assert!(parse_ids(&[]).is_err());
        assert!(parse_ids(&["CVE-2024-1".into()]).is_err());
        assert!(parse_ids(&["openssl".into()]).is_err());
        let ok = parse_ids(&["cve-2024-12345".into(), "KB5034441".into()]).unwrap();
        assert_eq!(ok[0], PatchQuery::Cve("CVE-2024-12345".into()));
        assert_eq!(ok[1], PatchQuery::Kb("KB5034441".into()));
    }

    #[test]
    fn unknown_nodes_are_listed_as_unknown_in_every_format() {
        let mut ix = PatchIndex::new();
        let k = |id: &str| NodeKey {
            account_id: "111111111111".into(),
            region: "eu-west-1".into(),
            instance_id: id.into(),
        };
        ix.set_list(
            &k("i-0000000000000000a"),
            Stamp::default(),
            &[Patch {
                title: "openssl".into(),
                kb_id: "openssl.x86_64".into(),
                classification: "Security".into(),
                severity: "Critical".into(),
                state: PatchState::Missing,
                installed_time: None,
                cve_ids: vec!["CVE-2024-0001".into()],
            }],
            Utc::now(),
        );
        ix.set_unknown(&k("i-0000000000000000b"), "never scanned");
        let snap = FleetSnapshot {
            complete: true,
            ..FleetSnapshot::default()
        };
        let q = parse_ids(&["CVE-2024-0001".into()]).unwrap();
        let r = CveReport::build(&snap, &ix, &q, Utc::now());
        assert!(r.any_lacking() && r.any_unknown());
        for f in [
            ReportFormat::Csv,
            ReportFormat::Json,
            ReportFormat::Md,
            ReportFormat::Html,
        ] {
            let mut out = Vec::new();
            r.render(f, &mut out).unwrap();
            let s = String::from_utf8(out).unwrap();
            assert!(s.contains("i-0000000000000000b"), "{f:?}");
            assert!(s.contains("UNKNOWN"), "{f:?}");
            assert!(s.contains("LACKS_FIX"), "{f:?}");
        }
    }
}
