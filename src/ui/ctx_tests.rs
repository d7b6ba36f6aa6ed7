//! The header's refresh progress while accounts are discovered; `:ctx` and `:region`
//! (switching profile and region scope inside the console) through update and the screen.

use super::action::Msg;
use super::fixture;
use super::tests::{loaded, screen, send};
use crate::model::Progress;

fn header(s: &mut super::state::State, w: u16) -> String {
    screen(s, w, 40)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// While discovery streams accounts the unit count is no total (it grows with each
/// account): the header counts accounts found instead of showing a fraction that would
/// move backwards (2/3 → 2/9); once discovery ended, done/total only moves forward.
#[test]
fn refresh_progress_never_moves_backwards_while_accounts_are_discovered() {
    let mut s = loaded();
    let regions = fixture::snapshot().regions.len() as u32;
    let partial = |done: u32, total: u32, discovering: bool| {
        let mut snap = fixture::snapshot();
        snap.complete = false;
        snap.in_progress = true;
        snap.progress = Progress {
            done,
            total,
            discovering,
        };
        Msg::Fleet(fixture::update_of(snap))
    };
    let mut shown = Vec::new();
    for (done, accounts) in [(0, 1), (2, 3), (5, 6)] {
        send(&mut s, partial(done, accounts * regions, true));
        let head = header(&mut s, 120);
        assert!(
            head.contains(&format!("discovering accounts… {accounts}")),
            "{head}"
        );
        assert!(
            !head.contains(&format!("{done}/{}", accounts * regions)),
            "no fraction while the total still grows: {head}"
        );
        shown.push(head);
    }
    // discovery over: a fraction, and its total no longer changes
    let total = 6 * regions;
    let mut last = 0.0;
    for done in [5, 9, total] {
        send(&mut s, partial(done, total, false));
        let head = header(&mut s, 120);
        assert!(head.contains(&format!("{done}/{total}")), "{head}");
        assert!(!head.contains("discovering"), "{head}");
        let frac = f64::from(done) / f64::from(total);
        assert!(frac >= last, "the fraction never moves backwards");
        last = frac;
    }
    // it fits at 80 columns too
    send(&mut s, partial(0, regions, true));
    assert!(header(&mut s, 80).contains("discovering accounts… 1"));
}

use crossterm::event::KeyCode;

use super::action::Effect;
use super::context::{ContextChoice, ContextEvent};
use super::effect::{Job, JobEvent, JobId, JobKind};
use super::state::{Meta, State};
use super::tests::{command, key};
use crate::config::aws_profiles::ProfileInfo;

/// A console on a real profile (not the demo), the fixture fleet loaded.
fn on_profile(profile: &str) -> State {
    let mut s = State::new(
        Meta {
            demo: false,
            readonly: true,
            profile: Some(profile.into()),
            theme: "default".into(),
            keymap: "default".into(),
            ..Default::default()
        },
        fixture::now(),
    );
    s.ctx.role_name = "SSMDeckReadOnly".into();
    s.ctx
        .account_profiles
        .insert("222222222222".into(), "payments-ro".into());
    send(&mut s, Msg::Fleet(fixture::update()));
    s
}

fn profiles() -> Vec<ProfileInfo> {
    let p = |name: &str, region: Option<&str>, auth: &str, detail: &str| ProfileInfo {
        name: name.into(),
        region: region.map(str::to_string),
        auth: auth.into(),
        detail: detail.into(),
    };
    vec![
        p(
            "default",
            Some("us-east-1"),
            "-",
            "no credentials here: the chain's next source",
        ),
        p(
            "audit",
            Some("eu-west-1"),
            "role",
            "arn:aws:iam::222222222222:role/Audit from profile org-admin (MFA)",
        ),
        p(
            "org-admin",
            Some("us-east-1"),
            "sso",
            "account 111111111111, role OrgRead, session corp",
        ),
        p(
            "payments-ro",
            None,
            "sso",
            "account 222222222222, role ReadOnly, session corp",
        ),
    ]
}

/// `:ctx` on a real profile: the view asks for the profiles (a job) and lists them.
fn open_ctx(s: &mut State) -> super::effect::Owner {
    let fx = command(s, "ctx");
    assert_eq!(s.view().id(), "ctx");
    let owner = s.stack.last().unwrap().owner;
    assert_eq!(fx, [Effect::Start(owner, Job::ListProfiles)]);
    let id = JobId {
        owner,
        kind: JobKind::ListProfiles,
    };
    send(s, Msg::Job(id, JobEvent::Profiles(Ok(profiles()))));
    owner
}

/// Move the cursor to the row whose text contains `name`.
fn cursor_to(s: &mut State, name: &str) {
    key(s, KeyCode::Char('g'));
    for _ in 0..10 {
        let at = s
            .view()
            .table()
            .and_then(|(t, src)| t.selected_row().map(|r| src.id(r)));
        if at.as_deref() == Some(name) {
            return;
        }
        key(s, KeyCode::Down);
    }
    panic!("no row {name}");
}

#[test]
fn ctx_lists_the_profiles_with_the_current_one_marked() {
    let mut s = on_profile("org-admin");
    open_ctx(&mut s);
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("org-admin (*)"), "{text}");
    assert!(text.contains("in use"), "{text}");
    assert!(text.contains("AssumeRole SSMDeckReadOnly"), "{text}");
    // the cursor starts on the profile in use
    let (t, src) = s.view().table().unwrap();
    assert_eq!(src.id(t.selected_row().unwrap()), "org-admin");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (w, h) in [(120u16, 40u16), (80, 24)] {
            insta::assert_snapshot!(format!("ctx_profiles_{w}x{h}"), screen(&mut s, w, h));
        }
    });
}

