//! The loopback HTTP/1.1 server: routing by `X-Amz-Target` / form `Action`, caller identity from
//! the SigV4 credential scope + access key, and fault injection (latency, throttling, random 500s,
//! failed regions). Cheap per request: no global lock is held across an await.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::protocol::{self, Body};
use super::rng::Rng;
use super::sts::{Principal, Sessions};
use super::world::World;
use super::{ApiError, CallCtx, SimConfig, acm, orgs, sts};

/// The services the simulator speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    Ssm,
    Organizations,
    Acm,
    Sts,
}

impl Service {
    /// The `X-Amz-Target` prefix (JSON services) or `STS` (query), as used in `op_count` keys.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Ssm => "AmazonSSM",
            Service::Organizations => "AWSOrganizationsV20161128",
            Service::Acm => "CertificateManager",
            Service::Sts => "STS",
        }
    }

    fn from_prefix(p: &str) -> Option<Service> {
        match p {
            "AmazonSSM" => Some(Service::Ssm),
            "AWSOrganizationsV20161128" => Some(Service::Organizations),
            "CertificateManager" => Some(Service::Acm),
            _ => None,
        }
    }

    /// The error AWS answers when this service throttles a caller.
    pub fn throttling_error(self) -> ApiError {
        match self {
            Service::Ssm | Service::Acm => {
                ApiError::new(400, "ThrottlingException", "Rate exceeded")
            }
            Service::Organizations => ApiError::new(
                400,
                "TooManyRequestsException",
                "You have sent too many requests in too short a period of time. The quota helps \
                 protect against denial-of-service attacks. Try again later.",
            ),
            Service::Sts => ApiError::new(400, "Throttling", "Rate exceeded"),
        }
    }
}

/// Token bucket for one account × region × operation.
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// State shared by every connection.
struct Shared {
    world: Arc<World>,
    sessions: Sessions,
    counts: Mutex<HashMap<String, u64>>,
    buckets: Mutex<HashMap<(String, String, String), Bucket>>,
    failed_regions: RwLock<HashSet<(String, String)>>,
    /// (account, operation) pairs the caller's role is not allowed to call.
    denied_ops: RwLock<HashSet<(String, String)>>,
    fail_rng: Mutex<Rng>,
    seq: AtomicU64,
    latency_ms: AtomicU64,
    /// f64 bits.
    throttle_tps: AtomicU64,
    /// f64 bits.
    fail_rate: AtomicU64,
    /// f64 bits: fraction of requests whose connection is closed without an answer.
    drop_rate: AtomicU64,
    /// `true` while the endpoint is gone (nothing listens; connections closed).
    down: tokio::sync::watch::Sender<bool>,
}

