//! SendCommand: validation exactly as the model constrains it, target resolution
//! (InstanceIds or Targets), and the plan of every invocation.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{Command, Doc, Invocation, Plan};
use crate::sim::ApiError;
use crate::sim::rng::Rng;
use crate::sim::ssm::documents::{self, DocDef};
use crate::sim::ssm::fleet::{RegionFleet, invalid_instance};
use crate::sim::ssm::node::NodeRec;
use crate::sim::ssm::page::{self, err};

/// `^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$`
pub fn valid_concurrency(s: &str) -> bool {
    if s.is_empty() || s.len() > 7 {
        return false;
    }
    if let Some(p) = s.strip_suffix('%') {
        return p == "100"
            || (p.len() == 1 && p.as_bytes()[0].is_ascii_digit() && p != "0")
            || (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0'));
    }
    s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0')
}

/// `^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$`
pub fn valid_max_errors(s: &str) -> bool {
    if s == "0" {
        return true;
    }
    if let Some(p) = s.strip_suffix('%') {
        return p == "100"
            || (p.len() == 1 && p.as_bytes()[0].is_ascii_digit())
            || (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0'));
    }
    !s.is_empty() && s.len() <= 7 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0')
}

/// A count or a percentage of `targets`.
fn resolve_limit(s: &str, targets: usize, round_up: bool) -> usize {
    match s.strip_suffix('%') {
        Some(p) => {
            let pct: usize = p.parse().unwrap_or(100);
            if round_up {
                (pct * targets).div_ceil(100).max(1)
            } else {
                pct * targets / 100
            }
        }
        None => s.parse().unwrap_or(usize::MAX),
    }
}

/// The document and what it will do, from its name and the parameters as sent (checked
/// against the document's definitions: `crate::sim::ssm::documents`).
fn parse_doc(name: &str, params: &Value) -> Result<(&'static DocDef, Doc), ApiError> {
    let def = documents::find(name).ok_or_else(|| {
        err(
            "InvalidDocument",
            format!("Document with name {name} does not exist."),
        )
    })?;
    let resolved = documents::check_parameters(def, params)?;
    let one = |k: &str| -> String {
        resolved
            .get(k)
            .and_then(|v| v.get(0))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let doc = match def.name {
        "AWS-RunPatchBaseline" => Doc::PatchBaseline {
            install: one("Operation") == "Install",
            reboot: one("RebootOption") != "NoReboot",
        },
        "AWS-RunShellScript" | "AWS-RunPowerShellScript" => {
            let lines: Vec<String> = resolved
                .get("commands")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .flat_map(|c| c.lines().map(String::from).collect::<Vec<_>>())
                .collect();
            Doc::Script {
                lines,
                powershell: def.name == "AWS-RunPowerShellScript",
            }
        }
        "AWS-ConfigureAWSPackage" => Doc::Package {
            install: one("action") == "Install",
            name: one("name"),
            version: one("version"),
        },
        _ => Doc::UpdateAgent {
            version: one("version"),
        },
    };
    Ok((def, doc))
}

/// Nodes matched by `Targets` (all keys must match). As AWS resolves them (SendCommand API
/// reference, `Targets`; SSM User Guide "Run commands at scale",
/// https://docs.aws.amazon.com/systems-manager/latest/userguide/send-commands-multiple.html):
/// `Key=tag:<tag-name>,Values=<tag-value>` reaches every managed node carrying that tag with
/// one of the values (tag keys and values compare exactly, case-sensitive), `tag-key` every
/// node carrying the key, `InstanceIds` the ids listed.
fn resolve_targets(f: &RegionFleet, targets: &[Value]) -> Result<Vec<usize>, ApiError> {
    // Targets with the same key add up (e.g. several InstanceIds lists); different keys
    // narrow down (a node must match every key).
    let mut sets: Vec<(&str, HashSet<usize>)> = Vec::new();
    for t in targets {
        let key = page::req_str(t, "Key")?;
        let values = page::str_list(t, "Values")?;
        let matches = |n: &NodeRec| -> bool {
            if key == "InstanceIds" {
                values.iter().any(|v| *v == "*" || *v == n.id)
            } else if key == "tag-key" {
                n.tags.iter().any(|(k, _)| values.contains(&k.as_str()))
            } else if let Some(k) = key.strip_prefix("tag:") {
                n.tag(k).is_some_and(|v| values.contains(&v))
            } else {
                false
            }
        };
        if !(key == "InstanceIds"
            || key == "tag-key"
            || key.starts_with("tag:")
            || key == "resource-groups:Name"
            || key == "resource-groups:ResourceTypeFilters")
        {
            return Err(err(
                "InvalidTarget",
                format!("Target key {key} is not supported."),
            ));
        }
        let matched = f
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| matches(n))
            .map(|(i, _)| i);
        match sets.iter_mut().find(|(k, _)| *k == key) {
            Some((_, set)) => set.extend(matched),
            None => sets.push((key, matched.collect())),
        }
    }
    let mut out: Vec<usize> = match sets.split_first() {
        Some(((_, first), rest)) => first
            .iter()
            .copied()
            .filter(|i| rest.iter().all(|(_, s)| s.contains(i)))
            .collect(),
        None => Vec::new(),
    };
    out.sort_unstable();
    Ok(out)
}

pub fn send_command(
    f: &mut RegionFleet,
    input: &Value,
    now: DateTime<Utc>,
    speedup: f64,
) -> Result<Value, ApiError> {
    // Shapes, lengths, ranges and patterns are the validation layer's
    // (`crate::sim::ssm::rules`): here only what the service itself decides.
    let doc_name = page::req_str(input, "DocumentName")?;
    let params = input.get("Parameters").cloned().unwrap_or(json!({}));
    let (def, doc) = parse_doc(doc_name, &params)?;
    let doc_version = page::opt_str(input, "DocumentVersion")?.unwrap_or("$DEFAULT");
    if !matches!(doc_version, "$DEFAULT" | "$LATEST" | "1") {
        return Err(err(
            "InvalidDocumentVersion",
            format!("Document version {doc_version} does not exist."),
        ));
    }
    let comment = page::opt_str(input, "Comment")?.unwrap_or("");
    let timeout_s = page::opt_i64(input, "TimeoutSeconds")?.unwrap_or(3600);
    let max_concurrency = page::opt_str(input, "MaxConcurrency")?.unwrap_or("50");
    let max_errors = page::opt_str(input, "MaxErrors")?.unwrap_or("0");
    let bucket = page::opt_str(input, "OutputS3BucketName")?;
    let prefix = page::opt_str(input, "OutputS3KeyPrefix")?.unwrap_or("");
    let s3_region = page::opt_str(input, "OutputS3Region")?.unwrap_or(&f.region);
    let exec_timeout_s = match &doc {
        // (its range was checked against the document's allowedPattern)
        Doc::Script { .. } => params
            .get("executionTimeout")
            .and_then(|v| v.get(0))
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(3600),
        Doc::PatchBaseline { .. } => 7200,
        Doc::Package { .. } | Doc::UpdateAgent { .. } => 3600,
    };

    // Targets
    let ids = page::str_list(input, "InstanceIds")?;
    let targets = page::opt_list(input, "Targets")?;
    if !ids.is_empty() && !targets.is_empty() {
        return Err(ApiError::validation(
            "Specify either InstanceIds or Targets, not both.",
        ));
    }
    if ids.is_empty() && targets.is_empty() {
        return Err(ApiError::validation(
            "Specify InstanceIds or Targets to choose where the command runs.",
        ));
    }
    let node_idx: Vec<usize> = if targets.is_empty() {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in &ids {
            if !seen.insert(*id) {
                return Err(err(
                    "DuplicateInstanceId",
                    format!("Instance {id} is listed more than once."),
                ));
            }
            let i = *f.by_id.get(*id).ok_or_else(|| invalid_instance(id))?;
            // An instance id the document does not support fails the whole call (AWS:
            // "UnsupportedPlatformType: Cannot perform operation for instance id i-… of
            // platform type Windows" for AWS-RunShellScript — aws/aws-sdk-java#1209,
            // gruntwork-io/terratest#978). Through Targets such nodes end InvalidPlatform.
            let platform = platform_type(&f.nodes[i]);
            if !def.supports(platform) {
                return Err(err(
                    "UnsupportedPlatformType",
                    format!(
                        "Cannot perform operation for instance id {id} of platform type {platform}"
                    ),
                ));
            }
            out.push(i);
        }
        out
    } else {
        resolve_targets(f, targets)?
    };

    f.sent += 1;
    let mut rng = Rng::derive(f.seed, &format!("sent-command/{}", f.sent));
    let id = rng.uuid();
    let invocations: Vec<Invocation> = node_idx
        .iter()
        .map(|&i| {
            let n = &f.nodes[i];
            Invocation::new(
                &n.id,
                n.instance_name(),
                n.windows(),
                plan_for(n, def, &doc, now, &mut rng),
            )
        })
        .collect();
    let count = invocations.len();
    let mut cmd = Command {
        id: id.clone(),
        doc_name: doc_name.to_string(),
        doc_version: doc_version.to_string(),
        doc,
        comment: comment.to_string(),
        parameters: params,
        instance_ids: ids.iter().map(|s| s.to_string()).collect(),
        targets: Value::Array(targets.to_vec()),
        requested: now,
        timeout_s,
        exec_timeout_s,
        max_concurrency: max_concurrency.to_string(),
        max_errors: max_errors.to_string(),
        concurrency: resolve_limit(max_concurrency, count, true),
        error_limit: resolve_limit(max_errors, count, false),
        output_s3: bucket.map(|b| (s3_region.to_string(), b.to_string(), prefix.to_string())),
        service_role: page::opt_str(input, "ServiceRoleArn")?
            .unwrap_or("")
            .to_string(),
        cloudwatch: input
            .get("CloudWatchOutputConfig")
            .cloned()
            .unwrap_or(Value::Null),
        notification: input
            .get("NotificationConfig")
            .cloned()
            .unwrap_or(Value::Null),
        invocations,
        cancel_at: None,
        sim_time: now,
        done: false,
        status: "Pending",
        status_details: "Pending",
        stopped: false,
        seed: rng.next_u64(),
        speedup,
    };
    if count == 0 {
        cmd.done = true;
        cmd.status = "Failed";
        cmd.status_details = "No Instances In Tag";
    }
    let out = json!({ "Command": cmd.json() });
    f.add_command(cmd);
    Ok(out)
}

/// `Windows` or `Linux` (the simulated fleet has no macOS).
pub fn platform_type(n: &NodeRec) -> &'static str {
    if n.windows() { "Windows" } else { "Linux" }
}

/// How an invocation on this node will go.
pub fn plan_for(n: &NodeRec, def: &DocDef, doc: &Doc, now: DateTime<Utc>, rng: &mut Rng) -> Plan {
    if !def.supports(platform_type(n)) {
        return Plan::InvalidPlatform;
    }
    if !n.online {
        return if now - n.lost_at > Duration::days(1) {
            Plan::Undeliverable {
                after_s: 8.0 + rng.unit() * 12.0,
            }
        } else {
            Plan::DeliveryTimeout
        };
    }
    let jitter = rng.unit();
    let duration_s = match doc {
        Doc::PatchBaseline { install: false, .. } => 30.0 + jitter * 60.0,
        Doc::PatchBaseline {
            install: true,
            reboot,
        } => {
            let work = f64::from(n.counts.missing + n.counts.failed);
            let mut d = 75.0 + work * 14.0 + jitter * 60.0;
            if n.windows() {
                d *= 1.8;
            }
            let reboots = *reboot && (n.counts.missing + n.counts.pending_reboot > 0);
            if reboots {
                d += 60.0 + jitter * 60.0;
            }
            d.min(1800.0)
        }
        Doc::Script { lines, .. } => {
            let sleep: f64 = lines
                .iter()
                .filter_map(|l| l.trim().strip_prefix("sleep "))
                .filter_map(|s| s.trim().parse::<f64>().ok())
                .sum();
            1.0 + jitter * 3.0 + sleep
        }
        Doc::Package { .. } => 8.0 + jitter * 20.0,
        Doc::UpdateAgent { .. } => 20.0 + jitter * 40.0,
    };
    Plan::Run { duration_s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_and_error_patterns() {
        for ok in ["1", "50", "10%", "5%", "100%", "1234567"] {
            assert!(valid_concurrency(ok), "{ok}");
        }
        for bad in ["0", "0%", "101%", "05", "", "12345678", "x"] {
            assert!(!valid_concurrency(bad), "{bad}");
        }
        for ok in ["0", "0%", "3", "25%", "100%"] {
            assert!(valid_max_errors(ok), "{ok}");
        }
        for bad in ["-1", "00", "200%", "a"] {
            assert!(!valid_max_errors(bad), "{bad}");
        }
        assert_eq!(resolve_limit("10%", 15, true), 2);
        assert_eq!(resolve_limit("1%", 3, true), 1);
        assert_eq!(resolve_limit("10%", 15, false), 1);
        assert_eq!(resolve_limit("7", 3, false), 7);
    }
}
