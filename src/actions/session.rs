//! Session Manager: `aws ssm start-session --target <id> --region <r>` with the account's
//! credentials passed in the child's environment only (never on the command line, never
//! written to disk or logs). The console suspends the TUI, runs the process the gate hands
//! back ([`super::gate::Gate::start_session`]) and resumes afterwards.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::model::{Node, NodeKey, PingStatus};

pub const AWS_CLI_INSTALL: &str = "Install the AWS CLI: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html \
(Linux: download awscli-exe-linux-x86_64.zip and run ./aws/install; macOS: brew install awscli; or pip install awscli)";
pub const PLUGIN_INSTALL: &str = "Install the Session Manager plugin: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html \
(Debian/Ubuntu: the session-manager-plugin.deb with sudo dpkg -i; RHEL/Amazon Linux: the .rpm with sudo yum install -y; macOS: brew install --cask session-manager-plugin)";

/// Environment variables the child must not inherit (they would override or confuse the
/// credentials ssmdeck passes).
const SCRUBBED_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// A ready-to-run `aws ssm start-session`.
#[derive(Clone, PartialEq)]
pub struct SessionPlan {
    pub target: NodeKey,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Credentials and region for the child only.
    env: Vec<(String, String)>,
}

impl std::fmt::Debug for SessionPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("SessionPlan")
            .field("target", &self.target)
            .field("program", &self.program)
            .field("args", &self.args)
            .field("env (values redacted)", &names)
            .finish()
    }
}

impl SessionPlan {
    /// The command line as shown to the user (no credentials in it).
    pub fn display(&self) -> String {
        format!("aws {}", self.args.join(" "))
    }

    /// Names of the environment variables passed (values stay private).
    pub fn env_names(&self) -> Vec<&str> {
        self.env.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The process to spawn (crate-private: only the gate hands it out).
    pub(crate) fn command(&self) -> std::process::Command {
        let mut c = std::process::Command::new(&self.program);
        c.args(&self.args);
        for k in SCRUBBED_ENV {
            c.env_remove(k);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error(
        "{node} is offline ({ping}{since}): Session Manager needs the SSM Agent online. Check that the instance is running, the agent is started and it can reach the ssmmessages endpoint."
    )]
    Offline {
        node: String,
        ping: String,
        since: String,
    },
    #[error("the AWS CLI (`aws`) was not found on PATH. {AWS_CLI_INSTALL}")]
    MissingAwsCli,
    #[error(
        "the Session Manager plugin (`session-manager-plugin`) was not found on PATH; `aws ssm start-session` needs it. {PLUGIN_INSTALL}"
    )]
    MissingPlugin,
}

/// Find `aws` and `session-manager-plugin` on `path` (the value of `PATH`).
pub fn find_tools(path: Option<&OsStr>) -> Result<(PathBuf, PathBuf), SessionError> {
    let aws = find_in_path("aws", path).ok_or(SessionError::MissingAwsCli)?;
    let plugin = find_in_path("session-manager-plugin", path).ok_or(SessionError::MissingPlugin)?;
    Ok((aws, plugin))
}

fn find_in_path(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    let path = path?;
    std::env::split_paths(path)
        .filter(|d| !d.as_os_str().is_empty())
        .flat_map(|d| {
            let mut v = vec![d.join(name)];
            if cfg!(windows) {
                v.push(d.join(format!("{name}.exe")));
            }
            v
        })
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                m.permissions().mode() & 0o111 != 0
            }
            #[cfg(not(unix))]
            {
                true
            }
        }
        _ => false,
    }
}

