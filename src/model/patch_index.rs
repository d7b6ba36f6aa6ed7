//! The patch index: every node's patch list (DescribeInstancePatches) across the
//! organization, kept lean enough for 40,000 nodes × ~300 patches, and the questions asked
//! of it: which nodes lack the fix for CVE / KB / patch X, and per patch how many nodes have
//! it Missing / Failed / InstalledPendingReboot / Installed, in how many accounts.
//!
//! Layout: strings (titles, KB ids, classifications, severities, CVE ids) are interned once
//! ([`Interner`]); a distinct patch (KB id + title) is one [`PatchDef`]; a node's list is
//! two boxed slices of `u32` — its open entries (Missing, Failed, InstalledPendingReboot,
//! InstalledRejected) and the rest — each entry `def << 4 | state`. A `cve:` question
//! looks up the CVE's patches in a map and scans only the open entries (tens per node, not
//! hundreds). A node whose list could not be read, or that never reported a patch state, is
//! [`NodeStatus::Unknown`]: it answers "unknown" to every question, never "not affected".

use chrono::{DateTime, Utc};

use super::fast_hash::{FxHashMap, FxHashSet};
use super::node::{Node, NodeKey};
use super::patch::{Patch, PatchState};

/// Interned strings: each distinct value stored once, referred to by `u32`.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    strings: Vec<Box<str>>,
    ids: FxHashMap<Box<str>, u32>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
    pub fn resolve(&self, id: u32) -> &str {
        self.strings.get(id as usize).map(|s| &**s).unwrap_or("")
    }
    pub fn len(&self) -> usize {
        self.strings.len()
    }
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(|s| &**s)
    }
}

/// One distinct patch (by KB id and title), its strings interned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchDef {
    pub title: u32,
    pub kb: u32,
    pub classification: u32,
    pub severity: u32,
    /// CVE ids (AWS sends them on Missing / Failed entries only; merged over every node).
    pub cves: Vec<u32>,
}

/// What a node's patch state said when its list was read: a node is read again only
/// when this changes (a new scan or install, or different counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    pub operation_end: Option<i64>,
    pub counts: u64,
}

impl Stamp {
    /// The stamp of a node as the snapshot shows it; `None` when it never reported a
    /// patch state (nothing to read: DescribeInstancePatches would answer an empty list).
    pub fn of(n: &Node) -> Option<Stamp> {
        if !n.has_patch_state() {
            return None;
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for v in n.listed_patch_counts() {
            h = (h ^ u64::from(v)).wrapping_mul(0x100_0000_01b3);
        }
        let start = n.last_operation_start.map(|t| t.timestamp()).unwrap_or(0);
        h = (h ^ start as u64).wrapping_mul(0x100_0000_01b3);
        Some(Stamp {
            operation_end: n.last_operation_end.map(|t| t.timestamp()),
            counts: h,
        })
    }
}

/// A node's place in the index.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeStatus {
    /// Its list as read at `stamp`.
    Indexed {
        stamp: Stamp,
        /// Missing / Failed / InstalledPendingReboot / InstalledRejected entries.
        open: Box<[u32]>,
        /// Every other entry.
        rest: Box<[u32]>,
    },
    /// Unknown for every question; the reason (the read's error, "never scanned",
    /// "not read yet").
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct IndexedNode {
    pub key: NodeKey,
    pub status: NodeStatus,
    pub read_at: Option<DateTime<Utc>>,
}

/// How the reason of a node whose DescribeInstancePatches read failed begins (the indexer
/// writes `could not read: <error>`); progress counts these apart from never-scanned nodes.
pub const UNREADABLE: &str = "could not read";

const STATE_BITS: u32 = 4;

fn state_code(s: PatchState) -> u32 {
    match s {
        PatchState::Missing => 0,
        PatchState::Failed => 1,
        PatchState::InstalledPendingReboot => 2,
        PatchState::InstalledRejected => 3,
        PatchState::AvailableSecurityUpdate => 4,
        PatchState::Installed => 5,
        PatchState::InstalledOther => 6,
        PatchState::NotApplicable => 7,
        _ => 8,
    }
}

fn state_of(code: u32) -> PatchState {
    match code {
        0 => PatchState::Missing,
        1 => PatchState::Failed,
        2 => PatchState::InstalledPendingReboot,
        3 => PatchState::InstalledRejected,
        4 => PatchState::AvailableSecurityUpdate,
        5 => PatchState::Installed,
        6 => PatchState::InstalledOther,
        7 => PatchState::NotApplicable,
        _ => PatchState::Unknown,
    }
}

/// An entry's patch and state.
pub fn unpack(e: u32) -> (u32, PatchState) {
    (e >> STATE_BITS, state_of(e & ((1 << STATE_BITS) - 1)))
}

fn pack(def: u32, s: PatchState) -> u32 {
    def << STATE_BITS | state_code(s)
}

/// States in which a node lacks the fix: the patch is Missing, Failed, or installed but
/// waiting for a reboot.
pub fn lacks_fix(s: PatchState) -> bool {
    matches!(
        s,
        PatchState::Missing | PatchState::Failed | PatchState::InstalledPendingReboot
    )
}

/// The fleet-wide patch index (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct PatchIndex {
    pub strings: Interner,
    pub defs: Vec<PatchDef>,
    def_ids: FxHashMap<(u32, u32), u32>,
    /// CVE string id → patches naming it.
    cve_defs: FxHashMap<u32, Vec<u32>>,
    pub nodes: Vec<IndexedNode>,
    positions: FxHashMap<NodeKey, usize>,
    /// Bumped on every change (views cache their answers per generation).
    pub generation: u64,
}

