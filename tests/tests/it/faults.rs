//! Faults end to end: proxy errors and dropped connections, rate limits, the daily limit and
//! authentication, against a sandbox configured to produce them.

use std::collections::BTreeMap;
use std::time::Duration;

use hubspot_crm::{
    Client, Error, FailureCause, NewRecord, RateLimits, ReadOptions, RetryPolicy, Window,
    lead_properties as p,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};

use crate::common::{
    self, TOKEN, client, client_with, fast_retry, lead_input, lead_name_counts, requests_to,
    sandbox,
};

const LEADS: &str = "/crm/v3/objects/leads";

/// Seeds a contact and `n` leads straight into the store (no requests).
fn seed(sandbox: &Sandbox, n: usize) -> (String, Vec<String>) {
    let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
    let leads = sandbox.seed_leads(&contact, n);
    (contact, leads)
}

async fn read_all(
    client: &Client,
    ids: &[String],
) -> Vec<hubspot_crm::Result<hubspot_crm::Record>> {
    let options = ReadOptions::new().properties([p::HS_LEAD_NAME]);
    let mut results = Vec::new();
    for id in ids {
        results.push(client.leads().get_with(id, &options).await);
    }
    results
}

#[tokio::test]
async fn reads_succeed_through_proxy_errors_by_retrying() {
    let sandbox = sandbox(SandboxConfig::new().fail_rate(0.3, 7)).await;
    let (_, ids) = seed(&sandbox, 30);
    let client = client(&sandbox);

    for (i, result) in read_all(&client, &ids).await.into_iter().enumerate() {
        let lead = result.unwrap_or_else(|e| panic!("lead {i}: {e}"));
        assert_eq!(
            lead.property(p::HS_LEAD_NAME),
            Some(format!("Lead {}", i + 1).as_str())
        );
    }
    let gets = sandbox
        .request_log()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert!(
        gets > ids.len(),
        "some reads were answered 5xx and retried: {gets} requests"
    );

    // A search and a page-by-page list get through as well.
    assert_eq!(lead_name_counts(&client).await.len(), 30);
}

#[tokio::test]
async fn without_retries_a_proxy_error_comes_back_typed_with_its_html_body() {
    let sandbox = sandbox(SandboxConfig::new().fail_rate(0.3, 7)).await;
    let (_, ids) = seed(&sandbox, 30);
    let client = client_with(&sandbox, RetryPolicy::disabled(), RateLimits::off());

    let results = read_all(&client, &ids).await;
    assert_eq!(sandbox.request_count(), 30, "one request per read");
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(!failures.is_empty(), "the fault rate produced failures");
    for failure in failures {
        let Error::Api(api) = failure else {
            panic!("expected an API error, got {failure:?}");
        };
        assert!(matches!(api.status, 502..=504), "{api}");
        assert!(
            api.raw_body
                .as_deref()
                .unwrap_or_default()
                .contains("<html>"),
            "{api}"
        );
        assert_eq!(api.category, None);
    }
}

#[tokio::test]
async fn reads_succeed_through_dropped_connections_by_retrying() {
    let sandbox = sandbox(SandboxConfig::new().drop_rate(0.3, 11)).await;
    let (_, ids) = seed(&sandbox, 30);
    let client = client(&sandbox);
    for result in read_all(&client, &ids).await {
        result.unwrap();
    }
    assert!(
        sandbox.request_count() > 30,
        "some connections were dropped and retried"
    );
}

