//! SDK configuration and clients: the caller's base config (credential chain or profile or
//! static keys, endpoint override, explicit retry and timeout settings), one config per
//! member account (AssumeRole or mapped profile, cached credentials), and one set of
//! clients per account × region, built once and reused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::identity::IdentityCache;
use aws_config::meta::region::RegionProviderChain;
#[allow(deprecated)] // the replacement lives in aws-runtime, not a direct dependency
use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{AppName, BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use super::credentials::{Access, CachedCredentials};
use super::error::{FailureKind, FleetError, credentials_fix};
use super::scope::Scope;

/// Settings shared by every SDK config we build.
fn retry_config() -> RetryConfig {
    // One attempt per SDK call: `Limiter::call` retries, so the rate limit and the pool
    // apply to every attempt and a throttled call backs off with jitter.
    RetryConfig::standard().with_max_attempts(1)
}

fn timeout_config(call: Duration) -> TimeoutConfig {
    // The SDK has no read or operation timeout by default: a silent server would hang a call.
    // One attempt per SDK call (`retry_config`), so the attempt timeout is the operation's:
    // a second (operation) timer per call would only cost CPU.
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3).min(call))
        .read_timeout(call)
        .operation_attempt_timeout(call)
        .build()
}

/// Stalled-stream protection off: it wraps every request and response body in a throughput
/// check polled per frame (a measurable share of a call's CPU at thousands of calls per
/// refresh); a stalled answer is already ended by `timeout_config`'s read and attempt
/// timeouts, which the retry loop of `Limiter::call` treats like any transient failure.
fn stalled_stream_protection()
-> aws_config::stalled_stream_protection::StalledStreamProtectionConfig {
    aws_config::stalled_stream_protection::StalledStreamProtectionConfig::disabled()
}

/// One HTTPS client for every SDK client built from a base config: one connection pool and
/// one TLS root store, instead of one per SDK client (the SDK's default builds a client per
/// SDK client, so a refresh over 400 account × region units loaded the trust roots and
/// opened connections 800 times). The same connector as the SDK's default: rustls with
/// aws-lc, proxy settings from the environment (`HTTPS_PROXY`, `NO_PROXY`).
///
/// Not process-global: pooled connections belong to the tokio runtime that opened them.
pub fn shared_http_client() -> aws_sdk_ssm::config::SharedHttpClient {
    use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        if settings.is_none() && components.is_none() {
            // The SDK calls this with neither when each SDK client is built, only to load
            // the trust roots early, and drops the result. The client is shared, so the
            // real connector is built once, on first use; skip loading the roots here.
            return ConnectorBuilder::default().build_http();
        }
        let mut b = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        b.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            b.set_sleep_impl(c.sleep_impl());
        }
        b.set_proxy_config(Some(ProxyConfig::from_env()));
        b.build()
    })
}

/// Load the caller's SDK config for a scope (no network).
#[allow(deprecated)]
pub async fn load_base_config(
    scope: &Scope,
) -> Result<(SdkConfig, Arc<CachedCredentials>), FleetError> {
    let first_region = scope.regions.first().cloned();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config(scope.call_timeout))
        .stalled_stream_protection(stalled_stream_protection())
        .app_name(AppName::new("ssmdeck").expect("valid app name"))
        .http_client(shared_http_client());
    if let Some(p) = &scope.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &scope.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(sc) = &scope.static_credentials {
        loader = loader
            .credentials_provider(Credentials::new(
                sc.access_key_id.clone(),
                sc.secret_access_key.clone(),
                sc.session_token.clone(),
                None,
                "ssmdeck-static",
            ))
            // the demo and the tests must not depend on ~/.aws
            .profile_files(
                ProfileFiles::builder()
                    .include_default_config_file(false)
                    .include_default_credentials_file(false)
                    .with_contents(ProfileFileKind::Config, "")
                    .build(),
            );
        if let Some(r) = &first_region {
            loader = loader.region(Region::new(r.clone()));
        }
    } else {
        let chain = match &first_region {
            Some(r) => RegionProviderChain::default_provider().or_else(Region::new(r.clone())),
            None => RegionProviderChain::default_provider(),
        };
        loader = loader.region(chain);
    }
    let conf = loader.load().await;
    if conf.region().is_none() {
        return Err(FleetError::Config(
            "no AWS region: pass --regions r1,r2, set `region` in your AWS profile, \
             or set AWS_REGION"
                .into(),
        ));
    }
    let Some(provider) = conf.credentials_provider() else {
        return Err(FleetError::Credentials {
            message: "no AWS credentials found".into(),
            fix: credentials_fix(
                scope.profile.as_deref(),
                &super::error::Failure::new(FailureKind::Credentials, "NoCredentials", ""),
            ),
        });
    };
    Ok(with_cached_credentials(
        &conf,
        CachedCredentials::new(provider),
    ))
}

