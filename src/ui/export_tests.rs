//! Export (`e`) writes typed data, never screen glyphs: every view of the registry, every
//! table of it (Tab), every row and every column (the "all columns" choice) is walked, and
//! no exported value is a placeholder (`-`, `·`, `?`, `never`), carries a screen mark
//! (`↑`, `…`, `▾`, `◐`, `⚠`, `✓`, bars) or is a relative age (`16d`, `3h ago`, `in 2h`).

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Msg;
use super::fixture;
use super::keymap::Keymap;
use super::state::{Meta, State};
use super::update::{selection, update};
use super::views::node::NodeView;
use crate::model::FleetUpdate;
use crate::report::table::Cell;

fn km() -> Keymap {
    Keymap::load("default", std::path::Path::new("/nonexistent")).unwrap()
}

fn key(s: &mut State, k: &Keymap, code: KeyCode) {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), k);
    s.prepare();
}

fn command(s: &mut State, k: &Keymap, line: &str) {
    key(s, k, KeyCode::Char(':'));
    for c in line.chars() {
        key(s, k, KeyCode::Char(c));
    }
    key(s, k, KeyCode::Enter);
}

fn loaded(k: &Keymap) -> State {
    let meta = Meta {
        demo: true,
        theme: "default".into(),
        keymap: "default".into(),
        ..Default::default()
    };
    let mut s = State::new(meta, fixture::now());
    update(&mut s, Msg::Fleet(fixture::update()), k);
    s.size = (200, 60);
    s.prepare();
    s
}

/// Node detail with its patches, inventory and invocations loaded.
fn node_detail(s: &mut State, k: &Keymap) {
    command(s, k, "nodes");
    key(s, k, KeyCode::Enter);
    let Some(v) = s.view_as::<NodeView>() else {
        return;
    };
    let key_ = v.key.clone();
    let snap = fixture::snapshot();
    let Some(n) = snap.node(&key_) else { return };
    for u in [
        FleetUpdate::NodeInventory {
            key: key_.clone(),
            result: Ok(fixture::inventory(n)),
        },
        FleetUpdate::NodePatches {
            key: key_.clone(),
            result: Ok(fixture::patches(n)),
        },
        FleetUpdate::NodeCommands {
            key: key_,
            result: Ok(fixture::invocations(n)),
        },
    ] {
        update(s, Msg::Fleet(u), k);
    }
    s.prepare();
}

/// Why `v` is a screen glyph rather than data, if it is one.
fn glyph(v: &str) -> Option<&'static str> {
    let t = v.trim();
    if matches!(
        t,
        "-" | "·" | "?" | "—" | "never" | "never run" | "now" | "just now" | "time unknown"
    ) {
        return Some("a placeholder");
    }
    if t.chars().any(|c| {
        matches!(
            c,
            '↑' | '…' | '▾' | '◐' | '⚠' | '✓' | '✗' | '●' | '▸' | '█' | '░'
        )
    }) || t.contains(" · ")
    {
        return Some("a screen mark");
    }
    let age = |w: &str| {
        w.len() > 1
            && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit())
            && w.ends_with(['s', 'm', 'h', 'd', 'w', 'y'])
    };
    if age(t) || t.ends_with(" ago") || t.contains(" ago)") || t.contains("(in ") {
        return Some("a relative age");
    }
    if let Some(rest) = t.strip_prefix("in ")
        && rest.split_whitespace().next().is_some_and(age)
    {
        return Some("a relative age");
    }
    None
}

#[test]
fn the_glyph_check_knows_the_screen() {
    for g in [
        "-",
        "·",
        "16d",
        "3h ago",
        "in 2h",
        "1.2.3↑",
        "▾ Prod",
        "Mon 12-01 (in 3h)",
    ] {
        assert!(glyph(g).is_some(), "{g}");
    }
    for d in [
        "i-0abc",
        "2026-11-23T06:00:00Z",
        "Success",
        "Ubuntu 22.04",
        "web-prod",
    ] {
        assert!(glyph(d).is_none(), "{d}");
    }
}

#[test]
fn every_views_export_columns_hold_typed_data_not_glyphs() {
    let k = km();
    let mut walked: BTreeSet<String> = BTreeSet::new();
    let mut bad: Vec<String> = Vec::new();
    for spec in super::views::REGISTRY.iter().filter(|s| s.is_view()) {
        let mut s = loaded(&k);
        match spec.id {
            "node" => node_detail(&mut s, &k),
            "window" | "execution" => super::sched_drill::drill(&mut s, spec.id),
            id => command(&mut s, &k, id),
        }
        if s.view().id() != spec.id {
            continue;
        }
        // every table of the view (Tab moves between them)
        let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
        for _ in 0..5 {
            if let Some(t) = selection(&s, String::new()).table()
                && seen.insert(t.columns.clone())
            {
                walked.insert(format!("{}:{}", spec.id, t.columns.join(",")));
                for (r, row) in t.rows.iter().enumerate() {
                    for (c, cell) in row.iter().enumerate() {
                        if let Cell::Text(v) = cell
                            && let Some(why) = glyph(v)
                        {
                            bad.push(format!(
                                "{} row {r} column {}: {v:?} is {why}",
                                spec.id, t.columns[c]
                            ));
                        }
                    }
                }
            }
            key(&mut s, &k, KeyCode::Tab);
        }
    }
    let views: BTreeSet<&str> = walked
        .iter()
        .map(|w| w.split(':').next().unwrap())
        .collect();
    for v in [
        "org",
        "nodes",
        "compliance",
        "node",
        "certs",
        "commands",
        "errors",
        "windows",
        "window",
        "execution",
        "baselines",
        "patches",
        "software",
    ] {
        assert!(views.contains(v), "{v} was not walked: {views:?}");
    }
    bad.dedup();
    assert!(
        bad.is_empty(),
        "{} glyphs in exports, e.g.:\n{}",
        bad.len(),
        bad.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// The coverage report (JSON) writes `null` for a node without a patch group, never `""`,
/// and an unknown coverage as the word `unknown`, never `?`.
#[test]
fn coverage_report_writes_null_for_a_missing_patch_group() {
    let snap = fixture::snapshot();
    let rows = crate::report::schedules::coverage_rows(&snap, fixture::now());
    assert!(!rows.is_empty());
    let v = serde_json::to_value(&rows).unwrap();
    for r in v.as_array().unwrap() {
        assert_ne!(r["patch_group"], "", "{r}");
        assert_ne!(r["baseline"], "", "{r}");
        assert_ne!(r["coverage"], "?", "{r}");
    }
    let no_group = snap.nodes.iter().find(|n| n.patch_group.is_none());
    if let Some(n) = no_group
        && let Some(r) = rows.iter().find(|r| r.instance_id == n.instance_id)
    {
        assert_eq!(
            serde_json::to_value(r).unwrap()["patch_group"],
            serde_json::Value::Null
        );
    }
}
