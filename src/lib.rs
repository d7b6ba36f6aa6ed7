//! ssmdeck: a full-screen terminal console for AWS Systems Manager fleets across an
//! AWS Organization — k9s for SSM.
//!
//! Map of the crate (each module's doc says more):
//! - [`app`]     — the application layer: wires commands to AWS or the demo world.
//! - [`actions`] — patch now, Run Command watching, Session Manager, the mutation gate and audit log.
//! - [`fleet`]  — the data layer: discovery, cross-account collection, live snapshots, and
//!   [`fleet::Ssm`], the actions' domain-typed SSM API.
//! - [`model`]  — domain types every layer shares: snapshot, nodes, patches, certificates, aggregates.
//! - [`sim`]    — `ssmdeck sim`: the AWS-compatible simulator (also the `--demo` world).
//! - [`config`] — config file and paths.
//! - [`cli`]    — command-line flags.
//! - [`text`]   — sanitizing untrusted remote text.
//! - [`logging`] — file logging.
//! - [`report`] — `ssmdeck report` and the console's export: CSV, JSON, Markdown, HTML.
//! - [`ui`]     — the console (views, keymaps, themes).

/// One allocator for every binary, test and bench linking ssmdeck (the console, the
/// simulator, `report`): see the `mimalloc` entry in Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod actions;
pub mod app;
pub mod cli;
pub mod config;
pub mod fleet;
pub mod logging;
pub mod model;
pub mod report;
pub mod sim;
pub mod text;
pub mod ui;
