//! Reports: `ssmdeck report` (headless, cron-friendly) and the console's export.
//!
//! A [`Report`] is built once from a [`FleetSnapshot`] + its [`Aggregates`] (+ per-node
//! patch lists for the patches report, a [`PatchStore`]) at an injected `now`, then
//! rendered in one format. Rendering streams: rows are produced one at a time in report
//! order ([`source`]) and written before the next is built, so memory holds the snapshot,
//! the summary and one row (one node's patch rows), whatever the number of rows:
//! - [`csv`]      — one table per report kind; formula injection neutralised;
//! - [`json`]     — the same data typed, plus summary, errors and a `state` section that
//!   `--since` compares against;
//! - [`markdown`] — a summary to paste into a ticket or chat;
//! - [`html`]     — one self-contained printable file for auditors.
//!
//! Other pieces: [`rows`] (the typed rows of each kind), [`source`] (producing them in
//! order), [`patch_store`] (patch lists spilled to disk as they arrive), [`summary`]
//! (roll-ups shared by the formats), [`since`] (what changed since a previous JSON
//! report), [`policy`] (exit codes for `--fail-on` / `--fail-if-expiring`), [`safety`]
//! (escaping untrusted text), [`write`] (atomic file writing, cleanup after killed runs),
//! [`table`] (exporting any console table as shown), [`headless`] (the `ssmdeck report`
//! command), [`export`] (the console's export dialog model).

pub mod collect;
pub mod csv;
pub mod export;
#[doc(hidden)]
pub mod fixture;
pub mod headless;
pub mod html;
pub mod json;
pub mod kind;
pub mod markdown;
pub mod patch_store;
pub mod policy;
pub mod questions;
pub mod rows;
pub mod safety;
pub mod schedules;
pub mod since;
pub mod source;
pub mod summary;
pub mod table;
pub mod words;
pub mod write;

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::{DateTime, Duration, SubsecRound, Utc};

use crate::model::{Aggregates, FleetSnapshot, NodeKey, Patch};
pub use kind::{FailOn, ReportFormat, ReportKind};

pub use patch_store::PatchStore;
use since::{Changes, Previous, State};
pub use source::{Row, Rows};
use summary::{ErrorBrief, ScopeInfo, Summary};

/// Default threshold for "expiring soon" sections.
pub const DEFAULT_EXPIRING_DAYS: i64 = 30;

/// Per-node patch lists as fetched; a node whose fetch failed carries the error (held in
/// memory: [`PatchStore::from_lists`]; large fleets spill them, [`patch_store::Spiller`]).
pub type NodePatches = BTreeMap<NodeKey, Result<Vec<Patch>, String>>;

/// Everything a report is built from. `now` is injected so output is deterministic.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    pub kind: ReportKind,
    pub snapshot: &'a FleetSnapshot,
    pub aggregates: &'a Aggregates,
    /// Per-node patch lists (read by the patches report only).
    pub patches: &'a PatchStore,
    pub now: DateTime<Utc>,
    /// A node whose last scan is older than this is stale.
    pub stale_after: Duration,
    /// "Expiring soon" threshold for the summary sections.
    pub expiring_within_days: i64,
    /// A previous JSON report to compare with (`--since`).
    pub previous: Option<&'a Previous>,
}

/// A built report, ready to render in any format. Its rows are produced while rendering.
#[derive(Clone, Debug)]
pub struct Report {
    pub kind: ReportKind,
    pub generated_at: DateTime<Utc>,
    pub collected_at: DateTime<Utc>,
    pub scope: ScopeInfo,
    pub summary: Summary,
    pub rows: Rows,
    pub errors: Vec<ErrorBrief>,
    pub state: State,
    pub changes: Option<Changes>,
}

