//! Exactly-once creates (`unique_by`) and the change feed (`changes`): the exact requests
//! each sends and how answers are read.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{
    catch_all, client, json_response, record_json, request_json, retrying_client,
};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt;
use httpmock::prelude::*;
use hubspot_crm::{
    AssociationType, ChangeFeedOptions, Checkpoint, Error, FailureCause, NewRecord, UniqueOptions,
    UniqueOutcome, UniqueResult,
};
use hubspot_crm_mock::leads::operations::{BatchCreateWhen, BatchReadWhen, SearchWhen};
use hubspot_crm_mock::properties::operations::ListWhen as PropertiesWhen;
use serde_json::{Value, json};

/// A generated type read from the JSON a test spells out.
fn typed<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).unwrap()
}

fn definition(name: &str, unique: bool) -> Value {
    json!({
        "name": name,
        "label": name,
        "type": "string",
        "fieldType": "text",
        "description": "",
        "groupName": "lead_information",
        "options": [],
        "calculated": false,
        "externalOptions": false,
        "hasUniqueValue": unique,
        "hidden": false,
        "hubspotDefined": !unique,
        "modificationMetadata": {"archivable": true, "readOnlyDefinition": false, "readOnlyValue": false}
    })
}

/// `GET /crm/v3/properties/leads`: `external_id` has unique values.
async fn lead_properties(
    server: &MockServer,
    order: Arc<Mutex<Vec<String>>>,
) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            PropertiesWhen::new(when).object_type("leads");
            then.respond_with(move |_: &HttpMockRequest| {
                order.lock().unwrap().push("properties".into());
                json_response(
                    200,
                    &json!({"results": [
                        definition("hs_lead_name", false),
                        definition("external_id", true)
                    ]}),
                )
            });
        })
        .await
}

fn lead_input(external_id: &str) -> NewRecord {
    let n = external_id.trim_start_matches("crm-");
    NewRecord::new()
        .property("hs_lead_name", format!("Lead {n}"))
        .property("external_id", external_id)
        .associate("51", AssociationType::hubspot(578))
}

/// A lead as a read by `idProperty` returns it, created just now (by the lost create).
fn found(id: &str, external_id: &str) -> Value {
    found_created_at(id, external_id, Utc::now())
}

/// A lead as a read by `idProperty` returns it, created at `at`.
fn found_created_at(id: &str, external_id: &str, at: DateTime<Utc>) -> Value {
    let n = external_id.trim_start_matches("crm-");
    let mut record = record_json(
        id,
        json!({"external_id": external_id, "hs_lead_name": format!("Lead {n}")}),
    );
    record["createdAt"] = json!(at.to_rfc3339_opts(SecondsFormat::Millis, true));
    record
}

/// A created lead as batch create returns it, with the input's trace id.
fn created(id: &str, input: &Value) -> Value {
    let mut record = record_json(id, input["properties"].clone());
    record["objectWriteTraceId"] = input["objectWriteTraceId"].clone();
    record
}

fn batch(results: Vec<Value>, errors: Vec<Value>) -> Value {
    let mut body = json!({
        "status": "COMPLETE",
        "results": results,
        "startedAt": "2026-11-30T08:15:00.000Z",
        "completedAt": "2026-11-30T08:15:00.100Z"
    });
    if !errors.is_empty() {
        body["numErrors"] = json!(errors.len());
        body["errors"] = json!(errors);
    }
    body
}

fn html_502() -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(502)
        .header("content-type", "text/html")
        .body(b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>".to_vec())
        .build()
}

fn inputs_of(req: &HttpMockRequest) -> Vec<Value> {
    request_json(req)["inputs"].as_array().unwrap().clone()
}

/// The input without its trace id, after checking it has one.
fn without_trace(input: &Value) -> Value {
    let trace = input["objectWriteTraceId"].as_str().expect("a trace id");
    assert!(!trace.trim().is_empty());
    let mut input = input.clone();
    input.as_object_mut().unwrap().remove("objectWriteTraceId");
    input
}

fn expected_create_input(external_id: &str) -> Value {
    let n = external_id.trim_start_matches("crm-");
    json!({
        "properties": {"external_id": external_id, "hs_lead_name": format!("Lead {n}")},
        "associations": [{
            "to": {"id": "51"},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]
        }]
    })
}

