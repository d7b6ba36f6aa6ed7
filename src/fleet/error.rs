//! Errors: what went wrong with one API call (`Failure`, classified so the limiter knows
//! whether to retry and the views know what to say) and what stops the data layer as a
//! whole (`FleetError`).

use std::error::Error as StdError;

use aws_sdk_ssm::config::http::HttpResponse;
use aws_sdk_ssm::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use chrono::Utc;

use crate::model::CollectError;

/// The data layer could not do what was asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FleetError {
    /// Missing, expired or refused caller credentials: one message with the fix.
    #[error("AWS credentials: {message}. Fix: {fix}")]
    Credentials { message: String, fix: String },
    /// Bad flags or config.
    #[error("{0}")]
    Config(String),
    /// An API call failed.
    #[error("{service} {operation} failed: {code}: {message}")]
    Api {
        service: String,
        operation: String,
        code: String,
        message: String,
    },
    /// The node / account asked for is not in the current snapshot or scope.
    #[error("{0}")]
    NotFound(String),
    /// Refused by read-only mode.
    #[error("read-only mode: {0} is not allowed")]
    ReadOnly(String),
    /// The operation was cancelled (a newer refresh replaced it, or the user stopped it).
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Other(String),
}

impl FleetError {
    /// The one clear message for a credentials problem, with its fix.
    pub fn credentials(profile: Option<&str>, f: &Failure) -> FleetError {
        FleetError::Credentials {
            message: describe_credentials_failure(profile, f),
            fix: credentials_fix(profile, f),
        }
    }

    pub fn api(service: &str, operation: &str, f: &Failure) -> FleetError {
        match f.kind {
            FailureKind::Cancelled => FleetError::Cancelled,
            _ => FleetError::Api {
                service: service.to_string(),
                operation: operation.to_string(),
                code: f.code.clone(),
                message: f.message.clone(),
            },
        }
    }
}

/// How a failed call should be treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Rate exceeded: retry after a backoff.
    Throttled,
    /// 5xx, connection reset, timeout: retry after a backoff.
    Transient,
    /// The caller's (or an assumed role's) credentials are missing, expired or invalid.
    Credentials,
    /// Not allowed (AccessDenied, role missing, account not in an organization, ...).
    Denied,
    /// Any other answer from the service (validation, not found, ...): do not retry.
    Client,
    /// The endpoint answered something that is not an AWS error (e.g. an HTML 500 from an
    /// emulator lacking the operation): do not retry.
    Unparsed,
    /// Our own cancellation: not an error to show.
    Cancelled,
}

/// One failed API call, classified.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    /// AWS error code, or a client-side class (`Timeout`, `DispatchFailure`, `ResponseError`).
    pub code: String,
    /// What to show: the full error context.
    pub message: String,
    pub status: Option<u16>,
}

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

const TRANSIENT_CODES: &[&str] = &[
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Whether an AWS error code says the credentials themselves were refused (expired, revoked,
/// unknown session): fetching them anew may help.
pub fn is_credentials_code(code: &str) -> bool {
    CREDENTIAL_CODES.contains(&code)
}

const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "AuthFailure",
    "MissingAuthenticationToken",
    "IncompleteSignature",
];

const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "AWSOrganizationsNotInUseException",
    "RegionDisabledException",
    "OptInRequired",
    "SubscriptionRequiredException",
];

/// Classify an error code (and HTTP status) as the retry logic needs it.
pub fn classify_code(code: &str, status: Option<u16>) -> FailureKind {
    if THROTTLING_CODES.contains(&code) {
        FailureKind::Throttled
    } else if CREDENTIAL_CODES.contains(&code) {
        FailureKind::Credentials
    } else if DENIED_CODES.contains(&code) {
        FailureKind::Denied
    } else if TRANSIENT_CODES.contains(&code) || status.is_some_and(|s| s >= 500) {
        FailureKind::Transient
    } else if status == Some(429) {
        FailureKind::Throttled
    } else {
        FailureKind::Client
    }
}

/// Whether an error code (as recorded in a `CollectError`) says "try again later":
/// throttling, 5xx, timeouts, connection failures. The console retries sooner after those.
pub fn is_transient_code(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
        || TRANSIENT_CODES.contains(&code)
        || matches!(code, "Timeout" | "DispatchFailure" | "CredentialsTimeout")
}

