//! When and how long to wait before trying a request again.

use std::time::Duration;

use rand::Rng;

use crate::error::ApiError;

/// Retry settings. Retries never resend a create that may have reached HubSpot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retries.
    pub max_attempts: u32,
    /// Give up once this much time has passed since the first attempt.
    pub max_elapsed: Duration,
    /// First backoff delay for 5xx and connection failures; doubles each attempt, with jitter.
    pub base_delay: Duration,
    /// Longest single backoff delay.
    pub max_delay: Duration,
    /// Used for a 429 that names no window length (no `X-HubSpot-RateLimit-Interval-Milliseconds`).
    pub rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts within 2 minutes; backoff from 500 ms up to 30 s.
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
    /// No retries at all.
    pub const fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            max_elapsed: Duration::ZERO,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            rate_limit_wait: Duration::ZERO,
        }
    }

    /// Exponential backoff with full jitter for the given attempt (1-based).
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

pub(crate) fn judge_status(
    error: &ApiError,
    interval: Option<Duration>,
    policy: &RetryPolicy,
    attempt: u32,
) -> StatusVerdict {
    let retry_after = error.retry_after_secs.map(Duration::from_secs);
    match error.status {
        429 if error.is_daily_limit() => StatusVerdict::Fail,
        429 => StatusVerdict::RetryRejected {
            wait: retry_after.or(interval).unwrap_or(policy.rate_limit_wait),
            window_exhausted: true,
        },
        423 => StatusVerdict::RetryRejected {
            wait: retry_after.unwrap_or_default().max(Duration::from_secs(2)),
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

/// Parses `Retry-After` in seconds (HubSpot sends seconds; an HTTP date is read too).
pub(crate) fn parse_retry_after(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (when.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    Some(secs.max(0) as u64)
}

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
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after(" 12 "), Some(12));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
