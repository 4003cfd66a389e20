//! What an attempt came to: an answer read under the cap, an error answer to retry or not,
//! or no answer at all.

use std::time::Duration;

use hubspot_crm_api::Operation;
use reqwest::header::HeaderMap;

use crate::error::ApiError;
use crate::http::{BodyError, read_body};
use crate::limit::Bucket;
use crate::retry::{StatusVerdict, judge_status, parse_retry_after};

use super::attempt::Attempts;
use super::{Call, Shared};

impl Shared {
    /// The limit a 429 concerns, and the length of its window when known. Search has its own
    /// per-second limit and sends no rate-limit headers: a 429 on search that names neither
    /// the ten-secondly policy nor a window is that limit.
    fn rate_limited(
        &self,
        operation: Operation,
        error: &ApiError,
        reported: Option<Duration>,
    ) -> (Option<Bucket>, Option<Duration>) {
        let limits = self.limiter.limits();
        let search_limit = operation.facts.kind.is_search()
            && reported.is_none()
            && error.policy_name.as_deref() != Some("TEN_SECONDLY_ROLLING");
        if search_limit {
            (
                limits.search.map(|_| Bucket::Search),
                limits.search.map(|w| w.length),
            )
        } else {
            (limits.general.map(|_| Bucket::General), reported)
        }
    }
}

/// Whether a failed attempt may have reached HubSpot. A failed connect never did, so even a
/// create can be resent; a timeout or a connection lost later may have.
pub(super) fn may_have_reached_hubspot(error: &reqwest::Error) -> bool {
    !(error.is_connect() || error.is_builder())
}

impl Call {
    /// What an answer means: success, an error to retry after a wait, or a final error. The
    /// body is read here, under the cap; error answers are judged by [`judge_status`].
    pub(super) async fn classify_answer(
        &self,
        state: &Attempts,
        response: reqwest::Response,
    ) -> Outcome {
        let shared = &self.shared;
        let status = response.status();
        let reported_window = shared
            .limiter
            .observe(response.headers(), state.sent_ms)
            .await;
        state.span.record("status", status.as_u16());
        if let Some(id) = response
            .headers()
            .get("x-hubspot-correlation-id")
            .and_then(|v| v.to_str().ok())
        {
            state
                .span
                .record("correlation_id", tracing::field::display(id));
        }
        let headers = response.headers().clone();
        if status.is_success() {
            return match read_body(response, shared.max_body_bytes).await {
                Ok(body) => Outcome::Answered(rebuild(status, headers, body)),
                Err(BodyError::TooLarge) => Outcome::TooLarge { status, headers },
                // Cut short: like a connection lost before the answer.
                Err(BodyError::Failed(error)) => self.classify_failure(state, error),
            };
        }
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        // The status decides; a body cut short only loses HubSpot's explanation.
        let (body, too_large) = match read_body(response, shared.max_body_bytes).await {
            Ok(body) => (body, false),
            Err(BodyError::TooLarge) => (bytes::Bytes::new(), true),
            Err(BodyError::Failed(_)) => (bytes::Bytes::new(), false),
        };
        let error = ApiError::from_response(status.as_u16(), &body, retry_after);
        if let Some(id) = &error.correlation_id {
            state
                .span
                .record("correlation_id", tracing::field::display(id));
        }
        if error.is_daily_limit() {
            shared
                .limiter
                .hubspot_daily_limit_reached(state.sent_ms)
                .await;
        }
        let wait = self.retry_wait(state, &error, reported_window).await;
        let rejected = Box::new(Rejected {
            status,
            headers,
            body,
            too_large,
            error,
        });
        match wait {
            Some(wait) => Outcome::Retry {
                wait,
                cause: Cause::Rejected(rejected),
            },
            None => Outcome::Rejected(rejected),
        }
    }

