//! Account discovery: the Organizations tree (roots → OUs, recursively → accounts with
//! their state), or the config file's explicit account list, or — when Organizations
//! definitively refuses (`AWSOrganizationsNotInUseException`, `AccessDenied`) — the
//! caller's own account, with a visible note.
//!
//! Organizations is a global service homed in us-east-1: every call goes there, once per
//! refresh, through the control-plane limiter (a more patient retry budget). List pages
//! hold at most 20 items and may come back empty with a NextToken; we keep paging until
//! the token is gone.
//!
//! Discovery never shrinks on a transient failure: a parent whose OUs or accounts still
//! cannot be listed keeps its part of the last good snapshot (listed in `gaps`, with an
//! error naming the parent), and a tree that cannot be read at all keeps every account
//! of the last good snapshot.

use std::collections::BTreeMap;

use futures::future::{BoxFuture, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::config::AccountEntry;
use crate::model::{
    Account, AccountState, CollectError, DiscoverySource, FleetSnapshot, Missing, MissingKind,
    OrgUnit, Organization,
};

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
    /// Parts of the tree that could not be read; their accounts (`kept_accounts`) come from
    /// the last good snapshot.
    pub gaps: Vec<Missing>,
}

const ORG_PAGE: i32 = 20;

/// One listing of the tree walk: a parent's OUs, or (its pages already emitted) its accounts.
enum Listed {
    Ous(OrgUnit, usize, Result<Vec<OrgUnit>, Failure>),
    Accounts(OrgUnit, usize, Result<(), Failure>),
}
/// Safety net against a server that never stops paging.
const MAX_PAGES: usize = 10_000;

/// Discover the accounts. With `emit`, accounts are also sent as soon as their parent's
/// listing completes (so collection can start before the whole tree is walked); the final
/// `Discovery` is the complete answer, with the account filter applied. `prev` is the last
/// good snapshot: what a transient failure keeps. Fails only when cancelled.
pub async fn discover(
    scope: &Scope,
    clients: &Clients,
    limiter: &Limiter,
    cancel: &CancellationToken,
    emit: Option<&UnboundedSender<Vec<Account>>>,
    prev: Option<&FleetSnapshot>,
) -> Result<Discovery, Failure> {
    let caller = clients.caller_account.clone();
    let mut d = if !scope.accounts.is_empty() {
        from_config(&scope.accounts)
    } else {
        let org = Org {
            client: clients.organizations(),
            limiter,
            cancel,
            caller: &caller,
            region: &scope.organizations_region,
        };
        match from_organizations(&org, scope, emit, prev).await {
            Ok(d) => d,
            Err((_, f)) if f.is_cancelled() => return Err(f),
            Err((_, f)) if f.is_definitive_org_refusal() => caller_only(&caller, scope, &f),
            Err((op, f)) => unreadable_tree(&f, &scope.organizations_region, op, prev),
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

/// The tree could not be read at all (after the patient retries) and the failure is
/// transient: every account of the last good snapshot stays, with one error saying so.
/// Never the caller-only fallback: that would shrink the organization to one account.
fn unreadable_tree(
    f: &Failure,
    region: &str,
    operation: &str,
    prev: Option<&FleetSnapshot>,
) -> Discovery {
    let (organization, accounts, as_of) = match prev {
        Some(p) => (p.organization.clone(), p.accounts.clone(), p.data_as_of()),
        None => (
            Organization {
                source: DiscoverySource::Organizations,
                ..Organization::default()
            },
            Vec::new(),
            None,
        ),
    };
    let mut error = f.to_collect_error(None, Some(region), "organizations", operation);
    let kept = if accounts.is_empty() {
        "no earlier snapshot to show".to_string()
    } else {
        format!(
            "showing the {} account(s) of the last good snapshot",
            accounts.len()
        )
    };
    error.message = format!(
        "the organization tree could not be read ({kept}): {}",
        f.message
    );
    let gap = Missing {
        kind: MissingKind::Organization,
        service: Some("organizations".into()),
        operation: Some(error.operation.clone()),
        kept_accounts: accounts.iter().map(|a| a.id.clone()).collect(),
        code: f.code.clone(),
        last_good_at: as_of,
        ..Missing::default()
    };
    Discovery {
        organization,
        accounts,
        errors: vec![error],
        gaps: vec![gap],
    }
}

/// The caller's account only, with a note saying why (a definitive refusal only).
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
        gaps: Vec::new(),
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
        gaps: Vec::new(),
    }
}

/// What every Organizations call needs.
struct Org<'a> {
    client: aws_sdk_organizations::Client,
    limiter: &'a Limiter,
    cancel: &'a CancellationToken,
    caller: &'a str,
    region: &'a str,
}

