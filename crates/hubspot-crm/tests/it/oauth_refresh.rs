//! OAuth: refresh ahead of expiry, one refresh for many concurrent calls, rejected refresh
//! tokens, and rotated refresh tokens handed to the callback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{client_with, lead_json};
use httpmock::prelude::*;
use hubspot_crm::api::leads::types::GetLeadsId;
use hubspot_crm::{AuthError, Client, Error, OAuthRefresh, RefreshedTokens, RetryPolicy};
use hubspot_crm_mock::leads::operations::{GetThen, GetWhen};
use serde_json::json;

const TOKEN_PATH: &str = "/oauth/v1/token";

fn oauth(server: &MockServer, refresh_token: &str) -> OAuthRefresh {
    OAuthRefresh::new("app-client-id", "app-client-secret", refresh_token)
        .token_url(server.url(TOKEN_PATH))
}

/// A client authenticated by `oauth`, retrying as an ordinary client does.
fn client(server: &MockServer, oauth: OAuthRefresh) -> Client {
    client_with(server, |b| b.oauth(oauth).retry(RetryPolicy::default()))
}

/// The token endpoint answering a refresh with `refresh_token` by a new pair.
async fn token_endpoint<'a>(
    server: &'a MockServer,
    refresh_token: &str,
    answer: serde_json::Value,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .form_urlencoded_tuple("grant_type", "refresh_token")
                .form_urlencoded_tuple("client_id", "app-client-id")
                .form_urlencoded_tuple("client_secret", "app-client-secret")
                .form_urlencoded_tuple("refresh_token", refresh_token);
            then.status(200).json_body(answer);
        })
        .await
}

fn token_pair(access: &str, refresh: &str, expires_in: u64) -> serde_json::Value {
    json!({
        "token_type": "bearer",
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": expires_in
    })
}

/// The lead endpoint (lead 123), answering only requests with `access` as bearer token.
async fn lead_endpoint<'a>(server: &'a MockServer, access: &str) -> httpmock::Mock<'a> {
    let id: GetLeadsId = "123".parse().unwrap();
    let lead = serde_json::from_value(lead_json("123")).unwrap();
    server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .leads_id(&id)
                .into_inner()
                .header("authorization", format!("Bearer {access}"));
            GetThen::new(then).success(200, &lead);
        })
        .await
}

#[tokio::test]
async fn many_concurrent_calls_share_one_refresh() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(
        &server,
        "refresh-1",
        token_pair("access-2", "refresh-2", 1800),
    )
    .await;
    let leads = lead_endpoint(&server, "access-2").await;
    let client = client(&server, oauth(&server, "refresh-1"));

    let calls: Vec<_> = (0..20)
        .map(|_| {
            let clone = client.clone();
            tokio::spawn(async move { clone.leads().get("123").await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().id, "123");
    }

    assert_eq!(token.calls_async().await, 1);
    assert_eq!(leads.calls_async().await, 20);
}

#[tokio::test]
async fn a_token_far_from_expiry_is_used_as_is() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(
        &server,
        "refresh-1",
        token_pair("access-2", "refresh-2", 1800),
    )
    .await;
    let leads = lead_endpoint(&server, "access-1").await;
    let oauth = oauth(&server, "refresh-1")
        .with_access_token("access-1", Duration::from_secs(600))
        .refresh_margin(Duration::from_secs(60));
    let client = client(&server, oauth);

    client.leads().get("123").await.unwrap();

    assert_eq!(token.calls_async().await, 0);
    assert_eq!(leads.calls_async().await, 1);
}

#[tokio::test]
async fn a_token_within_the_margin_is_refreshed_before_it_expires() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(
        &server,
        "refresh-1",
        token_pair("access-2", "refresh-2", 1800),
    )
    .await;
    let old = lead_endpoint(&server, "access-1").await;
    let new = lead_endpoint(&server, "access-2").await;
    // Still valid for 30 s, but inside the 60 s margin.
    let oauth = oauth(&server, "refresh-1")
        .with_access_token("access-1", Duration::from_secs(30))
        .refresh_margin(Duration::from_secs(60));
    let client = client(&server, oauth);

    client.leads().get("123").await.unwrap();
    // The new token lasts 30 minutes: no second refresh.
    client.leads().get("123").await.unwrap();

    assert_eq!(token.calls_async().await, 1);
    assert_eq!(old.calls_async().await, 0);
    assert_eq!(new.calls_async().await, 2);
}

