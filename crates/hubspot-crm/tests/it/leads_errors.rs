//! What lead calls do with HubSpot's and proxies' failures: rate limits (rolling and daily),
//! HTML bodies, unparsable successes, and the token staying out of logs and messages.

use httpmock::prelude::*;
use hubspot_crm::{Client, Error, FailureCause, RetryPolicy};
use hubspot_crm_mock::leads::operations::{
    BatchReadThen, BatchReadWhen, GetThen, GetWhen, SearchThen, SearchWhen, UpdateThen, UpdateWhen,
};
use serde_json::json;

use crate::support::{Endpoint, client_with, rolling_429_body, tiny_retries};

const TOKEN: &str = "pat-na1-c0ffee-secret-4444";

/// A client with a token easy to spot in any text it leaks into.
fn client_with_retry(endpoint: &(impl Endpoint + ?Sized), retry: RetryPolicy) -> Client {
    client_with(endpoint, |b| b.access_token(TOKEN).retry(retry))
}

#[tokio::test]
async fn rolling_429_without_retries_is_an_api_error() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&"1001".parse().unwrap());
            GetThen::new(then).client_error(429, rolling_429_body());
        })
        .await;
    let err = client_with_retry(&server, RetryPolicy::disabled())
        .leads()
        .get("1001")
        .await
        .unwrap_err();
    mock.assert_calls_async(1).await;
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}")
    };
    assert_eq!(api.status, 429);
    assert!(api.is_rate_limited());
    assert!(!api.is_daily_limit());
    assert_eq!(api.policy_name.as_deref(), Some("TEN_SECONDLY_ROLLING"));
    assert_eq!(api.category.as_deref(), Some("RATE_LIMIT"));
    assert!(err.to_string().contains("TEN_SECONDLY_ROLLING"), "{err}");
}

#[tokio::test]
async fn rolling_429_is_retried_up_to_the_policy() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            SearchWhen::new(when);
            SearchThen::new(then).client_error(
                429,
                json!({
                    "status": "error",
                    "message": "You have reached your secondly limit.",
                    "category": "RATE_LIMITS",
                    "policyName": "TEN_SECONDLY_ROLLING",
                    "correlationId": "c"
                }),
            );
        })
        .await;
    let err = client_with_retry(&server, tiny_retries(3))
        .leads()
        .search_page(&hubspot_crm::SearchRequest::new())
        .await
        .unwrap_err();
    mock.assert_calls_async(3).await;
    assert_eq!(err.status(), Some(429));
    assert!(matches!(err, Error::Api(_)));
}

#[tokio::test]
async fn daily_429_is_its_own_error_and_never_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            UpdateWhen::new(when).leads_id(&"1001".parse().unwrap());
            UpdateThen::new(then).client_error(
                429,
                json!({
                    "status": "error",
                    "message": "You have reached your daily limit.",
                    "errorType": "RATE_LIMIT",
                    "correlationId": "22222222-3333-4444-8555-666666666666",
                    "policyName": "DAILY",
                    "groupName": "publicapi:portal-id:12345"
                }),
            );
        })
        .await;
    let change = hubspot_crm::RecordUpdate::new("1001").property("hs_lead_label", "HOT");
    let err = client_with_retry(&server, tiny_retries(5))
        .leads()
        .update(change)
        .await
        .unwrap_err();
    mock.assert_calls_async(1).await;
    let Error::HubSpotDailyLimit(api) = &err else {
        panic!("expected HubSpotDailyLimit, got {err:?}")
    };
    assert_eq!(api.policy_name.as_deref(), Some("DAILY"));
    assert_eq!(
        api.correlation_id.as_deref(),
        Some("22222222-3333-4444-8555-666666666666")
    );
    assert!(err.to_string().contains("daily"), "{err}");
}

