//! What a report is (kind, file format, alert level): domain values, read from the command
//! line (`crate::cli` converts its flags into these) and from the console's export pane.

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// All-nodes compliance summary (AWS-ExportPatchReportToS3 columns + account, OU, region).
    Compliance,
    /// Every managed node with inventory and patch counts.
    Nodes,
    /// Per-node patch detail.
    Patches,
    /// ACM certificates by expiry.
    Certs,
    /// Recent Run Command operations.
    Commands,
    /// Maintenance-window executions of the last `--days` days with their failed targets.
    Windows,
    /// Nodes no maintenance window or patch association installs patches on, by account.
    Coverage,
    /// Nodes lacking the fix for `--id CVE-…` / `KB…` (exit 1 when any does).
    Cve,
    /// Applications and versions across the organization (`--name` for one).
    Software,
}

/// The file format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Csv,
    Json,
    Md,
    Html,
}

/// The non-compliance that makes `ssmdeck report` exit with an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailOn {
    Critical,
    Security,
    Any,
    /// Some node is not covered by any window or patch association that installs.
    Uncovered,
    /// Some maintenance window's last execution failed.
    WindowFailed,
}
