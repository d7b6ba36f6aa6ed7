//! Software inventory across the organization: one GetInventory aggregation per account ×
//! region (`AWS:Application.Name` → `AWS:Application.Version`, and
//! `AWS:InstanceInformation.PlatformName` → `PlatformVersion`), merged; and the nodes
//! running one application (GetInventory with filters). Every call goes through the
//! limiter; an account × region that fails is listed (an account refused in every region
//! is one entry), never silently left out.

use std::sync::Arc;

use aws_sdk_ssm::types::{InventoryAggregator, InventoryFilter, InventoryQueryOperatorType};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::model::NodeKey;
use crate::model::software::{SoftwareInventory, SoftwareMerger, SoftwareMissing};

use super::Fleet;
use super::error::{Failure, FleetError};
use super::limiter::ApiKey;
use super::paginate::{MAX_PAGES, paginate};

const ENTITY_PAGE: i32 = 50;

type Rows = Vec<(String, String, u64)>;

fn rows(
    entities: &[aws_sdk_ssm::types::InventoryResultEntity],
    type_name: &str,
    a: &str,
    b: &str,
) -> Rows {
    let mut out = Vec::new();
    for e in entities {
        let Some(item) = e.data().and_then(|d| d.get(type_name)) else {
            continue;
        };
        for row in item.content() {
            let (Some(x), Some(count)) = (row.get(a), row.get("Count")) else {
                continue;
            };
            let y = row.get(b).cloned().unwrap_or_default();
            out.push((x.clone(), y, count.parse().unwrap_or(0)));
        }
    }
    out
}

fn error_parts(e: &FleetError) -> (String, String) {
    match e {
        FleetError::Api { code, message, .. } => (code.clone(), message.clone()),
        other => ("Error".into(), other.to_string()),
    }
}

impl Fleet {
    /// The software picture of `accounts` in every region read. `name`: only that
    /// application (case-insensitive).
    pub async fn software_inventory(
        &self,
        accounts: &[String],
        name: Option<&str>,
    ) -> SoftwareInventory {
        self.software_inventory_with(accounts, name, &mut |_, _| {})
            .await
    }

    /// [`Fleet::software_inventory`], telling `on_unit(done, total)` as each account ×
    /// region is read (or fails).
    pub async fn software_inventory_with(
        &self,
        accounts: &[String],
        name: Option<&str>,
        on_unit: &mut (dyn FnMut(usize, usize) + Send),
    ) -> SoftwareInventory {
        let regions = self.regions().to_vec();
        let units: Vec<(String, String)> = accounts
            .iter()
            .flat_map(|a| regions.iter().map(move |r| (a.clone(), r.clone())))
            .collect();
        let width = self.inner.scope.concurrency.max(1);
        let mut results = futures::stream::iter(units)
            .map(|(account, region)| async move {
                let got = self.unit_software(&account, &region, name).await;
                (account, region, got)
            })
            .buffer_unordered(width);
        let mut merger = SoftwareMerger::default();
        let (mut done, total) = (0usize, accounts.len() * regions.len());
        on_unit(0, total);
        while let Some((account, region, got)) = results.next().await {
            done += 1;
            on_unit(done, total);
            match got {
                Ok((apps, platforms)) => merger.add_unit(&account, &apps, &platforms),
                Err(e) => {
                    let (code, message) = error_parts(&e);
                    merger.add_failure(&account, &region, &code, &message);
                }
            }
        }
        merger.finish(regions.len())
    }

