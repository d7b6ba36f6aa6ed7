//! Filling the fleet-wide [`PatchIndex`] from DescribeInstancePatches, incrementally, and
//! keeping it on disk beside the snapshot cache.
//!
//! After a fleet refresh, [`Fleet::update_patch_index`] reads only the nodes whose patch
//! state changed since their list was read (the operation end time or the counts: a new
//! scan or install), through the same limiter as every other call; a node that never
//! reported a patch state costs no call (it is "never scanned", unknown); a node whose read
//! fails is unknown (with the error) and read again next time. So a second refresh with
//! nothing changed makes no DescribeInstancePatches call at all, and after an Install on
//! N nodes exactly N are read again.
//!
//! On disk (`<snapshot cache>.patch-index`): the cache codec's records
//! ([`super::cache::codec`]) — a magic line and version, then blocks of strings, patches and
//! nodes; an unreadable file is ignored (the index is rebuilt), never fatal.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::Utc;
use futures::StreamExt;

use crate::model::fast_hash::FxHashMap;
use crate::model::patch_index::{
    IndexProgress, IndexedNode, NodeStatus, PatchDef, PatchIndex, Stamp,
};
use crate::model::{Node, NodeKey};
use tokio::time::Instant;

use super::Fleet;
use super::cache::codec::{Bad, Reader, Writer};

/// Nodes of one account × region read at once by the index (each node's pages are read one
/// after another): 3 keep a unit at 10 calls/s up to ~300 ms per call.
const PER_UNIT_IN_FLIGHT: usize = 3;

/// The pages a node's list is expected to take: its patch counts as the snapshot shows
/// them (AWS pages DescribeInstancePatches by [`super::node::PATCH_PAGE`]).
fn expected_pages(n: &Node) -> f64 {
    let entries: u64 = n.listed_patch_counts().into_iter().map(u64::from).sum();
    entries.div_ceil(super::node::PATCH_PAGE as u64).max(1) as f64
}

/// How much faster than its share a unit is paced: the counts leave out a few entries
/// (available security updates), and a unit that finds more pages than expected catches
/// up at its full rate anyway.
const PACE_MARGIN: f64 = 1.15;

/// One account × region's reads as the pass runs them: when each node's read may start,
/// and how many may be in flight at once.
struct PacedUnit {
    reads: Vec<(NodeKey, Stamp, Option<Instant>)>,
    in_flight: usize,
}

/// The pass ends when its busiest account × region has read all its pages at that key's
/// rate. So the busiest units run at their full rate with `per_unit` reads in flight, and
/// a lighter one is paced to end then too (with [`PACE_MARGIN`]) instead of racing ahead,
/// with as many reads in flight as its share of the rate needs (at least one). Where the
/// client and the service share a machine, or the client is busy, the lighter units leave
/// the CPU to the ones the pass waits for (in-flight reads share a saturated CPU evenly),
/// instead of slowing them down; against AWS it spreads the pass's calls evenly and ends
/// no later.
fn pace(
    units: Vec<Vec<(NodeKey, Stamp, f64)>>,
    rate: f64,
    per_unit: usize,
    start: Instant,
) -> Vec<PacedUnit> {
    let rate = rate.max(0.01);
    let total = |u: &Vec<(NodeKey, Stamp, f64)>| u.iter().map(|x| x.2).sum::<f64>();
    let busiest = units.iter().map(total).fold(0.0, f64::max).max(1.0);
    units
        .into_iter()
        .map(|u| {
            let share = (PACE_MARGIN * total(&u) / busiest).min(1.0);
            let pages_per_s = rate * share;
            let mut after = 0.0;
            let reads = u
                .into_iter()
                .map(|(key, stamp, pages)| {
                    // a unit as busy as the busiest (within the margin) is not paced: it
                    // uses its key's burst too
                    let due =
                        (share < 1.0).then(|| start + std::time::Duration::from_secs_f64(after));
                    after += pages / pages_per_s.max(0.01);
                    (key, stamp, due)
                })
                .collect();
            PacedUnit {
                reads,
                in_flight: ((per_unit as f64 * share).ceil() as usize).clamp(1, per_unit.max(1)),
            }
        })
        .collect()
}

