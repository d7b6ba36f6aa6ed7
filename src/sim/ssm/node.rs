//! Managed nodes: the record each generated node keeps, its DescribeInstanceInformation
//! shape, tags, and the instance-information filters (legacy and new).

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::catalog::{self, Platform};
use super::page::{self, err};
use crate::sim::ApiError;
use crate::sim::json_text::Obj;

/// Patch counters of one node (DescribeInstancePatchStates), always equal to its patch list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PatchCounts {
    pub installed: u32,
    pub installed_other: u32,
    pub pending_reboot: u32,
    pub rejected: u32,
    pub missing: u32,
    pub failed: u32,
    pub not_applicable: u32,
    pub available_security: u32,
    /// Non-compliant patches with severity Critical.
    pub critical_nc: u32,
    /// Non-compliant security patches that are not Critical.
    pub security_nc: u32,
    /// The other non-compliant patches.
    pub other_nc: u32,
}

impl PatchCounts {
    pub fn noncompliant(&self) -> u32 {
        self.missing + self.failed + self.pending_reboot + self.rejected
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Scan,
    Install,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Scan => "Scan",
            Operation::Install => "Install",
        }
    }
}

/// The last reported patch operation of a node (absent = never scanned).
#[derive(Clone, Debug, PartialEq)]
pub struct PatchReport {
    pub baseline_id: String,
    pub snapshot_id: String,
    pub operation: Operation,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reboot_if_needed: bool,
    pub last_no_reboot: Option<DateTime<Utc>>,
    /// The command that produced it (compliance `ExecutionId`).
    pub execution_id: String,
}

/// One managed node.
#[derive(Clone, Debug)]
pub struct NodeRec {
    pub id: String,
    /// Seed of everything derived lazily (patch list, inventory, outputs).
    pub seed: u64,
    pub platform: u8,
    pub hybrid: bool,
    /// Hybrid nodes' `DefaultInstanceName`.
    pub default_name: Option<String>,
    pub computer_name: String,
    pub ip: String,
    pub agent_version: &'static str,
    pub online: bool,
    /// Last ping of a ConnectionLost node.
    pub lost_at: DateTime<Utc>,
    /// Online nodes pinged this many seconds (mod 5 min) before "now".
    pub ping_jitter_s: i64,
    pub registered: DateTime<Utc>,
    pub iam_role: String,
    pub activation_id: Option<String>,
    /// `Success`, `Failed` or `Pending`.
    pub association_status: &'static str,
    pub last_assoc: DateTime<Utc>,
    pub last_assoc_ok: DateTime<Utc>,
    pub tags: Vec<(String, String)>,
    /// The counters of the node's current patch list (reported or not).
    pub counts: PatchCounts,
    pub report: Option<PatchReport>,
    /// The patch list, once a command changed it (otherwise derived from `seed`).
    pub patches: Option<Vec<super::patches::PatchItem>>,
    pub inventory_at: Option<DateTime<Utc>>,
}

impl NodeRec {
    pub fn platform(&self) -> &'static Platform {
        catalog::platform(self.platform)
    }

    pub fn windows(&self) -> bool {
        self.platform().windows
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `Patch Group` tag, else `PatchGroup` (the instance-metadata-friendly spelling).
    pub fn patch_group(&self) -> Option<&str> {
        self.tag("Patch Group").or_else(|| self.tag("PatchGroup"))
    }

    pub fn resource_type(&self) -> &'static str {
        if self.hybrid {
            "ManagedInstance"
        } else {
            "EC2Instance"
        }
    }

    pub fn ping_status(&self) -> &'static str {
        if self.online {
            "Online"
        } else {
            "ConnectionLost"
        }
    }

    pub fn last_ping(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.online {
            now - Duration::seconds(self.ping_jitter_s)
        } else {
            self.lost_at
        }
    }

    pub fn is_latest_agent(&self) -> bool {
        // Only meaningful on Linux: Windows nodes always report false, as AWS does.
        !self.windows() && self.agent_version == catalog::LATEST_AGENT
    }

    /// The name a command invocation shows (`InstanceName`): the host name.
    pub fn instance_name(&self) -> &str {
        &self.computer_name
    }

    /// DescribeInstanceInformation's `InstanceInformation`, written as JSON text (see
    /// `sim::json_text`; [`NodeRec::info_json`] is the same as a `Value`).
    pub fn write_info_json(&self, now: DateTime<Utc>, out: &mut String) {
        let p = self.platform();
        let mut o = Obj::new(out);
        o.str("InstanceId", &self.id)
            .str("PingStatus", self.ping_status())
            .ts("LastPingDateTime", self.last_ping(now))
            .str("AgentVersion", self.agent_version)
            .bool("IsLatestVersion", self.is_latest_agent())
            .str("PlatformType", if p.windows { "Windows" } else { "Linux" })
            .str("PlatformName", p.name)
            .str("PlatformVersion", p.version)
            .str("ResourceType", self.resource_type())
            .str("IPAddress", &self.ip)
            .str("ComputerName", &self.computer_name)
            .str("IamRole", &self.iam_role)
            .ts("RegistrationDate", self.registered)
            .str("AssociationStatus", self.association_status)
            .ts("LastAssociationExecutionDate", self.last_assoc)
            .ts("LastSuccessfulAssociationExecutionDate", self.last_assoc_ok)
            .obj("AssociationOverview", |a| {
                a.str("DetailedStatus", self.association_status).obj(
                    "InstanceAssociationStatusAggregatedCount",
                    |c| {
                        if self.association_status == "Success" {
                            c.num("Success", 2);
                        } else {
                            c.num("Success", 1).num(self.association_status, 1);
                        }
                    },
                );
            })
            .str("SourceId", &self.id)
            .str(
                "SourceType",
                if self.hybrid {
                    "AWS::SSM::ManagedInstance"
                } else {
                    "AWS::EC2::Instance"
                },
            );
        if let Some(name) = &self.default_name {
            o.str("Name", name);
        }
        if let Some(a) = &self.activation_id {
            o.str("ActivationId", a);
        }
        o.end();
    }

    /// DescribeInstanceInformation's `InstanceInformation`.
    pub fn info_json(&self, now: DateTime<Utc>) -> Value {
        let mut text = String::new();
        self.write_info_json(now, &mut text);
        serde_json::from_str(&text).expect("the simulator writes valid JSON")
    }
}

