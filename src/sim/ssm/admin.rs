//! Patch baselines and patch groups, maintenance windows, associations and resource tags.

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

pub fn list_associations(
    f: &RegionFleet,
    input: &Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, ApiError> {
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
                "LastExecutedBefore" => page::parse_time(v).is_some_and(|t| a.last_run(now) < t),
                "LastExecutedAfter" => page::parse_time(v).is_some_and(|t| a.last_run(now) > t),
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
            let mut v = json!({
                "Name": a.name,
                "AssociationId": a.id,
                "AssociationVersion": "1",
                "DocumentVersion": "$DEFAULT",
                "Targets": a.targets,
                "LastExecutionDate": ts(a.last_run(now)),
                "Overview": {
                    "Status": a.status,
                    "DetailedStatus": a.status,
                    "AssociationStatusAggregatedCount": counts,
                },
                "ScheduleExpression": a.schedule,
                "AssociationName": a.association_name,
            });
            if let Some(o) = a.offset {
                v["ScheduleOffset"] = json!(o);
            }
            v
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

fn rules_json(rules: &[super::patching::PatchRule]) -> Value {
    let list: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut v = json!({
                "PatchFilterGroup": {"PatchFilters": filters_json(&r.filters)},
                "ComplianceLevel": r.compliance,
                "EnableNonSecurity": r.enable_non_security,
            });
            if let Some(d) = r.approve_after_days {
                v["ApproveAfterDays"] = json!(d);
            }
            v
        })
        .collect();
    json!({ "PatchRules": list })
}

fn filters_json(filters: &[(&str, Vec<&str>)]) -> Vec<Value> {
    filters
        .iter()
        .map(|(k, v)| json!({"Key": k, "Values": v}))
        .collect()
}

/// GetPatchBaseline: by id (`pb-…`) or, for AWS-managed baselines, by ARN. Errors as the
/// model lists them: a malformed id is `InvalidResourceId`, an unknown one
/// `DoesNotExistException`.
pub fn get_patch_baseline(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    let id = page::req_str(input, "BaselineId")?;
    let well_formed = id.starts_with("pb-") || id.starts_with("arn:aws:ssm:");
    if !well_formed {
        return Err(err(
            "InvalidResourceId",
            format!("Invalid Resource Id: {id}"),
        ));
    }
    let b = f
        .baselines
        .iter()
        .find(|b| b.id == id || (b.aws_owned && b.id.ends_with(&format!("/{id}"))))
        .ok_or_else(|| {
            err(
                "DoesNotExistException",
                format!("Patch Baseline {id} does not exist."),
            )
        })?;
    let d = &b.detail;
    let groups: Vec<&str> = f
        .mappings
        .iter()
        .filter(|(_, i)| f.baselines[*i].id == b.id)
        .map(|(g, _)| g.as_str())
        .collect();
    let mut v = json!({
        "BaselineId": b.id,
        "Name": b.name,
        "OperatingSystem": b.os,
        "GlobalFilters": {"PatchFilters": filters_json(&d.global_filters)},
        "ApprovalRules": rules_json(&d.rules),
        "ApprovedPatches": d.approved,
        "ApprovedPatchesComplianceLevel": d.approved_compliance,
        "ApprovedPatchesEnableNonSecurity": false,
        "RejectedPatches": d.rejected,
        "RejectedPatchesAction": d.rejected_action,
        "PatchGroups": groups,
        "Description": b.description,
        "Sources": d.sources.iter().map(|(n, p, c)| json!({"Name": n, "Products": p, "Configuration": c})).collect::<Vec<_>>(),
    });
    if let Some(c) = d.created {
        v["CreatedDate"] = page::ts(c);
    }
    if let Some(m) = d.modified {
        v["ModifiedDate"] = page::ts(m);
    }
    if b.os == "WINDOWS" {
        v["AvailableSecurityUpdatesComplianceStatus"] = json!("NON_COMPLIANT");
    }
    Ok(v)
}

