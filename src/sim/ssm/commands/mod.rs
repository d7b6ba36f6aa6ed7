//! Run Command: the command and invocation records, SendCommand / ListCommands /
//! ListCommandInvocations / GetCommandInvocation / CancelCommand.
//!
//! - [`lifecycle`] advances commands with simulated time (concurrency, errors, timeouts,
//!   cancellation) and applies AWS-RunPatchBaseline's effects to the nodes;
//! - [`output`] renders what each plugin step printed (lazily, from the node and the result).

pub mod lifecycle;
pub mod output;
pub mod script;
mod send;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::fleet::{RegionFleet, invalid_instance};
use super::node::PatchCounts;
use super::page::{self, err, iso_ms, ts};
use crate::sim::ApiError;

pub use send::{send_command, valid_concurrency, valid_max_errors};

/// What a document does.
#[derive(Clone, Debug, PartialEq)]
pub enum Doc {
    /// AWS-RunPatchBaseline (steps PatchWindows, PatchLinux, PatchMacOS).
    PatchBaseline { install: bool, reboot: bool },
    /// AWS-RunShellScript / AWS-RunPowerShellScript (one step).
    Script {
        lines: Vec<String>,
        powershell: bool,
    },
    /// AWS-ConfigureAWSPackage (step `configurePackage`).
    Package {
        install: bool,
        name: String,
        version: String,
    },
    /// AWS-UpdateSSMAgent (plugin `aws:updateSsmAgent`).
    UpdateAgent { version: String },
}

impl Doc {
    pub fn plugins(&self) -> &'static [&'static str] {
        match self {
            Doc::PatchBaseline { .. } => &["PatchWindows", "PatchLinux", "PatchMacOS"],
            Doc::Script {
                powershell: false, ..
            } => &["aws:runShellScript"],
            Doc::Script {
                powershell: true, ..
            } => &["aws:runPowerShellScript"],
            Doc::Package { .. } => &["configurePackage"],
            Doc::UpdateAgent { .. } => &["aws:updateSsmAgent"],
        }
    }
}

/// Invocation status (the API's `Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IStatus {
    Pending,
    InProgress,
    Delayed,
    Success,
    Cancelled,
    TimedOut,
    Failed,
    Cancelling,
}

impl IStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IStatus::Pending => "Pending",
            IStatus::InProgress => "InProgress",
            IStatus::Delayed => "Delayed",
            IStatus::Success => "Success",
            IStatus::Cancelled => "Cancelled",
            IStatus::TimedOut => "TimedOut",
            IStatus::Failed => "Failed",
            IStatus::Cancelling => "Cancelling",
        }
    }

    pub fn terminal(self) -> bool {
        matches!(
            self,
            IStatus::Success | IStatus::Cancelled | IStatus::TimedOut | IStatus::Failed
        )
    }
}

/// How an invocation is going to end, decided when the command is sent.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Delivered; runs for this long (simulated seconds).
    Run { duration_s: f64 },
    /// Offline for long: undeliverable after this many seconds.
    Undeliverable { after_s: f64 },
    /// Offline recently: stays pending until the delivery timeout.
    DeliveryTimeout,
    /// Document not for this platform.
    InvalidPlatform,
}

/// What a finished run did, kept for the output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunResult {
    pub before: PatchCounts,
    pub after: PatchCounts,
    /// Packages / KBs installed (`None`: a generated historical run, derived when rendered).
    pub installed: Option<Vec<String>>,
    pub failed: Vec<String>,
    pub rebooted: bool,
    pub snapshot_id: String,
}

#[derive(Clone, Debug)]
pub struct Invocation {
    pub instance_id: String,
    pub instance_name: String,
    pub windows: bool,
    pub plan: Plan,
    pub status: IStatus,
    pub details: &'static str,
    /// Execution start (delivery) and end.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub response_code: i32,
    pub result: Option<RunResult>,
    /// Counted against MaxErrors (execution failure or execution timeout).
    pub is_error: bool,
    /// CancelCommand reached this invocation at this instant.
    pub cancel_at: Option<DateTime<Utc>>,
}

