//! SSM documents: SDK → model conversions, ListDocuments filters, and the parameter details
//! only a document's content has (`allowedValues`, `allowedPattern`).

use aws_sdk_ssm::types::{DocumentIdentifier, DocumentKeyValuesFilter};

use crate::model::{DocumentDescription, DocumentFilter, DocumentParameter, DocumentSummary};

/// ListDocuments `Filters` for `f` (the name prefix is matched client-side).
pub(super) fn filters(f: &DocumentFilter) -> Vec<DocumentKeyValuesFilter> {
    [
        ("Owner", &f.owner),
        ("DocumentType", &f.document_type),
        ("PlatformTypes", &f.platform_type),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        let v = v.as_deref()?.trim();
        (!v.is_empty()).then(|| {
            DocumentKeyValuesFilter::builder()
                .key(k)
                .values(v.to_string())
                .build()
        })
    })
    .collect()
}

fn text(s: Option<&str>) -> String {
    s.unwrap_or_default().to_string()
}

fn platforms(p: &[aws_sdk_ssm::types::PlatformType]) -> Vec<String> {
    p.iter().map(|p| p.as_str().to_string()).collect()
}

pub(super) fn summary_from_sdk(d: &DocumentIdentifier) -> DocumentSummary {
    DocumentSummary {
        name: text(d.name()),
        owner: text(d.owner()),
        document_type: d
            .document_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        document_format: d
            .document_format()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        platform_types: platforms(d.platform_types()),
        document_version: text(d.document_version()),
        schema_version: text(d.schema_version()),
        target_type: text(d.target_type()),
    }
}

pub(super) fn description_from_sdk(
    d: &aws_sdk_ssm::types::DocumentDescription,
) -> DocumentDescription {
    DocumentDescription {
        name: text(d.name()),
        owner: text(d.owner()),
        description: text(d.description()),
        document_type: d
            .document_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        document_format: d
            .document_format()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        platform_types: platforms(d.platform_types()),
        document_version: text(d.document_version()),
        default_version: text(d.default_version()),
        latest_version: text(d.latest_version()),
        status: d
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        parameters: d
            .parameters()
            .iter()
            .map(|p| DocumentParameter {
                name: text(p.name()),
                kind: p
                    .r#type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                description: text(p.description()),
                default_value: p.default_value().map(String::from),
                allowed_values: Vec::new(),
                allowed_pattern: None,
            })
            .collect(),
        content_error: None,
    }
}

/// Add what only the content (GetDocument, JSON) says about the parameters: allowed values
/// and patterns, and any parameter DescribeDocument did not list.
pub(super) fn apply_content(doc: &mut DocumentDescription, content: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(content)
        .map_err(|e| format!("allowed values unknown: the content is not JSON ({e})"))?;
    let Some(params) = v.get("parameters").and_then(|p| p.as_object()) else {
        return Ok(()); // a document without parameters
    };
    for (name, spec) in params {
        let i = match doc.parameters.iter().position(|p| &p.name == name) {
            Some(i) => i,
            None => {
                doc.parameters.push(DocumentParameter {
                    name: name.clone(),
                    kind: str_field(spec, "type").unwrap_or_default(),
                    description: str_field(spec, "description").unwrap_or_default(),
                    default_value: spec.get("default").map(value_text),
                    ..DocumentParameter::default()
                });
                doc.parameters.len() - 1
            }
        };
        let p = &mut doc.parameters[i];
        if let Some(vals) = spec.get("allowedValues").and_then(|a| a.as_array()) {
            p.allowed_values = vals.iter().map(value_text).collect();
        }
        p.allowed_pattern = str_field(spec, "allowedPattern");
    }
    Ok(())
}

fn str_field(v: &serde_json::Value, k: &str) -> Option<String> {
    v.get(k).and_then(|s| s.as_str()).map(String::from)
}

/// A JSON value as a parameter value (`"Scan"` → `Scan`, `true` → `true`, lists as JSON).
fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_adds_allowed_values_and_patterns() {
        let mut doc = DocumentDescription {
            parameters: vec![DocumentParameter {
                name: "Operation".into(),
                kind: "String".into(),
                default_value: Some("Scan".into()),
                ..DocumentParameter::default()
            }],
            ..DocumentDescription::default()
        };
        let content = r#"{"schemaVersion":"2.2","parameters":{
            "Operation":{"type":"String","allowedValues":["Scan","Install"],"default":"Scan"},
            "SnapshotId":{"type":"String","default":"","allowedPattern":"(^$)|^[{]?[0-9a-fA-F]{8}"},
            "RebootOption":{"type":"String","allowedValues":["RebootIfNeeded","NoReboot"],"default":"RebootIfNeeded"},
            "Flag":{"type":"Boolean","default":false}}}"#;
        apply_content(&mut doc, content).unwrap();
        let p = |n: &str| doc.parameters.iter().find(|p| p.name == n).unwrap();
        assert_eq!(p("Operation").allowed_values, vec!["Scan", "Install"]);
        assert_eq!(p("Operation").default_value.as_deref(), Some("Scan"));
        assert!(p("SnapshotId").allowed_pattern.is_some());
        assert_eq!(p("RebootOption").allowed_values.len(), 2);
        assert_eq!(p("Flag").default_value.as_deref(), Some("false"));
        assert_eq!(p("Flag").kind, "Boolean");
    }

    #[test]
    fn unreadable_content_is_said_not_hidden() {
        let mut doc = DocumentDescription::default();
        let e = apply_content(&mut doc, "schemaVersion: '2.2'").unwrap_err();
        assert!(e.contains("allowed values unknown"), "{e}");
    }

    #[test]
    fn only_given_filters_are_sent() {
        let f = filters(&DocumentFilter {
            owner: Some("Amazon".into()),
            document_type: Some("Command".into()),
            platform_type: Some(" ".into()),
            name_prefix: Some("AWS-Run".into()),
        });
        let keys: Vec<_> = f.iter().map(|f| f.key().unwrap_or_default()).collect();
        assert_eq!(keys, vec!["Owner", "DocumentType"]);
    }
}
