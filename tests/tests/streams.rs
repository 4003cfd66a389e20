//! Streams end to end: a list read page by page, and a search read past HubSpot's
//! 10,000-result window.

mod common;

use common::{client, requests_to, sandbox};
use futures::{StreamExt, TryStreamExt};
use hubspot_crm::{Error, Filter, ReadOptions, SearchRequest, Sort, StreamOptions};
use hubspot_sandbox::SandboxConfig;

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