/// A malformed question (`cve:`, `kb:`, `patch:`): said plainly, never answered with an
/// empty "all clear".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// A question to the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchQuery {
    /// `CVE-2024-1234` (upper case).
    Cve(String),
    /// `KB5034441` (upper case).
    Kb(String),
    /// Case-insensitive part of a patch title or KB / package id (`openssl`).
    Name(String),
}

impl PatchQuery {
    /// Parse the value of a `cve:` / `kb:` / `patch:` field.
    pub fn parse(field: &str, value: &str) -> Result<PatchQuery, QueryError> {
        let v = value.trim();
        match field.to_ascii_lowercase().as_str() {
            "cve" => {
                let up = v.to_ascii_uppercase();
                let ok = up
                    .strip_prefix("CVE-")
                    .and_then(|r| r.split_once('-'))
                    .is_some_and(|(year, num)| {
                        year.len() == 4
                            && year.bytes().all(|b| b.is_ascii_digit())
                            && (4..=7).contains(&num.len())
                            && num.bytes().all(|b| b.is_ascii_digit())
                    });
                if ok {
                    Ok(PatchQuery::Cve(up))
                } else {
                    Err(QueryError(format!(
                        "cve: wants an id like CVE-2024-12345 (CVE-, a 4-digit year, 4 to 7 digits), not {v:?}"
                    )))
                }
            }
            "kb" => {
                let up = v.to_ascii_uppercase();
                let digits = up.strip_prefix("KB").unwrap_or(&up);
                if (4..=8).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(PatchQuery::Kb(format!("KB{digits}")))
                } else {
                    Err(QueryError(format!(
                        "kb: wants a Microsoft KB number like KB5034441, not {v:?} (for a Linux package use patch:NAME)"
                    )))
                }
            }
            "patch" => {
                if v.is_empty() || v.len() > 200 || v.chars().any(char::is_control) {
                    Err(QueryError(
                        "patch: wants part of a patch title or package name (1 to 200 characters), e.g. patch:openssl".into(),
                    ))
                } else {
                    Ok(PatchQuery::Name(v.to_lowercase()))
                }
            }
            other => Err(QueryError(format!(
                "unknown patch question {other}: (use cve:, kb: or patch:)"
            ))),
        }
    }

    /// Parse `cve:CVE-…`, `kb:KB…` or `patch:NAME`.
    pub fn parse_expr(s: &str) -> Result<PatchQuery, QueryError> {
        let Some((field, value)) = s.split_once(':') else {
            return Err(QueryError(format!(
                "{s:?}: write cve:CVE-…, kb:KB… or patch:NAME"
            )));
        };
        PatchQuery::parse(field, value)
    }
}

impl std::fmt::Display for PatchQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatchQuery::Cve(c) => write!(f, "cve:{c}"),
            PatchQuery::Kb(k) => write!(f, "kb:{k}"),
            PatchQuery::Name(n) => write!(f, "patch:{n}"),
        }
    }
}

/// How one node answers a question.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeAnswer {
    /// It lacks the fix: the matching patches and their states.
    Affected(Vec<(u32, PatchState)>),
    /// Its list was read and no matching patch is Missing / Failed / pending a reboot.
    Clear,
    /// Nothing is known (why).
    Unknown(String),
}

