//! Collection of one account × region: managed nodes with their patch states (SSM),
//! certificates (ACM), recent patch operations (Run Command). The three run concurrently;
//! a failure in one is recorded and the others carry on.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::model::{Certificate, CollectError, CommandSummary, Interner, Node};

use super::clients::RegionClients;
use super::convert;
use super::error::Failure;
use super::limiter::{ApiKey, Limiter};
use super::memo::{CertMemo, UnitMemo};

/// DescribeInstanceInformation page size (the API maximum).
pub const INFO_PAGE: i32 = 50;
/// Instance ids per DescribeInstancePatchStates call (the API maximum).
pub const PATCH_STATE_BATCH: usize = 50;
/// ListCommands page size (the API maximum) and pages read per refresh.
pub const COMMANDS_PAGE: i32 = 50;
pub const COMMANDS_MAX_PAGES: usize = 2;

/// Shared by every collection task of one refresh.
#[derive(Clone)]
pub struct CollectCtx {
    pub limiter: Arc<Limiter>,
    pub cancel: CancellationToken,
    /// The refresh's reference time (days left, command history window).
    pub now: DateTime<Utc>,
    pub command_history_days: i64,
}

/// What one account × region produced. `None` for a source that failed (the snapshot then
/// keeps that source's previous data, and the error says why).
#[derive(Clone, Debug, Default)]
pub struct UnitResult {
    pub account_id: String,
    pub region: String,
    pub nodes: Option<Vec<Node>>,
    /// Nodes whose patch-state batch failed: their previous patch state is kept.
    pub patch_state_missing: Vec<String>,
    pub certificates: Option<Vec<Certificate>>,
    pub commands: Option<Vec<CommandSummary>>,
    pub errors: Vec<CollectError>,
    pub fetched_at: DateTime<Utc>,
}

