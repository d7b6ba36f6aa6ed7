//! Credentials: the caller's (standard chain, `--profile`, or static for the demo), and per
//! member account (AssumeRole into the configured role, or a mapped profile), each behind a
//! cache that refreshes before expiry and is shared by every client of that account.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};

/// How one account is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// The caller's own account: the caller's credentials.
    Caller,
    /// A mapped profile (SSO users).
    Profile(String),
    /// AssumeRole into this role ARN.
    AssumeRole { role_arn: String },
}

impl Access {
    pub fn describe(&self) -> String {
        match self {
            Access::Caller => "caller credentials".into(),
            Access::Profile(p) => format!("profile {p}"),
            Access::AssumeRole { role_arn } => format!("AssumeRole {role_arn}"),
        }
    }
}

/// A credentials cache in front of any provider: answers from memory until the credentials
/// come close to expiry (5 minutes, or a quarter of their lifetime when that is shorter),
/// then fetches new ones; concurrent callers wait for the one fetch in flight.
///
/// Every SDK call of the account asks it, so the answer from memory takes no async lock:
/// under a busy runtime each hand-over of a contended async lock waits for the next waiter
/// to be scheduled, which added tens of milliseconds to calls of accounts with many in flight
/// (#13). Only a fetch takes the async lock (`fetching`), so one fetch runs at a time.
pub struct CachedCredentials {
    inner: SharedCredentialsProvider,
    state: std::sync::Mutex<Option<(Credentials, SystemTime)>>,
    fetching: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for CachedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedCredentials")
            .field("fetches", &self.fetches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Refresh margin before expiry.
const MAX_MARGIN: Duration = Duration::from_secs(300);

/// Whether credentials fetched at `fetched` are still good to use at `now`.
pub fn still_fresh(expiry: Option<SystemTime>, fetched: SystemTime, now: SystemTime) -> bool {
    let Some(exp) = expiry else {
        return true; // long-lived keys
    };
    let lifetime = exp.duration_since(fetched).unwrap_or(Duration::ZERO);
    let margin = MAX_MARGIN.min(lifetime / 4);
    match exp.checked_sub(margin) {
        Some(refresh_at) => now < refresh_at,
        None => false,
    }
}

impl CachedCredentials {
    pub fn new(inner: SharedCredentialsProvider) -> Self {
        CachedCredentials {
            inner,
            state: std::sync::Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// Current credentials, fetching new ones when missing or about to expire.
    pub async fn get(&self) -> Result<Credentials, CredentialsError> {
        if let Some(c) = self.fresh() {
            return Ok(c);
        }
        let _one_fetch = self.fetching.lock().await;
        // a fetch that ended while this one waited is as good
        if let Some(c) = self.fresh() {
            return Ok(c);
        }
        let c = self.inner.provide_credentials().await?;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        *self.lock_state() = Some((c.clone(), SystemTime::now()));
        Ok(c)
    }

    /// The cached credentials if they are still good (no fetch): lets callers skip the STS
    /// rate limit for what costs no request.
    pub async fn cached(&self) -> Option<Credentials> {
        self.fresh()
    }

    fn fresh(&self) -> Option<Credentials> {
        let state = self.lock_state();
        let (c, fetched) = state.as_ref()?;
        still_fresh(c.expiry(), *fetched, SystemTime::now()).then(|| c.clone())
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, Option<(Credentials, SystemTime)>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forget the cached credentials (the service said they expired).
    pub async fn invalidate(&self) {
        *self.lock_state() = None;
    }

    /// How many times the underlying provider was asked (AssumeRole calls, for one account).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

impl ProvideCredentials for CachedCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.get())
    }
}

/// How long the member-account sessions ssmdeck asks for last. One hour, the most STS
/// grants a chained AssumeRole (the caller is often a role session itself: SSO, or the
/// delegated administrator's role); more would fail with `ValidationError` (STS model text
/// of `AssumeRoleRequest.DurationSeconds`). The cache refreshes them before they expire.
pub const MEMBER_SESSION: Duration = Duration::from_secs(3600);

/// AssumeRole session name: identifies ssmdeck and the user (`ssmdeck-alice`), limited to
/// the characters and length STS accepts (`[\w+=,.@-]`, 2..64).
pub fn session_name(user: &str) -> String {
    let clean: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c))
        .collect();
    let mut name = if clean.is_empty() {
        "ssmdeck".to_string()
    } else {
        format!("ssmdeck-{clean}")
    };
    name.truncate(64);
    name
}

/// The user part of a caller ARN (`arn:aws:sts::1:assumed-role/Admin/alice@example.com`
/// → `alice@example.com`; `arn:aws:iam::1:user/bob` → `bob`), else `$USER`.
pub fn user_from_arn(arn: &str) -> String {
    let last = arn.rsplit(['/', ':']).next().unwrap_or("");
    if !last.is_empty() && arn.contains('/') {
        return last.to_string();
    }
    std::env::var("USER").unwrap_or_default()
}

/// The environment for `aws ssm start-session` in one account and region. Never logged.
pub fn credentials_env(c: &Credentials, region: &str) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "AWS_ACCESS_KEY_ID".to_string(),
            c.access_key_id().to_string(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            c.secret_access_key().to_string(),
        ),
    ];
    if let Some(t) = c.session_token() {
        env.push(("AWS_SESSION_TOKEN".to_string(), t.to_string()));
    }
    env.push(("AWS_REGION".to_string(), region.to_string()));
    env.push(("AWS_DEFAULT_REGION".to_string(), region.to_string()));
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::credential_fn::provide_credentials_fn;
    use std::sync::Arc;

    #[test]
    fn refreshes_before_expiry() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = Some(t0 + Duration::from_secs(3600));
        assert!(still_fresh(hour, t0, t0 + Duration::from_secs(3000)));
        // within the 5-minute margin: refresh
        assert!(!still_fresh(hour, t0, t0 + Duration::from_secs(3400)));
        // short-lived (20 s): refresh after three quarters
        let short = Some(t0 + Duration::from_secs(20));
        assert!(still_fresh(short, t0, t0 + Duration::from_secs(10)));
        assert!(!still_fresh(short, t0, t0 + Duration::from_secs(16)));
        // no expiry: static keys
        assert!(still_fresh(None, t0, t0 + Duration::from_secs(1 << 30)));
    }

    #[tokio::test]
    async fn cache_fetches_once_until_expiry() {
        let calls = Arc::new(AtomicU64::new(0));
        let c2 = calls.clone();
        let provider = provide_credentials_fn(move || {
            let n = c2.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(Credentials::new(
                    format!("ASIA{n}"),
                    "secret",
                    Some("token".into()),
                    // already inside the refresh margin after the first use
                    Some(SystemTime::now() + Duration::from_millis(400)),
                    "test",
                ))
            }
        });
        let cache = CachedCredentials::new(SharedCredentialsProvider::new(provider));
        let a = cache.get().await.unwrap();
        let b = cache.get().await.unwrap();
        assert_eq!(a.access_key_id(), b.access_key_id());
        assert_eq!(cache.fetches(), 1);
        tokio::time::sleep(Duration::from_millis(350)).await;
        let c = cache.get().await.unwrap();
        assert_ne!(a.access_key_id(), c.access_key_id());
        assert_eq!(cache.fetches(), 2);
        cache.invalidate().await;
        cache.get().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn session_names_are_valid_for_sts() {
        assert_eq!(
            session_name("alice@example.com"),
            "ssmdeck-alice@example.com"
        );
        assert_eq!(session_name("bob smith/ü"), "ssmdeck-bobsmith");
        assert_eq!(session_name(""), "ssmdeck");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
        assert_eq!(
            user_from_arn("arn:aws:sts::111111111111:assumed-role/Admin/alice"),
            "alice"
        );
        assert_eq!(user_from_arn("arn:aws:iam::111111111111:user/bob"), "bob");
    }

    #[test]
    fn env_has_keys_token_and_region() {
        let c = Credentials::new("ASIAX", "s3cr3t", Some("tok".into()), None, "t");
        let env = credentials_env(&c, "eu-west-1");
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_ACCESS_KEY_ID"), Some("ASIAX"));
        assert_eq!(get("AWS_SESSION_TOKEN"), Some("tok"));
        assert_eq!(get("AWS_REGION"), Some("eu-west-1"));
        // Debug output of the cache never shows keys
        let cache = CachedCredentials::new(SharedCredentialsProvider::new(c));
        assert!(!format!("{cache:?}").contains("s3cr3t"));
    }
}
