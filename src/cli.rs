//! Command-line interface (clap derive). Handlers live with the module they drive.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{is_account_id, layered, limits};

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
    /// Write a report: compliance, nodes, patches, certs, commands, windows, coverage, cve or
    /// software (headless, cron-friendly).
    Report(ReportArgs),
    /// Print the config, cache, log, theme and keymap paths in use.
    Info(InfoArgs),
    /// Print a shell completion script (e.g. `ssmdeck completions bash > /etc/bash_completion.d/ssmdeck`).
    Completions(CompletionsArgs),
    /// Print the man page (roff), generated from these flags (`ssmdeck man | man -l -`).
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `ssmdeck completions SHELL`: the script on stdout, from the clap definitions.
pub fn print_completions(args: &CompletionsArgs) -> std::process::ExitCode {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    // generated into memory, then written: a closed pipe (`| head -3`) ends quietly
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ssmdeck", &mut out);
    stdout_or_fail(&out)
}

/// `ssmdeck man`: the man page (roff) on stdout, from the clap definitions.
pub fn print_man() -> std::process::ExitCode {
    let mut out = Vec::new();
    if let Err(e) = man_page(&mut out) {
        eprintln!("ssmdeck: cannot render the man page: {e}");
        return std::process::ExitCode::FAILURE;
    }
    stdout_or_fail(&out)
}

/// Write `bytes` to stdout: a closed pipe (`| head`) is success, another error a failure.
fn stdout_or_fail(bytes: &[u8]) -> std::process::ExitCode {
    match crate::report::write::write_stdout(|w| w.write_all(bytes)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ssmdeck: cannot write to stdout: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The man page of `ssmdeck` and, as sections, of its subcommands.
pub fn man_page(out: &mut Vec<u8>) -> std::io::Result<()> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name: &'static str = Box::leak(format!("ssmdeck-{}", sub.get_name()).into_boxed_str());
        let sub = sub.clone().name(name);
        clap_mangen::Man::new(sub).render(out)?;
    }
    Ok(())
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
    #[arg(long, value_delimiter = ',', value_name = "REGION,..", value_parser = region_flag)]
    pub regions: Vec<String>,

    /// Endpoint for every AWS client, STS included (also AWS_ENDPOINT_URL[_<SERVICE>]).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Role assumed in each member account (default OrganizationAccountAccessRole;
    /// a read-only role is recommended, see README).
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,

    /// Only these account ids (comma-separated), instead of every account discovered.
    #[arg(long, value_delimiter = ',', value_name = "ID,..", value_parser = account_flag)]
    pub accounts: Vec<String>,

    /// Ceiling on API calls in flight across all accounts and regions (1-4096, default 512).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(limits::CONCURRENCY))]
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

impl From<&ScopeArgs> for crate::fleet::scope::ScopeFlags {
    fn from(a: &ScopeArgs) -> Self {
        crate::fleet::scope::ScopeFlags {
            demo: a.demo,
            profile: a.profile.clone(),
            regions: a.regions.clone(),
            endpoint_url: a.endpoint_url.clone(),
            role_name: a.role_name.clone(),
            accounts: a.accounts.clone(),
            concurrency: a.concurrency,
            no_cache: a.no_cache,
            readonly: a.readonly,
        }
    }
}

#[derive(Debug, Clone, Default, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Theme name (built-in: default, light, high-contrast; or a file in <config dir>/themes).
    #[arg(long, value_name = "NAME", value_parser = theme_name)]
    pub theme: Option<String>,

    /// Keymap name (built-in: default, vim; or a file in <config dir>/keymaps).
    #[arg(long, value_name = "NAME", value_parser = keymap_name)]
    pub keymap: Option<String>,

    /// Seconds between live refreshes (default 60; 5-86400).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(limits::REFRESH_SECS))]
    pub refresh: Option<u64>,

    /// Start in this view, as typed after `:` (e.g. `certs`, `org`, `"nodes web-prod"`).
    #[arg(short = 'c', long = "command", value_name = "VIEW", value_parser = start_command)]
    pub start_command: Option<String>,

    /// Start with this filter, as typed after `/` (e.g. `"sev:critical ping:online"`).
    #[arg(long = "filter", value_name = "EXPR")]
    pub start_filter: Option<String>,
}