#[tokio::test]
async fn the_callback_gets_the_rotated_refresh_token_which_is_used_next() {
    let server = MockServer::start_async().await;
    // A token that is stale at once, so the next call refreshes again.
    let first = token_endpoint(&server, "refresh-1", token_pair("access-2", "refresh-2", 0)).await;
    let second = token_endpoint(
        &server,
        "refresh-2",
        token_pair("access-3", "refresh-3", 1800),
    )
    .await;
    let with_second = lead_endpoint(&server, "access-2").await;
    let with_third = lead_endpoint(&server, "access-3").await;
    let seen: Arc<Mutex<Vec<(String, String, Duration)>>> = Arc::default();
    let oauth = oauth(&server, "refresh-1").on_refresh({
        let seen = seen.clone();
        move |tokens: &RefreshedTokens| {
            seen.lock().unwrap().push((
                tokens.access_token.expose().to_owned(),
                tokens.refresh_token.expose().to_owned(),
                tokens.expires_in,
            ));
        }
    });
    let client = client(&server, oauth);

    client.leads().get("123").await.unwrap();
    client.leads().get("123").await.unwrap();

    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            (
                "access-2".to_owned(),
                "refresh-2".to_owned(),
                Duration::ZERO
            ),
            (
                "access-3".to_owned(),
                "refresh-3".to_owned(),
                Duration::from_secs(1800)
            ),
        ]
    );
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 1);
    assert_eq!(with_second.calls_async().await, 1);
    assert_eq!(with_third.calls_async().await, 1);
}

#[tokio::test]
async fn a_rejected_refresh_token_is_reported_and_not_tried_again() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(400).json_body(json!({
                "status": "BAD_REFRESH_TOKEN",
                "message": "missing or unknown refresh token",
                "correlationId": "8f6b5c1e-0d2a-4a51-9a0b-5f3e2d1c0b9a",
                "requestId": "4c9f1b2a"
            }));
        })
        .await;
    let api = server
        .mock_async(|when, then| {
            when.any_request().path_prefix("/crm/");
            then.status(500);
        })
        .await;
    let client = client(&server, oauth(&server, "revoked-refresh"));

    let calls: Vec<_> = (0..5)
        .map(|_| {
            let clone = client.clone();
            tokio::spawn(async move { clone.leads().get("123").await })
        })
        .collect();
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        let Error::Auth(AuthError::RefreshRejected { status, message }) = &error else {
            panic!("expected RefreshRejected, got {error:?}");
        };
        assert_eq!(*status, 400);
        assert_eq!(
            message,
            "BAD_REFRESH_TOKEN: missing or unknown refresh token"
        );
    }
    // A later call fails the same way without asking HubSpot again.
    let later = client.leads().get("123").await.unwrap_err();
    assert!(matches!(
        later,
        Error::Auth(AuthError::RefreshRejected { status: 400, .. })
    ));

    assert_eq!(token.calls_async().await, 1);
    assert_eq!(api.calls_async().await, 0);
}

#[tokio::test]
async fn a_failing_token_endpoint_is_tried_again_on_the_next_call() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(503)
                .body("<html><body>Service Unavailable</body></html>");
        })
        .await;
    let client = client(&server, oauth(&server, "refresh-1"));

    let error = client.leads().get("123").await.unwrap_err();
    let Error::Auth(AuthError::RefreshFailed(message)) = &error else {
        panic!("expected RefreshFailed, got {error:?}");
    };
    assert!(message.contains("503"), "{message}");
    assert_eq!(unavailable.calls_async().await, 1);

    unavailable.delete_async().await;
    let token = token_endpoint(
        &server,
        "refresh-1",
        token_pair("access-2", "refresh-2", 1800),
    )
    .await;
    let leads = lead_endpoint(&server, "access-2").await;
    client.leads().get("123").await.unwrap();
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(leads.calls_async().await, 1);
}

#[tokio::test]
async fn calls_waiting_on_a_failed_refresh_share_its_error() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(502)
                .body("<html><body>Bad Gateway</body></html>")
                .delay(Duration::from_millis(200));
        })
        .await;
    let client = client(&server, oauth(&server, "refresh-1"));

    let calls: Vec<_> = (0..5)
        .map(|_| {
            let clone = client.clone();
            tokio::spawn(async move { clone.leads().get("123").await })
        })
        .collect();
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert!(
            matches!(error, Error::Auth(AuthError::RefreshFailed(_))),
            "{error:?}"
        );
    }

    assert_eq!(unavailable.calls_async().await, 1);
}

#[tokio::test]
async fn an_unreadable_token_answer_is_a_refresh_failure() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(200).json_body(json!({"token_type": "bearer"}));
        })
        .await;
    let client = client(&server, oauth(&server, "refresh-1"));

    let error = client.leads().get("123").await.unwrap_err();

    assert!(
        matches!(error, Error::Auth(AuthError::RefreshFailed(_))),
        "{error:?}"
    );
    assert_eq!(token.calls_async().await, 1);
}