impl Failure {
    /// The definitive answers of Organizations that make ssmdeck fall back to the caller's
    /// own account: not in an organization (`AWSOrganizationsNotInUseException`), not
    /// allowed to list it (`AccessDenied…`), or an endpoint that does not implement it (an
    /// emulator's unknown-operation answer). Throttling, 5xx, timeouts, connection refused
    /// and credential trouble are transient and never shrink the picture.
    pub fn is_definitive_org_refusal(&self) -> bool {
        matches!(
            self.kind,
            FailureKind::Denied | FailureKind::Client | FailureKind::Unparsed
        )
    }

    pub fn new(kind: FailureKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            kind,
            code: code.into(),
            message: message.into(),
            status: None,
        }
    }

    pub fn cancelled() -> Self {
        Failure::new(FailureKind::Cancelled, "Cancelled", "cancelled")
    }

    pub fn timeout(after: std::time::Duration) -> Self {
        Failure::new(
            FailureKind::Transient,
            "Timeout",
            format!("no answer within {} s", after.as_secs_f64()),
        )
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind == FailureKind::Cancelled
    }

    pub fn retryable(&self) -> bool {
        matches!(self.kind, FailureKind::Throttled | FailureKind::Transient)
    }

    /// Classify an SDK error of any service.
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Failure
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let context = clean_context(&chain_text(err));
        match err {
            SdkError::ServiceError(se) => {
                let status = Some(se.raw().status().as_u16());
                let code = se.err().code().unwrap_or("Unknown").to_string();
                let kind = classify_code(&code, status);
                // the service's own message; the SDK's full context would dump the raw response
                let message = match se.err().message().filter(|m| !m.trim().is_empty()) {
                    Some(m) => m.trim().to_string(),
                    None => clean_context(&DisplayErrorContext(se.err()).to_string()),
                };
                Failure {
                    kind,
                    code,
                    message,
                    status,
                }
            }
            SdkError::TimeoutError(_) => Failure {
                kind: FailureKind::Transient,
                code: "Timeout".into(),
                message: context,
                status: None,
            },
            SdkError::DispatchFailure(df) => {
                if let Some(f) = credentials_failure(err) {
                    return f;
                }
                let kind = if df.is_user() {
                    FailureKind::Client
                } else {
                    FailureKind::Transient
                };
                let code = if df.is_timeout() {
                    "Timeout"
                } else {
                    "DispatchFailure"
                };
                Failure {
                    kind,
                    code: code.into(),
                    message: context,
                    status: None,
                }
            }
            SdkError::ResponseError(re) => {
                let status = re.raw().status().as_u16();
                let body = re
                    .raw()
                    .body()
                    .bytes()
                    .map(|b| body_excerpt(&String::from_utf8_lossy(b)))
                    .unwrap_or_default();
                let mut message = format!(
                    "HTTP {status} with a body that is not an AWS error (the endpoint may not \
                     implement this operation)"
                );
                if !body.is_empty() {
                    message.push_str(": ");
                    message.push_str(&body);
                }
                Failure {
                    kind: FailureKind::Unparsed,
                    code: "ResponseError".into(),
                    message,
                    status: Some(status),
                }
            }
            _ => {
                if let Some(f) = credentials_failure(err) {
                    return f;
                }
                Failure {
                    kind: FailureKind::Client,
                    code: "ConstructionFailure".into(),
                    message: context,
                    status: None,
                }
            }
        }
    }

    /// As a snapshot error entry.
    pub fn to_collect_error(
        &self,
        account_id: Option<&str>,
        region: Option<&str>,
        service: &str,
        operation: &str,
    ) -> CollectError {
        CollectError {
            account_id: account_id.map(str::to_string),
            region: region.map(str::to_string),
            service: service.to_string(),
            operation: operation.to_string(),
            code: self.code.clone(),
            message: self.message.clone(),
            at: Some(Utc::now()),
        }
    }
}

/// A short, plain-text excerpt of a non-AWS response body (HTML tags dropped).
pub fn body_excerpt(body: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = crate::text::sanitize(&words.join(" "));
    if out.chars().count() > 160 {
        out = out.chars().take(159).collect::<String>() + "…";
    }
    out
}

