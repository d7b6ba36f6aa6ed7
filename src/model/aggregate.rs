//! Derived aggregates, computed once per snapshot update (never per frame).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::certificate::Certificate;
use super::node::{Compliance, Node};
use super::snapshot::FleetSnapshot;

/// Knobs for the aggregates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AggregateConfig {
    /// A node whose last scan is older than this is "stale" (default 7 days).
    pub stale_after: Duration,
}

impl Default for AggregateConfig {
    fn default() -> Self {
        Self {
            stale_after: Duration::days(7),
        }
    }
}

/// Certificate expiry bands, as the views colour them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryBand {
    Expired,
    Within7,
    Within14,
    Within30,
    Within45,
    Later,
    Unknown,
}

impl ExpiryBand {
    pub const ALL: [ExpiryBand; 7] = [
        ExpiryBand::Expired,
        ExpiryBand::Within7,
        ExpiryBand::Within14,
        ExpiryBand::Within30,
        ExpiryBand::Within45,
        ExpiryBand::Later,
        ExpiryBand::Unknown,
    ];

    /// Band for a number of days left (negative = expired).
    pub fn from_days(days_left: Option<i64>) -> Self {
        match days_left {
            None => ExpiryBand::Unknown,
            Some(d) if d < 0 => ExpiryBand::Expired,
            Some(d) if d <= 7 => ExpiryBand::Within7,
            Some(d) if d <= 14 => ExpiryBand::Within14,
            Some(d) if d <= 30 => ExpiryBand::Within30,
            Some(d) if d <= 45 => ExpiryBand::Within45,
            Some(_) => ExpiryBand::Later,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExpiryBand::Expired => "expired",
            ExpiryBand::Within7 => "≤7d",
            ExpiryBand::Within14 => "≤14d",
            ExpiryBand::Within30 => "≤30d",
            ExpiryBand::Within45 => "≤45d",
            ExpiryBand::Later => ">45d",
            ExpiryBand::Unknown => "unknown",
        }
    }

    /// Expires within 30 days (or already expired).
    pub fn is_within_30(self) -> bool {
        matches!(
            self,
            ExpiryBand::Expired | ExpiryBand::Within7 | ExpiryBand::Within14 | ExpiryBand::Within30
        )
    }
}

/// Compliance roll-up over a set of nodes (and certificates for the same scope).
/// Node counters count *nodes*; `*_patches` count patches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceRollup {
    pub nodes: u32,
    pub compliant: u32,
    pub non_compliant: u32,
    pub unreported: u32,
    /// Nodes with at least one critical / security / other non-compliant patch.
    pub critical: u32,
    pub security: u32,
    pub other: u32,
    /// Nodes with at least one missing / failed / pending-reboot / rejected patch.
    pub with_missing: u32,
    pub with_failed: u32,
    pub pending_reboot: u32,
    pub with_rejected: u32,
    /// Last scan older than the stale threshold.
    pub stale: u32,
    /// Reported within the stale threshold.
    pub reported_recently: u32,
    pub online: u32,
    pub offline: u32,
    pub agent_outdated: u32,
    pub missing_patches: u64,
    pub failed_patches: u64,
    pub critical_patches: u64,
    pub security_patches: u64,
    /// Certificates in scope expiring within 30 days (or expired).
    pub certs_expiring_30: u32,
    pub certs: u32,
    /// Nodes nothing installs patches on (no window or patch association targets them, or
    /// only scans do); counted only where patch schedules were read.
    #[serde(default)]
    pub uncovered: u32,
}

/// The sum of consecutive nodes' shares with the same key, not yet added to its map.
#[derive(Default)]
struct Run<'a> {
    key: &'a str,
    sum: ComplianceRollup,
}

impl<'a> Run<'a> {
    fn add(
        &mut self,
        m: &mut BTreeMap<String, ComplianceRollup>,
        key: &'a str,
        one: &ComplianceRollup,
    ) {
        if self.key != key {
            self.flush(m);
            self.key = key;
        }
        self.sum.merge(one);
    }

    fn flush(&mut self, m: &mut BTreeMap<String, ComplianceRollup>) {
        if self.sum.nodes > 0 {
            slot(m, self.key).merge(&std::mem::take(&mut self.sum));
        }
    }
}

/// A node's key in `by_platform`: its platform's name, else its type.
fn platform_key(n: &Node) -> &str {
    if n.platform_name.is_empty() {
        n.platform_type.as_str()
    } else {
        &n.platform_name
    }
}

