//! Helpers shared by the integration tests (the simulator as a process, the stock AWS CLI,
//! STS sessions, the simulator's call counts).

// each test binary uses some of the helpers
#![allow(dead_code)]

/// A running `ssmdeck sim` child process; killed on drop.
pub struct SimProcess {
    pub child: std::process::Child,
    pub url: String,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `ssmdeck sim ARGS` and read its `listening on URL` line.
pub fn spawn_sim(args: &[&str]) -> SimProcess {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .arg("sim")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn ssmdeck sim");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    SimProcess { child, url }
}

/// Run the stock AWS CLI against `url` with dummy credentials and empty config files in `dir`
/// (plus `env`), and parse its JSON output.
pub fn aws_cli(
    url: &str,
    dir: &std::path::Path,
    env: &[(&str, String)],
    args: &[&str],
) -> serde_json::Value {
    let mut cmd = aws_command(url, dir, env, args);
    let out = cmd.output().expect("run aws");
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "aws {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Run the stock AWS CLI like [`aws_cli`], expecting it to fail: its stderr (the CLI prints
/// `An error occurred (<Code>) when calling the <Op> operation: <message>`).
pub fn aws_cli_error(
    url: &str,
    dir: &std::path::Path,
    env: &[(&str, String)],
    args: &[&str],
) -> String {
    let mut cmd = aws_command(url, dir, env, args);
    cmd.env("AWS_MAX_ATTEMPTS", "1");
    let out = cmd.output().expect("run aws");
    assert!(
        !out.status.success(),
        "aws {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether the stock AWS CLI is installed.
pub fn aws_cli_available() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("aws").is_file()))
}

/// Calls the simulator answered so far to operations ending in `op_suffix`.
pub fn op_count(sim: &ssmdeck::sim::SimHandle, op_suffix: &str) -> u64 {
    sim.op_counts()
        .iter()
        .filter(|(k, _)| k.ends_with(op_suffix))
        .map(|(_, v)| *v)
        .sum()
}

/// Session credentials in `account` (its `OrganizationAccountAccessRole`), from the
/// simulator at `url` through the SDK's STS client, as the management account's user.
pub async fn assume_access_role(
    url: &str,
    account: &str,
    session: &str,
) -> aws_sdk_sts::types::Credentials {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::new()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "AKIASSMDECKTEST00001",
                "x",
                None,
                None,
                "test",
            ))
            .build(),
    );
    sts.assume_role()
        .role_arn(format!(
            "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name(session)
        .send()
        .await
        .expect("AssumeRole into the access role")
        .credentials
        .expect("credentials in the answer")
}

/// The stock AWS CLI aimed at `url`, with a private config dir and dummy credentials.
fn aws_command(
    url: &str,
    dir: &std::path::Path,
    env: &[(&str, String)],
    args: &[&str],
) -> std::process::Command {
    let mut cmd = std::process::Command::new("aws");
    cmd.arg("--endpoint-url")
        .arg(url)
        .arg("--output")
        .arg("json")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_PAGER", "");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Ok(p) = std::env::var("PYENV_ROOT") {
        cmd.env("PYENV_ROOT", p);
    }
    cmd
}
