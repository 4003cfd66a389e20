//! `list_stream`: pages followed through `paging.next.after`, each record once, lazily, with
//! errors ending the stream.

use crate::support::{catch_all, default_retry_client, record_ids, record_json};
use futures::StreamExt;
use httpmock::prelude::*;
use hubspot_crm::api::shared::CollectionResponseSimplePublicObjectWithAssociationsForwardPaging as Page;
use hubspot_crm::{Error, Lead, ReadOptions, Record, StreamOptions};
use hubspot_crm_mock::leads::operations::{ListThen, ListWhen};
use serde_json::{Value, json};

const FIRST_ID: u64 = 5000;

fn lead(id: u64) -> Value {
    record_json(
        &id.to_string(),
        json!({"hs_lead_name": format!("Lead {id}"), "hs_lead_label": null}),
    )
}

/// One page of HubSpot's list answer: records `from..to`, and the cursor of the next page
/// (HubSpot's list cursors are the next record id) unless it is the last.
fn page(from: u64, to: u64, next: Option<u64>) -> Page {
    let results: Vec<Value> = (from..to).map(lead).collect();
    let page = match next {
        Some(after) => json!({
            "results": results,
            "paging": {"next": {
                "after": after.to_string(),
                "link": format!("https://api.hubapi.com/crm/v3/objects/leads?after={after}")
            }}
        }),
        None => json!({"results": results}),
    };
    serde_json::from_value(page).unwrap()
}

/// Serves `total` leads in pages of `size`; one mock per page, matched on `after` and `limit`.
async fn serve_pages(server: &MockServer, total: u64, size: u64) -> Vec<httpmock::Mock<'_>> {
    let mut mocks = Vec::new();
    let mut from = FIRST_ID;
    let end = FIRST_ID + total;
    while from < end {
        let to = (from + size).min(end);
        let next = (to < end).then_some(to);
        let mock = server
            .mock_async(|when, then| {
                let when = ListWhen::new(when)
                    .limit(i32::try_from(size).unwrap())
                    .archived(false)
                    .properties("hs_lead_name,hs_lead_label");
                if from == FIRST_ID {
                    when.after(None::<&str>);
                } else {
                    when.after(from.to_string().as_str());
                }
                ListThen::new(then).success(200, &page(from, to, next));
            })
            .await;
        mocks.push(mock);
        from = to;
    }
    mocks
}

fn options() -> ReadOptions {
    ReadOptions::new().properties(["hs_lead_name", "hs_lead_label"])
}

