//! What to read and how: profile, regions, endpoint, accounts, role, limits.
//!
//! Built from the command line and the config file (`Scope::from_args`); flags win over the
//! file, the file over the defaults.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::ScopeArgs;
use crate::config::{AccountEntry, Config, Paths, is_account_id};

use super::error::FleetError;

/// Static credentials (the demo and tests): access key id and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never print the secret
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Everything the data layer needs to know about what to read.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    /// AWS profile for the caller (`None` = the standard credential chain).
    pub profile: Option<String>,
    /// Regions to read; empty = the profile's (or environment's) region, resolved on connect.
    pub regions: Vec<String>,
    /// Endpoint for every client, STS included (`None` = AWS, or AWS_ENDPOINT_URL[_<SERVICE>]).
    pub endpoint_url: Option<String>,
    /// Role assumed in member accounts.
    pub role_name: String,
    pub external_id: Option<String>,
    /// Only these accounts (empty = all discovered).
    pub account_filter: Vec<String>,
    /// Explicit account list from the config (empty = discover through Organizations).
    pub accounts: Vec<AccountEntry>,
    /// Account id → profile, used instead of AssumeRole.
    pub account_profiles: BTreeMap<String, String>,
    /// Ceiling on API calls in flight across all accounts and regions.
    pub concurrency: usize,
    /// Requests per second per account × region × API.
    pub rate_limit_tps: f64,
    /// Timeout of one API call (each attempt, and the whole operation).
    pub call_timeout: Duration,
    /// Attempts per call, retries on throttling / 5xx / timeouts included.
    pub max_attempts: u32,
    /// The more patient budget of the control-plane calls (Organizations, STS): few calls
    /// whose failure would hide whole OUs or accounts.
    pub control_retry: super::limiter::RetryPolicy,
    /// First pause before the console retries a refresh that hit transient failures
    /// (doubling up to the refresh interval).
    pub heal_after: Duration,
    /// Seconds between live refreshes.
    pub refresh_interval: Duration,
    /// A node whose last scan is older than this many days is stale.
    pub stale_after_days: i64,
    /// Close the mutation gate (SendCommand, CancelCommand, start-session).
    pub readonly: bool,
    /// Running against the built-in simulator (`--demo`).
    pub demo: bool,
    /// Static credentials instead of the credential chain (demo, tests).
    pub static_credentials: Option<StaticCredentials>,
    /// Where the last snapshot is cached (`None` = no cache, e.g. `--no-cache`).
    pub cache_file: Option<PathBuf>,
    /// Region for Organizations calls (a global service homed in us-east-1).
    pub organizations_region: String,
    /// How far back to list Run Command operations.
    pub command_history_days: i64,
}

/// Organizations and STS: 10 attempts, backoff from 0.25 s (0.5 s when throttled) up to 8 s
/// — about 25–45 s of patience per call before a part of the tree is reported unreadable.
pub const CONTROL_RETRY: super::limiter::RetryPolicy = super::limiter::RetryPolicy {
    max_attempts: 10,
    base: Duration::from_millis(250),
    cap: Duration::from_secs(8),
};

impl Default for Scope {
    fn default() -> Self {
        let c = Config::default();
        Scope {
            profile: None,
            regions: Vec::new(),
            endpoint_url: None,
            role_name: c.role_name,
            external_id: None,
            account_filter: Vec::new(),
            accounts: Vec::new(),
            account_profiles: BTreeMap::new(),
            concurrency: c.concurrency,
            rate_limit_tps: c.rate_limit_tps,
            call_timeout: Duration::from_secs(c.call_timeout_secs),
            max_attempts: 6,
            control_retry: CONTROL_RETRY,
            heal_after: Duration::from_secs(5),
            refresh_interval: Duration::from_secs(c.refresh_interval_secs),
            stale_after_days: c.stale_after_days,
            readonly: c.readonly,
            demo: false,
            static_credentials: None,
            cache_file: None,
            organizations_region: "us-east-1".into(),
            command_history_days: 14,
        }
    }
}

impl Scope {
    /// Flags over the config file over the defaults. The cache file comes from the
    /// standard paths (`Paths::resolve`); `--no-cache` turns it off.
    pub fn from_args(args: &ScopeArgs, config: &Config) -> Result<Scope, FleetError> {
        Self::from_args_with_paths(args, config, &Paths::resolve())
    }

