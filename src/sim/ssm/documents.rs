//! The AWS-owned SSM documents the simulator offers (AWS-RunShellScript,
//! AWS-RunPowerShellScript, AWS-RunPatchBaseline, AWS-ConfigureAWSPackage,
//! AWS-UpdateSSMAgent): ListDocuments, DescribeDocument, GetDocument, and the parameter
//! check SendCommand makes against a document.
//!
//! Sources:
//! - shapes: botocore `ssm/2014-11-06/service-2.json` (`DocumentIdentifier`,
//!   `DocumentDescription`, `DocumentParameter` = Name/Type/Description/DefaultValue — the
//!   API has **no allowed values** in DescribeDocument: they live in the document content,
//!   which GetDocument returns; `DocumentKeyValuesFilter` keys Name (a prefix: "to return a
//!   list of all documents that begin with Te"), Owner (one of Amazon, Private, Public,
//!   Self, ThirdParty), PlatformTypes, DocumentType, `tag:<k>`; `MaxResults` 1..50);
//! - real answers: `aws ssm describe-document --name AWS-RunShellScript` /
//!   `AWS-RunPowerShellScript` as quoted in a 2024 note on the public code index (id
//!   24828860014): Owner `Amazon`, DocumentVersion `1`, SchemaVersion `1.2`, PlatformTypes
//!   `[Linux, MacOS]` and `[Windows, Linux]`, `DefaultValue` plain (`"3600"`). An older
//!   (2016) output quoted the defaults JSON-encoded (`"\"3600\""`); the simulator sends the
//!   current form (the client does not yet unquote the old one);
//! - document contents (parameters, `allowedValues`, `allowedPattern`, defaults): the
//!   published AWS-RunShellScript / AWS-RunPowerShellScript JSON (schema 1.2, executionTimeout
//!   pattern up to 172800) quoted in public repositories; AWS-RunPatchBaseline per the User
//!   Guide (`patch-manager-aws-runpatchbaseline.md`);
//! - errors: an unknown parameter is `InvalidParameters` with an **empty message**
//!   (claranet/ssha#71 quotes "An error occurred (InvalidParameters) when calling the
//!   SendCommand operation:" and nothing more); a value outside `allowedValues` reads
//!   `Parameter "Action" has value "install" not found in [Install, Uninstall].`
//!   (CrowdStrike/aws-ssm-distributor#100, the same SSM parameter check for Automation).

use serde_json::{Map, Value, json};

use super::page::{self, err};
use crate::sim::ApiError;

/// `String` or `StringList` (the API's `DocumentParameterType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    String,
    StringList,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "String",
            ParamType::StringList => "StringList",
        }
    }
}

/// An `allowedPattern`: its text (as the document states it) and the check it stands for.
#[derive(Clone, Copy)]
pub struct Pattern {
    pub text: &'static str,
    pub check: fn(&str) -> bool,
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text)
    }
}

/// One parameter of a document.
#[derive(Clone, Debug)]
pub struct ParamDef {
    pub name: &'static str,
    pub ty: ParamType,
    pub description: &'static str,
    /// `None`: required.
    pub default: Option<&'static str>,
    pub allowed: &'static [&'static str],
    pub pattern: Option<Pattern>,
    pub min_items: Option<usize>,
    pub max_chars: Option<usize>,
    pub display_type: Option<&'static str>,
}

const fn param(name: &'static str, ty: ParamType, description: &'static str) -> ParamDef {
    ParamDef {
        name,
        ty,
        description,
        default: None,
        allowed: &[],
        pattern: None,
        min_items: None,
        max_chars: None,
        display_type: None,
    }
}

/// One step (schema 2.2) or plugin (schema 1.2): the name GetCommandInvocation's
/// `PluginName` takes, its action, and the platform precondition.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub name: &'static str,
    pub action: &'static str,
    pub platform: Option<&'static str>,
}

/// One AWS-owned document.
#[derive(Clone, Debug)]
pub struct DocDef {
    pub name: &'static str,
    pub description: &'static str,
    pub platforms: &'static [&'static str],
    pub schema: &'static str,
    /// Epoch seconds.
    pub created: f64,
    /// The published Sha256 where known; otherwise derived from the content.
    pub hash: Option<&'static str>,
    pub steps: &'static [Step],
    pub params: &'static [ParamDef],
}

