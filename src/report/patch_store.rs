//! The per-node patch lists of the patches report, sanitized and in report order per node.
//!
//! A large fleet has far more patch rows than memory should hold (40,000 nodes × ~300
//! patches), and they arrive in the order the fetches finish, not in report order. So
//! `ssmdeck report patches` writes each node's list, as it arrives, to a *spill file* (a
//! compact binary encoding, one extent per node) and keeps only a small index in memory;
//! the report is then written in a second pass, reading one node's list at a time in
//! report order ([`super::source`]). The spill file is unlinked right after it is
//! created, so the system reclaims it even when the process is killed.
//!
//! Small lists (tests, the built-in fixture) can stay in memory ([`PatchStore::from_lists`]).

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::NodePatches;
use super::rows::sort_patches;
use crate::model::{NodeKey, Patch, PatchState};

/// Where one node's list is in the spill file.
#[derive(Clone, Copy, Debug)]
struct Extent {
    offset: u64,
    len: u64,
    patches: usize,
}

#[derive(Debug)]
enum Lists {
    Memory(HashMap<NodeKey, Vec<Patch>>),
    Spill {
        file: Mutex<File>,
        index: HashMap<NodeKey, Extent>,
        /// Still to remove on drop where the platform would not unlink an open file.
        path: Option<PathBuf>,
    },
}

#[derive(Debug)]
struct Inner {
    lists: Lists,
    /// Nodes whose patch list could not be read, with the (sanitized) reason.
    failed: BTreeMap<NodeKey, String>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Lists::Spill {
            path: Some(path), ..
        } = &self.lists
        {
            let _ = fs::remove_file(path);
        }
    }
}

/// Per-node patch lists (cheap to clone: shared). Keys and text are sanitized, each list
/// is in report order.
#[derive(Clone, Debug)]
pub struct PatchStore {
    inner: Arc<Inner>,
}

impl Default for PatchStore {
    fn default() -> Self {
        PatchStore {
            inner: Arc::new(Inner {
                lists: Lists::Memory(HashMap::new()),
                failed: BTreeMap::new(),
            }),
        }
    }
}

/// Sanitize a node key as the report's snapshot is sanitized, so lookups agree.
fn clean_key(k: &NodeKey) -> NodeKey {
    NodeKey {
        account_id: crate::text::sanitize(&k.account_id),
        region: crate::text::sanitize(&k.region),
        instance_id: crate::text::sanitize(&k.instance_id),
    }
}

/// Sanitize one list's remote text, cut times to whole seconds, put it in report order.
fn prepare(mut list: Vec<Patch>) -> Vec<Patch> {
    for p in &mut list {
        super::clean(&mut p.title);
        super::clean(&mut p.kb_id);
        super::clean(&mut p.classification);
        super::clean(&mut p.severity);
        super::clean_all(&mut p.cve_ids);
        super::trunc(&mut p.installed_time);
    }
    sort_patches(&mut list);
    list
}

impl PatchStore {
    /// Lists held in memory (tests, the fixture, small fleets).
    pub fn from_lists(patches: &NodePatches) -> PatchStore {
        let mut lists = HashMap::new();
        let mut failed = BTreeMap::new();
        for (k, r) in patches {
            match r {
                Ok(list) => {
                    lists.insert(clean_key(k), prepare(list.clone()));
                }
                Err(e) => {
                    failed.insert(clean_key(k), crate::text::sanitize(e));
                }
            }
        }
        PatchStore {
            inner: Arc::new(Inner {
                lists: Lists::Memory(lists),
                failed,
            }),
        }
    }

    /// One node's list in report order; `None` when the store has no list for it.
    pub fn get(&self, key: &NodeKey) -> io::Result<Option<Vec<Patch>>> {
        match &self.inner.lists {
            Lists::Memory(m) => Ok(m.get(key).cloned()),
            Lists::Spill { file, index, .. } => {
                let Some(x) = index.get(key) else {
                    return Ok(None);
                };
                let mut buf = vec![0; x.len as usize];
                {
                    let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
                    f.seek(SeekFrom::Start(x.offset))?;
                    f.read_exact(&mut buf)?;
                }
                decode(&buf).map(Some)
            }
        }
    }

