//! `search_stream`: keyset paging by `hs_object_id` (past HubSpot's 10,000-result window),
//! offset paging for other sorts up to the window, with the request bodies that prove it.

use std::sync::{Arc, Mutex};

use crate::support::{
    TOKEN, catch_all, default_retry_client, json_response, record_ids, record_json, request_json,
};
use futures::StreamExt;
use httpmock::prelude::*;
use hubspot_crm::{Error, Filter, FilterGroup, Lead, Record, SearchRequest, Sort};
use hubspot_crm_mock::leads::operations::{SearchThen, SearchWhen};
use serde_json::{Value, json};

/// A generated type read from the JSON a test spells out.
fn typed<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).unwrap()
}

/// Sparse ids, so that an offset can never pass for an id.
fn dataset(n: u64) -> Arc<Vec<u64>> {
    Arc::new((0..n).map(|i| 100_000 + 7 * i).collect())
}

fn lead(id: u64) -> Value {
    record_json(
        &id.to_string(),
        json!({
            "hs_lead_name": format!("Lead {id}"),
            "hs_object_id": id.to_string(),
            "hs_createdate": "2026-11-20T08:00:00.000Z",
            "hs_lastmodifieddate": "2026-11-26T10:00:00.000Z"
        }),
    )
}

/// A search endpoint over `ids` (all matching) that behaves like HubSpot's at the window:
/// offsets past 10,000 are a 400. It applies an `hs_object_id GT` filter, which must be the
/// same in every group, and logs every request body.
fn fake_search(
    ids: Arc<Vec<u64>>,
    log: Arc<Mutex<Vec<Value>>>,
    honour_id_filter: bool,
) -> impl Fn(&HttpMockRequest) -> HttpMockResponse {
    move |req| {
        let body = request_json(req);
        log.lock().unwrap().push(body.clone());
        let after: usize = body
            .get("after")
            .map(|a| a.as_str().unwrap().parse().unwrap())
            .unwrap_or(0);
        let limit = body["limit"].as_u64().unwrap_or(10) as usize;
        if after + limit > 10_000 {
            return json_response(
                400,
                &json!({
                    "status": "error",
                    "message": "The maximum number of results a search can return is 10000.",
                    "correlationId": "9a7e1f00-0000-4000-8000-000000000000",
                    "category": "VALIDATION_ERROR"
                }),
            );
        }
        let groups = body["filterGroups"].as_array().cloned().unwrap_or_default();
        let above: Vec<Option<u64>> = groups
            .iter()
            .map(|g| {
                g["filters"].as_array().unwrap().iter().find_map(|f| {
                    (f["propertyName"] == "hs_object_id" && f["operator"] == "GT")
                        .then(|| f["value"].as_str().unwrap().parse().unwrap())
                })
            })
            .collect();
        if above.windows(2).any(|w| w[0] != w[1]) {
            return json_response(400, &json!({"message": "id filter differs between groups"}));
        }
        let above = above
            .first()
            .copied()
            .flatten()
            .filter(|_| honour_id_filter);
        let matching: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|id| above.is_none_or(|a| *id > a))
            .collect();
        let end = (after + limit).min(matching.len());
        let results: Vec<Value> = matching[after.min(end)..end]
            .iter()
            .copied()
            .map(lead)
            .collect();
        let mut answer = json!({"total": matching.len(), "results": results});
        if end < matching.len() {
            answer["paging"] =
                json!({"next": {"after": end.to_string(), "link": format!("?after={end}")}});
        }
        json_response(200, &answer)
    }
}

async fn serve(
    server: &MockServer,
    ids: Arc<Vec<u64>>,
) -> (httpmock::Mock<'_>, Arc<Mutex<Vec<Value>>>) {
    serve_with(server, ids, true).await
}

async fn serve_with(
    server: &MockServer,
    ids: Arc<Vec<u64>>,
    honour_id_filter: bool,
) -> (httpmock::Mock<'_>, Arc<Mutex<Vec<Value>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mock = server
        .mock_async(|when, then| {
            SearchWhen::new(when)
                .into_inner()
                .header("authorization", format!("Bearer {TOKEN}"));
            then.respond_with(fake_search(ids, log.clone(), honour_id_filter));
        })
        .await;
    (mock, log)
}

fn warm_or_hot() -> SearchRequest {
    SearchRequest::new()
        .filter(Filter::eq("hs_lead_label", "WARM"))
        .filter(Filter::eq("hs_lead_label", "HOT"))
        .properties(["hs_lead_name"])
}

