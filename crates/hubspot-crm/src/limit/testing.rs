//! What the limiter's tests share: limits, a limiter over a store they can look into, and a
//! store that can go down, be slow, or give scripted answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use http::HeaderMap;

use super::daily::DAY_MS;
use super::store::{Bucket, LimitStore, Report, Reservation, StoreError, StoreResult, Take, Want};
use super::{DailyBudget, Held, Limiter, LocalStore, OnUnreachable, RateLimits, Window};
use super::{lock, unix_millis};

pub(super) fn general(window: Window) -> RateLimits {
    RateLimits {
        general: Some(window),
        search: None,
        follow_headers: true,
        daily: None,
    }
}

/// A limiter over an in-process store the test can look into.
pub(super) fn inspectable(limits: RateLimits) -> (Limiter, Arc<LocalStore>) {
    let store = Arc::new(LocalStore::new(&limits));
    let limiter = Limiter::shared(limits, store.clone(), OnUnreachable::Fail);
    (limiter, store)
}

pub(super) async fn take(limiter: &Limiter) -> Held {
    limiter.acquire(false, None).await.unwrap().1.unwrap()
}

/// How long `acquire` waited.
pub(super) async fn waited(limiter: &Limiter) -> Duration {
    limiter.acquire(false, None).await.unwrap().0
}

pub(super) fn headers(max: u64, remaining: u64, interval_ms: u64) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-hubspot-ratelimit-max", max.into());
    h.insert("x-hubspot-ratelimit-remaining", remaining.into());
    h.insert(
        "x-hubspot-ratelimit-interval-milliseconds",
        interval_ms.into(),
    );
    h
}

/// A budget in a time zone where it is about noon now: far from midnight, where daily
/// counts are not taken.
pub(super) fn daily(requests: u64) -> RateLimits {
    let minutes = (unix_millis().rem_euclid(DAY_MS) / 60_000) as i32;
    RateLimits {
        daily: Some(DailyBudget::new(requests).utc_offset_minutes(12 * 60 - minutes)),
        ..RateLimits::off()
    }
}

pub(super) async fn daily_takes(limiter: &Limiter) -> usize {
    let mut taken = 0;
    while limiter.acquire(false, None).await.is_ok() {
        taken += 1;
        assert!(taken <= 1_000, "the budget never ran out");
    }
    taken
}

/// A shared store that can go down, be slow to take, or give scripted answers to takes.
#[derive(Debug)]
pub(super) struct Flaky {
    pub(super) inner: LocalStore,
    pub(super) down: AtomicBool,
    /// How long each `take` takes to answer.
    pub(super) take_delay: std::sync::Mutex<Duration>,
    /// Answers given to the next takes, before `inner` answers again.
    pub(super) answers: std::sync::Mutex<std::collections::VecDeque<Take>>,
}

impl Flaky {
    fn check(&self) -> StoreResult<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError("connection refused".into()))
        } else {
            Ok(())
        }
    }
}

impl LimitStore for Flaky {
    fn take(&self, want: Want) -> BoxFuture<'_, StoreResult<Take>> {
        Box::pin(async move {
            let delay = *lock(&self.take_delay);
            tokio::time::sleep(delay).await;
            self.check()?;
            let scripted = lock(&self.answers).pop_front();
            match scripted {
                Some(answer) => Ok(answer),
                None => self.inner.take(want).await,
            }
        })
    }
    fn settle(&self, reservation: Reservation) -> BoxFuture<'_, StoreResult<()>> {
        match self.check() {
            Ok(()) => self.inner.settle(reservation),
            Err(e) => Box::pin(futures::future::ready(Err(e))),
        }
    }
    fn observe(&self, report: Report) -> BoxFuture<'_, StoreResult<()>> {
        match self.check() {
            Ok(()) => self.inner.observe(report),
            Err(e) => Box::pin(futures::future::ready(Err(e))),
        }
    }
    fn pause(&self, bucket: Bucket, wait: Duration) -> BoxFuture<'_, StoreResult<()>> {
        match self.check() {
            Ok(()) => self.inner.pause(bucket, wait),
            Err(e) => Box::pin(futures::future::ready(Err(e))),
        }
    }
    fn add(&self, bucket: Bucket, count: usize) -> BoxFuture<'_, StoreResult<()>> {
        match self.check() {
            Ok(()) => self.inner.add(bucket, count),
            Err(e) => Box::pin(futures::future::ready(Err(e))),
        }
    }
}

pub(super) fn flaky(limits: &RateLimits) -> Arc<Flaky> {
    Arc::new(Flaky {
        inner: LocalStore::new(limits),
        down: AtomicBool::new(true),
        take_delay: std::sync::Mutex::new(Duration::ZERO),
        answers: std::sync::Mutex::new(std::collections::VecDeque::new()),
    })
}

/// A store up, answering the takes `answers` first.
pub(super) fn answering(
    limits: &RateLimits,
    answers: impl IntoIterator<Item = Take>,
) -> Arc<Flaky> {
    let store = flaky(limits);
    store.down.store(false, Ordering::SeqCst);
    lock(&store.answers).extend(answers);
    store
}