/// A request whose connection the fault injection drops (hyper closes the connection).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running simulator. Stops when dropped (or with [`SimHandle::shutdown`]).
pub struct SimHandle {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

/// Start a simulator on 127.0.0.1:`cfg.port` (0 = any free port) serving a freshly generated world.
pub async fn start(cfg: SimConfig) -> anyhow::Result<SimHandle> {
    let listener = TcpListener::bind(("127.0.0.1", cfg.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", cfg.port))?;
    let addr = listener.local_addr()?;
    let gen_cfg = cfg.clone();
    let world = tokio::task::spawn_blocking(move || World::generate(&gen_cfg))
        .await
        .context("generating the simulated world")?;
    let shared = Arc::new(Shared {
        world: Arc::new(world),
        sessions: Sessions::new(cfg.seed),
        counts: Mutex::new(HashMap::new()),
        buckets: Mutex::new(HashMap::new()),
        failed_regions: RwLock::new(HashSet::new()),
        denied_ops: RwLock::new(HashSet::new()),
        fail_rng: Mutex::new(Rng::derive(cfg.seed, "fail-rate")),
        seq: AtomicU64::new(0),
        latency_ms: AtomicU64::new(cfg.latency_ms),
        throttle_tps: AtomicU64::new(cfg.throttle_tps.to_bits()),
        fail_rate: AtomicU64::new(cfg.fail_rate.to_bits()),
        drop_rate: AtomicU64::new(0f64.to_bits()),
        down: tokio::sync::watch::channel(false).0,
    });
    let cancel = CancellationToken::new();
    let task = tokio::spawn(accept_loop(listener, shared.clone(), cancel.clone()));
    Ok(SimHandle {
        url: format!("http://{addr}"),
        addr,
        shared,
        cancel,
        task: Some(task),
    })
}

impl SimHandle {
    /// Requests received for `op` (`"AmazonSSM.SendCommand"`, `"STS.AssumeRole"`, ...), every
    /// request counted, whether it succeeded, was throttled or failed.
    pub fn op_count(&self, op: &str) -> u64 {
        lock(&self.shared.counts).get(op).copied().unwrap_or(0)
    }

    /// Every operation's request count.
    pub fn op_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.counts)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// Total requests received.
    pub fn total_requests(&self) -> u64 {
        lock(&self.shared.counts).values().sum()
    }

    pub fn management_account_id(&self) -> String {
        self.shared.world.org.management_account_id.clone()
    }

    pub fn world(&self) -> &Arc<World> {
        &self.shared.world
    }

    /// Credentials issued by AssumeRole from now on expire after `d` (tests of credential refresh).
    pub fn set_session_duration(&self, d: Duration) {
        self.shared.sessions.set_duration(Some(d));
    }

    /// Every call in `account_id` × `region` answers what AWS answers for a disabled opt-in
    /// region: `UnrecognizedClientException` (400) "The security token included in the request
    /// is invalid." (STS: `InvalidClientTokenId`, 403).
    pub fn fail_region(&self, account_id: &str, region: &str) {
        self.shared
            .failed_regions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((account_id.to_string(), region.to_string()));
    }

    /// In `account_id`, these operations answer `AccessDeniedException` (a read-only role
    /// without them), in every region.
    pub fn deny_ops(&self, account_id: &str, ops: &[&str]) {
        let mut d = self
            .shared
            .denied_ops
            .write()
            .unwrap_or_else(|e| e.into_inner());
        for op in ops {
            d.insert((account_id.to_string(), op.to_string()));
        }
    }

    /// Undo every [`SimHandle::fail_region`].
    pub fn clear_failed_regions(&self) {
        self.shared
            .failed_regions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Change `--latency-ms` at run time.
    pub fn set_latency_ms(&self, ms: u64) {
        self.shared.latency_ms.store(ms, Ordering::Relaxed);
    }

    /// Change `--throttle-tps` at run time (0 = off); buckets start full.
    pub fn set_throttle_tps(&self, tps: f64) {
        self.shared
            .throttle_tps
            .store(tps.max(0.0).to_bits(), Ordering::Relaxed);
        lock(&self.shared.buckets).clear();
    }

    /// Change `--fail-rate` at run time.
    pub fn set_fail_rate(&self, rate: f64) {
        self.shared
            .fail_rate
            .store(rate.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    /// Fault injection: this fraction of requests get their connection closed without an
    /// answer (the client sees a dropped connection).
    pub fn set_drop_rate(&self, rate: f64) {
        self.shared
            .drop_rate
            .store(rate.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    /// Fault injection: `true` makes the endpoint go away (the port stops listening, so new
    /// connections are refused, and open connections are closed mid-request); `false`
    /// brings it back on the same address.
    pub fn set_unreachable(&self, down: bool) {
        self.shared.down.send_replace(down);
    }

    /// Forget every session key issued so far, as a restarted simulator (or a revoked
    /// session) would: those keys then answer "The security token included in the request is
    /// invalid".
    pub fn forget_sessions(&self) {
        self.shared.sessions.forget_all();
    }

    /// Stop accepting and close the connections.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, cancel: CancellationToken) {
    let addr = listener.local_addr().ok();
    let mut listener = Some(listener);
    let mut down = shared.down.subscribe();
    // closes every open connection at once when the endpoint goes away
    let mut gone = CancellationToken::new();
    loop {
        let Some(l) = listener.as_ref() else {
            // away: wait to come back, then listen on the same address again
            if !*down.borrow_and_update() {
                match addr.map(TcpListener::bind) {
                    Some(bind) => match bind.await {
                        Ok(l) => listener = Some(l),
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    },
                    None => break,
                }
                continue;
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                r = down.changed() => if r.is_err() { break },
            }
            continue;
        };
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            r = down.changed() => {
                if r.is_err() {
                    break;
                }
                if *down.borrow_and_update() {
                    gone.cancel();
                    gone = CancellationToken::new();
                    listener = None;
                }
                continue;
            }
            r = l.accept() => r,
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!("sim: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let cancel = cancel.clone();
        let gone = gone.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let shared = shared.clone();
                async move {
                    let rate = f64::from_bits(shared.drop_rate.load(Ordering::Relaxed));
                    if rate > 0.0 && lock(&shared.fail_rng).chance(rate) {
                        // hyper closes the connection without writing an answer
                        return Err(Dropped);
                    }
                    Ok(handle(&shared, req).await)
                }
            });
            let conn = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                // the endpoint went away: drop the connection, answers and all
                _ = gone.cancelled() => {}
                _ = cancel.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
                }
            }
        });
    }
}

/// The access key id and region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...`.
fn credential_scope(headers: &HeaderMap) -> Option<(String, String)> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let cred = auth.split("Credential=").nth(1)?;
    let cred = cred.split([',', ' ']).next()?;
    let mut parts = cred.split('/');
    let akid = parts.next()?.to_string();
    let _date = parts.next()?;
    let region = parts.next()?.to_string();
    (!akid.is_empty() && !region.is_empty()).then_some((akid, region))
}

fn request_id(seq: u64) -> String {
    let mut r = Rng::new(seq);
    r.uuid()
}

/// What the request asks for.
enum Route {
    Json {
        service: Service,
        op: String,
    },
    Query {
        op: String,
        params: HashMap<String, String>,
    },
}

/// Answer one request no sooner than `--latency-ms` after it arrived. The answer is worked
/// out during that time, as a service's own processing is part of its latency; no lock is
/// held while waiting.
async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let latency = shared.latency_ms.load(Ordering::Relaxed);
    let due = tokio::time::Instant::now() + Duration::from_millis(latency);
    let response = respond(shared, req).await;
    if latency > 0 {
        tokio::time::sleep_until(due).await;
    }
    response
}

