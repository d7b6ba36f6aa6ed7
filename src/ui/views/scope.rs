//! Which nodes (or certificates) a view shows: all, or one account, OU, region, patch group
//! or platform; resolved from a `:nodes ARG` argument.

use super::super::data::Data;
use crate::model::FleetSnapshot;

/// Which nodes a nodes view shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeScope {
    All,
    Account(String),
    Ou(String),
    Region(String),
    PatchGroup(String),
    Platform(String),
}

impl NodeScope {
    /// Breadcrumb label.
    pub fn label(&self, snap: Option<&FleetSnapshot>) -> String {
        let s = |x: &str| crate::text::sanitize(x);
        match self {
            NodeScope::All => String::new(),
            NodeScope::Account(id) => snap
                .map(|sn| s(sn.account_name(id)))
                .unwrap_or_else(|| id.clone()),
            NodeScope::Ou(id) => snap
                .and_then(|sn| sn.organization.units.iter().find(|u| &u.id == id))
                .map(|u| s(&u.name))
                .unwrap_or_else(|| id.clone()),
            NodeScope::Region(r) => s(r),
            NodeScope::PatchGroup(p) if p.is_empty() => "(no patch group)".into(),
            NodeScope::PatchGroup(p) => format!("patch group {}", s(p)),
            NodeScope::Platform(p) => s(p),
        }
    }
}

impl NodeScope {
    /// The scope named by a `:nodes ARG` argument (all when empty).
    pub fn from_args(data: Option<&Data>, args: &str) -> Result<NodeScope, String> {
        if args.is_empty() {
            Ok(NodeScope::All)
        } else {
            NodeScope::resolve(data, args)
        }
    }

    /// An account (id or name), OU (id or name), region or patch group.
    pub fn resolve(data: Option<&Data>, arg: &str) -> Result<NodeScope, String> {
        let Some(d) = data else {
            return Err("no data yet to resolve the scope".into());
        };
        let s = &d.snapshot;
        let a = arg.to_lowercase();
        if let Some(acct) = s
            .accounts
            .iter()
            .find(|x| x.id == arg || x.name.to_lowercase() == a)
        {
            return Ok(NodeScope::Account(acct.id.clone()));
        }
        if let Some(u) = s
            .organization
            .units
            .iter()
            .find(|u| u.id == arg || u.name.to_lowercase() == a)
        {
            return Ok(NodeScope::Ou(u.id.clone()));
        }
        if s.regions.iter().any(|r| r == arg) || s.nodes.iter().any(|n| n.region == arg) {
            return Ok(NodeScope::Region(arg.to_string()));
        }
        if let Some(acct) = s
            .accounts
            .iter()
            .find(|x| x.name.to_lowercase().contains(&a))
        {
            return Ok(NodeScope::Account(acct.id.clone()));
        }
        if let Some(u) = s
            .organization
            .units
            .iter()
            .find(|u| u.name.to_lowercase().contains(&a))
        {
            return Ok(NodeScope::Ou(u.id.clone()));
        }
        if s.nodes
            .iter()
            .any(|n| n.patch_group.as_deref() == Some(arg))
        {
            return Ok(NodeScope::PatchGroup(arg.to_string()));
        }
        Err(format!(
            "no account, OU, region or patch group matches `{arg}`"
        ))
    }
}
