//! #16 at the update level: `:patches` → the nodes of a patch → patch now; `:nodes`
//! questions answered from the patch index (a malformed id is an error; a node whose patch
//! list is unknown is never "not affected"); `:software` jobs and drill-down.

use crossterm::event::KeyCode;

use super::action::{Effect, Job, Msg};
use super::effect::{JobEvent, JobId, JobKind};
use super::fixture;
use super::state::State;
use super::tests::{command, key, loaded, screen, send, typed};
use super::update::selection;
use super::views::node_list::NodeListSource;
use super::views::nodes::NodesView;
use super::views::patch_nodes::PatchNodesView;
use super::views::patches::PatchesView;
use super::views::software::{SoftwareNodesView, SoftwareView};
use crate::model::patch_index::{NodeStatus, PatchQuery};

fn indexed() -> State {
    let mut s = loaded();
    send(&mut s, Msg::PatchIndex(fixture::patch_index()));
    s
}

/// A fresh filter (ctrl-u clears what `/` brings back).
fn filter(s: &mut State, text: &str) {
    key(s, KeyCode::Char('/'));
    send(
        s,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('u'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    typed(s, text);
    key(s, KeyCode::Enter);
}

fn node_ids(s: &State) -> Vec<String> {
    let v = s.view_as::<NodesView>().expect("nodes view");
    v.table
        .order
        .iter()
        .map(|&r| v.src.node(r as usize).instance_id.clone())
        .collect()
}

/// Instance ids the index says lack the fix / are unknown for `q`.
fn truth(q: &str) -> (Vec<String>, Vec<String>) {
    let feed = fixture::patch_index();
    let a = feed
        .index
        .nodes_lacking(&PatchQuery::parse_expr(q).unwrap());
    let id = |p: &usize| feed.index.nodes[*p].key.instance_id.clone();
    let mut lacking: Vec<String> = a.affected.iter().map(|(p, _)| id(p)).collect();
    let mut unknown: Vec<String> = a.unknown.iter().map(id).collect();
    lacking.sort();
    unknown.sort();
    (lacking, unknown)
}

#[test]
fn enter_on_a_patch_lists_its_nodes_and_unknown_ones_as_unknown_then_p_patches_the_marked() {
    let mut s = indexed();
    command(&mut s, "patches");
    let v = s.view_as::<PatchesView>().expect(":patches opens");
    // most nodes missing first
    let first = v.table.order[0] as usize;
    let missing: Vec<u32> = v
        .table
        .order
        .iter()
        .map(|&r| v.src.row(r as usize).stats.missing)
        .collect();
    assert!(missing.windows(2).all(|w| w[0] >= w[1]), "{missing:?}");
    let want_missing = v.src.row(first).stats.missing as usize;
    assert!(want_missing > 0);
    key(&mut s, KeyCode::Enter);
    let v = s
        .view_as::<PatchNodesView>()
        .expect("Enter drills into the patch's nodes");
    let facts: Vec<&str> = v.src.rows.iter().map(|r| r.fact.as_str()).collect();
    assert_eq!(
        facts.iter().filter(|f| **f == "Missing").count(),
        want_missing
    );
    // every unknown node of the index is listed, as "unknown" — not left out as unaffected
    let unknown_in_index = fixture::patch_index()
        .index
        .nodes
        .iter()
        .filter(|n| matches!(n.status, NodeStatus::Unknown(_)))
        .count();
    assert!(unknown_in_index > 0);
    assert_eq!(
        facts.iter().filter(|f| **f == "unknown").count(),
        unknown_in_index
    );
    let text = screen(&mut s, 200, 60);
    assert!(text.contains("could not read: AccessDenied"), "{text}");
    assert!(text.contains("unknown (patch list not read)"), "{text}");
    // state:missing, mark two, p: the patch-now pane aims at exactly those
    filter(&mut s, "state:missing");
    let v = s.view_as::<PatchNodesView>().unwrap();
    assert_eq!(v.table.order.len(), want_missing);
    let picked: Vec<String> = v.table.order[..2]
        .iter()
        .map(|&r| v.src.rows[r as usize].key.instance_id.clone())
        .collect();
    key(&mut s, KeyCode::Char(' '));
    key(&mut s, KeyCode::Char(' '));
    let t = selection(&s, String::new()).targets();
    let mut got: Vec<String> = t.nodes.iter().map(|k| k.instance_id.clone()).collect();
    got.sort();
    let mut want = picked.clone();
    want.sort();
    assert_eq!(got, want);
    key(&mut s, KeyCode::Char('p'));
    assert_eq!(s.pane().map(|p| p.id()), Some("patch_now"));
}

#[test]
fn nodes_cve_filter_answers_from_the_index_and_unknown_is_never_clear() {
    let mut s = indexed();
    command(&mut s, "nodes");
    let q = "cve:CVE-2026-1000";
    let (lacking, unknown) = truth(q);
    assert!(!lacking.is_empty() && !unknown.is_empty());
    filter(&mut s, q);
    let mut got = node_ids(&s);
    got.sort();
    assert_eq!(got, lacking, "exactly the nodes lacking the fix");
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains(&format!("partial: {} unknown", unknown.len())),
        "{text}"
    );
    // the negation lists nodes read and clear: never the unknown ones
    filter(&mut s, &format!("!{q}"));
    let got = node_ids(&s);
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|i| !unknown.contains(i) && !lacking.contains(i))
    );
    // unindexed:yes lists the unknown ones
    filter(&mut s, "unindexed:yes");
    let mut got = node_ids(&s);
    got.sort();
    assert_eq!(got, unknown);
    // kb: on a Windows patch, case-insensitive
    let (lacking, _) = truth("kb:KB5044000");
    filter(&mut s, "kb:kb5044000");
    let mut got = node_ids(&s);
    got.sort();
    assert_eq!(got, lacking);
    // patch: by name
    filter(&mut s, "patch:openssl-libs.0");
    assert!(!node_ids(&s).is_empty());
}

