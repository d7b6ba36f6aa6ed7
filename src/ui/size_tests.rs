//! No panic at any terminal size: every view and pane × loaded / loading / empty / no data ×
//! sizes from 1×1 to 200×60 (every size up to 30×16, odd small ones, common and large ones),
//! drawn with ratatui's `TestBackend` through the same `render` the runtime calls.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::Msg;
use super::fixture;
use super::keymap::Keymap;
use super::state::{Meta, State};
use super::theme::{ColorMode, Theme};
use super::update::update;
use super::views::frame::render;
use super::views::node::NodeView;
use crate::model::FleetUpdate;

fn look() -> (Theme, Keymap) {
    let none = std::path::Path::new("/nonexistent");
    (
        Theme::load_in("default", none, ColorMode::TrueColor).unwrap(),
        Keymap::load("default", none).unwrap(),
    )
}

/// Every size up to 24×12 (where the layout thresholds are), then odd, common and large
/// ones up to 200×60.
fn sizes() -> Vec<(u16, u16)> {
    let mut v: Vec<(u16, u16)> = Vec::new();
    for w in 1..=24 {
        for h in 1..=12 {
            v.push((w, h));
        }
    }
    for h in [13, 14, 15, 16, 17, 19, 23, 27, 28, 29, 31, 60] {
        v.extend([(20, h), (21, h), (25, h), (61, h)]);
    }

    v.extend([
        (40, 10),
        (30, 8),
        (33, 17),
        (41, 11),
        (47, 13),
        (59, 13),
        (60, 14),
        (63, 19),
        (80, 24),
        (81, 25),
        (120, 40),
        (137, 43),
        (200, 60),
        (200, 1),
        (200, 2),
        (200, 5),
        (1, 60),
        (2, 60),
        (5, 60),
        (19, 60),
        (200, 17),
        (150, 9),
    ]);
    v
}

/// Panes draw the view under them too: fewer sizes, around their own thresholds.
fn pane_sizes() -> Vec<(u16, u16)> {
    let mut v = vec![(200, 60), (200, 5), (1, 60), (121, 40)];
    for w in [1, 2, 5, 19, 20, 21, 30, 59, 60, 61, 80] {
        for h in [1, 2, 4, 5, 6, 8, 13, 14, 15, 17, 24] {
            v.push((w, h));
        }
    }
    v
}

struct Case {
    name: String,
    state: State,
    pane: bool,
}

fn key(s: &mut State, k: &Keymap, code: KeyCode) {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), k);
    s.prepare();
}

fn typed(s: &mut State, k: &Keymap, text: &str) {
    for c in text.chars() {
        key(s, k, KeyCode::Char(c));
    }
}

fn command(s: &mut State, k: &Keymap, line: &str) {
    key(s, k, KeyCode::Char(':'));
    typed(s, k, line);
    key(s, k, KeyCode::Enter);
}

fn with_data(k: &Keymap, data: Option<FleetUpdate>) -> State {
    let meta = Meta {
        demo: true,
        theme: "default".into(),
        keymap: "default".into(),
        profile: Some("a-rather-long-profile-name".into()),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        ..Default::default()
    };
    let mut s = State::new(meta, fixture::now());
    if let Some(d) = data {
        update(&mut s, Msg::Fleet(d), k);
    }
    s.prepare();
    s
}

/// Open node detail with its on-demand data loaded.
fn node_detail(s: &mut State, k: &Keymap) {
    command(s, k, "nodes");
    key(s, k, KeyCode::Enter);
    if let Some(v) = s.view_as::<NodeView>() {
        let key = v.key.clone();
        let snap = fixture::snapshot();
        if let Some(n) = snap.node(&key) {
            for u in [
                FleetUpdate::NodeInventory {
                    key: key.clone(),
                    result: Ok(fixture::inventory(n)),
                },
                FleetUpdate::NodePatches {
                    key: key.clone(),
                    result: Ok(fixture::patches(n)),
                },
                FleetUpdate::NodeCommands {
                    key,
                    result: Ok(fixture::invocations(n)),
                },
            ] {
                update(s, Msg::Fleet(u), k);
            }
        }
    }
    s.prepare();
}

