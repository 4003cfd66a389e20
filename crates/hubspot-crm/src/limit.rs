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

mod local;
#[cfg(feature = "redis")]
pub(crate) mod redis;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http::HeaderMap;
use tokio::time::Instant;

use crate::error::ValidationError;
pub(crate) use local::LocalStore;

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

impl RateLimits {
    /// Checks the numbers that cannot work: a daily budget of zero, or a time zone offset
    /// beyond any on Earth.
    pub(crate) fn check(&self) -> Result<(), ValidationError> {
        if let Some(daily) = &self.daily {
            if daily.requests == 0 {
                return Err(ValidationError::new(
                    "rate_limits.daily.requests",
                    "must be at least 1",
                ));
            }
            if !(-12 * 60..=14 * 60).contains(&daily.utc_offset_minutes) {
                return Err(ValidationError::new(
                    "rate_limits.daily.utc_offset_minutes",
                    format!(
                        "{} is not an offset from UTC (-720 to 840 minutes)",
                        daily.utc_offset_minutes
                    ),
                ));
            }
        }
        Ok(())
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

    /// The account's day that `unix_ms` falls in (days since 1970-01-01 there), and when the
    /// next one starts, in milliseconds since the epoch.
    pub(crate) fn day_of(&self, unix_ms: i64) -> (i64, i64) {
        let offset_ms = i64::from(self.utc_offset_minutes) * 60_000;
        let day = (unix_ms + offset_ms).div_euclid(DAY_MS);
        (day, (day + 1) * DAY_MS - offset_ms)
    }
}

const DAY_MS: i64 = 86_400_000;

/// Milliseconds since the epoch, by the wall clock (the daily budget follows the calendar).
pub(crate) fn unix_millis() -> i64 {
    Utc::now().timestamp_millis()
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

const MAX_OBSERVED: u64 = 10_000;

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

/// The windows a store keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bucket {
    /// The app's rolling window.
    General,
    /// The search endpoints' own window.
    Search,
}

/// What one request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Want {
    pub(crate) search: bool,
    pub(crate) general: bool,
    pub(crate) daily: bool,
}

/// The room one request took in the windows it counts against, to settle when its answer
/// arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reservation {
    /// Unique within the store that gave it.
    pub(crate) id: u64,
    pub(crate) want: Want,
}

/// A store's answer to a request for room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Take {
    /// Recorded in every window wanted, at one moment; with a daily budget, the day's count
    /// with this request.
    Taken {
        reservation: Reservation,
        daily_used: Option<u64>,
    },
    /// No room now; there may be after this long. Nothing was recorded.
    Wait(Duration),
    /// The daily budget is used up until `resets_at_ms` (milliseconds since the epoch).
    DailySpent { budget: u64, resets_at_ms: i64 },
}

/// What HubSpot's headers said about the app's usage, already bounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) window: Option<ReportedWindow>,
    /// Requests HubSpot counted on the account's day `day` (see [`DailyBudget::day_of`]): a
    /// store applies it only while that day is its own.
    pub(crate) daily_used: Option<DailyUsed>,
}

/// A day's count, and the day it is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DailyUsed {
    pub(crate) day: i64,
    pub(crate) used: u64,
}

/// HubSpot's rolling window, as reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReportedWindow {
    pub(crate) max: u32,
    pub(crate) remaining: u64,
    pub(crate) length: Duration,
}

/// Why a store could not answer.
#[derive(Clone, Debug)]
pub(crate) struct StoreError(pub(crate) String);

pub(crate) type StoreResult<T> = Result<T, StoreError>;

