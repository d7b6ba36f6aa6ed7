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
    PatchStore, Report, ReportFormat, ReportInput, ReportKind, format_ext, html, rows::kind_name,
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
    patches: &PatchStore,
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
    let patches = PatchStore::from_lists(&patches);
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
    let patches = PatchStore::from_lists(&patches);
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
    let patches = PatchStore::from_lists(&patches);
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
    let patches = PatchStore::from_lists(&patches);
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
    let patches = PatchStore::from_lists(&patches);
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
// ---------------------------------------------------------------------------------------
// the real binary: `ssmdeck report ... --demo` (an in-process simulator, through the SDK)

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run `ssmdeck report <args> --demo` with private config/data/cache dirs.
fn ssmdeck_report(env_dir: &Path, args: &[&str]) -> Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .arg("report")
        .args(args)
        .arg("--demo")
        .env("SSMDECK_CONFIG_DIR", env_dir.join("config"))
        .env("SSMDECK_DATA_DIR", env_dir.join("data"))
        .env("SSMDECK_CACHE_DIR", env_dir.join("cache"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ssmdeck");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn binary_exit_codes_follow_the_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let json_path = tmp.path().join("compliance.json");
    let json = json_path.to_str().unwrap();

    // 1. The whole demo fleet, JSON to a file, alerting on critical findings.
    let r = ssmdeck_report(
        tmp.path(),
        &[
            "compliance",
            "--format",
            "json",
            "-o",
            json,
            "--fail-on",
            "critical",
        ],
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let critical = v["summary"]["critical_nodes"].as_u64().unwrap();
    assert!(critical > 0, "the demo world has critical findings");
    assert_eq!(
        r.code, 1,
        "critical findings exist → exit 1; stderr: {}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("--fail-on critical: {critical} nodes")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("wrote compliance"), "{}", r.stderr);
    // an alert wins over partial (exit 1), and stderr still names what was not read
    assert!(
        r.stderr.contains("partial:") && r.stderr.contains("account "),
        "{}",
        r.stderr
    );
    // each gap is said once, with the account's name beside its id
    assert_eq!(
        r.stderr.matches("355081211714").count(),
        1,
        "the role-less account is named once: {}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("account acquired-analytics (355081211714)"),
        "{}",
        r.stderr
    );
    let nodes = v["rows"].as_array().unwrap();
    assert_eq!(nodes.len() as u64, v["summary"]["nodes"].as_u64().unwrap());

    // 2. An account × region without critical findings: same flag, exit 0.
    let mut combos: std::collections::BTreeMap<(String, String), (u64, u64)> = Default::default();
    for n in nodes {
        let e = combos
            .entry((
                n["account_id"].as_str().unwrap().to_string(),
                n["region"].as_str().unwrap().to_string(),
            ))
            .or_default();
        e.0 += 1;
        e.1 += n["critical_noncompliant"].as_u64().unwrap_or(0);
    }
    let ((id, region), _) = combos
        .iter()
        .find(|(_, (nodes, crit))| *nodes > 0 && *crit == 0)
        .expect("an account × region with nodes and no critical findings");
    let r = ssmdeck_report(
        tmp.path(),
        &[
            "compliance",
            "--format",
            "csv",
            "--accounts",
            id,
            "--regions",
            region,
            "--fail-on",
            "critical",
        ],
    );
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let (h, rows) = parse_csv(&r.stdout);
    assert!(!rows.is_empty());
    let (acct, reg) = (col(&h, "Account ID"), col(&h, "Region"));
    assert!(
        rows.iter()
            .all(|row| &row[acct] == id && &row[reg] == region)
    );

    // 3. Certificates: a huge window catches every one; exit 1 names them.
    let r = ssmdeck_report(
        tmp.path(),
        &["certs", "--format", "md", "--fail-if-expiring", "100000"],
    );
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("--fail-if-expiring 100000:"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.starts_with("## ssmdeck: Certificates report"),
        "{}",
        r.stdout
    );

    // 4. Bad flag values are usage errors (exit 2) before anything is collected.
    let r = ssmdeck_report(tmp.path(), &["certs", "--fail-if-expiring=-1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("0 or more"), "{}", r.stderr);
}

#[test]
fn binary_refuses_overwrite_and_leaves_no_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let existing = tmp.path().join("report.csv");
    std::fs::write(&existing, "keep me").unwrap();
    let r = ssmdeck_report(
        tmp.path(),
        &["compliance", "-o", existing.to_str().unwrap()],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("already exists (use --force"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");

    // An unwritable directory: chmod where that binds (non-root), else a kernel directory
    // nobody can create files in.
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&locked, perms).unwrap();
    let probe = locked.join(".probe");
    let target_dir = if std::fs::write(&probe, "x").is_ok() {
        let _ = std::fs::remove_file(&probe);
        PathBuf::from("/sys")
    } else {
        locked.clone()
    };
    let target = target_dir.join("ssmdeck-report-test.html");
    let r = ssmdeck_report(
        tmp.path(),
        &[
            "compliance",
            "--format",
            "html",
            "-o",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("cannot write {}", target.display())),
        "{}",
        r.stderr
    );
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(&locked).unwrap().collect();
    assert!(leftovers.is_empty(), "no temp files left: {leftovers:?}");

    // --force replaces atomically.
    let r = ssmdeck_report(
        tmp.path(),
        &["certs", "-o", existing.to_str().unwrap(), "--force"],
    );
    // the demo's invited account has no role: written, and partial (exit 3)
    assert_eq!(r.code, 3, "stderr: {}", r.stderr);
    let (h, _) = parse_csv(&std::fs::read_to_string(&existing).unwrap());
    assert_eq!(h[0], "Domain name");
}

#[test]
fn binary_since_reports_changes_and_rejects_bad_baselines() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base.json");
    let r = ssmdeck_report(
        tmp.path(),
        &["nodes", "--format", "json", "-o", base.to_str().unwrap()],
    );
    // the demo's invited account has no role: written, and partial (exit 3)
    assert_eq!(r.code, 3, "stderr: {}", r.stderr);
    // Pretend one non-compliant node was compliant yesterday.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let nodes = v["state"]["nodes"].as_array_mut().unwrap();
    let flipped = nodes
        .iter_mut()
        .find(|n| n["compliance"] == "NON_COMPLIANT")
        .expect("a non-compliant node");
    flipped["compliance"] = "COMPLIANT".into();
    let flipped_id = flipped["instance_id"].as_str().unwrap().to_string();
    std::fs::write(&base, serde_json::to_string(&v).unwrap()).unwrap();

    let r = ssmdeck_report(
        tmp.path(),
        &[
            "compliance",
            "--format",
            "md",
            "--since",
            base.to_str().unwrap(),
        ],
    );
    // the demo's invited account has no role: written, and partial (exit 3)
    assert_eq!(r.code, 3, "stderr: {}", r.stderr);
    assert!(r.stdout.contains("### Changes since"), "{}", r.stdout);
    // (The demo world keeps running between the two collections, so other changes may
    // appear; the flipped node must be among the newly non-compliant.)
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("- **Newly non-compliant ("))
        .unwrap_or_else(|| panic!("no newly non-compliant line: {}", r.stdout));
    assert!(line.contains(&flipped_id), "{line}");

    let csv_path = tmp.path().join("not.json");
    std::fs::write(&csv_path, "Index,Instance ID\n").unwrap();
    let r = ssmdeck_report(
        tmp.path(),
        &["compliance", "--since", csv_path.to_str().unwrap()],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not JSON"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

// ---------------------------------------------------------------------------------------
// the simulator (fixed seed, fixed epoch), collected through the SDK by the data layer

type SimReports = Vec<(ReportKind, Report, FleetSnapshot)>;

/// [`collect_sim_reports`], once per test binary.
fn sim_reports() -> &'static SimReports {
    static ONCE: std::sync::OnceLock<SimReports> = std::sync::OnceLock::new();
    ONCE.get_or_init(collect_sim_reports)
}

/// Collect a small deterministic world and build every report from it at the epoch. The
/// patch lists go through the spill file, as in `ssmdeck report patches`.
fn collect_sim_reports() -> SimReports {
    let epoch = chrono::DateTime::parse_from_rfc3339("2026-11-23T06:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let cfg = ssmdeck::sim::SimConfig {
        seed: 20261123,
        accounts: 5,
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        nodes_per_account: 8,
        certs_per_account: 4,
        // simulated time stands (almost) still: timestamps do not drift while we collect
        time_scale: 1e-6,
        epoch: Some(epoch),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (_sim, mut scope) = ssmdeck::app::demo::demo_with(cfg).await.unwrap();
        scope.cache_file = None;
        // The command window is counted back from the wall clock, not from the simulator's
        // fixed epoch: ask for a window that reaches before the epoch's 14 days whatever
        // today's date, then keep exactly the epoch's 14 days below, so the golden files do
        // not change as the calendar moves on.
        let history_days = scope.command_history_days;
        scope.command_history_days = history_days + 2 + (chrono::Utc::now() - epoch).num_days();
        let fleet = ssmdeck::fleet::Fleet::connect(scope).await.unwrap();
        let mut out = Vec::new();
        let spill = tempfile::tempdir().unwrap();
        let collected =
            ssmdeck::report::collect::collect(&fleet, ReportKind::Patches, spill.path())
                .await
                .unwrap();
        let mut snap = collected.snapshot;
        // Wall-clock bits the simulator does not control: when the refresh started, and
        // request ids / dates inside SDK error messages.
        snap.collected_at = epoch;
        let window_start = epoch - chrono::Duration::days(history_days);
        snap.commands
            .retain(|c| c.requested_at.is_some_and(|t| t >= window_start));
        for e in &mut snap.errors {
            e.message = format!("{} (message normalised for the golden file)", e.code);
        }
        assert!(!snap.in_progress, "collection finished");
        assert!(!snap.nodes.is_empty() && !snap.certificates.is_empty());
        for kind in KINDS {
            let report = build(kind, &snap, &collected.patches, epoch);
            out.push((kind, report, snap.clone()));
        }
        assert!(
            std::fs::read_dir(spill.path()).unwrap().next().is_none(),
            "the spill file is unlinked while in use"
        );
        out
    })
}

#[test]
fn golden_files_from_the_simulator() {
    for (kind, report, snap) in sim_reports() {
        let (kind, snap) = (*kind, snap);
        for format in FORMATS {
            let out = report.render_to_string(format);
            golden(
                &format!("sim/{}.{}", kind_name(kind), format_ext(format)),
                &out,
            );
        }
        match kind {
            ReportKind::Compliance => check_compliance_csv(snap, report),
            ReportKind::Certs => check_certs_csv(snap, report),
            ReportKind::Patches => assert!(!report.rows.is_empty(), "patch lists collected"),
            _ => {}
        }
        html::check_well_formed(&report.render_to_string(ReportFormat::Html))
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

// ---------------------------------------------------------------------------------------
// streaming: bounded memory changes no byte; killed writes are cleaned up

/// The golden files under `tests/golden/sim` were written by the full-memory renderer
/// (every row built, then rendered); the streamed files, written row by row from the
/// spilled patch lists through the atomic writer, must be the same bytes.
#[test]
fn streamed_files_are_byte_identical_to_the_full_memory_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for (kind, report, _) in sim_reports() {
        for format in [ReportFormat::Csv, ReportFormat::Json] {
            let name = format!("{}.{}", kind_name(*kind), format_ext(format));
            let path = dir.path().join(&name);
            ssmdeck::report::write::write_atomic(&path, false, |w| report.render(format, w))
                .unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            golden(&format!("sim/{name}"), &text);
            names.push(name);
            if format == ReportFormat::Json {
                let v: serde_json::Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
                let rows = v["rows"].as_array().unwrap();
                assert_eq!(rows.len(), report.rows.len(), "{kind:?}");
                assert!(
                    v["state"]["nodes"].is_array(),
                    "the sections after the rows"
                );
                if *kind == ReportKind::Patches {
                    assert!(rows.len() > 1000, "a real patch list: {}", rows.len());
                    for (i, r) in rows.iter().enumerate() {
                        assert_eq!(r["index"].as_u64(), Some(i as u64 + 1));
                    }
                }
            }
        }
    }
    names.sort();
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, names, "no temporary or spill file left");
}

/// A report run killed at any point (here: as soon as its temporary file appears, or
/// wherever it is when we get to it), then the leftovers such kills leave (this version's
/// partial temporary file and the 0-byte one of older versions, from a process that is
/// gone): the next write removes them, leaves a live writer's file alone, and writes a
/// complete, correct report.
#[test]
fn a_killed_report_write_is_cleaned_up_by_the_next_write() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt
        .block_on(ssmdeck::sim::start(ssmdeck::sim::SimConfig {
            seed: 7,
            accounts: 3,
            regions: vec!["us-east-1".into()],
            nodes_per_account: 12,
            ..Default::default()
        }))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("patches.csv");
    let report = |extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"));
        c.args(["report", "patches", "--format", "csv", "-o"])
            .arg(&target)
            .args(["--endpoint-url", &sim.url, "--regions", "us-east-1"])
            .args(extra)
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "x")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env("SSMDECK_CONFIG_DIR", tmp.path().join("config"))
            .env("SSMDECK_DATA_DIR", tmp.path().join("data"))
            .env("SSMDECK_CACHE_DIR", tmp.path().join("cache"))
            .stdin(std::process::Stdio::null());
        c
    };
    let listing = || {
        let mut v: Vec<String> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };

    // 1. kill -9 a run, mid-write when we catch it there.
    let mut child = report(&[])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dead = child.id();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        if listing().iter().any(|n| n.ends_with(".tmp")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let _ = child.kill();
    child.wait().unwrap();

    // 2. what killed runs leave, from that (now gone) process, and a live writer's file.
    let partial = format!(".patches.csv.ssmdeck-{dead}-5eed0.tmp");
    let zero_byte = format!(".patches.csv.{dead}.1f2e3d0.tmp");
    let live = format!(".patches.csv.ssmdeck-{}-1.tmp", std::process::id());
    std::fs::write(out_dir.join(&partial), "Index,Instance ID\r\n1,i-0").unwrap();
    std::fs::write(out_dir.join(&zero_byte), "").unwrap();
    std::fs::write(out_dir.join(&live), "").unwrap();

    // 3. the next write.
    let out = report(&["--force"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let mut want = vec![live.clone(), "patches.csv".to_string()];
    want.sort();
    assert_eq!(
        listing(),
        want,
        "the dead writers' files are gone, the live one stays"
    );
    let written: usize = stderr
        .split_once("wrote patches (")
        .and_then(|(_, r)| r.split_once(" rows)"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no row count: {stderr}"));
    let (h, rows) = parse_csv(&std::fs::read_to_string(&target).unwrap());
    assert_eq!(h[0], "Index");
    assert!(written > 100, "patch rows of 3 accounts: {written}");
    assert_eq!(rows.len(), written);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], (i + 1).to_string(), "every row, in order, once");
    }
    drop(sim);
}

/// `report windows` and `report coverage` on the demo world, every format, with the cron
/// alerts `--fail-on window-failed` and `--fail-on uncovered`.
#[test]
fn binary_windows_and_coverage_reports_alert_for_cron() {
    let tmp = tempfile::tempdir().unwrap();
    let cov = tmp.path().join("coverage.csv");
    let r = ssmdeck_report(
        tmp.path(),
        &[
            "coverage",
            "-o",
            cov.to_str().unwrap(),
            "--fail-on",
            "uncovered",
        ],
    );
    // the demo world has uncovered nodes on purpose: alert (1) wins over partial (3)
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(r.stderr.contains("uncovered:"), "{}", r.stderr);
    let (h, rows) = parse_csv(&std::fs::read_to_string(&cov).unwrap());
    assert_eq!(h[0], "Account ID");
    assert!(h.iter().any(|c| c == "Covered"));
    let covered = h.iter().position(|c| c == "Covered").unwrap();
    assert!(
        rows.iter().any(|r| r[covered] == "no"),
        "uncovered nodes listed"
    );
    assert!(
        rows.iter().all(|r| r[covered] != "yes"),
        "only the uncovered"
    );

    let win = tmp.path().join("windows.json");
    let r = ssmdeck_report(
        tmp.path(),
        &[
            "windows",
            "--format",
            "json",
            "--days",
            "14",
            "-o",
            win.to_str().unwrap(),
            "--fail-on",
            "window-failed",
        ],
    );
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(r.stderr.contains("window-failed:"), "{}", r.stderr);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&win).unwrap()).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    let cutoff = chrono::Utc::now() - chrono::Duration::days(15);
    for row in rows {
        let start: chrono::DateTime<chrono::Utc> = row["start"].as_str().unwrap().parse().unwrap();
        assert!(start > cutoff, "only the last 14 days: {start}");
        if row["status"] == "FAILED" {
            assert!(row["failed_target_count"].as_u64().unwrap() > 0, "{row}");
        }
    }
    for format in ["md", "html"] {
        let r = ssmdeck_report(tmp.path(), &["windows", "--format", format]);
        assert_eq!(r.code, 3, "{format}: {}", r.stderr);
        assert!(r.stdout.contains("prod-patch-sun-0300"), "{format}");
    }
}

