//! The attempts of one call: admission by the limiters, the token, and the loop of attempts
//! and retries up to the call's budget.

use std::time::Duration;

use hubspot_crm_api::Operation;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tokio::time::Instant;

use crate::auth::Secret;
use crate::error::{AuthError, Error};
use crate::limit::{Held, Refusal};

use super::classify::Outcome;
use super::{Call, CallRecord, Failure, request_span};

/// A first attempt the limiters let go.
#[derive(Debug)]
pub(super) struct Admitted {
    pub(super) state: Attempts,
    held: Option<Held>,
}

impl Call {
    /// Lets the first attempt go through the limiters, within the call's budget (which
    /// counts from here), or refuses it with the typed error kept for [`Call::finish`].
    pub(super) async fn admit_first(
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
    pub(super) fn take_admitted(
        &self,
        request: &reqwest::Request,
        operation: Operation,
    ) -> Admitted {
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
    pub(super) async fn send(
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

    /// Sleeps before the next attempt, counting the wait.
    async fn wait(&self, state: &mut Attempts, wait: Duration) {
        tokio::time::sleep(wait).await;
        state.add_wait(wait);
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
pub(super) struct Attempts {
    pub(super) operation: Operation,
    pub(super) idempotent: bool,
    pub(super) span: tracing::Span,
    /// When the call began waiting for the limiters: its budget counts from here.
    started: Instant,
    /// Time spent waiting for the limiters and between attempts.
    waited: Duration,
    token: Secret,
    /// The attempt under way (or last made), from 1; 0 before the first.
    pub(super) number: u32,
    /// When the attempt under way was sent, by the wall clock (ms since the epoch): the
    /// daily count HubSpot reports is of that day.
    pub(super) sent_ms: i64,
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

/// The `Authorization` value for `token`, marked sensitive so it is never logged; `None` when
/// the token cannot be a header value.
pub(super) fn bearer(token: &Secret) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

#[cfg(test)]
mod tests {
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
}
