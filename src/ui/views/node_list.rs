//! A list of nodes with one fact each (the state of a patch, the version of an
//! application): the rows behind the drill-downs of `:patches` and `:software`. Rows are
//! the snapshot's nodes where it has them (name, account, OU, region, platform, ping), and
//! the bare key where it does not; row ids are instance ids, so marks, `p` (patch now) and
//! `s` (session) work as on `:nodes`.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use ratatui::style::Style;

use crate::model::{FleetSnapshot, Node, NodeKey, PatchState};
use crate::text::sanitize;
use crate::ui::filter::{FieldSpec, contains, prefix_of_any};
use crate::ui::table::{Cell, Column, RowSource};
use crate::ui::theme::{Role, Theme};

/// Columns of a node list: the fact's column is `STATE` for a patch.
pub const PATCH_COLUMNS: &[Column] = &[
    Column::new("NAME", 18, 0),
    Column::new("INSTANCE", 20, 3),
    Column::new("ACCOUNT", 14, 0),
    Column::new("OU", 16, 1),
    Column::new("REGION", 14, 1),
    Column::new("STATE", 13, 0),
    Column::new("PLATFORM", 16, 4),
    Column::new("PING", 12, 4),
    Column::new("DETAIL", 20, 2).grow(),
];

/// The same for an application: the fact is its `VERSION`.
pub const SOFTWARE_COLUMNS: &[Column] = &[
    Column::new("NAME", 18, 0),
    Column::new("INSTANCE", 20, 3),
    Column::new("ACCOUNT", 14, 0),
    Column::new("OU", 16, 1),
    Column::new("REGION", 14, 1),
    Column::new("VERSION", 13, 0),
    Column::new("PLATFORM", 16, 4),
    Column::new("PING", 12, 4),
    Column::new("DETAIL", 20, 2).grow(),
];

pub const COL_FACT: usize = 5;

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::text(
        "state",
        "the fact column (missing, failed, pending, installed, unknown; a version)",
    )
    .alias(&["version"]),
    FieldSpec::text("account", "account name or id").alias(&["acct"]),
    FieldSpec::text("ou", "OU path"),
    FieldSpec::text("region", "region"),
    FieldSpec::text("name", "node name"),
    FieldSpec::text("os", "platform name or version").alias(&["platform"]),
];

/// One listed node and its fact.
#[derive(Clone, Debug)]
pub struct Listed {
    pub key: NodeKey,
    /// Index into the snapshot's nodes (None: not in the current snapshot).
    pub snap: Option<u32>,
    /// The fact as shown ("Missing", "unknown", "3.0.8").
    pub fact: String,
    pub role: Role,
    /// Sort rank of the fact (lower first when ascending).
    pub rank: u32,
    /// Why (an unknown node's reason, the matching patches, …), sanitized.
    pub detail: String,
}

#[derive(Clone, Default)]
pub struct NodeListSource {
    pub snap: Arc<FleetSnapshot>,
    pub rows: Vec<Listed>,
    pub columns: &'static [Column],
    names: HashMap<String, (String, String)>,
}

impl NodeListSource {
    /// Rows over `snap`; `columns`: [`PATCH_COLUMNS`] or [`SOFTWARE_COLUMNS`].
    pub fn new(snap: Arc<FleetSnapshot>, rows: Vec<Listed>, columns: &'static [Column]) -> Self {
        let names = snap
            .accounts
            .iter()
            .map(|a| {
                let n = if a.name.is_empty() { &a.id } else { &a.name };
                (a.id.clone(), (sanitize(n), sanitize(&a.ou_path)))
            })
            .collect();
        NodeListSource {
            snap,
            rows,
            columns,
            names,
        }
    }