    /// How many patches the store holds for one node.
    pub fn count(&self, key: &NodeKey) -> Option<usize> {
        match &self.inner.lists {
            Lists::Memory(m) => m.get(key).map(Vec::len),
            Lists::Spill { index, .. } => index.get(key).map(|x| x.patches),
        }
    }

    /// Nodes with a list.
    pub fn nodes(&self) -> usize {
        match &self.inner.lists {
            Lists::Memory(m) => m.len(),
            Lists::Spill { index, .. } => index.len(),
        }
    }

    /// Nodes whose list could not be read, by key, with the reason.
    pub fn failed(&self) -> &BTreeMap<NodeKey, String> {
        &self.inner.failed
    }

    /// Nothing was collected: no list, no failure.
    pub fn is_empty(&self) -> bool {
        self.nodes() == 0 && self.inner.failed.is_empty()
    }
}

/// Writes lists to a spill file as they arrive; [`Spiller::finish`] turns it into a store.
pub struct Spiller {
    out: BufWriter<File>,
    offset: u64,
    index: HashMap<NodeKey, Extent>,
    failed: BTreeMap<NodeKey, String>,
    path: Option<PathBuf>,
    buf: Vec<u8>,
}

impl Spiller {
    /// A spill file in `dir` (the report's own directory: the user picked it to hold a
    /// file of this size order; a small tmpfs `/tmp` would turn the spill into memory).
    /// It is unlinked at once where the platform allows, so nothing is left behind even
    /// after `kill -9`; elsewhere it is removed when the store is dropped.
    pub fn create_in(dir: &Path) -> io::Result<Spiller> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut attempt = 0u32;
        let (path, file) = loop {
            let path = dir.join(format!(
                ".ssmdeck-spill-{}-{nanos:x}{attempt}.tmp",
                std::process::id()
            ));
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => break (path, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot create a temporary file in {}: {e}", dir.display()),
                    ));
                }
            }
        };
        let path = match fs::remove_file(&path) {
            Ok(()) => None,
            Err(_) => Some(path),
        };
        Ok(Spiller {
            out: BufWriter::with_capacity(256 * 1024, file),
            offset: 0,
            index: HashMap::new(),
            failed: BTreeMap::new(),
            path,
            buf: Vec::new(),
        })
    }

    /// Add one node's fetch result (any order; a key seen twice keeps the last result).
    pub fn add(&mut self, key: &NodeKey, result: Result<Vec<Patch>, String>) -> io::Result<()> {
        let key = clean_key(key);
        match result {
            Ok(list) => {
                let list = prepare(list);
                self.buf.clear();
                encode(&list, &mut self.buf);
                self.out.write_all(&self.buf)?;
                let len = self.buf.len() as u64;
                self.index.insert(
                    key,
                    Extent {
                        offset: self.offset,
                        len,
                        patches: list.len(),
                    },
                );
                self.offset += len;
            }
            Err(e) => {
                self.failed.insert(key, crate::text::sanitize(&e));
            }
        }
        Ok(())
    }

    /// Bytes spilled so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.offset
    }

    pub fn finish(self) -> io::Result<PatchStore> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(PatchStore {
            inner: Arc::new(Inner {
                lists: Lists::Spill {
                    file: Mutex::new(file),
                    index: self.index,
                    path: self.path,
                },
                failed: self.failed,
            }),
        })
    }
}

// ---------------------------------------------------------------------------------------
// the spill encoding: per list a u32 count, per patch its state, installed time and
// strings (u32 length + UTF-8 bytes). Private to this process, so no versioning.

const STATES: [PatchState; 9] = [
    PatchState::Missing,
    PatchState::Failed,
    PatchState::InstalledPendingReboot,
    PatchState::InstalledRejected,
    PatchState::AvailableSecurityUpdate,
    PatchState::Installed,
    PatchState::InstalledOther,
    PatchState::NotApplicable,
    PatchState::Unknown,
];

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn encode(list: &[Patch], buf: &mut Vec<u8>) {
    buf.extend_from_slice(&(list.len() as u32).to_le_bytes());
    for p in list {
        let state = STATES.iter().position(|s| *s == p.state).unwrap_or(8) as u8;
        buf.push(state);
        match p.installed_time {
            Some(t) => {
                buf.push(1);
                buf.extend_from_slice(&t.timestamp().to_le_bytes());
                buf.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
            }
            None => buf.push(0),
        }
        for s in [&p.title, &p.kb_id, &p.classification, &p.severity] {
            put_str(buf, s);
        }
        buf.extend_from_slice(&(p.cve_ids.len() as u32).to_le_bytes());
        for c in &p.cve_ids {
            put_str(buf, c);
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

fn corrupt() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "spilled patch list is corrupt")
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.buf.len() < n {
            return Err(corrupt());
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| corrupt())?,
        ))
    }
    fn i64(&mut self) -> io::Result<i64> {
        Ok(i64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| corrupt())?,
        ))
    }
    fn string(&mut self) -> io::Result<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| corrupt())
    }
}

