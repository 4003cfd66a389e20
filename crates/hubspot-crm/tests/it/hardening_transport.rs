//! Hostile answers, limits, tokens and clocks: caps on what a server can make the client hold or wait.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use crate::support::script_server::{Reply, ScriptServer, lead_ok, rolling_429};
use crate::support::{
    TOKEN, client_with, default_retry_client, lead_json, new_lead, new_lead_body, quick_retries,
    record_json,
};
use httpmock::prelude::*;
use hubspot_crm::api::leads::types::GetLeadsId;
use hubspot_crm::{
    AuthError, Client, Error, FailureCause, Lead, OAuthRefresh, RateLimits, RetryPolicy,
    SearchRequest, Window,
};
use hubspot_crm_mock::leads::operations::{CreateThen, CreateWhen, GetThen, GetWhen};
use serde_json::{Value, json};
use tokio::time::Instant;

const MIB: u64 = 1024 * 1024;
const LEAD_PATH: &str = "/crm/v3/objects/leads/123";
const TOKEN_PATH: &str = "/oauth/v1/token";

// ---------------------------------------------------------------------------------------------
// A paused clock that never jumps while a request is on the wire.

/// Scheduler passes per clock step: enough for a request and its answer to cross the loopback
/// (each pass polls the sockets once).
const PASSES_PER_STEP: usize = 64;

/// Runs `future` on the test's paused clock, moving the clock by 10 ms at a time and only
/// after everything else has run for a while (requests and answers on the loopback included).
/// Auto-advance would jump the clock to the next timer whenever the runtime waits for a
/// socket, so arrival times would say nothing; here the clock moves only between steps. The
/// test task keeps yielding, so the runtime never idles and never auto-advances. `None` when
/// the future is not done after `max` of clock time.
async fn drive<T>(future: impl Future<Output = T>, max: Duration) -> Option<T> {
    let step = Duration::from_millis(10);
    let mut future = std::pin::pin!(future);
    let start = Instant::now();
    loop {
        for _ in 0..PASSES_PER_STEP {
            if let Poll::Ready(value) = futures::poll!(future.as_mut()) {
                return Some(value);
            }
            tokio::task::yield_now().await;
        }
        if Instant::now() - start >= max {
            return None;
        }
        tokio::time::advance(step).await;
    }
}

/// Whole seconds from `start` to each arrival, counted: `(second, requests)`, in order.
fn per_second(start: Instant, arrivals: &[Instant]) -> Vec<(u64, usize)> {
    let mut counts: Vec<(u64, usize)> = Vec::new();
    for arrival in arrivals {
        let second = (*arrival - start).as_secs();
        match counts.last_mut() {
            Some((s, n)) if *s == second => *n += 1,
            _ => counts.push((second, 1)),
        }
    }
    counts
}

fn search_page() -> Reply {
    Reply::json(200, json!({"total": 0, "results": [], "paging": null}))
}

// ---------------------------------------------------------------------------------------------
// 1. Addresses.

