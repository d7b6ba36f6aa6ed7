//! Watching commands live: ListCommandInvocations (Details) per command with backoff — fast
//! while targets change, slower while nothing does, never a busy loop — and
//! GetCommandInvocation per step for a target's full output.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::model::{CommandInvocation, CommandSummary};

use super::clients::SsmClients;
use super::error::{ActionError, sdk_error_parts};
use super::output::{PluginOutput, TargetOutput};
use super::tracker::{CommandTracker, TargetRow};

/// Poll timing.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchConfig {
    /// Interval right after a change.
    pub initial: Duration,
    /// Longest interval while nothing changes.
    pub max: Duration,
    /// Growth factor per quiet poll.
    pub factor: f64,
    /// Stop watching after this long (the commands keep running; `:commands` shows them).
    pub deadline: Duration,
    /// Per-call timeout.
    pub call_timeout: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            initial: Duration::from_secs(1),
            // A command's status is one call per command (≤ 50 targets) per poll: at 5 s the
            // pane stays current without hammering the API while nothing changes.
            max: Duration::from_secs(5),
            factor: 1.5,
            deadline: Duration::from_secs(3 * 3600),
            call_timeout: Duration::from_secs(20),
        }
    }
}

impl WatchConfig {
    /// The next interval: back to `initial` after a change, else grow up to `max`.
    pub fn next_interval(&self, current: Duration, changed: bool) -> Duration {
        if changed {
            self.initial
        } else {
            current.mul_f64(self.factor).min(self.max).max(self.initial)
        }
    }
}

/// What the watcher tells its consumer (the command pane).
#[derive(Clone, Debug, PartialEq)]
pub enum WatchEvent {
    /// Commands were sent (patch now): start tracking these.
    Sent {
        commands: Vec<CommandSummary>,
        /// Batches that could not be sent, as messages for the user.
        failures: Vec<String>,
    },
    /// Fresh invocation states (only sent when something changed).
    Invocations(Vec<CommandInvocation>),
    /// A poll failed (it is retried with backoff).
    PollError { command_id: String, message: String },
    /// Every target finished (or the deadline passed / the watch was cancelled).
    Finished {
        summary: String,
        /// Node keys handed to the data layer for a refresh.
        refreshed: usize,
    },
}

/// Poll until every target of `commands` finished, the deadline passed or `cancel` fired.
/// Returns the final state.
pub async fn watch<C: SsmClients>(
    clients: &C,
    commands: &[CommandSummary],
    cfg: &WatchConfig,
    tx: Option<&UnboundedSender<WatchEvent>>,
    cancel: &CancellationToken,
) -> CommandTracker {
    let mut tracker = CommandTracker::new(commands);
    let started = tokio::time::Instant::now();
    let mut interval = cfg.initial;
    let mut polls = 0u32;
    loop {
        if polls > 0 {
            // A command whose targets are not known up front (Targets, or history) has no
            // rows until the API lists them: give it a few polls before calling it done.
            let done = tracker.is_done() && (!tracker.rows().is_empty() || polls >= 3);
            if done || cancel.is_cancelled() || started.elapsed() >= cfg.deadline {
                return tracker;
            }
            tokio::select! {
                _ = cancel.cancelled() => return tracker,
                _ = tokio::time::sleep(interval) => {}
            }
        }
        polls += 1;
        let pending: Vec<&CommandSummary> = commands
            .iter()
            .filter(|c| !tracker.command_done(&c.command_id))
            .collect();
        let calls = pending.iter().map(|c| async move {
            (
                c.command_id.clone(),
                list_invocations(clients, c, cfg.call_timeout).await,
            )
        });
        let results = futures::future::join_all(calls).await;
        let mut changed = false;
        let mut errors = false;
        for (command_id, r) in results {
            match r {
                Ok(invs) => {
                    if tracker.apply(&invs) {
                        changed = true;
                        if let Some(tx) = tx {
                            let _ = tx.send(WatchEvent::Invocations(invs));
                        }
                    }
                }
                Err(e) => {
                    errors = true;
                    if let Some(tx) = tx {
                        let _ = tx.send(WatchEvent::PollError {
                            command_id,
                            message: e.to_string(),
                        });
                    }
                }
            }
        }
        interval = cfg.next_interval(interval, changed);
        if errors {
            // throttled or failing: back off harder
            interval = interval.mul_f64(cfg.factor).min(cfg.max);
        }
    }
}