/// A spawned read, aborted when the pass that waits for it is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Fleet {
    /// Bring `index` up to date with `nodes` (the latest snapshot's): read the lists of new
    /// and changed nodes, `on_progress` told as they arrive. Returns the final progress.
    pub async fn update_patch_index(
        &self,
        index: &mut PatchIndex,
        nodes: &[Node],
        on_progress: &mut (dyn FnMut(&PatchIndex, IndexProgress) + Send),
    ) -> IndexProgress {
        let todo = index.plan(nodes);
        let calls = Arc::new(AtomicU64::new(0));
        let mut progress = index.progress();
        progress.pending = todo.len();
        progress.running = !todo.is_empty();
        on_progress(index, progress);
        if todo.is_empty() {
            progress.running = false;
            return progress;
        }
        // Each account × region is its own rate-limit key, so the pass runs every unit at
        // once, a few nodes in flight per unit (enough to keep a unit at its rate at any
        // realistic latency: pages of one node are serial). One global queue in node order
        // would put every in-flight call on the first few units and leave the others idle.
        let pages_of: FxHashMap<NodeKey, f64> =
            nodes.iter().map(|n| (n.key(), expected_pages(n))).collect();
        let mut units: Vec<Vec<(NodeKey, Stamp, f64)>> = Vec::new();
        let mut unit_of: FxHashMap<(String, String), usize> = FxHashMap::default();
        for (key, stamp) in todo {
            let u = *unit_of
                .entry((key.account_id.clone(), key.region.clone()))
                .or_insert_with(|| {
                    units.push(Vec::new());
                    units.len() - 1
                });
            let pages = pages_of.get(&key).copied().unwrap_or(1.0);
            units[u].push((key, stamp, pages));
        }
        let per_unit = PER_UNIT_IN_FLIGHT.min(self.inner.scope.concurrency.max(1));
        let paced = pace(
            units,
            self.inner.scope.rate_limit_tps,
            per_unit,
            Instant::now(),
        );
        // Each node's read is its own task, so decoding the responses spreads over the
        // runtime's threads instead of running inside this one future (which merges the
        // lists); dropping the pass aborts the reads in flight.
        let mut results = futures::stream::select_all(paced.into_iter().map(|unit| {
            let calls = calls.clone();
            futures::stream::iter(unit.reads)
                .map(
                    move |(key, stamp, due): (NodeKey, Stamp, Option<Instant>)| {
                        let (fleet, calls, read_key) = (self.clone(), calls.clone(), key.clone());
                        let mut read = AbortOnDrop(tokio::spawn(async move {
                            if let Some(due) = due {
                                tokio::time::sleep_until(due).await;
                            }
                            fleet.node_patches_counted(&read_key, &calls, true).await
                        }));
                        async move {
                            let got = match (&mut read.0).await {
                                Ok(got) => got,
                                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                                Err(_) => Err(super::FleetError::Cancelled),
                            };
                            (key, stamp, got)
                        }
                    },
                )
                .buffer_unordered(unit.in_flight)
                .boxed()
        }));
        let mut left = progress.pending;
        let mut last_report = std::time::Instant::now();
        while let Some((key, stamp, got)) = results.next().await {
            match got {
                Ok(list) => index.set_list(&key, stamp, &list, Utc::now()),
                Err(e) => index.set_unknown(
                    &key,
                    format!("{}: {e}", crate::model::patch_index::UNREADABLE),
                ),
            }
            left -= 1;
            if left == 0 || last_report.elapsed() >= std::time::Duration::from_millis(200) {
                last_report = std::time::Instant::now();
                let mut p = index.progress();
                p.pending = left;
                p.calls = calls.load(Ordering::Relaxed);
                p.running = left > 0;
                progress = p;
                on_progress(index, p);
            }
        }
        progress
    }

    /// Where this scope keeps its patch index (beside the snapshot cache; `None` without
    /// a cache, e.g. `--no-cache`).
    pub fn patch_index_file(&self) -> Option<PathBuf> {
        self.inner.scope.cache_file.as_deref().map(index_file)
    }
}

