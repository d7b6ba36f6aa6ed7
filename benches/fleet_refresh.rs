//! Full refreshes of simulated organizations through the real SDK, with the **shipped
//! defaults** (`Config::default()`: concurrency ceiling, per-key rate), measured against the
//! physical bound no client can beat:
//!
//!   bound = max(critical path, rate-limit bound)
//!
//! - critical path: the longest chain of calls that depend on each other (ListRoots → OU
//!   listings down to an account's parent → that parent's account pages → AssumeRole → the
//!   unit's dependent pages: instance pages → patch states → tags; certificate list →
//!   describes), times the latency. The STS caller check and DescribeOrganization feed
//!   nothing on that chain: they run alongside ListRoots;
//! - rate-limit bound: for every account × region × API key, the calls it needs beyond
//!   its burst at the per-key rate (the configured `rate_limit_tps`, or the simulator's
//!   `--throttle-tps` when lower), plus one latency.
//!
//! Both come from the world as collected (page counts) and the limits, not from ssmdeck's
//! own pool. Shapes (each in its own process, so RSS and CPU are its own; the simulator is a
//! separate `ssmdeck sim` process, not counted):
//!
//! - `40k-20`, `40k-80`: 100 accounts × 4 regions × 100 nodes, 20 / 80 ms per call;
//! - `1k-80`: 1,000 accounts × 2 regions × 10 nodes, 80 ms (AssumeRole and discovery);
//! - `throttled`: the 40k world at 80 ms with `--throttle-tps 5` (AIMD converging).
//!
//! Each shape runs a cold refresh, then a warm one (credentials cached, certificate details
//! and commands kept): calls by API, made vs needed, avoided.
//!
//! Run: `cargo bench --bench fleet_refresh`. Env: FLEET_BENCH_SHAPES=40k-80,1k-80 (a
//! subset; `small` to check the bench in debug), FLEET_BENCH_REPEAT=2; experiments only (then not the shipped defaults):
//! FLEET_BENCH_CONCURRENCY, FLEET_BENCH_RATE; FLEET_BENCH_NO_SCHEDULES=1 skips the schedules
//! and tags cost lines (to profile the refreshes alone); FLEET_BENCH_SIM=<ssmdeck binary> runs
//! that simulator instead of this build's (A/B runs of client changes against one simulator).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ssmdeck::app::demo::sim_scope;
use ssmdeck::fleet::limiter::ApiStats;
use ssmdeck::fleet::{Fleet, Scope};
use ssmdeck::model::{FleetSnapshot, MissingKind};

#[derive(Clone, Copy, Debug)]
struct Shape {
    name: &'static str,
    accounts: usize,
    regions: &'static [&'static str],
    nodes_per_unit: usize,
    latency_ms: u64,
    throttle_tps: f64,
    /// Target of wall / bound (cold refresh), if any.
    target: Option<f64>,
    /// Target of peak RSS in MB, if any (#13 sets one for the 40,000-node refresh).
    rss_target: Option<f64>,
}

