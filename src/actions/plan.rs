//! Patch-now planning (pure): targets → exclusions → per account × region batches of at most
//! 50 instance ids, with rate controls, a blast-radius preview and the confirmation rule.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    FleetSnapshot, Node, NodeKey, PatchOperation, PingStatus, PlatformType, RebootOption,
};

use super::confirm::Confirmation;
use super::sizing::{self, GroupSizing};
use super::targets::{self, TargetScope};

/// The SSM document Patch now runs.
pub const PATCH_DOCUMENT: &str = "AWS-RunPatchBaseline";
/// SendCommand accepts at most 50 instance ids per call.
pub const MAX_IDS_PER_CALL: usize = 50;
/// SendCommand `Comment` limit.
pub const MAX_COMMENT_CHARS: usize = 100;

/// What the user chose in the action pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchOptions {
    pub operation: PatchOperation,
    /// Only sent for Install (a Scan never reboots a node).
    pub reboot: RebootOption,
    /// `None` = the console's Patch now sizing (see [`super::sizing`]).
    pub max_concurrency: Option<String>,
    pub max_errors: Option<String>,
    pub comment: String,
    /// Where AWS also writes the output (S3 bucket / prefix, CloudWatch Logs).
    pub output: crate::model::CommandOutputConfig,
}

impl Default for PatchOptions {
    fn default() -> Self {
        PatchOptions {
            operation: PatchOperation::Scan,
            reboot: RebootOption::RebootIfNeeded,
            max_concurrency: None,
            max_errors: None,
            comment: String::new(),
            output: crate::model::CommandOutputConfig::default(),
        }
    }
}

/// Why a selected node is left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExclusionReason {
    /// ConnectionLost / Inactive: the command could not be delivered.
    Offline(PingStatus),
    /// AWS-RunPatchBaseline supports Windows, Linux and macOS nodes only.
    UnsupportedPlatform(String),
    /// The account is suspended / closing: SendCommand would be refused.
    AccountNotActive(String),
    /// Marked earlier but not in the current snapshot any more.
    NotInSnapshot,
    /// The document chosen for a run does not support the node's platform.
    DocumentPlatform { document: String, platform: String },
}

impl ExclusionReason {
    pub fn describe(&self) -> String {
        match self {
            ExclusionReason::Offline(p) => format!("offline ({})", p.as_str()),
            ExclusionReason::UnsupportedPlatform(p) => {
                format!(
                    "unsupported platform ({p}): AWS-RunPatchBaseline needs Windows, Linux or macOS"
                )
            }
            ExclusionReason::AccountNotActive(s) => format!("account is {s}"),
            ExclusionReason::NotInSnapshot => "no longer in the fleet".to_string(),
            ExclusionReason::DocumentPlatform { document, platform } => {
                format!("{document} does not run on {platform}")
            }
        }
    }

    /// Short label for grouping in the preview.
    pub fn label(&self) -> &'static str {
        match self {
            ExclusionReason::Offline(_) => "offline",
            ExclusionReason::UnsupportedPlatform(_) => "unsupported platform",
            ExclusionReason::AccountNotActive(_) => "account not active",
            ExclusionReason::NotInSnapshot => "gone",
            ExclusionReason::DocumentPlatform { .. } => "unsupported platform",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exclusion {
    pub key: NodeKey,
    pub name: String,
    pub reason: ExclusionReason,
}

/// One SendCommand: at most 50 instance ids in one account × region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub instance_ids: Vec<String>,
    pub max_concurrency: String,
    pub max_errors: String,
    /// Sent as `Targets=[{Key: "tag:K", Values: [V]}]` instead of the ids (which then list
    /// the nodes expected, for tracking): see [`PatchPlan::tag_target`].
    pub tag_target: Option<(String, String)>,
}

/// All targets in one account × region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanGroup {
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    /// The console sizing for this group (shown in the pane even when overridden).
    pub sizing: GroupSizing,
    pub batches: Vec<Batch>,
}

impl PlanGroup {
    pub fn target_count(&self) -> usize {
        self.batches.iter().map(|b| b.instance_ids.len()).sum()
    }
}

