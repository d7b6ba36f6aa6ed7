//! Run Command for any document against `ssmdeck sim`, seen by the stock AWS CLI: the
//! AWS-owned documents (ListDocuments / DescribeDocument / GetDocument), shell scripts
//! answering from each node's data, the errors AWS gives (UnsupportedPlatformType,
//! InvalidParameters, InvalidDocument) and the output truncation of both read APIs.

mod common;

use std::time::{Duration, Instant};

use serde_json::Value;

fn aws(url: &str, dir: &std::path::Path, args: &[&str]) -> Value {
    common::aws_cli(url, dir, &[], args)
}

struct Cli {
    _sim: common::SimProcess,
    url: String,
    dir: tempfile::TempDir,
}

fn cli() -> Option<Cli> {
    if !common::aws_cli_available() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed; `.ci/run` installs it");
        return None;
    }
    let sim = common::spawn_sim(&["--port", "0", "--seed", "11", "--time-scale", "2000"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config"), "").unwrap();
    std::fs::write(dir.path().join("credentials"), "").unwrap();
    Some(Cli {
        url: sim.url.clone(),
        _sim: sim,
        dir,
    })
}

impl Cli {
    fn json(&self, args: &[&str]) -> Value {
        aws(&self.url, self.dir.path(), args)
    }
    fn error(&self, args: &[&str]) -> String {
        common::aws_cli_error(&self.url, self.dir.path(), &[], args)
    }
    fn online(&self, platform: &str) -> Vec<String> {
        self.json(&["ssm", "describe-instance-information"])["InstanceInformationList"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["PlatformType"] == platform && n["PingStatus"] == "Online")
            .map(|n| n["InstanceId"].as_str().unwrap().to_string())
            .collect()
    }
    fn wait(&self, cmd_id: &str) -> Vec<Value> {
        let t0 = Instant::now();
        loop {
            let invs = self.json(&[
                "ssm",
                "list-command-invocations",
                "--command-id",
                cmd_id,
                "--details",
            ]);
            let list = invs["CommandInvocations"].as_array().unwrap().clone();
            let done = !list.is_empty()
                && list
                    .iter()
                    .all(|i| !matches!(i["Status"].as_str(), Some("Pending" | "InProgress")));
            if done {
                return list;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "{invs}");
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

#[test]
fn stock_cli_lists_and_describes_the_aws_documents() {
    let Some(c) = cli() else { return };
    let all = c.json(&["ssm", "list-documents"]);
    let names: Vec<&str> = all["DocumentIdentifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Name"].as_str().unwrap())
        .collect();
    for want in [
        "AWS-RunShellScript",
        "AWS-RunPowerShellScript",
        "AWS-RunPatchBaseline",
        "AWS-ConfigureAWSPackage",
        "AWS-UpdateSSMAgent",
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
    // filters: platform, owner, name prefix; the CLI pages with a small page size
    let win = c.json(&[
        "ssm",
        "list-documents",
        "--filters",
        "Key=PlatformTypes,Values=Windows",
        "--page-size",
        "1",
    ]);
    let win: Vec<&str> = win["DocumentIdentifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Name"].as_str().unwrap())
        .collect();
    assert!(win.contains(&"AWS-RunPowerShellScript") && !win.contains(&"AWS-RunShellScript"));
    let mine = c.json(&[
        "ssm",
        "list-documents",
        "--filters",
        "Key=Owner,Values=Self",
    ]);
    assert_eq!(mine["DocumentIdentifiers"].as_array().unwrap().len(), 0);

    let d = c.json(&["ssm", "describe-document", "--name", "AWS-RunShellScript"]);
    assert_eq!(d["Document"]["Owner"], "Amazon");
    assert_eq!(
        d["Document"]["PlatformTypes"],
        serde_json::json!(["Linux", "MacOS"])
    );
    let params = d["Document"]["Parameters"].as_array().unwrap();
    let timeout = params
        .iter()
        .find(|p| p["Name"] == "executionTimeout")
        .unwrap();
    assert_eq!(timeout["DefaultValue"], "3600");
    // allowed values are in the content (GetDocument), not in DescribeDocument
    let g = c.json(&["ssm", "get-document", "--name", "AWS-RunPatchBaseline"]);
    let content: Value = serde_json::from_str(g["Content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content["parameters"]["Operation"]["allowedValues"],
        serde_json::json!(["Scan", "Install"])
    );
    let e = c.error(&["ssm", "describe-document", "--name", "AWS-NoSuchDocument"]);
    assert!(e.contains("(InvalidDocument)"), "{e}");
}

#[test]
fn stock_cli_runs_a_shell_command_and_sees_aws_errors_and_truncation() {
    let Some(c) = cli() else { return };
    let linux = c.online("Linux");
    let windows = c.online("Windows");
    assert!(linux.len() >= 3 && !windows.is_empty());

    // the wrong platform in InstanceIds fails the whole call, as AWS does
    let e = c.error(&[
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--instance-ids",
        &windows[0],
        "--parameters",
        "commands=uptime",
    ]);
    assert!(e.contains("(UnsupportedPlatformType)"), "{e}");
    assert!(e.contains("of platform type Windows"), "{e}");
    // a parameter the document does not have: InvalidParameters
    let e = c.error(&[
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--instance-ids",
        &linux[0],
        "--parameters",
        "commands=uptime,shell=bash",
    ]);
    assert!(e.contains("(InvalidParameters)"), "{e}");
    let e = c.error(&[
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunPatchBaseline",
        "--instance-ids",
        &linux[0],
        "--parameters",
        "Operation=Reboot",
    ]);
    assert!(e.contains("not found in [Scan, Install]"), "{e}");

    let mut args = vec![
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--parameters",
        r#"{"commands":["uname -r","cat /etc/os-release | grep PRETTY","systemctl is-active sshd"]}"#,
        "--instance-ids",
    ];
    args.extend(linux.iter().take(3).map(String::as_str));
    let sent = c.json(&args);
    let cmd_id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    let invs = c.wait(&cmd_id);
    assert_eq!(invs.len(), 3);
    for inv in &invs {
        assert_eq!(inv["Status"], "Success", "{inv}");
        let plugin = &inv["CommandPlugins"][0];
        assert_eq!(plugin["Name"], "aws:runShellScript");
        assert!(plugin["Output"].as_str().unwrap().contains("PRETTY_NAME="));
        let id = inv["InstanceId"].as_str().unwrap();
        let out = c.json(&[
            "ssm",
            "get-command-invocation",
            "--command-id",
            &cmd_id,
            "--instance-id",
            id,
        ]);
        assert_eq!(out["ResponseCode"], 0);
        assert!(
            out["StandardOutputContent"]
                .as_str()
                .unwrap()
                .ends_with("active\n")
        );
    }

    // a long output: GetCommandInvocation keeps 24,000 characters, the list 2,500
    let sent = c.json(&[
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--instance-ids",
        &linux[0],
        "--parameters",
        "commands=seq 1 20000",
    ]);
    let cmd_id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    let invs = c.wait(&cmd_id);
    assert_eq!(
        invs[0]["CommandPlugins"][0]["Output"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        2_500
    );
    let out = c.json(&[
        "ssm",
        "get-command-invocation",
        "--command-id",
        &cmd_id,
        "--instance-id",
        &linux[0],
    ]);
    assert_eq!(
        out["StandardOutputContent"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        24_000
    );

    // an unknown command: exit status 127, as the shell says
    let sent = c.json(&[
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--instance-ids",
        &linux[1],
        "--parameters",
        "commands=frobnicate",
    ]);
    let cmd_id = sent["Command"]["CommandId"].as_str().unwrap().to_string();
    let invs = c.wait(&cmd_id);
    assert_eq!(invs[0]["Status"], "Failed");
    assert_eq!(invs[0]["CommandPlugins"][0]["ResponseCode"], 127);
    let out = c.json(&[
        "ssm",
        "get-command-invocation",
        "--command-id",
        &cmd_id,
        "--instance-id",
        &linux[1],
    ]);
    assert!(
        out["StandardErrorContent"]
            .as_str()
            .unwrap()
            .contains("failed to run commands: exit status 127")
    );
}
