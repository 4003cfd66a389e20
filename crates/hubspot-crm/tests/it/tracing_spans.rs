//! What the client logs: one `hubspot_request` span per request with its operation, status,
//! attempt, wait and correlation id, and never a token or the client secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::script_server::{Reply, ScriptServer, bad_gateway, lead_ok};
use crate::support::{client_with, quick_retries};
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use hubspot_crm::{
    AuthError, Client, DailyBudget, Error, OAuthRefresh, RateLimits, RetryPolicy, Window,
};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

const TOKEN: &str = "pat-na1-6f1c2d3e-secret-token";
const CLIENT_SECRET: &str = "oauth-client-secret-7d8e9f";
const REFRESH_TOKEN: &str = "oauth-refresh-token-1a2b3c";
const ACCESS_TOKEN: &str = "oauth-access-token-4d5e6f";

/// Everything written, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Captures every event and span of this thread (the test's runtime runs on it), at TRACE
/// level: the client's own logs and those of reqwest and hyper.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (captured, guard)
}

/// A client with a token the logs must not show, quick retries and the default rate limits.
fn client(server: &ScriptServer) -> Client {
    client_with(server, |b| {
        b.access_token(TOKEN)
            .retry(quick_retries())
            .rate_limits(RateLimits::default())
    })
}

fn assert_no_secrets(logs: &str) {
    for secret in [TOKEN, CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN] {
        assert!(
            !logs.contains(secret),
            "`{secret}` appears in the logs:\n{logs}"
        );
    }
}

