//! The seam between the generated client and the network: authentication, rate limiting,
//! retries and tracing for every request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hubspot_crm_api::{BoxFuture, Operation};
use progenitor_client::ResponseValue;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::{Secret, TokenProvider};
use crate::error::{ApiError, Error, Result, truncate};
use crate::limit::{RateLimits, SlidingWindow};
use crate::retry::{RetryPolicy, StatusVerdict, judge_status, parse_retry_after};

/// State shared by a client and all its clones.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Arc<dyn TokenProvider>,
    pub(crate) retry: RetryPolicy,
    pub(crate) limits: RateLimits,
    general: Option<SlidingWindow>,
    search: Option<SlidingWindow>,
}

impl Shared {
    pub(crate) fn new(
        base_url: String,
        http: reqwest::Client,
        auth: Arc<dyn TokenProvider>,
        retry: RetryPolicy,
        limits: RateLimits,
    ) -> Self {
        Shared {
            base_url,
            http,
            auth,
            retry,
            general: limits.general.map(SlidingWindow::new),
            search: limits.search.map(SlidingWindow::new),
            limits,
        }
    }

    async fn acquire(&self, operation: Operation) -> Duration {
        let mut waited = Duration::ZERO;
        if operation.name == "search" {
            if let Some(search) = &self.search {
                waited += search.acquire().await;
            }
        }
        if let Some(general) = &self.general {
            waited += general.acquire().await;
        }
        waited
    }

    async fn observe(&self, headers: &HeaderMap) -> Option<Duration> {
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        let interval =
            number("x-hubspot-ratelimit-interval-milliseconds").map(Duration::from_millis);
        if let (true, Some(general), Some(max), Some(remaining), Some(interval)) = (
            self.limits.follow_headers,
            &self.general,
            number("x-hubspot-ratelimit-max"),
            number("x-hubspot-ratelimit-remaining"),
            interval,
        ) {
            general
                .observe(max as u32, remaining as u32, interval)
                .await;
        }
        interval
    }
}

/// Whether resending `operation` after it may have reached HubSpot is harmless.
pub(crate) fn is_idempotent(operation: Operation) -> bool {
    match operation.module {
        // Creating an association that exists is a no-op.
        "associations" => true,
        _ => !matches!(
            operation.name,
            "create" | "batch_create" | "merge" | "create_group"
        ),
    }
}

/// What the transport learned while sending one call's request.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    /// Status of the final answer.
    pub(crate) status: Option<u16>,
    /// The final error answer, read in full (the generated client only keeps JSON bodies).
    pub(crate) error: Option<ApiError>,
    /// Set when a non-idempotent request failed after it may have reached HubSpot.
    pub(crate) outcome_unknown: bool,
    /// Attempts made.
    pub(crate) attempts: u32,
}

/// The transport of one call: the generated client is built per call around it, so that what
/// happened on the wire can be read back after the generated method returns.
#[derive(Debug)]
pub struct Call {
    shared: Arc<Shared>,
    token: Secret,
    pub(crate) record: Mutex<CallRecord>,
}

impl Call {
    pub(crate) async fn start(shared: &Arc<Shared>) -> Result<Arc<Call>> {
        let token = shared.auth.token().await?;
        Ok(Arc::new(Call {
            shared: shared.clone(),
            token,
            record: Mutex::new(CallRecord::default()),
        }))
    }

    fn record(&self) -> std::sync::MutexGuard<'_, CallRecord> {
        self.record
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Turns the generated method's result into this crate's result.
    pub fn finish<T, E>(
        &self,
        operation: &str,
        result: std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>,
        inputs: impl FnOnce() -> Vec<String>,
    ) -> Result<T> {
        let error = match result {
            Ok(value) => return Ok(value.into_inner()),
            Err(error) => error,
        };
        let mut record = self.record();
        let unknown = |cause: String| Error::OutcomeUnknown {
            operation: operation.to_owned(),
            inputs: inputs(),
            cause,
        };
        if let Some(api) = record.error.take() {
            return Err(if record.outcome_unknown {
                unknown(api.to_string())
            } else {
                Error::from(api)
            });
        }
        match error {
            progenitor_client::Error::CommunicationError(e)
            | progenitor_client::Error::ResponseBodyError(e) => {
                let e = e.without_url();
                if record.outcome_unknown {
                    Err(unknown(e.to_string()))
                } else {
                    Err(Error::Transport(e))
                }
            }
            progenitor_client::Error::InvalidResponsePayload(body, e) => Err(Error::Decode {
                status: record.status.unwrap_or_default(),
                message: e.to_string(),
                body: truncate(&body),
            }),
            progenitor_client::Error::UnexpectedResponse(response) => Err(Error::from(
                ApiError::from_response(response.status().as_u16(), b"", None),
            )),
            progenitor_client::Error::ErrorResponse(response) => Err(Error::from(
                ApiError::from_response(response.status().as_u16(), b"", None),
            )),
            progenitor_client::Error::InvalidRequest(message)
            | progenitor_client::Error::Custom(message) => {
                Err(Error::validation("request", message))
            }
            progenitor_client::Error::InvalidUpgrade(e) => Err(Error::Transport(e.without_url())),
        }
    }

