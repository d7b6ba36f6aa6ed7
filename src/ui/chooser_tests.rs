//! The column chooser (`C`): what the user sees, what changes on screen at once, and what
//! is saved to `views.toml` (read back at the next start, in the same order).

use crossterm::event::{KeyCode, KeyModifiers};

use super::action::Effect;
use super::columns::ColumnPrefs;
use super::k9s_tests::{key, loaded, press, screen};
use super::views::chooser::ChooserPane;
use super::views::nodes::{COL_TAGS, COLUMNS};

fn chooser(s: &super::state::State) -> &ChooserPane {
    s.panes
        .last()
        .and_then(|p| p.item.as_any().downcast_ref::<ChooserPane>())
        .expect("the column chooser is open")
}

/// The text saved by the last `SaveFile` among `fx`.
fn saved(fx: &[Effect]) -> Option<String> {
    fx.iter().rev().find_map(|e| match e {
        Effect::SaveFile { text, .. } => Some(text.clone()),
        _ => None,
    })
}

#[test]
fn the_chooser_shows_hides_and_orders_columns_live_and_saves_them() {
    let (mut s, k) = loaded();
    s.meta.views_file = Some(std::path::PathBuf::from("/nonexistent/views.toml"));
    press(&mut s, &k, KeyCode::Char('C'), KeyModifiers::SHIFT);
    let text = screen(&mut s, &k, 80, 24);
    assert!(text.contains("Columns of nodes"), "{text}");
    assert!(text.contains("[✓] NAME"), "{text}");
    assert!(screen(&mut s, &k, 120, 40).contains("[ ] TAGS"));

    // down to TAGS, show it
    let at = chooser(&s)
        .items
        .iter()
        .position(|(c, _)| *c == COL_TAGS)
        .unwrap();
    for _ in 0..at {
        key(&mut s, &k, KeyCode::Down);
    }
    let fx = key(&mut s, &k, KeyCode::Char(' '));
    let chosen = s.meta.columns.for_columns(COLUMNS).expect("chosen");
    assert_eq!(chosen.last(), Some(&COL_TAGS), "shown, last");
    // move it up past the columns not shown (ACCOUNT ID, the coverage ones), then past
    // SCAN: the order changes, saved
    let items = &chooser(&s).items;
    let tags_at = items.iter().position(|(c, _)| *c == COL_TAGS).unwrap();
    let scan_at = items
        .iter()
        .position(|(c, _)| COLUMNS[*c].title == "SCAN")
        .unwrap();
    for _ in 1..tags_at - scan_at {
        key(&mut s, &k, KeyCode::Char('K'));
    }
    let fx2 = press(&mut s, &k, KeyCode::Char('K'), KeyModifiers::SHIFT);
    let chosen = s.meta.columns.for_columns(COLUMNS).unwrap();
    assert_eq!(chosen[chosen.len() - 2], COL_TAGS, "{chosen:?}");
    let file = saved(&fx2).or_else(|| saved(&fx)).expect("saved");
    let back = ColumnPrefs::parse(&file, "views.toml", &super::views::column_tables()).unwrap();
    assert_eq!(back.for_columns(COLUMNS), Some(chosen.clone()), "{file}");

    // the table behind shows it at once (wide enough)
    key(&mut s, &k, KeyCode::Esc);
    assert!(s.panes.is_empty());
    let text = screen(&mut s, &k, 200, 60);
    let header = text.lines().nth(2).unwrap();
    assert!(header.contains("TAGS"), "{header}");

    // the last shown column cannot be hidden; `r` goes back to the defaults
    press(&mut s, &k, KeyCode::Char('C'), KeyModifiers::SHIFT);
    let fx = key(&mut s, &k, KeyCode::Char('r'));
    assert_eq!(s.meta.columns.for_columns(COLUMNS), None);
    assert!(!saved(&fx).unwrap().contains("[nodes]"));
    let n = chooser(&s).chosen().len();
    for _ in 0..n {
        key(&mut s, &k, KeyCode::Char(' '));
        key(&mut s, &k, KeyCode::Down);
    }
    assert_eq!(chooser(&s).chosen().len(), 1, "one column stays");
}

#[test]
fn chooser_snapshot_at_80x24() {
    let (mut s, k) = loaded();
    press(&mut s, &k, KeyCode::Char('C'), KeyModifiers::SHIFT);
    key(&mut s, &k, KeyCode::Down);
    key(&mut s, &k, KeyCode::Char(' '));
    let text = screen(&mut s, &k, 80, 24);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("chooser_80x24", text));
}

#[test]
fn views_toml_keeps_the_order_and_names_the_line_of_a_problem() {
    let tables = super::views::column_tables();
    let p = ColumnPrefs::parse(
        "[nodes]\ncolumns = [\"SCAN\", \"NAME\", \"TAGS\"]\n",
        "views.toml",
        &tables,
    )
    .unwrap();
    let titles: Vec<&str> = p
        .for_columns(COLUMNS)
        .unwrap()
        .iter()
        .map(|&c| COLUMNS[c].title)
        .collect();
    assert_eq!(titles, ["SCAN", "NAME", "TAGS"]);
    let e = ColumnPrefs::parse("\n[nodes]\ncolumns = \"NAME\"\n", "views.toml", &tables)
        .unwrap_err()
        .to_string();
    assert!(e.contains("views.toml") && e.contains("line 3"), "{e}");
}
