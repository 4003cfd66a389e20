//! When and how long to wait before trying a request again.

use std::time::Duration;

use rand::Rng;

use crate::error::ApiError;

/// Retry settings. Retries never resend a create that may have reached HubSpot.
///
/// Change single fields with struct update syntax:
///
/// ```
/// use std::time::Duration;
/// use hubspot_crm::RetryPolicy;
///
/// let patient = RetryPolicy {
///     max_attempts: 8,
///     max_elapsed: Duration::from_secs(300),
///     ..RetryPolicy::default()
/// };
/// assert_eq!(patient.base_delay, Duration::from_millis(500));
/// assert_eq!(RetryPolicy::disabled().max_attempts, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retries.
    pub max_attempts: u32,
    /// The budget of a call, counted from when it started, waits for the client-side rate
    /// limiter included: no attempt starts, and no wait begins, that would end later. A call
    /// the limiter would hold past it fails at once with
    /// [`Error::RateLimitWaitTooLong`](crate::Error::RateLimitWaitTooLong) instead of waiting.
    pub max_elapsed: Duration,
    /// First backoff delay for 5xx and connection failures; doubles each attempt, with jitter.
    pub base_delay: Duration,
    /// Longest single backoff delay.
    pub max_delay: Duration,
    /// Wait after a 429 that says neither how long to wait (`Retry-After`) nor how long the
    /// window is (`X-HubSpot-RateLimit-Interval-Milliseconds`).
    pub rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts within 2 minutes; backoff from 500 ms up to 30 s; 10 s after a bare 429.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(120),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            rate_limit_wait: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every error is returned as HubSpot sent it. A call still waits
    /// for the client-side rate limiter, for up to 2 minutes (`max_elapsed`); an OAuth client
    /// still resends once with a refreshed token after a 401.
    pub const fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            max_elapsed: Duration::from_secs(120),
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            rate_limit_wait: Duration::ZERO,
        }
    }

    /// Exponential backoff with jitter for the given attempt (1-based): a random delay between
    /// half and all of `base_delay * 2^(attempt - 1)`, capped at `max_delay`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_delay);
        if cap.is_zero() {
            return cap;
        }
        rand::rng().random_range(cap / 2..=cap)
    }
}

/// HubSpot's minimum pause after a 423 (locked).
pub(crate) const LOCKED_WAIT: Duration = Duration::from_secs(2);

/// What to do after an error status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusVerdict {
    /// HubSpot turned the request away unprocessed: safe to resend any request after `wait`.
    RetryRejected {
        wait: Duration,
        window_exhausted: bool,
    },
    /// A gateway or server failure: the request may have been processed. Only idempotent
    /// requests are resent, after `wait`.
    RetryIfIdempotent { wait: Duration },
    /// Not retryable.
    Fail,
}

/// Decides what follows an error status. `window` is the length of the rate-limit window the
/// request counted against, when known (from HubSpot's headers, or the search limit).
pub(crate) fn judge_status(
    error: &ApiError,
    window: Option<Duration>,
    policy: &RetryPolicy,
    attempt: u32,
) -> StatusVerdict {
    let retry_after = error.retry_after_secs.map(Duration::from_secs);
    match error.status {
        429 if error.is_daily_limit() => StatusVerdict::Fail,
        429 => StatusVerdict::RetryRejected {
            wait: retry_after.or(window).unwrap_or(policy.rate_limit_wait),
            window_exhausted: true,
        },
        423 => StatusVerdict::RetryRejected {
            wait: retry_after.unwrap_or_default().max(LOCKED_WAIT),
            window_exhausted: false,
        },
        477 => StatusVerdict::RetryRejected {
            wait: retry_after.unwrap_or_else(|| policy.backoff(attempt)),
            window_exhausted: false,
        },
        502 | 503 | 504 | 524 => StatusVerdict::RetryIfIdempotent {
            wait: retry_after.unwrap_or_else(|| policy.backoff(attempt)),
        },
        _ => StatusVerdict::Fail,
    }
}

/// Whether an error status leaves open that HubSpot carried the request out: a server or
/// gateway failure may come after the work was done.
pub(crate) fn may_have_been_processed(status: u16) -> bool {
    (500..600).contains(&status)
}

