//! The simulator through the real AWS SDK clients over HTTP (and the stock AWS CLI):
//! STS identity and AssumeRole, Organizations, ACM, fault injection, determinism.

mod common;
use common::{aws_cli as aws, spawn_sim};

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::ChildType;
use aws_sdk_sts::config::{Credentials, Region};
use ssmdeck::sim::world::{ADMIN_ROLE, AccountStatus, JoinedMethod, READONLY_ROLE};
use ssmdeck::sim::{SimConfig, SimHandle};

fn epoch() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn cfg() -> SimConfig {
    SimConfig {
        epoch: Some(epoch()),
        ..SimConfig::default()
    }
}

async fn sim(cfg: SimConfig) -> SimHandle {
    ssmdeck::sim::start(cfg).await.expect("simulator starts")
}

fn static_creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "secret", None, None, "static")
}

/// SDK config pointing at the simulator; `retries` = max attempts (1 = off).
async fn sdk(url: &str, region: &str, creds: Credentials, retries: u32) -> aws_config::SdkConfig {
    let retry = if retries <= 1 {
        RetryConfig::disabled()
    } else {
        RetryConfig::standard()
            .with_max_attempts(retries)
            .with_initial_backoff(Duration::from_millis(50))
            .with_max_backoff(Duration::from_millis(400))
    };
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new(region.to_string()))
        .credentials_provider(creds)
        .retry_config(retry)
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(20))
                .build(),
        )
        .load()
        .await
}

async fn mgmt(h: &SimHandle, region: &str) -> aws_config::SdkConfig {
    sdk(&h.url, region, static_creds(), 1).await
}

/// AssumeRole from the management account; session credentials.
async fn assume(h: &SimHandle, account: &str, role: &str) -> Result<Credentials, String> {
    let sts = aws_sdk_sts::Client::new(&mgmt(h, "us-east-1").await);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
        .role_session_name("ssmdeck-test")
        .send()
        .await
        .map_err(|e| e.code().unwrap_or("?").to_string())?;
    let c = out.credentials.expect("credentials");
    Ok(Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        None,
        "assumed",
    ))
}

async fn as_account(h: &SimHandle, account: &str, region: &str) -> aws_config::SdkConfig {
    if account == h.management_account_id() {
        return mgmt(h, region).await;
    }
    let creds = assume(h, account, ADMIN_ROLE).await.expect("assume role");
    sdk(&h.url, region, creds, 1).await
}

fn member_ids(h: &SimHandle) -> (String, String, String, String) {
    let org = &h.world().org;
    let find = |f: &dyn Fn(&ssmdeck::sim::world::Account) -> bool| {
        org.accounts.iter().find(|a| f(a)).unwrap().id.clone()
    };
    let member = find(&|a| {
        a.status == AccountStatus::Active
            && a.joined_method == JoinedMethod::Created
            && a.id != org.management_account_id
            && !org.is_delegated_admin(&a.id)
    });
    let invited = find(&|a| a.joined_method == JoinedMethod::Invited);
    let suspended = find(&|a| a.status == AccountStatus::Suspended);
    let delegated = org.delegated_admins[0].account_id.clone();
    (member, invited, suspended, delegated)
}

// ------------------------------------------------------------------------------------------
// STS

#[tokio::test]
async fn static_keys_are_the_management_account_and_assume_role_scopes_to_the_member() {
    let h = sim(cfg()).await;
    let sts = aws_sdk_sts::Client::new(&mgmt(&h, "us-east-1").await);
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(h.management_account_id().as_str()));
    assert!(me.arn().unwrap().starts_with("arn:aws:iam::"));

    let (member, _, _, _) = member_ids(&h);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{member}:role/{ADMIN_ROLE}"))
        .role_session_name("alice")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    assert!(c.access_key_id().starts_with("ASIA"));
    let left = c.expiration().secs() - chrono::Utc::now().timestamp();
    assert!((3500..=3600).contains(&left), "expires in {left}s");
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        format!("arn:aws:sts::{member}:assumed-role/{ADMIN_ROLE}/alice")
    );

    let creds = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "t",
    );
    let sts2 = aws_sdk_sts::Client::new(&sdk(&h.url, "eu-west-1", creds, 1).await);
    let who = sts2.get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some(member.as_str()));
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{member}:assumed-role/{ADMIN_ROLE}/alice").as_str())
    );
    assert_eq!(h.op_count("STS.AssumeRole"), 1);
    assert_eq!(h.op_count("STS.GetCallerIdentity"), 2);
}