/// The roll-up for `key`, created empty when new (the key copied only then).
fn slot<'m>(m: &'m mut BTreeMap<String, ComplianceRollup>, key: &str) -> &'m mut ComplianceRollup {
    if !m.contains_key(key) {
        m.insert(key.to_string(), ComplianceRollup::default());
    }
    m.get_mut(key).expect("inserted above")
}

impl ComplianceRollup {
    pub fn add_node(&mut self, n: &Node, now: DateTime<Utc>, cfg: &AggregateConfig) {
        self.nodes += 1;
        match n.compliance {
            Compliance::Compliant => self.compliant += 1,
            Compliance::NonCompliant => self.non_compliant += 1,
            Compliance::Unreported => self.unreported += 1,
        }
        self.critical += u32::from(n.critical_noncompliant > 0);
        self.security += u32::from(n.security_noncompliant > 0);
        self.other += u32::from(n.other_noncompliant > 0);
        self.with_missing += u32::from(n.missing > 0);
        self.with_failed += u32::from(n.failed > 0);
        self.pending_reboot += u32::from(n.installed_pending_reboot > 0);
        self.with_rejected += u32::from(n.installed_rejected > 0);
        if n.has_patch_state() {
            if n.is_stale(now, cfg.stale_after) {
                self.stale += 1;
            } else {
                self.reported_recently += 1;
            }
        }
        if n.is_online() {
            self.online += 1;
        } else {
            self.offline += 1;
        }
        self.agent_outdated += u32::from(n.agent_outdated);
        self.missing_patches += u64::from(n.missing);
        self.failed_patches += u64::from(n.failed);
        self.critical_patches += u64::from(n.critical_noncompliant);
        self.security_patches += u64::from(n.security_noncompliant);
    }

    pub fn add_cert(&mut self, band: ExpiryBand) {
        self.certs += 1;
        self.certs_expiring_30 += u32::from(band.is_within_30());
    }

    pub fn merge(&mut self, o: &ComplianceRollup) {
        self.nodes += o.nodes;
        self.compliant += o.compliant;
        self.non_compliant += o.non_compliant;
        self.unreported += o.unreported;
        self.critical += o.critical;
        self.security += o.security;
        self.other += o.other;
        self.with_missing += o.with_missing;
        self.with_failed += o.with_failed;
        self.pending_reboot += o.pending_reboot;
        self.with_rejected += o.with_rejected;
        self.stale += o.stale;
        self.reported_recently += o.reported_recently;
        self.online += o.online;
        self.offline += o.offline;
        self.agent_outdated += o.agent_outdated;
        self.missing_patches += o.missing_patches;
        self.failed_patches += o.failed_patches;
        self.critical_patches += o.critical_patches;
        self.security_patches += o.security_patches;
        self.certs_expiring_30 += o.certs_expiring_30;
        self.certs += o.certs;
        self.uncovered += o.uncovered;
    }

    /// Percentage of nodes that are compliant (unreported nodes count against it);
    /// `None` when there are no nodes.
    pub fn pct_compliant(&self) -> Option<f64> {
        (self.nodes > 0).then(|| f64::from(self.compliant) * 100.0 / f64::from(self.nodes))
    }
}

/// Certificates per expiry band, and the risky ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRollup {
    pub total: u32,
    pub by_band: BTreeMap<ExpiryBand, u32>,
    /// Imported and in use, renewal failed or pending validation.
    pub at_risk: u32,
}

/// Everything the views and reports show as totals and breakdowns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    pub computed_at: DateTime<Utc>,
    pub fleet: ComplianceRollup,
    pub by_account: BTreeMap<String, ComplianceRollup>,
    /// Keyed by OU id (root included); each OU includes every account below it.
    pub by_ou: BTreeMap<String, ComplianceRollup>,
    pub by_region: BTreeMap<String, ComplianceRollup>,
    /// Key `""` = no patch group.
    pub by_patch_group: BTreeMap<String, ComplianceRollup>,
    /// Key is the platform name (`Amazon Linux`, `Ubuntu`, `Microsoft Windows Server 2022 Datacenter`, ...).
    pub by_platform: BTreeMap<String, ComplianceRollup>,
    pub certs: CertRollup,
    /// Number of collection errors per account id (`""` for organization-wide ones).
    pub errors_by_account: BTreeMap<String, u32>,
}

