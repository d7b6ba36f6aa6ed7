//! The SSM fleet: nodes, patch states, compliance, inventory and the Run Command lifecycle.
//! (Being built: see issue #2.)

use serde_json::Value;

use super::{AccountSeed, ApiError, CallCtx, SimClock, SimConfig};

/// All SSM data, per account × region.
pub struct SsmWorld {}

impl SsmWorld {
    pub fn generate(_cfg: &SimConfig, _accounts: &[AccountSeed], _clock: &SimClock) -> Self {
        SsmWorld {}
    }

    /// Answer one `AmazonSSM.<op>` call.
    pub fn handle(&self, op: &str, _input: &Value, _ctx: &CallCtx) -> Result<Value, ApiError> {
        Err(ApiError::unknown_operation(op))
    }
}
