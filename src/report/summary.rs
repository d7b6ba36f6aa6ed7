//! The report summary every format shares: fleet compliance, per-OU and per-account
//! roll-ups, the worst nodes, certificates expiring soon, collection errors and scope.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Aggregates, Compliance, ComplianceRollup, ExpiryBand, FleetSnapshot, Node};

use super::rows::{cert_days_left, sorted_certs};

/// Where the data came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScopeInfo {
    pub organization_id: Option<String>,
    pub management_account_id: Option<String>,
    /// `organizations`, `config` or `caller_only`.
    pub discovery: String,
    pub note: Option<String>,
    pub caller_account_id: Option<String>,
    pub caller_arn: Option<String>,
    pub profile: Option<String>,
    pub regions: Vec<String>,
    pub accounts: u32,
    /// Collection finished for every account × region.
    pub complete: bool,
    /// Loaded from the cache rather than collected now.
    pub from_cache: bool,
}

/// Roll-up of one account or OU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Account id or OU id.
    pub id: String,
    /// Account name or OU name.
    pub name: String,
    /// OU path (of the account's parent OU, or of the OU itself).
    pub ou_path: String,
    pub nodes: u32,
    pub compliant: u32,
    pub non_compliant: u32,
    pub unreported: u32,
    pub critical: u32,
    pub security: u32,
    pub failed: u32,
    pub pending_reboot: u32,
    pub stale: u32,
    /// `null` when the group has no nodes.
    pub pct_compliant: Option<f64>,
    pub certs_expiring_30: u32,
    pub errors: u32,
}

impl GroupSummary {
    fn new(id: &str, name: &str, ou_path: &str, r: &ComplianceRollup, errors: u32) -> Self {
        GroupSummary {
            id: id.to_string(),
            name: name.to_string(),
            ou_path: ou_path.to_string(),
            nodes: r.nodes,
            compliant: r.compliant,
            non_compliant: r.non_compliant,
            unreported: r.unreported,
            critical: r.critical,
            security: r.security,
            failed: r.with_failed,
            pending_reboot: r.pending_reboot,
            stale: r.stale,
            pct_compliant: r.pct_compliant().map(round1),
            certs_expiring_30: r.certs_expiring_30,
            errors,
        }
    }
}

/// A node worth naming in a summary (non-compliant).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeBrief {
    pub instance_id: String,
    pub name: String,
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub platform_name: String,
    pub patch_group: Option<String>,
    pub critical: u32,
    pub security: u32,
    pub missing: u32,
    pub failed: u32,
    pub pending_reboot: u32,
    pub last_scan: Option<DateTime<Utc>>,
}

/// A certificate worth naming in a summary (expiring soon or at risk).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertBrief {
    pub domain_name: String,
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    #[serde(rename = "type")]
    pub cert_type: String,
    pub status: String,
    pub not_after: Option<DateTime<Utc>>,
    pub days_left: Option<i64>,
    pub band: ExpiryBand,
    pub in_use: bool,
    pub risk: Option<String>,
    pub arn: String,
}

/// One collection error (what could not be read).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBrief {
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub region: Option<String>,
    pub service: String,
    pub operation: String,
    pub code: String,
    pub message: String,
}

