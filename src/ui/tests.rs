//! Console tests: update logic (actions/messages in → state/effects out) and insta
//! snapshots of every view in loaded, loading, error and empty states at 120×40 and 80×24.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::{Action, Effect, Msg};
use super::fixture;
use super::keymap::Keymap;
use super::pane::{Handled, Pane, PaneCx};
use super::state::{Meta, State};
use super::theme::{ColorMode, Role, Theme};
use super::update::{apply, update};
use super::views::compliance::ComplianceView;
use super::views::frame::render;
use super::views::node::NodeView;
use super::views::nodes::NodesView;
use crate::model::{FleetUpdate, NodeKey};

pub(super) fn keymap() -> Keymap {
    Keymap::load("default", std::path::Path::new("/nonexistent")).unwrap()
}

pub(super) fn theme() -> Theme {
    Theme::load_in(
        "default",
        std::path::Path::new("/nonexistent"),
        ColorMode::TrueColor,
    )
    .unwrap()
}

fn meta() -> Meta {
    Meta {
        demo: true,
        readonly: true,
        theme: "default".into(),
        keymap: "default".into(),
        ..Default::default()
    }
}

fn new_state() -> State {
    State::new(meta(), fixture::now())
}

pub(super) fn loaded() -> State {
    let mut s = new_state();
    send(&mut s, Msg::Fleet(fixture::update()));
    s
}

/// One message, then the frame the runtime would draw (which prepares the view).
pub(super) fn send(s: &mut State, m: Msg) -> Vec<Effect> {
    let fx = update(s, m, &keymap());
    s.prepare();
    fx
}

pub(super) fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    send(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub(super) fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c));
    }
}

pub(super) fn command(s: &mut State, line: &str) -> Vec<Effect> {
    key(s, KeyCode::Char(':'));
    typed(s, line);
    key(s, KeyCode::Enter)
}

pub(super) fn screen(s: &mut State, w: u16, h: u16) -> String {
    s.size = (w, h);
    s.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let (t, k) = (theme(), keymap());
    term.draw(|f| render(f, s, &t, &k)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn node_ids(s: &State) -> Vec<String> {
    let (t, src) = s.view().table().unwrap();
    t.order.iter().map(|&r| src.id(r as usize)).collect()
}

#[test]
fn starts_on_nodes_loading_then_fills() {
    let mut s = new_state();
    assert!(s.loading());
    assert!(screen(&mut s, 120, 40).contains("Loading the fleet"));
    send(&mut s, Msg::Fleet(fixture::update()));
    assert!(!s.loading());
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("NAME"), "{text}");
    assert!(text.contains("Non-compliant"));
    assert!(text.contains("DEMO") && text.contains("READ-ONLY"));
}

#[test]
fn filter_keys_narrow_highlight_and_esc_clears() {
    let mut s = loaded();
    let all = node_ids(&s).len();
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "account:prod-web compliance:non");
    let snap = fixture::snapshot();
    let expect = snap
        .nodes
        .iter()
        .filter(|n| {
            n.account_id == "444444444444" && n.compliance == crate::model::Compliance::NonCompliant
        })
        .count();
    assert_eq!(node_ids(&s).len(), expect);
    key(&mut s, KeyCode::Enter);
    assert!(s.prompt.is_none());
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("/account:prod-web compliance:non"),
        "filter shown in header"
    );
    // negation
    key(&mut s, KeyCode::Char('/'));
    key(&mut s, KeyCode::Char('u')); // ctrl-less 'u' is typed text
    send(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    typed(&mut s, "!ping:online");
    assert!(node_ids(&s).len() < all);
    key(&mut s, KeyCode::Esc);
    assert_eq!(
        node_ids(&s).len(),
        all,
        "Esc in the prompt clears the filter"
    );
    // fuzzy + Esc in normal mode clears
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "bastion");
    key(&mut s, KeyCode::Enter);
    assert!(node_ids(&s).len() < all && !node_ids(&s).is_empty());
    let (t, _) = s.view().table().unwrap();
    assert!(!t.highlights.is_empty(), "fuzzy matches are highlighted");
    key(&mut s, KeyCode::Esc);
    assert_eq!(node_ids(&s).len(), all);
}

#[test]
fn unknown_filter_field_is_explained() {
    let mut s = loaded();
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "colour:red");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("unknown field `colour`"), "{text}");
}

