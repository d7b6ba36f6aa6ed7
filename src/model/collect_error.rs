//! What a refresh could not read: one error per account / region / service / API (a leaf
//! module, so the snapshot and the patch schedules both use it without an import circle).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Something that could not be read, recorded against its account / region / service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectError {
    /// `None` for organization-wide failures (e.g. Organizations itself).
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// `sts`, `organizations`, `ssm`, `acm`.
    pub service: String,
    /// The API operation that failed (`DescribeInstanceInformation`, ...).
    pub operation: String,
    /// AWS error code (`AccessDenied`, `ThrottlingException`, ...) or a client-side class
    /// (`Timeout`, `DispatchFailure`, `ResponseError`).
    pub code: String,
    pub message: String,
    pub at: Option<DateTime<Utc>>,
}
