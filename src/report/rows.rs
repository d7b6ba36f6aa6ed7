//! The report kinds as typed rows, built from the fleet snapshot.
//!
//! Each row type serializes to JSON with its real types (numbers as numbers, times as
//! RFC 3339, unknown values as `null`) and renders to text cells for CSV / HTML under
//! its column headers. Rows are sorted deterministically so reports diff cleanly.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::ReportKind;
use crate::model::{Account, Certificate, CommandSummary, ExpiryBand, FleetSnapshot, Node, Patch};

/// RFC 3339 with whole seconds (`2026-11-23T06:00:00Z`); empty when unknown.
pub fn fmt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn opt_num<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// A row type: column headers plus the text of each cell (before format escaping).
pub trait Tabular: Serialize {
    fn headers() -> &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

/// Account lookups shared by the row builders.
pub struct Accounts<'a> {
    by_id: HashMap<&'a str, &'a Account>,
}

impl<'a> Accounts<'a> {
    pub fn new(snap: &'a FleetSnapshot) -> Self {
        Accounts {
            by_id: snap.accounts.iter().map(|a| (a.id.as_str(), a)).collect(),
        }
    }
    fn name(&self, id: &str) -> String {
        self.by_id
            .get(id)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    }
    fn ou_path(&self, id: &str) -> String {
        self.by_id
            .get(id)
            .map(|a| a.ou_path.clone())
            .unwrap_or_default()
    }
}

fn node_order(a: &Node, b: &Node) -> std::cmp::Ordering {
    (&a.account_id, &a.region, &a.instance_id).cmp(&(&b.account_id, &b.region, &b.instance_id))
}

/// Nodes in report order: account, region, instance id.
pub fn sorted_nodes(snap: &FleetSnapshot) -> Vec<&Node> {
    let mut nodes: Vec<&Node> = snap.nodes.iter().collect();
    nodes.sort_by(|a, b| node_order(a, b));
    nodes
}

/// Highest severity known from the patch state summary: `CRITICAL` when a critical
/// patch is non-compliant; otherwise unknown (the summary does not break the rest down
/// by compliance level), so empty.
fn compliance_severity(n: &Node) -> Option<&'static str> {
    (n.critical_noncompliant > 0).then_some("CRITICAL")
}

// ---------------------------------------------------------------------------------------
// compliance: the AWS-ExportPatchReportToS3 summary columns + account, OU, region

/// One node in the all-nodes compliance report (AWS-ExportPatchReportToS3 summary
/// columns, then account / account name / OU path / region, then ssmdeck's extras).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplianceRow {
    pub index: u64,
    pub instance_id: String,
    pub instance_name: String,
    pub instance_ip: String,
    pub platform_name: String,
    pub platform_version: String,
    pub agent_version: String,
    pub patch_baseline: Option<String>,
    pub patch_group: Option<String>,
    /// `COMPLIANT`, `NON_COMPLIANT` or `UNREPORTED`.
    pub compliance_status: String,
    pub compliance_severity: Option<String>,
    pub critical_noncompliant: Option<u32>,
    /// Per-compliance-level counts the patch state summary does not carry: `null`.
    pub high_noncompliant: Option<u32>,
    pub medium_noncompliant: Option<u32>,
    pub low_noncompliant: Option<u32>,
    pub informational_noncompliant: Option<u32>,
    pub unspecified_noncompliant: Option<u32>,
    pub account_id: String,
    pub account_name: String,
    pub ou_path: String,
    pub region: String,
    pub security_noncompliant: Option<u32>,
    pub other_noncompliant: Option<u32>,
    pub missing: Option<u32>,
    pub failed: Option<u32>,
    pub installed_pending_reboot: Option<u32>,
    pub installed_rejected: Option<u32>,
    pub ping_status: String,
    pub last_operation: Option<String>,
    pub last_scan: Option<DateTime<Utc>>,
    pub stale: bool,
}