/// Parses `Retry-After` in seconds (HubSpot sends seconds; an HTTP date is read too).
pub(crate) fn parse_retry_after(value: &str) -> Option<u64> {
    let value = value.trim();
    let secs = match value.parse::<u64>() {
        Ok(secs) => secs,
        Err(_) => {
            let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            let secs = (when.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
            secs.max(0) as u64
        }
    };
    // Longer than any retry budget; keeps time arithmetic far from overflow.
    Some(secs.min(MAX_HEADER_WAIT.as_secs()))
}

/// The longest wait a header can ask for that is taken at its word: a day.
pub(crate) const MAX_HEADER_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    fn error(status: u16, body: &str, retry_after: Option<u64>) -> ApiError {
        ApiError::from_response(status, body.as_bytes(), retry_after)
    }

    #[test]
    fn verdicts_follow_hubspot_guidance() {
        let p = RetryPolicy::default();
        let ten = Some(Duration::from_secs(10));
        let rolling = error(
            429,
            r#"{"message":"m","policyName":"TEN_SECONDLY_ROLLING"}"#,
            None,
        );
        assert_eq!(
            judge_status(&rolling, ten, &p, 1),
            StatusVerdict::RetryRejected {
                wait: Duration::from_secs(10),
                window_exhausted: true
            }
        );
        let daily = error(429, r#"{"message":"m","policyName":"DAILY"}"#, None);
        assert_eq!(judge_status(&daily, ten, &p, 1), StatusVerdict::Fail);
        let locked = error(423, "", Some(1));
        assert_eq!(
            judge_status(&locked, None, &p, 1),
            StatusVerdict::RetryRejected {
                wait: Duration::from_secs(2),
                window_exhausted: false
            }
        );
        let migrating = error(477, "", Some(7));
        assert_eq!(
            judge_status(&migrating, None, &p, 1),
            StatusVerdict::RetryRejected {
                wait: Duration::from_secs(7),
                window_exhausted: false
            }
        );
        assert!(matches!(
            judge_status(&error(524, "", None), None, &p, 1),
            StatusVerdict::RetryIfIdempotent { .. }
        ));
        assert_eq!(
            judge_status(&error(400, "{}", None), None, &p, 1),
            StatusVerdict::Fail
        );
        assert_eq!(
            judge_status(&error(500, "{}", None), None, &p, 1),
            StatusVerdict::Fail
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert!(p.backoff(1) <= Duration::from_millis(500));
        assert!(p.backoff(3) >= Duration::from_secs(1));
        assert!(p.backoff(20) <= Duration::from_secs(30));
        assert_eq!(RetryPolicy::disabled().backoff(3), Duration::ZERO);
    }

    #[test]
    fn locked_waits_at_least_two_seconds() {
        let p = RetryPolicy::default();
        let wait = |retry_after| match judge_status(&error(423, "", retry_after), None, &p, 1) {
            StatusVerdict::RetryRejected { wait, .. } => wait,
            other => panic!("423 must be retried, got {other:?}"),
        };
        assert_eq!(wait(None), Duration::from_secs(2));
        assert_eq!(wait(Some(0)), Duration::from_secs(2));
        assert_eq!(wait(Some(5)), Duration::from_secs(5));
    }

    #[test]
    fn retry_after_beats_backoff_and_window() {
        let p = RetryPolicy::default();
        let ten = Some(Duration::from_secs(10));
        assert_eq!(
            judge_status(&error(503, "", Some(3)), None, &p, 1),
            StatusVerdict::RetryIfIdempotent {
                wait: Duration::from_secs(3)
            }
        );
        let rolling = r#"{"message":"m","policyName":"TEN_SECONDLY_ROLLING"}"#;
        assert_eq!(
            judge_status(&error(429, rolling, Some(4)), ten, &p, 1),
            StatusVerdict::RetryRejected {
                wait: Duration::from_secs(4),
                window_exhausted: true
            }
        );
        // Neither header: the configured wait.
        assert_eq!(
            judge_status(&error(429, "", None), None, &p, 1),
            StatusVerdict::RetryRejected {
                wait: p.rate_limit_wait,
                window_exhausted: true
            }
        );
    }

    #[test]
    fn rate_limit_category_without_policy_is_retried() {
        let body = r#"{"status":"error","message":"You have reached your ten_secondly_rolling limit.","category":"RATE_LIMITS","correlationId":"c"}"#;
        assert!(matches!(
            judge_status(&error(429, body, None), None, &RetryPolicy::default(), 1),
            StatusVerdict::RetryRejected { .. }
        ));
    }

    #[test]
    fn only_server_errors_leave_the_outcome_open() {
        for status in [500, 502, 503, 504, 524] {
            assert!(may_have_been_processed(status), "{status}");
        }
        for status in [400, 404, 409, 423, 429, 477] {
            assert!(!may_have_been_processed(status), "{status}");
        }
    }

    #[test]
    fn absurd_retry_after_is_capped() {
        assert_eq!(
            parse_retry_after("18446744073709551615"),
            Some(MAX_HEADER_WAIT.as_secs())
        );
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after(" 12 "), Some(12));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(0));
    }
}
