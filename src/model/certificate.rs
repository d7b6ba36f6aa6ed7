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
    pub fn risk_at(&self, now: DateTime<Utc>) -> Option<&'static str> {
        match self.renewal_status.as_deref() {
            Some("FAILED") => return Some("renewal failed"),
            Some("PENDING_VALIDATION") => return Some("renewal pending validation"),
            _ => {}
        }
        if self.is_imported() && self.in_use {
            return Some("imported, in use");
        }
        // ACM renews an eligible Amazon-issued certificate from 60 days before it expires
        // (ACM User Guide, "Managed certificate renewal"): one in use with a fortnight left
        // is not being renewed as it should, whatever its renewal status says
        let days = self.days_left_at(now);
        if self.in_use && days.is_some_and(|d| d <= 14) {
            return Some(if days.is_some_and(|d| d < 0) {
                "expired, in use"
            } else {
                "renewal overdue"
            });
        }
        None
    }
}

#[cfg(test)]
#[test]
fn a_certificate_in_use_near_expiry_is_a_risk_whatever_its_renewal_status() {
    let now = DateTime::parse_from_rfc3339("2026-12-02T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let c = |days: i64, in_use: bool| Certificate {
        cert_type: "AMAZON_ISSUED".into(),
        status: "ISSUED".into(),
        not_after: Some(now + chrono::Duration::days(days) + chrono::Duration::hours(1)),
        in_use,
        renewal_status: Some("PENDING_AUTO_RENEWAL".into()),
        ..Certificate::default()
    };
    assert_eq!(c(0, true).risk_at(now), Some("renewal overdue"));
    assert_eq!(c(14, true).risk_at(now), Some("renewal overdue"));
    assert_eq!(c(-2, true).risk_at(now), Some("expired, in use"));
    assert_eq!(c(15, true).risk_at(now), None, "ACM still has time");
    assert_eq!(c(3, false).risk_at(now), None, "not in use: nothing breaks");
}
