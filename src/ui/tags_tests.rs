//! Node tags as a user meets them: the `tag:` filter, the `TAGS` column, and patch now
//! targeting a tag when the targets are exactly its nodes.

use std::collections::BTreeSet;

use crossterm::event::KeyCode;

use super::fixture;
use super::k9s_tests::{filter, ids, key, loaded, screen};
use crate::actions::plan::{PatchOptions, exact_tag, plan_patch_now};
use crate::actions::targets::TargetScope;
use crate::model::tags::{matches, value_of};
use crate::model::{FleetSnapshot, Node};

/// Instance ids of the nodes whose tags match `spec`.
fn tagged(snap: &FleetSnapshot, spec: &str) -> BTreeSet<String> {
    snap.nodes
        .iter()
        .filter(|n| {
            snap.schedules
                .tags
                .of(&n.key())
                .is_some_and(|t| matches(t, spec))
        })
        .map(|n| n.instance_id.clone())
        .collect()
}

#[test]
fn tag_filter_finds_the_tagged_nodes_with_or_without_a_value() {
    let (mut s, k) = loaded();
    let snap = fixture::snapshot();
    let all = ids(&s).len();

    filter(&mut s, &k, "tag:Team=payments");
    let shown: BTreeSet<String> = ids(&s).into_iter().collect();
    assert_eq!(shown, tagged(&snap, "team=payments"));
    assert!(!shown.is_empty() && shown.len() < all);

    // a key typed without its space finds `Patch Group`, like `pg:` does
    filter(&mut s, &k, "tag:PatchGroup=production");
    let by_tag: BTreeSet<String> = ids(&s).into_iter().collect();
    filter(&mut s, &k, "pg:production");
    let by_group: BTreeSet<String> = ids(&s).into_iter().collect();
    assert_eq!(by_tag, by_group);
    assert!(!by_tag.is_empty());

    // `tag:Key`: has the tag at all; negated: has not
    filter(&mut s, &k, "tag:patchgroup");
    let with = ids(&s).len();
    filter(&mut s, &k, "!tag:patchgroup");
    let without = ids(&s).len();
    assert_eq!(with + without, all);
    assert!(without > 0, "some nodes have no patch group tag");
    filter(&mut s, &k, "tag:Owner");
    assert!(ids(&s).is_empty());
    assert!(screen(&mut s, &k, 120, 40).contains("tag:Owner"));
}

#[test]
fn tags_column_shows_every_tag_when_chosen() {
    let (mut s, k) = loaded();
    s.meta.columns = super::columns::ColumnPrefs::parse(
        "[nodes]\ncolumns = [\"NAME\", \"ACCOUNT\", \"TAGS\"]\n",
        "views.toml",
        &crate::ui::views::column_tables(),
    )
    .unwrap();
    filter(&mut s, &k, "tag:team=identity account:prod");
    let text = screen(&mut s, &k, 120, 40);
    let header = text.lines().nth(2).unwrap();
    assert!(header.contains("TAGS"), "{header}");
    let row = text.lines().nth(3).unwrap();
    assert!(
        row.contains("Environment=prod") && row.contains("Team=identity"),
        "{row}"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("nodes_tags_120x40", text));
}

/// An account × region and a `Team` whose nodes there are all patchable: patch now can
/// target the tag.
fn patchable_team(snap: &FleetSnapshot) -> Option<(String, String, String, Vec<&Node>)> {
    for unit in snap
        .nodes
        .iter()
        .map(|n| (n.account_id.clone(), n.region.clone()))
        .collect::<BTreeSet<_>>()
    {
        for team in ["payments", "platform", "identity", "search"] {
            let nodes: Vec<&Node> = snap
                .nodes
                .iter()
                .filter(|n| (n.account_id.clone(), n.region.clone()) == unit)
                .filter(|n| {
                    snap.schedules
                        .tags
                        .of(&n.key())
                        .and_then(|t| value_of(t, "Team"))
                        == Some(team)
                })
                .collect();
            if nodes.len() < 2 {
                continue;
            }
            let scope = TargetScope::marked(nodes.iter().map(|n| n.key()).collect());
            let plan = plan_patch_now(snap, &scope, &PatchOptions::default()).ok()?;
            if plan.exclusions.is_empty() {
                return Some((unit.0, unit.1, team.to_string(), nodes));
            }
        }
    }
    None
}

