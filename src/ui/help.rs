//! The help overlay's content (`?`), generated from the tables the console runs on: the
//! live keymap (every section in effect here, every pane's section), the `:` command table
//! ([`super::command::help_lines`]), the pane registry and each view's filter fields
//! ([`super::table::RowSource::fields`]). Laid out in one column, descriptions wrapped
//! under themselves, so nothing is cut; the overlay scrolls (j/k, PgUp/PgDn, g/G).

use super::action::Action;
use super::keymap::Keymap;
use super::state::State;
use super::table::RowSource;
use super::theme::Role;
use super::views::{REGISTRY, sections as view_sections};

/// One help entry: a key (or command / field) and what it does; `Title` rows are headings.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub text: String,
    pub role: Role,
}

fn entry(key: impl Into<String>, text: impl Into<String>) -> Entry {
    Entry {
        key: key.into(),
        text: text.into(),
        role: Role::Text,
    }
}

fn heading(out: &mut Vec<Entry>, title: impl Into<String>) {
    if !out.is_empty() {
        out.push(entry("", ""));
    }
    out.push(Entry {
        key: title.into(),
        text: String::new(),
        role: Role::Title,
    });
}

fn keys_text(keys: &[super::keymap::KeyCombo]) -> String {
    keys.iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The filter syntax and one view's `field:` terms (from the view's own field table).
fn filter_entries(out: &mut Vec<Entry>, view: &str, src: &dyn RowSource) {
    let f = src.fields();
    heading(out, format!("Filter (/) — {view}"));
    out.push(entry(
        "syntax",
        "a word is a case-insensitive substring of the row · a regex when it has ^$*+?()[]{}|\\ · -r regex · -f fuzzy · field:value narrows by a field · !negates a word or a term · esc clears",
    ));
    for spec in f {
        out.push(entry(
            format!("{}:", spec.name),
            format!("{} — {}", spec.values(), spec.help),
        ));
    }
}

/// Shared keys a pane answers to through the keymap (its own section first, then global).
const PANE_COMMON: &[(Action, &str)] = &[
    (Action::Back, "close (or clear the search)"),
    (Action::Up, "up"),
    (Action::Down, "down"),
    (Action::PageUp, "page up"),
    (Action::PageDown, "page down"),
    (Action::Top, "top"),
    (Action::Bottom, "bottom"),
    (Action::FilterMode, "search"),
    (Action::Help, "this help"),
];