/// The index file beside a snapshot cache file.
pub fn index_file(cache_file: &Path) -> PathBuf {
    let mut name = cache_file
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "snapshot".into());
    name.push(".patch-index");
    cache_file.with_file_name(name)
}

const MAGIC: &[u8; 8] = b"SSMDKPX\x01";
const VERSION: u32 = 1;
const END: &[u8; 4] = b"END.";

/// Encode an index (strings, patches, nodes).
pub fn encode(ix: &PatchIndex) -> Vec<u8> {
    let mut w = Writer::default();
    w.buf.extend_from_slice(MAGIC);
    w.u32(VERSION);
    let mut b = Writer::default();
    for s in ix.strings.iter() {
        b.str(s);
    }
    w.block(ix.strings.len(), &b);
    let mut b = Writer::default();
    for d in &ix.defs {
        b.u32(d.title);
        b.u32(d.kb);
        b.u32(d.classification);
        b.u32(d.severity);
        b.u32(d.cves.len() as u32);
        for c in &d.cves {
            b.u32(*c);
        }
    }
    w.block(ix.defs.len(), &b);
    let mut b = Writer::default();
    for n in &ix.nodes {
        b.str(&n.key.account_id);
        b.str(&n.key.region);
        b.str(&n.key.instance_id);
        b.time(n.read_at);
        match &n.status {
            NodeStatus::Unknown(why) => {
                b.u8(0);
                b.str(why);
            }
            NodeStatus::Indexed { stamp, open, rest } => {
                b.u8(1);
                b.opt_i64(stamp.operation_end);
                b.i64(stamp.counts as i64);
                for list in [open, rest] {
                    b.u32(list.len() as u32);
                    for e in list.iter() {
                        b.u32(*e);
                    }
                }
            }
        }
    }
    w.block(ix.nodes.len(), &b);
    w.buf.extend_from_slice(END);
    w.buf
}

fn u32s(r: &mut Reader<'_>) -> Result<Box<[u32]>, Bad> {
    let n = r.count(4)?;
    (0..n).map(|_| r.u32()).collect()
}

/// Decode an index written by [`encode`]; every id is checked to point inside it.
pub fn decode(bytes: &[u8]) -> Result<PatchIndex, Bad> {
    let mut r = Reader::new(bytes);
    if r.take_exact(MAGIC.len())? != MAGIC {
        return Err(Bad("not an ssmdeck patch index"));
    }
    if r.u32()? != VERSION {
        return Err(Bad("written by another version of ssmdeck"));
    }
    let (n, mut b) = r.block(4)?;
    let strings = (0..n).map(|_| b.str()).collect::<Result<Vec<_>, _>>()?;
    if !b.is_done() {
        return Err(Bad("bad string block"));
    }
    let (n, mut b) = r.block(20)?;
    let mut defs = Vec::with_capacity(n);
    for _ in 0..n {
        defs.push(PatchDef {
            title: b.u32()?,
            kb: b.u32()?,
            classification: b.u32()?,
            severity: b.u32()?,
            cves: u32s(&mut b)?.into_vec(),
        });
    }
    if !b.is_done() {
        return Err(Bad("bad patch block"));
    }
    let (n, mut b) = r.block(14)?;
    let mut nodes = Vec::with_capacity(n);
    for _ in 0..n {
        let key = NodeKey {
            account_id: b.str()?,
            region: b.str()?,
            instance_id: b.str()?,
        };
        let read_at = b.time()?;
        let status = match b.u8()? {
            0 => NodeStatus::Unknown(b.str()?),
            1 => {
                let stamp = Stamp {
                    operation_end: b.opt_i64()?,
                    counts: b.i64()? as u64,
                };
                NodeStatus::Indexed {
                    stamp,
                    open: u32s(&mut b)?,
                    rest: u32s(&mut b)?,
                }
            }
            _ => return Err(Bad("bad node status")),
        };
        nodes.push(IndexedNode {
            key,
            status,
            read_at,
        });
    }
    if !b.is_done() {
        return Err(Bad("bad node block"));
    }
    if r.take_exact(END.len())? != END || !r.is_empty() {
        return Err(Bad("trailing data"));
    }
    let ix = PatchIndex::from_parts(strings, defs, nodes);
    if !ix.is_consistent() {
        return Err(Bad("an id points outside the index"));
    }
    Ok(ix)
}

