//! What each plugin step printed, rendered on demand from the invocation's result and the
//! node: AWS-RunPatchBaseline in the style of the real PatchLinux / PatchWindows steps
//! (baseline, operation, counts, the patch list, "Patch operation completed"); the scripts
//! of AWS-RunShellScript / AWS-RunPowerShellScript through [`super::script`]; short
//! Distributor and agent-update logs.

use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};

use super::{Command, Doc, Invocation, RunResult};
use crate::sim::ssm::fleet::RegionFleet;
use crate::sim::ssm::node::{NodeRec, PatchCounts};
use crate::sim::ssm::patches::{self, PState};

/// (stdout, stderr) of the invocation's active step, in full (callers truncate).
pub fn render(f: &RegionFleet, c: &Command, inv: &Invocation) -> (String, String) {
    let Some(node) = f.node(&inv.instance_id) else {
        return (String::new(), String::new());
    };
    let start = inv.start.unwrap_or(c.requested);
    let end = inv.end.unwrap_or(start);
    let fallback = RunResult {
        before: node.counts,
        after: node.counts,
        ..RunResult::default()
    };
    let result = inv.result.as_ref().unwrap_or(&fallback);
    match &c.doc {
        Doc::PatchBaseline { install, reboot } => {
            if inv.windows {
                patch_windows(
                    f,
                    c,
                    node,
                    *install,
                    *reboot,
                    result,
                    start,
                    end,
                    inv.response_code,
                )
            } else {
                patch_linux(
                    f,
                    c,
                    node,
                    *install,
                    *reboot,
                    result,
                    start,
                    end,
                    inv.response_code,
                )
            }
        }
        Doc::Script { lines, powershell } => {
            let r = script_run(f, c, node, lines, *powershell, start);
            (r.stdout, r.stderr)
        }
        Doc::Package {
            install,
            name,
            version,
        } => {
            let (o, e, _) = package_run(node, *install, name, version);
            (o, e)
        }
        Doc::UpdateAgent { version } => {
            let (o, e, _) = agent_update_run(node, &f.region, version);
            (o, e)
        }
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S,%3f").to_string()
}

fn product(node: &NodeRec) -> &'static str {
    match node.platform().key {
        "al2023" => "AmazonLinux2023",
        "al2" => "AmazonLinux2",
        "ubuntu2204" | "ubuntu2404" => "Ubuntu",
        "rhel9" => "RedhatEnterpriseLinux9.4",
        "sles15" => "SUSE15.5",
        _ => "WindowsServer",
    }
}

fn package_manager(node: &NodeRec) -> &'static str {
    match node.platform().key {
        "al2" => "yum",
        "ubuntu2204" | "ubuntu2404" => "apt",
        "sles15" => "zypper",
        _ => "dnf",
    }
}

fn counts_line(c: &PatchCounts) -> String {
    format!(
        "installed: {}, installed other: {}, installed pending reboot: {}, installed rejected: {}, missing: {}, failed: {}, not applicable: {}",
        c.installed,
        c.installed_other,
        c.pending_reboot,
        c.rejected,
        c.missing,
        c.failed,
        c.not_applicable
    )
}

