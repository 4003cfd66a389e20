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
use crate::http::{BodyError, read_body};
use crate::limit::{Bucket, Held, Limiter, Refusal};
use crate::retry::{
    RetryPolicy, StatusVerdict, judge_status, may_have_been_processed, parse_retry_after,
};

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
    /// Why the limiter did not let the request go at all: the generated method failed with
    /// its text ([`progenitor_client::Error::Custom`]), and this is the typed error.
    pub(crate) refused: Option<Error>,
}

/// A failure decided by the transport.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The answer's body was over the cap.
    BodyTooLarge { limit: u64, status: u16 },
    /// After a 401, no new token could be had.
    Auth(AuthError),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::BodyTooLarge { limit, status } => Error::BodyTooLarge { limit, status },
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
    /// The first attempt, let go by the limiters and not sent yet: from
    /// [`Transport::admit`](hubspot_crm_api::Transport::admit) to
    /// [`Transport::execute`](hubspot_crm_api::Transport::execute).
    admitted: Mutex<Option<Admitted>>,
}

/// A first attempt the limiters let go.
#[derive(Debug)]
struct Admitted {
    state: Attempts,
    held: Option<Held>,
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
            admitted: Mutex::new(None),
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
        Err(generated_error(&mut record, error, unknown))
    }

    /// Lets the first attempt go through the limiters, within the call's budget (which
    /// counts from here), or refuses it with the typed error kept for [`Call::finish`].
    async fn admit_first(
        &self,
        operation: Operation,
        span: tracing::Span,
    ) -> std::result::Result<(), String> {
        let idempotent = operation.facts.kind.may_resend();
        *self.record() = CallRecord {
            idempotent,
            operation: Some(operation),
            ..CallRecord::default()
        };
        let mut state = Attempts::new(operation, span, self.token.clone());
        match self.acquire(&mut state).await {
            Ok(held) => {
                *self.admitted() = Some(Admitted { state, held });
                Ok(())
            }
            Err(refusal) => {
                state.span.record("attempt", 0);
                let error = self.refusal_error(refusal);
                let reason = error.to_string();
                self.record().refused = Some(error);
                Err(reason)
            }
        }
    }

    fn admitted(&self) -> std::sync::MutexGuard<'_, Option<Admitted>> {
        self.admitted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The first attempt [`Call::admit_first`] let go. A request the generated client sends
    /// without asking first goes without waiting for the limiters.
    fn take_admitted(&self, request: &reqwest::Request, operation: Operation) -> Admitted {
        if let Some(admitted) = self.admitted().take() {
            return admitted;
        }
        *self.record() = CallRecord {
            idempotent: operation.facts.kind.may_resend(),
            operation: Some(operation),
            ..CallRecord::default()
        };
        let span = request_span(request, operation);
        Admitted {
            state: Attempts::new(operation, span, self.token.clone()),
            held: None,
        }
    }

    /// Sends `request`, retrying what is safe to retry; each retry waits for the limiters
    /// again. Bodies are read here, under the cap: error answers are kept in the record, and
    /// the response handed back carries the body read.
    async fn send(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        admitted: Admitted,
    ) -> reqwest::Result<reqwest::Response> {
        let Admitted {
            mut state,
            mut held,
        } = admitted;
        let policy = self.shared.retry;
        // Nothing of the budget is spent before the first attempt.
        let mut within_budget = !policy.max_elapsed.is_zero();
        loop {
            let retries_left = state.number + 1 < policy.max_attempts && within_budget;
            // A copy for another attempt, while one may follow (a retry, or the one resend
            // with a new token after a 401).
            let next_try = if retries_left || !state.reauthorized {
                request.try_clone()
            } else {
                None
            };
            let outcome = self.attempt(client, &mut state, request, held).await;
            let (resend, outcome) = match self
                .next_step(&mut state, outcome, next_try, retries_left)
                .await
            {
                Step::Resend { request, outcome } => (*request, outcome),
                Step::GiveUp(outcome) => return self.give_up(&state, outcome),
                Step::AuthFailed(outcome, error) => {
                    let response = self.give_up(&state, outcome);
                    self.record().failure = Some(Failure::Auth(error));
                    return response;
                }
            };
            within_budget = state.started.elapsed() < policy.max_elapsed;
            held = match self.acquire(&mut state).await {
                Ok(held) => held,
                // The limiter holds the retry back: the call ends with what it was to retry.
                Err(refusal) => {
                    self.refusal_error(refusal);
                    return self.give_up(&state, outcome);
                }
            };
            request = resend;
        }
    }

    /// Makes one attempt, `held` being its place in the limiters, and says what it came to.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        state: &mut Attempts,
        request: reqwest::Request,
        held: Option<Held>,
    ) -> Outcome {
        state.number += 1;
        self.record().attempts = state.number;
        state.span.record("attempt", state.number);
        let this_try = self.authorize(state, request);
        state.sent_ms = crate::limit::unix_millis();
        let sent = client.execute(this_try).await;
        self.shared.limiter.settle(held).await;
        match sent {
            Ok(response) => self.classify_answer(state, response).await,
            Err(error) => self.classify_failure(state, error),
        }
    }

    /// After an attempt: resend it (once with a new token after a 401, or after the wait
    /// of a retry within the budget) or end the call with `outcome`.
    async fn next_step(
        &self,
        state: &mut Attempts,
        outcome: Outcome,
        next_try: Option<reqwest::Request>,
        retries_left: bool,
    ) -> Step {
        let Some(next_try) = next_try else {
            return Step::GiveUp(outcome);
        };
        if let Outcome::Rejected(rejected) = &outcome
            && rejected.status == reqwest::StatusCode::UNAUTHORIZED
            && !state.reauthorized
        {
            state.reauthorized = true;
            return match self.reauthorize(state).await {
                Reauthorized::Yes => {
                    tracing::warn!(
                        attempt = state.number,
                        "HubSpot answered 401; resending once with a new token"
                    );
                    Step::Resend {
                        request: Box::new(next_try),
                        outcome,
                    }
                }
                Reauthorized::No => Step::GiveUp(outcome),
                Reauthorized::Failed(error) => Step::AuthFailed(outcome, error),
            };
        }
        match outcome {
            Outcome::Retry { wait, cause }
                if retries_left
                    && state.started.elapsed().saturating_add(wait)
                        <= self.shared.retry.max_elapsed =>
            {
                cause.log_retry(state.number, wait);
                self.wait(state, wait).await;
                Step::Resend {
                    request: Box::new(next_try),
                    outcome: Outcome::Retry { wait, cause },
                }
            }
            outcome => Step::GiveUp(outcome),
        }
    }

    /// Waits for room in the limiters, within the call's budget; asks for the token again
    /// after a wait or before a retry.
    async fn acquire(&self, state: &mut Attempts) -> std::result::Result<Option<Held>, Refusal> {
        let deadline = state.started.checked_add(self.shared.retry.max_elapsed);
        let (waited, held) = self
            .shared
            .limiter
            .acquire(state.operation.facts.kind.is_search(), deadline)
            .await?;
        state.add_wait(waited);
        if state.number > 0 || !waited.is_zero() {
            // A long wait can outlive the token: ask again, keep the old one if that fails.
            if let Ok(fresh) = self.shared.auth.token().await
                && bearer(&fresh).is_some()
            {
                state.token = fresh;
            }
        }
        Ok(held)
    }

    /// The error of the limiter's `refusal` to let an attempt go
    /// ([`Error::RateLimitWaitTooLong`], [`Error::DailyBudgetSpent`] or
    /// [`Error::RateLimitStore`]), logged.
    fn refusal_error(&self, refusal: Refusal) -> Error {
        let max_elapsed = self.shared.retry.max_elapsed;
        match refusal {
            Refusal::Wait(wait) => {
                tracing::warn!(
                    wait_ms = wait.as_millis() as u64,
                    max_elapsed_ms = max_elapsed.as_millis() as u64,
                    "the rate limiter would hold the request past the call's budget; not sending it"
                );
                Error::RateLimitWaitTooLong { wait, max_elapsed }
            }
            Refusal::DailySpent { budget, resets_at } => {
                tracing::warn!(
                    budget,
                    %resets_at,
                    "the daily request budget is used up; not sending the request"
                );
                Error::DailyBudgetSpent { budget, resets_at }
            }
            Refusal::Unavailable(message) => Error::RateLimitStore { message },
        }
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

/// This crate's error for a generated method's `error`, with what the transport recorded;
/// `unknown` makes an [`Error::OutcomeUnknown`] of a cause.
fn generated_error<E>(
    record: &mut CallRecord,
    error: progenitor_client::Error<E>,
    unknown: impl FnOnce(String) -> Error,
) -> Error {
    match error {
        progenitor_client::Error::CommunicationError(e) => {
            let e = e.without_url();
            if record.outcome_unknown {
                unknown(e.to_string())
            } else {
                Error::Transport(e)
            }
        }
        progenitor_client::Error::ResponseBodyError(e) => {
            let e = e.without_url();
            // HubSpot did the work; only its answer was lost.
            if !record.idempotent {
                unknown(format!(
                    "HTTP {} but the answer could not be read: {e}",
                    record.status.unwrap_or_default()
                ))
            } else {
                Error::Transport(e)
            }
        }
        // HubSpot did the work of a create answered with a 2xx, whatever the body says
        // (an HTML page from a captive proxy, a 204, a record missing a field).
        progenitor_client::Error::InvalidResponsePayload(_, e) if !record.idempotent => {
            unknown(format!(
                "HTTP {} but the answer does not parse: {e}",
                record.status.unwrap_or_default()
            ))
        }
        progenitor_client::Error::InvalidResponsePayload(body, e) => Error::Decode {
            status: record.status.unwrap_or_default(),
            message: e.to_string(),
            body: truncate(&body),
        },
        progenitor_client::Error::UnexpectedResponse(response) => Error::from(
            ApiError::from_response(response.status().as_u16(), b"", None),
        ),
        progenitor_client::Error::ErrorResponse(response) => Error::from(ApiError::from_response(
            response.status().as_u16(),
            b"",
            None,
        )),
        // Only the transport's refusal to send fails a hook.
        progenitor_client::Error::Custom(reason) => record
            .refused
            .take()
            .unwrap_or_else(|| Error::validation("request", reason)),
        progenitor_client::Error::InvalidRequest(message) => Error::validation("request", message),
        progenitor_client::Error::InvalidUpgrade(e) => Error::Transport(e.without_url()),
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
#[derive(Debug)]
struct Attempts {
    operation: Operation,
    idempotent: bool,
    span: tracing::Span,
    /// When the call began waiting for the limiters: its budget counts from here.
    started: Instant,
    /// Time spent waiting for the limiters and between attempts.
    waited: Duration,
    token: Secret,
    /// The attempt under way (or last made), from 1; 0 before the first.
    number: u32,
    /// When the attempt under way was sent, by the wall clock (ms since the epoch): the
    /// daily count HubSpot reports is of that day.
    sent_ms: i64,
    /// Whether the request was already resent with a new token after a 401.
    reauthorized: bool,
}

impl Attempts {
    fn new(operation: Operation, span: tracing::Span, token: Secret) -> Self {
        Attempts {
            operation,
            idempotent: operation.facts.kind.may_resend(),
            span,
            started: Instant::now(),
            waited: Duration::ZERO,
            token,
            number: 0,
            sent_ms: 0,
            reauthorized: false,
        }
    }

    fn add_wait(&mut self, wait: Duration) {
        self.waited = self.waited.saturating_add(wait);
        self.span.record("wait_ms", self.waited.as_millis() as u64);
    }
}

/// What follows an attempt.
enum Step {
    /// Send `request` again; `outcome` is the call's end if the limiters refuse that.
    Resend {
        request: Box<reqwest::Request>,
        outcome: Outcome,
    },
    /// End the call with this outcome.
    GiveUp(Outcome),
    /// End the call with this outcome: after a 401, no new token could be had.
    AuthFailed(Outcome, AuthError),
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

/// The span of one request, from its admission to its last attempt.
fn request_span(request: &reqwest::Request, operation: Operation) -> tracing::Span {
    tracing::info_span!(
        "hubspot_request",
        operation = %format_args!("{}.{}", operation.module, operation.name),
        method = %request.method(),
        path = %request.url().path(),
        status = tracing::field::Empty,
        attempt = tracing::field::Empty,
        wait_ms = tracing::field::Empty,
        correlation_id = tracing::field::Empty,
    )
}

impl hubspot_crm_api::Transport for Call {
    fn admit<'a>(
        &'a self,
        request: &'a reqwest::Request,
        operation: Operation,
    ) -> BoxFuture<'a, std::result::Result<(), String>> {
        let span = request_span(request, operation);
        Box::pin(self.admit_first(operation, span.clone()).instrument(span))
    }

    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let admitted = self.take_admitted(&request, operation);
        let span = admitted.state.span.clone();
        Box::pin(self.send(client, request, admitted).instrument(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use hubspot_crm_api::{OperationFacts, OperationKind};

    /// Facts of a generated module's operations, by name.
    type Facts = fn(&str) -> Option<OperationFacts>;

    fn may_resend(facts: Facts, name: &str) -> bool {
        facts(name)
            .unwrap_or_else(|| panic!("no operation `{name}`"))
            .kind
            .may_resend()
    }

    #[test]
    fn creates_are_never_blindly_resent() {
        use hubspot_crm_api::{association_labels, associations, leads, objects, properties};
        let modules: [(&str, Facts); 4] = [
            ("leads", leads::facts),
            ("objects", objects::facts),
            ("properties", properties::facts),
            ("association_labels", association_labels::facts),
        ];
        for (module, facts) in modules {
            assert!(!may_resend(facts, "create"), "{module}.create");
            if module != "association_labels" {
                assert!(!may_resend(facts, "batch_create"), "{module}.batch_create");
            }
        }
        assert!(!may_resend(properties::facts, "create_group"));
        assert!(!may_resend(
            associations::facts,
            "request_high_usage_report"
        ));
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
            assert!(may_resend(leads::facts, name), "leads.{name}");
        }
        // Associating twice leaves one association.
        assert!(may_resend(associations::facts, "create"));
        assert!(may_resend(associations::facts, "batch_create"));
    }

    #[test]
    fn a_dated_module_is_judged_as_the_module_it_stands_beside() {
        use hubspot_crm_api::{
            association_labels_2026_09, associations, associations_2026_09, objects,
            objects_2026_09, properties_2026_09,
        };
        assert_eq!(associations_2026_09::FAMILY, associations::FAMILY);
        assert_eq!(objects_2026_09::FAMILY, objects::FAMILY);
        assert_eq!(objects_2026_09::VERSION, "2026-09");
        assert_eq!(objects::VERSION, "v3");
        assert!(may_resend(associations_2026_09::facts, "create"));
        assert!(may_resend(associations_2026_09::facts, "batch_create"));
        assert!(!may_resend(
            associations_2026_09::facts,
            "request_high_usage_report"
        ));
        let modules: [(&str, Facts); 3] = [
            ("objects_2026_09", objects_2026_09::facts),
            ("properties_2026_09", properties_2026_09::facts),
            (
                "association_labels_2026_09",
                association_labels_2026_09::facts,
            ),
        ];
        for (module, facts) in modules {
            assert!(!may_resend(facts, "create"), "{module}.create");
            if module != "association_labels_2026_09" {
                assert!(!may_resend(facts, "batch_create"), "{module}.batch_create");
            }
        }
        assert!(!may_resend(properties_2026_09::facts, "create_group"));
        assert!(may_resend(objects_2026_09::facts, "batch_upsert"));
    }

    #[test]
    fn only_searches_count_against_the_search_limit() {
        use hubspot_crm_api::{leads, objects, objects_2026_09};
        let modules: [Facts; 3] = [leads::facts, objects::facts, objects_2026_09::facts];
        for facts in modules {
            assert_eq!(facts("search").unwrap().kind, OperationKind::Search);
            for name in ["get", "list", "batch_read", "create", "update"] {
                assert!(!facts(name).unwrap().kind.is_search(), "{name}");
            }
        }
    }

    /// A call whose limiter has no room for a minute (its one slot taken), with a budget of
    /// a second, to an address that would refuse the connection.
    async fn call_the_limiter_refuses() -> Arc<Call> {
        let limits = crate::RateLimits {
            general: Some(crate::Window::new(1, Duration::from_secs(60))),
            search: None,
            follow_headers: false,
            daily: None,
        };
        let limiter = Limiter::in_process(limits);
        limiter.acquire(false, None).await.unwrap();
        let shared = Arc::new(Shared::new(
            "http://127.0.0.1:9".to_owned(),
            reqwest::Client::new(),
            Arc::new(crate::auth::StaticToken::new("pat-na1-token")),
            RetryPolicy {
                max_elapsed: Duration::from_secs(1),
                ..RetryPolicy::default()
            },
            limiter,
            crate::http::DEFAULT_MAX_BODY_BYTES,
        ));
        Call::start(&shared).await.unwrap()
    }

    #[tokio::test]
    async fn a_limiter_refusal_reaches_the_generated_method_as_the_clients_own_error() {
        let call = call_the_limiter_refuses().await;
        let api = hubspot_crm_api::leads::Client::new_with_client(
            "http://127.0.0.1:9",
            reqwest::Client::new(),
            call.clone(),
        );
        let result = api.get().leads_id("123").send().await;
        let generated = result.as_ref().unwrap_err();
        // No answer stands for a request never sent.
        assert_eq!(generated.status(), None, "{generated:?}");
        let progenitor_client::Error::Custom(reason) = generated else {
            panic!("expected the transport's refusal, got {generated:?}");
        };
        let reason = reason.clone();
        assert!(reason.contains("rate limit"), "{reason}");
        assert!(!reason.contains("429"), "{reason}");
        assert_eq!(call.record().status, None);
        assert_eq!(call.record().attempts, 0);

        let error = call.finish(result, Vec::new).unwrap_err();
        let Error::RateLimitWaitTooLong { wait, max_elapsed } = &error else {
            panic!("expected RateLimitWaitTooLong, got {error:?}");
        };
        assert_eq!(*max_elapsed, Duration::from_secs(1));
        assert!(*wait > Duration::from_secs(1), "{wait:?}");
        assert_eq!(error.status(), None);
        assert_eq!(error.to_string(), reason);
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
