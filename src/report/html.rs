//! HTML: one self-contained, printable file for auditors (inline CSS, no scripts, no
//! external assets): summary, per-OU and per-account tables, non-compliant nodes,
//! expiring certificates, changes, collection time, scope, errors, and the report's full
//! table. All text is HTML-escaped ([`safety::html`]).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::rows::fmt_time;
use super::safety::html as esc;
use super::summary::GroupSummary;
use super::{Report, human_time, kind_title};

const CSS: &str = r#"
:root { --ok:#1b7f3b; --bad:#b3261e; --warn:#9a6700; --muted:#5f6368; --line:#d0d7de; --head:#f3f5f7; }
* { box-sizing: border-box; }
body { font: 13px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color:#1f2328; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.meta { color: var(--muted); margin: 0 0 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 130px; }
.card .v { font-size: 20px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafbfc; }
.ok { color: var(--ok); } .bad { color: var(--bad); font-weight: 600; } .warn { color: var(--warn); }
.muted { color: var(--muted); }
.wide { font-size: 11px; }
.bar { display:block; height: 8px; background: var(--ok); }
td.id { white-space: nowrap; }
.barbg { display:inline-block; width: 80px; height: 8px; background: #e6e8eb; vertical-align: middle; margin-right: 6px; }
@media print {
  body { margin: 0; font-size: 10px; }
  h2 { page-break-after: avoid; }
  table { page-break-inside: auto; }
  tr { page-break-inside: avoid; }
  thead { display: table-header-group; }
  .wide { font-size: 8px; }
}
"#;

fn num_cell(out: &mut String, v: impl std::fmt::Display, class: &str) {
    let _ = write!(out, "<td class=\"n {class}\">{v}</td>");
}

fn text_cell(out: &mut String, v: &str) {
    let _ = write!(out, "<td>{}</td>", esc(v));
}

/// An id, a region or a time: never broken over lines (`i-` / `0eea…`).
fn id_cell(out: &mut String, v: &str) {
    let _ = write!(out, "<td class=\"id\">{}</td>", esc(v));
}

fn thead(out: &mut String, headers: &[&str]) {
    out.push_str("<thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead>\n");
}

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "n/a".into())
}

fn pct_cell(out: &mut String, p: Option<f64>) {
    let width = p.map(|p| (p * 0.8).round() as u32).unwrap_or(0);
    let class = match p {
        Some(p) if p >= 95.0 => "ok",
        Some(p) if p >= 80.0 => "warn",
        Some(_) => "bad",
        None => "muted",
    };
    let _ = write!(
        out,
        "<td class=\"n {class}\"><span class=\"barbg\"><span class=\"bar\" style=\"width:{width}px\"></span></span>{}</td>",
        pct(p)
    );
}

fn card(out: &mut String, value: &str, label: &str, class: &str) {
    let _ = write!(
        out,
        "<div class=\"card\"><div class=\"v {class}\">{}</div><div class=\"k\">{}</div></div>",
        esc(value),
        esc(label)
    );
}

fn bad_if(n: u32) -> &'static str {
    if n > 0 { "bad" } else { "" }
}

