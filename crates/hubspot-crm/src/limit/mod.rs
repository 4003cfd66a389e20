//! Client-side rate limiting for HubSpot's rolling windows and daily budget.
//!
//! HubSpot counts requests in a *rolling* window (e.g. 100 per 10 s). A token bucket (GCRA, as
//! in `governor`) allows its burst plus its refill inside one window, up to twice the limit, so
//! this is a sliding log of send times instead: it never lets more than `max` requests start
//! within any `window`.
//!
//! The counts live in a store: in this process ([`local`]), or in Redis so that every process
//! of one app shares them (`redis`, with the `redis` feature). [`Limiter`] is the part every
//! store shares: waiting, HubSpot's headers, and what to do when a shared store is unreachable.
//!
//! This module holds the public settings and the [`Limiter`] every request goes through; its
//! policies live beside it, one a file: [`window`] (HubSpot's rolling window, its headers and
//! 429 pauses), [`daily`] (the daily budget), [`outage`] (a shared store that cannot be
//! reached, and the in-process fallback), and [`store`] (what a store is asked and answers).

mod daily;
mod local;
mod outage;
#[cfg(feature = "redis")]
pub(crate) mod redis;
mod store;
#[cfg(test)]
mod testing;
mod window;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use tokio::time::Instant;

use crate::error::ValidationError;
pub(crate) use daily::unix_millis;
pub(crate) use local::LocalStore;
use outage::SharedStore;
pub(crate) use store::Bucket;
use store::{LimitStore, Report, Reservation, Take, Want};

/// The numbers of one rolling-window limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Requests allowed per window.
    pub max: u32,
    /// Window length.
    pub length: Duration,
}

impl Window {
    /// `max` requests per `length`.
    pub const fn new(max: u32, length: Duration) -> Self {
        Window { max, length }
    }
}

/// Limits for the client, shared by all its clones and tasks.
///
/// ```
/// use hubspot_crm::{RateLimits, Window};
/// use std::time::Duration;
///
/// // A Professional account, keeping 40 requests per window for other processes.
/// let limits = RateLimits {
///     general: Some(Window::new(150, Duration::from_secs(10))),
///     follow_headers: false,
///     ..RateLimits::default()
/// };
/// let client = hubspot_crm::Client::builder()
///     .access_token("pat-na1-...")
///     .rate_limits(limits)
///     .build()?;
/// # Ok::<(), hubspot_crm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// The app's rolling window; `None` turns client-side limiting off.
    pub general: Option<Window>,
    /// The search endpoints' own limit; `None` turns it off.
    pub search: Option<Window>,
    /// Follow the `X-HubSpot-RateLimit-*` headers HubSpot sends: its `Max` and
    /// `Interval-Milliseconds` replace the numbers of `general`, and requests it counted that
    /// this client did not send (other processes of the same app) are waited for too; with a
    /// [`daily`](Self::daily) budget, `X-HubSpot-RateLimit-Daily-Remaining` corrects its count.
    pub follow_headers: bool,
    /// The account's daily budget: once this many requests were sent since midnight in the
    /// account's time zone, calls fail with [`Error::DailyBudgetSpent`](crate::Error::DailyBudgetSpent)
    /// before sending instead of running into HubSpot's daily 429. `None` (the default) leaves
    /// the daily limit to HubSpot. Counted per process, or by every process together with a
    /// shared store.
    pub daily: Option<DailyBudget>,
}

impl RateLimits {
    /// Free and Starter apps: 100 requests per 10 s.
    pub const FREE_STARTER: Window = Window::new(100, Duration::from_secs(10));
    /// Professional and Enterprise: 190 per 10 s.
    pub const PROFESSIONAL: Window = Window::new(190, Duration::from_secs(10));
    /// Public OAuth apps: 110 per 10 s for each installing account.
    pub const PUBLIC_APP: Window = Window::new(110, Duration::from_secs(10));
    /// With the API limit increase: 250 per 10 s.
    pub const API_LIMIT_INCREASE: Window = Window::new(250, Duration::from_secs(10));
    /// Search: 5 requests per second.
    pub const SEARCH: Window = Window::new(5, Duration::from_secs(1));

    /// No client-side limiting (HubSpot's 429s are still retried).
    pub const fn off() -> Self {
        RateLimits {
            general: None,
            search: None,
            follow_headers: false,
            daily: None,
        }
    }

    /// Checks the numbers that cannot work: a daily budget of zero, or a time zone offset
    /// beyond any on Earth.
    pub(crate) fn check(&self) -> Result<(), ValidationError> {
        self.daily.as_ref().map_or(Ok(()), DailyBudget::check)
    }
}

impl Default for RateLimits {
    /// The common tier (100 per 10 s), search at 5 per second, following HubSpot's headers.
    fn default() -> Self {
        RateLimits {
            general: Some(Self::FREE_STARTER),
            search: Some(Self::SEARCH),
            follow_headers: true,
            daily: None,
        }
    }
}

