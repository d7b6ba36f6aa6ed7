//! Patch baselines and patch groups, maintenance windows, associations and resource tags.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use serde_json::{Value, json};

use super::fleet::{Baseline, RegionFleet};
use super::page::{self, err, ts};
use crate::sim::ApiError;

fn identity(b: &Baseline) -> Value {
    json!({
        "BaselineId": b.id,
        "BaselineName": b.name,
        "OperatingSystem": b.os,
        "BaselineDescription": b.description,
        "DefaultBaseline": b.default,
    })
}

/// `[{Key, Values}]` with the allowed keys.
fn key_values<'a>(
    input: &'a Value,
    allowed: &[&str],
) -> Result<Vec<(&'a str, Vec<&'a str>)>, ApiError> {
    let list = page::opt_list(input, "Filters")?;
    let mut out = Vec::new();
    for f in list {
        let key = page::req_str(f, "Key")?;
        if !allowed.contains(&key) {
            return Err(page::validation(
                "Key",
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

fn baseline_matches(b: &Baseline, filters: &[(&str, Vec<&str>)]) -> bool {
    filters.iter().all(|(k, vals)| match *k {
        "NAME_PREFIX" => vals.iter().any(|v| b.name.starts_with(v)),
        "OWNER" => vals
            .iter()
            .any(|v| (*v == "AWS" && b.aws_owned) || (*v == "Self" && !b.aws_owned) || *v == "All"),
        "OPERATING_SYSTEM" => vals.contains(&b.os),
        _ => true,
    })
}

pub fn describe_patch_groups(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribePatchGroups";
    let max = page::max_results(input, "MaxResults", 1, 100, 100)?;
    let filters = key_values(input, &["NAME_PREFIX", "OPERATING_SYSTEM"])?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<Value> = f
        .mappings
        .iter()
        .filter(|(g, i)| {
            let b = &f.baselines[*i];
            filters.iter().all(|(k, vals)| match *k {
                "NAME_PREFIX" => vals.iter().any(|v| g.starts_with(v)),
                _ => vals.contains(&b.os),
            })
        })
        .map(|(g, i)| json!({"PatchGroup": g, "BaselineIdentity": identity(&f.baselines[*i])}))
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("Mappings", items),
        next,
    ))
}

pub fn describe_patch_baselines(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribePatchBaselines";
    let max = page::max_results(input, "MaxResults", 1, 100, 100)?;
    let filters = key_values(input, &["NAME_PREFIX", "OWNER", "OPERATING_SYSTEM"])?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<Value> = f
        .baselines
        .iter()
        .filter(|b| baseline_matches(b, &filters))
        .map(identity)
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("BaselineIdentities", items),
        next,
    ))
}

pub fn get_patch_baseline_for_patch_group(
    f: &RegionFleet,
    input: &Value,
) -> Result<Value, ApiError> {
    let group = page::req_str(input, "PatchGroup")?;
    let os = page::opt_str(input, "OperatingSystem")?.unwrap_or("WINDOWS");
    let id = f
        .baseline_for(Some(group), os)
        .map(|b| b.id.clone())
        .unwrap_or_default();
    Ok(json!({"BaselineId": id, "PatchGroup": group, "OperatingSystem": os}))
}

/// The next start of a `cron(0 H ? * DAY *)` window after `now` (weekday 7 = daily).
fn next_run(weekday: u32, hour: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now
        .with_hour(hour)
        .and_then(|t| t.with_minute(0))
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    for d in 0..8 {
        let t = today + Duration::days(d);
        let day_ok = weekday == 7 || t.weekday().num_days_from_monday() == weekday;
        if day_ok && t > now {
            return t;
        }
    }
    today + Duration::days(7)
}

pub fn describe_maintenance_windows(
    f: &RegionFleet,
    input: &Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    const OP: &str = "DescribeMaintenanceWindows";
    let max = page::max_results(input, "MaxResults", 10, 100, 10)?;
    let filters = key_values(input, &["Name", "Enabled"])?;
    let start = page::start_offset(OP, input)?;
    let list: Vec<Value> = f
        .windows
        .iter()
        .filter(|w| {
            filters.iter().all(|(k, vals)| match *k {
                "Name" => vals.contains(&w.name.as_str()),
                _ => vals
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(if w.enabled { "true" } else { "false" })),
            })
        })
        .map(|w| {
            let mut v = json!({
                "WindowId": w.id,
                "Name": w.name,
                "Description": w.description,
                "Enabled": w.enabled,
                "Duration": w.duration_h,
                "Cutoff": w.cutoff_h,
                "Schedule": w.schedule,
                "ScheduleTimezone": w.timezone,
            });
            if w.enabled {
                v["NextExecutionTime"] = json!(
                    next_run(w.weekday, w.hour, now)
                        .format("%Y-%m-%dT%H:%MZ")
                        .to_string()
                );
            }
            if let Some(s) = w.start_date {
                v["StartDate"] = json!(page::iso_s(s));
            }
            v
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("WindowIdentities", items),
        next,
    ))
}

