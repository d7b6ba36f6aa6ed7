//! Per-node patches (DescribeInstancePatches) and inventory (ListInventoryEntries).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::wire_enum::wire_enum;

wire_enum! {
    /// A patch operation: the one a node last reported (InstancePatchState `Operation`) or
    /// the one to run (AWS-RunPatchBaseline `Operation`).
    pub enum PatchOperation {
        Scan => "Scan",
        Install => "Install",
    }
}

wire_enum! {
    /// AWS-RunPatchBaseline `RebootOption` (InstancePatchState `RebootOption`).
    pub enum RebootOption {
        RebootIfNeeded => "RebootIfNeeded",
        NoReboot => "NoReboot",
    }
}

wire_enum! {
    /// Patch state, named with the model's UPPER_SNAKE spelling. AWS sends CamelCase
    /// (`InstalledPendingReboot`, see the README's "AWS quirks"); both decode.
    pub enum PatchState {
        Missing => "MISSING",
        Failed => "FAILED",
        InstalledPendingReboot => "INSTALLED_PENDING_REBOOT",
        InstalledRejected => "INSTALLED_REJECTED",
        AvailableSecurityUpdate => "AVAILABLE_SECURITY_UPDATE",
        Installed => "INSTALLED",
        InstalledOther => "INSTALLED_OTHER",
        NotApplicable => "NOT_APPLICABLE",
    }
    unknown:
        /// Not reported.
        Unknown => "UNKNOWN",
}

impl PatchState {
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
