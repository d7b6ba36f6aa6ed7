//! The job runner: executes [`Job`]s on the tokio runtime, keeps each job's handle and
//! cancellation token keyed by its [`JobId`] (owner + kind), cancels an owner's jobs when its
//! pane closes or its view leaves the stack, and sends every answer back as
//! `Msg::Job(JobId, JobEvent)`. A cancelled job's late answers are dropped here, so an owner
//! never hears from a job it stopped.
//!
//! Cancellation is cooperative: the token fires and the job stops at its next await point
//! (the watch loop between two polls, the output follower between two reads). Jobs that
//! must not stop half-way (a send through the gate is audited before and after, a file
//! being written) finish, and their answer is dropped.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::action::Msg;
use super::effect::{Job, JobEvent, JobId, JobKind, Owner};
use crate::actions::{WatchConfig, WatchEvent};

/// What background jobs can use.
#[derive(Clone)]
pub struct Services {
    /// The single mutation gate (read-only, audit log): every SendCommand, CancelCommand
    /// and Session Manager start goes through it.
    pub gate: crate::actions::Gate,
    /// The data layer, once connected (the actions reach AWS through [`Services::ssm`]).
    pub fleet: std::sync::Arc<std::sync::OnceLock<crate::fleet::Fleet>>,
    /// An SSM API that does not come from the data layer (one key pair for every account:
    /// moto, the simulator's management account, tests); used before `fleet` when set.
    pub ssm: Option<crate::fleet::Ssm>,
    /// Re-reads nodes after a patch run (the data layer's live feed), when connected.
    pub refresher: Option<std::sync::Arc<dyn crate::actions::NodeRefresher>>,
}

impl Services {
    /// The data layer's SSM API (shared limiter and credentials), once connected.
    pub fn ssm(&self) -> Option<crate::fleet::Ssm> {
        self.ssm
            .clone()
            .or_else(|| self.fleet.get().map(crate::fleet::Fleet::ssm))
    }

    /// The refresher, or one that does nothing.
    pub fn refresher(&self) -> std::sync::Arc<dyn crate::actions::NodeRefresher> {
        self.refresher
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(crate::actions::NoRefresh))
    }
}

struct Running {
    token: CancellationToken,
    handle: JoinHandle<()>,
}

/// Runs jobs for their owners.
pub struct Jobs {
    services: Services,
    tx: UnboundedSender<Msg>,
    running: HashMap<JobId, Running>,
    /// Polling pace of `Watch` and `SendPlan` (tests make it fast).
    pub watch: WatchConfig,
    /// Pace of `FetchOutput { follow: true }`.
    pub follow_interval: Duration,
}

impl Jobs {
    pub fn new(services: Services, tx: UnboundedSender<Msg>) -> Jobs {
        Jobs {
            services,
            tx,
            running: HashMap::new(),
            watch: WatchConfig::default(),
            follow_interval: crate::actions::panes::command::FOLLOW_INTERVAL,
        }
    }

    /// Start `job` for `owner` (on the current tokio runtime), cancelling a running job of
    /// the same owner and kind first.
    pub fn start(&mut self, owner: Owner, job: Job) {
        self.running.retain(|_, r| !r.handle.is_finished());
        let id = JobId {
            owner,
            kind: job.kind(),
        };
        self.stop(id);
        let cx = JobCtx {
            id,
            tx: self.tx.clone(),
            token: CancellationToken::new(),
            services: self.services.clone(),
            watch: self.watch.clone(),
            follow_interval: self.follow_interval,
        };
        let token = cx.token.clone();
        let handle = tokio::spawn(run(job, cx));
        self.running.insert(id, Running { token, handle });
    }

    /// Cancel one job.
    pub fn stop(&mut self, id: JobId) {
        if let Some(r) = self.running.remove(&id) {
            r.token.cancel();
        }
    }

