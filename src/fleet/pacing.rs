//! How fast each account × region × API key may go: a token bucket per key whose rate adapts
//! to what the service accepts (AIMD).
//!
//! - A throttling answer on a key halves its rate (once per generation: calls admitted before
//!   the cut that come back throttled too do not cut again) and drops its saved-up burst and
//!   the turns given at the old rate (calls waiting for one take a new turn); the rate then
//!   grows back by [`Aimd::recover_per_sec`] per second up to the configured rate. A key's
//!   run of throttling answers since its last success sets how long a throttled call pauses
//!   before its next turn (`Limiter::retry_pause`).
//! - The cut also caps the other keys of that API (they share the service's limit values),
//!   recovering the same way: a throttled API does not have every account learn it alone.
//! - STS calls are counted by AWS against the *calling* account, whatever the target account
//!   (see `per_caller`): one bucket for all of them, with no configured rate (AWS publishes
//!   none and it is high); its first throttling sets it to half the rate just measured.
//!
//! The burst of a key is one second's worth of its current rate (at least 1).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::limiter::ApiKey;

/// The adaptive part of the rate limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Aimd {
    /// Additive increase: requests per second gained per second without throttling.
    pub recover_per_sec: f64,
    /// The rate never drops below this (requests per second).
    pub min_rate: f64,
}

impl Aimd {
    /// For a configured per-key rate: back from half to full in about five seconds.
    pub fn for_rate(rate: f64) -> Self {
        let r = if rate.is_finite() { rate } else { 10.0 };
        Aimd {
            recover_per_sec: (r / 10.0).max(0.5),
            min_rate: (r / 64.0).clamp(0.05, 1.0),
        }
    }
}

/// APIs that AWS counts against the calling account (its STS request quota), not the target
/// account: AssumeRole into 1,000 accounts is 1,000 requests on one quota. Source: AWS
/// re:Post knowledge center "iam-sts-throttling-error" and the IAM/STS quotas page (STS
/// calls count towards the account making them). The simulator counts them the same way.
pub fn per_caller(api: &str) -> bool {
    matches!(api, "AssumeRole" | "GetCallerIdentity")
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Current rate (requests per second); infinite until throttled for a key without a
    /// configured rate.
    rate: f64,
    /// Rate cuts so far.
    cuts: u32,
    /// Calls admitted in the current and the previous one-second window (the measured rate
    /// an unlimited key is cut from).
    window: (Instant, u32, u32),
    /// Throttling answers since the key's last success: how hard AWS is pushing back on it
    /// (the retry pause of a throttled call grows with it, `Limiter::retry_pause`).
    streak: u32,
}

impl Bucket {
    fn measured_rate(&self) -> f64 {
        f64::from(self.window.1.max(self.window.2)).max(1.0)
    }
}

/// An API's cap after one of its keys was throttled.
#[derive(Debug)]
struct Cap {
    rate: f64,
    last: Instant,
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<ApiKey, Bucket>,
    caps: HashMap<&'static str, Cap>,
}

#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    /// The configured rate per key (infinite: no rate limit, no adaptation).
    max: f64,
    aimd: Aimd,
    /// Rate cuts so far (all keys).
    pub cuts: AtomicU64,
}