impl DocDef {
    pub fn supports(&self, platform_type: &str) -> bool {
        self.platforms.contains(&platform_type)
    }

    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }
}

fn execution_timeout(s: &str) -> bool {
    // ([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)
    !s.starts_with('0')
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|n| (1..=172_800).contains(&n))
}

fn empty_or_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    s.is_empty()
        || (groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups
                .iter()
                .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit())))
}

fn empty_or_url(s: &str) -> bool {
    s.is_empty()
        || s.strip_prefix("https://").is_some_and(|r| !r.is_empty())
        || s.strip_prefix("s3://")
            .and_then(|r| r.split_once('/'))
            .is_some_and(|(b, k)| !b.is_empty() && !k.is_empty() && !k.ends_with('/'))
}

fn package_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/:.-_".contains(&b))
}

fn version_or_empty(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
}

const EXECUTION_TIMEOUT: ParamDef = ParamDef {
    default: Some("3600"),
    pattern: Some(Pattern {
        text: "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)",
        check: execution_timeout,
    }),
    ..param(
        "executionTimeout",
        ParamType::String,
        "(Optional) The time in seconds for a command to complete before it is considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).",
    )
};

const WORKING_DIRECTORY: ParamDef = ParamDef {
    default: Some(""),
    max_chars: Some(4096),
    ..param(
        "workingDirectory",
        ParamType::String,
        "(Optional) The path to the working directory on your instance.",
    )
};

const S3_URL_PATTERN: Pattern = Pattern {
    text: "(^$)|^https://.+$|^s3://([^/]+)/(.*?([^/]+))$",
    check: empty_or_url,
};