#[test]
fn enter_tries_the_profile_then_switches_without_mixing_pictures() {
    let mut s = on_profile("org-admin");
    s.marks.insert("i-0a1b2c3d4e5f60001".into());
    open_ctx(&mut s);
    cursor_to(&mut s, "audit");
    let generation = s.data.as_ref().unwrap().generation;
    let fx = key(&mut s, KeyCode::Enter);
    let choice = ContextChoice {
        profile: Some("audit".into()),
        regions: None,
    };
    assert_eq!(
        fx,
        [Effect::TryContext {
            id: 1,
            choice: choice.clone()
        }]
    );
    // nothing switched yet: the old picture stays while the new profile connects
    assert_eq!(s.data.as_ref().unwrap().generation, generation);
    assert_eq!(s.ctx.pending, Some((1, choice)));
    let head = header(&mut s, 120);
    assert!(head.contains("⇄ profile audit…"), "{head}");
    assert!(screen(&mut s, 120, 40).contains("connecting…"));

    let fx = send(
        &mut s,
        Msg::Context(ContextEvent::Ready {
            id: 1,
            profile: Some("audit".into()),
            regions: vec!["eu-west-1".into()],
        }),
    );
    assert_eq!(fx.last(), Some(&Effect::CommitContext(1)));
    assert!(s.data.is_none(), "the old profile's picture is gone");
    assert!(
        s.marks.is_empty(),
        "marks of the old profile's nodes are gone"
    );
    assert_eq!(s.view().id(), "nodes");
    assert_eq!(s.meta.profile.as_deref(), Some("audit"));
    assert!(s.meta.readonly, "read-only mode is unaffected");
    let head = header(&mut s, 120);
    assert!(head.contains("profile audit"), "{head}");
    assert!(head.contains("eu-west-1"), "{head}");

    // the old feed's late snapshot is dropped; the new feed's (its cache first) is shown
    send(
        &mut s,
        Msg::OfContext(0, Box::new(Msg::Fleet(fixture::update()))),
    );
    assert!(s.data.is_none(), "an old-context snapshot never lands");
    let mut cached = fixture::snapshot();
    cached.from_cache = true;
    cached.profile = Some("audit".into());
    send(
        &mut s,
        Msg::OfContext(1, Box::new(Msg::Fleet(fixture::update_of(cached)))),
    );
    assert!(s.data.is_some());
    let head = header(&mut s, 120);
    assert!(head.contains("cached"), "{head}");
}

