//! Logging with `tracing` to `<data dir>/ssmdeck.log` — never to the terminal (the console
//! owns it). Level from `SSMDECK_LOG` (an `EnvFilter` directive; default `info`).
//! Credentials are never logged: log account ids, regions and operations, not keys or tokens.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Start file logging. Keep the guard alive for the life of the process (it flushes on drop).
/// Failing to open the log file is not fatal: logging is then off.
pub fn init(log_file: &Path) -> Option<WorkerGuard> {
    let dir = log_file.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("SSMDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