#[tokio::test]
async fn assume_role_is_denied_where_aws_denies_it() {
    let h = sim(cfg()).await;
    let (member, invited, suspended, delegated) = member_ids(&h);
    assert_eq!(
        assume(&h, &invited, ADMIN_ROLE).await.unwrap_err(),
        "AccessDenied"
    );
    assert_eq!(
        assume(&h, &invited, READONLY_ROLE).await.unwrap_err(),
        "AccessDenied"
    );
    assert_eq!(
        assume(&h, &suspended, ADMIN_ROLE).await.unwrap_err(),
        "AccessDenied"
    );
    assert_eq!(
        assume(&h, "123456789012", ADMIN_ROLE).await.unwrap_err(),
        "AccessDenied"
    );
    assert_eq!(
        assume(&h, &member, "NoSuchRole").await.unwrap_err(),
        "AccessDenied"
    );
    assert!(assume(&h, &member, READONLY_ROLE).await.is_ok());

    // The message names the caller and the role, like AWS.
    let sts = aws_sdk_sts::Client::new(&mgmt(&h, "us-east-1").await);
    let err = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{invited}:role/{ADMIN_ROLE}"))
        .role_session_name("x1")
        .send()
        .await
        .unwrap_err();
    let msg = err.message().unwrap().to_string();
    assert!(
        msg.contains("is not authorized to perform: sts:AssumeRole"),
        "{msg}"
    );
    assert!(err.raw_response().unwrap().status().as_u16() == 403);

    // Input validation: session name, duration, ARN.
    for (arn, name, dur) in [
        (
            format!("arn:aws:iam::{member}:role/{ADMIN_ROLE}"),
            "a",
            None,
        ),
        (
            format!("arn:aws:iam::{member}:role/{ADMIN_ROLE}"),
            "has space",
            None,
        ),
        (
            format!("arn:aws:iam::{member}:role/{ADMIN_ROLE}"),
            "ok-name",
            Some(100),
        ),
        (
            format!("arn:aws:iam::{member}:role/{ADMIN_ROLE}"),
            "ok-name",
            Some(7200),
        ),
        (
            "arn:aws:iam::12:role/NotAnAccountId".to_string(),
            "ok-name",
            None,
        ),
    ] {
        let err = sts
            .assume_role()
            .role_arn(&arn)
            .role_session_name(name)
            .set_duration_seconds(dur)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("ValidationError"), "{arn} {name} {dur:?}");
    }
    // The read-only role allows up to 12 hours.
    sts.assume_role()
        .role_arn(format!("arn:aws:iam::{member}:role/{READONLY_ROLE}"))
        .role_session_name("long")
        .duration_seconds(43_200)
        .send()
        .await
        .unwrap();

    // A member session cannot hop into another member; the delegated admin may use the read-only role.
    let member_creds = assume(&h, &member, ADMIN_ROLE).await.unwrap();
    let sts_member = aws_sdk_sts::Client::new(&sdk(&h.url, "us-east-1", member_creds, 1).await);
    let err = sts_member
        .assume_role()
        .role_arn(format!("arn:aws:iam::{delegated}:role/{READONLY_ROLE}"))
        .role_session_name("hop")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let da_creds = assume(&h, &delegated, READONLY_ROLE).await.unwrap();
    let sts_da = aws_sdk_sts::Client::new(&sdk(&h.url, "us-east-1", da_creds, 1).await);
    sts_da
        .assume_role()
        .role_arn(format!("arn:aws:iam::{member}:role/{READONLY_ROLE}"))
        .role_session_name("from-delegated-admin")
        .send()
        .await
        .expect("the read-only role trusts the delegated administrator");
}

#[tokio::test]
async fn expired_session_keys_are_rejected_and_fresh_ones_work() {
    let h = sim(cfg()).await;
    let (member, ..) = member_ids(&h);
    h.set_session_duration(Duration::from_millis(600));
    let creds = assume(&h, &member, ADMIN_ROLE).await.unwrap();
    let acm = aws_sdk_acm::Client::new(&sdk(&h.url, "us-east-1", creds, 1).await);
    acm.list_certificates()
        .send()
        .await
        .expect("valid at first");
    tokio::time::sleep(Duration::from_millis(900)).await;
    let err = acm.list_certificates().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ExpiredTokenException"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);

    // The SDK's own AssumeRoleProvider fetches new credentials as they expire.
    h.set_session_duration(Duration::from_secs(2));
    let base = mgmt(&h, "us-east-1").await;
    let provider = aws_config::sts::AssumeRoleProvider::builder(format!(
        "arn:aws:iam::{member}:role/{ADMIN_ROLE}"
    ))
    .session_name("refresh-test")
    .configure(&base)
    .build()
    .await;
    let conf = aws_sdk_acm::config::Builder::from(&base)
        .credentials_provider(provider)
        .build();
    let acm = aws_sdk_acm::Client::from_conf(conf);
    for _ in 0..3 {
        acm.list_certificates()
            .send()
            .await
            .expect("refreshed credentials");
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    assert!(h.op_count("STS.AssumeRole") >= 3);
}

/// A session key is only good with its own session token: without it, or with another
/// session's token, AWS answers `UnrecognizedClientException` (STS `InvalidClientTokenId`).
#[tokio::test]
async fn session_keys_need_their_own_session_token() {
    let h = sim(cfg()).await;
    let (member, ..) = member_ids(&h);
    let good = assume(&h, &member, ADMIN_ROLE).await.unwrap();
    let other = assume(&h, &member, ADMIN_ROLE).await.unwrap();
    let with = |token: Option<String>| {
        Credentials::new(
            good.access_key_id(),
            good.secret_access_key(),
            token,
            None,
            "t",
        )
    };
    let cases = [
        ("no token", with(None)),
        (
            "another session's token",
            with(other.session_token().map(String::from)),
        ),
        (
            "a made-up token",
            with(Some("IQoJb3JpZ2luX2VjEnot-a-token".into())),
        ),
    ];
    for (what, creds) in cases {
        let conf = sdk(&h.url, "us-east-1", creds, 1).await;
        let e = aws_sdk_ssm::Client::new(&conf)
            .describe_instance_information()
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("UnrecognizedClientException"), "{what}");
        assert_eq!(
            e.message(),
            Some("The security token included in the request is invalid."),
            "{what}"
        );
        assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
        let e = aws_sdk_sts::Client::new(&conf)
            .get_caller_identity()
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("InvalidClientTokenId"), "{what}");
        assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    }
    // with its own token it works, and acts in the member account
    let me = aws_sdk_sts::Client::new(&sdk(&h.url, "us-east-1", good, 1).await)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some(member.as_str()));
}