impl Tabular for ComplianceRow {
    fn headers() -> &'static [&'static str] {
        &[
            "Index",
            "Instance ID",
            "Instance name",
            "Instance IP",
            "Platform name",
            "Platform version",
            "SSM Agent version",
            "Patch baseline",
            "Patch group",
            "Compliance status",
            "Compliance severity",
            "Noncompliant Critical severity patch count",
            "Noncompliant High severity patch count",
            "Noncompliant Medium severity patch count",
            "Noncompliant Low severity patch count",
            "Noncompliant Informational severity patch count",
            "Noncompliant Unspecified severity patch count",
            "Account ID",
            "Account name",
            "OU path",
            "Region",
            "Noncompliant Security patch count",
            "Noncompliant Other patch count",
            "Missing",
            "Failed",
            "Installed pending reboot",
            "Installed rejected",
            "Ping status",
            "Last operation",
            "Last scan",
            "Stale",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.index.to_string(),
            self.instance_id.clone(),
            self.instance_name.clone(),
            self.instance_ip.clone(),
            self.platform_name.clone(),
            self.platform_version.clone(),
            self.agent_version.clone(),
            self.patch_baseline.clone().unwrap_or_default(),
            self.patch_group.clone().unwrap_or_default(),
            self.compliance_status.clone(),
            self.compliance_severity.clone().unwrap_or_default(),
            opt_num(self.critical_noncompliant),
            opt_num(self.high_noncompliant),
            opt_num(self.medium_noncompliant),
            opt_num(self.low_noncompliant),
            opt_num(self.informational_noncompliant),
            opt_num(self.unspecified_noncompliant),
            self.account_id.clone(),
            self.account_name.clone(),
            self.ou_path.clone(),
            self.region.clone(),
            opt_num(self.security_noncompliant),
            opt_num(self.other_noncompliant),
            opt_num(self.missing),
            opt_num(self.failed),
            opt_num(self.installed_pending_reboot),
            opt_num(self.installed_rejected),
            self.ping_status.clone(),
            self.last_operation.clone().unwrap_or_default(),
            fmt_time(self.last_scan),
            yes_no(self.stale),
        ]
    }
}

/// The compliance row of one node; `index` is its 1-based position in report order.
/// `stale_after` as in the aggregates.
pub fn compliance_row(
    index: u64,
    n: &Node,
    accts: &Accounts<'_>,
    now: DateTime<Utc>,
    stale_after: chrono::Duration,
) -> ComplianceRow {
    let reported = n.has_patch_state();
    let count = |v: u32| reported.then_some(v);
    ComplianceRow {
        index,
        instance_id: n.instance_id.clone(),
        instance_name: n.name.clone(),
        instance_ip: n.ip_address.clone(),
        platform_name: n.platform_name.to_string(),
        platform_version: n.platform_version.to_string(),
        agent_version: n.agent_version.to_string(),
        patch_baseline: n.baseline_id.as_deref().map(str::to_string),
        patch_group: n
            .patch_group
            .as_deref()
            .filter(|g| !g.is_empty())
            .map(str::to_string),
        compliance_status: n.compliance.as_str().to_string(),
        compliance_severity: compliance_severity(n).map(str::to_string),
        critical_noncompliant: count(n.critical_noncompliant),
        high_noncompliant: None,
        medium_noncompliant: None,
        low_noncompliant: None,
        informational_noncompliant: None,
        unspecified_noncompliant: None,
        account_id: n.account_id.clone(),
        account_name: accts.name(&n.account_id),
        ou_path: accts.ou_path(&n.account_id),
        region: n.region.clone(),
        security_noncompliant: count(n.security_noncompliant),
        other_noncompliant: count(n.other_noncompliant),
        missing: count(n.missing),
        failed: count(n.failed),
        installed_pending_reboot: count(n.installed_pending_reboot),
        installed_rejected: count(n.installed_rejected),
        ping_status: n.ping_status.as_str().to_string(),
        last_operation: n.last_operation.map(|o| o.as_str().to_string()),
        last_scan: n.last_operation_end,
        stale: n.is_stale(now, stale_after),
    }
}

// ---------------------------------------------------------------------------------------
// nodes: inventory + patch counts