/// Nodes that count as production, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductionExposure {
    pub nodes: usize,
    pub patch_groups: BTreeSet<String>,
    pub ous: BTreeSet<String>,
    pub accounts: BTreeSet<String>,
}

impl ProductionExposure {
    pub fn any(&self) -> bool {
        self.nodes > 0
    }
    /// "3 nodes: patch group Production · OU Root/Prod"
    pub fn describe(&self) -> String {
        let mut why = Vec::new();
        if !self.patch_groups.is_empty() {
            why.push(format!("patch group {}", join(&self.patch_groups)));
        }
        if !self.ous.is_empty() {
            why.push(format!("OU {}", join(&self.ous)));
        }
        if !self.accounts.is_empty() {
            why.push(format!("account {}", join(&self.accounts)));
        }
        format!(
            "{} node{}: {}",
            self.nodes,
            plural(self.nodes),
            why.join(" · ")
        )
    }
}

/// The blast radius, before anything is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlastRadius {
    pub targets: usize,
    /// (label, count), largest first.
    pub by_account: Vec<(String, usize)>,
    pub by_region: Vec<(String, usize)>,
    pub by_platform: Vec<(String, usize)>,
    pub by_patch_group: Vec<(String, usize)>,
    /// Exclusions by reason label.
    pub excluded: Vec<(String, usize)>,
    pub production: ProductionExposure,
    pub commands: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PatchPlan {
    /// What the user pointed at ("12 marked nodes", "OU Root/Prod").
    pub scope: String,
    pub options: PatchOptions,
    pub document: String,
    /// SendCommand `Parameters`.
    pub parameters: BTreeMap<String, Vec<String>>,
    pub comment: String,
    pub groups: Vec<PlanGroup>,
    pub exclusions: Vec<Exclusion>,
    pub preview: BlastRadius,
    pub confirmation: Confirmation,
    /// Included targets (sorted by account, region, instance id).
    pub targets: Vec<NodeKey>,
    /// The targets are exactly the nodes tagged `Key=Value` in their accounts × regions
    /// (by the tags last read): each group is one SendCommand targeting the tag. `None`:
    /// instance ids, in calls of at most 50.
    pub tag_target: Option<(String, String)>,
}

impl PatchPlan {
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }
    pub fn command_count(&self) -> usize {
        self.groups.iter().map(|g| g.batches.len()).sum()
    }
    /// "Install (RebootIfNeeded)" / "Scan".
    pub fn operation_label(&self) -> String {
        match self.options.operation {
            PatchOperation::Scan => "Scan".into(),
            PatchOperation::Install => format!("Install ({})", self.options.reboot.as_str()),
            PatchOperation::Other(o) => o.as_str().to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("nothing to patch: no nodes selected")]
    NoSelection,
    #[error("nothing to patch: all {excluded} selected node(s) are excluded ({reasons})")]
    AllExcluded { excluded: usize, reasons: String },
    #[error("{0}")]
    InvalidOption(String),
}

/// A tag `Key=Value` whose nodes, in the accounts × regions of `included`, are exactly
/// `included` (by the tags last read; any node there whose tags are unknown rules tags
/// out). Patch groups are preferred, then other tags, `Name` last.
pub fn exact_tag(snapshot: &FleetSnapshot, included: &[&Node]) -> Option<(String, String)> {
    let tags = &snapshot.schedules.tags;
    let first = included.first()?;
    if included.len() < 2 || !tags.is_read() {
        return None;
    }
    let units: BTreeSet<(&str, &str)> = included
        .iter()
        .map(|n| (n.account_id.as_str(), n.region.as_str()))
        .collect();
    let chosen: BTreeSet<(&str, &str, &str)> = included
        .iter()
        .map(|n| {
            (
                n.account_id.as_str(),
                n.region.as_str(),
                n.instance_id.as_str(),
            )
        })
        .collect();
    // every node of those accounts × regions, with its tags (all must be known)
    let mut around = Vec::new();
    for n in &snapshot.nodes {
        if units.contains(&(n.account_id.as_str(), n.region.as_str())) {
            around.push((n, tags.of(&n.key())?));
        }
    }
    let has = |t: &[crate::model::tags::Tag], k: &str, v: &str| {
        t.iter().any(|x| x.key == k && x.value == v)
    };
    let mut candidates: Vec<&crate::model::tags::Tag> = tags.of(&first.key())?.iter().collect();
    candidates.sort_by_key(|t| {
        let rank = match t.key.as_str() {
            "Patch Group" | "PatchGroup" => 0,
            "Name" => 2,
            _ => 1,
        };
        (rank, t.key.clone())
    });
    candidates
        .into_iter()
        .find(|t| {
            around.iter().all(|(n, nt)| {
                let id = (
                    n.account_id.as_str(),
                    n.region.as_str(),
                    n.instance_id.as_str(),
                );
                has(nt, &t.key, &t.value) == chosen.contains(&id)
            })
        })
        .map(|t| (t.key.clone(), t.value.clone()))
}