    /// Cancel every job of `owner`.
    pub fn stop_all(&mut self, owner: Owner) {
        let ids: Vec<JobId> = self
            .running
            .keys()
            .filter(|id| id.owner == owner)
            .copied()
            .collect();
        for id in ids {
            self.stop(id);
        }
    }

    /// The kinds of job `owner` has running (not finished, not cancelled).
    pub fn running(&self, owner: Owner) -> Vec<JobKind> {
        let mut v: Vec<JobKind> = self
            .running
            .iter()
            .filter(|(id, r)| id.owner == owner && !r.handle.is_finished())
            .map(|(id, _)| id.kind)
            .collect();
        v.sort_by_key(|k| k.to_string());
        v
    }

    /// The gate (the runtime records foreground sessions through it).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// A context switch (`:ctx`, `:region`): every job of the old context is cancelled
    /// (their late answers are dropped) and new jobs use the new context's services.
    pub fn switch(&mut self, services: Services) {
        let ids: Vec<JobId> = self.running.keys().copied().collect();
        for id in ids {
            self.stop(id);
        }
        self.services = services;
    }
}

/// What a running job holds: its id, its token and the way back.
#[derive(Clone)]
struct JobCtx {
    id: JobId,
    tx: UnboundedSender<Msg>,
    token: CancellationToken,
    services: Services,
    watch: WatchConfig,
    follow_interval: Duration,
}

impl JobCtx {
    /// Deliver an answer to the owner; `false` once the job was cancelled or the console quit.
    fn send(&self, ev: JobEvent) -> bool {
        !self.token.is_cancelled() && self.tx.send(Msg::Job(self.id, ev)).is_ok()
    }

    /// A sender of watch events forwarding to the owner, and the task doing it.
    fn watch_events(&self) -> (UnboundedSender<WatchEvent>, JoinHandle<()>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cx = self.clone();
        let fwd = tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                if !cx.send(JobEvent::Watch(e)) {
                    break;
                }
            }
        });
        (tx, fwd)
    }
}

const NOT_CONNECTED: &str = "not connected to AWS in this session";

async fn run(job: Job, cx: JobCtx) {
    match job {
        Job::SendPlan(plan) => send_plan(*plan, cx).await,
        Job::Watch(cmd) => watch(*cmd, cx).await,
        Job::FetchOutput { row, follow } => fetch_output(*row, follow, cx).await,
        Job::CancelCommands(reqs) => cancel_commands(reqs, cx).await,
        Job::SaveOutput(outs) => save_output(outs, cx).await,
        Job::Export(req) => {
            let r = *req;
            let res = tokio::task::spawn_blocking(move || {
                r.job.run(r.snapshot.as_ref(), r.aggregates.as_ref(), r.now)
            })
            .await
            .unwrap_or_else(|e| Err(format!("export failed: {e}")));
            cx.send(JobEvent::Exported(res));
        }
        Job::PrepareSession { node, aws } => prepare_session(*node, aws, cx).await,
        Job::SessionEnded { plan, status } => cx.services.gate.session_ended(&plan, &status),
        Job::SendRun(plan) => send_run(*plan, cx).await,
        Job::SaveAll { rows, summary } => save_all(rows, summary, cx).await,
        Job::ListDocuments { account_id, region } => list_documents(&account_id, &region, cx).await,
        Job::DescribeDocument {
            account_id,
            region,
            name,
        } => describe_document(&account_id, &region, name, cx).await,
        Job::WindowInvocations {
            account_id,
            region,
            execution_id,
        } => window_invocations(account_id, region, execution_id, cx).await,
        Job::Software { accounts } => software(accounts, cx).await,
        Job::SoftwareNodes {
            accounts,
            name,
            version,
        } => software_nodes(accounts, name, version, cx).await,
        Job::ListProfiles => {
            let r = tokio::select! {
                _ = cx.token.cancelled() => return,
                r = crate::fleet::profiles::list() => r,
            };
            cx.send(JobEvent::Profiles(r));
        }
    }
}

