//! What a k9s user notices, through keys and the drawn screen: `:patch account NAME`,
//! filter semantics and errors, shift+letter sorting, `:org` sorting, wide mode, column
//! choices, the cursor among marks, vim visual ranges, startup command and filter.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::{Effect, Msg};
use super::fixture;
use super::keymap::Keymap;
use super::state::{Meta, State};
use super::theme::{ColorMode, Theme};
use super::update::{selection, update};
use super::views::frame::render;

pub(super) fn keymap(name: &str) -> Keymap {
    Keymap::load(name, std::path::Path::new("/nonexistent")).unwrap()
}

pub(super) fn loaded_with(km: &str) -> (State, Keymap) {
    let meta = Meta {
        demo: true,
        readonly: true,
        theme: "default".into(),
        keymap: km.into(),
        ..Default::default()
    };
    let k = keymap(km);
    let mut s = State::new(meta, fixture::now());
    update(&mut s, Msg::Fleet(fixture::update()), &k);
    s.size = (120, 40);
    s.prepare();
    (s, k)
}

pub(super) fn loaded() -> (State, Keymap) {
    loaded_with("default")
}

pub(super) fn press(s: &mut State, k: &Keymap, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    let fx = update(s, Msg::Key(KeyEvent::new(code, mods)), k);
    s.prepare();
    fx
}

pub(super) fn key(s: &mut State, k: &Keymap, code: KeyCode) -> Vec<Effect> {
    press(s, k, code, KeyModifiers::NONE)
}

pub(super) fn typed(s: &mut State, k: &Keymap, text: &str) {
    for c in text.chars() {
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        press(s, k, KeyCode::Char(c), mods);
    }
}

pub(super) fn command(s: &mut State, k: &Keymap, line: &str) {
    key(s, k, KeyCode::Char(':'));
    typed(s, k, line);
    key(s, k, KeyCode::Enter);
}