/// Build the plan for `scope` in `snapshot` with `options`.
pub fn plan_patch_now(
    snapshot: &FleetSnapshot,
    scope: &TargetScope,
    options: &PatchOptions,
) -> Result<PatchPlan, PlanError> {
    let max_concurrency = options
        .max_concurrency
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(sizing::validate_max_concurrency)
        .transpose()
        .map_err(PlanError::InvalidOption)?;
    let max_errors = options
        .max_errors
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(sizing::validate_max_errors)
        .transpose()
        .map_err(PlanError::InvalidOption)?;
    let comment = crate::text::sanitize(options.comment.trim());
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(PlanError::InvalidOption(format!(
            "the comment is {} characters long; SendCommand allows {MAX_COMMENT_CHARS}",
            comment.chars().count()
        )));
    }

    let resolved = targets::resolve(snapshot, scope);
    let mut exclusions: Vec<Exclusion> = resolved
        .missing
        .iter()
        .map(|k| Exclusion {
            key: k.clone(),
            name: String::new(),
            reason: ExclusionReason::NotInSnapshot,
        })
        .collect();
    let mut included: Vec<&Node> = Vec::new();
    for n in &resolved.nodes {
        match exclusion_reason(snapshot, n) {
            Some(reason) => exclusions.push(Exclusion {
                key: n.key(),
                name: crate::text::sanitize(&n.name),
                reason,
            }),
            None => included.push(n),
        }
    }
    if included.is_empty() {
        if exclusions.is_empty() {
            return Err(PlanError::NoSelection);
        }
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &exclusions {
            *by.entry(e.reason.label()).or_default() += 1;
        }
        let reasons = by
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(PlanError::AllExcluded {
            excluded: exclusions.len(),
            reasons,
        });
    }
    included.sort_by(|a, b| {
        (&a.account_id, &a.region, &a.instance_id).cmp(&(&b.account_id, &b.region, &b.instance_id))
    });

    // groups per account × region, split into batches of ≤ 50
    let mut grouped: BTreeMap<(&str, &str), Vec<&Node>> = BTreeMap::new();
    for n in &included {
        grouped
            .entry((n.account_id.as_str(), n.region.as_str()))
            .or_default()
            .push(n);
    }
    let mut groups = Vec::new();
    for ((account, region), nodes) in grouped {
        let sizing = sizing::console_sizing(options.operation, nodes.len());
        let batches = nodes
            .chunks(MAX_IDS_PER_CALL)
            .map(|chunk| {
                let (c, e) = sizing::batch_rate_controls(&sizing, chunk.len(), nodes.len());
                Batch {
                    instance_ids: chunk.iter().map(|n| n.instance_id.clone()).collect(),
                    max_concurrency: max_concurrency.clone().unwrap_or(c),
                    max_errors: max_errors.clone().unwrap_or(e),
                    tag_target: None,
                }
            })
            .collect();
        groups.push(PlanGroup {
            account_id: account.to_string(),
            account_name: crate::text::sanitize(snapshot.account_name(account)),
            region: region.to_string(),
            sizing,
            batches,
        });
    }

    // by tag when the targets are exactly one tag's nodes: one call per account × region
    let tag_target = exact_tag(snapshot, &included);
    if let Some(t) = &tag_target {
        for g in &mut groups {
            let ids: Vec<String> = g
                .batches
                .iter()
                .flat_map(|b| b.instance_ids.iter().cloned())
                .collect();
            let (c, e) = sizing::batch_rate_controls(&g.sizing, ids.len(), ids.len());
            g.batches = vec![Batch {
                instance_ids: ids,
                max_concurrency: max_concurrency.clone().unwrap_or(c),
                max_errors: max_errors.clone().unwrap_or(e),
                tag_target: Some(t.clone()),
            }];
        }
    }

    let commands = groups.iter().map(|g| g.batches.len()).sum();
    let preview = blast_radius(snapshot, &included, &exclusions, commands);
    let accounts: BTreeSet<&str> = included.iter().map(|n| n.account_id.as_str()).collect();
    let single_account_name = if accounts.len() == 1 {
        let id = *accounts.iter().next().expect("one account");
        snapshot.account(id).map(|a| a.name.as_str())
    } else {
        None
    };
    let confirmation = Confirmation::for_patch(
        options.operation,
        included.len(),
        single_account_name,
        preview.production.any(),
    );

    let mut parameters = BTreeMap::new();
    parameters.insert(
        "Operation".to_string(),
        vec![options.operation.as_str().to_string()],
    );
    if options.operation == PatchOperation::Install {
        parameters.insert(
            "RebootOption".to_string(),
            vec![options.reboot.as_str().to_string()],
        );
    }
    // AWS-RunPatchBaseline best practice outside maintenance windows ("Parameter name:
    // Snapshot ID" in the Patch Manager docs): one GUID for the whole operation, so every
    // node is evaluated against the same baseline snapshot instead of one generated per
    // node. A maintenance window does the same with its execution id.
    parameters.insert("SnapshotId".to_string(), vec![new_snapshot_id()]);

    Ok(PatchPlan {
        scope: scope.describe(snapshot),
        options: PatchOptions {
            max_concurrency,
            max_errors,
            comment: comment.clone(),
            ..options.clone()
        },
        document: PATCH_DOCUMENT.to_string(),
        parameters,
        comment,
        targets: included.iter().map(|n| n.key()).collect(),
        tag_target,
        groups,
        exclusions,
        preview,
        confirmation,
    })
}

