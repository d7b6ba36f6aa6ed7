//! Node detail's three tables (patches, recent invocations, software): Tab cycles them,
//! each fits the block it is drawn in and scrolls to its last row and column, at every
//! width; Enter and `d` on an application.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Msg;
use super::tests::{key, screen, send, state_for};
use super::views::node::{INVOCATIONS, NodeView, PATCHES, SOFTWARE};
use crate::model::{FleetUpdate, NodeInventory};

/// A node with `n` applications (names sort in creation order: app-000 …).
fn with_apps(n: usize) -> super::state::State {
    let mut s = state_for("node", "loaded");
    let k = s.view_as::<NodeView>().unwrap().key.clone();
    let applications = (0..n)
        .map(|i| {
            BTreeMap::from([
                ("Name".to_string(), format!("app-{i:03}")),
                ("Version".to_string(), format!("1.{i}.0")),
                ("Architecture".to_string(), "x86_64".to_string()),
                ("Publisher".to_string(), "Example Corp".to_string()),
                (
                    "InstalledTime".to_string(),
                    "2026-03-01T10:00:00Z".to_string(),
                ),
            ])
        })
        .collect();
    send(
        &mut s,
        Msg::Fleet(FleetUpdate::NodeInventory {
            key: k,
            result: Ok(NodeInventory {
                applications,
                ..NodeInventory::default()
            }),
        }),
    );
    s
}

fn focus(s: &super::state::State) -> usize {
    s.view_as::<NodeView>().unwrap().focus
}

fn shift(s: &mut super::state::State, code: KeyCode) {
    send(s, Msg::Key(KeyEvent::new(code, KeyModifiers::SHIFT)));
}

#[test]
fn tab_cycles_the_three_tables_and_shift_tab_goes_back() {
    let mut s = with_apps(3);
    assert_eq!(focus(&s), PATCHES);
    key(&mut s, KeyCode::Tab);
    assert_eq!(focus(&s), INVOCATIONS);
    key(&mut s, KeyCode::Tab);
    assert_eq!(focus(&s), SOFTWARE);
    key(&mut s, KeyCode::Tab);
    assert_eq!(focus(&s), PATCHES);
    key(&mut s, KeyCode::BackTab);
    assert_eq!(focus(&s), SOFTWARE);
}

#[test]
fn every_application_is_reachable_at_every_size() {
    for (w, h) in [(200u16, 60u16), (120, 40), (80, 24)] {
        let mut s = with_apps(60);
        key(&mut s, KeyCode::Tab);
        key(&mut s, KeyCode::Tab);
        let text = screen(&mut s, w, h);
        assert!(text.contains("Software (60)"), "{w}x{h}:\n{text}");
        assert!(text.contains("app-000"), "{w}x{h}:\n{text}");
        assert!(
            !text.contains("app-059"),
            "{w}x{h}: a page, not all:\n{text}"
        );
        key(&mut s, KeyCode::Char('G'));
        let text = screen(&mut s, w, h);
        assert!(text.contains("app-059"), "{w}x{h}: the last one\n{text}");
        // narrow: the software took the invocations' place while focused, and gives it back
        if w < super::views::node_software::MIN_WIDTH {
            assert!(!text.contains("Recent invocations"), "{w}x{h}:\n{text}");
            key(&mut s, KeyCode::Tab);
            let text = screen(&mut s, w, h);
            assert!(text.contains("Recent invocations"), "{w}x{h}:\n{text}");
            assert!(!text.contains("Software ("), "{w}x{h}:\n{text}");
        } else {
            assert!(text.contains("Recent invocations"), "{w}x{h}:\n{text}");
        }
    }
}

#[test]
fn the_software_table_filters_by_field() {
    let mut s = with_apps(60);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Char('/'));
    super::tests::typed(&mut s, "name:app-04");
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("Software (10/60)"), "{text}");
    assert!(
        text.contains("app-041") && !text.contains("app-001"),
        "{text}"
    );
}

/// The invocations sit left of the software block: their columns are fitted to that
/// block, and every column is reachable by scrolling, none hidden behind blank cells.
#[test]
fn invocation_columns_fit_their_block_and_scroll_into_view() {
    let mut s = state_for("node", "loaded");
    key(&mut s, KeyCode::Tab);
    let text = screen(&mut s, 120, 40);
    let header = text
        .lines()
        .find(|l| l.contains("DOCUMENT"))
        .unwrap_or_else(|| panic!("no invocations header:\n{text}"));
    let inv_block = header.split('│').nth(1).unwrap_or_default();
    assert!(inv_block.contains("STATUS"), "{header}");
    assert!(
        inv_block.contains('▸'),
        "the columns that do not fit are counted: {header}"
    );
    let mut seen: String = inv_block.to_string();
    for _ in 0..6 {
        shift(&mut s, KeyCode::Right);
        let text = screen(&mut s, 120, 40);
        if let Some(h) = text
            .lines()
            .find(|l| l.contains("STATUS") || l.contains("RC"))
        {
            seen.push_str(h.split('│').nth(1).unwrap_or_default());
        }
    }
    for col in ["COMMAND ID", "DETAILS", "RC", "REQUESTED"] {
        assert!(seen.contains(col), "{col} never scrolled into view: {seen}");
    }
}

#[test]
fn enter_on_an_application_lists_the_nodes_running_that_version_and_d_describes_it() {
    let mut s = with_apps(5);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Char('d'));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("app-001 1.1.0"), "{text}");
    assert!(
        text.contains("Example Corp") && text.contains("x86_64"),
        "{text}"
    );
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().id(), "software_nodes");
    let v = s
        .view_as::<super::views::software::SoftwareNodesView>()
        .unwrap();
    assert_eq!(
        (v.name.as_str(), v.version.as_deref()),
        ("app-001", Some("1.1.0"))
    );
}
