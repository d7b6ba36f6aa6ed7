//! The data the console shows: the latest snapshot with its aggregates, and things loaded
//! on demand. Plain data (a leaf module: views and state both read it).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::patch_index::{IndexProgress, PatchIndex};
use crate::model::{Aggregates, FleetSnapshot};

/// The latest data from the fleet layer.
#[derive(Clone, Debug)]
pub struct Data {
    pub snapshot: Arc<FleetSnapshot>,
    pub aggregates: Arc<Aggregates>,
    /// Bumped on every snapshot; views rebuild lazily when theirs is older.
    pub generation: u64,
    /// When the last *complete* snapshot arrived (for "updated 12s ago").
    pub complete_at: Option<DateTime<Utc>>,
    /// A node whose last scan is older than this many days is stale (config).
    pub stale_days: i64,
    /// How the last *finished* refresh ended, kept while the next one streams in so the
    /// header's "partial"/"unreachable" badge does not vanish during a refresh.
    pub last_outcome: Outcome,
    /// The fleet-wide patch index and the progress of its pass in flight.
    pub patch_index: PatchIndexFeed,
}

/// The patch index as the indexer publishes it: its last complete index (an `Arc`, cheap
/// to share; a new one bumps [`Data::generation`]) and the progress of the pass in flight
/// (nodes indexed / total, calls made, nodes whose list could not be read).
#[derive(Clone, Debug, Default)]
pub struct PatchIndexFeed {
    pub index: Arc<PatchIndex>,
    pub progress: IndexProgress,
    /// Anything was ever published (no indexer, e.g. before connecting: the views say
    /// "no patch index yet", not "no patches").
    pub published: bool,
}

impl PatchIndexFeed {
    pub fn new(index: Arc<PatchIndex>, progress: IndexProgress) -> Self {
        PatchIndexFeed {
            index,
            progress,
            published: true,
        }
    }

    /// Nodes of the index whose patch list is unknown (never scanned, unreadable, or not
    /// read yet), plus nodes of the snapshot it has not seen yet.
    pub fn unknown(&self, snapshot_nodes: usize) -> usize {
        let p = &self.progress;
        let known = if p.total > 0 {
            p.indexed
        } else {
            self.index.progress().indexed
        };
        snapshot_nodes.saturating_sub(known)
    }

    /// One line on the index's state: "patch index 480/500 nodes · 12 unknown (3 unreadable)
    /// · 37 calls", with "indexing" while a pass runs.
    pub fn status(&self) -> String {
        if !self.published {
            return "patch index: not started (it fills after the first refresh)".into();
        }
        let p = &self.progress;
        let mut s = if p.running {
            format!(
                "indexing patches {}/{} nodes ({} left)",
                p.indexed, p.total, p.pending
            )
        } else {
            format!("patch index {}/{} nodes", p.indexed, p.total)
        };
        if p.unknown > 0 {
            s.push_str(&format!(" · {} unknown", p.unknown));
            if p.unreadable > 0 {
                s.push_str(&format!(" ({} unreadable)", p.unreadable));
            }
        }
        if p.calls > 0 {
            s.push_str(&format!(" · {} calls", p.calls));
        }
        s
    }
}

/// How a finished refresh ended, as the header says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing finished yet, or the last refresh read everything.
    #[default]
    Complete,
    /// Some parts could not be read (how many gaps are listed in `:errors`).
    Partial { missing: usize },
    /// AWS could not be reached at all: everything shown is older data.
    Unreachable,
}

impl Outcome {
    /// The outcome of `snap` if it is finished; `previous` while it is still streaming.
    pub fn of(snap: &FleetSnapshot, previous: Outcome) -> Outcome {
        if snap.in_progress {
            previous
        } else if snap.unreachable() {
            Outcome::Unreachable
        } else if snap.is_partial() {
            Outcome::Partial {
                missing: snap.missing.len(),
            }
        } else {
            Outcome::Complete
        }
    }
}

/// Something loaded on demand (node patches, inventory, invocations).
#[derive(Clone, Debug, PartialEq)]
pub enum Load<T> {
    Loading,
    Loaded(T),
    Failed(String),
}

impl<T> Load<T> {
    pub fn get(&self) -> Option<&T> {
        match self {
            Load::Loaded(t) => Some(t),
            _ => None,
        }
    }
}