/// Checks creates sent one by one under faults: each is confirmed or reported as unknown,
/// none is resent, and no lead exists twice. `unknown_were_created` says whether the faults
/// strike after the sandbox did the work (the answer was lost) or before.
async fn creates_are_never_duplicated(config: SandboxConfig, unknown_were_created: bool) {
    let sandbox = sandbox(config).await;
    let (contact, _) = seed(&sandbox, 0);
    let client = client(&sandbox);
    let names: Vec<String> = (0..40).map(|i| format!("Unique lead {i}")).collect();

    let mut confirmed = Vec::new();
    let mut unknown = Vec::new();
    for name in &names {
        match client.leads().new_lead(name).contact(&contact).send().await {
            Ok(lead) => {
                assert_eq!(lead.property(p::HS_LEAD_NAME), Some(name.as_str()));
                confirmed.push(name.clone());
            }
            Err(Error::OutcomeUnknown { operation, .. }) => {
                assert_eq!(operation, "objects.create");
                unknown.push(name.clone());
            }
            Err(other) => panic!("{name}: expected success or an unknown outcome, got {other:?}"),
        }
    }
    assert!(
        !confirmed.is_empty() && !unknown.is_empty(),
        "{confirmed:?} {unknown:?}"
    );
    assert_eq!(
        requests_to(&sandbox, "POST", LEADS),
        names.len(),
        "no create was resent"
    );

    let counts = lead_name_counts(&client).await;
    assert!(
        counts.values().all(|&n| n == 1),
        "a lead exists twice: {counts:?}"
    );
    for name in &confirmed {
        assert_eq!(counts.get(name), Some(&1), "{name} was confirmed");
    }
    let expected = unknown_were_created.then_some(&1);
    for name in &unknown {
        assert_eq!(counts.get(name), expected, "{name}");
    }
}

#[tokio::test]
async fn creates_under_proxy_errors_are_confirmed_or_unknown_and_never_duplicated() {
    creates_are_never_duplicated(SandboxConfig::new().fail_rate(0.3, 3), false).await;
}

#[tokio::test]
async fn creates_over_dropped_connections_are_confirmed_or_unknown_and_never_duplicated() {
    creates_are_never_duplicated(SandboxConfig::new().drop_rate(0.3, 5), false).await;
}

/// The real risk: HubSpot created the lead but the answer never came. The client reports the
/// outcome as unknown instead of resending, so each of those leads exists exactly once.
#[tokio::test]
async fn creates_whose_answer_is_lost_are_unknown_and_exist_once() {
    creates_are_never_duplicated(SandboxConfig::new().lose_answer_rate(0.3, 8), true).await;
}

#[tokio::test]
async fn bulk_creates_under_proxy_errors_report_unsent_chunks_as_maybe_applied() {
    let sandbox = sandbox(SandboxConfig::new().fail_rate(0.4, 1)).await;
    let (contact, _) = seed(&sandbox, 0);
    let client = client(&sandbox);
    let names: Vec<String> = (0..600).map(|i| format!("Bulk {i:03}")).collect();
    let inputs: Vec<NewRecord> = names.iter().map(|n| lead_input(n, &contact)).collect();

    let result = client.leads().create_many(inputs).await.unwrap();
    assert_eq!(
        requests_to(&sandbox, "POST", "/crm/v3/objects/leads/batch/create"),
        6
    );
    assert_eq!(result.outcomes.len(), 600);
    let failed: Vec<_> = result.failed().collect();
    assert!(
        !failed.is_empty() && failed.len() < 600,
        "{} failed",
        failed.len()
    );
    // Whole requests fail together: failures come in runs of 100 aligned on 100.
    assert_eq!(failed.len() % 100, 0);
    for failure in &failed {
        assert!(failure.may_have_been_applied());
        let FailureCause::RequestFailed(error) = &failure.cause else {
            panic!("item {}: {}", failure.index, failure.cause);
        };
        assert!(matches!(**error, Error::OutcomeUnknown { .. }), "{error}");
    }

    let counts = lead_name_counts(&client).await;
    assert!(counts.values().all(|&n| n == 1), "a lead exists twice");
    let succeeded: BTreeMap<String, usize> = result
        .succeeded()
        .map(|r| (r.property(p::HS_LEAD_NAME).unwrap().to_owned(), 1))
        .collect();
    assert_eq!(counts, succeeded, "exactly the confirmed leads exist");
}