#[test]
fn patch_now_targets_a_tag_only_when_the_targets_are_exactly_its_nodes() {
    let snap = fixture::snapshot();
    let (acct, region, team, nodes) = patchable_team(&snap).expect("a patchable team");
    assert_eq!(
        exact_tag(&snap, &nodes),
        Some(("Team".to_string(), team.clone()))
    );
    let plan = plan_patch_now(
        &snap,
        &TargetScope::marked(nodes.iter().map(|n| n.key()).collect()),
        &PatchOptions::default(),
    )
    .unwrap();
    assert_eq!(plan.command_count(), 1, "one call for the tag");
    assert_eq!(plan.groups[0].batches[0].instance_ids.len(), nodes.len());
    // one node: instance ids
    assert_eq!(exact_tag(&snap, &nodes[..1]), None);

    // in the console: the preview says which
    let (mut s, k) = loaded();
    filter(
        &mut s,
        &k,
        &format!("tag:team={team} account:{acct} region:{region}"),
    );
    assert_eq!(ids(&s).len(), nodes.len());
    key(&mut s, &k, KeyCode::Char('p'));
    let text = screen(&mut s, &k, 200, 60);
    assert!(
        text.contains(&format!("Key=tag:Team,Values={team}")),
        "{text}"
    );
    key(&mut s, &k, KeyCode::Esc);
    // only the node under the cursor marked: ids
    key(&mut s, &k, KeyCode::Char(' '));
    assert_eq!(s.marks.len(), 1);
    key(&mut s, &k, KeyCode::Char('p'));
    let text = screen(&mut s, &k, 200, 60);
    assert!(text.contains("instance ids (no tag"), "{text}");
}

/// Tags that could not be read are listed in `:errors` beside the refresh's and the
/// schedules' (one per account × region × API), the header counts them, and the nodes
/// without tags say why.
#[test]
fn tag_read_errors_are_listed_in_errors_and_counted() {
    use super::action::Msg;
    use super::tests as t;
    use crate::model::CollectError;
    let mut snap = fixture::snapshot();
    let node = snap
        .nodes
        .iter()
        .find(|n| !n.is_hybrid())
        .expect("an EC2 node")
        .clone();
    let mut sched = (*snap.schedules).clone();
    sched.tags.errors.push(CollectError {
        account_id: Some(node.account_id.clone()),
        region: Some(node.region.clone()),
        service: "ssm".into(),
        operation: "ListInventoryEntries".into(),
        code: "AccessDeniedException".into(),
        message: "node tags not read; the tags read before are kept (not authorized to perform ssm:ListInventoryEntries)".into(),
        at: Some(fixture::now()),
    });
    // never read before: these nodes have none to keep
    let (mut nodes, mut read_at) = (Vec::new(), Vec::new());
    for (i, (k, tags)) in sched.tags.nodes.iter().enumerate() {
        if !(k.account_id == node.account_id && k.region == node.region) {
            nodes.push((k.clone(), tags.clone()));
            read_at.push(sched.tags.read_at.get(i).copied().unwrap_or_default());
        }
    }
    (sched.tags.nodes, sched.tags.read_at) = (nodes, read_at);
    snap.schedules = std::sync::Arc::new(sched);
    let mut s = t::loaded();
    t::send(&mut s, Msg::Fleet(fixture::update_of(snap.clone())));
    t::command(&mut s, "errors");
    let wide = t::screen(&mut s, 200, 40);
    assert!(wide.contains("ListInventoryEntries"), "{wide}");
    let text = t::screen(&mut s, 120, 40);
    assert!(text.contains("node tags not read"), "{text}");
    assert!(
        text.contains(&format!(
            "⚠ {} errors",
            snap.errors.len() + snap.schedules.errors.len() + 1
        )),
        "the header counts it: {text}"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("errors_tags_120x40", text));
    // the node's tags say why they are missing
    assert_eq!(
        snap.schedules.tags.label(&node.key()),
        "not read (ListInventoryEntries: AccessDeniedException)"
    );
}

/// An EC2 instance has no name in SSM (only its computer name): once its tags are read, it
/// is called by its `Name` tag, as in the EC2 console — shown, sorted and searched by it,
/// in `:nodes` and in its detail.
#[test]
fn an_ec2_instance_is_called_by_its_name_tag() {
    let mut snap = fixture::snapshot();
    let i = snap
        .nodes
        .iter()
        .position(|n| n.instance_id.starts_with("i-"))
        .unwrap();
    let node = snap.nodes[i].key();
    let old = snap.nodes[i].name.clone();
    snap.nodes[i].name = String::new();
    snap.nodes[i].computer_name = "ip-10-42-31-96.ap-southeast-2.compute.internal".into();
    let tags = &mut std::sync::Arc::make_mut(&mut snap.schedules).tags;
    let pos = tags.nodes.iter().position(|(k, _)| *k == node).unwrap();
    for t in tags.nodes[pos].1.iter_mut().filter(|t| t.key == "Name") {
        assert_eq!(t.value, old);
        t.value = "report-dev-06".into();
    }
    let (mut s, k) = loaded();
    super::tests::send(&mut s, super::action::Msg::Fleet(fixture::update_of(snap)));
    filter(&mut s, &k, "report-dev");
    assert_eq!(
        ids(&s),
        vec![node.instance_id.clone()],
        "free text finds the Name tag"
    );
    let text = screen(&mut s, &k, 120, 40);
    assert!(text.contains("report-dev-06"), "{text}");
    filter(&mut s, &k, "name:report-dev-06");
    assert_eq!(ids(&s).len(), 1);
    key(&mut s, &k, KeyCode::Enter);
    let detail = screen(&mut s, &k, 120, 40);
    let name_row = detail.lines().find(|l| l.contains("│ Name")).unwrap();
    assert!(name_row.contains("report-dev-06"), "{detail}");
}
