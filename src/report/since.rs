//! `--since FILE`: what changed since a previous JSON report.
//!
//! Every JSON report carries a compact `state` section (each node's compliance, each
//! certificate's expiry band) whatever its kind, so any earlier JSON report can be the
//! baseline. A `ssmdeck snapshot --format json` file works too (its nodes and
//! certificates are read directly).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Compliance, ExpiryBand, FleetSnapshot, NodeKey};

use super::rows::cert_days_left;

/// One node's compliance at report time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    pub account_id: String,
    pub region: String,
    pub instance_id: String,
    #[serde(default)]
    pub name: String,
    pub compliance: Compliance,
    #[serde(default)]
    pub critical: u32,
    #[serde(default)]
    pub security: u32,
}

impl NodeState {
    fn key(&self) -> NodeKey {
        NodeKey {
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            instance_id: self.instance_id.clone(),
        }
    }
}

/// One certificate's expiry band at report time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertState {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub domain_name: String,
    pub band: ExpiryBand,
    pub days_left: Option<i64>,
}

/// The comparable state of a fleet (the `state` section of a JSON report).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub nodes: Vec<NodeState>,
    pub certificates: Vec<CertState>,
}

impl State {
    pub fn of(snap: &FleetSnapshot, now: DateTime<Utc>) -> State {
        let mut nodes: Vec<NodeState> = snap
            .nodes
            .iter()
            .map(|n| NodeState {
                account_id: n.account_id.clone(),
                region: n.region.clone(),
                instance_id: n.instance_id.clone(),
                name: n.name.clone(),
                compliance: n.compliance,
                critical: n.critical_noncompliant,
                security: n.security_noncompliant,
            })
            .collect();
        nodes.sort_by_key(NodeState::key);
        let mut certificates: Vec<CertState> = snap
            .certificates
            .iter()
            .map(|c| {
                let days_left = cert_days_left(c, now);
                CertState {
                    arn: c.arn.clone(),
                    account_id: c.account_id.clone(),
                    region: c.region.clone(),
                    domain_name: c.domain_name.clone(),
                    band: ExpiryBand::from_days(days_left),
                    days_left,
                }
            })
            .collect();
        certificates.sort_by(|a, b| a.arn.cmp(&b.arn));
        State {
            nodes,
            certificates,
        }
    }
}

/// A baseline read from disk.
#[derive(Clone, Debug, PartialEq)]
pub struct Previous {
    pub path: String,
    /// When the previous report was generated (or the snapshot collected).
    pub generated_at: Option<DateTime<Utc>>,
    pub state: State,
}

/// Read a previous JSON report (or a `ssmdeck snapshot` JSON file). The error says which
/// file and what is wrong with it.
pub fn load_previous(path: &Path) -> Result<Previous, String> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    parse_previous(&text, &shown)
}

pub fn parse_previous(text: &str, shown: &str) -> Result<Previous, String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("{shown} is not JSON ({e}); --since needs a JSON report written by `ssmdeck report --format json`"))?;
    let time = |k: &str| {
        v.get(k)
            .and_then(|t| t.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    if let Some(state) = v.get("state") {
        let state: State = serde_json::from_value(state.clone())
            .map_err(|e| format!("{shown}: its `state` section is not readable: {e}"))?;
        return Ok(Previous {
            path: shown.to_string(),
            generated_at: time("generated_at"),
            state,
        });
    }
    if v.get("nodes").is_some_and(|n| n.is_array()) && v.get("collected_at").is_some() {
        let snap: FleetSnapshot = serde_json::from_value(v.clone())
            .map_err(|e| format!("{shown}: not a readable ssmdeck snapshot: {e}"))?;
        let at = snap.collected_at;
        return Ok(Previous {
            path: shown.to_string(),
            generated_at: Some(at),
            state: State::of(&snap, at),
        });
    }
    Err(format!(
        "{shown} has no `state` section: --since needs a JSON report written by `ssmdeck report --format json`"
    ))
}

/// A node whose compliance changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeChange {
    pub account_id: String,
    pub region: String,
    pub instance_id: String,
    pub name: String,
    /// `null` when the node was not in the previous report.
    pub from: Option<Compliance>,
    pub to: Compliance,
    pub critical: u32,
    pub security: u32,
}

