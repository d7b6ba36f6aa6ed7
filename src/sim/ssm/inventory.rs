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

/// `AWS:Tag`: the node's tags as inventory collected them, one `{Key, Value}` entry per
/// tag (user guide, "Metadata collected by inventory": `AWS:Tag` 1.0, attributes `Key`,
/// `Value`). ssmdeck reads EC2 instances' tags this way (SSM holds no EC2 tags for
/// ListTagsForResource); the same tags `send-command --targets tag:` resolves against.
fn tags(n: &NodeRec) -> Vec<Value> {
    n.tags
        .iter()
        .map(|(k, v)| entry(&[("Key", k.clone()), ("Value", v.clone())]))
        .collect()
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

/// The node's applications, consistent with its OS and its patch list: a Linux package is
/// listed at the version its patch list implies — the fixed version when the patch is
/// installed (or installed pending a reboot), the **older** one when the patch is Missing
/// or Failed (so a Missing `openssl` patch shows the old openssl here); packages whose
/// patch is not applicable are not installed. The SSM agent is listed at the version the
/// node reports. Windows nodes list their programs; Edge and SQL Server show an older
/// version while a security update for them is missing.
pub fn applications(n: &NodeRec) -> Vec<Value> {
    let list = patches::patch_list(n);
    if n.windows() {
        let skip = (n.seed % 4) as usize;
        let missing = |needle: &str| {
            list.iter().any(|p| {
                matches!(p.state, PState::Missing | PState::Failed) && p.title.contains(needle)
            })
        };
        let edge_old = missing("Microsoft Edge");
        let sql_old = missing("SQL Server");
        return catalog::WINDOWS_APPS
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 4 || !(i + skip).is_multiple_of(3))
            .map(|(_, (name, version, publisher))| {
                let version = match *name {
                    "Amazon SSM Agent" => n.agent_version.to_string(),
                    "Microsoft Edge" if edge_old => older_version(version),
                    "Microsoft SQL Server 2019 (64-bit)" if sql_old => older_version(version),
                    _ => version.to_string(),
                };
                entry(&[
                    ("Name", name.to_string()),
                    ("ApplicationType", String::new()),
                    ("Publisher", publisher.to_string()),
                    ("Version", version),
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
    list.iter()
        .filter(|p| {
            !matches!(
                p.state,
                PState::NotApplicable | PState::AvailableSecurityUpdate
            )
        })
        .map(|p| {
            let (name, arch) = p.kb_id.rsplit_once('.').unwrap_or((p.kb_id, ""));
            let evr = p
                .title
                .strip_prefix(p.kb_id)
                .and_then(|s| s.strip_prefix(':'))
                .unwrap_or("");
            let (epoch, vr) = match evr.split_once(':') {
                Some((e, vr)) => (e, vr),
                None => ("", evr),
            };
            let (version, release) = vr.split_once('-').unwrap_or((vr, ""));
            let version = if name == "amazon-ssm-agent" {
                n.agent_version.to_string()
            } else if matches!(p.state, PState::Missing | PState::Failed) {
                older_version(version)
            } else {
                version.to_string()
            };
            let installed = match p.installed_time {
                Some(t) => page::iso_s(t),
                // still at the old version: installed when the node was set up
                None => page::iso_s(n.registered),
            };
            entry(&[
                ("Name", name.to_string()),
                ("ApplicationType", "System Environment/Libraries".into()),
                ("Publisher", publisher.into()),
                ("Version", version.clone()),
                ("Release", release.to_string()),
                ("Epoch", epoch.to_string()),
                ("InstalledTime", installed),
                ("Architecture", arch.to_string()),
                ("URL", String::new()),
                ("Summary", format!("{name} package")),
                ("PackageId", format!("{name}-{version}-{release}.src.rpm")),
            ])
        })
        .collect()
}

/// The version before `v`: its last non-zero number one lower (`3.0.8` → `3.0.7`,
/// `8.7p1` → `8.7p0`, `2024a` → `2023a`, `3.0.0` → `2.0.0`).
pub fn older_version(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut end = bytes.len();
    while end > 0 {
        // the digit run ending at `end`
        while end > 0 && !bytes[end - 1].is_ascii_digit() {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && bytes[start - 1].is_ascii_digit() {
            start -= 1;
        }
        if start == end {
            break;
        }
        if let Ok(num) = v[start..end].parse::<u64>()
            && num > 0
        {
            return format!("{}{}{}", &v[..start], num - 1, &v[end..]);
        }
        end = start;
    }
    format!("{v}~old")
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
                ("HotFixId", p.kb_id.to_string()),
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
        "AWS:Tag" => tags(n),
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

// ---------------------------------------------------------------------------------------
// GetInventory / GetInventorySchema
//
// Shapes and limits: botocore `ssm/2014-11-06/service-2.json` (GetInventoryRequest:
// Filters 1..5 with Values 1..40 and Type Equal|NotEqual|BeginWith|LessThan|GreaterThan|
// Exists; Aggregators 1..10, nested; Groups 1..15 with Name 1..200 and Filters 1..5;
// ResultAttributes 1..1; MaxResults 1..50; GetInventorySchema MaxResults 50..200).
// Response forms: the user guide's "Aggregating inventory data"
// (awsdocs/aws-systems-manager-user-guide `doc_source/sysman-inventory-aggregate.md`):
// an aggregation answers one entity whose `Data` maps the type name to rows
// `{"Count": "7", "<Attribute>": value, ...}` (counts are strings); a group answers
// `{"<GroupName>": {"Content": [{"notMatchingCount": "3"}, {"matchingCount": "1"}]}}`;
// `get-inventory-schema --aggregator` lists `DataType` as `STRING` (the doc's output,
// although the model's enum says lowercase).

/// The attributes each type can be aggregated on (`get-inventory-schema --aggregator`).
const AGGREGATABLE: &[(&str, &str, &[&str])] = &[
    ("AWS:Application", "Application", &["Name", "Version"]),
    (
        "AWS:InstanceInformation",
        "Platform",
        &["PlatformName", "PlatformType", "PlatformVersion"],
    ),
    ("AWS:ResourceGroup", "ResourceGroup", &["Name"]),
    (
        "AWS:Service",
        "Service",
        &["Name", "DisplayName", "ServiceType", "Status", "StartType"],
    ),
    (
        "AWS:WindowsRole",
        "WindowsRole",
        &["Name", "DisplayName", "FeatureType", "Installed"],
    ),
];

/// (type name, schema version, [(attribute, data type)]).
type Schema = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Full attribute lists of the types the simulator fills (`get-inventory-schema`).
const SCHEMAS: &[Schema] = &[
    (
        "AWS:InstanceInformation",
        "1.0",
        &[
            ("AgentType", "STRING"),
            ("AgentVersion", "STRING"),
            ("ComputerName", "STRING"),
            ("InstanceId", "STRING"),
            ("IpAddress", "STRING"),
            ("PlatformName", "STRING"),
            ("PlatformType", "STRING"),
            ("PlatformVersion", "STRING"),
            ("ResourceType", "STRING"),
            ("AgentStatus", "STRING"),
            ("InstanceStatus", "STRING"),
        ],
    ),
    (
        "AWS:Application",
        "1.1",
        &[
            ("Name", "STRING"),
            ("ApplicationType", "STRING"),
            ("Publisher", "STRING"),
            ("Version", "STRING"),
            ("Release", "STRING"),
            ("Epoch", "STRING"),
            ("InstalledTime", "STRING"),
            ("Architecture", "STRING"),
            ("URL", "STRING"),
            ("Summary", "STRING"),
            ("PackageId", "STRING"),
        ],
    ),
    (
        "AWS:WindowsUpdate",
        "1.0",
        &[
            ("HotFixId", "STRING"),
            ("Description", "STRING"),
            ("InstalledTime", "STRING"),
            ("InstalledBy", "STRING"),
        ],
    ),
    (
        "AWS:Network",
        "1.0",
        &[
            ("Name", "STRING"),
            ("IPV4", "STRING"),
            ("MacAddress", "STRING"),
            ("DHCPServer", "STRING"),
        ],
    ),
    ("AWS:Tag", "1.0", &[("Key", "STRING"), ("Value", "STRING")]),
];

/// One node's entries of one type (empty when the node has not sent that type).
fn entries_of(n: &NodeRec, type_name: &str) -> Vec<Value> {
    if type_name == "AWS:InstanceInformation" {
        // SSM itself knows every managed node's instance information
        return instance_information(n);
    }
    if n.inventory_at.is_none() {
        return Vec::new();
    }
    match type_name {
        "AWS:Application" => applications(n),
        "AWS:WindowsUpdate" => windows_updates(n),
        "AWS:Network" => network(n),
        "AWS:Tag" => tags(n),
        _ => Vec::new(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    BeginWith,
    LessThan,
    GreaterThan,
    Exists,
}

/// One parsed `InventoryFilter`: `TypeName` (the node has that type) or `Type.Attribute`.
#[derive(Debug)]
struct InvFilter {
    type_name: Option<String>,
    attr: String,
    values: Vec<String>,
    op: Op,
}

fn split_expression(key: &str) -> Option<(&str, &str)> {
    let (t, a) = key.rsplit_once('.')?;
    (!t.is_empty() && !a.is_empty()).then_some((t, a))
}

fn known_type(t: &str) -> bool {
    t.starts_with("Custom:") || KNOWN.contains(&t)
}

fn parse_filters(list: &[Value], with_aggregators: bool) -> Result<Vec<InvFilter>, ApiError> {
    let mut out = Vec::new();
    for fl in list {
        let key = page::req_str(fl, "Key")?;
        let values: Vec<String> = page::str_list(fl, "Values")?
            .into_iter()
            .map(String::from)
            .collect();
        page::check_len("Filters.member.Values", values.len(), 1, 40)?;
        let op = match page::opt_str(fl, "Type")?.unwrap_or("Equal") {
            "Equal" => Op::Equal,
            "NotEqual" => Op::NotEqual,
            "BeginWith" => Op::BeginWith,
            "LessThan" => Op::LessThan,
            "GreaterThan" => Op::GreaterThan,
            "Exists" => Op::Exists,
            other => {
                return Err(page::validation(
                    "Filters.member.Type",
                    other,
                    "Member must satisfy enum value set: [Equal, NotEqual, BeginWith, LessThan, GreaterThan, Exists]",
                ));
            }
        };
        if op == Op::Exists && !with_aggregators {
            return Err(err(
                "InvalidFilter",
                "The Exists filter must be used with aggregators.",
            ));
        }
        if key == "TypeName" {
            if let Some(bad) = values.iter().find(|v| !known_type(v)) {
                return Err(err(
                    "InvalidTypeNameException",
                    format!("The type name {bad} is not valid."),
                ));
            }
            out.push(InvFilter {
                type_name: None,
                attr: String::new(),
                values,
                op,
            });
            continue;
        }
        let Some((t, a)) = split_expression(key) else {
            return Err(err(
                "InvalidFilter",
                format!("The filter key {key} is not valid: use TypeName or <type>.<attribute>."),
            ));
        };
        if !known_type(t) {
            return Err(err(
                "InvalidTypeNameException",
                format!("The type name {t} is not valid."),
            ));
        }
        if let Some((_, _, attrs)) = SCHEMAS.iter().find(|(n, _, _)| *n == t)
            && !attrs.iter().any(|(name, _)| *name == a)
        {
            return Err(err(
                "InvalidFilter",
                format!("The attribute {a} is not valid for type {t}."),
            ));
        }
        out.push(InvFilter {
            type_name: Some(t.to_string()),
            attr: a.to_string(),
            values,
            op,
        });
    }
    Ok(out)
}

fn compare(have: &str, want: &str) -> std::cmp::Ordering {
    match (have.parse::<f64>(), want.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal),
        _ => have.cmp(want),
    }
}

/// Whether a node passes one filter: some entry of the type satisfies it (`NotEqual`: no
/// entry has any of the values; `TypeName` + `Exists`: the node sent one of the types).
fn node_matches(n: &NodeRec, f: &InvFilter) -> bool {
    let Some(t) = &f.type_name else {
        let has = f.values.iter().any(|t| !entries_of(n, t).is_empty());
        return match f.op {
            Op::NotEqual => !has,
            _ => has,
        };
    };
    let entries = entries_of(n, t);
    let attr = |e: &Value| {
        e.get(f.attr.as_str())
            .and_then(Value::as_str)
            .map(String::from)
    };
    match f.op {
        Op::NotEqual => !entries
            .iter()
            .filter_map(attr)
            .any(|have| f.values.contains(&have)),
        Op::Exists => entries.iter().any(|e| attr(e).is_some()),
        op => entries.iter().filter_map(attr).any(|have| {
            f.values.iter().any(|v| match op {
                Op::BeginWith => have.starts_with(v.as_str()),
                Op::LessThan => compare(&have, v).is_lt(),
                Op::GreaterThan => compare(&have, v).is_gt(),
                _ => have == *v,
            })
        }),
    }
}

/// A parsed aggregator: an expression path (`[(type, attribute)]`, outermost first) or a
/// group list.
enum Aggregation {
    Paths(Vec<Vec<(String, String)>>),
    Groups(Vec<(String, Vec<InvFilter>)>),
}

fn parse_aggregator(
    a: &Value,
    prefix: &[(String, String)],
    out: &mut Vec<Aggregation>,
) -> Result<(), ApiError> {
    let expression = page::opt_str(a, "Expression")?;
    let groups = page::opt_list(a, "Groups")?;
    let nested = page::opt_list(a, "Aggregators")?;
    if a.get("Aggregators").is_some() {
        page::check_len("Aggregators.member.Aggregators", nested.len(), 1, 10)?;
    }
    if a.get("Groups").is_some() {
        page::check_len("Aggregators.member.Groups", groups.len(), 1, 15)?;
    }
    match (expression, groups.is_empty()) {
        (Some(_), false) | (None, true) => {
            return Err(err(
                "InvalidAggregatorException",
                "An aggregator needs either an Expression or Groups.",
            ));
        }
        (None, false) => {
            if !nested.is_empty() || !prefix.is_empty() {
                return Err(err(
                    "InvalidAggregatorException",
                    "Groups can't be combined with nested aggregators.",
                ));
            }
            let mut parsed = Vec::new();
            for g in groups {
                let name = page::req_str(g, "Name")?;
                page::check_len("Aggregators.member.Groups.member.Name", name.len(), 1, 200)?;
                if g.get("Filters").is_none() {
                    return Err(page::missing("Aggregators.member.Groups.member.Filters"));
                }
                let filters = page::opt_list(g, "Filters")?;
                page::check_len(
                    "Aggregators.member.Groups.member.Filters",
                    filters.len(),
                    1,
                    5,
                )?;
                if parsed.iter().any(|(n, _)| n == name) {
                    return Err(err(
                        "InvalidInventoryGroupException",
                        format!("The group name {name} is used twice."),
                    ));
                }
                parsed.push((name.to_string(), parse_filters(filters, true)?));
            }
            out.push(Aggregation::Groups(parsed));
        }
        (Some(expr), true) => {
            page::check_len("Aggregators.member.Expression", expr.len(), 1, 1000)?;
            let valid = split_expression(expr).filter(|(t, attr)| {
                AGGREGATABLE
                    .iter()
                    .any(|(name, _, attrs)| name == t && attrs.contains(attr))
            });
            let Some((t, attr)) = valid else {
                return Err(err(
                    "InvalidAggregatorException",
                    format!(
                        "The aggregator expression {expr} is not valid: see GetInventorySchema with Aggregator=true."
                    ),
                ));
            };
            let mut path = prefix.to_vec();
            path.push((t.to_string(), attr.to_string()));
            if nested.is_empty() {
                out.push(Aggregation::Paths(vec![path]));
            } else {
                for inner in nested {
                    parse_aggregator(inner, &path, out)?;
                }
            }
        }
    }
    Ok(())
}

/// Rows of one expression path: distinct nodes per combination of values. Attributes of
/// one type come from one entry (Name and Version of the same application).
fn aggregate_path(nodes: &[&NodeRec], path: &[(String, String)]) -> Vec<Value> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut types: Vec<&str> = Vec::new();
    for (t, _) in path {
        if !types.contains(&t.as_str()) {
            types.push(t);
        }
    }
    let mut counts: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for n in nodes {
        // per type, the distinct value tuples of its entries
        let mut per_type: Vec<BTreeSet<Vec<(usize, String)>>> = Vec::new();
        for t in &types {
            let tuples: BTreeSet<Vec<(usize, String)>> = entries_of(n, t)
                .iter()
                .filter_map(|e| {
                    path.iter()
                        .enumerate()
                        .filter(|(_, (pt, _))| pt == t)
                        .map(|(i, (_, a))| {
                            e.get(a.as_str())
                                .and_then(Value::as_str)
                                .map(|v| (i, v.to_string()))
                        })
                        .collect::<Option<Vec<_>>>()
                })
                .collect();
            per_type.push(tuples);
        }
        let mut combos: Vec<Vec<(usize, String)>> = vec![Vec::new()];
        for tuples in &per_type {
            let mut next = Vec::new();
            for c in &combos {
                for t in tuples {
                    let mut c = c.clone();
                    c.extend(t.iter().cloned());
                    next.push(c);
                }
            }
            combos = next;
        }
        for mut c in combos {
            c.sort_by_key(|(i, _)| *i);
            *counts
                .entry(c.into_iter().map(|(_, v)| v).collect())
                .or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(values, count)| {
            let mut m = Map::new();
            m.insert("Count".into(), Value::String(count.to_string()));
            for ((_, attr), v) in path.iter().zip(values) {
                m.insert(attr.clone(), Value::String(v));
            }
            Value::Object(m)
        })
        .collect()
}

/// Content rows per page of an aggregation (the model's `InventoryItemEntryList` max).
const MAX_CONTENT: usize = 10_000;

pub fn get_inventory(
    f: &RegionFleet,
    input: &Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    const OP: &str = "GetInventory";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let aggregators = page::opt_list(input, "Aggregators")?;
    if input.get("Aggregators").is_some() {
        page::check_len("Aggregators", aggregators.len(), 1, 10)?;
    }
    let filters = page::opt_list(input, "Filters")?;
    if input.get("Filters").is_some() {
        page::check_len("Filters", filters.len(), 1, 5)?;
    }
    let filters = parse_filters(filters, !aggregators.is_empty())?;
    let results = page::opt_list(input, "ResultAttributes")?;
    if input.get("ResultAttributes").is_some() {
        page::check_len("ResultAttributes", results.len(), 1, 1)?;
    }
    for r in results {
        let t = page::req_str(r, "TypeName")?;
        if t != "AWS:InstanceInformation" {
            return Err(err(
                "InvalidResultAttributeException",
                format!(
                    "The result attribute {t} is not valid: only AWS:InstanceInformation is supported."
                ),
            ));
        }
    }
    let mut aggs = Vec::new();
    for a in aggregators {
        parse_aggregator(a, &[], &mut aggs)?;
    }
    let start = page::start_offset(OP, input)?;
    let nodes: Vec<&NodeRec> = f
        .nodes
        .iter()
        .filter(|n| filters.iter().all(|fl| node_matches(n, fl)))
        .collect();
    if aggs.is_empty() {
        let (page_nodes, next) = page::page(OP, input, &nodes, start, max);
        let entities: Vec<Value> = page_nodes
            .iter()
            .map(|n| {
                let capture = n.inventory_at.unwrap_or(n.registered.min(now));
                json!({
                    "Id": n.id,
                    "Data": {
                        "AWS:InstanceInformation": {
                            "TypeName": "AWS:InstanceInformation",
                            "SchemaVersion": "1.0",
                            "CaptureTime": page::iso_s(capture),
                            "Content": instance_information(n),
                        }
                    }
                })
            })
            .collect();
        return Ok(page::with_token(json!({ "Entities": entities }), next));
    }
    // one entity; its rows (type name → rows, group name → counts) paged by MAX_CONTENT
    let mut sections: Vec<(String, Value)> = Vec::new();
    for a in &aggs {
        match a {
            Aggregation::Paths(paths) => {
                for path in paths {
                    for row in aggregate_path(&nodes, path) {
                        sections.push((path[0].0.clone(), row));
                    }
                }
            }
            Aggregation::Groups(groups) => {
                for (name, gf) in groups {
                    let matching = nodes
                        .iter()
                        .filter(|n| gf.iter().all(|fl| node_matches(n, fl)))
                        .count();
                    sections.push((
                        name.clone(),
                        json!({"notMatchingCount": (nodes.len() - matching).to_string()}),
                    ));
                    sections.push((name.clone(), json!({"matchingCount": matching.to_string()})));
                }
            }
        }
    }
    let (rows, next) = page::page(OP, input, &sections, start, MAX_CONTENT);
    let mut data = Map::new();
    for (key, row) in rows {
        let slot = data.entry(key.clone()).or_insert_with(|| {
            let mut item = json!({ "Content": [] });
            if key.starts_with("AWS:") || key.starts_with("Custom:") {
                item["TypeName"] = json!(key);
                item["SchemaVersion"] = json!("1.0");
            }
            item
        });
        if let Some(Value::Array(content)) = slot.get_mut("Content") {
            content.push(row);
        }
    }
    let entities = if data.is_empty() {
        Vec::new()
    } else {
        vec![json!({ "Data": data })]
    };
    Ok(page::with_token(json!({ "Entities": entities }), next))
}

pub fn get_inventory_schema(input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "GetInventorySchema";
    let max = page::max_results(input, "MaxResults", 50, 200, 200)?;
    let type_name = page::opt_str(input, "TypeName")?.filter(|t| !t.is_empty());
    if let Some(t) = type_name {
        page::check_len("TypeName", t.len(), 0, 100)?;
        if !known_type(t) {
            return Err(err(
                "InvalidTypeNameException",
                format!("The type name {t} is not valid."),
            ));
        }
    }
    let aggregator = page::opt_bool(input, "Aggregator")?.unwrap_or(false);
    let start = page::start_offset(OP, input)?;
    let schemas: Vec<Value> = if aggregator {
        AGGREGATABLE
            .iter()
            .filter(|(t, _, _)| type_name.is_none_or(|w| w == *t))
            .map(|(t, display, attrs)| {
                json!({
                    "TypeName": t,
                    "Version": if *t == "AWS:Application" { "1.1" } else { "1.0" },
                    "DisplayName": display,
                    "Attributes": attrs
                        .iter()
                        .map(|a| json!({"Name": a, "DataType": "STRING"}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect()
    } else {
        SCHEMAS
            .iter()
            .filter(|(t, _, _)| type_name.is_none_or(|w| w == *t))
            .map(|(t, version, attrs)| {
                json!({
                    "TypeName": t,
                    "Version": version,
                    "Attributes": attrs
                        .iter()
                        .map(|(a, ty)| json!({"Name": a, "DataType": ty}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect()
    };
    let (items, next) = page::page(OP, input, &schemas, start, max);
    Ok(page::with_token(json!({ "Schemas": items }), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_before() {
        assert_eq!(older_version("3.0.8"), "3.0.7");
        assert_eq!(older_version("8.7p1"), "8.7p0");
        assert_eq!(older_version("2024a"), "2023a");
        assert_eq!(older_version("3.0.0"), "2.0.0");
        assert_eq!(older_version("0.0"), "0.0~old");
    }
}
