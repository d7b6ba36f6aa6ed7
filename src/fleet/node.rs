//! On demand, per node: its patches (DescribeInstancePatches, all pages), its inventory
//! (ListInventoryEntries for AWS:InstanceInformation and AWS:Application, all pages: the
//! SDK has no paginator for it), its recent Run Command invocations; and refreshing the
//! patch state of a few nodes after a patch run. Pages through [`super::paginate`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::model::{Aggregates, CommandInvocation, FleetSnapshot, NodeInventory, NodeKey, Patch};

use super::Fleet;
use super::collect::{CollectCtx, PATCH_STATE_BATCH, patch_states};
use super::convert;
use super::error::{Failure, FleetError};
use super::limiter::ApiKey;
use super::paginate::{MAX_PAGES, paginate};

pub(crate) const PATCH_PAGE: i32 = 100;
const INVENTORY_PAGE: i32 = 50;
const INVOCATIONS_PAGE: i32 = 50;

impl Fleet {
    fn ctx(&self) -> CollectCtx {
        CollectCtx {
            limiter: self.inner.limiter.clone(),
            cancel: CancellationToken::new(),
            now: Utc::now(),
            command_history_days: self.inner.scope.command_history_days,
        }
    }

    /// Every patch of one node (DescribeInstancePatches, all pages), most urgent first.
    pub async fn node_patches(&self, key: &NodeKey) -> Result<Vec<Patch>, FleetError> {
        self.node_patches_counted(key, &std::sync::atomic::AtomicU64::new(0), false)
            .await
    }

    /// [`Fleet::node_patches`], adding the DescribeInstancePatches pages it asks for to
    /// `calls` (the patch index reports them as progress).
    pub(crate) async fn node_patches_counted(
        &self,
        key: &NodeKey,
        calls: &std::sync::atomic::AtomicU64,
        background: bool,
    ) -> Result<Vec<Patch>, FleetError> {
        let ssm = self.ssm_client(&key.account_id, &key.region).await?;
        let ctx = self.ctx();
        let api = ApiKey::new(&key.account_id, &key.region, "DescribeInstancePatches");
        let mut out = Vec::new();
        // the patch index reads in the background: a node's detail on the same account ×
        // region goes first
        super::paginate::paginate_as(
            &ctx.limiter,
            &api,
            &ctx.cancel,
            MAX_PAGES,
            |token| {
                calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let call = ssm
                    .describe_instance_patches()
                    .instance_id(&key.instance_id)
                    .max_results(PATCH_PAGE)
                    .set_next_token(token);
                async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
            },
            |page| {
                out.extend(
                    page.patches
                        .into_iter()
                        .flatten()
                        .map(convert::patch_from_sdk),
                );
                page.next_token
            },
            background,
        )
        .await
        .map_err(|f| FleetError::api("ssm", "DescribeInstancePatches", &f))?;
        out.sort_by(|a, b| a.state.cmp(&b.state).then(a.title.cmp(&b.title)));
        Ok(out)
    }

    /// Inventory of one node: AWS:InstanceInformation attributes and AWS:Application entries.
    pub async fn node_inventory(&self, key: &NodeKey) -> Result<NodeInventory, FleetError> {
        let ssm = self.ssm_client(&key.account_id, &key.region).await?;
        let (info, apps) = tokio::join!(
            self.inventory_entries(&ssm, key, "AWS:InstanceInformation"),
            self.inventory_entries(&ssm, key, "AWS:Application"),
        );
        let (capture_time, info) = info?;
        let (apps_time, apps) = apps?;
        Ok(NodeInventory {
            capture_time: capture_time.or(apps_time),
            instance_information: info.into_iter().next().unwrap_or_default(),
            applications: apps,
        })
    }

