//! Effects are plain data: what `update` asks the runtime to do ([`Effect`]), the background
//! jobs it may start ([`Job`]), who owns them ([`Owner`], [`JobId`]) and what the jobs answer
//! ([`JobEvent`], delivered as `Msg::Job(JobId, JobEvent)` to the owner). Everything here is
//! comparable, so a test asserts exactly which job an update asked for:
//! `assert_eq!(fx, [Effect::Start(owner, Job::Watch(cmd))])`.
//!
//! This module is a leaf: it knows the domain types the jobs carry, nothing of the console.
//! The jobs themselves run in [`crate::ui::jobs`].

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::actions::output::TargetOutput;
use crate::actions::plan::PatchPlan;
use crate::actions::run_plan::RunPlan;
use crate::actions::session::SessionPlan;
use crate::actions::tracker::TargetRow;
use crate::actions::{CancelRequest, WatchEvent};
use crate::model::software::{SoftwareInventory, SoftwareMissing};
use crate::model::{Aggregates, CommandSummary, DocumentDescription, FleetSnapshot, Node, NodeKey};
use crate::report::export::{ExportJob, Exported};

/// Something `update` wants the runtime to do. Effects keep `update` synchronous and testable.
#[derive(Debug, PartialEq)]
pub enum Effect {
    Quit,
    /// Ask the data layer for a refresh now.
    Refresh,
    /// Load a node's patches, inventory and recent invocations (answers arrive as `Msg::Fleet`).
    LoadNode(NodeKey),
    /// Start a background job for `Owner`. A job with the same [`JobId`] (owner + kind) that
    /// is still running is cancelled first: one job per owner and kind.
    Start(Owner, Job),
    /// Cancel one job (its cancellation token fires; it stops at its next await point).
    Stop(JobId),
    /// Cancel every job of an owner: its pane closed or its view left the stack.
    StopAll(Owner),
    /// Put text on the terminal's clipboard (OSC 52). Only text ssmdeck produced (ids,
    /// ARNs), sanitized.
    Clipboard(String),
    /// Write a small settings file (the column chooser's `views.toml`); a failure is a
    /// toast.
    SaveFile {
        path: std::path::PathBuf,
        text: String,
    },
    /// Suspend the TUI, run a program in the foreground (`aws ssm start-session`), restore
    /// the TUI, then answer the owner with [`JobEvent::Exited`].
    Foreground(Owner, ForegroundCommand),
    /// Re-read the patch schedules now (windows, baselines, associations); a snapshot
    /// carrying them follows.
    RefreshSchedules,
    /// `:ctx` / `:region`: connect to another profile or region scope in the background,
    /// the current one untouched; answered by `Msg::Context(ContextEvent::Ready | Failed)`.
    TryContext {
        id: u64,
        choice: super::context::ContextChoice,
    },
    /// Switch to the context `TryContext { id }` connected: stop the old feed and every
    /// job, start the new feed (its messages are tagged with `id`).
    CommitContext(u64),
}

/// Who a job belongs to: one open pane or one view on the stack (a fresh number each time
/// one is opened, so a reopened pane never receives its predecessor's answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner(pub u64);

/// A job's key in the runner: its owner and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JobId {
    pub owner: Owner,
    pub kind: JobKind,
}

/// The kinds of background job (one per [`Job`] variant, plus the foreground program).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum JobKind {
    SendPlan,
    Watch,
    FetchOutput,
    CancelCommands,
    SaveOutput,
    Export,
    PrepareSession,
    SessionEnded,
    Foreground,
    WindowInvocations,
    // #16
    Software,
    SoftwareNodes,
    SendRun,
    SaveAll,
    ListDocuments,
    DescribeDocument,
    // #18: `:ctx`
    ListProfiles,
}

/// A background job, as data. To add one: a variant here, its [`JobKind`], the answer(s) in
/// [`JobEvent`], and its body in `crate::ui::jobs::run`.
#[derive(Debug, PartialEq)]
pub enum Job {
    /// Send a confirmed patch-now plan through the gate, watch it, refresh the nodes.
    /// Answers: `JobEvent::Watch(Sent | Invocations | PollError | Finished)`.
    SendPlan(Box<PatchPlan>),
    /// Watch an existing command until every target finished (ListCommandInvocations
    /// polling). Answers: `JobEvent::Watch(..)`.
    Watch(Box<CommandSummary>),
    /// Read one target's full output; with `follow`, re-read it every few seconds until every
    /// step finished. Answers: `JobEvent::Output`.
    FetchOutput { row: Box<TargetRow>, follow: bool },
    /// Cancel these commands through the gate. Answers: `JobEvent::Cancelled(errors)`.
    CancelCommands(Vec<CancelRequest>),
    /// Save outputs to a file in the exports directory. Answers: `JobEvent::Saved`.
    SaveOutput(Vec<TargetOutput>),
    /// Write an export (view or report) off the UI thread. Answers: `JobEvent::Exported`.
    Export(Box<ExportRequest>),
    /// Credentials and plan for a Session Manager shell, approved by the gate. Answers:
    /// `JobEvent::SessionReady` or `JobEvent::SessionFailed`.
    PrepareSession { node: Box<Node>, aws: PathBuf },
    /// Record in the audit log how a session ended. No answer.
    SessionEnded {
        plan: Box<SessionPlan>,
        status: String,
    },
    /// Read a maintenance-window execution's task invocations, one per node
    /// (DescribeMaintenanceWindowExecutionTasks + …TaskInvocations through the data layer).
    /// Answers: `JobEvent::WindowInvocations`.
    WindowInvocations {
        account_id: String,
        region: String,
        execution_id: String,
    },
    /// #16: the software inventory of these accounts (GetInventory aggregations per
    /// account × region). Answers: `JobEvent::SoftwareProgress`, then `JobEvent::Software`.
    Software { accounts: Vec<String> },
    /// #16: the nodes of these accounts running application `name` (at `version`), from
    /// GetInventory with filters. Answers: `JobEvent::SoftwareNodes`.
    SoftwareNodes {
        accounts: Vec<String>,
        name: String,
        version: Option<String>,
    },
    /// Send a confirmed Run Command plan through the gate and watch it. Answers:
    /// `JobEvent::Watch(Sent | Invocations | PollError | Finished)`.
    SendRun(Box<RunPlan>),
    /// Save every target's output as received (its full output read again per finished
    /// target), one file per node plus `summary.txt`, into a new directory under the
    /// exports directory. Answers: `JobEvent::SavedAll`.
    SaveAll {
        rows: Vec<TargetRow>,
        summary: String,
    },
    /// Document names for completion (ListDocuments in one account and region). Answers:
    /// `JobEvent::Documents`.
    ListDocuments { account_id: String, region: String },
    /// A document's parameters (DescribeDocument + GetDocument). Answers:
    /// `JobEvent::DocumentDescribed`.
    DescribeDocument {
        account_id: String,
        region: String,
        name: String,
    },
    /// `:ctx`: the AWS profiles of the shared config and credentials files (no network, no
    /// secret). Answers: `JobEvent::Profiles`.
    ListProfiles,
}