/// Read the index file; `None` when absent or unreadable (then it is rebuilt).
pub fn load(path: &Path) -> Option<PatchIndex> {
    let bytes = std::fs::read(path).ok()?;
    match decode(&bytes) {
        Ok(ix) => Some(ix),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring an unreadable patch index");
            None
        }
    }
}

/// Write the index file atomically.
pub fn save(path: &Path, ix: &PatchIndex) -> std::io::Result<()> {
    super::cache::write_atomic(path, &encode(ix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Patch, PatchState};

    #[test]
    fn the_busiest_unit_runs_at_its_rate_and_lighter_ones_are_paced_to_end_with_it() {
        let key = |a: &str, i: usize| NodeKey {
            account_id: a.into(),
            region: "us-east-1".into(),
            instance_id: format!("i-{i}"),
        };
        let unit = |a: &str, pages: &[f64]| -> Vec<(NodeKey, Stamp, f64)> {
            pages
                .iter()
                .enumerate()
                .map(|(i, p)| (key(a, i), Stamp::default(), *p))
                .collect()
        };
        // 10 req/s: the busy unit needs 40 pages (4 s), the light one 10
        let start = Instant::now();
        let paced = pace(
            vec![unit("busy", &[4.0; 10]), unit("light", &[2.0; 5])],
            10.0,
            3,
            start,
        );
        assert!(
            paced[0].reads.iter().all(|x| x.2.is_none()),
            "the unit the pass waits for is never held back"
        );
        assert_eq!(paced[0].in_flight, 3);
        assert_eq!(
            paced[1].in_flight, 1,
            "a quarter of the rate needs one read at a time"
        );
        let due: Vec<f64> = paced[1]
            .reads
            .iter()
            .map(|x| x.2.expect("paced").duration_since(start).as_secs_f64())
            .collect();
        assert_eq!(due[0], 0.0, "a paced unit starts at once");
        assert!(due.windows(2).all(|w| w[1] > w[0]), "{due:?}");
        // its reads are spread evenly over the busiest unit's 4 s (less the margin): the
        // last one is due one read's share before then
        let share = 4.0 / PACE_MARGIN / 5.0;
        for (i, d) in due.iter().enumerate() {
            assert!((d - share * i as f64).abs() < 1e-6, "{due:?}");
        }
    }

    #[test]
    fn the_index_survives_a_round_trip_and_rejects_damage() {
        let mut ix = PatchIndex::new();
        let key = NodeKey {
            account_id: "111111111111".into(),
            region: "eu-west-1".into(),
            instance_id: "i-0123456789abcdef0".into(),
        };
        let patch = Patch {
            title: "openssl.x86_64:1:3.0.8-1".into(),
            kb_id: "openssl.x86_64".into(),
            classification: "Security".into(),
            severity: "Critical".into(),
            state: PatchState::Missing,
            installed_time: None,
            cve_ids: vec!["CVE-2024-0001".into()],
        };
        let stamp = Stamp {
            operation_end: Some(1_700_000_000),
            counts: 42,
        };
        ix.set_list(&key, stamp, &[patch], Utc::now());
        ix.set_unknown(
            &NodeKey {
                instance_id: "i-0fedcba9876543210".into(),
                ..key.clone()
            },
            "AccessDenied",
        );
        let bytes = encode(&ix);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.nodes, ix.nodes);
        assert_eq!(back.defs, ix.defs);
        let q = crate::model::patch_index::PatchQuery::parse_expr("cve:CVE-2024-0001").unwrap();
        assert_eq!(back.nodes_lacking(&q).affected.len(), 1);
        assert_eq!(back.nodes_lacking(&q).unknown.len(), 1);
        // truncated or corrupted: an error, never a panic
        for cut in [0, 8, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "{cut}");
        }
        let mut bad = bytes.clone();
        let at = bad.len() - 12;
        bad[at] ^= 0xff;
        let _ = decode(&bad);
    }
}

