//! Where [`super::Ssm`] gets its clients and credentials: a connected [`Fleet`] (per
//! account: caller, mapped profile or AssumeRole), or one fixed key pair for every account.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_ssm::config::{BehaviorVersion, Region};

use crate::fleet::error::FleetError;
use crate::fleet::scope::StaticCredentials;
use crate::fleet::{Fleet, clients, credentials};

pub(super) enum Access {
    Fleet(Fleet),
    Fixed(Fixed),
}

pub(super) struct Fixed {
    endpoint_url: Option<String>,
    creds: StaticCredentials,
    http: aws_sdk_ssm::config::SharedHttpClient,
    /// One client per region, built on first use.
    clients: Mutex<HashMap<String, aws_sdk_ssm::Client>>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::Fleet(fl) => f.debug_tuple("Fleet").field(&fl.caller().arn).finish(),
            // never the secret
            Access::Fixed(x) => f
                .debug_struct("Fixed")
                .field("endpoint_url", &x.endpoint_url)
                .field("access_key_id", &x.creds.access_key_id)
                .finish_non_exhaustive(),
        }
    }
}

impl Access {
    pub(super) fn fixed(endpoint_url: Option<String>, creds: StaticCredentials) -> Access {
        Access::Fixed(Fixed {
            endpoint_url,
            creds,
            http: clients::shared_http_client(),
            clients: Mutex::new(HashMap::new()),
        })
    }

    pub(super) fn endpoint_url(&self) -> Option<String> {
        match self {
            Access::Fleet(f) => f.scope().endpoint_url.clone(),
            Access::Fixed(x) => x.endpoint_url.clone(),
        }
    }

    pub(super) fn caller(&self) -> Option<String> {
        match self {
            Access::Fleet(f) => {
                let c = f.caller();
                [&c.arn, &c.account_id]
                    .into_iter()
                    .find(|s| !s.is_empty())
                    .cloned()
            }
            Access::Fixed(_) => None,
        }
    }

    pub(super) async fn client(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<aws_sdk_ssm::Client, FleetError> {
        match self {
            Access::Fleet(f) => f.ssm_client(account_id, region).await,
            Access::Fixed(x) => Ok(x.client(region)),
        }
    }

    pub(super) async fn credentials_env(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<Vec<(String, String)>, FleetError> {
        match self {
            Access::Fleet(f) => f.credentials_env(account_id, region).await,
            Access::Fixed(x) => {
                let c = &x.creds;
                let creds = Credentials::new(
                    c.access_key_id.clone(),
                    c.secret_access_key.clone(),
                    c.session_token.clone(),
                    None,
                    "ssmdeck-static",
                );
                Ok(credentials::credentials_env(&creds, region))
            }
        }
    }
}

impl Fixed {
    fn client(&self, region: &str) -> aws_sdk_ssm::Client {
        let mut kept = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = kept.get(region) {
            return c.clone();
        }
        let creds = Credentials::new(
            self.creds.access_key_id.clone(),
            self.creds.secret_access_key.clone(),
            self.creds.session_token.clone(),
            None,
            "ssmdeck-static",
        );
        // One attempt per SDK call (the limiter retries, except a mutation that may have
        // been acted on): that attempt gets the whole 30 s an operation may take.
        let timeouts = aws_smithy_types::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(30))
            .operation_timeout(Duration::from_secs(30))
            .build();
        let mut b = aws_sdk_ssm::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(creds)
            .timeout_config(timeouts)
            .retry_config(aws_sdk_ssm::config::retry::RetryConfig::standard().with_max_attempts(1))
            .http_client(self.http.clone());
        if let Some(url) = &self.endpoint_url {
            b = b.endpoint_url(url);
        }
        let c = aws_sdk_ssm::Client::from_conf(b.build());
        kept.insert(region.to_string(), c.clone());
        c
    }
}