/// `conf` with its credentials behind our cache (and the SDK's own identity cache off, so
/// there is exactly one cache per account, shared by all its clients).
pub fn with_cached_credentials(
    conf: &SdkConfig,
    cache: CachedCredentials,
) -> (SdkConfig, Arc<CachedCredentials>) {
    let cache = Arc::new(cache);
    let conf = conf
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(ArcProvider(cache.clone())))
        .identity_cache(IdentityCache::no_cache())
        .build();
    (conf, cache)
}

/// `Arc<CachedCredentials>` as a provider (the SDK wants an owned provider).
#[derive(Debug)]
struct ArcProvider(Arc<CachedCredentials>);

impl aws_credential_types::provider::ProvideCredentials for ArcProvider {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(self.0.get())
    }
}

/// One member account's SDK config and credentials cache.
#[derive(Debug)]
pub struct AccountConfig {
    pub account_id: String,
    pub access: Access,
    pub conf: SdkConfig,
    pub creds: Arc<CachedCredentials>,
}

/// The clients of one account × region, and what its last collection learned (kept as
/// long as the clients, so the next refresh asks for less).
#[derive(Clone, Debug)]
pub struct RegionClients {
    pub ssm: aws_sdk_ssm::Client,
    pub acm: aws_sdk_acm::Client,
    pub memo: Arc<super::memo::UnitMemo>,
}

/// Builds and keeps configs and clients.
pub struct Clients {
    scope: Arc<Scope>,
    /// The caller's config (home region).
    pub base: SdkConfig,
    pub base_creds: Arc<CachedCredentials>,
    pub caller_account: String,
    session_name: String,
    /// Each account's config, built once: the map's lock is held only to find the cell (no
    /// await under it), so asking for a built account never waits for a busy runtime to
    /// hand an async lock from task to task, and accounts are built concurrently (#13).
    accounts: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Arc<AccountConfig>>>>>,
    regional: Mutex<HashMap<(String, String), RegionClients>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("caller_account", &self.caller_account)
            .finish_non_exhaustive()
    }
}

impl Clients {
    pub fn new(
        scope: Arc<Scope>,
        base: SdkConfig,
        base_creds: Arc<CachedCredentials>,
        caller_account: String,
        session_name: String,
    ) -> Self {
        Clients {
            scope,
            base,
            base_creds,
            caller_account,
            session_name,
            accounts: Mutex::new(HashMap::new()),
            regional: Mutex::new(HashMap::new()),
        }
    }