#[test]
fn command_mode_switches_views_with_aliases_and_arguments() {
    let mut s = loaded();
    command(&mut s, "org");
    assert_eq!(s.view().id(), "org");
    command(&mut s, "nodes prod-web");
    assert_eq!(s.view().id(), "nodes");
    let snap = fixture::snapshot();
    let n = snap
        .nodes
        .iter()
        .filter(|n| n.account_id == "444444444444")
        .count();
    assert_eq!(node_ids(&s).len(), n);
    assert!(screen(&mut s, 120, 40).contains("nodes(prod-web)"));
    command(&mut s, "nodes Workloads");
    let n = snap
        .nodes
        .iter()
        .filter(|n| {
            ["444444444444", "555555555555", "666666666666"].contains(&n.account_id.as_str())
        })
        .count();
    assert_eq!(
        node_ids(&s).len(),
        n,
        "an OU scopes to every account below it"
    );
    command(&mut s, "acm");
    assert_eq!(s.view().id(), "certs");
    command(&mut s, "bogus");
    assert!(s.toasts.back().unwrap().error);
    assert!(
        s.toasts
            .back()
            .unwrap()
            .text
            .contains("unknown command `bogus`")
    );
    command(&mut s, "nodes nosuchaccount");
    assert!(s.toasts.back().unwrap().text.contains("no account, OU"));
    // completion: Tab then Enter
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "comp");
    assert_eq!(
        s.prompt
            .as_ref()
            .unwrap()
            .completions
            .first()
            .map(String::as_str),
        Some("compliance")
    );
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().id(), "compliance");
    let fx = command(&mut s, "q");
    assert!(s.quit && fx.contains(&Effect::Quit));
}

#[test]
fn drill_down_loads_node_on_demand_and_back() {
    let mut s = loaded();
    let first = node_ids(&s)[0].clone();
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().id(), "node");
    let v = s.view_as::<NodeView>().unwrap();
    let k: NodeKey = v.key.clone();
    assert_eq!(k.instance_id, first);
    assert_eq!(fx, vec![Effect::LoadNode(k.clone())]);
    assert!(screen(&mut s, 120, 40).contains("loading patches"));
    let snap = fixture::snapshot();
    let n = snap.node(&k).unwrap();
    send(
        &mut s,
        Msg::Fleet(FleetUpdate::NodePatches {
            key: k.clone(),
            result: Ok(fixture::patches(n)),
        }),
    );
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains(&format!("Patches ({})", fixture::patches(n).len())),
        "{text}"
    );
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.view().id(), "nodes");
    assert_eq!(s.stack.len(), 1);
    // org → account → nodes of that account
    command(&mut s, "org");
    key(&mut s, KeyCode::Down); // management
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().id(), "nodes");
    assert!(node_ids(&s).iter().all(|id| {
        snap.nodes
            .iter()
            .any(|n| &n.instance_id == id && n.account_id == "111111111111")
    }));
}

#[test]
fn sorting_by_keys() {
    let mut s = loaded();
    s.size = (120, 40);
    s.prepare();
    let shown = {
        let (t, src) = s.view().table().unwrap();
        t.shown_columns(src.columns())
    };
    let at = shown
        .iter()
        .position(|&c| c == 8)
        .expect("COMPLIANCE is shown");
    key(&mut s, KeyCode::Char('<')); // the previous column *drawn*
    let (t, _) = s.view().table().unwrap();
    assert_eq!(t.sort_col, shown[at - 1]);
    // `>` only ever lands on drawn columns, and the ▲ is always on screen
    for _ in 0..shown.len() {
        key(&mut s, KeyCode::Char('>'));
        let (t, _) = s.view().table().unwrap();
        assert!(
            shown.contains(&t.sort_col),
            "sorted by hidden column {}",
            t.sort_col
        );
        assert!(
            screen(&mut s, 120, 40)
                .lines()
                .nth(2)
                .unwrap()
                .contains('▲')
        );
    }
    while s.view().table().unwrap().0.sort_col != 0 {
        key(&mut s, KeyCode::Char('>'));
    }
    let v = s.view_as::<NodesView>().unwrap();
    let names: Vec<String> = v
        .table
        .order
        .iter()
        .map(|&r| super::views::nodes::node_name(v.src.node(r as usize)).to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    key(&mut s, KeyCode::Char('r'));
    let v = s.view_as::<NodesView>().unwrap();
    let rev: Vec<String> = v
        .table
        .order
        .iter()
        .map(|&r| super::views::nodes::node_name(v.src.node(r as usize)).to_lowercase())
        .collect();
    sorted.reverse();
    assert_eq!(rev, sorted);
}

#[test]
fn marks_survive_refreshes_and_mark_all_marks_the_filter() {
    let mut s = loaded();
    let ids = node_ids(&s);
    key(&mut s, KeyCode::Char(' '));
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(s.marks.len(), 2);
    assert!(s.marks.contains(&ids[0]) && s.marks.contains(&ids[1]));
    send(&mut s, Msg::Fleet(fixture::update()));
    assert_eq!(s.marks.len(), 2, "marks are keyed by instance id");
    assert!(screen(&mut s, 120, 40).contains("2 marked"));
    send(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL)),
    );
    assert!(s.marks.is_empty());
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "ping:lost");
    key(&mut s, KeyCode::Enter);
    let filtered = node_ids(&s);
    send(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL)),
    );
    assert_eq!(s.marks.len(), filtered.len());
}