#[test]
fn a_base_url_with_a_query_fragment_or_credentials_is_rejected_naming_the_field() {
    for url in [
        "https://api.hubapi.com?hapikey=secret-key",
        "https://api.hubapi.com/?",
        "https://api.hubapi.com/#top",
        "https://user:hunter2@api.hubapi.com",
        "https://user@api.hubapi.com",
        "ftp://api.hubapi.com",
        "not a url",
    ] {
        let result = Client::builder().access_token(TOKEN).base_url(url).build();
        let Err(Error::Validation(error)) = result else {
            panic!("{url}: expected a validation error, got {result:?}");
        };
        assert_eq!(error.field, "base_url", "{url}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
    // A proxy with a path prefix is fine.
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url("https://proxy.example.com/hubspot/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://proxy.example.com/hubspot");
}

#[test]
fn an_oauth_token_url_with_a_query_fragment_or_credentials_is_rejected_naming_the_field() {
    for url in [
        "https://api.hubapi.com/oauth/v1/token?client_secret=leak",
        "https://api.hubapi.com/oauth/v1/token#x",
        "https://app:hunter2@api.hubapi.com/oauth/v1/token",
        "file:///etc/passwd",
        "api.hubapi.com/oauth/v1/token",
    ] {
        let oauth = OAuthRefresh::new("id", "secret", "refresh").token_url(url);
        let result = Client::builder().oauth(oauth).build();
        let Err(Error::Validation(error)) = result else {
            panic!("{url}: expected a validation error, got {result:?}");
        };
        assert_eq!(error.field, "token_url", "{url}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
    let fine = OAuthRefresh::new("id", "secret", "refresh").token_url("http://127.0.0.1:9/token");
    Client::builder().oauth(fine).build().unwrap();
}

// ---------------------------------------------------------------------------------------------
// 2. Body caps.

#[test]
fn the_body_cap_defaults_to_64_mib_and_can_be_changed_but_not_to_zero() {
    let client = Client::builder().access_token(TOKEN).build().unwrap();
    assert_eq!(client.max_body_bytes(), 64 * MIB);
    let client = Client::builder()
        .access_token(TOKEN)
        .max_body_bytes(MIB)
        .build()
        .unwrap();
    assert_eq!(client.max_body_bytes(), MIB);
    let error = Client::builder()
        .access_token(TOKEN)
        .max_body_bytes(0)
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Validation(v) if v.field == "max_body_bytes"),
        "{error:?}"
    );
}

/// A client with a 1 MiB body cap and the library's default retries.
fn capped_client(server: &ScriptServer) -> Client {
    client_with(server, |b| {
        b.retry(RetryPolicy::default()).max_body_bytes(MIB)
    })
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_cap_with_a_typed_error() {
    // 32 MiB, as far as a 1 MiB cap goes: endless.
    let server = ScriptServer::always(Reply::long_body(200, 32 * MIB)).await;
    let client = capped_client(&server);

    let error = client.leads().get("123").await.unwrap_err();

    let Error::BodyTooLarge { limit, status } = error else {
        panic!("expected BodyTooLarge, got {error:?}");
    };
    assert_eq!((limit, status), (MIB, 200));
    assert_eq!(error.status(), Some(200));
    // Not retried: the same answer would come again.
    assert_eq!(server.hits(), 1);
    assert_eq!(server.received()[0].path(), LEAD_PATH);
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    // Says 10 GiB, sends 64 KiB and hangs up: a client that waits for the body fails on the
    // lost connection; this one never starts reading.
    let server =
        ScriptServer::always(Reply::declared_length(200, 10 * 1024 * MIB, 64 * 1024)).await;
    let client = capped_client(&server);

    let error = client.leads().get("123").await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::BodyTooLarge {
                limit: MIB,
                status: 200
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_body_just_under_the_cap_is_read() {
    let body = lead_json("123").to_string();
    let server = ScriptServer::always(lead_ok("123")).await;
    let client = client_with(&server, |b| b.max_body_bytes(body.len() as u64));

    let lead = client.leads().get("123").await.unwrap();

    assert_eq!(lead.id, "123");
    let tighter = client_with(&server, |b| b.max_body_bytes(body.len() as u64 - 1));
    let error = tighter.leads().get("123").await.unwrap_err();
    assert!(matches!(error, Error::BodyTooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn a_create_whose_answer_is_over_the_cap_has_an_unknown_outcome() {
    let server = ScriptServer::always(Reply::long_body(201, 32 * MIB)).await;
    let client = capped_client(&server);

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
    assert!(cause.contains("1048576-byte cap"), "{cause}");
    assert_eq!(server.hits(), 1, "never resent");
    assert_eq!(server.received()[0].json(), new_lead_body("Acme renewal"));
}

#[tokio::test]
async fn a_batch_create_whose_answer_is_over_the_cap_reports_every_input_as_unknown() {
    let server = ScriptServer::always(Reply::long_body(201, 32 * MIB)).await;
    let client = capped_client(&server);

    let result = client
        .objects::<Lead>()
        .create_many(vec![
            new_lead("A", Some("trace-a")),
            new_lead("B", Some("trace-b")),
        ])
        .await
        .unwrap();

    assert_eq!(result.outcomes.len(), 2);
    for outcome in &result.outcomes {
        let failure = outcome.failed().expect("not confirmed");
        assert!(failure.may_have_been_applied());
        let FailureCause::RequestFailed(error) = &failure.cause else {
            panic!("expected the request's error, got {:?}", failure.cause);
        };
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
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_batch_update_whose_answer_is_over_the_cap_may_have_been_applied() {
    let server = ScriptServer::always(Reply::long_body(200, 32 * MIB)).await;
    let client = capped_client(&server);

    let result = client
        .objects::<Lead>()
        .update_many(vec![
            hubspot_crm::RecordUpdate::new("1").property("hs_lead_label", "HOT"),
            hubspot_crm::RecordUpdate::new("2").property("hs_lead_label", "HOT"),
        ])
        .await
        .unwrap();

    assert_eq!(result.outcomes.len(), 2);
    for outcome in &result.outcomes {
        let failure = outcome.failed().expect("not confirmed");
        let FailureCause::RequestFailed(error) = &failure.cause else {
            panic!("expected the request's error, got {:?}", failure.cause);
        };
        assert!(
            matches!(error.as_ref(), Error::BodyTooLarge { status: 200, .. }),
            "{error:?}"
        );
        // HubSpot answered 200: the update may well be done.
        assert!(failure.may_have_been_applied());
    }
}

#[tokio::test]
async fn an_error_body_over_the_cap_is_a_typed_error_with_its_status() {
    let server = ScriptServer::always(Reply::long_body(404, 32 * MIB)).await;
    let client = capped_client(&server);

    let error = client.leads().get("123").await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::BodyTooLarge {
                limit: MIB,
                status: 404
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_5xx_with_a_body_over_the_cap_on_a_create_has_an_unknown_outcome() {
    let server = ScriptServer::always(Reply::long_body(503, 32 * MIB)).await;
    let client = capped_client(&server);

    let error = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap_err();

    let Error::OutcomeUnknown { inputs, cause, .. } = &error else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert_eq!(inputs, &["input 0"]);
    assert!(cause.contains("HTTP 503"), "{cause}");
    assert!(cause.contains("1048576-byte cap"), "{cause}");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_token_endpoint_pushing_an_endless_body_fails_the_refresh_at_the_cap() {
    let tokens = ScriptServer::always(Reply::long_body(200, 32 * MIB)).await;
    let api = ScriptServer::always(lead_ok("123")).await;
    let oauth = OAuthRefresh::new("id", "secret", "refresh-1")
        .token_url(format!("{}{TOKEN_PATH}", tokens.url()));
    let client = client_with(&api, |b| b.oauth(oauth).max_body_bytes(MIB));

    let error = client.leads().get("123").await.unwrap_err();

    let Error::Auth(AuthError::RefreshFailed(message)) = &error else {
        panic!("expected RefreshFailed, got {error:?}");
    };
    assert!(message.contains("1048576-byte cap"), "{message}");
    assert_eq!(tokens.hits(), 1);
    assert_eq!(api.hits(), 0);
}

// ---------------------------------------------------------------------------------------------
// 3. What headers can impose, and limiter waits within the budget.

#[tokio::test(start_paused = true)]
async fn a_day_long_window_in_the_headers_does_not_stall_the_client() {
    let server = ScriptServer::start(
        vec![
            lead_ok("123")
                .header("X-HubSpot-RateLimit-Max", "100")
                .header("X-HubSpot-RateLimit-Remaining", "0")
                .header("X-HubSpot-RateLimit-Interval-Milliseconds", "86400000"),
        ],
        lead_ok("123"),
    )
    .await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy::default())
            .rate_limits(RateLimits::default())
    });
    let clone = client.clone();

    let start = Instant::now();
    drive(client.leads().get("123"), Duration::from_secs(5))
        .await
        .expect("the first call is answered")
        .unwrap();
    let second = drive(clone.leads().get("123"), Duration::from_secs(5)).await;

    second.expect("a clone is not held back for a day").unwrap();
    let arrivals = server.clock_arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[1] - start < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_429_reporting_a_day_long_window_pauses_the_others_for_the_configured_wait_only() {
    let server = ScriptServer::start(
        vec![rolling_429().header("X-HubSpot-RateLimit-Interval-Milliseconds", "86400000")],
        lead_ok("123"),
    )
    .await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy {
            rate_limit_wait: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(30),
            ..RetryPolicy::default()
        })
        .rate_limits(RateLimits::default())
    });
    let other = client.clone();

    let start = Instant::now();
    let first = tokio::spawn(async move { client.leads().get("123").await });
    let second = drive(
        async {
            // Once the 429 has come back and been read.
            while server.hits() == 0 {
                tokio::task::yield_now().await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            other.leads().get("123").await
        },
        Duration::from_secs(60),
    )
    .await;

    second.expect("answered within a minute").unwrap();
    drive(first, Duration::from_secs(5))
        .await
        .expect("the first call is done")
        .unwrap()
        .unwrap();
    let arrivals = server.clock_arrivals();
    assert_eq!(arrivals.len(), 3);
    // Everything after the 429 waited the configured 2 s, not a day.
    for later in &arrivals[1..] {
        let after = *later - start;
        assert!(
            after >= Duration::from_secs(2) && after < Duration::from_secs(3),
            "{after:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_limiter_wait_past_max_elapsed_fails_at_once_with_a_typed_error() {
    let server = ScriptServer::always(lead_ok("123")).await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy {
            max_elapsed: Duration::from_secs(5),
            ..RetryPolicy::default()
        })
        .rate_limits(RateLimits {
            general: Some(Window::new(1, Duration::from_secs(60))),
            search: None,
            follow_headers: false,
            daily: None,
        })
    });

    drive(client.leads().get("123"), Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    let before = Instant::now();
    let error = drive(client.leads().get("123"), Duration::from_secs(5))
        .await
        .expect("it does not wait the minute")
        .unwrap_err();

    let Error::RateLimitWaitTooLong { wait, max_elapsed } = error else {
        panic!("expected RateLimitWaitTooLong, got {error:?}");
    };
    assert_eq!(max_elapsed, Duration::from_secs(5));
    assert!(wait > Duration::from_secs(55), "{wait:?}");
    assert_eq!(Instant::now(), before, "it did not sleep at all");
    assert_eq!(server.hits(), 1, "the second call was not sent");
}

#[tokio::test(start_paused = true)]
async fn a_retry_the_limiter_would_hold_past_max_elapsed_ends_with_the_last_answer() {
    // The 503 asks for no particular wait; the limiter then has no room for a minute.
    let server = ScriptServer::start(
        vec![
            Reply::html(503, "<html>unavailable</html>")
                .header("X-HubSpot-RateLimit-Max", "10")
                .header("X-HubSpot-RateLimit-Remaining", "0")
                .header("X-HubSpot-RateLimit-Interval-Milliseconds", "60000"),
        ],
        lead_ok("123"),
    )
    .await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy {
            max_elapsed: Duration::from_secs(10),
            ..quick_retries()
        })
        .rate_limits(RateLimits::default())
    });

    let error = drive(client.leads().get("123"), Duration::from_secs(5))
        .await
        .expect("it does not wait the minute")
        .unwrap_err();

    assert_eq!(error.status(), Some(503), "{error:?}");
    assert_eq!(server.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn disabled_retries_still_wait_for_the_rate_limiter() {
    let server = ScriptServer::always(lead_ok("123")).await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy::disabled()).rate_limits(RateLimits {
            general: Some(Window::new(1, Duration::from_secs(1))),
            search: None,
            follow_headers: false,
            daily: None,
        })
    });

    let start = Instant::now();
    for _ in 0..3 {
        drive(client.leads().get("123"), Duration::from_secs(5))
            .await
            .expect("answered")
            .unwrap();
    }

    let arrivals = server.clock_arrivals();
    assert_eq!(per_second(start, &arrivals), [(0, 1), (1, 1), (2, 1)]);
}

// ---------------------------------------------------------------------------------------------
// 4. A create answered with a 2xx that does not parse.

async fn create_answered_with(reply: Reply) -> (Error, ScriptServer) {
    let server = ScriptServer::always(reply).await;
    let client = client_with(&server, |b| b.retry(RetryPolicy::default()));
    let error = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap_err();
    (error, server)
}

fn assert_unknown_create(error: &Error, status: u16) {
    let Error::OutcomeUnknown {
        operation,
        inputs,
        cause,
    } = error
    else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert_eq!(operation, "objects.create");
    assert_eq!(inputs, &["input 0"]);
    assert!(cause.contains(&format!("HTTP {status}")), "{cause}");
}

#[tokio::test]
async fn a_create_answered_with_an_html_200_has_an_unknown_outcome_naming_its_input() {
    let (error, server) = create_answered_with(Reply::html(
        200,
        "<html><body>Please log in to the hotel Wi-Fi</body></html>",
    ))
    .await;
    assert_unknown_create(&error, 200);
    assert_eq!(server.hits(), 1, "never resent");
}

#[tokio::test]
async fn a_create_answered_with_204_has_an_unknown_outcome() {
    let (error, server) = create_answered_with(Reply::raw(
        "HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n",
    ))
    .await;
    assert_unknown_create(&error, 204);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_create_whose_record_misses_a_required_field_has_an_unknown_outcome() {
    let (error, server) = create_answered_with(Reply::json(
        201,
        json!({"properties": {"hs_lead_name": "x"}}),
    ))
    .await;
    assert_unknown_create(&error, 201);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_batch_create_answered_with_an_unparseable_2xx_reports_every_input_as_unknown() {
    let server = ScriptServer::always(Reply::html(200, "<html>captive portal</html>")).await;
    let client = default_retry_client(&server);

    let result = client
        .objects::<Lead>()
        .create_many(vec![new_lead("A", Some("trace-a"))])
        .await
        .unwrap();

    let failure = result.outcomes[0].failed().expect("not confirmed");
    let FailureCause::RequestFailed(error) = &failure.cause else {
        panic!("expected the request's error, got {:?}", failure.cause);
    };
    let Error::OutcomeUnknown { inputs, .. } = error.as_ref() else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert_eq!(inputs, &["objectWriteTraceId trace-a"]);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_read_answered_with_an_unparseable_2xx_stays_a_decode_error() {
    let server = ScriptServer::always(Reply::html(200, "<html>captive portal</html>")).await;
    let client = default_retry_client(&server);

    let error = client.leads().get("123").await.unwrap_err();

    let Error::Decode { status, body, .. } = &error else {
        panic!("expected Decode, got {error:?}");
    };
    assert_eq!(*status, 200);
    assert!(body.contains("captive portal"));
}

// ---------------------------------------------------------------------------------------------
// 5. Search and general limits together.

#[tokio::test(start_paused = true)]
async fn searches_queued_behind_a_general_pause_leave_at_most_five_a_second() {
    // The first answer says: 10 per 10 s, none left. Searches queue behind that pause.
    let server = ScriptServer::start(
        vec![
            lead_ok("123")
                .header("X-HubSpot-RateLimit-Max", "10")
                .header("X-HubSpot-RateLimit-Remaining", "0")
                .header("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"),
        ],
        search_page(),
    )
    .await;
    let client = client_with(&server, |b| {
        b.retry(RetryPolicy {
            max_elapsed: Duration::from_secs(60),
            ..quick_retries()
        })
        .rate_limits(RateLimits::default())
    });

    let start = Instant::now();
    drive(client.leads().get("123"), Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    let searches: Vec<_> = (0..20)
        .map(|_| {
            let clone = client.clone();
            tokio::spawn(async move {
                clone
                    .objects::<Lead>()
                    .search_page(&SearchRequest::default())
                    .await
            })
        })
        .collect();
    let all = drive(futures::future::join_all(searches), Duration::from_secs(30))
        .await
        .expect("all searches are answered");
    for search in all {
        search.unwrap().unwrap();
    }

    let arrivals = server.clock_arrivals();
    assert_eq!(arrivals.len(), 21);
    // At most 5 searches in any second and at most 10 requests in any 10 s, both counted
    // when sent: 5 when the pause ends, 5 the second after (the window is then full), and
    // the same once it has rolled on.
    assert_eq!(
        per_second(start, &arrivals),
        [(0, 1), (10, 5), (11, 5), (20, 5), (21, 5)]
    );
}

// ---------------------------------------------------------------------------------------------
// 6. 401s and token expiry.

fn oauth(server: &MockServer) -> OAuthRefresh {
    OAuthRefresh::new("app-client-id", "app-client-secret", "refresh-1")
        .token_url(server.url(TOKEN_PATH))
}

async fn token_endpoint<'a>(server: &'a MockServer, access: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .form_urlencoded_tuple("refresh_token", "refresh-1");
            then.status(200).json_body(json!({
                "token_type": "bearer",
                "access_token": access,
                "refresh_token": "refresh-2",
                "expires_in": 1800
            }));
        })
        .await
}

fn unauthorized_body() -> Value {
    json!({
        "status": "error",
        "message": "Authentication credentials not found.",
        "correlationId": "401-c",
        "category": "INVALID_AUTHENTICATION"
    })
}

/// The id of the lead these tests read: `LEAD_PATH` is its path.
fn lead_123() -> GetLeadsId {
    "123".parse().unwrap()
}

/// A generated type read from the JSON a test spells out.
fn typed<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).unwrap()
}

/// The read of lead 123 at `LEAD_PATH`, answering only requests with `access` as bearer
/// token, with `answer`.
async fn get_lead_with<'a>(
    server: &'a MockServer,
    access: &str,
    answer: impl FnOnce(GetThen),
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .leads_id(&lead_123())
                .into_inner()
                .header("authorization", format!("Bearer {access}"));
            answer(GetThen::new(then));
        })
        .await
}

/// The create of a lead, answering only requests with `access` as bearer token, with
/// `answer`.
async fn create_lead_with<'a>(
    server: &'a MockServer,
    access: &str,
    answer: impl FnOnce(CreateThen),
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            CreateWhen::new(when)
                .into_inner()
                .header("authorization", format!("Bearer {access}"));
            answer(CreateThen::new(then));
        })
        .await
}