/// Role chaining: a role session may assume another role for at most one hour (STS model,
/// AssumeRoleRequest.DurationSeconds); the same request from an IAM user may ask for more.
#[tokio::test]
async fn role_chaining_is_limited_to_one_hour() {
    let h = sim(cfg()).await;
    let (member, _, _, delegated) = member_ids(&h);
    let chain = |creds: Credentials, secs: Option<i32>| {
        let url = h.url.clone();
        let member = member.clone();
        async move {
            aws_sdk_sts::Client::new(&sdk(&url, "us-east-1", creds, 1).await)
                .assume_role()
                .role_arn(format!("arn:aws:iam::{member}:role/{READONLY_ROLE}"))
                .role_session_name("chained")
                .set_duration_seconds(secs)
                .send()
                .await
        }
    };
    // the delegated administrator's session assumes the read-only role of a member
    let session = assume(&h, &delegated, ADMIN_ROLE).await.unwrap();
    let e = chain(session.clone(), Some(7200)).await.unwrap_err();
    assert_eq!(e.code(), Some("ValidationError"));
    assert!(
        e.message().unwrap().contains("1 hour session limit"),
        "{e:?}"
    );
    for ok in [None, Some(3600), Some(900)] {
        chain(session.clone(), ok)
            .await
            .unwrap_or_else(|e| panic!("{ok:?}: {e:?}"));
    }
    // not chained (an IAM user's keys): up to the role's maximum (12 h for the read-only role)
    let out = chain(static_creds(), Some(43_200)).await.unwrap();
    let exp = out.credentials().unwrap().expiration().secs();
    assert!(exp - chrono::Utc::now().timestamp() > 11 * 3600);
}

// ------------------------------------------------------------------------------------------
// Organizations

/// Walk a list operation by hand to the end (NextToken until None, through empty pages).
macro_rules! walk {
    ($req:expr, $field:ident, $empties:ident) => {{
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let out = $req.set_next_token(token.clone()).send().await.unwrap();
            pages += 1;
            assert!(pages < 1000, "pagination does not end");
            let page = out.$field.unwrap_or_default();
            if page.is_empty() && out.next_token.is_some() {
                $empties += 1;
            }
            items.extend(page);
            token = out.next_token;
            if token.is_none() {
                break;
            }
        }
        items
    }};
}

#[tokio::test]
async fn organizations_lists_paginate_to_the_end_and_match_the_world() {
    let h = sim(SimConfig {
        accounts: 60,
        ..cfg()
    })
    .await;
    let org = &h.world().org;
    let c = aws_sdk_organizations::Client::new(&mgmt(&h, "us-east-1").await);
    let mut empties = 0;

    let d = c.describe_organization().send().await.unwrap();
    let o = d.organization().unwrap();
    assert_eq!(o.id(), Some(org.id.as_str()));
    assert_eq!(
        o.master_account_id(),
        Some(org.management_account_id.as_str())
    );

    let roots = walk!(c.list_roots().max_results(1), roots, empties);
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].id(), Some(org.root().id.as_str()));

    // Walk the OU tree from the root, collecting every OU and account.
    let mut seen_ous = BTreeSet::new();
    let mut seen_accounts = BTreeSet::new();
    let mut stack = vec![org.root().id.clone()];
    let mut depth_paths = Vec::new();
    while let Some(parent) = stack.pop() {
        let ous = walk!(
            c.list_organizational_units_for_parent()
                .parent_id(&parent)
                .max_results(2),
            organizational_units,
            empties
        );
        for ou in &ous {
            let id = ou.id().unwrap().to_string();
            depth_paths.push(ou.path().unwrap_or_default().matches("ou-").count());
            seen_ous.insert(id.clone());
            stack.push(id);
        }
        let accounts = walk!(
            c.list_accounts_for_parent()
                .parent_id(&parent)
                .max_results(3),
            accounts,
            empties
        );
        for a in &accounts {
            seen_accounts.insert(a.id().unwrap().to_string());
        }
        // ListChildren agrees with the typed lists.
        let child_accounts = walk!(
            c.list_children()
                .parent_id(&parent)
                .child_type(ChildType::Account)
                .max_results(4),
            children,
            empties
        );
        assert_eq!(child_accounts.len(), accounts.len());
        let child_ous = walk!(
            c.list_children()
                .parent_id(&parent)
                .child_type(ChildType::OrganizationalUnit)
                .max_results(1),
            children,
            empties
        );
        assert_eq!(child_ous.len(), ous.len());
    }
    let world_ous: BTreeSet<_> = org.units[1..].iter().map(|u| u.id.clone()).collect();
    assert_eq!(seen_ous, world_ous);
    assert!(
        depth_paths.iter().any(|d| *d >= 2),
        "OU tree is at least three levels deep"
    );
    let world_accounts: BTreeSet<_> = org.accounts.iter().map(|a| a.id.clone()).collect();
    assert_eq!(seen_accounts, world_accounts);

    // ListAccounts: every account, both Status and State, joined method.
    let all = walk!(c.list_accounts().max_results(3), accounts, empties);
    assert_eq!(all.len(), 60);
    let ids: HashSet<_> = all.iter().map(|a| a.id().unwrap()).collect();
    assert_eq!(ids.len(), 60);
    let suspended: Vec<_> = all
        .iter()
        .filter(|a| a.state().map(|s| s.as_str()) == Some("SUSPENDED"))
        .collect();
    assert_eq!(suspended.len(), 1);
    assert_eq!(suspended[0].status().map(|s| s.as_str()), Some("SUSPENDED"));
    assert_eq!(
        all.iter()
            .filter(|a| a.joined_method().map(|m| m.as_str()) == Some("INVITED"))
            .count(),
        1
    );
    assert!(
        all.iter()
            .all(|a| a.email().is_some_and(|e| e.contains('@')) && a.joined_timestamp().is_some())
    );

    // The SDK's own paginator copes with the empty pages too.
    let pages: Vec<_> = c
        .list_accounts()
        .max_results(5)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let n: usize = pages
        .into_iter()
        .map(|p| p.unwrap().accounts.unwrap_or_default().len())
        .sum();
    assert_eq!(n, 60);

    let admins = walk!(
        c.list_delegated_administrators()
            .service_principal("ssm.amazonaws.com")
            .max_results(1),
        delegated_administrators,
        empties
    );
    assert_eq!(admins.len(), 1);
    assert_eq!(
        admins[0].id(),
        Some(org.delegated_admins[0].account_id.as_str())
    );
    assert!(admins[0].delegation_enabled_date().is_some());

    assert!(
        empties > 0,
        "AWS may return empty pages with a NextToken; so does the simulator"
    );
}

