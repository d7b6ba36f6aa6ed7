//! Command-line interface (clap derive). Handlers live with the module they drive.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// ssmdeck — a terminal console for AWS Systems Manager fleets across an AWS Organization.
///
/// Run without a subcommand to open the console. `--demo` runs it against a built-in
/// simulated organization (no AWS account needed).
#[derive(Debug, Parser)]
#[command(
    name = "ssmdeck",
    version,
    about,
    long_about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub console: ConsoleArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the AWS-compatible fleet simulator on loopback (SSM, Organizations, ACM, STS).
    Sim(SimArgs),
    /// Collect the whole fleet once and print it (headless).
    Snapshot(SnapshotArgs),
    /// Write a compliance / nodes / patches / certificates / commands report (headless, cron-friendly).
    Report(ReportArgs),
    /// Print the config, cache, log, theme and keymap paths in use.
    Info(InfoArgs),
}

/// Where to look and how: shared by the console, `snapshot` and `report`.
#[derive(Debug, Clone, Default, Args)]
pub struct ScopeArgs {
    /// Use the built-in simulated organization (an in-process simulator on loopback).
    #[arg(long)]
    pub demo: bool,

    /// AWS profile for the caller's credentials (default: the standard credential chain).
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,

    /// Regions to read, comma-separated, or `all` (the regions configured as in use).
    /// Default: the profile's region.
    #[arg(long, value_delimiter = ',', value_name = "REGION,..")]
    pub regions: Vec<String>,

    /// Endpoint for every AWS client, STS included (also AWS_ENDPOINT_URL[_<SERVICE>]).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Role assumed in each member account (default OrganizationAccountAccessRole;
    /// a read-only role is recommended, see README).
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,

    /// Only these account ids (comma-separated), instead of every account discovered.
    #[arg(long, value_delimiter = ',', value_name = "ID,..")]
    pub accounts: Vec<String>,

    /// Ceiling on API calls in flight across all accounts and regions (default 512).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// Config file (default: <config dir>/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Do not read or write the snapshot cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Never send a mutating call (SendCommand, CancelCommand, start-session).
    #[arg(long)]
    pub readonly: bool,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Theme name (built-in: default, light, high-contrast; or a file in <config dir>/themes).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// Keymap name (built-in: default, vim; or a file in <config dir>/keymaps).
    #[arg(long, value_name = "NAME")]
    pub keymap: Option<String>,

    /// Seconds between live refreshes (default 60).
    #[arg(long, value_name = "SECS")]
    pub refresh: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed of the generated world (same seed, same world).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of accounts in the organization (the management account included).
    #[arg(long, default_value_t = 12)]
    pub accounts: usize,
    /// Regions with a fleet, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "us-east-1,eu-west-1,ap-southeast-2"
    )]
    pub regions: Vec<String>,
    /// Managed nodes per account, spread over the regions.
    #[arg(long, default_value_t = 50)]
    pub nodes_per_account: usize,
    /// ACM certificates per account, spread over the regions.
    #[arg(long, default_value_t = 7)]
    pub certs_per_account: usize,
    /// Every response takes at least this long, its processing included, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Token bucket per account × region × operation, in requests per second (0 = off).
    #[arg(long, default_value_t = 0.0)]
    pub throttle_tps: f64,
    /// Fraction of requests answered with InternalServerError / HTTP 500 (0.0..=1.0).
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Simulated seconds per real second (Run Command lifecycle, patch timings).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Generate every account × region fleet before listening (by default each is
    /// generated on its first request), so benchmarks time the client, not the world.
    #[arg(long)]
    pub pregenerate: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotFormat {
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SnapshotFormat::Json)]
    pub format: SnapshotFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Csv,
    Json,
    Md,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    Security,
    Any,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Which report.
    #[arg(value_enum)]
    pub kind: ReportKind,
    #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
    pub format: ReportFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Exit 1 when non-compliance at this level exists.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Exit 1 when a certificate expires within DAYS.
    #[arg(long, value_name = "DAYS")]
    pub fail_if_expiring: Option<i64>,
    /// A previous JSON report: add what changed since then.
    #[arg(long, value_name = "FILE")]
    pub since: Option<PathBuf>,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Clone, Default, Args)]
pub struct InfoArgs {
    /// Theme to resolve (default: from config).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Keymap to resolve (default: from config).
    #[arg(long, value_name = "NAME")]
    pub keymap: Option<String>,
    /// Config file (default: <config dir>/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn demo_flag_parses_at_top_level() {
        let cli = Cli::try_parse_from(["ssmdeck", "--demo", "--theme", "light"]).unwrap();
        assert!(cli.console.scope.demo);
        assert_eq!(cli.console.theme.as_deref(), Some("light"));
        assert!(cli.command.is_none());
    }

    #[test]
    fn bad_flag_is_a_usage_error() {
        let err =
            Cli::try_parse_from(["ssmdeck", "sim", "--nodes-per-account", "lots"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
