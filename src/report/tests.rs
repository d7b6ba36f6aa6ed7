//! Unit tests of the report builders on the hand-built fixture.

use chrono::Duration;

use super::FailOn;
use super::fixture::{fixture, fixture_now};
use super::policy::{Policy, evaluate};
use super::since::{State, diff, parse_previous};
use super::*;
use crate::model::{AggregateConfig, Compliance};

fn build(kind: ReportKind, previous: Option<&Previous>) -> Report {
    let (snap, patches) = fixture();
    let now = fixture_now();
    let agg = Aggregates::compute(&snap, &AggregateConfig::default(), now);
    Report::build(&ReportInput {
        kind,
        snapshot: &snap,
        aggregates: &agg,
        patches: &PatchStore::from_lists(&patches),
        now,
        stale_after: Duration::days(7),
        expiring_within_days: 30,
        previous,
    })
}

fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rd = ::csv::Reader::from_reader(text.as_bytes());
    let headers = rd.headers().unwrap().iter().map(str::to_string).collect();
    let rows = rd
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

fn col(headers: &[String], name: &str) -> usize {
    headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn compliance_csv_has_the_aws_columns_then_account_ou_region() {
    let r = build(ReportKind::Compliance, None);
    let (h, rows) = parse_csv(&r.render_to_string(ReportFormat::Csv));
    let aws = "Index, Instance ID, Instance name, Instance IP, Platform name, Platform version, SSM Agent version, Patch baseline, Patch group, Compliance status, Compliance severity, Noncompliant Critical severity patch count, Noncompliant High severity patch count, Noncompliant Medium severity patch count, Noncompliant Low severity patch count, Noncompliant Informational severity patch count, Noncompliant Unspecified severity patch count";
    let aws: Vec<&str> = aws.split(", ").collect();
    assert_eq!(&h[..aws.len()], aws.as_slice());
    assert_eq!(
        &h[aws.len()..aws.len() + 4],
        &["Account ID", "Account name", "OU path", "Region"]
    );
    assert_eq!(rows.len(), 5);
    let db = rows
        .iter()
        .find(|r| r[col(&h, "Instance ID")] == "i-0aaaaaaaaaaaaaaa2")
        .unwrap();
    assert_eq!(db[col(&h, "Compliance status")], "NON_COMPLIANT");
    assert_eq!(db[col(&h, "Compliance severity")], "CRITICAL");
    assert_eq!(
        db[col(&h, "Noncompliant Critical severity patch count")],
        "2"
    );
    assert_eq!(db[col(&h, "Account name")], "prod-payments");
    assert_eq!(db[col(&h, "OU path")], "Root/Prod");
    let unrep = rows
        .iter()
        .find(|r| r[col(&h, "Instance ID")] == "i-0ccccccccccccccc1")
        .unwrap();
    assert_eq!(unrep[col(&h, "Compliance status")], "UNREPORTED");
    assert_eq!(
        unrep[col(&h, "Noncompliant Critical severity patch count")],
        "",
        "an unreported node has no counts, not zeros"
    );
    // Index runs 1..=n in report order.
    let idx: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(idx, ["1", "2", "3", "4", "5"]);
}

#[test]
fn csv_neutralises_formulas_and_strips_escapes() {
    let r = build(ReportKind::Compliance, None);
    let text = r.render_to_string(ReportFormat::Csv);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));
    let (h, rows) = parse_csv(&text);
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r[col(&h, "Instance name")].as_str())
        .collect();
    assert!(
        names.contains(&"'=HYPERLINK(\"http://evil.example\",\"click\")"),
        "{names:?}"
    );
    assert!(names.contains(&"app-02"), "{names:?}");
    let accts: Vec<&str> = rows
        .iter()
        .map(|r| r[col(&h, "Account name")].as_str())
        .collect();
    assert!(!accts.iter().any(|a| a.starts_with('=')));
}