fn group_table(out: &mut String, first: &str, rows: &[GroupSummary], show_path: bool) {
    out.push_str("<table>");
    let mut headers = vec![first];
    if show_path {
        headers.push("OU path");
    }
    headers.extend([
        "Nodes",
        "Compliant",
        "Non-compliant",
        "Critical",
        "Security",
        "Failed",
        "Pending reboot",
        "Unreported",
        "Stale",
        "Certs ≤30d",
        "Errors",
    ]);
    thead(out, &headers);
    out.push_str("<tbody>\n");
    for g in rows {
        out.push_str("<tr>");
        let label = if g.name.is_empty() || g.name == g.id {
            esc(&g.id)
        } else {
            format!(
                "{} <span class=\"muted\">{}</span>",
                esc(&g.name),
                esc(&g.id)
            )
        };
        let _ = write!(out, "<td>{label}</td>");
        if show_path {
            text_cell(out, &g.ou_path);
        }
        num_cell(out, g.nodes, "");
        pct_cell(out, g.pct_compliant);
        num_cell(out, g.non_compliant, bad_if(g.non_compliant));
        num_cell(out, g.critical, bad_if(g.critical));
        num_cell(out, g.security, bad_if(g.security));
        num_cell(out, g.failed, bad_if(g.failed));
        num_cell(out, g.pending_reboot, "");
        num_cell(
            out,
            g.unreported,
            if g.unreported > 0 { "warn" } else { "" },
        );
        num_cell(out, g.stale, if g.stale > 0 { "warn" } else { "" });
        num_cell(
            out,
            g.certs_expiring_30,
            if g.certs_expiring_30 > 0 { "warn" } else { "" },
        );
        num_cell(out, g.errors, bad_if(g.errors));
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

fn days(d: Option<i64>) -> String {
    match d {
        Some(d) if d < 0 => format!("expired {}d ago", -d),
        Some(d) => format!("{d}"),
        None => "unknown".into(),
    }
}

/// Build the HTML document in memory (tests; files are written with [`write_report`]).
pub fn render(r: &Report) -> String {
    let mut buf = Vec::new();
    write_report(r, &mut buf).expect("rendering into memory cannot fail");
    String::from_utf8(buf).expect("reports are UTF-8")
}

/// Everything before the report's table: head, summary, changes, roll-ups, errors.
fn head_and_summary(r: &Report) -> String {
    let s = &r.summary;
    let title = format!(
        "ssmdeck {} report — {}",
        kind_title(r.kind),
        human_time(r.generated_at)
    );
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"ssmdeck {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));

    // Scope and collection.
    let mut meta = vec![format!("Collected {}", human_time(r.collected_at))];
    if !r.scope.complete {
        meta.push("collection incomplete".into());
    }
    if r.scope.from_cache {
        meta.push("from cache".into());
    }
    if let Some(org) = &r.scope.organization_id {
        meta.push(format!("organization {org}"));
    }
    if let Some(c) = &r.scope.caller_arn {
        meta.push(format!("caller {c}"));
    }
    if let Some(p) = &r.scope.profile {
        meta.push(format!("profile {p}"));
    }
    meta.push(super::words::plural(r.scope.accounts as usize, "account"));
    if !r.scope.regions.is_empty() {
        meta.push(format!("regions {}", r.scope.regions.join(", ")));
    }
    meta.push(format!("discovery: {}", r.scope.discovery));
    let _ = writeln!(out, "<p class=\"meta\">{}</p>", esc(&meta.join(" · ")));
    if let Some(note) = &r.scope.note {
        let _ = writeln!(out, "<p class=\"warn\">{}</p>", esc(note));
    }

    // Summary cards.
    out.push_str("<h2>Summary</h2>\n<div class=\"cards\">");
    let pct_class = match s.pct_compliant {
        Some(p) if p >= 95.0 => "ok",
        Some(p) if p >= 80.0 => "warn",
        _ => "bad",
    };
    card(&mut out, &pct(s.pct_compliant), "compliant", pct_class);
    card(&mut out, &s.nodes.to_string(), "managed nodes", "");
    card(
        &mut out,
        &s.non_compliant.to_string(),
        "non-compliant",
        bad_if(s.non_compliant),
    );
    card(
        &mut out,
        &s.critical_nodes.to_string(),
        "with critical patches",
        bad_if(s.critical_nodes),
    );
    card(
        &mut out,
        &s.security_nodes.to_string(),
        "with security patches",
        bad_if(s.security_nodes),
    );
    card(
        &mut out,
        &s.failed_nodes.to_string(),
        "with failed patches",
        bad_if(s.failed_nodes),
    );
    card(
        &mut out,
        &s.pending_reboot_nodes.to_string(),
        "pending reboot",
        "",
    );
    card(
        &mut out,
        &s.unreported.to_string(),
        "unreported",
        if s.unreported > 0 { "warn" } else { "" },
    );
    card(
        &mut out,
        &s.stale_nodes.to_string(),
        "stale scans",
        if s.stale_nodes > 0 { "warn" } else { "" },
    );
    card(&mut out, &s.offline_nodes.to_string(), "not online", "");
    card(&mut out, &s.certificates.to_string(), "certificates", "");
    card(
        &mut out,
        &s.expiring.len().to_string(),
        &format!("certs expiring ≤{}d", s.expiring_within_days),
        if s.expiring.is_empty() { "" } else { "warn" },
    );
    card(
        &mut out,
        &r.errors.len().to_string(),
        "collection errors",
        bad_if(r.errors.len() as u32),
    );
    out.push_str("</div>\n");

    // Changes.
    if let Some(c) = &r.changes {
        let since = c
            .since
            .map(human_time)
            .unwrap_or_else(|| "the previous report".into());
        let _ = writeln!(out, "<h2>Changes since {}</h2>", esc(&since));
        if c.is_empty() {
            out.push_str("<p>No changes in compliance or certificate expiry bands.</p>\n");
        } else {
            out.push_str("<table>");
            thead(
                &mut out,
                &[
                    "Change",
                    "Node / certificate",
                    "Account",
                    "Region",
                    "Detail",
                ],
            );
            out.push_str("<tbody>\n");
            for (label, list) in [
                ("newly non-compliant", &c.newly_non_compliant),
                ("newly fixed", &c.newly_fixed),
                ("no longer reported", &c.gone),
            ] {
                for n in list {
                    out.push_str("<tr>");
                    let _ = write!(
                        out,
                        "<td class=\"{}\">{label}</td>",
                        if label == "newly fixed" { "ok" } else { "bad" }
                    );
                    text_cell(&mut out, &format!("{} {}", n.name, n.instance_id));
                    text_cell(&mut out, &n.account_id);
                    text_cell(&mut out, &n.region);
                    text_cell(
                        &mut out,
                        &format!("critical {}, security {}", n.critical, n.security),
                    );
                    out.push_str("</tr>\n");
                }
            }
            for x in &c.certs_entered_band {
                out.push_str("<tr><td class=\"warn\">certificate entered band</td>");
                text_cell(&mut out, &x.domain_name);
                text_cell(&mut out, &x.account_id);
                text_cell(&mut out, &x.region);
                text_cell(
                    &mut out,
                    &format!(
                        "{} → {} ({} days left)",
                        x.from.map(|b| b.label()).unwrap_or("new"),
                        x.to.label(),
                        days(x.days_left)
                    ),
                );
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
    }

    // Per OU.
    if !s.ous.is_empty() {
        out.push_str("<h2>By organizational unit</h2>\n");
        group_table(&mut out, "OU", &s.ous, true);
    }
    // Per account.
    if !s.accounts.is_empty() {
        out.push_str("<h2>By account</h2>\n");
        group_table(&mut out, "Account", &s.accounts, true);
    }

    // Non-compliant nodes.
    let _ = writeln!(
        out,
        "<h2>Non-compliant nodes ({})</h2>",
        s.non_compliant_nodes.len()
    );
    if s.non_compliant_nodes.is_empty() {
        out.push_str("<p class=\"ok\">No non-compliant nodes.</p>\n");
    } else {
        out.push_str("<table>");
        thead(
            &mut out,
            &[
                "Node",
                "Instance",
                "Account",
                "Region",
                "Platform",
                "Patch group",
                "Critical",
                "Security",
                "Missing",
                "Failed",
                "Pending reboot",
                "Last scan",
            ],
        );
        out.push_str("<tbody>\n");
        for n in &s.non_compliant_nodes {
            out.push_str("<tr>");
            text_cell(&mut out, &n.name);
            id_cell(&mut out, &n.instance_id);
            text_cell(&mut out, &format!("{} {}", n.account_name, n.account_id));
            id_cell(&mut out, &n.region);
            text_cell(&mut out, &n.platform_name);
            text_cell(&mut out, n.patch_group.as_deref().unwrap_or(""));
            num_cell(&mut out, n.critical, bad_if(n.critical));
            num_cell(&mut out, n.security, bad_if(n.security));
            num_cell(&mut out, n.missing, "");
            num_cell(&mut out, n.failed, bad_if(n.failed));
            num_cell(&mut out, n.pending_reboot, "");
            id_cell(&mut out, &fmt_time(n.last_scan));
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n");
    }

    // Certificates.
    let _ = writeln!(
        out,
        "<h2>Certificates expired or expiring within {} days ({})</h2>",
        s.expiring_within_days,
        s.expiring.len()
    );
    let bands: Vec<String> = s
        .certs_by_band
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(b, n)| format!("{}: {n}", b.label()))
        .collect();
    if !bands.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"meta\">All {} certificates by band — {}</p>",
            s.certificates,
            esc(&bands.join(" · "))
        );
    }
    // the expiring table lists only certificates that expire within the threshold; those
    // at risk but expiring later get their own table under their own heading
    if s.expiring.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"ok\">No certificate is expired or expires within {} days.</p>",
            s.expiring_within_days
        );
    } else {
        cert_table(&mut out, &s.expiring);
    }
    if !s.at_risk.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Certificates at risk, expiring later ({})</h2>",
            s.at_risk.len()
        );
        cert_table(&mut out, &s.at_risk);
    }

    // Errors.
    let _ = writeln!(out, "<h2>Collection errors ({})</h2>", r.errors.len());
    if r.errors.is_empty() {
        out.push_str("<p class=\"ok\">Every account and region was read.</p>\n");
    } else {
        out.push_str("<table>");
        thead(
            &mut out,
            &[
                "Account",
                "Region",
                "Service",
                "Operation",
                "Code",
                "Message",
            ],
        );
        out.push_str("<tbody>\n");
        for e in &r.errors {
            out.push_str("<tr>");
            let acct = match (&e.account_id, &e.account_name) {
                (Some(id), Some(name)) => format!("{name} {id}"),
                (Some(id), None) => id.clone(),
                _ => "organization".into(),
            };
            text_cell(&mut out, &acct);
            text_cell(&mut out, e.region.as_deref().unwrap_or(""));
            text_cell(&mut out, &e.service);
            text_cell(&mut out, &e.operation);
            text_cell(&mut out, &e.code);
            text_cell(&mut out, &e.message);
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n");
    }

    out
}

