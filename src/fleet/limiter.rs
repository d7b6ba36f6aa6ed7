//! Every API call's admission: a token bucket per account × region × API whose rate adapts
//! to the service (AIMD: halved when that key is throttled, recovered additively), a global
//! ceiling on calls in flight high enough that the service's limits, not the pool, decide,
//! retries with jittered exponential backoff on throttling and transient failures, and
//! cancellation.
//!
//! Every SDK call of the data layer goes through [`Limiter::call`]; the SDK's own retries are
//! off (one attempt each, see `clients`) so the rate limit applies to every attempt.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::error::{Failure, FailureKind};
use super::pacing::Pacer;

/// Which bucket a call draws from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ApiKey {
    pub account: Arc<str>,
    pub region: Arc<str>,
    pub api: &'static str,
}

impl ApiKey {
    pub fn new(account: &str, region: &str, api: &'static str) -> Self {
        ApiKey {
            account: account.into(),
            region: region.into(),
            api,
        }
    }
}

/// Backoff schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total (1 = no retry); throttling gets more, see
    /// [`RetryPolicy::attempts_for`].
    pub max_attempts: u32,
    /// First backoff for transient errors; throttling starts at twice this.
    pub base: Duration,
    /// Upper bound of one backoff.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Attempts allowed when the last answer was of this kind. Throttling gets four times
    /// `max_attempts` (when retrying at all): the key's rate is halved on each new
    /// throttling, so waiting longer gets through, and giving up would drop data the
    /// service would have given a moment later.
    pub fn attempts_for(&self, kind: FailureKind) -> u32 {
        match kind {
            FailureKind::Throttled if self.max_attempts > 1 => self.max_attempts.saturating_mul(4),
            _ => self.max_attempts,
        }
    }

    /// Backoff before attempt `attempt + 1` (`attempt` ≥ 1 failed already), "equal jitter":
    /// half the exponential step fixed, half random, so retries spread out but always wait.
    pub fn backoff(&self, attempt: u32, kind: FailureKind, unit_random: f64) -> Duration {
        let base = match kind {
            FailureKind::Throttled => self.base * 2,
            _ => self.base,
        };
        let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let step = exp.min(self.cap);
        let half = step / 2;
        half + half.mul_f64(unit_random.clamp(0.0, 1.0))
    }
}

/// Counters for benchmarks and the log.
#[derive(Debug, Default)]
pub struct LimiterStats {
    pub calls: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    pub failed: AtomicU64,
    /// Rate decreases (one per throttled key and generation, see [`Bucket`]).
    pub rate_cuts: AtomicU64,
    /// Time pool permits were held, summed over calls (µs): pool occupancy for benchmarks.
    pub busy_us: AtomicU64,
    /// Most calls in flight at once.
    pub peak_in_flight: AtomicU64,
    /// Per API, since the last [`LimiterStats::take_by_api`].
    by_api: Mutex<HashMap<&'static str, ApiStats>>,
    /// Keep every attempt's span in [`ApiStats::spans`] (off unless a benchmark asks: a
    /// console running for days would keep them all).
    pub record_spans: std::sync::atomic::AtomicBool,
}

/// One API's attempts since the last [`LimiterStats::take_by_api`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiStats {
    pub calls: u64,
    /// Answered with throttling.
    pub throttled: u64,
    /// When the first attempt started and the last one ended.
    pub first_start: Option<Instant>,
    pub last_end: Option<Instant>,
    /// Every attempt's start and end, when [`LimiterStats::record_spans`] is on.
    pub spans: Vec<(Instant, Instant)>,
}

