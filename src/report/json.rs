//! JSON: the report's data typed (numbers as numbers, times in RFC 3339, unknown values
//! `null`), with scope, summary, errors, the `state` section `--since` compares against,
//! and `changes` when the report was made with `--since`.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Report;
use super::Rows;
use super::rows::kind_name;
use super::since::{Changes, State};
use super::summary::{ErrorBrief, ScopeInfo, Summary};

/// Version of the JSON report layout (bumped on incompatible changes).
pub const JSON_REPORT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    ssmdeck_report: u32,
    kind: &'static str,
    generated_at: DateTime<Utc>,
    collected_at: DateTime<Utc>,
    scope: &'a ScopeInfo,
    summary: &'a Summary,
    rows: &'a Rows,
    errors: &'a [ErrorBrief],
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<&'a Changes>,
    state: &'a State,
}

/// The report's strings were sanitized when it was built ([`super::Report::build`]).
/// Rows are serialized as they are produced, straight into `w`.
pub fn write_report(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let doc = JsonReport {
        ssmdeck_report: JSON_REPORT_VERSION,
        kind: kind_name(report.kind),
        generated_at: report.generated_at,
        collected_at: report.collected_at,
        scope: &report.scope,
        summary: &report.summary,
        rows: &report.rows,
        errors: &report.errors,
        changes: report.changes.as_ref(),
        state: &report.state,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::other)?;
    w.write_all(b"\n")
}
