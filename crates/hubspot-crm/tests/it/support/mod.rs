//! Setup shared by the integration tests: clients pointed at a test server, a catch-all mock
//! that proves nothing was sent, and HubSpot-shaped JSON. Tests that need a different answer
//! for each attempt of one call use [`script_server`] instead of httpmock.

// A few helpers are kept for the tests that come and go (e.g. `ScriptServer::unused`).
#![allow(dead_code)]

pub mod script_server;

use std::time::Duration;

use httpmock::prelude::*;
use hubspot_crm::{
    AssociationCategory, AssociationType, Client, ClientBuilder, Error, NewRecord, RateLimits,
    Record, RetryPolicy, ValidationError,
};
use serde_json::{Value, json};

/// The private app token test clients send.
pub const TOKEN: &str = "pat-na1-test-token";

/// Where a test client sends its requests: a mock server, a scripted server, or a URL.
pub trait Endpoint {
    /// The base URL.
    fn endpoint(&self) -> String;
}

impl Endpoint for MockServer {
    fn endpoint(&self) -> String {
        self.base_url()
    }
}

impl Endpoint for str {
    fn endpoint(&self) -> String {
        self.to_owned()
    }
}

impl Endpoint for String {
    fn endpoint(&self) -> String {
        self.clone()
    }
}

/// A client for `endpoint` that sends [`TOKEN`], never retries and never waits for a
/// client-side rate limit: each call sends exactly one request, at once.
pub fn client(endpoint: &(impl Endpoint + ?Sized)) -> Client {
    client_with(endpoint, |builder| builder)
}

/// A client like [`client`] with the settings a test changes (another token, retries, rate
/// limits, a timeout) applied by `customize`.
pub fn client_with(
    endpoint: &(impl Endpoint + ?Sized),
    customize: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Client {
    customize(
        Client::builder()
            .access_token(TOKEN)
            .base_url(endpoint.endpoint())
            .retry(RetryPolicy::disabled())
            .rate_limits(RateLimits::off()),
    )
    .build()
    .unwrap()
}

/// A client like [`client`] that retries with [`quick_retries`].
pub fn retrying_client(endpoint: &(impl Endpoint + ?Sized)) -> Client {
    client_with(endpoint, |builder| builder.retry(quick_retries()))
}

/// A client like [`client`] with the library's default retry policy, for tests of what an
/// ordinary client does (chunked bulk calls, streams, token refresh).
pub fn default_retry_client(endpoint: &(impl Endpoint + ?Sized)) -> Client {
    client_with(endpoint, |builder| builder.retry(RetryPolicy::default()))
}

/// A retry policy with millisecond backoff, so tests of retries are quick. A 429 that says
/// nothing about its window still waits a minute, past most tests' budgets.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        rate_limit_wait: Duration::from_secs(60),
    }
}

/// Up to `max_attempts` attempts with waits of a millisecond or two, even after a bare 429,
/// so counting attempts stays fast.
pub fn tiny_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        max_elapsed: Duration::from_secs(30),
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        rate_limit_wait: Duration::from_millis(1),
    }
}

/// Answers anything with a 500, so a test can assert that nothing was sent.
pub async fn catch_all(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|_when, then| {
            then.status(500);
        })
        .await
}

/// The validation error of `result`; panics on anything else.
pub fn expect_validation<T: std::fmt::Debug>(result: hubspot_crm::Result<T>) -> ValidationError {
    match result {
        Err(Error::Validation(e)) => e,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// An association type the account defined (a custom label).
pub fn user_defined(type_id: i32) -> AssociationType {
    AssociationType {
        category: AssociationCategory::UserDefined,
        type_id,
    }
}

/// A JSON answer with HubSpot's content type, for `respond_with` handlers.
pub fn json_response(status: u16, body: &Value) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(status)
        .header("content-type", "application/json;charset=utf-8")
        .body(serde_json::to_vec(body).unwrap())
        .build()
}

/// The body of a request a `respond_with` handler got, parsed as JSON.
/// A batch write's inputs less the `objectWriteTraceId` the client gives each, after
/// checking that every input carries one of its own (blank or repeated fails the test).
pub fn untraced_inputs(body: &Value) -> Value {
    let mut body = body.clone();
    let mut traces = std::collections::HashSet::new();
    for input in body["inputs"].as_array_mut().expect("a batch body") {
        let trace = input
            .as_object_mut()
            .unwrap()
            .remove("objectWriteTraceId")
            .expect("every input carries a trace id");
        let trace = trace.as_str().expect("a string trace id").to_owned();
        assert!(!trace.trim().is_empty(), "a blank trace id");
        assert!(traces.insert(trace), "a trace id used twice in one request");
    }
    body
}

/// Matches a batch write whose body, trace ids aside ([`untraced_inputs`]), is `expected`.
pub fn traced_body(expected: Value) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    move |req| untraced_inputs(&request_json(req)) == expected
}

pub fn request_json(req: &HttpMockRequest) -> Value {
    serde_json::from_slice(req.body_ref()).unwrap()
}

/// A record as HubSpot returns it, with `properties` as given (null for a property without a
/// value).
pub fn record_json(id: &str, properties: Value) -> Value {
    json!({
        "id": id,
        "properties": properties,
        "createdAt": "2026-11-20T08:00:00.000Z",
        "updatedAt": "2026-11-26T10:00:00.000Z",
        "archived": false
    })
}

/// A lead as HubSpot returns it, with a property that has no value.
pub fn lead_json(id: &str) -> Value {
    record_json(
        id,
        json!({"hs_lead_name": "Acme renewal", "hs_lead_label": null}),
    )
}

/// The ids of `records`, in order, as numbers.
pub fn record_ids(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r.id.parse().unwrap()).collect()
}

/// HubSpot's 429 body for the ten-secondly rolling window.
pub fn rolling_429_body() -> Value {
    json!({
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": "c5a9f7b4-1b7f-4c55-9a33-6f0c1c8e2b10",
        "policyName": "TEN_SECONDLY_ROLLING",
        "groupName": "publicapi:app-id:12345"
    })
}

/// A valid lead to create: a name and its primary contact.
pub fn new_lead(name: &str, trace_id: Option<&str>) -> NewRecord {
    let lead = NewRecord::new()
        .property("hs_lead_name", name)
        .associate("51", AssociationType::hubspot(578));
    match trace_id {
        Some(trace) => lead.trace_id(trace),
        None => lead,
    }
}

/// The JSON HubSpot expects for [`new_lead`] in a single create.
pub fn new_lead_body(name: &str) -> Value {
    json!({
        "properties": {"hs_lead_name": name},
        "associations": [{
            "to": {"id": "51"},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]
        }]
    })
}