/// One DescribeInstanceInformation filter, normalized.
#[derive(Clone, Debug)]
pub enum InfoFilter {
    InstanceIds(Vec<String>),
    AgentVersion(Vec<String>),
    PingStatus(Vec<String>),
    PlatformTypes(Vec<String>),
    ActivationIds(Vec<String>),
    IamRole(Vec<String>),
    ResourceType(Vec<String>),
    AssociationStatus(Vec<String>),
    SourceIds(Vec<String>),
    SourceTypes(Vec<String>),
    Tag(String, Vec<String>),
    TagKey(Vec<String>),
}

impl InfoFilter {
    pub fn matches(&self, n: &NodeRec) -> bool {
        let has = |vals: &Vec<String>, x: &str| vals.iter().any(|v| v == x);
        match self {
            InfoFilter::InstanceIds(v) | InfoFilter::SourceIds(v) => has(v, &n.id),
            InfoFilter::AgentVersion(v) => has(v, n.agent_version),
            InfoFilter::PingStatus(v) => has(v, n.ping_status()),
            InfoFilter::PlatformTypes(v) => has(v, if n.windows() { "Windows" } else { "Linux" }),
            InfoFilter::ActivationIds(v) => n.activation_id.as_ref().is_some_and(|a| has(v, a)),
            InfoFilter::IamRole(v) => has(v, &n.iam_role),
            InfoFilter::ResourceType(v) => has(v, n.resource_type()),
            InfoFilter::AssociationStatus(v) => has(v, n.association_status),
            InfoFilter::SourceTypes(v) => has(
                v,
                if n.hybrid {
                    "AWS::SSM::ManagedInstance"
                } else {
                    "AWS::EC2::Instance"
                },
            ),
            InfoFilter::Tag(k, v) => n.tag(k).is_some_and(|t| has(v, t)),
            InfoFilter::TagKey(v) => n.tags.iter().any(|(k, _)| has(v, k)),
        }
    }

    fn is_tag(&self) -> bool {
        matches!(self, InfoFilter::Tag(..) | InfoFilter::TagKey(_))
    }
}