#[test]
fn cursor_follows_the_row_across_refreshes() {
    let mut s = loaded();
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    let id = node_ids(&s)[2].clone();
    let mut snap = fixture::snapshot();
    snap.nodes.reverse();
    send(&mut s, Msg::Fleet(fixture::update_of(snap)));
    let (t, src) = s.view().table().unwrap();
    assert_eq!(src.id(t.selected_row().unwrap()), id);
}

#[test]
fn nothing_changes_nothing_redraws() {
    let mut s = loaded();
    send(&mut s, Msg::Tick(fixture::now()));
    s.dirty = false;
    send(&mut s, Msg::Tick(fixture::now()));
    assert!(!s.dirty, "same second, same screen: no redraw");
    send(
        &mut s,
        Msg::Tick(fixture::now() + chrono::Duration::seconds(1)),
    );
    assert!(s.dirty, "the age label changed");
    s.dirty = false;
    key(&mut s, KeyCode::Char('Z'));
    assert!(!s.dirty, "an unbound key changes nothing");
}

#[test]
fn last_good_data_stays_when_a_refresh_fails() {
    let mut s = loaded();
    send(
        &mut s,
        Msg::Fleet(FleetUpdate::Notice {
            message: "refresh failed: ExpiredToken — run `aws sso login --profile org-admin`"
                .into(),
            is_error: true,
        }),
    );
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("refresh failed: ExpiredToken"), "{text}");
    assert!(text.contains("prod-"), "data still on screen");
    assert!(s.fatal.is_none());
    let mut s = new_state();
    send(
        &mut s,
        Msg::Fleet(FleetUpdate::Notice {
            message: "no credentials".into(),
            is_error: true,
        }),
    );
    assert!(screen(&mut s, 80, 24).contains("✗ no credentials"));
}

#[test]
fn a_partial_refresh_is_badged_and_keeps_the_age_of_the_old_data() {
    use crate::model::SourceStatus;
    let now = fixture::now();
    let src = |account: &str, minutes: i64, ok: bool| SourceStatus {
        account_id: account.into(),
        region: "us-east-1".into(),
        service: "ssm".into(),
        fetched_at: Some(now - chrono::Duration::minutes(minutes)),
        ok,
    };
    // a finished refresh: one source read 10 s ago, one not read (last good: 7 min ago)
    let mut snap = fixture::snapshot();
    snap.complete = false;
    snap.sources = vec![src("111111111111", 0, true), src("444444444444", 7, false)];
    let mut s = new_state();
    send(&mut s, Msg::Fleet(fixture::update_of(snap.clone())));
    let header = screen(&mut s, 120, 40).lines().next().unwrap().to_string();
    assert!(header.contains("◐ partial"), "{header}");
    assert!(
        header.contains("updated 7m ago"),
        "the old data's age: {header}"
    );
    // the same picture, complete: no badge
    snap.complete = true;
    snap.sources[1].ok = true;
    snap.sources[1].fetched_at = Some(now);
    send(&mut s, Msg::Fleet(fixture::update_of(snap)));
    let header = screen(&mut s, 120, 40).lines().next().unwrap().to_string();
    assert!(!header.contains("partial"), "{header}");
    assert!(header.contains("updated 0s ago"), "{header}");
}

#[test]
fn an_unreachable_endpoint_is_badged_apart_from_a_partial_picture() {
    use crate::model::{Missing, MissingKind};
    let mut snap = fixture::snapshot();
    snap.complete = false;
    snap.missing = vec![Missing {
        kind: MissingKind::Organization,
        service: Some("sts".into()),
        operation: Some("GetCallerIdentity".into()),
        code: "DispatchFailure".into(),
        ..Missing::default()
    }];
    let mut s = new_state();
    send(&mut s, Msg::Fleet(fixture::update_of(snap.clone())));
    let header = screen(&mut s, 120, 40).lines().next().unwrap().to_string();
    assert!(header.contains("✗ unreachable · retrying"), "{header}");
    assert!(!header.contains("partial"), "{header}");
    // one account not read: partial, and how much is missing
    snap.missing[0] = Missing {
        kind: MissingKind::Account,
        account_id: Some("444444444444".into()),
        code: "AccessDenied".into(),
        ..Missing::default()
    };
    send(&mut s, Msg::Fleet(fixture::update_of(snap.clone())));
    let header = screen(&mut s, 120, 40).lines().next().unwrap().to_string();
    assert!(header.contains("◐ partial (1 missing)"), "{header}");
    assert!(!header.contains("unreachable"), "{header}");
    // the next refresh streams in: the last refresh's outcome stays on screen until it ends
    let mut streaming = snap.clone();
    streaming.in_progress = true;
    streaming.missing.clear();
    send(&mut s, Msg::Fleet(fixture::update_of(streaming)));
    let header = screen(&mut s, 120, 40).lines().next().unwrap().to_string();
    assert!(header.contains("◐ partial (1 missing)"), "{header}");
    // ... and a refresh that reads everything clears it
    let mut done = snap;
    done.complete = true;
    done.missing.clear();
    send(&mut s, Msg::Fleet(fixture::update_of(done)));
    let header = screen(&mut s, 120, 40).lines().next().unwrap().to_string();
    assert!(!header.contains("partial"), "{header}");
}

