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
use super::error::{Failure, FailureKind, FleetError, failure_from_credentials_error};
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
        prev.clone(),
        Some(inner.caller.clone()),
        scope.profile.clone(),
        inner.regions.clone(),
        scope.aggregate_config(),
    );
    b.with_schedules(inner.schedules.clone());
    b.with_patched(inner.patched.clone());
    let tx = tx.as_ref();
    let limiter = inner.limiter.clone();
    let home = inner.clients.home_region();

    // 1. the caller's credentials, checked with STS (an expired session shows up here):
    //    one clear message instead of a stack of per-account errors. When even this fails
    //    (after the control plane's patient retries: AWS unreachable, STS throttled out),
    //    nothing is read: the last good snapshot stays whole, with its ages, marked not read.
    // 2. discovery, streaming accounts: collection starts as soon as an account is known;
    //    a part of the tree that cannot be read keeps its accounts of the last snapshot.
    //    The check does not feed discovery, so both start at once (the critical path is
    //    Organizations → AssumeRole → the accounts' pages); accounts found before the check
    //    answers wait for it, and a failed check drops whatever discovery found.
    let sts = inner.clients.sts();
    let caller_key = ApiKey::new(&inner.caller.account_id, &home, "GetCallerIdentity");
    let check = inner.control.call(&caller_key, &cancel, || {
        let sts = sts.clone();
        async move {
            sts.get_caller_identity()
                .send()
                .await
                .map_err(|e| Failure::from_sdk(&e))
        }
    });
    let (acc_tx, mut acc_rx) = unbounded_channel::<Vec<crate::model::Account>>();
    let disc = discover(
        scope,
        &inner.clients,
        &inner.control,
        &cancel,
        Some(&acc_tx),
        prev.as_deref(),
    );
    tokio::pin!(check, disc);
    let mut discovered = None;
    let checked = loop {
        tokio::select! {
            c = &mut check => break c,
            d = &mut disc, if discovered.is_none() => discovered = Some(d),
        }
    };
    match checked {
        Err(f) if f.is_cancelled() => return finish(b, tx, true),
        Err(f) => {
            let mut e = f.to_collect_error(None, Some(&home), "sts", "GetCallerIdentity");
            if f.kind == FailureKind::Credentials {
                notice_credentials(inner, tx, &f);
            } else {
                e.message = format!(
                    "AWS could not be reached; the last good data is kept: {}",
                    f.message
                );
                tracing::warn!(code = %f.code, "refresh: STS GetCallerIdentity failed");
            }
            b.nothing_read(e);
            return finish(b, tx, false);
        }
        Ok(_) => {}
    }
    let disc = async move {
        match discovered {
            Some(d) => d,
            None => disc.await,
        }
    };
    tokio::pin!(disc);
    let mut discovering = true;

    // 3. accounts × regions
    let (mtx, mut rx) = unbounded_channel::<Msg>();
    let spawner = Spawner {
        inner: inner.clone(),
        mtx,
        ctx: CollectCtx {
            limiter: limiter.clone(),
            cancel: cancel.clone(),
            now: Utc::now(),
            command_history_days: scope.command_history_days,
        },
        permits: Arc::new(Semaphore::new(scope.concurrency.max(4))),
        home: home.clone(),
    };
    let mut tasks = tokio::task::JoinSet::new();
    // the accounts of the last picture are read at once, not when the walk names them again
    // (its pages are paced at the Organizations key's rate); the walk's final list confirms
    // them, and drops what it no longer names
    let wanted = |a: &crate::model::Account| {
        (scope.account_filter.is_empty() || scope.account_filter.contains(&a.id))
            && (scope.accounts.is_empty() || scope.accounts.iter().any(|e| e.id == a.id))
    };
    let mut read_ahead = std::collections::HashMap::new();
    for account in b.expect_known_accounts(&inner.regions, wanted) {
        let reading = spawner.spawn(&mut tasks, account.clone());
        read_ahead.insert(account, reading);
    }
    let mut last_pub = tokio::time::Instant::now();
    let mut caller_noticed = false;
    loop {
        if !discovering && b.is_complete() {
            break;
        }
        let due = last_pub + PUBLISH_EVERY;
        tokio::select! {
            d = &mut disc, if discovering => {
                discovering = false;
                match d {
                    Ok(d) => {
                        for account in b.finish_discovery(&d, &inner.regions) {
                            spawner.spawn(&mut tasks, account);
                        }
                        // accounts read ahead that the walk no longer names: stop reading them
                        for (account, reading) in read_ahead.drain() {
                            if !b.expects_account(&account) {
                                reading.abort();
                            }
                        }
                        if let Some(note) = &d.organization.note {
                            tracing::info!(%note, "discovery");
                        }
                        if tx.is_some() {
                            b.publish(false, tx);
                            last_pub = tokio::time::Instant::now();
                        }
                    }
                    // cancelled (discovery fails for nothing else)
                    Err(_) => b.discovery_failed(),
                }
            }
            Some(found) = acc_rx.recv() => {
                for account in b.add_accounts(&found, &inner.regions) {
                    spawner.spawn(&mut tasks, account);
                }
            }
            msg = rx.recv() => match msg {
                Some(Msg::Unit(r)) => b.apply(r),
                Some(Msg::AccountFailed { account, error, caller_problem }) => {
                    match caller_problem {
                        // the caller's credentials are the problem, not this account: the
                        // one error is about the caller (it stays whatever discovery decides
                        // about this account), the account is listed as not entered
                        Some(f) if !caller_noticed => {
                            caller_noticed = true;
                            notice_credentials(inner, tx, &f);
                            b.account_failed_quietly(&account, &f.code);
                            b.add_global_error(CollectError { account_id: None, ..error });
                        }
                        // the caller's credentials are the problem: one error is enough
                        Some(f) => b.account_failed_quietly(&account, &f.code),
                        None => b.account_failed(&account, error),
                    }
                }
                None => break,
            },
            // partial snapshots only matter to a listener; at most one per `PUBLISH_EVERY`,
            // or rarer when building one is slow (huge fleets), to keep the CPU for the fetch
            _ = tokio::time::sleep_until(due), if tx.is_some() => {
                let t = tokio::time::Instant::now();
                b.publish(false, tx);
                let cost = t.elapsed();
                last_pub = tokio::time::Instant::now() + (cost * 3).saturating_sub(PUBLISH_EVERY);
            }
            _ = cancel.cancelled() => break,
        }
    }
    tasks.abort_all();
    finish(b, tx, cancel.is_cancelled())
}

