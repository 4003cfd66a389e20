//! Client-side rate limiting for HubSpot's rolling windows.
//!
//! HubSpot counts requests in a *rolling* window (e.g. 100 per 10 s). A token bucket (GCRA, as
//! in `governor`) allows its burst plus its refill inside one window, up to twice the limit, so
//! this is a sliding log of send times instead: it never lets more than `max` requests start
//! within any `window`.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

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
    /// this client did not send (other processes of the same app) are waited for too.
    pub follow_headers: bool,
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
        }
    }
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

/// A sliding-log limiter: the send times of the last `max` requests.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    state: Mutex<LogState>,
    /// The largest `max` HubSpot's headers may set.
    max_reported: u32,
}

#[derive(Debug)]
struct LogState {
    window: Window,
    sent: VecDeque<Instant>,
    /// No request starts before this (HubSpot answered 429).
    blocked_until: Option<Instant>,
}

/// Waits until every one of `limiters` has room at the same moment, and records the request
/// in all of them at that moment: a request held back by one limiter takes no slot in the
/// others meanwhile, so each counts requests when they are actually sent. Returns the time
/// recorded and how long it waited (zero when there was room at once).
///
/// Never sleeps past `deadline`: when the earliest moment with room is later, it returns how
/// long that would still have been, and records nothing.
pub(crate) async fn acquire_all(
    limiters: &[&SlidingWindow],
    deadline: Option<Instant>,
) -> Result<(Instant, Duration), Duration> {
    let started = Instant::now();
    let mut slept = false;
    loop {
        // Always locked in the order given (search before general), so never a deadlock.
        let mut states = Vec::with_capacity(limiters.len());
        for limiter in limiters {
            states.push(limiter.state.lock().await);
        }
        let now = Instant::now();
        let free_at = states
            .iter_mut()
            .filter_map(|state| {
                state.forget_before(now);
                state.free_at(now)
            })
            .max();
        match free_at {
            None => {
                for state in &mut states {
                    state.sent.push_back(now);
                }
                let waited = if slept { now - started } else { Duration::ZERO };
                return Ok((now, waited));
            }
            Some(at) if deadline.is_some_and(|deadline| at > deadline) => {
                return Err(at - now);
            }
            Some(at) => {
                drop(states);
                slept = true;
                tokio::time::sleep_until(at).await;
            }
        }
    }
}

impl SlidingWindow {
    pub(crate) fn new(window: Window) -> Self {
        let window = Window {
            max: window.max.max(1),
            ..window
        };
        SlidingWindow {
            max_reported: window.max.max(MAX_DOCUMENTED_LIMIT),
            state: Mutex::new(LogState {
                window,
                sent: VecDeque::new(),
                blocked_until: None,
            }),
        }
    }

    /// Waits until a request may start and records it; returns the time recorded and how
    /// long it waited (zero when there was room at once).
    #[cfg(test)]
    pub(crate) async fn acquire(&self) -> (Instant, Duration) {
        match acquire_all(&[self], None).await {
            Ok(taken) => taken,
            Err(_) => unreachable!("no deadline"),
        }
    }

    /// Aligns with what HubSpot reports: its numbers replace ours, and requests it counted
    /// that this client did not send (other processes of the same app) are added. `length`
    /// is a window [`reported_window`] accepted; `max` is capped at HubSpot's largest tier
    /// (or the configured limit, if higher), whatever a proxy sends.
    pub(crate) async fn observe(&self, max: u64, remaining: u64, length: Duration) {
        let max = max.min(u64::from(self.max_reported).min(MAX_OBSERVED)) as u32;
        let mut state = self.state.lock().await;
        if max > 0 && !length.is_zero() {
            state.window = Window::new(max, length);
        }
        let now = Instant::now();
        state.forget_before(now);
        let local_remaining = (state.window.max as usize).saturating_sub(state.sent.len());
        let unseen = local_remaining.saturating_sub(remaining.min(MAX_OBSERVED) as usize);
        state.sent.extend(std::iter::repeat_n(now, unseen));
    }

    /// Moves the slot recorded at `sent` to now, when the answer arrived.
    pub(crate) async fn settle(&self, sent: Instant) {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        if let Some(slot) = state.sent.iter().rposition(|t| *t == sent) {
            state.sent.remove(slot);
        }
        let position = state.sent.partition_point(|t| *t <= now);
        state.sent.insert(position, now);
        state.forget_before(now);
    }

    /// Holds back every request for `wait`, after HubSpot answered 429: other tasks pause too
    /// instead of each running into the limit.
    pub(crate) async fn block_for(&self, wait: Duration) {
        let mut state = self.state.lock().await;
        let until = Instant::now() + wait;
        if state.blocked_until.is_none_or(|t| t < until) {
            state.blocked_until = Some(until);
        }
    }
}