fn cases(k: &Keymap) -> Vec<Case> {
    let mut out = Vec::new();
    type Dataset = (&'static str, fn() -> Option<FleetUpdate>);
    let datasets: [Dataset; 4] = [
        ("loaded", || Some(fixture::update())),
        ("loading", || Some(fixture::update_of(fixture::partial()))),
        ("empty", || Some(fixture::update_of(fixture::empty()))),
        ("none", || None),
    ];
    for (dname, data) in datasets {
        for kind in super::views::REGISTRY
            .iter()
            .filter(|s| s.is_view())
            .map(|s| s.id)
        {
            let mut s = with_data(k, data());
            if kind == "node" {
                node_detail(&mut s, k);
            } else if kind == "window" || kind == "execution" {
                // reached by Enter from :windows (with the same keymap as the drill)
                super::sched_drill::drill(&mut s, kind);
            } else {
                command(&mut s, k, kind);
            }
            out.push(Case {
                name: format!("{kind}/{dname}"),
                state: s,
                pane: false,
            });
        }
        // overlays on the nodes view: help, both prompts, a toast, a failure notice
        let mut s = with_data(k, data());
        key(&mut s, k, KeyCode::Char('?'));
        out.push(Case {
            name: format!("help/{dname}"),
            state: s,
            pane: false,
        });
        let mut s = with_data(k, data());
        key(&mut s, k, KeyCode::Char(':'));
        typed(&mut s, k, "c");
        out.push(Case {
            name: format!("command-prompt/{dname}"),
            state: s,
            pane: false,
        });
        let mut s = with_data(k, data());
        key(&mut s, k, KeyCode::Char('/'));
        typed(&mut s, k, "compliance:non account:prod");
        out.push(Case {
            name: format!("filter-prompt/{dname}"),
            state: s,
            pane: false,
        });
        let mut s = with_data(k, data());
        update(
            &mut s,
            Msg::Fleet(FleetUpdate::Notice {
                message: "refresh failed: ExpiredTokenException — run `aws sso login`".into(),
                is_error: true,
            }),
            k,
        );
        s.prepare();
        out.push(Case {
            name: format!("notice/{dname}"),
            state: s,
            pane: false,
        });
    }
    out.extend(pane_cases(k));
    out
}

/// Every registered pane, opened the way a user opens it (its `:command` from a view that
/// offers a target), plus the Session Manager pane built directly (opening it needs the
/// `session-manager-plugin` on PATH).
fn pane_cases(k: &Keymap) -> Vec<Case> {
    let mut out = Vec::new();
    for spec in super::views::REGISTRY.iter().filter(|s| !s.is_view()) {
        let mut opened = false;
        for (view, node) in [("nodes", false), ("nodes", true), ("commands", false)] {
            let mut s = with_data(k, Some(fixture::update()));
            if node {
                node_detail(&mut s, k);
            } else {
                command(&mut s, k, view);
            }
            command(&mut s, k, spec.commands[0]);
            if s.panes.last().is_some_and(|p| p.id() == spec.id) {
                out.push(Case {
                    name: format!("pane {}/{}", spec.id, if node { "node" } else { view }),
                    state: s,
                    pane: true,
                });
                opened = true;
            }
        }
        if spec.id == "session" {
            let mut s = with_data(k, Some(fixture::update()));
            let node = fixture::snapshot().nodes[0].clone();
            s.push_pane(Box::new(super::views::session::SessionPane::for_tests(
                node,
            )));
            out.push(Case {
                name: "pane session/direct".into(),
                state: s,
                pane: true,
            });
            opened = true;
        }
        assert!(
            opened,
            "pane {} could not be opened for the size test",
            spec.id
        );
    }
    out
}

/// Draw every case at its sizes; the first panic of each case, as "case at WxH: message".
fn panics(cases: &mut [Case], theme: &Theme, keymap: &Keymap) -> Vec<String> {
    let mut failures: Vec<String> = Vec::new();
    let pane_sizes = pane_sizes();
    let view_sizes = sizes();
    let mut all = view_sizes.clone();
    all.extend(pane_sizes.iter().filter(|s| !view_sizes.contains(s)));
    let mut failed = vec![false; cases.len()];
    for (w, h) in all {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        for (i, case) in cases.iter_mut().enumerate() {
            let sizes = if case.pane { &pane_sizes } else { &view_sizes };
            if failed[i] || !sizes.contains(&(w, h)) {
                continue;
            }
            // The runtime's frame: prepare, then `render` into a TestBackend terminal's
            // frame (the diff to the backend is left out: it cannot depend on the layout).
            let r = catch_unwind(AssertUnwindSafe(|| {
                case.state.size = (w, h);
                case.state.prepare();
                term.current_buffer_mut().reset();
                render(&mut term.get_frame(), &case.state, theme, keymap);
            }));
            if let Err(e) = r {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{} at {w}x{h}: {msg}", case.name));
                failed[i] = true; // the first size is enough to report
            }
        }
    }
    failures
}

#[test]
fn every_view_and_pane_draws_at_every_size_without_panicking() {
    let (theme, keymap) = look();
    let mut cases = cases(&keymap);
    assert!(cases.len() > 40, "{} cases", cases.len());
    // two halves on two threads (debug-build cell writes are the cost)
    let mid = cases.len() / 2;
    let (a, b) = cases.split_at_mut(mid);
    let failures: Vec<String> = std::thread::scope(|s| {
        let (t, k) = (&theme, &keymap);
        let other = s.spawn(move || panics(b, t, k));
        let mut f = panics(a, t, k);
        f.extend(other.join().unwrap());
        f
    });
    assert!(
        failures.is_empty(),
        "{} case(s) panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_tiny_terminal_says_so_instead_of_drawing_a_broken_layout() {
    let (theme, keymap) = look();
    let mut s = with_data(&keymap, Some(fixture::update()));
    command(&mut s, &keymap, "compliance");
    for (w, h) in [(19u16, 10u16), (40, 4)] {
        s.size = (w, h);
        s.prepare();
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| render(f, &s, &theme, &keymap)).unwrap();
        let text: String = (0..w)
            .map(|x| term.backend().buffer()[(x, 0)].symbol().to_string())
            .collect();
        assert!(text.starts_with("terminal too"), "{w}x{h}: {text:?}");
    }
}