/// Parse `InstanceInformationFilterList` (legacy, `key`/`valueSet`) or `Filters` (`Key`/`Values`).
pub fn parse_info_filters(input: &Value) -> Result<Vec<InfoFilter>, ApiError> {
    let legacy = page::opt_list(input, "InstanceInformationFilterList")?;
    let modern = page::opt_list(input, "Filters")?;
    if !legacy.is_empty() && !modern.is_empty() {
        return Err(ApiError::validation(
            "InstanceInformationFilterList and Filters cannot be used together. Use Filters.",
        ));
    }
    let (list, key_m, vals_m, legacy_mode) = if legacy.is_empty() {
        (modern, "Key", "Values", false)
    } else {
        (legacy, "key", "valueSet", true)
    };
    let mut out = Vec::new();
    for f in list {
        let key = page::req_str(f, key_m)?;
        let values: Vec<String> = page::str_list(f, vals_m)?
            .into_iter()
            .map(String::from)
            .collect();
        page::check_len(vals_m, values.len(), 1, 100)?;
        let filter = match key {
            "InstanceIds" => {
                if let Some(bad) = values.iter().find(|v| !page::is_instance_id(v)) {
                    return Err(err(
                        "InvalidInstanceId",
                        format!(
                            "Instance Id {bad} doesn't match the regex pattern ^i-(\\w{{8}}|\\w{{17}})$|^mi-\\w{{17}}$"
                        ),
                    ));
                }
                InfoFilter::InstanceIds(values)
            }
            "AgentVersion" => InfoFilter::AgentVersion(values),
            "PingStatus" => {
                if let Some(bad) = values
                    .iter()
                    .find(|v| !matches!(v.as_str(), "Online" | "ConnectionLost" | "Inactive"))
                {
                    return Err(invalid_value(format!(
                        "PingStatus value {bad} is not valid. Valid values: Online, ConnectionLost, Inactive"
                    )));
                }
                InfoFilter::PingStatus(values)
            }
            "PlatformTypes" => {
                if let Some(bad) = values
                    .iter()
                    .find(|v| !matches!(v.as_str(), "Windows" | "Linux" | "MacOS"))
                {
                    return Err(invalid_value(format!(
                        "PlatformTypes value {bad} is not valid. Valid values: Windows, Linux, MacOS"
                    )));
                }
                InfoFilter::PlatformTypes(values)
            }
            "ActivationIds" => InfoFilter::ActivationIds(values),
            "IamRole" => InfoFilter::IamRole(values),
            "ResourceType" => {
                // AWS takes one value only, though the shape is a list, and words its
                // errors so (boto/boto3#3027, aws/aws-sdk#130 quote them).
                if values.len() > 1 {
                    return Err(invalid_value(
                        "ResourceType filter may contain only one value.".into(),
                    ));
                }
                if values
                    .iter()
                    .any(|v| !matches!(v.as_str(), "EC2Instance" | "ManagedInstance"))
                {
                    return Err(invalid_value(
                        "ResourceType filter is invalid, valid values are EC2Instance, ManagedInstance"
                            .into(),
                    ));
                }
                InfoFilter::ResourceType(values)
            }
            "AssociationStatus" => InfoFilter::AssociationStatus(values),
            "SourceIds" if !legacy_mode => InfoFilter::SourceIds(values),
            "SourceTypes" if !legacy_mode => InfoFilter::SourceTypes(values),
            "tag-key" if !legacy_mode => InfoFilter::TagKey(values),
            k if !legacy_mode && k.starts_with("tag:") && k.len() > 4 => {
                InfoFilter::Tag(k[4..].to_string(), values)
            }
            _ => {
                return Err(err(
                    "InvalidFilterKey",
                    format!("The filter key {key} is not valid."),
                ));
            }
        };
        out.push(filter);
    }
    if out.iter().any(InfoFilter::is_tag) && out.iter().any(|f| !f.is_tag()) {
        return Err(err(
            "InvalidFilter",
            "Tag filters can't be combined with other filter types.",
        ));
    }
    Ok(out)
}

fn invalid_value(message: String) -> ApiError {
    ApiError::new(400, "InvalidInstanceInformationFilterValue", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_filter_lists_is_an_error() {
        let input = json!({
            "InstanceInformationFilterList": [{"key": "PingStatus", "valueSet": ["Online"]}],
            "Filters": [{"Key": "PingStatus", "Values": ["Online"]}],
        });
        assert_eq!(
            parse_info_filters(&input).unwrap_err().code,
            "ValidationException"
        );
    }

    #[test]
    fn unknown_key_and_bad_values() {
        let bad_key = json!({"Filters": [{"Key": "Colour", "Values": ["x"]}]});
        assert_eq!(
            parse_info_filters(&bad_key).unwrap_err().code,
            "InvalidFilterKey"
        );
        let bad_ping = json!({"Filters": [{"Key": "PingStatus", "Values": ["Up"]}]});
        assert_eq!(
            parse_info_filters(&bad_ping).unwrap_err().code,
            "InvalidInstanceInformationFilterValue"
        );
        let mixed = json!({"Filters": [
            {"Key": "tag:Patch Group", "Values": ["Production"]},
            {"Key": "PingStatus", "Values": ["Online"]}]});
        assert_eq!(
            parse_info_filters(&mixed).unwrap_err().code,
            "InvalidFilter"
        );
        let two_types = json!({"Filters": [
            {"Key": "ResourceType", "Values": ["EC2Instance", "ManagedInstance"]}]});
        let e = parse_info_filters(&two_types).unwrap_err();
        assert_eq!(e.code, "InvalidInstanceInformationFilterValue");
        assert_eq!(e.message, "ResourceType filter may contain only one value.");
        let legacy_tag =
            json!({"InstanceInformationFilterList": [{"key": "tag-key", "valueSet": ["x"]}]});
        assert_eq!(
            parse_info_filters(&legacy_tag).unwrap_err().code,
            "InvalidFilterKey"
        );
    }
}