const FOUR: &[&str] = &["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];
const TWO: &[&str] = &["us-east-1", "eu-west-1"];

const SHAPES: &[Shape] = &[
    Shape {
        name: "40k-20",
        accounts: 100,
        regions: FOUR,
        nodes_per_unit: 100,
        latency_ms: 20,
        throttle_tps: 0.0,
        target: None,
        rss_target: Some(200.0),
    },
    Shape {
        name: "40k-80",
        accounts: 100,
        regions: FOUR,
        nodes_per_unit: 100,
        latency_ms: 80,
        throttle_tps: 0.0,
        target: Some(2.0),
        rss_target: Some(200.0),
    },
    Shape {
        name: "1k-80",
        accounts: 1000,
        regions: TWO,
        nodes_per_unit: 10,
        latency_ms: 80,
        throttle_tps: 0.0,
        target: Some(2.5),
        rss_target: None,
    },
    Shape {
        name: "throttled",
        accounts: 100,
        regions: FOUR,
        nodes_per_unit: 100,
        latency_ms: 80,
        throttle_tps: 5.0,
        target: None,
        rss_target: Some(200.0),
    },
];

/// Shapes run only when named in FLEET_BENCH_SHAPES: `small` checks the bench itself in
/// debug in seconds (12 accounts × 2 regions × 50 nodes, 20 ms).
const ON_REQUEST: &[Shape] = &[Shape {
    name: "small",
    accounts: 12,
    regions: TWO,
    nodes_per_unit: 50,
    latency_ms: 20,
    throttle_tps: 0.0,
    target: None,
    rss_target: None,
}];

fn env_num<T: std::str::FromStr>(k: &str) -> Option<T> {
    std::env::var(k).ok().and_then(|v| v.parse().ok())
}

fn main() {
    match std::env::var("FLEET_BENCH_ONE") {
        Ok(name) => {
            let shape = SHAPES
                .iter()
                .chain(ON_REQUEST)
                .find(|s| s.name == name)
                .unwrap_or_else(|| panic!("unknown shape {name}"));
            run_shape(*shape);
        }
        Err(_) => {
            let wanted: Vec<String> = std::env::var("FLEET_BENCH_SHAPES")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_else(|_| SHAPES.iter().map(|s| s.name.to_string()).collect());
            let repeat: usize = env_num("FLEET_BENCH_REPEAT").unwrap_or(1).max(1);
            let me = std::env::current_exe().expect("the bench binary");
            let mut failed = Vec::new();
            for name in &wanted {
                for _ in 0..repeat {
                    let ok = Command::new(&me)
                        .env("FLEET_BENCH_ONE", name)
                        .status()
                        .map(|s| s.success())
                        .unwrap_or(false);
                    if !ok {
                        failed.push(name.clone());
                    }
                }
            }
            assert!(failed.is_empty(), "shapes failed: {failed:?}");
        }
    }
}

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn proc_status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// utime + stime of a process, in seconds (USER_HZ = 100).
fn cpu_seconds(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // fields after the command name (which may hold spaces) start at ") "
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// What a complete refresh needs, from the collected world: calls per API, calls per key,
/// and the critical path in calls.
struct Needed {
    per_api: BTreeMap<&'static str, usize>,
    per_key: HashMap<(String, String, &'static str), usize>,
    /// Longest chain of dependent calls, from ListRoots to the last unit page.
    critical_calls: usize,
    /// The same chain up to the first SSM call of the earliest account (discovery part).
    org_depth_calls: usize,
}

fn needed_calls(snap: &FleetSnapshot, caller: &str, org_region: &str) -> Needed {
    use ssmdeck::fleet::collect::{INFO_PAGE, PATCH_STATE_BATCH, needs_tags};
    use ssmdeck::fleet::convert::needs_detail;
    let mut per_api: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut per_key: HashMap<(String, String, &'static str), usize> = HashMap::new();
    let mut add = |a: &str, r: &str, api: &'static str, k: usize| {
        if k > 0 {
            *per_api.entry(api).or_default() += k;
            *per_key
                .entry((a.to_string(), r.to_string(), api))
                .or_default() += k;
        }
    };
    let unit = |a: &str, r: &str| (a.to_string(), r.to_string());
    // per unit: nodes, tag reads, and the DescribeInstanceInformation page of the last node
    // needing one (a unit's nodes are in the order its pages listed them)
    let mut nodes: HashMap<(String, String), (usize, usize, usize)> = HashMap::new();
    for n in &snap.nodes {
        let e = nodes.entry(unit(&n.account_id, &n.region)).or_default();
        e.0 += 1;
        if needs_tags(n) {
            e.1 += 1;
            e.2 = e.0.div_ceil(INFO_PAGE as usize);
        }
    }
    let mut certs: HashMap<(String, String), (usize, usize)> = HashMap::new();
    for c in &snap.certificates {
        let e = certs.entry(unit(&c.account_id, &c.region)).or_default();
        e.0 += 1;
        e.1 += usize::from(needs_detail(c));
    }
    let mut commands: HashMap<(String, String), usize> = HashMap::new();
    for c in &snap.commands {
        *commands.entry(unit(&c.account_id, &c.region)).or_default() += 1;
    }
    // per account: the longest dependent chain of its units
    let mut unit_chain: HashMap<String, usize> = HashMap::new();
    for s in snap.sources.iter().filter(|s| s.ok && s.service == "ssm") {
        let (a, r) = (&s.account_id, &s.region);
        let (n, tags, tag_page) = nodes.get(&unit(a, r)).copied().unwrap_or((0, 0, 0));
        let (c, d) = certs.get(&unit(a, r)).copied().unwrap_or((0, 0));
        let k = commands.get(&unit(a, r)).copied().unwrap_or(0);
        let dii = n.div_ceil(INFO_PAGE as usize).max(1);
        let ps = n.div_ceil(PATCH_STATE_BATCH);
        let lc = c.div_ceil(1000).max(1);
        let lcmd = k.div_ceil(50).clamp(1, 2);
        add(a, r, "DescribeInstanceInformation", dii);
        add(a, r, "DescribeInstancePatchStates", ps);
        add(a, r, "ListTagsForResource", tags);
        add(a, r, "ListCertificates", lc);
        add(a, r, "DescribeCertificate", d);
        add(a, r, "ListCommands", lcmd);
        // pages are sequential; a page's patch states follow it; a hybrid node's tags
        // follow its page's patch states; describes follow the list
        let chain = (dii + usize::from(ps > 0))
            .max(if tags > 0 { tag_page + 2 } else { 0 })
            .max(lc + usize::from(d > 0))
            .max(lcmd);
        let e = unit_chain.entry(a.clone()).or_default();
        *e = (*e).max(chain);
    }
    // Organizations: one ListOrganizationalUnitsForParent (pages of 20) per unit, one
    // ListAccountsForParent (pages of 20, at least one) per unit; an account is known after
    // its ancestors' OU pages and its parent's account pages.
    let units = &snap.organization.units;
    let mut children: HashMap<&str, usize> = HashMap::new();
    let mut members: HashMap<&str, usize> = HashMap::new();
    for u in units {
        if let Some(p) = &u.parent_id {
            *children.entry(p.as_str()).or_default() += 1;
        }
    }
    for a in &snap.accounts {
        if let Some(p) = &a.ou_id {
            *members.entry(p.as_str()).or_default() += 1;
        }
    }
    let by_id: HashMap<&str, &ssmdeck::model::OrgUnit> =
        units.iter().map(|u| (u.id.as_str(), u)).collect();
    let ou_pages = |id: &str| children.get(id).copied().unwrap_or(0).div_ceil(20).max(1);
    let acct_pages = |id: &str| members.get(id).copied().unwrap_or(0).div_ceil(20).max(1);
    for u in units {
        add(
            caller,
            org_region,
            "ListOrganizationalUnitsForParent",
            ou_pages(&u.id),
        );
        add(
            caller,
            org_region,
            "ListAccountsForParent",
            acct_pages(&u.id),
        );
    }
    add(caller, org_region, "DescribeOrganization", 1);
    add(caller, org_region, "ListRoots", 1);
    add(caller, "sts", "GetCallerIdentity", 1);
    // chain to know the accounts of `id`: OU pages of every ancestor, then its account pages
    let known_after = |id: &str| {
        let mut calls = acct_pages(id);
        let mut cur = by_id.get(id).and_then(|u| u.parent_id.clone());
        let mut guard = 0;
        while let Some(p) = cur {
            calls += ou_pages(&p);
            cur = by_id.get(p.as_str()).and_then(|u| u.parent_id.clone());
            guard += 1;
            if guard > 64 {
                break;
            }
        }
        calls
    };
    let mut critical = 0;
    let mut earliest = usize::MAX;
    for a in &snap.accounts {
        let org = a.ou_id.as_deref().map(known_after).unwrap_or(1);
        let assume = usize::from(a.id != caller);
        if assume == 1 {
            // STS counts AssumeRole against the calling account: one key for all
            add(caller, "sts", "AssumeRole", 1);
        }
        let chain = unit_chain.get(&a.id).copied().unwrap_or(0);
        // ListRoots (the STS check and DescribeOrganization alongside), org pages,
        // AssumeRole, unit chain
        critical = critical.max(1 + org + assume + chain);
        earliest = earliest.min(1 + org + assume);
    }
    Needed {
        per_api,
        per_key,
        critical_calls: critical,
        org_depth_calls: if earliest == usize::MAX { 0 } else { earliest },
    }
}

/// CPU time of every thread of a process so far, in seconds (`/proc/<pid>/task/*/schedstat`,
/// nanoseconds: finer than `cpu_seconds`' 10 ms ticks, for the timeline's 100 ms steps).
fn thread_cpu_seconds(pid: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return f64::NAN;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}

/// FLEET_BENCH_TIMELINE: the client's and the simulator's CPU (cores busy) per step of the
/// cold refresh, sampled by a thread of its own until `stop` is set.
fn sample_cpu(
    sim_pid: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<Vec<(f64, f64)>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let (mut c, mut s) = (thread_cpu_seconds("self"), thread_cpu_seconds(&sim_pid));
        let t0 = Instant::now();
        let mut i = 1u32;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let next = t0 + Duration::from_millis(100) * i;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
            let (c1, s1) = (thread_cpu_seconds("self"), thread_cpu_seconds(&sim_pid));
            out.push(((c1 - c) / 0.1, (s1 - s) / 0.1));
            (c, s) = (c1, s1);
            i += 1;
        }
        out
    })
}

