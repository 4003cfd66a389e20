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
use crate::error::{ApiError, AuthError, Error, Result, truncate};
use crate::limit::{Bucket, Held, Limiter, Refusal};
use crate::retry::{
    RetryPolicy, StatusVerdict, judge_status, may_have_been_processed, parse_retry_after,
};

/// The default cap on an answer's body: far above HubSpot's largest answers (a few MB), far
/// below what would hurt.
pub(crate) const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Why a body was not read in full.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is longer than the cap: declared so, or more bytes came.
    TooLarge,
    /// The connection failed or timed out while reading.
    Failed(reqwest::Error),
}

/// Reads `response`'s body, never holding more than `limit` bytes of it: a body that says it
/// is longer, or turns out to be, is dropped with the connection at the cap.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
) -> std::result::Result<bytes::Bytes, BodyError> {
    /// The most reserved ahead on a declared length, which may be a lie.
    const MAX_RESERVED: u64 = 1024 * 1024;
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = bytes::BytesMut::with_capacity(declared.unwrap_or(0).min(MAX_RESERVED) as usize);
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Failed)? {
        if (body.len() as u64).saturating_add(chunk.len() as u64) > limit {
            return Err(BodyError::TooLarge);
        }
        if body.is_empty() && declared == Some(chunk.len() as u64) {
            // The whole body in one chunk: no copy.
            return Ok(chunk);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// State shared by a client and all its clones.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Arc<dyn TokenProvider>,
    pub(crate) retry: RetryPolicy,
    /// The longest body read from an answer.
    pub(crate) max_body_bytes: u64,
    pub(crate) limiter: Limiter,
}

impl Shared {
    pub(crate) fn new(
        base_url: String,
        http: reqwest::Client,
        auth: Arc<dyn TokenProvider>,
        retry: RetryPolicy,
        limiter: Limiter,
        max_body_bytes: u64,
    ) -> Self {
        Shared {
            base_url,
            http,
            auth,
            retry,
            max_body_bytes,
            limiter,
        }
    }

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
        let search_limit = is_search(operation)
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

fn is_search(operation: Operation) -> bool {
    operation.name == "search"
}

/// Whether resending `operation` after it may have reached HubSpot is harmless: reads,
/// updates, upserts and archives are; creates are not (a second copy would be created).
pub(crate) fn is_idempotent(operation: Operation) -> bool {
    match (api_family(operation.module), operation.name) {
        // Each request starts another report.
        ("associations", "request_high_usage_report") => false,
        // Creating an association that exists is a no-op.
        ("associations", _) => true,
        (_, name) => !matches!(name, "create" | "batch_create" | "merge" | "create_group"),
    }
}

/// The API a generated module belongs to, whatever its version: `associations_2026_09` is
/// `associations`. Modules of a dated version are named after the module they stand beside,
/// with the date as `_YYYY_MM`.
fn api_family(module: &str) -> &str {
    let bytes = module.as_bytes();
    let dated = bytes.len() > 8 && {
        let tail = &bytes[bytes.len() - 8..];
        tail[0] == b'_'
            && tail[5] == b'_'
            && tail[1..5].iter().chain(&tail[6..]).all(u8::is_ascii_digit)
    };
    if dated {
        &module[..module.len() - 8]
    } else {
        module
    }
}

/// Whether a failed attempt may have reached HubSpot. A failed connect never did, so even a
/// create can be resent; a timeout or a connection lost later may have.
pub(crate) fn may_have_reached_hubspot(error: &reqwest::Error) -> bool {
    !(error.is_connect() || error.is_builder())
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
    /// Whether the request may be resent after reaching HubSpot.
    pub(crate) idempotent: bool,
    /// Attempts made.
    pub(crate) attempts: u32,
    /// The generated operation the request belongs to, once it was sent.
    pub(crate) operation: Option<Operation>,
    /// A failure the transport decided on, which no answer the generated client sees can
    /// express; it wins over whatever the generated method returns.
    pub(crate) failure: Option<Failure>,
}

/// A failure decided by the transport.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The answer's body was over the cap.
    BodyTooLarge { limit: u64, status: u16 },
    /// The limiter would have held the first attempt past the call's budget.
    LimiterWait {
        wait: Duration,
        max_elapsed: Duration,
    },
    /// The daily budget is used up.
    DailyBudget {
        budget: u64,
        resets_at: chrono::DateTime<chrono::Utc>,
    },
    /// The shared rate-limit store could not be reached.
    LimitStore(String),
    /// After a 401, no new token could be had.
    Auth(AuthError),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::BodyTooLarge { limit, status } => Error::BodyTooLarge { limit, status },
            Failure::LimiterWait { wait, max_elapsed } => {
                Error::RateLimitWaitTooLong { wait, max_elapsed }
            }
            Failure::DailyBudget { budget, resets_at } => {
                Error::DailyBudgetSpent { budget, resets_at }
            }
            Failure::LimitStore(message) => Error::RateLimitStore { message },
            Failure::Auth(error) => Error::Auth(error),
        }
    }
}

