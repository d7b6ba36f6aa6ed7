//! Shared fixtures of the pane tests (`views::patch_now`, `views::run`): a loaded console
//! with the default keymap, keys, typing, the drawn screen (lines as drawn, not trimmed:
//! their snapshots keep the padding) and snapshots at 80×24 and 120×40. A neutral module:
//! a view's tests importing another view's tests would add an edge to the import graph.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::{Effect, Msg};
use super::fixture;
use super::keymap::Keymap;
use super::state::{Meta, State};
use super::theme::{ColorMode, Theme};
use super::update::update;
use super::views::frame::render;

pub(super) fn keymap() -> Keymap {
    Keymap::load("default", std::path::Path::new("/nonexistent")).unwrap()
}

/// The demo fixture fleet loaded, read-only or not.
pub(super) fn state(readonly: bool) -> State {
    let mut s = State::new(
        Meta {
            demo: true,
            readonly,
            theme: "default".into(),
            keymap: "default".into(),
            ..Default::default()
        },
        fixture::now(),
    );
    update(&mut s, Msg::Fleet(fixture::update()), &keymap());
    s
}

pub(super) fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(
        s,
        Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        &keymap(),
    )
}

/// ctrl + a letter.
pub(super) fn ctrl(s: &mut State, c: char) -> Vec<Effect> {
    update(
        s,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
        &keymap(),
    )
}

pub(super) fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c));
    }
}

/// The frame at `w`×`h`, every cell (lines not trimmed).
pub(super) fn screen(s: &mut State, w: u16, h: u16) -> String {
    s.size = (w, h);
    s.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let t = Theme::load_in(
        "default",
        std::path::Path::new("/nonexistent"),
        ColorMode::TrueColor,
    )
    .unwrap();
    let k = keymap();
    term.draw(|f| render(f, s, &t, &k)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Snapshots `{prefix}_{name}_80x24` and `…_120x40` in `src/ui/snapshots`.
pub(super) fn snap(prefix: &str, name: &str, s: &mut State) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            insta::assert_snapshot!(format!("{prefix}_{name}_{w}x{h}"), screen(s, w, h));
        }
    });
}

/// Filter to online nodes and mark the first `n`.
pub(super) fn mark_online(s: &mut State, n: usize) {
    key(s, KeyCode::Char('/'));
    typed(s, "ping:online");
    key(s, KeyCode::Enter);
    for _ in 0..n {
        key(s, KeyCode::Char(' '));
    }
    assert_eq!(s.marks.len(), n);
}