/// FLEET_BENCH_TIMELINE: per 100 ms of the refresh, the calls started and ended, the
/// latency of those ended (median, 90th percentile: above the simulator's latency is time
/// queued on a busy CPU), the cores the client and the simulator kept busy, and which APIs
/// ended then.
fn print_timeline(run: &Run, latency_ms: u64) {
    const STEP: f64 = 0.1;
    let at = |t: Instant| t.saturating_duration_since(run.t0).as_secs_f64();
    let n = (run.wall / STEP).ceil() as usize + 1;
    let mut started = vec![0usize; n];
    let mut ended: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut apis: Vec<BTreeMap<&str, usize>> = vec![BTreeMap::new(); n];
    for (api, s) in &run.by_api {
        for &(a, b) in &s.spans {
            started[((at(a) / STEP) as usize).min(n - 1)] += 1;
            let i = ((at(b) / STEP) as usize).min(n - 1);
            ended[i].push((b - a).as_secs_f64() * 1000.0);
            *apis[i].entry(api).or_default() += 1;
        }
    }
    println!("  timeline (cold; simulator latency {latency_ms} ms)");
    for i in 0..n {
        let mut l = std::mem::take(&mut ended[i]);
        l.sort_by(f64::total_cmp);
        let q = |p: f64| {
            l.get(((l.len() as f64 - 1.0) * p) as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let names: Vec<String> = apis[i].iter().map(|(a, c)| format!("{a} {c}")).collect();
        println!(
            "    {:>4.1} s  started {:>4}  ended {:>4}  latency p50 {:>5.0} ms p90 {:>5.0} ms  cores client {:.2} sim {:.2}  {}",
            i as f64 * STEP,
            started[i],
            l.len(),
            q(0.5),
            q(0.9),
            run.cores.get(i).map_or(f64::NAN, |c| c.0),
            run.cores.get(i).map_or(f64::NAN, |c| c.1),
            names.join(", ")
        );
    }
}

fn secs_since(t0: Instant, t: Option<Instant>) -> String {
    t.map(|t| format!("{:.3} s", t.saturating_duration_since(t0).as_secs_f64()))
        .unwrap_or_else(|| "-".into())
}

struct Run {
    wall: f64,
    by_api: BTreeMap<&'static str, ApiStats>,
    calls: u64,
    throttled: u64,
    retries: u64,
    after_1s: (u64, u64),
    cpu: f64,
    sim_cpu: f64,
    t0: Instant,
    /// FLEET_BENCH_TIMELINE: cores busy per 100 ms, (client, simulator)
    cores: Vec<(f64, f64)>,
}

async fn refresh(fleet: &Fleet, sim_pid: &str) -> (Arc<FleetSnapshot>, Run) {
    fleet.take_calls_by_api();
    let (c0, r0, th0) = fleet.call_stats();
    let cpu0 = cpu_seconds("self");
    let sim0 = cpu_seconds(sim_pid);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cores = (std::env::var_os("FLEET_BENCH_TIMELINE").is_some())
        .then(|| sample_cpu(sim_pid.to_string(), stop.clone()));
    let t0 = Instant::now();
    let sampler = {
        let fleet = fleet.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let (c, _, t) = fleet.call_stats();
            (c, t)
        })
    };
    let snap = fleet.collect_shared(None).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds("self") - cpu0;
    let sim_cpu = cpu_seconds(sim_pid) - sim0;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let cores = cores
        .map(|h| h.join().unwrap_or_default())
        .unwrap_or_default();
    let (c1, r1, th1) = fleet.call_stats();
    let at_1s = if wall > 1.0 {
        sampler.await.unwrap_or((c1, th1))
    } else {
        sampler.abort();
        (c1, th1)
    };
    let run = Run {
        wall,
        by_api: fleet.take_calls_by_api(),
        calls: c1 - c0,
        throttled: th1 - th0,
        retries: r1 - r0,
        after_1s: (c1 - at_1s.0, th1 - at_1s.1),
        cpu,
        sim_cpu,
        t0,
        cores,
    };
    (snap, run)
}