/// Largest number of requests that arrived within any `window`.
fn busiest_window(sandbox: &Sandbox, window: Duration) -> usize {
    let log = sandbox.request_log();
    let Some(first) = log.iter().map(|r| r.at).min() else {
        return 0;
    };
    let mut times: Vec<_> = log.iter().map(|r| r.at - first).collect();
    times.sort();
    common::busiest(&times, window)
}

#[tokio::test]
async fn the_client_limiter_keeps_concurrent_reads_under_the_sandbox_limit() {
    let window = Duration::from_millis(500);
    let sandbox = sandbox(SandboxConfig::new().rate_limit(10, window)).await;
    let (_, ids) = seed(&sandbox, 40);
    let limits = RateLimits {
        general: Some(Window::new(10, window)),
        search: None,
        follow_headers: true,
        daily: None,
    };
    let client = client_with(&sandbox, fast_retry(), limits);

    let reads = ids.iter().map(|id| {
        let client = client.clone();
        async move { client.leads().get(id).await }
    });
    let results = futures::future::join_all(reads).await;
    for (result, id) in results.iter().zip(&ids) {
        assert_eq!(&result.as_ref().unwrap().id, id);
    }
    // Arrival times, for the failure messages.
    let log = sandbox.request_log();
    let arrivals_ms: Vec<String> = log
        .iter()
        .map(|r| format!("{:.1}", (r.at - log[0].at).as_secs_f64() * 1000.0))
        .collect();
    let busiest = busiest_window(&sandbox, window);
    // A 429 would have been retried: one request per read means none was answered 429.
    assert_eq!(
        sandbox.request_count(),
        40,
        "some reads were answered 429 and resent; arrivals (ms): {arrivals_ms:?}"
    );
    assert!(
        busiest <= 10,
        "{busiest} requests arrived within {window:?}; arrivals (ms): {arrivals_ms:?}"
    );
}

#[tokio::test]
async fn without_a_client_limiter_the_sandbox_answers_429_and_retries_recover() {
    let window = Duration::from_millis(500);
    let config = || SandboxConfig::new().rate_limit(10, window);

    // No limiter, no retries: HubSpot's 429 comes back typed.
    let sandbox_a = sandbox(config()).await;
    let (_, ids) = seed(&sandbox_a, 40);
    let client = client_with(&sandbox_a, RetryPolicy::disabled(), RateLimits::off());
    let reads = ids.iter().map(|id| {
        let client = client.clone();
        async move { client.leads().get(id).await }
    });
    let results = futures::future::join_all(reads).await;
    let limited: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let log = sandbox_a.request_log();
    let span = log[log.len() - 1].at - log[0].at;
    if span < window {
        assert_eq!(limited.len(), 30, "10 fit in the window");
    } else {
        assert!(!limited.is_empty(), "40 requests in {span:?}, none limited");
    }
    for error in limited {
        let api = error.api_error().unwrap_or_else(|| panic!("{error:?}"));
        assert!(api.is_rate_limited());
        assert_eq!(api.policy_name.as_deref(), Some("TEN_SECONDLY_ROLLING"));
        assert!(!api.is_daily_limit());
    }

    // No limiter, with retries: every read ends well, after waiting out the window.
    let sandbox_b = sandbox(config()).await;
    let (_, ids) = seed(&sandbox_b, 40);
    let client = client_with(&sandbox_b, fast_retry(), RateLimits::off());
    let reads = ids.iter().map(|id| {
        let client = client.clone();
        async move { client.leads().get(id).await }
    });
    for result in futures::future::join_all(reads).await {
        result.unwrap();
    }
    assert!(
        sandbox_b.request_count() > 40,
        "429s were answered and retried"
    );
}

