//! The simulated SSM fleet: managed nodes, patches and patch states, compliance, inventory,
//! baselines / patch groups / maintenance windows / associations, and the Run Command
//! lifecycle — per account × region, isolated like AWS.
//!
//! Layout:
//! - [`catalog`]  — platforms, package and KB pools, vocabulary;
//! - [`generate`] — deterministic generation of one account × region (lazily, on first use);
//! - [`fleet`]    — the per account × region container and its indexes;
//! - [`node`]     — node records, DescribeInstanceInformation shape and filters;
//! - [`patches`]  — patch lists (derived from the node seed), patch states, DescribeInstancePatch*;
//! - [`compliance`], [`inventory`], [`admin`] (baselines, patch groups, windows, associations, tags);
//! - [`commands`] — SendCommand and friends, the lifecycle and the outputs (scripts answer
//!   from the node's data: [`commands::script`]);
//! - [`documents`] — the AWS-owned documents: ListDocuments, DescribeDocument, GetDocument;
//! - [`page`]     — request parsing, validation errors, pagination tokens, timestamps.
//!
//! Scale: a region is generated the first time it is touched (in well under a millisecond
//! for a few hundred nodes); every operation works on one account × region, pages by offset
//! tokens, and never scans the whole fleet.

pub mod admin;
pub mod catalog;
pub mod commands;
pub mod compliance;
pub mod documents;
pub mod fleet;
pub mod generate;
pub mod inventory;
pub mod node;
pub mod page;
pub mod patches;
pub mod patching;
pub mod rules;
pub mod windows;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

use self::fleet::RegionFleet;
use super::{AccountSeed, ApiError, CallCtx, SimClock, SimConfig};

type SharedFleet = Arc<Mutex<RegionFleet>>;

/// All SSM data, per account × region.
pub struct SsmWorld {
    seed: u64,
    clock: SimClock,
    regions: Vec<String>,
    /// account id → (seed, per-region lazily generated fleets, in `regions` order).
    accounts: HashMap<String, AccountFleets>,
    /// Fleets of accounts or regions outside the generated world (always empty of nodes).
    others: Mutex<HashMap<(String, String), SharedFleet>>,
    total: usize,
}

struct AccountFleets {
    seed: AccountSeed,
    counts: Vec<usize>,
    hostile: bool,
    fleets: Vec<OnceLock<Mutex<RegionFleet>>>,
}

impl SsmWorld {
    pub fn generate(cfg: &SimConfig, accounts: &[AccountSeed], clock: &SimClock) -> Self {
        let split = generate::split(cfg.nodes_per_account, cfg.regions.len());
        let zero = vec![0; cfg.regions.len()];
        // Exactly one hostile node: the first active member account's first region.
        let hostile_acct = accounts
            .iter()
            .skip(1)
            .find(|a| a.active)
            .or_else(|| accounts.iter().find(|a| a.active))
            .map(|a| a.id.clone());
        let mut map = HashMap::new();
        let mut total = 0;
        for a in accounts {
            let counts = if a.active {
                split.clone()
            } else {
                zero.clone()
            };
            total += counts.iter().sum::<usize>();
            map.insert(
                a.id.clone(),
                AccountFleets {
                    seed: a.clone(),
                    counts,
                    hostile: hostile_acct.as_deref() == Some(&a.id),
                    fleets: cfg.regions.iter().map(|_| OnceLock::new()).collect(),
                },
            );
        }
        SsmWorld {
            seed: cfg.seed,
            clock: clock.clone(),
            regions: cfg.regions.clone(),
            accounts: map,
            others: Mutex::new(HashMap::new()),
            total,
        }
    }

    /// Managed nodes in one account × region.
    pub fn node_count(&self, account: &str, region: &str) -> usize {
        let Some(a) = self.accounts.get(account) else {
            return 0;
        };
        self.regions
            .iter()
            .position(|r| r == region)
            .map(|i| a.counts[i])
            .unwrap_or(0)
    }

    /// Managed nodes in the whole world.
    pub fn total_nodes(&self) -> usize {
        self.total
    }