fn run_shape(shape: Shape) {
    let defaults = ssmdeck::config::Config::default();
    let concurrency: usize = env_num("FLEET_BENCH_CONCURRENCY").unwrap_or(defaults.concurrency);
    let rate: f64 = env_num("FLEET_BENCH_RATE").unwrap_or(defaults.rate_limit_tps);
    let tuned = concurrency != defaults.concurrency || rate != defaults.rate_limit_tps;

    // FLEET_BENCH_SIM: another `ssmdeck` binary as the simulator (A/B runs of client changes
    // against one simulator)
    let sim_bin =
        std::env::var("FLEET_BENCH_SIM").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ssmdeck").into());
    let mut child = Command::new(sim_bin)
        .args([
            "sim",
            "--port",
            "0",
            "--accounts",
            &shape.accounts.to_string(),
            "--regions",
            &shape.regions.join(","),
            "--nodes-per-account",
            &(shape.nodes_per_unit * shape.regions.len()).to_string(),
            "--latency-ms",
            &shape.latency_ms.to_string(),
            "--throttle-tps",
            &shape.throttle_tps.to_string(),
            "--pregenerate",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start `ssmdeck sim`");
    let sim_pid = child.id().to_string();
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
        let regions: Vec<String> = shape.regions.iter().map(|r| r.to_string()).collect();
        let mut scope: Scope = sim_scope(&url, regions);
        scope.cache_file = None;
        scope.concurrency = concurrency;
        scope.rate_limit_tps = rate;
        let org_region = scope.organizations_region.clone();
        let fleet = Fleet::connect(scope).await.expect("connect");
        let timeline = std::env::var_os("FLEET_BENCH_TIMELINE").is_some();
        if timeline {
            fleet.record_call_spans();
        }
        let caller = fleet.caller().account_id.clone();
        let rss_before = proc_status_mb("VmRSS:");

        let (snap, cold) = refresh(&fleet, &sim_pid).await;
        let rss_cold = proc_status_mb("VmHWM:");
        assert!(
            read_all_it_can(&snap),
            "the cold refresh missed data: {:?}",
            snap.missing
        );
        let (warm_snap, warm) = refresh(&fleet, &sim_pid).await;
        let rss = proc_status_mb("VmHWM:");
        assert!(
            read_all_it_can(&warm_snap),
            "the warm refresh missed data: {:?}",
            warm_snap.missing
        );
        assert_eq!(warm_snap.nodes.len(), snap.nodes.len(), "warm refresh lost nodes");
        assert_eq!(
            warm_snap.certificates.len(),
            snap.certificates.len(),
            "warm refresh lost certificates"
        );

        let need = needed_calls(&snap, &caller, &org_region);
        let l = shape.latency_ms as f64 / 1000.0;
        // the limits: ssmdeck's per-key rate, or the service's when it is lower; STS has no
        // configured rate (AWS publishes none), only the simulator's when it throttles
        let service = if shape.throttle_tps > 0.0 {
            shape.throttle_tps
        } else {
            f64::INFINITY
        };
        let limit_for = |api: &str| {
            if ssmdeck::fleet::pacing::per_caller(api) {
                service
            } else {
                rate.min(service)
            }
        };
        let (rate_bound, busiest_key, busiest, limit) = need
            .per_key
            .iter()
            .map(|(k, &n)| {
                let limit = limit_for(k.2);
                let t = if limit.is_finite() {
                    (n as f64 - limit.max(1.0)).max(0.0) / limit + l
                } else {
                    l
                };
                (t, format!("{} {} {}", k.0, k.1, k.2), n, limit)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((l, String::new(), 0, rate));
        let burst = limit.max(1.0);
        let critical = need.critical_calls as f64 * l;
        let bound = critical.max(rate_bound);
        let needed_total: usize = need.per_api.values().sum();

        let ok_units = snap.sources.iter().filter(|s| s.ok && s.service == "ssm").count();
        println!();
        println!(
            "fleet_refresh [{}]: {} accounts × {} regions, {} nodes, {} certificates, {} commands; {} ms per call{}",
            shape.name,
            snap.accounts.len(),
            shape.regions.len(),
            snap.nodes.len(),
            snap.certificates.len(),
            snap.commands.len(),
            shape.latency_ms,
            if shape.throttle_tps > 0.0 {
                format!("; simulator throttles at {} req/s per key", shape.throttle_tps)
            } else {
                String::new()
            }
        );
        println!(
            "  settings         concurrency ceiling {concurrency}, rate_limit_tps {rate} (AIMD){}",
            if tuned { "  ** NOT the shipped defaults **" } else { "  (shipped defaults)" }
        );
        println!(
            "  result           {} units read, {} errors ({}), complete: {}, gaps: {} (only accounts without the role)",
            ok_units,
            snap.errors.len(),
            error_summary(&snap),
            snap.complete,
            snap.missing.len()
        );
        println!(
            "  physical bound   {:.3} s = max(critical path {:.3} s = {} dependent calls × {} ms; rate-limit bound {:.3} s = busiest key {} calls at {} req/s, burst {}: {})",
            bound, critical, need.critical_calls, shape.latency_ms, rate_bound, busiest, limit, burst, busiest_key
        );
        for (label, run) in [("cold", &cold), ("warm", &warm)] {
            let ratio = run.wall / bound;
            let target = match (label, shape.target) {
                ("cold", Some(t)) => format!("  (target ≤ {t:.1}: {})", if ratio <= t { "met" } else { "MISSED" }),
                _ => String::new(),
            };
            println!("  {label} refresh");
            let of = if label == "warm" {
                " (the cold refresh's bound: credentials are cached now)"
            } else {
                ""
            };
            println!(
                "    wall time      {:.3} s; wall / bound {ratio:.2}{of}{target}",
                run.wall
            );
            println!(
                "    calls          {} made ({} retries, {} throttled); a full read needs {}",
                run.calls, run.retries, run.throttled, needed_total
            );
            let (after, thr_after) = run.after_1s;
            if run.wall > 1.0 {
                println!(
                    "    after 1 s      {} calls, {} throttled ({:.1} %{})",
                    after,
                    thr_after,
                    100.0 * thr_after as f64 / after.max(1) as f64,
                    if shape.throttle_tps > 0.0 { "; target ≤ 10 %" } else { "" }
                );
            }
            if let Some(last) = run.by_api.values().filter_map(|s| s.last_end).max() {
                println!(
                    "    after the last call {:.3} s (the final snapshot, its aggregates)",
                    run.wall - last.saturating_duration_since(run.t0).as_secs_f64()
                );
            }
            println!(
                "    client CPU     {:.2} s ({:.3} s per 1,000 calls); simulator CPU {:.2} s; 2 cores shared",
                run.cpu,
                run.cpu * 1000.0 / run.calls.max(1) as f64,
                run.sim_cpu
            );
            println!(
                "    {:<34} {:>7} {:>7} {:>7} {:>9} {:>10} {:>10}",
                "API", "needed", "made", "avoided", "throttled", "first", "last end"
            );
            let mut apis: Vec<&str> = need.per_api.keys().copied().collect();
            for k in run.by_api.keys() {
                if !apis.contains(k) {
                    apis.push(k);
                }
            }
            for api in apis {
                let n = need.per_api.get(api).copied().unwrap_or(0);
                let s = run.by_api.get(api).cloned().unwrap_or_default();
                println!(
                    "    {:<34} {:>7} {:>7} {:>7} {:>9} {:>10} {:>10}",
                    api,
                    n,
                    s.calls,
                    (n as i64 - s.calls as i64).max(0),
                    s.throttled,
                    secs_since(run.t0, s.first_start),
                    secs_since(run.t0, s.last_end)
                );
            }
        }
        if timeline {
            print_timeline(&cold, shape.latency_ms);
        }
        let org_end = ["ListAccountsForParent", "ListOrganizationalUnitsForParent"]
            .iter()
            .filter_map(|a| cold.by_api.get(a).and_then(|s| s.last_end))
            .max();
        let first_ssm = cold
            .by_api
            .get("DescribeInstanceInformation")
            .and_then(|s| s.first_start);
        println!(
            "  discovery (cold) last account known at {}; first SSM call at {} (no client can start it before {:.3} s = {} calls)",
            secs_since(cold.t0, org_end),
            secs_since(cold.t0, first_ssm),
            need.org_depth_calls as f64 * l,
            need.org_depth_calls
        );
        let (data_peak, control_peak) = fleet.peak_in_flight();
        println!("  calls in flight  peak {data_peak} (data pool), {control_peak} (control plane)");
        let rss_target = shape
            .rss_target
            .map(|t| {
                let met = if rss <= t { "met" } else { "MISSED" };
                format!("; target ≤ {t:.0} MB: {met}")
            })
            .unwrap_or_default();
        println!(
            "  peak RSS         {rss:.1} MB (VmHWM; {rss_before:.1} MB before, {rss_cold:.1} MB after the cold refresh{rss_target})"
        );
        // #15: patch schedules and node tags are read on their own cadence, not by the
        // refresh: their calls per hour against the refreshes' calls per hour (shipped
        // refresh interval). Tags: a cold pass reads every node; a steady pass (read times
        // spread over the last TAGS_MAX_AGE, one cadence since the last pass, as after a day
        // of hourly passes) re-reads only the oldest share. FLEET_BENCH_NO_SCHEDULES skips
        // it (to profile the refreshes alone).
        if std::env::var_os("FLEET_BENCH_NO_SCHEDULES").is_none() {
            use ssmdeck::model::tags::{NodeTags, TAGS_MAX_AGE};
            let (c0, ..) = fleet.call_stats();
            // the first read, then the hourly one (it keeps what does not change: the
            // AWS-managed baselines' rules)
            let by_api = |fleet: &Fleet| -> String {
                fleet
                    .take_calls_by_api()
                    .iter()
                    .map(|(api, st)| format!("{api} {}", st.calls))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            fleet.take_calls_by_api();
            let _ = fleet.read_schedules(Some(&warm_snap)).await;
            let (c_first, ..) = fleet.call_stats();
            println!("  schedules read   first, calls by API: {}", by_api(&fleet));
            let s = fleet.read_schedules(Some(&warm_snap)).await;
            let (c1, ..) = fleet.call_stats();
            println!("  schedules read   hourly, calls by API: {}", by_api(&fleet));
            let t = Instant::now();
            let now = chrono::Utc::now();
            let cold_tags = fleet
                .read_tags(Some(&warm_snap), &NodeTags::default(), now)
                .await;
            let cold_secs = t.elapsed().as_secs_f64();
            // the cold pass's rate-limit bound: its busiest account × region × API key at the
            // per-key rate (background calls leave half the burst spare), plus one latency
            let mut per_key: HashMap<(&str, &str, &str), usize> = HashMap::new();
            for n in &warm_snap.nodes {
                let api = ssmdeck::model::tags::api_for(&n.instance_id);
                *per_key
                    .entry((n.account_id.as_str(), n.region.as_str(), api))
                    .or_default() += 1;
            }
            let busiest = per_key.values().copied().max().unwrap_or(0);
            let key_rate = if shape.throttle_tps > 0.0 {
                rate.min(shape.throttle_tps)
            } else {
                rate
            };
            let cold_bound = busiest.saturating_sub((key_rate / 2.0) as usize) as f64 / key_rate
                + shape.latency_ms as f64 / 1000.0;
            let (c2, ..) = fleet.call_stats();
            let every = ssmdeck::fleet::schedules::SCHEDULES_EVERY.as_secs().max(1);
            let mut aged = cold_tags.tags.clone();
            let n = aged.read_at.len().max(1) as i64;
            let max_age = TAGS_MAX_AGE.as_secs() as i64;
            for (i, at) in aged.read_at.iter_mut().enumerate() {
                *at = now.timestamp() - i as i64 * max_age / n;
            }
            aged.fetched_at = Some(now - chrono::Duration::seconds(every as i64));
            let steady = fleet.read_tags(Some(&warm_snap), &aged, now).await;
            let (c3, ..) = fleet.call_stats();
            let interval = ssmdeck::config::Config::default().refresh_interval_secs.max(1);
            let (first, sched, tags_cold, tags_steady) =
                (c_first - c0, c1 - c_first, c2 - c1, c3 - c2);
            let per_hour = |calls: u64| calls as f64 * 3600.0 / every as f64;
            let refresh_per_hour = warm.calls as f64 * 3600.0 / interval as f64;
            let pct = |calls: f64| calls * 100.0 / refresh_per_hour.max(1.0);
            println!(
                "  patch schedules  {sched} calls per read after a first read of {first} ({} windows, {} errors), every {every} s; node tags: cold pass {tags_cold} calls in {cold_secs:.1} s (rate-limit bound {cold_bound:.1} s; {} nodes, {} errors), steady pass {tags_steady} calls ({} left to later passes; each node re-read once per {} h)",
                s.windows.len(),
                s.errors.len(),
                warm_snap.nodes.len(),
                cold_tags.tags.errors.len(),
                steady.plan.deferred,
                TAGS_MAX_AGE.as_secs() / 3600,
            );
            println!(
                "  schedules cost   refresh every {interval} s makes {} calls ({:.0} an hour); schedules + steady tags add {:.0} an hour: +{:.1} % calls (schedules +{:.1} %, tags +{:.1} %; limit 10 %); once: the first schedules read {:.1} %, a cold tag pass {:.1} % of an hour's refresh calls",
                warm.calls,
                refresh_per_hour,
                per_hour(sched + tags_steady),
                pct(per_hour(sched + tags_steady)),
                pct(per_hour(sched)),
                pct(per_hour(tags_steady)),
                pct(first as f64),
                pct(tags_cold as f64),
            );
        }
    });
}

/// Finished, and the only gaps are the world's accounts that no role reaches (the invited
/// account: AccessDenied by design) — nothing lost to throttling or load.
fn read_all_it_can(snap: &FleetSnapshot) -> bool {
    !snap.in_progress
        && snap
            .missing
            .iter()
            .all(|m| m.kind == MissingKind::Account && m.code == "AccessDenied")
}

fn error_summary(snap: &FleetSnapshot) -> String {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for e in &snap.errors {
        *by.entry(format!("{} {}", e.operation, e.code)).or_default() += 1;
    }
    by.iter()
        .map(|(k, v)| format!("{v}× {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