/// The transport of one call: the generated client is built per call around it, so that what
/// happened on the wire can be read back after the generated method returns.
#[derive(Debug)]
pub(crate) struct Call {
    shared: Arc<Shared>,
    token: Secret,
    pub(crate) record: Mutex<CallRecord>,
}

impl Call {
    pub(crate) async fn start(shared: &Arc<Shared>) -> Result<Arc<Call>> {
        let token = shared.auth.token().await?;
        if bearer(&token).is_none() {
            return Err(Error::validation(
                "access_token",
                "contains characters not allowed in an HTTP header",
            ));
        }
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

    /// The HTTP status of the final answer (200 when none was recorded).
    pub(crate) fn status(&self) -> u16 {
        self.record().status.unwrap_or(200)
    }

    /// Turns the generated method's result into this crate's result. `inputs` names what was
    /// sent, for an [`Error::OutcomeUnknown`].
    pub(crate) fn finish<T, E>(
        &self,
        result: std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>,
        inputs: impl FnOnce() -> Vec<String>,
    ) -> Result<T> {
        let mut record = self.record();
        let operation = match record.operation {
            Some(op) => format!("{}.{}", op.module, op.name),
            None => "request".to_owned(),
        };
        let operation = operation.as_str();
        let unknown = |cause: String| Error::OutcomeUnknown {
            operation: operation.to_owned(),
            inputs: inputs(),
            cause,
        };
        if let Some(failure) = record.failure.take() {
            let error = failure.into_error();
            return Err(if record.outcome_unknown {
                unknown(error.to_string())
            } else {
                error
            });
        }
        let error = match result {
            Ok(value) => return Ok(value.into_inner()),
            Err(error) => error,
        };
        if let Some(api) = record.error.take() {
            return Err(if record.outcome_unknown {
                unknown(api.to_string())
            } else {
                Error::from(api)
            });
        }
        match error {
            progenitor_client::Error::CommunicationError(e) => {
                let e = e.without_url();
                if record.outcome_unknown {
                    Err(unknown(e.to_string()))
                } else {
                    Err(Error::Transport(e))
                }
            }
            progenitor_client::Error::ResponseBodyError(e) => {
                let e = e.without_url();
                // HubSpot did the work; only its answer was lost.
                if !record.idempotent {
                    Err(unknown(format!(
                        "HTTP {} but the answer could not be read: {e}",
                        record.status.unwrap_or_default()
                    )))
                } else {
                    Err(Error::Transport(e))
                }
            }
            // HubSpot did the work of a create answered with a 2xx, whatever the body says
            // (an HTML page from a captive proxy, a 204, a record missing a field).
            progenitor_client::Error::InvalidResponsePayload(_, e) if !record.idempotent => {
                Err(unknown(format!(
                    "HTTP {} but the answer does not parse: {e}",
                    record.status.unwrap_or_default()
                )))
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

    /// Sends `request`, waiting for the rate limiters and retrying what is safe to retry.
    /// Bodies are read here, under the cap: error answers are kept in the record, and the
    /// response handed back carries the body read.
    async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
    ) -> reqwest::Result<reqwest::Response> {
        let idempotent = is_idempotent(operation);
        *self.record() = CallRecord {
            idempotent,
            operation: Some(operation),
            ..CallRecord::default()
        };
        let mut state = Attempts {
            operation,
            idempotent,
            span: tracing::Span::current(),
            // The budget counts from here: waiting for the limiters counts too.
            started: Instant::now(),
            waited: Duration::ZERO,
            token: self.token.clone(),
            number: 0,
            sent_ms: 0,
            reauthorized: false,
        };
        let mut request = request;
        // The outcome of the attempt before, while the next one has not been sent.
        let mut last: Option<Outcome> = None;
        loop {
            state.number += 1;
            self.record().attempts = state.number;
            state.span.record("attempt", state.number);
            let policy = &self.shared.retry;
            let retries_left =
                state.number < policy.max_attempts && state.started.elapsed() < policy.max_elapsed;
            // A copy for another attempt, while one may follow (a retry, or the one resend
            // with a new token after a 401).
            let next_try = if retries_left || !state.reauthorized {
                request.try_clone()
            } else {
                None
            };
            let held = match self.acquire(&mut state).await {
                Ok(held) => held,
                Err(refusal) => return self.refused(&mut state, last, refusal),
            };
            let this_try = self.authorize(&state, request);
            state.sent_ms = crate::limit::unix_millis();
            let sent = client.execute(this_try).await;
            self.shared.limiter.settle(held).await;
            let outcome = match sent {
                Ok(response) => self.classify_answer(&state, response).await,
                Err(error) => self.classify_failure(&state, error),
            };
            let (outcome, next_try) = match (outcome, next_try) {
                (Outcome::Rejected(rejected), Some(next_try))
                    if rejected.status == reqwest::StatusCode::UNAUTHORIZED
                        && !state.reauthorized =>
                {
                    state.reauthorized = true;
                    match self.reauthorize(&mut state).await {
                        Reauthorized::Yes => {
                            tracing::warn!(
                                attempt = state.number,
                                "HubSpot answered 401; resending once with a new token"
                            );
                            request = next_try;
                            last = Some(Outcome::Rejected(rejected));
                            continue;
                        }
                        Reauthorized::No => (Outcome::Rejected(rejected), None),
                        Reauthorized::Failed(error) => {
                            let response = self.give_up(&state, Outcome::Rejected(rejected));
                            self.record().failure = Some(Failure::Auth(error));
                            return response;
                        }
                    }
                }
                (outcome, next_try) => (outcome, next_try.filter(|_| retries_left)),
            };
            match (outcome, next_try) {
                (Outcome::Retry { wait, cause }, Some(next_try))
                    if state.started.elapsed().saturating_add(wait) <= policy.max_elapsed =>
                {
                    cause.log_retry(state.number, wait);
                    self.wait(&mut state, wait).await;
                    request = next_try;
                    last = Some(Outcome::Retry { wait, cause });
                }
                (outcome, _) => return self.give_up(&state, outcome),
            }
        }
    }

    /// Waits for room in the limiters, within the call's budget; asks for the token again
    /// after a wait or before a retry.
    async fn acquire(&self, state: &mut Attempts) -> std::result::Result<Option<Held>, Refusal> {
        let deadline = state.started.checked_add(self.shared.retry.max_elapsed);
        let (waited, held) = self
            .shared
            .limiter
            .acquire(is_search(state.operation), deadline)
            .await?;
        state.add_wait(waited);
        if state.number > 1 || !waited.is_zero() {
            // A long wait can outlive the token: ask again, keep the old one if that fails.
            if let Ok(fresh) = self.shared.auth.token().await
                && bearer(&fresh).is_some()
            {
                state.token = fresh;
            }
        }
        Ok(held)
    }

    /// The limiter did not let the attempt go: a retry ends with the outcome it was to retry;
    /// a first attempt, never sent, with the refusal's error
    /// ([`Error::RateLimitWaitTooLong`], [`Error::DailyBudgetSpent`] or
    /// [`Error::RateLimitStore`]).
    fn refused(
        &self,
        state: &mut Attempts,
        last: Option<Outcome>,
        refusal: Refusal,
    ) -> reqwest::Result<reqwest::Response> {
        let max_elapsed = self.shared.retry.max_elapsed;
        let failure = match refusal {
            Refusal::Wait(wait) => {
                tracing::warn!(
                    wait_ms = wait.as_millis() as u64,
                    max_elapsed_ms = max_elapsed.as_millis() as u64,
                    "the rate limiter would hold the request past the call's budget; not sending it"
                );
                Failure::LimiterWait { wait, max_elapsed }
            }
            Refusal::DailySpent { budget, resets_at } => {
                tracing::warn!(
                    budget,
                    %resets_at,
                    "the daily request budget is used up; not sending the request"
                );
                Failure::DailyBudget { budget, resets_at }
            }
            Refusal::Unavailable(message) => Failure::LimitStore(message),
        };
        // The attempt under way was not made.
        state.number -= 1;
        self.record().attempts = state.number;
        state.span.record("attempt", state.number);
        if let Some(last) = last {
            return self.give_up(state, last);
        }
        self.record().failure = Some(failure);
        // Never sent: any error status makes the generated method fail, and
        // [`Call::finish`] reports the failure recorded.
        Ok(rebuild(
            reqwest::StatusCode::TOO_MANY_REQUESTS,
            HeaderMap::new(),
            bytes::Bytes::new(),
        ))
    }

    /// After a 401: whether the token source can give another token (an OAuth refresh), and
    /// takes it.
    async fn reauthorize(&self, state: &mut Attempts) -> Reauthorized {
        let auth = &self.shared.auth;
        if !auth.invalidate(&state.token).await {
            return Reauthorized::No;
        }
        match auth.token().await {
            Ok(fresh) if bearer(&fresh).is_some() && fresh != state.token => {
                state.token = fresh;
                Reauthorized::Yes
            }
            Ok(_) => Reauthorized::No,
            Err(error) => Reauthorized::Failed(error),
        }
    }

    /// Puts the current token on the request.
    fn authorize(&self, state: &Attempts, mut request: reqwest::Request) -> reqwest::Request {
        if let Some(value) = bearer(&state.token) {
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        request
    }

    /// What an answer means: success, an error to retry after a wait, or a final error. The
    /// body is read here, under the cap; error answers are judged by [`judge_status`].
    async fn classify_answer(&self, state: &Attempts, response: reqwest::Response) -> Outcome {
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
        let (bucket, window) = if status.as_u16() == 429 {
            shared.rate_limited(state.operation, &error, reported_window)
        } else {
            (None, None)
        };
        let policy = &shared.retry;
        let wait = match judge_status(&error, window, policy, state.number) {
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
        };
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

    /// What a failed attempt (no answer) means: a create that may have reached HubSpot is
    /// never resent; anything else backs off and retries.
    fn classify_failure(&self, state: &Attempts, error: reqwest::Error) -> Outcome {
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

    /// Sleeps before the next attempt, counting the wait.
    async fn wait(&self, state: &mut Attempts, wait: Duration) {
        tokio::time::sleep(wait).await;
        state.add_wait(wait);
    }

    /// Ends the call with `outcome`: records what happened for [`Call::finish`].
    fn give_up(&self, state: &Attempts, outcome: Outcome) -> reqwest::Result<reqwest::Response> {
        let limit = self.shared.max_body_bytes;
        match outcome {
            Outcome::Answered(response) => {
                self.record().status = Some(response.status().as_u16());
                tracing::debug!("HubSpot answered");
                Ok(response)
            }
            Outcome::TooLarge { status, headers } => {
                tracing::warn!(
                    status = status.as_u16(),
                    limit,
                    "the answer's body is over the cap; not read"
                );
                let mut record = self.record();
                record.status = Some(status.as_u16());
                // A create answered with a 2xx was carried out.
                record.outcome_unknown = !state.idempotent;
                record.failure = Some(Failure::BodyTooLarge {
                    limit,
                    status: status.as_u16(),
                });
                Ok(rebuild(status, headers, bytes::Bytes::new()))
            }
            Outcome::Rejected(rejected)
            | Outcome::Retry {
                cause: Cause::Rejected(rejected),
                ..
            } => {
                tracing::debug!("HubSpot answered an error");
                let mut record = self.record();
                record.status = Some(rejected.status.as_u16());
                record.outcome_unknown =
                    !state.idempotent && may_have_been_processed(rejected.status.as_u16());
                let Rejected {
                    status,
                    headers,
                    body,
                    too_large,
                    error,
                } = *rejected;
                if too_large {
                    record.failure = Some(Failure::BodyTooLarge {
                        limit,
                        status: status.as_u16(),
                    });
                }
                record.error = Some(error);
                Ok(rebuild(status, headers, body))
            }
            Outcome::Failed(error)
            | Outcome::Retry {
                cause: Cause::Failed(error),
                ..
            } => {
                tracing::debug!(error = %error.without_url_ref(), "request failed");
                if may_have_reached_hubspot(&error) && !state.idempotent {
                    self.record().outcome_unknown = true;
                }
                Err(error)
            }
        }
    }
}

/// Whether a new token could be had after a 401.
enum Reauthorized {
    /// Yes, and it is in place.
    Yes,
    /// The token source has no other token.
    No,
    /// Getting one failed.
    Failed(AuthError),
}

/// What one call's attempts share.
struct Attempts {
    operation: Operation,
    idempotent: bool,
    span: tracing::Span,
    /// When the first attempt left the limiters.
    started: Instant,
    /// Time spent waiting for the limiters and between attempts.
    waited: Duration,
    token: Secret,
    /// The attempt under way, from 1.
    number: u32,
    /// When the attempt under way was sent, by the wall clock (ms since the epoch): the
    /// daily count HubSpot reports is of that day.
    sent_ms: i64,
    /// Whether the request was already resent with a new token after a 401.
    reauthorized: bool,
}

impl Attempts {
    fn add_wait(&mut self, wait: Duration) {
        self.waited = self.waited.saturating_add(wait);
        self.span.record("wait_ms", self.waited.as_millis() as u64);
    }
}

/// An error answer, read whole (or not at all, when over the cap).
struct Rejected {
    status: reqwest::StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
    /// The body was over the cap and not read.
    too_large: bool,
    error: ApiError,
}

/// Why an attempt is retried.
enum Cause {
    Rejected(Box<Rejected>),
    Failed(reqwest::Error),
}

impl Cause {
    fn log_retry(&self, attempt: u32, wait: Duration) {
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
enum Outcome {
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

/// The `Authorization` value for `token`, marked sensitive so it is never logged; `None` when
/// the token cannot be a header value.
fn bearer(token: &Secret) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
    value.set_sensitive(true);
    Some(value)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn op(module: &'static str, name: &'static str) -> Operation {
        Operation { module, name }
    }

    #[test]
    fn creates_are_never_blindly_resent() {
        for module in [
            "leads",
            "contacts",
            "companies",
            "properties",
            "association_labels",
        ] {
            assert!(!is_idempotent(op(module, "create")), "{module}.create");
            assert!(
                !is_idempotent(op(module, "batch_create")),
                "{module}.batch_create"
            );
        }
        assert!(!is_idempotent(op("contacts", "merge")));
        assert!(!is_idempotent(op("properties", "create_group")));
        assert!(!is_idempotent(op(
            "associations",
            "request_high_usage_report"
        )));
        for name in [
            "get",
            "list",
            "search",
            "update",
            "archive",
            "batch_read",
            "batch_update",
            "batch_upsert",
            "batch_archive",
            "associate",
            "remove_association",
        ] {
            assert!(is_idempotent(op("leads", name)), "leads.{name}");
        }
        // Associating twice leaves one association.
        assert!(is_idempotent(op("associations", "create")));
        assert!(is_idempotent(op("associations", "batch_create")));
    }

    #[test]
    fn a_dated_module_is_judged_as_the_module_it_stands_beside() {
        assert_eq!(api_family("associations_2026_09"), "associations");
        assert_eq!(
            api_family("association_labels_2026_09"),
            "association_labels"
        );
        assert_eq!(api_family("objects"), "objects");
        assert_eq!(api_family("_2026_09"), "_2026_09");
        assert_eq!(api_family("leads_v3_09"), "leads_v3_09");
        assert!(is_idempotent(op("associations_2026_09", "create")));
        assert!(is_idempotent(op("associations_2026_09", "batch_create")));
        assert!(!is_idempotent(op(
            "associations_2026_09",
            "request_high_usage_report"
        )));
        for module in [
            "objects_2026_09",
            "properties_2026_09",
            "association_labels_2026_09",
        ] {
            assert!(!is_idempotent(op(module, "create")), "{module}.create");
            assert!(
                !is_idempotent(op(module, "batch_create")),
                "{module}.batch_create"
            );
        }
        assert!(!is_idempotent(op("properties_2026_09", "create_group")));
        assert!(is_idempotent(op("objects_2026_09", "batch_upsert")));
    }

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
