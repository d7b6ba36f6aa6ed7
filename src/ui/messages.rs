//! The session's message log: every toast and status message shown in the footer, kept
//! whole (the footer cuts a long one), read in `:messages`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How many messages the log keeps (the oldest go first).
pub const KEEP: usize = 1000;

/// One message as it was shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Message {
    pub at: DateTime<Utc>,
    pub error: bool,
    pub text: String,
}

impl Message {
    pub fn level(&self) -> &'static str {
        if self.error { "error" } else { "info" }
    }
}

/// Every message of the session, oldest first; `seq` counts every message ever logged
/// (a view rebuilds when it moved).
#[derive(Clone, Debug, Default)]
pub struct MessageLog {
    pub items: Arc<Vec<Message>>,
    pub seq: u64,
}

impl MessageLog {
    pub fn push(&mut self, m: Message) {
        let items = Arc::make_mut(&mut self.items);
        items.push(m);
        if items.len() > KEEP {
            let extra = items.len() - KEEP;
            items.drain(..extra);
        }
        self.seq += 1;
    }

    /// Drop the last message if `is` says so (a filter's problem superseded as it is typed).
    pub fn retract_last(&mut self, is: impl Fn(&Message) -> bool) {
        if self.items.last().is_some_and(is) {
            Arc::make_mut(&mut self.items).pop();
            self.seq += 1;
        }
    }
}
