//! The in-process store: the send times of each window's last requests, in this process.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::{BoxFuture, ready};
use tokio::time::Instant;

use super::store::{Bucket, LimitStore, Report, Reservation, StoreResult, Take, Want};
use super::{DailyBudget, RateLimits, Window, unix_millis};

/// Keeps every count in this process; shared by a client and all its clones.
#[derive(Debug)]
pub(crate) struct LocalStore {
    state: Mutex<State>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct State {
    general: Option<Log>,
    search: Option<Log>,
    daily: Option<DailyCount>,
}

/// One window's sliding log.
#[derive(Debug)]
struct Log {
    window: Window,
    /// Send times and reservation ids, oldest first; id 0 marks requests HubSpot counted that this
    /// process did not send.
    sent: VecDeque<(Instant, u64)>,
    /// No request starts before this (HubSpot answered 429).
    blocked_until: Option<Instant>,
}

#[derive(Debug)]
struct DailyCount {
    budget: DailyBudget,
    day: i64,
    used: u64,
}

impl LocalStore {
    pub(crate) fn new(limits: &RateLimits) -> Self {
        LocalStore {
            state: Mutex::new(State {
                general: limits.general.map(Log::new),
                search: limits.search.map(Log::new),
                daily: limits.daily.map(|budget| DailyCount {
                    budget,
                    day: i64::MIN,
                    used: 0,
                }),
            }),
            next_id: AtomicU64::new(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent between statements: a panic elsewhere cannot corrupt it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take_now(&self, want: Want) -> Take {
        let mut guard = self.lock();
        let state = &mut *guard;
        let now = Instant::now();
        if want.daily
            && let Some(daily) = &mut state.daily
        {
            let (day, resets_at_ms) = daily.budget.day_of(unix_millis());
            daily.roll_to(day);
            if daily.used >= daily.budget.requests {
                return Take::DailySpent {
                    budget: daily.budget.requests,
                    resets_at_ms,
                };
            }
        }
        let mut free_at = None;
        for log in state.wanted(want) {
            log.forget_before(now);
            free_at = free_at.max(log.free_at(now));
        }
        if let Some(at) = free_at {
            return Take::Wait(at - now);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        for log in state.wanted(want) {
            log.sent.push_back((now, id));
        }
        let mut daily_used = None;
        if want.daily
            && let Some(daily) = &mut state.daily
        {
            daily.used += 1;
            daily_used = Some(daily.used);
        }
        Take::Taken {
            reservation: Reservation { id, want },
            daily_used,
        }
    }

    fn settle_now(&self, reservation: Reservation) {
        let mut state = self.lock();
        let now = Instant::now();
        for log in state.wanted(reservation.want) {
            if let Some(at) = log.sent.iter().rposition(|(_, id)| *id == reservation.id) {
                log.sent.remove(at);
            }
            let position = log.sent.partition_point(|(t, _)| *t <= now);
            log.sent.insert(position, (now, reservation.id));
            log.forget_before(now);
        }
    }

    pub(crate) fn observe_now(&self, report: Report) {
        let mut state = self.lock();
        let now = Instant::now();
        if let (Some(window), Some(log)) = (report.window, &mut state.general) {
            log.window = Window::new(window.max, window.length);
            log.forget_before(now);
            let local_remaining = (log.window.max as usize).saturating_sub(log.sent.len());
            let unseen = local_remaining.saturating_sub(window.remaining as usize);
            log.sent.extend(std::iter::repeat_n((now, 0), unseen));
        }
        if let (Some(reported), Some(daily)) = (report.daily_used, &mut state.daily) {
            let (day, _) = daily.budget.day_of(unix_millis());
            // A count of another day (an answer read across midnight) is not today's.
            if reported.day == day {
                daily.roll_to(day);
                daily.used = daily.used.max(reported.used);
            }
        }
    }

    pub(crate) fn pause_now(&self, bucket: Bucket, wait: Duration) {
        if let Some(log) = self.lock().log(bucket) {
            let Some(until) = Instant::now().checked_add(wait) else {
                return;
            };
            if log.blocked_until.is_none_or(|t| t < until) {
                log.blocked_until = Some(until);
            }
        }
    }

    /// How many requests `bucket`'s window holds now.
    pub(crate) fn in_window(&self, bucket: Bucket) -> usize {
        self.lock().log(bucket).map_or(0, |log| {
            log.forget_before(Instant::now());
            log.sent.len()
        })
    }

    fn add_now(&self, bucket: Bucket, count: usize) {
        if let Some(log) = self.lock().log(bucket) {
            let now = Instant::now();
            log.sent.extend(std::iter::repeat_n((now, 0), count));
        }
    }

    /// The length of `bucket`'s window, if it has one.
    pub(crate) fn window_length(&self, bucket: Bucket) -> Option<Duration> {
        self.lock().log(bucket).map(|log| log.window.length)
    }

    /// How many requests the general window holds now, for tests.
    #[cfg(test)]
    pub(crate) fn general_len(&self) -> usize {
        self.lock().general.as_ref().map_or(0, |log| log.sent.len())
    }

    /// The general window in force now, for tests.
    #[cfg(test)]
    pub(crate) fn general_window(&self) -> Option<Window> {
        self.lock().general.as_ref().map(|log| log.window)
    }
}

impl LimitStore for LocalStore {
    fn take(&self, want: Want) -> BoxFuture<'_, StoreResult<Take>> {
        Box::pin(ready(Ok(self.take_now(want))))
    }

    fn settle(&self, reservation: Reservation) -> BoxFuture<'_, StoreResult<()>> {
        self.settle_now(reservation);
        Box::pin(ready(Ok(())))
    }

    fn observe(&self, report: Report) -> BoxFuture<'_, StoreResult<()>> {
        self.observe_now(report);
        Box::pin(ready(Ok(())))
    }

    fn pause(&self, bucket: Bucket, wait: Duration) -> BoxFuture<'_, StoreResult<()>> {
        self.pause_now(bucket, wait);
        Box::pin(ready(Ok(())))
    }

    fn add(&self, bucket: Bucket, count: usize) -> BoxFuture<'_, StoreResult<()>> {
        self.add_now(bucket, count);
        Box::pin(ready(Ok(())))
    }
}

impl State {
    fn log(&mut self, bucket: Bucket) -> Option<&mut Log> {
        match bucket {
            Bucket::General => self.general.as_mut(),
            Bucket::Search => self.search.as_mut(),
        }
    }

    /// The windows a request counts against.
    fn wanted(&mut self, want: Want) -> impl Iterator<Item = &mut Log> {
        [
            self.search.as_mut().filter(|_| want.search),
            self.general.as_mut().filter(|_| want.general),
        ]
        .into_iter()
        .flatten()
    }
}

impl DailyCount {
    /// Starts counting `day` afresh if it is a new one.
    fn roll_to(&mut self, day: i64) {
        if self.day != day {
            self.day = day;
            self.used = 0;
        }
    }
}

impl Log {
    fn new(window: Window) -> Self {
        Log {
            window: Window {
                max: window.max.max(1),
                ..window
            },
            sent: VecDeque::new(),
            blocked_until: None,
        }
    }

    /// When the next request may start, or `None` when it may start now.
    fn free_at(&self, now: Instant) -> Option<Instant> {
        match self.blocked_until {
            Some(until) if until > now => Some(until),
            _ if self.sent.len() < self.window.max as usize => None,
            _ => Some(self.sent[self.sent.len() - self.window.max as usize].0 + self.window.length),
        }
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= self.window.length)
        {
            self.sent.pop_front();
        }
    }
}
