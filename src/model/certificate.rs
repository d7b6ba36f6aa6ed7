//! ACM certificates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub domain_name: String,
    pub subject_alternative_names: Vec<String>,
    /// `IMPORTED`, `AMAZON_ISSUED` or `PRIVATE`.
    #[serde(rename = "type")]
    pub cert_type: String,
    /// `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, ...
    pub status: String,
    /// `RSA_2048`, `EC_prime256v1`, ...
    pub key_algorithm: String,
    pub not_before: Option<DateTime<Utc>>,
    /// RFC 3339 in JSON.
    pub not_after: Option<DateTime<Utc>>,
    /// Whole days from collection time to `not_after` (negative when expired).
    pub days_left: Option<i64>,
    pub in_use: bool,
    pub in_use_by: Vec<String>,
    /// `ELIGIBLE` / `INELIGIBLE`.
    pub renewal_eligibility: Option<String>,
    /// `PENDING_AUTO_RENEWAL`, `PENDING_VALIDATION`, `SUCCESS`, `FAILED` (AMAZON_ISSUED only).
    pub renewal_status: Option<String>,
    pub failure_reason: Option<String>,
}

impl Certificate {
    /// Days left at `now` (negative when expired).
    pub fn days_left_at(&self, now: DateTime<Utc>) -> Option<i64> {
        self.not_after
            .map(|t| (t - now).num_seconds().div_euclid(86_400))
    }

    pub fn is_imported(&self) -> bool {
        self.cert_type == "IMPORTED"
    }

    /// Risk marker: an imported certificate in use (nobody renews it for you), a failed
    /// renewal, or a renewal stuck waiting for validation.
    pub fn risk(&self) -> Option<&'static str> {
        match self.renewal_status.as_deref() {
            Some("FAILED") => return Some("renewal failed"),
            Some("PENDING_VALIDATION") => return Some("renewal pending validation"),
            _ => {}
        }
        if self.is_imported() && self.in_use {
            return Some("imported, in use");
        }
        None
    }
}
