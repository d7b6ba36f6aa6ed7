//! AWS STS (awsQuery): GetCallerIdentity and AssumeRole, plus the session-credential store the
//! server consults to map an access key id to an account.
//!
//! Conventions (also in the README):
//! - an access key id the simulator did not issue acts as the management account's user
//!   `arn:aws:iam::<mgmt>:user/ops-admin` (so static dummy credentials work);
//! - AssumeRole issues `ASIA…` keys bound to the role's account, valid `DurationSeconds`
//!   (default 3600, or the test override); expired keys answer `ExpiredToken(Exception)`;
//! - an issued key is only good with its own session token (`X-Amz-Security-Token`): without
//!   it or with another one the call answers `UnrecognizedClientException` "The security token
//!   included in the request is invalid." (STS: `InvalidClientTokenId`, 403), as AWS does;
//! - a session that assumes another role (role chaining) gets at most one hour: asking for
//!   more is `ValidationError` (STS model text of `AssumeRoleRequest.DurationSeconds`: "if you
//!   assume a role using role chaining and provide a DurationSeconds parameter value greater
//!   than one hour, the operation fails").

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::protocol::{iso, xml_elem};
use super::rng::Rng;
use super::world::World;
use super::{ApiError, CallCtx};

/// The IAM user name behind any non-session access key.
pub const DEFAULT_USER: &str = "ops-admin";

/// One issued session.
#[derive(Clone, Debug)]
pub struct Session {
    pub account_id: String,
    pub arn: String,
    pub user_id: String,
    pub expires: DateTime<Utc>,
    /// The `SessionToken` issued with the key; requests must carry it.
    pub token: String,
}

/// What an access key id resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The caller acts as `account_id` with this ARN / user id.
    Valid {
        account_id: String,
        arn: String,
        user_id: String,
    },
    /// A simulator-issued session key whose expiration has passed.
    Expired,
    /// A simulator-issued session key sent without its session token or with another one.
    BadToken,
}

/// Issued session keys (access key id → session), with an optional test override of the
/// session duration.
pub struct Sessions {
    inner: Mutex<SessionsInner>,
}

struct SessionsInner {
    map: HashMap<String, Session>,
    rng: Rng,
    duration_override: Option<StdDuration>,
}

impl Sessions {
    pub fn new(seed: u64) -> Self {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
        Sessions {
            inner: Mutex::new(SessionsInner {
                map: HashMap::new(),
                rng: Rng::derive(seed ^ nanos, "sts-sessions"),
                duration_override: None,
            }),
        }
    }

    /// Every AssumeRole from now on issues credentials valid for `d` (tests of refresh).
    pub fn set_duration(&self, d: Option<StdDuration>) {
        self.lock().duration_override = d;
    }

    /// Forget every issued session (a restart).
    pub fn forget_all(&self) {
        self.lock().map.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionsInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resolve an access key id and the session token sent with it; the management account
    /// for any key not issued here.
    pub fn resolve(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        mgmt: &str,
        now: DateTime<Utc>,
    ) -> Principal {
        if let Some(s) = self.lock().map.get(access_key_id) {
            if token != Some(s.token.as_str()) {
                return Principal::BadToken;
            }
            if s.expires <= now {
                return Principal::Expired;
            }
            return Principal::Valid {
                account_id: s.account_id.clone(),
                arn: s.arn.clone(),
                user_id: s.user_id.clone(),
            };
        }
        // A session key (ASIA…, or any key sent with a session token) that this simulator did
        // not issue — e.g. one issued before it restarted — is what AWS answers for an unknown
        // or revoked session: "The security token included in the request is invalid"
        // (UnrecognizedClientException; STS InvalidClientTokenId). Only long-term keys sent
        // without a token act as the management account's user.
        if token.is_some() || access_key_id.starts_with("ASIA") {
            return Principal::BadToken;
        }
        Principal::Valid {
            account_id: mgmt.to_string(),
            arn: format!("arn:aws:iam::{mgmt}:user/{DEFAULT_USER}"),
            user_id: format!("AIDA{}", id_chars(&format!("{mgmt}/{DEFAULT_USER}"), 17)),
        }
    }
}

/// Deterministic upper-case id characters (IAM unique-id style) from a label.
fn id_chars(label: &str, n: usize) -> String {
    const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut r = Rng::derive(0x5157, label);
    (0..n)
        .map(|_| CH[r.below(CH.len() as u64) as usize] as char)
        .collect()
}

fn validation(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "ValidationError", msg)
}

fn constraint(value: &str, field: &str, rule: &str) -> ApiError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
    ))
}

/// Answer one STS action; the result is the XML content of `<{op}Result>`.
pub fn handle(
    world: &World,
    sessions: &Sessions,
    op: &str,
    params: &HashMap<String, String>,
    ctx: &CallCtx,
    user_id: &str,
) -> Result<String, ApiError> {
    match op {
        "GetCallerIdentity" => Ok(format!(
            "{}{}{}",
            xml_elem("Arn", &ctx.caller_arn),
            xml_elem("UserId", user_id),
            xml_elem("Account", &ctx.account_id)
        )),
        "AssumeRole" => assume_role(world, sessions, params, ctx),
        other => Err(ApiError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
    }
}

/// `arn:aws:iam::<12 digits>:role/[path/]name` → (account, role name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    name_ok.then_some((account, name))
}