fn read_body(
    external_ids: &[&str],
) -> hubspot_crm::api::shared::BatchReadInputSimplePublicObjectId {
    typed(json!({
        "idProperty": "external_id",
        "inputs": external_ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "properties": ["external_id", "hs_lead_name"],
        "propertiesWithHistory": []
    }))
}

fn outcome_ids(result: &UniqueResult) -> Vec<(&'static str, String)> {
    result
        .outcomes
        .iter()
        .map(|o| match o {
            UniqueOutcome::Created(r) => ("created", r.id.clone()),
            UniqueOutcome::AlreadyExisted(r) => ("existed", r.id.clone()),
            UniqueOutcome::Failed(f) => ("failed", format!("{}: {}", f.index, f.cause)),
        })
        .collect()
}

fn quick() -> UniqueOptions {
    UniqueOptions::new().index_delay(Duration::from_millis(1))
}

#[tokio::test]
async fn a_lost_create_answer_is_looked_up_by_external_id_and_only_the_absent_are_created_again() {
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    let properties = lead_properties(&server, order.clone()).await;
    let sent = Arc::new(Mutex::new(Vec::<Vec<Value>>::new()));
    let (log, steps) = (sent.clone(), order.clone());
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(move |req: &HttpMockRequest| {
                let inputs = inputs_of(req);
                log.lock().unwrap().push(inputs.clone());
                steps.lock().unwrap().push("create".into());
                if log.lock().unwrap().len() == 1 {
                    // crm-1 and crm-3 were created; the gateway lost the answer.
                    return html_502();
                }
                let results = inputs.iter().map(|i| created("9002", i)).collect();
                json_response(201, &batch(results, vec![]))
            });
        })
        .await;
    let steps = order.clone();
    let read = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when)
                .archived(false)
                .body(&read_body(&["crm-1", "crm-2", "crm-3"]));
            then.respond_with(move |_: &HttpMockRequest| {
                steps.lock().unwrap().push("read".into());
                let missing = json!({
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some LEAD objects, they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": ["crm-2"]}
                });
                json_response(
                    207,
                    &batch(
                        vec![found("903", "crm-3"), found("901", "crm-1")],
                        vec![missing],
                    ),
                )
            });
        })
        .await;

    let inputs = ["crm-1", "crm-2", "crm-3"].map(lead_input).to_vec();
    // Retries on: the 502 of a create is still not resent blindly.
    let result = retrying_client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick())
        .create(inputs)
        .await
        .unwrap();

    assert_eq!(
        outcome_ids(&result),
        [
            ("created", "901".to_owned()),
            ("created", "9002".to_owned()),
            ("created", "903".to_owned())
        ]
    );
    assert_eq!(result.rounds, 2);
    properties.assert_calls_async(1).await;
    create.assert_calls_async(2).await;
    read.assert_calls_async(1).await;
    assert_eq!(
        *order.lock().unwrap(),
        ["properties", "create", "read", "create"]
    );
    let sent = sent.lock().unwrap().clone();
    let first: Vec<Value> = sent[0].iter().map(without_trace).collect();
    assert_eq!(
        first,
        ["crm-1", "crm-2", "crm-3"].map(expected_create_input)
    );
    let traces: std::collections::HashSet<&str> = sent[0]
        .iter()
        .map(|i| i["objectWriteTraceId"].as_str().unwrap())
        .collect();
    assert_eq!(traces.len(), 3, "a trace id of its own for each input");
    let second: Vec<Value> = sent[1].iter().map(without_trace).collect();
    assert_eq!(
        second,
        [expected_create_input("crm-2")],
        "only the absent one"
    );
}