pub fn list_associations(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "ListAssociations";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let list = page::opt_list(input, "AssociationFilterList")?;
    let mut filters = Vec::new();
    for fl in list {
        let key = page::req_str(fl, "key")?;
        let value = page::req_str(fl, "value")?;
        if !matches!(
            key,
            "InstanceId"
                | "Name"
                | "AssociationId"
                | "AssociationStatusName"
                | "LastExecutedBefore"
                | "LastExecutedAfter"
                | "AssociationName"
                | "ResourceGroupName"
                | "CloudConnectorId"
        ) {
            return Err(page::validation(
                "key",
                key,
                "Member must satisfy enum value set",
            ));
        }
        filters.push((key, value));
    }
    let start = page::start_offset(OP, input)?;
    let items: Vec<Value> = f
        .associations
        .iter()
        .filter(|a| {
            filters.iter().all(|(k, v)| match *k {
                "Name" => a.name == *v,
                "AssociationId" => a.id == *v,
                "AssociationName" => a.association_name == *v,
                "AssociationStatusName" => a.status == *v,
                "LastExecutedBefore" => page::parse_time(v).is_some_and(|t| a.last_execution < t),
                "LastExecutedAfter" => page::parse_time(v).is_some_and(|t| a.last_execution > t),
                // Only legacy InstanceId-targeted associations match: there are none.
                _ => false,
            })
        })
        .map(|a| {
            let counts: serde_json::Map<String, Value> = a
                .counts
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            json!({
                "Name": a.name,
                "AssociationId": a.id,
                "AssociationVersion": "1",
                "DocumentVersion": "$DEFAULT",
                "Targets": a.targets,
                "LastExecutionDate": ts(a.last_execution),
                "Overview": {
                    "Status": a.status,
                    "DetailedStatus": a.status,
                    "AssociationStatusAggregatedCount": counts,
                },
                "ScheduleExpression": a.schedule,
                "AssociationName": a.association_name,
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &items, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("Associations", items),
        next,
    ))
}

pub fn list_tags_for_resource(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    let ty = page::req_str(input, "ResourceType")?;
    let id = page::req_str(input, "ResourceId")?;
    let tags: Vec<(String, String)> = match ty {
        "ManagedInstance" => {
            // EC2 instances' tags live in EC2; SSM only tags hybrid (mi-) nodes.
            match f.node(id).filter(|n| n.hybrid) {
                Some(n) => n.tags.clone(),
                None => return Err(invalid_resource(id)),
            }
        }
        "MaintenanceWindow" => match f.windows.iter().find(|w| w.id == id) {
            Some(w) => w.tags.clone(),
            None => return Err(invalid_resource(id)),
        },
        "PatchBaseline" => match f.baselines.iter().find(|b| b.id == id) {
            Some(b) if !b.aws_owned => vec![("ManagedBy".into(), "platform-team".into())],
            Some(_) => Vec::new(),
            None => return Err(invalid_resource(id)),
        },
        "Document" | "Parameter" | "OpsItem" | "OpsMetadata" | "Automation" | "Association" => {
            return Err(invalid_resource(id));
        }
        _ => {
            return Err(err(
                "InvalidResourceType",
                format!("Resource type {ty} is not valid."),
            ));
        }
    };
    let list: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(crate::sim::protocol::list_body("TagList", list))
}

fn invalid_resource(id: &str) -> ApiError {
    err(
        "InvalidResourceId",
        format!("The resource ID \"{id}\" is not valid. Verify the ID and try again."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_run_is_the_coming_weekday() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T06:00:00Z") // a Monday
            .unwrap()
            .with_timezone(&Utc);
        let sun = next_run(6, 3, now);
        assert_eq!(sun.to_rfc3339(), "2026-11-29T03:00:00+00:00");
        let daily = next_run(7, 1, now);
        assert_eq!(daily.to_rfc3339(), "2026-11-24T01:00:00+00:00");
        let later_today = next_run(0, 22, now);
        assert_eq!(later_today.to_rfc3339(), "2026-11-23T22:00:00+00:00");
    }
}
