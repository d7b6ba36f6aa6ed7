//! One NextToken loop for every paginated AWS call: each page goes through the shared
//! [`Limiter`] (pool, per-key rate, retries with backoff, cancel), an empty token ends the
//! listing like a missing one, and a page cap guards against a service that never stops
//! answering with a token.
//!
//! ```ignore
//! let mut out = Vec::new();
//! let pages = paginate(&limiter, &key, &cancel, MAX_PAGES,
//!     |token| { let ssm = ssm.clone(); async move {
//!         ssm.list_documents().set_next_token(token).send().await
//!             .map_err(|e| Failure::from_sdk(&e))
//!     }},
//!     |page| { out.extend(page.document_identifiers().iter().map(convert)); page.next_token().map(String::from) },
//! ).await?;
//! if !pages.complete { /* say the listing was cut */ }
//! ```

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::error::Failure;
use super::limiter::{ApiKey, Limiter};

/// The default cap on pages of one listing: far beyond any real listing (1,000 pages of 50
/// are 50,000 items), low enough to stop a service that repeats its token forever.
pub const MAX_PAGES: usize = 1_000;

/// How a listing ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pages {
    /// Pages read.
    pub pages: usize,
    /// `false` when the page cap stopped the listing while the service still had a token:
    /// the items are a prefix of the listing, and the caller must say so.
    pub complete: bool,
}

/// Read every page of one listing, at most `max_pages`.
///
/// `fetch(token)` makes one call (it is called again for each retry of the same page, so
/// it must be cheap to repeat); `on_page(page)` consumes a page and returns its next token.
/// `None` or an empty token ends the listing. The first failure that the limiter gives up
/// on ends it too and is returned (the pages consumed so far stay consumed).
pub async fn paginate<P, F, Fut, G>(
    limiter: &Limiter,
    key: &ApiKey,
    cancel: &CancellationToken,
    max_pages: usize,
    fetch: F,
    on_page: G,
) -> Result<Pages, Failure>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<P, Failure>>,
    G: FnMut(P) -> Option<String>,
{
    paginate_as(limiter, key, cancel, max_pages, fetch, on_page, false).await
}

/// [`paginate`], each page through [`Limiter::call_background`] when `background` (the
/// patch index: foreground calls on the same key go first).
pub async fn paginate_as<P, F, Fut, G>(
    limiter: &Limiter,
    key: &ApiKey,
    cancel: &CancellationToken,
    max_pages: usize,
    mut fetch: F,
    mut on_page: G,
    background: bool,
) -> Result<Pages, Failure>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<P, Failure>>,
    G: FnMut(P) -> Option<String>,
{
    let mut token: Option<String> = None;
    let mut pages = 0;
    while pages < max_pages {
        let page = if background {
            limiter
                .call_background(key, cancel, || fetch(token.clone()))
                .await?
        } else {
            limiter.call(key, cancel, || fetch(token.clone())).await?
        };
        pages += 1;
        token = on_page(page).filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(Pages {
                pages,
                complete: true,
            });
        }
    }
    tracing::warn!(
        account = %key.account, region = %key.region, api = key.api, pages,
        "listing cut at the page cap"
    );
    Ok(Pages {
        pages,
        complete: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::error::FailureKind;
    use crate::fleet::limiter::RetryPolicy;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn limiter() -> Limiter {
        Limiter::new(
            4,
            1000.0,
            RetryPolicy {
                max_attempts: 3,
                base: Duration::from_millis(1),
                cap: Duration::from_millis(2),
            },
        )
    }

    /// A listing of `n` pages, each holding its own number; tokens are the next page's.
    fn page_of(t: Option<String>, n: usize) -> (usize, Option<String>) {
        let i: usize = t.as_deref().map(|t| t.parse().unwrap()).unwrap_or(0);
        (i, (i + 1 < n).then(|| (i + 1).to_string()))
    }

    #[tokio::test]
    async fn reads_every_page_in_order() {
        let key = ApiKey::new("111111111111", "us-east-1", "ListDocuments");
        let mut seen = Vec::new();
        let r = paginate(
            &limiter(),
            &key,
            &CancellationToken::new(),
            MAX_PAGES,
            |t| async move { Ok::<_, Failure>(page_of(t, 4)) },
            |(i, next)| {
                seen.push(i);
                next
            },
        )
        .await
        .unwrap();
        assert_eq!(seen, vec![0, 1, 2, 3]);
        assert_eq!(
            r,
            Pages {
                pages: 4,
                complete: true
            }
        );
    }

    #[tokio::test]
    async fn an_empty_token_ends_the_listing() {
        let key = ApiKey::new("a", "r", "ListCommands");
        let r = paginate(
            &limiter(),
            &key,
            &CancellationToken::new(),
            MAX_PAGES,
            |_| async { Ok::<_, Failure>(Some(String::new())) },
            |next| next,
        )
        .await
        .unwrap();
        assert_eq!(r.pages, 1);
        assert!(r.complete);
    }

    #[tokio::test]
    async fn the_cap_stops_a_token_that_never_ends_and_says_so() {
        let key = ApiKey::new("a", "r", "ListCommands");
        let calls = AtomicUsize::new(0);
        let r = paginate(
            &limiter(),
            &key,
            &CancellationToken::new(),
            5,
            |_| {
                calls.fetch_add(1, Ordering::Relaxed);
                async { Ok::<_, Failure>("same".to_string()) }
            },
            Some,
        )
        .await
        .unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 5);
        assert_eq!(
            r,
            Pages {
                pages: 5,
                complete: false
            }
        );
    }

    #[tokio::test]
    async fn a_throttled_page_is_retried_with_the_same_token_and_a_refusal_is_returned() {
        let key = ApiKey::new("a", "r", "ListCommandInvocations");
        let asked = std::sync::Mutex::new(Vec::new());
        let mut seen = Vec::new();
        let r = paginate(
            &limiter(),
            &key,
            &CancellationToken::new(),
            MAX_PAGES,
            |t| {
                asked.lock().unwrap().push(t.clone());
                let n = asked.lock().unwrap().len();
                async move {
                    if n == 2 {
                        Err(Failure::new(
                            FailureKind::Throttled,
                            "ThrottlingException",
                            "",
                        ))
                    } else {
                        Ok(page_of(t, 3))
                    }
                }
            },
            |(i, next)| {
                seen.push(i);
                next
            },
        )
        .await
        .unwrap();
        assert!(r.complete);
        assert_eq!(seen, vec![0, 1, 2]);
        // the throttled second call was repeated with the same token
        assert_eq!(
            *asked.lock().unwrap(),
            vec![None, Some("1".into()), Some("1".into()), Some("2".into())]
        );

        let err = paginate(
            &limiter(),
            &key,
            &CancellationToken::new(),
            MAX_PAGES,
            |_| async {
                Err::<(), _>(Failure::new(
                    FailureKind::Denied,
                    "AccessDeniedException",
                    "no",
                ))
            },
            |_| None,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, "AccessDeniedException");
    }
}