async fn respond(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed);
    let rid = request_id(seq);
    let (parts, body) = req.into_parts();
    if parts.method != Method::POST {
        return Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain")
            .body(Full::new(Bytes::from_static(
                b"ssmdeck sim: an AWS-compatible simulator (SSM, Organizations, ACM, STS). POST API calls here.\n",
            )))
            .expect("static response");
    }
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return protocol::json_error(
                &ApiError::new(
                    400,
                    "SerializationException",
                    "Could not read the request body",
                ),
                &rid,
            );
        }
    };

    // Route.
    let route = match parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        Some(target) => {
            let (prefix, op) = target.split_once('.').unwrap_or((target, ""));
            match Service::from_prefix(prefix) {
                Some(service) if !op.is_empty() => Route::Json {
                    service,
                    op: op.to_string(),
                },
                _ => {
                    count(shared, target);
                    return protocol::json_error(&ApiError::unknown_operation(target), &rid);
                }
            }
        }
        None => {
            let params: HashMap<String, String> = form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            match params.get("Action") {
                Some(a) => Route::Query {
                    op: a.clone(),
                    params,
                },
                None => {
                    return protocol::query_error(
                        &ApiError::new(400, "MissingAction", "Could not find the Action parameter"),
                        &rid,
                    );
                }
            }
        }
    };
    let (service, op) = match &route {
        Route::Json { service, op } => (*service, op.as_str()),
        Route::Query { op, .. } => (Service::Sts, op.as_str()),
    };
    count(shared, &format!("{}.{op}", service.prefix()));
    let error = |e: &ApiError| {
        if service == Service::Sts {
            protocol::query_error(e, &rid)
        } else {
            protocol::json_error(e, &rid)
        }
    };

    // Identity.
    let Some((akid, region)) = credential_scope(&parts.headers) else {
        let e = if service == Service::Sts {
            ApiError::new(
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
        } else {
            ApiError::new(
                400,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            )
        };
        return error(&e);
    };
    let world = &shared.world;
    let token = parts
        .headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    let (account_id, caller_arn, user_id) =
        match shared
            .sessions
            .resolve(&akid, token, &world.org.management_account_id, Utc::now())
        {
            Principal::Valid {
                account_id,
                arn,
                user_id,
            } => (account_id, arn, user_id),
            Principal::Expired => {
                let code = if service == Service::Sts {
                    "ExpiredToken"
                } else {
                    "ExpiredTokenException"
                };
                return error(&ApiError::new(
                    400,
                    code,
                    "The security token included in the request is expired",
                ));
            }
            Principal::BadToken => return error(&invalid_token(service)),
        };

    // Fault injection.
    let region_failed = shared
        .failed_regions
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&(account_id.clone(), region.clone()));
    if region_failed {
        return error(&invalid_token(service));
    }
    let denied = shared
        .denied_ops
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&(account_id.clone(), op.to_string()));
    if denied {
        // as SSM words it for an identity policy without the action
        return error(&ApiError::new(
            400,
            "AccessDeniedException",
            format!(
                "User: {caller_arn} is not authorized to perform: ssm:{op} because no identity-based policy allows the ssm:{op} action"
            ),
        ));
    }
    let tps = f64::from_bits(shared.throttle_tps.load(Ordering::Relaxed));
    if tps > 0.0 && !take_token(shared, &account_id, &region, op, tps) {
        return error(&service.throttling_error());
    }
    let fail_rate = f64::from_bits(shared.fail_rate.load(Ordering::Relaxed));
    if fail_rate > 0.0 && lock(&shared.fail_rng).chance(fail_rate) {
        let e = if service == Service::Sts {
            ApiError::new(
                500,
                "InternalFailure",
                "An internal error occurred. Please try again.",
            )
        } else {
            ApiError::internal()
        };
        return error(&e);
    }

    let ctx = CallCtx {
        account_id,
        region,
        caller_arn,
        request_id: rid.clone(),
    };
    match route {
        Route::Query { op, params } => {
            match sts::handle(world, &shared.sessions, &op, &params, &ctx, &user_id) {
                Ok(xml) => protocol::query_ok(&op, &xml, &rid),
                Err(e) => protocol::query_error(&e, &rid),
            }
        }
        Route::Json { service, op } => {
            let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Default::default())
            } else {
                match serde_json::from_slice(&body) {
                    Ok(v @ Value::Object(_)) => v,
                    _ => {
                        return protocol::json_error(
                            &ApiError::new(
                                400,
                                "SerializationException",
                                "Start of structure or map found where not expected.",
                            ),
                            &rid,
                        );
                    }
                }
            };
            let result = match service {
                Service::Ssm => world.ssm.handle(&op, &input, &ctx),
                Service::Organizations => orgs::handle(world, &op, &input, &ctx),
                Service::Acm => acm::handle(world, &op, &input, &ctx),
                Service::Sts => unreachable!("STS is routed as a query"),
            };
            match result {
                Ok(v) => protocol::json_ok(v, &rid),
                Err(e) => protocol::json_error(&e, &rid),
            }
        }
    }
}