/// Everything the Markdown / HTML / JSON summaries show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub nodes: u32,
    pub compliant: u32,
    pub non_compliant: u32,
    pub unreported: u32,
    /// Compliant nodes / all nodes × 100, one decimal (`null` with no nodes).
    pub pct_compliant: Option<f64>,
    pub critical_nodes: u32,
    pub security_nodes: u32,
    pub failed_nodes: u32,
    pub pending_reboot_nodes: u32,
    pub stale_nodes: u32,
    pub offline_nodes: u32,
    pub agent_outdated_nodes: u32,
    pub missing_patches: u64,
    pub critical_patches: u64,
    pub certificates: u32,
    /// Certificates per expiry band (`expired`, `within7`, ...).
    pub certs_by_band: BTreeMap<ExpiryBand, u32>,
    pub certs_at_risk: u32,
    /// The threshold used for `expiring`.
    pub expiring_within_days: i64,
    /// Accounts, worst first (most non-compliant nodes, then critical, then name).
    pub accounts: Vec<GroupSummary>,
    /// OUs in tree order (parents before children).
    pub ous: Vec<GroupSummary>,
    /// Non-compliant nodes, worst first (critical, security, missing+failed).
    pub non_compliant_nodes: Vec<NodeBrief>,
    /// Certificates expired or expiring within `expiring_within_days`, soonest first.
    pub expiring: Vec<CertBrief>,
    /// Certificates with a risk marker that are not already in `expiring`.
    pub at_risk: Vec<CertBrief>,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn node_brief(snap: &FleetSnapshot, n: &Node) -> NodeBrief {
    NodeBrief {
        instance_id: n.instance_id.clone(),
        name: n.name.clone(),
        account_id: n.account_id.clone(),
        account_name: snap.account_name(&n.account_id).to_string(),
        region: n.region.clone(),
        platform_name: n.platform_name.to_string(),
        patch_group: n
            .patch_group
            .as_deref()
            .filter(|g| !g.is_empty())
            .map(str::to_string),
        critical: n.critical_noncompliant,
        security: n.security_noncompliant,
        missing: n.missing,
        failed: n.failed,
        pending_reboot: n.installed_pending_reboot,
        last_scan: n.last_operation_end,
    }
}

fn cert_brief(
    snap: &FleetSnapshot,
    c: &crate::model::Certificate,
    now: DateTime<Utc>,
) -> CertBrief {
    let days_left = cert_days_left(c, now);
    CertBrief {
        domain_name: c.domain_name.clone(),
        account_id: c.account_id.clone(),
        account_name: snap.account_name(&c.account_id).to_string(),
        region: c.region.clone(),
        cert_type: c.cert_type.clone(),
        status: c.status.clone(),
        not_after: c.not_after,
        days_left,
        band: ExpiryBand::from_days(days_left),
        in_use: c.in_use,
        risk: c.risk_at(now).map(str::to_string),
        arn: c.arn.clone(),
    }
}

/// Whether a certificate counts as expiring within `days` at `now` (expired ones do).
pub fn expires_within(c: &crate::model::Certificate, now: DateTime<Utc>, days: i64) -> bool {
    cert_days_left(c, now).is_some_and(|d| d <= days)
}

/// Non-compliant nodes, worst first.
pub fn worst_nodes(snap: &FleetSnapshot) -> Vec<&Node> {
    let mut v: Vec<&Node> = snap
        .nodes
        .iter()
        .filter(|n| n.compliance == Compliance::NonCompliant)
        .collect();
    v.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.critical_noncompliant),
            std::cmp::Reverse(a.security_noncompliant),
            std::cmp::Reverse(a.missing + a.failed),
            &a.account_id,
            &a.region,
            &a.instance_id,
        )
            .cmp(&(
                std::cmp::Reverse(b.critical_noncompliant),
                std::cmp::Reverse(b.security_noncompliant),
                std::cmp::Reverse(b.missing + b.failed),
                &b.account_id,
                &b.region,
                &b.instance_id,
            ))
    });
    v
}

