//! One refresh: caller credentials → discovery → per account (credentials) → per
//! account × region collection, all bounded by the limiter, published progressively
//! (at most every `PUBLISH_EVERY`, plus the final snapshot), cancellable.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::model::{Aggregates, CollectError, FleetSnapshot, FleetUpdate};

use super::Inner;
use super::builder::SnapshotBuilder;
use super::collect::{CollectCtx, UnitResult, collect_unit};
use super::discovery::discover;
use super::error::{Failure, FailureKind, credentials_fix, failure_from_credentials_error};
use super::limiter::ApiKey;

/// Minimum time between two partial publications.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(150);

enum Msg {
    Unit(UnitResult),
    AccountFailed {
        account: String,
        error: CollectError,
        caller_problem: Option<Failure>,
    },
}

/// The finished (or cancelled) refresh.
pub struct Refreshed {
    pub snapshot: Arc<FleetSnapshot>,
    pub aggregates: Arc<Aggregates>,
    pub cancelled: bool,
}

pub(crate) async fn run_refresh(
    inner: &Arc<Inner>,
    tx: Option<UnboundedSender<FleetUpdate>>,
    cancel: CancellationToken,
) -> Refreshed {
    let prev = inner.last_snapshot();
    let scope = &inner.scope;
    let mut b = SnapshotBuilder::new(
        prev.as_deref(),
        Some(inner.caller.clone()),
        scope.profile.clone(),
        inner.regions.clone(),
        scope.aggregate_config(),
    );
    let tx = tx.as_ref();
    let limiter = inner.limiter.clone();
    let home = inner.clients.home_region();

    // 1. the caller's credentials: one clear message instead of a stack of errors
    let caller_key = ApiKey::new(&inner.caller.account_id, &home, "Credentials");
    let creds = limiter
        .call(&caller_key, &cancel, || async {
            inner
                .clients
                .base_creds
                .get()
                .await
                .map_err(|e| failure_from_credentials_error(&e))
        })
        .await;
    if let Err(f) = creds {
        if f.is_cancelled() {
            return finish(&b, tx, true);
        }
        b.add_global_error(f.to_collect_error(None, Some(&home), "sts", "GetCredentials"));
        notice_credentials(inner, tx, &f);
        return finish(&b, tx, false);
    }

    // 2. discovery
    let d = match discover(scope, &inner.clients, &limiter, &cancel).await {
        Ok(d) => d,
        Err(f) => {
            if !f.is_cancelled() {
                b.add_global_error(f.to_collect_error(
                    None,
                    Some(&scope.organizations_region),
                    "organizations",
                    "Discover",
                ));
            }
            return finish(&b, tx, f.is_cancelled());
        }
    };
    let active: Vec<String> = d
        .accounts
        .iter()
        .filter(|a| a.state.is_active())
        .map(|a| a.id.clone())
        .collect();
    let units: Vec<(String, String)> = active
        .iter()
        .flat_map(|a| inner.regions.iter().map(move |r| (a.clone(), r.clone())))
        .collect();
    b.set_discovery(&d, &units);
    b.publish(false, tx);
    let mut last_pub = tokio::time::Instant::now();

    // 3. accounts × regions
    let (mtx, mut rx) = unbounded_channel::<Msg>();
    let unit_permits = Arc::new(Semaphore::new(scope.concurrency.max(4)));
    let ctx = CollectCtx {
        limiter: limiter.clone(),
        cancel: cancel.clone(),
        now: Utc::now(),
        command_history_days: scope.command_history_days,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for account in active {
        let inner = inner.clone();
        let mtx = mtx.clone();
        let ctx = ctx.clone();
        let permits = unit_permits.clone();
        let home = home.clone();
        tasks.spawn(async move {
            let acct = inner.clients.account(&account).await;
            let key = ApiKey::new(&account, &home, "AssumeRole");
            let got = ctx
                .limiter
                .call(&key, &ctx.cancel, || async {
                    acct.creds
                        .get()
                        .await
                        .map_err(|e| failure_from_credentials_error(&e))
                })
                .await;
            if let Err(f) = got {
                if f.is_cancelled() {
                    return;
                }
                let op = match acct.access {
                    super::credentials::Access::AssumeRole { .. } => "AssumeRole",
                    _ => "GetCredentials",
                };
                let mut error = f.to_collect_error(Some(&account), None, "sts", op);
                error.message = format!("{} ({}): {}", acct.access.describe(), f.code, f.message);
                let caller_problem = (f.kind == FailureKind::Credentials).then_some(f);
                let _ = mtx.send(Msg::AccountFailed {
                    account,
                    error,
                    caller_problem,
                });
                return;
            }
            let mut regions = tokio::task::JoinSet::new();
            for region in inner.regions.clone() {
                let inner = inner.clone();
                let mtx = mtx.clone();
                let ctx = ctx.clone();
                let permits = permits.clone();
                let account = account.clone();
                regions.spawn(async move {
                    let _permit = tokio::select! {
                        p = permits.acquire_owned() => match p { Ok(p) => p, Err(_) => return },
                        _ = ctx.cancel.cancelled() => return,
                    };
                    let clients = inner.clients.region_clients(&account, &region).await;
                    let r = collect_unit(&ctx, &clients, &account, &region).await;
                    if !ctx.cancel.is_cancelled() {
                        let _ = mtx.send(Msg::Unit(r));
                    }
                });
            }
            while regions.join_next().await.is_some() {}
        });
    }
    drop(mtx);

    let mut caller_noticed = false;
    loop {
        if b.is_complete() {
            break;
        }
        let due = last_pub + PUBLISH_EVERY;
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(Msg::Unit(r)) => b.apply(r),
                Some(Msg::AccountFailed { account, error, caller_problem }) => {
                    match caller_problem {
                        Some(f) if !caller_noticed => {
                            caller_noticed = true;
                            notice_credentials(inner, tx, &f);
                            b.account_failed(&account, error);
                        }
                        // the caller's credentials are the problem: one error is enough
                        Some(_) => b.account_failed_quietly(&account),
                        None => b.account_failed(&account, error),
                    }
                }
                None => break,
            },
            _ = tokio::time::sleep_until(due) => {
                b.publish(false, tx);
                last_pub = tokio::time::Instant::now();
            }
            _ = cancel.cancelled() => break,
        }
    }
    tasks.abort_all();
    finish(&b, tx, cancel.is_cancelled())
}

fn finish(
    b: &SnapshotBuilder,
    tx: Option<&UnboundedSender<FleetUpdate>>,
    cancelled: bool,
) -> Refreshed {
    // a cancelled refresh publishes nothing more: the newer one takes over
    let (snapshot, aggregates) = b.publish(!cancelled, if cancelled { None } else { tx });
    Refreshed {
        snapshot,
        aggregates,
        cancelled,
    }
}

fn notice_credentials(inner: &Inner, tx: Option<&UnboundedSender<FleetUpdate>>, f: &Failure) {
    let fix = credentials_fix(inner.scope.profile.as_deref(), f);
    let message = format!("AWS credentials: {} ({}). Fix: {fix}", f.message, f.code);
    tracing::warn!(code = %f.code, "caller credentials problem");
    if let Some(tx) = tx {
        let _ = tx.send(FleetUpdate::Notice {
            message,
            is_error: true,
        });
    }
}
