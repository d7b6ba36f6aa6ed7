//! Reports: golden files for every report kind and format, CSV parsed back and compared
//! with the snapshot, HTML well-formedness, formula-injection and control-character cases,
//! atomic writes under failure, and the exit codes of the real `ssmdeck report` binary.
//!
//! Golden files live in `tests/golden/`; regenerate them after an intended change with
//! `UPDATE_GOLDEN=1 cargo test --test report` and review the diff.

use std::path::{Path, PathBuf};

use chrono::Duration;
use ssmdeck::model::{AggregateConfig, Aggregates, Compliance, FleetSnapshot};
use ssmdeck::report::fixture::{fixture, fixture_now};
use ssmdeck::report::{
    NodePatches, Report, ReportFormat, ReportInput, ReportKind, format_ext, html, rows::kind_name,
};

const KINDS: [ReportKind; 5] = [
    ReportKind::Compliance,
    ReportKind::Nodes,
    ReportKind::Patches,
    ReportKind::Certs,
    ReportKind::Commands,
];
const FORMATS: [ReportFormat; 4] = [
    ReportFormat::Csv,
    ReportFormat::Json,
    ReportFormat::Md,
    ReportFormat::Html,
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compare with (or, with UPDATE_GOLDEN=1, rewrite) a golden file.
fn golden(rel: &str, actual: &str) {
    let path = golden_dir().join(rel);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with UPDATE_GOLDEN=1 cargo test --test report",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the golden file at line {}:\n  golden: {:?}\n  actual: {:?}\n\
             if the change is intended: UPDATE_GOLDEN=1 cargo test --test report",
            path.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

fn build(
    kind: ReportKind,
    snap: &FleetSnapshot,
    patches: &NodePatches,
    now: chrono::DateTime<chrono::Utc>,
) -> Report {
    let agg = Aggregates::compute(snap, &AggregateConfig::default(), now);
    Report::build(&ReportInput {
        kind,
        snapshot: snap,
        aggregates: &agg,
        patches,
        now,
        stale_after: Duration::days(7),
        expiring_within_days: 30,
        previous: None,
    })
}

fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rd = csv::Reader::from_reader(text.as_bytes());
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
        .unwrap_or_else(|| panic!("no column {name} in {headers:?}"))
}

// ---------------------------------------------------------------------------------------
// the hand-built fixture (hostile strings included)

#[test]
fn golden_files_from_the_fixture() {
    let (snap, patches) = fixture();
    for kind in KINDS {
        let report = build(kind, &snap, &patches, fixture_now());
        for format in FORMATS {
            let out = report.render_to_string(format);
            golden(
                &format!("fixture/{}.{}", kind_name(kind), format_ext(format)),
                &out,
            );
        }
    }
}

#[test]
fn fixture_reports_carry_no_control_characters_or_live_formulas() {
    let (snap, patches) = fixture();
    for kind in KINDS {
        let report = build(kind, &snap, &patches, fixture_now());
        for format in FORMATS {
            let out = report.render_to_string(format);
            let bad = out
                .chars()
                .find(|c| c.is_control() && !matches!(c, '\n' | '\r'));
            assert_eq!(bad, None, "{kind:?} {format:?} has a control character");
            assert!(!out.contains("pwned"), "OSC title payload stripped");
        }
        let (_, rows) = parse_csv(&report.render_to_string(ReportFormat::Csv));
        for row in rows {
            for cell in row {
                let first = cell.trim_start().chars().next();
                if matches!(first, Some('=' | '+' | '@')) {
                    panic!("{kind:?}: live formula in CSV cell {cell:?}");
                }
                if first == Some('-') {
                    assert!(
                        cell.parse::<f64>().is_ok(),
                        "{kind:?}: only numbers may start with '-', got {cell:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn fixture_html_is_well_formed() {
    let (snap, patches) = fixture();
    for kind in KINDS {
        let out = build(kind, &snap, &patches, fixture_now()).render_to_string(ReportFormat::Html);
        html::check_well_formed(&out).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(
            !out.contains("<link") && !out.contains(" src="),
            "self-contained"
        );
    }
}

#[test]
fn same_input_same_bytes() {
    let (snap, patches) = fixture();
    let mut shuffled = snap.clone();
    shuffled.nodes.reverse();
    shuffled.certificates.reverse();
    shuffled.errors.reverse();
    shuffled.commands.reverse();
    for kind in KINDS {
        for format in FORMATS {
            let a = build(kind, &snap, &patches, fixture_now()).render_to_string(format);
            let b = build(kind, &shuffled, &patches, fixture_now()).render_to_string(format);
            assert_eq!(a, b, "{kind:?} {format:?} depends on collection order");
        }
    }
}

#[test]
fn compliance_csv_round_trips_to_the_snapshot() {
    let (snap, patches) = fixture();
    check_compliance_csv(
        &snap,
        &build(ReportKind::Compliance, &snap, &patches, fixture_now()),
    );
    check_certs_csv(
        &snap,
        &build(ReportKind::Certs, &snap, &patches, fixture_now()),
    );
}

/// Every node of the snapshot is one CSV row with its compliance, counts, account and
/// region; nothing else is in the file.
fn check_compliance_csv(snap: &FleetSnapshot, report: &Report) {
    let (h, rows) = parse_csv(&report.render_to_string(ReportFormat::Csv));
    assert_eq!(rows.len(), snap.nodes.len());
    let (id, acct, region, status, crit, missing, name, ou) = (
        col(&h, "Instance ID"),
        col(&h, "Account ID"),
        col(&h, "Region"),
        col(&h, "Compliance status"),
        col(&h, "Noncompliant Critical severity patch count"),
        col(&h, "Missing"),
        col(&h, "Account name"),
        col(&h, "OU path"),
    );
    for n in &snap.nodes {
        let row = rows
            .iter()
            .find(|r| r[id] == n.instance_id && r[acct] == n.account_id && r[region] == n.region)
            .unwrap_or_else(|| panic!("{} missing from the CSV", n.instance_id));
        assert_eq!(row[status], n.compliance.as_str(), "{}", n.instance_id);
        if n.compliance == Compliance::Unreported {
            assert_eq!(row[crit], "");
        } else {
            assert_eq!(row[crit], n.critical_noncompliant.to_string());
            assert_eq!(row[missing], n.missing.to_string());
        }
        let a = snap.account(&n.account_id).unwrap();
        assert_eq!(row[ou], a.ou_path);
        assert_eq!(
            row[name].trim_start_matches('\''),
            ssmdeck::text::sanitize(&a.name)
        );
    }
}

fn check_certs_csv(snap: &FleetSnapshot, report: &Report) {
    let (h, rows) = parse_csv(&report.render_to_string(ReportFormat::Csv));
    assert_eq!(rows.len(), snap.certificates.len());
    let (arn, domain, days, acct) = (
        col(&h, "Certificate ARN"),
        col(&h, "Domain name"),
        col(&h, "Days left"),
        col(&h, "Account ID"),
    );
    let mut last_days = i64::MIN;
    for r in &rows {
        let c = snap
            .certificates
            .iter()
            .find(|c| c.arn == r[arn])
            .unwrap_or_else(|| panic!("{} not in the snapshot", r[arn]));
        assert_eq!(r[domain], ssmdeck::text::sanitize(&c.domain_name));
        assert_eq!(r[acct], c.account_id);
        if let Ok(d) = r[days].parse::<i64>() {
            assert!(d >= last_days, "sorted by expiry");
            last_days = d;
        }
    }
}
