//! Inventory: ListInventoryEntries for `AWS:InstanceInformation`, `AWS:Application`
//! (packages / programs, derived from the node's patch list) and `AWS:WindowsUpdate`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::catalog;
use super::fleet::RegionFleet;
use super::node::NodeRec;
use super::page::{self, err};
use super::patches::{self, PState};
use crate::sim::ApiError;

const KNOWN: &[&str] = &[
    "AWS:InstanceInformation",
    "AWS:Application",
    "AWS:WindowsUpdate",
    "AWS:Network",
    "AWS:Service",
    "AWS:File",
    "AWS:AWSComponent",
    "AWS:InstanceDetailedInformation",
    "AWS:Tag",
    "AWS:WindowsRole",
    "AWS:WindowsRegistry",
    "AWS:ComplianceItem",
    "AWS:ComplianceSummary",
    "AWS:BillingInfo",
];

fn entry(pairs: &[(&str, String)]) -> Value {
    let m: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect();
    Value::Object(m)
}

fn instance_information(n: &NodeRec) -> Vec<Value> {
    let p = n.platform();
    vec![entry(&[
        ("AgentType", "amazon-ssm-agent".into()),
        ("AgentVersion", n.agent_version.into()),
        ("ComputerName", n.computer_name.clone()),
        ("InstanceId", n.id.clone()),
        ("IpAddress", n.ip.clone()),
        ("PlatformName", p.name.into()),
        (
            "PlatformType",
            if p.windows { "Windows" } else { "Linux" }.into(),
        ),
        ("PlatformVersion", p.version.into()),
        ("ResourceType", n.resource_type().into()),
        (
            "AgentStatus",
            if n.online { "Active" } else { "ConnectionLost" }.into(),
        ),
        ("InstanceStatus", "Active".into()),
    ])]
}

fn applications(n: &NodeRec) -> Vec<Value> {
    if n.windows() {
        let skip = (n.seed % 4) as usize;
        return catalog::WINDOWS_APPS
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 4 || !(i + skip).is_multiple_of(3))
            .map(|(_, (name, version, publisher))| {
                entry(&[
                    ("Name", name.to_string()),
                    ("ApplicationType", String::new()),
                    ("Publisher", publisher.to_string()),
                    ("Version", version.to_string()),
                    ("InstalledTime", page::iso_s(n.registered)),
                    ("Architecture", "x86_64".into()),
                    ("URL", String::new()),
                    ("Summary", String::new()),
                    ("PackageId", String::new()),
                ])
            })
            .collect();
    }
    let publisher = match n.platform().os {
        "UBUNTU" => "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>",
        "REDHAT_ENTERPRISE_LINUX" => "Red Hat, Inc.",
        "SUSE" => "SUSE LLC <https://www.suse.com/>",
        _ => "Amazon Linux",
    };
    patches::patch_list(n)
        .iter()
        .filter(|p| {
            matches!(
                p.state,
                PState::Installed | PState::InstalledOther | PState::InstalledPendingReboot
            )
        })
        .map(|p| {
            let (name, arch) = p.kb_id.rsplit_once('.').unwrap_or((&p.kb_id, ""));
            let evr = p
                .title
                .strip_prefix(&p.kb_id)
                .and_then(|s| s.strip_prefix(':'))
                .unwrap_or("");
            let (epoch, vr) = match evr.split_once(':') {
                Some((e, vr)) => (e, vr),
                None => ("", evr),
            };
            let (version, release) = vr.split_once('-').unwrap_or((vr, ""));
            entry(&[
                ("Name", name.to_string()),
                ("ApplicationType", "System Environment/Libraries".into()),
                ("Publisher", publisher.into()),
                ("Version", version.to_string()),
                ("Release", release.to_string()),
                ("Epoch", epoch.to_string()),
                (
                    "InstalledTime",
                    p.installed_time.map(page::iso_s).unwrap_or_default(),
                ),
                ("Architecture", arch.to_string()),
                ("URL", String::new()),
                ("Summary", format!("{name} package")),
                ("PackageId", format!("{name}-{vr}.src.rpm")),
            ])
        })
        .collect()
}