/// Write the document: the summary sections, then the report's table one row at a time.
pub fn write_report(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut out = head_and_summary(r);
    let headers = r.headers();
    let _ = writeln!(
        out,
        "<h2>{} — all rows ({})</h2>",
        esc(kind_title(r.kind)),
        r.rows.len()
    );
    out.push_str("<table class=\"wide\">");
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    thead(&mut out, &hs);
    out.push_str("<tbody>\n");
    w.write_all(out.as_bytes())?;
    r.for_each_cells(|row| {
        out.clear();
        out.push_str("<tr>");
        for c in &row {
            text_cell(&mut out, c);
        }
        out.push_str("</tr>\n");
        w.write_all(out.as_bytes())
    })?;
    out.clear();
    out.push_str("</tbody></table>\n");
    let _ = writeln!(
        out,
        "<p class=\"meta\">Generated by ssmdeck {} at {}.</p>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        fmt_time(Some(r.generated_at))
    );
    w.write_all(out.as_bytes())
}

/// Any table as a self-contained HTML page (the console's "export as shown").
pub fn render_table(
    title: &str,
    subtitle: &str,
    headers: &[String],
    rows: &[Vec<String>],
) -> String {
    let mut out = String::with_capacity(16 * 1024 + rows.len() * 128);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"meta\">{}</p>\n<table class=\"wide\">",
        esc(title),
        esc(title),
        esc(subtitle)
    );
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    thead(&mut out, &hs);
    out.push_str("<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            text_cell(&mut out, c);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</body>\n</html>\n");
    out
}