/// HubSpot's 401 for a token it does not take.
fn unauthorized(then: GetThen) {
    then.client_error(401, unauthorized_body());
}

/// Lead 123.
fn lead_found(then: GetThen) {
    then.success(200, &typed(lead_json("123")));
}

#[tokio::test]
async fn an_oauth_401_refreshes_once_and_resends_once() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, "access-2").await;
    let revoked = get_lead_with(&server, "access-1", unauthorized).await;
    let fresh = get_lead_with(&server, "access-2", lead_found).await;
    // Valid for half an hour by the clock, but revoked.
    let oauth = oauth(&server).with_access_token("access-1", Duration::from_secs(1800));
    let client = client_with(&server, |b| b.oauth(oauth));

    let lead = client.leads().get("123").await.unwrap();

    assert_eq!(lead.id, "123");
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(revoked.calls_async().await, 1);
    assert_eq!(fresh.calls_async().await, 1);
    // The new token is kept: no refresh on the next call.
    client.leads().get("123").await.unwrap();
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(fresh.calls_async().await, 2);
}

#[tokio::test]
async fn a_401_on_a_create_is_resent_with_the_new_token() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, "access-2").await;
    let revoked = create_lead_with(&server, "access-1", |then| {
        then.client_error(401, unauthorized_body());
    })
    .await;
    let fresh = create_lead_with(&server, "access-2", |then| {
        then.success(201, &typed(lead_json("901")));
    })
    .await;
    let oauth = oauth(&server).with_access_token("access-1", Duration::from_secs(1800));
    let client = client_with(&server, |b| b.oauth(oauth));

    let created = client
        .objects::<Lead>()
        .create(new_lead("Acme renewal", None))
        .await
        .unwrap();

    assert_eq!(created.id, "901");
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(revoked.calls_async().await, 1);
    assert_eq!(fresh.calls_async().await, 1);
}