pub(super) fn filter(s: &mut State, k: &Keymap, text: &str) {
    key(s, k, KeyCode::Char('/'));
    press(s, k, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(s, k, text);
    key(s, k, KeyCode::Enter);
}

pub(super) fn screen(s: &mut State, k: &Keymap, w: u16, h: u16) -> String {
    s.size = (w, h);
    s.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let t = Theme::load_in(
        "default",
        std::path::Path::new("/nonexistent"),
        ColorMode::TrueColor,
    )
    .unwrap();
    term.draw(|f| render(f, s, &t, k)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub(super) fn ids(s: &State) -> Vec<String> {
    let (t, src) = s.view().table().unwrap();
    t.order.iter().map(|&r| src.id(r as usize)).collect()
}

fn selected_id(s: &State) -> Option<String> {
    let (t, src) = s.view().table().unwrap();
    t.selected_row().map(|r| src.id(r))
}

fn last_toast(s: &State) -> String {
    s.toasts.back().map(|t| t.text.clone()).unwrap_or_default()
}

#[test]
fn patch_account_by_name_opens_patch_now_even_through_tab_completion() {
    let (mut s, k) = loaded();
    // typed in full
    command(&mut s, &k, "patch account prod-web");
    assert_eq!(s.panes.len(), 1, "{}", last_toast(&s));
    assert_eq!(s.panes[0].id(), "patch_now");
    assert!(
        s.panes[0].title().contains("prod-web"),
        "{}",
        s.panes[0].title()
    );
    key(&mut s, &k, KeyCode::Esc);
    assert!(s.panes.is_empty());
    // `:pat<Tab>` completes to `patch `, then `acc<Tab>` to `patch account `
    key(&mut s, &k, KeyCode::Char(':'));
    typed(&mut s, &k, "pat");
    key(&mut s, &k, KeyCode::Tab);
    assert_eq!(s.prompt.as_ref().unwrap().input, "patch ");
    typed(&mut s, &k, "acc");
    key(&mut s, &k, KeyCode::Tab);
    assert_eq!(s.prompt.as_ref().unwrap().input, "patch account ");
    typed(&mut s, &k, "prod-web");
    key(&mut s, &k, KeyCode::Enter);
    assert_eq!(s.panes.len(), 1, "{}", last_toast(&s));
    assert!(!last_toast(&s).contains("takes no argument"));
}

#[test]
fn filter_is_a_substring_puts_the_cursor_on_the_first_match_and_fuzzy_is_on_request() {
    let (mut s, k) = loaded();
    key(&mut s, &k, KeyCode::Char('G')); // cursor far down first
    filter(&mut s, &k, "prod-web");
    let snap = fixture::snapshot();
    let shown = ids(&s);
    assert!(!shown.is_empty());
    // every row really contains `prod-web` somewhere in what is drawn
    let (t, src) = s.view().table().unwrap();
    for &r in &t.order {
        let text: String = (0..src.columns().len())
            .map(|c| src.text(r as usize, c).to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("prod-web"), "{text}");
    }
    assert_eq!(
        selected_id(&s).as_deref(),
        shown.first().map(String::as_str),
        "the cursor is on the first match"
    );
    let text = screen(&mut s, &k, 120, 40);
    let first = text.lines().nth(3).unwrap();
    assert!(first.starts_with('▸'), "{text}");
    // fuzzy matches more (characters in order), only when asked for
    filter(&mut s, &k, "-f prod-web");
    assert!(ids(&s).len() >= shown.len());
    assert!(snap.nodes.len() >= ids(&s).len());
}

#[test]
fn an_invalid_filter_says_why_and_shows_no_rows() {
    let (mut s, k) = loaded();
    filter(&mut s, &k, "frob:x");
    assert!(ids(&s).is_empty(), "not every row");
    let text = screen(&mut s, &k, 120, 40);
    assert!(text.contains("unknown field `frob`"), "{text}");
    assert!(text.contains("fields here: account"), "{text}");
    // #16: `cve:` is a field now; a malformed id says so (never an empty "all clear")
    filter(&mut s, &k, "cve:x");
    assert!(ids(&s).is_empty(), "not every row");
    let text = screen(&mut s, &k, 120, 40);
    assert!(
        text.contains("cve: wants an id like CVE-2024-12345"),
        "{text}"
    );
    filter(&mut s, &k, "stale:maybe");
    assert!(ids(&s).is_empty());
    assert!(screen(&mut s, &k, 120, 40).contains("use yes or no"));
    filter(&mut s, &k, "prod-(web");
    assert!(ids(&s).is_empty());
    assert!(screen(&mut s, &k, 120, 40).contains("invalid regex"));
    // a regex that is valid filters
    filter(&mut s, &k, "^prod-web");
    assert!(!ids(&s).is_empty());
    assert!(s.view().table().unwrap().0.filter_error.is_none());
}

#[test]
fn patch_now_on_filtered_rows_says_they_are_the_filtered_rows() {
    let (mut s, k) = loaded();
    filter(&mut s, &k, "account:prod-web");
    let n = ids(&s).len();
    let targets = selection(&s, String::new()).targets();
    assert_eq!(targets.nodes.len(), n);
    assert_eq!(
        targets.from,
        format!("{n} filtered rows (/account:prod-web)")
    );
}

#[test]
fn shift_letter_sorts_by_the_underlined_column_and_again_reverses() {
    let (mut s, k) = loaded();
    let text = screen(&mut s, &k, 120, 40);
    let header = text.lines().nth(2).unwrap().to_string();
    assert!(header.contains("SCAN"), "{header}");
    // `S` is free in the default keymap: SCAN? no — the first free letter of each header
    let (t, src) = s.view().table().unwrap();
    let shown = t.shown_columns(src.columns());
    let hk = super::table::sort_hotkeys(src.columns(), &shown, &k.bound_upper(&["nodes", "table"]));
    let (col, letter, _) = *hk
        .iter()
        .find(|h| src.columns()[h.0].title == "PLATFORM")
        .expect("PLATFORM has a sort letter");
    press(&mut s, &k, KeyCode::Char(letter), KeyModifiers::SHIFT);
    let (t, _) = s.view().table().unwrap();
    assert_eq!((t.sort_col, t.sort_desc), (col, false));
    assert!(screen(&mut s, &k, 120, 40).contains("PLATFORM▲"));
    press(&mut s, &k, KeyCode::Char(letter), KeyModifiers::SHIFT);
    assert!(screen(&mut s, &k, 120, 40).contains("PLATFORM▼"));
    // `G` stays "last row": keys the keymap uses are never sort letters
    assert!(hk.iter().all(|h| h.1 != 'G' && h.1 != 'E'));
}

#[test]
fn org_sorts_with_the_keys_the_footer_offers_and_keeps_the_tree() {
    let (mut s, k) = loaded();
    command(&mut s, &k, "org");
    let before = ids(&s);
    key(&mut s, &k, KeyCode::Char('>'));
    key(&mut s, &k, KeyCode::Char('>')); // NODES
    let (t, src) = s.view().table().unwrap();
    assert_eq!(src.columns()[t.sort_col].title, "NODES");
    key(&mut s, &k, KeyCode::Char('r'));
    let after = ids(&s);
    assert_ne!(before, after, "the order changed");
    assert_eq!(after[0], before[0], "the root stays on top");
    let text = screen(&mut s, &k, 120, 40);
    assert!(text.contains("NODES▼"), "{text}");
    // every account is still under its OU: a row's indentation never exceeds its
    // predecessor's by more than one level
    let (t, src) = s.view().table().unwrap();
    let depths: Vec<usize> = t
        .order
        .iter()
        .map(|&r| src.depth(r as usize).unwrap())
        .collect();
    assert!(depths.windows(2).all(|w| w[1] <= w[0] + 1), "{depths:?}");
    // siblings under the root: most nodes first
    let root_kids: Vec<u32> = t
        .order
        .iter()
        .copied()
        .filter(|&r| src.depth(r as usize) == Some(1))
        .collect();
    let counts: Vec<String> = root_kids.iter().map(|&r| src.text(r as usize, 2)).collect();
    let nums: Vec<u64> = counts
        .iter()
        .map(|c| c.replace(',', "").parse().unwrap_or(0))
        .collect();
    assert!(nums.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
}

#[test]
fn wide_mode_shows_every_column_and_width_is_used() {
    let (mut s, k) = loaded();
    let narrow = screen(&mut s, &k, 120, 40);
    assert!(!narrow.contains("AGENT"));
    press(&mut s, &k, KeyCode::Char('w'), KeyModifiers::CONTROL);
    let titles: Vec<&str> = {
        let (_, src) = s.view().table().unwrap();
        src.columns().iter().map(|c| c.title).collect()
    };
    // wide: every column is reached with → at 80, 120 and 200 columns (COVERED, WINDOW,
    // NEXT RUN, TAGS too), the first column stays, the markers count what is out of view
    for (w, h) in [(200u16, 40u16), (120, 40), (80, 24)] {
        let mut seen: Vec<&str> = Vec::new();
        let mut last = String::new();
        for step in 0..titles.len() + 1 {
            let text = screen(&mut s, &k, w, h);
            let header = text.lines().nth(2).unwrap().to_string();
            assert!(header.contains("NAME"), "the first column stays: {header}");
            if step > 0 && header != last {
                assert!(header.contains('◂'), "scrolled: {header}");
            }
            for t in &titles {
                if header.contains(t) && !seen.contains(t) {
                    seen.push(t);
                }
            }
            if header == last {
                break;
            }
            last = header;
            key(&mut s, &k, KeyCode::Right);
        }
        assert!(
            !last.contains('▸'),
            "at the end nothing is out of view right: {last}"
        );
        for t in &titles {
            assert!(seen.contains(t), "{t} reachable at {w}: {seen:?}");
        }
        for _ in 0..titles.len() {
            key(&mut s, &k, KeyCode::Left);
        }
        let text = screen(&mut s, &k, w, h);
        assert!(!text.lines().nth(2).unwrap().contains('◂'));
    }
    press(&mut s, &k, KeyCode::Char('w'), KeyModifiers::CONTROL);
    // at 120×40 `:nodes` shows the platform and the last scan age
    let text = screen(&mut s, &k, 120, 40);
    let header = text.lines().nth(2).unwrap();
    assert!(
        header.contains("PLATFORM") && header.contains("SCAN"),
        "{header}"
    );
    // `:certs` at 200 columns: domains and accounts whole
    command(&mut s, &k, "certs");
    let text = screen(&mut s, &k, 200, 40);
    assert!(text.contains("db-admin.internal.example.com"), "{text}");
    assert!(
        !text.lines().skip(3).take(5).any(|l| l.contains('…')),
        "{text}"
    );
    // `:errors`: the message takes the rest of the line
    command(&mut s, &k, "errors");
    let text = screen(&mut s, &k, 200, 40);
    let row = text.lines().nth(3).unwrap();
    assert!(
        row.contains("User: arn:aws:iam::111111111111:user/alice is not authorized"),
        "{text}"
    );
    assert!(
        row.chars().count() >= 199,
        "the message runs to the edge: {row}"
    );
}

#[test]
fn chosen_columns_from_views_toml_are_the_ones_drawn() {
    let (mut s, k) = loaded();
    s.meta.columns = super::columns::ColumnPrefs::parse(
        "[nodes]\ncolumns = [\"NAME\", \"PLATFORM\", \"SCAN\"]\n",
        "views.toml",
        &crate::ui::views::column_tables(),
    )
    .unwrap();
    let text = screen(&mut s, &k, 120, 40);
    let header = text.lines().nth(2).unwrap();
    assert!(
        header.contains("PLATFORM") && header.contains("SCAN"),
        "{header}"
    );
    assert!(!header.contains("INSTANCE"), "{header}");
    // sorted by a column not chosen (COMPLIANCE, the default): shown anyway, with its arrow
    assert!(header.contains("COMPLIANCE▲"), "{header}");
}

#[test]
fn the_cursor_stays_visible_among_marked_rows() {
    let (mut s, k) = loaded();
    press(&mut s, &k, KeyCode::Char('a'), KeyModifiers::CONTROL);
    key(&mut s, &k, KeyCode::Down);
    key(&mut s, &k, KeyCode::Down);
    let text = screen(&mut s, &k, 120, 40);
    let rows: Vec<&str> = text.lines().skip(3).take(5).collect();
    assert!(
        rows[2].starts_with("▸✓"),
        "cursor and mark both shown: {rows:?}"
    );
    assert!(
        rows[0].starts_with(" ✓") && rows[1].starts_with(" ✓"),
        "{rows:?}"
    );
}

#[test]
fn vim_visual_line_marks_a_range_that_moves_extend() {
    let (mut s, k) = loaded_with("vim");
    let all = ids(&s);
    key(&mut s, &k, KeyCode::Char('j'));
    press(&mut s, &k, KeyCode::Char('V'), KeyModifiers::SHIFT);
    key(&mut s, &k, KeyCode::Char('j'));
    key(&mut s, &k, KeyCode::Char('j'));
    assert_eq!(s.marks.len(), 3, "rows 2..4");
    for id in &all[1..4] {
        assert!(s.marks.contains(id));
    }
    key(&mut s, &k, KeyCode::Char('k'));
    assert_eq!(s.marks.len(), 2, "moving back shrinks the range");
    press(&mut s, &k, KeyCode::Char('V'), KeyModifiers::SHIFT); // ends it
    key(&mut s, &k, KeyCode::Char('j'));
    key(&mut s, &k, KeyCode::Char('j'));
    assert_eq!(s.marks.len(), 2, "ended: moves no longer mark");
    key(&mut s, &k, KeyCode::Char('v'));
    assert_eq!(s.marks.len(), 3, "v marks one row");
    // esc ends a range too (and does not leave the view)
    press(&mut s, &k, KeyCode::Char('V'), KeyModifiers::SHIFT);
    key(&mut s, &k, KeyCode::Esc);
    assert!(s.visual.is_none());
    assert_eq!(s.view().id(), "nodes");
}

#[test]
fn startup_command_and_filter_apply_once_data_arrives() {
    let meta = Meta {
        demo: true,
        readonly: true,
        theme: "default".into(),
        keymap: "default".into(),
        ..Default::default()
    };
    let k = keymap("default");
    let mut s = State::new(meta, fixture::now());
    s.startup = Some(super::state::Startup {
        command: Some("certs".into()),
        filter: Some("risk:yes".into()),
    });
    update(&mut s, Msg::Fleet(fixture::update()), &k);
    s.prepare();
    assert_eq!(s.view().id(), "certs");
    let (t, _) = s.view().table().unwrap();
    assert_eq!(t.filter.text, "risk:yes");
    assert!(!t.order.is_empty() && t.order.len() < t.rows_total);
}

#[test]
fn c_copies_the_rows_id_through_osc52() {
    let (mut s, k) = loaded();
    let id = selected_id(&s).unwrap();
    let fx = key(&mut s, &k, KeyCode::Char('c'));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Clipboard(t) if *t == id)),
        "{fx:?}"
    );
    assert!(last_toast(&s).contains(&id));
    // a certificate: its ARN
    command(&mut s, &k, "certs");
    let fx = key(&mut s, &k, KeyCode::Char('c'));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Clipboard(t) if t.starts_with("arn:aws:acm:"))),
        "{fx:?}"
    );
}