#[tokio::test]
async fn a_conflict_in_a_207_is_read_back_and_reported_as_already_existing() {
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    lead_properties(&server, order.clone()).await;
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(|req: &HttpMockRequest| {
                let inputs = inputs_of(req);
                let conflict = json!({
                    "status": "error",
                    "category": "CONFLICT",
                    "message": "A lead with external_id \"crm-2\" already exists. Existing ID: 777",
                    "context": {"id": ["777"], "objectWriteTraceId": [inputs[1]["objectWriteTraceId"]]}
                });
                json_response(207, &batch(vec![created("9001", &inputs[0])], vec![conflict]))
            });
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when)
                .archived(false)
                .body(&read_body(&["crm-2"]));
            then.respond_with(|_: &HttpMockRequest| {
                json_response(200, &batch(vec![found("777", "crm-2")], vec![]))
            });
        })
        .await;

    let result = client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick())
        .create(["crm-1", "crm-2"].map(lead_input).to_vec())
        .await
        .unwrap();

    assert_eq!(
        outcome_ids(&result),
        [
            ("created", "9001".to_owned()),
            ("existed", "777".to_owned())
        ]
    );
    assert_eq!(result.rounds, 1);
    create.assert_calls_async(1).await;
    read.assert_calls_async(1).await;
}

/// A create refused whole for `crm-2`, as HubSpot answers a taken unique value without
/// per-input answers: a 409 naming only the record holding it.
fn refuse_crm_2(log: Arc<Mutex<Vec<Vec<Value>>>>) -> impl Fn(&HttpMockRequest) -> HttpMockResponse {
    move |req| {
        let inputs = inputs_of(req);
        log.lock().unwrap().push(inputs.clone());
        if inputs
            .iter()
            .any(|i| i["properties"]["external_id"] == "crm-2")
        {
            return json_response(
                409,
                &json!({
                    "status": "error",
                    "category": "CONFLICT",
                    "message": "Lead already exists. Existing ID: 777",
                    "correlationId": "3f1c2a9e-0000-4000-8000-000000000409"
                }),
            );
        }
        let results = inputs.iter().map(|i| created("9001", i)).collect();
        json_response(201, &batch(results, vec![]))
    }
}

#[tokio::test]
async fn a_whole_batch_409_reads_the_named_record_by_id_and_the_rest_of_the_batch_goes_on() {
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    lead_properties(&server, order.clone()).await;
    let sent = Arc::new(Mutex::new(Vec::<Vec<Value>>::new()));
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(refuse_crm_2(sent.clone()));
        })
        .await;
    // The record the 409 names, read by its id: no wait for HubSpot's index.
    let existing = server
        .mock_async(|when, then| {
            when.method(GET).path("/crm/v3/objects/leads/777");
            then.respond_with(|_: &HttpMockRequest| {
                json_response(
                    200,
                    &found_created_at("777", "crm-2", Utc::now() - chrono::TimeDelta::days(3)),
                )
            });
        })
        .await;
    let by_id_property = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when);
            then.status(500);
        })
        .await;

    let result = client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick())
        .create(["crm-1", "crm-2", "crm-3"].map(lead_input).to_vec())
        .await
        .unwrap();

    assert_eq!(
        outcome_ids(&result),
        [
            ("created", "9001".to_owned()),
            ("existed", "777".to_owned()),
            ("created", "9001".to_owned())
        ]
    );
    assert_eq!(result.rounds, 1);
    create.assert_calls_async(2).await;
    existing.assert_calls_async(1).await;
    by_id_property.assert_calls_async(0).await;
    let second: Vec<Value> = sent.lock().unwrap()[1].iter().map(without_trace).collect();
    assert_eq!(
        second,
        [
            expected_create_input("crm-1"),
            expected_create_input("crm-3")
        ]
    );
}