    /// Snapshot positions of the nodes, by key (for building rows).
    pub fn positions(snap: &FleetSnapshot) -> HashMap<NodeKey, u32> {
        snap.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.key(), i as u32))
            .collect()
    }

    pub fn node(&self, row: usize) -> Option<&Node> {
        self.rows[row]
            .snap
            .and_then(|i| self.snap.nodes.get(i as usize))
    }

    fn account(&self, row: usize) -> String {
        let id = &self.rows[row].key.account_id;
        self.names
            .get(id)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| sanitize(id))
    }

    fn ou(&self, row: usize) -> &str {
        self.names
            .get(&self.rows[row].key.account_id)
            .map(|(_, o)| o.as_str())
            .unwrap_or("")
    }
}

impl RowSource for NodeListSource {
    fn columns(&self) -> &'static [Column] {
        if self.columns.is_empty() {
            PATCH_COLUMNS
        } else {
            self.columns
        }
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> String {
        self.rows[row].key.instance_id.clone()
    }
    fn text(&self, row: usize, col: usize) -> String {
        let r = &self.rows[row];
        let n = self.node(row);
        match col {
            0 => n.map(super::fmt::node_name).unwrap_or_else(|| "-".into()),
            1 => sanitize(&r.key.instance_id),
            2 => self.account(row),
            3 => self.ou(row).to_string(),
            4 => sanitize(&r.key.region),
            5 => r.fact.clone(),
            6 => n
                .map(|n| {
                    sanitize(&super::fmt::platform_label(
                        &n.platform_name,
                        &n.platform_version,
                    ))
                })
                .unwrap_or_default(),
            7 => n
                .map(|n| n.ping_status.as_str().to_string())
                .unwrap_or_else(|| "not in snapshot".into()),
            8 => r.detail.clone(),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        match col {
            2 => Cell::text(self.rows[row].key.account_id.clone()),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        match col {
            5 => self.rows[a].rank.cmp(&self.rows[b].rank).then_with(|| {
                crate::model::software::compare_versions(&self.rows[b].fact, &self.rows[a].fact)
            }),
            _ => super::nodes::cmp_ignore_case(&self.text(a, col), &self.text(b, col)),
        }
    }
    fn style(&self, row: usize, col: usize, theme: &Theme) -> Style {
        match col {
            5 => theme.style(self.rows[row].role),
            7 => self
                .node(row)
                .map(|n| theme.ping(n.ping_status))
                .unwrap_or_else(|| theme.style(Role::Warning)),
            1 | 3 | 4 | 8 => theme.style(Role::Muted),
            _ => theme.style(Role::Text),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }
    fn substring_field(&self, field: &str) -> bool {
        matches!(field, "account" | "ou" | "region" | "name" | "os")
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(r) = self.rows.get(row) else {
            return crate::ui::filter::find_field(FIELDS, field).map(|_| false);
        };
        let n = self.node(row);
        Some(match field {
            "state" => {
                let f = r.fact.to_lowercase();
                f.starts_with(v)
                    || (prefix_of_any(v, &["pending", "reboot"]) && f == "pendingreboot")
                    || (v == "open" && matches!(f.as_str(), "missing" | "failed" | "pendingreboot"))
            }
            "account" => {
                r.key.account_id.contains(v)
                    || self
                        .names
                        .get(&r.key.account_id)
                        .is_some_and(|(a, _)| contains(a, v))
            }
            "ou" => contains(self.ou(row), v),
            "region" => contains(&r.key.region, v),
            "name" => n.is_some_and(|n| contains(&n.name, v) || contains(&n.computer_name, v)),
            "os" => {
                n.is_some_and(|n| contains(&n.platform_name, v) || contains(&n.platform_version, v))
            }
            _ => return None,
        })
    }
}

/// The state a node has a patch in, as a word for tables.
pub fn state_word(s: PatchState) -> &'static str {
    match s {
        PatchState::Missing => "Missing",
        PatchState::Failed => "Failed",
        PatchState::InstalledPendingReboot => "PendingReboot",
        PatchState::InstalledRejected => "Rejected",
        PatchState::Installed => "Installed",
        PatchState::InstalledOther => "InstalledOther",
        PatchState::NotApplicable => "NotApplicable",
        PatchState::AvailableSecurityUpdate => "AvailableSecUpdate",
        _ => "Unknown",
    }
}
