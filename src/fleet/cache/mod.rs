//! The last snapshot on disk (`Paths::snapshot_cache`), so the next start paints at once.
//!
//! Format (version 3): a magic line, a small JSON head (the snapshot without its nodes and
//! certificates, plus the aggregates computed when it was collected, so the first frame
//! needs no recomputation), then the nodes in blocks of 4,096 and the certificates in one
//! block, as binary records with a text section per block ([`codec`]) — JSON for 50,000
//! nodes parses in ~250 ms, the records in a fraction of it.
//! Written atomically (temporary file in the same directory, then rename); a cache that
//! cannot be read (absent, older format, truncated, corrupt) is ignored, never fatal.

pub mod codec;

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::{Aggregates, FleetSnapshot};

use codec::{Bad, Reader, Writer};

/// First bytes of a cache file; the version follows as a little-endian `u32`.
const MAGIC: &[u8; 8] = b"SSMDECK\x01";
pub const VERSION: u32 = 3;
/// Last bytes of a complete file (a truncated one is rejected).
const END: &[u8; 4] = b"END.";

/// A snapshot read from the cache, with the aggregates stored beside it.
#[derive(Debug)]
pub struct Cached {
    pub snapshot: FleetSnapshot,
    /// Computed at collection time (what the snapshot says is as of then, too).
    pub aggregates: Aggregates,
}

#[derive(Serialize, Deserialize)]
struct Head {
    snapshot: FleetSnapshot,
    aggregates: Aggregates,
}

/// The cache of a scope (no network: the file name depends on the profile, endpoint and
/// role only), or `None` (no cache file, `--no-cache`, unreadable).
pub fn load_for(scope: &crate::fleet::Scope) -> Option<Cached> {
    load(scope.cache_file.as_deref()?)
}

/// Read a cached snapshot, marked `from_cache`. `None` when absent or unreadable.
pub fn load(path: &Path) -> Option<Cached> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the snapshot cache");
            return None;
        }
    };
    match decode(&bytes) {
        Ok(mut c) => {
            c.snapshot.from_cache = true;
            Some(c)
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring an unreadable snapshot cache");
            None
        }
    }
}

/// Decode a whole cache file.
pub fn decode(bytes: &[u8]) -> Result<Cached, Bad> {
    let mut r = Reader::new(bytes);
    let magic = r.take_exact(MAGIC.len())?;
    if magic != MAGIC {
        return Err(Bad("not an ssmdeck snapshot cache"));
    }
    if r.u32()? != VERSION {
        return Err(Bad("written by another version of ssmdeck"));
    }
    let head: Head = serde_json::from_slice(r.bytes()?).map_err(|_| Bad("unreadable head"))?;
    let mut snapshot = head.snapshot;
    let nodes = get_nodes(&mut r)?;
    let (n, mut cr) = r.block(codec::MIN_CERT)?;
    let mut certificates = Vec::with_capacity(n);
    for _ in 0..n {
        certificates.push(codec::get_cert(&mut cr)?);
    }
    if !cr.is_done() {
        return Err(Bad("bad certificate block"));
    }
    if r.take_exact(END.len())? != END || !r.is_empty() {
        return Err(Bad("trailing data"));
    }
    snapshot.nodes = nodes;
    snapshot.certificates = certificates;
    Ok(Cached {
        snapshot,
        aggregates: head.aggregates,
    })
}

/// Nodes per chunk: chunks carry their byte length so they decode on several threads.
const NODE_CHUNK: usize = 4096;

fn put_nodes(w: &mut Writer, nodes: &[crate::model::Node]) {
    w.u32(nodes.len() as u32);
    for chunk in nodes.chunks(NODE_CHUNK) {
        let mut c = Writer::default();
        for n in chunk {
            codec::put_node(&mut c, n);
        }
        w.block(chunk.len(), &c);
    }
}

fn get_nodes(r: &mut Reader<'_>) -> Result<Vec<crate::model::Node>, Bad> {
    let total = r.count(codec::MIN_NODE)?;
    let mut chunks: Vec<(usize, Reader<'_>)> = Vec::new();
    let mut seen = 0usize;
    while seen < total {
        let (n, cr) = r.block(codec::MIN_NODE)?;
        if n == 0 || n > total - seen {
            return Err(Bad("bad node chunk"));
        }
        seen += n;
        chunks.push((n, cr));
    }
    let decode = |(n, mut cr): (usize, Reader<'_>)| -> Result<Vec<crate::model::Node>, Bad> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(codec::get_node(&mut cr)?);
        }
        if !cr.is_done() {
            return Err(Bad("bad node chunk"));
        }
        Ok(out)
    };
    // decode the chunks on every core (a large fleet's cache is mostly nodes)
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(chunks.len())
        .max(1);
    let parts: Vec<Result<Vec<crate::model::Node>, Bad>> = if threads == 1 {
        chunks.into_iter().map(decode).collect()
    } else {
        let per = chunks.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .chunks(per)
                .map(|group| {
                    let group: Vec<(usize, Reader<'_>)> =
                        group.iter().map(|(n, cr)| (*n, cr.clone())).collect();
                    s.spawn(move || group.into_iter().map(decode).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join()
                        .unwrap_or_else(|_| vec![Err(Bad("decoder panicked"))])
                })
                .collect()
        })
    };
    // the first part grows in place (a large Vec is remapped, not copied), the rest move in
    let mut parts = parts.into_iter();
    let mut nodes = parts.next().transpose()?.unwrap_or_default();
    nodes.reserve_exact(total - nodes.len());
    for p in parts {
        nodes.extend(p?);
    }
    Ok(nodes)
}