/// One node's answer in brief (see [`PatchIndex::verdicts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Read, and no matching patch is Missing / Failed / pending a reboot.
    Clear,
    /// Lacks the fix.
    Lacking,
    /// Its list is not in the index: unknown, never "not affected".
    Unknown,
}

/// The answer to a question over the whole index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryAnswer {
    /// (node position, matching patches and states).
    pub affected: Vec<(usize, Vec<(u32, PatchState)>)>,
    /// Node positions whose list is unknown.
    pub unknown: Vec<usize>,
    /// Nodes read and clear.
    pub clear: usize,
    /// Patches the question matched (in the index at all).
    pub matched_patches: usize,
}

/// Per-patch counts over the fleet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchStats {
    pub def: u32,
    pub missing: u32,
    pub failed: u32,
    pub pending_reboot: u32,
    /// Installed + InstalledOther.
    pub installed: u32,
    pub rejected: u32,
    /// Accounts with a node lacking it (Missing / Failed / pending reboot).
    pub accounts_affected: u32,
    /// Accounts where it appears in any state.
    pub accounts: u32,
}

impl PatchStats {
    pub fn affected(&self) -> u32 {
        self.missing + self.failed + self.pending_reboot
    }
}

/// Progress of the index (for the header / `:patches`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexProgress {
    /// Nodes of the snapshot.
    pub total: usize,
    /// Nodes whose list is in the index and current.
    pub indexed: usize,
    /// Nodes unknown (a failed read, never scanned).
    pub unknown: usize,
    /// Of `unknown`, nodes whose patch list could not be read (the read failed).
    pub unreadable: usize,
    /// Nodes left to read in this pass.
    pub pending: usize,
    /// DescribeInstancePatches calls (pages) made by this pass.
    pub calls: u64,
    /// A pass is running.
    pub running: bool,
}

impl PatchIndex {
    pub fn new() -> Self {
        PatchIndex::default()
    }

    pub fn position(&self, key: &NodeKey) -> Option<usize> {
        self.positions.get(key).copied()
    }

    /// The id of the patch with this KB / package id and title, if the index has it.
    pub fn find_def(&self, kb: &str, title: &str) -> Option<u32> {
        let (kb, title) = (self.strings.get(kb)?, self.strings.get(title)?);
        self.def_ids.get(&(kb, title)).copied()
    }

    pub fn def(&self, id: u32) -> &PatchDef {
        &self.defs[id as usize]
    }

    pub fn str(&self, id: u32) -> &str {
        self.strings.resolve(id)
    }

    /// CVE ids of a patch, as strings.
    pub fn cves(&self, def: u32) -> impl Iterator<Item = &str> {
        self.defs[def as usize]
            .cves
            .iter()
            .map(|c| self.strings.resolve(*c))
    }

