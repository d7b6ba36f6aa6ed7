//! Actions: patch now, live Run Command output, Session Manager, read-only mode and audit.
//!
//! - [`targets`] — what an action is aimed at (marked / filtered rows, patch group, account, OU).
//! - [`plan`]    — patch-now planning (pure): exclusions, per account × region batches of ≤ 50,
//!   blast-radius preview, confirmation rule.
//! - [`sizing`]  — MaxConcurrency / MaxErrors: the AWS console's Patch now rules (cited there).
//! - [`confirm`] — confirmation rules, written down precisely.
//! - [`gate`]    — the single mutation gate (read-only, audit log); the only caller of
//!   SendCommand / CancelCommand and the only way to a Session Manager process.
//! - [`audit`]   — the JSON-lines audit log.
//! - [`run`]     — sending a plan, watching it, refreshing the nodes afterwards.
//! - [`run_plan`] — Run Command for any document: a shell command split by platform
//!   (AWS-RunShellScript / AWS-RunPowerShellScript), refusals before sending, the send.
//! - [`watch`]   — ListCommandInvocations polling with backoff; GetCommandInvocation output.
//! - [`tracker`] — live per-target state, counts per status, progress (pure).
//! - [`output`]  — truncation notes, viewer lines, save (pure).
//! - [`variants`] — outputs grouped into variants after normalising ids, hosts, IPs, times;
//!   diff of a variant against the majority (pure).
//! - [`session`] — `aws ssm start-session` invocation, tool detection, offline explanation.
//!
//! Every AWS call goes through the data layer's domain-typed [`crate::fleet::Ssm`] (shared
//! limiter, credentials, pacing); no SDK type appears here. `FleetHandle` implements
//! [`NodeRefresher`] (`fleet_glue`).

pub mod audit;
pub mod confirm;
pub mod error;
mod fleet_glue;
pub mod gate;
pub mod output;
pub mod panes;
pub mod plan;
pub mod run;
pub mod run_plan;
pub mod session;
pub mod sizing;
pub mod targets;
pub mod tracker;
pub mod variants;
pub mod watch;

pub use confirm::Confirmation;
pub use error::{ActionError, ReadOnlySource};
pub use gate::{CancelRequest, Gate, SendRequest};
pub use plan::{PatchOptions, PatchPlan, PlanError, plan_patch_now};
pub use run::{NoRefresh, NodeRefresher, SendReport, patch_now, send_plan, watch_and_refresh};
pub use targets::TargetScope;
pub use tracker::CommandTracker;
pub use watch::{WatchConfig, WatchEvent};