/// Every invocation of one command (all pages, with plugin details).
pub async fn list_invocations<C: SsmClients>(
    clients: &C,
    command: &CommandSummary,
    call_timeout: Duration,
) -> Result<Vec<CommandInvocation>, ActionError> {
    const OP: &str = "ListCommandInvocations";
    let client = clients
        .ssm_client(&command.account_id, &command.region)
        .await
        .map_err(|message| ActionError::Credentials {
            operation: OP.into(),
            account_id: command.account_id.clone(),
            region: command.region.clone(),
            message,
        })?;
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let call = client
            .list_command_invocations()
            .command_id(&command.command_id)
            .details(true)
            .max_results(50)
            .set_next_token(token.clone())
            .send();
        let page = match tokio::time::timeout(call_timeout, call).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                let (code, message) = sdk_error_parts(&e);
                return Err(ActionError::Aws {
                    operation: OP.into(),
                    account_id: command.account_id.clone(),
                    region: command.region.clone(),
                    code,
                    message,
                });
            }
            Err(_) => {
                return Err(ActionError::Aws {
                    operation: OP.into(),
                    account_id: command.account_id.clone(),
                    region: command.region.clone(),
                    code: "Timeout".into(),
                    message: format!("no answer within {} s", call_timeout.as_secs()),
                });
            }
        };
        out.extend(page.command_invocations().iter().map(|i| {
            crate::fleet::convert::invocation_from_sdk(i, &command.account_id, &command.region)
        }));
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(String::from);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The full output of one target: GetCommandInvocation per step (PluginName is required
/// for multi-step documents such as AWS-RunPatchBaseline). Retries `InvocationDoesNotExist`
/// (Run Command is eventually consistent right after SendCommand).
pub async fn fetch_output<C: SsmClients>(
    clients: &C,
    row: &TargetRow,
    call_timeout: Duration,
) -> Result<TargetOutput, ActionError> {
    let client = clients
        .ssm_client(&row.key.account_id, &row.key.region)
        .await
        .map_err(|message| ActionError::Credentials {
            operation: "GetCommandInvocation".into(),
            account_id: row.key.account_id.clone(),
            region: row.key.region.clone(),
            message,
        })?;
    let mut names: Vec<Option<String>> = row.plugins.iter().map(|p| Some(p.name.clone())).collect();
    if names.is_empty() {
        // the step names are not known yet: ask for this target's invocation
        let listed = tokio::time::timeout(
            call_timeout,
            client
                .list_command_invocations()
                .command_id(&row.command_id)
                .instance_id(&row.key.instance_id)
                .details(true)
                .send(),
        )
        .await;
        match listed {
            Ok(Ok(out)) => {
                names = out
                    .command_invocations()
                    .iter()
                    .flat_map(|i| i.command_plugins())
                    .filter_map(|p| p.name().map(|n| Some(n.to_string())))
                    .collect();
                if names.is_empty() && !out.command_invocations().is_empty() {
                    // listed but no steps reported (single-step emulators): ask without a name
                    names.push(None);
                }
            }
            // not listed (yet) or the listing is unsupported: try without a step name
            _ => names.push(None),
        }
    }
    let mut plugins = Vec::new();
    for name in names {
        plugins.push(
            get_invocation(
                &client,
                &row.command_id,
                &row.key.account_id,
                &row.key.region,
                &row.key.instance_id,
                name.as_deref(),
                call_timeout,
            )
            .await?,
        );
    }
    Ok(TargetOutput {
        key: row.key.clone(),
        command_id: row.command_id.clone(),
        plugins,
    })
}

/// One GetCommandInvocation, converted.
pub async fn get_invocation(
    client: &aws_sdk_ssm::Client,
    command_id: &str,
    account_id: &str,
    region: &str,
    instance_id: &str,
    plugin: Option<&str>,
    call_timeout: Duration,
) -> Result<PluginOutput, ActionError> {
    const OP: &str = "GetCommandInvocation";
    let mut delay = Duration::from_millis(300);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let call = client
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(instance_id)
            .set_plugin_name(plugin.map(String::from))
            .send();
        let err = match tokio::time::timeout(call_timeout, call).await {
            Ok(Ok(o)) => {
                return Ok(PluginOutput {
                    name: o.plugin_name().or(plugin).unwrap_or_default().to_string(),
                    status: crate::fleet::convert::invocation_status(o.status()),
                    status_details: o.status_details().unwrap_or_default().to_string(),
                    response_code: o.response_code(),
                    stdout: o.standard_output_content().unwrap_or_default().to_string(),
                    stderr: o.standard_error_content().unwrap_or_default().to_string(),
                    stdout_url: o.standard_output_url().unwrap_or_default().to_string(),
                    stderr_url: o.standard_error_url().unwrap_or_default().to_string(),
                    cloudwatch_log_group: o
                        .cloud_watch_output_config()
                        .filter(|c| c.cloud_watch_output_enabled())
                        .and_then(|c| c.cloud_watch_log_group_name())
                        .map(String::from),
                    started_at: super::convert::iso_time(o.execution_start_date_time()),
                    finished_at: super::convert::iso_time(o.execution_end_date_time()),
                    elapsed: o.execution_elapsed_time().unwrap_or_default().to_string(),
                });
            }
            Ok(Err(e)) => {
                let (code, message) = sdk_error_parts(&e);
                ActionError::Aws {
                    operation: OP.into(),
                    account_id: account_id.into(),
                    region: region.into(),
                    code,
                    message,
                }
            }
            Err(_) => ActionError::Aws {
                operation: OP.into(),
                account_id: account_id.into(),
                region: region.into(),
                code: "Timeout".into(),
                message: format!("no answer within {} s", call_timeout.as_secs()),
            },
        };
        if err.code() == Some("InvocationDoesNotExist") && attempt < 4 {
            tokio::time::sleep(delay).await;
            delay *= 2;
            continue;
        }
        return Err(err);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_while_quiet_and_resets_on_change() {
        let cfg = WatchConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            factor: 2.0,
            ..WatchConfig::default()
        };
        let mut i = cfg.initial;
        let mut seen = Vec::new();
        for _ in 0..6 {
            i = cfg.next_interval(i, false);
            seen.push(i.as_secs());
        }
        assert_eq!(seen, vec![2, 4, 8, 10, 10, 10]);
        assert_eq!(cfg.next_interval(i, true), Duration::from_secs(1));
    }
}
