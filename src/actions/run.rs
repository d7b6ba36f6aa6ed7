//! Executing a patch-now plan: one SendCommand per batch (≤ 50 ids) per account × region,
//! through the gate; then watch until every target finished; then ask the data layer to
//! refresh the affected nodes so the compliance views show the effect.

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::model::{CommandSummary, NodeKey};

use super::error::ActionError;
use super::gate::{Gate, SendRequest};
use super::plan::PatchPlan;
use super::tracker::CommandTracker;
use super::watch::{self, WatchConfig, WatchEvent};
use crate::fleet::Ssm;

/// Asks the data layer to re-read some nodes (patch state, compliance).
pub trait NodeRefresher: Send + Sync {
    fn refresh_nodes(&self, keys: Vec<NodeKey>);
}

impl<T: NodeRefresher + ?Sized> NodeRefresher for std::sync::Arc<T> {
    fn refresh_nodes(&self, keys: Vec<NodeKey>) {
        (**self).refresh_nodes(keys)
    }
}

/// Refreshes nothing (no data layer, e.g. the fixture console or a headless test).
pub struct NoRefresh;

impl NodeRefresher for NoRefresh {
    fn refresh_nodes(&self, _keys: Vec<NodeKey>) {}
}

/// A batch that could not be sent.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchFailure {
    pub account_id: String,
    pub region: String,
    pub instance_ids: Vec<String>,
    pub error: ActionError,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendReport {
    /// One per SendCommand that AWS accepted (command id recorded).
    pub sent: Vec<CommandSummary>,
    pub failed: Vec<BatchFailure>,
}

impl SendReport {
    /// The first blocking reason (read-only) if every batch was blocked.
    pub fn blocked(&self) -> Option<&ActionError> {
        if self.sent.is_empty() {
            self.failed
                .iter()
                .map(|f| &f.error)
                .find(|e| e.is_read_only())
        } else {
            None
        }
    }
}

/// Groups sent concurrently (bounded); batches of one group in order.
const GROUP_CONCURRENCY: usize = 8;

/// Send every batch of `plan` through `gate`.
pub async fn send_plan(gate: &Gate, ssm: &Ssm, plan: &PatchPlan) -> SendReport {
    let comment = (!plan.comment.is_empty()).then(|| plan.comment.clone());
    // Boxed with an explicit Send bound: keeps the future `Send` for the console's jobs.
    type GroupFuture<'a> = std::pin::Pin<
        Box<dyn std::future::Future<Output = (Vec<CommandSummary>, Vec<BatchFailure>)> + Send + 'a>,
    >;
    let per_group: Vec<GroupFuture<'_>> = plan
        .groups
        .iter()
        .map(|g| Box::pin(send_group(gate, ssm, plan, g, comment.clone())) as GroupFuture<'_>)
        .collect();
    let results: Vec<_> = futures::stream::iter(per_group)
        .buffer_unordered(GROUP_CONCURRENCY)
        .collect()
        .await;
    let mut report = SendReport::default();
    for (s, f) in results {
        report.sent.extend(s);
        report.failed.extend(f);
    }
    report
        .sent
        .sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
    report
}

/// One account × region group's batches, in order (stops early when the gate is closed).
async fn send_group(
    gate: &Gate,
    ssm: &Ssm,
    plan: &PatchPlan,
    g: &super::plan::PlanGroup,
    comment: Option<String>,
) -> (Vec<CommandSummary>, Vec<BatchFailure>) {
    let mut sent = Vec::new();
    let mut failed = Vec::new();
    for b in &g.batches {
        let req = SendRequest {
            account_id: g.account_id.clone(),
            region: g.region.clone(),
            document: plan.document.clone(),
            parameters: plan.parameters.clone(),
            instance_ids: b.instance_ids.clone(),
            tag_target: b.tag_target.clone(),
            max_concurrency: Some(b.max_concurrency.clone()),
            max_errors: Some(b.max_errors.clone()),
            comment: comment.clone(),
            output: plan.options.output.clone(),
            ..SendRequest::default()
        };
        match gate.send_command(ssm, &req).await {
            Ok(mut c) => {
                if c.instance_ids.is_empty() {
                    c.instance_ids = req.instance_ids.clone();
                }
                if c.document_name.is_empty() {
                    c.document_name = req.document.clone();
                }
                sent.push(c);
            }
            Err(error) => {
                let stop = error.is_read_only() || matches!(error, ActionError::Audit { .. });
                failed.push(BatchFailure {
                    account_id: g.account_id.clone(),
                    region: g.region.clone(),
                    instance_ids: req.instance_ids.clone(),
                    error,
                });
                if stop {
                    break;
                }
            }
        }
    }
    (sent, failed)
}

/// The whole patch-now run: send, watch, refresh. Events go to `tx` as they happen.
pub async fn patch_now<R: NodeRefresher>(
    gate: &Gate,
    ssm: &Ssm,
    refresher: &R,
    plan: &PatchPlan,
    cfg: &WatchConfig,
    tx: Option<&UnboundedSender<WatchEvent>>,
    cancel: &CancellationToken,
) -> (SendReport, CommandTracker) {
    let report = send_plan(gate, ssm, plan).await;
    if let Some(tx) = tx {
        let _ = tx.send(WatchEvent::Sent {
            commands: report.sent.clone(),
            failures: report.failed.iter().map(|f| f.error.to_string()).collect(),
        });
    }
    let tracker = watch_and_refresh(ssm, refresher, &report.sent, cfg, tx, cancel).await;
    (report, tracker)
}

/// Watch `commands` to the end, then refresh their nodes.
pub async fn watch_and_refresh<R: NodeRefresher>(
    ssm: &Ssm,
    refresher: &R,
    commands: &[CommandSummary],
    cfg: &WatchConfig,
    tx: Option<&UnboundedSender<WatchEvent>>,
    cancel: &CancellationToken,
) -> CommandTracker {
    let tracker = watch::watch(ssm, commands, cfg, tx, cancel).await;
    let keys = tracker.node_keys();
    let refreshed = keys.len();
    if refreshed > 0 && tracker.is_done() {
        refresher.refresh_nodes(keys);
    }
    if let Some(tx) = tx {
        let _ = tx.send(WatchEvent::Finished {
            summary: tracker.summary(),
            refreshed: if tracker.is_done() { refreshed } else { 0 },
        });
    }
    tracker
}
