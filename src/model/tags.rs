//! Node tags (`Environment`, `Team`, `Patch Group`, `Name`, …), read in the background on
//! the patch schedules' cadence (`crate::fleet::tags`) and carried with them: a node's tags
//! are read when it is new, and re-read about once a [`TAGS_MAX_AGE`], the fleet's re-reads
//! spread evenly over the passes ([`NodeTags::plan`]).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::collect_error::CollectError;
use super::node::NodeKey;

/// How old a node's tags get before they are read again. Tags change rarely (`Name`,
/// `Environment`, `Team`, `Patch Group` are set at launch and edited by hand), and each
/// read is one call per node, so the fleet's tags are re-read once a day: 40,000 nodes cost
/// ~1,700 calls an hour, not 40,000.
pub const TAGS_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// No node's tags are re-read younger than this. The re-reads are spread evenly over the
/// passes ([`NodeTags::plan`]); starting at half the max age lets the first cycle after a
/// cold start (every node read in the same hour) spread out while every age stays under
/// 1.5 × [`TAGS_MAX_AGE`]; once spread, each node is re-read when about [`TAGS_MAX_AGE`] old.
pub const TAGS_REREAD_AFTER: Duration = Duration::from_secs(12 * 60 * 60);

/// The SSM API that reads a node's tags: SSM holds a hybrid (`mi-`) node's tags
/// (ListTagsForResource); an EC2 instance's SSM copy is its `AWS:Tag` inventory
/// (ListInventoryEntries). See `crate::fleet::tags`.
pub fn api_for(instance_id: &str) -> &'static str {
    if instance_id.starts_with("mi-") {
        "ListTagsForResource"
    } else {
        "ListInventoryEntries"
    }
}

/// What one tag pass reads ([`NodeTags::plan`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TagPlan {
    /// The nodes to read, in the order planned.
    pub read: Vec<NodeKey>,
    /// Of them, nodes never read.
    pub new: usize,
    /// Of them, re-reads of the oldest tags.
    pub aged: usize,
    /// Of them, one node per account × region × API that failed last pass (a probe).
    pub probes: usize,
    /// Nodes whose re-read is due but left to later passes (spreading), or held back
    /// behind a failing probe.
    pub deferred: usize,
}

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
    /// When the last tag pass ran (`None` = never).
    pub fetched_at: Option<DateTime<Utc>>,
    /// When each node's tags were read (unix seconds), parallel to `nodes`. Absent from
    /// caches written before it existed: `fetched_at` stands in (see [`NodeTags::read_time`]).
    #[serde(default)]
    pub read_at: Vec<i64>,
}

impl NodeTags {
    /// The tags of `key`, or `None` when they were not read.
    pub fn of(&self, key: &NodeKey) -> Option<&[Tag]> {
        self.nodes
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .map(|i| self.nodes[i].1.as_slice())
    }

    /// Keep `nodes` (and their read times) sorted after filling it. Nodes pushed without a
    /// read time (straight into `nodes`) take `fetched_at`.
    pub fn sort(&mut self) {
        let dflt = self.fetched_at.map_or(0, |t| t.timestamp());
        self.read_at.resize(self.nodes.len(), dflt);
        let mut both: Vec<((NodeKey, Vec<Tag>), i64)> = std::mem::take(&mut self.nodes)
            .into_iter()
            .zip(std::mem::take(&mut self.read_at))
            .collect();
        both.sort_by(|a, b| a.0.0.cmp(&b.0.0));
        both.dedup_by(|a, b| a.0.0 == b.0.0);
        (self.nodes, self.read_at) = both.into_iter().unzip();
    }

    /// Add a node's tags read at `at` (call [`NodeTags::sort`] after filling).
    pub fn push(&mut self, key: NodeKey, tags: Vec<Tag>, at: DateTime<Utc>) {
        let dflt = self.fetched_at.map_or(0, |t| t.timestamp());
        self.read_at.resize(self.nodes.len(), dflt);
        self.nodes.push((key, tags));
        self.read_at.push(at.timestamp());
    }

    fn index(&self, key: &NodeKey) -> Option<usize> {
        self.nodes.binary_search_by(|(k, _)| k.cmp(key)).ok()
    }

    /// When the tags of `nodes[i]` were read (`fetched_at` for caches without read times).
    pub fn read_time(&self, i: usize) -> Option<DateTime<Utc>> {
        match self.read_at.get(i) {
            Some(&s) if self.read_at.len() == self.nodes.len() => DateTime::from_timestamp(s, 0),
            _ => self.fetched_at,
        }
    }

    /// When the tags of `key` were read, if they were.
    pub fn read_time_of(&self, key: &NodeKey) -> Option<DateTime<Utc>> {
        self.index(key).and_then(|i| self.read_time(i))
    }

