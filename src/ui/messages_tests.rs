//! Toasts are readable whole: a message too long for the footer ends with a marker naming
//! `:messages`, which lists every message of the session (time, level, text), opens one
//! whole with Enter / `d` and copies it with `c`. And vim's `V` says VISUAL while marking.

use crossterm::event::KeyCode;

use super::action::{Effect, Msg};
use super::tests::{command, key, loaded, screen, send};
use super::views::frame::{TOAST_MORE, toast_line};
use crate::model::FleetUpdate;

const LONG: &str = "the Session Manager plugin (`session-manager-plugin`) was not found on PATH; \
`aws ssm start-session` needs it. Install the Session Manager plugin: \
https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html \
(Debian/Ubuntu: the session-manager-plugin.deb with sudo dpkg -i; macOS: brew install --cask session-manager-plugin)";

fn footer(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_toast_fits_whole_or_says_where_to_read_it() {
    assert_eq!(toast_line("✗ short", 80), "✗ short");
    let cut = toast_line(LONG, 100);
    assert!(cut.ends_with(TOAST_MORE), "{cut}");
    assert!(
        unicode_width::UnicodeWidthStr::width(cut.as_str()) <= 100,
        "{cut}"
    );
    assert!(cut.starts_with("the Session Manager plugin"), "{cut}");
    // newlines never break the footer line
    assert!(!toast_line("a\nb", 80).contains('\n'));
}

#[test]
fn messages_lists_every_toast_whole_and_opens_one() {
    let mut s = loaded();
    send(
        &mut s,
        Msg::Fleet(FleetUpdate::Notice {
            message: LONG.into(),
            is_error: true,
        }),
    );
    for (w, h) in [(200u16, 50u16), (120, 40), (80, 24)] {
        let text = screen(&mut s, w, h);
        let f = footer(&text);
        assert!(f.contains("(whole: :messages)"), "{w}x{h}: {f}");
    }
    command(&mut s, "messages");
    assert_eq!(s.view().id(), "messages");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("TIME") && text.contains("LEVEL"), "{text}");
    assert!(
        text.contains("error") && text.contains("the Session Manager plugin"),
        "{text}"
    );
    // the newest first: the cursor is on it; Enter opens it whole in the describe pane
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.panes.last().map(|p| p.id()), Some("describe"));
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("session-manager-working-with-install-plugin.html")
            && text.contains("brew install --cask")
            && text.contains("session-manager-plugin)"),
        "the whole message is there, wrapped: {text}"
    );
    key(&mut s, KeyCode::Esc);
    // `c` copies the whole text
    let fx = key(&mut s, KeyCode::Char('c'));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Clipboard(t) if t.ends_with("session-manager-plugin)"))),
        "{fx:?}"
    );
    // the filter knows the level
    key(&mut s, KeyCode::Char('/'));
    for c in "level:info".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    key(&mut s, KeyCode::Enter);
    let (t, src) = s.view().table().unwrap();
    assert!(!t.order.is_empty());
    for &r in &t.order {
        assert_eq!(src.text(r as usize, 1), "info");
    }
}

#[test]
fn messages_snapshot() {
    let mut s = loaded();
    for (m, e) in [
        (
            "refresh failed: ExpiredTokenException — run `aws sso login`",
            true,
        ),
        ("wide: every column (ctrl-w again: fit the screen)", false),
        (LONG, true),
    ] {
        send(
            &mut s,
            Msg::Fleet(FleetUpdate::Notice {
                message: m.into(),
                is_error: e,
            }),
        );
    }
    command(&mut s, "messages");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (w, h) in [(120u16, 40u16), (80, 24)] {
            insta::assert_snapshot!(format!("messages_{w}x{h}"), screen(&mut s, w, h));
        }
    });
}

#[test]
fn vim_visual_line_says_visual_in_the_header() {
    let vim = super::keymap::Keymap::load("vim", std::path::Path::new("/nonexistent")).unwrap();
    let mut s = loaded();
    let press = |s: &mut super::state::State, c: char| {
        super::update::update(
            s,
            Msg::Key(crossterm::event::KeyEvent::new(
                KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            )),
            &vim,
        );
        s.prepare();
    };
    assert!(!screen(&mut s, 120, 40).contains("VISUAL"));
    press(&mut s, 'V');
    press(&mut s, 'j');
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("-- VISUAL --"), "{text}");
    assert!(text.contains("2 marked"), "{text}");
    press(&mut s, 'V');
    assert!(!screen(&mut s, 120, 40).contains("VISUAL"));
}

/// `/foo:bar` on nodes: the breadcrumb line keeps the filter and the count on screen and
/// cuts the long "unknown field" list with a pointer to `:messages`, which has it whole.
#[test]
fn a_long_filter_error_points_to_the_message_log() {
    let mut s = loaded();
    command(&mut s, "nodes");
    key(&mut s, KeyCode::Char('/'));
    for c in "foo:bar".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    let crumb = text.lines().nth(1).unwrap_or_default().to_string();
    assert!(crumb.contains("unknown field `foo`"), "{crumb}");
    assert!(crumb.contains("(whole: :messages)"), "{crumb}");
    assert!(crumb.contains("/foo:bar"), "{crumb}");
    command(&mut s, "messages");
    let (t, src) = s.view().table().unwrap();
    let r = t.selected_row().unwrap();
    let whole = src.copy_text(r);
    assert!(
        whole.contains("unknown field `foo`") && whole.contains("tag"),
        "every field is listed: {whole}"
    );
}

/// A filter is checked at every keystroke: typing one logs at most its last problem, and a
/// filter typed to a valid end logs none.
#[test]
fn typing_a_filter_logs_one_problem_not_one_per_keystroke() {
    let filter_errors = |s: &super::state::State| {
        s.messages
            .items
            .iter()
            .filter(|m| m.error && m.text.starts_with("filter /"))
            .count()
    };
    let mut s = loaded();
    key(&mut s, KeyCode::Char('/'));
    super::tests::typed(&mut s, "ping:onl");
    key(&mut s, KeyCode::Enter);
    assert_eq!(filter_errors(&s), 0, "a valid filter at the end");
    key(&mut s, KeyCode::Char('/'));
    super::tests::typed(&mut s, "nosuchfield:x");
    key(&mut s, KeyCode::Enter);
    assert_eq!(filter_errors(&s), 1);
    let last = s.messages.items.last().unwrap();
    assert!(last.text.contains("nosuchfield:x"), "{}", last.text);
}