/// Every target's output, as received: the full output (GetCommandInvocation) of each
/// finished target, else what the watcher listed (said in the summary), one file each.
async fn save_all(rows: Vec<crate::actions::tracker::TargetRow>, summary: String, cx: JobCtx) {
    use futures::StreamExt;
    let ssm = cx.services.ssm();
    type Read = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = (crate::actions::output::TargetOutput, Option<String>)>
                + Send,
        >,
    >;
    let reads: Vec<Read> = rows
        .into_iter()
        .map(|r| {
            let ssm = ssm.clone();
            Box::pin(async move {
                let listed = crate::actions::panes::command::row_output(&r);
                match ssm {
                    Some(ssm) if r.is_terminal() => {
                        match crate::actions::watch::fetch_output(&ssm, &r, Duration::from_secs(20))
                            .await
                        {
                            Ok(o) => (o, None),
                            Err(e) => (listed, Some(e.to_string())),
                        }
                    }
                    _ => (
                        listed,
                        Some("not finished or not connected: the listed output".into()),
                    ),
                }
            }) as Read
        })
        .collect();
    let results: Vec<_> = tokio::select! {
        _ = cx.token.cancelled() => return,
        r = futures::stream::iter(reads).buffered(8).collect::<Vec<_>>() => r,
    };
    let mut summary = summary;
    let partial: Vec<String> = results
        .iter()
        .filter_map(|(o, e)| e.as_ref().map(|e| format!("{}: {e}", o.key.instance_id)))
        .collect();
    if !partial.is_empty() {
        summary.push_str(&format!(
            "\n{} output(s) are the listed (≤ 2,500-character) output, not the full one:\n{}\n",
            partial.len(),
            partial.join("\n")
        ));
    }
    let outs: Vec<_> = results.into_iter().map(|(o, _)| o).collect();
    let cmd = outs
        .first()
        .map(|o| o.command_id.clone())
        .unwrap_or_default();
    let dir = crate::config::Paths::resolve().exports_dir().join(format!(
        "run-{}-{}",
        crate::actions::output::file_part(&cmd),
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    let r = tokio::task::spawn_blocking(move || {
        crate::actions::output::save_all(&dir, &outs, &summary).map(|_| dir)
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r.map_err(|e| e.to_string()));
    cx.send(JobEvent::SavedAll(r));
}

async fn send_run(plan: crate::actions::run_plan::RunPlan, cx: JobCtx) {
    let Some(fleet) = cx.services.ssm() else {
        cx.send(JobEvent::Watch(WatchEvent::Sent {
            commands: Vec::new(),
            failures: vec!["not connected to AWS in this session: nothing was sent".into()],
        }));
        return;
    };
    let gate = cx.services.gate.clone();
    let (tx, fwd) = cx.watch_events();
    crate::actions::run_plan::run_and_watch(&gate, &fleet, &plan, &cx.watch, Some(&tx), &cx.token)
        .await;
    drop(tx);
    let _ = fwd.await;
}

/// Command documents (Amazon's and the account's own) for the run pane's completion.
async fn list_documents(account_id: &str, region: &str, cx: JobCtx) {
    let Some(fleet) = cx.services.ssm() else {
        cx.send(JobEvent::Documents(Err(NOT_CONNECTED.into())));
        return;
    };
    let filter = crate::model::DocumentFilter {
        document_type: Some("Command".into()),
        ..Default::default()
    };
    let r = tokio::select! {
        _ = cx.token.cancelled() => return,
        r = fleet.list_documents(account_id, region, &filter) => r,
    };
    cx.send(JobEvent::Documents(
        r.map(|v| v.into_iter().map(|d| d.name).collect())
            .map_err(|e| e.to_string()),
    ));
}

/// One document's parameters; `InvalidDocument` is "no such document", not a failure.
async fn describe_document(account_id: &str, region: &str, name: String, cx: JobCtx) {
    let Some(fleet) = cx.services.ssm() else {
        cx.send(JobEvent::DocumentDescribed {
            name,
            result: Err(NOT_CONNECTED.into()),
        });
        return;
    };
    let r = tokio::select! {
        _ = cx.token.cancelled() => return,
        r = fleet.describe_document(account_id, region, &name, None) => r,
    };
    let result = match r {
        Ok(d) => Ok(Some(Box::new(d))),
        Err(crate::fleet::FleetError::Api { code, .. }) if code == "InvalidDocument" => Ok(None),
        Err(e) => Err(e.to_string()),
    };
    cx.send(JobEvent::DocumentDescribed { name, result });
}

/// A maintenance-window execution's task invocations, through the data layer (its limiter
/// and the account's credentials).
async fn window_invocations(account: String, region: String, execution: String, cx: JobCtx) {
    let Some(fleet) = cx.services.fleet.get().cloned() else {
        cx.send(JobEvent::WindowInvocations(Err(NOT_CONNECTED.into())));
        return;
    };
    let r = tokio::select! {
        _ = cx.token.cancelled() => return,
        r = fleet.window_execution_invocations(&account, &region, &execution) => r,
    };
    cx.send(JobEvent::WindowInvocations(
        r.map_err(|e| format!("{}: {}", e.code, e.message)),
    ));
}

/// #16: the software inventory, with progress per account × region read.
async fn software(accounts: Vec<String>, cx: JobCtx) {
    let Some(fleet) = cx.services.fleet.get().cloned() else {
        cx.send(JobEvent::Software(Err(NOT_CONNECTED.into())));
        return;
    };
    let progress = cx.clone();
    let mut last = std::time::Instant::now();
    let mut on_unit = move |done: usize, total: usize| {
        // at most every 150 ms (and the last unit): a frame per answer is plenty
        if done == total || done == 0 || last.elapsed() >= Duration::from_millis(150) {
            last = std::time::Instant::now();
            progress.send(JobEvent::SoftwareProgress { done, total });
        }
    };
    let mut inv = tokio::select! {
        _ = cx.token.cancelled() => return,
        inv = fleet.software_inventory_with(&accounts, None, &mut on_unit) => inv,
    };
    if let Some(snap) = fleet.last_snapshot() {
        inv.set_agents(&snap.nodes);
    }
    cx.send(JobEvent::Software(Ok(Box::new(inv))));
}

/// #16: the nodes running one application (version).
async fn software_nodes(accounts: Vec<String>, name: String, version: Option<String>, cx: JobCtx) {
    let Some(fleet) = cx.services.fleet.get().cloned() else {
        cx.send(JobEvent::SoftwareNodes(Err(NOT_CONNECTED.into())));
        return;
    };
    let got = tokio::select! {
        _ = cx.token.cancelled() => return,
        got = fleet.nodes_with_application(&accounts, &name, version.as_deref()) => got,
    };
    cx.send(JobEvent::SoftwareNodes(Ok(got)));
}

async fn send_plan(plan: crate::actions::PatchPlan, cx: JobCtx) {
    let Some(fleet) = cx.services.ssm() else {
        cx.send(JobEvent::Watch(WatchEvent::Sent {
            commands: Vec::new(),
            failures: vec!["not connected to AWS in this session: nothing was sent".into()],
        }));
        return;
    };
    let gate = cx.services.gate.clone();
    let refresher = cx.services.refresher();
    let (tx, fwd) = cx.watch_events();
    crate::actions::patch_now(
        &gate,
        &fleet,
        &refresher,
        &plan,
        &cx.watch,
        Some(&tx),
        &cx.token,
    )
    .await;
    drop(tx);
    let _ = fwd.await;
}

async fn watch(cmd: crate::model::CommandSummary, cx: JobCtx) {
    let Some(fleet) = cx.services.ssm() else {
        cx.send(JobEvent::Watch(WatchEvent::PollError {
            command_id: cmd.command_id.clone(),
            message: NOT_CONNECTED.into(),
        }));
        return;
    };
    let (tx, fwd) = cx.watch_events();
    let tracker = crate::actions::watch::watch(
        &fleet,
        std::slice::from_ref(&cmd),
        &cx.watch,
        Some(&tx),
        &cx.token,
    )
    .await;
    let _ = tx.send(WatchEvent::Finished {
        summary: tracker.summary(),
        refreshed: 0,
    });
    drop(tx);
    let _ = fwd.await;
}

/// Read a target's output; with `follow`, keep re-reading it until every step finished or
/// the job is cancelled (viewer closed, follow off, pane closed).
async fn fetch_output(row: crate::actions::tracker::TargetRow, follow: bool, cx: JobCtx) {
    let Some(clients) = cx.services.ssm() else {
        cx.send(JobEvent::Output(Err(NOT_CONNECTED.into())));
        return;
    };
    loop {
        let r = crate::actions::watch::fetch_output(&clients, &row, Duration::from_secs(20))
            .await
            .map_err(|e| e.to_string());
        let finished = match &r {
            Ok(o) => {
                !o.plugins.is_empty()
                    && o.plugins.iter().all(|p| {
                        crate::actions::tracker::is_terminal(
                            &crate::actions::tracker::display_status(&p.status, &p.status_details),
                        )
                    })
            }
            Err(_) => false,
        };
        if !cx.send(JobEvent::Output(r)) || finished || !follow {
            return;
        }
        tokio::select! {
            _ = cx.token.cancelled() => return,
            _ = tokio::time::sleep(cx.follow_interval) => {}
        }
    }
}

async fn cancel_commands(reqs: Vec<crate::actions::CancelRequest>, cx: JobCtx) {
    let mut errors = Vec::new();
    match cx.services.ssm() {
        Some(fleet) => {
            for r in &reqs {
                if let Err(e) = cx.services.gate.cancel_command(&fleet, r).await {
                    errors.push(e.to_string());
                }
            }
        }
        None => errors.push(NOT_CONNECTED.into()),
    }
    cx.send(JobEvent::Cancelled(errors));
}

async fn save_output(outs: Vec<crate::actions::output::TargetOutput>, cx: JobCtx) {
    let dir = crate::config::Paths::resolve().exports_dir();
    let cmd = outs
        .first()
        .map(|o| o.command_id.clone())
        .unwrap_or_default();
    let name = if outs.len() == 1 {
        format!("command-{cmd}-{}.txt", outs[0].key.instance_id)
    } else {
        format!("command-{cmd}-{}-targets.txt", outs.len())
    };
    let path = dir.join(name);
    let r = tokio::task::spawn_blocking(move || {
        crate::actions::output::save(&path, &outs).map(|_| path)
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r.map_err(|e| e.to_string()));
    cx.send(JobEvent::Saved(r));
}

async fn prepare_session(node: crate::model::Node, aws: std::path::PathBuf, cx: JobCtx) {
    use crate::actions::session;
    let Some(fleet) = cx.services.ssm() else {
        cx.send(JobEvent::SessionFailed(NOT_CONNECTED.into()));
        return;
    };
    let env = match fleet.credentials_env(&node.account_id, &node.region).await {
        Ok(e) => e,
        Err(e) => {
            cx.send(JobEvent::SessionFailed(e.to_string()));
            return;
        }
    };
    let endpoint = fleet.endpoint_url();
    let plan = match session::plan_session(&node, &aws, env, endpoint.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            cx.send(JobEvent::SessionFailed(e.to_string()));
            return;
        }
    };
    cx.services.gate.learn_caller(&fleet);
    match cx.services.gate.start_session(&plan) {
        Ok(cmd) => cx.send(JobEvent::SessionReady(
            Box::new(plan),
            super::effect::ForegroundCommand(cmd),
        )),
        Err(e) => cx.send(JobEvent::SessionFailed(e.to_string())),
    };
}
