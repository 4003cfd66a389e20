//! Retries by status: what is retried, how long the client waits, and what is never resent.

use std::sync::Arc;
use std::time::Duration;

use crate::support::script_server::{Reply, ScriptServer, bad_gateway, lead_ok, rolling_429};
use crate::support::{
    client_with, lead_json, new_lead, new_lead_body, quick_retries, retrying_client,
};
use httpmock::prelude::*;
use hubspot_crm::api::leads::types::GetLeadsId;
use hubspot_crm::{
    BulkResult, Error, FailureCause, Lead, NewRecord, RateLimits, RecordUpdate, RetryPolicy,
};
use hubspot_crm_mock::leads::operations::{
    BatchCreateThen, BatchCreateWhen, CreateThen, CreateWhen, GetThen, GetWhen,
};
use serde_json::{Value, json};

const LEAD_PATH: &str = "/crm/v3/objects/leads/123";

/// The id of the lead these tests read: `LEAD_PATH` is its path.
fn lead_123() -> GetLeadsId {
    "123".parse().unwrap()
}

/// A generated type read from the JSON a test spells out.
fn typed<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).unwrap()
}

/// The one error every input of a single-request bulk create failed with: each input is
/// reported failed, in input order, by the same shared request error.
fn shared_request_error(result: &BulkResult<NewRecord>, traces: &[&str]) -> Arc<Error> {
    assert_eq!(result.outcomes.len(), traces.len());
    assert_eq!(result.succeeded().count(), 0);
    let mut shared: Option<Arc<Error>> = None;
    for (i, (outcome, trace)) in result.outcomes.iter().zip(traces).enumerate() {
        let failure = outcome.failed().expect("no input was confirmed");
        assert_eq!(failure.index, i);
        assert_eq!(failure.input.object_write_trace_id.as_deref(), Some(*trace));
        assert!(failure.may_have_been_applied());
        let FailureCause::RequestFailed(error) = &failure.cause else {
            panic!("expected the request's error, got {:?}", failure.cause);
        };
        let first = shared.get_or_insert_with(|| error.clone());
        assert!(Arc::ptr_eq(first, error), "one error, shared");
    }
    shared.expect("at least one input")
}

#[tokio::test]
async fn rolling_429_waits_for_the_reported_window_then_succeeds() {
    let server = ScriptServer::start(
        vec![
            rolling_429()
                .header("X-HubSpot-RateLimit-Max", "10")
                .header("X-HubSpot-RateLimit-Remaining", "0")
                .header("X-HubSpot-RateLimit-Interval-Milliseconds", "300"),
            lead_ok("123"),
        ],
        bad_gateway(500),
    )
    .await;
    // Without the header the wait would be 60 s, past the 5 s budget: the call would fail.
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy {
            max_elapsed: Duration::from_secs(5),
            rate_limit_wait: Duration::from_secs(60),
            ..quick_retries()
        })
        .rate_limits(RateLimits::default())
    });

    let lead = client.leads().get("123").await.unwrap();

    assert_eq!(lead.id, "123");
    assert_eq!(lead.properties["hs_lead_label"], None);
    let received = server.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path(), LEAD_PATH);
        assert_eq!(request.query(), Some("archived=false"));
        assert_eq!(
            request.header("authorization"),
            Some("Bearer pat-na1-test-token")
        );
    }
    let gap = received[1].at - received[0].at;
    assert!(gap >= Duration::from_millis(300), "retried after {gap:?}");
}

#[tokio::test]
async fn a_429_on_a_create_is_resent_because_hubspot_turned_it_away() {
    let server = ScriptServer::start(
        vec![
            rolling_429().header("X-HubSpot-RateLimit-Interval-Milliseconds", "50"),
            Reply::json(201, lead_json("901")),
        ],
        bad_gateway(500),
    )
    .await;
    let client = retrying_client(&server);

    let created = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap();

    assert_eq!(created.id, "901");
    let received = server.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path(), "/crm/v3/objects/leads");
        assert_eq!(request.json(), new_lead_body("Acme renewal"));
    }
}

#[tokio::test]
async fn daily_429_is_not_retried() {
    let server = MockServer::start_async().await;
    let daily = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&lead_123());
            GetThen::new(then)
                .client_error(
                    429,
                    json!({
                        "status": "error",
                        "message": "You have reached your daily limit.",
                        "errorType": "RATE_LIMIT",
                        "correlationId": "3d1c8a52-2f0e-4f7e-b4a1-6a3e0c7d9b21",
                        "policyName": "DAILY",
                        "groupName": "api"
                    }),
                )
                .into_inner()
                .header("X-HubSpot-RateLimit-Daily", "250000")
                .header("X-HubSpot-RateLimit-Daily-Remaining", "0");
        })
        .await;
    // A ten-secondly 429 would be retried after 10 ms with this policy.
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy {
            rate_limit_wait: Duration::from_millis(10),
            ..quick_retries()
        })
        .rate_limits(RateLimits::default())
    });

    let error = client.leads().get("123").await.unwrap_err();

    let Error::HubSpotDailyLimit(api) = &error else {
        panic!("expected HubSpotDailyLimit, got {error:?}");
    };
    assert_eq!(api.status, 429);
    assert_eq!(api.policy_name.as_deref(), Some("DAILY"));
    assert_eq!(
        api.correlation_id.as_deref(),
        Some("3d1c8a52-2f0e-4f7e-b4a1-6a3e0c7d9b21")
    );
    assert_eq!(daily.calls_async().await, 1);
}

