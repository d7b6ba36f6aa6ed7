//! Maintenance windows: DescribeMaintenanceWindows, …Targets, …Tasks, …Schedule,
//! …sForTarget, …Executions, …ExecutionTasks, …ExecutionTaskInvocations.
//! Shapes, page sizes (MaxResults 10..100) and errors (`DoesNotExistException`) from the
//! botocore SSM model (`service-2.json`); `NextExecutionTime` / `ExecutionTime` are strings
//! (`2020-02-19T16:00Z`, aws-cli `describe-maintenance-window-schedule.rst`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::fleet::{MaintenanceWindow, RegionFleet};
use super::page::{self, err, ts};
use super::patching;
use crate::model::schedule::ScheduleSpec;
use crate::sim::ApiError;

fn not_found(what: &str, id: &str) -> ApiError {
    err(
        "DoesNotExistException",
        format!("{what} {id} does not exist"),
    )
}

fn window<'a>(f: &'a RegionFleet, input: &Value) -> Result<&'a MaintenanceWindow, ApiError> {
    let id = page::req_str(input, "WindowId")?;
    f.windows
        .iter()
        .find(|w| w.id == id)
        .ok_or_else(|| not_found("Maintenance window", id))
}

/// `[{Key, Values}]` filters with the allowed keys (others are a ValidationException).
fn filters<'a>(
    input: &'a Value,
    allowed: &[&str],
) -> Result<Vec<(&'a str, Vec<&'a str>)>, ApiError> {
    let mut out = Vec::new();
    for f in page::opt_list(input, "Filters")? {
        let key = page::req_str(f, "Key")?;
        if !allowed.contains(&key) {
            return Err(page::validation(
                "Filters.member.Key",
                key,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            ));
        }
        out.push((key, page::str_list(f, "Values")?));
    }
    Ok(out)
}

fn spec(w: &MaintenanceWindow) -> ScheduleSpec {
    let mut s = ScheduleSpec::new(&w.schedule, w.timezone.as_deref(), w.offset.unwrap_or(0));
    s.start = w.start_date;
    s.end = w.end_date;
    s
}

/// The next run as AWS reports it (`2026-11-29T03:00Z`), when the window is enabled.
fn next_execution(w: &MaintenanceWindow, now: DateTime<Utc>) -> Option<String> {
    if !w.enabled {
        return None;
    }
    let last = w.executions.last().map(|e| e.start);
    spec(w)
        .next_after(now, last)
        .ok()
        .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
}

fn identity(w: &MaintenanceWindow, now: DateTime<Utc>) -> Value {
    let mut v = json!({
        "WindowId": w.id,
        "Name": w.name,
        "Description": w.description,
        "Enabled": w.enabled,
        "Duration": w.duration_h,
        "Cutoff": w.cutoff_h,
        "Schedule": w.schedule,
    });
    if let Some(tz) = &w.timezone {
        v["ScheduleTimezone"] = json!(tz);
    }
    if let Some(o) = w.offset {
        v["ScheduleOffset"] = json!(o);
    }
    if let Some(t) = next_execution(w, now) {
        v["NextExecutionTime"] = json!(t);
    }
    if let Some(s) = w.start_date {
        v["StartDate"] = json!(page::iso_s(s));
    }
    if let Some(e) = w.end_date {
        v["EndDate"] = json!(page::iso_s(e));
    }
    v
}

pub fn describe_maintenance_windows(
    f: &RegionFleet,
    input: &Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindows";
    let max = page::max_results(input, "MaxResults", 10, 100, 10)?;
    let flt = filters(input, &["Name", "Enabled"])?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<Value> = f
        .windows
        .iter()
        .filter(|w| {
            flt.iter().all(|(k, vals)| match *k {
                "Name" => vals.contains(&w.name.as_str()),
                _ => vals
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(if w.enabled { "true" } else { "false" })),
            })
        })
        .map(|w| identity(w, now))
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("WindowIdentities", items),
        next,
    ))
}