    /// How long to wait before retrying the error answer `error`, or `None` not to retry.
    /// A 429 that used up a window pauses every request of its limit.
    async fn retry_wait(
        &self,
        state: &Attempts,
        error: &ApiError,
        reported_window: Option<Duration>,
    ) -> Option<Duration> {
        let shared = &self.shared;
        let (bucket, window) = if error.status == 429 {
            shared.rate_limited(state.operation, error, reported_window)
        } else {
            (None, None)
        };
        let policy = &shared.retry;
        match judge_status(error, window, policy, state.number) {
            StatusVerdict::RetryRejected {
                wait,
                window_exhausted,
            } => {
                if let (true, Some(bucket)) = (window_exhausted, bucket) {
                    // Others pause too, for at most one window whatever `Retry-After` says.
                    let window = window.unwrap_or(policy.rate_limit_wait);
                    shared.limiter.pause(bucket, wait.min(window)).await;
                }
                Some(wait)
            }
            StatusVerdict::RetryIfIdempotent { wait } if state.idempotent => Some(wait),
            StatusVerdict::RetryIfIdempotent { .. } | StatusVerdict::Fail => None,
        }
    }

    /// What a failed attempt (no answer) means: a create that may have reached HubSpot is
    /// never resent; anything else backs off and retries.
    pub(super) fn classify_failure(&self, state: &Attempts, error: reqwest::Error) -> Outcome {
        let maybe_sent = may_have_reached_hubspot(&error);
        if state.idempotent || !maybe_sent {
            Outcome::Retry {
                wait: self.shared.retry.backoff(state.number),
                cause: Cause::Failed(error),
            }
        } else {
            Outcome::Failed(error)
        }
    }
}

/// An error answer, read whole (or not at all, when over the cap).
pub(super) struct Rejected {
    pub(super) status: reqwest::StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: bytes::Bytes,
    /// The body was over the cap and not read.
    pub(super) too_large: bool,
    pub(super) error: ApiError,
}

/// Why an attempt is retried.
pub(super) enum Cause {
    Rejected(Box<Rejected>),
    Failed(reqwest::Error),
}

impl Cause {
    pub(super) fn log_retry(&self, attempt: u32, wait: Duration) {
        let wait_ms = wait.as_millis() as u64;
        match self {
            Cause::Rejected(rejected) => tracing::warn!(
                status = rejected.status.as_u16(),
                attempt,
                wait_ms,
                "HubSpot answered an error; retrying"
            ),
            Cause::Failed(error) => tracing::warn!(
                error = %error.without_url_ref(),
                attempt,
                wait_ms,
                "request failed; retrying"
            ),
        }
    }
}

/// What one attempt came to.
pub(super) enum Outcome {
    /// A success status, its body read.
    Answered(reqwest::Response),
    /// A success status whose body is over the cap; not retried.
    TooLarge {
        status: reqwest::StatusCode,
        headers: HeaderMap,
    },
    /// An error answer not to retry.
    Rejected(Box<Rejected>),
    /// No answer, and not to retry.
    Failed(reqwest::Error),
    /// To retry after `wait`, if the budget allows; else `cause` is final.
    Retry { wait: Duration, cause: Cause },
}

pub(super) trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(url.as_str(), url.path());
        }
        text
    }
}

/// Hands the generated client a response whose body was already read.
pub(super) fn rebuild(
    status: reqwest::StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> reqwest::Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    reqwest::Response::from(response)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_refused_connection_never_reached_hubspot() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let error = reqwest::Client::new()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap_err();
        assert!(!may_have_reached_hubspot(&error), "{error:?}");
    }

    #[tokio::test]
    async fn a_timeout_may_have_reached_hubspot() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and never answers.
        let server = tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await;
        });
        let error = reqwest::Client::new()
            .post(format!("http://{addr}/"))
            .timeout(Duration::from_millis(100))
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert!(error.is_timeout());
        assert!(may_have_reached_hubspot(&error));
        server.abort();
    }
}
