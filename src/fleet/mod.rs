//! The fleet data layer: everything ssmdeck knows about AWS comes through here, as
//! `crate::model` types (SDK types never leave this module).
//!
//! - [`scope`]       — what to read: profile, regions, endpoint, accounts, role, limits.
//! - [`credentials`] — caller and per-account credentials (AssumeRole / profile), cached.
//! - [`clients`]     — SDK configs (explicit retry and timeout settings) and clients.
//! - [`limiter`]     — ceiling on calls in flight, retries with backoff, cancel; [`pacing`]
//!   — adaptive (AIMD) rate per account × region × API.
//! - [`discovery`]   — Organizations tree, config account list, or the caller's account.
//! - [`collect`]     — one account × region: nodes + patch states, certificates, commands.
//! - [`lean_pages`]  — the two pages read by the thousand (instance information, patch
//!   states) decoded with the members the fleet reads; the SDK decodes everything else.
//! - [`memo`]        — what a unit's last collection learned (certificate details, commands,
//!   hybrid nodes' group tags).
//! - [`builder`]     — merges results into snapshots, keeps last good data, publishes.
//! - [`refresh`]     — one full refresh; [`live`] — the console's feed (interval + on demand).
//! - [`node`]        — on-demand per node: patches, inventory, recent invocations.
//! - [`patched`]     — a patch run's re-read node states, kept in every later snapshot until
//!   a refresh reads that patch operation itself.
//! - [`cache`]       — last snapshot on disk.
//! - [`command`]     — what `ssmdeck snapshot` and `report` say about a snapshot (exit codes).
//! - [`ssm`]         — [`Ssm`], the actions' API: SendCommand (any document), invocations,
//!   output, cancel, Session Manager credentials, documents — domain types in and out.
//! - [`paginate`]    — the one NextToken loop (limiter, empty-token end, page cap).
//! - [`profiles`]    — the AWS profiles of the shared files, for `:ctx` (no secrets).
//!
//! Usage: `Fleet::connect(scope).await?`, then `collect_once` (headless) or `start_live`
//! (console). Both must run inside a tokio runtime.

pub mod builder;
pub mod cache;
pub mod clients;
pub mod collect;
pub mod command;
pub mod convert;
pub mod credentials;
pub mod discovery;
pub mod error;
pub mod lean_pages;
pub mod limiter;
pub mod live;
pub mod memo;
pub mod node;
pub mod pacing;
pub mod paginate;
pub mod patch_index;
pub mod patched;
pub mod profiles;
pub mod refresh;
pub mod schedules;
pub mod scope;
pub mod software;
pub mod ssm;
pub mod tags;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio_util::sync::CancellationToken;

use crate::model::{CallerIdentity, FleetSnapshot, FleetUpdate};

pub use error::FleetError;
pub use live::FleetHandle;
pub use paginate::{Pages, paginate};
pub use scope::{Scope, StaticCredentials};
pub use ssm::Ssm;

use clients::Clients;
use error::{Failure, FailureKind};
use limiter::{ApiKey, Limiter, RetryPolicy};

/// A connected data layer. Cheap to clone; share it freely.
#[derive(Clone)]
pub struct Fleet {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("caller", &self.inner.caller.arn)
            .field("regions", &self.inner.regions)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) scope: Arc<Scope>,
    pub(crate) clients: Clients,
    pub(crate) limiter: Arc<Limiter>,
    /// Organizations and STS calls: their own pool and a more patient retry budget
    /// (`Scope::control_retry`), so a throttled control plane never hides OUs or accounts.
    pub(crate) control: Arc<Limiter>,
    pub(crate) caller: CallerIdentity,
    /// Regions actually read (the scope's, or the profile's region).
    pub(crate) regions: Vec<String>,
    last: RwLock<Option<Arc<FleetSnapshot>>>,
    /// The latest patch schedules (read on their own cadence); every snapshot copies them.
    pub(crate) schedules: schedules::ScheduleCell,
    /// Patch states a targeted node refresh read that a full refresh may not have seen.
    pub(crate) patched: patched::PatchedNodes,
}