/// One managed node with its inventory and patch counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeRow {
    pub instance_id: String,
    pub name: String,
    pub computer_name: String,
    pub account_id: String,
    pub account_name: String,
    pub ou_path: String,
    pub region: String,
    pub ip_address: String,
    pub resource_type: String,
    pub platform_type: String,
    pub platform_name: String,
    pub platform_version: String,
    pub agent_version: String,
    pub agent_outdated: bool,
    pub ping_status: String,
    pub last_ping: Option<DateTime<Utc>>,
    pub registration_date: Option<DateTime<Utc>>,
    pub iam_role: Option<String>,
    pub patch_group: Option<String>,
    pub baseline_id: Option<String>,
    pub compliance: String,
    pub installed: u32,
    pub installed_other: u32,
    pub installed_pending_reboot: u32,
    pub installed_rejected: u32,
    pub missing: u32,
    pub failed: u32,
    pub not_applicable: u32,
    pub critical_noncompliant: u32,
    pub security_noncompliant: u32,
    pub other_noncompliant: u32,
    pub last_operation: Option<String>,
    pub last_operation_end: Option<DateTime<Utc>>,
    /// Whole days since the last scan at report time.
    pub last_scan_age_days: Option<i64>,
    pub stale: bool,
}

impl Tabular for NodeRow {
    fn headers() -> &'static [&'static str] {
        &[
            "Instance ID",
            "Name",
            "Computer name",
            "Account ID",
            "Account name",
            "OU path",
            "Region",
            "IP address",
            "Resource type",
            "Platform type",
            "Platform name",
            "Platform version",
            "SSM Agent version",
            "Agent outdated",
            "Ping status",
            "Last ping",
            "Registration date",
            "IAM role",
            "Patch group",
            "Patch baseline",
            "Compliance",
            "Installed",
            "Installed other",
            "Installed pending reboot",
            "Installed rejected",
            "Missing",
            "Failed",
            "Not applicable",
            "Critical noncompliant",
            "Security noncompliant",
            "Other noncompliant",
            "Last operation",
            "Last operation end",
            "Last scan age (days)",
            "Stale",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.instance_id.clone(),
            self.name.clone(),
            self.computer_name.clone(),
            self.account_id.clone(),
            self.account_name.clone(),
            self.ou_path.clone(),
            self.region.clone(),
            self.ip_address.clone(),
            self.resource_type.clone(),
            self.platform_type.clone(),
            self.platform_name.clone(),
            self.platform_version.clone(),
            self.agent_version.clone(),
            yes_no(self.agent_outdated),
            self.ping_status.clone(),
            fmt_time(self.last_ping),
            fmt_time(self.registration_date),
            self.iam_role.clone().unwrap_or_default(),
            self.patch_group.clone().unwrap_or_default(),
            self.baseline_id.clone().unwrap_or_default(),
            self.compliance.clone(),
            self.installed.to_string(),
            self.installed_other.to_string(),
            self.installed_pending_reboot.to_string(),
            self.installed_rejected.to_string(),
            self.missing.to_string(),
            self.failed.to_string(),
            self.not_applicable.to_string(),
            self.critical_noncompliant.to_string(),
            self.security_noncompliant.to_string(),
            self.other_noncompliant.to_string(),
            self.last_operation.clone().unwrap_or_default(),
            fmt_time(self.last_operation_end),
            opt_num(self.last_scan_age_days),
            yes_no(self.stale),
        ]
    }
}

/// The inventory row of one node.
pub fn node_row(
    n: &Node,
    accts: &Accounts<'_>,
    now: DateTime<Utc>,
    stale_after: chrono::Duration,
) -> NodeRow {
    NodeRow {
        instance_id: n.instance_id.clone(),
        name: n.name.clone(),
        computer_name: n.computer_name.clone(),
        account_id: n.account_id.clone(),
        account_name: accts.name(&n.account_id),
        ou_path: accts.ou_path(&n.account_id),
        region: n.region.clone(),
        ip_address: n.ip_address.clone(),
        resource_type: n.resource_type.to_string(),
        platform_type: n.platform_type.as_str().to_string(),
        platform_name: n.platform_name.to_string(),
        platform_version: n.platform_version.to_string(),
        agent_version: n.agent_version.to_string(),
        agent_outdated: n.agent_outdated,
        ping_status: n.ping_status.as_str().to_string(),
        last_ping: n.last_ping,
        registration_date: n.registration_date,
        iam_role: n.iam_role.as_deref().map(str::to_string),
        patch_group: n
            .patch_group
            .as_deref()
            .filter(|g| !g.is_empty())
            .map(str::to_string),
        baseline_id: n.baseline_id.as_deref().map(str::to_string),
        compliance: n.compliance.as_str().to_string(),
        installed: n.installed,
        installed_other: n.installed_other,
        installed_pending_reboot: n.installed_pending_reboot,
        installed_rejected: n.installed_rejected,
        missing: n.missing,
        failed: n.failed,
        not_applicable: n.not_applicable,
        critical_noncompliant: n.critical_noncompliant,
        security_noncompliant: n.security_noncompliant,
        other_noncompliant: n.other_noncompliant,
        last_operation: n.last_operation.map(|o| o.as_str().to_string()),
        last_operation_end: n.last_operation_end,
        last_scan_age_days: n
            .last_operation_end
            .map(|t| (now - t).num_seconds().div_euclid(86_400)),
        stale: n.is_stale(now, stale_after),
    }
}