#[allow(clippy::too_many_arguments)]
fn patch_linux(
    f: &RegionFleet,
    _c: &Command,
    node: &NodeRec,
    install: bool,
    reboot: bool,
    r: &RunResult,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    code: i32,
) -> (String, String) {
    let mut out = String::with_capacity(8192);
    let mut err = String::new();
    let span = (end - start).num_milliseconds().max(1000);
    let at = |frac: f64| stamp(start + Duration::milliseconds((span as f64 * frac) as i64));
    let region = &f.region;
    let pm = package_manager(node);
    let _ = writeln!(out, "/usr/bin/python3");
    let _ = writeln!(out, "/usr/bin/{pm}");
    let _ = writeln!(out, "Using python binary: 'python3'");
    let _ = writeln!(out, "Using Python Version: Python 3.9.16");
    let _ = writeln!(
        out,
        "{} root [INFO]: Downloading payload from https://s3.dualstack.{region}.amazonaws.com/aws-ssm-{region}/patchbaselineoperations/linux/payloads/patch-baseline-operations-1.286.tar.gz",
        at(0.01)
    );
    let _ = writeln!(
        out,
        "{} root [INFO]: Attempting to import entrance file os_selector",
        at(0.02)
    );
    let _ = writeln!(out, "{} root [INFO]: Instance Id: {}", at(0.03), node.id);
    let _ = writeln!(out, "{} root [INFO]: Region: {region}", at(0.03));
    let _ = writeln!(out, "{} root [INFO]: Product: {}", at(0.03), product(node));
    let _ = writeln!(
        out,
        "{} root [INFO]: Patch Group: {}",
        at(0.03),
        node.patch_group().unwrap_or("")
    );
    let _ = writeln!(
        out,
        "{} root [INFO]: Operation type: {}, reboot option: {}",
        at(0.04),
        if install { "install" } else { "scan" },
        if reboot { "RebootIfNeeded" } else { "NoReboot" }
    );
    let _ = writeln!(
        out,
        "{} root [INFO]: Snapshot Id: {}",
        at(0.04),
        r.snapshot_id
    );
    let _ = writeln!(
        out,
        "{} root [INFO]: Patch baseline: {} ({})",
        at(0.05),
        f.baseline_id_for(node),
        f.baseline_name_for(node)
    );
    let _ = writeln!(
        out,
        "{} root [INFO]: Loading patch snapshot from snapshot data",
        at(0.06)
    );
    let _ = writeln!(
        out,
        "{} root [INFO]: Start to scan packages with {pm}.",
        at(0.08)
    );
    if node.association_status == "Failed" {
        let _ = writeln!(
            err,
            "Errors during downloading metadata for repository '{}':",
            repo(node)
        );
        let _ = writeln!(
            err,
            "  - Curl error (28): Timeout was reached for https://{}/repodata/repomd.xml [Connection timed out after 30001 milliseconds]",
            repo_host(node, region)
        );
        let _ = writeln!(
            err,
            "Error: Failed to download metadata for repo '{}': Cannot download repomd.xml: Cannot download repodata/repomd.xml: All mirrors were tried",
            repo(node)
        );
        let _ = writeln!(
            out,
            "{} root [ERROR]: Package manager failed, return code: 1",
            at(0.9)
        );
        let _ = writeln!(out, "{} root [ERROR]: Patch operation failed.", at(0.95));
        let _ = writeln!(out, "failed to run commands: exit status {code}");
        return (out, err);
    }
    let list = patches::patch_list(node);
    if install {
        let installed = installed_names(r, &list);
        let failed = failed_names(r, &list, code);
        let _ = writeln!(
            out,
            "{} root [INFO]: Installing {} package(s):",
            at(0.1),
            installed.len() + failed.len()
        );
        for p in installed.iter().chain(failed.iter()) {
            let _ = writeln!(out, "    {p}");
        }
        if !installed.is_empty() {
            transaction(&mut out, pm, &installed);
        }
        for p in &failed {
            let _ = match pm {
                "apt" => writeln!(
                    err,
                    "dpkg: error processing package {p} (--configure):\n installed post-installation script subprocess returned error exit status 1\nE: Sub-process /usr/bin/dpkg returned an error code (1)"
                ),
                "zypper" => writeln!(
                    err,
                    "Installation of {p} failed:\nError: Subprocess failed. Error: RPM failed: error: unpacking of archive failed: cpio: rename failed"
                ),
                _ => writeln!(
                    err,
                    "Error: Transaction test error:\n  file /usr/lib64/.build-id conflicts between attempted installs of {p}"
                ),
            };
        }
        if !failed.is_empty() {
            let _ = writeln!(
                out,
                "{} root [ERROR]: Failed to install package(s): {}",
                at(0.8),
                failed.join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "{} root [INFO]: Patch states after the operation ({} packages):",
        at(0.85),
        list.len()
    );
    for p in list.iter().filter(|p| p.state != PState::NotApplicable) {
        let _ = writeln!(out, "    {:<72} {}", p.title, p.state.as_str());
    }
    let _ = writeln!(
        out,
        "{} root [INFO]: Summary: {}",
        at(0.9),
        counts_line(&r.after)
    );
    let _ = writeln!(out, "{} root [INFO]: Report upload successful.", at(0.92));
    if r.rebooted {
        let _ = writeln!(
            out,
            "{} root [INFO]: Reboot is required; rebooting the instance.",
            at(0.94)
        );
        let _ = writeln!(
            out,
            "{} root [INFO]: Instance rebooted; resuming.",
            at(0.98)
        );
    } else if install && !reboot && r.after.pending_reboot > 0 {
        let _ = writeln!(
            out,
            "{} root [INFO]: RebootOption is NoReboot: {} package(s) pending reboot; the instance is not compliant until it reboots and is scanned again.",
            at(0.94),
            r.after.pending_reboot
        );
    }
    if code == 0 {
        let _ = writeln!(out, "{} root [INFO]: Patch operation completed.", at(1.0));
    } else {
        let _ = writeln!(out, "{} root [ERROR]: Patch operation failed.", at(1.0));
        let _ = writeln!(out, "failed to run commands: exit status {code}");
    }
    (out, err)
}

fn repo(node: &NodeRec) -> &'static str {
    match node.platform().key {
        "al2023" => "amazonlinux",
        "al2" => "amzn2-core",
        "rhel9" => "rhel-9-baseos-rhui-rpms",
        "sles15" => "SLE-Module-Basesystem15-SP5-Updates",
        _ => "ubuntu-jammy-security",
    }
}

fn repo_host(node: &NodeRec, region: &str) -> String {
    match node.platform().key {
        "al2023" => format!(
            "al2023-repos-{region}-de612dc2.s3.dualstack.{region}.amazonaws.com/core/mirrors/2023.6.20241121/x86_64"
        ),
        "al2" => format!(
            "amazonlinux-2-repos-{region}.s3.dualstack.{region}.amazonaws.com/2/core/2.0/x86_64"
        ),
        "rhel9" => format!(
            "rhui.{region}.aws.ce.redhat.com/pulp/mirror/content/dist/rhel9/rhui/9/x86_64/baseos/os"
        ),
        "sles15" => {
            "smt-ec2.susecloud.net/repo/SUSE/Updates/SLE-Module-Basesystem/15-SP5/x86_64/update"
                .to_string()
        }
        _ => format!("{region}.ec2.archive.ubuntu.com/ubuntu"),
    }
}

/// Package-manager transaction output for the installed packages.
fn transaction(out: &mut String, pm: &str, installed: &[String]) {
    let n = installed.len();
    match pm {
        "apt" => {
            let _ = writeln!(
                out,
                "Reading package lists...\nBuilding dependency tree...\nReading state information..."
            );
            let _ = writeln!(out, "The following packages will be upgraded:");
            for p in installed {
                let _ = writeln!(out, "  {}", p.split('_').next().unwrap_or(p));
            }
            let _ = writeln!(
                out,
                "{n} upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
            );
            for p in installed {
                let _ = writeln!(
                    out,
                    "Preparing to unpack .../{p}.deb ...\nUnpacking {p} ..."
                );
            }
            for p in installed {
                let _ = writeln!(out, "Setting up {p} ...");
            }
        }
        "zypper" => {
            let _ = writeln!(
                out,
                "Loading repository data...\nReading installed packages...\nResolving package dependencies..."
            );
            let _ = writeln!(out, "The following {n} packages are going to be upgraded:");
            for (i, p) in installed.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "({}/{n}) Installing: {p} .......................[done]",
                    i + 1
                );
            }
        }
        _ => {
            let _ = writeln!(out, "Dependencies resolved.");
            let _ = writeln!(
                out,
                "Running transaction check\nTransaction check succeeded.\nRunning transaction test\nTransaction test succeeded.\nRunning transaction"
            );
            for (i, p) in installed.iter().enumerate() {
                let _ = writeln!(out, "  Upgrading        : {p:<70} {}/{n}", i + 1);
            }
            for (i, p) in installed.iter().enumerate() {
                let _ = writeln!(out, "  Verifying        : {p:<70} {}/{n}", i + 1);
            }
            let _ = writeln!(out, "Complete!");
        }
    }
}