/// A daily request budget, reset at midnight in the account's time zone.
///
/// ```
/// use hubspot_crm::{DailyBudget, RateLimits};
///
/// // A Professional account (625,000 a day) in New York (UTC-5 in winter), keeping 25,000
/// // for other integrations.
/// let limits = RateLimits {
///     general: Some(RateLimits::PROFESSIONAL),
///     daily: Some(DailyBudget::new(600_000).utc_offset_minutes(-5 * 60)),
///     ..RateLimits::default()
/// };
/// # let _ = limits;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DailyBudget {
    /// Requests allowed per day.
    pub requests: u64,
    /// The account's time zone as minutes east of UTC (New York in winter is `-300`): the day
    /// starts at midnight there. HubSpot resets its own count at the account's midnight, so
    /// an offset that is off makes the client stop early or run into HubSpot's daily 429.
    pub utc_offset_minutes: i32,
}

impl DailyBudget {
    /// `requests` a day, the day starting at midnight UTC.
    pub const fn new(requests: u64) -> Self {
        DailyBudget {
            requests,
            utc_offset_minutes: 0,
        }
    }

    /// The account's time zone, in minutes east of UTC.
    pub const fn utc_offset_minutes(mut self, minutes: i32) -> Self {
        self.utc_offset_minutes = minutes;
        self
    }
}

/// What a shared store does while it cannot be reached (down, or slower than its timeout).
/// Never unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnUnreachable {
    /// Requests wait for the store to come back, within each call's retry budget
    /// ([`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed)); past it the call fails
    /// with [`Error::RateLimitStore`](crate::Error::RateLimitStore), unsent.
    Wait,
    /// Calls fail at once with [`Error::RateLimitStore`](crate::Error::RateLimitStore),
    /// unsent.
    Fail,
    /// Requests go on under an in-process limiter, with a warning, until the store answers
    /// again (tried once a second). The process keeps to `1/workers` of each window, so that
    /// `workers` processes falling back together stay within the app's limit.
    InProcess {
        /// How many processes share the app's limits (at least 1).
        workers: u32,
    },
}

/// Why the limiter did not let a request go.
#[derive(Clone, Debug)]
pub(crate) enum Refusal {
    /// The wait would run past the call's deadline; this much was still to wait.
    Wait(Duration),
    /// The daily budget is used up.
    DailySpent {
        budget: u64,
        resets_at: DateTime<Utc>,
    },
    /// The shared store could not be reached and the configuration says not to go on.
    Unavailable(String),
}

/// A reservation, and which store holds it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Held {
    reservation: Reservation,
    in_fallback: bool,
}

/// The limiter of one client and its clones, over its store.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: RateLimits,
    /// The largest `max` HubSpot's headers may set.
    max_reported: u32,
    store: Arc<dyn LimitStore>,
    /// Set when `store` is shared, and so can be unreachable.
    shared: Option<SharedStore>,
}

impl Limiter {
    /// Counts in this process.
    pub(crate) fn in_process(limits: RateLimits) -> Self {
        Limiter {
            max_reported: window::max_reported(&limits),
            store: Arc::new(LocalStore::new(&limits)),
            shared: None,
            limits,
        }
    }