#[test]
fn patches_csv_has_the_detail_columns_and_neutralised_titles() {
    let r = build(ReportKind::Patches, None);
    let (h, rows) = parse_csv(&r.render_to_string(ReportFormat::Csv));
    let aws = "Index, Instance ID, Instance name, Patch name, KB ID/Patch ID, Patch state, Last report time, Compliance level, Patch severity, Patch classification, CVE ID, Patch baseline, Logs URL, Instance IP, Platform name, Platform version, SSM Agent version";
    let aws: Vec<&str> = aws.split(", ").collect();
    assert_eq!(&h[..aws.len()], aws.as_slice());
    assert_eq!(&h[aws.len()..aws.len() + 2], &["Account ID", "Region"]);
    assert_eq!(rows.len(), 3, "only nodes with a patch list");
    assert_eq!(rows[0][col(&h, "Patch state")], "FAILED", "failed first");
    assert_eq!(rows[1][col(&h, "CVE ID")], "CVE-2026-1001,CVE-2026-1002");
    assert_eq!(rows[2][col(&h, "Patch name")], "'-1+1 formula in a title");
    // The node whose fetch failed is listed as an error.
    assert!(
        r.errors.iter().any(
            |e| e.operation == "DescribeInstancePatches" && e.message.contains("Rate exceeded")
        )
    );
}

#[test]
fn json_is_typed() {
    let r = build(ReportKind::Certs, None);
    let v: serde_json::Value =
        serde_json::from_str(&r.render_to_string(ReportFormat::Json)).unwrap();
    assert_eq!(v["kind"], "certs");
    assert_eq!(v["generated_at"], "2026-11-23T06:00:00Z");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0]["domain_name"], "expired.example.com",
        "soonest first"
    );
    assert_eq!(rows[0]["days_left"], -3);
    assert!(rows[0]["days_left"].is_i64());
    assert_eq!(rows[0]["expiry_band"], "expired");
    assert!(rows[0]["in_use"].is_boolean());
    let not_after = rows[0]["not_after"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(not_after).is_ok());
    assert_eq!(v["summary"]["nodes"], 5);
    assert_eq!(v["summary"]["pct_compliant"], 40.0);
    assert_eq!(v["errors"][0]["code"], "AccessDenied");
    assert_eq!(v["state"]["nodes"].as_array().unwrap().len(), 5);
    let text = r.render_to_string(ReportFormat::Json);
    assert!(
        !text.contains("\\u001b"),
        "escapes stripped, not just encoded"
    );
}

#[test]
fn compliance_json_unknown_counts_are_null() {
    let r = build(ReportKind::Compliance, None);
    let v: serde_json::Value =
        serde_json::from_str(&r.render_to_string(ReportFormat::Json)).unwrap();
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["instance_id"] == "i-0aaaaaaaaaaaaaaa2")
        .unwrap();
    assert_eq!(row["critical_noncompliant"], 2);
    assert!(row["high_noncompliant"].is_null());
}

#[test]
fn markdown_summary_has_the_glance() {
    let r = build(ReportKind::Compliance, None);
    let md = r.render_to_string(ReportFormat::Md);
    assert!(
        md.contains("**Fleet 40.0% compliant** (2 of 5 nodes)"),
        "{md}"
    );
    assert!(md.contains("### Top non-compliant accounts"));
    assert!(md.contains("prod-payments (`222222222222`)"));
    assert!(md.contains("### Critical findings: 1 node with"));
    assert!(md.contains("db-01"));
    assert!(md.contains("api.example.com"));
    assert!(md.contains("expired 3d ago"));
    assert!(
        md.contains("\\<script\\>alert(1)\\</script\\>.example.com"),
        "HTML in a domain is escaped: {md}"
    );
    assert!(md.contains("### Could not read (1)"));
    assert!(
        !md.contains("ok.example.com"),
        "200 days left is not 'soon'"
    );
    assert!(!md.contains('\u{1b}'));
}

