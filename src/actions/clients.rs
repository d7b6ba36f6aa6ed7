//! Where the actions get their SSM clients and credentials: the data layer
//! (`crate::fleet::Fleet` implements [`SsmClients`]), or — for tests against moto and for
//! single-account use — [`StaticClients`] built from one endpoint and one key pair.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_ssm::config::{BehaviorVersion, Region};

/// Per account × region SSM clients and the credentials behind them.
pub trait SsmClients: Send + Sync {
    /// An SSM client acting in `account_id` (assumed role or profile) in `region`.
    fn ssm_client(
        &self,
        account_id: &str,
        region: &str,
    ) -> impl Future<Output = Result<aws_sdk_ssm::Client, String>> + Send;

    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` / `AWS_REGION`
    /// for a child process acting in that account (Session Manager). Held in memory only.
    fn credentials_env(
        &self,
        account_id: &str,
        region: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, String>> + Send;

    /// The endpoint override in use (simulator, moto, private endpoints), passed on to
    /// `aws ssm start-session`.
    fn endpoint_url(&self) -> Option<String> {
        None
    }

    /// The caller's identity (ARN) for the audit log, when known.
    fn caller(&self) -> Option<String> {
        None
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Object-safe form of [`SsmClients`] (for [`SharedClients`]).
pub trait DynSsmClients: Send + Sync {
    fn ssm_client_dyn<'a>(
        &'a self,
        account_id: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<aws_sdk_ssm::Client, String>>;
    fn credentials_env_dyn<'a>(
        &'a self,
        account_id: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<Vec<(String, String)>, String>>;
    fn endpoint_url_dyn(&self) -> Option<String>;
    fn caller_dyn(&self) -> Option<String>;
}

impl<T: SsmClients> DynSsmClients for T {
    fn ssm_client_dyn<'a>(
        &'a self,
        account_id: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<aws_sdk_ssm::Client, String>> {
        Box::pin(self.ssm_client(account_id, region))
    }
    fn credentials_env_dyn<'a>(
        &'a self,
        account_id: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<Vec<(String, String)>, String>> {
        Box::pin(self.credentials_env(account_id, region))
    }
    fn endpoint_url_dyn(&self) -> Option<String> {
        self.endpoint_url()
    }
    fn caller_dyn(&self) -> Option<String> {
        self.caller()
    }
}

/// Any [`SsmClients`] behind an `Arc`, cheap to clone into background jobs (the console
/// holds the data layer as one of these).
#[derive(Clone)]
pub struct SharedClients(Arc<dyn DynSsmClients>);

impl SharedClients {
    pub fn new(clients: impl SsmClients + 'static) -> Self {
        SharedClients(Arc::new(clients))
    }
}

impl std::fmt::Debug for SharedClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedClients")
    }
}

impl SsmClients for SharedClients {
    async fn ssm_client(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<aws_sdk_ssm::Client, String> {
        self.0.ssm_client_dyn(account_id, region).await
    }
    async fn credentials_env(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<Vec<(String, String)>, String> {
        self.0.credentials_env_dyn(account_id, region).await
    }
    fn endpoint_url(&self) -> Option<String> {
        self.0.endpoint_url_dyn()
    }
    fn caller(&self) -> Option<String> {
        self.0.caller_dyn()
    }
}

/// One endpoint, one static key pair, any region (moto, the simulator's management
/// account, a single-account setup). Every "account" gets the same credentials.
#[derive(Clone)]
pub struct StaticClients {
    endpoint_url: Option<String>,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl std::fmt::Debug for StaticClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticClients")
            .field("endpoint_url", &self.endpoint_url)
            .field("access_key_id", &"** redacted **")
            .finish()
    }
}

impl StaticClients {
    pub fn new(
        endpoint_url: Option<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        StaticClients {
            endpoint_url,
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// A client for `region` (short timeouts, 3 attempts).
    pub fn client(&self, region: &str) -> aws_sdk_ssm::Client {
        let creds = Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
            None,
            "ssmdeck-static",
        );
        let timeouts = aws_smithy_types::timeout::TimeoutConfig::builder()
            .connect_timeout(std::time::Duration::from_secs(3))
            .operation_attempt_timeout(std::time::Duration::from_secs(10))
            .operation_timeout(std::time::Duration::from_secs(30))
            .build();
        let mut b = aws_sdk_ssm::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(creds)
            .timeout_config(timeouts);
        if let Some(url) = &self.endpoint_url {
            b = b.endpoint_url(url);
        }
        aws_sdk_ssm::Client::from_conf(b.build())
    }
}

impl SsmClients for StaticClients {
    async fn ssm_client(
        &self,
        _account_id: &str,
        region: &str,
    ) -> Result<aws_sdk_ssm::Client, String> {
        Ok(self.client(region))
    }

    async fn credentials_env(
        &self,
        _account_id: &str,
        region: &str,
    ) -> Result<Vec<(String, String)>, String> {
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID".to_string(), self.access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY".to_string(),
                self.secret_access_key.clone(),
            ),
            ("AWS_REGION".to_string(), region.to_string()),
        ];
        if let Some(t) = &self.session_token {
            env.push(("AWS_SESSION_TOKEN".to_string(), t.clone()));
        }
        Ok(env)
    }

    fn endpoint_url(&self) -> Option<String> {
        self.endpoint_url.clone()
    }
}
