//! Reads that never miss or repeat records: keyset paging, bounded cursor cycles.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{client, default_retry_client, json_response, record_json};
use futures::StreamExt;
use httpmock::prelude::*;
use hubspot_crm::{Error, Lead, ReadOptions, SearchRequest, StreamOptions};
use hubspot_crm_mock::associations::operations as associations_mock;
use hubspot_crm_mock::leads::operations::{ListThen, ListWhen};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

/// A generated type read from the JSON a test spells out.
fn typed<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn records_archived_during_a_search_are_never_skipped() {
    let sandbox = Sandbox::start(SandboxConfig::new()).await.unwrap();
    let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    let mut ids: Vec<u64> = sandbox
        .seed_leads(&contact, 500)
        .iter()
        .map(|id| id.parse().unwrap())
        .collect();
    ids.sort_unstable();
    let client = client(&sandbox.base_url());
    let leads = client.leads();

    let mut stream = leads.search_stream(SearchRequest::new().limit(100), None);
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen.push(
            stream
                .next()
                .await
                .unwrap()
                .unwrap()
                .id
                .parse::<u64>()
                .unwrap(),
        );
    }
    // Half of what was read goes to the recycling bin before the next page is asked for:
    // offsets would now start 50 records further on and never return those 50.
    let archived: Vec<String> = seen[..50].iter().map(u64::to_string).collect();
    let result = leads.archive_many(archived).await.unwrap();
    assert!(result.is_complete_success());
    while let Some(record) = stream.next().await {
        seen.push(record.unwrap().id.parse().unwrap());
    }

    let missing: Vec<&u64> = ids.iter().filter(|id| !seen.contains(id)).collect();
    assert!(missing.is_empty(), "never returned: {missing:?}");
    assert_eq!(seen, ids, "every record once, in id order");
}

#[tokio::test]
async fn a_list_of_endless_empty_pages_ends_with_an_error() {
    let server = MockServer::start_async().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let endless = server
        .mock_async(move |when, then| {
            ListWhen::new(when);
            then.respond_with(move |_req: &HttpMockRequest| {
                // Every page is empty and names a new next page.
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                json_response(
                    200,
                    &json!({"results": [], "paging": {"next": {"after": n.to_string()}}}),
                )
            });
        })
        .await;

    let items: Vec<_> = default_retry_client(&server)
        .objects::<Lead>()
        .list_stream(ReadOptions::new(), StreamOptions::new())
        .collect()
        .await;

    assert_eq!(items.len(), 1);
    assert!(
        matches!(&items[0], Err(Error::Paging(message)) if message.contains("empty pages")),
        "{items:?}"
    );
    endless.assert_calls_async(3).await;
    assert_eq!(asked.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_cursor_cycle_longer_than_one_page_ends_the_stream() {
    let server = MockServer::start_async().await;
    let page = |id: u64, next: &str| {
        json!({
            "results": [record_json(&id.to_string(), json!({"hs_lead_name": "x"}))],
            "paging": {"next": {"after": next}}
        })
    };
    let first = server
        .mock_async(|when, then| {
            ListWhen::new(when).after(None::<&str>);
            ListThen::new(then).success(200, &typed(page(1, "a")));
        })
        .await;
    let a = server
        .mock_async(|when, then| {
            ListWhen::new(when).after("a");
            ListThen::new(then).success(200, &typed(page(2, "b")));
        })
        .await;
    let b = server
        .mock_async(|when, then| {
            ListWhen::new(when).after("b");
            // Back to a cursor already followed two pages ago.
            ListThen::new(then).success(200, &typed(page(3, "a")));
        })
        .await;

    let items: Vec<_> = default_retry_client(&server)
        .objects::<Lead>()
        .list_stream(ReadOptions::new(), StreamOptions::new())
        .collect()
        .await;

    let ids: Vec<&str> = items
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert!(
        matches!(items.last(), Some(Err(Error::Paging(message))) if message.contains("cursor `a`")),
        "{items:?}"
    );
    first.assert_calls_async(1).await;
    a.assert_calls_async(1).await;
    b.assert_calls_async(1).await;
}

#[tokio::test]
async fn association_lists_stop_on_a_cursor_cycle() {
    let server = MockServer::start_async().await;
    // Lead 901's contacts. The answers stay raw JSON: HubSpot sends `toObjectId` as a number,
    // the generated type would write it back as a string.
    let associations = |when: httpmock::When| {
        associations_mock::ListWhen::new(when)
            .object_type("leads")
            .object_id("901")
            .to_object_type("contacts")
    };
    let page = |id: u64, next: &str| {
        json!({
            "results": [{"toObjectId": id, "associationTypes": []}],
            "paging": {"next": {"after": next}}
        })
    };
    let first = server
        .mock_async(|when, then| {
            associations(when).after(None::<&str>);
            associations_mock::ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(page(51, "x"));
        })
        .await;
    let x = server
        .mock_async(|when, then| {
            associations(when).after("x");
            associations_mock::ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(page(52, "y"));
        })
        .await;
    let y = server
        .mock_async(|when, then| {
            associations(when).after("y");
            associations_mock::ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(page(53, "x"));
        })
        .await;

    let error = client(&server)
        .associations()
        .list_all("leads", "901", "contacts")
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::Paging(message) if message.contains("cursor `x`")),
        "{error:?}"
    );
    first.assert_calls_async(1).await;
    x.assert_calls_async(1).await;
    y.assert_calls_async(1).await;
}