/// What AWS answers a credential it does not accept (a disabled opt-in region, a session
/// key without its token): `UnrecognizedClientException` (400), STS `InvalidClientTokenId` (403).
fn invalid_token(service: Service) -> ApiError {
    if service == Service::Sts {
        ApiError::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    } else {
        ApiError::new(
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    }
}

fn count(shared: &Shared, key: &str) {
    let mut c = lock(&shared.counts);
    if let Some(n) = c.get_mut(key) {
        *n += 1;
    } else {
        c.insert(key.to_string(), 1);
    }
}

/// Token bucket per account × region × operation; burst = one second's worth (at least 1).
fn take_token(shared: &Shared, account: &str, region: &str, op: &str, tps: f64) -> bool {
    let now = Instant::now();
    let burst = tps.max(1.0);
    let mut buckets = lock(&shared.buckets);
    let key = (account.to_string(), region.to_string(), op.to_string());
    let b = buckets.entry(key).or_insert(Bucket {
        tokens: burst,
        last: now,
    });
    b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * tps).min(burst);
    b.last = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_scope_is_parsed() {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=abc"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            credential_scope(&h),
            Some(("AKIDEXAMPLE".into(), "eu-west-1".into()))
        );
        assert_eq!(credential_scope(&HeaderMap::new()), None);
    }
}
