//! Streams end to end: a list read page by page, a search read past HubSpot's 10,000-result
//! window, and pages fetched while a slow reader works through the one before.

use std::time::{Duration, Instant};

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use hubspot_crm::{
    ChangeFeedOptions, Checkpoint, Error, Filter, ReadOptions, SearchRequest, Sort, StreamOptions,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};

use crate::common::{self, client, requests_to, sandbox};

const SEARCH: &str = "/crm/v3/objects/leads/search";

fn numeric_ids(records: &[hubspot_crm::Record]) -> Vec<u64> {
    records.iter().map(|r| r.id.parse().unwrap()).collect()
}

#[tokio::test]
async fn search_stream_reads_past_ten_thousand_results_without_gaps_or_repeats() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
    let mut seeded: Vec<u64> = sandbox
        .seed_leads(&contact, 10_250)
        .iter()
        .map(|id| id.parse().unwrap())
        .collect();
    seeded.sort_unstable();

    let found: Vec<_> = client
        .leads()
        .search_stream(SearchRequest::new().properties(["hs_lead_name"]), None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        numeric_ids(&found),
        seeded,
        "every lead once, by ascending id"
    );
    // 10,000 in 50 pages of 200, then the rest after restarting past the last id.
    assert_eq!(requests_to(&sandbox, "POST", SEARCH), 52);
    assert_eq!(found[0].property("hs_lead_name"), Some("Lead 1"));

    // Sorted by something else there is no way past the window: an error, not a short read.
    let results: Vec<_> = client
        .leads()
        .search_stream(
            SearchRequest::new().sort(Sort::descending("hs_lead_name")),
            None,
        )
        .collect()
        .await;
    let (ok, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(ok.len(), 10_000);
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(errors[0], Err(Error::Validation(_))),
        "{:?}",
        errors[0]
    );
}

#[tokio::test]
async fn filtered_search_and_list_streams_page_through_everything() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let client = client(&sandbox);
    let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
    let seeded = sandbox.seed_leads(&contact, 250);

    let listed: Vec<_> = client
        .leads()
        .list_stream(
            ReadOptions::new().properties(["hs_lead_name"]),
            StreamOptions::new().page_size(100),
        )
        .try_collect()
        .await
        .unwrap();
    let listed_ids: Vec<&str> = listed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(listed_ids, seeded);
    assert_eq!(requests_to(&sandbox, "GET", "/crm/v3/objects/leads"), 3);

    let capped: Vec<_> = client
        .leads()
        .list_stream(
            ReadOptions::new(),
            StreamOptions::new().page_size(40).max_items(50),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(capped.len(), 50);
    assert_eq!(requests_to(&sandbox, "GET", "/crm/v3/objects/leads"), 5);

    let one: Vec<_> = client
        .leads()
        .search_stream(
            SearchRequest::new().filter(Filter::eq("hs_lead_name", "Lead 42")),
            None,
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, seeded[41]);
    let in_list: Vec<_> = client
        .leads()
        .search_stream(
            SearchRequest::new()
                .filter(Filter::is_in(
                    "hs_lead_name",
                    ["Lead 1", "Lead 2", "Lead 250"],
                ))
                .limit(2),
            None,
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        in_list.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [seeded[0].as_str(), seeded[1].as_str(), seeded[249].as_str()]
    );
}

// ---- prefetch ----

const LIST: &str = "/crm/v3/objects/leads";

/// Server latency for the prefetch tests.
const LATENCY: Duration = Duration::from_millis(30);

/// Reads `stream` to its end, spending a millisecond on each item; returns the items and when
/// each was handled.
async fn read_slowly<T>(
    mut stream: BoxStream<'static, hubspot_crm::Result<T>>,
) -> (Vec<T>, Vec<Instant>) {
    let (mut items, mut handled) = (Vec::new(), Vec::new());
    while let Some(item) = stream.next().await {
        items.push(item.expect("an item"));
        tokio::time::sleep(Duration::from_millis(1)).await;
        handled.push(Instant::now());
    }
    (items, handled)
}

/// When each request to `path` arrived, oldest first.
fn arrivals(sandbox: &Sandbox, method: &str, path: &str) -> Vec<Instant> {
    sandbox
        .request_log()
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .map(|r| r.at)
        .collect()
}