/// `-c VIEW`: a command the console knows (checked before the terminal is touched).
fn start_command(s: &str) -> Result<String, String> {
    crate::ui::command::parse(s).map(|_| s.trim().to_string())
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
    /// How many times faster than real time Run Command runs (its durations shrink; the
    /// clock stays real, so timestamps never pass the response's Date). Below 1 the clock slows; 0 freezes it.
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
    /// Maintenance-window executions of the last `--days` days with their failed targets.
    Windows,
    /// Nodes no maintenance window or patch association installs patches on, by account.
    Coverage,
    /// Nodes lacking the fix for `--id CVE-…` / `KB…` (exit 1 when any does).
    Cve,
    /// Applications and versions across the organization (`--name` for one).
    Software,
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
    /// Some node is not covered by any window or patch association that installs.
    Uncovered,
    /// Some maintenance window's last execution failed.
    WindowFailed,
}

/// The clap flags → the report's domain values.
macro_rules! same_variants {
    ($from:ty => $to:ty { $($v:ident),* }) => {
        impl From<$from> for $to {
            fn from(x: $from) -> $to {
                match x { $(<$from>::$v => <$to>::$v),* }
            }
        }
    };
}
same_variants!(ReportKind => crate::report::ReportKind { Compliance, Nodes, Patches, Certs, Commands, Windows, Coverage, Cve, Software });
same_variants!(ReportFormat => crate::report::ReportFormat { Csv, Json, Md, Html });
same_variants!(FailOn => crate::report::FailOn { Critical, Security, Any, Uncovered, WindowFailed });

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
    /// `report windows`: executions of the last DAYS days.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub days: i64,
    /// `report cve`: a CVE id (`CVE-2024-12345`) or KB (`KB5034441`); repeatable.
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,
    /// `report software`: only this application.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Clone, Default, Args)]
pub struct InfoArgs {
    /// Theme to resolve (default: from config).
    #[arg(long, value_name = "NAME", value_parser = theme_name)]
    pub theme: Option<String>,
    /// Keymap to resolve (default: from config).
    #[arg(long, value_name = "NAME", value_parser = keymap_name)]
    pub keymap: Option<String>,
    /// Config file (default: <config dir>/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl Cli {
    /// The scope flags of the command that has them (console, `snapshot`, `report`).
    pub fn scope(&self) -> Option<&ScopeArgs> {
        match &self.command {
            None => Some(&self.console.scope),
            Some(Command::Snapshot(a)) => Some(&a.scope),
            Some(Command::Report(a)) => Some(&a.scope),
            Some(Command::Sim(_) | Command::Info(_) | Command::Completions(_) | Command::Man) => {
                None
            }
        }
    }
}

/// One `--regions` entry: a region name or `all`. An empty entry (`us-east-1,,eu-west-1`,
/// `--regions ""`) is a mistake, not "the default".
fn region_flag(s: &str) -> Result<String, String> {
    let r = s.trim();
    if r.is_empty() {
        return Err("empty region name (a stray comma, or an empty value?)".into());
    }
    if r.eq_ignore_ascii_case("all") {
        return Ok("all".into());
    }
    if !crate::model::is_region_name(r) {
        return Err(format!(
            "`{r}` is not a region name (expected something like us-east-1, or `all`)"
        ));
    }
    Ok(r.to_string())
}

/// One `--accounts` entry: a 12-digit account id.
fn account_flag(s: &str) -> Result<String, String> {
    let a = s.trim();
    if a.is_empty() {
        return Err("empty account id (a stray comma, or an empty value?)".into());
    }
    if !is_account_id(a) {
        return Err(format!("`{a}` is not a 12-digit account id"));
    }
    Ok(a.to_string())
}

fn theme_name(s: &str) -> Result<String, String> {
    layered::check_name("theme", s).map(|_| s.to_string())
}

