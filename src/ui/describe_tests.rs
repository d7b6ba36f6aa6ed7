//! Describe / raw panes and Enter on every row kind, as a user sees them (screens at 80×24
//! and 120×40, insta snapshots in `src/ui/snapshots/describe_*`).

use crossterm::event::KeyCode;

use super::action::Effect;
use super::state::State;
use super::tests::{command, key, loaded, screen, state_for, typed};
use super::views::describe as pane;

fn top_id(s: &State) -> Option<&'static str> {
    s.panes.last().map(|p| p.id())
}

/// The screen with every run of whitespace removed (wrapped text reads as one string).
fn squashed(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect()
}

fn filter(s: &mut State, f: &str) {
    key(s, KeyCode::Char('/'));
    typed(s, f);
    key(s, KeyCode::Enter);
}

fn snap(name: &str, s: &mut State) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            insta::assert_snapshot!(format!("describe_{name}_{w}x{h}"), screen(s, w, h));
        }
    });
}

#[test]
fn enter_on_a_certificate_shows_sans_in_use_by_and_the_renewal_failure() {
    let mut s = loaded();
    command(&mut s, "certs");
    filter(&mut s, "shop.example");
    key(&mut s, KeyCode::Enter);
    assert_eq!(top_id(&s), Some(pane::ID));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("www.shop.example.com"), "{text}");
    assert!(
        squashed(&text).contains(
            "arn:aws:elasticloadbalancing:us-east-1:444444444444:loadbalancer/app/shop/50dc6c495c0c9188"
        ),
        "{text}"
    );
    assert!(text.contains("ADDITIONAL_VERIFICATION_REQUIRED"), "{text}");
    assert!(text.contains("renewal failed"), "{text}");
    snap("certificate", &mut s);
}

#[test]
fn enter_on_an_error_shows_the_whole_message_wrapped_with_where_and_when() {
    let mut s = loaded();
    command(&mut s, "errors");
    filter(&mut s, "account:dev-sandbox");
    key(&mut s, KeyCode::Enter);
    assert_eq!(top_id(&s), Some(pane::ID));
    let text = screen(&mut s, 80, 24);
    let whole = "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::777777777777:role/OrganizationAccountAccessRole";
    assert!(squashed(&text).contains(&squashed(whole)), "{text}");
    for want in [
        "AssumeRole",
        "dev-sandbox (777777777777)",
        "40s ago",
        "Retrying",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    snap("error", &mut s);
}

#[test]
fn enter_on_a_patch_row_shows_every_cve_and_the_installed_time() {
    let mut s = state_for("node", "loaded");
    let (cves, kb) = {
        let v = s
            .view()
            .as_any()
            .downcast_ref::<super::views::node::NodeView>()
            .expect("node detail");
        let r = v.patch_table.selected_row().unwrap();
        let p = &v.patch_src.patches[r];
        (p.cve_ids.clone(), p.kb_id.clone())
    };
    key(&mut s, KeyCode::Enter);
    assert_eq!(top_id(&s), Some(pane::ID));
    let text = screen(&mut s, 80, 24);
    assert!(text.contains(&kb), "{text}");
    for c in &cves {
        assert!(text.contains(c.as_str()), "{c}: {text}");
    }
    for want in ["Classification", "Severity", "State", "Installed"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    snap("patch", &mut s);
}

#[test]
fn enter_on_an_unreadable_account_says_why_instead_of_no_nodes() {
    let mut s = loaded();
    command(&mut s, "org");
    filter(&mut s, "dev-sandbox");
    key(&mut s, KeyCode::Enter);
    assert_eq!(
        top_id(&s),
        Some(pane::ID),
        "a describe pane, not an empty nodes view"
    );
    assert_eq!(s.view().id(), "org");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("could not be read"), "{text}");
    assert!(text.contains("AccessDenied"), "{text}");
    assert!(squashed(&text).contains("sts:AssumeRole"), "{text}");
    snap("account_unreadable", &mut s);
    // a readable account still drills into its nodes
    key(&mut s, KeyCode::Esc); // closes the pane
    key(&mut s, KeyCode::Esc); // clears the filter
    filter(&mut s, "prod-web");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().id(), "nodes");
}

