//! The snapshot builder: merges per account × region results into one immutable
//! `FleetSnapshot` as they arrive, keeps the last good data of a source that failed or has
//! not reported yet, and publishes (with aggregates computed once per publication).

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use crate::model::{
    Account, AggregateConfig, Aggregates, CallerIdentity, Certificate, CollectError,
    CommandSummary, FleetSnapshot, FleetUpdate, Missing, MissingKind, Node, Organization, Progress,
    SourceStatus,
};

use super::collect::UnitResult;
use super::discovery::Discovery;

/// Source names in `SourceStatus::service`.
pub const SRC_NODES: &str = "ssm";
pub const SRC_CERTS: &str = "acm";
pub const SRC_COMMANDS: &str = "ssm-commands";

/// A unit's nodes: until the unit reports in this refresh, the previous snapshot's (by index
/// into the shared previous snapshot, not copied: a warm refresh of a large fleet would
/// otherwise hold its nodes three times, and copy them all before the first call).
#[derive(Clone, Debug)]
enum UnitNodes {
    Prev(Vec<u32>),
    Own(Vec<Node>),
}

impl Default for UnitNodes {
    fn default() -> Self {
        UnitNodes::Own(Vec::new())
    }
}

impl UnitNodes {
    fn len(&self) -> usize {
        match self {
            UnitNodes::Prev(ix) => ix.len(),
            UnitNodes::Own(v) => v.len(),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct UnitState {
    /// It shows data of the previous picture not read again in this refresh.
    carried: bool,
    nodes: UnitNodes,
    certificates: Vec<Certificate>,
    commands: Vec<CommandSummary>,
    errors: Vec<CollectError>,
    sources: BTreeMap<&'static str, SourceStatus>,
}

type UnitKey = (String, String);

#[derive(Clone, Debug)]
pub struct SnapshotBuilder {
    /// The previous snapshot, shared: units that have not reported show its nodes.
    prev: Option<Arc<FleetSnapshot>>,
    organization: Organization,
    caller: Option<CallerIdentity>,
    profile: Option<String>,
    regions: Vec<String>,
    accounts: Vec<Account>,
    /// Errors not tied to one unit (Organizations, caller credentials, AssumeRole).
    global_errors: Vec<CollectError>,
    units: BTreeMap<UnitKey, UnitState>,
    expected: Vec<UnitKey>,
    done: BTreeMap<UnitKey, bool>,
    /// Accounts whose collection started in this refresh.
    started: std::collections::HashSet<String>,
    discovered: bool,
    discovery_errors: Vec<CollectError>,
    /// Parts of the tree discovery could not read (their accounts kept from before).
    discovery_gaps: Vec<Missing>,
    /// Accounts that could not be entered in this refresh, with the error code.
    failed_accounts: BTreeMap<String, String>,
    /// Nothing was read: one gap covers everything.
    nothing_read: bool,
    collected_at: DateTime<Utc>,
    agg: AggregateConfig,
    /// Patch schedules: the previous snapshot's, or the newer ones of the fleet's cell.
    schedules: Arc<crate::model::patching::PatchSchedules>,
    schedule_cell: Option<super::schedules::ScheduleCell>,
    /// Newer patch states of a targeted node refresh, put into every publication.
    patched: Option<super::patched::PatchedNodes>,
    /// The base is the on-disk cache: while any of its data is shown not read again (a
    /// refresh streaming, an account refused since), what is published is `from_cache`
    /// (the console's `cached` badge stays).
    base_cached: bool,
}

impl SnapshotBuilder {
    /// Start a refresh, seeded with the previous snapshot's data so the screen keeps showing
    /// it until each unit reports again.
    pub fn new(
        prev: Option<Arc<FleetSnapshot>>,
        caller: Option<CallerIdentity>,
        profile: Option<String>,
        regions: Vec<String>,
        agg: AggregateConfig,
    ) -> Self {
        let mut b = SnapshotBuilder {
            prev: prev.clone(),
            organization: Organization::default(),
            caller,
            profile,
            regions,
            accounts: Vec::new(),
            global_errors: Vec::new(),
            units: BTreeMap::new(),
            expected: Vec::new(),
            done: BTreeMap::new(),
            started: std::collections::HashSet::new(),
            discovered: false,
            discovery_errors: Vec::new(),
            discovery_gaps: Vec::new(),
            failed_accounts: BTreeMap::new(),
            nothing_read: false,
            collected_at: Utc::now(),
            agg,
            schedules: prev
                .as_ref()
                .map(|p| p.schedules.clone())
                .unwrap_or_default(),
            schedule_cell: None,
            patched: None,
            base_cached: prev.as_ref().is_some_and(|p| p.from_cache),
        };
        if let Some(p) = prev.as_deref() {
            b.organization = p.organization.clone();
            b.accounts = p.accounts.clone();
            for (i, n) in p.nodes.iter().enumerate() {
                let u = b.unit_mut(&n.account_id, &n.region);
                u.carried = true;
                match &mut u.nodes {
                    UnitNodes::Prev(ix) => ix.push(i as u32),
                    UnitNodes::Own(_) => u.nodes = UnitNodes::Prev(vec![i as u32]),
                }
            }
            for c in &p.certificates {
                let u = b.unit_mut(&c.account_id, &c.region);
                u.carried = true;
                u.certificates.push(c.clone());
            }
            for c in &p.commands {
                let u = b.unit_mut(&c.account_id, &c.region);
                u.carried = true;
                u.commands.push(c.clone());
            }
            for s in &p.sources {
                let name = match s.service.as_str() {
                    SRC_NODES => SRC_NODES,
                    SRC_CERTS => SRC_CERTS,
                    SRC_COMMANDS => SRC_COMMANDS,
                    _ => continue,
                };
                b.unit_mut(&s.account_id, &s.region)
                    .sources
                    .insert(name, s.clone());
            }
            for e in &p.errors {
                match (&e.account_id, &e.region) {
                    (Some(a), Some(r)) if e.service != "sts" => {
                        b.unit_mut(a, r).errors.push(e.clone())
                    }
                    _ => b.discovery_errors.push(e.clone()),
                }
            }
            b.discovery_gaps = p
                .missing
                .iter()
                .filter(|m| matches!(m.kind, MissingKind::Organization | MissingKind::Ou))
                .cloned()
                .collect();
        }
        b
    }

    fn unit_mut(&mut self, account: &str, region: &str) -> &mut UnitState {
        self.units
            .entry((account.to_string(), region.to_string()))
            .or_default()
    }

    /// Accounts found so far (discovery streams them): their units become expected.
    /// Returns the active accounts not seen before (to be collected).
    pub fn add_accounts(&mut self, accounts: &[Account], regions: &[String]) -> Vec<String> {
        let mut new = Vec::new();
        for a in accounts {
            match self.accounts.iter_mut().find(|x| x.id == a.id) {
                Some(x) => *x = a.clone(),
                None => self.accounts.push(a.clone()),
            }
            if !a.state.is_active() || !self.started.insert(a.id.clone()) {
                continue;
            }
            new.push(a.id.clone());
            for r in regions {
                let k = (a.id.clone(), r.clone());
                self.expected.push(k.clone());
                self.done.insert(k, false);
            }
        }
        new
    }

    /// The last picture's active accounts (those `wanted`), read before discovery names them:
    /// a refresh need not wait for the Organizations walk, whose pages go one after another
    /// at the Organizations key's rate (1,000 accounts: ~5 s), to start reading accounts it
    /// already knows. Their units become expected now; discovery's final list confirms them
    /// ([`SnapshotBuilder::finish_discovery`] drops what it no longer names). Returns the
    /// accounts to collect.
    pub fn expect_known_accounts(
        &mut self,
        regions: &[String],
        wanted: impl Fn(&Account) -> bool,
    ) -> Vec<String> {
        let known: Vec<Account> = match &self.prev {
            Some(p) => p.accounts.iter().filter(|a| wanted(a)).cloned().collect(),
            None => return Vec::new(),
        };
        self.add_accounts(&known, regions)
    }

    /// Discovery finished: the organization, the final account list (accounts no longer
    /// there lose their old data, and what was read of them ahead of discovery is dropped).
    /// Returns active accounts not collected yet.
    pub fn finish_discovery(&mut self, d: &Discovery, regions: &[String]) -> Vec<String> {
        let new = self.add_accounts(&d.accounts, regions);
        self.organization = d.organization.clone();
        self.accounts = d.accounts.clone();
        self.discovery_errors = d.errors.clone();
        self.discovery_gaps = d.gaps.clone();
        self.discovered = true;
        let active: std::collections::HashSet<&str> = d
            .accounts
            .iter()
            .filter(|a| a.state.is_active())
            .map(|a| a.id.as_str())
            .collect();
        self.expected.retain(|(a, _)| active.contains(a.as_str()));
        self.done.retain(|(a, _), _| active.contains(a.as_str()));
        self.failed_accounts
            .retain(|a, _| active.contains(a.as_str()));
        self.global_errors
            .retain(|e| e.account_id.as_deref().is_none_or(|a| active.contains(a)));
        let keep: std::collections::HashSet<&UnitKey> = self.expected.iter().collect();
        self.units.retain(|k, _| keep.contains(k));
        new
    }

    /// Whether an account is (still) to be read in this refresh.
    pub fn expects_account(&self, account: &str) -> bool {
        self.expected.iter().any(|(a, _)| a == account)
    }

    /// Whether a unit's result belongs to this refresh: an account read ahead of discovery
    /// and then not named by it is no longer expected, and what comes back for it is dropped.
    fn expects(&self, key: &UnitKey) -> bool {
        self.done.contains_key(key)
    }

    /// Discovery could not finish (cancelled): nothing more is expected from it.
    pub fn discovery_failed(&mut self) {
        self.discovered = true;
    }

    /// Nothing could be read in this refresh (the caller's credentials, or AWS unreachable):
    /// everything of the last good snapshot stays, with its age, marked not read, and one
    /// gap covers it all.
    pub fn nothing_read(&mut self, error: CollectError) {
        for u in self.units.values_mut() {
            for s in u.sources.values_mut() {
                s.ok = false;
            }
        }
        let last_good_at = self
            .units
            .values()
            .flat_map(|u| u.sources.values())
            .filter_map(|s| s.fetched_at)
            .min();
        self.discovery_gaps = vec![Missing {
            kind: MissingKind::Organization,
            service: Some(error.service.clone()),
            operation: Some(error.operation.clone()),
            kept_accounts: self.accounts.iter().map(|a| a.id.clone()).collect(),
            code: error.code.clone(),
            last_good_at,
            ..Missing::default()
        }];
        // the errors of the last picture stay (an account that could not be read still
        // cannot); only the previous "could not be reached" is replaced by this one
        self.discovery_errors
            .retain(|e| e.operation != error.operation || e.service != error.service);
        self.global_errors.push(error);
        self.discovered = true;
        self.nothing_read = true;
    }

    pub fn add_global_error(&mut self, e: CollectError) {
        self.global_errors.push(e);
    }

    /// A whole account could not be reached (AssumeRole refused): its units are done, with
    /// one error, and keep their previous data.
    pub fn account_failed(&mut self, account: &str, error: CollectError) {
        if !self.expects_account(account) {
            return;
        }
        self.failed_accounts
            .insert(account.to_string(), error.code.clone());
        self.supersede_account_errors(account);
        let keys: Vec<UnitKey> = self
            .expected
            .iter()
            .filter(|(a, _)| a == account)
            .cloned()
            .collect();
        for k in keys {
            self.done.insert(k.clone(), true);
            let u = self.units.entry(k).or_default();
            u.errors.clear();
            for s in u.sources.values_mut() {
                s.ok = false;
            }
        }
        self.global_errors.push(error);
    }

    /// The last picture's errors entering `account` (AssumeRole: kept with the discovery
    /// errors until discovery finishes) give way to what this refresh learned of it — a
    /// new error or a report — so one failure is never listed twice.
    fn supersede_account_errors(&mut self, account: &str) {
        if self.discovered {
            return;
        }
        self.discovery_errors
            .retain(|e| e.account_id.as_deref() != Some(account) || e.service != "sts");
    }

    /// Like `account_failed`, without another error (the cause is already recorded).
    pub fn account_failed_quietly(&mut self, account: &str, code: &str) {
        if !self.expects_account(account) {
            return;
        }
        self.failed_accounts
            .insert(account.to_string(), code.to_string());
        let keys: Vec<UnitKey> = self
            .expected
            .iter()
            .filter(|(a, _)| a == account)
            .cloned()
            .collect();
        for k in keys {
            self.done.insert(k.clone(), true);
            if let Some(u) = self.units.get_mut(&k) {
                u.errors.clear();
                for s in u.sources.values_mut() {
                    s.ok = false;
                }
            }
        }
    }

    /// One account × region reported.
    pub fn apply(&mut self, r: UnitResult) {
        let key = (r.account_id.clone(), r.region.clone());
        if !self.expects(&key) {
            return;
        }
        self.done.insert(key.clone(), true);
        // the account was entered: the last picture's "could not enter it" is over
        self.supersede_account_errors(&r.account_id);
        let (account, region, at) = (r.account_id.clone(), r.region.clone(), r.fetched_at);
        let prev_nodes: &[Node] = self.prev.as_deref().map_or(&[], |p| &p.nodes);
        let u = self.units.entry(key).or_default();
        let source = |service: &str, ok: bool, prev: Option<&SourceStatus>| SourceStatus {
            account_id: account.clone(),
            region: region.clone(),
            service: service.to_string(),
            fetched_at: if ok {
                Some(at)
            } else {
                prev.and_then(|p| p.fetched_at)
            },
            ok,
        };
        // what a failed source keeps is still the previous picture's
        u.carried &= r.nodes.is_none() || r.certificates.is_none() || r.commands.is_none();
        let ok = r.nodes.is_some();
        let s = source(SRC_NODES, ok, u.sources.get(SRC_NODES));
        u.sources.insert(SRC_NODES, s);
        if let Some(mut nodes) = r.nodes {
            if !r.patch_state_missing.is_empty() {
                // keep the last known patch state of nodes whose batch failed
                let prev: HashMap<&str, &Node> = match &u.nodes {
                    UnitNodes::Own(v) => v.iter().collect::<Vec<_>>(),
                    UnitNodes::Prev(ix) => ix.iter().map(|&i| &prev_nodes[i as usize]).collect(),
                }
                .into_iter()
                .map(|n| (n.instance_id.as_str(), n))
                .collect();
                for n in nodes.iter_mut() {
                    if r.patch_state_missing.contains(&n.instance_id)
                        && let Some(p) = prev.get(n.instance_id.as_str())
                    {
                        copy_patch_state(n, p);
                    }
                }
            }
            // ids are unique, so no stable sort (its merges move whole nodes through a
            // buffer); nodes already in order cost one pass
            if !nodes.is_sorted_by(|a, b| a.instance_id <= b.instance_id) {
                nodes.sort_unstable_by(|a, b| a.instance_id.cmp(&b.instance_id));
            }
            u.nodes = UnitNodes::Own(nodes);
        }
        let ok = r.certificates.is_some();
        let s = source(SRC_CERTS, ok, u.sources.get(SRC_CERTS));
        u.sources.insert(SRC_CERTS, s);
        if let Some(mut certs) = r.certificates {
            certs.sort_by(|a, b| a.not_after.cmp(&b.not_after).then(a.arn.cmp(&b.arn)));
            u.certificates = certs;
        }
        let ok = r.commands.is_some();
        let s = source(SRC_COMMANDS, ok, u.sources.get(SRC_COMMANDS));
        u.sources.insert(SRC_COMMANDS, s);
        if let Some(mut cmds) = r.commands {
            cmds.sort_by_key(|c| std::cmp::Reverse(c.requested_at));
            u.commands = cmds;
        }
        u.errors = r.errors;
    }

    pub fn progress(&self) -> Progress {
        Progress {
            done: self.done.values().filter(|d| **d).count() as u32,
            total: self.expected.len() as u32,
            discovering: !self.discovered,
        }
    }

    pub fn is_complete(&self) -> bool {
        self.discovered && self.done.values().all(|d| *d)
    }

    /// What this refresh could not read, so far: discovery gaps, accounts not entered,
    /// sources not read (with the age of what is shown instead), details that failed.
    pub fn missing(&self) -> Vec<Missing> {
        let mut out = self.discovery_gaps.clone();
        if self.nothing_read {
            return out;
        }
        for (account, code) in &self.failed_accounts {
            let last_good_at = self
                .units
                .iter()
                .filter(|((a, _), _)| a == account)
                .flat_map(|(_, u)| u.sources.values())
                .filter_map(|s| s.fetched_at)
                .min();
            out.push(Missing {
                kind: MissingKind::Account,
                account_id: Some(account.clone()),
                service: Some("sts".into()),
                code: code.clone(),
                last_good_at,
                ..Missing::default()
            });
        }
        for ((account, region), u) in &self.units {
            if self.failed_accounts.contains_key(account) {
                continue;
            }
            for (name, src) in &u.sources {
                if src.ok {
                    continue;
                }
                let code = u
                    .errors
                    .iter()
                    .find(|e| source_of(e) == *name)
                    .or(u.errors.first())
                    .map(|e| e.code.clone())
                    .unwrap_or_else(|| "NotRead".into());
                out.push(Missing {
                    kind: MissingKind::Source,
                    account_id: Some(account.clone()),
                    region: Some(region.clone()),
                    service: Some(name.to_string()),
                    code,
                    last_good_at: src.fetched_at,
                    ..Missing::default()
                });
            }
            for e in &u.errors {
                if u.sources.get(source_of(e)).is_some_and(|s| s.ok) {
                    out.push(Missing {
                        kind: MissingKind::Detail,
                        account_id: Some(account.clone()),
                        region: Some(region.clone()),
                        service: Some(e.service.clone()),
                        operation: Some(e.operation.clone()),
                        code: e.code.clone(),
                        ..Missing::default()
                    });
                }
            }
        }
        out
    }

    /// Take patch schedules from this cell when it holds newer ones than the previous snapshot.
    pub fn with_schedules(&mut self, cell: super::schedules::ScheduleCell) {
        self.schedule_cell = Some(cell);
    }

    /// Publish the newer patch states of targeted node refreshes (`fleet::patched`).
    pub fn with_patched(&mut self, patched: super::patched::PatchedNodes) {
        self.patched = Some(patched);
    }

    /// The snapshot as it stands (a copy; the builder goes on).
    pub fn snapshot(&self, finished: bool) -> FleetSnapshot {
        self.clone().into_snapshot(finished)
    }

    /// The final snapshot, moving the data out instead of copying it (a large fleet would
    /// otherwise be held twice at the end of every refresh). `finished`: the refresh is
    /// over (not cancelled); the snapshot is `complete` only if it also read everything.
    pub fn into_snapshot(mut self, finished: bool) -> FleetSnapshot {
        let progress = self.progress();
        let missing = if finished { self.missing() } else { Vec::new() };
        let all_done = self.is_complete();
        let cached = self.base_cached && self.units.values().any(|u| u.carried);
        let mut nodes = Vec::with_capacity(self.units.values().map(|u| u.nodes.len()).sum());
        let mut certificates = Vec::new();
        let mut commands = Vec::new();
        let mut errors = std::mem::take(&mut self.discovery_errors);
        errors.append(&mut self.global_errors);
        let mut sources = Vec::new();
        let prev = self.prev.take();
        for (_, u) in std::mem::take(&mut self.units) {
            match u.nodes {
                UnitNodes::Own(v) => nodes.extend(v),
                UnitNodes::Prev(ix) => {
                    let p = prev.as_deref().map_or(&[][..], |p| &p.nodes[..]);
                    nodes.extend(ix.iter().map(|&i| p[i as usize].clone()));
                }
            }
            certificates.extend(u.certificates);
            commands.extend(u.commands);
            errors.extend(u.errors);
            sources.extend(u.sources.into_values());
        }
        certificates.sort_by(|a, b| a.not_after.cmp(&b.not_after).then(a.arn.cmp(&b.arn)));
        commands.sort_by_key(|c| std::cmp::Reverse(c.requested_at));
        let complete = finished && all_done && errors.is_empty() && missing.is_empty();
        FleetSnapshot {
            organization: self.organization,
            caller: self.caller,
            profile: self.profile,
            regions: self.regions,
            accounts: self.accounts,
            nodes,
            certificates,
            commands,
            errors,
            sources,
            collected_at: self.collected_at,
            progress,
            complete,
            in_progress: !finished,
            missing,
            from_cache: cached,
            schedules: match &self.schedule_cell {
                Some(c) => super::schedules::newest(c, &self.schedules),
                None => self.schedules,
            },
        }
    }

    /// The final publication: like [`SnapshotBuilder::publish`], consuming the builder.
    pub fn publish_final(
        self,
        finished: bool,
        tx: Option<&UnboundedSender<FleetUpdate>>,
    ) -> (Arc<FleetSnapshot>, Arc<Aggregates>) {
        let agg = self.agg.clone();
        let patched = self.patched.clone();
        let mut snap = self.into_snapshot(finished);
        if let Some(p) = patched {
            p.apply(&mut snap, finished);
        }
        send(snap, &agg, tx)
    }

    /// Build, compute aggregates once, send.
    pub fn publish(
        &self,
        finished: bool,
        tx: Option<&UnboundedSender<FleetUpdate>>,
    ) -> (Arc<FleetSnapshot>, Arc<Aggregates>) {
        let mut snap = self.snapshot(finished);
        if let Some(p) = &self.patched {
            // a partial picture retires nothing
            p.apply(&mut snap, false);
        }
        send(snap, &self.agg, tx)
    }
}

/// Which source (`SRC_*`) an error of a unit is about.
fn source_of(e: &CollectError) -> &'static str {
    match (e.service.as_str(), e.operation.as_str()) {
        ("acm", _) => SRC_CERTS,
        (_, "ListCommands" | "ListCommandInvocations") => SRC_COMMANDS,
        _ => SRC_NODES,
    }
}

/// Compute the aggregates once and send the snapshot with them.
fn send(
    snap: FleetSnapshot,
    agg: &AggregateConfig,
    tx: Option<&UnboundedSender<FleetUpdate>>,
) -> (Arc<FleetSnapshot>, Arc<Aggregates>) {
    let snap = Arc::new(snap);
    let aggregates = Arc::new(Aggregates::compute(&snap, agg, Utc::now()));
    if let Some(tx) = tx {
        let _ = tx.send(FleetUpdate::Snapshot {
            snapshot: snap.clone(),
            aggregates: aggregates.clone(),
        });
    }
    (snap, aggregates)
}

/// Copy the patch-state fields of `from` into `to`.
pub fn copy_patch_state(to: &mut Node, from: &Node) {
    to.patch_group = from.patch_group.clone();
    to.baseline_id = from.baseline_id.clone();
    to.compliance = from.compliance;
    to.installed = from.installed;
    to.installed_other = from.installed_other;
    to.installed_pending_reboot = from.installed_pending_reboot;
    to.installed_rejected = from.installed_rejected;
    to.missing = from.missing;
    to.failed = from.failed;
    to.not_applicable = from.not_applicable;
    to.critical_noncompliant = from.critical_noncompliant;
    to.security_noncompliant = from.security_noncompliant;
    to.other_noncompliant = from.other_noncompliant;
    to.last_operation = from.last_operation;
    to.last_operation_start = from.last_operation_start;
    to.last_operation_end = from.last_operation_end;
    to.reboot_option = from.reboot_option;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountState, Compliance, PatchOperation};

    fn node(acct: &str, region: &str, id: &str, missing: u32) -> Node {
        let mut n = Node {
            instance_id: id.into(),
            account_id: acct.into(),
            region: region.into(),
            missing,
            last_operation: Some(PatchOperation::Scan),
            ..Node::default()
        };
        n.compliance = n.derive_compliance();
        n
    }

    fn discovery(accounts: &[&str]) -> Discovery {
        Discovery {
            accounts: accounts
                .iter()
                .map(|a| Account {
                    id: a.to_string(),
                    name: a.to_string(),
                    state: AccountState::Active,
                    ..Account::default()
                })
                .collect(),
            ..Discovery::default()
        }
    }

    fn regions(r: &[&str]) -> Vec<String> {
        r.iter().map(|r| r.to_string()).collect()
    }

    fn result(acct: &str, region: &str, nodes: Option<Vec<Node>>) -> UnitResult {
        UnitResult {
            account_id: acct.into(),
            region: region.into(),
            nodes,
            certificates: Some(vec![]),
            commands: Some(vec![]),
            fetched_at: Utc::now(),
            ..UnitResult::default()
        }
    }

    fn builder(prev: Option<&FleetSnapshot>) -> SnapshotBuilder {
        SnapshotBuilder::new(
            prev.map(|p| Arc::new(p.clone())),
            None,
            None,
            vec!["us-east-1".into(), "eu-west-1".into()],
            AggregateConfig::default(),
        )
    }

    #[test]
    fn the_final_snapshot_moves_what_the_partial_one_copies() {
        let mut b = builder(None);
        b.finish_discovery(&discovery(&["a", "b"]), &regions(&["us-east-1"]));
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![
                node("a", "us-east-1", "i-2", 0),
                node("a", "us-east-1", "i-1", 3),
            ]),
        ));
        b.apply(result(
            "b",
            "us-east-1",
            Some(vec![node("b", "us-east-1", "i-9", 1)]),
        ));
        b.add_global_error(CollectError {
            code: "AccessDenied".into(),
            ..CollectError::default()
        });
        let copied = b.snapshot(true);
        let moved = b.into_snapshot(true);
        assert_eq!(moved, copied);
        assert_eq!(moved.nodes.len(), 3);
        assert_eq!(moved.errors.len(), 1);
    }

    #[test]
    fn progress_and_completion() {
        let mut b = builder(None);
        b.finish_discovery(
            &discovery(&["a", "b"]),
            &regions(&["us-east-1", "eu-west-1"]),
        );
        assert_eq!(
            b.progress(),
            Progress {
                done: 0,
                total: 4,
                ..Progress::default()
            }
        );
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![
                node("a", "us-east-1", "i-2", 0),
                node("a", "us-east-1", "i-1", 1),
            ]),
        ));
        let s = b.snapshot(false);
        assert_eq!(s.nodes.len(), 2);
        assert_eq!(s.nodes[0].instance_id, "i-1", "sorted within a unit");
        assert_eq!(
            s.progress,
            Progress {
                done: 1,
                total: 4,
                ..Progress::default()
            }
        );
        assert!(!b.is_complete());
        b.account_failed(
            "b",
            CollectError {
                account_id: Some("b".into()),
                service: "sts".into(),
                code: "AccessDenied".into(),
                ..CollectError::default()
            },
        );
        b.apply(result("a", "eu-west-1", Some(vec![])));
        assert!(b.is_complete());
        let s = b.snapshot(true);
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].code, "AccessDenied");
        assert_eq!(s.sources.iter().filter(|s| s.ok).count(), 6);
    }

    #[test]
    fn accounts_stream_in_before_discovery_ends() {
        let mut b = builder(None);
        let r = regions(&["us-east-1"]);
        let d = discovery(&["a", "b"]);
        assert_eq!(b.add_accounts(&d.accounts[..1], &r), vec!["a".to_string()]);
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 0)]),
        ));
        // all known units done, but discovery still running: not complete, and the
        // progress says its total is not one yet
        assert!(!b.is_complete());
        assert!(b.progress().discovering);
        assert_eq!(b.snapshot(false).accounts.len(), 1);
        // the final list adds b; a is not started twice
        assert_eq!(b.finish_discovery(&d, &r), vec!["b".to_string()]);
        assert_eq!(
            b.progress(),
            Progress {
                done: 1,
                total: 2,
                ..Progress::default()
            }
        );
        b.apply(result("b", "us-east-1", Some(vec![])));
        assert!(b.is_complete());
    }

    #[test]
    fn failed_source_keeps_previous_data() {
        let mut b = builder(None);
        let u = regions(&["us-east-1"]);
        b.finish_discovery(&discovery(&["a"]), &u);
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 3)]),
        ));
        let first = b.snapshot(true);

        // next refresh: SSM fails for that unit
        let mut b = builder(Some(&first));
        b.finish_discovery(&discovery(&["a"]), &u);
        // seeded: visible before the unit reports
        assert_eq!(b.snapshot(false).nodes.len(), 1);
        let mut r = result("a", "us-east-1", None);
        r.errors.push(CollectError {
            code: "ThrottlingException".into(),
            ..CollectError::default()
        });
        b.apply(r);
        let s = b.snapshot(true);
        assert_eq!(s.nodes.len(), 1, "last good nodes kept");
        let src = s.sources.iter().find(|s| s.service == SRC_NODES).unwrap();
        assert!(!src.ok);
        assert_eq!(
            src.fetched_at,
            first
                .sources
                .iter()
                .find(|s| s.service == SRC_NODES)
                .unwrap()
                .fetched_at
        );
        assert_eq!(s.errors.len(), 1);
    }

    #[test]
    fn a_refresh_that_read_nodes_before_their_patch_run_ended_publishes_the_newer_states() {
        let u = regions(&["us-east-1"]);
        let patched = super::super::patched::PatchedNodes::default();
        let mut b = builder(None);
        b.with_patched(patched.clone());
        b.finish_discovery(&discovery(&["a"]), &u);
        // the full refresh reads i-1 while its patch run is still going: 3 missing
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![
                node("a", "us-east-1", "i-1", 3),
                node("a", "us-east-1", "i-2", 2),
            ]),
        ));
        // the run ends; the targeted refresh reads i-1 after it
        let mut after = node("a", "us-east-1", "i-1", 0);
        after.last_operation = Some(PatchOperation::Install);
        after.last_operation_end = Some(Utc::now());
        after.compliance = after.derive_compliance();
        patched.keep([&after]);
        let (partial, _) = b.publish(false, None);
        assert_eq!(
            partial.nodes[0].missing, 0,
            "a partial picture shows the run's effect"
        );
        let (fin, agg) = b.publish_final(true, None);
        assert_eq!(
            fin.nodes[0].missing, 0,
            "the final one too: not the older read"
        );
        assert_eq!(fin.nodes[0].compliance, Compliance::Compliant);
        assert_eq!(fin.nodes[1].missing, 2);
        assert_eq!(
            agg.fleet.non_compliant, 1,
            "the aggregates follow the newer state"
        );
        // the next refresh reads the run's operation itself: it wins from then on
        let mut b = builder(Some(&fin));
        b.with_patched(patched.clone());
        b.finish_discovery(&discovery(&["a"]), &u);
        let mut rescanned = after.clone();
        rescanned.missing = 1;
        rescanned.compliance = rescanned.derive_compliance();
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![rescanned, node("a", "us-east-1", "i-2", 2)]),
        ));
        let (next, _) = b.publish_final(true, None);
        assert_eq!(next.nodes[0].missing, 1);
        assert!(patched.is_empty(), "caught up: nothing kept");
    }

    #[test]
    fn failed_patch_batch_keeps_previous_patch_state() {
        let mut b = builder(None);
        let u = regions(&["us-east-1"]);
        b.finish_discovery(&discovery(&["a"]), &u);
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 3)]),
        ));
        let first = b.snapshot(true);
        let mut b = builder(Some(&first));
        b.finish_discovery(&discovery(&["a"]), &u);
        let mut fresh = node("a", "us-east-1", "i-1", 0);
        fresh.last_operation = None;
        fresh.compliance = Compliance::Unreported;
        let mut r = result("a", "us-east-1", Some(vec![fresh]));
        r.patch_state_missing = vec!["i-1".into()];
        b.apply(r);
        let s = b.snapshot(true);
        assert_eq!(s.nodes[0].missing, 3);
        assert_eq!(s.nodes[0].compliance, Compliance::NonCompliant);
    }

    #[test]
    fn accounts_out_of_scope_are_dropped_and_aggregates_follow() {
        let mut b = builder(None);
        b.finish_discovery(&discovery(&["a", "b"]), &regions(&["us-east-1"]));
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 0)]),
        ));
        b.apply(result(
            "b",
            "us-east-1",
            Some(vec![node("b", "us-east-1", "i-2", 1)]),
        ));
        let (snap, agg) = b.publish(true, None);
        assert_eq!(agg.fleet.nodes, 2);
        assert_eq!(agg.fleet.non_compliant, 1);
        let mut b = builder(Some(&snap));
        b.finish_discovery(&discovery(&["a"]), &regions(&["us-east-1"]));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        b.publish(false, Some(&tx));
        match rx.try_recv().unwrap() {
            FleetUpdate::Snapshot {
                snapshot,
                aggregates,
            } => {
                assert_eq!(snapshot.nodes.len(), 1);
                assert_eq!(aggregates.fleet.nodes, 1);
                assert!(!snapshot.complete);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn known_accounts_are_read_before_discovery_and_what_it_no_longer_names_is_dropped() {
        let first = finished_first();
        let mut b = builder(Some(&first));
        let r = regions(&["us-east-1"]);
        // both accounts of the last picture start before the walk has named any
        let mut started = b.expect_known_accounts(&r, |_| true);
        started.sort();
        assert_eq!(started, ["a", "b"]);
        // ...and the walk naming them again starts nothing twice
        assert!(b.add_accounts(&discovery(&["a"]).accounts, &r).is_empty());
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 3)]),
        ));
        // "b" cannot be entered (it left the organization): listed, for now
        b.account_failed("b", sts_error("b"));
        assert_eq!(b.missing().len(), 1);
        // the walk ends without "b" (it left the organization) and names a new account "c"
        let new = b.finish_discovery(&discovery(&["a", "c"]), &r);
        assert_eq!(new, ["c"]);
        assert!(!b.is_complete(), "c is still to be read");
        // what comes back for "b" afterwards belongs to no account of this refresh
        b.apply(result(
            "b",
            "us-east-1",
            Some(vec![node("b", "us-east-1", "i-2", 1)]),
        ));
        b.account_failed("b", sts_error("b"));
        b.apply(result("c", "us-east-1", Some(vec![])));
        assert!(b.is_complete());
        let s = b.into_snapshot(true);
        assert!(s.complete, "{:?}", s.missing);
        assert!(s.missing.is_empty() && s.errors.is_empty());
        let ids: Vec<&str> = s.nodes.iter().map(|n| n.instance_id.as_str()).collect();
        assert_eq!(ids, ["i-1"]);
        assert_eq!(s.nodes[0].missing, 3, "a's node as read in this refresh");
        // the account filter applies to known accounts too
        let mut b = builder(Some(&first));
        assert_eq!(b.expect_known_accounts(&r, |a| a.id == "b"), ["b"]);
        // no last picture, nothing known
        assert!(builder(None).expect_known_accounts(&r, |_| true).is_empty());
    }

    fn sts_error(acct: &str) -> CollectError {
        CollectError {
            account_id: Some(acct.into()),
            service: "sts".into(),
            operation: "AssumeRole".into(),
            code: "Throttling".into(),
            ..CollectError::default()
        }
    }

    fn finished_first() -> FleetSnapshot {
        let mut b = builder(None);
        b.finish_discovery(&discovery(&["a", "b"]), &regions(&["us-east-1"]));
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 0)]),
        ));
        b.apply(result(
            "b",
            "us-east-1",
            Some(vec![node("b", "us-east-1", "i-2", 1)]),
        ));
        let s = b.into_snapshot(true);
        assert!(s.complete && !s.in_progress && s.missing.is_empty());
        s
    }

    fn fetched(s: &FleetSnapshot, acct: &str) -> Option<DateTime<Utc>> {
        s.sources
            .iter()
            .find(|x| x.account_id == acct && x.service == SRC_NODES)
            .and_then(|x| x.fetched_at)
    }

    #[test]
    fn an_account_that_cannot_be_entered_keeps_its_data_and_age_and_is_listed() {
        let first = finished_first();
        let mut b = builder(Some(&first));
        b.finish_discovery(&discovery(&["a", "b"]), &regions(&["us-east-1"]));
        b.account_failed("b", sts_error("b"));
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 0)]),
        ));
        let s = b.into_snapshot(true);
        assert!(!s.complete && !s.in_progress, "finished, partial");
        assert!(
            s.nodes.iter().any(|n| n.account_id == "b"),
            "b's last good nodes stay"
        );
        assert_eq!(
            fetched(&s, "b"),
            fetched(&first, "b"),
            "b's age is not reset"
        );
        let gap = s
            .missing
            .iter()
            .find(|m| m.kind == MissingKind::Account)
            .expect("b listed as missing");
        assert_eq!(gap.account_id.as_deref(), Some("b"));
        assert_eq!(gap.code, "Throttling");
        assert_eq!(gap.last_good_at, fetched(&first, "b"));
        assert_eq!(s.missing.len(), 1, "{:#?}", s.missing);
        // the header age is the oldest data shown: b's
        assert_eq!(s.data_as_of(), fetched(&first, "b"));
    }

    #[test]
    fn nothing_read_keeps_the_whole_last_picture_with_its_ages() {
        let first = finished_first();
        let mut b = builder(Some(&first));
        b.nothing_read(CollectError {
            service: "sts".into(),
            operation: "GetCallerIdentity".into(),
            code: "DispatchFailure".into(),
            ..CollectError::default()
        });
        assert!(b.is_complete(), "nothing more to wait for");
        let s = b.into_snapshot(true);
        assert!(!s.complete);
        assert_eq!(s.nodes.len(), first.nodes.len());
        assert_eq!(s.accounts, first.accounts);
        assert!(s.sources.iter().all(|x| !x.ok));
        assert_eq!(s.data_as_of(), first.data_as_of());
        assert_eq!(s.missing.len(), 1);
        assert_eq!(s.missing[0].kind, MissingKind::Organization);
        assert_eq!(
            s.missing[0].kept_accounts,
            vec!["a".to_string(), "b".to_string()]
        );
        assert_eq!(s.errors.len(), 1);
    }

    #[test]
    fn a_failed_source_and_a_failed_detail_are_listed_separately() {
        let first = finished_first();
        let mut b = builder(Some(&first));
        b.finish_discovery(&discovery(&["a", "b"]), &regions(&["us-east-1"]));
        // a: nodes not read (kept); b: read, but one certificate's details failed
        let mut r = result("a", "us-east-1", None);
        r.errors.push(CollectError {
            account_id: Some("a".into()),
            region: Some("us-east-1".into()),
            service: "ssm".into(),
            operation: "DescribeInstanceInformation".into(),
            code: "ThrottlingException".into(),
            ..CollectError::default()
        });
        b.apply(r);
        let mut r = result(
            "b",
            "us-east-1",
            Some(vec![node("b", "us-east-1", "i-2", 1)]),
        );
        r.errors.push(CollectError {
            account_id: Some("b".into()),
            region: Some("us-east-1".into()),
            service: "acm".into(),
            operation: "DescribeCertificate".into(),
            code: "InternalFailure".into(),
            ..CollectError::default()
        });
        b.apply(r);
        let s = b.into_snapshot(true);
        assert!(!s.complete);
        let source = s
            .missing
            .iter()
            .find(|m| m.kind == MissingKind::Source)
            .unwrap();
        assert_eq!(source.account_id.as_deref(), Some("a"));
        assert_eq!(source.service.as_deref(), Some(SRC_NODES));
        assert_eq!(source.code, "ThrottlingException");
        assert_eq!(source.last_good_at, fetched(&first, "a"));
        let detail = s
            .missing
            .iter()
            .find(|m| m.kind == MissingKind::Detail)
            .unwrap();
        assert_eq!(detail.operation.as_deref(), Some("DescribeCertificate"));
        assert_eq!(s.missing.len(), 2, "{:#?}", s.missing);
        assert!(
            s.nodes.iter().any(|n| n.instance_id == "i-1"),
            "a's nodes kept"
        );
    }

    #[test]
    fn discovery_gaps_are_carried_and_a_clean_refresh_is_complete_again() {
        let first = finished_first();
        let mut b = builder(Some(&first));
        let mut d = discovery(&["a", "b"]);
        d.gaps.push(Missing {
            kind: MissingKind::Ou,
            ou_id: Some("ou-1".into()),
            kept_accounts: vec!["b".into()],
            code: "TooManyRequestsException".into(),
            ..Missing::default()
        });
        d.errors.push(CollectError {
            service: "organizations".into(),
            code: "TooManyRequestsException".into(),
            message: "parent ou-1 (Root/Prod): slow down".into(),
            ..CollectError::default()
        });
        b.finish_discovery(&d, &regions(&["us-east-1"]));
        b.apply(result("a", "us-east-1", Some(vec![])));
        b.apply(result("b", "us-east-1", Some(vec![])));
        let partial = b.into_snapshot(true);
        assert!(!partial.complete);
        assert_eq!(partial.missing.len(), 1);
        assert_eq!(partial.missing[0].kept_accounts, vec!["b".to_string()]);
        // still in progress: neither complete nor listing gaps yet
        let mut b = builder(Some(&partial));
        assert!(!b.snapshot(false).complete && b.snapshot(false).in_progress);
        b.finish_discovery(&discovery(&["a", "b"]), &regions(&["us-east-1"]));
        b.apply(result("a", "us-east-1", Some(vec![])));
        b.apply(result("b", "us-east-1", Some(vec![])));
        let s = b.into_snapshot(true);
        assert!(s.complete, "{:#?}", s.missing);
    }

    fn assume_role_error(account: &str) -> CollectError {
        CollectError {
            account_id: Some(account.into()),
            service: "sts".into(),
            operation: "AssumeRole".into(),
            code: "AccessDenied".into(),
            ..CollectError::default()
        }
    }

    #[test]
    fn a_refresh_on_the_cache_says_cached_while_it_shows_any_of_it() {
        // the cache: a and b read, c could not be entered then (nothing of it cached)
        let mut seed = builder(None);
        let r = regions(&["us-east-1"]);
        let all = discovery(&["a", "b", "c"]);
        seed.finish_discovery(&all, &r);
        seed.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 0)]),
        ));
        seed.apply(result(
            "b",
            "us-east-1",
            Some(vec![node("b", "us-east-1", "i-2", 0)]),
        ));
        seed.account_failed("c", assume_role_error("c"));
        let mut cached = seed.into_snapshot(true);
        cached.from_cache = true;

        let mut b = builder(Some(&cached));
        b.expect_known_accounts(&r, |_| true);
        let s = b.snapshot(false);
        assert!(s.from_cache, "nothing re-read yet: all of it is the cache");
        assert_eq!(
            s.errors.len(),
            1,
            "the cached error is listed: {:?}",
            s.errors
        );
        // c is refused again before discovery ends: one error, not the cached one and the new
        b.account_failed("c", assume_role_error("c"));
        let s = b.snapshot(false);
        assert_eq!(s.errors.len(), 1, "one failure listed once: {:?}", s.errors);
        assert!(s.from_cache, "a and b are still the cache's");
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 2)]),
        ));
        // b is refused now: its cached nodes stay, and so does the badge
        b.account_failed("b", assume_role_error("b"));
        b.finish_discovery(&all, &r);
        let s = b.snapshot(true);
        assert_eq!(s.errors.len(), 2, "{:?}", s.errors);
        assert_eq!(s.nodes.len(), 2, "b's nodes are kept");
        assert!(s.from_cache, "b's nodes are the cache's");

        // the next refresh enters b again; c, never read, shows nothing from the cache
        let mut b = builder(Some(&s));
        b.expect_known_accounts(&r, |_| true);
        b.apply(result(
            "b",
            "us-east-1",
            Some(vec![node("b", "us-east-1", "i-2", 1)]),
        ));
        assert_eq!(
            b.snapshot(false).errors.len(),
            1,
            "b was entered: its AssumeRole error of the last picture is over"
        );
        b.apply(result(
            "a",
            "us-east-1",
            Some(vec![node("a", "us-east-1", "i-1", 2)]),
        ));
        b.account_failed("c", assume_role_error("c"));
        b.finish_discovery(&all, &r);
        let s = b.snapshot(true);
        assert!(!s.complete, "c is still refused");
        assert!(
            !s.from_cache,
            "nothing shown is the cache's: {:?}",
            s.errors
        );
    }
}
