//! Node tags, read by a background pass of their own on the patch schedules' cadence
//! (`schedules::SCHEDULES_EVERY`, after a refresh, and with `RefreshSchedules`), never by
//! the fleet refresh, and never holding the schedules back: the windows, baselines and
//! associations are published as soon as they are read, the tags when their pass is done.
//!
//! Where SSM has them (botocore `ssm/2014-11-06/service-2.json`):
//! - hybrid (`mi-`) nodes: `ListTagsForResource` with `ResourceType=ManagedInstance` (SSM
//!   holds their tags; an EC2 instance id there is `InvalidResourceId`);
//! - EC2 instances: their tags live in EC2. Without an EC2 client, SSM's copy is the
//!   `AWS:Tag` inventory type (`ListInventoryEntries`). `GetInventory` cannot return it in
//!   bulk: its `ResultAttribute.TypeName` accepts only `AWS:InstanceInformation`, and
//!   `AWS:Tag` is not aggregatable.
//!
//! So one call per node read. What a pass reads is [`NodeTags::plan`]: new nodes at once,
//! re-reads about once a [`crate::model::tags::TAGS_MAX_AGE`] (a day) spread evenly over the
//! passes — 40,000 nodes cost ~1,700 calls an hour, not 40,000. The calls are background
//! work ([`super::limiter::Limiter::call_background`]): many in flight, interleaved across
//! account × region × API keys so the per-key rate limits bound a cold pass, and a node
//! detail's foreground call on the same key goes first. A node whose call fails keeps the
//! tags read before and their read time (a failure never shrinks the last good picture,
//! nor resets its age); one error per account × region × API says so.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Fleet;
use super::error::Failure;
use super::limiter::ApiKey;
use crate::model::tags::{NodeTags, Tag, TagPlan, api_for};
use crate::model::{CollectError, FleetSnapshot, NodeKey};

const MAX_PAGES: usize = 5;
/// Tag reads in flight at most (bounded by the scope's concurrency). Background calls take
/// a key's token only while half its burst is spare, so many may wait at once without
/// delaying a foreground call; this many keeps hundreds of account × region keys busy
/// (like the patch index).
const IN_FLIGHT: usize = 256;

/// What one tag pass did.
#[derive(Clone, Debug, Default)]
pub struct TagPass {
    pub tags: NodeTags,
    pub plan: TagPlan,
}

/// `keys` reordered to take one node of each account × region × API in turn, so the calls
/// in flight spread over every key's rate limit instead of queueing on one.
fn interleave(keys: Vec<NodeKey>) -> Vec<NodeKey> {
    let mut by: BTreeMap<(String, String, &'static str), Vec<NodeKey>> = BTreeMap::new();
    for k in keys {
        by.entry((
            k.account_id.clone(),
            k.region.clone(),
            api_for(&k.instance_id),
        ))
        .or_default()
        .push(k);
    }
    let total = by.values().map(Vec::len).sum();
    let mut lists: Vec<std::vec::IntoIter<NodeKey>> =
        by.into_values().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for l in &mut lists {
            if let Some(k) = l.next() {
                out.push(k);
            }
        }
    }
    out
}

impl Fleet {
    /// Run a tag pass now over the nodes of `snap` (or of the last snapshot), starting from
    /// the tags the fleet holds, and publish the result (the fleet's schedules and its last
    /// snapshot carry it). Returns what the pass did.
    pub async fn refresh_tags(&self, snap: Option<&FleetSnapshot>) -> TagPass {
        let last = self.inner.last_snapshot();
        let snap = snap.or(last.as_deref());
        let prev = super::schedules::current(&self.inner.schedules)
            .tags
            .clone();
        let pass = self.read_tags(snap, &prev, Utc::now()).await;
        let s = super::schedules::offer_tags(&self.inner.schedules, pass.tags.clone());
        self.publish_schedules(&s);
        pass
    }