/// Every help entry for what is on screen now: the top pane's keys (if any), the view's
/// keys, its filter, the commands, every pane's keys and every view's filter fields.
pub fn entries(state: &State, keymap: &Keymap) -> Vec<Entry> {
    let mut out = Vec::new();
    if let Some(p) = state.panes.last() {
        heading(
            &mut out,
            format!("Keys — {}", crate::text::sanitize(&p.title())),
        );
        let sections = [p.id()];
        for (a, label) in p.hints() {
            let keys = keymap.keys_for(&sections, a);
            if !keys.is_empty() {
                out.push(entry(
                    keys_text(&keys),
                    format!("{label} — {}", a.describe()),
                ));
            }
        }
        for (a, keys) in keymap.section(p.id()) {
            if !p.hints().iter().any(|(h, _)| *h == a) {
                out.push(entry(keys_text(&keys), a.describe()));
            }
        }
    }
    let view = state.view();
    let sections = view_sections(view.id());
    heading(
        &mut out,
        format!("Keys — {} (keymap {})", view.id(), keymap.name),
    );
    for (a, keys) in keymap.effective(&sections) {
        out.push(entry(keys_text(&keys), a.describe()));
    }
    if let Some((t, src)) = view.table() {
        // k9s: shift+letter sorts by a column (the letter underlined in its header)
        let shown = t.shown_columns(src.columns());
        let hk = super::table::sort_hotkeys(src.columns(), &shown, &keymap.bound_upper(&sections));
        if !hk.is_empty() {
            let cols: Vec<String> = hk
                .iter()
                .map(|(c, k, _)| format!("{k} {}", src.columns()[*c].title))
                .collect();
            out.push(entry(
                "shift+letter",
                format!(
                    "sort by that column, again to reverse: {}",
                    cols.join(" · ")
                ),
            ));
        }
        filter_entries(&mut out, view.id(), src);
    }
    heading(&mut out, "Commands (:)");
    for (name, desc) in super::command::help_lines() {
        out.push(entry(name, desc));
    }
    heading(&mut out, "Views");
    for spec in REGISTRY.iter().filter(|s| s.is_view()) {
        let own = keymap.section(spec.id);
        let cmds = spec
            .commands
            .iter()
            .map(|c| format!(":{c}"))
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Entry {
            key: spec.id.to_string(),
            text: if cmds.is_empty() {
                format!("{} — reached with enter", spec.describe)
            } else {
                format!("{} — {cmds}", spec.describe)
            },
            role: Role::Key,
        });
        for (a, keys) in own {
            out.push(entry(format!("  {}", keys_text(&keys)), a.describe()));
        }
    }
    heading(&mut out, "Panes");
    for spec in REGISTRY.iter().filter(|s| !s.is_view()) {
        let cmds = spec
            .commands
            .iter()
            .map(|c| format!(":{c}"))
            .collect::<Vec<_>>()
            .join(" ");
        let opener = spec
            .action
            .map(|a| keys_text(&keymap.keys_for(&sections, a)))
            .filter(|k| !k.is_empty());
        out.push(Entry {
            key: spec.id.to_string(),
            text: format!(
                "{} — {}{cmds}",
                spec.describe,
                opener.map(|k| format!("key {k} · ")).unwrap_or_default()
            ),
            role: Role::Key,
        });
        for (a, keys) in keymap.section(spec.id) {
            out.push(entry(format!("  {}", keys_text(&keys)), a.describe()));
        }
        for (keys, what) in pane_keys(spec.id) {
            out.push(entry(format!("  {keys}"), *what));
        }
        if spec.id == super::views::command_output::ID {
            for (field, what) in super::views::command_output::FILTER_FIELDS {
                out.push(entry(format!("  /{field}"), *what));
            }
        }
        let common: Vec<String> = PANE_COMMON
            .iter()
            .filter_map(|(a, label)| {
                let k = keymap.keys_for(&[spec.id], *a);
                k.first().map(|k| format!("{k} {label}"))
            })
            .collect();
        out.push(entry("  also", common.join(" · ")));
    }
    heading(&mut out, "Filter fields of every view");
    for (label, fields) in view_fields() {
        if !fields.is_empty() {
            let names: Vec<String> = fields.iter().map(|f| format!("{}:", f.name)).collect();
            out.push(entry(label, names.join(" ")));
        }
    }
    out
}

/// The keys a pane reads itself or answers besides its keymap section (text fields,
/// choices, search), from each pane's own table.
pub fn pane_keys(id: &str) -> &'static [(&'static str, &'static str)] {
    use super::views::{chooser, command_output, describe, export, patch_now, run, run_open};
    match id {
        patch_now::ID => patch_now::FORM_KEYS,
        run::ID | run_open::RERUN_ID => run::FORM_KEYS,
        command_output::ID => command_output::PANE_KEYS,
        describe::ID | describe::RAW_ID => describe::PANE_KEYS,
        id if id == export::SPEC.id || id == export::REPORT_SPEC.id => export::DIALOG_KEYS,
        id if id == chooser::SPEC.id => chooser::CHOOSER_KEYS,
        _ => &[],
    }
}