    async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
    ) -> reqwest::Result<reqwest::Response> {
        let shared = &self.shared;
        let idempotent = is_idempotent(operation);
        let started = Instant::now();
        let mut token = self.token.clone();
        let mut attempt = 0;
        let mut original = Some(request);
        loop {
            attempt += 1;
            self.record().attempts = attempt;
            let span = tracing::Span::current();
            span.record("attempt", attempt);
            let retries_left =
                attempt < shared.retry.max_attempts && started.elapsed() < shared.retry.max_elapsed;
            // Keep the original for another attempt while one may follow.
            let copy = if retries_left {
                original.as_ref().and_then(reqwest::Request::try_clone)
            } else {
                None
            };
            let spare = copy.is_some();
            let Some(mut this_try) = copy.or_else(|| original.take()) else {
                unreachable!("the last attempt always ends the loop")
            };
            if attempt > 1 {
                // A long wait can outlive the token: ask again, keep the old one if that fails.
                if let Ok(fresh) = shared.auth.token().await {
                    token = fresh;
                }
            }
            let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid-token"));
            bearer.set_sensitive(true);
            this_try.headers_mut().insert(AUTHORIZATION, bearer);
            let waited = shared.acquire(operation).await;
            span.record("wait_ms", waited.as_millis() as u64);
            let sent_at = Instant::now();
            match client.execute(this_try).await {
                Ok(response) => {
                    let status = response.status();
                    let interval = shared.observe(response.headers()).await;
                    span.record("status", status.as_u16());
                    if let Some(id) = response
                        .headers()
                        .get("x-hubspot-correlation-id")
                        .and_then(|v| v.to_str().ok())
                    {
                        span.record("correlation_id", id);
                    }
                    if status.is_success() {
                        self.record().status = Some(status.as_u16());
                        return Ok(response);
                    }
                    let headers = response.headers().clone();
                    let retry_after = headers
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    let body = match response.bytes().await {
                        Ok(body) => body,
                        Err(e) => {
                            self.record().outcome_unknown = !idempotent;
                            return Err(e);
                        }
                    };
                    let error = ApiError::from_response(status.as_u16(), &body, retry_after);
                    if let Some(id) = &error.correlation_id {
                        span.record("correlation_id", id.as_str());
                    }
                    let verdict = judge_status(&error, interval, &shared.retry, attempt);
                    let wait = match verdict {
                        StatusVerdict::RetryRejected {
                            wait,
                            window_exhausted,
                        } => {
                            if window_exhausted {
                                if let Some(general) = &shared.general {
                                    general.exhaust().await;
                                }
                            }
                            Some(wait)
                        }
                        StatusVerdict::RetryIfIdempotent { wait } if idempotent => Some(wait),
                        StatusVerdict::RetryIfIdempotent { .. } => {
                            self.record().outcome_unknown = true;
                            None
                        }
                        StatusVerdict::Fail => None,
                    };
                    match wait {
                        Some(wait)
                            if spare && started.elapsed() + wait <= shared.retry.max_elapsed =>
                        {
                            tracing::warn!(
                                status = status.as_u16(),
                                attempt,
                                wait_ms = wait.as_millis() as u64,
                                "HubSpot answered an error; retrying"
                            );
                            tokio::time::sleep(wait).await;
                        }
                        _ => {
                            let mut record = self.record();
                            record.status = Some(status.as_u16());
                            record.error = Some(error);
                            return Ok(rebuild(status, headers, body));
                        }
                    }
                }
                Err(e) => {
                    // A refused connection never reached HubSpot; anything later might have.
                    let maybe_sent = !e.is_connect() || sent_at.elapsed() > Duration::from_secs(30);
                    if spare && (idempotent || !maybe_sent) {
                        let wait = shared.retry.backoff(attempt);
                        if started.elapsed() + wait <= shared.retry.max_elapsed {
                            tracing::warn!(error = %e.without_url_ref(), attempt, wait_ms = wait.as_millis() as u64, "request failed; retrying");
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    }
                    if maybe_sent && !idempotent {
                        self.record().outcome_unknown = true;
                    }
                    return Err(e);
                }
            }
        }
    }
}

trait WithoutUrlRef {
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
fn rebuild(
    status: reqwest::StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> reqwest::Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    reqwest::Response::from(response)
}

impl hubspot_crm_api::Transport for Call {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let span = tracing::info_span!(
            "hubspot_request",
            operation = %format_args!("{}.{}", operation.module, operation.name),
            method = %request.method(),
            path = %request.url().path(),
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            wait_ms = tracing::field::Empty,
            correlation_id = tracing::field::Empty,
        );
        Box::pin(self.send(client, request, operation).instrument(span))
    }
}