#[test]
fn an_old_jobs_answer_after_a_switch_is_ignored() {
    let mut s = on_profile("org-admin");
    // the view's job is still running when the switch happens
    let fx = command(&mut s, "ctx");
    let owner = s.stack.last().unwrap().owner;
    assert_eq!(fx, [Effect::Start(owner, Job::ListProfiles)]);
    send(
        &mut s,
        Msg::Context(ContextEvent::Ready {
            id: 0,
            profile: None,
            regions: vec![],
        }),
    );
    assert_eq!(
        s.view().id(),
        "ctx",
        "an answer nobody asked for changes nothing"
    );
    // a switch asked for and connected
    let choice = ContextChoice {
        profile: Some("audit".into()),
        regions: None,
    };
    s.ctx.pending = Some((7, choice));
    let fx = send(
        &mut s,
        Msg::Context(ContextEvent::Ready {
            id: 7,
            profile: Some("audit".into()),
            regions: vec!["eu-west-1".into()],
        }),
    );
    // the old view's jobs are stopped, then the runtime switches
    assert!(fx.contains(&Effect::StopAll(owner)), "{fx:?}");
    assert_eq!(fx.last(), Some(&Effect::CommitContext(7)));
    let stack: Vec<_> = s.stack.iter().map(|v| v.owner).collect();
    // its late answer finds no owner: nothing changes
    let id = JobId {
        owner,
        kind: JobKind::ListProfiles,
    };
    let fx = send(&mut s, Msg::Job(id, JobEvent::Profiles(Ok(profiles()))));
    assert!(fx.is_empty());
    assert_eq!(s.view().id(), "nodes");
    assert_eq!(s.stack.iter().map(|v| v.owner).collect::<Vec<_>>(), stack);
    // and a patch-index message of the old context is dropped too
    let fx = send(
        &mut s,
        Msg::OfContext(0, Box::new(Msg::PatchIndex(Default::default()))),
    );
    assert!(fx.is_empty() && s.pending_index.is_none());
}

#[test]
fn a_failed_switch_keeps_the_old_context_and_says_why() {
    let mut s = on_profile("org-admin");
    open_ctx(&mut s);
    cursor_to(&mut s, "payments-ro");
    key(&mut s, KeyCode::Enter);
    let generation = s.data.as_ref().unwrap().generation;
    let msg = "AWS credentials: the SSO session has expired (ExpiredToken). Fix: run aws sso \
               login --profile payments-ro and retry";
    let fx = send(
        &mut s,
        Msg::Context(ContextEvent::Failed {
            id: 1,
            message: msg.into(),
        }),
    );
    assert!(fx.is_empty(), "no switch: {fx:?}");
    assert_eq!(s.data.as_ref().unwrap().generation, generation);
    assert_eq!(s.meta.profile.as_deref(), Some("org-admin"));
    assert_eq!(s.ctx.pending, None);
    let text = screen(&mut s, 200, 60);
    assert!(text.contains("✗ failed"), "{text}");
    assert!(
        text.contains("aws sso login --profile payments-ro"),
        "{text}"
    );
    assert!(text.contains("still on profile org-admin"), "{text}");
    // the old context's data keeps arriving and is shown
    let fx = send(
        &mut s,
        Msg::OfContext(0, Box::new(Msg::Fleet(fixture::update()))),
    );
    assert!(fx.is_empty());
    assert!(s.data.as_ref().unwrap().generation > generation);
    // a late answer to an older attempt is ignored
    send(
        &mut s,
        Msg::Context(ContextEvent::Ready {
            id: 1,
            profile: Some("payments-ro".into()),
            regions: vec![],
        }),
    );
    assert_eq!(s.meta.profile.as_deref(), Some("org-admin"));
}

#[test]
fn ctx_works_without_any_data_so_a_failing_profile_can_be_left() {
    let mut s = State::new(
        Meta {
            profile: Some("expired".into()),
            theme: "default".into(),
            keymap: "default".into(),
            ..Default::default()
        },
        fixture::now(),
    );
    send(
        &mut s,
        Msg::Fleet(crate::model::FleetUpdate::Notice {
            message: "AWS credentials: the SSO session has expired".into(),
            is_error: true,
        }),
    );
    let owner = {
        command(&mut s, "ctx");
        s.stack.last().unwrap().owner
    };
    let id = JobId {
        owner,
        kind: JobKind::ListProfiles,
    };
    let mut list = profiles();
    list.push(ProfileInfo {
        name: "expired".into(),
        auth: "sso".into(),
        ..Default::default()
    });
    send(&mut s, Msg::Job(id, JobEvent::Profiles(Ok(list))));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("expired (*)"), "{text}");
    cursor_to(&mut s, "org-admin");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::TryContext { choice, .. }] if choice.profile.as_deref() == Some("org-admin")),
        "{fx:?}"
    );
}

