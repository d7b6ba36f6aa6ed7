//! The console: a full-screen terminal UI over the fleet (ratatui + crossterm + tokio).
//!
//! # Flow
//! terminal event → [`keymap`] → [`action::Action`] → [`update::update`]`(&mut State)` →
//! `Vec<`[`effect::Effect`]`>` (plain data) → [`runtime`] executes them (background jobs in
//! [`jobs`]) → [`action::Msg`] (`Msg::Fleet(FleetUpdate)`, `Msg::Job(JobId, JobEvent)`, keys,
//! ticks) → `update` … ; drawing ([`views::frame::render`]`(&State, &Theme, &Keymap)`) is pure
//! and runs only when the state is dirty (≤ 1 frame / 16 ms, plus a 1 s tick for ages and
//! spinners — when nothing changes, nothing is written to the terminal).
//!
//! # Modules
//! - [`runtime`] — event loop, effect executor, data sources; [`terminal`] — terminal guard.
//! - [`effect`] — `Effect`, `Job`, `JobEvent`, `Owner`, `JobId`: what `update` asks for, as data.
//! - [`jobs`] — the job runner: one job per owner and kind, cancelled when the owner goes.
//! - [`action`] — `Action` (bindable) and `Msg`.
//! - [`data`] — the snapshot with its aggregates; [`state`] — `State`: data, view stack
//!   (breadcrumbs), panes, prompt, marks, toasts.
//! - [`update`] — the only place state changes; [`command`] — `:` commands and completion.
//! - [`context`] — switching profile and region scope inside the console (`:ctx`, `:region`).
//! - [`table`] + [`filter`] — the one sortable/filterable/markable table; `/` filter language.
//! - [`views`] — the registry of views and panes (one file each) and all drawing:
//!   [`views::contract`] is what they implement, [`views::frame`] the header, crumbs, footer
//!   and help around them. How to add a view, a pane or a job: `src/ui/views/mod.rs`.
//! - [`keymap`], [`theme`] — TOML files (`keymaps/*.toml`, `themes/*.toml`), embedded and
//!   overridable from `<config dir>/keymaps|themes/`.
//! - [`fixture`] — a deterministic fleet for tests, screenshots and benches; [`svg`] — buffer
//!   to SVG for `screenshots/`.

pub mod action;
pub mod clipboard;
pub mod columns;
pub mod command;
pub mod context;
pub mod data;
pub mod effect;
pub mod filter;
pub mod fixture;
pub mod fixture_schedules;
pub mod help;
pub mod jobs;
pub mod keymap;
pub mod layout;
pub mod live;
pub mod messages;
pub mod pane;
pub mod runtime;
pub mod shots;
pub mod state;
pub mod svg;
pub mod table;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod views;

#[cfg(test)]
mod chooser_tests;
#[cfg(test)]
mod clock_tests;
#[cfg(test)]
mod ctx_tests;
#[cfg(test)]
mod describe_tests;
#[cfg(test)]
mod export_tests;
#[cfg(test)]
mod help_tests;
#[cfg(test)]
mod import_graph;
#[cfg(test)]
mod index_tests;
#[cfg(test)]
mod k9s_tests;
#[cfg(test)]
mod messages_tests;
#[cfg(test)]
mod node_detail_tests;
#[cfg(test)]
mod pane_tests;
#[cfg(test)]
mod sched_drill;
#[cfg(test)]
mod sched_tests;
#[cfg(test)]
mod size_tests;
#[cfg(test)]
mod tags_tests;
#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::cli::{ConsoleArgs, InfoArgs};
use crate::config::{Config, Paths};

use keymap::Keymap;
use state::{Meta, State};
use theme::Theme;

/// Load theme and keymap named on the command line or in the config (errors name the file
/// and line).
pub fn load_look(
    theme: Option<&str>,
    keymap: Option<&str>,
    cfg: &Config,
    paths: &Paths,
) -> Result<(Theme, Keymap), String> {
    let tn = theme.unwrap_or(&cfg.theme);
    let kn = keymap.unwrap_or(&cfg.keymap);
    let t = Theme::load(tn, &paths.themes_dir()).map_err(|e| format!("theme: {e}"))?;
    let k = Keymap::load(kn, &paths.keymaps_dir()).map_err(|e| format!("keymap: {e}"))?;
    Ok((t, k))
}