fn decode(buf: &[u8]) -> io::Result<Vec<Patch>> {
    let mut r = Reader { buf };
    let n = r.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(buf.len()));
    for _ in 0..n {
        let state = *STATES.get(r.u8()? as usize).ok_or_else(corrupt)?;
        let installed_time = match r.u8()? {
            0 => None,
            _ => {
                let secs = r.i64()?;
                let nanos = r.u32()?;
                Some(DateTime::<Utc>::from_timestamp(secs, nanos).ok_or_else(corrupt)?)
            }
        };
        let title = r.string()?;
        let kb_id = r.string()?;
        let classification = r.string()?;
        let severity = r.string()?;
        let cves = r.u32()? as usize;
        let mut cve_ids = Vec::with_capacity(cves.min(r.buf.len()));
        for _ in 0..cves {
            cve_ids.push(r.string()?);
        }
        out.push(Patch {
            title,
            kb_id,
            classification,
            severity,
            state,
            installed_time,
            cve_ids,
        });
    }
    if !r.buf.is_empty() {
        return Err(corrupt());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: &str) -> NodeKey {
        NodeKey {
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            instance_id: i.into(),
        }
    }

    fn patch(title: &str, kb: &str, state: PatchState, cves: &[&str]) -> Patch {
        Patch {
            title: title.into(),
            kb_id: kb.into(),
            classification: "SecurityUpdates".into(),
            severity: "Critical".into(),
            state,
            installed_time: DateTime::from_timestamp(1_700_000_000, 0),
            cve_ids: cves.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn every_state_and_field_survives_the_spill() {
        let list: Vec<Patch> = STATES
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut p = patch(&format!("t{i} ünïcode"), &format!("KB{i}"), *s, &["CVE-1"]);
                if i % 2 == 0 {
                    p.installed_time = None;
                    p.cve_ids.clear();
                }
                p
            })
            .collect();
        let mut buf = Vec::new();
        encode(&list, &mut buf);
        assert_eq!(decode(&buf).unwrap(), list);
        assert!(
            decode(&buf[..buf.len() - 1]).is_err(),
            "truncated = corrupt"
        );
    }

    #[test]
    fn a_spilled_store_reads_back_what_memory_holds_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut lists = NodePatches::new();
        lists.insert(
            key("i-1"),
            Ok(vec![
                patch("b", "KB2", PatchState::Installed, &[]),
                patch("a\u{1b}[31m", "KB1", PatchState::Missing, &["CVE-2026-1"]),
            ]),
        );
        lists.insert(key("i-2"), Ok(vec![]));
        lists.insert(key("i-3"), Err("AccessDenied\u{7}".into()));
        let memory = PatchStore::from_lists(&lists);
        let mut sp = Spiller::create_in(dir.path()).unwrap();
        for (k, r) in lists.iter().rev() {
            sp.add(k, r.clone()).unwrap();
        }
        let spilled = sp.finish().unwrap();
        for i in ["i-1", "i-2", "i-3", "i-4"] {
            assert_eq!(spilled.get(&key(i)).unwrap(), memory.get(&key(i)).unwrap());
            assert_eq!(spilled.count(&key(i)), memory.count(&key(i)));
        }
        let first = spilled.get(&key("i-1")).unwrap().unwrap();
        assert_eq!(first[0].state, PatchState::Missing, "report order");
        assert_eq!(
            first[0].title,
            crate::text::sanitize("a\u{1b}[31m"),
            "sanitized"
        );
        assert_eq!(spilled.failed(), memory.failed());
        assert_eq!(spilled.failed()[&key("i-3")], "AccessDenied");
        assert_eq!(spilled.nodes(), 2);
        #[cfg(unix)]
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the spill file is unlinked while in use"
        );
        drop(spilled);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
