//! Help completeness: walks the view/pane registry (opening every view the way a user does,
//! through every tab of it) and the field tables, and fails when the help (`?`) leaves out
//! a key binding, a pane's own keys or a filter field.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Msg;
use super::effect::{JobEvent, JobId, JobKind};
use super::fixture;
use super::state::State;
use super::tests::{command, key, keymap, loaded, send};
use super::views::REGISTRY;

/// The help as drawn (every row, wrapped at `w`), whitespace squashed so wrapped text reads
/// as one string.
fn help_text(s: &State, w: u16) -> String {
    let rows = super::help::screen_rows(s, &keymap(), w);
    let text: String = rows
        .iter()
        .map(|r| format!("{} {} ", r.key, r.text))
        .collect();
    squashed(&text)
}

fn squashed(text: &str) -> String {
    text.split_whitespace().collect()
}

/// Open view `id` as a user does on the fixture: `:id`, Enter for node detail, the schedule
/// drill for a window and an execution, Enter on a row for the node lists.
fn open_view(id: &str) -> State {
    let mut s = loaded();
    match id {
        "node" => {
            command(&mut s, "nodes");
            key(&mut s, KeyCode::Enter);
        }
        "window" | "execution" => super::sched_drill::drill(&mut s, id),
        "patch_nodes" => {
            send(&mut s, Msg::PatchIndex(fixture::patch_index()));
            command(&mut s, "patches");
            key(&mut s, KeyCode::Enter);
        }
        "software_nodes" => {
            command(&mut s, "software");
            let id = JobId {
                owner: s.stack.last().expect("a view").owner,
                kind: JobKind::Software,
            };
            let inv = JobEvent::Software(Ok(Box::new(fixture::software())));
            send(&mut s, Msg::Job(id, inv));
            key(&mut s, KeyCode::Enter);
        }
        _ => {
            command(&mut s, id);
        }
    }
    s
}

/// Every field name of every table of the view on top (each tab in turn).
fn fields_of_every_tab(s: &mut State) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for _ in 0..6 {
        if let Some((_, src)) = s.view().table() {
            out.extend(src.fields().iter().map(|f| f.name));
        }
        if !s.view_mut().tab(1) {
            break;
        }
        s.prepare();
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn help_names_every_view_key_pane_key_and_filter_field_of_the_registry() {
    let km = keymap();
    let on_nodes = loaded();
    for w in [80u16, 200] {
        let help = help_text(&on_nodes, w);
        for spec in REGISTRY {
            assert!(
                help.contains(&squashed(spec.describe)),
                "{}: not described at {w}",
                spec.id
            );
            // its own keymap section, whether or not it is open
            for (a, keys) in km.section(spec.id) {
                let k = keys[0].to_string();
                assert!(
                    help.contains(&squashed(&format!("{k} {}", a.describe()))),
                    "{}: key {k} ({a}) missing at {w}",
                    spec.id
                );
            }
            // the keys a pane reads itself (forms, choices, search)
            for (keys, what) in super::help::pane_keys(spec.id) {
                assert!(
                    help.contains(&squashed(&format!("{keys} {what}"))),
                    "{}: {keys} missing at {w}",
                    spec.id
                );
            }
        }
        for (field, _) in super::views::command_output::FILTER_FIELDS {
            assert!(help.contains(&format!("/{field}")), "command pane /{field}");
        }
    }
    // every pane that reads keys itself has them in the help
    for id in [
        "patch_now",
        "run",
        "rerun",
        "command_output",
        "describe",
        "raw",
        "export",
        "export_report",
        "columns",
    ] {
        assert!(
            REGISTRY.iter().any(|s| s.id == id),
            "{id} is not a registry id"
        );
        assert!(!super::help::pane_keys(id).is_empty(), "{id}: no keys");
    }
    // every filter field of every table of every view, opened as a user opens it
    let help = help_text(&on_nodes, 120);
    for spec in REGISTRY.iter().filter(|s| s.is_view()) {
        let mut s = open_view(spec.id);
        assert_eq!(s.view().id(), spec.id, "could not open {}", spec.id);
        let fields = fields_of_every_tab(&mut s);
        for f in &fields {
            assert!(
                help.contains(&format!("{f}:")),
                "{}: filter field {f}: missing from the help",
                spec.id
            );
        }
        // and on that view the help shows its keys and its filter fields first
        let here = help_text(&s, 120);
        assert!(
            here.contains(&squashed(&format!("Keys — {}", spec.id))),
            "{}",
            spec.id
        );
        let sections = super::views::sections(spec.id);
        for (a, _) in km.effective(&sections) {
            assert!(here.contains(&squashed(a.describe())), "{}: {a}", spec.id);
        }
        if let Some((_, src)) = s.view().table() {
            for f in src.fields() {
                assert!(
                    here.contains(&squashed(f.help)),
                    "{}: {} help text",
                    spec.id,
                    f.name
                );
            }
        }
    }
}

/// The name the help gives a key (`letters` for any printable character).
fn key_name(k: &KeyEvent) -> String {
    if let KeyCode::Char(c) = k.code
        && k.modifiers.contains(KeyModifiers::CONTROL)
    {
        return format!("ctrl-{c}");
    }
    match k.code {
        KeyCode::Char(_) => "letters",
        KeyCode::Up => "↑",
        KeyCode::Down => "↓",
        KeyCode::Left => "←",
        KeyCode::Right => "→",
        KeyCode::Backspace => "backspace",
        KeyCode::Delete => "delete",
        KeyCode::Tab => "tab",
        KeyCode::BackTab => "backtab",
        KeyCode::Home => "home",
        KeyCode::End => "end",
        KeyCode::Enter => "enter",
        KeyCode::Esc => "esc",
        KeyCode::PageUp => "pgup",
        KeyCode::PageDown => "pgdn",
        _ => "other",
    }
    .to_string()
}

fn candidate_keys() -> Vec<KeyEvent> {
    let mut v: Vec<KeyEvent> = [
        KeyCode::Char('a'),
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Insert,
        KeyCode::F(2),
    ]
    .into_iter()
    .map(|c| KeyEvent::new(c, KeyModifiers::NONE))
    .collect();
    v.push(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    v
}

#[test]
fn every_key_the_patch_now_and_run_forms_read_is_in_their_key_tables() {
    use super::views::{patch_now, run};
    let named = |table: &[(&str, &str)], name: &str| {
        table
            .iter()
            .any(|(keys, _)| keys.split_whitespace().any(|k| k == name))
    };
    for k in candidate_keys() {
        if patch_now::key_input(&k).is_some() {
            assert!(
                named(patch_now::FORM_KEYS, &key_name(&k)),
                "patch now reads {} ({k:?}) but its help does not say so",
                key_name(&k)
            );
        }
        if run::key_input(&k).is_some() || k.modifiers.contains(KeyModifiers::CONTROL) {
            assert!(
                named(run::FORM_KEYS, &key_name(&k)),
                "the run pane reads {} ({k:?}) but its help does not say so",
                key_name(&k)
            );
        }
    }
}