fn keymap_name(s: &str) -> Result<String, String> {
    layered::check_name("keymap", s).map(|_| s.to_string())
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
    fn help_lists_every_report() {
        use clap::{CommandFactory, ValueEnum};
        let mut top = Cli::command();
        let top_help = top.render_help().to_string();
        let mut report = Cli::command();
        let report = report.find_subcommand_mut("report").unwrap();
        let report_help = report.render_long_help().to_string();
        for k in ReportKind::value_variants() {
            let name = k.to_possible_value().unwrap().get_name().to_string();
            assert!(
                top_help.contains(&name),
                "`ssmdeck --help` lacks {name}:\n{top_help}"
            );
            assert!(
                report_help.contains(&name),
                "`ssmdeck report --help` lacks {name}:\n{report_help}"
            );
        }
    }

    #[test]
    fn completions_and_man_page_come_from_the_flags() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ssmdeck", &mut out);
            let text = String::from_utf8(out).unwrap();
            for word in ["filter", "demo", "snapshot", "completions"] {
                assert!(text.contains(word), "{shell}: {word} missing");
            }
        }
        let mut man = Vec::new();
        man_page(&mut man).unwrap();
        let man = String::from_utf8(man).unwrap();
        assert!(man.contains(".TH ssmdeck"), "{man}");
        assert!(
            man.contains("\\-\\-filter") && man.contains("ssmdeck\\-report"),
            "{man}"
        );
        let c = Cli::try_parse_from(["ssmdeck", "-c", "certs", "--filter", "risk:yes"]).unwrap();
        assert_eq!(c.console.start_command.as_deref(), Some("certs"));
        assert_eq!(c.console.start_filter.as_deref(), Some("risk:yes"));
        let e = Cli::try_parse_from(["ssmdeck", "-c", "pods"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown command `pods`"), "{e}");
        let sh = Cli::try_parse_from(["ssmdeck", "completions", "zsh"]).unwrap();
        assert!(matches!(sh.command, Some(Command::Completions(_))));
    }

    #[test]
    fn demo_flag_parses_at_top_level() {
        let cli = Cli::try_parse_from(["ssmdeck", "--demo", "--theme", "light"]).unwrap();
        assert!(cli.console.scope.demo);
        assert_eq!(cli.console.theme.as_deref(), Some("light"));
        assert!(cli.command.is_none());
    }

    /// Flags refused before anything runs (exit 2), with the message the user sees; the
    /// console and `snapshot` share the scope flags, so they say the same.
    #[test]
    fn bad_flags_are_refused_with_their_message() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["--regions", "us-east-1,,foo"],
                "invalid value '' for '--regions <REGION,..>': empty region name (a stray comma, or an empty value?)",
            ),
            (
                &["--regions", ""],
                "invalid value '' for '--regions <REGION,..>': empty region name (a stray comma, or an empty value?)",
            ),
            (
                &["--regions", "us-east-1,foo"],
                "invalid value 'foo' for '--regions <REGION,..>': `foo` is not a region name (expected something like us-east-1, or `all`)",
            ),
            (
                &["--accounts", "12345"],
                "invalid value '12345' for '--accounts <ID,..>': `12345` is not a 12-digit account id",
            ),
            (
                &["--concurrency", "3000000000000000000"],
                "invalid value '3000000000000000000' for '--concurrency <N>': 3000000000000000000 is not in 1..=4096",
            ),
            (
                &["--concurrency", "0"],
                "invalid value '0' for '--concurrency <N>': 0 is not in 1..=4096",
            ),
            (
                &["--refresh", "0"],
                "invalid value '0' for '--refresh <SECS>': 0 is not in 5..=86400",
            ),
            (
                &["--theme", "../../etc/x"],
                "invalid value '../../etc/x' for '--theme <NAME>': `../../etc/x` is not a theme name: use the name of a built-in or of a file in the themes directory, without `.toml` (letters, digits, `-`, `_`, `.`; no path)",
            ),
            (
                &["--keymap", "a/b"],
                "invalid value 'a/b' for '--keymap <NAME>': `a/b` is not a keymap name: use the name of a built-in or of a file in the keymaps directory, without `.toml` (letters, digits, `-`, `_`, `.`; no path)",
            ),
        ];
        for (args, want) in cases {
            for prefix in [&["ssmdeck"][..], &["ssmdeck", "snapshot"][..]] {
                if prefix.len() == 2 && ["--theme", "--keymap", "--refresh"].contains(&args[0]) {
                    continue; // console-only flags
                }
                let argv: Vec<&str> = prefix.iter().chain(args.iter()).copied().collect();
                let err = Cli::try_parse_from(&argv).unwrap_err();
                assert_eq!(err.exit_code(), 2, "{argv:?}");
                let text = err.to_string();
                let first = text.lines().next().unwrap_or("");
                assert_eq!(first, format!("error: {want}"), "{argv:?}");
            }
        }
        let ok = Cli::try_parse_from([
            "ssmdeck",
            "--regions",
            "us-east-1, eu-west-1",
            "--accounts",
            "111111111111",
            "--concurrency",
            "4096",
            "--refresh",
            "5",
        ])
        .unwrap();
        assert_eq!(ok.console.scope.regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(ok.console.scope.concurrency, Some(4096));
        let all = Cli::try_parse_from(["ssmdeck", "snapshot", "--regions", "ALL"]).unwrap();
        assert_eq!(all.scope().unwrap().regions, ["all"]);
    }

    #[test]
    fn bad_flag_is_a_usage_error() {
        let err =
            Cli::try_parse_from(["ssmdeck", "sim", "--nodes-per-account", "lots"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
