//! Which nodes an action is aimed at: marked rows, the rows of the current filter, a patch
//! group, an account or an OU — resolved against the current fleet snapshot.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::model::{FleetSnapshot, Node, NodeKey};

/// What the user pointed the action at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetScope {
    /// Marked rows (Space) — or, when nothing is marked, every row of the current filter.
    Nodes { keys: Vec<NodeKey>, label: String },
    /// Every node whose patch group is this (exact match).
    PatchGroup(String),
    /// Every node in this account id.
    Account(String),
    /// Every node in accounts under this OU id (or the root), recursively.
    Ou(String),
}

impl TargetScope {
    /// Marked rows.
    pub fn marked(keys: Vec<NodeKey>) -> Self {
        let label = format!("{} marked node{}", keys.len(), plural(keys.len()));
        TargetScope::Nodes { keys, label }
    }

    /// All rows of the current filter (`filter` is the filter text as shown, may be empty).
    pub fn filtered(keys: Vec<NodeKey>, filter: &str) -> Self {
        let label = if filter.trim().is_empty() {
            format!("all {} listed node{}", keys.len(), plural(keys.len()))
        } else {
            format!(
                "{} node{} matching `{}`",
                keys.len(),
                plural(keys.len()),
                crate::text::sanitize(filter.trim())
            )
        };
        TargetScope::Nodes { keys, label }
    }

    /// Human description for the pane title and the audit log.
    pub fn describe(&self, snapshot: &FleetSnapshot) -> String {
        match self {
            TargetScope::Nodes { label, .. } => label.clone(),
            TargetScope::PatchGroup(g) => format!("patch group `{}`", crate::text::sanitize(g)),
            TargetScope::Account(id) => {
                let name = snapshot.account_name(id);
                if name == id {
                    format!("account {id}")
                } else {
                    format!("account {} ({id})", crate::text::sanitize(name))
                }
            }
            TargetScope::Ou(id) => match snapshot.organization.units.iter().find(|u| &u.id == id) {
                Some(u) => format!("OU {}", crate::text::sanitize(&u.path)),
                None => format!("OU {id}"),
            },
        }
    }
}

/// The nodes a scope resolves to, in snapshot order, plus keys that are no longer in the
/// snapshot (a marked node that disappeared since it was marked).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolved {
    pub nodes: Vec<Node>,
    pub missing: Vec<NodeKey>,
}

pub fn resolve(snapshot: &FleetSnapshot, scope: &TargetScope) -> Resolved {
    match scope {
        TargetScope::Nodes { keys, .. } => {
            let index: HashMap<(&str, &str, &str), &Node> = snapshot
                .nodes
                .iter()
                .map(|n| {
                    (
                        (
                            n.account_id.as_str(),
                            n.region.as_str(),
                            n.instance_id.as_str(),
                        ),
                        n,
                    )
                })
                .collect();
            let mut seen = HashSet::new();
            let mut out = Resolved::default();
            for k in keys {
                if !seen.insert(k) {
                    continue;
                }
                match index.get(&(
                    k.account_id.as_str(),
                    k.region.as_str(),
                    k.instance_id.as_str(),
                )) {
                    Some(n) => out.nodes.push((*n).clone()),
                    None => out.missing.push(k.clone()),
                }
            }
            out
        }
        TargetScope::PatchGroup(g) => Resolved {
            nodes: snapshot
                .nodes
                .iter()
                .filter(|n| n.patch_group.as_deref() == Some(g.as_str()))
                .cloned()
                .collect(),
            missing: Vec::new(),
        },
        TargetScope::Account(id) => Resolved {
            nodes: snapshot
                .nodes
                .iter()
                .filter(|n| &n.account_id == id)
                .cloned()
                .collect(),
            missing: Vec::new(),
        },
        TargetScope::Ou(ou) => {
            let units = ou_and_descendants(snapshot, ou);
            let accounts: HashSet<&str> = snapshot
                .accounts
                .iter()
                .filter(|a| a.ou_id.as_deref().is_some_and(|o| units.contains(o)))
                .map(|a| a.id.as_str())
                .collect();
            Resolved {
                nodes: snapshot
                    .nodes
                    .iter()
                    .filter(|n| accounts.contains(n.account_id.as_str()))
                    .cloned()
                    .collect(),
                missing: Vec::new(),
            }
        }
    }
}

