//! The application layer: what `main` runs. It wires each command to its data source —
//! AWS through the scope flags and the config file, or the built-in simulated organization
//! (`--demo`, [`demo`]) — so the data layer (`crate::fleet`) and the console (`crate::ui`)
//! never know the simulator: they are handed a [`crate::fleet::Scope`].
//!
//! - [`demo`]     — start the demo world and point a scope at it.
//! - [`snapshot`] — `ssmdeck snapshot`.
//! - [`console`]  — the console, with the demo world on hand.

pub mod demo;
pub mod snapshot;

use std::process::ExitCode;

use crate::cli::ConsoleArgs;
use crate::config::Paths;

/// The console (no subcommand).
pub fn console(args: ConsoleArgs, paths: &Paths) -> ExitCode {
    crate::ui::run(args, paths, demo::console_world())
}