/// A random (version 4 style) GUID.
pub fn new_snapshot_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let word = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.finish()
    };
    let hi = word(1);
    let lo = word(2);
    let b: Vec<u8> = hi
        .to_be_bytes()
        .into_iter()
        .chain(lo.to_be_bytes())
        .collect();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0x0fff,
        (u16::from_be_bytes([b[8], b[9]]) & 0x3fff) | 0x8000,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]]),
    )
}

pub(crate) fn exclusion_reason(snapshot: &FleetSnapshot, n: &Node) -> Option<ExclusionReason> {
    if let Some(a) = snapshot.account(&n.account_id)
        && !a.state.is_active()
    {
        return Some(ExclusionReason::AccountNotActive(
            a.state.as_str().to_string(),
        ));
    }
    match n.ping_status {
        PingStatus::ConnectionLost | PingStatus::Inactive => {
            return Some(ExclusionReason::Offline(n.ping_status));
        }
        // not known to be offline (an unknown value is not read as offline or online)
        PingStatus::Online | PingStatus::Unknown | PingStatus::Other(_) => {}
    }
    // absent or a platform this build does not know: no document to choose
    if !matches!(
        n.platform_type,
        PlatformType::Linux | PlatformType::Windows | PlatformType::MacOS
    ) {
        let what = if n.platform_name.is_empty() {
            "unknown".to_string()
        } else {
            crate::text::sanitize(&n.platform_name)
        };
        return Some(ExclusionReason::UnsupportedPlatform(what));
    }
    None
}