#[tokio::test]
async fn a_whole_batch_409_whose_record_holds_no_input_id_is_halved_not_guessed() {
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    lead_properties(&server, order.clone()).await;
    let sent = Arc::new(Mutex::new(Vec::<Vec<Value>>::new()));
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(refuse_crm_2(sent.clone()));
        })
        .await;
    // The named record holds another id (the conflict is on some other unique value).
    let existing = server
        .mock_async(|when, then| {
            when.method(GET).path("/crm/v3/objects/leads/777");
            then.respond_with(|_: &HttpMockRequest| {
                json_response(200, &found_created_at("777", "crm-other", Utc::now()))
            });
        })
        .await;
    let by_record_id = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when).archived(false);
            then.respond_with(|req: &HttpMockRequest| {
                assert_eq!(request_json(req)["inputs"], json!([{"id": "777"}]));
                json_response(
                    200,
                    &batch(
                        vec![found_created_at("777", "crm-other", Utc::now())],
                        vec![],
                    ),
                )
            });
        })
        .await;

    let result = client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick())
        .create(["crm-1", "crm-2"].map(lead_input).to_vec())
        .await
        .unwrap();

    assert_eq!(outcome_ids(&result)[0], ("created", "9001".to_owned()));
    let failure = result.failed().next().expect("crm-2 cannot be created");
    assert_eq!(failure.index, 1);
    assert!(!failure.may_exist);
    let FailureCause::Rejected(error) = &failure.cause else {
        panic!(
            "HubSpot's 409 as crm-2's own error, got {:?}",
            failure.cause
        );
    };
    assert_eq!(error.existing_id(), Some("777"));
    // The whole batch, then each half; the named record read once to locate, once by id.
    create.assert_calls_async(3).await;
    existing.assert_calls_async(1).await;
    by_record_id.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_failed_look_up_leaves_the_input_unresolved_not_created_again() {
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    lead_properties(&server, order).await;
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(|_: &HttpMockRequest| html_502());
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when);
            then.respond_with(|_: &HttpMockRequest| {
                json_response(500, &json!({"status": "error", "message": "internal"}))
            });
        })
        .await;

    let result = client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick().max_rounds(3))
        .create(vec![lead_input("crm-1")])
        .await
        .unwrap();

    create.assert_calls_async(1).await;
    read.assert_calls_async(3).await;
    let failures: Vec<_> = result.failed().collect();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].may_exist, "{:?}", failures[0]);
    assert_eq!(result.unresolved().count(), 1);
    assert!(matches!(failures[0].cause, FailureCause::RequestFailed(_)));
}

// ---- change feed ----

const T0: i64 = 1_796_026_500_250; // 2026-11-30T08:15:00.250Z

fn iso(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap()
}

fn changed(id: u64, ms: i64) -> Value {
    record_json(
        &id.to_string(),
        json!({
            "hs_lead_name": format!("Lead {id}"),
            "hs_lastmodifieddate": iso(ms),
            "hs_object_id": id.to_string()
        }),
    )
}

fn page(results: Vec<Value>) -> Value {
    json!({"total": results.len(), "results": results})
}

fn from_body(gte: i64, limit: u32) -> Value {
    json!({
        "filterGroups": [{"filters": [
            {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": gte.to_string()}
        ]}],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "limit": limit,
        "properties": ["hs_lead_name", "hs_lastmodifieddate"]
    })
}

fn tie_body(eq: i64, after_id: u64, limit: u32) -> Value {
    json!({
        "filterGroups": [{"filters": [
            {"propertyName": "hs_lastmodifieddate", "operator": "EQ", "value": eq.to_string()},
            {"propertyName": "hs_object_id", "operator": "GT", "value": after_id.to_string()}
        ]}],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "limit": limit,
        "properties": ["hs_lead_name", "hs_lastmodifieddate"]
    })
}

/// A search answered with `answer` when the body is exactly `body`.
async fn search<'a>(server: &'a MockServer, body: Value, answer: Value) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            SearchWhen::new(when).body(&typed(body));
            then.respond_with(move |_: &HttpMockRequest| json_response(200, &answer));
        })
        .await
}

fn feed_options(page_size: u32) -> ChangeFeedOptions {
    ChangeFeedOptions::new()
        .page_size(page_size)
        .properties(["hs_lead_name"])
}

async fn collect(feed: hubspot_crm::ChangeStream) -> Vec<hubspot_crm::Result<hubspot_crm::Change>> {
    feed.collect().await
}

fn delivered(items: &[hubspot_crm::Result<hubspot_crm::Change>]) -> Vec<(String, DateTime<Utc>)> {
    items
        .iter()
        .map(|c| {
            let c = c.as_ref().expect("a change");
            assert_eq!(c.checkpoint, Checkpoint::at(c.modified_at));
            (c.record.id.clone(), c.modified_at)
        })
        .collect()
}

