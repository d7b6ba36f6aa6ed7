//! The ranges of the numeric settings, shared by the command-line flags (clap checks them
//! before anything runs) and the config file (checked with its line), so a value is refused
//! the same way wherever it comes from.

use std::ops::RangeInclusive;

/// API calls in flight across all accounts and regions (`concurrency`, `--concurrency`).
/// Up to 4096: the global ceiling may be set in the hundreds for large organizations.
pub const CONCURRENCY: RangeInclusive<u64> = 1..=4096;
/// Seconds between live refreshes (`refresh_interval_secs`, `--refresh`): at least 5 s, so a
/// typo cannot re-read the whole fleet every second; at most a day.
pub const REFRESH_SECS: RangeInclusive<u64> = 5..=86_400;
/// Seconds one API call may take (`call_timeout_secs`).
pub const CALL_TIMEOUT_SECS: RangeInclusive<u64> = 1..=600;
/// Days after which a node's last patch scan is stale (`stale_after_days`).
pub const STALE_AFTER_DAYS: RangeInclusive<i64> = 1..=3650;
/// Requests per second per account × region × API (`rate_limit_tps`): above 0, at most this.
pub const MAX_RATE_LIMIT_TPS: f64 = 10_000.0;

/// "is out of range: use 1..=4096" for messages.
pub fn out_of_range<T: std::fmt::Display>(range: &RangeInclusive<T>) -> String {
    format!("is out of range: use {}..={}", range.start(), range.end())
}