/// The blast radius of `included` (what patch now and Run Command both preview).
pub(crate) fn blast_radius(
    snapshot: &FleetSnapshot,
    included: &[&Node],
    exclusions: &[Exclusion],
    commands: usize,
) -> BlastRadius {
    let mut by_account: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_region: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_platform: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_group: BTreeMap<String, usize> = BTreeMap::new();
    let mut production = ProductionExposure::default();
    for n in included {
        let account = snapshot.account(&n.account_id);
        let name = account.map(|a| a.name.as_str()).unwrap_or("");
        let label = if name.is_empty() {
            n.account_id.clone()
        } else {
            format!("{} ({})", crate::text::sanitize(name), n.account_id)
        };
        *by_account.entry(label).or_default() += 1;
        *by_region.entry(n.region.clone()).or_default() += 1;
        let platform = if n.platform_name.is_empty() {
            n.platform_type.as_str().to_string()
        } else {
            crate::text::sanitize(&n.platform_name)
        };
        *by_platform.entry(platform).or_default() += 1;
        let group = n
            .patch_group
            .as_deref()
            .filter(|g| !g.is_empty())
            .map(crate::text::sanitize)
            .unwrap_or_else(|| "(none)".to_string());
        *by_group.entry(group).or_default() += 1;

        let mut prod = false;
        if let Some(g) = n
            .patch_group
            .as_deref()
            .filter(|g| targets::is_production_name(g))
        {
            production.patch_groups.insert(crate::text::sanitize(g));
            prod = true;
        }
        if let Some(a) = account {
            if !a.ou_path.is_empty() && targets::is_production_name(&a.ou_path) {
                production.ous.insert(crate::text::sanitize(&a.ou_path));
                prod = true;
            }
            if targets::is_production_name(&a.name) {
                production.accounts.insert(crate::text::sanitize(&a.name));
                prod = true;
            }
        }
        if prod {
            production.nodes += 1;
        }
    }
    let mut excluded: BTreeMap<String, usize> = BTreeMap::new();
    for e in exclusions {
        *excluded.entry(e.reason.label().to_string()).or_default() += 1;
    }
    BlastRadius {
        targets: included.len(),
        by_account: largest_first(by_account),
        by_region: largest_first(by_region),
        by_platform: largest_first(by_platform),
        by_patch_group: largest_first(by_group),
        excluded: largest_first(excluded),
        production,
        commands,
    }
}