    async fn inventory_entries(
        &self,
        ssm: &aws_sdk_ssm::Client,
        key: &NodeKey,
        type_name: &str,
    ) -> Result<(Option<String>, Vec<BTreeMap<String, String>>), FleetError> {
        let ctx = self.ctx();
        let api = ApiKey::new(&key.account_id, &key.region, "ListInventoryEntries");
        let mut out = Vec::new();
        let mut capture = None;
        paginate(
            &ctx.limiter,
            &api,
            &ctx.cancel,
            MAX_PAGES,
            |token| {
                let call = ssm
                    .list_inventory_entries()
                    .instance_id(&key.instance_id)
                    .type_name(type_name)
                    .max_results(INVENTORY_PAGE)
                    .set_next_token(token);
                async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
            },
            |page| {
                if capture.is_none() {
                    capture = page
                        .capture_time()
                        .filter(|t| !t.is_empty())
                        .map(str::to_string);
                }
                out.extend(
                    page.entries()
                        .iter()
                        .map(|e| e.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
                );
                page.next_token().map(str::to_string)
            },
        )
        .await
        .map_err(|f| FleetError::api("ssm", "ListInventoryEntries", &f))?;
        Ok((capture, out))
    }

    /// Recent Run Command invocations on one node, newest first (one page, with plugin detail).
    pub async fn node_commands(&self, key: &NodeKey) -> Result<Vec<CommandInvocation>, FleetError> {
        let ssm = self.ssm_client(&key.account_id, &key.region).await?;
        let ctx = self.ctx();
        let api = ApiKey::new(&key.account_id, &key.region, "ListCommandInvocations");
        let page = ctx
            .limiter
            .call(&api, &ctx.cancel, || {
                let ssm = ssm.clone();
                async move {
                    ssm.list_command_invocations()
                        .instance_id(&key.instance_id)
                        .details(true)
                        .max_results(INVOCATIONS_PAGE)
                        .send()
                        .await
                        .map_err(|e| Failure::from_sdk(&e))
                }
            })
            .await
            .map_err(|f| FleetError::api("ssm", "ListCommandInvocations", &f))?;
        let mut out: Vec<CommandInvocation> = page
            .command_invocations()
            .iter()
            .map(|i| convert::invocation_from_sdk(i, &key.account_id, &key.region))
            .collect();
        out.sort_by_key(|c| std::cmp::Reverse(c.requested_at));
        Ok(out)
    }

    /// Re-read the patch state of these nodes (after a patch run) and publish a snapshot
    /// with them updated. Returns the new snapshot, or `None` when there is none yet.
    pub async fn refresh_nodes(
        &self,
        keys: &[NodeKey],
    ) -> Result<Option<(Arc<FleetSnapshot>, Arc<Aggregates>)>, FleetError> {
        let Some(prev) = self.inner.last_snapshot() else {
            return Ok(None);
        };
        let mut groups: HashMap<(String, String), Vec<String>> = HashMap::new();
        for k in keys {
            groups
                .entry((k.account_id.clone(), k.region.clone()))
                .or_default()
                .push(k.instance_id.clone());
        }
        let ctx = self.ctx();
        let mut states = Vec::new();
        for ((account, region), ids) in &groups {
            let ssm = self.ssm_client(account, region).await?;
            let api = ApiKey::new(account, region, "DescribeInstancePatchStates");
            for batch in ids.chunks(PATCH_STATE_BATCH) {
                let got = patch_states(&ctx, &ssm, &api, batch)
                    .await
                    .map_err(|f| FleetError::api("ssm", "DescribeInstancePatchStates", &f))?;
                states.extend(
                    got.into_iter()
                        .map(|s| (account.clone(), region.clone(), s)),
                );
            }
        }
        // the newest snapshot may have changed meanwhile
        let base = self.inner.last_snapshot().unwrap_or(prev);
        let mut snap = (*base).clone();
        let index: HashMap<(&str, &str, &str), usize> = snap
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    (
                        n.account_id.as_str(),
                        n.region.as_str(),
                        n.instance_id.as_str(),
                    ),
                    i,
                )
            })
            .collect();
        let mut updates = Vec::new();
        for (account, region, s) in &states {
            if let Some(&i) = index.get(&(account.as_str(), region.as_str(), s.instance_id())) {
                updates.push((i, s));
            }
        }
        drop(index);
        let mut read = Vec::with_capacity(updates.len());
        for (i, s) in updates {
            convert::apply_patch_state(&mut snap.nodes[i], s);
            read.push(i);
        }
        // a full refresh in flight may have read these nodes before the run ended: it
        // publishes these states instead of its older ones (and so does every snapshot
        // built until a refresh reads them again); the base may itself lack earlier ones
        let patched = &self.inner.patched;
        patched.keep(read.iter().map(|&i| &snap.nodes[i]));
        // (a picture from the cache stays one: only these nodes were read)
        patched.apply(&mut snap, false);
        let snap = Arc::new(snap);
        let agg = Arc::new(Aggregates::compute(
            &snap,
            &self.inner.scope.aggregate_config(),
            Utc::now(),
        ));
        self.inner.set_last(snap.clone());
        Ok(Some((snap, agg)))
    }
}