/// `ssmdeck completions bash | head -3`, `ssmdeck man | head`, `ssmdeck info | head -1`
/// and `ssmdeck report ... | head`: a reader that went away is not a crash. The read end
/// of the pipe is closed before the binary writes, so every write meets a broken pipe:
/// exit 0 (a report: its exit policy), no panic, no backtrace.
#[test]
fn stdout_writers_end_quietly_when_the_pipe_closes_early() {
    let tmp = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 5] = [
        &["completions", "bash"],
        &["completions", "zsh"],
        &["man"],
        &["info"],
        &["report", "nodes", "--demo", "--format", "csv"],
    ];
    for args in runs {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
            .args(args)
            .env("SSMDECK_CONFIG_DIR", tmp.path().join("config"))
            .env("SSMDECK_DATA_DIR", tmp.path().join("data"))
            .env("SSMDECK_CACHE_DIR", tmp.path().join("cache"))
            .env("RUST_BACKTRACE", "1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .stdin(std::process::Stdio::null())
            .stdout(writer)
            .output()
            .expect("run ssmdeck");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{args:?}: {stderr}"
        );
        if args[0] == "report" {
            // the report's own exit policy (3: the demo's invited account is unreadable)
            assert!(
                matches!(out.status.code(), Some(0 | 3)),
                "{args:?}: {stderr}"
            );
        } else {
            assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        }
    }
}