fn largest_first(m: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn join(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, AccountState, OrgUnit};

    fn node(acct: &str, region: &str, i: usize) -> Node {
        Node {
            instance_id: format!("i-{i:017x}"),
            account_id: acct.into(),
            region: region.into(),
            name: format!("web-{i}"),
            platform_type: PlatformType::Linux,
            platform_name: "Ubuntu".into(),
            ping_status: PingStatus::Online,
            patch_group: Some("Dev".into()),
            ..Node::default()
        }
    }

    fn world() -> FleetSnapshot {
        let mut s = FleetSnapshot::default();
        s.organization.units = vec![
            OrgUnit {
                id: "r-1".into(),
                name: "Root".into(),
                parent_id: None,
                path: "Root".into(),
            },
            OrgUnit {
                id: "ou-prod".into(),
                name: "Prod".into(),
                parent_id: Some("r-1".into()),
                path: "Root/Prod".into(),
            },
        ];
        s.accounts = vec![
            Account {
                id: "111111111111".into(),
                name: "dev".into(),
                ou_id: Some("r-1".into()),
                ou_path: "Root".into(),
                ..Account::default()
            },
            Account {
                id: "222222222222".into(),
                name: "shop".into(),
                ou_id: Some("ou-prod".into()),
                ou_path: "Root/Prod".into(),
                ..Account::default()
            },
            Account {
                id: "333333333333".into(),
                name: "old".into(),
                state: AccountState::Suspended,
                ..Account::default()
            },
        ];
        for i in 0..120 {
            s.nodes.push(node("111111111111", "us-east-1", i));
        }
        for i in 200..203 {
            s.nodes.push(node("111111111111", "eu-west-1", i));
        }
        for i in 300..305 {
            s.nodes.push(node("222222222222", "us-east-1", i));
        }
        s.nodes.push(node("333333333333", "us-east-1", 400));
        s
    }

    fn keys(s: &FleetSnapshot, f: impl Fn(&Node) -> bool) -> TargetScope {
        TargetScope::marked(s.nodes.iter().filter(|n| f(n)).map(|n| n.key()).collect())
    }

    /// The README: a patch group tag is preferred over other tags when both select exactly
    /// the same nodes (`Environment` sorts first by name, `Patch Group` still wins), in
    /// either spelling; another tag is used only when the patch group's nodes differ.
    #[test]
    fn tag_targeting_prefers_the_patch_group_tag() {
        use crate::model::tags::Tag;
        let t = |k: &str, v: &str| Tag {
            key: k.into(),
            value: v.into(),
        };
        for pg in ["Patch Group", "PatchGroup"] {
            let mut s = world();
            s.nodes.retain(|n| n.account_id == "222222222222");
            let mut tags = crate::model::tags::NodeTags {
                fetched_at: Some(chrono::Utc::now()),
                ..Default::default()
            };
            for (i, n) in s.nodes.iter().enumerate() {
                let env = if i < 3 { "Development" } else { "Production" };
                tags.nodes.push((
                    n.key(),
                    vec![t("Environment", env), t(pg, env), t("Name", &n.name)],
                ));
            }
            tags.sort();
            std::sync::Arc::make_mut(&mut s.schedules).tags = tags.clone();
            let dev: Vec<&Node> = s.nodes.iter().take(3).collect();
            assert_eq!(
                exact_tag(&s, &dev),
                Some((pg.to_string(), "Development".to_string())),
                "{pg}"
            );
            // the patch group differs on one node: the environment tag is the exact one
            tags.nodes[3].1[1].value = "Development".into();
            std::sync::Arc::make_mut(&mut s.schedules).tags = tags;
            assert_eq!(
                exact_tag(&s, &dev),
                Some(("Environment".to_string(), "Development".to_string())),
                "{pg}"
            );
        }
    }

    #[test]
    fn more_than_fifty_targets_split_into_calls_per_account_region() {
        let s = world();
        let scope = TargetScope::Account("111111111111".into());
        let plan = plan_patch_now(&s, &scope, &PatchOptions::default()).unwrap();
        assert_eq!(plan.target_count(), 123);
        assert_eq!(plan.groups.len(), 2);
        let eu = &plan.groups[0];
        assert_eq!((eu.region.as_str(), eu.batches.len()), ("eu-west-1", 1));
        let us = &plan.groups[1];
        let sizes: Vec<usize> = us.batches.iter().map(|b| b.instance_ids.len()).collect();
        assert_eq!(sizes, vec![50, 50, 20]);
        assert_eq!(plan.command_count(), 4);
        let all: BTreeSet<&String> = us.batches.iter().flat_map(|b| &b.instance_ids).collect();
        assert_eq!(all.len(), 120, "no id lost or duplicated");
        assert_eq!(plan.parameters["Operation"], vec!["Scan"]);
        assert!(!plan.parameters.contains_key("RebootOption"));
        let snap_id = &plan.parameters["SnapshotId"][0];
        assert_eq!(snap_id.len(), 36);
        assert_eq!(snap_id.as_bytes()[14], b'4');
        assert_ne!(snap_id, &new_snapshot_id());
        assert_eq!(plan.confirmation, Confirmation::PressEnter);
    }

    #[test]
    fn exclusions_carry_reasons() {
        let mut s = world();
        s.nodes[0].ping_status = PingStatus::ConnectionLost;
        s.nodes[1].ping_status = PingStatus::Inactive;
        s.nodes[2].platform_type = PlatformType::Unknown;
        s.nodes[2].platform_name = "FreeBSD".into();
        let scope = TargetScope::Ou("r-1".into());
        let plan = plan_patch_now(&s, &scope, &PatchOptions::default()).unwrap();
        let reasons: Vec<String> = plan
            .exclusions
            .iter()
            .map(|e| e.reason.describe())
            .collect();
        assert!(
            reasons.contains(&"offline (ConnectionLost)".to_string()),
            "{reasons:?}"
        );
        assert!(reasons.contains(&"offline (Inactive)".to_string()));
        assert!(reasons.iter().any(|r| r.contains("FreeBSD")));
        assert_eq!(plan.target_count(), 128 - 3);
        assert!(plan.preview.excluded.contains(&("offline".to_string(), 2)));
    }

    #[test]
    fn suspended_account_is_excluded_and_all_excluded_is_an_error() {
        let s = world();
        let err = plan_patch_now(
            &s,
            &TargetScope::Account("333333333333".into()),
            &PatchOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("1 account not active"), "{err}");
        let err =
            plan_patch_now(&s, &TargetScope::marked(vec![]), &PatchOptions::default()).unwrap_err();
        assert_eq!(err, PlanError::NoSelection);
    }

    #[test]
    fn preview_counts_and_production_flag() {
        let mut s = world();
        s.nodes[5].patch_group = Some("Production".into());
        let scope = keys(&s, |n| {
            n.region == "us-east-1" && n.account_id != "333333333333"
        });
        let opts = PatchOptions {
            operation: PatchOperation::Install,
            ..PatchOptions::default()
        };
        let plan = plan_patch_now(&s, &scope, &opts).unwrap();
        let p = &plan.preview;
        assert_eq!(p.targets, 125);
        assert_eq!(p.by_account[0], ("dev (111111111111)".to_string(), 120));
        assert_eq!(p.by_account[1], ("shop (222222222222)".to_string(), 5));
        assert_eq!(p.by_region, vec![("us-east-1".to_string(), 125)]);
        assert_eq!(p.by_platform, vec![("Ubuntu".to_string(), 125)]);
        assert!(p.by_patch_group.contains(&("Production".to_string(), 1)));
        // 1 node in patch group Production + 5 in OU Root/Prod
        assert_eq!(p.production.nodes, 6);
        assert!(p.production.ous.contains("Root/Prod"));
        assert!(p.production.describe().contains("patch group Production"));
        assert!(plan.confirmation.accepts("125 production"));
        assert!(!plan.confirmation.accepts("125"));
        assert_eq!(plan.parameters["RebootOption"], vec!["RebootIfNeeded"]);
        // 120 in one group → 8% and a shared error budget of 10
        let g = plan
            .groups
            .iter()
            .find(|g| g.account_id == "111111111111")
            .unwrap();
        assert_eq!(g.batches[0].max_concurrency, "8%");
        assert_eq!(g.batches[0].max_errors, "5"); // ceil(10*50/120)
    }

    #[test]
    fn single_account_install_confirms_with_the_account_name() {
        let s = world();
        let scope = keys(&s, |n| n.region == "eu-west-1");
        let opts = PatchOptions {
            operation: PatchOperation::Install,
            reboot: RebootOption::NoReboot,
            ..PatchOptions::default()
        };
        let plan = plan_patch_now(&s, &scope, &opts).unwrap();
        assert!(plan.confirmation.accepts("dev"));
        assert!(!plan.confirmation.accepts("3"));
        assert_eq!(plan.operation_label(), "Install (NoReboot)");
        assert_eq!(plan.groups[0].batches[0].max_concurrency, "1");
    }

    #[test]
    fn overrides_and_comment_are_validated() {
        let s = world();
        let scope = TargetScope::Account("222222222222".into());
        let opts = PatchOptions {
            max_concurrency: Some("25%".into()),
            max_errors: Some("0".into()),
            comment: "CVE-2026-1234 hotfix".into(),
            ..PatchOptions::default()
        };
        let plan = plan_patch_now(&s, &scope, &opts).unwrap();
        assert_eq!(plan.groups[0].batches[0].max_concurrency, "25%");
        assert_eq!(plan.groups[0].batches[0].max_errors, "0");
        assert_eq!(plan.comment, "CVE-2026-1234 hotfix");
        let bad = PatchOptions {
            max_concurrency: Some("0".into()),
            ..PatchOptions::default()
        };
        assert!(matches!(
            plan_patch_now(&s, &scope, &bad),
            Err(PlanError::InvalidOption(_))
        ));
        let long = PatchOptions {
            comment: "x".repeat(101),
            ..PatchOptions::default()
        };
        assert!(
            plan_patch_now(&s, &scope, &long)
                .unwrap_err()
                .to_string()
                .contains("100")
        );
    }
}
