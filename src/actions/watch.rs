//! Watching commands live: ListCommandInvocations (Details) per command with backoff — fast
//! while targets change, slower while nothing does, never a busy loop — and
//! GetCommandInvocation per step for a target's full output. Every call goes through the
//! data layer's [`Ssm`], so polls share the fleet's limiter and pacing.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::fleet::Ssm;
use crate::model::{CommandInvocation, CommandSummary};

use super::error::ActionError;
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
    /// Run Command does not know this command (any more): it lists no invocation of it,
    /// poll after poll, long after it was requested. Run Command keeps 30 days of history
    /// (older ids, such as a maintenance window's runs of last month, are gone); its targets
    /// are marked [`NOT_IN_HISTORY`] and the watch stops.
    NotInHistory { command_id: String },
    /// Every target finished (or the deadline passed / the watch was cancelled).
    Finished {
        summary: String,
        /// Node keys handed to the data layer for a refresh.
        refreshed: usize,
    },
}

/// The status of a target whose command Run Command no longer knows.
pub const NOT_IN_HISTORY: &str = "NotInHistory";

/// Empty listings in a row after which a command that is not fresh counts as unknown.
const EMPTY_POLLS: u32 = 3;

/// A command requested less than this long ago may just not be listed yet (Run Command is
/// eventually consistent).
const FRESH: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// The user-facing sentence for a command Run Command does not know.
pub fn not_in_history_message(command_id: &str) -> String {
    format!(
        "Command {command_id} is not in Run Command history (kept 30 days): no status or output to show"
    )
}

/// Poll until every target of `commands` finished, the deadline passed or `cancel` fired.
/// Returns the final state.
pub async fn watch(
    ssm: &Ssm,
    commands: &[CommandSummary],
    cfg: &WatchConfig,
    tx: Option<&UnboundedSender<WatchEvent>>,
    cancel: &CancellationToken,
) -> CommandTracker {
    let mut tracker = CommandTracker::new(commands);
    let started = tokio::time::Instant::now();
    let mut interval = cfg.initial;
    let mut polls = 0u32;
    let mut empty: std::collections::HashMap<String, u32> = Default::default();
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
                list_invocations(ssm, c, cfg.call_timeout).await,
            )
        });
        let results = futures::future::join_all(calls).await;
        let mut changed = false;
        let mut errors = false;
        for (command_id, r) in results {
            match r {
                Ok(invs) if invs.is_empty() => {
                    let n = empty.entry(command_id.clone()).or_default();
                    *n += 1;
                    let c = commands.iter().find(|c| c.command_id == command_id);
                    let fresh = c
                        .and_then(|c| c.requested_at)
                        .is_some_and(|t| chrono::Utc::now() - t < FRESH);
                    if *n >= EMPTY_POLLS && !fresh {
                        tracker.mark_not_in_history(&command_id);
                        changed = true;
                        if let Some(tx) = tx {
                            let _ = tx.send(WatchEvent::NotInHistory { command_id });
                        }
                    }
                }
                Ok(invs) => {
                    empty.remove(&command_id);
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
pub async fn list_invocations(
    ssm: &Ssm,
    command: &CommandSummary,
    call_timeout: Duration,
) -> Result<Vec<CommandInvocation>, ActionError> {
    const OP: &str = "ListCommandInvocations";
    let (account, region) = (&command.account_id, &command.region);
    let call = ssm.list_invocations(account, region, &command.command_id, None);
    match tokio::time::timeout(call_timeout, call).await {
        Ok(r) => r.map_err(|e| ActionError::from_fleet(OP, account, region, e)),
        Err(_) => Err(ActionError::timeout(OP, account, region, call_timeout)),
    }
}

/// The full output of one target: GetCommandInvocation per step (PluginName is required
/// for multi-step documents such as AWS-RunPatchBaseline). `InvocationDoesNotExist` right
/// after SendCommand is retried by the data layer (Run Command is eventually consistent).
pub async fn fetch_output(
    ssm: &Ssm,
    row: &TargetRow,
    call_timeout: Duration,
) -> Result<TargetOutput, ActionError> {
    let key = &row.key;
    let mut names: Vec<Option<String>> = row.plugins.iter().map(|p| Some(p.name.clone())).collect();
    if names.is_empty() {
        // the step names are not known yet: ask for this target's invocation
        let listed = tokio::time::timeout(
            call_timeout,
            ssm.list_invocations(
                &key.account_id,
                &key.region,
                &row.command_id,
                Some(&key.instance_id),
            ),
        )
        .await;
        match listed {
            Ok(Ok(invs)) => {
                names = invs
                    .iter()
                    .flat_map(|i| &i.plugins)
                    .filter(|p| !p.name.is_empty())
                    .map(|p| Some(p.name.clone()))
                    .collect();
                if names.is_empty() && !invs.is_empty() {
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
                ssm,
                &row.command_id,
                &key.account_id,
                &key.region,
                &key.instance_id,
                name.as_deref(),
                call_timeout,
            )
            .await?,
        );
    }
    Ok(TargetOutput {
        key: key.clone(),
        command_id: row.command_id.clone(),
        plugins,
    })
}

/// One GetCommandInvocation (one step of one target), converted.
pub async fn get_invocation(
    ssm: &Ssm,
    command_id: &str,
    account_id: &str,
    region: &str,
    instance_id: &str,
    plugin: Option<&str>,
    call_timeout: Duration,
) -> Result<PluginOutput, ActionError> {
    const OP: &str = "GetCommandInvocation";
    let call = ssm.get_output(account_id, region, command_id, instance_id, plugin);
    match tokio::time::timeout(call_timeout, call).await {
        Ok(r) => r.map_err(|e| ActionError::from_fleet(OP, account_id, region, e)),
        Err(_) => Err(ActionError::timeout(OP, account_id, region, call_timeout)),
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