fn label_group(value: &str, extra: Option<Value>) -> Value {
    let mut filters =
        vec![json!({"propertyName": "hs_lead_label", "operator": "EQ", "value": value})];
    filters.extend(extra);
    json!({"filters": filters})
}

#[tokio::test]
async fn every_page_after_the_first_starts_after_the_last_id_in_every_group() {
    let server = MockServer::start_async().await;
    let data = dataset(10_450);
    let (endpoint, log) = serve(&server, data.clone()).await;

    let records: Vec<Record> = default_retry_client(&server)
        .objects::<Lead>()
        .search_stream(warm_or_hot(), None)
        .map(|r| r.unwrap())
        .collect()
        .await;

    // Every match exactly once, in id order, past the 10,000-result window.
    assert_eq!(record_ids(&records), *data);
    // 53 pages of at most 200, none of them by offset.
    endpoint.assert_calls_async(53).await;
    let log = log.lock().unwrap();
    let sort = json!([{"propertyName": "hs_object_id", "direction": "ASCENDING"}]);
    assert_eq!(
        log[0],
        json!({
            "filterGroups": [label_group("WARM", None), label_group("HOT", None)],
            "sorts": sort,
            "limit": 200,
            "properties": ["hs_lead_name"]
        })
    );
    assert!(log.iter().all(|b| b.get("after").is_none()), "no offsets");
    let after = |id: u64| {
        let above =
            json!({"propertyName": "hs_object_id", "operator": "GT", "value": id.to_string()});
        json!({
            "filterGroups": [label_group("WARM", Some(above.clone())), label_group("HOT", Some(above))],
            "sorts": sort,
            "limit": 200,
            "properties": ["hs_lead_name"]
        })
    };
    assert_eq!(
        log[1],
        after(data[199]),
        "id filter in each group, no `after`"
    );
    assert_eq!(log[50], after(data[9_999]));
    assert_eq!(log[52], after(data[10_399]));
}

#[tokio::test]
async fn offset_pages_of_another_sort_are_shortened_at_the_window() {
    let server = MockServer::start_async().await;
    let data = dataset(10_100);
    let (_endpoint, log) = serve(&server, data.clone()).await;

    let items: Vec<hubspot_crm::Result<Record>> = default_retry_client(&server)
        .objects::<Lead>()
        .search_stream(
            SearchRequest::new()
                .limit(150)
                .sort(Sort::descending("hs_createdate")),
            None,
        )
        .collect()
        .await;

    assert_eq!(items.len(), 10_001);
    assert!(items[..10_000].iter().all(Result::is_ok));
    assert!(
        matches!(&items[10_000], Err(Error::Validation(v)) if v.field == "sorts"),
        "{:?}",
        items[10_000]
    );
    let log = log.lock().unwrap();
    // 66 pages of 150 reach 9,900; the 67th asks for the last 100 inside the window.
    assert_eq!(log[65]["after"], "9750");
    assert_eq!(log[66]["after"], "9900");
    assert_eq!(log[66]["limit"], 100);
    assert_eq!(log.len(), 67, "nothing was asked past the window");
}

#[tokio::test]
async fn another_sort_past_the_window_ends_with_an_error_saying_why() {
    let server = MockServer::start_async().await;
    let (_endpoint, log) = serve(&server, dataset(10_450)).await;

    let items: Vec<hubspot_crm::Result<Record>> = default_retry_client(&server)
        .objects::<Lead>()
        .search_stream(warm_or_hot().sort(Sort::descending("hs_createdate")), None)
        .collect()
        .await;

    assert_eq!(items.len(), 10_001);
    assert!(items[..10_000].iter().all(Result::is_ok));
    let Err(Error::Validation(v)) = &items[10_000] else {
        panic!("expected a validation error, got {:?}", items[10_000]);
    };
    assert_eq!(v.field, "sorts");
    assert!(v.reason.contains("10000 results"), "{}", v.reason);
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 50, "nothing was asked past the window");
    assert_eq!(
        log[0]["sorts"],
        json!([{"propertyName": "hs_createdate", "direction": "DESCENDING"}])
    );
}