fn valid_session_name(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// The caller is itself a role session (`arn:aws:sts::<acct>:assumed-role/...`): assuming a
/// role from it is role chaining.
fn is_role_session(caller_arn: &str) -> bool {
    caller_arn.starts_with("arn:aws:sts::") && caller_arn.contains(":assumed-role/")
}

/// Longest session a chained AssumeRole may ask for.
pub const CHAINED_MAX_SECS: i64 = 3600;

fn assume_role(
    world: &World,
    sessions: &Sessions,
    params: &HashMap<String, String>,
    ctx: &CallCtx,
) -> Result<String, ApiError> {
    let Some(role_arn) = params.get("RoleArn") else {
        return Err(validation(
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
        ));
    };
    if role_arn.len() < 20 || role_arn.len() > 2048 {
        return Err(constraint(
            role_arn,
            "roleArn",
            "Member must have length between 20 and 2048",
        ));
    }
    let Some(session_name) = params.get("RoleSessionName") else {
        return Err(validation(
            "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
        ));
    };
    if session_name.len() < 2 || session_name.len() > 64 {
        return Err(constraint(
            session_name,
            "roleSessionName",
            "Member must have length between 2 and 64",
        ));
    }
    if !valid_session_name(session_name) {
        return Err(constraint(
            session_name,
            "roleSessionName",
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    let duration = match params.get("DurationSeconds") {
        None => 3600,
        Some(d) => {
            let n: i64 = d
                .parse()
                .map_err(|_| constraint(d, "durationSeconds", "Member must be a number"))?;
            if n < 900 {
                return Err(constraint(
                    d,
                    "durationSeconds",
                    "Member must have value greater than or equal to 900",
                ));
            }
            if n > 43_200 {
                return Err(constraint(
                    d,
                    "durationSeconds",
                    "Member must have value less than or equal to 43200",
                ));
            }
            n
        }
    };
    if let Some(ext) = params.get("ExternalId")
        && (ext.len() < 2 || ext.len() > 1224)
    {
        return Err(constraint(
            ext,
            "externalId",
            "Member must have length between 2 and 1224",
        ));
    }
    let Some((account_id, role_name)) = parse_role_arn(role_arn) else {
        return Err(validation(format!("{role_arn} is invalid")));
    };
    let denied = || {
        ApiError::new(
            403,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                ctx.caller_arn
            ),
        )
    };
    let account = world.org.account(account_id).ok_or_else(denied)?;
    let role = account.role(role_name).ok_or_else(denied)?;
    if account.status != super::world::AccountStatus::Active
        || !role.trusted_accounts.iter().any(|a| a == &ctx.account_id)
    {
        return Err(denied());
    }
    if is_role_session(&ctx.caller_arn) && duration > CHAINED_MAX_SECS {
        // STS model, AssumeRoleRequest.DurationSeconds: "if you assume a role using role
        // chaining and provide a DurationSeconds parameter value greater than one hour, the
        // operation fails"; the IAM User Guide ("Role chaining") words the error this way.
        return Err(validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if duration > role.max_session_secs {
        return Err(validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }

    let now = Utc::now();
    let mut inner = sessions.lock();
    let expires = match inner.duration_override {
        Some(d) => now + Duration::from_std(d).unwrap_or(Duration::seconds(duration)),
        None => now + Duration::seconds(duration),
    };
    let akid = loop {
        let k = format!("ASIA{}", {
            const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            (0..16)
                .map(|_| CH[inner.rng.below(CH.len() as u64) as usize] as char)
                .collect::<String>()
        });
        if !inner.map.contains_key(&k) {
            break k;
        }
    };
    let secret: String = {
        const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        (0..40)
            .map(|_| CH[inner.rng.below(CH.len() as u64) as usize] as char)
            .collect()
    };
    let token = format!(
        "IQoJb3JpZ2luX2VjE{}{}",
        inner.rng.hex(64),
        inner.rng.hex(64).to_ascii_uppercase()
    );
    let role_id = format!("AROA{}", id_chars(&format!("{account_id}/{role_name}"), 17));
    let assumed_id = format!("{role_id}:{session_name}");
    let arn = format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}");
    inner.map.insert(
        akid.clone(),
        Session {
            account_id: account_id.to_string(),
            arn: arn.clone(),
            user_id: assumed_id.clone(),
            expires,
            token: token.clone(),
        },
    );
    drop(inner);

    Ok(format!(
        "<AssumedRoleUser>{}{}</AssumedRoleUser><Credentials>{}{}{}{}</Credentials>{}",
        xml_elem("AssumedRoleId", &assumed_id),
        xml_elem("Arn", &arn),
        xml_elem("AccessKeyId", &akid),
        xml_elem("SecretAccessKey", &secret),
        xml_elem("SessionToken", &token),
        xml_elem("Expiration", &iso(expires)),
        xml_elem("PackedPolicySize", "0"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"),
            Some(("123456789012", "OrganizationAccountAccessRole"))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/path/to/Reader"),
            Some(("123456789012", "Reader"))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::12345:role/X"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:user/X"), None);
    }

    #[test]
    fn unknown_keys_are_the_management_account() {
        let s = Sessions::new(1);
        match s.resolve("AKIDEXAMPLE", None, "111111111111", Utc::now()) {
            Principal::Valid {
                account_id, arn, ..
            } => {
                assert_eq!(account_id, "111111111111");
                assert_eq!(arn, "arn:aws:iam::111111111111:user/ops-admin");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn session_names() {
        assert!(valid_session_name("ssmdeck-alice@corp.example"));
        assert!(!valid_session_name("has space"));
    }
}