    /// The tag pass at `now` over the fleet's `keys`: every node never read; one node per
    /// account × region × API whose read failed last pass (a probe: the rest of that unit
    /// waits until it reads again, so a role without the API costs one call a pass, not one
    /// per node); and of the nodes read at least [`TAGS_REREAD_AFTER`] ago, only the oldest
    /// share, `keys × time since the last pass / TAGS_MAX_AGE` (all once that time exceeds
    /// the max age), so the fleet is re-read once per [`TAGS_MAX_AGE`] at an even rate,
    /// whatever the cadence of the passes (a manual one right after another reads next to
    /// nothing but the new nodes).
    pub fn plan(&self, keys: &[NodeKey], now: DateTime<Utc>) -> TagPlan {
        let reread_after = chrono::Duration::from_std(TAGS_REREAD_AFTER)
            .unwrap_or(chrono::Duration::hours(12))
            .num_seconds();
        let max_age = TAGS_MAX_AGE.as_secs().max(1) as i64;
        let now_s = now.timestamp();
        // account × region × API that failed last pass ("AssumeRole": the whole account × region)
        let failing: HashMap<(&str, &str), Vec<&str>> =
            self.errors.iter().fold(HashMap::new(), |mut m, e| {
                if let (Some(a), Some(r)) = (e.account_id.as_deref(), e.region.as_deref()) {
                    m.entry((a, r)).or_default().push(e.operation.as_str());
                }
                m
            });
        let group = |k: &NodeKey| -> Option<(String, String, &'static str)> {
            let ops = failing.get(&(k.account_id.as_str(), k.region.as_str()))?;
            let api = api_for(&k.instance_id);
            ops.iter()
                .any(|o| *o == api || *o == "AssumeRole")
                .then(|| (k.account_id.clone(), k.region.clone(), api))
        };
        let mut plan = TagPlan::default();
        let mut probed: BTreeMap<(String, String, &'static str), ()> = BTreeMap::new();
        let mut aged: Vec<(i64, &NodeKey)> = Vec::new();
        for k in keys {
            let read = self.index(k).and_then(|i| self.read_time(i));
            let due_new = read.is_none();
            let due_aged = read.is_some_and(|t| now_s - t.timestamp() >= reread_after);
            if !(due_new || due_aged) {
                continue;
            }
            if let Some(g) = group(k) {
                if probed.insert(g, ()).is_none() {
                    plan.read.push(k.clone());
                    plan.probes += 1;
                } else {
                    plan.deferred += 1;
                }
                continue;
            }
            match read {
                None => {
                    plan.read.push(k.clone());
                    plan.new += 1;
                }
                Some(t) => aged.push((t.timestamp(), k)),
            }
        }
        let elapsed = self
            .fetched_at
            .map_or(max_age, |t| (now_s - t.timestamp()).clamp(0, max_age));
        let share = ((keys.len() as i128 * elapsed as i128 + max_age as i128 - 1) / max_age as i128)
            as usize;
        aged.sort();
        plan.deferred += aged.len().saturating_sub(share);
        aged.truncate(share);
        plan.aged = aged.len();
        plan.read.extend(aged.into_iter().map(|(_, k)| k.clone()));
        plan
    }

    pub fn is_read(&self) -> bool {
        self.fetched_at.is_some()
    }

    /// The node's tags for one line, or why there are none to show (raw: sanitize to draw).
    pub fn label(&self, key: &NodeKey) -> String {
        match self.of(key) {
            // an EC2 instance's tags are SSM's inventory copy (`AWS:Tag`): none there may
            // mean inventory is not collected on it, not that it has no tags
            Some([]) if key.instance_id.starts_with("i-") => {
                "(none in its AWS:Tag inventory)".into()
            }
            Some([]) => "(none)".into(),
            Some(tags) => one_line(tags),
            None if !self.is_read() => "not read yet (read in the background)".into(),
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

    fn keys(n: usize) -> Vec<NodeKey> {
        (0..n)
            .map(|i| NodeKey {
                account_id: format!("{:012}", i % 3),
                region: "us-east-1".into(),
                instance_id: if i % 4 == 0 {
                    format!("mi-{i:017x}")
                } else {
                    format!("i-{i:017x}")
                },
            })
            .collect()
    }

    /// One pass at `now`: reads everything planned (`fail`: these fail, keeping their tags
    /// and read time) and returns the tags after it, and the plan.
    fn pass(
        prev: &NodeTags,
        keys: &[NodeKey],
        now: DateTime<Utc>,
        fail: impl Fn(&NodeKey) -> bool,
    ) -> (NodeTags, TagPlan) {
        let plan = prev.plan(keys, now);
        let mut out = NodeTags {
            fetched_at: Some(now),
            ..NodeTags::default()
        };
        let planned: std::collections::HashSet<&NodeKey> = plan.read.iter().collect();
        for k in keys {
            if planned.contains(k) && !fail(k) {
                out.push(k.clone(), vec![t("Name", &k.instance_id)], now);
            } else if let Some(i) = prev.index(k) {
                out.push(
                    k.clone(),
                    prev.nodes[i].1.clone(),
                    prev.read_time(i).unwrap(),
                );
            }
            if planned.contains(k) && fail(k) {
                out.errors.push(CollectError {
                    account_id: Some(k.account_id.clone()),
                    region: Some(k.region.clone()),
                    service: "ssm".into(),
                    operation: api_for(&k.instance_id).into(),
                    code: "AccessDeniedException".into(),
                    message: String::new(),
                    at: Some(now),
                });
            }
        }
        out.sort();
        out.errors.dedup_by(|a, b| {
            (&a.account_id, &a.region, &a.operation) == (&b.account_id, &b.region, &b.operation)
        });
        (out, plan)
    }

    #[test]
    fn re_reads_spread_evenly_and_every_age_stays_bounded() {
        let keys = keys(2400);
        let hour = chrono::Duration::hours(1);
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let (mut tags, plan) = pass(&NodeTags::default(), &keys, t0, |_| false);
        assert_eq!(plan.read.len(), keys.len(), "a cold pass reads every node");
        assert_eq!(plan.new, keys.len());
        // a pass with nothing due reads nothing
        let (_, again) = pass(&tags, &keys, t0 + chrono::Duration::minutes(5), |_| false);
        assert_eq!(again.read.len(), 0, "{again:?}");
        let share = keys.len().div_ceil(24);
        let mut oldest = chrono::Duration::zero();
        for h in 1..=24 * 5 {
            let now = t0 + hour * h;
            let (next, plan) = pass(&tags, &keys, now, |_| false);
            assert!(
                plan.read.len() <= share,
                "hour {h}: {} re-reads, at most {share} (never the whole fleet at once)",
                plan.read.len()
            );
            tags = next;
            let age = (0..tags.nodes.len())
                .map(|i| now - tags.read_time(i).unwrap())
                .max()
                .unwrap();
            oldest = oldest.max(age);
            if h > 36 {
                assert!(
                    age <= chrono::Duration::from_std(TAGS_MAX_AGE).unwrap(),
                    "hour {h}: once spread, no tags older than the max age ({age})"
                );
                assert!(plan.read.len() + 1 >= share, "hour {h}: an even rate");
            }
        }
        assert!(oldest <= chrono::Duration::hours(36), "{oldest}");
    }

    #[test]
    fn new_nodes_are_read_at_once_and_gone_ones_drop_out() {
        let all = keys(100);
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let (tags, _) = pass(&NodeTags::default(), &all[..90], t0, |_| false);
        let later = t0 + chrono::Duration::minutes(1);
        let (tags2, plan) = pass(&tags, &all[10..], later, |_| false);
        assert_eq!(plan.new, 10);
        assert_eq!(plan.read.len(), 10, "only the new nodes: {plan:?}");
        assert_eq!(tags2.nodes.len(), 90, "the 10 gone nodes dropped out");
        assert!(tags2.of(&all[0]).is_none() && tags2.of(&all[99]).is_some());
        assert_eq!(
            tags2.read_time_of(&all[50]),
            Some(t0),
            "an unread node keeps its age"
        );
    }

    #[test]
    fn a_failing_unit_keeps_its_tags_and_age_and_costs_one_probe_a_pass() {
        let keys = keys(300);
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let (tags, _) = pass(&NodeTags::default(), &keys, t0, |_| false);
        let denied =
            |k: &NodeKey| k.account_id == keys[1].account_id && !k.instance_id.starts_with("mi-");
        let day = t0 + chrono::Duration::days(2);
        let (tags2, plan) = pass(&tags, &keys, day, denied);
        assert_eq!(
            plan.read.len(),
            keys.len(),
            "two days on, every node is due"
        );
        assert_eq!(tags2.errors.len(), 1, "one error: account × region × API");
        for k in keys.iter().filter(|k| denied(k)) {
            assert_eq!(tags2.of(k), tags.of(k), "kept");
            assert_eq!(tags2.read_time_of(k), Some(t0), "its age is not reset");
        }
        let (tags3, plan3) = pass(&tags2, &keys, day + chrono::Duration::hours(1), denied);
        assert_eq!(plan3.probes, 1, "{plan3:?}");
        assert_eq!(plan3.read.len(), 1, "one call probes the failing unit");
        assert_eq!(tags3.errors.len(), 1, "and it is still listed");
        // readable again: the probe succeeds; the rest, now the oldest, go first in the
        // next passes' shares
        let (tags4, _) = pass(&tags3, &keys, day + chrono::Duration::hours(2), |_| false);
        assert!(tags4.errors.is_empty());
        let (_, plan5) = pass(&tags4, &keys, day + chrono::Duration::hours(3), |_| false);
        assert_eq!(plan5.aged, keys.len().div_ceil(24));
        assert!(plan5.read.iter().all(denied), "{plan5:?}");
    }

    #[test]
    fn caches_without_read_times_use_the_pass_time() {
        let json = r#"{"nodes":[[{"account_id":"1","region":"r","instance_id":"i-1"},[{"key":"Name","value":"a"}]]],"errors":[],"fetched_at":"2026-11-01T00:00:00Z"}"#;
        let tags: NodeTags = serde_json::from_str(json).unwrap();
        let k = &tags.nodes[0].0;
        assert_eq!(
            tags.read_time_of(k),
            Some(
                DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
                    .unwrap()
                    .to_utc()
            )
        );
    }
}