pub const DOCUMENTS: &[DocDef] = &[
    DocDef {
        name: "AWS-RunShellScript",
        description: "Run a shell script or specify the commands to run.",
        platforms: &["Linux", "MacOS"],
        schema: "1.2",
        created: 1_504_129_224.432,
        hash: Some("99749de5e62f71e5ebe9a55c2321e2c394796afe7208cff048696541e6f6771e"),
        steps: &[Step {
            name: "aws:runShellScript",
            action: "aws:runShellScript",
            platform: None,
        }],
        params: &[
            ParamDef {
                min_items: Some(1),
                display_type: Some("textarea"),
                ..param(
                    "commands",
                    ParamType::StringList,
                    "(Required) Specify a shell script or a command to run.",
                )
            },
            WORKING_DIRECTORY,
            EXECUTION_TIMEOUT,
        ],
    },
    DocDef {
        name: "AWS-RunPowerShellScript",
        description: "Run a PowerShell script or specify the paths to scripts to run.",
        platforms: &["Windows", "Linux"],
        schema: "1.2",
        created: 1_504_129_275.4,
        hash: Some("2142e42a19e0955cc09e43600bf2e633df1917b69d2be9693737dfd62e0fdf61"),
        steps: &[Step {
            name: "aws:runPowerShellScript",
            action: "aws:runPowerShellScript",
            platform: None,
        }],
        params: &[
            ParamDef {
                min_items: Some(1),
                display_type: Some("textarea"),
                ..param(
                    "commands",
                    ParamType::StringList,
                    "(Required) Specify the commands to run or the paths to existing scripts on the instance.",
                )
            },
            WORKING_DIRECTORY,
            EXECUTION_TIMEOUT,
        ],
    },
    DocDef {
        name: "AWS-RunPatchBaseline",
        description: "Scan for or install patches from a patch baseline to a Linux, macOS or Windows instance.",
        platforms: &["Windows", "Linux", "MacOS"],
        schema: "2.2",
        created: 1_528_837_712.5,
        hash: None,
        steps: &[
            Step {
                name: "PatchWindows",
                action: "aws:runPowerShellScript",
                platform: Some("Windows"),
            },
            Step {
                name: "PatchLinux",
                action: "aws:runShellScript",
                platform: Some("Linux"),
            },
            Step {
                name: "PatchMacOS",
                action: "aws:runShellScript",
                platform: Some("MacOS"),
            },
        ],
        params: &[
            ParamDef {
                allowed: &["Scan", "Install"],
                ..param(
                    "Operation",
                    ParamType::String,
                    "(Required) The update or configuration to perform on the instance. The system checks if patches specified in the patch baseline are installed on the instance. The install operation installs patches missing from the baseline.",
                )
            },
            ParamDef {
                default: Some(""),
                pattern: Some(Pattern {
                    text: "(^$)|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                    check: empty_or_uuid,
                }),
                ..param(
                    "SnapshotId",
                    ParamType::String,
                    "(Optional) The snapshot ID to use to retrieve a patch baseline snapshot.",
                )
            },
            ParamDef {
                default: Some(""),
                pattern: Some(S3_URL_PATTERN),
                ..param(
                    "InstallOverrideList",
                    ParamType::String,
                    "(Optional) An https URL or an Amazon S3 path-style URL to a list of patches to be installed. This patch installation list overrides the patches specified by the default patch baseline.",
                )
            },
            ParamDef {
                default: Some("RebootIfNeeded"),
                allowed: &["RebootIfNeeded", "NoReboot"],
                ..param(
                    "RebootOption",
                    ParamType::String,
                    "(Optional) Reboot behavior after a patch Install operation. If you choose NoReboot and patches are installed, the instance is marked as non-compliant until a subsequent reboot and scan.",
                )
            },
            ParamDef {
                default: Some(""),
                pattern: Some(S3_URL_PATTERN),
                ..param(
                    "BaselineOverride",
                    ParamType::String,
                    "(Optional) Uses the patch baselines provided in a JSON file at an Amazon S3 path-style URL instead of the default patch baseline.",
                )
            },
            ParamDef {
                default: Some(""),
                ..param(
                    "AssociationId",
                    ParamType::String,
                    "(Optional) The ID of the State Manager association (patch policies).",
                )
            },
        ],
    },
    DocDef {
        name: "AWS-ConfigureAWSPackage",
        description: "Install or uninstall a Distributor package. You can install the latest version, default version, or a version of the package you specify.",
        platforms: &["Windows", "Linux", "MacOS"],
        schema: "2.2",
        created: 1_542_405_360.0,
        hash: None,
        steps: &[Step {
            name: "configurePackage",
            action: "aws:configurePackage",
            platform: None,
        }],
        params: &[
            ParamDef {
                allowed: &["Install", "Uninstall"],
                ..param(
                    "action",
                    ParamType::String,
                    "(Required) Specify whether or not to install or uninstall the package.",
                )
            },
            ParamDef {
                default: Some("Uninstall and reinstall"),
                allowed: &["Uninstall and reinstall", "In-place update"],
                ..param(
                    "installationType",
                    ParamType::String,
                    "(Optional) Specify the type of installation. Uninstall and reinstall: The application is taken offline until the reinstallation process completes. In-place update: The application is available while new or updated files are added to the installation.",
                )
            },
            ParamDef {
                pattern: Some(Pattern {
                    text: "^[a-zA-Z0-9/:.\\-_]{1,128}$",
                    check: package_name,
                }),
                ..param(
                    "name",
                    ParamType::String,
                    "(Required) The package to install/uninstall (e.g. AmazonCloudWatchAgent, AWSPVDriver).",
                )
            },
            ParamDef {
                default: Some(""),
                pattern: Some(Pattern {
                    text: "^[a-zA-Z0-9._-]{0,128}$",
                    check: version_or_empty,
                }),
                ..param(
                    "version",
                    ParamType::String,
                    "(Optional) The version of the package to install or uninstall. If you don't specify a version, the system installs the latest published version by default.",
                )
            },
            ParamDef {
                default: Some("{}"),
                ..param(
                    "additionalArguments",
                    ParamType::String,
                    "(Optional) The additional parameters to provide to your install, uninstall, or update scripts.",
                )
            },
        ],
    },
    DocDef {
        name: "AWS-UpdateSSMAgent",
        description: "Update the Amazon SSM Agent to the specified version.",
        platforms: &["Windows", "Linux", "MacOS"],
        schema: "1.2",
        created: 1_504_129_410.2,
        hash: None,
        steps: &[Step {
            name: "aws:updateSsmAgent",
            action: "aws:updateSsmAgent",
            platform: None,
        }],
        params: &[
            ParamDef {
                default: Some(""),
                pattern: Some(Pattern {
                    text: "(^(?:(\\d+)\\.)(?:(\\d+)\\.)(?:(\\d+)\\.)(\\d+)$|^$)",
                    check: agent_version_or_empty,
                }),
                ..param(
                    "version",
                    ParamType::String,
                    "(Optional) The version of SSM Agent to install. Leave empty for the latest version.",
                )
            },
            ParamDef {
                default: Some("false"),
                allowed: &["true", "false"],
                ..param(
                    "allowDowngrade",
                    ParamType::String,
                    "(Optional) Allow SSM Agent to be downgraded to an earlier version.",
                )
            },
        ],
    },
];