impl Invocation {
    pub fn new(instance_id: &str, instance_name: &str, windows: bool, plan: Plan) -> Self {
        Invocation {
            instance_id: instance_id.to_string(),
            instance_name: instance_name.to_string(),
            windows,
            plan,
            status: IStatus::Pending,
            details: "Pending",
            start: None,
            end: None,
            response_code: -1,
            result: None,
            is_error: false,
            cancel_at: None,
        }
    }

    /// The plugin step that actually runs on this node.
    pub fn active_plugin(&self, doc: &Doc) -> &'static str {
        match doc {
            Doc::PatchBaseline { .. } => {
                if self.windows {
                    "PatchWindows"
                } else {
                    "PatchLinux"
                }
            }
            d => d.plugins()[0],
        }
    }

    /// Delivered and ran (or runs): has a start time not in the future.
    pub fn started_by(&self, now: DateTime<Utc>) -> bool {
        self.start.is_some_and(|s| s <= now)
    }
}

#[derive(Clone, Debug)]
pub struct Command {
    pub id: String,
    pub doc_name: String,
    pub doc_version: String,
    pub doc: Doc,
    pub comment: String,
    pub parameters: Value,
    pub instance_ids: Vec<String>,
    pub targets: Value,
    pub requested: DateTime<Utc>,
    /// Delivery timeout (`TimeoutSeconds`).
    pub timeout_s: i64,
    /// Execution timeout of each invocation.
    pub exec_timeout_s: i64,
    pub max_concurrency: String,
    pub max_errors: String,
    pub concurrency: usize,
    pub error_limit: usize,
    pub output_s3: Option<(String, String, String)>,
    pub service_role: String,
    pub cloudwatch: Value,
    pub notification: Value,
    pub invocations: Vec<Invocation>,
    pub cancel_at: Option<DateTime<Utc>>,
    /// Simulated up to this instant.
    pub sim_time: DateTime<Utc>,
    /// All invocations terminal and the status final.
    pub done: bool,
    pub status: &'static str,
    pub status_details: &'static str,
    /// Stopped sending to further targets (MaxErrors exceeded).
    pub stopped: bool,
    pub seed: u64,
    /// `--time-scale` speed-up of the lifecycle: every duration is divided by it (the clock
    /// itself never runs ahead of real time; see `crate::sim::clock`).
    pub speedup: f64,
}

impl Command {
    /// `s` simulated lifecycle seconds as the real duration they take at this speed-up.
    pub fn lifecycle(&self, s: f64) -> Duration {
        scaled(s, self.speedup)
    }

    pub fn expires_after(&self) -> DateTime<Utc> {
        self.requested + Duration::seconds(self.timeout_s + self.exec_timeout_s)
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let completed = self
            .invocations
            .iter()
            .filter(|i| i.status.terminal())
            .count();
        let errors = self.invocations.iter().filter(|i| i.is_error).count();
        let dto = self
            .invocations
            .iter()
            .filter(|i| i.details == "Delivery Timed Out")
            .count();
        (completed, errors, dto)
    }

    pub fn json(&self) -> Value {
        let (completed, errors, dto) = self.counts();
        let mut v = json!({
            "CommandId": self.id,
            "DocumentName": self.doc_name,
            "DocumentVersion": self.doc_version,
            "Comment": self.comment,
            "ExpiresAfter": ts(self.expires_after()),
            "Parameters": self.parameters,
            "InstanceIds": self.instance_ids,
            "Targets": self.targets,
            "RequestedDateTime": ts(self.requested),
            "Status": self.status,
            "StatusDetails": self.status_details,
            "OutputS3Region": self.output_s3.as_ref().map(|o| o.0.as_str()).unwrap_or(""),
            "OutputS3BucketName": self.output_s3.as_ref().map(|o| o.1.as_str()).unwrap_or(""),
            "OutputS3KeyPrefix": self.output_s3.as_ref().map(|o| o.2.as_str()).unwrap_or(""),
            "MaxConcurrency": self.max_concurrency,
            "MaxErrors": self.max_errors,
            "TargetCount": self.invocations.len(),
            "CompletedCount": completed,
            "ErrorCount": errors,
            "DeliveryTimedOutCount": dto,
            "ServiceRole": self.service_role,
            "TimeoutSeconds": self.timeout_s,
            "CloudWatchOutputConfig": if self.cloudwatch.is_null() {
                json!({"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": false})
            } else {
                self.cloudwatch.clone()
            },
        });
        if !self.notification.is_null() {
            v["NotificationConfig"] = self.notification.clone();
        }
        v
    }

