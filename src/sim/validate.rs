//! The model-constraint layer: AWS checks every request against the service model's
//! constraints (`min`/`max` length or value, `pattern`, `enum`, required members) before the
//! service looks at it, and answers `ValidationException` with every violation:
//! `2 validation errors detected: Value 'x' at 'instanceIds.1.member' failed to satisfy
//! constraint: Member must satisfy regular expression pattern: ...; Value ...`.
//!
//! The rules are data: one [`Rule`] list per operation (`crate::sim::ssm::rules`), written from
//! the model (botocore `ssm/2014-11-06/service-2.json`), checked by [`check`] before any handler
//! runs, so a bad instance id is a `ValidationException`, never an `InvalidInstanceId`, exactly
//! as the model orders it. Handlers keep their service-specific checks (unknown node, unknown
//! command, filter keys and values) for what the model cannot say.

use serde_json::Value;

use super::ApiError;

/// One constraint of the model.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// String length in characters, `min..=max` (`usize::MAX` = no maximum).
    Len(usize, usize),
    /// Integer value, `min..=max`.
    Range(i64, i64),
    /// The model's regular expression (as the message quotes it) and its matcher: a small
    /// function per pattern (see [`patterns`]), `\w` meaning ASCII word characters as in the
    /// Java expressions AWS validates with.
    Pattern(&'static str, fn(&str) -> bool),
    /// One of these values (case-sensitive, as the model's enum).
    Enum(&'static [&'static str]),
    /// List length, `min..=max`.
    Items(usize, usize),
}

/// Constraints on one member. `path` names it from the request root: `InstanceIds[]` is each
/// element of a list, `Filters[].Key` a member of each list element, `A.B` a nested member.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub path: &'static str,
    pub required: bool,
    pub checks: &'static [Check],
}

/// A member that must be present, with its checks.
pub const fn req(path: &'static str, checks: &'static [Check]) -> Rule {
    Rule {
        path,
        required: true,
        checks,
    }
}

/// An optional member's checks (they apply when it is present).
pub const fn opt(path: &'static str, checks: &'static [Check]) -> Rule {
    Rule {
        path,
        required: false,
        checks,
    }
}

/// No maximum.
pub const ANY: usize = usize::MAX;

/// Every violation of `rules` in `input`, as one `ValidationException` (or `Ok`).
pub fn check(input: &Value, rules: &[Rule]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for rule in rules {
        let segments: Vec<&str> = rule.path.split('.').collect();
        visit(input, &segments, &At::Root, rule, &mut errors);
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(ApiError::validation(format!(
            "1 validation error detected: {}",
            errors[0]
        ))),
        n => Err(ApiError::validation(format!(
            "{n} validation errors detected: {}",
            errors.join("; ")
        ))),
    }
}

/// Where a member is. Its name in AWS's wording (`filters.1.member.key`) is written only
/// for a message: a valid request (nearly all of them, 50 ids in a patch-state batch) builds
/// no string per member.
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    Member(&'a At<'a>, &'a str),
    Item(&'a At<'a>, usize),
}

impl At<'_> {
    fn render(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Member(parent, name) => join(&parent.render(), name),
            At::Item(parent, i) => format!("{}.{i}.member", parent.render()),
        }
    }
}

/// `instanceIds`, `filters.1.member.key`: how AWS names a member in its messages.
fn join(prefix: &str, name: &str) -> String {
    let mut c = name.chars();
    let lower: String = match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    };
    if prefix.is_empty() {
        lower
    } else {
        format!("{prefix}.{lower}")
    }
}

fn visit(v: &Value, segments: &[&str], at: &At<'_>, rule: &Rule, errors: &mut Vec<String>) {
    let Some((seg, rest)) = segments.split_first() else {
        return;
    };
    let (name, each) = match seg.strip_suffix("[]") {
        Some(n) => (n, true),
        None => (*seg, false),
    };
    let member = v.get(name).filter(|m| !m.is_null());
    let here = At::Member(at, name);
    let Some(member) = member else {
        // a missing parent (e.g. no Filters at all) is not the leaf's business
        if rule.required && rest.is_empty() && !each {
            errors.push(format!(
                "Value null at '{}' failed to satisfy constraint: Member must not be null",
                here.render()
            ));
        }
        return;
    };
    if each {
        let Some(items) = member.as_array() else {
            return; // the wrong JSON type is the deserializer's error (SerializationException)
        };
        for (i, item) in items.iter().enumerate() {
            let item_at = At::Item(&here, i + 1);
            if rest.is_empty() {
                leaf(item, &item_at, rule.checks, errors);
            } else {
                visit(item, rest, &item_at, rule, errors);
            }
        }
    } else if rest.is_empty() {
        leaf(member, &here, rule.checks, errors);
    } else {
        visit(member, rest, &here, rule, errors);
    }
}

