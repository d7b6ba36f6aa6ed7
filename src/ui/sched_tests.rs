//! Console tests of the patch-schedule views (#15): `:windows` (windows and patch
//! associations, partial line, filters, Enter down to an execution's invocations and the
//! command output pane), `:baselines`, coverage on `:nodes`, the node detail's schedule
//! rows, UNCOV in the roll-ups, schedule errors in `:errors`, describe on their rows.

use crossterm::event::KeyCode;

use super::action::{Effect, Msg};
use super::effect::{Job, JobEvent, JobId, JobKind};
use super::fixture;
use super::sched_drill::{FAILED_WINDOW, drill, invocations};
use super::state::State;
use super::tests::{command, key, loaded, screen, send, typed};
use super::views::execution::ExecutionView;
use super::views::window::WindowView;
use super::views::windows::WindowsView;
use crate::model::CollectError;

/// Filter the current view with `text` (as typed after `/`, then Enter).
fn filter(s: &mut State, text: &str) {
    key(s, KeyCode::Char('/'));
    typed(s, text);
    key(s, KeyCode::Enter);
}

fn rows(s: &State) -> Vec<(String, String)> {
    let (t, src) = s.view().table().unwrap();
    t.order
        .iter()
        .map(|&r| (src.text(r as usize, 0), src.id(r as usize)))
        .collect()
}

#[test]
fn windows_lists_windows_and_patch_associations_soonest_first_with_a_partial_line() {
    let mut s = loaded();
    command(&mut s, "mw");
    assert_eq!(s.view().id(), "windows");
    let names: Vec<String> = rows(&s).into_iter().map(|(n, _)| n).collect();
    // the daily scan runs first; the disabled window with a schedule not understood is last
    assert_eq!(names.first().unwrap(), "mgmt-scan-daily");
    assert_eq!(names.last().unwrap(), "legacy-monthly-patch");
    assert!(names.contains(&"AWS-QuickSetup-PatchPolicy-install-a1b2".to_string()));
    let text = screen(&mut s, 120, 40);
    // never an empty-looks-fine table: the accounts not read are named
    assert!(text.contains("⚠ partial: 2 accounts not read"), "{text}");
    assert!(text.contains("dev-sandbox (AccessDenied)"), "{text}");
    assert!(text.contains("Sat 11-28 18:00 UTC (in 5d)"), "{text}");
    let wide = screen(&mut s, 200, 60);
    assert!(wide.contains("every Sunday at 03:00"), "{wide}");
    assert!(wide.contains("(?) cron(0 3 ? * SUN"), "{wide}");
    assert!(wide.contains("cron(0 3 ? * SUNDAY-LAST *)"), "{wide}");
    // KIND (window / association / patch policy) is there from 120 columns
    assert!(text.contains("KIND"), "{text}");
    assert!(text.contains("patch policy"), "{text}");
    assert!(text.contains("association"), "{text}");
    // the tasks come next, when there is room for them
    let wider = screen(&mut s, 240, 60);
    assert!(wider.contains("RunPatchBaseline Install"), "{wider}");
}

#[test]
fn windows_filters_by_enabled_kind_status_and_account() {
    let mut s = loaded();
    command(&mut s, "windows");
    let all = rows(&s).len();
    filter(&mut s, "enabled:no");
    assert_eq!(
        rows(&s).into_iter().map(|(n, _)| n).collect::<Vec<_>>(),
        ["legacy-monthly-patch"]
    );
    key(&mut s, KeyCode::Esc);
    filter(&mut s, "kind:policy");
    let r = rows(&s);
    assert!(!r.is_empty() && r.iter().all(|(n, _)| n.starts_with("AWS-QuickSetup-")));
    key(&mut s, KeyCode::Esc);
    filter(&mut s, "status:failed");
    let r = rows(&s);
    // prod-web's production window failed last Sunday; audit's scan association failed
    assert!(r.iter().any(|(n, _)| n == "prod-patch-sun-0300"), "{r:?}");
    assert!(r.iter().any(|(n, _)| n == "audit-weekly-scan"), "{r:?}");
    assert!(r.len() < all);
    key(&mut s, KeyCode::Esc);
    filter(&mut s, "account:staging");
    assert_eq!(
        rows(&s).into_iter().map(|(n, _)| n).collect::<Vec<_>>(),
        ["stg-patch-sat-2200"]
    );
}

