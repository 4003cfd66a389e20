//! A shared store that cannot be reached: when it counts as down and as back, what requests
//! do meanwhile ([`OnUnreachable`]), and the in-process fallback that keeps to a share of
//! each limit.

use std::time::Duration;

use tokio::time::Instant;

use super::store::{Bucket, DailyUsed, LimitStore, Report, StoreError, StoreResult, Take, Want};
use super::{
    DailyBudget, Limiter, LocalStore, OnUnreachable, RateLimits, Refusal, Window, lock, unix_millis,
};

/// How often a shared store is tried again while requests run on the in-process fallback.
const RETRY_STORE_EVERY: Duration = Duration::from_secs(1);
/// The longest pause between tries of an unreachable store, with [`OnUnreachable::Wait`].
const MAX_STORE_BACKOFF: Duration = Duration::from_secs(2);

/// What a limiter over a shared store keeps to live through the store's outages.
#[derive(Debug)]
pub(super) struct SharedStore {
    on_unreachable: OnUnreachable,
    fallback: Option<LocalStore>,
    /// Since when the store has been unreachable, and when to try it again.
    outage: std::sync::Mutex<Option<Outage>>,
    /// The day's count the store last gave, so that a fallback starts from it.
    daily_seen: std::sync::Mutex<Option<DailyUsed>>,
}

#[derive(Clone, Copy, Debug)]
struct Outage {
    since: Instant,
    retry_at: Instant,
}

impl SharedStore {
    /// With [`OnUnreachable::InProcess`], a fallback keeping to `1/workers` of each limit.
    pub(super) fn new(limits: &RateLimits, on_unreachable: OnUnreachable) -> Self {
        let fallback = match on_unreachable {
            OnUnreachable::InProcess { workers } => {
                Some(LocalStore::new(&fallback_share(limits, workers.max(1))))
            }
            OnUnreachable::Wait | OnUnreachable::Fail => None,
        };
        SharedStore {
            on_unreachable,
            fallback,
            outage: std::sync::Mutex::new(None),
            daily_seen: std::sync::Mutex::new(None),
        }
    }
}

/// One process's share of `limits` when `workers` processes fall back together.
fn fallback_share(limits: &RateLimits, workers: u32) -> RateLimits {
    let share = |w: Window| Window::new((w.max / workers).max(1), w.length);
    RateLimits {
        general: limits.general.map(share),
        search: limits.search.map(share),
        daily: limits.daily.map(|d| DailyBudget {
            requests: (d.requests / u64::from(workers)).max(1),
            ..d
        }),
        ..*limits
    }
}

impl Limiter {
    /// How many processes share the app's limits while this one runs on its fallback.
    fn fallback_workers(&self) -> Option<u32> {
        match self.shared.as_ref()?.on_unreachable {
            OnUnreachable::InProcess { workers } => Some(workers.max(1)),
            OnUnreachable::Wait | OnUnreachable::Fail => None,
        }
    }

    /// The in-process fallback, with [`OnUnreachable::InProcess`].
    pub(super) fn fallback(&self) -> Option<&LocalStore> {
        self.shared.as_ref().and_then(|s| s.fallback.as_ref())
    }

    /// Cuts HubSpot's numbers, which are the whole app's, to the fallback's share.
    pub(super) fn share_for_fallback(&self, report: &mut Report) {
        let Some(workers) = self.fallback_workers() else {
            return;
        };
        if let Some(window) = &mut report.window {
            window.max = (window.max / workers).max(1);
        }
        if let Some(daily) = &mut report.daily_used {
            daily.used /= u64::from(workers);
        }
    }

    /// After the shared store failed to answer a take: how long to wait before the next try
    /// ([`OnUnreachable::Wait`]), `None` to go on at once on the fallback, or the refusal.
    pub(super) fn store_failed(
        &self,
        error: StoreError,
        failures: &mut u32,
        deadline: Option<Instant>,
    ) -> Result<Option<Duration>, Refusal> {
        self.unreachable(&error);
        match self.shared.as_ref().map(|s| s.on_unreachable) {
            Some(OnUnreachable::InProcess { .. }) => Ok(None),
            Some(OnUnreachable::Wait) => {
                *failures += 1;
                let backoff = Duration::from_millis(100)
                    .saturating_mul(1 << (*failures - 1).min(5))
                    .min(MAX_STORE_BACKOFF);
                if deadline.is_some_and(|d| Instant::now() + backoff > d) {
                    return Err(Refusal::Unavailable(error.0));
                }
                Ok(Some(backoff))
            }
            Some(OnUnreachable::Fail) | None => Err(Refusal::Unavailable(error.0)),
        }
    }