fn leaf(v: &Value, at: &At<'_>, checks: &[Check], errors: &mut Vec<String>) {
    for c in checks {
        if let Some(why) = violation(v, c) {
            let shown = match v {
                Value::String(s) => s.clone(),
                Value::Array(a) => format!(
                    "[{}]",
                    a.iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                other => other.to_string(),
            };
            errors.push(format!(
                "Value '{shown}' at '{}' failed to satisfy constraint: {why}",
                at.render()
            ));
        }
    }
}

/// AWS's wording of a length (or list size) outside `lo..=hi`.
fn length(n: usize, lo: usize, hi: usize) -> Option<String> {
    if n < lo {
        Some(format!(
            "Member must have length greater than or equal to {lo}"
        ))
    } else if n > hi {
        Some(format!(
            "Member must have length less than or equal to {hi}"
        ))
    } else {
        None
    }
}

/// The model's wording of a failed constraint, or `None` when it holds.
fn violation(v: &Value, c: &Check) -> Option<String> {
    match *c {
        Check::Len(lo, hi) => length(v.as_str()?.chars().count(), lo, hi),
        Check::Range(lo, hi) => {
            let n = v.as_i64()?;
            if n < lo {
                Some(format!(
                    "Member must have value greater than or equal to {lo}"
                ))
            } else if n > hi {
                Some(format!("Member must have value less than or equal to {hi}"))
            } else {
                None
            }
        }
        Check::Pattern(p, matches) => {
            let s = v.as_str()?;
            (!matches(s)).then(|| format!("Member must satisfy regular expression pattern: {p}"))
        }
        Check::Enum(values) => {
            let s = v.as_str()?;
            (!values.contains(&s)).then(|| {
                format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                )
            })
        }
        // a list's size reads like a string's length in AWS's messages
        Check::Items(lo, hi) => length(v.as_array()?.len(), lo, hi),
    }
}

