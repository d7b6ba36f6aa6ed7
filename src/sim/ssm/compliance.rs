//! Compliance (Patch and Association types): ListComplianceSummaries (counts of resources),
//! ListResourceComplianceSummaries (per node, counts of items), ListComplianceItems (per
//! patch). All derived from the nodes' current patch state, so a patch run shows up at once.

use serde_json::{Value, json};

use super::fleet::RegionFleet;
use super::node::NodeRec;
use super::page::{self, err, ts};
use super::patches::{self, PState};
use crate::sim::ApiError;

struct Filter {
    key: String,
    values: Vec<String>,
    ty: String,
}

impl Filter {
    fn test(&self, have: &str) -> bool {
        let any = |f: &dyn Fn(&str) -> bool| self.values.iter().any(|v| f(v));
        match self.ty.as_str() {
            "NOT_EQUAL" => !any(&|v| v == have),
            "BEGIN_WITH" => any(&|v| have.starts_with(v)),
            "LESS_THAN" => any(&|v| have < v),
            "GREATER_THAN" => any(&|v| have > v),
            _ => any(&|v| v == have),
        }
    }
}

fn parse_filters(input: &Value, keys: &[&str]) -> Result<Vec<Filter>, ApiError> {
    let list = page::opt_list(input, "Filters")?;
    let mut out = Vec::new();
    for f in list {
        let key = page::req_str(f, "Key")?;
        let values: Vec<String> = page::str_list(f, "Values")?
            .into_iter()
            .map(String::from)
            .collect();
        let ty = page::opt_str(f, "Type")?.unwrap_or("EQUAL");
        if !keys.contains(&key) {
            return Err(err(
                "InvalidFilter",
                format!(
                    "The filter key {key} is not valid. Valid keys: {}",
                    keys.join(", ")
                ),
            ));
        }
        out.push(Filter {
            key: key.to_string(),
            values,
            ty: ty.to_string(),
        });
    }
    Ok(out)
}

fn severity_summary(critical: u32, high: u32, medium: u32, unspecified: u32) -> Value {
    json!({
        "CriticalCount": critical,
        "HighCount": high,
        "MediumCount": medium,
        "LowCount": 0,
        "InformationalCount": 0,
        "UnspecifiedCount": unspecified,
    })
}

/// The highest severity among a node's non-compliant patches.
fn overall_severity(n: &NodeRec) -> &'static str {
    let c = &n.counts;
    if c.critical_nc > 0 {
        "CRITICAL"
    } else if c.security_nc > 0 {
        "HIGH"
    } else if c.other_nc > 0 {
        "MEDIUM"
    } else {
        "UNSPECIFIED"
    }
}

/// One resource-level summary row (Patch or Association) for a node.
fn resource_rows(f: &RegionFleet, n: &NodeRec) -> Vec<Value> {
    let mut rows = Vec::with_capacity(2);
    if let Some(r) = &n.report {
        let c = &n.counts;
        let nc = c.noncompliant();
        rows.push(json!({
            "ComplianceType": "Patch",
            "ResourceType": "ManagedInstance",
            "ResourceId": n.id,
            "Status": if nc > 0 { "NON_COMPLIANT" } else { "COMPLIANT" },
            "OverallSeverity": overall_severity(n),
            "ExecutionSummary": {
                "ExecutionTime": ts(r.end),
                "ExecutionId": r.execution_id,
                "ExecutionType": "Command",
            },
            "CompliantSummary": {
                "CompliantCount": c.installed + c.installed_other + c.available_security,
                "SeveritySummary": severity_summary(0, 0, 0, c.installed + c.installed_other + c.available_security),
            },
            "NonCompliantSummary": {
                "NonCompliantCount": nc,
                "SeveritySummary": severity_summary(c.critical_nc, c.security_nc, c.other_nc, 0),
            },
        }));
    }
    let ok = n.association_status == "Success";
    let _ = f;
    rows.push(json!({
        "ComplianceType": "Association",
        "ResourceType": "ManagedInstance",
        "ResourceId": n.id,
        "Status": if ok { "COMPLIANT" } else { "NON_COMPLIANT" },
        "OverallSeverity": "UNSPECIFIED",
        "ExecutionSummary": {
            "ExecutionTime": ts(n.last_assoc),
            "ExecutionType": "Association",
        },
        "CompliantSummary": {
            "CompliantCount": if ok { 2 } else { 1 },
            "SeveritySummary": severity_summary(0, 0, 0, if ok { 2 } else { 1 }),
        },
        "NonCompliantSummary": {
            "NonCompliantCount": if ok { 0 } else { 1 },
            "SeveritySummary": severity_summary(0, 0, 0, if ok { 0 } else { 1 }),
        },
    }));
    rows
}

fn row_matches(row: &Value, filters: &[Filter]) -> bool {
    filters.iter().all(|f| {
        let have = row
            .get(f.key.as_str())
            .and_then(Value::as_str)
            .unwrap_or("");
        f.test(have)
    })
}

