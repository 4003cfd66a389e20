//! HubSpot's rolling window: how its `X-HubSpot-RateLimit-*` headers are followed, how long a
//! store may hold a request, and the pause after a 429.

use std::time::Duration;

use http::HeaderMap;

use super::store::{Bucket, ReportedWindow, Want};
use super::{Limiter, RateLimits, header_number};

/// The most requests one header may say were counted or are left.
pub(crate) const MAX_OBSERVED: u64 = 10_000;

/// The longest window HubSpot's headers are followed for. HubSpot's windows are 10 s (and 1 s
/// for the deprecated secondly limit); a longer `X-HubSpot-RateLimit-Interval-Milliseconds`
/// (a proxy's, or a day from a misread daily header) is ignored, so that one answer cannot
/// stall every clone of the client for longer than this.
pub(crate) const MAX_REPORTED_WINDOW: Duration = Duration::from_secs(60);

/// HubSpot's largest documented rolling-window limit (with the API limit increase). A larger
/// `X-HubSpot-RateLimit-Max` is capped at this, or at the configured limit if higher.
pub(crate) const MAX_DOCUMENTED_LIMIT: u32 = 250;

/// The window length HubSpot's `X-HubSpot-RateLimit-Interval-Milliseconds` reports, when it
/// is one to follow: longer than zero and at most [`MAX_REPORTED_WINDOW`].
pub(crate) fn reported_window(ms: u64) -> Option<Duration> {
    let window = Duration::from_millis(ms);
    (!window.is_zero() && window <= MAX_REPORTED_WINDOW).then_some(window)
}

/// The largest `max` HubSpot's headers may set: HubSpot's largest tier, or the configured
/// limit if higher.
pub(crate) fn max_reported(limits: &RateLimits) -> u32 {
    limits
        .general
        .map_or(MAX_DOCUMENTED_LIMIT, |w| w.max.max(MAX_DOCUMENTED_LIMIT))
}

impl Limiter {
    /// HubSpot's rolling window from its headers, with `interval` already read: bounded,
    /// and only when the client limits the general window.
    pub(super) fn window_report(
        &self,
        headers: &HeaderMap,
        interval: Option<Duration>,
    ) -> Option<ReportedWindow> {
        match (
            self.limits.general,
            header_number(headers, "x-hubspot-ratelimit-max"),
            header_number(headers, "x-hubspot-ratelimit-remaining"),
            interval,
        ) {
            (Some(_), Some(max), Some(remaining), Some(length)) => {
                // Capped at HubSpot's largest tier (or the configured limit, if higher),
                // whatever a proxy sends.
                let max = max.min(u64::from(self.max_reported).min(MAX_OBSERVED)) as u32;
                (max > 0).then_some(ReportedWindow {
                    max,
                    remaining: remaining.min(MAX_OBSERVED),
                    length,
                })
            }
            _ => None,
        }
    }

    /// The longest a store may rightly hold a request of `want`: its longest window (HubSpot's
    /// reported ones are at most [`MAX_REPORTED_WINDOW`]) or a pause (as long at most). A
    /// longer wait (a store whose clock was set back, or garbage) is cut to this: the request
    /// asks again then, instead of stalling for hours or overflowing the clock.
    pub(super) fn longest_hold(&self, want: Want) -> Duration {
        [
            self.limits.search.filter(|_| want.search),
            self.limits.general.filter(|_| want.general),
        ]
        .into_iter()
        .flatten()
        .map(|w| w.length)
        .fold(MAX_REPORTED_WINDOW, Duration::max)
    }