#[tokio::test]
async fn organizations_errors_are_the_ones_aws_sends() {
    let h = sim(cfg()).await;
    let (member, _, _, delegated) = member_ids(&h);
    let c = aws_sdk_organizations::Client::new(&mgmt(&h, "us-east-1").await);

    for n in [0, 21] {
        let err = c.list_accounts().max_results(n).send().await.unwrap_err();
        assert_eq!(err.code(), Some("InvalidInputException"));
        let reason = err.as_service_error().and_then(|e| match e {
            aws_sdk_organizations::operation::list_accounts::ListAccountsError::InvalidInputException(i) => {
                i.reason().map(|r| r.as_str().to_string())
            }
            _ => None,
        });
        let want = if n == 0 {
            "MIN_VALUE_EXCEEDED"
        } else {
            "MAX_VALUE_EXCEEDED"
        };
        assert_eq!(reason.as_deref(), Some(want));
    }
    let err = c
        .list_accounts()
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidInputException"));
    // A token from one parent is not valid for another.
    let root = h.world().org.root().id.clone();
    let ou = h.world().org.units[1].id.clone();
    let mut tok = None;
    for _ in 0..5 {
        let out = c
            .list_children()
            .parent_id(&root)
            .child_type(ChildType::OrganizationalUnit)
            .max_results(1)
            .set_next_token(tok.clone())
            .send()
            .await
            .unwrap();
        tok = out.next_token;
        if tok.is_some() {
            break;
        }
    }
    let err = c
        .list_children()
        .parent_id(&ou)
        .child_type(ChildType::OrganizationalUnit)
        .set_next_token(tok)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidInputException"));

    let err = c
        .list_accounts_for_parent()
        .parent_id("ou-zzzz-zzzzzzzz")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ParentNotFoundException"));

    // A member: DescribeOrganization yes, list operations no.
    let mc = aws_sdk_organizations::Client::new(&as_account(&h, &member, "us-east-1").await);
    mc.describe_organization().send().await.unwrap();
    let err = mc.list_accounts().send().await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    let err = mc.list_roots().send().await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"));

    // The delegated administrator may list.
    let da = assume(&h, &delegated, READONLY_ROLE).await.unwrap();
    let dc = aws_sdk_organizations::Client::new(&sdk(&h.url, "us-east-1", da, 1).await);
    let mut n = 0;
    let mut token = None;
    loop {
        let out = dc
            .list_accounts()
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        n += out.accounts().len();
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(n, 12);
}

// ------------------------------------------------------------------------------------------
// ACM

const ALL_KEYS: [aws_sdk_acm::types::KeyAlgorithm; 4] = [
    aws_sdk_acm::types::KeyAlgorithm::Rsa2048,
    aws_sdk_acm::types::KeyAlgorithm::Rsa4096,
    aws_sdk_acm::types::KeyAlgorithm::EcPrime256v1,
    aws_sdk_acm::types::KeyAlgorithm::EcSecp384r1,
];

fn all_keys() -> aws_sdk_acm::types::Filters {
    aws_sdk_acm::types::Filters::builder()
        .set_key_types(Some(ALL_KEYS.to_vec()))
        .build()
}

async fn list_arns(
    acm: &aws_sdk_acm::Client,
    includes: Option<aws_sdk_acm::types::Filters>,
    page: i32,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let r = acm
            .list_certificates()
            .set_includes(includes.clone())
            .max_items(page)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        let list = r.certificate_summary_list();
        assert!(list.len() <= page as usize);
        out.extend(
            list.iter()
                .map(|c| c.certificate_arn().unwrap().to_string()),
        );
        token = r.next_token;
        if token.is_none() {
            break;
        }
    }
    out
}

#[tokio::test]
async fn acm_lists_every_certificate_of_each_account_and_region_and_no_other() {
    let h = sim(cfg()).await;
    let world = h.world().clone();
    let mut total = 0;
    let mut default_total = 0;
    for a in &world.org.accounts {
        if a.status != AccountStatus::Active || a.joined_method == JoinedMethod::Invited {
            continue;
        }
        for region in &world.cfg.regions {
            let acm = aws_sdk_acm::Client::new(&as_account(&h, &a.id, region).await);
            let arns = list_arns(&acm, Some(all_keys()), 2).await;
            let want: Vec<String> = world
                .acm
                .certs(&a.id, region)
                .iter()
                .map(|c| c.arn.clone())
                .collect();
            assert_eq!(arns, want, "{} {region}", a.name);
            assert!(
                arns.iter()
                    .all(|arn| arn.contains(&format!(":{region}:{}:", a.id)))
            );
            total += arns.len();
            // The AWS default hides everything but RSA_1024/RSA_2048.
            let default = list_arns(&acm, None, 1000).await;
            let want_default: Vec<String> = world
                .acm
                .certs(&a.id, region)
                .iter()
                .filter(|c| c.key_algorithm == "RSA_2048")
                .map(|c| c.arn.clone())
                .collect();
            assert_eq!(default, want_default);
            default_total += default.len();
        }
    }
    let invited = world
        .org
        .accounts
        .iter()
        .find(|a| a.joined_method == JoinedMethod::Invited)
        .unwrap();
    let reachable = world.acm.total()
        - world
            .acm
            .all()
            .filter(|c| c.account_id == invited.id)
            .count();
    assert_eq!(total, reachable);
    assert!(
        default_total < total,
        "non-RSA_2048 keys exist and are hidden by default"
    );
    assert!((70..=90).contains(&world.acm.total()));
}