fn windows_updates(n: &NodeRec) -> Vec<Value> {
    if !n.windows() {
        return Vec::new();
    }
    patches::patch_list(n)
        .iter()
        .filter(|p| matches!(p.state, PState::Installed | PState::InstalledOther))
        .map(|p| {
            entry(&[
                ("HotFixId", p.kb_id.clone()),
                ("Description", p.classification.to_string()),
                (
                    "InstalledTime",
                    p.installed_time.map(page::iso_s).unwrap_or_default(),
                ),
                ("InstalledBy", "NT AUTHORITY\\SYSTEM".into()),
            ])
        })
        .collect()
}

fn network(n: &NodeRec) -> Vec<Value> {
    vec![entry(&[
        ("Name", if n.windows() { "Ethernet" } else { "eth0" }.into()),
        ("IPV4", n.ip.clone()),
        (
            "MacAddress",
            format!(
                "0a:{:02x}:{:02x}:3c:9e:11",
                n.seed % 256,
                (n.seed >> 8) % 256
            ),
        ),
        ("DHCPServer", "10.0.0.2".into()),
    ])]
}

pub fn list_inventory_entries(
    f: &RegionFleet,
    input: &Value,
    _now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    const OP: &str = "ListInventoryEntries";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let id = page::req_str(input, "InstanceId")?;
    let type_name = page::req_str(input, "TypeName")?;
    // (its pattern and length are the validation layer's: `crate::sim::ssm::rules`)
    if type_name.starts_with("AWS:") && !KNOWN.contains(&type_name) {
        return Err(err(
            "InvalidTypeNameException",
            format!("The type name {type_name} is not valid."),
        ));
    }
    let n = f.node_checked(id)?;
    let filters = page::opt_list(input, "Filters")?;
    let mut parsed = Vec::new();
    for fl in filters {
        let key = page::req_str(fl, "Key")?;
        let values: Vec<String> = page::str_list(fl, "Values")?
            .into_iter()
            .map(String::from)
            .collect();
        let ty = page::opt_str(fl, "Type")?.unwrap_or("Equal");
        let attr = key.rsplit('.').next().unwrap_or(key).to_string();
        parsed.push((attr, values, ty.to_string()));
    }
    let start = page::start_offset(OP, input)?;
    let Some(capture) = n.inventory_at else {
        return Ok(json!({"TypeName": type_name, "InstanceId": id, "Entries": []}));
    };
    let entries = match type_name {
        "AWS:InstanceInformation" => instance_information(n),
        "AWS:Application" => applications(n),
        "AWS:WindowsUpdate" => windows_updates(n),
        "AWS:Network" => network(n),
        _ => Vec::new(),
    };
    let entries: Vec<Value> = entries
        .into_iter()
        .filter(|e| {
            parsed.iter().all(|(attr, vals, ty)| {
                let have = e.get(attr.as_str()).and_then(Value::as_str).unwrap_or("");
                match ty.as_str() {
                    "NotEqual" => !vals.iter().any(|v| v == have),
                    "BeginWith" => vals.iter().any(|v| have.starts_with(v.as_str())),
                    "Exists" => !have.is_empty(),
                    "LessThan" => vals.iter().any(|v| have < v.as_str()),
                    "GreaterThan" => vals.iter().any(|v| have > v.as_str()),
                    _ => vals.iter().any(|v| v == have),
                }
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &entries, start, max);
    Ok(page::with_token(
        json!({
            "TypeName": type_name,
            "InstanceId": id,
            "SchemaVersion": "1.0",
            "CaptureTime": page::iso_s(capture),
            "Entries": items,
        }),
        next,
    ))
}