    /// The simulated clock (shared with the server).
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// Generate every account × region fleet now, in parallel, instead of on first use.
    pub fn generate_all(&self) {
        let ids: Vec<&String> = self.accounts.keys().collect();
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::thread::scope(|s| {
            for chunk in ids.chunks(ids.len().div_ceil(workers).max(1)) {
                s.spawn(move || {
                    for a in chunk {
                        for r in &self.regions {
                            self.with_fleet(a, r, |_| ());
                        }
                    }
                });
            }
        });
    }

    /// Run `f` on one account × region, generating it on first use and advancing its
    /// commands to the simulated now first.
    pub fn with_fleet<T>(
        &self,
        account: &str,
        region: &str,
        f: impl FnOnce(&mut RegionFleet) -> T,
    ) -> T {
        let now = self.clock.now();
        let run = |m: &Mutex<RegionFleet>| {
            let mut guard = m.lock().unwrap_or_else(|e| e.into_inner());
            let fleet = &mut *guard;
            advance_commands(fleet, now);
            f(fleet)
        };
        if let Some(a) = self.accounts.get(account)
            && let Some(i) = self.regions.iter().position(|r| r == region)
        {
            let cell = a.fleets[i].get_or_init(|| {
                Mutex::new(generate::region(&generate::RegionSpec {
                    seed: self.seed,
                    epoch: self.clock.epoch(),
                    account: &a.seed,
                    region,
                    region_idx: i,
                    count: a.counts[i],
                    hostile: a.hostile && i == 0,
                }))
            });
            return run(cell);
        }
        let cell = {
            let mut others = self.others.lock().unwrap_or_else(|e| e.into_inner());
            others
                .entry((account.to_string(), region.to_string()))
                .or_insert_with(|| {
                    let seed = rng_seed(self.seed, account, region);
                    Arc::new(Mutex::new(RegionFleet::empty(account, region, seed)))
                })
                .clone()
        };
        run(&cell)
    }

    /// Answer one `AmazonSSM.<op>` call.
    pub fn handle(&self, op: &str, input: &Value, ctx: &CallCtx) -> Result<Value, ApiError> {
        let input = if input.is_null() { &json!({}) } else { input };
        if !input.is_object() {
            return Err(ApiError::new(
                400,
                "SerializationException",
                "The request body must be a JSON object.",
            ));
        }
        // The model's constraints first, as AWS's validation layer: a request that breaks
        // them never reaches the service (`ValidationException`).
        super::validate::check(input, rules::of(op))?;
        let now = self.clock.now();
        self.with_fleet(&ctx.account_id, &ctx.region, |f| match op {
            "DescribeInstanceInformation" => describe_instance_information(f, input, now),
            "DescribeInstancePatchStates" => patches::describe_instance_patch_states(f, input),
            "DescribeInstancePatchStatesForPatchGroup" => {
                patches::describe_instance_patch_states_for_patch_group(f, input)
            }
            "DescribeInstancePatches" => patches::describe_instance_patches(f, input),
            "DescribePatchGroups" => admin::describe_patch_groups(f, input),
            "DescribePatchBaselines" => admin::describe_patch_baselines(f, input),
            "GetPatchBaselineForPatchGroup" => admin::get_patch_baseline_for_patch_group(f, input),
            "DescribeMaintenanceWindows" => windows::describe_maintenance_windows(f, input, now),
            "DescribeMaintenanceWindowTargets" => windows::describe_targets(f, input),
            "DescribeMaintenanceWindowTasks" => windows::describe_tasks(f, input),
            "DescribeMaintenanceWindowExecutions" => windows::describe_executions(f, input),
            "DescribeMaintenanceWindowExecutionTasks" => {
                windows::describe_execution_tasks(f, input)
            }
            "DescribeMaintenanceWindowExecutionTaskInvocations" => {
                windows::describe_execution_task_invocations(f, input)
            }
            "DescribeMaintenanceWindowSchedule" => windows::describe_schedule(f, input, now),
            "DescribeMaintenanceWindowsForTarget" => windows::describe_windows_for_target(f, input),
            "GetPatchBaseline" => admin::get_patch_baseline(f, input),
            "GetDefaultPatchBaseline" => admin::get_default_patch_baseline(f, input),
            "DescribeAssociation" => admin::describe_association(f, input, now),
            "DescribeAssociationExecutions" => {
                admin::describe_association_executions(f, input, now)
            }
            "ListAssociations" => admin::list_associations(f, input, now),
            "ListTagsForResource" => admin::list_tags_for_resource(f, input),
            "ListComplianceSummaries" => compliance::list_compliance_summaries(f, input),
            "ListResourceComplianceSummaries" => {
                compliance::list_resource_compliance_summaries(f, input)
            }
            "ListComplianceItems" => compliance::list_compliance_items(f, input),
            "ListInventoryEntries" => inventory::list_inventory_entries(f, input, now),
            "GetInventory" => inventory::get_inventory(f, input, now),
            "GetInventorySchema" => inventory::get_inventory_schema(input),
            "SendCommand" => {
                let out = commands::send_command(f, input, now, self.clock.speedup())?;
                advance_commands(f, now);
                Ok(out)
            }
            "ListCommands" => commands::list_commands(f, input),
            "ListCommandInvocations" => commands::list_command_invocations(f, input),
            "GetCommandInvocation" => commands::get_command_invocation(f, input, now),
            "CancelCommand" => commands::cancel_command(f, input, now),
            "ListDocuments" => documents::list_documents(input),
            "DescribeDocument" => documents::describe_document(input),
            "GetDocument" => documents::get_document(input),
            _ => Err(ApiError::new(
                400,
                "UnknownOperationException",
                format!("Unknown operation {op}"),
            )),
        })
    }
}