/// Starts the collection of one account (credentials, then its regions).
struct Spawner {
    inner: Arc<Inner>,
    mtx: UnboundedSender<Msg>,
    ctx: CollectCtx,
    permits: Arc<Semaphore>,
    home: String,
}

impl Spawner {
    fn spawn(
        &self,
        tasks: &mut tokio::task::JoinSet<()>,
        account: String,
    ) -> tokio::task::AbortHandle {
        let inner = self.inner.clone();
        let mtx = self.mtx.clone();
        let ctx = self.ctx.clone();
        let permits = self.permits.clone();
        let home = self.home.clone();
        tasks.spawn(async move {
            let acct = inner.clients.account(&account).await;
            let key = ApiKey::new(&account, &home, "AssumeRole");
            // cached credentials cost no request: not paced by the (shared) STS rate; a fetch
            // goes through the control plane's patient budget, so a throttled AssumeRole never
            // drops an account
            let got = match acct.creds.cached().await {
                Some(c) => Ok(c),
                None => {
                    inner
                        .control
                        .call(&key, &ctx.cancel, || async {
                            acct.creds
                                .get()
                                .await
                                .map_err(|e| failure_from_credentials_error(&e))
                        })
                        .await
                }
            };
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
                let acct = acct.clone();
                regions.spawn(async move {
                    let _permit = tokio::select! {
                        p = permits.acquire_owned() => match p { Ok(p) => p, Err(_) => return },
                        _ = ctx.cancel.cancelled() => return,
                    };
                    let clients = inner.clients.region_clients(&account, &region).await;
                    let r = collect_unit(&ctx, &clients, &account, &region).await;
                    // the service refused the session (expired early, revoked, or unknown to
                    // an endpoint that restarted): assume the role afresh next time instead of
                    // sending refused keys until they expire
                    if r.errors
                        .iter()
                        .any(|e| super::error::is_credentials_code(&e.code))
                    {
                        acct.creds.invalidate().await;
                    }
                    if !ctx.cancel.is_cancelled() {
                        let _ = mtx.send(Msg::Unit(r));
                    }
                });
            }
            while regions.join_next().await.is_some() {}
        })
    }
}

fn finish(
    b: SnapshotBuilder,
    tx: Option<&UnboundedSender<FleetUpdate>>,
    cancelled: bool,
) -> Refreshed {
    // a cancelled refresh publishes nothing more: the newer one takes over; a finished one
    // is `complete` only when it read everything (else partial, with `missing`)
    let (snapshot, aggregates) = b.publish_final(!cancelled, if cancelled { None } else { tx });
    Refreshed {
        snapshot,
        aggregates,
        cancelled,
    }
}

fn notice_credentials(inner: &Inner, tx: Option<&UnboundedSender<FleetUpdate>>, f: &Failure) {
    let message = FleetError::credentials(inner.scope.profile.as_deref(), f).to_string();
    tracing::warn!(code = %f.code, "caller credentials problem");
    if let Some(tx) = tx {
        let _ = tx.send(FleetUpdate::Notice {
            message,
            is_error: true,
        });
    }
}
