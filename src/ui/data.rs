//! The data the console shows: the latest snapshot with its aggregates, and things loaded
//! on demand. Plain data (a leaf module: views and state both read it).

use std::sync::Arc;

use chrono::{DateTime, Utc};

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