impl Report {
    /// Build a report. Every remote string is sanitized first (control characters and
    /// escape sequences stripped), so all formats, JSON included, carry clean text.
    pub fn build(input: &ReportInput<'_>) -> Report {
        let patches = input.patches.clone();
        let mut clean_snap = sanitized(input.snapshot);
        // Aggregates are keyed by remote ids: when cleaning changed any string, recompute
        // them from the clean snapshot so keys and rows agree.
        let recomputed = (clean_snap != *input.snapshot).then(|| {
            Aggregates::compute(
                &clean_snap,
                &crate::model::AggregateConfig {
                    stale_after: input.stale_after,
                },
                input.now,
            )
        });
        let aggregates = recomputed.as_ref().unwrap_or(input.aggregates);
        whole_seconds(&mut clean_snap);
        let snap = &clean_snap;
        let mut errors = summary::errors_of(snap);
        if input.kind == ReportKind::Patches {
            for (key, message) in patches.failed() {
                errors.push(ErrorBrief {
                    account_id: Some(key.account_id.clone()),
                    account_name: snap.account(&key.account_id).map(|a| a.name.clone()),
                    region: Some(key.region.clone()),
                    service: "ssm".into(),
                    operation: "DescribeInstancePatches".into(),
                    code: key.instance_id.clone(),
                    message: message.clone(),
                });
            }
        }
        let state = State::of(snap, input.now);
        let changes = input.previous.map(|p| since::diff(p, &state));
        let summary = Summary::build(snap, aggregates, input.now, input.expiring_within_days);
        let scope = ScopeInfo::of(snap);
        let collected_at = snap.collected_at;
        Report {
            kind: input.kind,
            generated_at: input.now.trunc_subsecs(0),
            collected_at,
            scope,
            summary,
            rows: Rows::new(
                input.kind,
                clean_snap,
                patches,
                input.now,
                input.stale_after,
            ),
            errors,
            state,
            changes,
        }
    }

    /// Header texts of the report's table, with a "Change" column when the report
    /// compares with a previous one (and the kind has one).
    pub fn headers(&self) -> Vec<String> {
        let mut headers: Vec<String> = self.rows.headers().iter().map(|h| h.to_string()).collect();
        if self.change_labels().is_some() {
            headers.push("Change since previous report".into());
        }
        headers
    }

    /// Call `f` with the cells of every row, in report order (before format escaping),
    /// one row at a time.
    pub fn for_each_cells(
        &self,
        mut f: impl FnMut(Vec<String>) -> io::Result<()>,
    ) -> io::Result<()> {
        let labels = self.change_labels();
        for row in self.rows.iter() {
            let row = row?;
            let mut cells = row.cells();
            if let Some(l) = &labels {
                cells.push(l.of(&row));
            }
            f(cells)?;
        }
        Ok(())
    }

    fn change_labels(&self) -> Option<source::ChangeLabels> {
        self.changes
            .as_ref()
            .and_then(|c| source::ChangeLabels::new(self.kind, c))
    }

    /// Render in `format` to `w`, streaming the rows.
    pub fn render(&self, format: ReportFormat, w: &mut dyn Write) -> io::Result<()> {
        match format {
            ReportFormat::Csv => csv::write_report(self, w),
            ReportFormat::Json => json::write_report(self, w),
            ReportFormat::Md => markdown::write_report(self, w),
            ReportFormat::Html => html::write_report(self, w),
        }
    }

    /// Render to a string (tests, the console's preview).
    pub fn render_to_string(&self, format: ReportFormat) -> String {
        let mut buf = Vec::new();
        self.render(format, &mut buf)
            .expect("rendering into memory cannot fail");
        String::from_utf8(buf).expect("reports are UTF-8")
    }
}

fn trunc(t: &mut Option<DateTime<Utc>>) {
    if let Some(v) = t {
        *v = v.trunc_subsecs(0);
    }
}

/// Reports show times to the second (RFC 3339 without fractions), so two reports of the
/// same data are byte-identical.
fn whole_seconds(s: &mut FleetSnapshot) {
    s.collected_at = s.collected_at.trunc_subsecs(0);
    for n in &mut s.nodes {
        trunc(&mut n.last_ping);
        trunc(&mut n.registration_date);
        trunc(&mut n.last_operation_start);
        trunc(&mut n.last_operation_end);
    }
    for c in &mut s.certificates {
        trunc(&mut c.not_before);
        trunc(&mut c.not_after);
    }
    for c in &mut s.commands {
        trunc(&mut c.requested_at);
    }
}

fn clean(s: &mut String) {
    if !crate::text::is_clean(s) {
        *s = crate::text::sanitize(s);
    }
}

fn clean_opt(s: &mut Option<String>) {
    if let Some(v) = s {
        clean(v);
    }
}

fn clean_shared(s: &mut crate::model::SharedStr) {
    if !crate::text::is_clean(s) {
        *s = crate::text::sanitize(s).into();
    }
}