#[tokio::test]
async fn a_retried_request_is_one_span_with_status_attempt_and_correlation_id() {
    let server = ScriptServer::start(
        vec![
            bad_gateway(503),
            lead_ok("123").header("X-HubSpot-Correlation-Id", "5b4c3d2e-corr-200"),
        ],
        bad_gateway(500),
    )
    .await;
    let client = client(&server);
    let (captured, _guard) = capture();

    client.leads().get("123").await.unwrap();

    let logs = captured.text();
    assert_no_secrets(&logs);
    assert!(!format!("{client:?}").contains(TOKEN));
    let closed = logs
        .lines()
        .find(|line| line.contains("hubspot_request{") && line.contains("close"))
        .unwrap_or_else(|| panic!("no closed hubspot_request span in:\n{logs}"));
    for field in [
        "operation=objects.get",
        "method=GET",
        "path=/crm/v3/objects/leads/123",
        "status=200",
        "attempt=2",
        "wait_ms=",
        "correlation_id=5b4c3d2e-corr-200",
    ] {
        assert!(closed.contains(field), "`{field}` missing in: {closed}");
    }
    // The retry is logged with the failed status.
    assert!(
        logs.lines()
            .any(|l| l.contains("retrying") && l.contains("status=503") && l.contains("attempt=1")),
        "{logs}"
    );
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn an_error_answer_records_hubspots_correlation_id_from_the_body() {
    let server = ScriptServer::always(Reply::json(
        404,
        json!({
            "status": "error",
            "message": "Object not found.  objectId are usually numeric.",
            "correlationId": "9e8d7c6b-corr-404",
            "category": "OBJECT_NOT_FOUND"
        }),
    ))
    .await;
    let client = client(&server);
    let (captured, _guard) = capture();

    let error = client.leads().get("123").await.unwrap_err();

    assert!(error.api_error().unwrap().is_not_found());
    let logs = captured.text();
    assert_no_secrets(&logs);
    let closed = logs
        .lines()
        .find(|line| line.contains("hubspot_request{") && line.contains("close"))
        .unwrap_or_else(|| panic!("no closed hubspot_request span in:\n{logs}"));
    for field in [
        "status=404",
        "attempt=1",
        "correlation_id=9e8d7c6b-corr-404",
    ] {
        assert!(closed.contains(field), "`{field}` missing in: {closed}");
    }
}

#[tokio::test]
async fn oauth_refreshes_log_no_secret() {
    let server = ScriptServer::start(
        vec![
            Reply::json(
                200,
                json!({
                    "token_type": "bearer",
                    "access_token": ACCESS_TOKEN,
                    "refresh_token": REFRESH_TOKEN,
                    "expires_in": 1800
                }),
            ),
            lead_ok("123"),
        ],
        bad_gateway(500),
    )
    .await;
    let oauth = OAuthRefresh::new("app-client-id", CLIENT_SECRET, REFRESH_TOKEN)
        .token_url(format!("{}/oauth/v1/token", server.url()));
    let client = client_with(&server, |b| {
        b.oauth(oauth)
            .retry(quick_retries())
            .rate_limits(RateLimits::default())
    });
    let (captured, _guard) = capture();

    client.leads().get("123").await.unwrap();

    let received = server.received();
    assert_eq!(received[0].path(), "/oauth/v1/token");
    let form = String::from_utf8(received[0].body.clone()).unwrap();
    assert!(
        form.contains(&format!("client_secret={CLIENT_SECRET}")),
        "{form}"
    );
    assert_eq!(
        received[1].header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    let logs = captured.text();
    assert!(logs.contains("refreshed HubSpot access token"), "{logs}");
    assert!(logs.contains("operation=objects.get"), "{logs}");
    assert_no_secrets(&logs);
    assert!(!format!("{client:?}").contains(CLIENT_SECRET));
}

#[tokio::test]
async fn a_rejected_refresh_logs_no_secret() {
    let server = ScriptServer::always(Reply::json(
        400,
        json!({"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"}),
    ))
    .await;
    let oauth = OAuthRefresh::new("app-client-id", CLIENT_SECRET, REFRESH_TOKEN)
        .token_url(format!("{}/oauth/v1/token", server.url()));
    let client = client_with(&server, |b| {
        b.oauth(oauth)
            .retry(RetryPolicy::default())
            .rate_limits(RateLimits::default())
    });
    let (captured, _guard) = capture();

    let error = client.leads().get("123").await.unwrap_err();

    let logs = captured.text();
    assert!(logs.contains("BAD_REFRESH_TOKEN"), "{logs}");
    assert_no_secrets(&logs);
    assert_no_secrets(&format!("{error} {error:?}"));
}

/// Credentials with characters a form encodes, so that a page can show them either way.
const ODD_CLIENT_SECRET: &str = "oauth-client/secret+7d8e 9f";
const ODD_REFRESH_TOKEN: &str = "na1-refresh/token 1a2b";

/// Each credential as it is, form-encoded (`+` for a space) and percent-encoded (`%20`).
fn every_form(secret: &str) -> [String; 3] {
    let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    [secret.to_owned(), encoded.replace('+', "%20"), encoded]
}

fn assert_no_credentials(text: &str) {
    for secret in [ODD_CLIENT_SECRET, ODD_REFRESH_TOKEN, ACCESS_TOKEN] {
        for form in every_form(secret) {
            assert!(!text.contains(&form), "`{form}` appears in:\n{text}");
        }
    }
}

/// A proxy's error page that shows the form it was sent, raw and decoded, the access token
/// its last request carried, and a long footer.
fn echoing_proxy_page(request: &HttpMockRequest) -> HttpMockResponse {
    let form = request.body_string();
    let fields: String = form_urlencoded::parse(form.as_bytes())
        .map(|(name, value)| format!("<tr><td>{name}</td><td>{value}</td></tr>"))
        .collect();
    let page = format!(
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>\
         <p>upstream refused: POST /oauth/v1/token {form}</p><table>{fields}</table>\
         <p>last bearer: {ACCESS_TOKEN}</p><footer>{}</footer></body></html>",
        "proxy diagnostics ".repeat(1_000)
    );
    HttpMockResponse::builder()
        .status(502)
        .header("content-type", "text/html")
        .body(page)
        .build()
}

#[tokio::test]
async fn a_proxy_page_echoing_the_refresh_form_keeps_no_credential_in_the_error_or_logs() {
    let server = MockServer::start_async().await;
    let token_endpoint = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth/v1/token");
            then.respond_with(echoing_proxy_page);
        })
        .await;
    let oauth = OAuthRefresh::new("app-client-id", ODD_CLIENT_SECRET, ODD_REFRESH_TOKEN)
        .token_url(server.url("/oauth/v1/token"))
        .with_access_token(ACCESS_TOKEN, std::time::Duration::ZERO);
    let client = client_with(&server, |b| b.oauth(oauth));
    let (captured, _guard) = capture();

    let error = client.leads().get("123").await.unwrap_err();

    let Error::Auth(AuthError::RefreshFailed(message)) = &error else {
        panic!("expected a failed refresh, got {error:?}");
    };
    assert!(
        message.starts_with("HTTP 502 Bad Gateway: <html>"),
        "{message}"
    );
    assert!(message.contains("client_secret=[redacted]"), "{message}");
    assert!(
        message.contains("<td>refresh_token</td><td>[redacted]</td>"),
        "{message}"
    );
    assert!(message.contains("last bearer: [redacted]"), "{message}");
    assert!(message.len() < 1_000, "the page is kept whole: {message}");
    assert_no_credentials(&format!("{error} {error:?}"));
    let logs = captured.text();
    assert!(
        logs.contains("refreshing the HubSpot access token failed"),
        "{logs}"
    );
    assert!(logs.contains("[redacted]"), "{logs}");
    assert_no_credentials(&logs);
    assert_eq!(token_endpoint.calls_async().await, 1);
}