    fn output_url(&self, inv: &Invocation, plugin: &str, stream: &str) -> String {
        match &self.output_s3 {
            Some((region, bucket, prefix)) => {
                let step = plugin.replace(':', "");
                let prefix = if prefix.is_empty() {
                    String::new()
                } else {
                    format!("{}/", prefix.trim_end_matches('/'))
                };
                format!(
                    "https://s3.{region}.amazonaws.com/{bucket}/{prefix}{}/{}/{step}/{stream}",
                    self.id, inv.instance_id
                )
            }
            None => String::new(),
        }
    }
}

/// `s` simulated seconds as real time at `speedup` (at least 1).
pub fn scaled(s: f64, speedup: f64) -> Duration {
    Duration::microseconds((s * 1e6 / speedup.max(1.0)) as i64)
}

/// Characters, not bytes (the API counts characters).
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// ListCommands / ListCommandInvocations filters

struct CmdFilter {
    key: String,
    value: String,
}

fn parse_command_filters(input: &Value, invocations: bool) -> Result<Vec<CmdFilter>, ApiError> {
    let list = page::opt_list(input, "Filters")?;
    let mut out = Vec::new();
    for f in list {
        let key = page::req_str(f, "key")?;
        let value = page::req_str(f, "value")?;
        let ok_key = match key {
            "InvokedAfter" | "InvokedBefore" => {
                if page::parse_time(value).is_none() {
                    return Err(err(
                        "InvalidFilterValue",
                        format!("The filter value {value} is not a valid timestamp."),
                    ));
                }
                true
            }
            "Status" => {
                let allowed: &[&str] = if invocations {
                    &[
                        "Pending",
                        "InProgress",
                        "Success",
                        "Cancelled",
                        "Failed",
                        "TimedOut",
                        "AccessDenied",
                        "DeliveryTimedOut",
                        "ExecutionTimedOut",
                        "Incomplete",
                        "NoInstancesInTag",
                        "LimitExceeded",
                        "Delayed",
                        "Undeliverable",
                        "InvalidPlatform",
                        "Terminated",
                    ]
                } else {
                    &[
                        "Pending",
                        "InProgress",
                        "Success",
                        "Cancelled",
                        "Failed",
                        "TimedOut",
                        "AccessDenied",
                        "DeliveryTimedOut",
                        "ExecutionTimedOut",
                        "Incomplete",
                        "NoInstancesInTag",
                        "LimitExceeded",
                    ]
                };
                if !allowed.contains(&value) {
                    return Err(err(
                        "InvalidFilterValue",
                        format!("The filter value {value} is not valid for key Status."),
                    ));
                }
                true
            }
            "ExecutionStage" => !invocations && matches!(value, "Executing" | "Complete"),
            "DocumentName" => true,
            _ => false,
        };
        if !ok_key {
            return Err(err(
                "InvalidFilterKey",
                format!("The filter key {key} with value {value} is not valid."),
            ));
        }
        out.push(CmdFilter {
            key: key.to_string(),
            value: value.to_string(),
        });
    }
    Ok(out)
}

/// Status filter values match either the status or the compacted details (`DeliveryTimedOut`).
fn status_matches(want: &str, status: &str, details: &str) -> bool {
    want == status || want == details.replace(' ', "")
}

fn command_matches(c: &Command, filters: &[CmdFilter]) -> bool {
    filters.iter().all(|f| match f.key.as_str() {
        "InvokedAfter" => page::parse_time(&f.value).is_some_and(|t| c.requested >= t),
        "InvokedBefore" => page::parse_time(&f.value).is_some_and(|t| c.requested <= t),
        "Status" => status_matches(&f.value, c.status, c.status_details),
        "ExecutionStage" => (f.value == "Complete") == c.done,
        "DocumentName" => c.doc_name == f.value,
        _ => true,
    })
}