impl Inner {
    pub(crate) fn last_snapshot(&self) -> Option<Arc<FleetSnapshot>> {
        self.last.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_last(&self, s: Arc<FleetSnapshot>) {
        schedules::offer(&self.schedules, &s.schedules);
        *self.last.write().unwrap_or_else(|e| e.into_inner()) = Some(s);
    }
}

impl Fleet {
    /// Load credentials and settings, and check who we are (STS GetCallerIdentity).
    /// Missing or expired credentials give one `FleetError::Credentials` with the fix.
    pub async fn connect(scope: Scope) -> Result<Fleet, FleetError> {
        let (base, base_creds) = clients::load_base_config(&scope).await?;
        let limiter = Arc::new(Limiter::new(
            limiter::fd_safe_ceiling(scope.concurrency),
            scope.rate_limit_tps,
            RetryPolicy {
                max_attempts: scope.max_attempts.max(1),
                ..RetryPolicy::default()
            },
        ));
        // AssumeRole into every account is on the critical path: the control plane's pool is
        // as wide as the data plane's up to 128 (AWS's limits are paced per key, not by it)
        let control = Arc::new(Limiter::new(
            scope.concurrency.clamp(1, 128),
            scope.rate_limit_tps,
            RetryPolicy {
                max_attempts: scope.control_retry.max_attempts.max(1),
                ..scope.control_retry
            },
        ));
        let home = base
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into());
        let sts = aws_sdk_sts::Client::new(&base);
        let cancel = CancellationToken::new();
        let who = control
            .call(
                &ApiKey::new("caller", &home, "GetCallerIdentity"),
                &cancel,
                || {
                    let sts = sts.clone();
                    async move {
                        sts.get_caller_identity()
                            .send()
                            .await
                            .map_err(|e| Failure::from_sdk(&e))
                    }
                },
            )
            .await
            .map_err(|f| match f.kind {
                FailureKind::Credentials => FleetError::credentials(scope.profile.as_deref(), &f),
                _ => FleetError::api("sts", "GetCallerIdentity", &f),
            })?;
        let caller = CallerIdentity {
            account_id: who.account().unwrap_or_default().to_string(),
            arn: who.arn().unwrap_or_default().to_string(),
            user_id: who.user_id().unwrap_or_default().to_string(),
        };
        if caller.account_id.is_empty() {
            return Err(FleetError::Other(
                "STS GetCallerIdentity returned no account id".into(),
            ));
        }
        let regions = if scope.regions.is_empty() {
            vec![home.clone()]
        } else {
            scope.regions.clone()
        };
        let session = credentials::session_name(&credentials::user_from_arn(&caller.arn));
        let scope = Arc::new(scope);
        let clients = Clients::new(
            scope.clone(),
            base,
            base_creds,
            caller.account_id.clone(),
            session,
        );
        tracing::info!(account = %caller.account_id, regions = ?regions, "connected");
        Ok(Fleet {
            inner: Arc::new(Inner {
                scope,
                clients,
                limiter,
                control,
                caller,
                regions,
                last: RwLock::new(None),
                schedules: Default::default(),
                patched: Default::default(),
            }),
        })
    }

    pub fn caller(&self) -> &CallerIdentity {
        &self.inner.caller
    }

    pub fn scope(&self) -> &Scope {
        &self.inner.scope
    }

    /// The regions read (the scope's, or the profile's region when none were given).
    pub fn regions(&self) -> &[String] {
        &self.inner.regions
    }

    /// The last complete (or cached) snapshot, if any.
    pub fn last_snapshot(&self) -> Option<Arc<FleetSnapshot>> {
        self.inner.last_snapshot()
    }

    /// Time the pools' permits were held so far, summed over calls.
    pub fn pool_busy(&self) -> std::time::Duration {
        use std::sync::atomic::Ordering::Relaxed;
        let busy = |l: &Limiter| l.stats.busy_us.load(Relaxed);
        std::time::Duration::from_micros(busy(&self.inner.limiter) + busy(&self.inner.control))
    }

    /// API calls made so far (every attempt), retries and throttled answers, data and
    /// control plane together.
    pub fn call_stats(&self) -> (u64, u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let (d, c) = (&self.inner.limiter.stats, &self.inner.control.stats);
        (
            d.calls.load(Relaxed) + c.calls.load(Relaxed),
            d.retries.load(Relaxed) + c.retries.load(Relaxed),
            d.throttled.load(Relaxed) + c.throttled.load(Relaxed),
        )
    }

    /// Record every call's start and end in [`Fleet::take_calls_by_api`] from now on (the
    /// benchmark's timeline; off by default).
    pub fn record_call_spans(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        self.inner.limiter.stats.record_spans.store(true, Relaxed);
        self.inner.control.stats.record_spans.store(true, Relaxed);
    }