#[test]
fn enter_drills_from_a_window_to_an_execution_to_the_command_output() {
    let mut s = loaded();
    command(&mut s, "windows");
    filter(&mut s, FAILED_WINDOW);
    key(&mut s, KeyCode::Enter);
    let w = s.view_as::<WindowView>().expect("Enter opened the window");
    let (account, region) = (w.account_id.clone(), w.region.clone());
    assert_eq!(w.focus, 2, "executions are focused");
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("Targets (1)") && text.contains("Tasks (1)"),
        "{text}"
    );
    assert!(text.contains("Executions, newest first (8)"), "{text}");
    assert!(text.contains("tag Patch Group=Production"), "{text}");
    assert!(text.contains("FAILED"), "{text}");
    // Enter on the newest execution: a job reads its invocations through the data layer
    let fx = key(&mut s, KeyCode::Enter);
    let owner = s.stack.last().unwrap().owner;
    let v = s
        .view_as::<ExecutionView>()
        .expect("Enter opened the execution");
    assert!(v.execution.execution_id.contains("exec-00"));
    assert_eq!(
        fx,
        [Effect::Start(
            owner,
            Job::WindowInvocations {
                account_id: account.clone(),
                region: region.clone(),
                execution_id: v.execution.execution_id.clone(),
            }
        )]
    );
    assert!(screen(&mut s, 120, 40).contains("reading the task invocations"));
    let snap = s.data.as_ref().unwrap().snapshot.clone();
    let win = snap
        .schedules
        .windows
        .iter()
        .find(|w| w.name == "prod-patch-sun-0300" && w.account_id == account && w.region == region)
        .unwrap();
    let inv = invocations(win, &win.executions[0]);
    let failed = inv.iter().filter(|i| i.status == "FAILED").count();
    assert!(failed > 0, "the fixture's last run failed somewhere");
    send(
        &mut s,
        Msg::Job(
            JobId {
                owner,
                kind: JobKind::WindowInvocations,
            },
            JobEvent::WindowInvocations(Ok(inv.clone())),
        ),
    );
    let text = screen(&mut s, 120, 40);
    // failures first
    let (t, src) = s.view().table().unwrap();
    assert_eq!(src.text(t.order[0] as usize, 2), "FAILED", "{text}");
    assert_eq!(t.order.len(), inv.len());
    // Enter on an invocation opens the command output pane on its command id
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.pane().map(|p| p.id()), Some("command_output"));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("5c0a3bd2-1f6e-4a55-9c1a-"), "{text}");
    // Esc closes the pane, Esc again goes back to the window, again to :windows
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    assert!(s.view_as::<WindowView>().is_some());
    key(&mut s, KeyCode::Esc);
    assert!(s.view_as::<WindowsView>().is_some());
}

#[test]
fn invocations_that_cannot_be_read_say_why() {
    let mut s = loaded();
    drill(&mut s, "window");
    key(&mut s, KeyCode::Enter);
    let owner = s.stack.last().unwrap().owner;
    send(
        &mut s,
        Msg::Job(
            JobId {
                owner,
                kind: JobKind::WindowInvocations,
            },
            JobEvent::WindowInvocations(Err("AccessDeniedException: not authorized".into())),
        ),
    );
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("could not read the task invocations: AccessDeniedException"),
        "{text}"
    );
}

#[test]
fn describe_works_on_window_association_and_baseline_rows() {
    let mut s = loaded();
    command(&mut s, "windows");
    filter(&mut s, "name:prod-patch-sun");
    key(&mut s, KeyCode::Char('d'));
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("maintenance window prod-patch-sun-0300"),
        "{text}"
    );
    assert!(text.contains("every Sunday at 03:00 Asia/Tokyo"), "{text}");
    key(&mut s, KeyCode::Esc);
    command(&mut s, "windows");
    filter(&mut s, "kind:association");
    // Enter on an association describes it
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("patch association"), "{text}");
    key(&mut s, KeyCode::Char('y'));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("\"association_id\""), "{text}");
    key(&mut s, KeyCode::Esc);
    command(&mut s, "baselines");
    filter(
        &mut s,
        "name:prod-windows account:prod-web region:us-east-1",
    );
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("patch baseline prod-windows-security"),
        "{text}"
    );
    assert!(
        text.contains("CriticalUpdates, SecurityUpdates: Critical, Important — approved 7 days"),
        "{text}"
    );
    assert!(text.contains("KB5029244"), "{text}");
}