    async fn unit_software(
        &self,
        account: &str,
        region: &str,
        name: Option<&str>,
    ) -> Result<(Rows, Rows), FleetError> {
        let ssm = self.ssm_client(account, region).await?;
        let api = ApiKey::new(account, region, "GetInventory");
        let cancel = CancellationToken::new();
        let apps = InventoryAggregator::builder()
            .expression("AWS:Application.Name")
            .aggregators(
                InventoryAggregator::builder()
                    .expression("AWS:Application.Version")
                    .build(),
            )
            .build();
        let platforms = InventoryAggregator::builder()
            .expression("AWS:InstanceInformation.PlatformName")
            .aggregators(
                InventoryAggregator::builder()
                    .expression("AWS:InstanceInformation.PlatformVersion")
                    .build(),
            )
            .build();
        let filter = match name {
            Some(n) => Some(vec![
                InventoryFilter::builder()
                    .key("AWS:Application.Name")
                    .values(n)
                    .r#type(InventoryQueryOperatorType::Equal)
                    .build()
                    .map_err(|e| FleetError::Other(e.to_string()))?,
            ]),
            None => None,
        };
        let mut entities = Vec::new();
        let read = paginate(
            &self.inner.limiter,
            &api,
            &cancel,
            MAX_PAGES,
            |token| {
                let call = ssm
                    .get_inventory()
                    .set_aggregators(Some(vec![apps.clone(), platforms.clone()]))
                    .set_filters(filter.clone())
                    .set_next_token(token);
                async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
            },
            |page| {
                entities.extend(page.entities().iter().cloned());
                page.next_token().map(str::to_string)
            },
        )
        .await
        .map_err(|f| FleetError::api("ssm", "GetInventory", &f))?;
        if !read.complete {
            return Err(FleetError::Other(format!(
                "GetInventory: more than {} pages of aggregates; the counts would be partial",
                read.pages
            )));
        }
        let mut apps = rows(&entities, "AWS:Application", "Name", "Version");
        if let Some(n) = name {
            apps.retain(|(a, _, _)| a.eq_ignore_ascii_case(n));
        }
        let platforms = rows(
            &entities,
            "AWS:InstanceInformation",
            "PlatformName",
            "PlatformVersion",
        );
        Ok((apps, platforms))
    }

    /// The nodes of `accounts` running application `name` (at `version`, when given), from
    /// GetInventory with filters; and the accounts × regions that could not be read.
    pub async fn nodes_with_application(
        &self,
        accounts: &[String],
        name: &str,
        version: Option<&str>,
    ) -> (Vec<NodeKey>, Vec<SoftwareMissing>) {
        let regions = self.regions().to_vec();
        let units: Vec<(String, String)> = accounts
            .iter()
            .flat_map(|a| regions.iter().map(move |r| (a.clone(), r.clone())))
            .collect();
        let width = self.inner.scope.concurrency.max(1);
        let name: Arc<str> = name.into();
        let version: Option<Arc<str>> = version.map(Into::into);
        let mut results = futures::stream::iter(units)
            .map(|(account, region)| {
                let (name, version) = (name.clone(), version.clone());
                async move {
                    let got = self
                        .unit_nodes_with(&account, &region, &name, version.as_deref())
                        .await;
                    (account, region, got)
                }
            })
            .buffer_unordered(width);
        let mut keys = Vec::new();
        let mut merger = SoftwareMerger::default();
        while let Some((account, region, got)) = results.next().await {
            match got {
                Ok(ids) => keys.extend(ids.into_iter().map(|instance_id| NodeKey {
                    account_id: account.clone(),
                    region: region.clone(),
                    instance_id,
                })),
                Err(e) => {
                    let (code, message) = error_parts(&e);
                    merger.add_failure(&account, &region, &code, &message);
                }
            }
        }
        keys.sort();
        (keys, merger.finish(regions.len()).missing)
    }

    async fn unit_nodes_with(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: Option<&str>,
    ) -> Result<Vec<String>, FleetError> {
        let ssm = self.ssm_client(account, region).await?;
        let api = ApiKey::new(account, region, "GetInventory");
        let cancel = CancellationToken::new();
        let mut filters = vec![
            InventoryFilter::builder()
                .key("AWS:Application.Name")
                .values(name)
                .r#type(InventoryQueryOperatorType::Equal)
                .build()
                .map_err(|e| FleetError::Other(e.to_string()))?,
        ];
        if let Some(v) = version {
            filters.push(
                InventoryFilter::builder()
                    .key("AWS:Application.Version")
                    .values(v)
                    .r#type(InventoryQueryOperatorType::Equal)
                    .build()
                    .map_err(|e| FleetError::Other(e.to_string()))?,
            );
        }
        let mut ids = Vec::new();
        let read = paginate(
            &self.inner.limiter,
            &api,
            &cancel,
            MAX_PAGES,
            |token| {
                let call = ssm
                    .get_inventory()
                    .set_filters(Some(filters.clone()))
                    .max_results(ENTITY_PAGE)
                    .set_next_token(token);
                async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
            },
            |page| {
                ids.extend(
                    page.entities()
                        .iter()
                        .filter_map(|e| e.id().map(String::from)),
                );
                page.next_token().map(str::to_string)
            },
        )
        .await
        .map_err(|f| FleetError::api("ssm", "GetInventory", &f))?;
        if !read.complete {
            // a prefix of the nodes would read as "only these run it": say it is cut instead
            return Err(FleetError::Other(format!(
                "GetInventory: more than {} pages of nodes; the list would be partial",
                read.pages
            )));
        }
        Ok(ids)
    }
}