#[test]
fn patch_account_takes_a_name_and_an_unknown_one_is_an_error() {
    let mut s = loaded();
    command(&mut s, "patch account log-archive");
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("222222222222") || text.contains("log-archive"),
        "{text}"
    );
    assert!(!text.contains("no nodes selected"), "{text}");
    let mut s = loaded();
    command(&mut s, "patch account no-such-account");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("no account with that id or name"), "{text}");
}

#[test]
fn a_never_scanned_node_shows_no_made_up_counts() {
    let mut s = loaded();
    command(&mut s, "nodes");
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "compliance:unreported");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("Unreported (no patch state)"), "{text}");
    assert!(text.contains("never scanned (no counts)"), "{text}");
    assert!(!text.contains("Missing       0"), "{text}");
}

#[test]
fn hostile_strings_are_sanitized_before_drawing() {
    let mut s = loaded();
    let text = screen(&mut s, 120, 40);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'));
    assert!(text.contains("web-RED-01"), "{text}");
    command(&mut s, "certs");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("blink.example.com") && !text.contains('\u{1b}'));
}

#[test]
fn compliance_rows_drill_down_and_tab_switches_breakdown() {
    let mut s = loaded();
    command(&mut s, "compliance");
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("Fleet compliance") && text.contains("38.5%"),
        "{text}"
    );
    key(&mut s, KeyCode::Tab);
    let v = s.view_as::<ComplianceView>().unwrap();
    assert_eq!(v.by, super::views::compliance::Breakdown::Region);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("eu-west-1"));
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().id(), "nodes");
    assert!(screen(&mut s, 120, 40).contains("nodes("));
}

#[test]
fn help_is_generated_from_the_live_keymap() {
    let mut s = loaded();
    key(&mut s, KeyCode::Char('?'));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("Help — nodes"), "{text}");
    assert!(text.contains("Filter the table"), "{text}");
    // the command table is further down: page until it shows
    let mut found = false;
    for _ in 0..12 {
        key(&mut s, KeyCode::PageDown);
        if screen(&mut s, 120, 40).contains(":compliance") {
            found = true;
            break;
        }
    }
    assert!(found, "help lists :compliance");
    key(&mut s, KeyCode::Esc);
    assert!(s.help.is_none());
    // footer hints follow a remapped keymap
    let km = Keymap::from_text("[global]\nq = \"quit\"\nF = \"filter_mode\"\n", "t.toml").unwrap();
    let hints = super::views::frame::hints(&s, &km);
    assert!(
        hints.iter().any(|(k, l)| k == "F" && l == "filter"),
        "{hints:?}"
    );
}

struct TestPane {
    got: Vec<Action>,
}

impl Pane for TestPane {
    fn id(&self) -> &'static str {
        "test_pane"
    }
    fn title(&self) -> String {
        "Test pane".into()
    }
    fn action(&mut self, a: Action, cx: &mut PaneCx<'_>) -> Handled {
        self.got.push(a);
        if a == Action::Open {
            cx.effects.push(Effect::Refresh);
            cx.toast("sent");
            return Handled::Consumed;
        }
        Handled::NotConsumed
    }
    fn render(&self, f: &mut ratatui::Frame<'_>, area: ratatui::layout::Rect, theme: &Theme) {
        f.buffer_mut()
            .set_string(area.x, area.y, "pane body", theme.style(Role::Text));
    }
}

#[test]
fn panes_get_keys_first_and_esc_closes_them() {
    let mut s = loaded();
    s.push_pane(Box::new(TestPane { got: vec![] }));
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Refresh]);
    assert_eq!(
        s.view().id(),
        "nodes",
        "Enter did not drill down under the pane"
    );
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("Test pane") && text.contains("pane body"));
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.is_empty());
}

#[test]
fn unregistered_pane_actions_explain_themselves() {
    let mut s = loaded();
    let mut fx = Vec::new();
    apply(&mut s, Action::PatchNow, &mut fx);
    if super::views::by_action(Action::PatchNow).is_none() {
        assert!(s.toasts.back().unwrap().text.contains("not available"));
    }
}