/// `ssmdeck` (no subcommand): the console.
pub fn run(args: ConsoleArgs, paths: &Paths, demo: live::StartDemo) -> ExitCode {
    let cfg = match Config::load(args.scope.config.as_deref(), paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ssmdeck: {e}");
            return ExitCode::from(2);
        }
    };
    let (theme, keymap) =
        match load_look(args.theme.as_deref(), args.keymap.as_deref(), &cfg, paths) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("ssmdeck: {e}");
                return ExitCode::from(2);
            }
        };
    let columns = match columns::ColumnPrefs::load(
        &paths.config_dir.join("views.toml"),
        &views::column_tables(),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ssmdeck: views: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(f) = &args.start_filter
        && let Some(e) = filter::Filter::parse(f).error
    {
        eprintln!("ssmdeck: error: invalid value '{f}' for '--filter <EXPR>': {e}");
        return ExitCode::from(2);
    }
    // The scope as `snapshot` resolves it (same checks, same message), before the terminal
    // is touched. The demo reads the flags against the default config, like `snapshot`.
    let scope_cfg = if args.scope.demo {
        Config::default()
    } else {
        cfg.clone()
    };
    if let Err(e) = crate::fleet::Scope::from_args_with_paths(&args.scope, &scope_cfg, paths) {
        eprintln!("ssmdeck: {e}");
        return ExitCode::from(2);
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "ssmdeck: the console needs a terminal; for headless output use `ssmdeck snapshot` or `ssmdeck report`"
        );
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ssmdeck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    terminal::set_log_file(&paths.log_file());
    let result = rt.block_on(console(
        args,
        cfg,
        paths.clone(),
        theme,
        keymap,
        demo,
        columns,
    ));
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        // ended by a signal: the terminal is restored; say so the shell's way (128 + N)
        Ok(()) if terminal::signalled().is_some() => ExitCode::from(terminal::signal_exit_code(
            terminal::signalled().unwrap_or_default(),
        )),
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ssmdeck: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn console(
    args: ConsoleArgs,
    cfg: Config,
    paths: Paths,
    theme: Theme,
    keymap: Keymap,
    demo: live::StartDemo,
    columns: columns::ColumnPrefs,
) -> Result<(), String> {
    let readonly = args.scope.readonly || cfg.readonly;
    let meta = Meta {
        demo: args.scope.demo,
        readonly,
        profile: args.scope.profile.clone().or(cfg.profile.clone()),
        regions: if args.scope.regions.is_empty() {
            cfg.regions.clone()
        } else {
            args.scope.regions.clone()
        },
        theme: theme.name.clone(),
        keymap: keymap.name.clone(),
        notes: Vec::new(),
        stale_days: cfg.stale_after_days,
        columns,
        views_file: Some(paths.config_dir.join("views.toml")),
    };
    // `SSMDECK_FIXTURE=1` serves the built-in fixture fleet instead (screenshots, demos
    // without the simulator); otherwise the fleet data layer, connected in the background.
    let use_fixture = std::env::var_os("SSMDECK_FIXTURE").is_some_and(|v| v == "1");
    let (feed, source, services): (_, Box<dyn runtime::Source>, _) = if use_fixture {
        let (feed, source) = runtime::FixtureSource::start();
        let services = jobs::Services {
            fleet: Default::default(),
            ssm: None,
            gate: console_gate(&args, &cfg, &paths),
            refresher: None,
        };
        (feed, Box::new(source), services)
    } else {
        let gate = console_gate(&args, &cfg, &paths);
        let (feed, source, services) = live::LiveSource::start(&args, &cfg, &paths, gate, demo);
        (feed, Box::new(source), services)
    };
    let tui = terminal::Tui::enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    // Debug builds only: a task that panics on a worker thread once the console runs, for
    // the end-to-end test that such a panic is shown, not drawn over the screen.
    #[cfg(debug_assertions)]
    if std::env::var_os("SSMDECK_TEST_WORKER_PANIC").is_some() {
        tokio::spawn(async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            panic!("test panic in a worker");
        });
    }
    let mut state = State::new(meta, chrono::Utc::now());
    // what `:ctx` shows of ssmdeck's own settings: the role assumed in member accounts and
    // the accounts read with their own profile
    state.ctx.role_name = args
        .scope
        .role_name
        .clone()
        .unwrap_or_else(|| cfg.role_name.clone());
    state.ctx.account_profiles = cfg.account_profiles.clone();
    for a in &cfg.accounts {
        if let Some(p) = &a.profile {
            state
                .ctx
                .account_profiles
                .entry(a.id.clone())
                .or_insert_with(|| p.clone());
        }
    }
    if args.start_command.is_some() || args.start_filter.is_some() {
        state.startup = Some(state::Startup {
            command: args.start_command.clone(),
            filter: args.start_filter.clone(),
        });
    }
    runtime::run(tui, state, theme, keymap, feed, source, services)
        .await
        .map_err(|e| format!("terminal error: {e}"))
}