/// A certificate that entered an expiry band (≤45 days or expired) it was not in before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertChange {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub domain_name: String,
    /// `null` when the certificate was not in the previous report.
    pub from: Option<ExpiryBand>,
    pub to: ExpiryBand,
    pub days_left: Option<i64>,
}

/// What changed between a previous report and now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    pub since_file: String,
    pub since: Option<DateTime<Utc>>,
    /// Non-compliant now; compliant, unreported or absent before.
    pub newly_non_compliant: Vec<NodeChange>,
    /// Compliant now; non-compliant before.
    pub newly_fixed: Vec<NodeChange>,
    /// In the previous report, gone now (terminated, deregistered or out of scope).
    pub gone: Vec<NodeChange>,
    /// Certificates that moved into a more urgent expiry band (or appeared in one).
    pub certs_entered_band: Vec<CertChange>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.newly_non_compliant.is_empty()
            && self.newly_fixed.is_empty()
            && self.gone.is_empty()
            && self.certs_entered_band.is_empty()
    }

    /// The change label of one node (for a per-row "Change" column), if any.
    pub fn node_label(&self, key: &NodeKey) -> Option<&'static str> {
        let is = |c: &NodeChange| {
            c.account_id == key.account_id
                && c.region == key.region
                && c.instance_id == key.instance_id
        };
        if self.newly_non_compliant.iter().any(is) {
            Some("newly non-compliant")
        } else if self.newly_fixed.iter().any(is) {
            Some("newly fixed")
        } else {
            None
        }
    }

    /// The change label of one certificate, if any.
    pub fn cert_label(&self, arn: &str) -> Option<String> {
        self.certs_entered_band
            .iter()
            .find(|c| c.arn == arn)
            .map(|c| format!("entered {}", super::rows::band_ascii(c.to)))
    }
}

/// Whether a band is one the reports call out (expired or ≤45 days).
fn is_alert_band(b: ExpiryBand) -> bool {
    !matches!(b, ExpiryBand::Later | ExpiryBand::Unknown)
}

/// Compare the previous state with the current one.
pub fn diff(prev: &Previous, cur: &State) -> Changes {
    let before: BTreeMap<NodeKey, &NodeState> =
        prev.state.nodes.iter().map(|n| (n.key(), n)).collect();
    let now_keys: BTreeMap<NodeKey, &NodeState> = cur.nodes.iter().map(|n| (n.key(), n)).collect();
    let change = |n: &NodeState, from: Option<Compliance>, to: Compliance| NodeChange {
        account_id: n.account_id.clone(),
        region: n.region.clone(),
        instance_id: n.instance_id.clone(),
        name: n.name.clone(),
        from,
        to,
        critical: n.critical,
        security: n.security,
    };
    let mut out = Changes {
        since_file: prev.path.clone(),
        since: prev.generated_at,
        ..Default::default()
    };
    for (key, n) in &now_keys {
        let was = before.get(key).map(|p| p.compliance);
        match (was, n.compliance) {
            (Some(Compliance::NonCompliant), Compliance::NonCompliant) => {}
            (_, Compliance::NonCompliant) => {
                out.newly_non_compliant
                    .push(change(n, was, Compliance::NonCompliant));
            }
            (Some(Compliance::NonCompliant), Compliance::Compliant) => {
                out.newly_fixed.push(change(n, was, Compliance::Compliant));
            }
            _ => {}
        }
    }
    for (key, p) in &before {
        if !now_keys.contains_key(key) {
            out.gone.push(change(p, Some(p.compliance), p.compliance));
        }
    }
    let before_certs: BTreeMap<&str, &CertState> = prev
        .state
        .certificates
        .iter()
        .map(|c| (c.arn.as_str(), c))
        .collect();
    for c in &cur.certificates {
        if !is_alert_band(c.band) {
            continue;
        }
        let was = before_certs.get(c.arn.as_str()).map(|p| p.band);
        // ExpiryBand orders most urgent first: entering = strictly more urgent than before.
        if was.is_none_or(|w| c.band < w) {
            out.certs_entered_band.push(CertChange {
                arn: c.arn.clone(),
                account_id: c.account_id.clone(),
                region: c.region.clone(),
                domain_name: c.domain_name.clone(),
                from: was,
                to: c.band,
                days_left: c.days_left,
            });
        }
    }
    out.certs_entered_band
        .sort_by(|a, b| (a.days_left, &a.arn).cmp(&(b.days_left, &b.arn)));
    out
}
