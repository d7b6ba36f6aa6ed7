//! Node tags (`Environment`, `Team`, `Patch Group`, `Name`, …), read on the patch
//! schedules' slower cadence (`crate::fleet::tags`) and carried with them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::collect_error::CollectError;
use super::node::NodeKey;

/// One tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The tags of every node read, by node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeTags {
    /// Sorted by node key (binary search); a node absent here had its tags not read.
    pub nodes: Vec<(NodeKey, Vec<Tag>)>,
    /// One error per account × region × API that could not be read (those nodes keep the
    /// tags read before, or are absent).
    pub errors: Vec<CollectError>,
    /// When read (`None` = never).
    pub fetched_at: Option<DateTime<Utc>>,
}

impl NodeTags {
    /// The tags of `key`, or `None` when they were not read.
    pub fn of(&self, key: &NodeKey) -> Option<&[Tag]> {
        self.nodes
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .map(|i| self.nodes[i].1.as_slice())
    }

    /// Keep `nodes` sorted after filling it.
    pub fn sort(&mut self) {
        self.nodes.sort_by(|a, b| a.0.cmp(&b.0));
        self.nodes.dedup_by(|a, b| a.0 == b.0);
    }

    pub fn is_read(&self) -> bool {
        self.fetched_at.is_some()
    }

    /// The node's tags for one line, or why there are none to show (raw: sanitize to draw).
    pub fn label(&self, key: &NodeKey) -> String {
        match self.of(key) {
            Some([]) => "(none)".into(),
            Some(tags) => one_line(tags),
            None if !self.is_read() => "not read yet (read with the patch schedules)".into(),
            None => match self.errors.iter().find(|e| {
                e.account_id.as_deref() == Some(key.account_id.as_str())
                    && e.region.as_deref().is_none_or(|r| r == key.region)
            }) {
                Some(e) => format!("not read ({}: {})", e.operation, e.code),
                None => "not read".into(),
            },
        }
    }
}

/// Tag keys compare ignoring case and spaces, so `PatchGroup` (typed in a filter, where a
/// space ends the term) also finds `Patch Group`.
pub fn same_key(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    a.eq_ignore_ascii_case(b) || norm(a) == norm(b)
}

/// The value of tag `key` (tag keys are case-sensitive in AWS; users type them in any
/// case, so an exact match wins and a case-insensitive one is accepted).
pub fn value_of<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key == key)
        .or_else(|| tags.iter().find(|t| t.key.eq_ignore_ascii_case(key)))
        .map(|t| t.value.as_str())
}

/// `Key=Value` pairs joined for one line (`Environment=prod Team=payments`), `Name` first.
pub fn one_line(tags: &[Tag]) -> String {
    let mut v: Vec<&Tag> = tags.iter().collect();
    v.sort_by_key(|t| (t.key != "Name", t.key.to_ascii_lowercase()));
    v.iter()
        .map(|t| format!("{}={}", t.key, t.value))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `tag:` filter value: `Key=Value` (value a case-insensitive substring; `Key=` means an
/// empty value) or `Key` (the tag is present). Keys match as [`same_key`].
pub fn matches(tags: &[Tag], spec: &str) -> bool {
    match spec.split_once('=') {
        Some((k, v)) => tags.iter().any(|t| {
            same_key(&t.key, k)
                && if v.is_empty() {
                    t.value.is_empty()
                } else {
                    t.value.to_lowercase().contains(&v.to_lowercase())
                }
        }),
        None => tags.iter().any(|t| same_key(&t.key, spec)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn tag_specs_match_by_key_and_value() {
        let tags = [t("Patch Group", "Production"), t("Team", "payments")];
        assert!(matches(&tags, "team=payments") && matches(&tags, "team=pay"));
        assert!(matches(&tags, "patch group") && matches(&tags, "Team"));
        assert!(
            matches(&tags, "patchgroup=prod"),
            "a space in a key need not be typed"
        );
        assert!(!matches(&tags, "team=identity") && !matches(&tags, "owner"));
        assert_eq!(value_of(&tags, "team"), Some("payments"));
        assert_eq!(
            one_line(&[t("Team", "x"), t("Name", "web-01")]),
            "Name=web-01 Team=x"
        );
    }
}