#[test]
fn html_is_well_formed_self_contained_and_escaped() {
    for kind in [
        ReportKind::Compliance,
        ReportKind::Nodes,
        ReportKind::Patches,
        ReportKind::Certs,
        ReportKind::Commands,
    ] {
        let html = build(kind, None).render_to_string(ReportFormat::Html);
        html::check_well_formed(&html).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script"));
        assert!(html.contains("<h2>By organizational unit</h2>"));
        assert!(html.contains("<h2>By account</h2>"));
        let errors = if kind == ReportKind::Patches { 2 } else { 1 };
        assert!(html.contains(&format!("Collection errors ({errors})")));
        assert!(html.contains("Collected 2026-11-23 06:00 UTC"));
        assert!(!html.contains('\u{1b}'));
    }
}

#[test]
fn the_well_formed_checker_catches_breakage() {
    assert!(html::check_well_formed("<p><b>x</p></b>").is_err());
    assert!(html::check_well_formed("<p>a < b</p>").is_err());
    assert!(html::check_well_formed("<p>a & b</p>").is_err());
    assert!(html::check_well_formed("<div>").is_err());
    assert!(html::check_well_formed("<script>x</script>").is_err());
    assert!(html::check_well_formed("<p>a &amp; b<br></p>").is_ok());
}

#[test]
fn policy_levels_and_expiry() {
    let (snap, _) = fixture();
    let now = fixture_now();
    let p = |fail_on, days| Policy {
        fail_on,
        fail_if_expiring: days,
    };
    assert!(evaluate(&p(None, None), &snap, now).is_empty());
    let crit = evaluate(&p(Some(FailOn::Critical), None), &snap, now);
    assert_eq!(crit.len(), 1);
    assert!(crit[0].contains("1 node with critical"), "{crit:?}");
    assert!(crit[0].contains("i-0aaaaaaaaaaaaaaa2 (db-01)"), "{crit:?}");
    let any = evaluate(&p(Some(FailOn::Any), None), &snap, now);
    assert!(any[0].contains("2 nodes"), "{any:?}");
    // Expired certificates always count; 5 days left counts at 5, not at 4.
    let exp4 = evaluate(&p(None, Some(4)), &snap, now);
    assert!(exp4[0].contains("1 certificate"), "{exp4:?}");
    let exp5 = evaluate(&p(None, Some(5)), &snap, now);
    assert!(exp5[0].contains("2 certificates"), "{exp5:?}");
    assert!(!exp5[0].contains('\u{1b}'));
}

#[test]
fn policy_passes_a_clean_fleet() {
    let (mut snap, _) = fixture();
    let now = fixture_now();
    snap.nodes
        .retain(|n| n.compliance != Compliance::NonCompliant);
    snap.certificates.retain(|c| c.days_left.unwrap_or(0) > 100);
    let reasons = evaluate(
        &Policy {
            fail_on: Some(FailOn::Any),
            fail_if_expiring: Some(30),
        },
        &snap,
        now,
    );
    assert!(reasons.is_empty(), "{reasons:?}");
}

