//! Node tags, read on the patch schedules' cadence (`schedules::SCHEDULES_EVERY`, after a
//! refresh, and with `RefreshSchedules`), never by the fleet refresh.
//!
//! Where SSM has them (botocore `ssm/2014-11-06/service-2.json`):
//! - hybrid (`mi-`) nodes: `ListTagsForResource` with `ResourceType=ManagedInstance` (SSM
//!   holds their tags; an EC2 instance id there is `InvalidResourceId`);
//! - EC2 instances: their tags live in EC2. Without an EC2 client, SSM's copy is the
//!   `AWS:Tag` inventory type (`ListInventoryEntries`). `GetInventory` cannot return it in
//!   bulk: its `ResultAttribute.TypeName` accepts only `AWS:InstanceInformation`, and
//!   `AWS:Tag` is not aggregatable.
//!
//! So one call per node per cadence (an hour by default): 500 nodes cost 500 calls an
//! hour, through the shared limiter. A node whose call fails keeps the tags read before
//! (a failure never shrinks the last good picture); one error per account × region × API
//! says so.

use std::collections::BTreeMap;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Fleet;
use super::error::Failure;
use super::limiter::ApiKey;
use crate::model::tags::{NodeTags, Tag};
use crate::model::{CollectError, FleetSnapshot, NodeKey};

const MAX_PAGES: usize = 5;
/// Tag reads in flight at once: few, so an on-demand read of the same API (a node's
/// inventory) is never queued behind a whole fleet's tags.
const IN_FLIGHT: usize = 4;

impl Fleet {
    /// The tags of every node of `snap`; `prev` supplies the tags of nodes that could not
    /// be read this time.
    pub async fn read_tags(&self, snap: Option<&FleetSnapshot>, prev: &NodeTags) -> NodeTags {
        let now = chrono::Utc::now();
        let Some(snap) = snap else {
            return prev.clone();
        };
        let keys: Vec<NodeKey> = snap.nodes.iter().map(|n| n.key()).collect();
        let width = IN_FLIGHT.min(self.inner.scope.concurrency.max(1));
        let cancel = CancellationToken::new();
        let results: Vec<(NodeKey, Result<Vec<Tag>, CollectError>)> = futures::stream::iter(keys)
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
        for (key, r) in results {
            match r {
                Ok(tags) => out.nodes.push((key, tags)),
                Err(e) => {
                    if let Some(old) = prev.of(&key) {
                        out.nodes.push((key.clone(), old.to_vec()));
                    }
                    errors
                        .entry((
                            key.account_id.clone(),
                            key.region.clone(),
                            e.operation.clone(),
                        ))
                        .or_insert(e);
                }
            }
        }
        out.errors = errors.into_values().collect();
        out.sort();
        out
    }

    async fn node_tags(
        &self,
        key: &NodeKey,
        cancel: &CancellationToken,
    ) -> Result<Vec<Tag>, CollectError> {
        let (acct, region, id) = (&key.account_id, &key.region, &key.instance_id);
        let hybrid = id.starts_with("mi-");
        let api = if hybrid {
            "ListTagsForResource"
        } else {
            "ListInventoryEntries"
        };
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
            use aws_sdk_ssm::types::ResourceTypeForTagging;
            let out = self
                .inner
                .limiter
                .call(&limit, cancel, || async {
                    ssm.list_tags_for_resource()
                        .resource_type(ResourceTypeForTagging::ManagedInstance)
                        .resource_id(id)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                })
                .await
                .map_err(fail)?;
            return Ok(out
                .tag_list()
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
                .call(&limit, cancel, || {
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