#[test]
fn a_malformed_cve_or_kb_is_a_filter_error_not_an_all_clear() {
    let mut s = indexed();
    command(&mut s, "nodes");
    for bad in ["cve:2026-1000", "cve:CVE-26-1", "kb:openssl"] {
        filter(&mut s, bad);
        let v = s.view_as::<NodesView>().unwrap();
        assert!(v.table.filter_error.is_some(), "{bad}");
        assert!(v.table.order.is_empty(), "{bad}");
        let text = screen(&mut s, 120, 40);
        assert!(text.contains("wants"), "{bad}: {text}");
        assert!(!text.contains("lack the fix"), "{bad}: {text}");
    }
}

#[test]
fn before_the_index_every_node_is_unknown_to_a_cve_question() {
    let mut s = loaded();
    command(&mut s, "nodes");
    filter(&mut s, "cve:CVE-2026-1000");
    assert!(node_ids(&s).is_empty());
    let n = s.data.as_ref().unwrap().snapshot.nodes.len();
    let text = screen(&mut s, 120, 40);
    assert!(text.contains(&format!("partial: {n} unknown")), "{text}");
    // the index arrives: the same filter now answers
    send(&mut s, Msg::PatchIndex(fixture::patch_index()));
    let mut got = node_ids(&s);
    got.sort();
    assert_eq!(got, truth("cve:CVE-2026-1000").0);
}

#[test]
fn progress_alone_does_not_rebuild_but_a_new_index_does() {
    let mut s = indexed();
    let g = s.data.as_ref().unwrap().generation;
    let mut feed = s.data.as_ref().unwrap().patch_index.clone();
    feed.progress.running = true;
    feed.progress.pending = 3;
    send(&mut s, Msg::PatchIndex(feed));
    assert_eq!(s.data.as_ref().unwrap().generation, g);
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("⟳ index"),
        "the header shows the pass: {text}"
    );
    send(&mut s, Msg::PatchIndex(fixture::patch_index()));
    assert_eq!(s.data.as_ref().unwrap().generation, g + 1);
}