/// Build the session for `node`. `aws` is the CLI found by [`find_tools`]; `env` comes from
/// the data layer (`credentials_env`); `endpoint_url` is the scope's endpoint override
/// (simulator / moto), if any.
pub fn plan_session(
    node: &Node,
    aws: &Path,
    env: Vec<(String, String)>,
    endpoint_url: Option<&str>,
) -> Result<SessionPlan, SessionError> {
    if matches!(
        node.ping_status,
        PingStatus::ConnectionLost | PingStatus::Inactive
    ) {
        let since = node
            .last_ping
            .map(|t| format!(", last seen {}", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        let label = if node.name.is_empty() {
            node.instance_id.clone()
        } else {
            format!(
                "{} ({})",
                crate::text::sanitize(&node.name),
                node.instance_id
            )
        };
        return Err(SessionError::Offline {
            node: label,
            ping: node.ping_status.as_str().to_string(),
            since,
        });
    }
    let mut args = vec![
        "ssm".to_string(),
        "start-session".to_string(),
        "--target".to_string(),
        node.instance_id.clone(),
        "--region".to_string(),
        node.region.clone(),
    ];
    if let Some(url) = endpoint_url {
        args.push("--endpoint-url".into());
        args.push(url.to_string());
    }
    let mut env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k != "AWS_REGION" && k != "AWS_DEFAULT_REGION")
        .collect();
    env.push(("AWS_REGION".into(), node.region.clone()));
    env.push(("AWS_DEFAULT_REGION".into(), node.region.clone()));
    Ok(SessionPlan {
        target: node.key(),
        program: aws.to_path_buf(),
        args,
        env,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        Node {
            instance_id: "i-0123456789abcdef0".into(),
            account_id: "222222222222".into(),
            region: "eu-west-1".into(),
            name: "web-1".into(),
            ping_status: PingStatus::Online,
            ..Node::default()
        }
    }

    fn creds() -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "ASIAEXAMPLE".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "TOPSECRET".into()),
            ("AWS_SESSION_TOKEN".into(), "TOKEN123".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
        ]
    }

    #[test]
    fn command_line_has_target_and_region_and_no_secrets() {
        let plan = plan_session(&node(), Path::new("/usr/bin/aws"), creds(), None).unwrap();
        assert_eq!(
            plan.display(),
            "aws ssm start-session --target i-0123456789abcdef0 --region eu-west-1"
        );
        let dbg = format!("{plan:?}");
        assert!(
            !dbg.contains("TOPSECRET") && !dbg.contains("TOKEN123"),
            "{dbg}"
        );
        let cmd = plan.command();
        let args: Vec<_> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().to_string())
            .collect();
        assert!(!args.iter().any(|a| a.contains("TOPSECRET")));
        let envs: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into(),
                    v.map(|v| v.to_string_lossy().into()),
                )
            })
            .collect();
        assert!(envs.contains(&("AWS_SECRET_ACCESS_KEY".into(), Some("TOPSECRET".into()))));
        assert!(
            envs.contains(&("AWS_PROFILE".into(), None)),
            "profile scrubbed: {envs:?}"
        );
        // the node's region wins over whatever the credentials said
        assert!(envs.contains(&("AWS_REGION".into(), Some("eu-west-1".into()))));
    }

    #[test]
    fn endpoint_override_is_passed() {
        let plan = plan_session(
            &node(),
            Path::new("aws"),
            creds(),
            Some("http://127.0.0.1:4566"),
        )
        .unwrap();
        assert!(
            plan.display()
                .ends_with("--endpoint-url http://127.0.0.1:4566")
        );
    }

    #[test]
    fn offline_node_is_explained() {
        let mut n = node();
        n.ping_status = PingStatus::ConnectionLost;
        let err = plan_session(&n, Path::new("aws"), creds(), None).unwrap_err();
        let m = err.to_string();
        assert!(
            m.contains("web-1 (i-0123456789abcdef0) is offline (ConnectionLost"),
            "{m}"
        );
        assert!(m.contains("agent"), "{m}");
    }

    #[test]
    fn missing_tools_say_how_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        let err = find_tools(Some(&path)).unwrap_err();
        assert_eq!(err, SessionError::MissingAwsCli);
        assert!(err.to_string().contains("getting-started-install"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let aws = dir.path().join("aws");
            std::fs::write(&aws, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).unwrap();
            let err = find_tools(Some(&path)).unwrap_err();
            assert_eq!(err, SessionError::MissingPlugin);
            assert!(err.to_string().contains("session-manager-plugin"));
            let plugin = dir.path().join("session-manager-plugin");
            std::fs::write(&plugin, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
            let (a, p) = find_tools(Some(&path)).unwrap();
            assert_eq!((a, p), (aws, plugin));
        }
    }
}
