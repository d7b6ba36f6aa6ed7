//! Account discovery: the Organizations tree (roots → OUs, recursively → accounts with
//! their state), or the config file's explicit account list, or — when Organizations is
//! not accessible — the caller's own account, with a visible note.
//!
//! Organizations is a global service homed in us-east-1: every call goes there, once per
//! refresh, through the limiter. List pages hold at most 20 items and may come back empty
//! with a NextToken; we keep paging until the token is gone.

use std::collections::BTreeMap;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::config::AccountEntry;
use crate::model::{Account, AccountState, CollectError, DiscoverySource, OrgUnit, Organization};

use super::clients::Clients;
use super::convert::account_from_sdk;
use super::error::{Failure, FailureKind};
use super::limiter::{ApiKey, Limiter};
use super::scope::Scope;

/// What discovery found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Discovery {
    pub organization: Organization,
    pub accounts: Vec<Account>,
    pub errors: Vec<CollectError>,
}

const ORG_PAGE: i32 = 20;
/// Safety net against a server that never stops paging.
const MAX_PAGES: usize = 10_000;

/// Discover the accounts. With `emit`, accounts are also sent as soon as their parent's
/// listing completes (so collection can start before the whole tree is walked); the final
/// `Discovery` is the complete answer, with the account filter applied.
pub async fn discover(
    scope: &Scope,
    clients: &Clients,
    limiter: &Limiter,
    cancel: &CancellationToken,
    emit: Option<&UnboundedSender<Vec<Account>>>,
) -> Result<Discovery, Failure> {
    let caller = clients.caller_account.clone();
    let mut d = if !scope.accounts.is_empty() {
        from_config(&scope.accounts)
    } else {
        match from_organizations(scope, clients, limiter, cancel, emit).await {
            Ok(d) => d,
            Err(f) if f.is_cancelled() => return Err(f),
            Err(f) => caller_only(&caller, scope, &f),
        }
    };
    if !scope.account_filter.is_empty() {
        let known: Vec<String> = d.accounts.iter().map(|a| a.id.clone()).collect();
        d.accounts.retain(|a| scope.account_filter.contains(&a.id));
        for id in &scope.account_filter {
            if !known.contains(id) {
                // asked for explicitly: read it even if discovery did not list it
                d.accounts.push(Account {
                    id: id.clone(),
                    name: id.clone(),
                    state: AccountState::Active,
                    ..Account::default()
                });
            }
        }
    }
    Ok(d)
}

/// The caller's account only, with a note saying why.
fn caller_only(caller: &str, scope: &Scope, f: &Failure) -> Discovery {
    let why = match (f.kind, f.code.as_str()) {
        (_, "AWSOrganizationsNotInUseException") => "the account is not in an organization".into(),
        (FailureKind::Denied, code) => format!(
            "{code}: Organizations lists need the management account or a delegated \
             administrator"
        ),
        (_, code) => format!("{code}: {}", f.message),
    };
    let note = if scope.account_filter.is_empty() {
        format!(
            "Organizations not accessible ({why}); showing account {caller} only. \
             List accounts in the config file (`[[accounts]]`) or use --accounts to read more."
        )
    } else {
        format!("Organizations not accessible ({why}); reading the accounts given with --accounts.")
    };
    let mut errors = Vec::new();
    // Not being in an organization, or not being allowed to list it, is a note, not an
    // error; anything else (throttled out, 5xx) is also recorded as an error.
    if !matches!(f.kind, FailureKind::Denied) {
        errors.push(f.to_collect_error(
            None,
            Some(&scope.organizations_region),
            "organizations",
            "ListAccountsForParent",
        ));
    }
    Discovery {
        organization: Organization {
            id: None,
            management_account_id: None,
            source: DiscoverySource::CallerOnly,
            note: Some(note),
            units: Vec::new(),
        },
        accounts: vec![Account {
            id: caller.to_string(),
            name: caller.to_string(),
            state: AccountState::Active,
            ..Account::default()
        }],
        errors,
    }
}