// ---------------------------------------------------------------------------------------
// patches: the AWS-ExportPatchReportToS3 detail columns + account, region

/// One patch on one node (AWS-ExportPatchReportToS3 detail columns, then account and region).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatchRow {
    pub index: u64,
    pub instance_id: String,
    pub instance_name: String,
    pub patch_name: String,
    pub kb_id: String,
    pub patch_state: String,
    pub last_report_time: Option<DateTime<Utc>>,
    /// The baseline's compliance level for the patch: not returned by
    /// DescribeInstancePatches, so `null`.
    pub compliance_level: Option<String>,
    pub patch_severity: String,
    pub patch_classification: String,
    pub cve_ids: Vec<String>,
    pub patch_baseline: Option<String>,
    /// Run Command output location: not kept by ssmdeck, so `null`.
    pub logs_url: Option<String>,
    pub instance_ip: String,
    pub platform_name: String,
    pub platform_version: String,
    pub agent_version: String,
    pub account_id: String,
    pub region: String,
    pub installed_time: Option<DateTime<Utc>>,
}

impl Tabular for PatchRow {
    fn headers() -> &'static [&'static str] {
        &[
            "Index",
            "Instance ID",
            "Instance name",
            "Patch name",
            "KB ID/Patch ID",
            "Patch state",
            "Last report time",
            "Compliance level",
            "Patch severity",
            "Patch classification",
            "CVE ID",
            "Patch baseline",
            "Logs URL",
            "Instance IP",
            "Platform name",
            "Platform version",
            "SSM Agent version",
            "Account ID",
            "Region",
            "Installed time",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.index.to_string(),
            self.instance_id.clone(),
            self.instance_name.clone(),
            self.patch_name.clone(),
            self.kb_id.clone(),
            self.patch_state.clone(),
            fmt_time(self.last_report_time),
            self.compliance_level.clone().unwrap_or_default(),
            self.patch_severity.clone(),
            self.patch_classification.clone(),
            self.cve_ids.join(","),
            self.patch_baseline.clone().unwrap_or_default(),
            self.logs_url.clone().unwrap_or_default(),
            self.instance_ip.clone(),
            self.platform_name.clone(),
            self.platform_version.clone(),
            self.agent_version.clone(),
            self.account_id.clone(),
            self.region.clone(),
            fmt_time(self.installed_time),
        ]
    }
}

/// Patch state order in the detail report: what needs attention first.
fn state_rank(p: &Patch) -> u8 {
    use crate::model::PatchState as S;
    match p.state {
        S::Failed => 0,
        S::Missing => 1,
        S::InstalledPendingReboot => 2,
        S::InstalledRejected => 3,
        S::AvailableSecurityUpdate => 4,
        S::Installed => 5,
        S::InstalledOther => 6,
        S::NotApplicable => 7,
        S::Unknown => 8,
        // a state this build does not know: after the known ones, shown as it came
        S::Other(_) => 9,
    }
}

/// Put one node's patch list in report order: what needs attention first (failed,
/// missing, pending reboot, ...), then by KB id and title. The sort is stable, so equal
/// keys keep the order DescribeInstancePatches returned.
pub fn sort_patches(list: &mut [Patch]) {
    list.sort_by(|a, b| {
        (state_rank(a), &a.kb_id, &a.title).cmp(&(state_rank(b), &b.kb_id, &b.title))
    });
}