impl LimiterStats {
    /// Per API name, the attempts since the last call (and start counting afresh).
    pub fn take_by_api(&self) -> std::collections::BTreeMap<&'static str, ApiStats> {
        let mut m = self.by_api.lock().unwrap_or_else(|e| e.into_inner());
        m.drain().collect()
    }

    fn count(&self, api: &'static str, throttled: bool, start: Instant) {
        let end = Instant::now();
        let mut m = self.by_api.lock().unwrap_or_else(|e| e.into_inner());
        let e = m.entry(api).or_default();
        e.calls += 1;
        e.throttled += u64::from(throttled);
        e.first_start = Some(e.first_start.map_or(start, |t| t.min(start)));
        e.last_end = Some(e.last_end.map_or(end, |t| t.max(end)));
        if self.record_spans.load(std::sync::atomic::Ordering::Relaxed) {
            e.spans.push((start, end));
        }
    }
}

/// APIs off the critical path of a refresh: a unit's certificates and commands are at most
/// two dependent calls, its nodes are three or more (instance pages → patch states → tags).
/// These may hold at most half the pool, so when the pool is the constraint (a burst of
/// hundreds of units starting together) the longer chains still find permits at once.
pub fn off_critical_path(api: &str) -> bool {
    matches!(
        api,
        "ListCertificates" | "DescribeCertificate" | "ListCommands"
    )
}

/// The share of a key's burst background calls leave to foreground ones.
const BACKGROUND_KEEP: f64 = 0.5;

pub struct Limiter {
    permits: Arc<Semaphore>,
    /// Permits for calls [`off_critical_path`] (half the ceiling), taken before `permits`.
    bulk: Semaphore,
    ceiling: usize,
    pacer: Pacer,
    policy: RetryPolicy,
    pub stats: LimiterStats,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("permits", &self.permits.available_permits())
            .field("rate", &self.pacer.rate())
            .field("policy", &self.policy)
            .finish()
    }
}

impl Limiter {
    /// `concurrency` calls in flight at most (a ceiling, not the throttle); `rate` requests
    /// per second per key at most (burst of `max(1, rate)`), adapted down on throttling.
    pub fn new(concurrency: usize, rate: f64, policy: RetryPolicy) -> Self {
        let ceiling = concurrency.clamp(1, Semaphore::MAX_PERMITS);
        Limiter {
            permits: Arc::new(Semaphore::new(ceiling)),
            bulk: Semaphore::new(ceiling.div_ceil(2)),
            ceiling,
            pacer: Pacer::new(rate),
            policy,
            stats: LimiterStats::default(),
        }
    }