/// Matchers of the model's patterns, one per pattern text.
pub mod patterns {
    fn word(s: &str) -> bool {
        s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// `(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)`
    pub const INSTANCE_ID: &str = "(^i-(\\w{8}|\\w{17})$)|(^mi-\\w{17}$)";
    pub fn instance_id(s: &str) -> bool {
        match (s.strip_prefix("mi-"), s.strip_prefix("i-")) {
            (Some(r), _) => r.len() == 17 && word(r),
            (_, Some(r)) => (r.len() == 8 || r.len() == 17) && word(r),
            _ => false,
        }
    }

    /// `\p{L}\p{Z}\p{N}` and the listed punctuation.
    fn names(s: &str, punct: &str) -> bool {
        s.chars().all(|c| {
            c.is_alphabetic()
                || c.is_numeric()
                || (c.is_whitespace() && !c.is_control())
                || punct.contains(c)
        })
    }

    /// PatchGroup: `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`
    pub const PATCH_GROUP: &str = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";
    pub fn patch_group(s: &str) -> bool {
        names(s, "_.:/=+-@")
    }

    /// TargetKey: `^[\p{L}\p{Z}\p{N}_.:/=\-@]*$|resource-groups:ResourceTypeFilters|resource-groups:Name`
    pub const TARGET_KEY: &str =
        "^[\\p{L}\\p{Z}\\p{N}_.:/=\\-@]*$|resource-groups:ResourceTypeFilters|resource-groups:Name";
    pub fn target_key(s: &str) -> bool {
        names(s, "_.:/=-@")
            || s == "resource-groups:ResourceTypeFilters"
            || s == "resource-groups:Name"
    }

    /// DocumentARN: `^[a-zA-Z0-9_\-.:/]{3,128}$`
    pub const DOCUMENT_ARN: &str = "^[a-zA-Z0-9_\\-.:/]{3,128}$";
    pub fn document_arn(s: &str) -> bool {
        (3..=128).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.:/".contains(&b))
    }

    /// DocumentVersion: `([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)`
    pub const DOCUMENT_VERSION: &str = "([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)";
    pub fn document_version(s: &str) -> bool {
        s == "$LATEST"
            || s == "$DEFAULT"
            || (!s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
    }

    /// InventoryItemTypeName: `^(AWS|Custom):.*$`
    pub const INVENTORY_TYPE_NAME: &str = "^(AWS|Custom):.*$";
    pub fn inventory_type_name(s: &str) -> bool {
        (s.starts_with("AWS:") || s.starts_with("Custom:")) && !s.contains('\n')
    }

    /// MaxConcurrency: `^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$`
    pub const MAX_CONCURRENCY: &str = "^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$";
    pub fn max_concurrency(s: &str) -> bool {
        crate::sim::ssm::commands::valid_concurrency(s)
    }

    /// MaxErrors: `^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$`
    pub const MAX_ERRORS: &str = "^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$";
    pub fn max_errors(s: &str) -> bool {
        crate::sim::ssm::commands::valid_max_errors(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULES: &[Rule] = &[
        req("CommandId", &[Check::Len(36, 36)]),
        opt("InstanceIds", &[Check::Items(0, 2)]),
        opt(
            "InstanceIds[]",
            &[Check::Pattern(patterns::INSTANCE_ID, patterns::instance_id)],
        ),
        opt("Filters[].key", &[Check::Enum(&["Status", "DocumentName"])]),
        opt("MaxResults", &[Check::Range(1, 50)]),
    ];

    #[test]
    fn every_violation_is_listed_in_aws_words() {
        assert!(
            check(
                &json!({"CommandId": "x".repeat(36), "InstanceIds": ["i-0123456789abcdef0"]}),
                RULES
            )
            .is_ok()
        );
        let e = check(
            &json!({"InstanceIds": ["i-123", "mi-0123456789abcdef0", "i-ünïcödé"],
                    "Filters": [{"key": "Colour", "value": "x"}], "MaxResults": 51}),
            RULES,
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(e.status, 400);
        assert!(
            e.message.starts_with("6 validation errors detected: "),
            "{}",
            e.message
        );
        assert!(e.message.contains(
            "Value null at 'commandId' failed to satisfy constraint: Member must not be null"
        ));
        assert!(e.message.contains(patterns::INSTANCE_ID));
        assert!(e.message.contains("Value 'i-123' at 'instanceIds.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern"));
        assert!(
            e.message.contains("at 'instanceIds.3.member'"),
            "\\w is ASCII"
        );
        assert!(!e.message.contains("instanceIds.2.member"));
        assert!(e.message.contains("'filters.1.member.key'"));
        assert!(
            e.message
                .contains("Member must have value less than or equal to 50")
        );
        assert!(
            e.message
                .contains("Member must have length less than or equal to 2")
        );
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::patterns::*;

    #[test]
    fn patterns_match_what_the_model_allows() {
        assert!(instance_id("i-0123456789abcdef0") && instance_id("i-01234567"));
        assert!(instance_id("mi-0123456789abcdef0"));
        assert!(!instance_id("i-123") && !instance_id("mi-01234567") && !instance_id("x-01234567"));
        assert!(
            patch_group("Production")
                && patch_group("Web Servers/eu-1@x")
                && patch_group("Prod ü 1")
        );
        assert!(!patch_group("a;b") && !patch_group("a\tb"));
        assert!(target_key("tag:Patch Group") && target_key("InstanceIds"));
        assert!(target_key("resource-groups:Name") && !target_key("tag;x"));
        assert!(
            document_arn("AWS-RunPatchBaseline") && !document_arn("ab") && !document_arn("a b c")
        );
        for ok in ["$LATEST", "$DEFAULT", "1", "12"] {
            assert!(document_version(ok), "{ok}");
        }
        for bad in ["0", "01", "latest", "$LATEST1", ""] {
            assert!(!document_version(bad), "{bad}");
        }
        assert!(inventory_type_name("AWS:Application") && inventory_type_name("Custom:Rack"));
        assert!(!inventory_type_name("Application") && !inventory_type_name("aws:Application"));
    }
}