#[tokio::test]
async fn a_full_filter_group_past_the_window_ends_with_an_error_saying_why() {
    let server = MockServer::start_async().await;
    let (_endpoint, log) = serve(&server, dataset(10_001)).await;
    let six = FilterGroup::new(
        [
            "hs_lead_name",
            "hs_lead_type",
            "hs_lead_label",
            "hubspot_owner_id",
            "hs_pipeline",
            "hs_pipeline_stage",
        ]
        .map(Filter::has_property),
    );

    let items: Vec<hubspot_crm::Result<Record>> = default_retry_client(&server)
        .objects::<Lead>()
        .search_stream(SearchRequest::new().filter_group(six), None)
        .collect()
        .await;

    assert_eq!(items.len(), 10_001);
    let Err(Error::Validation(v)) = &items[10_000] else {
        panic!("expected a validation error, got {:?}", items[10_000]);
    };
    assert_eq!(v.field, "filterGroups[0].filters");
    assert_eq!(log.lock().unwrap().len(), 50);
}

#[tokio::test]
async fn a_server_ignoring_the_id_filter_cannot_make_the_stream_repeat_forever() {
    let server = MockServer::start_async().await;
    let (_endpoint, log) = serve_with(&server, dataset(10_450), false).await;

    let items: Vec<hubspot_crm::Result<Record>> = default_retry_client(&server)
        .objects::<Lead>()
        .search_stream(SearchRequest::new(), None)
        .collect()
        .await;

    // The first page, no repeats from the second, then an error instead of a third.
    let data = dataset(10_450);
    assert_eq!(items.len(), 201);
    assert_eq!(
        record_ids(
            &items[..200]
                .iter()
                .map(|r| r.as_ref().unwrap().clone())
                .collect::<Vec<_>>()
        ),
        data[..200]
    );
    let last = data[199].to_string();
    assert!(
        matches!(&items[200], Err(Error::Paging(message)) if message.contains(&last)),
        "{:?}",
        items[200]
    );
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        log[1]["filterGroups"][0]["filters"][0],
        json!({"propertyName": "hs_object_id", "operator": "GT", "value": last})
    );
}

#[tokio::test]
async fn max_items_asks_only_for_what_is_left() {
    let server = MockServer::start_async().await;
    let (_endpoint, log) = serve(&server, dataset(1_000)).await;

    let records: Vec<Record> = default_retry_client(&server)
        .objects::<Lead>()
        .search_stream(SearchRequest::new(), Some(250))
        .map(|r| r.unwrap())
        .collect()
        .await;

    assert_eq!(records.len(), 250);
    let log = log.lock().unwrap();
    let limits: Vec<&Value> = log.iter().map(|b| &b["limit"]).collect();
    assert_eq!(limits, [&json!(200), &json!(50)]);
    assert_eq!(log[1].get("after"), None);
    assert_eq!(
        log[1]["filterGroups"],
        json!([{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": dataset(1_000)[199].to_string()}]}])
    );
}

#[tokio::test]
async fn a_record_repeated_in_the_next_page_is_yielded_once() {
    let server = MockServer::start_async().await;
    let second = server
        .mock_async(|when, then| {
            SearchWhen::new(when).body(&typed(json!({
                "filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": "3"}]}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "limit": 3
            })));
            // The server's page overlaps the last one.
            SearchThen::new(then).success(
                200,
                &typed(json!({"total": 3, "results": [lead(3), lead(4), lead(5)]})),
            );
        })
        .await;
    let first = server
        .mock_async(|when, then| {
            SearchWhen::new(when).body(&typed(json!({
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "limit": 3
            })));
            SearchThen::new(then).success(
                200,
                &typed(json!({
                    "total": 6,
                    "results": [lead(1), lead(2), lead(3)],
                    "paging": {"next": {"after": "3"}}
                })),
            );
        })
        .await;

    let records: Vec<Record> = default_retry_client(&server)
        .objects::<Lead>()
        .search_stream(SearchRequest::new().limit(3), None)
        .map(|r| r.unwrap())
        .collect()
        .await;

    assert_eq!(record_ids(&records), [1, 2, 3, 4, 5]);
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_invalid_search_is_rejected_without_a_request() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let seven = FilterGroup::new((0..7).map(|i| Filter::eq(format!("p{i}"), "x")));

    let items: Vec<_> = default_retry_client(&server)
        .objects::<Lead>()
        .search_stream(SearchRequest::new().filter_group(seven), None)
        .collect()
        .await;

    assert_eq!(items.len(), 1);
    assert!(
        matches!(&items[0], Err(Error::Validation(v)) if v.field == "filterGroups[0].filters"),
        "{items:?}"
    );
    anything.assert_calls_async(0).await;
}