#[tokio::test]
async fn yields_every_record_of_11_pages_exactly_once_in_order() {
    let server = MockServer::start_async().await;
    let pages = serve_pages(&server, 1050, 100).await;

    let records: Vec<Record> = default_retry_client(&server)
        .objects::<Lead>()
        .list_stream(options(), StreamOptions::new())
        .map(|r| r.unwrap())
        .collect()
        .await;

    assert_eq!(
        record_ids(&records),
        (FIRST_ID..FIRST_ID + 1050).collect::<Vec<_>>()
    );
    assert_eq!(records[0].properties["hs_lead_label"], None);
    assert_eq!(pages.len(), 11);
    for page in &pages {
        page.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn fetches_nothing_until_read_and_stops_when_dropped() {
    let server = MockServer::start_async().await;
    let pages = serve_pages(&server, 1050, 100).await;
    let leads = default_retry_client(&server).objects::<Lead>();

    // On demand: `stream_prefetch` covers what a prefetching stream asks for.
    let mut stream = leads.list_stream(options(), StreamOptions::new().prefetch(0));
    tokio::task::yield_now().await;
    pages[0].assert_calls_async(0).await;

    let mut taken = Vec::new();
    while taken.len() < 150 {
        taken.push(stream.next().await.unwrap().unwrap());
    }
    drop(stream);

    assert_eq!(
        record_ids(&taken),
        (FIRST_ID..FIRST_ID + 150).collect::<Vec<_>>()
    );
    pages[0].assert_calls_async(1).await;
    pages[1].assert_calls_async(1).await;
    for page in &pages[2..] {
        page.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn max_items_stops_early_and_asks_only_for_what_is_left() {
    let server = MockServer::start_async().await;
    let full = serve_pages(&server, 1050, 100).await;
    // The third request asks for the 50 records still wanted.
    let last = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .limit(50)
                .after((FIRST_ID + 200).to_string().as_str());
            ListThen::new(then).success(
                200,
                &page(FIRST_ID + 200, FIRST_ID + 250, Some(FIRST_ID + 250)),
            );
        })
        .await;

    let records: Vec<Record> = default_retry_client(&server)
        .objects::<Lead>()
        .list_stream(options(), StreamOptions::new().max_items(250))
        .map(|r| r.unwrap())
        .collect()
        .await;

    assert_eq!(
        record_ids(&records),
        (FIRST_ID..FIRST_ID + 250).collect::<Vec<_>>()
    );
    full[0].assert_calls_async(1).await;
    full[1].assert_calls_async(1).await;
    last.assert_calls_async(1).await;
    for page in &full[2..] {
        page.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn an_error_is_yielded_once_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    // Page 3 hits the daily limit (not retried); registered first, so it takes precedence.
    let daily = server
        .mock_async(|when, then| {
            ListWhen::new(when).after((FIRST_ID + 200).to_string().as_str());
            ListThen::new(then).client_error(
                429,
                json!({
                    "status": "error",
                    "message": "You have reached your daily limit.",
                    "errorType": "RATE_LIMIT",
                    "correlationId": "c7a2b0f3-0000-1111-2222-333344445555",
                    "policyName": "DAILY",
                    "groupName": "publicapi"
                }),
            );
        })
        .await;
    let pages = serve_pages(&server, 400, 100).await;

    let items: Vec<hubspot_crm::Result<Record>> = default_retry_client(&server)
        .objects::<Lead>()
        .list_stream(options(), StreamOptions::new())
        .collect()
        .await;

    assert_eq!(items.len(), 201);
    assert!(items[..200].iter().all(Result::is_ok));
    assert!(matches!(items[200], Err(Error::HubSpotDailyLimit(_))));
    daily.assert_calls_async(1).await;
    pages[3].assert_calls_async(0).await;
}

#[tokio::test]
async fn a_page_size_outside_1_to_100_is_rejected_without_a_request() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let leads = default_retry_client(&server).objects::<Lead>();
    for size in [0, 101] {
        let items: Vec<_> = leads
            .list_stream(options(), StreamOptions::new().page_size(size))
            .collect()
            .await;
        assert_eq!(items.len(), 1);
        assert!(
            matches!(&items[0], Err(Error::Validation(v)) if v.field == "page_size"),
            "{items:?}"
        );
    }
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_cursor_that_does_not_move_ends_the_stream_with_an_error() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            ListWhen::new(when).after(None::<&str>);
            ListThen::new(then).success(200, &page(1, 3, Some(7)));
        })
        .await;
    let stuck = server
        .mock_async(|when, then| {
            ListWhen::new(when).after("7");
            ListThen::new(then).success(200, &page(7, 9, Some(7)));
        })
        .await;

    let items: Vec<_> = default_retry_client(&server)
        .objects::<Lead>()
        .list_stream(ReadOptions::new(), StreamOptions::new().page_size(2))
        .collect()
        .await;

    let ids: Vec<&str> = items
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, ["1", "2", "7", "8"]);
    assert_eq!(items.len(), 5);
    assert!(
        matches!(&items[4], Err(Error::Paging(message)) if message.contains("cursor `7`")),
        "{:?}",
        items[4]
    );
    first.assert_calls_async(1).await;
    stuck.assert_calls_async(1).await;
}