    fn slot(&mut self, key: &NodeKey) -> usize {
        if let Some(&i) = self.positions.get(key) {
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(IndexedNode {
            key: key.clone(),
            status: NodeStatus::Unknown("not read yet".into()),
            read_at: None,
        });
        self.positions.insert(key.clone(), i);
        i
    }

    fn def_id(&mut self, p: &Patch) -> u32 {
        let kb = self.strings.intern(&p.kb_id);
        let title = self.strings.intern(&p.title);
        let id = match self.def_ids.get(&(kb, title)) {
            Some(&id) => id,
            None => {
                let id = self.defs.len() as u32;
                let classification = self.strings.intern(&p.classification);
                let severity = self.strings.intern(&p.severity);
                self.defs.push(PatchDef {
                    title,
                    kb,
                    classification,
                    severity,
                    cves: Vec::new(),
                });
                self.def_ids.insert((kb, title), id);
                id
            }
        };
        for c in &p.cve_ids {
            let c = c.trim();
            if c.is_empty() {
                continue;
            }
            // CVE ids are matched upper-case; AWS sends them so, and then nothing is copied
            let cid = if c.bytes().any(|b| b.is_ascii_lowercase()) {
                self.strings.intern(&c.to_ascii_uppercase())
            } else {
                self.strings.intern(c)
            };
            let def = &mut self.defs[id as usize];
            if !def.cves.contains(&cid) {
                def.cves.push(cid);
                self.cve_defs.entry(cid).or_default().push(id);
            }
        }
        id
    }

    /// Store a node's freshly read list.
    pub fn set_list(&mut self, key: &NodeKey, stamp: Stamp, patches: &[Patch], at: DateTime<Utc>) {
        let mut open = Vec::new();
        let mut rest = Vec::with_capacity(patches.len());
        for p in patches {
            let e = pack(self.def_id(p), p.state);
            if p.state.is_noncompliant() {
                open.push(e);
            } else {
                rest.push(e);
            }
        }
        let i = self.slot(key);
        self.nodes[i].status = NodeStatus::Indexed {
            stamp,
            open: open.into_boxed_slice(),
            rest: rest.into_boxed_slice(),
        };
        self.nodes[i].read_at = Some(at);
        self.generation += 1;
    }

    /// Mark a node unknown (its list could not be read, or it never reported).
    pub fn set_unknown(&mut self, key: &NodeKey, why: impl Into<String>) {
        let i = self.slot(key);
        self.nodes[i].status = NodeStatus::Unknown(why.into());
        self.generation += 1;
    }

    /// Bring the index's node set in line with a snapshot: nodes gone from it are dropped,
    /// new ones added as unknown, never-scanned ones marked so. Returns the nodes whose
    /// list must be read (new, changed stamp, or unknown after a failed read).
    pub fn plan(&mut self, nodes: &[Node]) -> Vec<(NodeKey, Stamp)> {
        let mut keep: FxHashSet<NodeKey> =
            FxHashSet::with_capacity_and_hasher(nodes.len(), Default::default());
        let mut todo = Vec::new();
        for n in nodes {
            let key = n.key();
            keep.insert(key.clone());
            match Stamp::of(n) {
                None => {
                    let never = NodeStatus::Unknown("never scanned".into());
                    let i = self.slot(&key);
                    if self.nodes[i].status != never {
                        self.nodes[i].status = never;
                        self.generation += 1;
                    }
                }
                Some(stamp) => {
                    let current = self.position(&key).is_some_and(|i| {
                        matches!(&self.nodes[i].status, NodeStatus::Indexed { stamp: s, .. } if *s == stamp)
                    });
                    if !current {
                        self.slot(&key);
                        todo.push((key, stamp));
                    }
                }
            }
        }
        if self.nodes.len() != keep.len() {
            self.nodes.retain(|n| keep.contains(&n.key));
            self.positions = self
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.key.clone(), i))
                .collect();
            self.generation += 1;
        }
        todo
    }

    /// Counts for progress.
    pub fn progress(&self) -> IndexProgress {
        let mut unknown = 0;
        let mut unreadable = 0;
        for n in &self.nodes {
            if let NodeStatus::Unknown(why) = &n.status {
                unknown += 1;
                if why.starts_with(UNREADABLE) {
                    unreadable += 1;
                }
            }
        }
        IndexProgress {
            total: self.nodes.len(),
            indexed: self.nodes.len() - unknown,
            unknown,
            unreadable,
            ..IndexProgress::default()
        }
    }

    /// The patches a question matches, as a bitmap over patch ids.
    pub fn matching(&self, q: &PatchQuery) -> Vec<bool> {
        let mut hit = vec![false; self.defs.len()];
        match q {
            PatchQuery::Cve(c) => {
                if let Some(defs) = self.strings.get(c).and_then(|id| self.cve_defs.get(&id)) {
                    for d in defs {
                        hit[*d as usize] = true;
                    }
                }
            }
            PatchQuery::Kb(k) => {
                for (i, d) in self.defs.iter().enumerate() {
                    let kb = self.strings.resolve(d.kb);
                    if kb.eq_ignore_ascii_case(k)
                        || self.strings.resolve(d.title).contains(k.as_str())
                    {
                        hit[i] = true;
                    }
                }
            }
            PatchQuery::Name(n) => {
                for (i, d) in self.defs.iter().enumerate() {
                    if self
                        .strings
                        .resolve(d.kb)
                        .to_lowercase()
                        .contains(n.as_str())
                        || self
                            .strings
                            .resolve(d.title)
                            .to_lowercase()
                            .contains(n.as_str())
                    {
                        hit[i] = true;
                    }
                }
            }
        }
        hit
    }

    /// How one node answers, given [`PatchIndex::matching`]'s bitmap.
    pub fn answer_node(&self, pos: usize, hit: &[bool]) -> NodeAnswer {
        match &self.nodes[pos].status {
            NodeStatus::Unknown(why) => NodeAnswer::Unknown(why.clone()),
            NodeStatus::Indexed { open, .. } => {
                let found: Vec<(u32, PatchState)> = open
                    .iter()
                    .map(|e| unpack(*e))
                    .filter(|(d, s)| hit[*d as usize] && lacks_fix(*s))
                    .collect();
                if found.is_empty() {
                    NodeAnswer::Clear
                } else {
                    NodeAnswer::Affected(found)
                }
            }
        }
    }

    /// How every node answers `q`, by index position (one byte each: a 40,000-node filter
    /// looks its rows up here instead of asking per row).
    pub fn verdicts(&self, q: &PatchQuery) -> Vec<Verdict> {
        let hit = self.matching(q);
        self.nodes
            .iter()
            .map(|n| match &n.status {
                NodeStatus::Unknown(_) => Verdict::Unknown,
                NodeStatus::Indexed { open, .. } => {
                    let lacking = open.iter().any(|e| {
                        let (d, s) = unpack(*e);
                        hit[d as usize] && lacks_fix(s)
                    });
                    if lacking {
                        Verdict::Lacking
                    } else {
                        Verdict::Clear
                    }
                }
            })
            .collect()
    }

    /// Which nodes lack the fix for `q` (Missing / Failed / pending a reboot), which are
    /// unknown, how many are clear.
    pub fn nodes_lacking(&self, q: &PatchQuery) -> QueryAnswer {
        let hit = self.matching(q);
        let mut out = QueryAnswer {
            matched_patches: hit.iter().filter(|h| **h).count(),
            ..QueryAnswer::default()
        };
        for (pos, n) in self.nodes.iter().enumerate() {
            match &n.status {
                NodeStatus::Unknown(_) => out.unknown.push(pos),
                NodeStatus::Indexed { open, .. } => {
                    let mut found = Vec::new();
                    for e in open.iter() {
                        let (d, s) = unpack(*e);
                        if hit[d as usize] && lacks_fix(s) {
                            found.push((d, s));
                        }
                    }
                    if found.is_empty() {
                        out.clear += 1;
                    } else {
                        out.affected.push((pos, found));
                    }
                }
            }
        }
        out
    }

    /// Counts per patch over every indexed node (patches no node has any more left out).
    pub fn patch_stats(&self) -> Vec<PatchStats> {
        let mut stats: Vec<PatchStats> = (0..self.defs.len() as u32)
            .map(|def| PatchStats {
                def,
                ..PatchStats::default()
            })
            .collect();
        // accounts counted once per patch: walk the nodes account by account
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        order.sort_by(|a, b| {
            self.nodes[*a]
                .key
                .account_id
                .cmp(&self.nodes[*b].key.account_id)
        });
        let mut seen_any = vec![u32::MAX; self.defs.len()];
        let mut seen_affected = vec![u32::MAX; self.defs.len()];
        let mut account = 0u32;
        let mut last: Option<&str> = None;
        for pos in order {
            let n = &self.nodes[pos];
            if last != Some(n.key.account_id.as_str()) {
                account += 1;
                last = Some(n.key.account_id.as_str());
            }
            let NodeStatus::Indexed { open, rest, .. } = &n.status else {
                continue;
            };
            for e in open.iter().chain(rest.iter()) {
                let (d, s) = unpack(*e);
                let st = &mut stats[d as usize];
                match s {
                    PatchState::Missing => st.missing += 1,
                    PatchState::Failed => st.failed += 1,
                    PatchState::InstalledPendingReboot => st.pending_reboot += 1,
                    PatchState::Installed | PatchState::InstalledOther => st.installed += 1,
                    PatchState::InstalledRejected => st.rejected += 1,
                    _ => {}
                }
                if seen_any[d as usize] != account {
                    seen_any[d as usize] = account;
                    st.accounts += 1;
                }
                if lacks_fix(s) && seen_affected[d as usize] != account {
                    seen_affected[d as usize] = account;
                    st.accounts_affected += 1;
                }
            }
        }
        stats.retain(|s| s.accounts > 0);
        stats
    }

    /// One node's entries (patch, state), open first.
    pub fn node_entries(&self, pos: usize) -> Vec<(u32, PatchState)> {
        match &self.nodes[pos].status {
            NodeStatus::Unknown(_) => Vec::new(),
            NodeStatus::Indexed { open, rest, .. } => {
                open.iter().chain(rest.iter()).map(|e| unpack(*e)).collect()
            }
        }
    }

    /// Rebuild from stored parts (the on-disk form); the lookups are derived.
    pub fn from_parts(strings: Vec<String>, defs: Vec<PatchDef>, nodes: Vec<IndexedNode>) -> Self {
        let mut interner = Interner::default();
        for s in &strings {
            let id = interner.strings.len() as u32;
            interner.strings.push(s.as_str().into());
            interner.ids.entry(s.as_str().into()).or_insert(id);
        }
        let mut def_ids = FxHashMap::default();
        let mut cve_defs: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (i, d) in defs.iter().enumerate() {
            def_ids.insert((d.kb, d.title), i as u32);
            for c in &d.cves {
                cve_defs.entry(*c).or_default().push(i as u32);
            }
        }
        let positions = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.key.clone(), i))
            .collect();
        PatchIndex {
            strings: interner,
            defs,
            def_ids,
            cve_defs,
            nodes,
            positions,
            generation: 1,
        }
    }

    /// Whether every id in the index points inside it (a decoded file is checked).
    pub fn is_consistent(&self) -> bool {
        let ns = self.strings.len() as u32;
        let nd = self.defs.len() as u32;
        self.defs.iter().all(|d| {
            d.title < ns
                && d.kb < ns
                && d.classification < ns
                && d.severity < ns
                && d.cves.iter().all(|c| *c < ns)
        }) && self.nodes.iter().all(|n| match &n.status {
            NodeStatus::Indexed { open, rest, .. } => open
                .iter()
                .chain(rest.iter())
                .all(|e| (e >> STATE_BITS) < nd),
            NodeStatus::Unknown(_) => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(acct: &str, id: &str) -> NodeKey {
        NodeKey {
            account_id: acct.into(),
            region: "us-east-1".into(),
            instance_id: id.into(),
        }
    }

    fn patch(kb: &str, state: PatchState, cves: &[&str]) -> Patch {
        Patch {
            title: format!("{kb} title"),
            kb_id: kb.into(),
            classification: "Security".into(),
            severity: "Critical".into(),
            state,
            installed_time: None,
            cve_ids: cves.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn stamp() -> Stamp {
        Stamp {
            operation_end: Some(1),
            counts: 2,
        }
    }

    #[test]
    fn malformed_questions_are_errors_not_empty_answers() {
        assert_eq!(
            PatchQuery::parse_expr("cve:cve-2024-1234"),
            Ok(PatchQuery::Cve("CVE-2024-1234".into()))
        );
        assert_eq!(
            PatchQuery::parse_expr("kb:5034441"),
            Ok(PatchQuery::Kb("KB5034441".into()))
        );
        for bad in [
            "cve:2024-1234",
            "cve:CVE-24-1234",
            "cve:CVE-2024-12",
            "kb:KBabc",
            "kb:openssl",
            "patch:",
            "foo",
        ] {
            let e = PatchQuery::parse_expr(bad).unwrap_err();
            assert!(!e.0.is_empty(), "{bad}");
        }
    }

    #[test]
    fn lacking_unknown_and_clear_nodes() {
        let mut ix = PatchIndex::new();
        let now = Utc::now();
        ix.set_list(
            &key("1", "i-a"),
            stamp(),
            &[patch("KB1000", PatchState::Missing, &["CVE-2024-0001"])],
            now,
        );
        ix.set_list(
            &key("2", "i-b"),
            stamp(),
            &[patch("KB1000", PatchState::Installed, &[])],
            now,
        );
        ix.set_list(
            &key("2", "i-c"),
            stamp(),
            &[patch("KB1000", PatchState::InstalledPendingReboot, &[])],
            now,
        );
        ix.set_unknown(&key("3", "i-d"), "AccessDenied");
        let q = PatchQuery::parse_expr("cve:CVE-2024-0001").unwrap();
        let a = ix.nodes_lacking(&q);
        // the CVE was learned from the Missing entry; pending reboot still lacks the fix
        assert_eq!(a.affected.len(), 2);
        assert_eq!(a.clear, 1);
        assert_eq!(a.unknown, vec![3]);
        let stats = ix.patch_stats();
        assert_eq!(stats.len(), 1);
        let s = &stats[0];
        assert_eq!((s.missing, s.installed, s.pending_reboot), (1, 1, 1));
        assert_eq!((s.accounts, s.accounts_affected), (2, 2));
        // a CVE nobody has: everyone read is clear, the unknown node stays unknown
        let none = ix.nodes_lacking(&PatchQuery::parse_expr("cve:CVE-2020-9999").unwrap());
        assert!(none.affected.is_empty());
        assert_eq!(none.unknown.len(), 1);
    }
}