    /// One `take`, given up at `deadline`: the call is refused, unsent. The store may only
    /// be slow, or the deadline near: that is no outage, and other callers keep using it.
    pub(super) async fn take_within(
        &self,
        in_fallback: bool,
        want: Want,
        deadline: Option<Instant>,
    ) -> Result<StoreResult<Take>, Refusal> {
        let take = self.store_for(in_fallback).take(want);
        match deadline {
            Some(deadline) if self.shared.is_some() => {
                tokio::time::timeout_at(deadline, take).await.map_err(|_| {
                    Refusal::Unavailable("the store did not answer within the call's budget".into())
                })
            }
            _ => Ok(take.await),
        }
    }

    /// After a step on the store in use: an answer from the shared store ends an outage, an
    /// error starts one.
    pub(super) async fn follow_up(&self, in_fallback: bool, result: &StoreResult<()>) {
        match result {
            Ok(()) if !in_fallback => self.reachable(None).await,
            Ok(()) => {}
            Err(error) => self.unreachable(error),
        }
    }

    pub(super) fn store_for(&self, in_fallback: bool) -> &dyn LimitStore {
        match self.fallback() {
            Some(fallback) if in_fallback => fallback,
            _ => &*self.store,
        }
    }

    /// Whether requests go to the in-process fallback now: the shared store is down and not
    /// due for another try.
    pub(super) fn in_fallback(&self) -> bool {
        let Some(shared) = self.shared.as_ref().filter(|s| s.fallback.is_some()) else {
            return false;
        };
        let outage = lock(&shared.outage);
        outage.is_some_and(|o| Instant::now() < o.retry_at)
    }

    /// Where the next `take` goes: like [`Self::in_fallback`], except that once the store is
    /// due for another try, one caller tries it and the others stay on the fallback meanwhile
    /// (a store that hangs would otherwise hold each of them for its timeout).
    pub(super) fn route(&self) -> bool {
        let Some(shared) = self.shared.as_ref().filter(|s| s.fallback.is_some()) else {
            return false;
        };
        let mut outage = lock(&shared.outage);
        let now = Instant::now();
        match &mut *outage {
            Some(o) if now < o.retry_at => true,
            Some(o) => {
                o.retry_at = now + RETRY_STORE_EVERY;
                false
            }
            None => false,
        }
    }

    fn unreachable(&self, error: &StoreError) {
        let Some(shared) = &self.shared else { return };
        let now = Instant::now();
        let mut outage = lock(&shared.outage);
        if let Some(o) = &mut *outage {
            o.retry_at = now + RETRY_STORE_EVERY;
            return;
        }
        *outage = Some(Outage {
            since: now,
            retry_at: now + RETRY_STORE_EVERY,
        });
        drop(outage);
        match shared.on_unreachable {
            OnUnreachable::InProcess { workers } => {
                if let Some(fallback) = &shared.fallback {
                    start_fallback(shared, fallback, workers.max(1));
                }
                tracing::warn!(
                    error = %error.0,
                    workers,
                    "the shared rate-limit store is unreachable; limiting in this process \
                     to 1/{workers} of each window until it is back"
                )
            }
            OnUnreachable::Wait => tracing::warn!(
                error = %error.0,
                "the shared rate-limit store is unreachable; requests wait for it"
            ),
            OnUnreachable::Fail => tracing::warn!(
                error = %error.0,
                "the shared rate-limit store is unreachable; calls fail unsent"
            ),
        }
    }

    /// The store answered (whatever the answer: a take saying to wait, a settle, a pause): an
    /// outage is over, and what the fallback sent in the last window is counted there, so
    /// that the store's window does not start empty.
    pub(super) async fn reachable(&self, daily_used: Option<u64>) {
        let Some(shared) = &self.shared else { return };
        if let (Some(used), Some(budget)) = (daily_used, &self.limits.daily) {
            let (day, _) = budget.day_of(unix_millis());
            *lock(&shared.daily_seen) = Some(DailyUsed { day, used });
        }
        let Some(outage) = lock(&shared.outage).take() else {
            return;
        };
        tracing::info!(
            after_ms = outage.since.elapsed().as_millis() as u64,
            "the shared rate-limit store is reachable again"
        );
        if let Some(fallback) = &shared.fallback {
            for bucket in [Bucket::General, Bucket::Search] {
                let sent = fallback.in_window(bucket);
                if sent > 0
                    && let Err(error) = self.store.add(bucket, sent).await
                {
                    self.unreachable(&error);
                }
            }
        }
    }

