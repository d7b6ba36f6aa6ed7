//! Markdown: a short summary to paste into a ticket or chat — fleet % compliant, the top
//! non-compliant accounts, critical findings, certificates expiring soon, errors, and what
//! changed (`--since`). Lists are capped so the paste stays readable; the cap is stated.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::rows::fmt_time;
use super::safety::md;
pub use super::words::plural;
use super::{Report, ReportKind, Row, human_time, kind_title};
use crate::model::PatchState;

/// At most this many rows per list.
pub const LIST_CAP: usize = 10;

fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        headers.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

fn more(out: &mut String, total: usize, shown: usize) {
    if total > shown {
        let _ = writeln!(out, "_…and {} more._\n", total - shown);
    }
}

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "n/a".into())
}

fn account_label(name: &str, id: &str) -> String {
    if name.is_empty() {
        format!("`{id}`")
    } else {
        format!("{} (`{id}`)", md(name))
    }
}

fn days(d: Option<i64>) -> String {
    match d {
        Some(d) if d < 0 => format!("expired {}d ago", -d),
        Some(d) => format!("{d}d"),
        None => "unknown".into(),
    }
}

/// Build the Markdown text (a summary: its lists are capped, so it stays small whatever
/// the number of rows). Fails only when a spilled patch list cannot be read back.
pub fn render(r: &Report) -> io::Result<String> {
    let s = &r.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## ssmdeck: {} report — {}\n",
        kind_title(r.kind),
        human_time(r.generated_at)
    );

    // Headline.
    let _ = writeln!(
        out,
        "**Fleet {} compliant** ({} of {} nodes) · {} non-compliant · {} unreported · {} with critical patches · {} with security patches · {} stale\n",
        pct(s.pct_compliant),
        s.compliant,
        s.nodes,
        s.non_compliant,
        s.unreported,
        s.critical_nodes,
        s.security_nodes,
        s.stale_nodes,
    );
    let mut scope = Vec::new();
    if let Some(org) = &r.scope.organization_id {
        scope.push(format!("organization `{}`", md(org)));
    }
    scope.push(plural(r.scope.accounts as usize, "account"));
    if !r.scope.regions.is_empty() {
        scope.push(format!("regions {}", md(&r.scope.regions.join(", "))));
    }
    scope.push(format!(
        "collected {}{}",
        human_time(r.collected_at),
        if r.scope.complete {
            ""
        } else {
            " (incomplete)"
        }
    ));
    if !r.errors.is_empty() {
        scope.push(plural(r.errors.len(), "collection error"));
    }
    let _ = writeln!(out, "{}\n", scope.join(" · "));
    if let Some(note) = &r.scope.note {
        let _ = writeln!(out, "> {}\n", md(note));
    }

    // What changed.
    if let Some(c) = &r.changes {
        let since = c
            .since
            .map(human_time)
            .unwrap_or_else(|| "the previous report".into());
        let _ = writeln!(out, "### Changes since {since}\n");
        if c.is_empty() {
            out.push_str("No changes in compliance or certificate expiry bands.\n\n");
        }
        for (title, list) in [
            ("Newly non-compliant", &c.newly_non_compliant),
            ("Newly fixed", &c.newly_fixed),
            ("No longer reported", &c.gone),
        ] {
            if list.is_empty() {
                continue;
            }
            let items: Vec<String> = list
                .iter()
                .take(LIST_CAP)
                .map(|n| {
                    if n.name.is_empty() {
                        format!("`{}`", n.instance_id)
                    } else {
                        format!("{} `{}`", md(&n.name), n.instance_id)
                    }
                })
                .collect();
            let extra = list.len().saturating_sub(LIST_CAP);
            let _ = writeln!(
                out,
                "- **{title} ({}):** {}{}",
                list.len(),
                items.join(", "),
                if extra > 0 {
                    format!(", …and {extra} more")
                } else {
                    String::new()
                }
            );
        }
        if !c.certs_entered_band.is_empty() {
            let items: Vec<String> = c
                .certs_entered_band
                .iter()
                .take(LIST_CAP)
                .map(|x| {
                    format!(
                        "{} → {} ({})",
                        md(&x.domain_name),
                        x.to.label(),
                        days(x.days_left)
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "- **Certificates entering an expiry band ({}):** {}",
                c.certs_entered_band.len(),
                items.join(", ")
            );
        }
        out.push('\n');
    }

    // Top non-compliant accounts.
    let bad_accounts: Vec<_> = s.accounts.iter().filter(|a| a.non_compliant > 0).collect();
    if !bad_accounts.is_empty() {
        out.push_str("### Top non-compliant accounts\n\n");
        let rows: Vec<Vec<String>> = bad_accounts
            .iter()
            .take(LIST_CAP)
            .map(|a| {
                vec![
                    account_label(&a.name, &a.id),
                    md(&a.ou_path),
                    a.nodes.to_string(),
                    pct(a.pct_compliant),
                    a.non_compliant.to_string(),
                    a.critical.to_string(),
                    a.unreported.to_string(),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "Account",
                "OU",
                "Nodes",
                "Compliant",
                "Non-compliant",
                "Critical",
                "Unreported",
            ],
            &rows,
        );
        more(&mut out, bad_accounts.len(), rows.len());
    }

    // Critical findings.
    let critical: Vec<_> = s
        .non_compliant_nodes
        .iter()
        .filter(|n| n.critical > 0)
        .collect();
    if !critical.is_empty() {
        let _ = writeln!(
            out,
            "### Critical findings: {} with critical patches missing\n",
            plural(critical.len(), "node")
        );
        let rows: Vec<Vec<String>> = critical
            .iter()
            .take(LIST_CAP)
            .map(|n| {
                vec![
                    md(&n.name),
                    format!("`{}`", n.instance_id),
                    account_label(&n.account_name, &n.account_id),
                    n.region.clone(),
                    n.critical.to_string(),
                    n.missing.to_string(),
                    n.failed.to_string(),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "Node", "Instance", "Account", "Region", "Critical", "Missing", "Failed",
            ],
            &rows,
        );
        more(&mut out, critical.len(), rows.len());
    }

    // Kind-specific section.
    match r.kind {
        ReportKind::Patches => {
            let mut by_patch: BTreeMap<(String, String), u32> = BTreeMap::new();
            for row in r.rows.iter() {
                let Row::Patches(p) = row? else { continue };
                if matches!(p.patch_state.as_str(), "MISSING" | "FAILED")
                    || p.patch_state == PatchState::InstalledPendingReboot.as_str()
                {
                    *by_patch.entry((p.kb_id, p.patch_name)).or_default() += 1;
                }
            }
            let mut list: Vec<_> = by_patch.into_iter().collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            if !list.is_empty() {
                out.push_str("### Most widespread missing or failed patches\n\n");
                let shown: Vec<Vec<String>> = list
                    .iter()
                    .take(LIST_CAP)
                    .map(|((kb, title), n)| vec![format!("`{}`", md(kb)), md(title), n.to_string()])
                    .collect();
                table(&mut out, &["Patch", "Title", "Nodes"], &shown);
                more(&mut out, list.len(), shown.len());
            }
        }
        ReportKind::Commands => {
            let (mut total, mut failed) = (0, 0);
            // Only the rows printed are kept.
            let mut first_failed = Vec::new();
            for row in r.rows.iter() {
                let Row::Commands(c) = row? else { continue };
                total += 1;
                if matches!(c.status.as_str(), "Failed" | "TimedOut" | "Cancelled")
                    || c.error_count > 0
                {
                    failed += 1;
                    if first_failed.len() < LIST_CAP {
                        first_failed.push(c);
                    }
                }
            }
            let _ = writeln!(
                out,
                "### Run Command: {} in the recent history, {} with failures\n",
                plural(total, "command"),
                failed
            );
            if failed > 0 {
                let shown: Vec<Vec<String>> = first_failed
                    .iter()
                    .map(|c| {
                        vec![
                            format!("`{}`", c.command_id),
                            md(&c.document_name),
                            account_label(&c.account_name, &c.account_id),
                            c.region.clone(),
                            md(&c.status),
                            format!("{}/{}", c.error_count, c.target_count),
                            fmt_time(c.requested_at),
                        ]
                    })
                    .collect();
                table(
                    &mut out,
                    &[
                        "Command",
                        "Document",
                        "Account",
                        "Region",
                        "Status",
                        "Errors",
                        "Requested",
                    ],
                    &shown,
                );
                more(&mut out, failed, shown.len());
            }
        }
        ReportKind::Windows => {
            let (mut total, mut failed_rows) = (0, Vec::new());
            for row in r.rows.iter() {
                let Row::Windows(w) = row? else { continue };
                total += 1;
                if matches!(w.status.as_str(), "FAILED" | "TIMED_OUT") {
                    failed_rows.push(w);
                }
            }
            let _ = writeln!(
                out,
                "### Maintenance-window executions: {total}, failed: {}\n",
                failed_rows.len()
            );
            let shown: Vec<Vec<String>> = failed_rows
                .iter()
                .take(LIST_CAP)
                .map(|w| {
                    vec![
                        md(&w.window_name),
                        account_label(&w.account_name, &w.account_id),
                        w.region.clone(),
                        md(&w.status),
                        fmt_time(w.start),
                        w.failed_target_count
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "not read".into()),
                    ]
                })
                .collect();
            if !shown.is_empty() {
                table(
                    &mut out,
                    &[
                        "Window",
                        "Account",
                        "Region",
                        "Status",
                        "Started",
                        "Failed targets",
                    ],
                    &shown,
                );
                more(&mut out, failed_rows.len(), shown.len());
            }
        }
        ReportKind::Coverage => {
            let mut by_acct: std::collections::BTreeMap<String, (String, u32, u32, u32)> =
                Default::default();
            for row in r.rows.iter() {
                let Row::Coverage(c) = row? else { continue };
                let e = by_acct
                    .entry(c.account_id.clone())
                    .or_insert_with(|| (c.account_name.clone(), 0, 0, 0));
                match c.coverage.as_str() {
                    "no" => e.1 += 1,
                    "scan only" => e.2 += 1,
                    _ => e.3 += 1,
                }
            }
            let _ = writeln!(
                out,
                "### Nodes nothing installs patches on: {}\n",
                by_acct.values().map(|v| v.1 + v.2).sum::<u32>()
            );
            let rows: Vec<Vec<String>> = by_acct
                .iter()
                .take(LIST_CAP)
                .map(|(id, (name, no, scan, unknown))| {
                    vec![
                        account_label(name, id),
                        no.to_string(),
                        scan.to_string(),
                        unknown.to_string(),
                    ]
                })
                .collect();
            if !rows.is_empty() {
                table(
                    &mut out,
                    &["Account", "Uncovered", "Scan only", "Not known"],
                    &rows,
                );
                more(&mut out, by_acct.len(), rows.len());
            }
        }
        _ => {}
    }

    // Certificates.
    let _ = writeln!(
        out,
        "### Certificates expired or expiring within {} days: {}\n",
        s.expiring_within_days,
        s.expiring.len()
    );
    if !s.expiring.is_empty() {
        let rows: Vec<Vec<String>> = s
            .expiring
            .iter()
            .take(LIST_CAP)
            .map(|c| {
                vec![
                    md(&c.domain_name),
                    account_label(&c.account_name, &c.account_id),
                    c.region.clone(),
                    days(c.days_left),
                    md(&c.cert_type),
                    if c.in_use { "yes" } else { "no" }.into(),
                    md(c.risk.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "Domain", "Account", "Region", "Expires", "Type", "In use", "Risk",
            ],
            &rows,
        );
        more(&mut out, s.expiring.len(), rows.len());
    }
    if !s.at_risk.is_empty() {
        let items: Vec<String> = s
            .at_risk
            .iter()
            .take(LIST_CAP)
            .map(|c| {
                format!(
                    "{} ({})",
                    md(&c.domain_name),
                    md(c.risk.as_deref().unwrap_or(""))
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "Also at risk ({}): {}\n",
            s.at_risk.len(),
            items.join(", ")
        );
    }

    // Errors.
    if !r.errors.is_empty() {
        let _ = writeln!(out, "### Could not read ({})\n", r.errors.len());
        for e in r.errors.iter().take(LIST_CAP) {
            let place = match (&e.account_id, &e.region) {
                (Some(a), Some(reg)) => format!("`{a}` {reg}"),
                (Some(a), None) => format!("`{a}`"),
                (None, Some(reg)) => reg.clone(),
                (None, None) => "organization".into(),
            };
            let _ = writeln!(
                out,
                "- {place} {} {}: **{}** — {}",
                md(&e.service),
                md(&e.operation),
                md(&e.code),
                md(&super::words::clip(&e.message, 300))
            );
        }
        if r.errors.len() > LIST_CAP {
            let _ = writeln!(out, "- …and {} more", r.errors.len() - LIST_CAP);
        }
        out.push('\n');
    }
    Ok(out)
}

pub fn write_report(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(render(report)?.as_bytes())
}