    /// Counts in a store shared with other processes.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn shared(
        limits: RateLimits,
        store: Arc<dyn LimitStore>,
        on_unreachable: OnUnreachable,
    ) -> Self {
        Limiter {
            shared: Some(SharedStore::new(&limits, on_unreachable)),
            store,
            ..Limiter::in_process(limits)
        }
    }

    /// The limits configured.
    pub(crate) fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Waits for room for one request (a search when `search`) in every window it counts
    /// against and in the daily budget, and records it there at one moment: a request held
    /// back by one window takes no room in the others meanwhile. Returns how long it waited
    /// and the reservation, to settle when the answer arrives. Never waits past `deadline`,
    /// for room or for the store.
    pub(crate) async fn acquire(
        &self,
        search: bool,
        deadline: Option<Instant>,
    ) -> Result<(Duration, Option<Held>), Refusal> {
        let want = Want {
            search: search && self.limits.search.is_some(),
            general: self.limits.general.is_some(),
            daily: self.limits.daily.is_some(),
        };
        if !(want.search || want.general || want.daily) {
            return Ok((Duration::ZERO, None));
        }
        let started = Instant::now();
        let mut slept = false;
        let mut store_failures = 0;
        loop {
            let in_fallback = self.route();
            let taken = self.take_within(in_fallback, want, deadline).await?;
            if !in_fallback && let Ok(answer) = &taken {
                self.reachable(answer.daily_used()).await;
            }
            let wait = match taken {
                Ok(Take::Taken { reservation, .. }) => {
                    let waited = if slept {
                        started.elapsed()
                    } else {
                        Duration::ZERO
                    };
                    let held = Held {
                        reservation,
                        in_fallback,
                    };
                    return Ok((waited, Some(held)));
                }
                Ok(Take::Wait(wait)) => wait.min(self.longest_hold(want)),
                Ok(Take::DailySpent {
                    budget,
                    resets_at_ms,
                }) => return Err(Refusal::daily_spent(budget, resets_at_ms)),
                Err(error) => match self.store_failed(error, &mut store_failures, deadline)? {
                    Some(backoff) => backoff,
                    None => continue,
                },
            };
            if deadline.is_some_and(|d| Instant::now().checked_add(wait).is_none_or(|t| t > d)) {
                return Err(Refusal::Wait(wait));
            }
            slept = true;
            tokio::time::sleep(wait).await;
        }
    }

    /// HubSpot counts a request when it arrives, which can be well after the limiter let it
    /// go (a new connection, a slow network): the reservation moves to when the answer came, a
    /// time after the arrival, so the next window never overlaps HubSpot's.
    pub(crate) async fn settle(&self, held: Option<Held>) {
        let Some(held) = held else { return };
        let settled = self
            .store_for(held.in_fallback)
            .settle(held.reservation)
            .await;
        self.follow_up(held.in_fallback, &settled).await;
    }

    /// Feeds HubSpot's rate-limit headers, from the answer to a request sent at `sent_ms`
    /// (milliseconds since the epoch), to the store; returns the window length HubSpot
    /// reported, if it did. A window longer than a minute is no window of HubSpot's: those
    /// headers are ignored, so that they cannot stall the client.
    pub(crate) async fn observe(&self, headers: &HeaderMap, sent_ms: i64) -> Option<Duration> {
        let interval = header_number(headers, "x-hubspot-ratelimit-interval-milliseconds")
            .and_then(window::reported_window);
        if !self.limits.follow_headers {
            return interval;
        }
        let window = self.window_report(headers, interval);
        let daily_used = self.daily_headers_report(headers, sent_ms);
        if window.is_some() || daily_used.is_some() {
            self.report(Report { window, daily_used }).await;
        }
        interval
    }

    /// Sends `report` to the store in use; the fallback keeps to its share of HubSpot's
    /// numbers, which are the whole app's.
    async fn report(&self, mut report: Report) {
        let in_fallback = self.in_fallback();
        if in_fallback {
            self.share_for_fallback(&mut report);
        }
        let observed = self.store_for(in_fallback).observe(report).await;
        self.follow_up(in_fallback, &observed).await;
    }
}

/// A header HubSpot sends as a number, if it is one.
fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok()
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::testing::{general, inspectable, take, waited};
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_reservation_counts_from_when_the_answer_came() {
        let limiter = Limiter::in_process(general(Window::new(1, Duration::from_secs(1))));
        let held = take(&limiter).await;
        // The answer takes 300 ms: the request may have arrived at any point until then.
        tokio::time::advance(Duration::from_millis(300)).await;
        limiter.settle(Some(held)).await;
        assert_eq!(waited(&limiter).await, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_max_in_any_window() {
        let limiter = Arc::new(Limiter::in_process(general(Window::new(
            3,
            Duration::from_secs(1),
        ))));
        let start = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..10 {
            let limiter = limiter.clone();
            handles.push(tokio::spawn(async move {
                take(&limiter).await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for h in handles {
            times.push(h.await.unwrap() - start);
        }
        times.sort();
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|u| **u - *t < Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 3,
                "{in_window} requests within one window starting at {t:?}"
            );
        }
        assert_eq!(times[9], Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_is_refused_without_sleeping() {
        let (limiter, store) = inspectable(general(Window::new(1, Duration::from_secs(10))));
        take(&limiter).await;
        let start = Instant::now();
        let refused = limiter
            .acquire(false, Some(start + Duration::from_secs(5)))
            .await;
        assert!(matches!(refused, Err(Refusal::Wait(w)) if w == Duration::from_secs(10)));
        assert_eq!(Instant::now(), start, "it did not sleep");
        // Nothing was recorded: with a deadline far enough, it goes at the window's end.
        let taken = limiter
            .acquire(false, Some(start + Duration::from_secs(10)))
            .await
            .unwrap();
        assert_eq!(taken.0, Duration::from_secs(10));
        assert_eq!(store.general_len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_held_by_one_limit_takes_no_room_in_the_other() {
        // A general window paused for 10 s; searches queue behind it.
        let limiter = Arc::new(Limiter::in_process(RateLimits {
            search: Some(Window::new(5, Duration::from_secs(1))),
            ..general(Window::new(100, Duration::from_secs(10)))
        }));
        limiter
            .pause(Bucket::General, Duration::from_secs(10))
            .await;
        let start = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..12 {
            let limiter = limiter.clone();
            handles.push(tokio::spawn(async move {
                limiter.acquire(true, None).await.unwrap();
                Instant::now() - start
            }));
        }
        let mut times = Vec::new();
        for handle in handles {
            times.push(handle.await.unwrap());
        }
        times.sort();
        let secs: Vec<u64> = times.iter().map(|t| t.as_secs()).collect();
        // 5 at the end of the pause, then 5 a second: never 12 at once.
        assert_eq!(secs, [10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 12, 12]);
    }
}