/// Each error of a chain, `Display`ed, joined with ": " (without the `Debug` dump that
/// `DisplayErrorContext` appends).
pub fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(x) = cur {
        let t = x.to_string();
        if !t.is_empty() && !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = x.source();
    }
    parts.join(": ")
}

/// `DisplayErrorContext` text without the SDK's generic leading words.
fn clean_context(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix("service error: ").unwrap_or(s).to_string()
}

/// Find a credentials-provider failure inside an error chain (identity resolution happens
/// before the request is sent, so it surfaces as a dispatch failure).
pub fn credentials_failure(err: &(dyn StdError + 'static)) -> Option<Failure> {
    use aws_credential_types::provider::error::CredentialsError;
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(ce) = e.downcast_ref::<CredentialsError>() {
            return Some(failure_from_credentials_error(ce));
        }
        cur = e.source();
    }
    None
}

/// Classify a credentials-provider error: an AssumeRole refusal keeps its STS code
/// (`AccessDenied`), a missing or expired caller credential becomes `Credentials`.
pub fn failure_from_credentials_error(
    ce: &aws_credential_types::provider::error::CredentialsError,
) -> Failure {
    use aws_credential_types::provider::error::CredentialsError as CE;
    let context = chain_text(ce);
    // An STS error inside (AssumeRole refused, caller token expired, ...).
    let mut cur: Option<&(dyn StdError + 'static)> = Some(ce);
    while let Some(e) = cur {
        if let Some(sdk) = e.downcast_ref::<SdkError<
            aws_sdk_sts::operation::assume_role::AssumeRoleError,
            HttpResponse,
        >>() {
            return Failure::from_sdk(sdk);
        }
        if let Some(inner) = e.downcast_ref::<CE>()
            && !std::ptr::eq(inner, ce)
        {
            return failure_from_credentials_error(inner);
        }
        cur = e.source();
    }
    let (kind, code) = match ce {
        CE::CredentialsNotLoaded(_) => (FailureKind::Credentials, "NoCredentials"),
        CE::ProviderTimedOut(_) => (FailureKind::Transient, "CredentialsTimeout"),
        CE::InvalidConfiguration(_) => (FailureKind::Credentials, "InvalidConfiguration"),
        CE::ProviderError(_) => (FailureKind::Credentials, "CredentialsError"),
        CE::Unhandled(_) => (FailureKind::Credentials, "CredentialsError"),
        _ => (FailureKind::Credentials, "CredentialsError"),
    };
    let lower = context.to_ascii_lowercase();
    let code = if lower.contains("expired") {
        "ExpiredToken"
    } else {
        code
    };
    Failure::new(kind, code, context)
}

/// The first half of the one-line credentials message.
pub fn describe_credentials_failure(profile: Option<&str>, f: &Failure) -> String {
    let expired = f.code.starts_with("ExpiredToken");
    match (profile, expired) {
        (Some(p), true) => format!(
            "the credentials of profile `{p}` have expired ({})",
            f.message
        ),
        (Some(p), false) => format!("profile `{p}` gives no usable credentials ({})", f.message),
        (None, true) => format!("the credentials have expired ({})", f.message),
        (None, false) => format!(
            "no usable AWS credentials in the environment, ~/.aws or an instance role ({})",
            f.message
        ),
    }
}

/// The fix to suggest for a credentials problem.
pub fn credentials_fix(profile: Option<&str>, failure: &Failure) -> String {
    let lower = failure.message.to_ascii_lowercase();
    let sso_hint = lower.contains("sso") || failure.code.starts_with("ExpiredToken");
    match profile {
        Some(p) if sso_hint => format!("run `aws sso login --profile {p}` and retry"),
        Some(p) => format!(
            "refresh the credentials of profile `{p}` (`aws sso login --profile {p}` for SSO \
             profiles, or update ~/.aws/credentials) and retry"
        ),
        None if failure.code != "ExpiredToken" && !failure.code.starts_with("ExpiredToken") => {
            "configure credentials: `aws configure`, \
             `aws sso login --profile NAME` then `--profile NAME`, or set AWS_ACCESS_KEY_ID / \
             AWS_SECRET_ACCESS_KEY"
                .into()
        }
        None => "get fresh credentials (`aws sso login --profile NAME` and pass `--profile NAME`, \
             or renew AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN) and retry"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert_eq!(
            classify_code("ThrottlingException", Some(400)),
            FailureKind::Throttled
        );
        assert_eq!(
            classify_code("TooManyRequestsException", Some(400)),
            FailureKind::Throttled
        );
        assert_eq!(
            classify_code("InternalServerError", Some(500)),
            FailureKind::Transient
        );
        assert_eq!(classify_code("Whatever", Some(503)), FailureKind::Transient);
        assert_eq!(
            classify_code("AccessDeniedException", Some(400)),
            FailureKind::Denied
        );
        assert_eq!(
            classify_code("AccessDenied", Some(403)),
            FailureKind::Denied
        );
        assert_eq!(
            classify_code("ExpiredTokenException", Some(400)),
            FailureKind::Credentials
        );
        assert_eq!(
            classify_code("ValidationException", Some(400)),
            FailureKind::Client
        );
    }

    #[test]
    fn transient_codes_are_told_from_definitive_ones() {
        for c in [
            "TooManyRequestsException",
            "ThrottlingException",
            "InternalFailure",
            "DispatchFailure",
            "Timeout",
        ] {
            assert!(is_transient_code(c), "{c}");
        }
        for c in [
            "AccessDenied",
            "AWSOrganizationsNotInUseException",
            "ValidationException",
        ] {
            assert!(!is_transient_code(c), "{c}");
        }
        let refused = |code: &str| Failure::new(classify_code(code, Some(400)), code, "");
        assert!(refused("AWSOrganizationsNotInUseException").is_definitive_org_refusal());
        assert!(refused("AccessDeniedException").is_definitive_org_refusal());
        assert!(!refused("TooManyRequestsException").is_definitive_org_refusal());
        assert!(!refused("ServiceException").is_definitive_org_refusal());
        let refused_conn = Failure::new(FailureKind::Transient, "DispatchFailure", "refused");
        assert!(!refused_conn.is_definitive_org_refusal());
        let timeout = Failure::timeout(std::time::Duration::from_secs(20));
        assert!(!timeout.is_definitive_org_refusal());
        // an emulator without Organizations: retrying cannot help
        assert!(refused("UnknownOperationException").is_definitive_org_refusal());
    }

    #[test]
    fn only_throttling_and_transient_are_retried() {
        assert!(Failure::new(FailureKind::Throttled, "Throttling", "x").retryable());
        assert!(Failure::timeout(std::time::Duration::from_secs(1)).retryable());
        assert!(!Failure::new(FailureKind::Denied, "AccessDenied", "x").retryable());
        assert!(!Failure::new(FailureKind::Unparsed, "ResponseError", "x").retryable());
        assert!(!Failure::cancelled().retryable());
    }

    #[test]
    fn credentials_message_names_the_fix() {
        let f = Failure::new(
            FailureKind::Credentials,
            "ExpiredToken",
            "the SSO token has expired",
        );
        let fix = credentials_fix(Some("prod-admin"), &f);
        assert!(fix.contains("aws sso login --profile prod-admin"), "{fix}");
        let err = FleetError::Credentials {
            message: f.message.clone(),
            fix,
        };
        let shown = err.to_string();
        assert!(shown.starts_with("AWS credentials: the SSO token has expired. Fix:"));
        let none = credentials_fix(
            None,
            &Failure::new(FailureKind::Credentials, "NoCredentials", "none"),
        );
        assert!(none.contains("aws configure"), "{none}");
    }

    #[test]
    fn html_bodies_become_a_short_excerpt() {
        let b = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>";
        assert_eq!(
            body_excerpt(b),
            "500 Internal Server Error Internal Server Error"
        );
        assert!(body_excerpt(&"x".repeat(500)).chars().count() <= 160);
    }

    #[test]
    fn collect_error_carries_the_source() {
        let f = Failure::new(FailureKind::Denied, "AccessDenied", "not authorized");
        let e = f.to_collect_error(Some("111111111111"), Some("eu-west-1"), "sts", "AssumeRole");
        assert_eq!(e.account_id.as_deref(), Some("111111111111"));
        assert_eq!(e.region.as_deref(), Some("eu-west-1"));
        assert_eq!(e.code, "AccessDenied");
        assert_eq!(e.service, "sts");
        assert!(e.at.is_some());
    }
}
