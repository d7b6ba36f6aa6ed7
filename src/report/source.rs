//! The rows of a report, produced one at a time in report order, never all held at once.
//!
//! A report keeps its (sanitized) snapshot and, for the patches report, a [`PatchStore`];
//! each format walks [`Rows::iter`] and writes a row before building the next. What an
//! ordering needs is small: the sorted references to the nodes, certificates or commands
//! of the snapshot; the patch rows of one node at a time.

use std::collections::HashMap;
use std::io;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::{Error as _, SerializeSeq, Serializer};

use super::ReportKind;
use super::patch_store::PatchStore;
use super::rows::{
    Accounts, CertRow, CommandRow, ComplianceRow, NodeRow, PatchRow, Tabular, band_ascii, cert_row,
    command_row, compliance_row, node_patch_rows, node_row, sorted_certs, sorted_commands,
    sorted_nodes,
};
use super::since::Changes;
use crate::model::{Certificate, CommandSummary, FleetSnapshot, Node, NodeKey};

/// One row of any report kind (serializes as the row itself).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Row {
    Compliance(ComplianceRow),
    Nodes(NodeRow),
    Patches(PatchRow),
    Certs(CertRow),
    Commands(CommandRow),
    Windows(super::schedules::WindowRow),
    Coverage(super::schedules::CoverageRow),
}

impl Row {
    /// Cell texts under [`Rows::headers`] (before format escaping).
    pub fn cells(&self) -> Vec<String> {
        match self {
            Row::Compliance(r) => r.cells(),
            Row::Nodes(r) => r.cells(),
            Row::Patches(r) => r.cells(),
            Row::Certs(r) => r.cells(),
            Row::Commands(r) => r.cells(),
            Row::Windows(r) => r.cells(),
            Row::Coverage(r) => r.cells(),
        }
    }
}

/// The rows of one report: how to produce them, and how many there are.
#[derive(Clone, Debug)]
pub struct Rows {
    kind: ReportKind,
    snap: FleetSnapshot,
    patches: PatchStore,
    now: DateTime<Utc>,
    stale_after: chrono::Duration,
    len: usize,
    /// The windows and coverage reports' rows (small: built at once).
    built: Vec<Row>,
}

impl Rows {
    /// `snap` is the report's sanitized snapshot; `patches` matters for the patches report.
    pub fn new(
        kind: ReportKind,
        snap: FleetSnapshot,
        patches: PatchStore,
        now: DateTime<Utc>,
        stale_after: chrono::Duration,
    ) -> Rows {
        let built: Vec<Row> = match kind {
            ReportKind::Windows => super::schedules::window_rows(&snap, now)
                .into_iter()
                .map(Row::Windows)
                .collect(),
            ReportKind::Coverage => super::schedules::coverage_rows(&snap, now)
                .into_iter()
                .map(Row::Coverage)
                .collect(),
            _ => Vec::new(),
        };
        let len = match kind {
            ReportKind::Windows | ReportKind::Coverage => built.len(),
            ReportKind::Compliance | ReportKind::Nodes => snap.nodes.len(),
            ReportKind::Patches => snap
                .nodes
                .iter()
                .filter_map(|n| patches.count(&n.key()))
                .sum(),
            ReportKind::Certs => snap.certificates.len(),
            ReportKind::Commands => snap.commands.len(),
            // answered by `super::questions`, not as snapshot rows
            ReportKind::Cve | ReportKind::Software => 0,
        };
        Rows {
            kind,
            snap,
            patches,
            now,
            stale_after,
            len,
            built,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Column headers of the kind.
    pub fn headers(&self) -> &'static [&'static str] {
        match self.kind {
            ReportKind::Compliance => ComplianceRow::headers(),
            ReportKind::Nodes => NodeRow::headers(),
            ReportKind::Patches => PatchRow::headers(),
            ReportKind::Certs => CertRow::headers(),
            ReportKind::Commands => CommandRow::headers(),
            ReportKind::Windows => <super::schedules::WindowRow as super::rows::Tabular>::headers(),
            ReportKind::Coverage => {
                <super::schedules::CoverageRow as super::rows::Tabular>::headers()
            }
            ReportKind::Cve | ReportKind::Software => &[],
        }
    }

    /// Every row in report order. An item is an error only when a spilled patch list
    /// cannot be read back.
    pub fn iter(&self) -> RowIter<'_> {
        let order = match self.kind {
            ReportKind::Compliance | ReportKind::Nodes | ReportKind::Patches => {
                Order::Nodes(sorted_nodes(&self.snap))
            }
            ReportKind::Certs => Order::Certs(sorted_certs(&self.snap)),
            ReportKind::Commands => Order::Commands(sorted_commands(&self.snap)),
            ReportKind::Windows | ReportKind::Coverage => Order::Built,
            ReportKind::Cve | ReportKind::Software => Order::Commands(Vec::new()),
        };
        RowIter {
            rows: self,
            accts: Accounts::new(&self.snap),
            order,
            pos: 0,
            pending: Vec::new().into_iter(),
            next_index: 0,
        }
    }
}