/// The packages that failed to install (derived from the FAILED patches for generated history).
fn failed_names(r: &RunResult, list: &[patches::PatchItem], code: i32) -> Vec<String> {
    if !r.failed.is_empty() || code == 0 {
        return r.failed.clone();
    }
    list.iter()
        .filter(|p| p.state == PState::Failed)
        .map(|p| p.package.to_string())
        .collect()
}

/// The installed packages of a run (derived for generated history).
fn installed_names(r: &RunResult, list: &[patches::PatchItem]) -> Vec<String> {
    match &r.installed {
        Some(v) => v.clone(),
        None => list
            .iter()
            .filter(|p| {
                p.state == PState::Installed
                    && p.installed_time.is_some()
                    && p.classification != "Enhancement"
            })
            .take(r.before.missing as usize)
            .map(|p| p.package.to_string())
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn patch_windows(
    f: &RegionFleet,
    c: &Command,
    node: &NodeRec,
    install: bool,
    reboot: bool,
    r: &RunResult,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    code: i32,
) -> (String, String) {
    let mut out = String::with_capacity(4096);
    let mut err = String::new();
    let iso = |t: DateTime<Utc>| t.format("%m/%d/%Y %H:%M:%S").to_string();
    let host = node.computer_name.split('.').next().unwrap_or("");
    let _ = writeln!(
        out,
        "Executing PatchBaselineOperations.ps1 with Operation: {}",
        if install { "Install" } else { "Scan" }
    );
    let _ = writeln!(
        out,
        "Downloading https://s3.dualstack.{0}.amazonaws.com/aws-ssm-{0}/patchbaselineoperations/windows/payloads/PatchBaselineOperations-1.115.zip",
        f.region
    );
    if node.association_status == "Failed" {
        let _ = writeln!(
            err,
            "Invoke-PatchBaselineOperation : Exception Details: An error occurred when attempting to search Windows Update.\nException Level 1:\n Error Message: Exception from HRESULT: 0x80244022\n Stack Trace: at WUApiLib.IUpdateSearcher.Search(String criteria)"
        );
        let _ = writeln!(out, "failed to run commands: exit status {code}");
        return (out, err);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Patch Summary for {}", node.id);
    let _ = writeln!(
        out,
        "PatchGroup          : {}",
        node.patch_group().unwrap_or("")
    );
    let _ = writeln!(out, "BaselineId          : {}", f.baseline_id_for(node));
    let _ = writeln!(out, "SnapshotId          : {}", r.snapshot_id);
    let _ = writeln!(
        out,
        "RebootOption        : {}",
        if reboot { "RebootIfNeeded" } else { "NoReboot" }
    );
    let _ = writeln!(out, "OwnerInformation    : ");
    let _ = writeln!(
        out,
        "OperationType       : {}",
        if install { "Install" } else { "Scan" }
    );
    let _ = writeln!(
        out,
        "OperationStartTime  : {}",
        start.format("%Y-%m-%dT%H:%M:%S%.6f0Z")
    );
    let _ = writeln!(
        out,
        "OperationEndTime    : {}",
        end.format("%Y-%m-%dT%H:%M:%S%.6f0Z")
    );
    let a = &r.after;
    let _ = writeln!(out, "InstalledCount      : {}", a.installed);
    let _ = writeln!(out, "InstalledOtherCount : {}", a.installed_other);
    let _ = writeln!(out, "InstalledPendingRebootCount : {}", a.pending_reboot);
    let _ = writeln!(out, "InstalledRejectedCount : {}", a.rejected);
    let _ = writeln!(out, "FailedCount         : {}", a.failed);
    let _ = writeln!(out, "MissingCount        : {}", a.missing);
    let _ = writeln!(out, "NotApplicableCount  : {}", a.not_applicable);
    let _ = writeln!(out, "UnreportedNotApplicableCount : 0");
    let _ = writeln!(out);
    let list = patches::patch_list(node);
    let _ = writeln!(
        out,
        "{host} - PatchBaselineOperations Assessment Results - {}",
        iso(end)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "KbArticleId Installed  Title");
    let _ = writeln!(out, "----------- ---------  -----");
    for p in list.iter().filter(|p| p.state != PState::NotApplicable) {
        let state = match p.state {
            PState::Installed => "Installed",
            PState::InstalledOther => "InstalledOther",
            PState::InstalledPendingReboot => "PendingReboot",
            PState::Missing => "Missing",
            PState::Failed => "Failed",
            PState::AvailableSecurityUpdate => "Available",
            _ => "Rejected",
        };
        let _ = writeln!(out, "{:<11} {:<10} {}", p.kb_id, state, p.title);
    }
    if install {
        let installed = installed_names(r, &list);
        let failed = failed_names(r, &list, code);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{host} - PatchBaselineOperations Installation Results - {}",
            iso(end)
        );
        let _ = writeln!(
            out,
            "Installed {} update(s); {} failed.",
            installed.len(),
            failed.len()
        );
        for p in &failed {
            let _ = writeln!(
                err,
                "Installation of update failed: {p} (HRESULT 0x80240022)"
            );
        }
    }
    if r.rebooted {
        let _ = writeln!(
            out,
            "Reboot is required: restarting the instance to finish installing updates."
        );
    }
    if code == 0 {
        let _ = writeln!(out, "Patch operation completed.");
    } else {
        let _ = writeln!(out, "failed to run commands: exit status {code}");
    }
    let _ = c;
    (out, err)
}

/// What a script does on `node` when `c` runs it (the same answer every time).
pub fn script_run(
    f: &RegionFleet,
    c: &Command,
    node: &NodeRec,
    lines: &[String],
    powershell: bool,
    start: DateTime<Utc>,
) -> super::script::ScriptRun {
    let env = super::script::Env {
        command_id: &c.id,
        region: &f.region,
        account_id: &f.account_id,
        start,
    };
    super::script::run(node, &env, lines, powershell)
}

/// AWS-ConfigureAWSPackage's output (Distributor), and its exit code.
pub fn package_run(
    node: &NodeRec,
    install: bool,
    name: &str,
    version: &str,
) -> (String, String, i32) {
    let known = [
        "AmazonCloudWatchAgent",
        "AWSPVDriver",
        "AwsEnaNetworkDriver",
        "AWSNVMe",
        "AwsVssComponents",
        "AmazonEFSUtils",
        "AWSCodeDeployAgent",
        "AmazonInspector2-InspectorSsmPlugin",
    ];
    if !known.contains(&name) {
        return (
            String::new(),
            format!(
                "failed to retrieve package document: ResourceNotFoundException: No package found with name {name}\nfailed to run commands: exit status 1\n"
            ),
            1,
        );
    }
    let windows_only = matches!(
        name,
        "AWSPVDriver" | "AwsEnaNetworkDriver" | "AWSNVMe" | "AwsVssComponents"
    );
    if windows_only && !node.windows() {
        return (
            String::new(),
            format!(
                "Package \"{name}\" is not available for platform linux\nfailed to run commands: exit status 1\n"
            ),
            1,
        );
    }
    let version = if version.is_empty() {
        "1.300049.1"
    } else {
        version
    };
    let verb = if install { "install" } else { "uninstall" };
    let done = if install {
        "Successfully installed"
    } else {
        "Successfully uninstalled"
    };
    (
        format!(
            "Initiating {name} {version} {verb}\nPlugin aws:runShellScript ResultStatus Success\n{done} {name} {version}\n"
        ),
        String::new(),
        0,
    )
}

/// AWS-UpdateSSMAgent's output, and its exit code.
pub fn agent_update_run(node: &NodeRec, region: &str, version: &str) -> (String, String, i32) {
    let target = if version.is_empty() {
        crate::sim::ssm::catalog::LATEST_AGENT
    } else {
        version
    };
    let mut out = format!(
        "Updating amazon-ssm-agent from {} to {target}\nSuccessfully downloaded manifest\nSuccessfully downloaded updater version 3.3.1611.0\nUpdating SSM Agent from https://s3.{region}.amazonaws.com/amazon-ssm-{region}/ssm-agent-manifest.json\n",
        node.agent_version
    );
    if node.agent_version == target {
        out = format!("amazon-ssm-agent {target} has already been installed, update skipped\n");
    } else {
        out.push_str(&format!(
            "Successfully installed amazon-ssm-agent {target}\n"
        ));
    }
    (out, String::new(), 0)
}