#[test]
fn d_describes_and_y_shows_raw_json_for_every_view() {
    for kind in super::tests::view_ids() {
        let mut s = state_for(kind, "loaded");
        key(&mut s, KeyCode::Char('d'));
        assert_eq!(top_id(&s), Some(pane::ID), "{kind}");
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("Describe ·"), "{kind}: {text}");
        // y switches to the raw JSON of the same record; c copies it, and it parses
        key(&mut s, KeyCode::Char('y'));
        assert_eq!(top_id(&s), Some(pane::RAW_ID), "{kind}");
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("[raw]"), "{kind}: {text}");
        let fx = key(&mut s, KeyCode::Char('c'));
        let copied = fx
            .iter()
            .find_map(|e| match e {
                Effect::Clipboard(t) => Some(t.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{kind}: c copies: {fx:?}"));
        let v: serde_json::Value = serde_json::from_str(&copied).expect("raw view is JSON");
        assert!(v.is_object(), "{kind}: {copied}");
        key(&mut s, KeyCode::Esc);
        assert!(s.panes.is_empty(), "{kind}: Esc closes");
    }
}

#[test]
fn raw_view_of_a_node_is_its_record_and_y_opens_it_directly() {
    let mut s = loaded();
    key(&mut s, KeyCode::Char('y'));
    assert_eq!(top_id(&s), Some(pane::RAW_ID));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("\"instance_id\": \"i-"), "{text}");
    assert!(text.contains("\"ping_status\""), "{text}");
    snap("node_raw", &mut s);
}

#[test]
fn search_highlights_matches_and_n_moves_through_them() {
    let mut s = state_for("nodes", "loaded");
    key(&mut s, KeyCode::Char('d'));
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "ago");
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    let status = text
        .lines()
        .find(|l| l.contains("/ago"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(status.contains("[1/"), "{status}");
    key(&mut s, KeyCode::Char('n'));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("[2/"), "{text}");
    key(&mut s, KeyCode::Char('N'));
    key(&mut s, KeyCode::Char('N'));
    let text = screen(&mut s, 120, 40);
    assert!(
        !text.contains("[1/") && !text.contains("[2/"),
        "wraps to the last: {text}"
    );
    // Esc first clears the search, then closes
    key(&mut s, KeyCode::Esc);
    assert_eq!(top_id(&s), Some(pane::ID));
    assert!(!screen(&mut s, 120, 40).contains("/ago"));
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.is_empty());
}

#[test]
fn a_long_document_scrolls_to_its_last_line_at_80x24() {
    let mut s = state_for("nodes", "loaded");
    key(&mut s, KeyCode::Char('d'));
    let first = screen(&mut s, 80, 24);
    assert!(first.contains("Identity"), "{first}");
    key(&mut s, KeyCode::Char('G'));
    let last = screen(&mut s, 80, 24);
    assert!(!last.contains("Identity"), "{last}");
    assert!(
        last.contains("Other non-compl.") || last.contains("never scanned"),
        "{last}"
    );
    key(&mut s, KeyCode::Char('g'));
    assert!(screen(&mut s, 80, 24).contains("Identity"));
    snap("node", &mut s);
}

#[test]
fn hostile_names_are_sanitized_in_describe_and_raw() {
    let mut s = loaded();
    // the node whose name carries an OSC title sequence and a screen clear
    for _ in 0..60 {
        let hostile = s
            .view()
            .as_any()
            .downcast_ref::<super::views::nodes::NodesView>()
            .and_then(|v| v.table.selected_row().map(|r| v.src.node(r).name.clone()))
            .is_some_and(|n| n.contains("pwned"));
        if hostile {
            break;
        }
        key(&mut s, KeyCode::Down);
    }
    key(&mut s, KeyCode::Char('d'));
    assert_eq!(top_id(&s), Some(pane::ID));
    for mode in ['d', 'y'] {
        key(&mut s, KeyCode::Char(mode));
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("db-03"), "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
    }
}

#[test]
fn describe_says_why_when_there_is_nothing_to_describe() {
    let mut s = state_for("errors", "empty");
    key(&mut s, KeyCode::Char('d'));
    assert!(s.panes.is_empty());
    assert!(screen(&mut s, 120, 40).contains("Nothing selected to describe"));
}

/// Rewrites the README key table from the built-in keymap (the screenshots test does the
/// same along with the screenshots): `cargo test --lib -- --ignored write_readme_key_table`.
#[test]
#[ignore]
fn write_readme_key_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (head, rest) = readme.split_once("<!-- keys:begin -->\n").unwrap();
    let (_, tail) = rest.split_once("<!-- keys:end -->").unwrap();
    let new = format!(
        "{head}<!-- keys:begin -->\n{}<!-- keys:end -->{tail}",
        super::shots::keys_markdown(&super::tests::keymap())
    );
    std::fs::write(path, new).unwrap();
}