impl Aggregates {
    pub fn compute(snap: &FleetSnapshot, cfg: &AggregateConfig, now: DateTime<Utc>) -> Self {
        let mut a = Aggregates {
            computed_at: now,
            ..Default::default()
        };
        // one node's share, added to each roll-up it belongs to; nodes come unit by unit,
        // so a roll-up is summed while its key repeats and looked up once per run (keys are
        // copied only when a roll-up is new: a 40,000-node fleet has a few hundred of them)
        let (mut account, mut region) = (Run::default(), Run::default());
        let (mut group, mut platform) = (Run::default(), Run::default());
        for n in &snap.nodes {
            let mut one = ComplianceRollup::default();
            one.add_node(n, now, cfg);
            a.fleet.merge(&one);
            account.add(&mut a.by_account, &n.account_id, &one);
            region.add(&mut a.by_region, &n.region, &one);
            let pg = n.patch_group.as_deref().unwrap_or_default();
            group.add(&mut a.by_patch_group, pg, &one);
            platform.add(&mut a.by_platform, platform_key(n), &one);
        }
        account.flush(&mut a.by_account);
        region.flush(&mut a.by_region);
        group.flush(&mut a.by_patch_group);
        platform.flush(&mut a.by_platform);
        // coverage (patch schedules read on their own cadence): one pass when they were read
        if snap.schedules.fetched_at.is_some() {
            let cov = snap.schedules.coverage_list(&snap.nodes, now);
            for (n, c) in snap.nodes.iter().zip(&cov) {
                if !c.coverage.is_uncovered() {
                    continue;
                }
                let platform = platform_key(n);
                for r in [
                    Some(&mut a.fleet),
                    a.by_account.get_mut(&n.account_id),
                    a.by_region.get_mut(&n.region),
                    a.by_patch_group
                        .get_mut(n.patch_group.as_deref().unwrap_or_default()),
                    a.by_platform.get_mut(platform),
                ]
                .into_iter()
                .flatten()
                {
                    r.uncovered += 1;
                }
            }
        }
        for c in &snap.certificates {
            let band = cert_band(c, now);
            a.fleet.add_cert(band);
            a.by_account
                .entry(c.account_id.clone())
                .or_default()
                .add_cert(band);
            a.by_region
                .entry(c.region.clone())
                .or_default()
                .add_cert(band);
            a.certs.total += 1;
            *a.certs.by_band.entry(band).or_default() += 1;
            a.certs.at_risk += u32::from(c.risk_at(now).is_some());
        }
        for e in &snap.errors {
            *a.errors_by_account
                .entry(e.account_id.clone().unwrap_or_default())
                .or_default() += 1;
        }
        // OU roll-ups: every account's roll-up is added to its OU and all ancestors.
        let parent: HashMap<&str, Option<&str>> = snap
            .organization
            .units
            .iter()
            .map(|u| (u.id.as_str(), u.parent_id.as_deref()))
            .collect();
        for u in &snap.organization.units {
            a.by_ou.entry(u.id.clone()).or_default();
        }
        for acct in &snap.accounts {
            let Some(rollup) = a.by_account.get(&acct.id).cloned() else {
                continue;
            };
            let mut cur = acct.ou_id.as_deref();
            let mut guard = 0;
            while let Some(id) = cur {
                a.by_ou.entry(id.to_string()).or_default().merge(&rollup);
                cur = parent.get(id).copied().flatten();
                guard += 1;
                if guard > 64 {
                    break; // defensive: a cycle in remote data must not hang the UI
                }
            }
        }
        a
    }
}

