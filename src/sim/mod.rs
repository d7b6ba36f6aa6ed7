//! `ssmdeck sim`: an AWS-compatible simulator of a whole AWS Organization's Systems Manager
//! fleet, served on loopback over the real wire protocols (awsJson1_1 for SSM, Organizations
//! and ACM; awsQuery/XML for STS), so the real AWS SDK clients and the stock AWS CLI talk to
//! it exactly as they talk to AWS. The console's `--demo` and the integration tests start it
//! in-process on an ephemeral port.
//!
//! Layout:
//! - `server`   — HTTP listener, routing by `X-Amz-Target` / form `Action`, identity from
//!   SigV4 credential scope + access key, latency / throttling / fail-rate injection.
//! - `protocol` — awsJson1_1 and awsQuery encodings (responses and errors).
//! - `world`    — the generated organization (OUs, accounts, roles) and the world container.
//! - `sts`, `orgs`, `acm` — those services.
//! - `ssm/`     — the fleet: nodes, patches, compliance, inventory, Run Command lifecycle.
//! - `rng`, `clock`, `error` — deterministic randomness, scaled simulated time, API errors.

pub mod acm;
pub mod cli;
pub mod clock;
pub mod error;
pub mod json_text;
pub mod orgs;
pub mod protocol;
pub mod rng;
pub mod server;
pub mod ssm;
pub mod sts;
pub mod validate;
pub mod world;

pub use clock::SimClock;
pub use error::ApiError;
pub use server::{SimHandle, start};

use crate::cli::SimArgs;

/// Everything that shapes the simulated world and its behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// 0 = pick a free port.
    pub port: u16,
    pub seed: u64,
    /// Accounts in the organization, the management account included.
    pub accounts: usize,
    pub regions: Vec<String>,
    /// Managed nodes per account (spread over the regions).
    pub nodes_per_account: usize,
    /// Certificates per account (spread over the regions).
    pub certs_per_account: usize,
    pub latency_ms: u64,
    /// Requests per second per account × region × operation; 0 = no throttling.
    pub throttle_tps: f64,
    /// Fraction of requests answered with a 500.
    pub fail_rate: f64,
    /// Run Command speed-up (durations divided by it; the clock stays real time, see
    /// `clock`); below 1 the clock itself slows down, 0 freezes it.
    pub time_scale: f64,
    /// Fixed simulated start time (golden-file tests); `None` = the real now.
    pub epoch: Option<chrono::DateTime<chrono::Utc>>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            seed: 42,
            accounts: 12,
            regions: vec![
                "us-east-1".into(),
                "eu-west-1".into(),
                "ap-southeast-2".into(),
            ],
            nodes_per_account: 50,
            certs_per_account: 7,
            latency_ms: 0,
            throttle_tps: 0.0,
            fail_rate: 0.0,
            time_scale: 1.0,
            epoch: None,
        }
    }
}

impl SimConfig {
    /// The world `ssmdeck --demo` shows: the default organization, with Run Command
    /// running ten times faster than real time so a patch run finishes while you watch.
    pub fn demo() -> Self {
        SimConfig {
            time_scale: 10.0,
            ..SimConfig::default()
        }
    }

    /// Validate flags; the message is shown as a usage error (exit code 2).
    pub fn from_args(a: &SimArgs) -> Result<Self, String> {
        if a.accounts == 0 {
            return Err("--accounts must be at least 1".into());
        }
        if a.regions.is_empty() || a.regions.iter().any(|r| !is_region_name(r)) {
            return Err(format!(
                "--regions must be region names like us-east-1, got `{}`",
                a.regions.join(",")
            ));
        }
        if !(0.0..=1.0).contains(&a.fail_rate) {
            return Err(format!(
                "--fail-rate must be between 0.0 and 1.0, got {}",
                a.fail_rate
            ));
        }
        if !(a.throttle_tps >= 0.0 && a.throttle_tps.is_finite()) {
            return Err(format!(
                "--throttle-tps must be 0 (off) or positive, got {}",
                a.throttle_tps
            ));
        }
        if !(a.time_scale > 0.0 && a.time_scale.is_finite()) {
            return Err(format!(
                "--time-scale must be positive, got {}",
                a.time_scale
            ));
        }
        Ok(SimConfig {
            port: a.port,
            seed: a.seed,
            accounts: a.accounts,
            regions: a.regions.clone(),
            nodes_per_account: a.nodes_per_account,
            certs_per_account: a.certs_per_account,
            latency_ms: a.latency_ms,
            throttle_tps: a.throttle_tps,
            fail_rate: a.fail_rate,
            time_scale: a.time_scale,
            epoch: None,
        })
    }
}

/// Region names are a domain rule (`crate::model::is_region_name`), shared with the flags.
pub use crate::model::is_region_name;

/// Who is calling, where: resolved by the server from the SigV4 credential scope (region)
/// and the access key (account), before a service handler runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallCtx {
    pub account_id: String,
    pub region: String,
    /// `arn:aws:iam::<mgmt>:user/...` or `arn:aws:sts::<acct>:assumed-role/<role>/<session>`.
    pub caller_arn: String,
    pub request_id: String,
}

/// An account as the fleet generator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSeed {
    pub id: String,
    pub name: String,
    /// `Root/Workloads/Prod`.
    pub ou_path: String,
    /// Suspended accounts have no fleet.
    pub active: bool,
}

/// Everything the simulator serves.
pub struct World {
    pub cfg: SimConfig,
    pub clock: SimClock,
    pub org: world::Organization,
    pub acm: acm::AcmWorld,
    pub ssm: ssm::SsmWorld,
}

impl World {
    /// Generate the whole world from the config (deterministic for a seed, given a fixed epoch).
    pub fn generate(cfg: &SimConfig) -> World {
        let clock = SimClock::for_config(cfg);
        let org = world::Organization::generate(cfg, clock.epoch());
        let seeds = org.account_seeds();
        let acm = acm::AcmWorld::generate(cfg, &org, clock.epoch());
        let ssm = ssm::SsmWorld::generate(cfg, &seeds, &clock);
        World {
            cfg: cfg.clone(),
            clock,
            org,
            acm,
            ssm,
        }
    }
}