pub fn list_commands(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "ListCommands";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let filters = parse_command_filters(input, false)?;
    let cmd_id = page::opt_str(input, "CommandId")?;
    let inst = page::opt_str(input, "InstanceId")?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<&Command> = f
        .commands
        .iter()
        .rev()
        .filter(|c| cmd_id.is_none_or(|id| c.id == id))
        .filter(|c| inst.is_none_or(|i| c.invocations.iter().any(|v| v.instance_id == i)))
        .filter(|c| command_matches(c, &filters))
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    let items: Vec<Value> = items.iter().map(|c| c.json()).collect();
    Ok(page::with_token(
        crate::sim::protocol::list_body("Commands", items),
        next,
    ))
}

pub fn list_command_invocations(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "ListCommandInvocations";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let filters = parse_command_filters(input, true)?;
    let details = page::opt_bool(input, "Details")?.unwrap_or(false);
    let cmd_id = page::opt_str(input, "CommandId")?;
    let inst = page::opt_str(input, "InstanceId")?;
    let start = page::start_offset(OP, input)?;
    let pairs: Vec<(usize, usize)> = f
        .commands
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, c)| cmd_id.is_none_or(|id| c.id == id))
        .filter(|(_, c)| {
            filters.iter().all(|fl| match fl.key.as_str() {
                "InvokedAfter" => page::parse_time(&fl.value).is_some_and(|t| c.requested >= t),
                "InvokedBefore" => page::parse_time(&fl.value).is_some_and(|t| c.requested <= t),
                "DocumentName" => c.doc_name == fl.value,
                _ => true,
            })
        })
        .flat_map(|(ci, c)| {
            c.invocations
                .iter()
                .enumerate()
                .filter(|(_, v)| inst.is_none_or(|i| v.instance_id == i))
                .filter(|(_, v)| {
                    filters.iter().all(|fl| {
                        fl.key != "Status"
                            || status_matches(&fl.value, v.status.as_str(), v.details)
                    })
                })
                .map(move |(vi, _)| (ci, vi))
        })
        .collect();
    let (items, next) = page::page(OP, input, &pairs, start, max);
    let items: Vec<Value> = items
        .iter()
        .map(|&(ci, vi)| invocation_json(f, &f.commands[ci], vi, details))
        .collect();
    Ok(page::with_token(
        crate::sim::protocol::list_body("CommandInvocations", items),
        next,
    ))
}

fn invocation_json(f: &RegionFleet, c: &Command, vi: usize, details: bool) -> Value {
    let inv = &c.invocations[vi];
    let active = inv.active_plugin(&c.doc);
    let mut v = json!({
        "CommandId": c.id,
        "InstanceId": inv.instance_id,
        "InstanceName": inv.instance_name,
        "Comment": c.comment,
        "DocumentName": c.doc_name,
        "DocumentVersion": c.doc_version,
        "RequestedDateTime": ts(c.requested),
        "Status": inv.status.as_str(),
        "StatusDetails": inv.details,
        "TraceOutput": "",
        "StandardOutputUrl": c.output_url(inv, active, "stdout"),
        "StandardErrorUrl": c.output_url(inv, active, "stderr"),
        "CommandPlugins": [],
        "ServiceRole": c.service_role,
        "CloudWatchOutputConfig": if c.cloudwatch.is_null() {
            json!({"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": false})
        } else {
            c.cloudwatch.clone()
        },
    });
    if details {
        let plugins: Vec<Value> = c
            .doc
            .plugins()
            .iter()
            .map(|p| {
                let s = plugin_state(f, c, inv, p);
                let mut pv = Map::new();
                pv.insert("Name".into(), json!(p));
                pv.insert("Status".into(), json!(s.status));
                pv.insert("StatusDetails".into(), json!(s.details));
                pv.insert("ResponseCode".into(), json!(s.code));
                if let Some(t) = s.start {
                    pv.insert("ResponseStartDateTime".into(), ts(t));
                }
                if let Some(t) = s.end {
                    pv.insert("ResponseFinishDateTime".into(), ts(t));
                }
                pv.insert("Output".into(), json!(truncate_chars(&s.stdout, 2500)));
                pv.insert(
                    "StandardOutputUrl".into(),
                    json!(c.output_url(inv, p, "stdout")),
                );
                pv.insert(
                    "StandardErrorUrl".into(),
                    json!(c.output_url(inv, p, "stderr")),
                );
                if let Some((r, b, k)) = &c.output_s3 {
                    pv.insert("OutputS3Region".into(), json!(r));
                    pv.insert("OutputS3BucketName".into(), json!(b));
                    pv.insert("OutputS3KeyPrefix".into(), json!(k));
                }
                Value::Object(pv)
            })
            .collect();
        v["CommandPlugins"] = json!(plugins);
    }
    v
}