impl LogState {
    /// When the next request may start, or `None` when it may start now.
    fn free_at(&self, now: Instant) -> Option<Instant> {
        match self.blocked_until {
            Some(until) if until > now => Some(until),
            _ if self.sent.len() < self.window.max as usize => None,
            _ => Some(self.sent[self.sent.len() - self.window.max as usize] + self.window.length),
        }
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window.length)
        {
            self.sent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How long `acquire` waited.
    async fn waited(limiter: &SlidingWindow) -> Duration {
        limiter.acquire().await.1
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_counts_from_when_the_answer_came() {
        let limiter = SlidingWindow::new(Window::new(1, Duration::from_secs(1)));
        let (sent, _) = limiter.acquire().await;
        // The answer takes 300 ms: the request may have arrived at any point until then.
        tokio::time::advance(Duration::from_millis(300)).await;
        limiter.settle(sent).await;
        assert_eq!(waited(&limiter).await, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_max_in_any_window() {
        let limiter =
            std::sync::Arc::new(SlidingWindow::new(Window::new(3, Duration::from_secs(1))));
        let start = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..10 {
            let limiter = limiter.clone();
            handles.push(tokio::spawn(async move {
                limiter.acquire().await;
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
        let limiter = SlidingWindow::new(Window::new(10, Duration::from_secs(10)));
        limiter.acquire().await;
        // HubSpot says only 1 is left: 8 were sent by someone else.
        limiter.observe(10, 1, Duration::from_secs(10)).await;
        assert_eq!(waited(&limiter).await, Duration::ZERO);
        assert_eq!(waited(&limiter).await, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_zero_holds_the_next_request_for_a_window() {
        let limiter = SlidingWindow::new(Window::new(100, Duration::from_secs(10)));
        limiter.acquire().await;
        limiter.observe(100, 0, Duration::from_millis(500)).await;
        assert_eq!(waited(&limiter).await, Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn reported_max_and_interval_replace_the_configured_window() {
        let limiter = SlidingWindow::new(Window::new(100, Duration::from_secs(10)));
        limiter.acquire().await;
        limiter.observe(2, 1, Duration::from_secs(1)).await;
        assert_eq!(waited(&limiter).await, Duration::ZERO);
        assert_eq!(waited(&limiter).await, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_headers_stay_bounded() {
        let limiter = SlidingWindow::new(Window::new(100, Duration::from_secs(10)));
        limiter.observe(u64::MAX, 0, Duration::from_secs(10)).await;
        assert_eq!(
            limiter.state.lock().await.sent.len(),
            MAX_DOCUMENTED_LIMIT as usize
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_reported_max_over_the_documented_tiers_is_capped() {
        let limiter = SlidingWindow::new(Window::new(100, Duration::from_secs(10)));
        limiter
            .observe(100_000, 100_000, Duration::from_secs(10))
            .await;
        assert_eq!(
            limiter.state.lock().await.window,
            Window::new(MAX_DOCUMENTED_LIMIT, Duration::from_secs(10))
        );
        // A limit configured above HubSpot's tiers is the cap instead.
        let limiter = SlidingWindow::new(Window::new(400, Duration::from_secs(10)));
        limiter
            .observe(100_000, 100_000, Duration::from_secs(10))
            .await;
        assert_eq!(limiter.state.lock().await.window.max, 400);
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
        let limiter = SlidingWindow::new(Window::new(1, Duration::from_secs(10)));
        limiter.acquire().await;
        let start = Instant::now();
        let refused = acquire_all(&[&limiter], Some(start + Duration::from_secs(5))).await;
        assert_eq!(refused, Err(Duration::from_secs(10)));
        assert_eq!(Instant::now(), start, "it did not sleep");
        // Nothing was recorded: with a deadline far enough, it goes at the window's end.
        let taken = acquire_all(&[&limiter], Some(start + Duration::from_secs(10))).await;
        assert_eq!(taken.map(|(_, waited)| waited), Ok(Duration::from_secs(10)));
        assert_eq!(limiter.state.lock().await.sent.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_held_by_one_limiter_takes_no_slot_in_the_other() {
        // A general window paused for 10 s; searches queue behind it.
        let general = std::sync::Arc::new(SlidingWindow::new(Window::new(
            100,
            Duration::from_secs(10),
        )));
        let search =
            std::sync::Arc::new(SlidingWindow::new(Window::new(5, Duration::from_secs(1))));
        general.block_for(Duration::from_secs(10)).await;
        let start = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..12 {
            let (general, search) = (general.clone(), search.clone());
            handles.push(tokio::spawn(async move {
                acquire_all(&[&search, &general], None).await.unwrap();
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
    async fn a_block_holds_every_request_then_lifts() {
        let limiter = SlidingWindow::new(Window::new(100, Duration::from_secs(10)));
        limiter.block_for(Duration::from_secs(3)).await;
        // A shorter block does not shorten the longer one.
        limiter.block_for(Duration::from_secs(1)).await;
        assert_eq!(waited(&limiter).await, Duration::from_secs(3));
        assert_eq!(waited(&limiter).await, Duration::ZERO);
    }
}
