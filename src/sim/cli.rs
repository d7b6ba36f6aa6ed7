//! `ssmdeck sim`: run the simulator as a process until SIGINT/SIGTERM.

use std::io::Write as _;
use std::process::ExitCode;

use super::{SimConfig, server};
use crate::cli::SimArgs;

/// Validate the flags (bad values: `ssmdeck sim: error: ...` on stderr, exit code 2, as the
/// console says `ssmdeck: error: ...`), start the simulator,
/// print exactly one line `listening on http://127.0.0.1:PORT` on stdout, and serve until
/// SIGINT/SIGTERM (exit 0).
pub fn run(args: &SimArgs) -> ExitCode {
    let cfg = match SimConfig::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ssmdeck sim: error: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ssmdeck sim: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let handle = match server::start(cfg).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("ssmdeck sim: error: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        let w = handle.world();
        if args.pregenerate {
            w.ssm.generate_all();
        }
        eprintln!(
            "ssmdeck sim: organization {} with {} accounts (management {}), regions {}, {} managed nodes, {} certificates. Ctrl-C stops it.",
            w.org.id,
            w.org.accounts.len(),
            w.org.management_account_id,
            w.cfg.regions.join(","),
            w.ssm.total_nodes(),
            w.acm.total(),
        );
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", handle.url);
        let _ = out.flush();
        drop(out);
        wait_for_signal().await;
        handle.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
