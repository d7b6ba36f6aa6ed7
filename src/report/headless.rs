//! `ssmdeck report <kind> --format ... [-o FILE] [--force] [--fail-on ...]
//! [--fail-if-expiring DAYS] [--since FILE] [scope flags] [--demo]`.
//!
//! Order of work: validate flags, refuse an existing `-o FILE` without `--force` and read
//! `--since` *before* collecting (no point collecting a whole organization to then fail),
//! collect once, build the report at one `now`, write it (atomically to a file, or to
//! stdout), then apply the exit-code policy ([`super::policy`]).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};

use crate::cli::ReportArgs;
use crate::config::{Config, Paths};
use crate::model::{AggregateConfig, Aggregates, FleetSnapshot};

use super::policy::{EXIT_ALERT, EXIT_ERROR, EXIT_OK, Policy, evaluate};
use super::since::{Previous, load_previous};
pub use super::words::clip;
use super::write::{check_target, write_atomic, write_stdout};
use super::{DEFAULT_EXPIRING_DAYS, PatchStore, Report, ReportInput, ReportKind};

/// What was collected for one report.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    pub snapshot: FleetSnapshot,
    /// Per-node patch lists (only for the patches report; spilled to disk).
    pub patches: PatchStore,
}

/// Checks that need no network: flags, the output target, the `--since` file.
pub fn preflight(args: &ReportArgs) -> Result<Option<Previous>, String> {
    if let Some(d) = args.fail_if_expiring
        && d < 0
    {
        return Err(format!(
            "--fail-if-expiring must be 0 or more days, got {d}"
        ));
    }
    if let Some(out) = &args.output {
        check_target(out, args.force).map_err(|e| e.to_string())?;
    }
    args.since.as_deref().map(load_previous).transpose()
}

/// Build, write and judge the report from what was collected. Returns the exit code;
/// messages for the user go to `err`.
pub fn produce(
    args: &ReportArgs,
    config: &Config,
    collected: &Collected,
    previous: Option<&Previous>,
    now: DateTime<Utc>,
    err: &mut dyn Write,
) -> u8 {
    let mut recent;
    let mut snap = &collected.snapshot;
    if ReportKind::from(args.kind) == ReportKind::Windows {
        recent = snap.clone();
        super::schedules::keep_recent_executions(&mut recent, now, args.days);
        snap = &recent;
    }
    if !crate::fleet::command::collected_anything(snap)
        && snap.nodes.is_empty()
        && !snap.errors.is_empty()
    {
        let _ = writeln!(
            err,
            "ssmdeck report: nothing could be collected ({} errors); first: {}",
            snap.errors.len(),
            clip(&describe_error(&snap.errors[0]), 240)
        );
        return EXIT_ERROR;
    }
    let stale_after = Duration::days(config.stale_after_days.max(1));
    let aggregates = Aggregates::compute(snap, &AggregateConfig { stale_after }, now);
    let expiring_within_days = args
        .fail_if_expiring
        .unwrap_or(DEFAULT_EXPIRING_DAYS)
        .max(DEFAULT_EXPIRING_DAYS);
    let report = Report::build(&ReportInput {
        kind: args.kind.into(),
        snapshot: snap,
        aggregates: &aggregates,
        patches: &collected.patches,
        now,
        stale_after,
        expiring_within_days,
        previous,
    });

    let written = match &args.output {
        Some(path) => write_atomic(path, args.force, |w| report.render(args.format.into(), w))
            .map_err(|e| e.to_string()),
        None => write_stdout(|w| report.render(args.format.into(), w))
            .map_err(|e| format!("cannot write to stdout: {e}")),
    };
    if let Err(e) = written {
        let _ = writeln!(err, "ssmdeck report: {e}");
        return EXIT_ERROR;
    }
    if let Some(path) = &args.output {
        let _ = writeln!(
            err,
            "ssmdeck report: wrote {} ({} rows) to {}",
            super::rows::kind_name(args.kind.into()),
            report.rows.len(),
            path.display()
        );
    }
    // A partial snapshot lists its gaps below, one line each; the warning is for errors that
    // are not gaps already listed (a detail that failed inside a source that was read).
    if !report.errors.is_empty() && (snap.complete || report.errors.len() > snap.missing.len()) {
        let _ = writeln!(
            err,
            "ssmdeck report: warning: {} could not be read (listed in the JSON/Markdown/HTML report); first: {}",
            super::words::plural(report.errors.len(), "source"),
            clip(&describe_brief(&report.errors[0]), 240)
        );
    }
    if !snap.complete {
        for line in crate::fleet::command::describe_missing(snap, 10) {
            let _ = writeln!(err, "ssmdeck report: {line}");
        }
    }
    if ReportKind::from(args.kind) == ReportKind::Patches
        && collected.patches.is_empty()
        && !snap.nodes.is_empty()
    {
        let _ = writeln!(
            err,
            "ssmdeck report: warning: no patch lists were collected"
        );
    }

    let reasons = evaluate(
        &Policy {
            fail_on: args.fail_on.map(Into::into),
            fail_if_expiring: args.fail_if_expiring,
        },
        snap,
        now,
    );
    for r in &reasons {
        let _ = writeln!(err, "ssmdeck report: {r}");
    }
    exit_code(!reasons.is_empty(), snap.complete)
}

/// The report was written and is partial (some account, region or service could not be
/// read), with no alert found in what was read.
pub const EXIT_PARTIAL: u8 = crate::fleet::command::EXIT_PARTIAL;

/// An alert wins over partial: what was found in the data that was read is real and pages
/// someone (stderr still says the report is partial); partial without an alert is `3`, so
/// "no alert" is never claimed for data that was not read.
pub fn exit_code(alert: bool, complete: bool) -> u8 {
    match (alert, complete) {
        (true, _) => EXIT_ALERT,
        (false, false) => EXIT_PARTIAL,
        (false, true) => EXIT_OK,
    }
}

fn describe_error(e: &crate::model::CollectError) -> String {
    let place = [e.account_id.as_deref(), e.region.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/");
    crate::text::sanitize(&format!(
        "{place} {} {}: {} {}",
        e.service, e.operation, e.code, e.message
    ))
}

fn describe_brief(e: &super::summary::ErrorBrief) -> String {
    let place = [e.account_id.as_deref(), e.region.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/");
    crate::text::sanitize(&format!(
        "{place} {} {}: {} {}",
        e.service, e.operation, e.code, e.message
    ))
}

/// Load the config named by the scope flags (or the default one).
pub fn load_config(config: Option<&Path>, paths: &Paths) -> Result<Config, String> {
    Config::load(config, paths).map_err(|e| e.to_string())
}

/// Turn a policy exit code into a process exit code.
pub fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}
