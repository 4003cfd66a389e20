//! The seam between the generated client and the network: authentication, rate limiting,
//! retries and tracing for every request.

mod attempt;
mod call;
mod classify;

use std::sync::Arc;

use hubspot_crm_api::{BoxFuture, Operation};
use tracing::Instrument;

use crate::auth::TokenProvider;
use crate::limit::Limiter;
use crate::retry::RetryPolicy;

pub(crate) use call::{Call, CallRecord, Failure};

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

    use std::time::Duration;

    use crate::error::Error;

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
}