fn rng_seed(seed: u64, account: &str, region: &str) -> u64 {
    super::rng::Rng::derive(seed, &format!("ssm/{account}/{region}")).next_u64()
}

/// Advance every unfinished command of the fleet to `now`.
fn advance_commands(f: &mut RegionFleet, now: chrono::DateTime<chrono::Utc>) {
    if f.commands.iter().all(|c| c.done) {
        return;
    }
    let mut cmds = std::mem::take(&mut f.commands);
    for c in cmds.iter_mut().filter(|c| !c.done) {
        commands::lifecycle::advance(c, f, now);
    }
    f.commands = cmds;
}

fn describe_instance_information(
    f: &RegionFleet,
    input: &Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, ApiError> {
    const OP: &str = "DescribeInstanceInformation";
    let max = page::max_results(input, "MaxResults", 5, 50, 10)?;
    let filters = node::parse_info_filters(input)?;
    // An id in an InstanceIds filter that is not a managed node of this account and region
    // is `InvalidInstanceId`, not silently left out (model: InvalidInstanceId is listed for
    // DescribeInstanceInformation; "You don't have permission to access the managed node").
    for flt in &filters {
        if let node::InfoFilter::InstanceIds(ids) = flt
            && let Some(bad) = ids.iter().find(|id| !f.by_id.contains_key(id.as_str()))
        {
            return Err(fleet::invalid_instance(bad));
        }
    }
    let start = page::start_offset(OP, input)?;
    // The token is the position in the node index after the last node returned, so each
    // page only scans forward.
    // written as text (`sim::json_text`): the same JSON as `NodeRec::info_json`
    let mut out = String::with_capacity(64 + max * 900);
    out.push_str("{\"InstanceInformationList\":[");
    let mut count = 0;
    let mut pos = start.min(f.nodes.len());
    while pos < f.nodes.len() && count < max {
        let n = &f.nodes[pos];
        if filters.iter().all(|flt| flt.matches(n)) {
            if count > 0 {
                out.push(',');
            }
            n.write_info_json(now, &mut out);
            count += 1;
        }
        pos += 1;
    }
    out.push(']');
    let more = f.nodes[pos..]
        .iter()
        .any(|n| filters.iter().all(|flt| flt.matches(n)));
    if more {
        out.push_str(",\"NextToken\":");
        crate::sim::json_text::push_str(&mut out, &page::next_token(OP, input, pos));
    }
    out.push('}');
    Ok(crate::sim::protocol::raw_body(out))
}

#[cfg(test)]
mod tests;
