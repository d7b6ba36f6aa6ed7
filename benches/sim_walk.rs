//! How fast the simulator serves a full fleet walk at scale: 500 accounts × 200 nodes
//! (100,000 managed nodes over 3 regions), DescribeInstanceInformation (MaxResults 50) for
//! every account × region through the real SDK, with bounded concurrency.
//!
//! Baseline, measured in the same run: the same walk over the default world (12 accounts,
//! ~600 nodes). The ratio of calls/s shows whether the simulator's per-call cost grows with
//! the fleet (it should not: every call works on one account × region).
//!
//! `cargo bench --bench sim_walk` (env: SIM_WALK_ACCOUNTS, SIM_WALK_NODES, SIM_WALK_CONCURRENCY).

use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_sts::config::{Credentials, Region};
use futures::StreamExt;
use ssmdeck::sim::{SimConfig, SimHandle};

struct Walk {
    nodes: usize,
    /// What the world holds in the walked accounts (the invited account refuses AssumeRole).
    expected: usize,
    calls: u64,
    wall: Duration,
}

async fn client(h: &SimHandle, region: &str, creds: Credentials) -> aws_sdk_ssm::Client {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&h.url)
        .region(Region::new(region.to_string()))
        .credentials_provider(creds)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await;
    aws_sdk_ssm::Client::new(&conf)
}

async fn creds_for(h: &SimHandle, account: &str) -> Credentials {
    if account == h.management_account_id() {
        return Credentials::new("AKIDEXAMPLE", "secret", None, None, "static");
    }
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&h.url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "static",
        ))
        .load()
        .await;
    let out = aws_sdk_sts::Client::new(&conf)
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("sim-walk")
        .send()
        .await
        .expect("assume role");
    let c = out.credentials.expect("credentials");
    Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        None,
        "assumed",
    )
}

/// Walk every account × region; returns what was seen and how long the walk took
/// (credentials are fetched before the clock starts).
async fn walk(h: &SimHandle, concurrency: usize) -> Walk {
    let world = h.world();
    let accounts: Vec<String> = world
        .org
        .accounts
        .iter()
        .filter(|a| a.status == ssmdeck::sim::world::AccountStatus::Active)
        .filter(|a| {
            a.joined_method == ssmdeck::sim::world::JoinedMethod::Created
                || a.id == h.management_account_id()
        })
        .map(|a| a.id.clone())
        .collect();
    let creds: Vec<(String, Credentials)> = futures::stream::iter(accounts)
        .map(|a| async move {
            let c = creds_for(h, &a).await;
            (a, c)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut jobs = Vec::new();
    let mut expected = 0;
    for (a, c) in &creds {
        for r in &world.cfg.regions {
            expected += world.ssm.node_count(a, r);
            jobs.push((a.clone(), r.clone(), c.clone()));
        }
    }
    let before = h.op_count("AmazonSSM.DescribeInstanceInformation");
    let t0 = Instant::now();
    let counts: Vec<usize> = futures::stream::iter(jobs)
        .map(|(_, region, c)| async move {
            let ssm = client(h, &region, c).await;
            let mut pages = ssm
                .describe_instance_information()
                .max_results(50)
                .into_paginator()
                .send();
            let mut n = 0;
            while let Some(p) = pages.next().await {
                n += p.expect("page").instance_information_list().len();
            }
            n
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = t0.elapsed();
    Walk {
        nodes: counts.iter().sum(),
        expected,
        calls: h.op_count("AmazonSSM.DescribeInstanceInformation") - before,
        wall,
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(label: &str, w: &Walk) -> f64 {
    let cps = w.calls as f64 / w.wall.as_secs_f64();
    println!(
        "{label:<28} nodes {:>7}  calls {:>6}  wall {:>8.3} s  {:>8.0} calls/s  {:>9.0} nodes/s",
        w.nodes,
        w.calls,
        w.wall.as_secs_f64(),
        cps,
        w.nodes as f64 / w.wall.as_secs_f64()
    );
    cps
}

fn main() {
    let accounts = env("SIM_WALK_ACCOUNTS", 500);
    let nodes = env("SIM_WALK_NODES", 200);
    let concurrency = env("SIM_WALK_CONCURRENCY", 32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("sim_walk: DescribeInstanceInformation (MaxResults 50) over every account x region, concurrency {concurrency}");
        let base = ssmdeck::sim::start(SimConfig::default()).await.expect("start");
        let b = walk(&base, concurrency).await;
        let base_cps = report("baseline (default world)", &b);
        assert_eq!(b.nodes, b.expected, "the walk sees every node");
        base.shutdown().await;

        let t0 = Instant::now();
        let big = ssmdeck::sim::start(SimConfig {
            accounts,
            nodes_per_account: nodes,
            ..SimConfig::default()
        })
        .await
        .expect("start");
        let startup = t0.elapsed();
        let total = big.world().ssm.total_nodes();
        println!("scale world: {accounts} accounts x {nodes} nodes = {total} nodes, simulator up in {:.3} s", startup.as_secs_f64());
        let cold = walk(&big, concurrency).await;
        let cold_cps = report("scale, cold (generates)", &cold);
        assert_eq!(cold.nodes, cold.expected, "the walk sees every node");
        let warm = walk(&big, concurrency).await;
        let warm_cps = report("scale, warm", &warm);
        println!(
            "ratio vs baseline calls/s: cold {:.2}x, warm {:.2}x",
            cold_cps / base_cps,
            warm_cps / base_cps
        );
    });
}
