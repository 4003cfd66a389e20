//! The daily budget: the account's day, HubSpot's daily count, and the refusal once the
//! budget is spent.

use chrono::{DateTime, Utc};
use http::HeaderMap;

use super::store::{DailyUsed, Report};
use super::{DailyBudget, Limiter, Refusal, header_number};
use crate::error::ValidationError;

pub(crate) const DAY_MS: i64 = 86_400_000;

/// How far from the account's midnight HubSpot's daily count is not taken: its clock and
/// ours may differ, and an answer may be read on the day after its request arrived.
const MIDNIGHT_GRACE_MS: i64 = 5 * 60_000;

/// Milliseconds since the epoch, by the wall clock (the daily budget follows the calendar).
pub(crate) fn unix_millis() -> i64 {
    Utc::now().timestamp_millis()
}

impl DailyBudget {
    /// The account's day that `unix_ms` falls in (days since 1970-01-01 there), and when the
    /// next one starts, in milliseconds since the epoch.
    pub(crate) fn day_of(&self, unix_ms: i64) -> (i64, i64) {
        let offset_ms = i64::from(self.utc_offset_minutes) * 60_000;
        let day = (unix_ms + offset_ms).div_euclid(DAY_MS);
        (day, (day + 1) * DAY_MS - offset_ms)
    }

    /// Checks the numbers that cannot work: zero requests, or a time zone offset beyond any
    /// on Earth.
    pub(crate) fn check(&self) -> Result<(), ValidationError> {
        if self.requests == 0 {
            return Err(ValidationError::new(
                "rate_limits.daily.requests",
                "must be at least 1",
            ));
        }
        if !(-12 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err(ValidationError::new(
                "rate_limits.daily.utc_offset_minutes",
                format!(
                    "{} is not an offset from UTC (-720 to 840 minutes)",
                    self.utc_offset_minutes
                ),
            ));
        }
        Ok(())
    }
}

impl Refusal {
    /// The store's answer that the budget is spent until `resets_at_ms`.
    pub(super) fn daily_spent(budget: u64, resets_at_ms: i64) -> Self {
        Refusal::DailySpent {
            budget,
            resets_at: DateTime::from_timestamp_millis(resets_at_ms)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }
}

impl Limiter {
    /// The day's count from HubSpot's `X-HubSpot-RateLimit-Daily*` headers, on the answer to
    /// a request sent at `sent_ms`, when the client keeps a daily budget.
    pub(super) fn daily_headers_report(
        &self,
        headers: &HeaderMap,
        sent_ms: i64,
    ) -> Option<DailyUsed> {
        match (
            self.limits.daily,
            header_number(headers, "x-hubspot-ratelimit-daily"),
            header_number(headers, "x-hubspot-ratelimit-daily-remaining"),
        ) {
            // What is left is what HubSpot says is left, and never more than the budget
            // minus what HubSpot counted.
            (Some(budget), Some(daily), Some(remaining)) => daily_report(
                &budget,
                sent_ms,
                daily
                    .saturating_sub(remaining)
                    .max(budget.requests.saturating_sub(remaining)),
            ),
            _ => None,
        }
    }

    /// HubSpot answered that the account's daily limit is reached: the day is spent for
    /// every process sharing the budget (HubSpot's OAuth answers carry no daily headers to
    /// say so).
    pub(crate) async fn hubspot_daily_limit_reached(&self, sent_ms: i64) {
        if let Some(budget) = self.limits.daily
            && let Some(daily_used) = daily_report(&budget, sent_ms, budget.requests)
        {
            self.report(Report {
                window: None,
                daily_used: Some(daily_used),
            })
            .await;
        }
    }
}

/// A daily count for a request sent at `sent_ms`, unless it is too near the account's
/// midnight to say which day it belongs to.
fn daily_report(budget: &DailyBudget, sent_ms: i64, used: u64) -> Option<DailyUsed> {
    let (day, _) = budget.day_of(sent_ms.saturating_sub(MIDNIGHT_GRACE_MS));
    let (day_now, _) = budget.day_of(unix_millis().saturating_add(MIDNIGHT_GRACE_MS));
    (day == day_now).then_some(DailyUsed { day, used })
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::super::RateLimits;
    use super::super::testing::{daily, daily_takes, take};
    use super::*;

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
}