impl Pacer {
    pub fn new(rate: f64) -> Self {
        let max = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            f64::INFINITY
        };
        Pacer {
            state: Mutex::new(State::default()),
            max,
            aimd: Aimd::for_rate(max),
            cuts: AtomicU64::new(0),
        }
    }

    /// The configured rate per key.
    pub fn rate(&self) -> f64 {
        self.max
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bucket a key draws from.
    fn bucket_key(key: &ApiKey) -> std::borrow::Cow<'_, ApiKey> {
        if per_caller(key.api) {
            std::borrow::Cow::Owned(ApiKey::new("", "", key.api))
        } else {
            std::borrow::Cow::Borrowed(key)
        }
    }

    fn max_for(&self, api: &str) -> f64 {
        if per_caller(api) {
            f64::INFINITY
        } else {
            self.max
        }
    }

    /// The current (adapted) rate of `key`, if it has been used.
    pub fn key_rate(&self, key: &ApiKey) -> Option<f64> {
        let st = self.lock();
        st.buckets
            .get(Self::bucket_key(key).as_ref())
            .map(|b| b.rate)
    }

    /// The key's generation of rate cuts (`None` before its first call, or without a rate
    /// limit): a call that waited for its token compares it with the one it was given.
    pub fn generation(&self, key: &ApiKey) -> Option<u32> {
        if !self.max.is_finite() {
            return None;
        }
        let st = self.lock();
        st.buckets
            .get(Self::bucket_key(key).as_ref())
            .map(|b| b.cuts)
    }

    /// A call on `key` succeeded: AWS is not pushing back on it (any more).
    pub fn succeeded(&self, key: &ApiKey) {
        if !self.max.is_finite() {
            return;
        }
        let mut st = self.lock();
        if let Some(b) = st.buckets.get_mut(Self::bucket_key(key).as_ref()) {
            b.streak = 0;
        }
    }

    /// Throttling answers on `key` since its last success.
    pub fn streak(&self, key: &ApiKey) -> u32 {
        let st = self.lock();
        st.buckets
            .get(Self::bucket_key(key).as_ref())
            .map_or(0, |b| b.streak)
    }

    /// How long the caller must wait for its token on `key` (and take it), and the key's
    /// generation of rate cuts when the token was taken.
    pub fn reserve_at(&self, key: &ApiKey, now: Instant) -> (Duration, u32) {
        match self.reserve_inner(key, now, None) {
            Ok(r) => r,
            Err(_) => unreachable!("a reservation without headroom always succeeds"),
        }
    }

    /// A token on `key` only if, after taking it, at least `keep` of the key's burst (a
    /// fraction) stays for other callers: background work uses spare capacity and never
    /// queues ahead of a foreground call. `Err(retry_in)` when there is no spare token now.
    pub fn take_spare_at(&self, key: &ApiKey, now: Instant, keep: f64) -> Result<u32, Duration> {
        self.reserve_inner(key, now, Some(keep)).map(|(_, g)| g)
    }

    fn reserve_inner(
        &self,
        key: &ApiKey,
        now: Instant,
        keep: Option<f64>,
    ) -> Result<(Duration, u32), Duration> {
        if !self.max.is_finite() {
            return Ok((Duration::ZERO, 0));
        }
        let bkey = Self::bucket_key(key);
        let max = self.max_for(key.api);
        let recover = self.aimd.recover_per_sec;
        let mut guard = self.lock();
        let st = &mut *guard;
        // the API's cap, recovering too; gone once back at the configured rate
        let cap = match st.caps.get_mut(key.api) {
            Some(c) => {
                let dt = now.saturating_duration_since(c.last).as_secs_f64();
                c.rate += dt * recover;
                c.last = now;
                if c.rate >= max {
                    st.caps.remove(key.api);
                    max
                } else {
                    c.rate
                }
            }
            None => max,
        };
        let b = match st.buckets.get_mut(bkey.as_ref()) {
            Some(b) => b,
            None => st
                .buckets
                .entry(bkey.into_owned())
                .or_insert_with(|| Bucket {
                    tokens: cap.max(1.0),
                    last: now,
                    rate: cap,
                    cuts: 0,
                    window: (now, 0, 0),
                    streak: 0,
                }),
        };
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.last = now;
        if let Some(keep) = keep
            && b.rate.is_finite()
        {
            // refill first (as below), then take only from what is spare
            b.tokens = (b.tokens + elapsed * b.rate).min(b.rate.max(1.0));
            b.rate = (b.rate + elapsed * recover).min(cap);
            let burst = b.rate.max(1.0);
            let keep = (keep * burst).min(burst - 1.0).max(0.0);
            if b.tokens - 1.0 < keep {
                let short = keep + 1.0 - b.tokens;
                return Err(Duration::from_secs_f64((short / b.rate).clamp(0.001, 1.0)));
            }
            b.tokens -= 1.0;
            b.window.1 = b.window.1.saturating_add(1);
            return Ok((Duration::ZERO, b.cuts));
        }
        let since_window = now.saturating_duration_since(b.window.0);
        if since_window >= Duration::from_secs(1) {
            let prev = if since_window < Duration::from_secs(2) {
                b.window.1
            } else {
                0
            };
            b.window = (now, 0, prev);
        }
        b.window.1 = b.window.1.saturating_add(1);
        if !b.rate.is_finite() {
            b.rate = b.rate.min(cap);
            if !b.rate.is_finite() {
                return Ok((Duration::ZERO, b.cuts));
            }
        }
        // tokens accrue at the rate in force; then the rate recovers (additive increase)
        b.tokens = (b.tokens + elapsed * b.rate).min(b.rate.max(1.0));
        b.rate = (b.rate + elapsed * recover).min(cap);
        b.tokens -= 1.0;
        let wait = if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / b.rate)
        };
        Ok((wait, b.cuts))
    }

    /// `key` was throttled on a call that took its token in generation `generation`: halve
    /// the key's rate (and cap its API's other keys there) unless a call admitted after
    /// the last cut was throttled already. Returns the new rate when it cut.
    pub fn throttled(&self, key: &ApiKey, generation: u32) -> Option<f64> {
        if !self.max.is_finite() {
            return None;
        }
        let now = Instant::now();
        let mut guard = self.lock();
        let st = &mut *guard;
        let b = st.buckets.get_mut(Self::bucket_key(key).as_ref())?;
        b.streak = b.streak.saturating_add(1);
        if b.cuts != generation {
            return None;
        }
        let base = if b.rate.is_finite() {
            b.rate
        } else {
            b.measured_rate()
        };
        b.rate = (base / 2.0).max(self.aimd.min_rate);
        // no saved-up burst, and no debt either: calls still waiting for a turn given at the
        // old rate see the new generation and take a new turn (`Limiter::call`); and nothing
        // accrues for the time before the cut (a burst at the old pace right after it)
        b.tokens = 0.0;
        b.last = now;
        b.cuts = b.cuts.wrapping_add(1);
        let rate = b.rate;
        let cap = st.caps.entry(key.api).or_insert(Cap {
            rate: f64::INFINITY,
            last: now,
        });
        if rate < cap.rate {
            cap.rate = rate;
            cap.last = now;
        }
        self.cuts.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            account = %key.account, region = %key.region, api = key.api,
            rate, "throttled: rate halved"
        );
        Some(rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ApiKey {
        ApiKey::new("111111111111", "us-east-1", "DescribeInstanceInformation")
    }

    #[test]
    fn throttling_halves_the_keys_rate_once_then_it_recovers_additively() {
        let p = Pacer::new(8.0);
        let t0 = Instant::now();
        // a burst of 8 goes at once, the 9th waits 1/8 s
        let mut generation = 0;
        for _ in 0..8 {
            let (wait, g) = p.reserve_at(&key(), t0);
            assert_eq!(wait, Duration::ZERO);
            generation = g;
        }
        assert_eq!(p.reserve_at(&key(), t0).0, Duration::from_millis(125));
        // four calls of the same generation come back throttled: one cut, not four
        assert_eq!(p.throttled(&key(), generation), Some(4.0));
        for _ in 0..3 {
            assert_eq!(p.throttled(&key(), generation), None);
        }
        assert_eq!(p.key_rate(&key()), Some(4.0));
        assert_eq!(p.cuts.load(Ordering::Relaxed), 1);
        // the saved-up burst is gone and the spacing is the halved rate's
        let (wait, g2) = p.reserve_at(&key(), t0);
        assert!(wait >= Duration::from_millis(250), "{wait:?}");
        assert_ne!(g2, generation);
        // a call admitted after the cut and throttled cuts again
        assert_eq!(p.throttled(&key(), g2), Some(2.0));
        // additive increase: +0.8 req/s per second, capped at the configured rate
        p.reserve_at(&key(), t0 + Duration::from_secs(5));
        let r = p.key_rate(&key()).unwrap();
        assert!((r - 6.0).abs() < 1e-3, "{r}");
        p.reserve_at(&key(), t0 + Duration::from_secs(60));
        assert_eq!(p.key_rate(&key()), Some(8.0));
    }

    #[test]
    fn a_throttled_api_caps_its_other_keys_and_leaves_other_apis_alone() {
        let p = Pacer::new(10.0);
        let t0 = Instant::now();
        let (_, g) = p.reserve_at(&key(), t0);
        p.throttled(&key(), g);
        // another account's key of the same API starts at the halved rate and burst
        let other = ApiKey::new("222222222222", "eu-west-1", "DescribeInstanceInformation");
        for _ in 0..5 {
            assert_eq!(p.reserve_at(&other, t0).0, Duration::ZERO);
        }
        assert!(p.reserve_at(&other, t0).0 > Duration::ZERO);
        assert_eq!(p.key_rate(&other), Some(5.0));
        // another API keeps the configured rate
        let certs = ApiKey::new("111111111111", "us-east-1", "DescribeCertificate");
        p.reserve_at(&certs, t0);
        assert_eq!(p.key_rate(&certs), Some(10.0));
        // the cap recovers with time
        p.reserve_at(&other, t0 + Duration::from_secs(30));
        assert_eq!(p.key_rate(&other), Some(10.0));
    }

    #[test]
    fn sts_calls_share_the_callers_bucket_unlimited_until_throttled() {
        let p = Pacer::new(10.0);
        let t0 = Instant::now();
        let mut g = 0;
        // 100 AssumeRole into 100 accounts: no configured rate holds them back
        for i in 0..100 {
            let k = ApiKey::new(&format!("{i:012}"), "us-east-1", "AssumeRole");
            let (wait, gen_) = p.reserve_at(&k, t0);
            assert_eq!(wait, Duration::ZERO);
            g = gen_;
        }
        // throttled (on any target): half the rate just measured, for all of them
        let k = ApiKey::new("000000000007", "us-east-1", "AssumeRole");
        assert_eq!(p.throttled(&k, g), Some(50.0));
        let other = ApiKey::new("000000000042", "us-east-1", "AssumeRole");
        assert_eq!(p.key_rate(&other), Some(50.0));
        assert!(p.reserve_at(&other, t0).0 > Duration::ZERO);
    }

    #[test]
    fn the_rate_never_falls_below_its_floor() {
        let p = Pacer::new(10.0);
        let t0 = Instant::now();
        for _ in 0..40 {
            let (_, g) = p.reserve_at(&key(), t0);
            p.throttled(&key(), g);
        }
        let floor = Aimd::for_rate(10.0).min_rate;
        assert_eq!(p.key_rate(&key()), Some(floor));
        assert!(floor > 0.0);
    }

    #[test]
    fn no_configured_rate_means_no_limit_and_no_adaptation() {
        let p = Pacer::new(0.0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert_eq!(p.reserve_at(&key(), t0).0, Duration::ZERO);
        }
        assert_eq!(p.throttled(&key(), 0), None);
    }
}