/// Expiry band of a certificate at `now`.
pub fn cert_band(c: &Certificate, now: DateTime<Utc>) -> ExpiryBand {
    ExpiryBand::from_days(c.days_left_at(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, OrgUnit, PatchOperation};

    fn node(
        id: &str,
        acct: &str,
        missing: u32,
        scanned_days_ago: Option<i64>,
        now: DateTime<Utc>,
    ) -> Node {
        let mut n = Node {
            instance_id: id.into(),
            account_id: acct.into(),
            region: "us-east-1".into(),
            missing,
            critical_noncompliant: missing.min(1),
            ..Default::default()
        };
        if let Some(d) = scanned_days_ago {
            n.last_operation = Some(PatchOperation::Scan);
            n.last_operation_end = Some(now - Duration::days(d));
        }
        n.compliance = n.derive_compliance();
        n
    }

    #[test]
    fn unreported_nodes_are_never_compliant_and_stale_is_counted() {
        let now = Utc::now();
        let snap = FleetSnapshot {
            organization: crate::model::Organization {
                units: vec![
                    OrgUnit {
                        id: "r-1".into(),
                        name: "Root".into(),
                        parent_id: None,
                        path: "Root".into(),
                    },
                    OrgUnit {
                        id: "ou-a".into(),
                        name: "Prod".into(),
                        parent_id: Some("r-1".into()),
                        path: "Root/Prod".into(),
                    },
                ],
                ..Default::default()
            },
            accounts: vec![Account {
                id: "1".into(),
                name: "prod".into(),
                ou_id: Some("ou-a".into()),
                ..Default::default()
            }],
            nodes: vec![
                node("i-1", "1", 0, Some(1), now),
                node("i-2", "1", 3, Some(10), now),
                node("i-3", "1", 0, None, now),
            ],
            collected_at: now,
            ..Default::default()
        };
        let a = Aggregates::compute(&snap, &AggregateConfig::default(), now);
        assert_eq!(a.fleet.nodes, 3);
        assert_eq!(a.fleet.compliant, 1);
        assert_eq!(a.fleet.non_compliant, 1);
        assert_eq!(a.fleet.unreported, 1);
        assert_eq!(a.fleet.stale, 1);
        assert_eq!(a.fleet.reported_recently, 1);
        assert_eq!(a.fleet.critical, 1);
        assert_eq!(
            a.by_ou["r-1"].nodes, 3,
            "root rolls up every account below it"
        );
        assert_eq!(a.by_ou["ou-a"].nodes, 3);
        let pct = a.fleet.pct_compliant().unwrap();
        assert!((pct - 33.333).abs() < 0.01);
    }

    #[test]
    fn roll_ups_are_the_same_whatever_order_the_nodes_come_in() {
        // the roll-ups sum runs of nodes with the same key: interleaved accounts, regions,
        // groups and platforms must land in the same groups as one by one
        let now = Utc::now();
        let mut nodes: Vec<Node> = (0..24)
            .map(|i| {
                let mut n = node(
                    &format!("i-{i}"),
                    ["1", "2", "3"][i % 3],
                    (i % 4) as u32,
                    Some(1),
                    now,
                );
                n.region = ["us-east-1", "eu-west-1"][i / 12].into();
                n.patch_group = (i % 5 != 0).then(|| ["web", "db"][i % 2].into());
                n.platform_name = ["", "Ubuntu"][i % 2].into();
                n
            })
            .collect();
        let cfg = AggregateConfig::default();
        let snap = |nodes: Vec<Node>| FleetSnapshot {
            nodes,
            collected_at: now,
            ..Default::default()
        };
        let grouped = Aggregates::compute(&snap(nodes.clone()), &cfg, now);
        nodes.sort_by(|a, b| (&a.account_id, &a.instance_id).cmp(&(&b.account_id, &b.instance_id)));
        let sorted = Aggregates::compute(&snap(nodes), &cfg, now);
        assert_eq!(grouped.by_account, sorted.by_account);
        assert_eq!(grouped.by_region, sorted.by_region);
        assert_eq!(grouped.by_patch_group, sorted.by_patch_group);
        assert_eq!(grouped.by_platform, sorted.by_platform);
        assert_eq!(grouped.by_account["2"].nodes, 8);
        assert_eq!(grouped.by_account["2"].with_missing, 6);
        assert_eq!(grouped.by_region["eu-west-1"].nodes, 12);
        assert_eq!(grouped.by_patch_group[""].nodes, 5, "no group: key \"\"");
        assert_eq!(grouped.by_patch_group["db"].nodes, 10);
        assert_eq!(grouped.by_platform["Ubuntu"].nodes, 12);
        assert_eq!(grouped.fleet.nodes, 24);
    }

    #[test]
    fn expiry_bands() {
        assert_eq!(ExpiryBand::from_days(Some(-1)), ExpiryBand::Expired);
        assert_eq!(ExpiryBand::from_days(Some(0)), ExpiryBand::Within7);
        assert_eq!(ExpiryBand::from_days(Some(7)), ExpiryBand::Within7);
        assert_eq!(ExpiryBand::from_days(Some(8)), ExpiryBand::Within14);
        assert_eq!(ExpiryBand::from_days(Some(30)), ExpiryBand::Within30);
        assert_eq!(ExpiryBand::from_days(Some(45)), ExpiryBand::Within45);
        assert_eq!(ExpiryBand::from_days(Some(46)), ExpiryBand::Later);
        assert_eq!(ExpiryBand::from_days(None), ExpiryBand::Unknown);
    }
}