#[test]
fn baselines_lists_those_in_use_with_rules_in_words_and_node_compliance() {
    let mut s = loaded();
    command(&mut s, "baselines");
    assert_eq!(s.view().id(), "baselines");
    let text = screen(&mut s, 200, 60);
    assert!(
        text.contains("AWS-AmazonLinux2DefaultPatchBaseline"),
        "{text}"
    );
    assert!(text.contains("prod-windows-security"), "{text}");
    // the unused AWS-managed Ubuntu baseline is counted, not listed
    assert!(!text.contains("AWS-UbuntuDefaultPatchBaseline"), "{text}");
    assert!(
        text.contains("unused AWS-managed ones not listed"),
        "{text}"
    );
    // the rules in words (whole in the describe; the account and region come first)
    assert!(
        text.contains("Security: Critical, Important — approved"),
        "{text}"
    );
    filter(&mut s, "pg:Production");
    let r = rows(&s);
    assert!(!r.is_empty() && r.iter().all(|(n, _)| n == "prod-windows-security"));
    key(&mut s, KeyCode::Esc);
    filter(&mut s, "owner:custom used:no");
    // custom baselines in accounts without Windows nodes are listed but unused
    assert!(rows(&s).iter().all(|(n, _)| n == "prod-windows-security"));
}

#[test]
fn nodes_filter_by_coverage_window_and_baseline() {
    let mut s = loaded();
    let snap = s.data.as_ref().unwrap().snapshot.clone();
    filter(&mut s, "covered:no");
    let uncovered = rows(&s);
    assert!(!uncovered.is_empty());
    let cov = snap.schedules.coverage(&snap.nodes, fixture::now());
    for (_, id) in &uncovered {
        let n = snap.nodes.iter().find(|n| &n.instance_id == id).unwrap();
        let c = &cov[&(n.account_id.clone(), n.region.clone(), id.clone())];
        assert!(c.coverage.is_uncovered(), "{id} is {:?}", c.coverage);
    }
    // staging outside us-east-1 has no window
    assert!(uncovered.iter().any(|(_, id)| {
        snap.nodes
            .iter()
            .any(|n| &n.instance_id == id && n.account_id == "666666666666")
    }));
    key(&mut s, KeyCode::Esc);
    filter(&mut s, "window:prod-patch-sun");
    let r = rows(&s);
    assert!(!r.is_empty());
    assert!(r.iter().all(|(_, id)| {
        snap.nodes.iter().any(|n| {
            &n.instance_id == id && n.patch_group.as_deref() == Some("Production") && !n.is_hybrid()
        })
    }));
    key(&mut s, KeyCode::Esc);
    filter(&mut s, "baseline:prod-windows");
    let r = rows(&s);
    assert!(!r.is_empty());
    assert!(r.iter().all(|(_, id)| {
        snap.nodes.iter().any(|n| {
            &n.instance_id == id && n.baseline_id.as_deref() == Some("pb-016a1d2f1a3b4c5d6")
        })
    }));
    // the coverage columns are a column choice (views.toml)
    s.meta.columns = super::columns::ColumnPrefs::parse(
        "[nodes]\ncolumns = [\"NAME\", \"ACCOUNT\", \"COVERED\", \"WINDOW\", \"NEXT RUN\"]\n",
        "views.toml",
        &super::views::column_tables(),
    )
    .unwrap();
    key(&mut s, KeyCode::Esc);
    filter(&mut s, "account:staging");
    let text = screen(&mut s, 120, 40);
    assert!(
        text.contains("COVERED") && text.contains("NEXT RUN"),
        "{text}"
    );
    assert!(text.contains("stg-patch-sat-2200"), "{text}");
    assert!(text.contains("in 5d"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("staging") && l.contains(" no ")),
        "{text}"
    );
}