#[test]
fn selection_targets_marked_then_filtered_nodes() {
    let mut s = loaded();
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "account:staging");
    key(&mut s, KeyCode::Enter);
    let sel = super::update::selection(&s, String::new());
    let t = sel.targets();
    assert!(t.nodes.iter().all(|k| k.account_id == "666666666666") && !t.nodes.is_empty());
    assert!(t.from.contains("filter"));
    assert_eq!(sel.table().unwrap().rows.len(), t.nodes.len());
    key(&mut s, KeyCode::Char(' '));
    let t = super::update::selection(&s, String::new()).targets();
    assert_eq!(t.nodes.len(), 1);
    assert_eq!(t.from, "1 marked");
}

#[test]
fn terminate_quits() {
    let mut s = loaded();
    assert_eq!(send(&mut s, Msg::Terminate), vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn colours_follow_semantic_roles() {
    let mut s = loaded();
    s.size = (120, 40);
    s.prepare();
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (t, k) = (theme(), keymap());
    term.draw(|f| render(f, &s, &t, &k)).unwrap();
    let buf = term.backend().buffer();
    let mut found = false;
    for y in 0..40 {
        let line: String = (0..120).map(|x| buf[(x, y)].symbol().to_string()).collect();
        if let Some(col) = line.find("Non-compliant") {
            let x = line[..col].chars().count() as u16;
            if y > 3 {
                assert_eq!(buf[(x, y)].fg, t.style(Role::NonCompliant).fg.unwrap());
                found = true;
                break;
            }
        }
    }
    assert!(found);
}

// ---- snapshots: every view × {loaded, loading, error, empty} × {120×40, 80×24} ----

/// Every registered view's id, in registry order.
pub(super) fn view_ids() -> Vec<&'static str> {
    super::views::REGISTRY
        .iter()
        .filter(|s| s.is_view())
        .map(|s| s.id)
        .collect()
}

fn goto(s: &mut State, kind: &str) {
    match kind {
        "node" => {
            command(s, "nodes");
            key(s, KeyCode::Enter);
        }
        // reached by Enter from :windows
        "window" | "execution" => super::sched_drill::drill(s, kind),
        // #16: the nodes of the top patch
        "patch_nodes" => {
            command(s, "patches");
            key(s, KeyCode::Enter);
        }
        // #16: the software job answers with the fixture's inventory
        "software" | "software_nodes" => {
            command(s, "software");
            answer_software(s, kind);
        }
        k => {
            command(s, k);
        }
    }
}

/// #16: answer the software view's job (and, for `software_nodes`, Enter on the first
/// application and its job) as the runner would.
fn answer_software(s: &mut State, kind: &str) {
    use super::effect::{JobEvent, JobId, JobKind};
    let owner = s.stack.last().unwrap().owner;
    let loading = s.data.as_ref().is_some_and(|d| d.snapshot.in_progress);
    let empty = s.data.as_ref().is_some_and(|d| d.snapshot.nodes.is_empty());
    let id = JobId {
        owner,
        kind: JobKind::Software,
    };
    send(
        s,
        Msg::Job(
            id,
            JobEvent::SoftwareProgress {
                done: 12,
                total: 36,
            },
        ),
    );
    if loading {
        return;
    }
    let inv = if empty {
        Default::default()
    } else {
        fixture::software()
    };
    send(s, Msg::Job(id, JobEvent::Software(Ok(Box::new(inv)))));
    if kind != "software_nodes" {
        return;
    }
    key(s, KeyCode::Enter);
    let Some(v) = s.view_as::<super::views::software::SoftwareNodesView>() else {
        return;
    };
    let name = v.name.clone();
    let snap = fixture::snapshot();
    let keys: Vec<_> = snap
        .nodes
        .iter()
        .filter(|n| fixture::node_apps(n).iter().any(|(a, _)| *a == name))
        .filter(|n| n.account_id != "555555555555")
        .map(|n| n.key())
        .collect();
    let missing = vec![crate::model::software::SoftwareMissing {
        account_id: "555555555555".into(),
        region: None,
        code: "AccessDeniedException".into(),
        message: "User is not authorized to perform: ssm:GetInventory".into(),
    }];
    let owner = s.stack.last().unwrap().owner;
    send(
        s,
        Msg::Job(
            JobId {
                owner,
                kind: JobKind::SoftwareNodes,
            },
            JobEvent::SoftwareNodes(Ok((keys, missing))),
        ),
    );
}

pub(super) fn state_for(kind: &str, which: &str) -> State {
    let mut s = new_state();
    match which {
        "loaded" | "error" => {
            send(&mut s, Msg::Fleet(fixture::update()));
        }
        "loading" => {
            send(&mut s, Msg::Fleet(fixture::update_of(fixture::partial())));
        }
        "empty" => {
            send(&mut s, Msg::Fleet(fixture::update_of(fixture::empty())));
        }
        _ => unreachable!(),
    }
    // #18: `:messages` lists the session's toasts: one of each level
    if kind == "messages" {
        s.toast("copied i-0a1b2c3d4e5f60001 (OSC 52 clipboard)", false);
        s.toast(
            "refresh failed: ExpiredTokenException — run `aws sso login`",
            true,
        );
    }
    // #16: the patch index for the views answering from it
    if matches!(kind, "patches" | "patch_nodes" | "node") {
        match which {
            "loaded" | "error" => {
                send(&mut s, Msg::PatchIndex(fixture::patch_index()));
            }
            "loading" if kind != "node" => {
                let progress = crate::model::patch_index::IndexProgress {
                    total: 40,
                    pending: 40,
                    running: true,
                    ..Default::default()
                };
                send(
                    &mut s,
                    Msg::PatchIndex(crate::ui::data::PatchIndexFeed::new(
                        Default::default(),
                        progress,
                    )),
                );
            }
            _ => {}
        }
    }
    goto(&mut s, kind);
    if kind == "node"
        && let Some(v) = s.view_as::<NodeView>()
    {
        let k = v.key.clone();
        let snap = fixture::snapshot();
        match which {
            "loaded" => {
                let n = snap.node(&k).unwrap();
                send(
                    &mut s,
                    Msg::Fleet(FleetUpdate::NodeInventory {
                        key: k.clone(),
                        result: Ok(fixture::inventory(n)),
                    }),
                );
                send(
                    &mut s,
                    Msg::Fleet(FleetUpdate::NodePatches {
                        key: k.clone(),
                        result: Ok(fixture::patches(n)),
                    }),
                );
                send(
                    &mut s,
                    Msg::Fleet(FleetUpdate::NodeCommands {
                        key: k,
                        result: Ok(fixture::invocations(n)),
                    }),
                );
            }
            "error" => {
                send(&mut s, Msg::Fleet(FleetUpdate::NodePatches { key: k.clone(), result: Err("AccessDeniedException: not authorized to perform ssm:DescribeInstancePatches".into()) }));
                send(
                    &mut s,
                    Msg::Fleet(FleetUpdate::NodeCommands {
                        key: k,
                        result: Err("ThrottlingException: Rate exceeded".into()),
                    }),
                );
            }
            "empty" => {
                send(
                    &mut s,
                    Msg::Fleet(FleetUpdate::NodePatches {
                        key: k.clone(),
                        result: Ok(vec![]),
                    }),
                );
                send(
                    &mut s,
                    Msg::Fleet(FleetUpdate::NodeCommands {
                        key: k,
                        result: Ok(vec![]),
                    }),
                );
            }
            _ => {}
        }
    }
    if which == "error" {
        send(&mut s, Msg::Fleet(FleetUpdate::Notice { message: "refresh failed: ExpiredTokenException — run `aws sso login --profile org-admin`".into(), is_error: true }));
    }
    s
}

#[test]
fn snapshots_of_every_view_state_and_size() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for kind in view_ids() {
            for which in ["loaded", "loading", "error", "empty"] {
                if kind == "node" && which == "empty" {
                    // the empty fleet has no node to open; node detail "empty" = no patches
                }
                for (w, h) in [(120u16, 40u16), (80, 24)] {
                    let mut s = state_for(kind, which);
                    let text = screen(&mut s, w, h);
                    insta::assert_snapshot!(format!("{kind}_{which}_{w}x{h}"), text);
                }
            }
        }
        let mut s = new_state();
        insta::assert_snapshot!("connecting_80x24", screen(&mut s, 80, 24));
        send(
            &mut s,
            Msg::Fleet(FleetUpdate::Notice {
                message: "no credentials found: set AWS_PROFILE or run `aws configure`".into(),
                is_error: true,
            }),
        );
        insta::assert_snapshot!("no_data_error_80x24", screen(&mut s, 80, 24));
        let mut s = loaded();
        key(&mut s, KeyCode::Char('?'));
        insta::assert_snapshot!("help_120x40", screen(&mut s, 120, 40));
        let mut s = loaded();
        key(&mut s, KeyCode::Char(':'));
        typed(&mut s, "c");
        insta::assert_snapshot!("command_prompt_120x40", screen(&mut s, 120, 40));
    });
}

