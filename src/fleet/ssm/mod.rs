//! [`Ssm`]: the one domain-typed API of the actions (Run Command, Session Manager, SSM
//! documents) — per account × region, through the data layer's credentials (AssumeRole per
//! member account, cached), its shared [`Limiter`] (pool, adaptive per-key rate, retries
//! with backoff) and its SDK clients. Nothing here is an SDK type: requests and answers are
//! `crate::model` types, errors are [`FleetError`]s.
//!
//! Who may call what: the *mutations* ([`Ssm::send_command`], [`Ssm::cancel_command`]) are
//! called by `crate::actions::gate::Gate` only — the single point of mutation with the
//! read-only switch and the audit log. Everything else (listing invocations, reading
//! output, documents, Session Manager credentials) is read-only and may be called anywhere.
//!
//! Errors every call may return:
//! - [`FleetError::Credentials`] — the account's credentials cannot be had (AssumeRole
//!   refused, expired SSO session, ...), with the fix;
//! - [`FleetError::Api`] — the service refused the call (`code` is AWS's error code, e.g.
//!   `InvalidInstanceId`, `InvocationDoesNotExist`, `AccessDeniedException`), or it never
//!   answered (`Timeout`, `DispatchFailure`) after the limiter's retries;
//! - [`FleetError::Cancelled`] — never from these calls themselves (they are cancelled by
//!   dropping the future; the limiter's own token is never fired).
//!
//! Costs are counted in API calls; "retried" means the limiter repeats a throttled (and,
//! for reads, a transient) answer with backoff, each attempt paced like every other call of
//! that account × region × API.

mod access;
mod documents;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::model::{
    CommandInvocation, CommandRequest, CommandSummary, DocumentDescription, DocumentFilter,
    DocumentSummary, PluginOutput,
};

use super::Fleet;
use super::convert;
use super::error::{Failure, FailureKind, FleetError};
use super::limiter::{ApiKey, Limiter};
use super::paginate::{MAX_PAGES, paginate};
use super::scope::StaticCredentials;

use access::Access;

/// ListCommandInvocations page size (the API's maximum).
const INVOCATIONS_PAGE: i32 = 50;
/// GetCommandInvocation right after SendCommand may not know the invocation yet (Run
/// Command is eventually consistent): asked again after 0.3, 0.6 and 1.2 s.
const INVOCATION_NOT_YET_ATTEMPTS: u32 = 4;
const INVOCATION_NOT_YET_FIRST_PAUSE: Duration = Duration::from_millis(300);

/// SSM for the actions, per account × region. Cheap to clone (one `Arc`); share it freely.
#[derive(Clone)]
pub struct Ssm {
    inner: Arc<Inner>,
}

struct Inner {
    access: Access,
    limiter: Arc<Limiter>,
    /// Never fired: a call is cancelled by dropping its future.
    cancel: CancellationToken,
}

impl std::fmt::Debug for Ssm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ssm")
            .field("access", &self.inner.access)
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// The actions' SSM API over this fleet: its credentials, clients and limiter.
    pub fn ssm(&self) -> Ssm {
        Ssm::from_fleet(self)
    }
}

impl Ssm {
    /// Through a connected fleet: every account of its scope (caller, mapped profile or
    /// AssumeRole), its shared limiter and pacing. No call is made.
    pub fn from_fleet(fleet: &Fleet) -> Ssm {
        Ssm {
            inner: Arc::new(Inner {
                limiter: fleet.inner.limiter.clone(),
                access: Access::Fleet(fleet.clone()),
                cancel: CancellationToken::new(),
            }),
        }
    }