/// On `:compliance` ←/→ switch the breakdown; shift-← / shift-→ scroll its columns, and a
/// breakdown with columns out of view says so.
#[test]
fn compliance_scrolls_its_columns_with_shift_arrows_while_arrows_switch_tabs() {
    let (mut s, k) = loaded();
    command(&mut s, &k, "compliance");
    let header = |s: &mut State| -> String {
        let text = screen(s, &k, 80, 24);
        text.lines()
            .find(|l| l.contains("NODES") && l.contains("NAME"))
            .unwrap_or_default()
            .to_string()
    };
    let before = header(&mut s);
    assert!(before.contains('▸'), "columns out of view at 80: {before}");
    press(&mut s, &k, KeyCode::Right, KeyModifiers::SHIFT);
    let after = header(&mut s);
    assert!(after.contains('◂'), "scrolled: {after}");
    press(&mut s, &k, KeyCode::Left, KeyModifiers::SHIFT);
    assert_eq!(header(&mut s), before);
    let by = |s: &State| {
        s.view_as::<super::views::compliance::ComplianceView>()
            .map(|v| v.by)
            .unwrap()
    };
    let tab = by(&s);
    key(&mut s, &k, KeyCode::Right);
    assert_ne!(by(&s), tab, "→ switches the breakdown");
}