/// The `field:` names every list accepts, from each view's row source (node detail: its
/// patch, invocation and software tables).
pub fn view_fields() -> Vec<(String, &'static [super::filter::FieldSpec])> {
    use super::views::{certs, commands, compliance, errors, node, nodes, org};
    let srcs: Vec<(&str, Box<dyn RowSource>)> = vec![
        ("org", Box::new(org::OrgSource::default())),
        ("nodes", Box::new(nodes::NodesSource::default())),
        (
            "compliance",
            Box::new(compliance::BreakdownSource::default()),
        ),
        ("certs", Box::new(certs::CertsSource::default())),
        ("commands", Box::new(commands::CommandsSource::default())),
        ("errors", Box::new(errors::ErrorsSource::default())),
        ("node patches", Box::new(node::PatchesSource::default())),
        (
            "node invocations",
            Box::new(node::InvocationsSource::default()),
        ),
        (
            "node software",
            Box::new(super::views::node_software::AppsSource::default()),
        ),
        // #16
        (
            "patches",
            Box::new(super::views::patches::PatchesSource::default()),
        ),
        (
            "patch / software nodes",
            Box::new(super::views::node_list::NodeListSource::default()),
        ),
        (
            "software",
            Box::new(super::views::software::SoftwareSource::default()),
        ),
        // #15: patch schedules
        (
            "windows",
            Box::new(super::views::windows::WindowsSource::default()),
        ),
        (
            "window executions",
            Box::new(super::views::window::ExecutionsSource::default()),
        ),
        (
            "execution invocations",
            Box::new(super::views::execution::InvocationsSource::default()),
        ),
        (
            "baselines",
            Box::new(super::views::baselines::BaselinesSource::default()),
        ),
        // #18: profiles
        ("ctx", Box::new(super::views::ctx::CtxSource::default())),
        // #18: the message log
        (
            "messages",
            Box::new(super::views::messages::MessagesSource::default()),
        ),
    ];
    srcs.into_iter()
        .map(|(label, src)| (label.to_string(), src.fields()))
        .collect()
}

/// One screen row of the help: `key` shown on the entry's first row only.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub key: String,
    pub text: String,
    pub role: Role,
    pub first: bool,
}

/// Width of the key column for `width` cells.
pub fn key_width(width: u16) -> usize {
    (width as usize / 4).clamp(8, 18)
}

/// The entries wrapped to `width` cells: keys longer than the key column get a row of
/// their own, descriptions wrap under themselves. Never cuts a character.
pub fn rows(entries: &[Entry], width: u16) -> Vec<Row> {
    let kw = key_width(width);
    let text_w = (width as usize).saturating_sub(kw + 2).max(8);
    let mut out = Vec::new();
    for e in entries {
        if e.role == Role::Title {
            let chars: Vec<char> = e.key.chars().collect();
            for (s, t) in super::views::describe::wrap(&chars, (width as usize).max(1)) {
                out.push(Row {
                    key: chars[s..t].iter().collect(),
                    text: String::new(),
                    role: Role::Title,
                    first: true,
                });
            }
            continue;
        }
        let key_chars = e.key.chars().count();
        if key_chars > kw {
            out.push(Row {
                key: e.key.clone(),
                text: String::new(),
                role: e.role,
                first: true,
            });
        }
        let chars: Vec<char> = e.text.chars().collect();
        for (i, (s, t)) in super::views::describe::wrap(&chars, text_w)
            .into_iter()
            .enumerate()
        {
            out.push(Row {
                key: if i == 0 && key_chars <= kw {
                    e.key.clone()
                } else {
                    String::new()
                },
                text: chars[s..t].iter().collect(),
                role: e.role,
                first: i == 0,
            });
        }
    }
    out
}

/// Rows of the help for the current screen (the overlay's inner width).
pub fn screen_rows(state: &State, keymap: &Keymap, width: u16) -> Vec<Row> {
    rows(&entries(state, keymap), width)
}

/// Where the overlay goes inside the body (between breadcrumbs and footer).
pub fn overlay(body: ratatui::layout::Rect) -> ratatui::layout::Rect {
    super::layout::centered(body, 80, 90, 60, 12)
}

/// The overlay's inside for a terminal of `size`: (width, height).
pub fn inner_size(size: (u16, u16)) -> (u16, u16) {
    let area = ratatui::layout::Rect::new(0, 0, size.0, size.1);
    let body = super::layout::without_bottom(super::layout::below(area, 2), 1);
    let r = overlay(body);
    (r.width.saturating_sub(2), r.height.saturating_sub(2))
}

/// The largest useful scroll for the help on this screen.
pub fn max_scroll(state: &State, keymap: &Keymap) -> usize {
    let (w, h) = inner_size(state.size);
    screen_rows(state, keymap, w)
        .len()
        .saturating_sub(h as usize)
}
