//! Node detail's "Software · CVEs" block (#16): the node's CVEs lacking a fix, from the
//! patch index (unknown said as unknown, never "none"), then its applications (name,
//! version) from the inventory the detail loads on demand. Drawn right of the recent
//! invocations when the terminal is wide enough.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders, Widget};

use super::contract::RenderCx;
use super::table_render::put;
use crate::model::patch_index::{NodeStatus, lacks_fix, unpack};
use crate::model::{NodeInventory, NodeKey};
use crate::text::sanitize;
use crate::ui::data::{Load, PatchIndexFeed};
use crate::ui::theme::Role;

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

pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    cves: &Cves,
    inventory: &Load<NodeInventory>,
    cx: &RenderCx<'_>,
) {
    let theme = cx.theme;
    let apps: Option<Vec<(String, String)>> = inventory.get().map(|inv| {
        let mut a: Vec<(String, String)> = inv
            .applications
            .iter()
            .map(|m| {
                (
                    sanitize(m.get("Name").map(String::as_str).unwrap_or("?")),
                    sanitize(m.get("Version").map(String::as_str).unwrap_or("")),
                )
            })
            .collect();
        a.sort_by_key(|x| x.0.to_lowercase());
        a
    });
    let title = match &apps {
        Some(a) => format!(" Software ({}) · CVEs ", a.len()),
        None => " Software · CVEs ".into(),
    };
    let b = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.style(Role::Border))
        .title(title)
        .title_style(theme.style(Role::Title));
    let inner = b.inner(area);
    b.render(area, buf);
    let y = std::cell::Cell::new(inner.y);
    let line = |buf: &mut Buffer, text: &str, role: Role| {
        if y.get() < inner.bottom() {
            put(
                buf,
                inner.x + 1,
                y.get(),
                text,
                inner.width.saturating_sub(1),
                theme.style(role),
                None,
                Style::default(),
                false,
            );
            y.set(y.get() + 1);
        }
    };
    let (cve_text, role) = match cves {
        None => ("CVEs: no patch index yet".to_string(), Role::Muted),
        Some(Err(why)) => (format!("CVEs: unknown ({why})"), Role::Unreported),
        Some(Ok(c)) if c.is_empty() => ("CVEs: none open".to_string(), Role::Ok),
        Some(Ok(c)) => (
            format!("CVEs ({}): {}", c.len(), c.join(", ")),
            Role::Warning,
        ),
    };
    line(buf, &cve_text, role);
    match inventory {
        Load::Loading => line(
            buf,
            &format!("{} loading applications…", cx.spinner()),
            Role::Spinner,
        ),
        Load::Failed(e) => line(buf, &format!("✗ applications: {e}"), Role::Error),
        Load::Loaded(_) => {
            let apps = apps.unwrap_or_default();
            if apps.is_empty() {
                line(buf, "no applications in the inventory", Role::Muted);
            }
            let name_w = apps
                .iter()
                .map(|a| a.0.chars().count())
                .max()
                .unwrap_or(0)
                .min(inner.width as usize / 2);
            let shown = (inner.bottom().saturating_sub(y.get())) as usize;
            let more = apps.len().saturating_sub(shown);
            let cut = if more > 0 {
                shown.saturating_sub(1)
            } else {
                shown
            };
            for (name, version) in apps.iter().take(cut) {
                let n: String = name.chars().take(name_w).collect();
                line(buf, &format!("{n:<name_w$}  {version}"), Role::Text);
            }
            if more > 0 {
                line(
                    buf,
                    &format!("… {} more not shown", apps.len() - cut),
                    Role::Muted,
                );
            }
        }
    }
}
