//! How fast the simulator answers on loopback, at the 100,000-node / 500-account scale.
//!
//! `cargo bench --bench sim_server` (env: `SIM_BENCH_ACCOUNTS` (500), `SIM_BENCH_NODES` (200 per
//! account), `SIM_BENCH_CONNS` (16 keep-alive connections), `SIM_BENCH_SECS` (2 per scenario)).
//!
//! Prints, per scenario, requests/second with the given number of keep-alive connections, and
//! the ratio to the baseline measured in the same run (`GET /`: the same HTTP stack answering a
//! static body, no routing, identity or world). Then a full DescribeInstanceInformation walk
//! (MaxResults 50) over every account × region through AssumeRole session keys.
//! Client and server share the machine's cores, so absolute figures are a lower bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ssmdeck::sim::{SimConfig, start};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A raw HTTP/1.1 keep-alive connection (no SDK: measures the server, not the client).
struct Conn {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).await.expect("connect");
        s.set_nodelay(true).unwrap();
        let (r, w) = s.into_split();
        Conn {
            r: BufReader::new(r),
            w,
        }
    }

    /// Send one request; (status, body).
    async fn call(&mut self, req: &[u8]) -> (u16, Vec<u8>) {
        self.w.write_all(req).await.expect("write");
        let mut line = String::new();
        self.r.read_line(&mut line).await.expect("status line");
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).await.expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        self.r.read_exact(&mut body).await.expect("body");
        (status, body)
    }
}

fn get_root() -> Vec<u8> {
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec()
}

fn auth(akid: &str, region: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={akid}/20260101/{region}/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
    )
}

fn json_req(
    target: &str,
    body: &str,
    akid: &str,
    token: Option<&str>,
    region: &str,
    service: &str,
) -> Vec<u8> {
    let tok = token
        .map(|t| format!("X-Amz-Security-Token: {t}\r\n"))
        .unwrap_or_default();
    format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {target}\r\nAuthorization: {}\r\n{tok}Content-Length: {}\r\n\r\n{body}",
        auth(akid, region, service),
        body.len()
    )
    .into_bytes()
}

fn query_req(body: &str, akid: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n{body}",
        auth(akid, "us-east-1", "sts"),
        body.len()
    )
    .into_bytes()
}