    pub fn home_region(&self) -> String {
        self.base
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into())
    }

    /// How `account_id` is reached under this scope.
    pub fn access_for(&self, account_id: &str) -> Access {
        if let Some(p) = self.scope.account_profiles.get(account_id) {
            Access::Profile(p.clone())
        } else if account_id == self.caller_account {
            Access::Caller
        } else {
            Access::AssumeRole {
                role_arn: format!("arn:aws:iam::{account_id}:role/{}", self.scope.role_name),
            }
        }
    }

    /// The account's config (built on first use; credentials are fetched lazily).
    pub async fn account(&self, account_id: &str) -> Arc<AccountConfig> {
        let cell = self
            .accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(account_id.to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| self.build_account(account_id))
            .await
            .clone()
    }

    async fn build_account(&self, account_id: &str) -> Arc<AccountConfig> {
        let access = self.access_for(account_id);
        let (conf, creds) = match &access {
            Access::Caller => (self.base.clone(), self.base_creds_cache()),
            Access::Profile(p) => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .retry_config(retry_config())
                    .timeout_config(timeout_config(self.scope.call_timeout))
                    .stalled_stream_protection(stalled_stream_protection())
                    .profile_name(p)
                    .region(Region::new(self.home_region()));
                if let Some(http) = self.base.http_client() {
                    loader = loader.http_client(http);
                }
                if let Some(url) = &self.scope.endpoint_url {
                    loader = loader.endpoint_url(url);
                }
                let conf = loader.load().await;
                match conf.credentials_provider() {
                    Some(provider) => {
                        with_cached_credentials(&conf, CachedCredentials::new(provider))
                    }
                    None => with_cached_credentials(
                        &conf,
                        CachedCredentials::new(SharedCredentialsProvider::new(
                            aws_credential_types::credential_fn::provide_credentials_fn(|| async {
                                Err(aws_credential_types::provider::error::CredentialsError::not_loaded_no_source())
                            }),
                        )),
                    ),
                }
            }
            Access::AssumeRole { role_arn } => {
                let mut b = AssumeRoleProvider::builder(role_arn.clone())
                    .session_name(self.session_name.clone())
                    // never more than a chained AssumeRole may ask for
                    .session_length(super::credentials::MEMBER_SESSION)
                    .configure(&self.base);
                if let Some(x) = &self.scope.external_id {
                    b = b.external_id(x.clone());
                }
                let provider = b.build().await;
                with_cached_credentials(
                    &self.base,
                    CachedCredentials::new(SharedCredentialsProvider::new(provider)),
                )
            }
        };
        Arc::new(AccountConfig {
            account_id: account_id.to_string(),
            access,
            conf,
            creds,
        })
    }

    fn base_creds_cache(&self) -> Arc<CachedCredentials> {
        self.base_creds.clone()
    }

    fn kept(&self, account_id: &str, region: &str) -> Option<RegionClients> {
        self.regional
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(account_id.to_string(), region.to_string()))
            .cloned()
    }

    /// Clients for one account × region, built once and kept (for refreshes and on-demand
    /// calls). They are small since they share one HTTP client (`shared_http_client`):
    /// 800 kept clients of a 400-unit refresh hold about 13 MB.
    pub async fn region_clients(&self, account_id: &str, region: &str) -> RegionClients {
        if let Some(c) = self.kept(account_id, region) {
            return c;
        }
        let c = self.build_clients(account_id, region).await;
        self.regional
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((account_id.to_string(), region.to_string()))
            .or_insert(c)
            .clone()
    }

    async fn build_clients(&self, account_id: &str, region: &str) -> RegionClients {
        let acct = self.account(account_id).await;
        let region = Region::new(region.to_string());
        let ssm = aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::config::Builder::from(&acct.conf)
                .region(region.clone())
                // the two pages read by the thousand, decoded lean (#13)
                .interceptor(super::lean_pages::LeanPages)
                .build(),
        );
        let acm = aws_sdk_acm::Client::from_conf(
            aws_sdk_acm::config::Builder::from(&acct.conf)
                .region(region)
                .build(),
        );
        RegionClients {
            ssm,
            acm,
            memo: Arc::default(),
        }
    }

    /// STS client with the caller's credentials.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.base)
    }

    /// Organizations client with the caller's credentials, in the Organizations region.
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(&self.base)
                .region(Region::new(self.scope.organizations_region.clone()))
                .build(),
        )
    }
}