    /// One tag pass at `now` (a clock: tests and benchmarks age the tags) over the nodes of
    /// `snap`, from `prev`: reads what [`NodeTags::plan`] says, keeps the rest of `prev`
    /// for nodes still in `snap`. Publishes nothing.
    pub async fn read_tags(
        &self,
        snap: Option<&FleetSnapshot>,
        prev: &NodeTags,
        now: DateTime<Utc>,
    ) -> TagPass {
        let Some(snap) = snap else {
            return TagPass {
                tags: prev.clone(),
                plan: TagPlan::default(),
            };
        };
        let keys: Vec<NodeKey> = snap.nodes.iter().map(|n| n.key()).collect();
        let plan = prev.plan(&keys, now);
        let width = IN_FLIGHT.min(self.inner.scope.concurrency.max(1));
        let cancel = CancellationToken::new();
        let mut read: HashMap<NodeKey, Result<Vec<Tag>, CollectError>> =
            futures::stream::iter(interleave(plan.read.clone()))
                .map(|key| {
                    let cancel = cancel.clone();
                    async move {
                        let r = self.node_tags(&key, &cancel).await;
                        (key, r)
                    }
                })
                .buffer_unordered(width)
                .collect()
                .await;
        let mut out = NodeTags {
            fetched_at: Some(now),
            ..NodeTags::default()
        };
        let mut errors: BTreeMap<(String, String, String), CollectError> = BTreeMap::new();
        for key in keys {
            match read.remove(&key) {
                Some(Ok(tags)) => out.push(key, tags, now),
                Some(Err(e)) => {
                    errors
                        .entry((
                            key.account_id.clone(),
                            key.region.clone(),
                            e.operation.clone(),
                        ))
                        .or_insert_with(|| CollectError {
                            message: format!(
                                "node tags not read; the tags read before are kept ({})",
                                e.message
                            ),
                            ..e
                        });
                    keep(&mut out, prev, key);
                }
                None => keep(&mut out, prev, key),
            }
        }
        out.errors = errors.into_values().collect();
        out.sort();
        TagPass { tags: out, plan }
    }

    async fn node_tags(
        &self,
        key: &NodeKey,
        cancel: &CancellationToken,
    ) -> Result<Vec<Tag>, CollectError> {
        let (acct, region, id) = (&key.account_id, &key.region, &key.instance_id);
        let hybrid = id.starts_with("mi-");
        let api = api_for(id);
        if let Err(e) = self.account_credentials(acct).await {
            return Err(CollectError {
                account_id: Some(acct.clone()),
                region: Some(region.clone()),
                service: "sts".into(),
                operation: "AssumeRole".into(),
                code: "AccountNotEntered".into(),
                message: e.to_string(),
                at: Some(chrono::Utc::now()),
            });
        }
        let ssm = self.inner.clients.region_clients(acct, region).await.ssm;
        let limit = ApiKey::new(acct, region, api);
        let fail = |f: Failure| f.to_collect_error(Some(acct), Some(region), "ssm", api);
        if hybrid {
            let tags = self
                .inner
                .limiter
                .call_background(&limit, cancel, || {
                    super::collect::managed_instance_tags(&ssm, id)
                })
                .await
                .map_err(fail)?;
            return Ok(tags
                .iter()
                .map(|t| Tag {
                    key: t.key().to_string(),
                    value: t.value().to_string(),
                })
                .collect());
        }
        let mut tags = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .inner
                .limiter
                .call_background(&limit, cancel, || {
                    let t = token.clone();
                    let ssm = ssm.clone();
                    async move {
                        ssm.list_inventory_entries()
                            .instance_id(id)
                            .type_name("AWS:Tag")
                            .set_next_token(t)
                            .send()
                            .await
                            .map_err(|e| Failure::from_sdk(&e))
                    }
                })
                .await
                .map_err(fail)?;
            for e in page.entries() {
                if let Some(k) = e.get("Key").filter(|k| !k.is_empty()) {
                    tags.push(Tag {
                        key: k.clone(),
                        value: e.get("Value").cloned().unwrap_or_default(),
                    });
                }
            }
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(String::from);
            if token.is_none() {
                break;
            }
        }
        Ok(tags)
    }
}

/// A node not read this pass keeps the tags (and read time) it had, if any.
fn keep(out: &mut NodeTags, prev: &NodeTags, key: NodeKey) {
    let (Some(tags), Some(at)) = (prev.of(&key), prev.read_time_of(&key)) else {
        return;
    };
    let tags = tags.to_vec();
    out.push(key, tags, at);
}