#[test]
fn empty_fleet_node_view_cannot_open() {
    let mut s = new_state();
    send(&mut s, Msg::Fleet(fixture::update_of(fixture::empty())));
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.is_empty());
    assert_eq!(s.view().id(), "nodes");
}

#[test]
fn readme_key_table_matches_the_default_keymap() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block = readme
        .split_once("<!-- keys:begin -->\n")
        .and_then(|(_, r)| r.split_once("<!-- keys:end -->"))
        .map(|(b, _)| b)
        .expect("README has the key table markers");
    assert_eq!(
        block,
        super::shots::keys_markdown(&keymap()),
        "regenerate with `cargo test --test console -- --ignored screenshots`"
    );
}

#[test]
fn a_long_output_line_is_readable_whole_at_80_columns_and_w_cuts_it() {
    use super::effect::{Job, JobEvent, JobId, JobKind};
    let mut s = loaded();
    command(&mut s, "commands");
    key(&mut s, KeyCode::Enter);
    let owner = s.panes[0].owner;
    let row = match key(&mut s, KeyCode::Enter).as_slice() {
        [Effect::Start(_, Job::FetchOutput { row, .. })] => row.clone(),
        other => panic!("{other:?}"),
    };
    let long = format!("{} TAIL-OF-THE-LINE", "x".repeat(150));
    let out = crate::actions::output::TargetOutput {
        key: row.key.clone(),
        command_id: row.command_id.clone(),
        plugins: vec![crate::model::PluginOutput {
            name: "aws:runShellScript".into(),
            status: "Success".into(),
            stdout: format!("first\n{long}\nlast\n"),
            ..Default::default()
        }],
    };
    send(
        &mut s,
        Msg::Job(
            JobId {
                owner,
                kind: JobKind::FetchOutput,
            },
            JobEvent::Output(Ok(out)),
        ),
    );
    let text = screen(&mut s, 80, 24);
    assert!(text.contains("TAIL-OF-THE-LINE"), "{text}");
    assert!(text.contains("· wrap"), "{text}");
    // ctrl-w (wide): one row per line, cut at the edge
    send(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL)),
    );
    let text = screen(&mut s, 80, 24);
    assert!(!text.contains("TAIL-OF-THE-LINE"), "{text}");
    assert!(text.contains("last"), "{text}");
}