/// The OU id itself plus every OU below it.
pub fn ou_and_descendants(snapshot: &FleetSnapshot, ou: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    set.insert(ou.to_string());
    // units are listed parents before children, but do not rely on it: iterate to a fixpoint
    loop {
        let before = set.len();
        for u in &snapshot.organization.units {
            if u.parent_id.as_deref().is_some_and(|p| set.contains(p)) {
                set.insert(u.id.clone());
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

/// Whether a patch group, OU path or account name denotes production: one of its words
/// (split on anything not alphanumeric, case-insensitive) is `prod`, `production`, `prd`
/// or `live`, and that word is not preceded by `non` / `pre` / `not` (`non-prod`,
/// `pre-production`). Joined forms such as `nonprod` / `preprod` never match.
pub fn is_production_name(s: &str) -> bool {
    let words: Vec<String> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        matches!(w.as_str(), "prod" | "production" | "prd" | "live")
            && !(i > 0 && matches!(words[i - 1].as_str(), "non" | "pre" | "not"))
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, OrgUnit};

    pub(crate) fn node(acct: &str, region: &str, id: &str) -> Node {
        Node {
            instance_id: id.into(),
            account_id: acct.into(),
            region: region.into(),
            name: format!("name-{id}"),
            ..Node::default()
        }
    }

    fn snapshot() -> FleetSnapshot {
        let mut s = FleetSnapshot::default();
        s.organization.units = vec![
            OrgUnit {
                id: "r-1".into(),
                name: "Root".into(),
                parent_id: None,
                path: "Root".into(),
            },
            OrgUnit {
                id: "ou-w".into(),
                name: "Workloads".into(),
                parent_id: Some("r-1".into()),
                path: "Root/Workloads".into(),
            },
            OrgUnit {
                id: "ou-p".into(),
                name: "Prod".into(),
                parent_id: Some("ou-w".into()),
                path: "Root/Workloads/Prod".into(),
            },
        ];
        s.accounts = vec![
            Account {
                id: "111111111111".into(),
                name: "mgmt".into(),
                ou_id: Some("r-1".into()),
                ..Account::default()
            },
            Account {
                id: "222222222222".into(),
                name: "payments-prod".into(),
                ou_id: Some("ou-p".into()),
                ..Account::default()
            },
        ];
        let mut a = node("111111111111", "us-east-1", "i-0000000000000000a");
        a.patch_group = Some("Dev".into());
        let mut b = node("222222222222", "us-east-1", "i-0000000000000000b");
        b.patch_group = Some("Production".into());
        let c = node("222222222222", "eu-west-1", "i-0000000000000000c");
        s.nodes = vec![a, b, c];
        s
    }

    #[test]
    fn marked_keys_resolve_and_report_missing_once() {
        let s = snapshot();
        let k = s.nodes[1].key();
        let gone = NodeKey {
            account_id: "1".into(),
            region: "r".into(),
            instance_id: "i-gone".into(),
        };
        let r = resolve(
            &s,
            &TargetScope::marked(vec![k.clone(), k.clone(), gone.clone()]),
        );
        assert_eq!(r.nodes.len(), 1);
        assert_eq!(r.nodes[0].key(), k);
        assert_eq!(r.missing, vec![gone]);
    }

    #[test]
    fn ou_includes_nested_accounts() {
        let s = snapshot();
        let r = resolve(&s, &TargetScope::Ou("ou-w".into()));
        assert_eq!(r.nodes.len(), 2);
        assert!(r.nodes.iter().all(|n| n.account_id == "222222222222"));
        let r = resolve(&s, &TargetScope::Ou("r-1".into()));
        assert_eq!(r.nodes.len(), 3);
        assert_eq!(
            TargetScope::Ou("ou-p".into()).describe(&s),
            "OU Root/Workloads/Prod"
        );
    }

    #[test]
    fn patch_group_and_account_scopes() {
        let s = snapshot();
        assert_eq!(
            resolve(&s, &TargetScope::PatchGroup("Production".into()))
                .nodes
                .len(),
            1
        );
        assert_eq!(
            resolve(&s, &TargetScope::Account("222222222222".into()))
                .nodes
                .len(),
            2
        );
        assert_eq!(
            TargetScope::Account("222222222222".into()).describe(&s),
            "account payments-prod (222222222222)"
        );
    }

    #[test]
    fn production_names() {
        for yes in [
            "Production",
            "prod",
            "web-prod",
            "Root/Workloads/Prod",
            "PRD-db",
            "live",
        ] {
            assert!(is_production_name(yes), "{yes}");
        }
        for no in [
            "non-prod",
            "NonProd",
            "preprod",
            "pre-production",
            "Dev",
            "product-team",
            "staging",
            "",
        ] {
            assert!(!is_production_name(no), "{no}");
        }
    }
}