/// Where a limiter keeps its counts. Each method is one atomic step: `take` checks every
/// window wanted and records the request in all of them at one moment, or records nothing.
pub(crate) trait LimitStore: Send + Sync + std::fmt::Debug {
    /// Room for one request, or how long until there may be.
    fn take(&self, want: Want) -> BoxFuture<'_, StoreResult<Take>>;
    /// Moves `reservation` to now, when the answer arrived.
    fn settle(&self, reservation: Reservation) -> BoxFuture<'_, StoreResult<()>>;
    /// Aligns with HubSpot's count: its window replaces the configured one, requests it
    /// counted that nobody recorded are added, and its daily count is taken if higher.
    fn observe(&self, report: Report) -> BoxFuture<'_, StoreResult<()>>;
    /// Holds back every request of `bucket` for `wait` (HubSpot answered 429).
    fn pause(&self, bucket: Bucket, wait: Duration) -> BoxFuture<'_, StoreResult<()>>;
    /// Counts `count` requests of `bucket` sent now without the store (by the fallback
    /// while it was unreachable).
    fn add(&self, bucket: Bucket, count: usize) -> BoxFuture<'_, StoreResult<()>>;
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

/// How often a shared store is tried again while requests run on the in-process fallback.
const RETRY_STORE_EVERY: Duration = Duration::from_secs(1);
/// The longest pause between tries of an unreachable store, with [`OnUnreachable::Wait`].
const MAX_STORE_BACKOFF: Duration = Duration::from_secs(2);
/// How far from the account's midnight HubSpot's daily count is not taken: its clock and
/// ours may differ, and an answer may be read on the day after its request arrived.
const MIDNIGHT_GRACE_MS: i64 = 5 * 60_000;

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

#[derive(Debug)]
struct SharedStore {
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

impl Limiter {
    /// Counts in this process.
    pub(crate) fn in_process(limits: RateLimits) -> Self {
        Limiter {
            max_reported: limits
                .general
                .map_or(MAX_DOCUMENTED_LIMIT, |w| w.max.max(MAX_DOCUMENTED_LIMIT)),
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
        let fallback = match on_unreachable {
            OnUnreachable::InProcess { workers } => {
                let workers = workers.max(1);
                let share = |w: Window| Window::new((w.max / workers).max(1), w.length);
                Some(LocalStore::new(&RateLimits {
                    general: limits.general.map(share),
                    search: limits.search.map(share),
                    daily: limits.daily.map(|d| DailyBudget {
                        requests: (d.requests / u64::from(workers)).max(1),
                        ..d
                    }),
                    ..limits
                }))
            }
            OnUnreachable::Wait | OnUnreachable::Fail => None,
        };
        Limiter {
            shared: Some(SharedStore {
                on_unreachable,
                fallback,
                outage: std::sync::Mutex::new(None),
                daily_seen: std::sync::Mutex::new(None),
            }),
            store,
            ..Limiter::in_process(limits)
        }
    }

    /// The limits configured.
    pub(crate) fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// How many processes share the app's limits while this one runs on its fallback.
    fn fallback_workers(&self) -> Option<u32> {
        match self.shared.as_ref()?.on_unreachable {
            OnUnreachable::InProcess { workers } => Some(workers.max(1)),
            OnUnreachable::Wait | OnUnreachable::Fail => None,
        }
    }

    /// Waits for room for one request (a search when `search`) in every window it counts
    /// against and in the daily budget, and records it there at one moment: a request held
    /// back by one window takes no room in the others meanwhile. Returns how long it waited
    /// and the reservation, to settle when the answer arrives. Never waits past `deadline`, for
    /// room or for the store.
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
                let daily_used = match answer {
                    Take::Taken { daily_used, .. } => *daily_used,
                    Take::Wait(_) | Take::DailySpent { .. } => None,
                };
                self.reachable(daily_used).await;
            }
            let wait = match taken {
                Ok(Take::Taken { reservation, .. }) => {
                    let waited = if slept {
                        started.elapsed()
                    } else {
                        Duration::ZERO
                    };
                    return Ok((
                        waited,
                        Some(Held {
                            reservation,
                            in_fallback,
                        }),
                    ));
                }
                Ok(Take::Wait(wait)) => wait.min(self.longest_hold(want)),
                Ok(Take::DailySpent {
                    budget,
                    resets_at_ms,
                }) => {
                    return Err(Refusal::DailySpent {
                        budget,
                        resets_at: DateTime::from_timestamp_millis(resets_at_ms)
                            .unwrap_or(DateTime::<Utc>::MAX_UTC),
                    });
                }
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

    /// The longest a store may rightly hold a request of `want`: its longest window (HubSpot's
    /// reported ones are at most [`MAX_REPORTED_WINDOW`]) or a pause (as long at most). A
    /// longer wait (a store whose clock was set back, or garbage) is cut to this: the request
    /// asks again then, instead of stalling for hours or overflowing the clock.
    fn longest_hold(&self, want: Want) -> Duration {
        [
            self.limits.search.filter(|_| want.search),
            self.limits.general.filter(|_| want.general),
        ]
        .into_iter()
        .flatten()
        .map(|w| w.length)
        .fold(MAX_REPORTED_WINDOW, Duration::max)
    }

    /// After the shared store failed to answer a take: how long to wait before the next try
    /// ([`OnUnreachable::Wait`]), `None` to go on at once on the fallback, or the refusal.
    fn store_failed(
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
    async fn take_within(
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

    /// HubSpot counts a request when it arrives, which can be well after the limiter let it
    /// go (a new connection, a slow network): the reservation moves to when the answer came, a time
    /// after the arrival, so the next window never overlaps HubSpot's.
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
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        let interval =
            number("x-hubspot-ratelimit-interval-milliseconds").and_then(reported_window);
        if !self.limits.follow_headers {
            return interval;
        }
        let window = match (
            self.limits.general,
            number("x-hubspot-ratelimit-max"),
            number("x-hubspot-ratelimit-remaining"),
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
        };
        let daily_used = match (
            self.limits.daily,
            number("x-hubspot-ratelimit-daily"),
            number("x-hubspot-ratelimit-daily-remaining"),
        ) {
            // What is left is what HubSpot says is left, and never more than the budget
            // minus what HubSpot counted.
            (Some(budget), Some(daily), Some(remaining)) => self.daily_report(
                &budget,
                sent_ms,
                daily
                    .saturating_sub(remaining)
                    .max(budget.requests.saturating_sub(remaining)),
            ),
            _ => None,
        };
        if window.is_some() || daily_used.is_some() {
            self.report(Report { window, daily_used }).await;
        }
        interval
    }

    /// HubSpot answered that the account's daily limit is reached: the day is spent for
    /// every process sharing the budget (HubSpot's OAuth answers carry no daily headers to
    /// say so).
    pub(crate) async fn hubspot_daily_limit_reached(&self, sent_ms: i64) {
        if let Some(budget) = self.limits.daily
            && let Some(daily_used) = self.daily_report(&budget, sent_ms, budget.requests)
        {
            self.report(Report {
                window: None,
                daily_used: Some(daily_used),
            })
            .await;
        }
    }

    /// A daily count for a request sent at `sent_ms`, unless it is too near the account's
    /// midnight to say which day it belongs to.
    fn daily_report(&self, budget: &DailyBudget, sent_ms: i64, used: u64) -> Option<DailyUsed> {
        let (day, _) = budget.day_of(sent_ms.saturating_sub(MIDNIGHT_GRACE_MS));
        let (day_now, _) = budget.day_of(unix_millis().saturating_add(MIDNIGHT_GRACE_MS));
        (day == day_now).then_some(DailyUsed { day, used })
    }

    /// Sends `report` to the store in use; the fallback keeps to its share of HubSpot's
    /// numbers, which are the whole app's.
    async fn report(&self, mut report: Report) {
        let in_fallback = self.in_fallback();
        if in_fallback && let Some(workers) = self.fallback_workers() {
            if let Some(window) = &mut report.window {
                window.max = (window.max / workers).max(1);
            }
            if let Some(daily) = &mut report.daily_used {
                daily.used /= u64::from(workers);
            }
        }
        let observed = self.store_for(in_fallback).observe(report).await;
        self.follow_up(in_fallback, &observed).await;
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
            && let Some(fallback) = self.shared.as_ref().and_then(|s| s.fallback.as_ref())
        {
            fallback.pause_now(bucket, wait);
        }
    }

    /// After a step on the store in use: an answer from the shared store ends an outage, an
    /// error starts one.
    async fn follow_up(&self, in_fallback: bool, result: &StoreResult<()>) {
        match result {
            Ok(()) if !in_fallback => self.reachable(None).await,
            Ok(()) => {}
            Err(error) => self.unreachable(error),
        }
    }

    fn store_for(&self, in_fallback: bool) -> &dyn LimitStore {
        match self.shared.as_ref().and_then(|s| s.fallback.as_ref()) {
            Some(fallback) if in_fallback => fallback,
            _ => &*self.store,
        }
    }

    /// Whether requests go to the in-process fallback now: the shared store is down and not
    /// due for another try.
    fn in_fallback(&self) -> bool {
        let Some(shared) = self.shared.as_ref().filter(|s| s.fallback.is_some()) else {
            return false;
        };
        let outage = lock(&shared.outage);
        outage.is_some_and(|o| Instant::now() < o.retry_at)
    }

    /// Where the next `take` goes: like [`Self::in_fallback`], except that once the store is
    /// due for another try, one caller tries it and the others stay on the fallback meanwhile
    /// (a store that hangs would otherwise hold each of them for its timeout).
    fn route(&self) -> bool {
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
                    self.start_fallback(shared, fallback, workers.max(1));
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

    /// The fallback knows nothing of what was sent in the last window, so it waits one out;
    /// its daily share starts from the store's last count.
    fn start_fallback(&self, shared: &SharedStore, fallback: &LocalStore, workers: u32) {
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

    /// The store answered (whatever the answer: a take saying to wait, a settle, a pause): an
    /// outage is over, and what the fallback sent in the last window is counted there, so
    /// that the store's window does not start empty.
    async fn reachable(&self, daily_used: Option<u64>) {
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

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    fn general(window: Window) -> RateLimits {
        RateLimits {
            general: Some(window),
            search: None,
            follow_headers: true,
            daily: None,
        }
    }

    /// A limiter over an in-process store the test can look into.
    fn inspectable(limits: RateLimits) -> (Limiter, Arc<LocalStore>) {
        let store = Arc::new(LocalStore::new(&limits));
        let limiter = Limiter::shared(limits, store.clone(), OnUnreachable::Fail);
        (limiter, store)
    }

    async fn take(limiter: &Limiter) -> Held {
        limiter.acquire(false, None).await.unwrap().1.unwrap()
    }

    /// How long `acquire` waited.
    async fn waited(limiter: &Limiter) -> Duration {
        limiter.acquire(false, None).await.unwrap().0
    }

    fn headers(max: u64, remaining: u64, interval_ms: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-hubspot-ratelimit-max", max.into());
        h.insert("x-hubspot-ratelimit-remaining", remaining.into());
        h.insert(
            "x-hubspot-ratelimit-interval-milliseconds",
            interval_ms.into(),
        );
        h
    }

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

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_then_lifts() {
        let limiter = Limiter::in_process(general(Window::new(100, Duration::from_secs(10))));
        limiter.pause(Bucket::General, Duration::from_secs(3)).await;
        // A shorter pause does not shorten the longer one.
        limiter.pause(Bucket::General, Duration::from_secs(1)).await;
        assert_eq!(waited(&limiter).await, Duration::from_secs(3));
        assert_eq!(waited(&limiter).await, Duration::ZERO);
    }

    /// A budget in a time zone where it is about noon now: far from midnight, where daily
    /// counts are not taken.
    fn daily(requests: u64) -> RateLimits {
        let minutes = (unix_millis().rem_euclid(DAY_MS) / 60_000) as i32;
        RateLimits {
            daily: Some(DailyBudget::new(requests).utc_offset_minutes(12 * 60 - minutes)),
            ..RateLimits::off()
        }
    }

    #[tokio::test]
    async fn a_spent_daily_budget_refuses_until_the_next_midnight() {
        let limiter = Limiter::in_process(daily(3));
        for _ in 0..3 {
            take(&limiter).await;
        }
        let Err(Refusal::DailySpent { budget, resets_at }) = limiter.acquire(false, None).await
        else {
            panic!("the fourth request of a 3-request day went");
        };
        assert_eq!(budget, 3);
        // It is about noon there: the day ends in about 12 hours.
        let left = resets_at - Utc::now();
        assert!(
            (chrono::Duration::hours(11)..chrono::Duration::hours(13)).contains(&left),
            "{left}"
        );
    }

    #[tokio::test]
    async fn hubspots_daily_count_is_taken_when_higher() {
        let limiter = Limiter::in_process(RateLimits {
            follow_headers: true,
            ..daily(100)
        });
        take(&limiter).await;
        let mut h = HeaderMap::new();
        h.insert("x-hubspot-ratelimit-daily", 100.into());
        h.insert("x-hubspot-ratelimit-daily-remaining", 2.into());
        limiter.observe(&h, unix_millis()).await;
        // HubSpot counted 98: two are left.
        take(&limiter).await;
        take(&limiter).await;
        assert!(matches!(
            limiter.acquire(false, None).await,
            Err(Refusal::DailySpent { .. })
        ));
        // A lower count (an older answer) changes nothing.
        h.insert("x-hubspot-ratelimit-daily-remaining", 90.into());
        limiter.observe(&h, unix_millis()).await;
        assert!(limiter.acquire(false, None).await.is_err());
    }

    #[tokio::test]
    async fn a_budget_over_the_accounts_limit_keeps_to_what_hubspot_has_left() {
        let limiter = Limiter::in_process(RateLimits {
            follow_headers: true,
            ..daily(1_000)
        });
        let mut h = HeaderMap::new();
        h.insert("x-hubspot-ratelimit-daily", 3.into());
        h.insert("x-hubspot-ratelimit-daily-remaining", 1.into());
        limiter.observe(&h, unix_millis()).await;
        take(&limiter).await;
        assert!(matches!(
            limiter.acquire(false, None).await,
            Err(Refusal::DailySpent { budget: 1_000, .. })
        ));
    }

    #[test]
    fn the_day_starts_at_midnight_in_the_accounts_time_zone() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
        let new_york = DailyBudget::new(1).utc_offset_minutes(-300);
        let (day, next) = new_york.day_of(at("2026-12-01T04:59:59Z"));
        assert_eq!(next, at("2026-12-01T05:00:00Z"));
        assert_eq!(new_york.day_of(at("2026-12-01T05:00:00Z")).0, day + 1);
        let tokyo = DailyBudget::new(1).utc_offset_minutes(9 * 60);
        assert_eq!(
            tokyo.day_of(at("2026-12-01T14:59:59Z")).1,
            at("2026-12-01T15:00:00Z")
        );
        // Before 1970 as well.
        assert_eq!(
            DailyBudget::new(1).day_of(at("1969-12-31T23:00:00Z")),
            (-1, 0)
        );
    }

    #[test]
    fn impossible_budgets_are_rejected() {
        let zero = daily(0).check().unwrap_err();
        assert_eq!(zero.field, "rate_limits.daily.requests");
        let mut limits = daily(1);
        limits.daily = limits.daily.map(|d| d.utc_offset_minutes(15 * 60));
        assert_eq!(
            limits.check().unwrap_err().field,
            "rate_limits.daily.utc_offset_minutes"
        );
        assert!(RateLimits::default().check().is_ok());
    }

    /// A shared store that can go down, be slow to take, or give scripted answers to takes.
    #[derive(Debug)]
    struct Flaky {
        inner: LocalStore,
        down: AtomicBool,
        /// How long each `take` takes to answer.
        take_delay: std::sync::Mutex<Duration>,
        /// Answers given to the next takes, before `inner` answers again.
        answers: std::sync::Mutex<std::collections::VecDeque<Take>>,
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

    fn flaky(limits: &RateLimits) -> Arc<Flaky> {
        Arc::new(Flaky {
            inner: LocalStore::new(limits),
            down: AtomicBool::new(true),
            take_delay: std::sync::Mutex::new(Duration::ZERO),
            answers: std::sync::Mutex::new(std::collections::VecDeque::new()),
        })
    }

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

    async fn daily_takes(limiter: &Limiter) -> usize {
        let mut taken = 0;
        while limiter.acquire(false, None).await.is_ok() {
            taken += 1;
            assert!(taken <= 1_000, "the budget never ran out");
        }
        taken
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

    #[tokio::test]
    async fn a_daily_count_from_another_day_is_not_taken() {
        let limiter = Limiter::in_process(RateLimits {
            follow_headers: true,
            ..daily(100)
        });
        let mut h = HeaderMap::new();
        h.insert("x-hubspot-ratelimit-daily", 100.into());
        h.insert("x-hubspot-ratelimit-daily-remaining", 0.into());
        // An answer to a request sent yesterday, read today.
        limiter.observe(&h, unix_millis() - DAY_MS).await;
        assert_eq!(daily_takes(&limiter).await, 100);
    }

    #[tokio::test]
    async fn hubspots_daily_429_spends_the_day() {
        let limiter = Limiter::in_process(daily(100));
        take(&limiter).await;
        limiter.hubspot_daily_limit_reached(unix_millis()).await;
        assert!(matches!(
            limiter.acquire(false, None).await,
            Err(Refusal::DailySpent { budget: 100, .. })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_is_at_most_a_minute() {
        let limiter = Limiter::in_process(general(Window::new(100, Duration::from_secs(10))));
        limiter.pause(Bucket::General, Duration::MAX).await;
        assert_eq!(waited(&limiter).await, MAX_REPORTED_WINDOW);
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

    /// A store up, answering the takes `answers` first.
    fn answering(limits: &RateLimits, answers: impl IntoIterator<Item = Take>) -> Arc<Flaky> {
        let store = flaky(limits);
        store.down.store(false, Ordering::SeqCst);
        lock(&store.answers).extend(answers);
        store
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