#[tokio::test]
async fn a_second_401_after_the_refresh_is_final() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, "access-2").await;
    let api = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&lead_123());
            GetThen::new(then).client_error(401, unauthorized_body());
        })
        .await;
    let oauth = oauth(&server).with_access_token("access-1", Duration::from_secs(1800));
    let client = client_with(&server, |b| b.oauth(oauth).retry(quick_retries()));

    let error = client.leads().get("123").await.unwrap_err();

    assert_eq!(error.status(), Some(401), "{error:?}");
    assert!(
        error.to_string().contains("invalid, expired or revoked"),
        "{error}"
    );
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(api.calls_async().await, 2);
}

#[tokio::test]
async fn a_401_whose_refresh_fails_reports_the_refresh_failure() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(400).json_body(json!({
                "status": "BAD_REFRESH_TOKEN",
                "message": "missing or unknown refresh token"
            }));
        })
        .await;
    let api = get_lead_with(&server, "access-1", unauthorized).await;
    let oauth = oauth(&server).with_access_token("access-1", Duration::from_secs(1800));
    let client = client_with(&server, |b| b.oauth(oauth));

    let error = client.leads().get("123").await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::Auth(AuthError::RefreshRejected { status: 400, .. })
        ),
        "{error:?}"
    );
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(api.calls_async().await, 1);
}