impl Summary {
    pub fn build(
        snap: &FleetSnapshot,
        agg: &Aggregates,
        now: DateTime<Utc>,
        expiring_within_days: i64,
    ) -> Summary {
        let f = &agg.fleet;
        let empty = ComplianceRollup::default();

        let mut accounts: Vec<GroupSummary> = snap
            .accounts
            .iter()
            .map(|a| {
                GroupSummary::new(
                    &a.id,
                    &a.name,
                    &a.ou_path,
                    agg.by_account.get(&a.id).unwrap_or(&empty),
                    agg.errors_by_account.get(&a.id).copied().unwrap_or(0),
                )
            })
            .collect();
        // Nodes in accounts the org listing did not name still count.
        for (id, r) in &agg.by_account {
            if snap.account(id).is_none() {
                let errors = agg.errors_by_account.get(id).copied().unwrap_or(0);
                accounts.push(GroupSummary::new(id, "", "", r, errors));
            }
        }
        accounts.sort_by(|a, b| {
            (
                std::cmp::Reverse(a.non_compliant),
                std::cmp::Reverse(a.critical),
                &a.name,
                &a.id,
            )
                .cmp(&(
                    std::cmp::Reverse(b.non_compliant),
                    std::cmp::Reverse(b.critical),
                    &b.name,
                    &b.id,
                ))
        });

        let mut units: Vec<&crate::model::OrgUnit> = snap.organization.units.iter().collect();
        units.sort_by(|a, b| (&a.path, &a.id).cmp(&(&b.path, &b.id)));
        let ous = units
            .into_iter()
            .map(|u| {
                let errors = snap
                    .accounts
                    .iter()
                    .filter(|a| {
                        a.ou_path == u.path || a.ou_path.starts_with(&format!("{}/", u.path))
                    })
                    .map(|a| agg.errors_by_account.get(&a.id).copied().unwrap_or(0))
                    .sum();
                GroupSummary::new(
                    &u.id,
                    &u.name,
                    &u.path,
                    agg.by_ou.get(&u.id).unwrap_or(&empty),
                    errors,
                )
            })
            .collect();

        let non_compliant_nodes = worst_nodes(snap)
            .into_iter()
            .map(|n| node_brief(snap, n))
            .collect();

        let certs = sorted_certs(snap);
        let expiring: Vec<CertBrief> = certs
            .iter()
            .filter(|c| expires_within(c, now, expiring_within_days))
            .map(|c| cert_brief(snap, c, now))
            .collect();
        let at_risk = certs
            .iter()
            .filter(|c| c.risk_at(now).is_some() && !expires_within(c, now, expiring_within_days))
            .map(|c| cert_brief(snap, c, now))
            .collect();

        Summary {
            nodes: f.nodes,
            compliant: f.compliant,
            non_compliant: f.non_compliant,
            unreported: f.unreported,
            pct_compliant: f.pct_compliant().map(round1),
            critical_nodes: f.critical,
            security_nodes: f.security,
            failed_nodes: f.with_failed,
            pending_reboot_nodes: f.pending_reboot,
            stale_nodes: f.stale,
            offline_nodes: f.offline,
            agent_outdated_nodes: f.agent_outdated,
            missing_patches: f.missing_patches,
            critical_patches: f.critical_patches,
            certificates: agg.certs.total,
            certs_by_band: ExpiryBand::ALL
                .iter()
                .map(|b| (*b, agg.certs.by_band.get(b).copied().unwrap_or(0)))
                .collect(),
            certs_at_risk: agg.certs.at_risk,
            expiring_within_days,
            accounts,
            ous,
            non_compliant_nodes,
            expiring,
            at_risk,
        }
    }
}

/// The collection errors, sorted by account, region, service, operation.
pub fn errors_of(snap: &FleetSnapshot) -> Vec<ErrorBrief> {
    let mut errors: Vec<ErrorBrief> = snap
        .errors
        .iter()
        .map(|e| ErrorBrief {
            account_id: e.account_id.clone(),
            account_name: e
                .account_id
                .as_deref()
                .and_then(|id| snap.account(id))
                .map(|a| a.name.clone()),
            region: e.region.clone(),
            service: e.service.clone(),
            operation: e.operation.clone(),
            code: e.code.clone(),
            message: e.message.clone(),
        })
        .collect();
    errors.sort_by(|a, b| {
        (&a.account_id, &a.region, &a.service, &a.operation, &a.code).cmp(&(
            &b.account_id,
            &b.region,
            &b.service,
            &b.operation,
            &b.code,
        ))
    });

    errors
}

impl ScopeInfo {
    pub fn of(snap: &FleetSnapshot) -> ScopeInfo {
        ScopeInfo {
            organization_id: snap.organization.id.clone(),
            management_account_id: snap.organization.management_account_id.clone(),
            discovery: match snap.organization.source {
                crate::model::DiscoverySource::Organizations => "organizations",
                crate::model::DiscoverySource::Config => "config",
                crate::model::DiscoverySource::CallerOnly => "caller_only",
            }
            .to_string(),
            note: snap.organization.note.clone(),
            caller_account_id: snap.caller.as_ref().map(|c| c.account_id.clone()),
            caller_arn: snap.caller.as_ref().map(|c| c.arn.clone()),
            profile: snap.profile.clone(),
            regions: snap.regions.clone(),
            accounts: snap.accounts.len() as u32,
            complete: snap.complete,
            from_cache: snap.from_cache,
        }
    }
}