    /// One endpoint and one key pair for every account and region — moto, the simulator's
    /// management account, a single-account setup. Its own limiter (default pool and
    /// rate). No call is made (not even STS): a wrong key shows on the first call.
    pub fn with_static_credentials(
        endpoint_url: Option<String>,
        credentials: StaticCredentials,
    ) -> Ssm {
        let cfg = crate::config::Config::default();
        Ssm {
            inner: Arc::new(Inner {
                limiter: Arc::new(Limiter::new(
                    cfg.concurrency.clamp(1, 64),
                    cfg.rate_limit_tps,
                    super::limiter::RetryPolicy::default(),
                )),
                access: Access::fixed(endpoint_url, credentials),
                cancel: CancellationToken::new(),
            }),
        }
    }

    /// The endpoint override in use (simulator, moto, private endpoints), to hand on to
    /// `aws ssm start-session`. `None` = AWS.
    pub fn endpoint_url(&self) -> Option<String> {
        self.inner.access.endpoint_url()
    }

    /// The caller's identity (ARN, else account id) for the audit log, when known (a
    /// fleet knows it from STS GetCallerIdentity; static credentials do not).
    pub fn caller(&self) -> Option<String> {
        self.inner.access.caller()
    }

    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` / `AWS_REGION`
    /// for a child process acting in that account and region — what `aws ssm
    /// start-session` needs (with [`Ssm::endpoint_url`]). Hold it in memory only, never
    /// log it. Cost: none when the account's credentials are cached, else one AssumeRole
    /// (control-plane pool, retried). Errors: [`FleetError::Credentials`].
    pub async fn credentials_env(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<Vec<(String, String)>, FleetError> {
        self.inner.access.credentials_env(account_id, region).await
    }

    /// SendCommand of any document to `req.instance_ids` (≤ 50) in one account and region,
    /// with its parameters, timeouts, concurrency, comment and output settings. Returns
    /// the command as AWS accepted it (its id, status `Pending`, targets).
    ///
    /// Cost: one call (plus AssumeRole when the credentials are not cached). Only a
    /// throttled answer is retried — a timeout or 5xx is *not*, since the command may have
    /// been accepted: it comes back as `Api { code: "Timeout" | "InternalServerError", .. }`
    /// and the caller must say it may or may not have been sent.
    /// Errors: `Api` with `InvalidInstanceId`, `InvalidDocument`, `InvalidParameters`,
    /// `InvalidOutputFolder`, `DuplicateInstanceId`, `AccessDeniedException`, ...
    pub async fn send_command(
        &self,
        account_id: &str,
        region: &str,
        req: &CommandRequest,
    ) -> Result<CommandSummary, FleetError> {
        const OP: &str = "SendCommand";
        let client = self.client(account_id, region).await?;
        let params = req.effective_parameters();
        let out = self
            .call_once(account_id, region, OP, || {
                let mut call = client
                    .send_command()
                    .document_name(&req.document)
                    .set_document_version(req.document_version.clone())
                    .set_max_concurrency(req.max_concurrency.clone())
                    .set_max_errors(req.max_errors.clone())
                    .set_comment(req.comment.clone().filter(|c| !c.is_empty()))
                    .set_timeout_seconds(req.timeout_seconds)
                    .set_output_s3_bucket_name(non_empty(&req.output.s3_bucket))
                    .set_output_s3_key_prefix(non_empty(&req.output.s3_key_prefix));
                if req.output.cloudwatch {
                    call = call.cloud_watch_output_config(
                        aws_sdk_ssm::types::CloudWatchOutputConfig::builder()
                            .cloud_watch_output_enabled(true)
                            .set_cloud_watch_log_group_name(non_empty(
                                &req.output.cloudwatch_log_group,
                            ))
                            .build(),
                    );
                }
                for (k, v) in &params {
                    call = call.parameters(k, v.clone());
                }
                // a tag target, or the instance ids (SendCommand takes one or the other)
                call = match &req.tag_target {
                    Some((k, v)) => call.targets(
                        aws_sdk_ssm::types::Target::builder()
                            .key(format!("tag:{k}"))
                            .values(v)
                            .build(),
                    ),
                    None => call.set_instance_ids(Some(req.instance_ids.clone())),
                };
                async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
            })
            .await?;
        let mut summary = out
            .command()
            .and_then(|c| convert::command_from_sdk(c, account_id, region))
            .unwrap_or_default();
        // Some endpoints (emulators) echo less than AWS: fill in what was sent.
        if summary.instance_ids.is_empty() {
            summary.instance_ids = req.instance_ids.clone();
        }
        if summary.document_name.is_empty() {
            summary.document_name = req.document.clone();
        }
        if summary.account_id.is_empty() {
            summary.account_id = account_id.to_string();
            summary.region = region.to_string();
        }
        Ok(summary)
    }

    /// CancelCommand: stop a command on `instance_ids`, or on all its targets when empty.
    /// AWS accepts it for a finished command too (nothing changes then).
    ///
    /// Cost: one call; only a throttled answer is retried (see [`Ssm::send_command`]).
    /// Errors: `Api` with `InvalidCommandId`, `InvalidInstanceId`, `DuplicateInstanceId`.
    pub async fn cancel_command(
        &self,
        account_id: &str,
        region: &str,
        command_id: &str,
        instance_ids: &[String],
    ) -> Result<(), FleetError> {
        let client = self.client(account_id, region).await?;
        let ids = (!instance_ids.is_empty()).then(|| instance_ids.to_vec());
        self.call_once(account_id, region, "CancelCommand", || {
            let call = client
                .cancel_command()
                .command_id(command_id)
                .set_instance_ids(ids.clone());
            async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
        })
        .await
        .map(|_| ())
    }

    /// Every invocation (one per target) of one command — or, with `instance_id`, that
    /// target's only — with its steps (`Details`): status, exit code, the first 2,500
    /// characters of each step's output.
    ///
    /// Cost: one ListCommandInvocations call per 50 targets (all pages, at most
    /// [`MAX_PAGES`]), each retried. A fresh command may list nothing yet (eventually
    /// consistent): that is `Ok(vec![])`, not an error.
    /// Errors: `Api` with `InvalidCommandId`, `InvalidInstanceId`.
    pub async fn list_invocations(
        &self,
        account_id: &str,
        region: &str,
        command_id: &str,
        instance_id: Option<&str>,
    ) -> Result<Vec<CommandInvocation>, FleetError> {
        const OP: &str = "ListCommandInvocations";
        let client = self.client(account_id, region).await?;
        let key = ApiKey::new(account_id, region, OP);
        let mut out = Vec::new();
        paginate(
            &self.inner.limiter,
            &key,
            &self.inner.cancel,
            MAX_PAGES,
            |token| {
                let call = client
                    .list_command_invocations()
                    .command_id(command_id)
                    .set_instance_id(instance_id.map(String::from))
                    .details(true)
                    .max_results(INVOCATIONS_PAGE)
                    .set_next_token(token);
                async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
            },
            |page| {
                out.extend(
                    page.command_invocations()
                        .iter()
                        .map(|i| convert::invocation_from_sdk(i, account_id, region)),
                );
                page.next_token().map(String::from)
            },
        )
        .await
        .map_err(|f| FleetError::api("ssm", OP, &f))?;
        Ok(out)
    }

    /// One step's full output on one target (GetCommandInvocation): the first 24,000
    /// characters of stdout and 8,000 of stderr, exit code, times, and where the complete
    /// output went (S3 URLs, CloudWatch log group). `plugin` names the step — required by
    /// multi-step documents such as AWS-RunPatchBaseline (`PatchLinux`, ...); `None` asks
    /// for a single-step document's only step.
    ///
    /// Cost: one call, retried; `InvocationDoesNotExist` right after SendCommand is asked
    /// again up to 3 times (0.3, 0.6, 1.2 s apart) before it is returned.
    /// Errors: `Api` with `InvocationDoesNotExist`, `InvalidPluginName`, `InvalidCommandId`.
    pub async fn get_output(
        &self,
        account_id: &str,
        region: &str,
        command_id: &str,
        instance_id: &str,
        plugin: Option<&str>,
    ) -> Result<PluginOutput, FleetError> {
        const OP: &str = "GetCommandInvocation";
        let client = self.client(account_id, region).await?;
        let key = ApiKey::new(account_id, region, OP);
        let mut pause = INVOCATION_NOT_YET_FIRST_PAUSE;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let r = self
                .inner
                .limiter
                .call(&key, &self.inner.cancel, || {
                    let call = client
                        .get_command_invocation()
                        .command_id(command_id)
                        .instance_id(instance_id)
                        .set_plugin_name(plugin.map(String::from));
                    async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
                })
                .await;
            match r {
                Ok(o) => {
                    return Ok(PluginOutput {
                        name: o.plugin_name().or(plugin).unwrap_or_default().to_string(),
                        status: convert::invocation_status(o.status()),
                        status_details: o.status_details().unwrap_or_default().to_string(),
                        response_code: o.response_code(),
                        stdout: o.standard_output_content().unwrap_or_default().to_string(),
                        stderr: o.standard_error_content().unwrap_or_default().to_string(),
                        stdout_url: o.standard_output_url().unwrap_or_default().to_string(),
                        stderr_url: o.standard_error_url().unwrap_or_default().to_string(),
                        cloudwatch_log_group: o
                            .cloud_watch_output_config()
                            .filter(|c| c.cloud_watch_output_enabled())
                            .and_then(|c| c.cloud_watch_log_group_name())
                            .map(String::from),
                        started_at: convert::iso_time(o.execution_start_date_time()),
                        finished_at: convert::iso_time(o.execution_end_date_time()),
                        elapsed: o.execution_elapsed_time().unwrap_or_default().to_string(),
                    });
                }
                Err(f)
                    if f.code == "InvocationDoesNotExist"
                        && attempt < INVOCATION_NOT_YET_ATTEMPTS =>
                {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(f) => return Err(FleetError::api("ssm", OP, &f)),
            }
        }
    }

    /// Documents of one account and region (ListDocuments, with `filter`), in AWS's order.
    ///
    /// Cost: one call per 50 documents (all pages, at most [`MAX_PAGES`]), each retried;
    /// AWS-owned documents alone are several hundred, so narrow with `filter.owner` or
    /// `filter.name_prefix` where you can.
    /// Errors: `Api` with `InvalidFilterKey`, `AccessDeniedException`.
    pub async fn list_documents(
        &self,
        account_id: &str,
        region: &str,
        filter: &DocumentFilter,
    ) -> Result<Vec<DocumentSummary>, FleetError> {
        const OP: &str = "ListDocuments";
        let client = self.client(account_id, region).await?;
        let key = ApiKey::new(account_id, region, OP);
        let filters = documents::filters(filter);
        let mut out = Vec::new();
        paginate(
            &self.inner.limiter,
            &key,
            &self.inner.cancel,
            MAX_PAGES,
            |token| {
                let call = client
                    .list_documents()
                    .set_filters((!filters.is_empty()).then(|| filters.clone()))
                    .max_results(50)
                    .set_next_token(token);
                async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
            },
            |page| {
                out.extend(
                    page.document_identifiers()
                        .iter()
                        .map(documents::summary_from_sdk),
                );
                page.next_token().map(String::from)
            },
        )
        .await
        .map_err(|f| FleetError::api("ssm", OP, &f))?;
        // A prefix is matched here (ListDocuments' `Name` filter is exact on AWS).
        if let Some(p) = filter.name_prefix.as_deref().filter(|p| !p.is_empty()) {
            out.retain(|d| d.name.starts_with(p));
        }
        Ok(out)
    }

    /// One document in full: DescribeDocument (type, platforms, versions, parameters with
    /// defaults), then GetDocument in JSON for what DescribeDocument leaves out — each
    /// parameter's `allowedValues` and `allowedPattern`. `version` = `None` for the
    /// default version.
    ///
    /// Cost: two calls, each retried. When only GetDocument fails (or its content cannot
    /// be read), the description is still returned, with `content_error` saying why the
    /// allowed values are unknown.
    /// Errors: `Api` with `InvalidDocument` (no such document), `InvalidDocumentVersion`.
    pub async fn describe_document(
        &self,
        account_id: &str,
        region: &str,
        name: &str,
        version: Option<&str>,
    ) -> Result<DocumentDescription, FleetError> {
        let client = self.client(account_id, region).await?;
        let described = self
            .inner
            .limiter
            .call(
                &ApiKey::new(account_id, region, "DescribeDocument"),
                &self.inner.cancel,
                || {
                    let call = client
                        .describe_document()
                        .name(name)
                        .set_document_version(version.map(String::from));
                    async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
                },
            )
            .await
            .map_err(|f| FleetError::api("ssm", "DescribeDocument", &f))?;
        let mut doc = described
            .document()
            .map(documents::description_from_sdk)
            .unwrap_or_else(|| DocumentDescription {
                name: name.to_string(),
                ..DocumentDescription::default()
            });
        let content = self
            .inner
            .limiter
            .call(
                &ApiKey::new(account_id, region, "GetDocument"),
                &self.inner.cancel,
                || {
                    let call = client
                        .get_document()
                        .name(name)
                        .set_document_version(version.map(String::from))
                        .document_format(aws_sdk_ssm::types::DocumentFormat::Json);
                    async move { call.send().await.map_err(|e| Failure::from_sdk(&e)) }
                },
            )
            .await;
        match content {
            Ok(c) => {
                doc.content_error =
                    documents::apply_content(&mut doc, c.content().unwrap_or_default()).err();
            }
            Err(f) => {
                doc.content_error = Some(format!(
                    "allowed values unknown: GetDocument failed: {}: {}",
                    f.code, f.message
                ));
            }
        }
        Ok(doc)
    }

    /// The account's SSM client in `region` (credentials checked first).
    async fn client(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<aws_sdk_ssm::Client, FleetError> {
        self.inner.access.client(account_id, region).await
    }

    /// A mutation: under the limiter (pool and pacing), retried only when throttled.
    async fn call_once<T, F, Fut>(
        &self,
        account_id: &str,
        region: &str,
        op: &'static str,
        mut f: F,
    ) -> Result<T, FleetError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        self.inner
            .limiter
            .call(
                &ApiKey::new(account_id, region, op),
                &self.inner.cancel,
                || {
                    let fut = f();
                    async move { fut.await.map_err(never_retry_unless_throttled) }
                },
            )
            .await
            .map_err(|f| FleetError::api("ssm", op, &f))
    }
}

/// A timeout or 5xx after a mutation was sent says nothing about whether AWS acted on it:
/// repeating it could run a command twice. Throttling is a refusal, safe to repeat.
fn never_retry_unless_throttled(f: Failure) -> Failure {
    if f.kind == FailureKind::Transient {
        Failure {
            kind: FailureKind::Client,
            ..f
        }
    } else {
        f
    }
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_sent_mutation_is_not_repeated_after_a_timeout_but_is_after_throttling() {
        let t = never_retry_unless_throttled(Failure::timeout(Duration::from_secs(1)));
        assert!(!t.retryable());
        assert_eq!(t.code, "Timeout");
        let th = never_retry_unless_throttled(Failure::new(
            FailureKind::Throttled,
            "ThrottlingException",
            "",
        ));
        assert!(th.retryable());
    }

    #[test]
    fn execution_timeout_goes_into_the_parameters() {
        let req = CommandRequest {
            parameters: BTreeMap::from([("commands".into(), vec!["uptime".into()])]),
            execution_timeout_seconds: Some(600),
            ..CommandRequest::default()
        };
        let p = req.effective_parameters();
        assert_eq!(p["executionTimeout"], vec!["600"]);
        assert_eq!(p["commands"], vec!["uptime"]);
    }
}
