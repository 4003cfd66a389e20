//! Authentication, rate limits and fault injection.

use std::time::Duration;

use hubspot_sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::common::{self, Api, assert_error};

#[tokio::test]
async fn missing_or_wrong_token_is_401() {
    let api = Api::start().await;
    let resp = api
        .http
        .get(api.url("/crm/v3/objects/leads"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_error(&body, "INVALID_AUTHENTICATION");

    let api = Api::with(SandboxConfig::new().access_token("secret")).await;
    let (status, body) = api.get("/crm/v3/objects/leads").await;
    assert_eq!(status, 401);
    assert_error(&body, "INVALID_AUTHENTICATION");
    let resp = api
        .http
        .get(api.url("/crm/v3/objects/leads"))
        .bearer_auth("secret")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn oauth_refresh_issues_accepted_tokens() {
    let api = Api::with(SandboxConfig::new().oauth_client("cid", "csecret", "rtoken")).await;
    let token = |refresh: &str| {
        api.http
            .post(api.url("/oauth/v1/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "cid"),
                ("client_secret", "csecret"),
                ("refresh_token", refresh),
            ])
            .send()
    };
    let resp = token("wrong").await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "BAD_REFRESH_TOKEN");

    let body: Value = token("rtoken").await.unwrap().json().await.unwrap();
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["refresh_token"], "rtoken");
    let access = body["access_token"].as_str().unwrap();

    let (status, _) = api.get("/crm/v3/objects/leads").await;
    assert_eq!(
        status, 401,
        "unknown tokens are refused once an OAuth app is registered"
    );
    let resp = api
        .http
        .get(api.url("/crm/v3/objects/leads"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn rolling_window_limit_with_headers() {
    let window = Duration::from_millis(400);
    let api = Api::with(SandboxConfig::new().rate_limit(5, window)).await;
    for i in 0..5 {
        let (status, headers, _) = api.send_full("GET", "/crm/v3/objects/leads", None).await;
        assert_eq!(status, 200);
        assert_eq!(headers["x-hubspot-ratelimit-max"], "5");
        assert_eq!(
            headers["x-hubspot-ratelimit-remaining"],
            (4 - i).to_string().as_str()
        );
        assert_eq!(headers["x-hubspot-ratelimit-interval-milliseconds"], "400");
    }
    let (status, headers, body) = api.send_full("GET", "/crm/v3/objects/leads", None).await;
    assert_eq!(status, 429);
    assert_eq!(headers["x-hubspot-ratelimit-remaining"], "0");
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    assert_eq!(body["errorType"], "RATE_LIMIT");
    assert_eq!(
        body["message"],
        "You have reached your ten_secondly_rolling limit."
    );
    assert!(body["correlationId"].is_string());

    tokio::time::sleep(window).await;
    let (status, _) = api.get("/crm/v3/objects/leads").await;
    assert_eq!(status, 200);
    let log = api.sandbox.request_log();
    assert_eq!(log.len(), 7);
    assert_eq!(api.sandbox.request_count(), 7);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/crm/v3/objects/leads");
    assert!(log[6].at.duration_since(log[0].at) >= window);
}

#[tokio::test]
async fn daily_limit_and_search_limit() {
    let api = Api::with(SandboxConfig::new().daily_limit(3)).await;
    for remaining in ["2", "1", "0"] {
        let (status, headers, _) = api.send_full("GET", "/crm/v3/objects/leads", None).await;
        assert_eq!(status, 200);
        assert_eq!(headers["x-hubspot-ratelimit-daily"], "3");
        assert_eq!(headers["x-hubspot-ratelimit-daily-remaining"], remaining);
    }
    let (status, body) = api.get("/crm/v3/objects/leads").await;
    assert_eq!(status, 429);
    assert_eq!(body["policyName"], "DAILY");

    let api = Api::with(
        SandboxConfig::new()
            .search_rate_limit(2)
            .rate_limit(100, Duration::from_secs(10)),
    )
    .await;
    for _ in 0..2 {
        let (status, headers, _) = api
            .send_full("POST", "/crm/v3/objects/leads/search", Some(json!({})))
            .await;
        assert_eq!(status, 200);
        assert!(headers.get("x-hubspot-ratelimit-max").is_none());
    }
    let (status, body) = api.post("/crm/v3/objects/leads/search", json!({})).await;
    assert_eq!(status, 429);
    assert_eq!(body["policyName"], "SECONDLY");
    let (status, _) = api.get("/crm/v3/objects/leads").await;
    assert_eq!(status, 200);
}

async fn statuses(seed: u64) -> Vec<u16> {
    let api = Api::with(SandboxConfig::new().fail_rate(0.5, seed)).await;
    let mut out = Vec::new();
    for _ in 0..30 {
        let resp = api
            .http
            .get(api.url("/crm/v3/objects/leads"))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        if status != 200 {
            assert_eq!(resp.headers()["content-type"], "text/html");
            let text = resp.text().await.unwrap();
            assert!(
                text.contains("<html>") && text.contains(&status.to_string()),
                "{text}"
            );
        }
        out.push(status);
    }
    out
}

#[tokio::test]
async fn fail_injection_is_deterministic() {
    let a = statuses(7).await;
    let b = statuses(7).await;
    assert_eq!(a, b);
    assert!(a.contains(&200));
    assert!(a.iter().any(|s| [502, 503, 504].contains(s)));
    assert_ne!(a, statuses(8).await);
}

#[tokio::test]
async fn dropped_connections_are_connection_errors() {
    let api = Api::with(SandboxConfig::new().drop_rate(1.0, 1)).await;
    let err = api
        .http
        .get(api.url("/crm/v3/objects/leads"))
        .bearer_auth("t")
        .send()
        .await
        .expect_err("no response");
    assert!(!err.is_status(), "{err:?}");
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    assert!(api.sandbox.request_count() >= 1);
}

#[tokio::test]
async fn latency_delays_answers_and_shutdown_stops_the_server() {
    let api = Api::with(SandboxConfig::new().latency(Duration::from_millis(150))).await;
    let started = std::time::Instant::now();
    let (status, _) = api.get("/crm/v3/objects/leads").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    let url = api.url("/crm/v3/objects/leads");
    let common::Api { sandbox, http, .. } = api;
    sandbox.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(&url).bearer_auth("t").send().await.is_err());
    drop(http);
}

#[test]
fn sandbox_can_be_shared_across_tasks() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<hubspot_sandbox::Sandbox>();
    assert_send_sync::<SandboxConfig>();
}

#[test]
fn config_debug_redacts_secrets() {
    let config = SandboxConfig::new()
        .access_token("pat-na1-very-secret")
        .oauth_client("app-id-1", "client-secret-2", "refresh-token-3")
        .oauth_client("app-id-4", "client-secret-5", "refresh-token-6");
    let printed = format!("{config:?}");
    for secret in [
        "pat-na1-very-secret",
        "client-secret-2",
        "refresh-token-3",
        "client-secret-5",
        "refresh-token-6",
    ] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
    assert!(printed.contains("<redacted>"), "{printed}");
    // What is not secret stays visible.
    assert!(
        printed.contains("app-id-1") && printed.contains("app-id-4"),
        "{printed}"
    );
    let pretty = format!("{config:#?}");
    assert!(!pretty.contains("client-secret-2"), "{pretty}");
    // Without secrets there is nothing to redact.
    assert!(!format!("{:?}", SandboxConfig::new()).contains("<redacted>"));
}

/// A GET of companies whose request line (`GET {target} HTTP/1.1`) is `line` bytes long,
/// made long by its `properties` list.
fn target_of_line(line: usize) -> String {
    let path = "/crm/v3/objects/companies?properties=name,";
    let fixed = "GET ".len() + path.len() + " HTTP/1.1".len();
    format!("{path}{}", "x".repeat(line - fixed))
}

#[tokio::test]
async fn a_request_line_past_the_limit_is_a_414_html_page_that_costs_no_rate_limit() {
    use hubspot_sandbox::DEFAULT_MAX_REQUEST_LINE;
    let api = Api::start().await;
    let at_limit = target_of_line(DEFAULT_MAX_REQUEST_LINE);
    assert_eq!(
        "GET ".len() + at_limit.len() + " HTTP/1.1".len(),
        DEFAULT_MAX_REQUEST_LINE
    );
    let (status, body) = api.get(&at_limit).await;
    assert_eq!(status, 200, "{body}");
    let (status, headers, body) = api
        .send_full("GET", &target_of_line(DEFAULT_MAX_REQUEST_LINE + 1), None)
        .await;
    assert_eq!(status, 414);
    assert_eq!(headers["content-type"], "text/html");
    let page = body.as_str().expect("an HTML page, not JSON");
    assert!(
        page.contains("<title>414 Request-URI Too Large</title>"),
        "{page}"
    );
    // Logged as it arrived, query and all.
    let log = api.sandbox.request_log();
    let last = log.last().unwrap();
    assert_eq!(
        last.path.len() + 1 + last.query.as_ref().unwrap().len(),
        DEFAULT_MAX_REQUEST_LINE + 1 - "GET ".len() - " HTTP/1.1".len()
    );

    // A configured limit; the refused request leaves the one-request window unused.
    let config = SandboxConfig::new()
        .max_request_line(8 * 1024)
        .rate_limit(1, Duration::from_secs(60));
    let api = Api::with(config).await;
    let (status, _) = api.get(&target_of_line(8 * 1024 + 1)).await;
    assert_eq!(status, 414);
    let (status, _) = api.get(&target_of_line(8 * 1024)).await;
    assert_eq!(status, 200);
    let (status, _) = api.get("/crm/v3/objects/companies").await;
    assert_eq!(status, 429);
    assert_eq!(api.sandbox.request_count(), 3);
}