#[test]
fn software_reads_by_job_filters_drift_and_drills_into_nodes_by_job() {
    let mut s = indexed();
    let fx = command(&mut s, "software");
    let owner = s.stack.last().unwrap().owner;
    // the active ones: a suspended account is not entered
    let accounts: Vec<String> = fixture::snapshot()
        .accounts
        .iter()
        .filter(|a| a.state.is_active())
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(
        fx,
        [Effect::Start(
            owner,
            Job::Software {
                accounts: accounts.clone()
            }
        )]
    );
    let id = JobId {
        owner,
        kind: JobKind::Software,
    };
    send(
        &mut s,
        Msg::Job(id, JobEvent::SoftwareProgress { done: 3, total: 36 }),
    );
    assert!(screen(&mut s, 120, 40).contains("3/36 account × region units"));
    send(
        &mut s,
        Msg::Job(id, JobEvent::Software(Ok(Box::new(fixture::software())))),
    );
    let text = screen(&mut s, 120, 40);
    // the refused account is named, once
    assert!(
        text.contains("prod-data (555555555555) AccessDeniedException"),
        "{text}"
    );
    filter(&mut s, "drift:yes name:openssl");
    let v = s.view_as::<SoftwareView>().unwrap();
    let rows: Vec<String> = v
        .table
        .order
        .iter()
        .map(|&r| {
            use super::table::RowSource;
            v.src.text(r as usize, 0)
        })
        .collect();
    assert_eq!(
        rows,
        ["openssl-libs", "3.0.8"],
        "the app and its drifted version"
    );
    key(&mut s, KeyCode::Char('j'));
    let fx = key(&mut s, KeyCode::Enter);
    let v = s
        .view_as::<SoftwareNodesView>()
        .expect("Enter opens the nodes");
    assert_eq!(v.version.as_deref(), Some("3.0.8"));
    let owner = s.stack.last().unwrap().owner;
    assert_eq!(
        fx,
        [Effect::Start(
            owner,
            Job::SoftwareNodes {
                accounts,
                name: "openssl-libs".into(),
                version: Some("3.0.8".into())
            }
        )]
    );
    let snap = fixture::snapshot();
    let keys: Vec<_> = snap
        .nodes
        .iter()
        .filter(|n| fixture::node_apps(n).contains(&("openssl-libs".into(), "3.0.8".into())))
        .map(|n| n.key())
        .collect();
    assert!(!keys.is_empty());
    send(
        &mut s,
        Msg::Job(
            JobId {
                owner,
                kind: JobKind::SoftwareNodes,
            },
            JobEvent::SoftwareNodes(Ok((keys.clone(), vec![]))),
        ),
    );
    let v = s.view_as::<SoftwareNodesView>().unwrap();
    assert_eq!(v.table.order.len(), keys.len());
    // nothing marked: p aims at every listed node; marked: at those
    let t = selection(&s, String::new()).targets();
    assert_eq!(t.nodes.len(), keys.len());
    key(&mut s, KeyCode::Char(' '));
    let t = selection(&s, String::new()).targets();
    assert_eq!(t.nodes.len(), 1);
    key(&mut s, KeyCode::Char('p'));
    assert_eq!(s.pane().map(|p| p.id()), Some("patch_now"));
    let _ = NodeListSource::default();
}

#[test]
fn node_detail_lists_applications_and_the_cves_from_the_index() {
    let mut s = indexed();
    command(&mut s, "nodes");
    filter(&mut s, "cve:CVE-2026-1000");
    key(&mut s, KeyCode::Enter);
    let v = s
        .view_as::<super::views::node::NodeView>()
        .expect("node detail");
    let k = v.key.clone();
    assert!(
        matches!(&v.cves, Some(Ok(c)) if c.iter().any(|c| c == "CVE-2026-1000")),
        "{:?}",
        v.cves
    );
    let snap = fixture::snapshot();
    let n = snap.node(&k).unwrap();
    send(
        &mut s,
        Msg::Fleet(crate::model::FleetUpdate::NodeInventory {
            key: k.clone(),
            result: Ok(fixture::inventory(n)),
        }),
    );
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("CVE-2026-1000"), "{text}");
    for (name, version) in fixture::node_apps(n) {
        assert!(
            text.contains(&name) && text.contains(&version),
            "{name}: {text}"
        );
    }
}