#[tokio::test]
async fn acm_describe_shows_details_and_respects_region_and_account() {
    let h = sim(cfg()).await;
    let world = h.world().clone();
    let mgmt_id = h.management_account_id();
    let (member, ..) = member_ids(&h);
    let us = aws_sdk_acm::Client::new(&mgmt(&h, "us-east-1").await);
    let eu = aws_sdk_acm::Client::new(&mgmt(&h, "eu-west-1").await);

    // Find an in-use AMAZON_ISSUED and an imported certificate somewhere and describe them in place.
    let mut checked = 0;
    for cert in world.acm.all() {
        if cert.account_id
            == world
                .org
                .accounts
                .iter()
                .find(|a| a.joined_method == JoinedMethod::Invited)
                .unwrap()
                .id
        {
            continue;
        }
        let acm = aws_sdk_acm::Client::new(&as_account(&h, &cert.account_id, &cert.region).await);
        let d = acm
            .describe_certificate()
            .certificate_arn(&cert.arn)
            .send()
            .await
            .unwrap();
        let c = d.certificate().unwrap();
        assert_eq!(c.domain_name(), Some(cert.domain.as_str()));
        assert_eq!(c.in_use_by().len(), cert.in_use_by.len());
        assert_eq!(
            c.r#type().map(|t| t.as_str()),
            Some(cert.cert_type.as_str())
        );
        assert_eq!(c.status().map(|s| s.as_str()), Some(cert.status));
        assert_eq!(
            c.renewal_summary()
                .map(|r| r.renewal_status().as_str().to_string()),
            cert.renewal.as_ref().map(|r| r.status.to_string())
        );
        assert_eq!(
            c.not_after().map(|t| t.secs()),
            cert.not_after.map(|t| t.timestamp())
        );
        if cert.cert_type == ssmdeck::sim::acm::CertType::AmazonIssued {
            assert!(!c.domain_validation_options().is_empty());
        }
        checked += 1;
        if checked >= 14 {
            break;
        }
    }

    // Region isolation: an eu-west-1 ARN is not found from us-east-1, and the lists differ.
    let eu_cert = world
        .acm
        .certs(&mgmt_id, "eu-west-1")
        .first()
        .expect("mgmt has eu certs");
    let err = us
        .describe_certificate()
        .certificate_arn(&eu_cert.arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    eu.describe_certificate()
        .certificate_arn(&eu_cert.arn)
        .send()
        .await
        .unwrap();
    let us_arns: HashSet<_> = list_arns(&us, Some(all_keys()), 100)
        .await
        .into_iter()
        .collect();
    let eu_arns: HashSet<_> = list_arns(&eu, Some(all_keys()), 100)
        .await
        .into_iter()
        .collect();
    assert!(us_arns.is_disjoint(&eu_arns));

    // Account isolation: another account's ARN is not found.
    let member_cert = world.acm.all().find(|c| c.account_id == member).unwrap();
    let mine = aws_sdk_acm::Client::new(&mgmt(&h, &member_cert.region).await);
    let err = mine
        .describe_certificate()
        .certificate_arn(&member_cert.arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = us
        .describe_certificate()
        .certificate_arn("not-an-arn-at-all-really")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidArnException"));
}

#[tokio::test]
async fn acm_filters_and_page_limits() {
    let h = sim(cfg()).await;
    let world = h.world().clone();
    let acm = aws_sdk_acm::Client::new(&mgmt(&h, "us-east-1").await);
    for n in [0, 1001] {
        let err = acm
            .list_certificates()
            .max_items(n)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("ValidationException"), "MaxItems {n}");
    }
    let err = acm
        .list_certificates()
        .next_token("bogus")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidArgsException"));

    // CertificateStatuses across the whole org: EXPIRED only returns expired ones.
    let mut expired = 0;
    for a in &world.org.accounts {
        if a.status != AccountStatus::Active || a.joined_method == JoinedMethod::Invited {
            continue;
        }
        for region in &world.cfg.regions {
            let c = aws_sdk_acm::Client::new(&as_account(&h, &a.id, region).await);
            let out = c
                .list_certificates()
                .certificate_statuses(aws_sdk_acm::types::CertificateStatus::Expired)
                .includes(all_keys())
                .send()
                .await
                .unwrap();
            for s in out.certificate_summary_list() {
                assert_eq!(s.status().map(|x| x.as_str()), Some("EXPIRED"));
                assert!(s.not_after().unwrap().secs() < epoch().timestamp());
                expired += 1;
            }
        }
    }
    assert_eq!(
        expired,
        world
            .acm
            .all()
            .filter(|c| c.status == "EXPIRED"
                && world.org.account(&c.account_id).unwrap().joined_method == JoinedMethod::Created)
            .count()
    );
    assert!(expired > 0);
}

// ------------------------------------------------------------------------------------------
// Fault injection

#[tokio::test]
async fn throttling_uses_each_services_error_and_sdk_retries_recover() {
    let h = sim(SimConfig {
        throttle_tps: 2.0,
        ..cfg()
    })
    .await;
    let conf = mgmt(&h, "us-east-1").await;
    let orgs = aws_sdk_organizations::Client::new(&conf);
    let acm = aws_sdk_acm::Client::new(&conf);
    let sts = aws_sdk_sts::Client::new(&conf);

    async fn first_error<F, Fut, T, E>(mut f: F) -> E
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        for _ in 0..20 {
            if let Err(e) = f().await {
                return e;
            }
        }
        panic!("never throttled");
    }
    let e = first_error(|| orgs.list_roots().send()).await;
    assert_eq!(e.code(), Some("TooManyRequestsException"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
    let e = first_error(|| acm.list_certificates().send()).await;
    assert_eq!(e.code(), Some("ThrottlingException"));
    let e = first_error(|| sts.get_caller_identity().send()).await;
    assert_eq!(e.code(), Some("Throttling"));
    // Buckets are per operation: ListAccounts is still fresh.
    orgs.list_accounts().send().await.unwrap();

    // With retries, every call eventually succeeds; the simulator saw more requests than calls.
    let retrying = sdk(&h.url, "us-east-1", static_creds(), 10).await;
    let orgs = aws_sdk_organizations::Client::new(&retrying);
    let before = h.op_count("AWSOrganizationsV20161128.DescribeOrganization");
    for _ in 0..8 {
        orgs.describe_organization()
            .send()
            .await
            .expect("retried until it passed");
    }
    let sent = h.op_count("AWSOrganizationsV20161128.DescribeOrganization") - before;
    assert!(
        sent > 8,
        "throttled requests were retried ({sent} sent for 8 calls)"
    );
}

#[tokio::test]
async fn fail_rate_and_failed_regions() {
    let h = sim(SimConfig {
        fail_rate: 1.0,
        ..cfg()
    })
    .await;
    let acm = aws_sdk_acm::Client::new(&mgmt(&h, "us-east-1").await);
    let err = acm.list_certificates().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InternalServerError"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 500);

    h.set_fail_rate(0.3);
    let retrying = aws_sdk_acm::Client::new(&sdk(&h.url, "us-east-1", static_creds(), 10).await);
    let before = h.op_count("CertificateManager.ListCertificates");
    for _ in 0..10 {
        retrying
            .list_certificates()
            .send()
            .await
            .expect("retries absorb 500s");
    }
    assert!(h.op_count("CertificateManager.ListCertificates") - before > 10);
    h.set_fail_rate(0.0);

    // A failed (disabled opt-in) region for one member account.
    let (member, ..) = member_ids(&h);
    h.fail_region(&member, "ap-southeast-2");
    let bad = aws_sdk_acm::Client::new(&as_account(&h, &member, "ap-southeast-2").await);
    let err = bad.list_certificates().send().await.unwrap_err();
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
    assert_eq!(
        err.message(),
        Some("The security token included in the request is invalid.")
    );
    let good = aws_sdk_acm::Client::new(&as_account(&h, &member, "eu-west-1").await);
    good.list_certificates().send().await.unwrap();
    let mgmt_same_region = aws_sdk_acm::Client::new(&mgmt(&h, "ap-southeast-2").await);
    mgmt_same_region.list_certificates().send().await.unwrap();
    h.clear_failed_regions();
    bad.list_certificates().send().await.unwrap();
}

#[tokio::test]
async fn latency_delays_each_response() {
    let h = sim(SimConfig {
        latency_ms: 150,
        ..cfg()
    })
    .await;
    let sts = aws_sdk_sts::Client::new(&mgmt(&h, "us-east-1").await);
    let t = std::time::Instant::now();
    sts.get_caller_identity().send().await.unwrap();
    sts.get_caller_identity().send().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));
}

