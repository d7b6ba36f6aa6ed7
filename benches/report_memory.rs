//! Peak memory of `ssmdeck report patches` on a large fleet: the release binary, run as its
//! own process against `ssmdeck sim` (another process), once per format.
//!
//! Default world: 100 accounts × 400 nodes (40,000 nodes, ~300 patches each: ~12 million
//! patch rows). For each format it prints the report process's peak RSS (`ru_maxrss` from
//! wait4), the ratio to the 250 MB budget (CSV and JSON must stay ≤ 1.0; HTML and Markdown
//! are printed against the same budget), the rows written, the file size and the wall time.
//!
//! Run: `cargo bench --bench report_memory` (env: REPORT_BENCH_ACCOUNTS,
//! REPORT_BENCH_NODES_PER_ACCOUNT, REPORT_BENCH_FORMATS=csv,json,html,md,
//! REPORT_BENCH_DIR — where the reports and the patch spill go; default a temporary
//! directory, removed at the end). It writes several GB per format (each file is removed
//! after it is measured) and takes minutes on a small machine.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const BUDGET_MB: f64 = 250.0;
const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];

fn env_num<T: std::str::FromStr>(k: &str, default: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wait for `child` and return its exit code and peak RSS in MB (wait4's `ru_maxrss`,
/// kilobytes on Linux).
fn wait_rusage(child: &Child) -> (i32, f64) {
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value; wait4 fills it for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: plain syscall on the pid of a child this process spawned and never waited for.
    let r = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru) };
    assert_eq!(r, child.id() as libc::pid_t, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    (code, ru.ru_maxrss as f64 / 1024.0)
}

fn main() {
    let accounts: usize = env_num("REPORT_BENCH_ACCOUNTS", 100);
    let per_account: usize = env_num("REPORT_BENCH_NODES_PER_ACCOUNT", 400);
    let formats =
        std::env::var("REPORT_BENCH_FORMATS").unwrap_or_else(|_| "csv,json,html,md".into());
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = std::env::var_os("REPORT_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let bin = env!("CARGO_BIN_EXE_ssmdeck");

    let t0 = Instant::now();
    let mut child = Command::new(bin)
        .args([
            "sim",
            "--port",
            "0",
            "--accounts",
            &accounts.to_string(),
            "--regions",
            &REGIONS.join(","),
            "--nodes-per-account",
            &per_account.to_string(),
            "--pregenerate",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start `ssmdeck sim`");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("the simulator's first line");
    let _sim = Sim(child);
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected simulator output: {line}"))
        .to_string();
    println!(
        "report_memory: `ssmdeck report patches` against `ssmdeck sim` ({accounts} accounts × {per_account} nodes, {} regions; simulator ready in {:.1} s)",
        REGIONS.len(),
        t0.elapsed().as_secs_f64()
    );

    let mut over = Vec::new();
    for format in formats.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let out = dir.join(format!("patches.{format}"));
        let _ = std::fs::remove_file(&out);
        let err_path = dir.join(format!("patches.{format}.stderr"));
        let t = Instant::now();
        // Reaped by wait4 in `wait_rusage` (std's `wait` would not give the rusage).
        #[allow(clippy::zombie_processes)]
        let child = Command::new(bin)
            .args(["report", "patches", "--format", format, "-o"])
            .arg(&out)
            .args(["--endpoint-url", &url, "--regions", &REGIONS.join(",")])
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "x")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("SSMDECK_CONFIG_DIR", dir.join("config"))
            .env("SSMDECK_DATA_DIR", dir.join("data"))
            .env("SSMDECK_CACHE_DIR", dir.join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&err_path).expect("stderr file"))
            .spawn()
            .expect("start `ssmdeck report`");
        let (code, rss) = wait_rusage(&child);
        let wall = t.elapsed().as_secs_f64();
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let rows: Option<u64> = stderr.lines().find_map(|l| {
            l.split_once("wrote patches (")
                .and_then(|(_, rest)| rest.split_once(" rows)"))
                .and_then(|(n, _)| n.parse().ok())
        });
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        let ratio = rss / BUDGET_MB;
        println!(
            "  {format:<5} peak RSS {rss:>7.1} MB  ratio {ratio:.2} of the {BUDGET_MB:.0} MB budget  rows {:>10}  file {:>8.1} MB  wall {wall:>6.1} s  exit {code}",
            rows.map(|r| r.to_string()).unwrap_or_else(|| "?".into()),
            size as f64 / 1e6,
        );
        if rows.is_none() || !Path::new(&out).exists() {
            println!("    no report written; stderr:\n{stderr}");
        }
        if matches!(format, "csv" | "json") && ratio > 1.0 {
            over.push(format.to_string());
        }
        let _ = std::fs::remove_file(&out);
    }
    if !over.is_empty() {
        println!("  OVER BUDGET: {}", over.join(", "));
    }
}