#[test]
fn node_detail_names_its_baseline_what_patches_it_and_when() {
    let mut s = loaded();
    filter(
        &mut s,
        "window:prod-patch-sun account:prod-web region:us-east-1",
    );
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("Patched by"), "{text}");
    assert!(text.contains("prod-patch-sun-0300"), "{text}");
    assert!(text.contains("Next run"), "{text}");
    assert!(text.contains("in 5d · prod-patch-sun-0300"), "{text}");
    assert!(text.contains("(custom") || text.contains("(AWS"), "{text}");
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    filter(&mut s, "covered:no account:staging");
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("✗ uncovered — nothing targets it"), "{text}");
    let small = screen(&mut s, 80, 24);
    assert!(small.contains("✗ uncovered"), "{small}");
}

#[test]
fn a_never_scanned_node_says_so_and_no_schedule_rows_before_they_are_read() {
    let mut s = loaded();
    filter(&mut s, "compliance:unreported");
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("never scanned"), "{text}");
    // a fleet whose patch schedules were never read says so, not "uncovered"
    let mut snap = fixture::snapshot();
    snap.schedules = Default::default();
    let mut s = loaded();
    send(&mut s, Msg::Fleet(fixture::update_of(snap)));
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("? patch schedules not read yet"), "{text}");
    assert!(!text.contains("uncovered"), "{text}");
    command(&mut s, "windows");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("patch schedules not read yet"), "{text}");
    command(&mut s, "org");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("UNCOV"), "{text}");
}

#[test]
fn roll_ups_count_uncovered_nodes() {
    let mut s = loaded();
    let agg = s.data.as_ref().unwrap().aggregates.clone();
    // staging: its eu-west-1 nodes have no window
    let staging = &agg.by_account["666666666666"];
    assert!(staging.uncovered > 0 && staging.uncovered < staging.nodes);
    command(&mut s, "org");
    let (t, src) = s.view().table().unwrap();
    let col = src
        .columns()
        .iter()
        .position(|c| c.title == "UNCOV")
        .unwrap();
    let row = t
        .order
        .iter()
        .map(|&r| r as usize)
        .find(|&r| src.id(r) == "666666666666")
        .unwrap();
    assert_eq!(src.text(row, col), staging.uncovered.to_string());
    command(&mut s, "compliance");
    let text = screen(&mut s, 200, 60);
    assert!(text.contains("UNCOV"), "{text}");
}

#[test]
fn schedule_read_errors_are_listed_in_errors_one_per_account() {
    let mut snap = fixture::snapshot();
    let mut sched = (*snap.schedules).clone();
    sched.errors.push(CollectError {
        account_id: Some("555555555555".into()),
        region: None,
        service: "ssm".into(),
        operation: "DescribeMaintenanceWindows".into(),
        code: "AccessDeniedException".into(),
        message: "patch schedules not readable in this account (DescribeMaintenanceWindows: not authorized); the rest of ssmdeck is unaffected".into(),
        at: Some(fixture::now()),
    });
    sched.read.retain(|(a, _)| a != "555555555555");
    sched.windows.retain(|w| w.account_id != "555555555555");
    snap.schedules = std::sync::Arc::new(sched);
    let mut s = loaded();
    send(&mut s, Msg::Fleet(fixture::update_of(snap.clone())));
    command(&mut s, "errors");
    let text = screen(&mut s, 200, 40);
    assert!(text.contains("prod-data (555555555555)"), "{text}");
    assert!(text.contains("DescribeMaintenanceWindows"), "{text}");
    // the header counts it with the refresh's errors
    assert!(
        text.contains(&format!("⚠ {} errors", snap.errors.len() + 1)),
        "{text}"
    );
    command(&mut s, "windows");
    let text = screen(&mut s, 200, 60);
    assert!(
        text.contains("prod-data (AccessDeniedException)"),
        "the windows view names the account it could not read: {text}"
    );
    // its nodes are "unknown", not "uncovered"
    command(&mut s, "nodes");
    filter(&mut s, "account:prod-data covered:unknown");
    let r = rows(&s);
    assert_eq!(
        r.len(),
        snap.nodes
            .iter()
            .filter(|n| n.account_id == "555555555555")
            .count()
    );
}