/// The patch detail rows of one node, from its list already in report order
/// ([`sort_patches`]); `next_index` is the report-wide running index, advanced per row.
pub fn node_patch_rows(n: &Node, list: &[Patch], next_index: &mut u64) -> Vec<PatchRow> {
    list.iter()
        .map(|p| {
            *next_index += 1;
            PatchRow {
                index: *next_index,
                instance_id: n.instance_id.clone(),
                instance_name: n.name.clone(),
                patch_name: p.title.clone(),
                kb_id: p.kb_id.clone(),
                patch_state: p.state.as_str().to_string(),
                last_report_time: n.last_operation_end,
                compliance_level: None,
                patch_severity: p.severity.clone(),
                patch_classification: p.classification.clone(),
                cve_ids: p.cve_ids.clone(),
                patch_baseline: n.baseline_id.as_deref().map(str::to_string),
                logs_url: None,
                instance_ip: n.ip_address.clone(),
                platform_name: n.platform_name.to_string(),
                platform_version: n.platform_version.to_string(),
                agent_version: n.agent_version.to_string(),
                account_id: n.account_id.clone(),
                region: n.region.clone(),
                installed_time: p.installed_time,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// certificates

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertRow {
    pub domain_name: String,
    pub subject_alternative_names: Vec<String>,
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    #[serde(rename = "type")]
    pub cert_type: String,
    pub status: String,
    pub key_algorithm: String,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// Whole days from report time to `not_after` (negative when expired).
    pub days_left: Option<i64>,
    pub expiry_band: ExpiryBand,
    pub in_use: bool,
    pub in_use_by: Vec<String>,
    pub renewal_eligibility: Option<String>,
    pub renewal_status: Option<String>,
    pub failure_reason: Option<String>,
    pub risk: Option<String>,
    pub arn: String,
}

impl Tabular for CertRow {
    fn headers() -> &'static [&'static str] {
        &[
            "Domain name",
            "Subject alternative names",
            "Account ID",
            "Account name",
            "Region",
            "Type",
            "Status",
            "Key algorithm",
            "Not before",
            "Not after",
            "Days left",
            "Expiry band",
            "In use",
            "In use by",
            "Renewal eligibility",
            "Renewal status",
            "Failure reason",
            "Risk",
            "Certificate ARN",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.domain_name.clone(),
            self.subject_alternative_names.join(" "),
            self.account_id.clone(),
            self.account_name.clone(),
            self.region.clone(),
            self.cert_type.clone(),
            self.status.clone(),
            self.key_algorithm.clone(),
            fmt_time(self.not_before),
            fmt_time(self.not_after),
            opt_num(self.days_left),
            band_ascii(self.expiry_band).to_string(),
            yes_no(self.in_use),
            self.in_use_by.join(" "),
            self.renewal_eligibility.clone().unwrap_or_default(),
            self.renewal_status.clone().unwrap_or_default(),
            self.failure_reason.clone().unwrap_or_default(),
            self.risk.clone().unwrap_or_default(),
            self.arn.clone(),
        ]
    }
}

/// Expiry band as plain ASCII for CSV cells (spreadsheets opening CSV as ANSI would
/// garble `≤`).
pub fn band_ascii(b: ExpiryBand) -> &'static str {
    match b {
        ExpiryBand::Expired => "expired",
        ExpiryBand::Within7 => "<=7d",
        ExpiryBand::Within14 => "<=14d",
        ExpiryBand::Within30 => "<=30d",
        ExpiryBand::Within45 => "<=45d",
        ExpiryBand::Later => ">45d",
        ExpiryBand::Unknown => "unknown",
    }
}

/// Days left at `now` (falls back to the collected value when `not_after` is unknown).
pub fn cert_days_left(c: &Certificate, now: DateTime<Utc>) -> Option<i64> {
    c.days_left_at(now).or(c.days_left)
}

/// Certificates sorted by expiry (soonest first; unknown expiry last).
pub fn sorted_certs(snap: &FleetSnapshot) -> Vec<&Certificate> {
    let mut certs: Vec<&Certificate> = snap.certificates.iter().collect();
    certs.sort_by(|a, b| {
        (a.not_after.is_none(), a.not_after, &a.domain_name, &a.arn).cmp(&(
            b.not_after.is_none(),
            b.not_after,
            &b.domain_name,
            &b.arn,
        ))
    });
    certs
}

/// The row of one certificate at `now`.
pub fn cert_row(c: &Certificate, accts: &Accounts<'_>, now: DateTime<Utc>) -> CertRow {
    let days_left = cert_days_left(c, now);
    CertRow {
        domain_name: c.domain_name.clone(),
        subject_alternative_names: c.subject_alternative_names.clone(),
        account_id: c.account_id.clone(),
        account_name: accts.name(&c.account_id),
        region: c.region.clone(),
        cert_type: c.cert_type.clone(),
        status: c.status.clone(),
        key_algorithm: c.key_algorithm.clone(),
        not_before: c.not_before,
        not_after: c.not_after,
        days_left,
        expiry_band: ExpiryBand::from_days(days_left),
        in_use: c.in_use,
        in_use_by: c.in_use_by.clone(),
        renewal_eligibility: c.renewal_eligibility.clone(),
        renewal_status: c.renewal_status.clone(),
        failure_reason: c.failure_reason.clone(),
        risk: c.risk_at(now).map(str::to_string),
        arn: c.arn.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// commands

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandRow {
    pub command_id: String,
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub document_name: String,
    pub comment: String,
    pub status: String,
    pub status_details: String,
    pub requested_at: Option<DateTime<Utc>>,
    pub instance_ids: Vec<String>,
    pub targets: Vec<String>,
    pub target_count: u32,
    pub completed_count: u32,
    pub error_count: u32,
    pub delivery_timed_out_count: u32,
    pub max_concurrency: String,
    pub max_errors: String,
    pub parameters: BTreeMap<String, Vec<String>>,
}

impl Tabular for CommandRow {
    fn headers() -> &'static [&'static str] {
        &[
            "Command ID",
            "Account ID",
            "Account name",
            "Region",
            "Document",
            "Comment",
            "Status",
            "Status details",
            "Requested at",
            "Targets",
            "Target count",
            "Completed",
            "Errors",
            "Delivery timed out",
            "Max concurrency",
            "Max errors",
            "Parameters",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let targets = if self.instance_ids.is_empty() {
            self.targets.join(" ")
        } else {
            self.instance_ids.join(" ")
        };
        let params = self
            .parameters
            .iter()
            .map(|(k, v)| format!("{k}={}", v.join(",")))
            .collect::<Vec<_>>()
            .join("; ");
        vec![
            self.command_id.clone(),
            self.account_id.clone(),
            self.account_name.clone(),
            self.region.clone(),
            self.document_name.clone(),
            self.comment.clone(),
            self.status.clone(),
            self.status_details.clone(),
            fmt_time(self.requested_at),
            targets,
            self.target_count.to_string(),
            self.completed_count.to_string(),
            self.error_count.to_string(),
            self.delivery_timed_out_count.to_string(),
            self.max_concurrency.clone(),
            self.max_errors.clone(),
            params,
        ]
    }
}

/// Commands newest first.
pub fn sorted_commands(snap: &FleetSnapshot) -> Vec<&CommandSummary> {
    let mut cmds: Vec<&CommandSummary> = snap.commands.iter().collect();
    cmds.sort_by(|a, b| {
        (b.requested_at, &a.account_id, &a.region, &a.command_id).cmp(&(
            a.requested_at,
            &b.account_id,
            &b.region,
            &b.command_id,
        ))
    });
    cmds
}

/// The row of one Run Command operation.
pub fn command_row(c: &CommandSummary, accts: &Accounts<'_>) -> CommandRow {
    CommandRow {
        command_id: c.command_id.clone(),
        account_id: c.account_id.clone(),
        account_name: accts.name(&c.account_id),
        region: c.region.clone(),
        document_name: c.document_name.clone(),
        comment: c.comment.clone(),
        status: c.status.clone(),
        status_details: c.status_details.clone(),
        requested_at: c.requested_at,
        instance_ids: c.instance_ids.clone(),
        targets: c.targets.clone(),
        target_count: c.target_count,
        completed_count: c.completed_count,
        error_count: c.error_count,
        delivery_timed_out_count: c.delivery_timed_out_count,
        max_concurrency: c.max_concurrency.clone(),
        max_errors: c.max_errors.clone(),
        parameters: c.parameters.clone(),
    }
}

// ---------------------------------------------------------------------------------------

/// Stable lower-case name of a report kind (`compliance`, `nodes`, ...).
pub fn kind_name(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Compliance => "compliance",
        ReportKind::Nodes => "nodes",
        ReportKind::Patches => "patches",
        ReportKind::Certs => "certs",
        ReportKind::Commands => "commands",
        ReportKind::Windows => "windows",
        ReportKind::Coverage => "coverage",
        ReportKind::Cve => "cve",
        ReportKind::Software => "software",
    }
}