#[tokio::test]
async fn gateway_errors_are_retried_for_a_read() {
    let server = ScriptServer::start(
        vec![
            bad_gateway(503),
            Reply::json(
                502,
                json!({"status": "error", "message": "Bad gateway", "correlationId": "c-502", "category": "BAD_GATEWAY"}),
            ),
            lead_ok("123"),
        ],
        bad_gateway(500),
    )
    .await;
    let client = retrying_client(&server);

    let lead = client.leads().get("123").await.unwrap();

    assert_eq!(lead.property("hs_lead_name"), Some("Acme renewal"));
    assert_eq!(server.hits(), 3);
    assert!(server.received().iter().all(|r| r.path() == LEAD_PATH));
}

#[tokio::test]
async fn gateway_errors_are_retried_for_an_update() {
    let server = ScriptServer::start(
        vec![bad_gateway(503), bad_gateway(524), lead_ok("123")],
        bad_gateway(500),
    )
    .await;
    let client = retrying_client(&server);

    let updated = client
        .leads()
        .update(RecordUpdate::new("123").property("hs_lead_label", "WARM"))
        .await
        .unwrap();

    assert_eq!(updated.id, "123");
    let received = server.received();
    assert_eq!(received.len(), 3);
    for request in &received {
        assert_eq!(request.method, "PATCH");
        assert_eq!(request.path(), LEAD_PATH);
        assert_eq!(
            request.json(),
            json!({"properties": {"hs_lead_label": "WARM"}})
        );
    }
}

#[tokio::test]
async fn retries_stop_at_max_attempts_with_the_last_answer() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&lead_123());
            GetThen::new(then)
                .into_inner()
                .status(503)
                .header("content-type", "text/html")
                .body("<html><body>Service Unavailable</body></html>");
        })
        .await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy {
            max_attempts: 3,
            ..quick_retries()
        })
    });

    let error = client.leads().get("123").await.unwrap_err();

    let api = error.api_error().expect("an API error");
    assert_eq!(api.status, 503);
    assert_eq!(
        api.raw_body.as_deref(),
        Some("<html><body>Service Unavailable</body></html>")
    );
    assert_eq!(unavailable.calls_async().await, 3);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&lead_123());
            GetThen::new(then)
                .into_inner()
                .status(503)
                .body("unavailable");
        })
        .await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy::disabled())
            .rate_limits(RateLimits::default())
    });

    let error = client.leads().get("123").await.unwrap_err();

    assert_eq!(error.status(), Some(503));
    assert_eq!(unavailable.calls_async().await, 1);
}

#[tokio::test]
async fn a_wait_past_the_time_budget_gives_up_at_once() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&lead_123());
            GetThen::new(then)
                .into_inner()
                .status(503)
                .header("Retry-After", "3600")
                .body("");
        })
        .await;
    let client = retrying_client(&server);

    let error = client.leads().get("123").await.unwrap_err();

    let api = error.api_error().expect("an API error");
    assert_eq!(api.status, 503);
    assert_eq!(api.retry_after_secs, Some(3600));
    assert_eq!(unavailable.calls_async().await, 1);
}

#[tokio::test]
async fn a_503_on_a_create_is_not_resent_and_the_outcome_is_unknown() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            CreateWhen::new(when).body(&typed(new_lead_body("Acme renewal")));
            CreateThen::new(then)
                .into_inner()
                .status(503)
                .header("content-type", "text/html")
                .body("<html><body>Service Unavailable</body></html>");
        })
        .await;
    let client = retrying_client(&server);

    let error = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap_err();

    let Error::OutcomeUnknown {
        operation,
        inputs,
        cause,
    } = &error
    else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert_eq!(operation, "objects.create");
    assert_eq!(inputs, &["input 0"]);
    assert!(cause.contains("503"), "{cause}");
    assert_eq!(create.calls_async().await, 1);
}

#[tokio::test]
async fn a_503_on_a_batch_create_names_every_input() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when)
                .into_inner()
                .json_body_includes(r#"{"inputs": [{"objectWriteTraceId": "trace-a"}, {"objectWriteTraceId": "trace-b"}]}"#);
            BatchCreateThen::new(then).into_inner().status(503).body("");
        })
        .await;
    let client = retrying_client(&server);

    let result = client
        .objects::<Lead>()
        .create_many(vec![
            new_lead("Acme", Some("trace-a")),
            new_lead("Globex", Some("trace-b")),
        ])
        .await
        .unwrap();

    let error = shared_request_error(&result, &["trace-a", "trace-b"]);
    let Error::OutcomeUnknown {
        operation, inputs, ..
    } = error.as_ref()
    else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert_eq!(operation, "objects.batch_create");
    assert_eq!(
        inputs,
        &["objectWriteTraceId trace-a", "objectWriteTraceId trace-b"]
    );
    assert!(error.to_string().contains("trace-a"));
    assert_eq!(create.calls_async().await, 1);
}