    /// The configured (highest) rate per key; infinite when off.
    pub fn rate(&self) -> f64 {
        self.pacer.rate()
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// The current (adapted) rate of `key`, if it has been used.
    pub fn key_rate(&self, key: &ApiKey) -> Option<f64> {
        self.pacer.key_rate(key)
    }

    /// Run `f` (one SDK call) under the pool and the rate limit, retrying throttling and
    /// transient failures with backoff, until success, a final failure, or `cancel`.
    pub async fn call<T, F, Fut>(
        &self,
        key: &ApiKey,
        cancel: &CancellationToken,
        f: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        self.call_as(key, cancel, f, false).await
    }

    /// Like [`Limiter::call`], for background work (the patch index): it takes a key's token
    /// only while half the key's burst stays spare, never queues a reservation ahead of
    /// foreground calls, and holds at most the pool's bulk half. A node's detail or a
    /// command's invocations on the same account × region × API go first.
    pub async fn call_background<T, F, Fut>(
        &self,
        key: &ApiKey,
        cancel: &CancellationToken,
        f: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        self.call_as(key, cancel, f, true).await
    }

    /// The pause before retrying a call on `key` whose attempt `attempt` failed with `kind`.
    /// Exponential in the attempt, as AWS's SDKs back off; for throttling on an adaptive
    /// rate, in the key's run of throttling answers since its last success when that is
    /// shorter: a call throttled five times while its key's other calls get through (the
    /// key's halved rate already spaces them) does not sit out 15 s while the key has room —
    /// the throttled world of `fleet_refresh` stalled that way on its last AssumeRole — while
    /// a key AWS keeps refusing (another tool on the same quota) backs off as before, with the
    /// same patience.
    fn retry_pause(&self, key: &ApiKey, attempt: u32, kind: FailureKind) -> Duration {
        let step = if kind == FailureKind::Throttled && self.pacer.rate().is_finite() {
            attempt.min(self.pacer.streak(key).max(1))
        } else {
            attempt
        };
        self.policy.backoff(step, kind, jitter())
    }

    async fn call_as<T, F, Fut>(
        &self,
        key: &ApiKey,
        cancel: &CancellationToken,
        mut f: F,
        background: bool,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let generation = if background {
                loop {
                    match self
                        .pacer
                        .take_spare_at(key, Instant::now(), BACKGROUND_KEEP)
                    {
                        Ok(g) => break g,
                        Err(retry) => tokio::select! {
                            _ = tokio::time::sleep(retry) => {}
                            _ = cancel.cancelled() => return Err(Failure::cancelled()),
                        },
                    }
                }
            } else {
                loop {
                    let (wait, generation) = self.pacer.reserve_at(key, Instant::now());
                    if wait.is_zero() {
                        break generation;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = cancel.cancelled() => return Err(Failure::cancelled()),
                    }
                    // the key was throttled while this call waited for its turn: its place
                    // was given at the old rate, so it takes a new one at the cut rate
                    // instead of going out at a pace the service just refused
                    if self.pacer.generation(key) == Some(generation) {
                        break generation;
                    }
                }
            };
            let bulk = if background || off_critical_path(key.api) {
                tokio::select! {
                    p = self.bulk.acquire() => Some(p.map_err(|_| Failure::cancelled())?),
                    _ = cancel.cancelled() => return Err(Failure::cancelled()),
                }
            } else {
                None
            };
            let permit = tokio::select! {
                p = self.permits.acquire() => p.map_err(|_| Failure::cancelled())?,
                _ = cancel.cancelled() => return Err(Failure::cancelled()),
            };
            if !background && self.pacer.generation(key).is_some_and(|g| g != generation) {
                // the key was throttled while this call waited for a slot in the pool: its
                // turn was given at the old rate, so it takes a new one (not an attempt)
                drop(permit);
                drop(bulk);
                attempt -= 1;
                continue;
            }
            self.stats.calls.fetch_add(1, Ordering::Relaxed);
            let in_flight = self.ceiling - self.permits.available_permits();
            self.stats
                .peak_in_flight
                .fetch_max(in_flight as u64, Ordering::Relaxed);
            let held = Instant::now();
            let result = tokio::select! {
                r = f() => r,
                _ = cancel.cancelled() => return Err(Failure::cancelled()),
            };
            drop(permit);
            drop(bulk);
            self.stats
                .busy_us
                .fetch_add(held.elapsed().as_micros() as u64, Ordering::Relaxed);
            let throttled = matches!(&result, Err(e) if e.kind == FailureKind::Throttled);
            self.stats.count(key.api, throttled, held);
            if throttled {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                if self.pacer.throttled(key, generation).is_some() {
                    self.stats.rate_cuts.fetch_add(1, Ordering::Relaxed);
                }
            }
            match result {
                Ok(v) => {
                    self.pacer.succeeded(key);
                    return Ok(v);
                }
                Err(e) if e.retryable() && attempt < self.policy.attempts_for(e.kind) => {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    let pause = self.retry_pause(key, attempt, e.kind);
                    tracing::debug!(
                        account = %key.account, region = %key.region, api = key.api,
                        code = %e.code, attempt, ?pause, "retrying"
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = cancel.cancelled() => return Err(Failure::cancelled()),
                    }
                }
                Err(e) => {
                    if !e.is_cancelled() {
                        self.stats.failed.fetch_add(1, Ordering::Relaxed);
                    }
                    return Err(e);
                }
            }
        }
    }
}

/// File descriptors kept for everything else (log, cache, terminal, the SDK's idle pool).
const FD_RESERVE: u64 = 128;