#[tokio::test]
async fn a_static_token_401_is_final_and_says_the_token_is_invalid() {
    let server = MockServer::start_async().await;
    let api = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&lead_123());
            GetThen::new(then).client_error(401, unauthorized_body());
        })
        .await;
    let client = client_with(&server, |b| b.retry(quick_retries()));

    let error = client.leads().get("123").await.unwrap_err();

    let Error::Api(api_error) = &error else {
        panic!("expected HubSpot's answer, got {error:?}");
    };
    assert_eq!(api_error.status, 401);
    assert_eq!(
        api_error.category.as_deref(),
        Some("INVALID_AUTHENTICATION")
    );
    let text = error.to_string();
    assert!(text.contains("invalid, expired or revoked"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    assert_eq!(api.calls_async().await, 1);
}

// ---------------------------------------------------------------------------------------------
// 7. A failed refresh while the current token still works.

#[tokio::test]
async fn a_failed_refresh_inside_the_margin_keeps_the_current_token_and_retries_later() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(503).body("<html>Service Unavailable</html>");
        })
        .await;
    let old = get_lead_with(&server, "access-1", lead_found).await;
    let new = get_lead_with(&server, "access-2", lead_found).await;
    // Valid 30 s more, inside the 60 s margin: due for a refresh, still good.
    let oauth = oauth(&server)
        .with_access_token("access-1", Duration::from_secs(30))
        .refresh_margin(Duration::from_secs(60));
    let client = client_with(&server, |b| b.oauth(oauth));

    client.leads().get("123").await.unwrap();

    assert_eq!(unavailable.calls_async().await, 1);
    assert_eq!(old.calls_async().await, 1);

    unavailable.delete_async().await;
    let token = token_endpoint(&server, "access-2").await;
    client.leads().get("123").await.unwrap();

    assert_eq!(token.calls_async().await, 1, "the next call refreshes");
    assert_eq!(old.calls_async().await, 1);
    assert_eq!(new.calls_async().await, 1);
}

