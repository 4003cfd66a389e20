//! Helpers shared by the end-to-end tests: a client pointed at a sandbox, and ways to look at
//! what the sandbox holds and received.

// Each test binary (`it`, `shared_limits`) uses its own subset of these.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use hubspot_crm::{
    AssociationType, Client, NewRecord, RateLimits, ReadOptions, RetryPolicy, StreamOptions,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};

/// The token every test client sends (the default sandbox accepts any bearer token).
pub const TOKEN: &str = "pat-na1-test";

/// Retries on a millisecond scale, so that fault tests take milliseconds, not minutes.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 10,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        rate_limit_wait: Duration::from_millis(50),
    }
}

/// A sandbox with `config`.
pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A client for `sandbox` with fast retries and no client-side rate limits.
pub fn client(sandbox: &Sandbox) -> Client {
    client_with(sandbox, fast_retry(), RateLimits::off())
}

/// A client for `sandbox` with the given retry policy and rate limits.
pub fn client_with(sandbox: &Sandbox, retry: RetryPolicy, limits: RateLimits) -> Client {
    Client::builder()
        .access_token(TOKEN)
        .base_url(sandbox.base_url())
        .timeout(Duration::from_secs(10))
        .retry(retry)
        .rate_limits(limits)
        .build()
        .expect("client builds")
}

/// A record to create with the given properties.
pub fn record<const N: usize>(properties: [(&str, &str); N]) -> NewRecord {
    properties
        .into_iter()
        .fold(NewRecord::new(), |record, (k, v)| record.property(k, v))
}

/// A lead named `name` whose primary contact (type 578) is `contact_id`.
pub fn lead_input(name: &str, contact_id: &str) -> NewRecord {
    record([("hs_lead_name", name)]).associate(contact_id, AssociationType::hubspot(578))
}

/// Creates a contact through the client and returns its id.
pub async fn create_contact(client: &Client, email: &str) -> String {
    client
        .contacts()
        .create(record([("email", email), ("firstname", "Ada")]))
        .await
        .expect("contact is created")
        .into_inner()
        .id
}

/// Names of the live leads, each with how often it occurs, read through `client`.
pub async fn lead_name_counts(client: &Client) -> BTreeMap<String, usize> {
    let leads: Vec<_> = client
        .leads()
        .list_stream(
            ReadOptions::new().properties(["hs_lead_name"]),
            StreamOptions::new(),
        )
        .try_collect()
        .await
        .expect("leads can be listed");
    let mut counts = BTreeMap::new();
    for lead in leads {
        let name = lead.property("hs_lead_name").unwrap_or_default().to_owned();
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

/// How many requests the sandbox received with this method and path.
pub fn requests_to(sandbox: &Sandbox, method: &str, path: &str) -> usize {
    sandbox
        .request_log()
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}

/// `(method, path)` of each request the sandbox received after the first `skip`.
pub fn requests_since(sandbox: &Sandbox, skip: usize) -> Vec<(String, String)> {
    sandbox
        .request_log()
        .into_iter()
        .skip(skip)
        .map(|r| (r.method, r.path))
        .collect()
}

/// The most of `times` (sorted) that fall within any `window`.
pub fn busiest(times: &[std::time::Duration], window: Duration) -> usize {
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// A daily budget in a time zone where it is about noon now, so that a test is never near
/// the midnight around which HubSpot's daily counts are not taken.
pub fn daily_budget_at_noon(requests: u64) -> hubspot_crm::DailyBudget {
    let minutes = chrono::Utc::now().timestamp().rem_euclid(86_400) / 60;
    hubspot_crm::DailyBudget::new(requests).utc_offset_minutes(12 * 60 - minutes as i32)
}