/// Encode a snapshot and its aggregates.
pub fn encode(snap: &FleetSnapshot, aggregates: &Aggregates) -> Vec<u8> {
    // the head without the bulk (cloning the small parts only)
    let head = FleetSnapshot {
        nodes: Vec::new(),
        certificates: Vec::new(),
        from_cache: false,
        organization: snap.organization.clone(),
        caller: snap.caller.clone(),
        profile: snap.profile.clone(),
        regions: snap.regions.clone(),
        accounts: snap.accounts.clone(),
        commands: snap.commands.clone(),
        errors: snap.errors.clone(),
        sources: snap.sources.clone(),
        collected_at: snap.collected_at,
        progress: snap.progress,
        complete: snap.complete,
        in_progress: snap.in_progress,
        missing: snap.missing.clone(),
        schedules: snap.schedules.clone(),
    };
    #[derive(Serialize)]
    struct HeadRef<'a> {
        snapshot: &'a FleetSnapshot,
        aggregates: &'a Aggregates,
    }
    let head = serde_json::to_vec(&HeadRef {
        snapshot: &head,
        aggregates,
    })
    .expect("the snapshot serializes");
    let mut w = Writer {
        buf: Vec::with_capacity(head.len() + snap.nodes.len() * 256 + 64),
        text: Vec::new(),
    };
    w.buf.extend_from_slice(MAGIC);
    w.u32(VERSION);
    w.bytes(&head);
    put_nodes(&mut w, &snap.nodes);
    let mut c = Writer::default();
    for cert in &snap.certificates {
        codec::put_cert(&mut c, cert);
    }
    w.block(snap.certificates.len(), &c);
    w.buf.extend_from_slice(END);
    w.buf
}

/// Whether `new` may replace `old` (the snapshot on disk, if any): a complete snapshot
/// always; a partial one only when it loses nothing the cached one shows — every account,
/// every OU and every account × region × service read before is still there (a partial
/// refresh carries the last good data of what it could not read, so it usually does).
/// A snapshot still in progress never.
pub fn may_replace(new: &FleetSnapshot, old: Option<&FleetSnapshot>) -> bool {
    use std::collections::HashSet;
    if new.in_progress {
        return false;
    }
    let Some(old) = old else { return true };
    if new.complete {
        return true;
    }
    let accounts: HashSet<&str> = new.accounts.iter().map(|a| a.id.as_str()).collect();
    let units: HashSet<&str> = new
        .organization
        .units
        .iter()
        .map(|u| u.id.as_str())
        .collect();
    let read: HashSet<(&str, &str, &str)> = new
        .sources
        .iter()
        .filter(|s| s.fetched_at.is_some())
        .map(|s| (s.account_id.as_str(), s.region.as_str(), s.service.as_str()))
        .collect();
    old.accounts
        .iter()
        .all(|a| accounts.contains(a.id.as_str()))
        && old
            .organization
            .units
            .iter()
            .all(|u| units.contains(u.id.as_str()))
        && old
            .sources
            .iter()
            .filter(|s| s.fetched_at.is_some())
            .all(|s| read.contains(&(s.account_id.as_str(), s.region.as_str(), s.service.as_str())))
}

/// Write the snapshot atomically (callers check [`may_replace`] first).
pub fn save(path: &Path, snap: &FleetSnapshot, aggregates: &Aggregates) -> std::io::Result<()> {
    write_atomic(path, &encode(snap, aggregates))
}