/// GetDefaultPatchBaseline: the default of an operating system (WINDOWS when not given).
pub fn get_default_patch_baseline(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    let os = page::opt_str(input, "OperatingSystem")?.unwrap_or("WINDOWS");
    let id = f
        .baselines
        .iter()
        .find(|b| b.default && b.os == os)
        .map(|b| b.id.clone())
        .ok_or_else(|| {
            err(
                "DoesNotExistException",
                format!("No default patch baseline for {os}."),
            )
        })?;
    Ok(json!({"BaselineId": id, "OperatingSystem": os}))
}

fn association<'a>(
    f: &'a RegionFleet,
    input: &Value,
) -> Result<&'a super::fleet::Association, ApiError> {
    let id = page::opt_str(input, "AssociationId")?;
    let name = page::opt_str(input, "Name")?;
    f.associations
        .iter()
        .find(|a| match (id, name) {
            (Some(id), _) => a.id == id,
            (None, Some(n)) => a.name == n,
            _ => false,
        })
        .ok_or_else(|| {
            err(
                "AssociationDoesNotExist",
                "The specified association does not exist.",
            )
        })
}

pub fn describe_association(
    f: &RegionFleet,
    input: &Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, ApiError> {
    let a = association(f, input)?;
    let counts: serde_json::Map<String, Value> = a
        .counts
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let mut d = json!({
        "Name": a.name,
        "AssociationVersion": "1",
        "Date": ts(a.created),
        "LastUpdateAssociationDate": ts(a.created),
        "Overview": {
            "Status": a.status,
            "DetailedStatus": a.status,
            "AssociationStatusAggregatedCount": counts,
        },
        "DocumentVersion": "$DEFAULT",
        "Parameters": a.parameters,
        "AssociationId": a.id,
        "Targets": a.targets,
        "ScheduleExpression": a.schedule,
        "LastExecutionDate": ts(a.last_run(now)),
        "AssociationName": a.association_name,
        "MaxConcurrency": "10%",
        "MaxErrors": "10%",
        "ComplianceSeverity": "CRITICAL",
        "SyncCompliance": "AUTO",
        "ApplyOnlyAtCronInterval": false,
    });
    if a.status == "Success" {
        d["LastSuccessfulExecutionDate"] = ts(a.last_run(now));
    }
    if let Some(o) = a.offset {
        d["ScheduleOffset"] = json!(o);
    }
    Ok(json!({ "AssociationDescription": d }))
}

/// DescribeAssociationExecutions: the association's runs over the last 30 days at the times
/// its schedule gives (cron in UTC, or every rate interval from its creation), newest first,
/// at most 60. Every run reports the association's targets by status (they add up to the
/// targeted nodes) and its status (`Failed` when any target failed).
pub fn describe_association_executions(
    f: &RegionFleet,
    input: &Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, ApiError> {
    const OP: &str = "DescribeAssociationExecutions";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let id = page::req_str(input, "AssociationId")?;
    let a = f.associations.iter().find(|a| a.id == id).ok_or_else(|| {
        err(
            "AssociationDoesNotExist",
            "The specified association does not exist.",
        )
    })?;
    let start = page::start_offset(OP, input)?;
    let counts = a
        .counts
        .iter()
        .filter(|(_, v)| *v > 0)
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let list: Vec<Value> = a
        .runs(now)
        .iter()
        .rev()
        .take(60)
        .map(|t| {
            json!({
                "AssociationId": a.id,
                "AssociationVersion": "1",
                // one id per run, stable across calls
                "ExecutionId": crate::sim::rng::Rng::derive(f.seed, &format!("{}/{}", a.id, t.timestamp())).uuid(),
                "Status": a.status,
                "DetailedStatus": a.status,
                "CreatedTime": ts(*t),
                "LastExecutionDate": ts(*t),
                "ResourceCountByStatus": format!("{{{counts}}}"),
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("AssociationExecutions", items),
        next,
    ))
}