fn agent_version_or_empty(s: &str) -> bool {
    s.is_empty() || {
        let parts: Vec<&str> = s.split('.').collect();
        parts.len() == 4
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// The document's Sha256 hash: the published one, or 64 hex digits derived from the content.
pub fn hash(d: &DocDef) -> String {
    if let Some(h) = d.hash {
        return h.to_string();
    }
    let text = content(d);
    (0..4u64)
        .map(|round| {
            let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64 ^ round, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            format!("{h:016x}")
        })
        .collect()
}

/// The document a name or ARN (`arn:aws:ssm:<region>::document/AWS-RunShellScript`) refers to.
pub fn find(name: &str) -> Option<&'static DocDef> {
    let short = name.rsplit('/').next().unwrap_or(name);
    DOCUMENTS.iter().find(|d| d.name == short)
}

/// The error AWS gives for a document name it does not know.
pub fn invalid_document(name: &str) -> ApiError {
    err(
        "InvalidDocument",
        format!("Document {name} does not exist."),
    )
}

fn check_version(version: Option<&str>) -> Result<(), ApiError> {
    match version {
        None | Some("$DEFAULT" | "$LATEST" | "1") => Ok(()),
        Some(v) => Err(err(
            "InvalidDocumentVersion",
            format!("Document version {v} does not exist."),
        )),
    }
}

/// The parameters of a SendCommand checked against `doc` as the service does, with the
/// defaults filled in: unknown names and missing required values are `InvalidParameters`
/// with an empty message (what AWS answers); a value outside `allowedValues` or against
/// `allowedPattern` names the parameter.
pub fn check_parameters(doc: &DocDef, params: &Value) -> Result<Map<String, Value>, ApiError> {
    let empty = Map::new();
    let given = match params {
        Value::Null => &empty,
        Value::Object(m) => m,
        _ => return Err(err("InvalidParameters", "")),
    };
    if given.keys().any(|k| doc.param(k).is_none()) {
        return Err(err("InvalidParameters", ""));
    }
    let mut out = Map::new();
    for p in doc.params {
        let values: Vec<String> = match given.get(p.name) {
            None | Some(Value::Null) => match p.default {
                Some(d) => vec![d.to_string()],
                None => return Err(err("InvalidParameters", "")),
            },
            Some(Value::Array(a)) => {
                let mut v = Vec::with_capacity(a.len());
                for item in a {
                    match item.as_str() {
                        Some(s) => v.push(s.to_string()),
                        None => return Err(err("InvalidParameters", "")),
                    }
                }
                v
            }
            Some(_) => return Err(err("InvalidParameters", "")),
        };
        if p.ty == ParamType::String && values.len() > 1 {
            return Err(err(
                "InvalidParameters",
                format!(
                    "Parameter \"{}\" is of type String and takes one value, not {}.",
                    p.name,
                    values.len()
                ),
            ));
        }
        if p.default.is_none() && values.iter().all(|v| v.is_empty()) {
            return Err(err("InvalidParameters", ""));
        }
        if let Some(min) = p.min_items
            && values.len() < min
        {
            return Err(err("InvalidParameters", ""));
        }
        for v in &values {
            if !p.allowed.is_empty() && !p.allowed.contains(&v.as_str()) {
                return Err(err(
                    "InvalidParameters",
                    format!(
                        "Parameter \"{}\" has value \"{v}\" not found in [{}].",
                        p.name,
                        p.allowed.join(", ")
                    ),
                ));
            }
            if let Some(pat) = p.pattern
                && !(pat.check)(v)
            {
                return Err(err(
                    "InvalidParameters",
                    format!(
                        "Parameter \"{}\" value \"{v}\" does not match the allowed pattern {}.",
                        p.name, pat.text
                    ),
                ));
            }
            if let Some(max) = p.max_chars
                && v.chars().count() > max
            {
                return Err(err(
                    "InvalidParameters",
                    format!("Parameter \"{}\" is longer than {max} characters.", p.name),
                ));
            }
        }
        out.insert(
            p.name.to_string(),
            Value::Array(values.into_iter().map(Value::String).collect()),
        );
    }
    Ok(out)
}

fn identifier(d: &DocDef) -> Value {
    json!({
        "Name": d.name,
        "CreatedDate": d.created,
        "Owner": "Amazon",
        "PlatformTypes": d.platforms,
        "DocumentVersion": "1",
        "DocumentType": "Command",
        "SchemaVersion": d.schema,
        "DocumentFormat": "JSON",
        "Tags": [],
    })
}

/// A filter of ListDocuments (`Filters` or the deprecated `DocumentFilterList`).
enum DocFilter {
    NamePrefix(Vec<String>),
    Owner(String),
    Platforms(Vec<String>),
    DocType(Vec<String>),
    /// Tags: AWS-owned documents have none.
    Tag,
}

impl DocFilter {
    fn matches(&self, d: &DocDef) -> bool {
        match self {
            DocFilter::NamePrefix(v) => v.iter().any(|p| d.name.starts_with(p.as_str())),
            // The AWS-owned documents are owned by Amazon (and public).
            DocFilter::Owner(o) => matches!(o.as_str(), "Amazon" | "Public"),
            DocFilter::Platforms(v) => v.iter().any(|p| d.supports(p)),
            DocFilter::DocType(v) => v.iter().any(|t| t == "Command"),
            DocFilter::Tag => false,
        }
    }
}

fn parse_doc_filters(input: &Value) -> Result<Vec<DocFilter>, ApiError> {
    let legacy = page::opt_list(input, "DocumentFilterList")?;
    let modern = page::opt_list(input, "Filters")?;
    let mut out = Vec::new();
    let invalid_key = |k: &str| {
        err(
            "InvalidFilterKey",
            format!("The filter key {k} is not valid."),
        )
    };
    for f in legacy {
        let key = page::req_str(f, "key")?;
        let value = page::req_str(f, "value")?.to_string();
        out.push(match key {
            "Name" => DocFilter::NamePrefix(vec![value]),
            "Owner" => DocFilter::Owner(value),
            "PlatformTypes" => DocFilter::Platforms(vec![value]),
            "DocumentType" => DocFilter::DocType(vec![value]),
            k => return Err(invalid_key(k)),
        });
    }
    let mut owners = 0;
    for f in modern {
        let key = page::req_str(f, "Key")?;
        let values: Vec<String> = page::str_list(f, "Values")?
            .into_iter()
            .map(String::from)
            .collect();
        out.push(match key {
            "Name" => DocFilter::NamePrefix(values),
            "Owner" => {
                owners += 1;
                // "only one Owner can be specified in a request"
                match values.as_slice() {
                    [o] if owners == 1 => DocFilter::Owner(o.clone()),
                    _ => {
                        return Err(err(
                            "InvalidFilterValue",
                            "Only one Owner can be specified in a request.",
                        ));
                    }
                }
            }
            "PlatformTypes" => DocFilter::Platforms(values),
            "DocumentType" => DocFilter::DocType(values),
            "SearchKeyword" => DocFilter::NamePrefix(values),
            "TargetType" => DocFilter::Tag,
            k if k.starts_with("tag:") => DocFilter::Tag,
            k => return Err(invalid_key(k)),
        });
    }
    Ok(out)
}

pub fn list_documents(input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "ListDocuments";
    let max = page::max_results(input, "MaxResults", 1, 50, 50)?;
    let filters = parse_doc_filters(input)?;
    let start = page::start_offset(OP, input)?;
    let docs: Vec<&DocDef> = DOCUMENTS
        .iter()
        .filter(|d| filters.iter().all(|f| f.matches(d)))
        .collect();
    let (items, next) = page::page(OP, input, &docs, start, max);
    Ok(page::with_token(
        json!({ "DocumentIdentifiers": items.iter().map(|d| identifier(d)).collect::<Vec<_>>() }),
        next,
    ))
}

pub fn describe_document(input: &Value) -> Result<Value, ApiError> {
    let name = page::req_str(input, "Name")?;
    let d = find(name).ok_or_else(|| invalid_document(name))?;
    check_version(page::opt_str(input, "DocumentVersion")?)?;
    let params: Vec<Value> = d
        .params
        .iter()
        .map(|p| {
            let mut v =
                json!({"Name": p.name, "Type": p.ty.as_str(), "Description": p.description});
            if let Some(def) = p.default {
                v["DefaultValue"] = json!(def);
            }
            v
        })
        .collect();
    Ok(json!({ "Document": {
        "Hash": hash(d),
        "HashType": "Sha256",
        "Name": d.name,
        "Owner": "Amazon",
        "CreatedDate": d.created,
        "Status": "Active",
        "DocumentVersion": "1",
        "Description": d.description,
        "Parameters": params,
        "PlatformTypes": d.platforms,
        "DocumentType": "Command",
        "SchemaVersion": d.schema,
        "LatestVersion": "1",
        "DefaultVersion": "1",
        "DocumentFormat": "JSON",
        "Tags": [],
    }}))
}

/// The document content (JSON) with its parameter definitions, as GetDocument returns it.
pub fn content(d: &DocDef) -> String {
    let mut params = Map::new();
    for p in d.params {
        let mut v = Map::new();
        v.insert("type".into(), json!(p.ty.as_str()));
        v.insert("description".into(), json!(p.description));
        if let Some(def) = p.default {
            v.insert("default".into(), json!(def));
        }
        if !p.allowed.is_empty() {
            v.insert("allowedValues".into(), json!(p.allowed));
        }
        if let Some(pat) = p.pattern {
            v.insert("allowedPattern".into(), json!(pat.text));
        }
        if let Some(n) = p.min_items {
            v.insert("minItems".into(), json!(n));
        }
        if let Some(n) = p.max_chars {
            v.insert("maxChars".into(), json!(n));
        }
        if let Some(t) = p.display_type {
            v.insert("displayType".into(), json!(t));
        }
        params.insert(p.name.to_string(), Value::Object(v));
    }
    let inputs = |step: &Step| -> Value {
        let mut m = Map::new();
        for p in d.params {
            let key = match (step.action, p.name) {
                ("aws:runShellScript" | "aws:runPowerShellScript", "commands") => "runCommand",
                ("aws:runShellScript" | "aws:runPowerShellScript", "executionTimeout") => {
                    "timeoutSeconds"
                }
                (_, n) => n,
            };
            m.insert(key.to_string(), json!(format!("{{{{ {} }}}}", p.name)));
        }
        Value::Object(m)
    };
    let body = if d.schema == "1.2" {
        let mut rc = Map::new();
        for s in d.steps {
            let mut props = inputs(s);
            props["id"] = json!(format!("0.{}", s.action));
            rc.insert(s.action.to_string(), json!({ "properties": [props] }));
        }
        json!({"schemaVersion": d.schema, "description": d.description,
               "parameters": params, "runtimeConfig": rc})
    } else {
        let steps: Vec<Value> = d
            .steps
            .iter()
            .map(|s| {
                let mut v = json!({"action": s.action, "name": s.name, "inputs": inputs(s)});
                if let Some(p) = s.platform {
                    v["precondition"] = json!({"StringEquals": ["platformType", p]});
                }
                v
            })
            .collect();
        json!({"schemaVersion": d.schema, "description": d.description,
               "parameters": params, "mainSteps": steps})
    };
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

pub fn get_document(input: &Value) -> Result<Value, ApiError> {
    let name = page::req_str(input, "Name")?;
    let d = find(name).ok_or_else(|| invalid_document(name))?;
    check_version(page::opt_str(input, "DocumentVersion")?)?;
    if let Some(f) = page::opt_str(input, "DocumentFormat")?
        && f != "JSON"
    {
        // The simulator keeps the JSON form only; YAML is the same content.
        return Err(err(
            "InvalidDocumentOperation",
            format!("The simulator serves {name} as JSON only."),
        ));
    }
    Ok(json!({
        "Name": d.name,
        "CreatedDate": d.created,
        "DocumentVersion": "1",
        "Status": "Active",
        "Content": content(d),
        "DocumentType": "Command",
        "DocumentFormat": "JSON",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str) -> &'static DocDef {
        find(name).unwrap()
    }

    #[test]
    fn parameters_are_checked_and_defaults_filled() {
        let d = doc("AWS-RunShellScript");
        let ok = check_parameters(d, &json!({"commands": ["uptime"]})).unwrap();
        assert_eq!(ok["executionTimeout"], json!(["3600"]));
        assert_eq!(ok["workingDirectory"], json!([""]));
        // unknown parameter: InvalidParameters with an empty message, as AWS
        let e = check_parameters(d, &json!({"commands": ["x"], "shell": ["bash"]})).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("InvalidParameters", "")
        );
        // missing required
        let e = check_parameters(d, &json!({})).unwrap_err();
        assert_eq!(e.code, "InvalidParameters");
        let e = check_parameters(
            d,
            &json!({"commands": ["x"], "executionTimeout": ["172801"]}),
        )
        .unwrap_err();
        assert!(e.message.contains("executionTimeout"), "{}", e.message);
        let p = doc("AWS-RunPatchBaseline");
        let e = check_parameters(p, &json!({"Operation": ["install"]})).unwrap_err();
        assert_eq!(
            e.message,
            "Parameter \"Operation\" has value \"install\" not found in [Scan, Install]."
        );
        let ok = check_parameters(p, &json!({"Operation": ["Install"]})).unwrap();
        assert_eq!(ok["RebootOption"], json!(["RebootIfNeeded"]));
        let e = check_parameters(p, &json!({"Operation": ["Scan"], "SnapshotId": ["nope"]}))
            .unwrap_err();
        assert!(e.message.contains("SnapshotId"));
        let e = check_parameters(p, &json!({"Operation": ["Scan", "Install"]})).unwrap_err();
        assert!(e.message.contains("type String"), "{}", e.message);
    }

    #[test]
    fn arn_names_and_patterns() {
        assert_eq!(
            find("arn:aws:ssm:us-east-1::document/AWS-UpdateSSMAgent").map(|d| d.name),
            Some("AWS-UpdateSSMAgent")
        );
        assert!(find("AWS-Nope").is_none());
        assert!(execution_timeout("172800") && !execution_timeout("0") && !execution_timeout("05"));
        assert!(empty_or_url("s3://bucket/key.yaml") && !empty_or_url("s3://bucket/"));
        assert!(agent_version_or_empty("3.3.1611.0") && !agent_version_or_empty("3.3"));
    }

    #[test]
    fn content_carries_allowed_values() {
        let c: Value = serde_json::from_str(&content(doc("AWS-RunPatchBaseline"))).unwrap();
        assert_eq!(
            c["parameters"]["Operation"]["allowedValues"],
            json!(["Scan", "Install"])
        );
        assert_eq!(c["mainSteps"][1]["name"], "PatchLinux");
        let s: Value = serde_json::from_str(&content(doc("AWS-RunShellScript"))).unwrap();
        assert_eq!(
            s["runtimeConfig"]["aws:runShellScript"]["properties"][0]["runCommand"],
            "{{ commands }}"
        );
    }

    #[test]
    fn list_filters_and_pages() {
        let all = list_documents(&json!({})).unwrap();
        assert_eq!(
            all["DocumentIdentifiers"].as_array().unwrap().len(),
            DOCUMENTS.len()
        );
        let win =
            list_documents(&json!({"Filters": [{"Key": "PlatformTypes", "Values": ["Windows"]}]}))
                .unwrap();
        let names: Vec<&str> = win["DocumentIdentifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["Name"].as_str().unwrap())
            .collect();
        assert!(!names.contains(&"AWS-RunShellScript"));
        assert!(names.contains(&"AWS-RunPowerShellScript"));
        let mine =
            list_documents(&json!({"Filters": [{"Key": "Owner", "Values": ["Self"]}]})).unwrap();
        assert!(mine["DocumentIdentifiers"].as_array().unwrap().is_empty());
        let prefix =
            list_documents(&json!({"Filters": [{"Key": "Name", "Values": ["AWS-Run"]}]})).unwrap();
        assert_eq!(prefix["DocumentIdentifiers"].as_array().unwrap().len(), 3);
        let p1 = list_documents(&json!({"MaxResults": 2})).unwrap();
        let tok = p1["NextToken"].as_str().unwrap();
        let p2 = list_documents(&json!({"MaxResults": 2, "NextToken": tok})).unwrap();
        assert_ne!(p1["DocumentIdentifiers"][0], p2["DocumentIdentifiers"][0]);
        let bad = list_documents(&json!({"Filters": [{"Key": "Colour", "Values": ["x"]}]}));
        assert_eq!(bad.unwrap_err().code, "InvalidFilterKey");
    }
}
