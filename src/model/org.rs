//! The organization: OUs and accounts.

use serde::{Deserialize, Serialize};

use super::wire_enum::wire_enum;

/// How the account list was obtained.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoverySource {
    /// Organizations API (management account or delegated administrator).
    #[default]
    Organizations,
    /// Explicit account list in the config file.
    Config,
    /// Organizations not accessible: only the caller's own account.
    CallerOnly,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    /// `o-xxxxxxxxxx`, when known.
    pub id: Option<String>,
    pub management_account_id: Option<String>,
    pub source: DiscoverySource,
    /// A visible note for the user (e.g. "Organizations not accessible: showing account 1111 only").
    pub note: Option<String>,
    /// Every OU, including the root (`r-xxxx`), parents before children.
    pub units: Vec<OrgUnit>,
}

/// An organizational unit or the root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    /// `r-xxxx` for the root, `ou-xxxx-yyyyyyyy` otherwise.
    pub id: String,
    pub name: String,
    /// `None` for the root.
    pub parent_id: Option<String>,
    /// Human path of names from the root, `/`-separated: `Root/Workloads/Prod`.
    pub path: String,
}

wire_enum! {
    /// Account state (Organizations `State`, falling back to the retired `Status`).
    #[derive(Default)]
    pub enum AccountState {
        #[default]
        Active => "ACTIVE",
        PendingActivation => "PENDING_ACTIVATION",
        Suspended => "SUSPENDED",
        PendingClosure => "PENDING_CLOSURE",
        Closed => "CLOSED",
    }
    unknown:
        /// Neither `State` nor `Status` was sent.
        Unknown => "UNKNOWN",
}

impl AccountState {
    pub fn is_active(self) -> bool {
        matches!(self, AccountState::Active)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// 12 digits.
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    /// Direct parent OU (or root) id.
    pub ou_id: Option<String>,
    /// Path of the parent OU: `Root/Workloads/Prod` (empty when unknown).
    pub ou_path: String,
    pub state: AccountState,
}