/// One plugin step's view of an invocation.
pub struct PluginState {
    pub status: &'static str,
    pub details: &'static str,
    pub code: i32,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub stdout: String,
    pub stderr: String,
}

pub fn plugin_state(f: &RegionFleet, c: &Command, inv: &Invocation, plugin: &str) -> PluginState {
    let active = inv.active_plugin(&c.doc);
    let delivered = inv.start.is_some() && matches!(inv.plan, Plan::Run { .. });
    if plugin != active {
        // Steps whose platform precondition does not hold are skipped, successfully: the
        // steps before the node's own step as soon as it starts, the ones after it when it
        // is done (until then they wait, `Pending`) — never `InProgress`.
        let order = c.doc.plugins();
        let before =
            order.iter().position(|p| *p == plugin) < order.iter().position(|p| *p == active);
        let started = matches!(inv.status, IStatus::InProgress | IStatus::Cancelling);
        if delivered && !inv.status.terminal() && !(before && started) {
            return PluginState {
                status: "Pending",
                details: "Pending",
                code: -1,
                start: None,
                end: None,
                stdout: String::new(),
                stderr: String::new(),
            };
        }
        if delivered && (inv.status.terminal() || before) {
            let platform = match plugin {
                "PatchWindows" => "Windows",
                "PatchMacOS" => "MacOS",
                _ => "Linux",
            };
            return PluginState {
                status: "Success",
                details: "Success",
                code: 0,
                start: inv.start,
                end: inv.start,
                stdout: format!(
                    "Step execution skipped due to unsatisfied preconditions: '\"StringEquals\": [platformType, {platform}]'. Step name: {plugin}"
                ),
                stderr: String::new(),
            };
        }
    }
    let (status, details) = match inv.status {
        IStatus::Success => ("Success", "Success"),
        IStatus::Failed if inv.details == "Failed" => ("Failed", "Failed"),
        IStatus::Failed => ("Failed", inv.details),
        IStatus::TimedOut => ("TimedOut", inv.details),
        // `Cancelled`, or `Terminated` when MaxErrors stopped the command
        IStatus::Cancelled => ("Cancelled", inv.details),
        IStatus::InProgress | IStatus::Cancelling => ("InProgress", "In Progress"),
        IStatus::Pending | IStatus::Delayed => ("Pending", "Pending"),
    };
    let (stdout, stderr) = if inv.status.terminal() && delivered {
        output::render(f, c, inv)
    } else {
        (String::new(), String::new())
    };
    PluginState {
        status,
        details,
        code: if inv.status.terminal() && delivered {
            inv.response_code
        } else {
            -1
        },
        start: if delivered { inv.start } else { None },
        end: if inv.status.terminal() && delivered {
            inv.end
        } else {
            None
        },
        stdout,
        stderr,
    }
}