/// The ceiling on calls in flight that this process can hold open: each call in flight is a
/// socket, and the default soft limit on open files is low (256 on macOS, 1,024 on many
/// Linux systems). Raises the soft limit towards the hard one when `wanted` needs it, and
/// returns `wanted`, or less when the limit stays too low (with a warning in the log).
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux and macOS, not everywhere
pub fn fd_safe_ceiling(wanted: usize) -> usize {
    #[cfg(unix)]
    {
        let need = wanted as u64 + FD_RESERVE;
        // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return wanted;
        }
        let soft = lim.rlim_cur as u64;
        if soft >= need {
            return wanted;
        }
        let hard = lim.rlim_max as u64;
        let raised = libc::rlimit {
            rlim_cur: need.min(hard) as libc::rlim_t,
            rlim_max: lim.rlim_max,
        };
        let soft = if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            need.min(hard)
        } else {
            soft
        };
        if soft >= need {
            return wanted;
        }
        let ceiling = (soft.saturating_sub(FD_RESERVE) as usize).clamp(16, wanted.max(16));
        tracing::warn!(
            wanted,
            ceiling,
            open_files_limit = soft,
            "the open-files limit caps calls in flight (raise it with `ulimit -n`)"
        );
        ceiling.min(wanted)
    }
    #[cfg(not(unix))]
    {
        wanted
    }
}