pub async fn collect_unit(
    ctx: &CollectCtx,
    clients: &RegionClients,
    account_id: &str,
    region: &str,
) -> UnitResult {
    let (nodes, certs, commands) = tokio::join!(
        collect_nodes(ctx, &clients.ssm, &clients.memo, account_id, region),
        collect_certificates(ctx, clients, account_id, region),
        collect_commands(ctx, clients, account_id, region),
    );
    let mut errors = Vec::new();
    let (nodes, missing) = match nodes {
        Ok((n, missing, errs)) => {
            errors.extend(errs);
            (Some(n), missing)
        }
        Err(e) => {
            errors.extend(e);
            (None, Vec::new())
        }
    };
    let certificates = match certs {
        Ok((c, errs)) => {
            errors.extend(errs);
            Some(c)
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let commands = match commands {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    UnitResult {
        account_id: account_id.to_string(),
        region: region.to_string(),
        nodes,
        patch_state_missing: missing,
        certificates,
        commands,
        errors,
        fetched_at: Utc::now(),
    }
}

fn err(
    f: &Failure,
    account_id: &str,
    region: &str,
    service: &str,
    operation: &str,
) -> CollectError {
    f.to_collect_error(Some(account_id), Some(region), service, operation)
}

type NodesOk = (Vec<Node>, Vec<String>, Vec<CollectError>);
/// A patch-state batch: the states, or the failure with the ids it covered.
type BatchResult = Result<Vec<aws_sdk_ssm::types::InstancePatchState>, (Failure, Vec<String>)>;

/// One batch's answers: where its nodes start in the unit's list, their patch states, and
/// the patch group tags of its hybrid nodes without one: read now, or `reused` from the
/// unit's memo (read within the hour).
struct Batch {
    start: usize,
    states: BatchResult,
    tags: Vec<(String, Result<Option<String>, Failure>)>,
    reused: Vec<(String, Option<String>)>,
}

/// DescribeInstanceInformation (all pages); each page's patch states are fetched while the
/// next page loads.
async fn collect_nodes(
    ctx: &CollectCtx,
    ssm: &aws_sdk_ssm::Client,
    memo: &Arc<UnitMemo>,
    account_id: &str,
    region: &str,
) -> Result<NodesOk, Vec<CollectError>> {
    let key = ApiKey::new(account_id, region, "DescribeInstanceInformation");
    let mut nodes: Vec<Node> = Vec::new();
    let mut interner = Interner::default();
    // each batch knows where its nodes start in `nodes` (pages only append)
    let mut states: JoinSet<Batch> = JoinSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .limiter
            .call(&key, &ctx.cancel, || {
                let t = token.clone();
                async move {
                    ssm.describe_instance_information()
                        .max_results(INFO_PAGE)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await;
        let page = match page {
            Ok(p) => p,
            Err(f) => {
                states.abort_all();
                if f.is_cancelled() {
                    return Err(Vec::new());
                }
                return Err(vec![err(
                    &f,
                    account_id,
                    region,
                    "ssm",
                    "DescribeInstanceInformation",
                )]);
            }
        };
        let first = nodes.len();
        // the page's values move into the nodes (no copy of 40,000 nodes' strings); room for
        // the page first, so the unit's nodes are not moved through each doubling of the Vec
        let list = page.instance_information_list.unwrap_or_default();
        nodes.reserve(list.len());
        nodes.extend(
            list.into_iter().filter_map(|i| {
                convert::node_from_owned_info(i, account_id, region, &mut interner)
            }),
        );
        for (n, chunk) in nodes[first..].chunks(PATCH_STATE_BATCH).enumerate() {
            let start = first + n * PATCH_STATE_BATCH;
            let batch: Vec<String> = chunk.iter().map(|n| n.instance_id.clone()).collect();
            let ssm = ssm.clone();
            let ctx = ctx.clone();
            let key = ApiKey::new(account_id, region, "DescribeInstancePatchStates");
            let tags_key = ApiKey::new(account_id, region, "ListTagsForResource");
            let memo = memo.clone();
            states.spawn(async move {
                let r = patch_states(&ctx, &ssm, &key, &batch).await;
                // a hybrid node that reported no patch state: its group from its tags, read
                // as soon as its batch answered (not after the unit's last batch), unless
                // read within the hour
                let mut reused = Vec::new();
                let untagged: Vec<&String> = batch
                    .iter()
                    .filter(|id| {
                        id.starts_with("mi-")
                            && match &r {
                                Ok(list) => !list.iter().any(|s| s.instance_id() == id.as_str()),
                                Err(_) => true,
                            }
                    })
                    .filter(|id| match memo.group_tag(id) {
                        Some(g) => {
                            reused.push(((*id).clone(), g));
                            false
                        }
                        None => true,
                    })
                    .collect();
                let tags = hybrid_tags(&ctx, &ssm, &tags_key, &untagged).await;
                Batch {
                    start,
                    states: r.map_err(|f| (f, batch)),
                    tags,
                    reused,
                }
            });
        }
        token = page.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    let mut missing = Vec::new();
    let mut errors = Vec::new();
    let mut tags_failed = false;
    let (mut read_tags, mut kept_tags) = (Vec::new(), Vec::<String>::new());
    while let Some(joined) = states.join_next().await {
        let b = match joined {
            Ok(b) => b,
            Err(join_err) => {
                errors.push(err(
                    &Failure::new(
                        super::error::FailureKind::Client,
                        "Internal",
                        join_err.to_string(),
                    ),
                    account_id,
                    region,
                    "ssm",
                    "DescribeInstancePatchStates",
                ));
                continue;
            }
        };
        let end = (b.start + PATCH_STATE_BATCH).min(nodes.len());
        let here = &mut nodes[b.start..end];
        match b.states {
            Ok(list) => apply_batch(here, &list, &mut interner),
            Err((f, batch)) => {
                if f.is_cancelled() {
                    return Err(Vec::new());
                }
                if !errors
                    .iter()
                    .any(|e| e.operation == "DescribeInstancePatchStates")
                {
                    errors.push(err(
                        &f,
                        account_id,
                        region,
                        "ssm",
                        "DescribeInstancePatchStates",
                    ));
                }
                missing.extend(batch);
            }
        }
        let mut set_group = |id: &str, g: &str| {
            if let Some(n) = here.iter_mut().find(|n| n.instance_id == id) {
                n.patch_group = Some(interner.get(g));
            }
        };
        for (id, g) in b.reused {
            if let Some(g) = &g {
                set_group(&id, g);
            }
            kept_tags.push(id);
        }
        for (id, r) in b.tags {
            match r {
                Ok(g) => {
                    if let Some(g) = &g {
                        set_group(&id, g);
                    }
                    read_tags.push((id, g));
                }
                Err(f) => {
                    if !f.is_cancelled() && !tags_failed {
                        tags_failed = true;
                        errors.push(err(&f, account_id, region, "ssm", "ListTagsForResource"));
                    }
                    // the last group read stays on screen (and keeps its age)
                    if let Some(Some(g)) = memo.last_group_tag(&id) {
                        set_group(&id, &g);
                    }
                    kept_tags.push(id);
                }
            }
        }
    }
    memo.keep_group_tags(read_tags, kept_tags.iter().map(String::as_str));
    Ok((nodes, missing, errors))
}

/// Apply one batch's patch states to the batch's nodes. AWS answers in the order asked in
/// practice, so each state is first looked for at its own position, then in the batch.
fn apply_batch(
    batch: &mut [Node],
    states: &[aws_sdk_ssm::types::InstancePatchState],
    interner: &mut Interner,
) {
    for (k, s) in states.iter().enumerate() {
        let id = s.instance_id();
        let at = match batch.get(k) {
            Some(n) if n.instance_id == id => Some(k),
            _ => batch.iter().position(|n| n.instance_id == id),
        };
        if let Some(i) = at {
            convert::apply_patch_state_with(&mut batch[i], s, interner);
        }
    }
}

/// Hybrid (`mi-`) nodes that never reported a patch state: their patch group from the
/// `Patch Group` / `PatchGroup` tag (ListTagsForResource; SSM holds hybrid nodes' tags, EC2
/// instances' tags live in EC2), each id's answer apart. Nodes with a patch state already
/// carry the group Patch Manager used. A failure becomes one error for the unit; the nodes
/// stay.
async fn hybrid_tags(
    ctx: &CollectCtx,
    ssm: &aws_sdk_ssm::Client,
    key: &ApiKey,
    ids: &[&String],
) -> Vec<(String, Result<Option<String>, Failure>)> {
    let reads = ids.iter().map(|&id| async move {
        let r = ctx
            .limiter
            .call(key, &ctx.cancel, || managed_instance_tags(ssm, id))
            .await;
        (id.clone(), r.map(|tags| convert::patch_group_tag(&tags)))
    });
    futures::future::join_all(reads).await
}

/// A hybrid (`mi-`) node's tags: ListTagsForResource on the managed instance (SSM holds
/// hybrid nodes' tags; EC2 instances' tags live in EC2).
pub async fn managed_instance_tags(
    ssm: &aws_sdk_ssm::Client,
    id: &str,
) -> Result<Vec<aws_sdk_ssm::types::Tag>, Failure> {
    use aws_sdk_ssm::types::ResourceTypeForTagging;
    ssm.list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::ManagedInstance)
        .resource_id(id)
        .send()
        .await
        .map(|out| out.tag_list.unwrap_or_default())
        .map_err(|e| Failure::from_sdk(&e))
}

/// A hybrid node without a patch state (so without the group Patch Manager recorded).
pub fn needs_tags(n: &Node) -> bool {
    n.instance_id.starts_with("mi-") && n.compliance == crate::model::Compliance::Unreported
}

/// DescribeInstancePatchStates for up to 50 ids (all pages).
pub async fn patch_states(
    ctx: &CollectCtx,
    ssm: &aws_sdk_ssm::Client,
    key: &ApiKey,
    ids: &[String],
) -> Result<Vec<aws_sdk_ssm::types::InstancePatchState>, Failure> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .limiter
            .call(key, &ctx.cancel, || {
                let t = token.clone();
                async move {
                    ssm.describe_instance_patch_states()
                        .set_instance_ids(Some(ids.to_vec()))
                        .max_results(PATCH_STATE_BATCH as i32)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await?;
        out.extend(page.instance_patch_states.unwrap_or_default());
        token = page.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Every key type, so ListCertificates does not hide EC and RSA-4096 certificates.
fn all_key_types() -> Vec<aws_sdk_acm::types::KeyAlgorithm> {
    use aws_sdk_acm::types::KeyAlgorithm as K;
    vec![
        K::Rsa1024,
        K::Rsa2048,
        K::Rsa3072,
        K::Rsa4096,
        K::EcPrime256v1,
        K::EcSecp384r1,
        K::EcSecp521r1,
    ]
}

/// ListCertificates (all pages, every key type), then DescribeCertificate for the ones whose
/// summary lacks what the views need (in-use-by, renewal status) — unless the unit's memo
/// has them for the same summary.
async fn collect_certificates(
    ctx: &CollectCtx,
    clients: &RegionClients,
    account_id: &str,
    region: &str,
) -> Result<(Vec<Certificate>, Vec<CollectError>), CollectError> {
    let acm = &clients.acm;
    let key = ApiKey::new(account_id, region, "ListCertificates");
    let includes = aws_sdk_acm::types::Filters::builder()
        .set_key_types(Some(all_key_types()))
        .build();
    let mut certs = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .limiter
            .call(&key, &ctx.cancel, || {
                let t = token.clone();
                let includes = includes.clone();
                async move {
                    acm.list_certificates()
                        .includes(includes)
                        .max_items(1000)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await
            .map_err(|f| err(&f, account_id, region, "acm", "ListCertificates"))?;
        certs.extend(
            page.certificate_summary_list()
                .iter()
                .filter_map(|c| convert::cert_from_summary(c, account_id, region, ctx.now)),
        );
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut kept: Vec<CertMemo> = Vec::new();
    let mut wanted: Vec<usize> = Vec::new();
    for (i, c) in certs.iter_mut().enumerate() {
        if !convert::needs_detail(c) {
            continue;
        }
        match clients.memo.certificate(c, ctx.now) {
            Some((detailed, m)) => {
                *c = detailed;
                kept.push(m);
            }
            None => wanted.push(i),
        }
    }
    let dkey = ApiKey::new(account_id, region, "DescribeCertificate");
    let details =
        futures::future::join_all(wanted.into_iter().map(|i| (i, &certs[i])).map(|(i, c)| {
            let arn = c.arn.clone();
            let dkey = &dkey;
            async move {
                let r = ctx
                    .limiter
                    .call(dkey, &ctx.cancel, || {
                        let arn = arn.clone();
                        async move {
                            acm.describe_certificate()
                                .certificate_arn(arn)
                                .send()
                                .await
                                .map_err(|e| Failure::from_sdk(&e))
                        }
                    })
                    .await;
                (i, r)
            }
        }))
        .await;
    let mut errors = Vec::new();
    for (i, r) in details {
        match r {
            Ok(out) => {
                if let Some(d) = out.certificate() {
                    let summary = certs[i].clone();
                    convert::apply_cert_detail(&mut certs[i], d, ctx.now);
                    kept.push(CertMemo::new(summary, certs[i].clone()));
                }
            }
            Err(f) if f.is_cancelled() => {}
            Err(f) => {
                if errors.is_empty() {
                    errors.push(err(&f, account_id, region, "acm", "DescribeCertificate"));
                }
            }
        }
    }
    clients.memo.keep_certificates(kept);
    Ok((certs, errors))
}

/// Recent Run Command commands of every document (ListCommands, newest first, a couple of pages),
/// read incrementally: only those requested since the newest one the unit's memo holds (or
/// the oldest still running), merged with the older ones kept.
async fn collect_commands(
    ctx: &CollectCtx,
    clients: &RegionClients,
    account_id: &str,
    region: &str,
) -> Result<Vec<CommandSummary>, CollectError> {
    use aws_sdk_ssm::types::{CommandFilter, CommandFilterKey};
    let ssm = &clients.ssm;
    let key = ApiKey::new(account_id, region, "ListCommands");
    let window_start = ctx.now - chrono::Duration::days(ctx.command_history_days.max(1));
    let from = clients.memo.commands_from(window_start);
    // InvokedAfter is inclusive and to the second: the newest kept command is read again
    let since = from
        .unwrap_or(window_start)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    // every document's commands (`:commands` shows Run Command runs too, not only patching)
    let filters = vec![
        CommandFilter::builder()
            .key(CommandFilterKey::InvokedAfter)
            .value(since)
            .build()
            .expect("key and value set"),
    ];
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..COMMANDS_MAX_PAGES {
        let page = ctx
            .limiter
            .call(&key, &ctx.cancel, || {
                let t = token.clone();
                let filters = filters.clone();
                async move {
                    ssm.list_commands()
                        .set_filters(Some(filters))
                        .max_results(COMMANDS_PAGE)
                        .set_next_token(t)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await
            .map_err(|f| err(&f, account_id, region, "ssm", "ListCommands"))?;
        out.extend(
            page.commands()
                .iter()
                .filter_map(|c| convert::command_from_sdk(c, account_id, region)),
        );
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(clients.memo.merge_commands(
        out,
        from.is_some(),
        window_start,
        COMMANDS_PAGE as usize * COMMANDS_MAX_PAGES,
    ))
}