/// Requests per second with `conns` connections hammering `req` for `secs`.
async fn load(addr: std::net::SocketAddr, req: Vec<u8>, conns: u64, secs: u64) -> f64 {
    let req = Arc::new(req);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let req = req.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            while Instant::now() < deadline {
                let (status, _) = c.call(&req).await;
                assert_eq!(status, 200, "scenario request failed");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)? + i;
    Some(&s[i..j])
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let accounts = env_or("SIM_BENCH_ACCOUNTS", 500) as usize;
    let nodes = env_or("SIM_BENCH_NODES", 200) as usize;
    let conns = env_or("SIM_BENCH_CONNS", 16);
    let secs = env_or("SIM_BENCH_SECS", 2);
    let regions: Vec<String> = ["us-east-1", "eu-west-1"].map(String::from).to_vec();
    let cfg = SimConfig {
        accounts,
        nodes_per_account: nodes,
        regions: regions.clone(),
        ..SimConfig::default()
    };
    let t = Instant::now();
    let h = start(cfg).await.expect("simulator");
    let world = h.world().clone();
    println!(
        "world: {} accounts × {} regions, {} managed nodes, {} certificates; start-up {:.2} s",
        world.org.accounts.len(),
        regions.len(),
        world.ssm.total_nodes(),
        world.acm.total(),
        t.elapsed().as_secs_f64()
    );

    let akid = "AKIDEXAMPLE";
    let scenarios: Vec<(&str, Vec<u8>)> = vec![
        ("GET / (baseline: HTTP stack only)", get_root()),
        (
            "STS GetCallerIdentity",
            query_req("Action=GetCallerIdentity&Version=2011-06-15", akid),
        ),
        (
            "Organizations ListAccounts (20)",
            json_req(
                "AWSOrganizationsV20161128.ListAccounts",
                r#"{"MaxResults":20}"#,
                akid,
                None,
                "us-east-1",
                "organizations",
            ),
        ),
        (
            "ACM ListCertificates (all key types)",
            json_req(
                "CertificateManager.ListCertificates",
                r#"{"Includes":{"keyTypes":["RSA_2048","RSA_4096","EC_prime256v1","EC_secp384r1"]}}"#,
                akid,
                None,
                "us-east-1",
                "acm",
            ),
        ),
        (
            "SSM DescribeInstanceInformation (50)",
            json_req(
                "AmazonSSM.DescribeInstanceInformation",
                r#"{"MaxResults":50}"#,
                akid,
                None,
                "us-east-1",
                "ssm",
            ),
        ),
    ];
    println!("\nrequests/second, {conns} keep-alive connections, {secs} s each:");
    let mut baseline = 0.0;
    let mut probe = Conn::open(h.addr).await;
    let mut ssm_ok = true;
    for (name, req) in scenarios {
        let (status, body) = probe.call(&req).await;
        if status != 200 {
            println!(
                "  {name:<42} skipped: HTTP {status} {}",
                String::from_utf8_lossy(&body)
            );
            ssm_ok &= !name.starts_with("SSM");
            continue;
        }
        let rps = load(h.addr, req, conns, secs).await;
        if baseline == 0.0 {
            baseline = rps;
        }
        println!(
            "  {name:<42} {rps:>9.0} req/s   ratio to baseline {:.2}",
            rps / baseline
        );
    }

    // Full DescribeInstanceInformation walk over every account × region, as a console would.
    if !ssm_ok {
        h.shutdown().await;
        return;
    }
    let t = Instant::now();
    let mut conn = Conn::open(h.addr).await;
    let mut sessions = Vec::new();
    for a in &world.org.accounts {
        if a.id == world.org.management_account_id {
            sessions.push((a.id.clone(), akid.to_string(), None));
            continue;
        }
        let body = format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A{}%3Arole%2FOrganizationAccountAccessRole&RoleSessionName=bench",
            a.id
        );
        let (status, xml) = conn.call(&query_req(&body, akid)).await;
        if status != 200 {
            continue; // invited / suspended: no role, as on AWS
        }
        let xml = String::from_utf8_lossy(&xml).to_string();
        let k = between(&xml, "<AccessKeyId>", "</AccessKeyId>")
            .unwrap()
            .to_string();
        let tok = between(&xml, "<SessionToken>", "</SessionToken>")
            .unwrap()
            .to_string();
        sessions.push((a.id.clone(), k, Some(tok)));
    }
    let assume_secs = t.elapsed().as_secs_f64();
    let work: Vec<(String, Option<String>, String)> = sessions
        .iter()
        .flat_map(|(_, k, tok)| {
            regions
                .iter()
                .map(move |r| (k.clone(), tok.clone(), r.clone()))
        })
        .collect();
    let work = Arc::new(std::sync::Mutex::new(work));
    let pages = Arc::new(AtomicU64::new(0));
    let nodes_seen = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (work, pages, nodes_seen) = (work.clone(), pages.clone(), nodes_seen.clone());
        let addr = h.addr;
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            loop {
                let item = work.lock().unwrap().pop();
                let Some((k, tok, region)) = item else { break };
                let mut next: Option<String> = None;
                loop {
                    let body = match &next {
                        Some(n) => format!(r#"{{"MaxResults":50,"NextToken":"{n}"}}"#),
                        None => r#"{"MaxResults":50}"#.to_string(),
                    };
                    let (status, out) = c
                        .call(&json_req(
                            "AmazonSSM.DescribeInstanceInformation",
                            &body,
                            &k,
                            tok.as_deref(),
                            &region,
                            "ssm",
                        ))
                        .await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&out));
                    pages.fetch_add(1, Ordering::Relaxed);
                    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
                    nodes_seen.fetch_add(
                        v["InstanceInformationList"]
                            .as_array()
                            .map_or(0, |a| a.len() as u64),
                        Ordering::Relaxed,
                    );
                    next = v["NextToken"].as_str().map(String::from);
                    if next.is_none() {
                        break;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let walk = t.elapsed().as_secs_f64();
    let p = pages.load(Ordering::Relaxed);
    println!(
        "\nfull DescribeInstanceInformation walk: {} nodes in {} pages over {} account×region scopes \
         in {walk:.2} s ({:.0} pages/s, {:.0} nodes/s; {} AssumeRole calls took {assume_secs:.2} s before)",
        nodes_seen.load(Ordering::Relaxed),
        p,
        sessions.len() * regions.len(),
        p as f64 / walk,
        nodes_seen.load(Ordering::Relaxed) as f64 / walk,
        sessions.len() - 1,
    );
    h.shutdown().await;
}
