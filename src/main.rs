use std::process::ExitCode;

use clap::Parser;
use ssmdeck::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = ssmdeck::config::Paths::resolve();
    let _log = ssmdeck::logging::init(&paths.log_file());
    // Before any command touches AWS or the terminal: the config loads and named profiles
    // exist (bad flags were refused by clap already, exit 2).
    if let Some(scope) = cli.scope()
        && let Err(e) = ssmdeck::config::preflight(
            scope.profile.as_deref(),
            scope.demo,
            scope.config.as_deref(),
            &paths,
        )
    {
        eprintln!("ssmdeck: {e}");
        return ExitCode::from(2);
    }
    match cli.command {
        Some(Command::Sim(args)) => ssmdeck::sim::cli::run(&args),
        Some(Command::Snapshot(args)) => ssmdeck::app::snapshot::run(&args, &paths),
        Some(Command::Report(args)) => ssmdeck::report::collect::run(args, &paths),
        Some(Command::Info(a)) => ssmdeck::ui::info(a, &paths),
        Some(Command::Completions(a)) => ssmdeck::cli::print_completions(&a),
        Some(Command::Man) => ssmdeck::cli::print_man(),
        None => ssmdeck::app::console(cli.console, &paths),
    }
}