pub fn list_compliance_summaries(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "ListComplianceSummaries";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let filters = parse_filters(input, &["ComplianceType", "OverallSeverity", "Status"])?;
    let start = page::start_offset(OP, input)?;
    let mut patch = [0u32; 5]; // compliant, nc critical, nc high, nc medium, nc other
    let mut assoc = [0u32; 2];
    for n in &f.nodes {
        if n.report.is_some() {
            match (n.counts.noncompliant(), overall_severity(n)) {
                (0, _) => patch[0] += 1,
                (_, "CRITICAL") => patch[1] += 1,
                (_, "HIGH") => patch[2] += 1,
                (_, "MEDIUM") => patch[3] += 1,
                _ => patch[4] += 1,
            }
        }
        if n.association_status == "Success" {
            assoc[0] += 1;
        } else {
            assoc[1] += 1;
        }
    }
    let rows = vec![
        json!({
            "ComplianceType": "Patch",
            "CompliantSummary": {
                "CompliantCount": patch[0],
                "SeveritySummary": severity_summary(0, 0, 0, patch[0]),
            },
            "NonCompliantSummary": {
                "NonCompliantCount": patch[1] + patch[2] + patch[3] + patch[4],
                "SeveritySummary": severity_summary(patch[1], patch[2], patch[3], patch[4]),
            },
        }),
        json!({
            "ComplianceType": "Association",
            "CompliantSummary": {
                "CompliantCount": assoc[0],
                "SeveritySummary": severity_summary(0, 0, 0, assoc[0]),
            },
            "NonCompliantSummary": {
                "NonCompliantCount": assoc[1],
                "SeveritySummary": severity_summary(0, 0, 0, assoc[1]),
            },
        }),
    ];
    let type_filters: Vec<Filter> = filters
        .into_iter()
        .filter(|f| f.key == "ComplianceType")
        .collect();
    let rows: Vec<Value> = rows
        .into_iter()
        .filter(|r| row_matches(r, &type_filters))
        .collect();
    let (items, next) = page::page(OP, input, &rows, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("ComplianceSummaryItems", items),
        next,
    ))
}

pub fn list_resource_compliance_summaries(
    f: &RegionFleet,
    input: &Value,
) -> Result<Value, ApiError> {
    const OP: &str = "ListResourceComplianceSummaries";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let filters = parse_filters(
        input,
        &[
            "ComplianceType",
            "Status",
            "OverallSeverity",
            "ResourceId",
            "ResourceType",
        ],
    )?;
    let start = page::start_offset(OP, input)?;
    let rows: Vec<Value> = f
        .nodes
        .iter()
        .flat_map(|n| resource_rows(f, n))
        .filter(|r| row_matches(r, &filters))
        .collect();
    let (items, next) = page::page(OP, input, &rows, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("ResourceComplianceSummaryItems", items),
        next,
    ))
}

pub fn list_compliance_items(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "ListComplianceItems";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let ids = page::str_list(input, "ResourceIds")?;
    let types = page::str_list(input, "ResourceTypes")?;
    if ids.len() != 1 {
        return Err(err(
            "InvalidResourceId",
            "Exactly one resource ID is supported.",
        ));
    }
    if types.iter().any(|t| *t != "ManagedInstance") {
        return Err(err(
            "InvalidResourceType",
            "Only the ManagedInstance resource type is supported.",
        ));
    }
    let filters = parse_filters(
        input,
        &[
            "ComplianceType",
            "Status",
            "Severity",
            "Id",
            "Title",
            "ExecutionTime",
        ],
    )?;
    let Some(n) = f.node(ids[0]) else {
        return Err(err(
            "InvalidResourceId",
            format!("The resource ID \"{}\" is not valid.", ids[0]),
        ));
    };
    let start = page::start_offset(OP, input)?;
    let mut rows = Vec::new();
    if let Some(r) = &n.report {
        let baseline = f.baseline_id_for(n);
        let exec = json!({
            "ExecutionTime": ts(r.end),
            "ExecutionId": r.execution_id,
            "ExecutionType": "Command",
        });
        for p in patches::patch_list(n)
            .iter()
            .filter(|p| p.state != PState::NotApplicable)
        {
            let nc = p.state.noncompliant();
            let mut details = json!({
                "Classification": p.classification,
                "PatchSeverity": p.severity,
                "PatchState": p.state.as_str(),
                "PatchBaselineId": baseline,
                "PatchGroup": n.patch_group().unwrap_or(""),
                "DocumentName": "AWS-RunPatchBaseline",
                "InstalledTime": p.installed_time.map(page::iso_s).unwrap_or_default(),
            });
            if !p.cve_ids.is_empty() {
                details["CVEIds"] = json!(p.cve_ids);
            }
            rows.push(json!({
                "ComplianceType": "Patch",
                "ResourceType": "ManagedInstance",
                "ResourceId": n.id,
                "Id": p.kb_id,
                "Title": p.title,
                "Status": if nc { "NON_COMPLIANT" } else { "COMPLIANT" },
                "Severity": if nc { patches::compliance_severity(p.category()) } else { "UNSPECIFIED" },
                "ExecutionSummary": exec,
                "Details": details,
            }));
        }
    }
    for a in &f.associations {
        let ok = n.association_status == "Success" || a.name != "AWS-GatherSoftwareInventory";
        rows.push(json!({
            "ComplianceType": "Association",
            "ResourceType": "ManagedInstance",
            "ResourceId": n.id,
            "Id": a.id,
            "Title": a.association_name,
            "Status": if ok { "COMPLIANT" } else { "NON_COMPLIANT" },
            "Severity": "UNSPECIFIED",
            "ExecutionSummary": {"ExecutionTime": ts(n.last_assoc), "ExecutionType": "Association"},
            "Details": {"DocumentName": a.name, "DocumentVersion": "1"},
        }));
    }
    let rows: Vec<Value> = rows
        .into_iter()
        .filter(|r| {
            filters
                .iter()
                .filter(|f| f.key != "ExecutionTime")
                .all(|f| f.test(r.get(f.key.as_str()).and_then(Value::as_str).unwrap_or("")))
        })
        .collect();
    let (items, next) = page::page(OP, input, &rows, start, max);
    Ok(page::with_token(
        crate::sim::protocol::list_body("ComplianceItems", items),
        next,
    ))
}