impl Job {
    pub fn kind(&self) -> JobKind {
        match self {
            Job::SendPlan(_) => JobKind::SendPlan,
            Job::Watch(_) => JobKind::Watch,
            Job::FetchOutput { .. } => JobKind::FetchOutput,
            Job::CancelCommands(_) => JobKind::CancelCommands,
            Job::SaveOutput(_) => JobKind::SaveOutput,
            Job::Export(_) => JobKind::Export,
            Job::PrepareSession { .. } => JobKind::PrepareSession,
            Job::SessionEnded { .. } => JobKind::SessionEnded,
            Job::WindowInvocations { .. } => JobKind::WindowInvocations,
            Job::Software { .. } => JobKind::Software,
            Job::SoftwareNodes { .. } => JobKind::SoftwareNodes,
            Job::SendRun(_) => JobKind::SendRun,
            Job::SaveAll { .. } => JobKind::SaveAll,
            Job::ListDocuments { .. } => JobKind::ListDocuments,
            Job::DescribeDocument { .. } => JobKind::DescribeDocument,
            Job::ListProfiles => JobKind::ListProfiles,
        }
    }
}

/// An export to write, with the data it reads.
#[derive(Debug, PartialEq)]
pub struct ExportRequest {
    pub job: ExportJob,
    pub snapshot: Option<Arc<FleetSnapshot>>,
    pub aggregates: Option<Arc<Aggregates>>,
    pub now: DateTime<Utc>,
}

/// What a job tells its owner (a closed set: no downcasts).
#[derive(Debug, PartialEq)]
pub enum JobEvent {
    /// Progress of a sent or watched command.
    Watch(WatchEvent),
    /// A target's output (again and again while following).
    Output(Result<TargetOutput, String>),
    /// Cancel requests done; the errors, if any.
    Cancelled(Vec<String>),
    Saved(Result<PathBuf, String>),
    Exported(Result<Exported, String>),
    /// The gate approved the session: run this in the foreground.
    SessionReady(Box<SessionPlan>, ForegroundCommand),
    SessionFailed(String),
    /// The foreground program ended (or could not start).
    Exited(Result<std::process::ExitStatus, String>),
    /// A window execution's task invocations, or why they could not be read.
    WindowInvocations(Result<Vec<crate::model::patching::TaskInvocation>, String>),
    /// #16: account × region units of a software job read so far.
    SoftwareProgress {
        done: usize,
        total: usize,
    },
    /// #16: the merged software inventory (or why there is none: not connected).
    Software(Result<Box<SoftwareInventory>, String>),
    /// #16: the nodes running an application, and the accounts × regions not read.
    SoftwareNodes(Result<(Vec<NodeKey>, Vec<SoftwareMissing>), String>),
    /// Document names (sorted by the pane), or why they could not be listed.
    Documents(Result<Vec<String>, String>),
    /// A document described: `Ok(None)` = no such document.
    DocumentDescribed {
        name: String,
        result: Result<Option<Box<DocumentDescription>>, String>,
    },
    /// Outputs saved as a directory of files (one per node plus a summary).
    SavedAll(Result<PathBuf, String>),
    /// `:ctx`: the profiles of the AWS files, or why they could not be read.
    Profiles(Result<Vec<crate::config::aws_profiles::ProfileInfo>, String>),
}

/// A program to run in the foreground. Compared by program, arguments and environment;
/// printed without environment values (they hold credentials).
pub struct ForegroundCommand(pub std::process::Command);

impl ForegroundCommand {
    fn parts(&self) -> (&std::ffi::OsStr, Vec<&std::ffi::OsStr>) {
        (self.0.get_program(), self.0.get_args().collect())
    }
}

impl PartialEq for ForegroundCommand {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
            && self.0.get_envs().collect::<Vec<_>>() == other.0.get_envs().collect::<Vec<_>>()
    }
}

impl std::fmt::Debug for ForegroundCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (program, args) = self.parts();
        let env: Vec<_> = self.0.get_envs().map(|(k, _)| k).collect();
        f.debug_struct("ForegroundCommand")
            .field("program", &program)
            .field("args", &args)
            .field("env (values redacted)", &env)
            .finish()
    }
}