#[test]
fn colon_in_the_output_pane_opens_the_command_prompt_and_the_command_runs() {
    use super::effect::JobKind;
    let mut s = loaded();
    command(&mut s, "commands");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter); // a target's output
    let owner = s.panes[0].owner;
    // `:` in the output: the panes close (their jobs stop) and the prompt opens, so no
    // letter of `:windows` reaches the pane (`w` would save the output)
    let fx = key(&mut s, KeyCode::Char(':'));
    assert!(s.panes.is_empty(), "the panes closed");
    assert!(s.prompt.is_some(), "the prompt is open");
    assert!(
        fx.contains(&Effect::StopAll(owner))
            || fx
                .iter()
                .any(|e| matches!(e, Effect::Stop(id) if id.kind == JobKind::FetchOutput)),
        "the pane's jobs stop: {fx:?}"
    );
    typed(&mut s, "windows");
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().id(), "windows");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::SaveFile { .. })),
        "nothing saved: {fx:?}"
    );
}

#[test]
fn the_command_pane_asks_for_typed_jobs_and_closing_it_stops_them() {
    use super::effect::{Job, JobEvent, JobId, JobKind};
    let mut s = loaded();
    // switching views starts nothing and stops nothing (no view owns a job)
    assert!(command(&mut s, "commands").is_empty());
    let cmd = s.view().command().cloned().expect("a selected command");
    // Enter opens its output pane, which asks for exactly one job: watch that command
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(s.panes.len(), 1);
    let owner = s.panes[0].owner;
    assert_eq!(
        fx,
        [Effect::Start(owner, Job::Watch(Box::new(cmd.clone())))]
    );
    // Enter on a target that has not finished: its output, followed
    let fx = key(&mut s, KeyCode::Enter);
    match fx.as_slice() {
        [Effect::Start(o, Job::FetchOutput { row, follow: true })] => {
            assert_eq!(*o, owner);
            assert_eq!(row.command_id, cmd.command_id);
        }
        other => panic!("{other:?}"),
    }
    // the answer reaches the pane by its owner id
    let id = |kind| JobId { owner, kind };
    let fx = send(
        &mut s,
        Msg::Job(
            id(JobKind::FetchOutput),
            JobEvent::Output(Err("boom".into())),
        ),
    );
    assert!(fx.is_empty());
    assert!(screen(&mut s, 120, 40).contains("boom"));
    // Esc leaves the viewer: the follower stops, the watch goes on
    assert_eq!(
        key(&mut s, KeyCode::Esc),
        [Effect::Stop(id(JobKind::FetchOutput))]
    );
    // Esc closes the pane: every job of it stops
    assert_eq!(key(&mut s, KeyCode::Esc), [Effect::StopAll(owner)]);
    assert!(s.panes.is_empty());
    // a late answer for the closed pane is dropped
    let late = Msg::Job(
        id(JobKind::Watch),
        JobEvent::Watch(crate::actions::WatchEvent::PollError {
            command_id: cmd.command_id.clone(),
            message: "late".into(),
        }),
    );
    assert!(send(&mut s, late).is_empty());
    assert!(!screen(&mut s, 120, 40).contains("late"));
    // reopened, the pane is a new owner (it never gets its predecessor's answers)
    key(&mut s, KeyCode::Enter);
    assert_ne!(s.panes[0].owner, owner);
}