/// A daily budget whose day starts twelve hours from now, so no test run crosses it.
fn daily_budget_at_noon(requests: u64) -> DailyBudget {
    let minutes = chrono::Utc::now().timestamp().rem_euclid(86_400) / 60;
    DailyBudget::new(requests).utc_offset_minutes(12 * 60 - minutes as i32)
}

#[tokio::test]
async fn a_limiter_refusal_shows_no_http_status_in_the_error_or_the_span() {
    let one_a_minute = RateLimits {
        general: Some(Window::new(1, std::time::Duration::from_secs(60))),
        search: None,
        follow_headers: false,
        daily: None,
    };
    let one_a_day = RateLimits {
        daily: Some(daily_budget_at_noon(1)),
        ..RateLimits::off()
    };
    for (limits, expected) in [(one_a_minute, "wait"), (one_a_day, "daily budget")] {
        let server = ScriptServer::always(lead_ok("123")).await;
        let client = client_with(&server, |b| {
            b.access_token(TOKEN)
                .retry(RetryPolicy {
                    max_elapsed: std::time::Duration::from_secs(5),
                    ..quick_retries()
                })
                .rate_limits(limits)
        });
        client.leads().get("123").await.unwrap();

        let (logs, guard) = capture();
        let error = client.leads().get("123").await.unwrap_err();
        drop(guard);

        match (&error, expected) {
            (Error::RateLimitWaitTooLong { .. }, "wait")
            | (Error::DailyBudgetSpent { .. }, "daily budget") => {}
            _ => panic!("{expected}: expected the limiter's refusal, got {error:?}"),
        }
        assert_eq!(error.status(), None, "{error:?}");
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains("429") && !text.contains("HTTP"), "{text}");
        }
        let logs = logs.text();
        // The refusal is logged in the request's span, which records no status.
        assert!(
            logs.lines().any(|l| l.contains("hubspot_request")
                && l.contains("operation=objects.get")
                && l.contains("not sending")),
            "{logs}"
        );
        // (A bare "429" could be a port or a timestamp's milliseconds.)
        assert!(!logs.contains("status="), "{logs}");
        assert!(!logs.contains("Too Many Requests"), "{logs}");
        assert_eq!(
            server.hits(),
            1,
            "{expected}: the refused request was not sent"
        );
    }
}

#[test]
fn a_validation_rule_left_to_hubspot_for_its_pattern_or_arguments_is_logged() {
    use hubspot_crm::api::shared::{PublicPropertyValidationRule, PublicPropertyValidationRuleMap};
    use hubspot_crm::{PropertyRules, ValidationRules};

    let rule = |rule_type: &str, arg: &str| PublicPropertyValidationRule {
        rule_type: rule_type.to_owned(),
        rule_arguments: vec![arg.to_owned()],
        should_apply_normalization: false,
    };
    let (captured, _guard) = capture();
    let rules = ValidationRules::new(
        "contacts",
        [PropertyRules::from(PublicPropertyValidationRuleMap {
            property_name: "work_email".to_owned(),
            property_validation_rules: vec![rule("REGEX", "^(?!x).+$"), rule("MAX_LENGTH", "ten")],
        })],
    );
    assert_eq!(rules.unchecked().count(), 2);
    let logs = captured.text();
    let line = |needle: &str| {
        logs.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{logs}"))
            .to_owned()
    };
    let pattern = line("does not compile here");
    assert!(pattern.contains("WARN"), "{pattern}");
    for field in [
        "object_type=\"contacts\"",
        "property=\"work_email\"",
        "rule_type=REGEX",
        "^(?!x).+$",
    ] {
        assert!(pattern.contains(field), "{field} in {pattern}");
    }
    let arguments = line("arguments do not parse");
    for field in [
        "rule_type=MAX_LENGTH",
        "`ten` is not a number of characters",
    ] {
        assert!(arguments.contains(field), "{field} in {arguments}");
    }
}