#[tokio::test]
async fn calls_queued_behind_a_failed_refresh_inside_the_margin_use_the_current_token() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(502)
                .body("<html>Bad Gateway</html>")
                .delay(Duration::from_millis(200));
        })
        .await;
    let old = get_lead_with(&server, "access-1", lead_found).await;
    let oauth = oauth(&server)
        .with_access_token("access-1", Duration::from_secs(30))
        .refresh_margin(Duration::from_secs(60));
    let client = client_with(&server, |b| b.oauth(oauth));

    let calls: Vec<_> = (0..5)
        .map(|_| {
            let clone = client.clone();
            tokio::spawn(async move { clone.leads().get("123").await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }

    assert_eq!(unavailable.calls_async().await, 1);
    assert_eq!(old.calls_async().await, 5);
}

#[tokio::test]
async fn an_expired_token_is_not_used_when_the_refresh_fails() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(503).body("<html>Service Unavailable</html>");
        })
        .await;
    let api = server
        .mock_async(|when, then| {
            when.any_request().path_prefix("/crm/");
            then.status(200).json_body(record_json("123", json!({})));
        })
        .await;
    let oauth = oauth(&server).with_access_token("access-1", Duration::ZERO);
    let client = client_with(&server, |b| b.oauth(oauth));

    let error = client.leads().get("123").await.unwrap_err();

    assert!(
        matches!(error, Error::Auth(AuthError::RefreshFailed(_))),
        "{error:?}"
    );
    assert_eq!(unavailable.calls_async().await, 1);
    assert_eq!(api.calls_async().await, 0);
}