#[tokio::test]
async fn html_error_page_keeps_status_and_body() {
    let server = MockServer::start_async().await;
    let page = "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>";
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&"1001".parse().unwrap());
            // Raw: an HTML page, which no typed answer sends.
            GetThen::new(then)
                .into_inner()
                .status(503)
                .header("content-type", "text/html; charset=utf-8")
                .body(page);
        })
        .await;
    let err = client_with_retry(&server, RetryPolicy::disabled())
        .leads()
        .get("1001")
        .await
        .unwrap_err();
    mock.assert_calls_async(1).await;
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}")
    };
    assert_eq!(api.status, 503);
    assert_eq!(api.raw_body.as_deref(), Some(page));
    assert_eq!(api.category, None);
    let text = err.to_string();
    assert!(text.contains("HTTP 503"), "{text}");
    assert!(text.contains("Service Unavailable"), "{text}");
}

#[tokio::test]
async fn html_gateway_error_on_a_read_is_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when);
            // Raw: an HTML page without a content type, which no typed answer sends.
            BatchReadThen::new(then)
                .into_inner()
                .status(502)
                .body("<html><body>Bad Gateway</body></html>");
        })
        .await;
    let result = client_with_retry(&server, tiny_retries(2))
        .leads()
        .read_many(["1001"], &hubspot_crm::ReadOptions::new())
        .await
        .unwrap();
    // A read is safe to resend.
    mock.assert_calls_async(2).await;
    assert_eq!(result.outcomes.len(), 1);
    let failed = result.outcomes[0].failed().expect("the read failed");
    assert_eq!((failed.index, failed.input.as_str()), (0, "1001"));
    let FailureCause::RequestFailed(err) = &failed.cause else {
        panic!("expected the request to fail, got {:?}", failed.cause)
    };
    assert!(matches!(**err, Error::Api(_)), "{err:?}");
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        err.api_error().unwrap().raw_body.as_deref(),
        Some("<html><body>Bad Gateway</body></html>")
    );
}

#[tokio::test]
async fn unparsable_success_is_a_decode_error_with_the_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&"1001".parse().unwrap());
            // Raw: truncated JSON, which no typed answer can send.
            GetThen::new(then)
                .into_inner()
                .status(200)
                .header("content-type", "application/json")
                .body(r#"{"id": "1001", "properties": "#);
        })
        .await;
    let err = client_with_retry(&server, RetryPolicy::disabled())
        .leads()
        .get("1001")
        .await
        .unwrap_err();
    mock.assert_async().await;
    match err {
        Error::Decode { status, body, .. } => {
            assert_eq!(status, 200);
            assert_eq!(body, r#"{"id": "1001", "properties": "#);
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn the_token_never_shows_in_debug_output() {
    let server = MockServer::start_async().await;
    let client = client_with_retry(&server, RetryPolicy::disabled());
    let leads = client.leads();
    let builder = leads.new_lead("Acme").contact("51");
    for text in [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{leads:?}"),
        format!("{builder:?}"),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains("c0ffee"), "{text}");
    }
}

#[tokio::test]
async fn the_token_never_shows_in_errors() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .leads_id(&"1001".parse().unwrap())
                .into_inner()
                .header("authorization", format!("Bearer {TOKEN}"));
            GetThen::new(then).client_error(
                401,
                json!({
                    "status": "error",
                    "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                    "correlationId": "33333333-4444-4555-8666-777777777777",
                    "category": "INVALID_AUTHENTICATION"
                }),
            );
        })
        .await;
    let client = client_with_retry(&server, RetryPolicy::disabled());
    let err = client.leads().get("1001").await.unwrap_err();
    mock.assert_async().await;
    assert_eq!(
        err.api_error().unwrap().category.as_deref(),
        Some("INVALID_AUTHENTICATION")
    );
    let validation = client.leads().get("abc").await.unwrap_err();
    // Nothing listens on port 9 (discard): a transport error.
    let unreachable = client_with_retry("http://127.0.0.1:9", RetryPolicy::disabled())
        .leads()
        .get("1001")
        .await
        .unwrap_err();
    assert!(
        matches!(unreachable, Error::Transport(_)),
        "{unreachable:?}"
    );
    for e in [&err, &validation, &unreachable] {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains("c0ffee"), "{text}");
        }
    }
}