#[tokio::test]
async fn a_feed_starts_its_overlap_before_the_checkpoint_and_switches_to_a_tie_scan_for_a_full_page_at_one_time()
 {
    let server = MockServer::start_async().await;
    let t = T0 + 10;
    let start = T0 - 60_000;
    let at_t = |ids: &[u64]| ids.iter().map(|id| changed(*id, t)).collect::<Vec<_>>();
    let pages = [
        search(&server, from_body(start, 3), page(at_t(&[11, 12, 13]))).await,
        // Three more at `t`: the page is full of one time, so it cannot move on by time.
        search(&server, from_body(t, 3), page(at_t(&[11, 12, 13]))).await,
        search(&server, tie_body(t, 0, 3), page(at_t(&[11, 12, 13]))).await,
        search(&server, tie_body(t, 13, 3), page(at_t(&[14]))).await,
        search(
            &server,
            from_body(t + 1, 3),
            page(vec![changed(15, T0 + 500)]),
        )
        .await,
    ];

    let items = collect(
        client(&server)
            .leads()
            .changes(Checkpoint::at(at(T0)), feed_options(3)),
    )
    .await;

    assert_eq!(
        delivered(&items),
        [
            ("11".to_owned(), at(t)),
            ("12".to_owned(), at(t)),
            ("13".to_owned(), at(t)),
            ("14".to_owned(), at(t)),
            ("15".to_owned(), at(T0 + 500)),
        ]
    );
    for page in &pages {
        page.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn the_overlap_follows_the_option_and_the_default_properties_are_left_to_hubspot() {
    let server = MockServer::start_async().await;
    let mut body = from_body(T0 - 5_000, 200);
    body.as_object_mut().unwrap().remove("properties");
    let only = search(&server, body, page(vec![changed(7, T0 - 1_000)])).await;

    let items = collect(client(&server).leads().changes(
        Checkpoint::at(at(T0)),
        ChangeFeedOptions::new().overlap(Duration::from_secs(5)),
    ))
    .await;

    assert_eq!(delivered(&items), [("7".to_owned(), at(T0 - 1_000))]);
    only.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_overlapping_page_delivers_a_record_again_only_at_a_new_time() {
    let server = MockServer::start_async().await;
    let start = T0 - 60_000;
    let (t1, t2, t3) = (T0 + 1, T0 + 2, T0 + 3);
    let pages = [
        search(
            &server,
            from_body(start, 2),
            page(vec![changed(21, t1), changed(22, t2)]),
        )
        .await,
        // 22 again at the same time; 21 modified since.
        search(
            &server,
            from_body(t2, 2),
            page(vec![changed(22, t2), changed(21, t3)]),
        )
        .await,
        search(&server, from_body(t3, 2), page(vec![changed(21, t3)])).await,
    ];

    let items = collect(
        client(&server)
            .leads()
            .changes(Checkpoint::at(at(T0)), feed_options(2)),
    )
    .await;

    assert_eq!(
        delivered(&items),
        [
            ("21".to_owned(), at(t1)),
            ("22".to_owned(), at(t2)),
            ("21".to_owned(), at(t3)),
        ]
    );
    for page in &pages {
        page.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn an_error_mid_feed_ends_the_stream_after_what_came_before() {
    let server = MockServer::start_async().await;
    let start = T0 - 60_000;
    let first = search(
        &server,
        from_body(start, 2),
        page(vec![changed(31, T0 + 1), changed(32, T0 + 2)]),
    )
    .await;
    let failing = server
        .mock_async(|when, then| {
            SearchWhen::new(when).body(&typed(from_body(T0 + 2, 2)));
            then.respond_with(|_: &HttpMockRequest| {
                json_response(
                    500,
                    &json!({"status": "error", "message": "internal error", "category": "INTERNAL_ERROR"}),
                )
            });
        })
        .await;

    let items = collect(
        client(&server)
            .leads()
            .changes(Checkpoint::at(at(T0)), feed_options(2)),
    )
    .await;

    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(
        delivered(&items[..2]),
        [("31".to_owned(), at(T0 + 1)), ("32".to_owned(), at(T0 + 2))]
    );
    match &items[2] {
        Err(Error::Api(api)) => assert_eq!(api.status, 500),
        other => panic!("expected the 500, got {other:?}"),
    }
    first.assert_calls_async(1).await;
    failing.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_short_page_that_names_a_next_page_is_followed() {
    let server = MockServer::start_async().await;
    let start = T0 - 60_000;
    // Fewer results than the limit, and still a next page.
    let mut short = page(vec![changed(81, T0 + 1), changed(82, T0 + 2)]);
    short["total"] = json!(3);
    short["paging"] = json!({"next": {
        "after": "2",
        "link": "https://api.hubapi.com/crm/v3/objects/leads/search?after=2"
    }});
    let pages = [
        search(&server, from_body(start, 3), short).await,
        search(
            &server,
            from_body(T0 + 2, 3),
            page(vec![changed(82, T0 + 2), changed(83, T0 + 5)]),
        )
        .await,
    ];

    let items = collect(
        client(&server)
            .leads()
            .changes(Checkpoint::at(at(T0)), feed_options(3)),
    )
    .await;

    assert_eq!(
        delivered(&items),
        [
            ("81".to_owned(), at(T0 + 1)),
            ("82".to_owned(), at(T0 + 2)),
            ("83".to_owned(), at(T0 + 5)),
        ]
    );
    for page in &pages {
        page.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn a_server_ignoring_the_feed_filter_ends_the_feed_with_an_error_instead_of_a_loop() {
    // The same answer to every search: a full page, or a short one naming a next page.
    let full = page(vec![
        changed(51, T0 + 1),
        changed(52, T0 + 2),
        changed(53, T0 + 3),
    ]);
    let mut short = page(vec![changed(51, T0 + 1), changed(52, T0 + 2)]);
    short["paging"] = json!({"next": {"after": "2"}});
    for (answer, ids, stuck_at) in [(full, 51..54, (T0 + 3, 53)), (short, 51..53, (T0 + 2, 52))] {
        let server = MockServer::start_async().await;
        let asked = Arc::new(Mutex::new(Vec::<Value>::new()));
        let log = asked.clone();
        let _mock = server
            .mock_async(|when, then| {
                SearchWhen::new(when);
                then.respond_with(move |req: &HttpMockRequest| {
                    let mut log = log.lock().unwrap();
                    log.push(request_json(req));
                    // Ends a feed that would otherwise search forever.
                    if log.len() > 20 {
                        return json_response(
                            500,
                            &json!({"status": "error", "message": "enough"}),
                        );
                    }
                    json_response(200, &answer)
                });
            })
            .await;

        let items = collect(
            client(&server)
                .leads()
                .changes(Checkpoint::at(at(T0)), feed_options(3)),
        )
        .await;

        let (last, changes) = items.split_last().unwrap();
        let expected: Vec<(String, DateTime<Utc>)> = ids
            .map(|id| (id.to_string(), at(T0 + i64::from(id - 50))))
            .collect();
        assert_eq!(delivered(changes), expected);
        match last {
            Err(Error::FeedStalled {
                property,
                modified_at,
                after_id,
            }) => {
                assert_eq!(property, "hs_lastmodifieddate");
                assert_eq!(
                    (*modified_at, *after_id),
                    (at(stuck_at.0), Some(stuck_at.1))
                );
            }
            other => panic!("expected the feed to stall, got {other:?}"),
        }
        // From the start, from the page's end, a tie scan of that time from id 0, then from
        // its last id: the answer to that one would repeat it.
        let (t, id) = stuck_at;
        assert_eq!(
            *asked.lock().unwrap(),
            [
                from_body(T0 - 60_000, 3),
                from_body(t, 3),
                tie_body(t, 0, 3),
                tie_body(t, id, 3)
            ]
        );
    }
}

/// A record whose writer stamps `synced_ms` (epoch milliseconds); its `updatedAt`, days
/// before, is not the order the feed follows.
fn stamped(id: u64, ms: i64) -> Value {
    record_json(
        &id.to_string(),
        json!({"synced_ms": ms.to_string(), "hs_object_id": id.to_string()}),
    )
}

fn synced_from_body(gte: i64, limit: u32) -> Value {
    json!({
        "filterGroups": [{"filters": [
            {"propertyName": "synced_ms", "operator": "GTE", "value": gte.to_string()}
        ]}],
        "sorts": [{"propertyName": "synced_ms", "direction": "ASCENDING"}],
        "limit": limit,
        "properties": ["synced_ms"]
    })
}

#[tokio::test]
async fn a_custom_modified_property_is_asked_for_even_when_no_properties_are_named() {
    let server = MockServer::start_async().await;
    let start = T0 - 60_000;
    let pages = [
        search(
            &server,
            synced_from_body(start, 2),
            page(vec![stamped(71, T0 + 1), stamped(72, T0 + 2)]),
        )
        .await,
        search(
            &server,
            synced_from_body(T0 + 2, 2),
            page(vec![stamped(72, T0 + 2), stamped(73, T0 + 9)]),
        )
        .await,
        search(
            &server,
            synced_from_body(T0 + 9, 2),
            page(vec![stamped(73, T0 + 9)]),
        )
        .await,
    ];

    let items = collect(
        client(&server).leads().changes(
            Checkpoint::at(at(T0)),
            ChangeFeedOptions::new()
                .modified_property("synced_ms")
                .page_size(2),
        ),
    )
    .await;

    assert_eq!(
        delivered(&items),
        [
            ("71".to_owned(), at(T0 + 1)),
            ("72".to_owned(), at(T0 + 2)),
            ("73".to_owned(), at(T0 + 9)),
        ]
    );
    for page in &pages {
        page.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn a_record_without_a_readable_modified_time_ends_the_feed_with_an_error_naming_it() {
    for value in [
        json!(null),
        json!(""),
        json!("yesterday"),
        json!("99999999999999999999"),
    ] {
        let server = MockServer::start_async().await;
        let mut unreadable = changed(62, T0 + 2);
        unreadable["properties"]["hs_lastmodifieddate"] = value.clone();
        let only = search(
            &server,
            from_body(T0 - 60_000, 3),
            page(vec![changed(61, T0 + 1), unreadable, changed(63, T0 + 3)]),
        )
        .await;

        let items = collect(
            client(&server)
                .leads()
                .changes(Checkpoint::at(at(T0)), feed_options(3)),
        )
        .await;

        assert_eq!(items.len(), 2, "{value}: {items:?}");
        assert_eq!(delivered(&items[..1]), [("61".to_owned(), at(T0 + 1))]);
        match &items[1] {
            Err(Error::ModifiedTimeUnreadable {
                record_id,
                property,
                value: held,
            }) => {
                assert_eq!(record_id, "62");
                assert_eq!(property, "hs_lastmodifieddate");
                assert_eq!(held.as_deref(), value.as_str().filter(|v| !v.is_empty()));
            }
            other => panic!("{value}: expected the unreadable time, got {other:?}"),
        }
        only.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn bad_feed_options_fail_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let items = collect(client(&server).leads().changes(
        Checkpoint::beginning(),
        ChangeFeedOptions::new().page_size(201),
    ))
    .await;
    assert_eq!(items.len(), 1);
    match &items[0] {
        Err(Error::Validation(e)) => assert_eq!(e.field, "page_size"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    nothing.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_record_found_after_a_lost_answer_but_created_before_the_call_already_existed() {
    // The lost create may have been refused for it: a record older than the call is not ours.
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    let _properties = lead_properties(&server, order.clone()).await;
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(|_: &HttpMockRequest| html_502());
        })
        .await;
    let long_ago = Utc::now() - chrono::TimeDelta::days(3);
    let read = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when).body(&read_body(&["crm-1"]));
            then.respond_with(move |_: &HttpMockRequest| {
                json_response(
                    200,
                    &batch(vec![found_created_at("901", "crm-1", long_ago)], vec![]),
                )
            });
        })
        .await;
    let result = retrying_client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick())
        .create(vec![lead_input("crm-1")])
        .await
        .unwrap();
    assert_eq!(outcome_ids(&result), [("existed", "901".to_owned())]);
    assert_eq!(create.calls_async().await, 1);
    assert_eq!(read.calls_async().await, 1);
}

#[tokio::test]
async fn a_daily_429_ends_the_unique_create_instead_of_trying_again_each_round() {
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    lead_properties(&server, order).await;
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(|_: &HttpMockRequest| html_502());
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when);
            then.respond_with(|_: &HttpMockRequest| {
                json_response(
                    429,
                    &json!({"status": "error", "message": "You have reached your daily limit.",
                            "errorType": "RATE_LIMIT", "policyName": "DAILY",
                            "correlationId": "22222222-3333-4444-8555-666666666666"}),
                )
            });
        })
        .await;

    let result = client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick())
        .create(["crm-1", "crm-2"].map(lead_input).to_vec())
        .await
        .unwrap();

    assert_eq!(result.rounds, 1);
    create.assert_calls_async(1).await;
    read.assert_calls_async(1).await;
    for failure in result.failed() {
        assert!(failure.may_exist, "the lost create may have happened");
        let FailureCause::RequestFailed(error) = &failure.cause else {
            panic!("the daily limit as the cause, got {:?}", failure.cause);
        };
        assert!(matches!(error.as_ref(), Error::HubSpotDailyLimit(_)));
    }
    assert_eq!(result.failed().count(), 2);
}

#[tokio::test]
async fn unique_ids_with_white_space_around_them_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let inputs = vec![
        lead_input("crm-1"),
        lead_input("crm-2").property("external_id", " crm-2"),
    ];

    let error = client(&server)
        .leads()
        .unique_by("external_id")
        .create(inputs)
        .await
        .unwrap_err();

    let Error::Validation(error) = error else {
        panic!("a validation error, got {error:?}");
    };
    assert_eq!((error.item, error.field.as_str()), (Some(1), "external_id"));
    assert!(error.reason.contains("white space"), "{}", error.reason);
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn unique_ids_differing_only_in_case_are_two_records_as_hubspot_keeps_them() {
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    lead_properties(&server, order).await;
    let sent = Arc::new(Mutex::new(Vec::<Vec<Value>>::new()));
    let log = sent.clone();
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(move |req: &HttpMockRequest| {
                let inputs = inputs_of(req);
                log.lock().unwrap().push(inputs.clone());
                let results = inputs
                    .iter()
                    .enumerate()
                    .map(|(n, i)| created(&format!("900{n}"), i))
                    .collect();
                json_response(201, &batch(results, vec![]))
            });
        })
        .await;

    let result = client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick())
        .create(vec![
            lead_input("crm-7"),
            lead_input("crm-7").property("external_id", "CRM-7"),
        ])
        .await
        .unwrap();

    create.assert_calls_async(1).await;
    let ids: Vec<Value> = sent.lock().unwrap()[0]
        .iter()
        .map(|i| i["properties"]["external_id"].clone())
        .collect();
    assert_eq!(ids, [json!("crm-7"), json!("CRM-7")]);
    assert_eq!(result.created().count(), 2);
}

#[tokio::test]
async fn with_splitting_off_a_whole_batch_409_is_not_taken_as_each_inputs_own() {
    let server = MockServer::start_async().await;
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    lead_properties(&server, order).await;
    let sent = Arc::new(Mutex::new(Vec::<Vec<Value>>::new()));
    let create = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(refuse_crm_2(sent.clone()));
        })
        .await;
    // The look-up by external id after the refusal: crm-2 is there, crm-1 is not.
    let read = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when);
            then.respond_with(|_: &HttpMockRequest| {
                let missing = json!({
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some LEAD objects, they may be deleted or not exist.",
                    "context": {"ids": ["crm-1"]}
                });
                json_response(
                    207,
                    &batch(
                        vec![found_created_at(
                            "777",
                            "crm-2",
                            Utc::now() - chrono::TimeDelta::days(3),
                        )],
                        vec![missing],
                    ),
                )
            });
        })
        .await;

    let result = client(&server)
        .leads()
        .unique_by("external_id")
        .options(quick().bulk(hubspot_crm::BulkOptions::new().split_refused(false)))
        .create(["crm-1", "crm-2"].map(lead_input).to_vec())
        .await
        .unwrap();

    // crm-1 is not failed for crm-2's conflict: it is sent again alone and created.
    assert_eq!(
        outcome_ids(&result),
        [
            ("created", "9001".to_owned()),
            ("existed", "777".to_owned())
        ]
    );
    create.assert_calls_async(2).await;
    read.assert_calls_async(1).await;
}