/// Write `bytes` to `path` atomically (a temporary file in the same directory, then
/// rename), readable by the owner only.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AggregateConfig, Certificate, CollectError, Compliance, Node, PingStatus};

    fn agg(s: &FleetSnapshot) -> Aggregates {
        Aggregates::compute(s, &AggregateConfig::default(), s.collected_at)
    }

    fn sample() -> FleetSnapshot {
        FleetSnapshot {
            regions: vec!["eu-west-1".into()],
            nodes: vec![Node {
                instance_id: "i-0123456789abcdef0".into(),
                account_id: "111111111111".into(),
                region: "eu-west-1".into(),
                name: "web\u{1b}[31m".into(),
                ping_status: PingStatus::ConnectionLost,
                compliance: Compliance::NonCompliant,
                missing: 3,
                patch_group: Some("Production".into()),
                last_operation_end: chrono::DateTime::from_timestamp(1_790_000_000, 123_456_789),
                ..Node::default()
            }],
            certificates: vec![Certificate {
                arn: "arn:aws:acm:eu-west-1:111111111111:certificate/x".into(),
                not_after: chrono::DateTime::from_timestamp(1_800_000_000, 0),
                in_use_by: vec!["arn:aws:elasticloadbalancing:x".into()],
                days_left: Some(-2),
                renewal_status: Some("FAILED".into()),
                ..Certificate::default()
            }],
            errors: vec![CollectError {
                code: "AccessDenied".into(),
                ..CollectError::default()
            }],
            complete: true,
            ..FleetSnapshot::default()
        }
    }

    #[test]
    fn round_trip_marks_from_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("snapshot-x.bin");
        let snap = sample();
        save(&path, &snap, &agg(&snap)).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back.aggregates, agg(&snap));
        let back = back.snapshot;
        assert!(back.from_cache);
        assert_eq!(back.nodes, snap.nodes);
        assert_eq!(back.certificates, snap.certificates);
        assert_eq!(back.errors, snap.errors);
        assert_eq!(
            FleetSnapshot {
                from_cache: false,
                ..back
            },
            snap
        );
        // no temporary file left behind
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_large_fleet_round_trips_through_chunks() {
        let snap = crate::ui::fixture::large(10_000);
        assert!(snap.nodes.len() > 2 * NODE_CHUNK);
        let a = agg(&snap);
        let back = decode(&encode(&snap, &a)).unwrap();
        assert_eq!(back.snapshot.nodes, snap.nodes);
        assert_eq!(back.snapshot.certificates, snap.certificates);
        assert_eq!(back.snapshot.accounts, snap.accounts);
        assert_eq!(back.aggregates, a);
        // repeating fields share one allocation per distinct value within a block
        let nodes = &back.snapshot.nodes[..NODE_CHUNK];
        let distinct = |f: fn(&crate::model::Node) -> *const u8| {
            nodes
                .iter()
                .map(f)
                .collect::<std::collections::HashSet<_>>()
                .len()
        };
        assert!(distinct(|n| n.platform_name.as_ptr()) < 50);
        assert!(distinct(|n| n.agent_version.as_ptr()) < 50);
    }

    #[test]
    fn a_partial_snapshot_never_replaces_a_fuller_cache() {
        use crate::model::{Account, SourceStatus};
        let at = chrono::DateTime::from_timestamp(1_790_000_000, 0);
        let src = |a: &str, r: &str| SourceStatus {
            account_id: a.into(),
            region: r.into(),
            service: "ssm".into(),
            fetched_at: at,
            ok: true,
        };
        let acct = |id: &str| Account {
            id: id.into(),
            ..Account::default()
        };
        let cached = FleetSnapshot {
            accounts: vec![acct("a"), acct("b")],
            sources: vec![src("a", "r1"), src("b", "r1")],
            complete: true,
            ..FleetSnapshot::default()
        };
        // nothing on disk yet: anything finished is better than nothing
        let mut shrunk = FleetSnapshot {
            accounts: vec![acct("a")],
            sources: vec![src("a", "r1")],
            complete: false,
            ..FleetSnapshot::default()
        };
        assert!(may_replace(&shrunk, None));
        // a partial snapshot that lost account b: the cache stays
        assert!(!may_replace(&shrunk, Some(&cached)));
        // one that kept b's last good data (not read this time, same age): may replace
        let mut kept = src("b", "r1");
        kept.ok = false;
        let carried = FleetSnapshot {
            accounts: vec![acct("a"), acct("b")],
            sources: vec![src("a", "r1"), kept],
            ..FleetSnapshot::default()
        };
        assert!(may_replace(&carried, Some(&cached)));
        // a source that was read before and has no data now: the cache stays
        let mut lost = carried.clone();
        lost.sources[1].fetched_at = None;
        assert!(!may_replace(&lost, Some(&cached)));
        // in progress: never; complete: always (accounts may really have left)
        let mut running = carried.clone();
        running.in_progress = true;
        assert!(!may_replace(&running, Some(&cached)));
        shrunk.complete = true;
        assert!(may_replace(&shrunk, Some(&cached)));
    }

    #[test]
    fn missing_or_corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.bin");
        assert!(load(&path).is_none());
        std::fs::write(&path, b"{ not json").unwrap();
        assert!(load(&path).is_none());
        // every truncation of a good file is rejected, never a panic or a partial fleet
        let s = sample();
        let bytes = encode(&s, &agg(&s));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        // a corrupt count does not allocate what it claims
        let mut bad = bytes.clone();
        let head_len = u32::from_le_bytes(bad[12..16].try_into().unwrap()) as usize;
        let at = 16 + head_len;
        bad[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&bad).unwrap_err(), Bad("count larger than the data"));
        // another version's file is ignored
        let mut old = bytes;
        old[8] = 1;
        assert!(decode(&old).is_err());
    }

    #[test]
    fn write_failure_leaves_the_old_cache_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.bin");
        let s = sample();
        save(&path, &s, &agg(&s)).unwrap();
        // the target is now a directory: rename fails, the temporary file is removed
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("x")).unwrap();
        assert!(save(&blocked, &s, &agg(&s)).is_err());
        assert!(load(&path).is_some());
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }
}