/// The explicit list from the config, with an OU tree made from the given paths.
pub fn from_config(entries: &[AccountEntry]) -> Discovery {
    let root = OrgUnit {
        id: "r-config".into(),
        name: "Root".into(),
        parent_id: None,
        path: "Root".into(),
    };
    let mut units: BTreeMap<String, OrgUnit> = BTreeMap::new();
    let mut accounts = Vec::new();
    for e in entries {
        let mut parent = root.id.clone();
        let mut path = root.path.clone();
        if let Some(p) = &e.ou_path {
            for seg in p.split('/').map(str::trim).filter(|s| !s.is_empty()) {
                if path == "Root" && seg == "Root" {
                    continue;
                }
                path = format!("{path}/{seg}");
                let id = format!(
                    "ou-config-{:08x}",
                    super::scope::fnv1a(path.as_bytes()) as u32
                );
                units.entry(path.clone()).or_insert_with(|| OrgUnit {
                    id: id.clone(),
                    name: seg.to_string(),
                    parent_id: Some(parent.clone()),
                    path: path.clone(),
                });
                parent = id;
            }
        }
        accounts.push(Account {
            id: e.id.clone(),
            name: e.name.clone().unwrap_or_else(|| e.id.clone()),
            email: None,
            ou_id: Some(parent),
            ou_path: path,
            state: AccountState::Active,
        });
    }
    // parents before children: shorter paths first
    let mut list: Vec<OrgUnit> = units.into_values().collect();
    list.sort_by_key(|u| (u.path.matches('/').count(), u.path.clone()));
    list.insert(0, root);
    Discovery {
        organization: Organization {
            id: None,
            management_account_id: None,
            source: DiscoverySource::Config,
            note: None,
            units: list,
        },
        accounts,
        errors: Vec::new(),
    }
}

