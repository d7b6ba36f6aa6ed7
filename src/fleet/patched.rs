//! Patch states read by a targeted node refresh (after a patch run, [`super::Fleet::refresh_nodes`])
//! that a full refresh may not have seen: it can have read those nodes' units before the run
//! ended, and would then publish their older states over the newer ones when it finishes.
//!
//! Every snapshot built later carries a kept state in place of one from an earlier patch
//! operation (`last_operation_end`, AWS's own clock: no race between our reads decides it);
//! a finished refresh that read the same operation or a later one retires it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::model::{FleetSnapshot, Node};

use super::builder::copy_patch_state;

/// Shared by the fleet's refreshes and node refreshes.
#[derive(Clone, Debug, Default)]
pub struct PatchedNodes {
    /// By instance id (then account and region): the node as the targeted read left it.
    nodes: Arc<Mutex<HashMap<String, Vec<Node>>>>,
}

/// `candidate` comes from a later patch operation than `current`.
fn later(candidate: &Node, current: &Node) -> bool {
    candidate.last_operation_end > current.last_operation_end
}

fn same_node(a: &Node, b: &Node) -> bool {
    a.instance_id == b.instance_id && a.account_id == b.account_id && a.region == b.region
}

impl PatchedNodes {
    /// Keep these nodes' states (just read) until a refresh reads them again.
    pub fn keep<'a>(&self, nodes: impl IntoIterator<Item = &'a Node>) {
        let mut g = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        for n in nodes {
            let v = g.entry(n.instance_id.clone()).or_default();
            match v.iter_mut().find(|k| same_node(k, n)) {
                Some(k) if !later(k, n) => *k = n.clone(),
                Some(_) => {}
                None => v.push(n.clone()),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.nodes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Put the kept states into `snap` where they come from a later operation than its own.
    /// `finished`: `snap` is a finished refresh's: kept states it caught up with (same or
    /// later operation), or whose node it no longer has, are retired.
    pub fn apply(&self, snap: &mut FleetSnapshot, finished: bool) {
        let mut g = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        if g.is_empty() {
            return;
        }
        // what a finished refresh still needs from us: states newer than it read
        let mut still: HashMap<String, Vec<Node>> = HashMap::new();
        for n in snap.nodes.iter_mut() {
            let Some(kept) = g.get(n.instance_id.as_str()) else {
                continue;
            };
            let Some(k) = kept.iter().find(|k| same_node(k, n)) else {
                continue;
            };
            if later(k, n) {
                copy_patch_state(n, k);
                if finished {
                    still
                        .entry(n.instance_id.clone())
                        .or_default()
                        .push(k.clone());
                }
            }
        }
        if finished {
            *g = still;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn node(id: &str, account: &str, end_hour: Option<u32>, missing: u32) -> Node {
        Node {
            instance_id: id.into(),
            account_id: account.into(),
            region: "us-east-1".into(),
            last_operation_end: end_hour
                .map(|h| Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap()),
            missing,
            ..Node::default()
        }
    }

    fn snap(nodes: Vec<Node>) -> FleetSnapshot {
        FleetSnapshot {
            nodes,
            ..FleetSnapshot::default()
        }
    }

    #[test]
    fn a_refresh_that_read_a_node_before_its_patch_run_ended_shows_the_newer_state() {
        let p = PatchedNodes::default();
        // the targeted read after the run: operation at 10:00, nothing missing
        p.keep(&[node("i-1", "111", Some(10), 0)]);
        // the full refresh had read it at 09:00's operation, 5 missing
        let mut s = snap(vec![
            node("i-1", "111", Some(9), 5),
            node("i-2", "111", None, 3),
        ]);
        p.apply(&mut s, false);
        assert_eq!(s.nodes[0].missing, 0, "the newer state");
        assert_eq!(s.nodes[1].missing, 3, "another node untouched");
        // the same node in another account is another node
        let mut other = snap(vec![node("i-1", "222", Some(9), 5)]);
        p.apply(&mut other, false);
        assert_eq!(other.nodes[0].missing, 5);
        // a finished refresh that still read the older operation keeps needing it
        let mut fin = snap(vec![node("i-1", "111", Some(9), 5)]);
        p.apply(&mut fin, true);
        assert_eq!(fin.nodes[0].missing, 0);
        assert!(!p.is_empty());
    }

    #[test]
    fn a_refresh_that_read_the_same_or_a_later_operation_wins_and_retires_the_kept_state() {
        let p = PatchedNodes::default();
        p.keep(&[
            node("i-1", "111", Some(10), 0),
            node("i-2", "111", Some(10), 0),
        ]);
        // a later scan found a new patch missing on i-1; i-2 read at the same operation
        let mut s = snap(vec![
            node("i-1", "111", Some(11), 1),
            node("i-2", "111", Some(10), 0),
        ]);
        // a partial snapshot retires nothing
        p.apply(&mut s.clone(), false);
        assert!(!p.is_empty());
        p.apply(&mut s, true);
        assert_eq!(s.nodes[0].missing, 1, "the refresh's later operation wins");
        assert!(p.is_empty(), "both caught up");
    }

    #[test]
    fn a_kept_state_of_a_node_that_is_gone_is_retired_by_a_finished_refresh() {
        let p = PatchedNodes::default();
        p.keep(&[node("i-1", "111", Some(10), 0)]);
        p.apply(&mut snap(vec![]), false);
        assert!(!p.is_empty(), "a partial picture may not have it yet");
        p.apply(&mut snap(vec![node("i-9", "111", None, 0)]), true);
        assert!(p.is_empty());
    }

    #[test]
    fn keeping_an_older_read_does_not_replace_a_newer_kept_one() {
        let p = PatchedNodes::default();
        p.keep(&[node("i-1", "111", Some(10), 0)]);
        p.keep(&[node("i-1", "111", Some(8), 7)]);
        let mut s = snap(vec![node("i-1", "111", Some(9), 5)]);
        p.apply(&mut s, false);
        assert_eq!(s.nodes[0].missing, 0);
    }
}