#[tokio::test]
async fn the_daily_limit_is_final_and_not_retried() {
    let sandbox = sandbox(SandboxConfig::new().daily_limit(3)).await;
    let (_, ids) = seed(&sandbox, 1);
    let client = client(&sandbox);
    for _ in 0..3 {
        client.leads().get(&ids[0]).await.unwrap();
    }
    let error = client.leads().get(&ids[0]).await.unwrap_err();
    let Error::HubSpotDailyLimit(api) = &error else {
        panic!("expected the daily limit, got {error:?}");
    };
    assert_eq!(api.status, 429);
    assert_eq!(api.policy_name.as_deref(), Some("DAILY"));
    assert_eq!(sandbox.request_count(), 4, "not retried");
}

#[tokio::test]
async fn a_daily_budget_stops_before_hubspots_daily_429() {
    let sandbox = sandbox(SandboxConfig::new().daily_limit(3)).await;
    let (_, ids) = seed(&sandbox, 1);
    let limits = RateLimits {
        daily: Some(common::daily_budget_at_noon(250_000)),
        follow_headers: true,
        ..RateLimits::off()
    };
    let client = client_with(&sandbox, fast_retry(), limits);
    for _ in 0..3 {
        client.leads().get(&ids[0]).await.unwrap();
    }
    // HubSpot's headers said nothing is left: the fourth is refused unsent.
    let error = client.leads().get(&ids[0]).await.unwrap_err();
    let Error::DailyBudgetSpent { budget, resets_at } = &error else {
        panic!("expected the daily budget, got {error:?}");
    };
    assert_eq!(*budget, 250_000);
    assert!(*resets_at > chrono::Utc::now());
    assert_eq!(sandbox.request_count(), 3, "nothing sent after the budget");
    assert_eq!(sandbox.rate_limited_count(), 0);
}

#[tokio::test]
async fn a_wrong_token_is_a_401_and_the_right_one_works() {
    let sandbox = sandbox(SandboxConfig::new().access_token(TOKEN)).await;
    let (_, ids) = seed(&sandbox, 1);
    let wrong = Client::builder()
        .access_token("pat-na1-wrong")
        .base_url(sandbox.base_url())
        .retry(fast_retry())
        .build()
        .unwrap();
    let error = wrong.leads().get(&ids[0]).await.unwrap_err();
    let Error::Api(api) = &error else {
        panic!("expected HubSpot's answer, got {error:?}");
    };
    assert_eq!(api.status, 401);
    assert_eq!(api.category.as_deref(), Some("INVALID_AUTHENTICATION"));
    assert!(
        !error.to_string().contains("pat-na1-wrong"),
        "the token is not shown: {error}"
    );
    assert_eq!(sandbox.request_count(), 1, "a 401 is not retried");

    client(&sandbox).leads().get(&ids[0]).await.unwrap();
}

#[tokio::test]
async fn oauth_tokens_are_fetched_from_the_token_endpoint_and_used() {
    let sandbox =
        sandbox(SandboxConfig::new().oauth_client("app-id", "app-secret", "refresh-1")).await;
    let (_, ids) = seed(&sandbox, 2);
    let oauth = hubspot_crm::OAuthRefresh::new("app-id", "app-secret", "refresh-1")
        .token_url(format!("{}/oauth/v1/token", sandbox.base_url()));
    let client = Client::builder()
        .oauth(oauth)
        .base_url(sandbox.base_url())
        .retry(fast_retry())
        .build()
        .unwrap();
    for id in &ids {
        client.leads().get(id).await.unwrap();
    }
    assert_eq!(
        requests_to(&sandbox, "POST", "/oauth/v1/token"),
        1,
        "one refresh, reused"
    );

    let revoked = hubspot_crm::OAuthRefresh::new("app-id", "app-secret", "not-the-token")
        .token_url(format!("{}/oauth/v1/token", sandbox.base_url()));
    let client = Client::builder()
        .oauth(revoked)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let error = client.leads().get(&ids[0]).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Auth(hubspot_crm::AuthError::RefreshRejected { .. })
        ),
        "{error:?}"
    );
    assert_eq!(
        requests_to(&sandbox, "GET", &format!("{LEADS}/{}", ids[0])),
        1,
        "no read was sent without a token"
    );
}