/// The console's patch index: filled in the background after every finished refresh
/// (one pass at a time; a refresh that lands during a pass is indexed right after it),
/// loaded from and saved to disk beside the snapshot cache. Readers get the last complete
/// index (a pass never shows half an index) and the progress of the pass in flight.
#[derive(Clone)]
pub struct PatchIndexer {
    current: Arc<RwLock<Arc<PatchIndex>>>,
    progress: tokio::sync::watch::Sender<IndexProgress>,
    pending: Arc<Mutex<Option<Arc<crate::model::FleetSnapshot>>>>,
    busy: Arc<AtomicBool>,
    file: Option<PathBuf>,
}

impl std::fmt::Debug for PatchIndexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatchIndexer")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl PatchIndexer {
    /// An indexer keeping its index in `file` (none: memory only).
    pub fn new(file: Option<PathBuf>) -> Self {
        let (progress, _) = tokio::sync::watch::channel(IndexProgress::default());
        PatchIndexer {
            current: Arc::new(RwLock::new(Arc::new(PatchIndex::new()))),
            progress,
            pending: Arc::new(Mutex::new(None)),
            busy: Arc::new(AtomicBool::new(false)),
            file,
        }
    }

    /// The last complete index.
    pub fn index(&self) -> Arc<PatchIndex> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Progress of the pass in flight (or the last one).
    pub fn progress(&self) -> tokio::sync::watch::Receiver<IndexProgress> {
        self.progress.subscribe()
    }

    /// Read the index file (if any) so a restart does not refetch.
    pub async fn load(&self) {
        let Some(file) = self.file.clone() else {
            return;
        };
        if let Ok(Some(ix)) = tokio::task::spawn_blocking(move || load(&file)).await {
            let p = ix.progress();
            *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ix);
            self.progress.send_replace(p);
        }
    }

    /// Index `snap` in the background (after the pass in flight, if any).
    pub fn after_refresh(&self, fleet: &Fleet, snap: Arc<crate::model::FleetSnapshot>) {
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(snap);
        if self.busy.swap(true, Ordering::AcqRel) {
            return;
        }
        let (me, fleet) = (self.clone(), fleet.clone());
        tokio::spawn(async move {
            loop {
                let next = me.pending.lock().unwrap_or_else(|e| e.into_inner()).take();
                let Some(snap) = next else {
                    me.busy.store(false, Ordering::Release);
                    // a snapshot that arrived between the take and the store
                    if me
                        .pending
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .is_some()
                        && !me.busy.swap(true, Ordering::AcqRel)
                    {
                        continue;
                    }
                    break;
                };
                me.pass(&fleet, &snap).await;
            }
        });
    }

    async fn pass(&self, fleet: &Fleet, snap: &crate::model::FleetSnapshot) {
        let mut ix = (*self.index()).clone();
        let tx = self.progress.clone();
        let done = fleet
            .update_patch_index(&mut ix, &snap.nodes, &mut |_, p| {
                tx.send_replace(p);
            })
            .await;
        let changed = ix.generation != self.index().generation || done.calls > 0;
        let ix = Arc::new(ix);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = ix.clone();
        self.progress.send_replace(IndexProgress {
            running: false,
            ..done
        });
        if let (true, Some(file)) = (changed, self.file.clone()) {
            let _ = tokio::task::spawn_blocking(move || {
                if let Err(e) = save(&file, &ix) {
                    tracing::warn!(path = %file.display(), error = %e, "cannot write the patch index");
                }
            })
            .await;
        }
    }
}
