//! The client-side rate limiters, seen from the server: requests counted per window on
//! arrival.

use std::time::{Duration, Instant};

use crate::support::script_server::{Reply, ScriptServer, lead_ok, rolling_429};
use crate::support::{client_with, quick_retries};
use hubspot_crm::{Client, Lead, RateLimits, SearchRequest, Window};
use serde_json::json;

/// Asserts the server saw requests no faster than `max` per `window` since `start`: the k-th
/// arrival (0-based) comes at least `k / max` windows after `start`. Delays on the way (a busy
/// machine) only make arrivals later, so this cannot fail by chance; without a limiter every
/// request arrives within milliseconds.
/// Also, as HubSpot counts: never more than `max` arrivals within any `window`.
fn assert_paced(start: Instant, arrivals: &[Instant], max: usize, window: Duration) {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    for (i, first) in sorted.iter().enumerate() {
        let in_window = sorted[i..]
            .iter()
            .take_while(|a| **a - *first < window)
            .count();
        assert!(
            in_window <= max,
            "{in_window} requests arrived within {window:?} ({max} allowed)"
        );
    }
    for (k, arrival) in arrivals.iter().enumerate() {
        let earliest = window * (k / max) as u32;
        let after = *arrival - start;
        assert!(
            after >= earliest,
            "request {k} arrived {after:?} after the start, before {earliest:?} ({max} per {window:?})"
        );
    }
}

fn limited_client(server: &ScriptServer, limits: RateLimits) -> Client {
    client_with(server, |b| b.retry(quick_retries()).rate_limits(limits))
}

fn search_page() -> Reply {
    Reply::json(200, json!({"total": 0, "results": [], "paging": null}))
}

#[test]
fn defaults_are_the_common_tier_and_five_searches_a_second() {
    let limits = RateLimits::default();
    assert_eq!(
        limits.general,
        Some(Window::new(100, Duration::from_secs(10)))
    );
    assert_eq!(limits.search, Some(Window::new(5, Duration::from_secs(1))));
    assert!(limits.follow_headers);
    let client = Client::builder().access_token("t").build().unwrap();
    assert_eq!(client.rate_limits(), limits);
}

#[tokio::test]
async fn concurrent_tasks_on_clones_share_one_window() {
    let server = ScriptServer::always(lead_ok("123")).await;
    let window = Window::new(3, Duration::from_millis(400));
    let client = limited_client(
        &server,
        RateLimits {
            general: Some(window),
            search: None,
            follow_headers: false,
            daily: None,
        },
    );

    let start = Instant::now();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let clone = client.clone();
            tokio::spawn(async move { clone.leads().get("123").await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 12);
    assert_paced(start, &arrivals, 3, window.length);
}

#[tokio::test]
async fn searches_have_their_own_window() {
    let server = ScriptServer::always(search_page()).await;
    let search_window = Window::new(2, Duration::from_millis(400));
    let client = limited_client(
        &server,
        RateLimits {
            general: None,
            search: Some(search_window),
            follow_headers: false,
            daily: None,
        },
    );

    let start = Instant::now();
    let tasks: Vec<_> = (0..6)
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
    for task in tasks {
        assert!(task.await.unwrap().unwrap().results.is_empty());
    }

    let received = server.received();
    assert_eq!(received.len(), 6);
    assert!(
        received
            .iter()
            .all(|r| r.method == "POST" && r.path() == "/crm/v3/objects/leads/search")
    );
    assert_paced(start, &server.arrivals(), 2, search_window.length);
}

#[tokio::test]
async fn remaining_zero_makes_the_next_request_wait_for_the_window() {
    let server = ScriptServer::start(
        vec![
            lead_ok("123")
                .header("X-HubSpot-RateLimit-Max", "100")
                .header("X-HubSpot-RateLimit-Remaining", "0")
                .header("X-HubSpot-RateLimit-Interval-Milliseconds", "500"),
        ],
        lead_ok("123"),
    )
    .await;
    let client = limited_client(&server, RateLimits::default());

    let start = Instant::now();
    client.leads().get("123").await.unwrap();
    client.leads().get("123").await.unwrap();

    // Without the headers the second request would leave at once.
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2);
    assert_paced(start, &arrivals, 1, Duration::from_millis(500));
}

#[tokio::test]
async fn the_reported_max_and_interval_replace_the_configured_window() {
    // HubSpot says: 2 per 400 ms, 1 left.
    let server = ScriptServer::start(
        vec![
            lead_ok("123")
                .header("X-HubSpot-RateLimit-Max", "2")
                .header("X-HubSpot-RateLimit-Remaining", "1")
                .header("X-HubSpot-RateLimit-Interval-Milliseconds", "400"),
        ],
        lead_ok("123"),
    )
    .await;
    let client = limited_client(&server, RateLimits::default());

    let start = Instant::now();
    client.leads().get("123").await.unwrap();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let clone = client.clone();
            tokio::spawn(async move { clone.leads().get("123").await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 6);
    assert_paced(start, &arrivals, 2, Duration::from_millis(400));
}

#[tokio::test]
async fn a_rolling_429_holds_back_the_other_tasks_too() {
    // The first request is turned away for a 400 ms window; the rest wait it out with it.
    let server = ScriptServer::start(
        vec![rolling_429().header("X-HubSpot-RateLimit-Interval-Milliseconds", "400")],
        lead_ok("123"),
    )
    .await;
    let client = limited_client(
        &server,
        RateLimits {
            general: Some(Window::new(100, Duration::from_secs(10))),
            search: None,
            follow_headers: false,
            daily: None,
        },
    );

    let turned_away = tokio::spawn({
        let clone = client.clone();
        async move { clone.leads().get("123").await }
    });
    // Once the 429 has been answered, three more requests start while the first waits.
    while server.hits() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let first = server.arrivals()[0];
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let clone = client.clone();
            tokio::spawn(async move { clone.leads().get("123").await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    turned_away.await.unwrap().unwrap();

    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 5);
    for later in &arrivals[1..] {
        let after = *later - first;
        assert!(
            after >= Duration::from_millis(400),
            "a request went out {after:?} after the 429"
        );
    }
}