    pub fn from_args_with_paths(
        args: &ScopeArgs,
        config: &Config,
        paths: &Paths,
    ) -> Result<Scope, FleetError> {
        let regions = resolve_regions(&args.regions, config)?;
        let mut account_filter = Vec::new();
        for a in &args.accounts {
            let a = a.trim();
            if a.is_empty() {
                continue;
            }
            if !is_account_id(a) {
                return Err(FleetError::Config(format!(
                    "--accounts: `{a}` is not a 12-digit account id"
                )));
            }
            account_filter.push(a.to_string());
        }
        if let Some(url) = &args.endpoint_url {
            validate_endpoint(url)?;
        }
        let concurrency = args.concurrency.unwrap_or(config.concurrency);
        if concurrency == 0 {
            return Err(FleetError::Config(
                "--concurrency must be at least 1".into(),
            ));
        }
        let role_name = args
            .role_name
            .clone()
            .unwrap_or_else(|| config.role_name.clone());
        if role_name.trim().is_empty() || role_name.contains(['/', ':', ' ']) {
            return Err(FleetError::Config(format!(
                "role name `{role_name}` is not valid: give the role's name, not its ARN"
            )));
        }
        let mut account_profiles = config.account_profiles.clone();
        for e in &config.accounts {
            if let Some(p) = &e.profile {
                account_profiles
                    .entry(e.id.clone())
                    .or_insert_with(|| p.clone());
            }
        }
        let profile = args.profile.clone().or_else(|| config.profile.clone());
        let mut scope = Scope {
            profile,
            regions,
            endpoint_url: args.endpoint_url.clone(),
            role_name,
            external_id: config.external_id.clone(),
            account_filter,
            accounts: config.accounts.clone(),
            account_profiles,
            concurrency,
            rate_limit_tps: config.rate_limit_tps,
            call_timeout: Duration::from_secs(config.call_timeout_secs.max(1)),
            refresh_interval: Duration::from_secs(config.refresh_interval_secs.max(1)),
            stale_after_days: config.stale_after_days,
            readonly: args.readonly || config.readonly,
            demo: args.demo,
            ..Scope::default()
        };
        if !args.no_cache {
            scope.cache_file = Some(paths.snapshot_cache(&scope.cache_key()));
        }
        Ok(scope)
    }

    /// A short stable id of this scope for the cache file name: the same profile and
    /// endpoint share a cache; the demo has its own.
    pub fn cache_key(&self) -> String {
        if self.demo {
            return "demo".into();
        }
        let mut text = String::new();
        text.push_str(self.profile.as_deref().unwrap_or("default"));
        text.push('|');
        text.push_str(self.endpoint_url.as_deref().unwrap_or(""));
        text.push('|');
        text.push_str(&self.role_name);
        let readable: String = self
            .profile
            .as_deref()
            .unwrap_or("default")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(32)
            .collect();
        format!("{readable}-{:016x}", fnv1a(text.as_bytes()))
    }

    /// Aggregate knobs derived from the scope.
    pub fn aggregate_config(&self) -> crate::model::AggregateConfig {
        crate::model::AggregateConfig {
            stale_after: chrono::Duration::days(self.stale_after_days.max(0)),
        }
    }
}