    /// Whether the shared store is taken for unreachable now, for tests.
    #[cfg(test)]
    pub(crate) fn in_outage(&self) -> bool {
        self.shared
            .as_ref()
            .is_some_and(|s| lock(&s.outage).is_some())
    }
}

/// The fallback knows nothing of what was sent in the last window, so it waits one out;
/// its daily share starts from the store's last count.
fn start_fallback(shared: &SharedStore, fallback: &LocalStore, workers: u32) {
    for bucket in [Bucket::General, Bucket::Search] {
        if let Some(length) = fallback.window_length(bucket) {
            fallback.pause_now(bucket, length);
        }
    }
    if let Some(seen) = *lock(&shared.daily_seen) {
        fallback.observe_now(Report {
            window: None,
            daily_used: Some(DailyUsed {
                day: seen.day,
                used: seen.used / u64::from(workers),
            }),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    use http::HeaderMap;

    use super::super::testing::{daily, daily_takes, flaky, general, take, waited};
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_store_fails_calls_when_told_to() {
        let limits = general(Window::new(10, Duration::from_secs(10)));
        let store = flaky(&limits);
        let limiter = Limiter::shared(limits, store.clone(), OnUnreachable::Fail);
        let refused = limiter.acquire(false, None).await;
        assert!(matches!(refused, Err(Refusal::Unavailable(e)) if e == "connection refused"));
        assert!(limiter.in_outage());
        store.down.store(false, Ordering::SeqCst);
        take(&limiter).await;
        assert!(!limiter.in_outage(), "back once it answers");
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_store_is_waited_for_within_the_deadline() {
        let limits = general(Window::new(10, Duration::from_secs(10)));
        let store = flaky(&limits);
        let limiter = Arc::new(Limiter::shared(limits, store.clone(), OnUnreachable::Wait));
        let start = Instant::now();
        let refused = limiter
            .acquire(false, Some(start + Duration::from_secs(3)))
            .await;
        assert!(matches!(refused, Err(Refusal::Unavailable(_))));
        assert!(Instant::now() <= start + Duration::from_secs(3));
        // Back after 5 s: a waiting request goes then.
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire(false, None).await.map(|(waited, _)| waited) }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiting.is_finished());
        store.down.store(false, Ordering::SeqCst);
        let waited = waiting.await.unwrap().unwrap();
        assert!(waited >= Duration::from_secs(5), "{waited:?}");
        assert!(waited <= Duration::from_secs(5) + MAX_STORE_BACKOFF);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_store_falls_back_to_a_share_of_each_window() {
        let limits = general(Window::new(10, Duration::from_secs(10)));
        let store = flaky(&limits);
        let limiter = Limiter::shared(
            limits,
            store.clone(),
            OnUnreachable::InProcess { workers: 2 },
        );
        // What the store let through in the last window is unknown: the fallback waits one
        // out, then takes 5 of 10, the sixth a window later.
        assert_eq!(waited(&limiter).await, Duration::from_secs(10));
        for _ in 0..4 {
            assert_eq!(waited(&limiter).await, Duration::ZERO);
        }
        assert_eq!(waited(&limiter).await, Duration::from_secs(10));
        assert_eq!(store.inner.general_len(), 0, "nothing reached the store");
        // Once it answers again, requests count there, with the fallback's of the last
        // window (the sixth, 10 s ago, is still in it).
        store.down.store(false, Ordering::SeqCst);
        tokio::time::advance(RETRY_STORE_EVERY).await;
        take(&limiter).await;
        assert!(!limiter.in_outage());
        assert_eq!(store.inner.general_len(), 1 + 1);
    }

    fn today(used: u64) -> Report {
        Report {
            window: None,
            daily_used: Some(DailyUsed {
                day: daily(1).daily.unwrap().day_of(unix_millis()).0,
                used,
            }),
        }
    }

    #[tokio::test]
    async fn a_fallback_starts_its_daily_share_from_the_stores_count() {
        let limits = daily(1_000);
        let store = flaky(&limits);
        store.down.store(false, Ordering::SeqCst);
        let limiter = Limiter::shared(
            limits,
            store.clone(),
            OnUnreachable::InProcess { workers: 4 },
        );
        store.inner.observe_now(today(990));
        take(&limiter).await;
        store.down.store(true, Ordering::SeqCst);
        // 9 are left for all four: this one may send a quarter of the day's 991, so 2 more
        // of its 250 (991 / 4 = 247 counted).
        assert_eq!(daily_takes(&limiter).await, 3);
    }

    #[tokio::test]
    async fn in_fallback_hubspots_daily_count_is_shared_out_too() {
        let limits = RateLimits {
            follow_headers: true,
            ..daily(1_000)
        };
        let store = flaky(&limits);
        let limiter = Limiter::shared(
            limits,
            store.clone(),
            OnUnreachable::InProcess { workers: 4 },
        );
        assert!(
            limiter.acquire(false, None).await.is_ok(),
            "on the fallback"
        );
        let mut h = HeaderMap::new();
        h.insert("x-hubspot-ratelimit-daily", 1_000.into());
        h.insert("x-hubspot-ratelimit-daily-remaining", 700.into());
        limiter.observe(&h, unix_millis()).await;
        // 700 left for four: 175 for this one (300 / 4 = 75 of its 250 counted).
        assert_eq!(daily_takes(&limiter).await, 175);
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_passing_while_the_store_is_slow_refuses_the_call_without_an_outage() {
        let limits = general(Window::new(10, Duration::from_secs(10)));
        let store = flaky(&limits);
        store.down.store(false, Ordering::SeqCst);
        *lock(&store.take_delay) = Duration::from_secs(2);
        let limiter = Limiter::shared(
            limits,
            store.clone(),
            OnUnreachable::InProcess { workers: 2 },
        );
        let start = Instant::now();
        let refused = limiter
            .acquire(false, Some(start + Duration::from_secs(1)))
            .await;
        assert!(
            matches!(&refused, Err(Refusal::Unavailable(e)) if e.contains("call's budget")),
            "{refused:?}"
        );
        assert_eq!(Instant::now(), start + Duration::from_secs(1));
        assert!(!limiter.in_outage(), "the store is slow, not down");
        // A call with time to wait for the store still counts there, not on the fallback
        // (which would first wait a window out).
        assert_eq!(waited(&limiter).await, Duration::ZERO);
        assert_eq!(store.inner.general_len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_ends_when_a_take_is_answered_with_a_wait() {
        let limits = general(Window::new(1, Duration::from_secs(10)));
        let store = flaky(&limits);
        store.down.store(false, Ordering::SeqCst);
        let limiter = Arc::new(Limiter::shared(limits, store.clone(), OnUnreachable::Fail));
        take(&limiter).await;
        store.down.store(true, Ordering::SeqCst);
        assert!(limiter.acquire(false, None).await.is_err());
        assert!(limiter.in_outage());
        store.down.store(false, Ordering::SeqCst);
        // The window is full: the store answers "wait 10 s", and that is an answer.
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire(false, None).await.map(|(waited, _)| waited) }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(!waiting.is_finished());
        assert!(!limiter.in_outage(), "the store answered");
        assert_eq!(waiting.await.unwrap().unwrap(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_ends_when_a_settle_is_answered() {
        let limits = general(Window::new(10, Duration::from_secs(10)));
        let store = flaky(&limits);
        store.down.store(false, Ordering::SeqCst);
        let limiter = Limiter::shared(limits, store.clone(), OnUnreachable::Fail);
        let held = take(&limiter).await;
        store.down.store(true, Ordering::SeqCst);
        assert!(limiter.acquire(false, None).await.is_err());
        store.down.store(false, Ordering::SeqCst);
        limiter.settle(Some(held)).await;
        assert!(!limiter.in_outage());
    }

    #[tokio::test(start_paused = true)]
    async fn on_the_fallback_an_answered_probe_ends_the_outage() {
        let limits = general(Window::new(10, Duration::from_secs(10)));
        let store = flaky(&limits);
        let limiter = Limiter::shared(
            limits,
            store.clone(),
            OnUnreachable::InProcess { workers: 2 },
        );
        take(&limiter).await;
        assert!(limiter.in_outage(), "on the fallback");
        store.down.store(false, Ordering::SeqCst);
        tokio::time::advance(RETRY_STORE_EVERY).await;
        // Due for another try: the pause after a 429 goes to the store, which answers.
        limiter.pause(Bucket::General, Duration::from_secs(1)).await;
        assert!(!limiter.in_outage());
        // What the fallback sent in the last window is counted in the store.
        assert_eq!(store.inner.general_len(), 1);
    }
}
