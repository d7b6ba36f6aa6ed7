//! One module per view. Each list view provides a [`RowSource`] over the snapshot and keeps
//! a [`TableState`]; [`View`] dispatches to them. Panes registered by other engineers also
//! live in this directory (see `src/ui/pane.rs`).

pub mod certs;
pub mod command_output;
pub mod commands;
pub mod compliance;
pub mod describe;
pub mod errors;
pub mod export;
pub mod node;
pub mod nodes;
pub mod org;
pub mod patch_now;
pub mod session;
pub mod table_render;

use chrono::{DateTime, Utc};

use super::state::{Data, ViewKind};
use super::table::{RowSource, TableState};
use crate::model::FleetSnapshot;

/// Which nodes a nodes view shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeScope {
    All,
    Account(String),
    Ou(String),
    Region(String),
    PatchGroup(String),
    Platform(String),
}

impl NodeScope {
    /// Breadcrumb label.
    pub fn label(&self, snap: Option<&FleetSnapshot>) -> String {
        let s = |x: &str| crate::text::sanitize(x);
        match self {
            NodeScope::All => String::new(),
            NodeScope::Account(id) => snap
                .map(|sn| s(sn.account_name(id)))
                .unwrap_or_else(|| id.clone()),
            NodeScope::Ou(id) => snap
                .and_then(|sn| sn.organization.units.iter().find(|u| &u.id == id))
                .map(|u| s(&u.name))
                .unwrap_or_else(|| id.clone()),
            NodeScope::Region(r) => s(r),
            NodeScope::PatchGroup(p) if p.is_empty() => "(no patch group)".into(),
            NodeScope::PatchGroup(p) => format!("patch group {}", s(p)),
            NodeScope::Platform(p) => s(p),
        }
    }
}

/// A view on the stack.
pub enum View {
    Org(org::OrgView),
    Nodes(nodes::NodesView),
    Compliance(compliance::ComplianceView),
    Node(Box<node::NodeView>),
    Certs(certs::CertsView),
    Commands(commands::CommandsView),
    Errors(errors::ErrorsView),
}

impl View {
    /// A fresh view of `kind` (node detail needs a key: use `View::Node` directly).
    pub fn new(kind: ViewKind, scope: Option<NodeScope>) -> View {
        match kind {
            ViewKind::Org => View::Org(org::OrgView::default()),
            ViewKind::Nodes | ViewKind::Node => {
                View::Nodes(nodes::NodesView::new(scope.unwrap_or(NodeScope::All)))
            }
            ViewKind::Compliance => View::Compliance(compliance::ComplianceView::default()),
            ViewKind::Certs => View::Certs(certs::CertsView::new(scope.unwrap_or(NodeScope::All))),
            ViewKind::Commands => View::Commands(commands::CommandsView::default()),
            ViewKind::Errors => View::Errors(errors::ErrorsView::default()),
        }
    }

    pub fn kind(&self) -> ViewKind {
        match self {
            View::Org(_) => ViewKind::Org,
            View::Nodes(_) => ViewKind::Nodes,
            View::Compliance(_) => ViewKind::Compliance,
            View::Node(_) => ViewKind::Node,
            View::Certs(_) => ViewKind::Certs,
            View::Commands(_) => ViewKind::Commands,
            View::Errors(_) => ViewKind::Errors,
        }
    }