    /// Calls per API since the last call of this (both pools: data and control plane).
    pub fn take_calls_by_api(&self) -> std::collections::BTreeMap<&'static str, limiter::ApiStats> {
        let mut m = self.inner.limiter.stats.take_by_api();
        for (api, c) in self.inner.control.stats.take_by_api() {
            let e = m.entry(api).or_default();
            e.calls += c.calls;
            e.throttled += c.throttled;
            e.first_start = match (e.first_start, c.first_start) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            e.last_end = e.last_end.max(c.last_end);
            e.spans.extend(c.spans);
        }
        m
    }

    /// Rate decreases (AIMD) so far, both pools.
    pub fn rate_cuts(&self) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        self.inner.limiter.stats.rate_cuts.load(Relaxed)
            + self.inner.control.stats.rate_cuts.load(Relaxed)
    }

    /// Most calls in flight at once in the data pool, and in the control-plane pool.
    pub fn peak_in_flight(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.inner.limiter.stats.peak_in_flight.load(Relaxed),
            self.inner.control.stats.peak_in_flight.load(Relaxed),
        )
    }

    /// Collect the whole fleet once (headless). With a sender, partial snapshots stream to
    /// it as accounts and regions report (at most every ~150 ms), then the final one.
    pub async fn collect_once(
        &self,
        progress: Option<UnboundedSender<FleetUpdate>>,
    ) -> FleetSnapshot {
        Arc::unwrap_or_clone(self.collect_shared(progress).await)
    }

    /// Like [`Fleet::collect_once`], without copying the snapshot (the fleet keeps it as the
    /// base of the next refresh): what headless commands use on large fleets.
    pub async fn collect_shared(
        &self,
        progress: Option<UnboundedSender<FleetUpdate>>,
    ) -> Arc<FleetSnapshot> {
        let r = refresh::run_refresh(&self.inner, progress, CancellationToken::new()).await;
        self.inner.set_last(r.snapshot.clone());
        r.snapshot
    }

    /// The console's feed: the cached snapshot first (marked `from_cache`), then
    /// progressive partial snapshots, then a refresh every `interval` and on demand.
    /// Stops when the handle says so or the receiver is dropped.
    pub fn start_live(
        &self,
        interval: Duration,
        cache: bool,
    ) -> (UnboundedReceiver<FleetUpdate>, FleetHandle) {
        let mode = if cache {
            live::CacheMode::Load
        } else {
            live::CacheMode::Off
        };
        live::start(self.clone(), interval, mode)
    }

    /// Like [`Fleet::start_live`] with the cache on, when the caller already read (and
    /// showed) the cache before connecting ([`cache::load_for`]): it becomes the base of
    /// the first refresh and is not sent again.
    pub fn start_live_after_cache(
        &self,
        interval: Duration,
        cached: Option<cache::Cached>,
    ) -> (UnboundedReceiver<FleetUpdate>, FleetHandle) {
        live::start(
            self.clone(),
            interval,
            live::CacheMode::Loaded(cached.map(Box::new)),
        )
    }

    /// An SSM client for one account and region, with that account's credentials (checked).
    /// Crate-private: outside the data layer, SSM is [`Ssm`] (domain types only).
    pub(crate) async fn ssm_client(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<aws_sdk_ssm::Client, FleetError> {
        self.account_credentials(account_id).await?;
        Ok(self
            .inner
            .clients
            .region_clients(account_id, region)
            .await
            .ssm)
    }

    /// Environment for `aws ssm start-session` in that account and region
    /// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION). Never log it.
    pub async fn credentials_env(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<Vec<(String, String)>, FleetError> {
        let c = self.account_credentials(account_id).await?;
        Ok(credentials::credentials_env(&c, region))
    }

    async fn account_credentials(
        &self,
        account_id: &str,
    ) -> Result<aws_credential_types::Credentials, FleetError> {
        let acct = self.inner.clients.account(account_id).await;
        if let Some(c) = acct.creds.cached().await {
            return Ok(c);
        }
        let home = self.inner.clients.home_region();
        self.inner
            .control
            .call(
                &ApiKey::new(account_id, &home, "AssumeRole"),
                &CancellationToken::new(),
                || async {
                    acct.creds
                        .get()
                        .await
                        .map_err(|e| error::failure_from_credentials_error(&e))
                },
            )
            .await
            .map_err(|f| match f.kind {
                FailureKind::Credentials => {
                    FleetError::credentials(self.inner.scope.profile.as_deref(), &f)
                }
                _ => FleetError::api("sts", "AssumeRole", &f),
            })
    }
}