#[tokio::test]
async fn a_timed_out_create_is_not_resent() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            CreateWhen::new(when).body(&typed(new_lead_body("Acme renewal")));
            CreateThen::new(then)
                .success(201, &typed(lead_json("901")))
                .into_inner()
                .delay(Duration::from_secs(2));
        })
        .await;
    let client = client_with(&server, |b| {
        b.timeout(Duration::from_millis(300))
            .retry(quick_retries())
            .rate_limits(RateLimits::default())
    });

    let error = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap_err();

    let Error::OutcomeUnknown {
        operation, inputs, ..
    } = &error
    else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert_eq!(operation, "objects.create");
    assert_eq!(inputs, &["input 0"]);
    assert_eq!(create.calls_async().await, 1);
}

#[tokio::test]
async fn a_timed_out_read_is_resent() {
    let server = ScriptServer::start(
        vec![lead_ok("123").delay(Duration::from_secs(2)), lead_ok("123")],
        bad_gateway(500),
    )
    .await;
    let client = client_with(&server, |b| {
        b.timeout(Duration::from_millis(300))
            .retry(quick_retries())
            .rate_limits(RateLimits::default())
    });

    let lead = client.leads().get("123").await.unwrap();

    assert_eq!(lead.id, "123");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_connection_lost_after_sending_a_create_is_not_resent() {
    let server = ScriptServer::start(vec![Reply::hang_up()], lead_ok("901")).await;
    let client = retrying_client(&server);

    let result = client
        .objects::<Lead>()
        .create_many(vec![new_lead("Acme", Some("trace-a"))])
        .await
        .unwrap();

    let error = shared_request_error(&result, &["trace-a"]);
    let Error::OutcomeUnknown { inputs, .. } = error.as_ref() else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert_eq!(inputs, &["objectWriteTraceId trace-a"]);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn an_error_a_create_was_refused_with_is_reported_as_is() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            CreateWhen::new(when);
            CreateThen::new(then).client_error(
                400,
                json!({
                    "status": "error",
                    "message": "Property values were not valid",
                    "correlationId": "c-400",
                    "category": "VALIDATION_ERROR",
                    "errors": [{"message": "Property \"hs_lead_type\" does not exist", "code": "PROPERTY_DOESNT_EXIST"}]
                }),
            );
        })
        .await;
    let client = retrying_client(&server);

    let error = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap_err();

    let api = error
        .api_error()
        .expect("a plain API error, the outcome is known");
    assert_eq!(api.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(create.calls_async().await, 1);
}

#[tokio::test]
async fn retry_after_is_honoured_on_477() {
    let server = ScriptServer::start(
        vec![
            Reply::json(
                477,
                json!({"status": "error", "message": "Portal is being migrated", "correlationId": "c-477", "category": "MIGRATION_IN_PROGRESS"}),
            )
            .header("Retry-After", "1"),
            Reply::json(201, lead_json("901")),
        ],
        bad_gateway(500),
    )
    .await;
    // Backoff alone would wait at most 20 ms.
    let client = retrying_client(&server);

    // A 477 means the request was turned away: even a create is sent again.
    let created = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap();

    assert_eq!(created.id, "901");
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[1] - arrivals[0] >= Duration::from_secs(1));
}

#[tokio::test]
async fn retry_after_is_honoured_on_503() {
    let server = ScriptServer::start(
        vec![bad_gateway(503).header("Retry-After", "1"), lead_ok("123")],
        bad_gateway(500),
    )
    .await;
    let client = retrying_client(&server);

    client.leads().get("123").await.unwrap();

    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[1] - arrivals[0] >= Duration::from_secs(1));
}

#[tokio::test]
async fn locked_423_waits_at_least_two_seconds() {
    let server = ScriptServer::start(
        vec![
            Reply::json(
                423,
                json!({"status": "error", "message": "The record is locked", "correlationId": "c-423", "category": "LOCKED"}),
            ),
            lead_ok("123"),
        ],
        bad_gateway(500),
    )
    .await;
    let client = retrying_client(&server);

    client.leads().get("123").await.unwrap();

    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[1] - arrivals[0] >= Duration::from_secs(2));
}

#[tokio::test]
async fn absurd_rate_limit_headers_from_a_proxy_are_survived() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&lead_123());
            GetThen::new(then)
                .client_error(429, crate::support::rolling_429_body())
                .into_inner()
                .header("Retry-After", "18446744073709551615")
                .header("X-HubSpot-RateLimit-Max", "18446744073709551615")
                .header("X-HubSpot-RateLimit-Remaining", "0")
                .header(
                    "X-HubSpot-RateLimit-Interval-Milliseconds",
                    "18446744073709551615",
                );
        })
        .await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy::default())
            .rate_limits(RateLimits::default())
    });

    // The wait asked for is far past the retry budget: the 429 comes back, no panic, no hang.
    let error = client.leads().get("123").await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    limited.assert_calls_async(1).await;
}
