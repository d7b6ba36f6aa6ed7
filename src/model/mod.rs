//! Domain model shared by the data layer, the console, the actions and the reports.
//!
//! Nothing in here knows about the AWS SDK: the data layer (`crate::fleet`) converts SDK
//! types into these, and every consumer (views, reports, `ssmdeck snapshot`) reads only these.
//! The serde form of [`FleetSnapshot`] *is* the `ssmdeck snapshot --format json` contract and
//! the on-disk cache format, so field names here are part of the public interface.

pub mod aggregate;
pub mod certificate;
pub mod collect_error;
pub mod command;
pub mod document;
pub mod fast_hash;
pub mod fixture;
pub mod node;
pub mod org;
pub mod patch;
pub mod patch_index;
pub mod patching;
pub mod region;
pub mod schedule;
pub mod shared_str;
pub mod snapshot;
pub mod software;
pub mod tags;
pub mod update;
pub mod wire_enum;

pub use aggregate::{AggregateConfig, Aggregates, ComplianceRollup, ExpiryBand};
pub use certificate::Certificate;
pub use command::{
    CommandInvocation, CommandOutputConfig, CommandPluginOutput, CommandRequest, CommandSummary,
    PluginOutput,
};
pub use document::{DocumentDescription, DocumentFilter, DocumentParameter, DocumentSummary};
pub use node::{Compliance, Node, NodeKey, PingStatus, PlatformType};
pub use org::{Account, AccountState, DiscoverySource, OrgUnit, Organization};
pub use patch::{NodeInventory, Patch, PatchOperation, PatchState, RebootOption};
pub use region::is_region_name;
pub use shared_str::{Interner, SharedStr};
pub use snapshot::{
    CallerIdentity, CollectError, FleetSnapshot, Missing, MissingKind, Progress, SourceStatus,
};
pub use update::FleetUpdate;
pub use wire_enum::RawValue;