pub fn describe_targets(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindowTargets";
    let max = page::max_results(input, "MaxResults", 10, 100, 10)?;
    let w = window(f, input)?;
    let flt = filters(input, &["WindowTargetId", "OwnerInformation", "Name"])?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<Value> = w
        .targets
        .iter()
        .filter(|t| {
            flt.iter().all(|(k, vals)| match *k {
                "WindowTargetId" => vals.contains(&t.id.as_str()),
                "Name" => vals.contains(&t.name.as_str()),
                _ => false,
            })
        })
        .map(|t| {
            json!({
                "WindowId": w.id,
                "WindowTargetId": t.id,
                "ResourceType": "INSTANCE",
                "Targets": t.targets,
                "Name": t.name,
                "Description": t.description,
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("Targets", items),
        next,
    ))
}

pub fn describe_tasks(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindowTasks";
    let max = page::max_results(input, "MaxResults", 10, 100, 10)?;
    let w = window(f, input)?;
    let flt = filters(input, &["WindowTaskId", "TaskArn", "Priority", "TaskType"])?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<Value> = w
        .tasks
        .iter()
        .filter(|t| {
            flt.iter().all(|(k, vals)| match *k {
                "WindowTaskId" => vals.contains(&t.id.as_str()),
                "TaskArn" => vals.contains(&t.document),
                "Priority" => vals.contains(&t.priority.to_string().as_str()),
                _ => vals.contains(&"RUN_COMMAND"),
            })
        })
        .map(|t| {
            // Registered with --task-parameters: DescribeMaintenanceWindowTasks returns them
            // (tasks registered with --task-invocation-parameters show them only in
            // GetMaintenanceWindowTask).
            let mut params = serde_json::Map::new();
            if let Some(op) = t.operation {
                params.insert("Operation".into(), json!({"Values": [op]}));
            }
            if let Some(rb) = t.reboot {
                params.insert("RebootOption".into(), json!({"Values": [rb]}));
            }
            json!({
                "WindowId": w.id,
                "WindowTaskId": t.id,
                "TaskArn": t.document,
                "Type": "RUN_COMMAND",
                "Targets": [{"Key": "WindowTargetIds", "Values": t.target_ids}],
                "TaskParameters": params,
                "Priority": t.priority,
                "MaxConcurrency": t.max_concurrency,
                "MaxErrors": t.max_errors,
                "Name": t.name,
                "CutoffBehavior": "CONTINUE_TASK",
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("Tasks", items),
        next,
    ))
}

pub fn describe_executions(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindowExecutions";
    let max = page::max_results(input, "MaxResults", 10, 100, 10)?;
    let w = window(f, input)?;
    let flt = filters(input, &["ExecutedBefore", "ExecutedAfter"])?;
    let mut bounds = Vec::new();
    for (k, vals) in &flt {
        let v = vals.first().copied().unwrap_or("");
        let t = page::parse_time(v).ok_or_else(|| {
            page::validation("Filters.member.Values", v, "Member must be a valid date")
        })?;
        bounds.push((*k, t));
    }
    let start = page::start_offset(OP, input)?;
    // Newest first, as the console lists them.
    let list: Vec<Value> = w
        .executions
        .iter()
        .rev()
        .filter(|e| {
            bounds.iter().all(|(k, t)| match *k {
                "ExecutedBefore" => e.start < *t,
                _ => e.start > *t,
            })
        })
        .map(|e| {
            let mut v = json!({
                "WindowId": w.id,
                "WindowExecutionId": e.id,
                "Status": e.status,
                "StartTime": ts(e.start),
                "EndTime": ts(e.end),
            });
            if !e.details.is_empty() {
                v["StatusDetails"] = json!(e.details);
            }
            v
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("WindowExecutions", items),
        next,
    ))
}

/// The window and execution an execution id belongs to.
fn execution<'a>(
    f: &'a RegionFleet,
    id: &str,
) -> Result<(&'a MaintenanceWindow, &'a patching::WindowExecution), ApiError> {
    f.windows
        .iter()
        .find_map(|w| w.executions.iter().find(|e| e.id == id).map(|e| (w, e)))
        .ok_or_else(|| not_found("Maintenance window execution", id))
}

fn status_filter(input: &Value) -> Result<Option<Vec<&str>>, ApiError> {
    let flt = filters(input, &["Status"])?;
    Ok(flt.into_iter().next().map(|(_, v)| v))
}

pub fn describe_execution_tasks(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindowExecutionTasks";
    let max = page::max_results(input, "MaxResults", 10, 100, 10)?;
    let id = page::req_str(input, "WindowExecutionId")?;
    let (w, e) = execution(f, id)?;
    let status = status_filter(input)?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<Value> = w
        .tasks
        .iter()
        .take(1)
        .filter(|_| status.as_ref().is_none_or(|s| s.contains(&e.status)))
        .map(|t| {
            let mut v = json!({
                "WindowExecutionId": e.id,
                "TaskExecutionId": e.task_execution_id,
                "Status": e.status,
                "StartTime": ts(e.start),
                "EndTime": ts(e.end),
                "TaskArn": t.document,
                "TaskType": "RUN_COMMAND",
            });
            if !e.details.is_empty() {
                v["StatusDetails"] = json!("One or more targets failed.");
            }
            v
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("WindowExecutionTaskIdentities", items),
        next,
    ))
}

pub fn describe_execution_task_invocations(
    f: &RegionFleet,
    input: &Value,
) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindowExecutionTaskInvocations";
    let max = page::max_results(input, "MaxResults", 10, 100, 10)?;
    let id = page::req_str(input, "WindowExecutionId")?;
    let task = page::req_str(input, "TaskId")?;
    let (w, e) = execution(f, id)?;
    if task != e.task_execution_id {
        return Err(not_found("Maintenance window task execution", task));
    }
    let status = status_filter(input)?;
    let start = page::start_offset(OP, input)?;
    let t = &w.tasks[0];
    // One node per invocation, named in `Parameters.instanceIds` (aws-cli example
    // `describe-maintenance-window-execution-task-invocations.rst`).
    let params = |node: &str| {
        json!({
            "documentName": t.document,
            "instanceIds": [node],
            "parameters": {
                "Operation": t.operation.map(|o| vec![o]).unwrap_or_default(),
                "RebootOption": t.reboot.map(|o| vec![o]).unwrap_or_default(),
            },
            "maxConcurrency": t.max_concurrency,
            "maxErrors": t.max_errors,
        })
        .to_string()
    };
    let list: Vec<Value> = patching::invocations(f, w, e)
        .into_iter()
        .filter(|i| status.as_ref().is_none_or(|s| s.contains(&i.status)))
        .map(|i| {
            json!({
                "WindowExecutionId": e.id,
                "TaskExecutionId": e.task_execution_id,
                "InvocationId": i.id,
                "ExecutionId": e.command_id,
                "TaskType": "RUN_COMMAND",
                "Parameters": params(&i.node_id),
                "Status": i.status,
                "StatusDetails": i.details,
                "StartTime": ts(i.start),
                "EndTime": ts(i.end),
                "WindowTargetId": i.target_id,
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("WindowExecutionTaskInvocationIdentities", items),
        next,
    ))
}

pub fn describe_schedule(
    f: &RegionFleet,
    input: &Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindowSchedule";
    let max = page::max_results(input, "MaxResults", 1, 100, 10)?;
    let mut bounds = Vec::new();
    for (k, vals) in filters(input, &["ScheduledBefore", "ScheduledAfter"])? {
        let v = vals.first().copied().unwrap_or("");
        let t = page::parse_time(v).ok_or_else(|| {
            page::validation("Filters.member.Values", v, "Member must be a valid date")
        })?;
        bounds.push((k, t));
    }
    let start = page::start_offset(OP, input)?;
    let windows: Vec<&MaintenanceWindow> = match page::opt_str(input, "WindowId")? {
        Some(_) => vec![window(f, input)?],
        None => {
            let t = targets_of(input)?;
            if t.is_empty() {
                return Err(ApiError::validation(
                    "Specify either a window ID or targets.".to_string(),
                ));
            }
            f.windows
                .iter()
                .filter(|w| targets_node(f, w, &t))
                .collect()
        }
    };
    // Upcoming runs of each window (up to 20 each), soonest first.
    let mut runs: Vec<(DateTime<Utc>, &MaintenanceWindow)> = Vec::new();
    for w in windows.into_iter().filter(|w| w.enabled) {
        let s = spec(w);
        let mut t = now;
        let mut last = w.executions.last().map(|e| e.start);
        for _ in 0..20 {
            let Ok(n) = s.next_after(t, last) else {
                break;
            };
            runs.push((n, w));
            t = n;
            last = Some(n);
        }
    }
    runs.retain(|(t, _)| {
        bounds.iter().all(|(k, b)| match *k {
            "ScheduledBefore" => t < b,
            _ => t > b,
        })
    });
    runs.sort_by_key(|(t, _)| *t);
    let list: Vec<Value> = runs
        .iter()
        .map(|(t, w)| {
            json!({
                "WindowId": w.id,
                "Name": w.name,
                "ExecutionTime": t.format("%Y-%m-%dT%H:%MZ").to_string(),
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("ScheduledWindowExecutions", items),
        next,
    ))
}

/// Instance ids of a `Targets` member (`InstanceIds` key only: what the console sends).
fn targets_of(input: &Value) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::new();
    for t in page::opt_list(input, "Targets")? {
        let key = page::req_str(t, "Key")?;
        if !key.eq_ignore_ascii_case("InstanceIds") {
            return Err(ApiError::validation(format!(
                "Targets key {key} is not supported; use InstanceIds."
            )));
        }
        ids.extend(page::str_list(t, "Values")?.into_iter().map(str::to_string));
    }
    Ok(ids)
}

fn targets_node(f: &RegionFleet, w: &MaintenanceWindow, ids: &[String]) -> bool {
    ids.iter().any(|id| {
        f.node(id).is_some_and(|n| {
            w.targets
                .iter()
                .any(|t| patching::target_matches(&t.targets, n))
        })
    })
}

pub fn describe_windows_for_target(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindowsForTarget";
    let max = page::max_results(input, "MaxResults", 1, 100, 10)?;
    let rt = page::req_str(input, "ResourceType")?;
    if !matches!(rt, "INSTANCE" | "RESOURCE_GROUP") {
        return Err(page::validation(
            "ResourceType",
            rt,
            "Member must satisfy enum value set: [INSTANCE, RESOURCE_GROUP]",
        ));
    }
    if input.get("Targets").is_none() {
        return Err(page::missing("Targets"));
    }
    let ids = targets_of(input)?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<Value> = if rt == "INSTANCE" {
        f.windows
            .iter()
            .filter(|w| targets_node(f, w, &ids))
            .map(|w| json!({"WindowId": w.id, "Name": w.name}))
            .collect()
    } else {
        Vec::new()
    };
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("WindowIdentities", items),
        next,
    ))
}
