//! `:nodes` questions answered from the patch index (`cve:CVE-…`, `kb:KB…`, `patch:NAME`,
//! `unindexed:yes`). A question is answered once per filter (every node's verdict from the
//! index, in a byte per node) and each row then looks its node up: a 40,000-node filter
//! costs one pass over the index, not a question per row. A node whose patch list is not in
//! the index is `Unknown`: it matches neither `cve:X` nor `!cve:X`, and the banner above the
//! table says the answer is partial and how many nodes are unknown.

use std::sync::{Arc, OnceLock, RwLock};

use crate::model::FleetSnapshot;
use crate::model::patch_index::{NodeStatus, PatchIndex, PatchQuery, Verdict};
use crate::ui::table::TableState;
use crate::ui::theme::Role;

/// Fields answered from the index.
pub const QUESTIONS: &[&str] = &["cve", "kb", "patch"];

/// A cached answer: (field, value as typed, verdict per snapshot node).
type Cached = (String, String, Arc<Vec<Verdict>>);

/// Answers of the patch index for one snapshot (cached per question).
#[derive(Debug, Default)]
pub struct IndexAnswers {
    /// Unique per instance (the per-thread cache of the last answer is keyed by it).
    id: u64,
    index: Arc<PatchIndex>,
    snap: Arc<FleetSnapshot>,
    /// Index position of each snapshot node (`u32::MAX`: not in the index yet).
    positions: OnceLock<Vec<u32>>,
    /// (field, value as typed) → verdict per snapshot node.
    cache: RwLock<Vec<Cached>>,
}

impl IndexAnswers {
    pub fn new(index: Arc<PatchIndex>, snap: Arc<FleetSnapshot>) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        IndexAnswers {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            index,
            snap,
            positions: OnceLock::new(),
            cache: RwLock::new(Vec::new()),
        }
    }

    pub fn index(&self) -> &PatchIndex {
        &self.index
    }

    /// Where each snapshot node sits in the index. The index is planned from the snapshot,
    /// so position i is usually node i: checked without allocating, looked up otherwise.
    fn positions(&self) -> &[u32] {
        self.positions.get_or_init(|| {
            let ix = &self.index;
            self.snap
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let same = ix.nodes.get(i).is_some_and(|x| {
                        x.key.instance_id == n.instance_id
                            && x.key.account_id == n.account_id
                            && x.key.region == n.region
                    });
                    if same {
                        i as u32
                    } else {
                        ix.position(&n.key()).map(|p| p as u32).unwrap_or(u32::MAX)
                    }
                })
                .collect()
        })
    }

    /// Every snapshot node's verdict for `field:value` (computed once, then shared).
    pub fn verdicts(&self, field: &str, value: &str) -> Option<Arc<Vec<Verdict>>> {
        self.with(field, value, |v| v.clone())
    }

    /// `f` of the verdicts for `field:value`. The filter asks from every row on several
    /// threads at once: a miss computes under the write lock (re-checked there), so one
    /// thread answers the question and the others wait for it instead of each redoing it.
    fn with<R>(
        &self,
        field: &str,
        value: &str,
        f: impl FnOnce(&Arc<Vec<Verdict>>) -> R,
    ) -> Option<R> {
        let find = |c: &[Cached]| c.iter().position(|(x, y, _)| x == field && y == value);
        {
            let c = self.cache.read().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = find(&c) {
                return Some(f(&c[i].2));
            }
        }
        let mut c = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = find(&c) {
            return Some(f(&c[i].2));
        }
        let q = PatchQuery::parse(field, value).ok()?;
        let by_pos = self.index.verdicts(&q);
        let v: Arc<Vec<Verdict>> = Arc::new(
            self.positions()
                .iter()
                .map(|&p| by_pos.get(p as usize).copied().unwrap_or(Verdict::Unknown))
                .collect(),
        );
        if c.len() >= 8 {
            c.remove(0);
        }
        c.push((field.to_string(), value.to_string(), v));
        let last = c.len() - 1;
        Some(f(&c[last].2))
    }

    /// Snapshot node `node`'s verdict (None: a malformed question, caught by the filter).
    /// Asked once per row from the filter's worker threads: each thread keeps the last
    /// answer it used, so only its first row touches the shared cache.
    pub fn verdict(&self, field: &str, value: &str, node: u32) -> Option<Verdict> {
        type Last = Option<(u64, String, String, Arc<Vec<Verdict>>)>;
        thread_local! {
            static LAST: std::cell::RefCell<Last> = const { std::cell::RefCell::new(None) };
        }
        let at = |v: &Arc<Vec<Verdict>>| v.get(node as usize).copied().unwrap_or(Verdict::Unknown);
        let hit = LAST.with(|l| {
            l.borrow()
                .as_ref()
                .filter(|(id, f, x, _)| *id == self.id && f == field && x == value)
                .map(|(.., v)| at(v))
        });
        if hit.is_some() {
            return hit;
        }
        let v = self.verdicts(field, value)?;
        let answer = at(&v);
        LAST.with(|l| *l.borrow_mut() = Some((self.id, field.to_string(), value.to_string(), v)));
        Some(answer)
    }

    /// Snapshot node `node`'s patch list is not in the index.
    pub fn unindexed(&self, node: u32) -> bool {
        match self.positions().get(node as usize) {
            Some(&p) => self
                .index
                .nodes
                .get(p as usize)
                .is_none_or(|n| matches!(n.status, NodeStatus::Unknown(_))),
            None => true,
        }
    }
}

/// The filter's first patch question (field, value), if it has one and it is valid.
pub fn question(t: &TableState) -> Option<(&'static str, String, bool)> {
    if t.filter_error.is_some() {
        return None;
    }
    // the question fields have no aliases: the typed name is the canonical one
    t.filter.terms.iter().find_map(|term| {
        let name = *QUESTIONS.iter().find(|q| **q == term.field)?;
        Some((name, term.value.clone(), term.negate))
    })
}

pub fn has_question(t: &TableState) -> bool {
    question(t).is_some()
}

/// The line above `:nodes` while it asks the index: how many rows lack the fix, how many
/// nodes are unknown (partial) and how to list them.
pub fn banner(t: &TableState, ix: &IndexAnswers, rows: &[u32]) -> Option<(String, Role)> {
    let (field, value, negate) = question(t)?;
    let v = ix.verdicts(field, &value)?;
    let (mut lacking, mut unknown) = (0usize, 0usize);
    for &r in rows {
        match v.get(r as usize) {
            Some(Verdict::Lacking) => lacking += 1,
            Some(Verdict::Clear) => {}
            _ => unknown += 1,
        }
    }
    let q = PatchQuery::parse(field, &value)
        .map(|q| q.to_string())
        .unwrap_or_else(|_| format!("{field}:{value}"));
    let what = if negate {
        format!("!{q}: nodes read and clear")
    } else {
        format!("{q}: {lacking} lack the fix")
    };
    Some(if unknown > 0 {
        (
            format!(
                "{what} · partial: {unknown} unknown (not in the patch index; /unindexed:yes lists them)"
            ),
            Role::Warning,
        )
    } else {
        (
            format!(
                "{what} (missing, failed or pending a reboot) · complete: every node in view is indexed"
            ),
            Role::Muted,
        )
    })
}