async fn from_organizations(
    scope: &Scope,
    clients: &Clients,
    limiter: &Limiter,
    cancel: &CancellationToken,
    emit: Option<&UnboundedSender<Vec<Account>>>,
) -> Result<Discovery, Failure> {
    let org = clients.organizations();
    let caller = clients.caller_account.clone();
    let region = scope.organizations_region.clone();
    let key = |api: &'static str| ApiKey::new(&caller, &region, api);

    let described = limiter
        .call(&key("DescribeOrganization"), cancel, || async {
            org.describe_organization()
                .send()
                .await
                .map_err(|e| Failure::from_sdk(&e))
        })
        .await?;
    let o = described.organization();
    let mut organization = Organization {
        id: o.and_then(|o| o.id()).map(str::to_string),
        management_account_id: o.and_then(|o| o.master_account_id()).map(str::to_string),
        source: DiscoverySource::Organizations,
        note: None,
        units: Vec::new(),
    };

    // roots
    let mut roots = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = limiter
            .call(&key("ListRoots"), cancel, || {
                let t = token.clone();
                let org = org.clone();
                async move {
                    org.list_roots()
                        .max_results(ORG_PAGE)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await?;
        for r in page.roots() {
            if let Some(id) = r.id() {
                let name = r.name().filter(|n| !n.is_empty()).unwrap_or("Root");
                roots.push(OrgUnit {
                    id: id.to_string(),
                    name: name.to_string(),
                    parent_id: None,
                    path: name.to_string(),
                });
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }

    // Walk the tree without level barriers: a parent's children are listed as soon as the
    // parent's own listing is done, and its accounts are emitted at once.
    let mut accounts = Vec::new();
    let mut errors = Vec::new();
    let walk = |parent: OrgUnit, depth: usize| {
        let org = org.clone();
        let caller = caller.clone();
        let region = region.clone();
        async move {
            let ous = list_ous(&org, limiter, cancel, &caller, &region, &parent);
            let accts = list_accounts(&org, limiter, cancel, &caller, &region, &parent);
            let (ous, accts) = tokio::join!(ous, accts);
            (parent, depth, ous, accts)
        }
    };
    let mut pending = FuturesUnordered::new();
    for r in &roots {
        pending.push(walk(r.clone(), 1));
    }
    organization.units.extend(roots);
    while let Some((parent, depth, ous, accts)) = pending.next().await {
        match ous {
            Ok(children) => {
                for c in children {
                    if depth < 64 {
                        pending.push(walk(c.clone(), depth + 1));
                    }
                    organization.units.push(c);
                }
            }
            Err(f) if f.is_cancelled() => return Err(f),
            // the root itself refused: not the management account or a delegated admin
            Err(f) if depth == 1 && f.kind == FailureKind::Denied => return Err(f),
            Err(f) => errors.push(f.to_collect_error(
                None,
                Some(&region),
                "organizations",
                "ListOrganizationalUnitsForParent",
            )),
        }
        match accts {
            Ok(list) => {
                let found: Vec<Account> = list
                    .iter()
                    .filter_map(|a| account_from_sdk(a, &parent.id, &parent.path))
                    .collect();
                if let Some(tx) = emit {
                    let wanted: Vec<Account> = found
                        .iter()
                        .filter(|a| {
                            scope.account_filter.is_empty() || scope.account_filter.contains(&a.id)
                        })
                        .cloned()
                        .collect();
                    if !wanted.is_empty() {
                        let _ = tx.send(wanted);
                    }
                }
                accounts.extend(found);
            }
            Err(f) if f.is_cancelled() => return Err(f),
            Err(f) if depth == 1 && f.kind == FailureKind::Denied => return Err(f),
            Err(f) => errors.push(f.to_collect_error(
                None,
                Some(&region),
                "organizations",
                "ListAccountsForParent",
            )),
        }
    }
    drop(pending);
    // parents before children
    organization
        .units
        .sort_by_key(|u| (u.path.matches('/').count(), u.path.clone()));
    accounts.sort_by(|a, b| a.ou_path.cmp(&b.ou_path).then(a.name.cmp(&b.name)));
    accounts.dedup_by(|a, b| a.id == b.id);
    Ok(Discovery {
        organization,
        accounts,
        errors,
    })
}

async fn list_ous(
    org: &aws_sdk_organizations::Client,
    limiter: &Limiter,
    cancel: &CancellationToken,
    caller: &str,
    region: &str,
    parent: &OrgUnit,
) -> Result<Vec<OrgUnit>, Failure> {
    let key = ApiKey::new(caller, region, "ListOrganizationalUnitsForParent");
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = limiter
            .call(&key, cancel, || {
                let t = token.clone();
                async move {
                    org.list_organizational_units_for_parent()
                        .parent_id(&parent.id)
                        .max_results(ORG_PAGE)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await?;
        for ou in page.organizational_units() {
            if let Some(id) = ou.id() {
                let name = ou.name().unwrap_or(id);
                out.push(OrgUnit {
                    id: id.to_string(),
                    name: name.to_string(),
                    parent_id: Some(parent.id.clone()),
                    path: format!("{}/{}", parent.path, name),
                });
            }
        }
        // an empty page with a token is not the end
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

async fn list_accounts(
    org: &aws_sdk_organizations::Client,
    limiter: &Limiter,
    cancel: &CancellationToken,
    caller: &str,
    region: &str,
    parent: &OrgUnit,
) -> Result<Vec<aws_sdk_organizations::types::Account>, Failure> {
    let key = ApiKey::new(caller, region, "ListAccountsForParent");
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = limiter
            .call(&key, cancel, || {
                let t = token.clone();
                async move {
                    org.list_accounts_for_parent()
                        .parent_id(&parent.id)
                        .max_results(ORG_PAGE)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await?;
        out.extend(page.accounts().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_accounts_build_an_ou_tree() {
        let d = from_config(&[
            AccountEntry {
                id: "111111111111".into(),
                name: Some("prod-web".into()),
                ou_path: Some("Workloads/Prod".into()),
                profile: None,
            },
            AccountEntry {
                id: "222222222222".into(),
                name: None,
                ou_path: Some("Workloads/Dev".into()),
                profile: None,
            },
            AccountEntry {
                id: "333333333333".into(),
                ..AccountEntry::default()
            },
        ]);
        assert_eq!(d.organization.source, DiscoverySource::Config);
        let paths: Vec<&str> = d
            .organization
            .units
            .iter()
            .map(|u| u.path.as_str())
            .collect();
        assert_eq!(
            paths,
            vec![
                "Root",
                "Root/Workloads",
                "Root/Workloads/Dev",
                "Root/Workloads/Prod"
            ]
        );
        let prod = &d.accounts[0];
        assert_eq!(prod.name, "prod-web");
        assert_eq!(prod.ou_path, "Root/Workloads/Prod");
        let unit = d
            .organization
            .units
            .iter()
            .find(|u| Some(&u.id) == prod.ou_id.as_ref())
            .unwrap();
        assert_eq!(unit.name, "Prod");
        // parent links resolve to the root
        let wl = d
            .organization
            .units
            .iter()
            .find(|u| Some(&u.id) == unit.parent_id.as_ref())
            .unwrap();
        assert_eq!(wl.parent_id.as_deref(), Some("r-config"));
        assert_eq!(d.accounts[1].name, "222222222222");
        assert_eq!(d.accounts[2].ou_id.as_deref(), Some("r-config"));
    }

    #[test]
    fn caller_only_has_a_note_not_an_error_when_denied() {
        let f = Failure::new(FailureKind::Denied, "AccessDeniedException", "no");
        let d = caller_only("123456789012", &Scope::default(), &f);
        assert_eq!(d.organization.source, DiscoverySource::CallerOnly);
        assert_eq!(d.accounts.len(), 1);
        assert!(d.errors.is_empty());
        let note = d.organization.note.unwrap();
        assert!(note.contains("123456789012 only"), "{note}");
        let throttled = Failure::new(FailureKind::Throttled, "TooManyRequestsException", "slow");
        let d = caller_only("123456789012", &Scope::default(), &throttled);
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].service, "organizations");
    }
}