#[test]
fn since_reports_what_changed() {
    let (snap, _) = fixture();
    let now = fixture_now();
    // Yesterday: db-01 was compliant, the hybrid node non-compliant, one extra node,
    // api.example.com was still in the ≤14d band, the failed-renewal cert did not exist.
    let mut prev_state = State::of(&snap, now - Duration::days(1));
    for n in &mut prev_state.nodes {
        match n.instance_id.as_str() {
            "i-0aaaaaaaaaaaaaaa2" => n.compliance = Compliance::Compliant,
            "i-0aaaaaaaaaaaaaaa1" => n.compliance = Compliance::NonCompliant,
            _ => {}
        }
    }
    let mut gone = prev_state.nodes[0].clone();
    gone.instance_id = "i-0deaddeaddeaddead".into();
    prev_state.nodes.push(gone);
    for c in &mut prev_state.certificates {
        if c.domain_name == "api.example.com" {
            c.band = crate::model::ExpiryBand::Within14;
        }
    }
    prev_state
        .certificates
        .retain(|c| !c.domain_name.contains("script"));
    let prev_json = serde_json::json!({
        "generated_at": "2026-11-22T06:00:00Z",
        "state": prev_state,
    });
    let prev = parse_previous(&prev_json.to_string(), "yesterday.json").unwrap();
    let cur = State::of(&snap, now);
    let ch = diff(&prev, &cur);
    let ids = |v: &[since::NodeChange]| -> Vec<String> {
        v.iter().map(|c| c.instance_id.clone()).collect()
    };
    assert_eq!(ids(&ch.newly_non_compliant), ["i-0aaaaaaaaaaaaaaa2"]);
    assert_eq!(ids(&ch.newly_fixed), ["i-0aaaaaaaaaaaaaaa1"]);
    assert_eq!(ids(&ch.gone), ["i-0deaddeaddeaddead"]);
    let certs: Vec<&str> = ch
        .certs_entered_band
        .iter()
        .map(|c| c.domain_name.as_str())
        .collect();
    assert_eq!(
        certs,
        ["api.example.com", "<script>alert(1)</script>.example.com"],
        "soonest first"
    );

    // And it shows in every format.
    let r = build(ReportKind::Compliance, Some(&prev));
    let md = r.render_to_string(ReportFormat::Md);
    assert!(
        md.contains("### Changes since 2026-11-22 06:00 UTC"),
        "{md}"
    );
    assert!(md.contains("**Newly non-compliant (1):** db-01"), "{md}");
    assert!(md.contains("**Newly fixed (1):** web-01"), "{md}");
    let (h, rows) = parse_csv(&r.render_to_string(ReportFormat::Csv));
    let c = col(&h, "Change since previous report");
    let db = rows.iter().find(|r| r[1] == "i-0aaaaaaaaaaaaaaa2").unwrap();
    assert_eq!(db[c], "newly non-compliant");
    let v: serde_json::Value =
        serde_json::from_str(&r.render_to_string(ReportFormat::Json)).unwrap();
    assert_eq!(
        v["changes"]["newly_fixed"][0]["instance_id"],
        "i-0aaaaaaaaaaaaaaa1"
    );
    let html = r.render_to_string(ReportFormat::Html);
    html::check_well_formed(&html).unwrap();
    assert!(html.contains("newly non-compliant"));
}

#[test]
fn since_accepts_its_own_json_and_rejects_other_files() {
    let r = build(ReportKind::Nodes, None);
    let json = r.render_to_string(ReportFormat::Json);
    let prev = parse_previous(&json, "r.json").unwrap();
    let ch = diff(&prev, &r.state);
    assert!(ch.is_empty(), "{ch:?}");
    let err = parse_previous("Index,Instance ID\n", "r.csv").unwrap_err();
    assert!(err.contains("r.csv is not JSON"), "{err}");
    let err = parse_previous("{\"a\":1}", "x.json").unwrap_err();
    assert!(err.contains("no `state` section"), "{err}");
}

#[test]
fn commands_report_newest_first() {
    let r = build(ReportKind::Commands, None);
    let (h, rows) = parse_csv(&r.render_to_string(ReportFormat::Csv));
    assert_eq!(rows[0][col(&h, "Status")], "Failed");
    assert_eq!(rows[0][col(&h, "Comment")], "'@nightly");
    assert_eq!(rows[0][col(&h, "Targets")], "tag:Patch Group=Production");
    assert_eq!(
        rows[1][col(&h, "Parameters")],
        "Operation=Install; RebootOption=RebootIfNeeded"
    );
    let md = r.render_to_string(ReportFormat::Md);
    assert!(
        md.contains("2 commands in the recent history, 1 with failures"),
        "{md}"
    );
}