#[test]
fn small_terminals_truncate_the_schedule_views_sensibly() {
    for kind in ["windows", "window", "execution", "baselines"] {
        let mut s = loaded();
        if kind == "baselines" || kind == "windows" {
            command(&mut s, kind);
        } else {
            drill(&mut s, kind);
        }
        assert_eq!(s.view().id(), kind);
        let text = screen(&mut s, 80, 24);
        let body: Vec<&str> = text.lines().collect();
        assert_eq!(body.len(), 24);
        assert!(body.iter().all(|l| l.chars().count() <= 80), "{text}");
        // the essential columns survive
        match kind {
            "windows" => assert!(text.contains("NAME") && text.contains("NEXT RUN"), "{text}"),
            "window" => assert!(text.contains("Executions"), "{text}"),
            "execution" => assert!(text.contains("STATUS"), "{text}"),
            _ => assert!(text.contains("NAME") && text.contains("NODES"), "{text}"),
        }
        for (w, h) in [(1, 1), (20, 5), (40, 10), (200, 60)] {
            screen(&mut s, w, h);
        }
    }
}

#[test]
fn refresh_in_a_schedule_view_also_rereads_the_schedules() {
    let mut s = loaded();
    let fx = key(&mut s, KeyCode::Char('r'));
    let fx2 = super::tests::send(
        &mut s,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('r'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    assert!(!fx.contains(&Effect::RefreshSchedules) && !fx2.contains(&Effect::RefreshSchedules));
    command(&mut s, "windows");
    let fx = send(
        &mut s,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('r'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    assert_eq!(fx, [Effect::Refresh, Effect::RefreshSchedules]);
}

#[test]
fn next_run_is_the_next_install_scans_are_apart_and_a_window_with_no_future_run_covers_nothing() {
    use crate::model::patching::{PatchAssociation, Resolution};
    let mut snap = fixture::snapshot();
    let w = snap
        .schedules
        .windows
        .iter()
        .find(|w| w.name == "prod-patch-sun-0300" && w.region == "us-east-1")
        .cloned()
        .unwrap();
    let node = match &w.targets[0].resolved {
        Resolution::Nodes(v) => v[0].clone(),
        other => panic!("{other:?}"),
    };
    // a daily scan association that runs before the install window
    std::sync::Arc::make_mut(&mut snap.schedules)
        .associations
        .push(PatchAssociation {
            account_id: w.account_id.clone(),
            region: w.region.clone(),
            association_id: "assoc-scan".into(),
            name: "patch-scan-daily".into(),
            document: "AWS-RunPatchBaseline".into(),
            schedule: Some("cron(0 1 * * ? *)".into()),
            operation: Some("Scan".into()),
            resolved: Resolution::Nodes(vec![node.clone()]),
            ..Default::default()
        });
    // a one-off emergency window whose at() is in the past
    let mut once = w.clone();
    once.window_id = "mw-0emergency".into();
    once.name = "emergency-openssl-cve".into();
    once.schedule = "at(2026-11-13T10:00:00)".into();
    once.timezone = None;
    std::sync::Arc::make_mut(&mut snap.schedules)
        .windows
        .push(once);
    let mut s = loaded();
    send(&mut s, Msg::Fleet(fixture::update_of(snap)));
    filter(&mut s, &node);
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 40);
    let line = |label: &str| {
        text.lines()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("no {label} line:\n{text}"))
            .to_string()
    };
    // "Next run" answers "when is it patched": the install window, not the sooner scan
    assert!(line("Next run").contains("in 5d"), "{text}");
    assert!(line("Next run").contains("prod-patch-sun"), "{text}");
    assert!(line("Next scan").contains("association pa"), "{text}");
    assert!(line("Next scan").contains("in 19h"), "{text}");
    // listed, but said to cover nothing (the detail box cuts the row at 120 columns: read
    // the row the box draws)
    let data = s.data.as_ref().unwrap();
    let n = data
        .snapshot
        .nodes
        .iter()
        .find(|n| n.instance_id == node)
        .unwrap();
    let sched =
        super::views::node_schedule::NodeSchedule::of(&data.snapshot, n, fixture::now()).unwrap();
    let theme = super::theme::Theme::builtin("default");
    let rows = super::views::node_schedule::rows(Some(&sched), fixture::now(), &theme, false);
    let by = &rows.iter().find(|r| r.0 == "Patched by").unwrap().1;
    assert!(by.contains("emergency-openssl-cve (no future run)"), "{by}");
}