#[test]
fn help_covers_every_pane_key_and_every_filter_field_and_cuts_nothing() {
    let km = super::tests::keymap();
    // widths of a small and a big terminal; tall enough to hold the whole help at once
    for w in [80u16, 200] {
        let mut s = loaded();
        key(&mut s, KeyCode::Char('?'));
        let full = screen(&mut s, w, 1000);
        // only the overlay's cells (the table behind it is not the help's business)
        let r = super::help::overlay(ratatui::layout::Rect::new(0, 2, w, 1000 - 3));
        let all: String = full
            .lines()
            .skip(r.y as usize)
            .take(r.height as usize)
            .map(|l| {
                let cells: String = l
                    .chars()
                    .skip(r.x as usize)
                    .take(r.width as usize)
                    .collect();
                cells + "\n"
            })
            .collect();
        let flat = squashed(&all);
        assert!(!all.contains('…'), "{w}: help cut a line:\n{all}");
        for spec in super::views::REGISTRY.iter().filter(|s| !s.is_view()) {
            assert!(
                flat.contains(&squashed(spec.describe)),
                "{}: {w}\n{all}",
                spec.id
            );
            for (a, _) in km.section(spec.id) {
                assert!(flat.contains(&squashed(a.describe())), "{}: {a}", spec.id);
            }
        }
        for (view, fields) in super::help::view_fields() {
            for f in fields {
                assert!(all.contains(f.name), "{view} field {}: {w}", f.name);
            }
        }
    }
    // at 80×24 it scrolls: G shows the last rows, g the first, PgDn moves a page
    let mut s = loaded();
    key(&mut s, KeyCode::Char('?'));
    let first = screen(&mut s, 80, 24);
    assert!(first.contains("Keys — nodes"), "{first}");
    assert!(first.contains("rows 1–"), "{first}");
    key(&mut s, KeyCode::PageDown);
    assert!(!screen(&mut s, 80, 24).contains("Keys — nodes"));
    key(&mut s, KeyCode::Char('G'));
    let last = screen(&mut s, 80, 24);
    assert!(last.contains("node software"), "{last}");
    key(&mut s, KeyCode::Char('g'));
    assert_eq!(screen(&mut s, 80, 24), first);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("help_80x24", first));
}

#[test]
fn help_opens_over_a_pane_with_that_pane_keys_first() {
    let mut s = loaded();
    key(&mut s, KeyCode::Char('d'));
    key(&mut s, KeyCode::Char('?'));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("Keys — Describe"), "{text}");
    assert!(text.contains("copy"), "{text}");
    key(&mut s, KeyCode::Esc);
    assert_eq!(
        top_id(&s),
        Some(pane::ID),
        "Esc closes the help, not the pane"
    );
    assert!(!screen(&mut s, 120, 40).contains("Keys — Describe"));
}

/// Describing an invocation agrees with the command pane: a PatchWindows step on Linux
/// (AWS: Success with "Step execution skipped") says skipped, and a step still running
/// shows no exit code (its 0 is not one) — nor does the command pane's step line.
#[test]
fn describe_says_skipped_and_no_exit_code_until_a_step_ends() {
    use crate::model::{CommandInvocation, CommandPluginOutput};
    let skipped = CommandPluginOutput {
        name: "PatchWindows".into(),
        status: "Success".into(),
        stdout: "Step execution skipped due to unsatisfied preconditions: '\"platformType\" StringEquals \"Windows\"'".into(),
        ..Default::default()
    };
    let running = CommandPluginOutput {
        name: "PatchLinux".into(),
        status: "InProgress".into(),
        response_code: 0,
        ..Default::default()
    };
    let inv = CommandInvocation {
        command_id: "c-1".into(),
        instance_id: "i-1".into(),
        status: "InProgress".into(),
        plugins: vec![skipped.clone(), running.clone()],
        ..Default::default()
    };
    let snap = crate::ui::fixture::snapshot();
    let text = super::views::doc::invocation(&snap, &inv, crate::ui::fixture::now()).plain_text();
    assert!(text.contains("skipped (not this platform)"), "{text}");
    assert!(
        !text.contains("Response code"),
        "no exit code while running: {text}"
    );
    // the command pane's step lines say the same
    use crate::actions::output::{LineKind, PluginOutput, TargetOutput};
    let out = TargetOutput {
        plugins: vec![
            PluginOutput {
                name: skipped.name.clone(),
                status: skipped.status.clone(),
                stdout: skipped.stdout.clone(),
                ..Default::default()
            },
            PluginOutput {
                name: running.name.clone(),
                status: running.status.clone(),
                ..Default::default()
            },
        ],
        key: crate::model::NodeKey {
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            instance_id: "i-1".into(),
        },
        command_id: "c-1".into(),
    };
    let steps: Vec<String> = out
        .lines()
        .into_iter()
        .filter(|l| l.kind == LineKind::Step)
        .map(|l| l.text)
        .collect();
    assert!(
        steps[0].contains("skipped (not this platform)"),
        "{steps:?}"
    );
    assert!(
        steps[0].contains("exit 0"),
        "a skipped step ended: {steps:?}"
    );
    assert!(!steps[1].contains("exit"), "still running: {steps:?}");
}