/// The mutation gate of a console run: read-only from the flag or config; the audit log is
/// `audit.jsonl`, or `audit-demo.jsonl` with `--demo` (demo actions never enter the real
/// record).
pub fn console_gate(args: &ConsoleArgs, cfg: &Config, paths: &Paths) -> crate::actions::Gate {
    crate::actions::Gate::from_settings_at(
        args.scope.readonly,
        cfg.readonly,
        paths.audit_log_for(args.scope.demo),
    )
}

/// `ssmdeck info`: the files in use. Written at once at the end: `ssmdeck info | head -3`
/// ends quietly (a closed pipe is not an error), never with a panic.
pub fn info(args: InfoArgs, paths: &Paths) -> ExitCode {
    let mut out = String::new();
    let code = info_lines(args, paths, &mut out);
    let _ = crate::report::write::write_stdout(|w| std::io::Write::write_all(w, out.as_bytes()));
    code
}

/// One line of `ssmdeck info` into `out`.
macro_rules! outln {
    ($o:ident, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($o, $($t)*);
    }};
}

fn info_lines(args: InfoArgs, paths: &Paths, out: &mut String) -> ExitCode {
    let cfg_path = args.config.clone().unwrap_or_else(|| paths.config_file());
    let cfg = Config::load(args.config.as_deref(), paths);
    let exists = |p: &std::path::Path| if p.exists() { "" } else { "  (not present)" };
    outln!(
        out,
        "config file   {}{}",
        cfg_path.display(),
        exists(&cfg_path)
    );
    outln!(out, "config dir    {}", paths.config_dir.display());
    outln!(out, "data dir      {}", paths.data_dir.display());
    outln!(out, "log file      {}", paths.log_file().display());
    outln!(out, "audit log     {}", paths.audit_log().display());
    outln!(out, "demo audit    {}", paths.demo_audit_log().display());
    outln!(out, "cache dir     {}", paths.cache_dir.display());
    outln!(out, "exports dir   {}", paths.exports_dir().display());
    outln!(
        out,
        "themes dir    {}{}",
        paths.themes_dir().display(),
        exists(&paths.themes_dir())
    );
    outln!(
        out,
        "keymaps dir   {}{}",
        paths.keymaps_dir().display(),
        exists(&paths.keymaps_dir())
    );
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => {
            outln!(out, "config        error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    let tn = args.theme.clone().unwrap_or(cfg.theme.clone());
    match Theme::load(&tn, &paths.themes_dir()) {
        Ok(t) => outln!(
            out,
            "theme         {} ({}; colours: {:?})",
            t.name,
            t.sources.join(" + "),
            t.mode
        ),
        Err(e) => {
            ok = false;
            outln!(out, "theme         error: {e}");
        }
    }
    let kn = args.keymap.clone().unwrap_or(cfg.keymap.clone());
    match Keymap::load(&kn, &paths.keymaps_dir()) {
        Ok(k) => outln!(out, "keymap        {} ({})", k.name, k.sources.join(" + ")),
        Err(e) => {
            ok = false;
            outln!(out, "keymap        error: {e}");
        }
    }
    outln!(
        out,
        "built-in      themes: {}; keymaps: {}",
        theme::BUILTIN
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
        keymap::BUILTIN
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

#[cfg(test)]
mod audit_tests {
    use clap::Parser;

    use crate::cli::Cli;
    use crate::config::{Config, Paths};

    /// The demo's gate writes `audit-demo.jsonl`, never the real `audit.jsonl`; without
    /// `--demo` it is the real one.
    #[test]
    fn demo_actions_go_to_the_demo_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("config"),
            data_dir: dir.path().join("data"),
            cache_dir: dir.path().join("cache"),
        };
        let demo = Cli::try_parse_from(["ssmdeck", "--demo", "--readonly"]).unwrap();
        let gate = super::console_gate(&demo.console, &Config::default(), &paths);
        assert_eq!(gate.audit_path(), paths.data_dir.join("audit-demo.jsonl"));
        let real = Cli::try_parse_from(["ssmdeck", "--readonly"]).unwrap();
        let gate = super::console_gate(&real.console, &Config::default(), &paths);
        assert_eq!(gate.audit_path(), paths.data_dir.join("audit.jsonl"));
    }
}