/// For each request after the first, how many items the reader had handled when it arrived,
/// against where the pages before it end (`per_page`: items each page yields). With
/// `prefetch`, each arrived while the reader was on the page before (and not before it
/// started that page); without, once the page before was used up.
fn assert_overlap(prefetch: bool, arrivals: &[Instant], handled: &[Instant], per_page: &[usize]) {
    let ends: Vec<usize> = per_page
        .iter()
        .scan(0, |sum, n| {
            *sum += n;
            Some(*sum)
        })
        .collect();
    assert_eq!(arrivals.len(), per_page.len());
    for k in 1..arrivals.len() {
        let done = handled.iter().filter(|at| **at < arrivals[k]).count();
        if prefetch {
            let started = if k >= 2 { ends[k - 2] } else { 0 };
            assert!(
                started <= done && done < ends[k - 1],
                "request {k} arrived with {done} items handled; pages end at {ends:?}"
            );
        } else {
            assert_eq!(done, ends[k - 1], "request {k}; pages end at {ends:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_latency_the_next_list_page_arrives_while_the_reader_handles_the_one_before() {
    for prefetch in [1, 0] {
        let sandbox = sandbox(SandboxConfig::new().latency(LATENCY)).await;
        let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
        let seeded = sandbox.seed_leads(&contact, 300);

        let start = Instant::now();
        let stream = client(&sandbox).leads().list_stream(
            ReadOptions::new().properties(["hs_lead_name"]),
            StreamOptions::new().page_size(50).prefetch(prefetch),
        );
        let (leads, handled) = read_slowly(stream).await;
        println!("prefetch {prefetch}: 6 pages in {:?}", start.elapsed());

        let ids: Vec<&str> = leads.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, seeded);
        assert_overlap(
            prefetch > 0,
            &arrivals(&sandbox, "GET", LIST),
            &handled,
            &[50; 6],
        );
        sandbox.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_latency_the_next_search_page_arrives_while_the_reader_handles_the_one_before() {
    for prefetch in [1, 0] {
        let sandbox = sandbox(SandboxConfig::new().latency(LATENCY)).await;
        let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
        let mut seeded: Vec<u64> = sandbox
            .seed_leads(&contact, 200)
            .iter()
            .map(|id| id.parse().unwrap())
            .collect();
        seeded.sort_unstable();

        let stream = client(&sandbox).leads().search_stream_with(
            SearchRequest::new().limit(40),
            StreamOptions::new().prefetch(prefetch),
        );
        let (found, handled) = read_slowly(stream).await;

        assert_eq!(numeric_ids(&found), seeded);
        // Five full pages; the last names no next page.
        assert_overlap(
            prefetch > 0,
            &arrivals(&sandbox, "POST", SEARCH),
            &handled,
            &[40; 5],
        );
        sandbox.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_latency_the_next_feed_page_arrives_while_the_reader_handles_the_one_before() {
    for prefetch in [1, 0] {
        let sandbox = sandbox(SandboxConfig::new().latency(LATENCY)).await;
        let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
        // One lead per millisecond or more, so pages move on by time alone.
        let mut seeded = Vec::new();
        for _ in 0..30 {
            seeded.extend(sandbox.seed_leads(&contact, 1));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }

        let stream = client(&sandbox).leads().changes(
            Checkpoint::beginning(),
            ChangeFeedOptions::new().page_size(10).prefetch(prefetch),
        );
        let (changes, handled) = read_slowly(stream).await;

        let ids: Vec<&str> = changes.iter().map(|c| c.record.id.as_str()).collect();
        assert_eq!(ids, seeded);
        // Each page after the first starts at the last one's time and repeats its lead.
        assert_overlap(
            prefetch > 0,
            &arrivals(&sandbox, "POST", SEARCH),
            &handled,
            &[10, 9, 9, 2],
        );
        sandbox.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_sends_no_more_requests_to_the_sandbox() {
    let sandbox = sandbox(SandboxConfig::new().latency(LATENCY)).await;
    let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
    sandbox.seed_leads(&contact, 500);
    let mut stream = client(&sandbox).leads().list_stream(
        ReadOptions::new(),
        StreamOptions::new().page_size(50).prefetch(1),
    );

    // Into the second page: the third is fetched meanwhile, and nothing past it.
    for read in 0..99 {
        stream.next().await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        if read >= 60 && requests_to(&sandbox, "GET", LIST) == 3 {
            break;
        }
    }
    assert_eq!(requests_to(&sandbox, "GET", LIST), 3);
    drop(stream);
    tokio::time::sleep(LATENCY * 10).await;

    assert_eq!(requests_to(&sandbox, "GET", LIST), 3);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_reader_pausing_longer_than_the_request_timeout_sends_one_search_per_page() {
    let sandbox = sandbox(SandboxConfig::new()).await;
    let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
    let mut seeded = Vec::new();
    for _ in 0..3 {
        seeded.extend(sandbox.seed_leads(&contact, 1));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let client = hubspot_crm::Client::builder()
        .access_token(common::TOKEN)
        .base_url(sandbox.base_url())
        .timeout(Duration::from_millis(300))
        .retry(common::fast_retry())
        .rate_limits(hubspot_crm::RateLimits::off())
        .build()
        .unwrap();
    let mut feed = client.leads().changes(
        Checkpoint::beginning(),
        ChangeFeedOptions::new().page_size(2),
    );

    let mut ids = Vec::new();
    while let Some(change) = feed.next().await {
        ids.push(change.expect("a change, not a timeout").record.id.clone());
        // A database flush longer than the timeout, away from the feed.
        tokio::time::sleep(Duration::from_millis(600)).await;
    }

    assert_eq!(ids, seeded);
    // From the beginning, then from the first page's last time, then from the second's.
    assert_eq!(requests_to(&sandbox, "POST", SEARCH), 3);
    sandbox.shutdown().await;
}