    /// Keymap sections consulted before `global`.
    pub fn sections(&self) -> Vec<&'static str> {
        self.kind().sections()
    }

    /// Breadcrumb text.
    pub fn crumb(&self, snap: Option<&FleetSnapshot>) -> String {
        match self {
            View::Org(_) => "org".into(),
            View::Nodes(v) => match v.scope.label(snap) {
                l if l.is_empty() => "nodes".into(),
                l => format!("nodes({l})"),
            },
            View::Compliance(_) => "compliance".into(),
            View::Node(v) => crate::text::sanitize(&v.key.instance_id),
            View::Certs(v) => match v.scope.label(snap) {
                l if l.is_empty() => "certs".into(),
                l => format!("certs({l})"),
            },
            View::Commands(_) => "commands".into(),
            View::Errors(_) => "errors".into(),
        }
    }

    /// Generation of the data this view was last built from.
    pub fn built(&self) -> Option<u64> {
        match self {
            View::Org(v) => v.built,
            View::Nodes(v) => v.built,
            View::Compliance(v) => v.built,
            View::Node(v) => v.built,
            View::Certs(v) => v.built,
            View::Commands(v) => v.built,
            View::Errors(v) => v.built,
        }
    }

    pub fn ensure_built(&mut self, data: &Data, now: DateTime<Utc>) {
        match self {
            View::Org(v) => v.ensure_built(data, now),
            View::Nodes(v) => v.ensure_built(data, now),
            View::Compliance(v) => v.ensure_built(data, now),
            View::Node(v) => v.ensure_built(data, now),
            View::Certs(v) => v.ensure_built(data, now),
            View::Commands(v) => v.ensure_built(data, now),
            View::Errors(v) => v.ensure_built(data, now),
        }
    }

    /// The focused table and its rows.
    pub fn table_mut(&mut self) -> Option<(&mut TableState, &dyn RowSource)> {
        match self {
            View::Org(v) => Some((&mut v.table, &v.src)),
            View::Nodes(v) => Some((&mut v.table, &v.src)),
            View::Compliance(v) => Some((&mut v.table, &v.src)),
            View::Node(v) => v.table_mut(),
            View::Certs(v) => Some((&mut v.table, &v.src)),
            View::Commands(v) => Some((&mut v.table, &v.src)),
            View::Errors(v) => Some((&mut v.table, &v.src)),
        }
    }

    pub fn table(&self) -> Option<(&TableState, &dyn RowSource)> {
        match self {
            View::Org(v) => Some((&v.table, &v.src)),
            View::Nodes(v) => Some((&v.table, &v.src)),
            View::Compliance(v) => Some((&v.table, &v.src)),
            View::Node(v) => v.table(),
            View::Certs(v) => Some((&v.table, &v.src)),
            View::Commands(v) => Some((&v.table, &v.src)),
            View::Errors(v) => Some((&v.table, &v.src)),
        }
    }

    /// Idle work: build the focused table's search text. `true` when something was done.
    pub fn warm(&mut self) -> bool {
        match self.table_mut() {
            Some((t, src)) if t.needs_warm() => {
                t.warm(src);
                true
            }
            _ => false,
        }
    }

    pub fn set_page(&mut self, rows: usize) {
        let rows = match self {
            View::Compliance(_) => rows.saturating_sub(compliance::DASHBOARD_ROWS),
            View::Node(_) => node::table_rows(rows),
            _ => rows,
        };
        if let Some((t, src)) = self.table_mut() {
            t.set_page(src, rows.max(1));
        }
    }

    /// Switch section / breakdown (Tab).
    pub fn tab(&mut self, delta: isize) -> bool {
        match self {
            View::Compliance(v) => {
                v.switch(delta);
                true
            }
            View::Node(v) => {
                v.switch(delta);
                true
            }
            _ => false,
        }
    }
}

/// "12s", "5m", "3h", "4d" between `then` and `now`.
pub fn age(now: DateTime<Utc>, then: Option<DateTime<Utc>>) -> String {
    let Some(t) = then else { return "-".into() };
    let s = (now - t).num_seconds();
    if s < 0 {
        return "now".into();
    }
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Thousands separators for counts.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn pct_text(p: Option<f64>) -> String {
    match p {
        Some(p) if p >= 99.95 => "100%".into(),
        Some(p) => format!("{p:.1}%"),
        None => "-".into(),
    }
}

/// Count, blank when zero (keeps tables calm).
pub fn count(n: impl Into<u64>) -> String {
    let n = n.into();
    if n == 0 { "·".into() } else { thousands(n) }
}