/// A uniform number in [0, 1) from a per-thread xorshift generator (jitter needs no
/// cryptographic quality).
pub fn jitter() -> f64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9E37_79B9_7F4A_7C15);
            let addr = &t as *const u64 as u64;
            (t ^ addr.rotate_left(32)) | 1
        });
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(10),
        }
    }

    /// A call AWS throttles `times` times before it answers (with the attempt's index).
    async fn throttled_then_ok(l: &Limiter, times: u32) -> Result<u32, Failure> {
        throttled_then_ok_while(l, times, || {}).await
    }

    /// Like [`throttled_then_ok`], running `meanwhile` before each throttling answer.
    async fn throttled_then_ok_while(
        l: &Limiter,
        times: u32,
        meanwhile: impl Fn(),
    ) -> Result<u32, Failure> {
        let n = AtomicU32::new(0);
        l.call(&key(), &CancellationToken::new(), || {
            let i = n.fetch_add(1, Ordering::SeqCst);
            if i < times {
                meanwhile();
            }
            async move {
                if i < times {
                    Err(Failure::new(
                        FailureKind::Throttled,
                        "ThrottlingException",
                        "Rate exceeded",
                    ))
                } else {
                    Ok(i)
                }
            }
        })
        .await
    }

    fn key() -> ApiKey {
        ApiKey::new("111111111111", "us-east-1", "DescribeInstanceInformation")
    }

    /// `n` calls on `key()` at once (background or not) through a limiter of 512 at `rate`
    /// per key, each counting itself when it goes out: the limiter, their cancel token, the
    /// tasks, and the count.
    #[allow(clippy::type_complexity)]
    fn counted_calls(
        rate: f64,
        n: usize,
        background: bool,
    ) -> (
        Arc<Limiter>,
        CancellationToken,
        Vec<tokio::task::JoinHandle<()>>,
        Arc<AtomicU32>,
    ) {
        let l = Arc::new(Limiter::new(512, rate, RetryPolicy::default()));
        let cancel = CancellationToken::new();
        let done = Arc::new(AtomicU32::new(0));
        let tasks = (0..n)
            .map(|_| {
                let (l, cancel, done) = (l.clone(), cancel.clone(), done.clone());
                tokio::spawn(async move {
                    let f = || async {
                        done.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, Failure>(())
                    };
                    let _ = if background {
                        l.call_background(&key(), &cancel, f).await
                    } else {
                        l.call(&key(), &cancel, f).await
                    };
                })
            })
            .collect();
        (l, cancel, tasks, done)
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
        };
        let t = FailureKind::Transient;
        assert_eq!(p.backoff(1, t, 0.0), Duration::from_millis(50));
        assert_eq!(p.backoff(1, t, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(3, t, 1.0), Duration::from_millis(400));
        // throttling backs off harder
        assert_eq!(
            p.backoff(1, FailureKind::Throttled, 1.0),
            Duration::from_millis(200)
        );
        // capped
        assert_eq!(p.backoff(30, t, 1.0), Duration::from_secs(2));
        assert!(p.backoff(30, t, 0.0) >= Duration::from_secs(1));
    }

    #[test]
    fn the_ceiling_fits_the_open_files_limit() {
        // the test process's limit is at least the default 1,024 (or raised to fit)
        assert_eq!(fd_safe_ceiling(64), 64);
        let c = fd_safe_ceiling(512);
        assert!((16..=512).contains(&c), "{c}");
    }

    #[test]
    fn jitter_is_in_range_and_varies() {
        let xs: Vec<f64> = (0..100).map(|_| jitter()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let distinct = xs
            .iter()
            .map(|x| (x * 1e6) as u64)
            .collect::<std::collections::HashSet<_>>();
        assert!(distinct.len() > 90);
    }

    #[tokio::test]
    async fn rate_limit_spaces_calls_per_key() {
        let l = Limiter::new(100, 50.0, RetryPolicy::default());
        let cancel = CancellationToken::new();
        let start = std::time::Instant::now();
        // burst of 50, then one every 20 ms: 60 calls need ~200 ms
        for _ in 0..60 {
            l.call(&key(), &cancel, || async { Ok::<_, Failure>(()) })
                .await
                .unwrap();
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(180) && took <= Duration::from_millis(800),
            "{took:?}"
        );
        // another key has its own bucket: no wait
        let other = ApiKey::new("222222222222", "us-east-1", "DescribeInstanceInformation");
        let t = std::time::Instant::now();
        l.call(&other, &cancel, || async { Ok::<_, Failure>(()) })
            .await
            .unwrap();
        assert!(t.elapsed() < Duration::from_millis(15));
    }

    #[tokio::test]
    async fn background_calls_leave_the_key_to_a_foreground_call() {
        // 200 background calls on one key at 10 per second would queue a foreground call
        // ~20 s behind them; background work takes only spare tokens, so it goes at once
        let (l, cancel, tasks, done) = counted_calls(10.0, 200, true);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let t = std::time::Instant::now();
        l.call(&key(), &cancel, || async { Ok::<_, Failure>(()) })
            .await
            .unwrap();
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        // and the background work did go on, at the key's rate
        let n = done.load(Ordering::SeqCst);
        assert!((3..=12).contains(&n), "{n} background calls in ~0.3 s");
        cancel.cancel();
        for t in tasks {
            let _ = t.await;
        }
    }

    #[tokio::test]
    async fn pool_bounds_calls_in_flight() {
        let l = Arc::new(Limiter::new(3, 0.0, RetryPolicy::default()));
        let in_flight = Arc::new(AtomicU32::new(0));
        let peak = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let (l, in_flight, peak) = (l.clone(), in_flight.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let k = ApiKey::new(&format!("{i:012}"), "us-east-1", "X");
                l.call(&k, &CancellationToken::new(), || {
                    let (in_flight, peak) = (in_flight.clone(), peak.clone());
                    async move {
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        Ok::<_, Failure>(())
                    }
                })
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(l.stats.calls.load(Ordering::SeqCst), 20);
    }

    #[tokio::test]
    async fn calls_off_the_critical_path_leave_half_the_pool_to_the_others() {
        let l = Arc::new(Limiter::new(4, 0.0, RetryPolicy::default()));
        let gate = Arc::new(Semaphore::new(0));
        let started = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        // four certificate listings at once: only two get a permit
        for i in 0..4 {
            let (l, gate, started) = (l.clone(), gate.clone(), started.clone());
            tasks.push(tokio::spawn(async move {
                let k = ApiKey::new(&format!("{i:012}"), "us-east-1", "ListCertificates");
                l.call(&k, &CancellationToken::new(), || {
                    let (gate, started) = (gate.clone(), started.clone());
                    async move {
                        started.fetch_add(1, Ordering::SeqCst);
                        gate.acquire().await.expect("open").forget();
                        Ok::<_, Failure>(())
                    }
                })
                .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(started.load(Ordering::SeqCst), 2);
        // an instance page is not held up behind them
        let t = std::time::Instant::now();
        l.call(&key(), &CancellationToken::new(), || async {
            Ok::<_, Failure>(())
        })
        .await
        .unwrap();
        assert!(t.elapsed() < Duration::from_millis(500));
        assert!(off_critical_path("DescribeCertificate"));
        assert!(!off_critical_path("DescribeInstancePatchStates"));
        gate.add_permits(4);
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn throttling_is_retried_until_success() {
        let l = Limiter::new(4, 0.0, fast());
        let r = throttled_then_ok(&l, 3).await;
        assert_eq!(r.unwrap(), 3);
        assert_eq!(l.stats.retries.load(Ordering::SeqCst), 3);
        assert_eq!(l.stats.throttled.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_throttled_call_backs_off_with_its_key_not_alone() {
        let policy = RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
        };
        // one call throttled five times while the key's other calls get through (each of
        // its attempts is followed by another call's success): equal-jitter exponential
        // backoff from 200 ms would sit out at least 0.1 + 0.2 + 0.4 + 0.8 + 1.6 = 3.1 s;
        // it waits the first step and its turn at the key's halved rate instead
        let l = Limiter::new(8, 200.0, policy);
        let t = std::time::Instant::now();
        // another call on the key, answered, before each of this one's throttlings
        let r = throttled_then_ok_while(&l, 5, || l.pacer.succeeded(&key())).await;
        assert_eq!(r.unwrap(), 5);
        let took = t.elapsed();
        assert!(took < Duration::from_millis(2500), "{took:?}");
        // each retry went out after the previous cut: five cuts
        assert_eq!(l.stats.rate_cuts.load(Ordering::SeqCst), 5);

        // a key AWS keeps refusing: the pause grows with the run of throttling answers, as
        // before, so the attempts last as long; a success on the key ends the run
        let l = Limiter::new(8, 10.0, policy);
        let k = FailureKind::Throttled;
        let (_, g) = l.pacer.reserve_at(&key(), Instant::now());
        for _ in 0..5 {
            l.pacer.throttled(&key(), g);
        }
        assert!(l.retry_pause(&key(), 5, k) >= policy.backoff(5, k, 0.0));
        assert!(
            l.retry_pause(&key(), 2, k) <= policy.backoff(2, k, 1.0),
            "never more than its own schedule"
        );
        l.pacer.succeeded(&key());
        assert!(l.retry_pause(&key(), 5, k) <= policy.backoff(1, k, 1.0));
        // other failures back off exponentially whatever the key does
        let t = FailureKind::Transient;
        assert!(l.retry_pause(&key(), 5, t) >= policy.backoff(5, t, 0.0));
    }

    #[tokio::test]
    async fn a_call_waiting_for_a_pool_slot_takes_a_new_turn_when_the_key_is_throttled() {
        // a pool of 1, held: a second call has its turn (no wait at 40/s) and waits for the
        // slot. The key is throttled meanwhile: when the slot frees, it takes a new turn at
        // the cut rate instead of going out on the old one.
        let l = Arc::new(Limiter::new(1, 40.0, RetryPolicy::default()));
        let gate = Arc::new(Semaphore::new(0));
        let (l1, g1) = (l.clone(), gate.clone());
        let holder = tokio::spawn(async move {
            l1.call(&key(), &CancellationToken::new(), || async {
                g1.acquire().await.expect("open").forget();
                Ok::<_, Failure>(())
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let l2 = l.clone();
        let waiting = tokio::spawn(async move {
            l2.call(&key(), &CancellationToken::new(), || async {
                Ok::<_, Failure>(std::time::Instant::now())
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        // the key is cut to 20/s, its saved burst gone; then the slot frees
        assert_eq!(l.pacer.throttled(&key(), 0), Some(20.0));
        let freed = std::time::Instant::now();
        gate.add_permits(1);
        holder.await.unwrap().unwrap();
        let went = waiting.await.unwrap().unwrap();
        // a new turn at 20/s: 50 ms after the cut, not at once
        assert!(
            went.duration_since(freed) >= Duration::from_millis(30),
            "{:?}",
            went.duration_since(freed)
        );
        assert_eq!(
            l.stats.calls.load(Ordering::SeqCst),
            2,
            "the re-take is not an attempt"
        );
    }

    #[tokio::test]
    async fn calls_waiting_for_their_turn_take_a_new_one_when_the_key_is_throttled() {
        // 100 calls on one key at 40 per second: 40 go at once, 60 wait for turns given at
        // 40/s (1.5 s). The key is throttled: those 60 go at the halved rate, 20/s, not at
        // the pace the service just refused.
        let (l, cancel, tasks, done) = counted_calls(40.0, 100, false);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(done.load(Ordering::SeqCst), 40, "the burst");
        assert_eq!(l.pacer.throttled(&key(), 0), Some(20.0));
        tokio::time::sleep(Duration::from_millis(750)).await;
        let n = done.load(Ordering::SeqCst) - 40;
        // at the old turns ~30 would have gone by now; at the cut rate ~15
        assert!((5..=22).contains(&n), "{n} calls in 0.75 s after the cut");
        cancel.cancel();
        for t in tasks {
            let _ = t.await;
        }
    }

    #[tokio::test]
    async fn throttling_gets_more_attempts_than_other_failures() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..fast()
        };
        assert_eq!(policy.attempts_for(FailureKind::Throttled), 12);
        assert_eq!(policy.attempts_for(FailureKind::Transient), 3);
        let l = Limiter::new(4, 0.0, policy);
        let r = throttled_then_ok(&l, 8).await;
        assert_eq!(
            r.unwrap(),
            8,
            "throttled 8 times with max_attempts 3, then served"
        );
        // no retry at all stays no retry
        let once = RetryPolicy {
            max_attempts: 1,
            ..fast()
        };
        assert_eq!(once.attempts_for(FailureKind::Throttled), 1);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts_and_never_retries_denied() {
        let l = Limiter::new(
            4,
            0.0,
            RetryPolicy {
                max_attempts: 3,
                ..fast()
            },
        );
        let n = AtomicU32::new(0);
        let r: Result<(), _> = l
            .call(&key(), &CancellationToken::new(), || {
                n.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(Failure::new(
                        FailureKind::Transient,
                        "InternalServerError",
                        "x",
                    ))
                }
            })
            .await;
        assert_eq!(r.unwrap_err().code, "InternalServerError");
        assert_eq!(n.load(Ordering::SeqCst), 3);

        let m = AtomicU32::new(0);
        let r: Result<(), _> = l
            .call(&key(), &CancellationToken::new(), || {
                m.fetch_add(1, Ordering::SeqCst);
                async { Err(Failure::new(FailureKind::Denied, "AccessDenied", "no")) }
            })
            .await;
        assert_eq!(r.unwrap_err().kind, FailureKind::Denied);
        assert_eq!(m.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn cancellation_stops_waiting_calls() {
        let l = Arc::new(Limiter::new(1, 0.0, RetryPolicy::default()));
        let cancel = CancellationToken::new();
        let (l2, c2) = (l.clone(), cancel.clone());
        let slow = tokio::spawn(async move {
            l2.call(&key(), &c2, || async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok::<_, Failure>(())
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        cancel.cancel();
        let r = slow.await.unwrap();
        assert!(r.unwrap_err().is_cancelled());
        // the permit is free again
        assert_eq!(l.permits.available_permits(), 1);
    }
}