#[test]
fn ctx_in_the_demo_shows_the_demo_profile() {
    let mut s = loaded();
    let fx = command(&mut s, "ctx");
    assert!(fx.is_empty(), "no files read in the demo: {fx:?}");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("demo (*)"), "{text}");
    assert!(text.contains("3 regions"), "{text}");
    assert!(text.contains("loopback"), "{text}");
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(screen(&mut s, 120, 40).contains("already on the demo"));
    // `:ctx NAME` in the demo: only the demo
    command(&mut s, "ctx prod");
    assert!(screen(&mut s, 120, 40).contains("no profile `prod`"));
}

/// The region fixture rows in `:region` (sorted): ap-southeast-2, eu-west-1, us-east-1.
#[test]
fn region_scope_narrows_says_what_is_out_and_comes_back() {
    let mut s = loaded();
    let nodes_ap = fixture::snapshot()
        .nodes
        .iter()
        .filter(|n| n.region == "ap-southeast-2")
        .count();
    command(&mut s, "region");
    assert_eq!(s.pane().map(|p| p.id()), Some("region"));
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("[✓] ap-southeast-2"), "{text}");
    assert!(text.contains(&format!("{nodes_ap} nodes")), "{text}");
    // nothing chosen is refused
    key(&mut s, KeyCode::Char('a'));
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.is_empty() && s.pane().is_some());
    assert!(screen(&mut s, 120, 40).contains("choose at least one region"));
    key(&mut s, KeyCode::Char('a'));
    // space takes ap-southeast-2 out; Enter applies
    key(&mut s, KeyCode::Char(' '));
    assert!(screen(&mut s, 120, 40).contains("in scope → out"));
    let fx = key(&mut s, KeyCode::Enter);
    let want = ContextChoice {
        profile: None,
        regions: Some(vec!["eu-west-1".into(), "us-east-1".into()]),
    };
    assert_eq!(
        fx,
        [Effect::TryContext {
            id: 1,
            choice: want
        }]
    );
    assert!(s.pane().is_none());
    let fx = send(
        &mut s,
        Msg::Context(ContextEvent::Ready {
            id: 1,
            profile: None,
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
        }),
    );
    assert_eq!(fx.last(), Some(&Effect::CommitContext(1)));
    assert_eq!(
        s.ctx.out_of_scope,
        [("ap-southeast-2".to_string(), nodes_ap)]
    );
    let head = header(&mut s, 200);
    assert!(head.contains("eu-west-1,us-east-1"), "{head}");
    // every view says so, under the header, at any width
    for w in [80, 120, 200] {
        let text = screen(&mut s, w, 24);
        let crumbs = text.lines().nth(1).unwrap_or_default();
        assert!(
            crumbs.contains("⊘ out of scope: ap-southeast-2"),
            "{w}: {text}"
        );
    }
    // `:region` lists it with the nodes it had, out of scope
    command(&mut s, "region");
    let text = screen(&mut s, 120, 40);
    assert!(text.contains("[ ] ap-southeast-2"), "{text}");
    assert!(text.contains("out of scope: not read, not shown"), "{text}");
    key(&mut s, KeyCode::Char(' '));
    let fx = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::TryContext { id: 2, .. }]),
        "{fx:?}"
    );
    send(
        &mut s,
        Msg::Context(ContextEvent::Ready {
            id: 2,
            profile: None,
            regions: vec![
                "ap-southeast-2".into(),
                "eu-west-1".into(),
                "us-east-1".into(),
            ],
        }),
    );
    assert!(s.ctx.out_of_scope.is_empty());
    assert!(!screen(&mut s, 200, 24).contains("out of scope"));
    // `:region A,B` applies at once; a bad name is refused
    let fx = command(&mut s, "region eu-west-1");
    assert!(
        matches!(&fx[..], [Effect::TryContext { id: 3, .. }]),
        "{fx:?}"
    );
    command(&mut s, "region useast1");
    assert!(screen(&mut s, 120, 40).contains("`useast1` is not a region name"));
}
