//! Node detail's "Software · CVEs" block (#16): the node's CVEs lacking a fix, from the
//! patch index (unknown said as unknown, never "none"), then its applications from the
//! inventory the detail loads on demand — a table like every list (Tab focuses it: scroll,
//! sort, `/` filter, Enter → the nodes running that version, `d` every attribute). Drawn
//! right of the recent invocations when the terminal is wide enough, in their place when
//! it is focused on a narrower one.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::model::patch_index::{NodeStatus, lacks_fix, unpack};
use crate::model::software::compare_versions;
use crate::model::{NodeInventory, NodeKey};
use crate::text::sanitize;
use crate::ui::data::PatchIndexFeed;
use crate::ui::filter::{FieldSpec, contains};
use crate::ui::table::{Cell, Column, RowSource};
use crate::ui::theme::{Role, Theme};

/// Narrowest body that gets the block.
pub const MIN_WIDTH: u16 = 100;

/// The node's CVEs lacking a fix (Missing / Failed / pending a reboot), sorted.
pub fn cves(feed: &PatchIndexFeed, key: &NodeKey) -> Option<Result<Vec<String>, String>> {
    if !feed.published {
        return None;
    }
    let ix = &feed.index;
    let Some(pos) = ix.position(key) else {
        return Some(Err("not in the patch index yet".into()));
    };
    Some(match &ix.nodes[pos].status {
        NodeStatus::Unknown(why) => Err(sanitize(why)),
        NodeStatus::Indexed { open, .. } => {
            let mut v: Vec<String> = open
                .iter()
                .map(|e| unpack(*e))
                .filter(|(_, s)| lacks_fix(*s))
                .flat_map(|(d, _)| ix.cves(d).map(sanitize).collect::<Vec<_>>())
                .collect();
            v.sort();
            v.dedup();
            Ok(v)
        }
    })
}

/// (invocations, block) when `area` is wide enough.
pub fn split(area: Rect) -> Option<(Rect, Rect)> {
    if area.width < MIN_WIDTH {
        return None;
    }
    let right_w = (area.width * 2 / 5).max(36);
    let left = Rect {
        width: area.width - right_w,
        ..area
    };
    let right = Rect {
        x: area.x + left.width,
        width: right_w,
        ..area
    };
    Some((left, right))
}

/// The node's CVEs (see [`cves`]).
pub type Cves = Option<Result<Vec<String>, String>>;

/// The node's applications (`views.toml` table `node_software`).
pub const APP_COLUMNS: &[Column] = &[
    Column::new("NAME", 28, 0),
    Column::new("VERSION", 16, 0),
    Column::new("ARCH", 7, 2),
    Column::new("PUBLISHER", 18, 1),
    Column::new("INSTALLED", 10, 3),
];

/// One `AWS:Application` entry of the node's inventory (its text sanitized).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct App {
    pub name: String,
    pub version: String,
    pub arch: String,
    pub publisher: String,
    pub installed: Option<DateTime<Utc>>,
    /// Every non-empty attribute as the inventory reported it, unsanitized (for `d`,
    /// which sanitizes, and for the GetInventory filter of Enter).
    pub attributes: BTreeMap<String, String>,
}

impl App {
    /// The name and version as the inventory has them (what GetInventory filters match).
    pub fn raw(&self, key: &str) -> Option<String> {
        self.attributes.get(key).cloned()
    }

    fn of(m: &BTreeMap<String, String>) -> App {
        let get = |k: &str| sanitize(m.get(k).map(String::as_str).unwrap_or(""));
        App {
            name: match get("Name") {
                n if n.is_empty() => "?".into(),
                n => n,
            },
            version: get("Version"),
            arch: get("Architecture"),
            publisher: get("Publisher"),
            installed: m
                .get("InstalledTime")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
            attributes: m
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// The node's applications, by name.
#[derive(Clone, Default)]
pub struct AppsSource {
    pub apps: Vec<App>,
}

impl AppsSource {
    pub fn of(inv: &NodeInventory) -> AppsSource {
        let mut apps: Vec<App> = inv.applications.iter().map(App::of).collect();
        apps.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| compare_versions(&a.version, &b.version))
        });
        AppsSource { apps }
    }
}

impl RowSource for AppsSource {
    fn columns(&self) -> &'static [Column] {
        APP_COLUMNS
    }
    fn len(&self) -> usize {
        self.apps.len()
    }
    fn id(&self, row: usize) -> String {
        let a = &self.apps[row];
        format!("{} {} {}", a.name, a.version, a.arch)
    }
    fn text(&self, row: usize, col: usize) -> String {
        let a = &self.apps[row];
        match col {
            0 => a.name.clone(),
            1 => a.version.clone(),
            2 => a.arch.clone(),
            3 => a.publisher.clone(),
            4 => a
                .installed
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into()),
            _ => String::new(),
        }
    }
    fn value(&self, row: usize, col: usize) -> Cell {
        match col {
            4 => Cell::time(self.apps[row].installed),
            _ => Cell::text(self.text(row, col)),
        }
    }
    fn compare(&self, a: usize, b: usize, col: usize) -> Ordering {
        let (x, y) = (&self.apps[a], &self.apps[b]);
        match col {
            1 => compare_versions(&x.version, &y.version),
            4 => x.installed.cmp(&y.installed),
            _ => self
                .text(a, col)
                .to_lowercase()
                .cmp(&self.text(b, col).to_lowercase()),
        }
    }
    fn style(&self, _row: usize, col: usize, theme: &Theme) -> Style {
        match col {
            0 | 1 => theme.style(Role::Text),
            _ => theme.style(Role::Muted),
        }
    }
    fn fields(&self) -> &'static [FieldSpec] {
        const F: &[FieldSpec] = &[
            FieldSpec::text("name", "application name"),
            FieldSpec::text("version", "version").alias(&["ver"]),
            FieldSpec::text("arch", "architecture"),
            FieldSpec::text("publisher", "publisher").alias(&["pub"]),
        ];
        F
    }
    fn field_matches(&self, row: usize, field: &str, v: &str) -> Option<bool> {
        let Some(a) = self.apps.get(row) else {
            return crate::ui::filter::find_field(self.fields(), field).map(|_| false);
        };
        Some(match field {
            "name" => contains(&a.name, v),
            "version" => contains(&a.version, v),
            "arch" => contains(&a.arch, v),
            "publisher" => contains(&a.publisher, v),
            _ => return None,
        })
    }
}

/// The CVE line on top of the block: its text and role.
pub fn cve_line(cves: &Cves) -> (String, Role) {
    match cves {
        None => ("CVEs: no patch index yet".to_string(), Role::Muted),
        Some(Err(why)) => (format!("CVEs: unknown ({why})"), Role::Unreported),
        Some(Ok(c)) if c.is_empty() => ("CVEs: none open".to_string(), Role::Ok),
        Some(Ok(c)) => (
            format!("CVEs ({}): {}", c.len(), c.join(", ")),
            Role::Warning,
        ),
    }
}