// ------------------------------------------------------------------------------------------
// Determinism

async fn org_fingerprint(h: &SimHandle) -> (Vec<(String, String, String)>, Vec<String>) {
    let c = aws_sdk_organizations::Client::new(&mgmt(h, "us-east-1").await);
    let mut accounts = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .list_accounts()
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for a in out.accounts() {
            accounts.push((
                a.id().unwrap().to_string(),
                a.name().unwrap().to_string(),
                a.email().unwrap().to_string(),
            ));
        }
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    let acm = aws_sdk_acm::Client::new(&mgmt(h, "us-east-1").await);
    let certs = list_arns(&acm, Some(all_keys()), 1000).await;
    (accounts, certs)
}

#[tokio::test]
async fn same_seed_same_world_other_seed_other_world() {
    let a = sim(cfg()).await;
    let b = sim(cfg()).await;
    let c = sim(SimConfig {
        seed: 4242,
        ..cfg()
    })
    .await;
    let fa = org_fingerprint(&a).await;
    let fb = org_fingerprint(&b).await;
    let fc = org_fingerprint(&c).await;
    assert_eq!(fa, fb);
    assert_ne!(fa.0, fc.0);
    assert_ne!(fa.1, fc.1);
    assert_eq!(a.world().org, b.world().org);
}

// ------------------------------------------------------------------------------------------
// The stock AWS CLI against `ssmdeck sim` as a process

/// Whether an `aws` executable is on PATH (found without starting Python).
fn aws_available() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("aws").is_file()))
}

