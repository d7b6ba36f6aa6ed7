//! Managed nodes (EC2 `i-` and hybrid `mi-`) with their patch state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::patch::{PatchOperation, RebootOption};
use super::shared_str::SharedStr;
use super::wire_enum::wire_enum;

/// Identifies a node across the organization.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeKey {
    pub account_id: String,
    pub region: String,
    pub instance_id: String,
}

wire_enum! {
    /// DescribeInstanceInformation `PingStatus`.
    #[derive(Default)]
    pub enum PingStatus {
        Online => "Online",
        ConnectionLost => "ConnectionLost",
        Inactive => "Inactive",
    }
    unknown:
        /// Not reported.
        #[default]
        Unknown => "Unknown",
}

wire_enum! {
    /// DescribeInstanceInformation `PlatformType`.
    #[derive(Default)]
    pub enum PlatformType {
        Linux => "Linux",
        Windows => "Windows",
        MacOS => "MacOS",
    }
    unknown:
        /// Not reported.
        #[default]
        Unknown => "Unknown",
}

/// Patch compliance as Patch Manager defines it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compliance {
    Compliant,
    NonCompliant,
    /// No patch state reported: never shown as compliant.
    #[default]
    Unreported,
}

impl Compliance {
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "COMPLIANT",
            Compliance::NonCompliant => "NON_COMPLIANT",
            Compliance::Unreported => "UNREPORTED",
        }
    }
}

/// One managed node: inventory from DescribeInstanceInformation plus the patch state
/// summary from DescribeInstancePatchStates (all patch fields are zero / `None` when the
/// node never reported, and `compliance` is then `Unreported`).
///
/// Strings in here come from remote systems: sanitize (`crate::text::sanitize`) before drawing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub instance_id: String,
    pub account_id: String,
    pub region: String,
    /// EC2 `Name` tag when known, else the SSM `Name` (hybrid default instance name), else the computer name.
    pub name: String,
    pub computer_name: String,
    pub ip_address: String,
    /// `EC2Instance` or `ManagedInstance`.
    pub resource_type: SharedStr,
    pub platform_type: PlatformType,
    pub platform_name: SharedStr,
    pub platform_version: SharedStr,
    pub agent_version: SharedStr,
    /// `IsLatestVersion == false` (only meaningful on Linux).
    pub agent_outdated: bool,
    pub ping_status: PingStatus,
    pub last_ping: Option<DateTime<Utc>>,
    pub registration_date: Option<DateTime<Utc>>,
    pub iam_role: Option<SharedStr>,
    /// From the `Patch Group` / `PatchGroup` tag, else the patch state's `PatchGroup` (empty = none).
    pub patch_group: Option<SharedStr>,
    pub baseline_id: Option<SharedStr>,
    pub compliance: Compliance,
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
    pub last_operation: Option<PatchOperation>,
    pub last_operation_start: Option<DateTime<Utc>>,
    /// When the last Scan/Install ended: "last scan" for staleness.
    pub last_operation_end: Option<DateTime<Utc>>,
    pub reboot_option: Option<RebootOption>,
}

impl Node {
    pub fn key(&self) -> NodeKey {
        NodeKey {
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            instance_id: self.instance_id.clone(),
        }
    }

    /// The patch state's counts of the entries DescribeInstancePatches lists for the node
    /// (Installed, InstalledOther, InstalledPendingReboot, InstalledRejected, Missing,
    /// Failed, NotApplicable).
    pub fn listed_patch_counts(&self) -> [u32; 7] {
        [
            self.installed,
            self.installed_other,
            self.installed_pending_reboot,
            self.installed_rejected,
            self.missing,
            self.failed,
            self.not_applicable,
        ]
    }

    /// Whether a patch state was reported at all.
    pub fn has_patch_state(&self) -> bool {
        self.last_operation.is_some()
    }

    /// Compliance derived from the counters, as the console does:
    /// non-compliant when any patch is Missing, Failed, InstalledPendingReboot or InstalledRejected.
    pub fn derive_compliance(&self) -> Compliance {
        if !self.has_patch_state() {
            Compliance::Unreported
        } else if self.noncompliant_count() > 0 {
            Compliance::NonCompliant
        } else {
            Compliance::Compliant
        }
    }

    /// Missing + Failed + InstalledPendingReboot + InstalledRejected.
    pub fn noncompliant_count(&self) -> u32 {
        self.missing + self.failed + self.installed_pending_reboot + self.installed_rejected
    }

    /// Last scan older than `max_age` (never-scanned nodes are not "stale", they are unreported).
    pub fn is_stale(&self, now: DateTime<Utc>, max_age: chrono::Duration) -> bool {
        match self.last_operation_end {
            Some(t) => now - t > max_age,
            None => false,
        }
    }

    pub fn is_online(&self) -> bool {
        self.ping_status == PingStatus::Online
    }

    /// Hybrid (on-premises) node registered through an activation.
    pub fn is_hybrid(&self) -> bool {
        self.instance_id.starts_with("mi-")
    }
}