fn resolve_regions(flag: &[String], config: &Config) -> Result<Vec<String>, FleetError> {
    let given: Vec<String> = flag
        .iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    let regions = if given.len() == 1 && given[0].eq_ignore_ascii_case("all") {
        if config.all_regions.is_empty() {
            return Err(FleetError::Config(
                "--regions all: set `all_regions = [\"us-east-1\", ...]` in the config file \
                 (the regions where your organization uses Systems Manager)"
                    .into(),
            ));
        }
        config.all_regions.clone()
    } else if given.is_empty() {
        config.regions.clone()
    } else {
        given
    };
    let mut out: Vec<String> = Vec::new();
    for r in regions {
        if !crate::model::is_region_name(&r) {
            return Err(FleetError::Config(format!(
                "`{r}` is not a region name (expected something like us-east-1)"
            )));
        }
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

fn validate_endpoint(url: &str) -> Result<(), FleetError> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.split("://").nth(1).is_some_and(|rest| !rest.is_empty());
    if ok {
        Ok(())
    } else {
        Err(FleetError::Config(format!(
            "--endpoint-url `{url}` is not a URL (expected http://host:port or https://host)"
        )))
    }
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &std::path::Path) -> Paths {
        Paths {
            config_dir: dir.into(),
            data_dir: dir.into(),
            cache_dir: dir.into(),
        }
    }

    #[test]
    fn flags_override_config() {
        let cfg = Config {
            regions: vec!["eu-west-1".into()],
            role_name: "FromConfig".into(),
            concurrency: 8,
            ..Config::default()
        };
        let args = ScopeArgs {
            regions: vec!["us-east-1".into(), "us-west-2".into()],
            role_name: Some("SSMDeckReadOnly".into()),
            concurrency: Some(4),
            profile: Some("ops".into()),
            ..ScopeArgs::default()
        };
        let s =
            Scope::from_args_with_paths(&args, &cfg, &paths(std::path::Path::new("/c"))).unwrap();
        assert_eq!(s.regions, vec!["us-east-1", "us-west-2"]);
        assert_eq!(s.role_name, "SSMDeckReadOnly");
        assert_eq!(s.concurrency, 4);
        assert_eq!(s.profile.as_deref(), Some("ops"));
        let cache = s.cache_file.unwrap();
        assert!(cache.starts_with("/c"), "{cache:?}");
        assert!(cache.to_string_lossy().contains("snapshot-ops-"));
    }

    #[test]
    fn config_regions_are_the_default() {
        let cfg = Config {
            regions: vec!["eu-west-1".into()],
            ..Config::default()
        };
        let s = Scope::from_args_with_paths(
            &ScopeArgs::default(),
            &cfg,
            &paths(std::path::Path::new("/c")),
        )
        .unwrap();
        assert_eq!(s.regions, vec!["eu-west-1"]);
        assert_eq!(s.role_name, crate::config::DEFAULT_ROLE_NAME);
    }

    #[test]
    fn regions_all_uses_all_regions_or_says_how() {
        let args = ScopeArgs {
            regions: vec!["all".into()],
            ..ScopeArgs::default()
        };
        let p = paths(std::path::Path::new("/c"));
        let err = Scope::from_args_with_paths(&args, &Config::default(), &p).unwrap_err();
        assert!(err.to_string().contains("all_regions"), "{err}");
        let cfg = Config {
            all_regions: vec!["us-east-1".into(), "eu-central-1".into()],
            ..Config::default()
        };
        let s = Scope::from_args_with_paths(&args, &cfg, &p).unwrap();
        assert_eq!(s.regions, vec!["us-east-1", "eu-central-1"]);
    }

    #[test]
    fn bad_flags_are_clear_errors() {
        let p = paths(std::path::Path::new("/c"));
        let bad_region = ScopeArgs {
            regions: vec!["useast1".into()],
            ..ScopeArgs::default()
        };
        let e = Scope::from_args_with_paths(&bad_region, &Config::default(), &p).unwrap_err();
        assert!(e.to_string().contains("useast1"), "{e}");
        let bad_account = ScopeArgs {
            accounts: vec!["12345".into()],
            ..ScopeArgs::default()
        };
        let e = Scope::from_args_with_paths(&bad_account, &Config::default(), &p).unwrap_err();
        assert!(e.to_string().contains("12-digit"), "{e}");
        let bad_url = ScopeArgs {
            endpoint_url: Some("localhost:4566".into()),
            ..ScopeArgs::default()
        };
        let e = Scope::from_args_with_paths(&bad_url, &Config::default(), &p).unwrap_err();
        assert!(e.to_string().contains("not a URL"), "{e}");
        let arn_role = ScopeArgs {
            role_name: Some("arn:aws:iam::1:role/X".into()),
            ..ScopeArgs::default()
        };
        let e = Scope::from_args_with_paths(&arn_role, &Config::default(), &p).unwrap_err();
        assert!(e.to_string().contains("not its ARN"), "{e}");
    }

    #[test]
    fn no_cache_and_profile_mapping() {
        let cfg = Config {
            accounts: vec![AccountEntry {
                id: "111111111111".into(),
                profile: Some("sso-a".into()),
                ..AccountEntry::default()
            }],
            ..Config::default()
        };
        let args = ScopeArgs {
            no_cache: true,
            ..ScopeArgs::default()
        };
        let s =
            Scope::from_args_with_paths(&args, &cfg, &paths(std::path::Path::new("/c"))).unwrap();
        assert!(s.cache_file.is_none());
        assert_eq!(
            s.account_profiles.get("111111111111").map(String::as_str),
            Some("sso-a")
        );
    }

    #[test]
    fn cache_key_is_stable_and_distinguishes_endpoints() {
        let a = Scope {
            endpoint_url: Some("http://127.0.0.1:1".into()),
            ..Scope::default()
        };
        let b = Scope {
            endpoint_url: Some("http://127.0.0.1:2".into()),
            ..Scope::default()
        };
        assert_eq!(a.cache_key(), a.clone().cache_key());
        assert_ne!(a.cache_key(), b.cache_key());
        let demo = Scope { demo: true, ..a };
        assert_eq!(demo.cache_key(), "demo");
    }
}