#[test]
fn bad_flags_exit_with_code_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["sim", "--fail-rate", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("ssmdeck sim: error: --fail-rate"), "{err}");
    assert!(out.stdout.is_empty());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["sim", "--regions", "mars"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The session-token check and the role-chaining limit as the stock CLI sees them.
#[test]
fn stock_aws_cli_sees_session_tokens_checked_and_chaining_limited() {
    if !aws_available() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed; `.ci/run` installs it");
        return;
    }
    let sim = spawn_sim(&["--port", "0", "--seed", "7"]);
    let world = ssmdeck::sim::World::generate(&SimConfig { seed: 7, ..cfg() });
    let delegated = world.org.delegated_admins[0].account_id.clone();
    let member = world
        .org
        .accounts
        .iter()
        .find(|a| {
            a.status == AccountStatus::Active
                && a.joined_method == JoinedMethod::Created
                && a.id != world.org.management_account_id
                && a.id != delegated
        })
        .unwrap()
        .id
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = aws(
        &sim.url,
        d,
        &[],
        &[
            "sts",
            "assume-role",
            "--role-arn",
            &format!("arn:aws:iam::{delegated}:role/{ADMIN_ROLE}"),
            "--role-session-name",
            "cli",
        ],
    );
    let c = &out["Credentials"];
    let key = |k: &str| c[k].as_str().unwrap().to_string();
    let no_token = [
        ("AWS_ACCESS_KEY_ID", key("AccessKeyId")),
        ("AWS_SECRET_ACCESS_KEY", key("SecretAccessKey")),
    ];
    let err = common::aws_cli_error(
        &sim.url,
        d,
        &no_token,
        &["ssm", "describe-instance-information"],
    );
    assert!(err.contains("(UnrecognizedClientException)"), "{err}");
    assert!(
        err.contains("The security token included in the request is invalid"),
        "{err}"
    );
    let err = common::aws_cli_error(&sim.url, d, &no_token, &["sts", "get-caller-identity"]);
    assert!(err.contains("(InvalidClientTokenId)"), "{err}");
    let mut with_token = no_token.to_vec();
    with_token.push(("AWS_SESSION_TOKEN", key("SessionToken")));
    let me = aws(&sim.url, d, &with_token, &["sts", "get-caller-identity"]);
    assert_eq!(me["Account"], delegated.as_str());
    let chained = [
        "sts",
        "assume-role",
        "--role-arn",
        &format!("arn:aws:iam::{member}:role/{READONLY_ROLE}"),
        "--role-session-name",
        "chained",
        "--duration-seconds",
    ];
    let mut too_long = chained.to_vec();
    too_long.push("7200");
    let err = common::aws_cli_error(&sim.url, d, &with_token, &too_long);
    assert!(err.contains("(ValidationError)"), "{err}");
    let mut hour = chained.to_vec();
    hour.push("3600");
    let ok = aws(&sim.url, d, &with_token, &hour);
    assert!(ok["Credentials"]["SessionToken"].is_string());
}