pub fn get_command_invocation(
    f: &RegionFleet,
    input: &Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let cmd_id = page::req_str(input, "CommandId")?;
    let inst = page::req_str(input, "InstanceId")?;
    let plugin = page::opt_str(input, "PluginName")?;
    let Some(c) = f.command(cmd_id) else {
        return Err(err(
            "InvalidCommandId",
            format!("Command {cmd_id} does not exist."),
        ));
    };
    // Run Command is eventually consistent: a fresh invocation is briefly invisible.
    let fresh = now < c.requested + c.lifecycle(0.8);
    let Some(inv) = c
        .invocations
        .iter()
        .find(|v| v.instance_id == inst)
        .filter(|_| !fresh)
    else {
        return Err(err(
            "InvocationDoesNotExist",
            "An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation",
        ));
    };
    let plugins = c.doc.plugins();
    let plugin = match plugin {
        Some(p) if plugins.contains(&p) => p,
        Some(p) => {
            return Err(err(
                "InvalidPluginName",
                format!("Plugin {p} is not part of document {}.", c.doc_name),
            ));
        }
        None if plugins.len() > 1 => {
            return Err(err(
                "InvalidPluginName",
                format!(
                    "Document {} has multiple steps; specify PluginName (one of {}).",
                    c.doc_name,
                    plugins.join(", ")
                ),
            ));
        }
        None => plugins[0],
    };
    let s = plugin_state(f, c, inv, plugin);
    let elapsed = match (s.start, s.end) {
        (Some(a), Some(b)) => iso_duration(b - a),
        (Some(a), None) if a <= now => iso_duration(now - a),
        _ => String::new(),
    };
    Ok(json!({
        "CommandId": c.id,
        "InstanceId": inv.instance_id,
        "Comment": c.comment,
        "DocumentName": c.doc_name,
        "DocumentVersion": c.doc_version,
        "PluginName": plugin,
        "ResponseCode": s.code,
        "ExecutionStartDateTime": s.start.map(iso_ms).unwrap_or_default(),
        "ExecutionElapsedTime": elapsed,
        "ExecutionEndDateTime": s.end.map(iso_ms).unwrap_or_default(),
        "Status": s.status,
        "StatusDetails": s.details,
        "StandardOutputContent": truncate_chars(&s.stdout, 24_000),
        "StandardOutputUrl": c.output_url(inv, plugin, "stdout"),
        "StandardErrorContent": truncate_chars(&s.stderr, 8_000),
        "StandardErrorUrl": c.output_url(inv, plugin, "stderr"),
        "CloudWatchOutputConfig": if c.cloudwatch.is_null() {
            json!({"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": false})
        } else {
            c.cloudwatch.clone()
        },
    }))
}

/// `PT12.345S`, `PT3M2.5S`.
pub fn iso_duration(d: Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    let (m, rest) = (ms / 60_000, ms % 60_000);
    let secs = format!("{}.{:03}", rest / 1000, rest % 1000);
    let secs = secs.trim_end_matches('0').trim_end_matches('.');
    if m > 0 {
        format!("PT{m}M{secs}S")
    } else {
        format!("PT{secs}S")
    }
}

pub fn cancel_command(
    f: &mut RegionFleet,
    input: &Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let cmd_id = page::req_str(input, "CommandId")?;
    let ids = page::str_list(input, "InstanceIds")?;
    let mut seen = std::collections::HashSet::new();
    for id in &ids {
        if !seen.insert(*id) {
            return Err(err(
                "DuplicateInstanceId",
                format!("Instance {id} appears more than once."),
            ));
        }
    }
    let Some(&ci) = f.cmd_by_id.get(cmd_id) else {
        return Err(err(
            "InvalidCommandId",
            format!("Command {cmd_id} does not exist."),
        ));
    };
    let c = &mut f.commands[ci];
    for id in &ids {
        if !c.invocations.iter().any(|v| v.instance_id == *id) {
            return Err(invalid_instance(id));
        }
    }
    lifecycle::cancel(c, &ids, now);
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_truncation() {
        assert_eq!(iso_duration(Duration::milliseconds(541)), "PT0.541S");
        assert_eq!(iso_duration(Duration::milliseconds(62_500)), "PT1M2.5S");
        assert_eq!(iso_duration(Duration::seconds(30)), "PT30S");
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("ab", 5), "ab");
    }
}