enum Order<'a> {
    Nodes(Vec<&'a Node>),
    Certs(Vec<&'a Certificate>),
    Commands(Vec<&'a CommandSummary>),
    Built,
}

/// Iterator over a report's rows ([`Rows::iter`]).
pub struct RowIter<'a> {
    rows: &'a Rows,
    accts: Accounts<'a>,
    order: Order<'a>,
    pos: usize,
    /// The rest of the current node's patch rows.
    pending: std::vec::IntoIter<PatchRow>,
    /// The patch rows' running index.
    next_index: u64,
}

impl Iterator for RowIter<'_> {
    type Item = io::Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.rows;
        match &self.order {
            Order::Nodes(nodes) => loop {
                if let Some(p) = self.pending.next() {
                    return Some(Ok(Row::Patches(p)));
                }
                let n = *nodes.get(self.pos)?;
                self.pos += 1;
                match r.kind {
                    ReportKind::Compliance => {
                        let row =
                            compliance_row(self.pos as u64, n, &self.accts, r.now, r.stale_after);
                        return Some(Ok(Row::Compliance(row)));
                    }
                    ReportKind::Nodes => {
                        let row = node_row(n, &self.accts, r.now, r.stale_after);
                        return Some(Ok(Row::Nodes(row)));
                    }
                    _ => match r.patches.get(&n.key()) {
                        Ok(Some(list)) => {
                            self.pending =
                                node_patch_rows(n, &list, &mut self.next_index).into_iter();
                        }
                        Ok(None) => {}
                        Err(e) => {
                            // Stop after the error: the caller fails the write.
                            self.pos = nodes.len();
                            return Some(Err(io::Error::new(
                                e.kind(),
                                format!(
                                    "cannot read back the patch list of {}: {e}",
                                    n.instance_id
                                ),
                            )));
                        }
                    },
                }
            },
            Order::Certs(certs) => {
                let c = *certs.get(self.pos)?;
                self.pos += 1;
                Some(Ok(Row::Certs(cert_row(c, &self.accts, r.now))))
            }
            Order::Commands(cmds) => {
                let c = *cmds.get(self.pos)?;
                self.pos += 1;
                Some(Ok(Row::Commands(command_row(c, &self.accts))))
            }
            Order::Built => {
                let row = r.built.get(self.pos)?.clone();
                self.pos += 1;
                Some(Ok(row))
            }
        }
    }
}

/// Serializes as a JSON array written row by row.
impl Serialize for Rows {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        for row in self.iter() {
            seq.serialize_element(&row.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// The "Change since previous report" label of each row, looked up in O(1) per row.
pub struct ChangeLabels {
    nodes: HashMap<NodeKey, &'static str>,
    certs: HashMap<String, String>,
}

impl ChangeLabels {
    /// Labels for a report kind that has a change column (`None` for commands).
    pub fn new(kind: ReportKind, changes: &Changes) -> Option<ChangeLabels> {
        if matches!(
            kind,
            ReportKind::Commands | ReportKind::Windows | ReportKind::Coverage
        ) {
            return None;
        }
        let mut nodes = HashMap::new();
        // The first list wins, as in `Changes::node_label` (later inserts overwrite).
        for (label, list) in [
            ("newly fixed", &changes.newly_fixed),
            ("newly non-compliant", &changes.newly_non_compliant),
        ] {
            for c in list {
                nodes.insert(
                    NodeKey {
                        account_id: c.account_id.clone(),
                        region: c.region.clone(),
                        instance_id: c.instance_id.clone(),
                    },
                    label,
                );
            }
        }
        let mut certs = HashMap::new();
        // The first entry wins, as in `Changes::cert_label`.
        for c in changes.certs_entered_band.iter().rev() {
            certs.insert(c.arn.clone(), format!("entered {}", band_ascii(c.to)));
        }
        Some(ChangeLabels { nodes, certs })
    }

    /// The label of one row (empty when it did not change).
    pub fn of(&self, row: &Row) -> String {
        let node = |account_id: &str, region: &str, instance_id: &str| {
            self.nodes
                .get(&NodeKey {
                    account_id: account_id.to_string(),
                    region: region.to_string(),
                    instance_id: instance_id.to_string(),
                })
                .copied()
                .unwrap_or_default()
                .to_string()
        };
        match row {
            Row::Compliance(x) => node(&x.account_id, &x.region, &x.instance_id),
            Row::Nodes(x) => node(&x.account_id, &x.region, &x.instance_id),
            Row::Patches(x) => node(&x.account_id, &x.region, &x.instance_id),
            Row::Certs(x) => self.certs.get(&x.arn).cloned().unwrap_or_default(),
            Row::Commands(_) | Row::Windows(_) | Row::Coverage(_) => String::new(),
        }
    }
}