#[test]
fn stock_aws_cli_talks_to_ssmdeck_sim() {
    if !aws_available() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed; `.ci/run` installs it");
        return;
    }
    let sim = spawn_sim(&["--port", "0", "--seed", "7"]);
    // The same world, generated here: ids and ARNs depend only on the seed.
    let world = ssmdeck::sim::World::generate(&SimConfig { seed: 7, ..cfg() });
    let mgmt = world.org.management_account_id.clone();
    let member = world
        .org
        .accounts
        .iter()
        .find(|a| a.name == "payments-prod")
        .unwrap()
        .clone();
    let cert = world.acm.certs(&member.id, "us-east-1")[0].clone();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config"), "").unwrap();
    std::fs::write(dir.path().join("credentials"), "").unwrap();
    let d = dir.path();
    let url = sim.url.as_str();
    let role_arn = format!(
        "arn:aws:iam::{}:role/OrganizationAccountAccessRole",
        member.id
    );
    // Independent CLI calls run side by side (each starts a Python interpreter).
    let (me, accounts, role) = std::thread::scope(|s| {
        let me = s.spawn(|| aws(url, d, &[], &["sts", "get-caller-identity"]));
        let accounts = s.spawn(|| aws(url, d, &[], &["organizations", "list-accounts"]));
        let role = s.spawn(|| {
            aws(
                url,
                d,
                &[],
                &[
                    "sts",
                    "assume-role",
                    "--role-arn",
                    &role_arn,
                    "--role-session-name",
                    "cli-test",
                ],
            )
        });
        (
            me.join().unwrap(),
            accounts.join().unwrap(),
            role.join().unwrap(),
        )
    });
    assert_eq!(me["Account"], mgmt.as_str());
    assert_eq!(
        me["Arn"],
        format!("arn:aws:iam::{mgmt}:user/ops-admin").as_str()
    );

    let list = accounts["Accounts"].as_array().unwrap();
    assert_eq!(list.len(), 12, "the CLI paginates to the end");
    let got = list.iter().find(|a| a["Id"] == member.id.as_str()).unwrap();
    assert_eq!(got["Name"], "payments-prod");
    assert_eq!(got["State"], "ACTIVE");
    assert_eq!(got["JoinedMethod"], "CREATED");
    assert!(got["JoinedTimestamp"].is_number() || got["JoinedTimestamp"].is_string());
    assert_eq!(
        list.iter().filter(|a| a["Status"] == "SUSPENDED").count(),
        1
    );

    let c = &role["Credentials"];
    assert!(c["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert_eq!(
        role["AssumedRoleUser"]["Arn"],
        format!(
            "arn:aws:sts::{}:assumed-role/OrganizationAccountAccessRole/cli-test",
            member.id
        )
        .as_str()
    );
    let env = vec![
        (
            "AWS_ACCESS_KEY_ID",
            c["AccessKeyId"].as_str().unwrap().to_string(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            c["SecretAccessKey"].as_str().unwrap().to_string(),
        ),
        (
            "AWS_SESSION_TOKEN",
            c["SessionToken"].as_str().unwrap().to_string(),
        ),
    ];
    let env = env.as_slice();
    let (who, all, default, described, nodes) = std::thread::scope(|s| {
        let who = s.spawn(|| aws(url, d, env, &["sts", "get-caller-identity"]));
        let all = s.spawn(|| {
            aws(
                url,
                d,
                env,
                &[
                    "acm",
                    "list-certificates",
                    "--includes",
                    "keyTypes=RSA_2048,RSA_4096,EC_prime256v1,EC_secp384r1",
                    "--region",
                    "us-east-1",
                ],
            )
        });
        let default = s.spawn(|| {
            aws(
                url,
                d,
                env,
                &["acm", "list-certificates", "--region", "us-east-1"],
            )
        });
        let described = s.spawn(|| {
            aws(
                url,
                d,
                env,
                &[
                    "acm",
                    "describe-certificate",
                    "--certificate-arn",
                    &cert.arn,
                    "--region",
                    "us-east-1",
                ],
            )
        });
        let nodes = s.spawn(|| {
            aws(
                url,
                d,
                env,
                &[
                    "ssm",
                    "describe-instance-information",
                    "--region",
                    "eu-west-1",
                ],
            )
        });
        (
            who.join().unwrap(),
            all.join().unwrap(),
            default.join().unwrap(),
            described.join().unwrap(),
            nodes.join().unwrap(),
        )
    });
    assert_eq!(who["Account"], member.id.as_str());

    // ACM: every key type when asked, RSA_2048 only by default, the member's certificates only.
    let arns = |v: &serde_json::Value| -> Vec<String> {
        v["CertificateSummaryList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["CertificateArn"].as_str().unwrap().to_string())
            .collect()
    };
    let want: Vec<String> = world
        .acm
        .certs(&member.id, "us-east-1")
        .iter()
        .map(|c| c.arn.clone())
        .collect();
    assert_eq!(arns(&all), want);
    let want_default: Vec<String> = world
        .acm
        .certs(&member.id, "us-east-1")
        .iter()
        .filter(|c| c.key_algorithm == "RSA_2048")
        .map(|c| c.arn.clone())
        .collect();
    assert_eq!(arns(&default), want_default);
    let detail = &described["Certificate"];
    assert_eq!(detail["CertificateArn"], cert.arn.as_str());
    assert_eq!(detail["DomainName"], cert.domain.as_str());
    assert_eq!(detail["Type"], cert.cert_type.as_str());
    assert_eq!(
        detail["InUseBy"].as_array().unwrap().len(),
        cert.in_use_by.len()
    );

    // SSM through the same process: the member's fleet in eu-west-1, every page.
    let list = nodes["InstanceInformationList"].as_array().unwrap();
    assert_eq!(list.len(), world.ssm.node_count(&member.id, "eu-west-1"));
    assert!(list.iter().all(|n| {
        n["InstanceId"]
            .as_str()
            .is_some_and(|i| i.starts_with("i-") || i.starts_with("mi-"))
    }));
}

// ------------------------------------------------------------------------------------------
// SSM through the server: the caller's account and region pick the fleet

async fn instance_ids(ssm: &aws_sdk_ssm::Client, page: i32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let out = ssm
            .describe_instance_information()
            .max_results(page)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        let list = out.instance_information_list();
        assert!(list.len() <= page as usize);
        ids.extend(list.iter().map(|i| i.instance_id().unwrap().to_string()));
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    ids
}

#[tokio::test]
async fn ssm_calls_reach_the_fleet_of_the_callers_account_and_region() {
    let h = sim(cfg()).await;
    let world = h.world().clone();
    let mgmt_id = h.management_account_id();
    let (member, invited, suspended, _) = member_ids(&h);
    assert!(world.ssm.total_nodes() > 0);
    assert_eq!(world.ssm.node_count(&suspended, "us-east-1"), 0);
    assert!(
        world.ssm.node_count(&invited, "us-east-1") > 0,
        "invited accounts have a fleet, just no role"
    );

    let mut seen: Vec<HashSet<String>> = Vec::new();
    let mut pages_expected = 0;
    for (acct, region) in [
        (mgmt_id.as_str(), "us-east-1"),
        (member.as_str(), "eu-west-1"),
        (member.as_str(), "ap-southeast-2"),
    ] {
        let ssm = aws_sdk_ssm::Client::new(&as_account(&h, acct, region).await);
        let ids = instance_ids(&ssm, 7).await;
        let n = world.ssm.node_count(acct, region);
        assert!(n > 0);
        assert_eq!(ids.len(), n, "{acct} {region}");
        let set: HashSet<String> = ids.into_iter().collect();
        assert_eq!(set.len(), n, "no duplicates across pages");
        assert!(
            set.iter()
                .all(|i| i.starts_with("i-") || i.starts_with("mi-"))
        );
        seen.push(set);
        pages_expected += n.div_ceil(7);
    }
    // Account × region isolation.
    assert!(seen[0].is_disjoint(&seen[1]));
    assert!(seen[1].is_disjoint(&seen[2]));
    // Every request was counted (a last empty page may be served too).
    let counted = h.op_count("AmazonSSM.DescribeInstanceInformation") as usize;
    assert!(
        counted >= pages_expected && counted <= pages_expected + 3,
        "{counted} vs {pages_expected}"
    );

    // Patch states come from the same fleet.
    let ssm = aws_sdk_ssm::Client::new(&as_account(&h, &member, "eu-west-1").await);
    let first: Vec<String> = seen[1].iter().take(10).cloned().collect();
    let states = ssm
        .describe_instance_patch_states()
        .set_instance_ids(Some(first.clone()))
        .send()
        .await
        .unwrap();
    for s in states.instance_patch_states() {
        assert!(first.contains(&s.instance_id().to_string()));
    }

    // The service's own validation reaches the SDK with the right code; throttling uses
    // SSM's error.
    let err = ssm
        .describe_instance_information()
        .max_results(51)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    h.set_throttle_tps(1.0);
    let mut throttled = None;
    for _ in 0..5 {
        if let Err(e) = ssm.describe_instance_information().send().await {
            throttled = Some(e);
            break;
        }
    }
    assert_eq!(throttled.unwrap().code(), Some("ThrottlingException"));
}

#[test]
fn sim_process_stops_cleanly_on_sigterm_and_reports_a_busy_port() {
    let mut sim = spawn_sim(&["--accounts", "3", "--regions", "us-east-1"]);
    let port = sim.url.rsplit(':').next().unwrap().to_string();

    // A second simulator on the same port: a clear error, not a panic.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["sim", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "ssmdeck sim: error: cannot listen on 127.0.0.1:{port}"
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    #[cfg(unix)]
    {
        let pid = sim.child.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = sim.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "sim did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(
            status.code(),
            Some(0),
            "SIGTERM ends the simulator with exit 0"
        );
    }
}