/// The error of one parent whose listing failed: it names the parent (id, name, path).
fn parent_error(f: &Failure, region: &str, operation: &str, parent: &OrgUnit) -> CollectError {
    let mut e = f.to_collect_error(None, Some(region), "organizations", operation);
    e.message = format!(
        "parent {} ({}): {}",
        parent.id,
        if parent.path.is_empty() {
            &parent.name
        } else {
            &parent.path
        },
        f.message
    );
    e
}

/// The child OUs of `parent` in the last good snapshot, and all their descendants.
fn prev_subtree<'a>(prev: Option<&'a FleetSnapshot>, parent: &OrgUnit) -> Vec<&'a OrgUnit> {
    let Some(p) = prev else { return Vec::new() };
    let mut out: Vec<&OrgUnit> = Vec::new();
    let mut frontier = vec![parent.id.as_str()];
    while let Some(id) = frontier.pop() {
        for u in p.organization.units.iter() {
            if u.parent_id.as_deref() == Some(id) && !out.iter().any(|x| x.id == u.id) {
                out.push(u);
                frontier.push(u.id.as_str());
            }
        }
    }
    out
}

async fn from_organizations(
    org: &Org<'_>,
    scope: &Scope,
    emit: Option<&UnboundedSender<Vec<Account>>>,
    prev: Option<&FleetSnapshot>,
) -> Result<Discovery, (&'static str, Failure)> {
    let client = &org.client;
    let (limiter, cancel) = (org.limiter, org.cancel);
    let region = org.region.to_string();
    let key = |api: &'static str| ApiKey::new(org.caller, &region, api);

    // DescribeOrganization and ListRoots do not depend on each other: both at once (one
    // round trip off the critical path of every refresh)
    let describe = async {
        limiter
            .call(&key("DescribeOrganization"), cancel, || async {
                client
                    .describe_organization()
                    .send()
                    .await
                    .map_err(|e| Failure::from_sdk(&e))
            })
            .await
            .map_err(|f| ("DescribeOrganization", f))
    };
    let list_roots = async {
        let mut roots = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = limiter
                .call(&key("ListRoots"), cancel, || {
                    let t = token.clone();
                    async move {
                        client
                            .list_roots()
                            .max_results(ORG_PAGE)
                            .set_next_token(t)
                            .send()
                            .await
                            .map_err(|e| Failure::from_sdk(&e))
                    }
                })
                .await
                .map_err(|f| ("ListRoots", f))?;
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
        Ok::<_, (&'static str, Failure)>(roots)
    };
    // the first refusal decides (not in an organization, denied), the other call is dropped
    let (described, roots) = tokio::try_join!(describe, list_roots)?;
    let o = described.organization();
    let mut organization = Organization {
        id: o.and_then(|o| o.id()).map(str::to_string),
        management_account_id: o.and_then(|o| o.master_account_id()).map(str::to_string),
        source: DiscoverySource::Organizations,
        note: None,
        units: Vec::new(),
    };

    // Walk the tree without level barriers: a parent's children are listed as soon as the
    // parent's own listing is done, and its accounts are emitted at once.
    let mut kept: Vec<Account> = Vec::new();
    let mut errors = Vec::new();
    let mut gaps: Vec<Missing> = Vec::new();
    let as_of = prev.and_then(|p| p.data_as_of());
    let wanted =
        |a: &Account| scope.account_filter.is_empty() || scope.account_filter.contains(&a.id);
    let send = |list: Vec<Account>| {
        if let Some(tx) = emit {
            let list: Vec<Account> = list.into_iter().filter(|a| wanted(a)).collect();
            if !list.is_empty() {
                let _ = tx.send(list);
            }
        }
    };
    // Found accounts, page by page (each page is emitted at once: collection starts while a
    // large OU's later pages are still coming).
    let found: std::sync::Mutex<Vec<Account>> = Default::default();
    // The root's accounts are held until the root's OU listing answered: when that is refused
    // (not the management account or a delegated admin) discovery falls back to the caller's
    // account, and no account may have been sent off for reading before.
    let held: std::sync::Mutex<Option<Vec<Account>>> = std::sync::Mutex::new(Some(Vec::new()));
    let on_page = |list: Vec<Account>| {
        match held.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some(buf) => buf.extend(list.iter().cloned()),
            None => send(list.clone()),
        }
        found.lock().unwrap_or_else(|e| e.into_inner()).extend(list);
    };
    let on_page = &on_page;
    // A parent's OUs and its accounts are listed apart: its child OUs are walked as soon as
    // they are known, not after the parent's last page of accounts.
    let walk_ous = |parent: OrgUnit, depth: usize| -> BoxFuture<'_, Listed> {
        let region = region.clone();
        async move {
            let r = list_ous(org, &region, &parent).await;
            Listed::Ous(parent, depth, r)
        }
        .boxed()
    };
    let walk_accounts = |parent: OrgUnit, depth: usize| -> BoxFuture<'_, Listed> {
        let region = region.clone();
        async move {
            let r = list_accounts(org, &region, &parent, on_page).await;
            Listed::Accounts(parent, depth, r)
        }
        .boxed()
    };
    let mut pending = FuturesUnordered::new();
    let mut walked: std::collections::HashSet<String> = Default::default();
    for r in &roots {
        walked.insert(r.id.clone());
        pending.push(walk_ous(r.clone(), 1));
        pending.push(walk_accounts(r.clone(), 1));
    }
    organization.units.extend(roots);
    while let Some(listed) = pending.next().await {
        if let Listed::Ous(_, 1, r) = &listed
            && !r
                .as_ref()
                .is_err_and(|f| f.is_cancelled() || f.kind == FailureKind::Denied)
        {
            let buf = held.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(buf) = buf.filter(|b| !b.is_empty()) {
                send(buf);
            }
        }
        match listed {
            Listed::Ous(_, depth, Ok(children)) => {
                for c in children {
                    if depth < 64 && walked.insert(c.id.clone()) {
                        pending.push(walk_ous(c.clone(), depth + 1));
                        pending.push(walk_accounts(c.clone(), depth + 1));
                    }
                    organization.units.push(c);
                }
            }
            Listed::Ous(_, _, Err(f)) if f.is_cancelled() => {
                return Err(("ListOrganizationalUnitsForParent", f));
            }
            // the root itself refused: not the management account or a delegated admin
            Listed::Ous(_, 1, Err(f)) if f.kind == FailureKind::Denied => {
                return Err(("ListOrganizationalUnitsForParent", f));
            }
            Listed::Ous(parent, depth, Err(f)) => {
                let op = "ListOrganizationalUnitsForParent";
                errors.push(parent_error(&f, &region, op, &parent));
                // the last good subtree of OUs stays and is still walked (their accounts
                // may well be listable; a listing that fails there is its own gap)
                let subtree = prev_subtree(prev, &parent);
                for u in subtree {
                    if u.parent_id.as_deref() == Some(parent.id.as_str())
                        && depth < 64
                        && walked.insert(u.id.clone())
                    {
                        pending.push(walk_ous(u.clone(), depth + 1));
                        pending.push(walk_accounts(u.clone(), depth + 1));
                    }
                    if !organization.units.iter().any(|x| x.id == u.id) {
                        organization.units.push(u.clone());
                    }
                }
                gaps.push(Missing {
                    kind: MissingKind::Ou,
                    service: Some("organizations".into()),
                    operation: Some(op.into()),
                    ou_id: Some(parent.id.clone()),
                    ou_name: Some(parent.name.clone()),
                    code: f.code.clone(),
                    last_good_at: as_of,
                    ..Missing::default()
                });
            }
            Listed::Accounts(_, _, Ok(())) => {}
            Listed::Accounts(_, _, Err(f)) if f.is_cancelled() => {
                return Err(("ListAccountsForParent", f));
            }
            Listed::Accounts(_, 1, Err(f)) if f.kind == FailureKind::Denied => {
                return Err(("ListAccountsForParent", f));
            }
            Listed::Accounts(parent, _, Err(f)) => {
                let op = "ListAccountsForParent";
                errors.push(parent_error(&f, &region, op, &parent));
                // the parent's accounts of the last good snapshot stay (and are read)
                let here: Vec<Account> = prev
                    .map(|p| {
                        p.accounts
                            .iter()
                            .filter(|a| a.ou_id.as_deref() == Some(parent.id.as_str()))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                gaps.push(Missing {
                    kind: MissingKind::Ou,
                    service: Some("organizations".into()),
                    operation: Some(op.into()),
                    ou_id: Some(parent.id.clone()),
                    ou_name: Some(parent.name.clone()),
                    kept_accounts: here.iter().map(|a| a.id.clone()).collect(),
                    code: f.code.clone(),
                    last_good_at: as_of,
                    ..Missing::default()
                });
                send(here.clone());
                kept.extend(here);
            }
        }
    }
    drop(pending);
    let mut accounts = found.into_inner().unwrap_or_else(|e| e.into_inner());
    // accounts kept from the last good snapshot, unless listed fresh elsewhere (moved)
    let fresh: std::collections::HashSet<String> = accounts.iter().map(|a| a.id.clone()).collect();
    accounts.extend(kept.into_iter().filter(|a| !fresh.contains(&a.id)));
    // parents before children
    organization
        .units
        .sort_by_key(|u| (u.path.matches('/').count(), u.path.clone()));
    accounts.sort_by(|a, b| a.ou_path.cmp(&b.ou_path).then(a.name.cmp(&b.name)));
    let mut seen = std::collections::HashSet::new();
    accounts.retain(|a| seen.insert(a.id.clone()));
    Ok(Discovery {
        organization,
        accounts,
        errors,
        gaps,
    })
}

async fn list_ous(org: &Org<'_>, region: &str, parent: &OrgUnit) -> Result<Vec<OrgUnit>, Failure> {
    let key = ApiKey::new(org.caller, region, "ListOrganizationalUnitsForParent");
    let (limiter, cancel) = (org.limiter, org.cancel);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = limiter
            .call(&key, cancel, || {
                let t = token.clone();
                async move {
                    org.client
                        .list_organizational_units_for_parent()
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

/// A parent's accounts, page by page: each page goes to `on_page` as it comes.
async fn list_accounts(
    org: &Org<'_>,
    region: &str,
    parent: &OrgUnit,
    on_page: &(dyn Fn(Vec<Account>) + Sync),
) -> Result<(), Failure> {
    let key = ApiKey::new(org.caller, region, "ListAccountsForParent");
    let (limiter, cancel) = (org.limiter, org.cancel);
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = limiter
            .call(&key, cancel, || {
                let t = token.clone();
                async move {
                    org.client
                        .list_accounts_for_parent()
                        .parent_id(&parent.id)
                        .max_results(ORG_PAGE)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await?;
        let list: Vec<Account> = page
            .accounts()
            .iter()
            .filter_map(|a| account_from_sdk(a, &parent.id, &parent.path))
            .collect();
        if !list.is_empty() {
            on_page(list);
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Discovery through the SDK against a simulator (us-east-1): what it found, and the
    /// batches of accounts it sent off for reading meanwhile, in order.
    async fn discover_streaming(url: &str) -> (Discovery, Vec<Vec<Account>>) {
        let mut scope = crate::app::demo::sim_scope(url, vec!["us-east-1".into()]);
        scope.cache_file = None;
        let fleet = super::super::Fleet::connect(scope).await.expect("connect");
        let inner = &fleet.inner;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Account>>();
        let d = discover(
            &inner.scope,
            &inner.clients,
            &inner.control,
            &CancellationToken::new(),
            Some(&tx),
            None,
        )
        .await
        .expect("discovery");
        drop(tx);
        let mut batches = Vec::new();
        while let Some(b) = rx.recv().await {
            batches.push(b);
        }
        (d, batches)
    }

    /// A large OU's accounts are emitted page by page (collection of the first twenty starts
    /// while the OU's later pages are still coming), and every account found is emitted.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn accounts_are_emitted_as_each_page_of_their_ou_comes() {
        let sim = crate::sim::start(crate::sim::SimConfig {
            accounts: 99,
            regions: vec!["us-east-1".into()],
            nodes_per_account: 1,
            latency_ms: 60,
            ..crate::sim::SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let (d, batches) = discover_streaming(&sim.url).await;
        let prod = |a: &Account| a.ou_path == "Root/Workloads/Prod";
        let in_prod = d.accounts.iter().filter(|a| prod(a)).count();
        assert!(
            in_prod > 20,
            "the world's Prod OU spans pages ({in_prod} accounts)"
        );
        let prod_batches: Vec<usize> = batches
            .iter()
            .map(|b| b.iter().filter(|a| prod(a)).count())
            .filter(|&n| n > 0)
            .collect();
        assert!(
            prod_batches.len() >= 2 && prod_batches.iter().all(|&n| n <= 20),
            "Prod's accounts came a page at a time, not all at the end: {prod_batches:?}"
        );
        let mut emitted: Vec<String> = batches.iter().flatten().map(|a| a.id.clone()).collect();
        emitted.sort();
        emitted.dedup();
        let mut all: Vec<String> = d.accounts.iter().map(|a| a.id.clone()).collect();
        all.sort();
        assert_eq!(emitted, all, "every account discovery found was emitted");
    }

    /// A refused root listing falls back to the caller's account: the root's accounts listed
    /// meanwhile are not sent off for reading.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_root_listing_sends_no_account_for_reading() {
        let sim = crate::sim::start(crate::sim::SimConfig {
            regions: vec!["us-east-1".into()],
            nodes_per_account: 1,
            latency_ms: 20,
            ..crate::sim::SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let management = sim.world().org.management_account_id.clone();
        sim.deny_ops(&management, &["ListOrganizationalUnitsForParent"]);
        let (d, batches) = discover_streaming(&sim.url).await;
        let ids: Vec<&str> = d.accounts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, [management.as_str()], "the caller's account only");
        assert!(batches.is_empty(), "no account was sent off for reading");
    }

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

    fn prev_snapshot() -> FleetSnapshot {
        let unit = |id: &str, parent: Option<&str>, path: &str| OrgUnit {
            id: id.into(),
            name: path.rsplit('/').next().unwrap().into(),
            parent_id: parent.map(str::to_string),
            path: path.into(),
        };
        let acct = |id: &str, ou: &str| Account {
            id: id.into(),
            name: id.into(),
            ou_id: Some(ou.into()),
            ..Account::default()
        };
        FleetSnapshot {
            organization: Organization {
                source: DiscoverySource::Organizations,
                units: vec![
                    unit("r-1", None, "Root"),
                    unit("ou-w", Some("r-1"), "Root/Workloads"),
                    unit("ou-p", Some("ou-w"), "Root/Workloads/Prod"),
                    unit("ou-s", Some("r-1"), "Root/Security"),
                ],
                ..Organization::default()
            },
            accounts: vec![acct("1", "r-1"), acct("2", "ou-p"), acct("3", "ou-s")],
            ..FleetSnapshot::default()
        }
    }

    #[test]
    fn an_unreadable_tree_keeps_every_account_of_the_last_snapshot() {
        let prev = prev_snapshot();
        let f = Failure::new(FailureKind::Throttled, "TooManyRequestsException", "slow");
        let d = unreadable_tree(&f, "us-east-1", "ListRoots", Some(&prev));
        assert_eq!(d.accounts, prev.accounts);
        assert_eq!(d.organization.source, DiscoverySource::Organizations);
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].operation, "ListRoots");
        assert!(
            d.errors[0]
                .message
                .contains("3 account(s) of the last good snapshot")
        );
        assert_eq!(d.gaps[0].kind, MissingKind::Organization);
        assert_eq!(d.gaps[0].kept_accounts.len(), 3);
        // nothing to keep: no accounts, but the gap and the error still say it
        let d = unreadable_tree(&f, "us-east-1", "DescribeOrganization", None);
        assert!(d.accounts.is_empty());
        assert_eq!(d.gaps.len(), 1);
        assert_ne!(d.organization.source, DiscoverySource::CallerOnly);
    }

    #[test]
    fn a_parent_error_names_the_parent_and_its_subtree_is_known() {
        let prev = prev_snapshot();
        let w = &prev.organization.units[1];
        let f = Failure::new(FailureKind::Throttled, "TooManyRequestsException", "slow");
        let e = parent_error(&f, "us-east-1", "ListAccountsForParent", w);
        assert_eq!(e.operation, "ListAccountsForParent");
        assert!(
            e.message.starts_with("parent ou-w (Root/Workloads): "),
            "{}",
            e.message
        );
        let sub: Vec<&str> = prev_subtree(Some(&prev), w)
            .iter()
            .map(|u| u.id.as_str())
            .collect();
        assert_eq!(sub, vec!["ou-p"]);
        let root = &prev.organization.units[0];
        assert_eq!(prev_subtree(Some(&prev), root).len(), 3);
        assert!(prev_subtree(None, root).is_empty());
    }
}