fn clean_shared_opt(s: &mut Option<crate::model::SharedStr>) {
    if let Some(v) = s {
        clean_shared(v);
    }
}

fn clean_all(v: &mut [String]) {
    v.iter_mut().for_each(clean);
}

/// A copy of the snapshot with every remote string sanitized (only dirty strings are
/// rewritten, so clean data costs one clone).
fn sanitized(src: &FleetSnapshot) -> FleetSnapshot {
    let mut s = src.clone();
    let o = &mut s.organization;
    clean_opt(&mut o.id);
    clean_opt(&mut o.management_account_id);
    clean_opt(&mut o.note);
    for u in &mut o.units {
        clean(&mut u.id);
        clean(&mut u.name);
        clean_opt(&mut u.parent_id);
        clean(&mut u.path);
    }
    if let Some(c) = &mut s.caller {
        clean(&mut c.account_id);
        clean(&mut c.arn);
        clean(&mut c.user_id);
    }
    clean_opt(&mut s.profile);
    clean_all(&mut s.regions);
    for a in &mut s.accounts {
        clean(&mut a.id);
        clean(&mut a.name);
        clean_opt(&mut a.email);
        clean_opt(&mut a.ou_id);
        clean(&mut a.ou_path);
    }
    for n in &mut s.nodes {
        for f in [
            &mut n.instance_id,
            &mut n.account_id,
            &mut n.region,
            &mut n.name,
            &mut n.computer_name,
            &mut n.ip_address,
        ] {
            clean(f);
        }
        for f in [
            &mut n.resource_type,
            &mut n.platform_name,
            &mut n.platform_version,
            &mut n.agent_version,
        ] {
            clean_shared(f);
        }
        clean_shared_opt(&mut n.iam_role);
        clean_shared_opt(&mut n.patch_group);
        clean_shared_opt(&mut n.baseline_id);
    }
    for c in &mut s.certificates {
        for f in [
            &mut c.arn,
            &mut c.account_id,
            &mut c.region,
            &mut c.domain_name,
            &mut c.cert_type,
            &mut c.status,
            &mut c.key_algorithm,
        ] {
            clean(f);
        }
        clean_all(&mut c.subject_alternative_names);
        clean_all(&mut c.in_use_by);
        clean_opt(&mut c.renewal_eligibility);
        clean_opt(&mut c.renewal_status);
        clean_opt(&mut c.failure_reason);
    }
    for c in &mut s.commands {
        for f in [
            &mut c.command_id,
            &mut c.account_id,
            &mut c.region,
            &mut c.document_name,
            &mut c.comment,
            &mut c.status,
            &mut c.status_details,
            &mut c.max_concurrency,
            &mut c.max_errors,
        ] {
            clean(f);
        }
        clean_all(&mut c.instance_ids);
        clean_all(&mut c.targets);
        if c.parameters
            .iter()
            .any(|(k, v)| !crate::text::is_clean(k) || v.iter().any(|x| !crate::text::is_clean(x)))
        {
            c.parameters = std::mem::take(&mut c.parameters)
                .into_iter()
                .map(|(k, mut v)| {
                    clean_all(&mut v);
                    (crate::text::sanitize(&k), v)
                })
                .collect();
        }
    }
    for e in &mut s.errors {
        clean_opt(&mut e.account_id);
        clean_opt(&mut e.region);
        for f in [
            &mut e.service,
            &mut e.operation,
            &mut e.code,
            &mut e.message,
        ] {
            clean(f);
        }
    }
    s
}

/// Lower-case name of a format, also the file extension (`csv`, `json`, `md`, `html`).
pub fn format_ext(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Csv => "csv",
        ReportFormat::Json => "json",
        ReportFormat::Md => "md",
        ReportFormat::Html => "html",
    }
}

/// Title of a report kind for headings.
pub fn kind_title(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Compliance => "Patch compliance",
        ReportKind::Nodes => "Managed nodes",
        ReportKind::Patches => "Patch detail",
        ReportKind::Certs => "Certificates",
        ReportKind::Commands => "Run Command history",
        ReportKind::Windows => "Maintenance-window executions",
        ReportKind::Coverage => "Patch coverage",
        ReportKind::Cve => "Nodes lacking a fix",
        ReportKind::Software => "Software inventory",
    }
}

/// Human UTC time for prose (`2026-11-23 06:00 UTC`).
pub fn human_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests;
