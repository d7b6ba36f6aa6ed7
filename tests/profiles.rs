//! Per-account profile mapping (`[account_profiles]` in the config; SSO users): an account
//! mapped to a named profile is read with that profile's credentials, not through AssumeRole.
//!
//! Its own test binary: the profile files are found through `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE`, which are process-wide.

mod common;

use std::time::Duration;

use ssmdeck::app::demo::sim_scope;
use ssmdeck::fleet::Fleet;
use ssmdeck::sim::{self, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_mapped_to_a_profile_is_read_with_that_profile() {
    let regions = vec!["us-east-1".to_string(), "eu-west-1".to_string()];
    let sim = sim::start(SimConfig {
        regions: regions.clone(),
        nodes_per_account: 12,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let world = sim.world();
    let member = world
        .org
        .accounts
        .iter()
        .find(|a| {
            a.id != world.org.management_account_id
                && a.roles
                    .iter()
                    .any(|r| r.name == "OrganizationAccountAccessRole")
        })
        .expect("a member account with the access role")
        .id
        .clone();

    // The profile's credentials: a session in the member account, as `aws sso login` would
    // leave behind (obtained here through STS, before the refresh is counted).
    let c = common::assume_access_role(&sim.url, &member, "sso-user").await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(&config, "[profile member-sso]\nregion = us-east-1\n").unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[member-sso]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            c.access_key_id(),
            c.secret_access_key(),
            c.session_token()
        ),
    )
    .unwrap();
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
    }

    let mut scope = sim_scope(&sim.url, regions.clone());
    scope.cache_file = None;
    scope.call_timeout = Duration::from_secs(10);
    scope
        .account_profiles
        .insert(member.clone(), "member-sso".into());
    let fleet = Fleet::connect(scope).await.expect("connect");
    let assumed_before = common::op_count(&sim, "AssumeRole");
    let snap = fleet.collect_once(None).await;
    assert!(!snap.in_progress);
    let assumed = common::op_count(&sim, "AssumeRole") - assumed_before;

    // the member's own nodes, read with the profile: no error, every node of its world
    assert!(
        snap.errors
            .iter()
            .all(|e| e.account_id.as_deref() != Some(member.as_str())),
        "{:#?}",
        snap.errors
    );
    let mut want: Vec<String> = regions
        .iter()
        .flat_map(|r| {
            world.ssm.with_fleet(&member, r, |f| {
                f.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut got: Vec<String> = snap
        .nodes
        .iter()
        .filter(|n| n.account_id == member)
        .map(|n| n.instance_id.clone())
        .collect();
    want.sort();
    got.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    // and no AssumeRole for it: one per other member account that was tried
    let tried_by_role = snap
        .accounts
        .iter()
        .filter(|a| a.id != member && a.id != fleet.caller().account_id && a.state.is_active())
        .count() as u64;
    assert_eq!(
        assumed, tried_by_role,
        "AssumeRole calls during the refresh"
    );
}