/// Elements that never have a closing tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// A strict well-formedness check of the HTML this module writes: every non-void element
/// closed in order, attributes quoted, no raw `<` or `&` outside markup and entities, no
/// `<script>`, no external references (`src=`, `href=`, `url(`). Returns the first problem.
pub fn check_well_formed(doc: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let bytes = doc.as_bytes();
    let mut i = 0;
    let mut in_style = false;
    let line_of = |pos: usize| doc[..pos].matches('\n').count() + 1;
    while i < bytes.len() {
        if in_style {
            match doc[i..].find("</style>") {
                Some(off) => {
                    let css = &doc[i..i + off];
                    if css.contains("url(") || css.contains("@import") {
                        return Err("external reference in <style>".into());
                    }
                    i += off;
                    in_style = false;
                    continue;
                }
                None => return Err("unterminated <style>".into()),
            }
        }
        match bytes[i] {
            b'<' => {
                let end = doc[i..]
                    .find('>')
                    .map(|o| i + o)
                    .ok_or_else(|| format!("line {}: unterminated tag", line_of(i)))?;
                let tag = &doc[i + 1..end];
                if tag.starts_with("!DOCTYPE") || tag.starts_with("!--") {
                    i = end + 1;
                    continue;
                }
                if tag.contains('<') {
                    return Err(format!("line {}: `<` inside a tag", line_of(i)));
                }
                if let Some(name) = tag.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    match stack.pop() {
                        Some(open) if open == name => {}
                        Some(open) => {
                            return Err(format!("line {}: </{name}> closes <{open}>", line_of(i)));
                        }
                        None => return Err(format!("line {}: stray </{name}>", line_of(i))),
                    }
                } else {
                    let name: String = tag
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    if name.is_empty() {
                        return Err(format!("line {}: raw `<` in text", line_of(i)));
                    }
                    if name == "script" {
                        return Err(format!("line {}: <script> element", line_of(i)));
                    }
                    let attrs = &tag[name.len()..];
                    if attrs.contains(" src=") || attrs.contains(" href=") {
                        return Err(format!("line {}: external reference", line_of(i)));
                    }
                    if !attrs.matches('"').count().is_multiple_of(2) {
                        return Err(format!(
                            "line {}: unbalanced quotes in <{name}>",
                            line_of(i)
                        ));
                    }
                    let self_closing = tag.ends_with('/');
                    if !VOID.contains(&name.as_str()) && !self_closing {
                        if name == "style" {
                            in_style = true;
                        }
                        stack.push(name);
                    }
                }
                i = end + 1;
            }
            b'>' => return Err(format!("line {}: raw `>` in text", line_of(i))),
            b'&' => {
                let rest = &doc[i + 1..];
                let ent_end = rest
                    .find(';')
                    .filter(|&e| {
                        e <= 8
                            && rest[..e]
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '#')
                    })
                    .ok_or_else(|| format!("line {}: raw `&` in text", line_of(i)))?;
                i += ent_end + 2;
            }
            _ => i += 1,
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> is never closed"));
    }
    Ok(())
}

/// A table of certificates (expiring soon, or at risk).
fn cert_table(out: &mut String, certs: &[super::summary::CertBrief]) {
    out.push_str("<table>");
    thead(
        out,
        &[
            "Domain",
            "Account",
            "Region",
            "Type",
            "Status",
            "Not after",
            "Days left",
            "In use",
            "Risk",
        ],
    );
    out.push_str("<tbody>\n");
    for c in certs {
        out.push_str("<tr>");
        text_cell(out, &c.domain_name);
        text_cell(out, &format!("{} {}", c.account_name, c.account_id));
        id_cell(out, &c.region);
        text_cell(out, &c.cert_type);
        text_cell(out, &c.status);
        id_cell(out, &fmt_time(c.not_after));
        let class = match c.days_left {
            Some(d) if d <= 7 => "bad",
            Some(d) if d <= 30 => "warn",
            _ => "",
        };
        num_cell(out, esc(&days(c.days_left)), class);
        text_cell(out, if c.in_use { "yes" } else { "no" });
        let _ = write!(
            out,
            "<td class=\"bad\">{}</td>",
            esc(c.risk.as_deref().unwrap_or(""))
        );
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}
