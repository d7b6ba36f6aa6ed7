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