#[test]
fn leaving_a_view_stops_the_jobs_it_started() {
    use super::effect::{Job, JobEvent, JobKind};
    use super::views::contract::{RenderCx, View, ViewCx};
    use super::views::errors::ErrorsView;
    // a view that starts a job when opened (as a future describe or windows view may)
    struct Loading(ErrorsView);
    impl View for Loading {
        fn id(&self) -> &'static str {
            "errors"
        }
        fn built(&self) -> Option<u64> {
            self.0.built()
        }
        fn ensure_built(&mut self, d: &super::data::Data, now: chrono::DateTime<chrono::Utc>) {
            self.0.ensure_built(d, now)
        }
        fn table(&self) -> Option<(&super::table::TableState, &dyn super::table::RowSource)> {
            self.0.table()
        }
        fn table_mut(
            &mut self,
        ) -> Option<(&mut super::table::TableState, &dyn super::table::RowSource)> {
            self.0.table_mut()
        }
        fn opened(&mut self, cx: &mut ViewCx<'_>) {
            cx.start(Job::SaveOutput(Vec::new()));
        }
        fn job(&mut self, _k: JobKind, e: JobEvent, cx: &mut ViewCx<'_>) {
            if let JobEvent::Saved(Err(e)) = e {
                cx.error(e);
            }
        }
        fn render(
            &self,
            b: &mut ratatui::buffer::Buffer,
            a: ratatui::layout::Rect,
            cx: &RenderCx<'_>,
        ) {
            self.0.render(b, a, cx)
        }
    }
    let mut s = loaded();
    let mut fx = Vec::new();
    // drill down into it (as Enter does)
    super::update::push_view(&mut s, Box::new(Loading(ErrorsView::default())), &mut fx);
    let owner = s.stack[1].owner;
    assert_eq!(fx, [Effect::Start(owner, Job::SaveOutput(Vec::new()))]);
    // its answers come to it
    let id = super::effect::JobId {
        owner,
        kind: JobKind::SaveOutput,
    };
    send(
        &mut s,
        Msg::Job(id, JobEvent::Saved(Err("disk full".into()))),
    );
    assert_eq!(s.toasts.back().unwrap().text, "disk full");
    // Esc pops it: its jobs stop
    assert_eq!(key(&mut s, KeyCode::Esc), [Effect::StopAll(owner)]);
    assert_eq!(s.stack.len(), 1);
}

/// The command pane's account and node columns are as wide as their values: a long account
/// name and a hybrid (`mi-`, 20 characters) id are shown whole while the Name column has
/// room (they were cut at 12 and 19 columns).
#[test]
fn the_command_pane_shows_long_account_names_and_hybrid_ids_whole() {
    let mut snap = super::fixture::snapshot();
    for a in &mut snap.accounts {
        if a.id == "444444444444" {
            a.name = "payments-production-eu".into();
        }
    }
    let hybrid = "mi-0123456789abcdef0";
    let cmd = snap
        .commands
        .iter_mut()
        .find(|c| c.account_id == "444444444444")
        .expect("a command in the account");
    cmd.instance_ids.push(hybrid.into());
    let mut s = new_state();
    send(&mut s, Msg::Fleet(super::fixture::update_of(snap)));
    command(&mut s, "commands");
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "0b9f1d6c");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.panes.len(), 1, "the command pane is open");
    let text = screen(&mut s, 120, 40);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" i-") || l.contains(" mi-"))
        .collect();
    assert!(rows.len() >= 2, "{text}");
    for l in &rows {
        assert!(
            l.contains("payments-production-eu"),
            "account cut: {l}\n{text}"
        );
    }
    assert!(rows.iter().any(|l| l.contains(hybrid)), "{text}");
}

#[test]
fn a_command_run_command_no_longer_knows_says_so_and_the_title_names_the_account() {
    use super::effect::{JobEvent, JobId, JobKind};
    let mut s = loaded();
    command(&mut s, "commands");
    let cmd = s.view().command().cloned().expect("a selected command");
    key(&mut s, KeyCode::Enter);
    let owner = s.panes[0].owner;
    let name = s
        .data
        .as_ref()
        .unwrap()
        .snapshot
        .accounts
        .iter()
        .find(|a| a.id == cmd.account_id)
        .map(|a| a.name.clone())
        .expect("the command's account has a name");
    let shown = screen(&mut s, 120, 40);
    assert!(
        shown.contains(&format!("{name} ({})", cmd.account_id)),
        "the title names the account like other views:\n{shown}"
    );
    send(
        &mut s,
        Msg::Job(
            JobId {
                owner,
                kind: JobKind::Watch,
            },
            JobEvent::Watch(crate::actions::WatchEvent::NotInHistory {
                command_id: cmd.command_id.clone(),
            }),
        ),
    );
    let shown = screen(&mut s, 120, 40);
    assert!(
        shown.contains("not in Run Command history (kept 30 days)"),
        "{shown}"
    );
    assert!(!shown.contains("running"), "no longer spinning:\n{shown}");
}
