//! Full refresh of a large simulated organization through the real SDK:
//! 100 accounts × 4 regions × 100 nodes (40,000 nodes), 20 ms latency per call.
//!
//! Prints the wall time, the lower bound no client can beat given the page counts, the
//! latency, the concurrency and the configured per account × region × API rate limit, the
//! ratio of the two (target ≤ 1.3), the API calls made, and this process's peak RSS
//! (VmHWM; the simulator runs as a separate `ssmdeck sim` process so it is not counted;
//! target ≤ 200 MB).
//!
//! Run: `cargo bench --bench fleet_refresh` (env: FLEET_BENCH_ACCOUNTS, FLEET_BENCH_NODES,
//! FLEET_BENCH_LATENCY_MS, FLEET_BENCH_CONCURRENCY, FLEET_BENCH_RATE).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ssmdeck::fleet::demo::sim_scope;
use ssmdeck::fleet::{Fleet, Scope};
use ssmdeck::model::FleetSnapshot;

const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];

fn env_num<T: std::str::FromStr>(k: &str, default: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn vm_hwm_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn ceil_div(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// Calls per API, calls per account × region × API, the longest chain of dependent calls
/// in one account × region.
type Needed = (
    BTreeMap<&'static str, usize>,
    HashMap<(String, String, &'static str), usize>,
    usize,
);

/// Calls a complete refresh needs, per API, from the page counts of what was collected.
fn needed_calls(snap: &FleetSnapshot) -> Needed {
    let mut per_api: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut per_key: HashMap<(String, String, &'static str), usize> = HashMap::new();
    let mut nodes: HashMap<(String, String), usize> = HashMap::new();
    let mut tagged: HashMap<(String, String), usize> = HashMap::new();
    let mut certs: HashMap<(String, String), (usize, usize)> = HashMap::new();
    for n in &snap.nodes {
        *nodes
            .entry((n.account_id.clone(), n.region.clone()))
            .or_default() += 1;
        if ssmdeck::fleet::collect::needs_tags(n) {
            *tagged
                .entry((n.account_id.clone(), n.region.clone()))
                .or_default() += 1;
        }
    }
    for c in &snap.certificates {
        let e = certs
            .entry((c.account_id.clone(), c.region.clone()))
            .or_default();
        e.0 += 1;
        e.1 += usize::from(ssmdeck::fleet::convert::needs_detail(c));
    }
    let mut longest_unit_chain = 0;
    let units: Vec<(String, String)> = snap
        .sources
        .iter()
        .filter(|s| s.ok && s.service == "ssm")
        .map(|s| (s.account_id.clone(), s.region.clone()))
        .collect();
    for (a, r) in &units {
        let n = nodes.get(&(a.clone(), r.clone())).copied().unwrap_or(0);
        let (c, d) = certs
            .get(&(a.clone(), r.clone()))
            .copied()
            .unwrap_or((0, 0));
        let dii = ceil_div(n, 50).max(1);
        let ps = ceil_div(n, 50);
        let lc = ceil_div(c, 1000).max(1);
        let mut add = |api: &'static str, k: usize| {
            *per_api.entry(api).or_default() += k;
            *per_key.entry((a.clone(), r.clone(), api)).or_default() += k;
        };
        add("DescribeInstanceInformation", dii);
        add("DescribeInstancePatchStates", ps);
        add("ListCertificates", lc);
        add("DescribeCertificate", d);
        add("ListCommands", 1);
        let tags = tagged.get(&(a.clone(), r.clone())).copied().unwrap_or(0);
        add("ListTagsForResource", tags);
        // pages are sequential; a page's patch states follow it, tags follow all of them;
        // describes follow the list
        let chain = (dii + usize::from(ps > 0) + usize::from(tags > 0))
            .max(lc + usize::from(d > 0))
            .max(1);
        longest_unit_chain = longest_unit_chain.max(chain);
    }
    (per_api, per_key, longest_unit_chain)
}

fn main() {
    let accounts: usize = env_num("FLEET_BENCH_ACCOUNTS", 100);
    let nodes_per_unit: usize = env_num("FLEET_BENCH_NODES", 100);
    let latency_ms: u64 = env_num("FLEET_BENCH_LATENCY_MS", 20);
    // the shipped defaults (config.toml `concurrency`, `rate_limit_tps`) unless overridden
    let defaults = ssmdeck::config::Config::default();
    let concurrency: usize = env_num("FLEET_BENCH_CONCURRENCY", defaults.concurrency);
    let rate: f64 = env_num("FLEET_BENCH_RATE", defaults.rate_limit_tps);

    let mut child = Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args([
            "sim",
            "--port",
            "0",
            "--accounts",
            &accounts.to_string(),
            "--regions",
            &REGIONS.join(","),
            "--nodes-per-account",
            &(nodes_per_unit * REGIONS.len()).to_string(),
            "--latency-ms",
            &latency_ms.to_string(),
            "--pregenerate",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start `ssmdeck sim`");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("the simulator's first line");
    let _sim = Sim(child);
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected simulator output: {line}"))
        .to_string();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut scope: Scope = sim_scope(&url, REGIONS.iter().map(|r| r.to_string()).collect());
        scope.cache_file = None;
        scope.concurrency = concurrency;
        scope.rate_limit_tps = rate;
        let fleet = Fleet::connect(scope).await.expect("connect");
        let (calls_before, _, _) = fleet.call_stats();
        let rss_before = vm_hwm_mb();
        let busy_before = fleet.pool_busy();

        let t0 = Instant::now();
        let snap = fleet.collect_shared(None).await;
        let wall = t0.elapsed();
        let rss = vm_hwm_mb();
        let (calls_after, retries, throttled) = fleet.call_stats();
        let busy = (fleet.pool_busy() - busy_before).as_secs_f64();

        let (per_api, per_key, unit_chain) = needed_calls(&snap);
        let l = Duration::from_millis(latency_ms).as_secs_f64();
        let members = snap
            .sources
            .iter()
            .filter(|s| s.ok && s.account_id != fleet.caller().account_id)
            .map(|s| s.account_id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let denied = snap.errors.iter().filter(|e| e.operation == "AssumeRole").count();
        let assume = members + denied;
        // Organizations: Describe + ListRoots + per parent one OU page and one account page
        // at least (pages of 20), walked from the root down to the deepest OU.
        let units_n = snap.organization.units.len();
        let org_calls = 2 + 2 * units_n + snap.accounts.len() / 20;
        let depth = snap
            .organization
            .units
            .iter()
            .map(|u| u.path.matches('/').count() + 1)
            .max()
            .unwrap_or(1);
        let unit_calls: usize = per_api.values().sum();
        // + the refresh's own STS GetCallerIdentity check
        let needed = 1 + unit_calls + assume + org_calls;

        // 1. throughput: every call costs one latency on one of `concurrency` slots
        let throughput = needed as f64 * l / concurrency as f64;
        // 2. critical path: STS check → org (describe, roots, one listing per level down to
        //    the deepest OU) → AssumeRole → the longest chain of dependent pages in a unit
        let critical = (1 + 2 + depth + 1 + unit_chain) as f64 * l;
        // 3. the rate limit: a key with k calls needs (k - burst) / rate after its burst
        let burst = rate.max(1.0);
        let busiest = per_key.values().copied().max().unwrap_or(0);
        let org_key_calls = units_n + snap.accounts.len() / 20;
        let rate_bound = ((busiest.max(org_key_calls) as f64 - burst).max(0.0) / rate) + l;
        let bound = throughput.max(critical).max(rate_bound);
        let ratio = wall.as_secs_f64() / bound;

        let ok_units = snap.sources.iter().filter(|s| s.ok && s.service == "ssm").count();
        println!("fleet_refresh: full refresh through the AWS SDK against `ssmdeck sim`");
        println!(
            "  world            {} accounts × {} regions, {} nodes, {} certificates ({} units read, {} errors)",
            snap.accounts.len(),
            REGIONS.len(),
            snap.nodes.len(),
            snap.certificates.len(),
            ok_units,
            snap.errors.len()
        );
        println!("  latency          {latency_ms} ms per call; concurrency {concurrency}; rate limit {rate} req/s per account × region × API");
        println!("  wall time        {:.3} s", wall.as_secs_f64());
        println!(
            "  lower bound      {:.3} s  (max of: throughput {:.3} s = {} calls × {} ms / {}; critical path {:.3} s; rate limit {:.3} s)",
            bound, throughput, needed, latency_ms, concurrency, critical, rate_bound
        );
        println!("  ratio            {ratio:.2}  (target ≤ 1.3)");
        println!(
            "  API calls        {} made ({} retries, {} throttled); {} needed by page counts: {:?}, AssumeRole {}, Organizations ≥ {}",
            calls_after - calls_before,
            retries,
            throttled,
            needed,
            per_api,
            assume,
            org_calls
        );
        let made = (calls_after - calls_before).max(1) as f64;
        println!(
            "  pool             {:.1} ms per call held (latency {latency_ms} ms); occupancy {:.0} % of {concurrency} slots × wall time",
            busy * 1000.0 / made,
            100.0 * busy / (wall.as_secs_f64() * concurrency as f64)
        );
        println!("  peak RSS         {rss:.1} MB (VmHWM; {rss_before:.1} MB before the refresh; target ≤ 200 MB)");
        assert!(snap.complete, "the refresh did not complete");
    });
}