#[test]
fn empty_fleet_renders_in_every_format() {
    let snap = FleetSnapshot {
        collected_at: fixture_now(),
        complete: true,
        ..Default::default()
    };
    let agg = Aggregates::compute(&snap, &AggregateConfig::default(), fixture_now());
    let patches = PatchStore::default();
    for kind in [ReportKind::Compliance, ReportKind::Certs] {
        let r = Report::build(&ReportInput {
            kind,
            snapshot: &snap,
            aggregates: &agg,
            patches: &patches,
            now: fixture_now(),
            stale_after: Duration::days(7),
            expiring_within_days: 30,
            previous: None,
        });
        let md = r.render_to_string(ReportFormat::Md);
        assert!(
            md.contains("**Fleet n/a compliant** (0 of 0 nodes)"),
            "{md}"
        );
        html::check_well_formed(&r.render_to_string(ReportFormat::Html)).unwrap();
        let (h, rows) = parse_csv(&r.render_to_string(ReportFormat::Csv));
        assert!(!h.is_empty());
        assert!(rows.is_empty());
    }
}

/// Every free-text string of the model gets an escape sequence injected; no report
/// format may carry one out (this catches a model field the sanitizer does not know).
#[test]
fn every_model_string_is_sanitized() {
    let (snap, _) = fixture();
    let mut v = serde_json::to_value(&snap).unwrap();
    fn paths(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(_) => out.push(at),
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    paths(x, format!("{at}/{i}"), out);
                }
            }
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    paths(x, format!("{at}/{k}"), out);
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    paths(&v, String::new(), &mut all);
    let mut injected = 0;
    for p in all {
        let mut trial = v.clone();
        let s = trial.pointer_mut(&p).unwrap();
        *s = format!("{}\u{1b}[31m\u{7}", s.as_str().unwrap()).into();
        if serde_json::from_value::<FleetSnapshot>(trial.clone()).is_ok() {
            v = trial;
            injected += 1;
        }
    }
    assert!(injected > 100, "{injected}");
    let dirty: FleetSnapshot = serde_json::from_value(v).unwrap();
    let now = fixture_now();
    let agg = Aggregates::compute(&dirty, &AggregateConfig::default(), now);
    for kind in [
        ReportKind::Compliance,
        ReportKind::Nodes,
        ReportKind::Certs,
        ReportKind::Commands,
    ] {
        let r = Report::build(&ReportInput {
            kind,
            snapshot: &dirty,
            aggregates: &agg,
            patches: &PatchStore::default(),
            now,
            stale_after: Duration::days(7),
            expiring_within_days: 30,
            previous: None,
        });
        for f in [
            ReportFormat::Csv,
            ReportFormat::Json,
            ReportFormat::Md,
            ReportFormat::Html,
        ] {
            let out = r.render_to_string(f);
            if let Some(i) = out.find("\\u001b") {
                panic!("{kind:?} {f:?}: {}", &out[i.saturating_sub(100)..i + 100]);
            }
            assert!(
                !out.contains('\u{1b}') && !out.contains("\\u001b") && !out.contains('\u{7}'),
                "{kind:?} {f:?} leaks a control character"
            );
        }
    }
}

#[test]
fn html_expiring_section_lists_only_certificates_within_the_threshold() {
    let r = build(ReportKind::Compliance, None);
    let html = r.render_to_string(ReportFormat::Html);
    let start = html
        .find("<h2>Certificates expired or expiring within 30 days")
        .expect("the section");
    let rest = &html[start..];
    let end = rest[4..].find("<h2>").map(|i| i + 4).unwrap_or(rest.len());
    let section = &rest[..end];
    // every "Days left" cell in the section is at most 30 (expired ones are negative)
    let mut seen = 0;
    for cell in section.split("<td class=\"n ").skip(1) {
        let v = cell
            .split('>')
            .nth(1)
            .unwrap_or("")
            .split('<')
            .next()
            .unwrap_or("");
        if let Ok(d) = v.trim().parse::<i64>() {
            assert!(
                d <= 30,
                "{d} days left listed as expiring within 30:\n{section}"
            );
            seen += 1;
        }
    }
    assert!(seen > 0, "{section}");
    if !r.summary.at_risk.is_empty() {
        assert!(html.contains("<h2>Certificates at risk, expiring later"));
    }
}
