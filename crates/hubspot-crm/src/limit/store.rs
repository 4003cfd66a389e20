//! What the limiter asks of a store, and the store's answers: the one interface the
//! in-process store ([`super::local`]) and Redis (`super::redis`) implement.

use std::time::Duration;

use futures::future::BoxFuture;

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

impl Take {
    /// The day's count the store gave with a request it let go.
    pub(crate) fn daily_used(&self) -> Option<u64> {
        match self {
            Take::Taken { daily_used, .. } => *daily_used,
            Take::Wait(_) | Take::DailySpent { .. } => None,
        }
    }
}

/// What HubSpot's headers said about the app's usage, already bounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) window: Option<ReportedWindow>,
    /// Requests HubSpot counted on the account's day `day` (see
    /// [`DailyBudget::day_of`](super::DailyBudget::day_of)): a store applies it only while
    /// that day is its own.
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
