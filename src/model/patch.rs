//! Per-node patches (DescribeInstancePatches) and inventory (ListInventoryEntries).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PatchOperation {
    Scan,
    Install,
}

impl PatchOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOperation::Scan => "Scan",
            PatchOperation::Install => "Install",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RebootOption {
    RebootIfNeeded,
    NoReboot,
}

impl RebootOption {
    pub fn as_str(self) -> &'static str {
        match self {
            RebootOption::RebootIfNeeded => "RebootIfNeeded",
            RebootOption::NoReboot => "NoReboot",
        }
    }
}

/// Patch state, with the API's UPPER_SNAKE names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PatchState {
    Missing,
    Failed,
    InstalledPendingReboot,
    InstalledRejected,
    AvailableSecurityUpdate,
    Installed,
    InstalledOther,
    NotApplicable,
    Unknown,
}

impl PatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            PatchState::Missing => "MISSING",
            PatchState::Failed => "FAILED",
            PatchState::InstalledPendingReboot => "INSTALLED_PENDING_REBOOT",
            PatchState::InstalledRejected => "INSTALLED_REJECTED",
            PatchState::AvailableSecurityUpdate => "AVAILABLE_SECURITY_UPDATE",
            PatchState::Installed => "INSTALLED",
            PatchState::InstalledOther => "INSTALLED_OTHER",
            PatchState::NotApplicable => "NOT_APPLICABLE",
            PatchState::Unknown => "UNKNOWN",
        }
    }

    /// Counts against compliance (Patch Manager rules).
    pub fn is_noncompliant(self) -> bool {
        matches!(
            self,
            PatchState::Missing
                | PatchState::Failed
                | PatchState::InstalledPendingReboot
                | PatchState::InstalledRejected
        )
    }
}

/// One patch on one node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Patch {
    pub title: String,
    /// KB id (Windows) or package id (Linux).
    pub kb_id: String,
    pub classification: String,
    /// OS severity text (Critical, Important, ...).
    pub severity: String,
    pub state: PatchState,
    pub installed_time: Option<DateTime<Utc>>,
    pub cve_ids: Vec<String>,
}

/// On-demand inventory of one node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeInventory {
    pub capture_time: Option<String>,
    /// `AWS:InstanceInformation` attributes.
    pub instance_information: BTreeMap<String, String>,
    /// `AWS:Application` entries.
    pub applications: Vec<BTreeMap<String, String>>,
}