    /// Holds back every request of `bucket` for `wait` (at most [`MAX_REPORTED_WINDOW`]),
    /// after HubSpot answered 429: other tasks (and, with a shared store, other processes)
    /// pause too instead of each running into the limit.
    pub(crate) async fn pause(&self, bucket: Bucket, wait: Duration) {
        let wait = wait.min(MAX_REPORTED_WINDOW);
        let in_fallback = self.in_fallback();
        let paused = self.store_for(in_fallback).pause(bucket, wait).await;
        self.follow_up(in_fallback, &paused).await;
        if paused.is_err()
            && let Some(fallback) = self.fallback()
        {
            fallback.pause_now(bucket, wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::super::store::Take;
    use super::super::testing::{answering, daily, general, headers, inspectable, take, waited};
    use super::super::{OnUnreachable, Refusal, Window, unix_millis};
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn reported_usage_by_others_is_counted() {
        let limiter = Limiter::in_process(general(Window::new(10, Duration::from_secs(10))));
        take(&limiter).await;
        // HubSpot says only 1 is left: 8 were sent by someone else.
        limiter
            .observe(&headers(10, 1, 10_000), unix_millis())
            .await;
        assert_eq!(waited(&limiter).await, Duration::ZERO);
        assert_eq!(waited(&limiter).await, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_zero_holds_the_next_request_for_a_window() {
        let limiter = Limiter::in_process(general(Window::new(100, Duration::from_secs(10))));
        take(&limiter).await;
        limiter.observe(&headers(100, 0, 500), unix_millis()).await;
        assert_eq!(waited(&limiter).await, Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn reported_max_and_interval_replace_the_configured_window() {
        let limiter = Limiter::in_process(general(Window::new(100, Duration::from_secs(10))));
        take(&limiter).await;
        limiter.observe(&headers(2, 1, 1_000), unix_millis()).await;
        assert_eq!(waited(&limiter).await, Duration::ZERO);
        assert_eq!(waited(&limiter).await, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn headers_are_ignored_unless_followed() {
        let limits = RateLimits {
            follow_headers: false,
            ..general(Window::new(100, Duration::from_secs(10)))
        };
        let (limiter, store) = inspectable(limits);
        limiter.observe(&headers(2, 0, 1_000), unix_millis()).await;
        assert_eq!(store.general_len(), 0);
        assert_eq!(
            store.general_window(),
            Some(Window::new(100, Duration::from_secs(10)))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_headers_stay_bounded() {
        let (limiter, store) = inspectable(general(Window::new(100, Duration::from_secs(10))));
        limiter
            .observe(&headers(u64::MAX, 0, 10_000), unix_millis())
            .await;
        assert_eq!(store.general_len(), MAX_DOCUMENTED_LIMIT as usize);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reported_max_over_the_documented_tiers_is_capped() {
        let (limiter, store) = inspectable(general(Window::new(100, Duration::from_secs(10))));
        limiter
            .observe(&headers(100_000, 100_000, 10_000), unix_millis())
            .await;
        assert_eq!(
            store.general_window(),
            Some(Window::new(MAX_DOCUMENTED_LIMIT, Duration::from_secs(10)))
        );
        // A limit configured above HubSpot's tiers is the cap instead.
        let (limiter, store) = inspectable(general(Window::new(400, Duration::from_secs(10))));
        limiter
            .observe(&headers(100_000, 100_000, 10_000), unix_millis())
            .await;
        assert_eq!(store.general_window().map(|w| w.max), Some(400));
    }

    #[test]
    fn only_windows_up_to_a_minute_are_followed() {
        assert_eq!(reported_window(10_000), Some(Duration::from_secs(10)));
        assert_eq!(reported_window(60_000), Some(MAX_REPORTED_WINDOW));
        assert_eq!(reported_window(60_001), None);
        assert_eq!(reported_window(86_400_000), None);
        assert_eq!(reported_window(u64::MAX), None);
        assert_eq!(reported_window(0), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_then_lifts() {
        let limiter = Limiter::in_process(general(Window::new(100, Duration::from_secs(10))));
        limiter.pause(Bucket::General, Duration::from_secs(3)).await;
        // A shorter pause does not shorten the longer one.
        limiter.pause(Bucket::General, Duration::from_secs(1)).await;
        assert_eq!(waited(&limiter).await, Duration::from_secs(3));
        assert_eq!(waited(&limiter).await, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_is_at_most_a_minute() {
        let limiter = Limiter::in_process(general(Window::new(100, Duration::from_secs(10))));
        limiter.pause(Bucket::General, Duration::MAX).await;
        assert_eq!(waited(&limiter).await, MAX_REPORTED_WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_wait_from_the_store_is_capped_not_a_panic() {
        let limits = general(Window::new(10, Duration::from_secs(10)));
        let absurd = [Duration::MAX, Duration::from_millis(u64::MAX)].map(Take::Wait);
        let store = answering(&limits, absurd);
        let limiter = Limiter::shared(limits, store.clone(), OnUnreachable::Fail);
        let start = Instant::now();
        // A deadline nearer than the cap: refused at once, never sleeping.
        let refused = limiter
            .acquire(false, Some(start + Duration::from_secs(30)))
            .await;
        assert!(
            matches!(refused, Err(Refusal::Wait(w)) if w == MAX_REPORTED_WINDOW),
            "{refused:?}"
        );
        assert_eq!(Instant::now(), start);
        // A farther one: at most a minute per answer, then the store grants it.
        let (waited, _) = limiter
            .acquire(false, Some(start + Duration::from_secs(3600)))
            .await
            .unwrap();
        assert_eq!(waited, MAX_REPORTED_WINDOW);
        assert_eq!(store.inner.general_len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_from_the_store_is_never_longer_than_its_window() {
        // Answers of a store whose clock was set back an hour, then a true one.
        let limits = general(Window::new(10, Duration::from_secs(90)));
        let hour = Duration::from_secs(3600);
        let store = answering(&limits, [Take::Wait(hour), Take::Wait(Duration::ZERO)]);
        let limiter = Limiter::shared(limits, store.clone(), OnUnreachable::Fail);
        assert_eq!(waited(&limiter).await, Duration::from_secs(90));
        // Without a window of its own (a daily budget only), a minute at most.
        let limits = daily(100);
        let store = answering(&limits, [Take::Wait(hour)]);
        let limiter = Limiter::shared(limits, store, OnUnreachable::Fail);
        assert_eq!(waited(&limiter).await, MAX_REPORTED_WINDOW);
    }
}
