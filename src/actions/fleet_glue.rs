//! The data layer as the actions' source of clients and credentials, and as the refresher
//! of nodes after a patch run.

use crate::fleet::{Fleet, FleetHandle};
use crate::model::NodeKey;

use super::clients::SsmClients;
use super::run::NodeRefresher;

impl SsmClients for Fleet {
    async fn ssm_client(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<aws_sdk_ssm::Client, String> {
        Fleet::ssm_client(self, account_id, region)
            .await
            .map_err(|e| e.to_string())
    }

    async fn credentials_env(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<Vec<(String, String)>, String> {
        Fleet::credentials_env(self, account_id, region)
            .await
            .map_err(|e| e.to_string())
    }

    fn endpoint_url(&self) -> Option<String> {
        self.scope().endpoint_url.clone()
    }

    fn caller(&self) -> Option<String> {
        let c = Fleet::caller(self);
        if !c.arn.is_empty() {
            Some(c.arn.clone())
        } else if !c.account_id.is_empty() {
            Some(c.account_id.clone())
        } else {
            None
        }
    }
}

impl NodeRefresher for FleetHandle {
    fn refresh_nodes(&self, keys: Vec<NodeKey>) {
        FleetHandle::refresh_nodes(self, keys)
    }
}
