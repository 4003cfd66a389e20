//! Changing leads: update, archive, batches of up to 100 inputs (one request each) and the v3
//! per-lead association endpoints, with exact requests, 207 partial failures tied back to their
//! inputs, and bad input stopped before sending.

use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use hubspot_crm::api::shared as api;
use hubspot_crm::{
    AssociationType, Client, Error, FailureCause, ItemOutcome, NewRecord, RecordUpdate,
};
use hubspot_crm_mock::leads::operations::{
    ArchiveThen, ArchiveWhen, AssociateThen, AssociateWhen, BatchArchiveThen, BatchArchiveWhen,
    BatchCreateThen, BatchCreateWhen, BatchUpdateThen, BatchUpdateWhen, BatchUpsertThen,
    BatchUpsertWhen, RemoveAssociationThen, RemoveAssociationWhen, UpdateThen, UpdateWhen,
};
use serde_json::{Value, json};

use crate::support::{
    TOKEN, catch_all, client, expect_validation, json_response, record_json, request_json,
    traced_body,
};

/// `json` as the generated type `T`, which must serialize back to exactly `json`: a typed
/// body matches, and a typed answer sends, the same JSON as the literal.
fn typed<T: serde::Serialize + serde::de::DeserializeOwned>(json: Value) -> T {
    let value: T = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        json,
        "not kept as is"
    );
    value
}

fn update(id: &str, properties: &[(&str, &str)]) -> RecordUpdate {
    properties
        .iter()
        .fold(RecordUpdate::new(id), |change, (k, v)| {
            change.property(*k, *v)
        })
}

#[tokio::test]
async fn update_patches_and_an_empty_string_clears() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            UpdateWhen::new(when)
                .leads_id(&"1001".parse().unwrap())
                .body(&typed(
                    json!({"properties": {"hs_lead_label": "HOT", "hubspot_owner_id": ""}}),
                ))
                .into_inner()
                .query_param_count(".*", ".*", 0);
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            UpdateThen::new(then).into_inner().status(200).json_body(record_json(
                "1001",
                json!({"hs_lead_label": "HOT", "hubspot_owner_id": null, "hs_lastmodifieddate": "2026-11-26T10:00:00Z"}),
            ));
        })
        .await;
    let lead = client(&server)
        .leads()
        .update(update(
            "1001",
            &[("hs_lead_label", "HOT"), ("hubspot_owner_id", "")],
        ))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.property("hs_lead_label"), Some("HOT"));
    assert_eq!(lead.properties["hubspot_owner_id"], None);
}

#[tokio::test]
async fn update_by_unique_property_sends_id_property() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            UpdateWhen::new(when)
                .leads_id(&"ext-42".parse().unwrap())
                .id_property("external_lead_key")
                .body(&typed(json!({"properties": {"hs_lead_label": "COLD"}})))
                .into_inner()
                .query_param_count(".*", ".*", 1);
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            UpdateThen::new(then)
                .into_inner()
                .status(200)
                .json_body(record_json("1001", json!({"hs_lead_label": "COLD"})));
        })
        .await;
    let change = update("ext-42", &[("hs_lead_label", "COLD")]).id_property("external_lead_key");
    let lead = client(&server).leads().update(change).await.unwrap();
    mock.assert_async().await;
    assert_eq!(lead.id, "1001");
}

#[tokio::test]
async fn bad_updates_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let e = expect_validation(
        leads
            .update(update("abc", &[("hs_lead_label", "HOT")]))
            .await,
    );
    assert_eq!(e.field, "id");
    let e = expect_validation(leads.update(update("0", &[("hs_lead_label", "HOT")])).await);
    assert_eq!(e.field, "id");
    let e = expect_validation(leads.update(update("1001", &[])).await);
    assert_eq!(e.field, "properties");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn read_only_property_rejected_by_hubspot_is_typed() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            UpdateWhen::new(when).leads_id(&"1001".parse().unwrap());
            UpdateThen::new(then).client_error(
                400,
                json!({
                    "status": "error",
                    "message": "Property values were not valid: [{\"isValid\":false,\"message\":\"hs_object_id is a read only property; its value cannot be set.\",\"error\":\"READ_ONLY_VALUE\",\"name\":\"hs_object_id\"}]",
                    "correlationId": "c0ffee00-0000-4000-8000-000000000001",
                    "category": "VALIDATION_ERROR",
                    "errors": [{"message": "hs_object_id is a read only property; its value cannot be set.", "code": "READ_ONLY_VALUE", "context": {"propertyName": ["hs_object_id"]}}]
                }),
            );
        })
        .await;
    let err = client(&server)
        .leads()
        .update(update("1001", &[("hs_object_id", "5")]))
        .await
        .unwrap_err();
    mock.assert_async().await;
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}")
    };
    assert_eq!(api.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(api.errors[0].code.as_deref(), Some("READ_ONLY_VALUE"));
    assert!(err.to_string().contains("read only"), "{err}");
}

#[tokio::test]
async fn archive_deletes_and_accepts_204() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ArchiveWhen::new(when)
                .leads_id(&"1001".parse().unwrap())
                .into_inner()
                .query_param_count(".*", ".*", 0);
            ArchiveThen::new(then).success(204);
        })
        .await;
    client(&server).leads().archive("1001").await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn archive_of_a_malformed_id_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for bad in ["abc", "0", ""] {
        let e = expect_validation(leads.archive(bad).await);
        assert_eq!(e.field, "id");
    }
    any.assert_calls_async(0).await;
}

fn new_lead(client: &Client, name: &str, contact: &str, trace: &str) -> NewRecord {
    client
        .leads()
        .new_lead(name)
        .contact(contact)
        .trace_id(trace)
        .into_new_record()
}

/// A batch answer of HubSpot's with `results` and no errors.
fn batch_answer(results: Vec<Value>) -> Value {
    json!({
        "status": "COMPLETE",
        "results": results,
        "startedAt": "2026-11-26T10:00:00.010Z",
        "completedAt": "2026-11-26T10:00:00.090Z"
    })
}

#[tokio::test]
async fn batch_create_sends_trace_ids_and_types_a_partial_failure() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when)
                .body(&typed(json!({"inputs": [
                    {
                        "properties": {"hs_lead_name": "A"},
                        "associations": [{"to": {"id": "51"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
                        "objectWriteTraceId": "t-0"
                    },
                    {
                        "properties": {"hs_lead_name": "B"},
                        "associations": [{"to": {"id": "999999"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
                        "objectWriteTraceId": "t-1"
                    }
                ]})))
                .into_inner()
                .query_param_count(".*", ".*", 0);
            BatchCreateThen::new(then).success(207, &typed(json!({
                "status": "COMPLETE",
                "results": [{
                    "id": "1001",
                    "properties": {"hs_lead_name": "A", "hs_lead_label": null},
                    "createdAt": "2026-11-26T10:00:00Z",
                    "updatedAt": "2026-11-26T10:00:00Z",
                    "archived": false,
                    "objectWriteTraceId": "t-0"
                }],
                "numErrors": 1,
                "errors": [{
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": "One or more associations are invalid",
                    "context": {"objectWriteTraceId": ["t-1"]},
                    "errors": [{"message": "Contact 999999 does not exist", "code": "INVALID_ASSOCIATION", "in": "associations[0].to.id"}]
                }],
                "startedAt": "2026-11-26T10:00:00.010Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            })));
        })
        .await;
    let client = client(&server);
    let inputs = vec![
        new_lead(&client, "A", "51", "t-0"),
        new_lead(&client, "B", "999999", "t-1"),
    ];
    let result = client.leads().create_many(inputs).await.unwrap();
    mock.assert_async().await;
    assert_eq!(result.outcomes.len(), 2);
    assert_eq!(result.succeeded().count(), 1);
    let created = result.outcomes[0].succeeded().expect("input 0 is created");
    assert_eq!(created.id, "1001");
    assert_eq!(created.object_write_trace_id.as_deref(), Some("t-0"));
    assert_eq!(created.properties["hs_lead_label"], None);

    let failed = result.outcomes[1].failed().expect("input 1 is rejected");
    assert_eq!(failed.index, 1);
    assert_eq!(failed.input.object_write_trace_id.as_deref(), Some("t-1"));
    assert_eq!(failed.input.associations[0].to.id, "999999");
    assert!(!failed.may_have_been_applied());
    let FailureCause::Rejected(error) = &failed.cause else {
        panic!("expected a rejection, got {:?}", failed.cause)
    };
    assert_eq!(error.status, 207);
    assert_eq!(error.item_status.as_deref(), Some("error"));
    assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(
        error.message.as_deref(),
        Some("One or more associations are invalid")
    );
    assert_eq!(error.context["objectWriteTraceId"], ["t-1"]);
    assert_eq!(error.errors.len(), 1);
    assert_eq!(error.errors[0].code.as_deref(), Some("INVALID_ASSOCIATION"));
    assert_eq!(
        error.errors[0].in_.as_deref(),
        Some("associations[0].to.id")
    );
    assert_eq!(
        error.errors[0].message.as_deref(),
        Some("Contact 999999 does not exist")
    );
    assert!(result.unmatched_results.is_empty());
    assert!(result.unmatched_errors.is_empty());
}

#[tokio::test]
async fn bad_batch_creates_name_the_item_and_send_nothing() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let client = client(&server);
    let leads = client.leads();

    let mut inputs: Vec<NewRecord> = (0..3)
        .map(|i| new_lead(&client, "ok", "51", &format!("t-{i}")))
        .collect();
    inputs[2].associations.clear();
    let e = expect_validation(leads.create_many(inputs).await);
    assert_eq!((e.item, e.field.as_str()), (Some(2), "associations"));
    assert!(e.to_string().contains("item 2"), "{e}");

    let blank_name = vec![
        new_lead(&client, "ok", "51", "t-0"),
        new_lead(&client, " ", "51", "t-1"),
    ];
    let e = expect_validation(leads.create_many(blank_name).await);
    assert_eq!((e.item, e.field.as_str()), (Some(1), "hs_lead_name"));

    let bad_contact = vec![new_lead(&client, "ok", "abc", "t-0")];
    let e = expect_validation(leads.create_many(bad_contact).await);
    assert_eq!(
        (e.item, e.field.as_str()),
        (Some(0), "associations[0].to.id")
    );

    let same_trace = vec![
        new_lead(&client, "a", "51", "t-same"),
        new_lead(&client, "b", "52", "t-other"),
        new_lead(&client, "c", "53", "t-same"),
    ];
    let e = expect_validation(leads.create_many(same_trace).await);
    assert_eq!((e.item, e.field.as_str()), (Some(2), "objectWriteTraceId"));
    assert!(e.reason.contains("item 0"), "{}", e.reason);

    // Nothing to create: nothing is sent, and there is nothing to report.
    let none = leads.create_many(Vec::new()).await.unwrap();
    assert!(none.outcomes.is_empty());
    assert!(none.unmatched_results.is_empty() && none.unmatched_errors.is_empty());
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn batch_update_sends_each_input() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchUpdateWhen::new(when)
                .into_inner()
                .is_true(traced_body(json!({"inputs": [
                {"id": "1001", "properties": {"hs_lead_label": "HOT"}},
                {"id": "ext-9", "idProperty": "external_lead_key", "properties": {"hs_lead_label": ""}}
            ]})));
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            BatchUpdateThen::new(then).into_inner().status(200).json_body(json!({
                "status": "COMPLETE",
                "results": [
                    {"id": "1001", "properties": {"hs_lead_label": "HOT"}, "createdAt": "2026-10-01T08:30:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false},
                    {"id": "1009", "properties": {"hs_lead_label": null}, "createdAt": "2026-10-01T08:30:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false}
                ],
                "requestedAt": "2026-11-26T10:00:00.000Z",
                "startedAt": "2026-11-26T10:00:00.010Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            }));
        })
        .await;
    let inputs = vec![
        update("1001", &[("hs_lead_label", "HOT")]),
        update("ext-9", &[("hs_lead_label", "")]).id_property("external_lead_key"),
    ];
    let result = client(&server).leads().update_many(inputs).await.unwrap();
    mock.assert_async().await;
    assert_eq!(result.outcomes.len(), 2);
    let updated: Vec<_> = result.succeeded().collect();
    assert_eq!(updated.len(), 2);
    assert_eq!(updated[0].id, "1001");
    assert_eq!(updated[0].property("hs_lead_label"), Some("HOT"));
    // The input addressed by its unique property gets the record HubSpot resolved it to.
    assert_eq!(updated[1].id, "1009");
    assert_eq!(updated[1].properties["hs_lead_label"], None);
    assert_eq!(result.failed().count(), 0);
    assert!(result.unmatched_results.is_empty());
    assert!(result.unmatched_errors.is_empty());
}

#[tokio::test]
async fn bad_batch_updates_name_the_item_and_send_nothing() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let e = expect_validation(
        leads
            .update_many(vec![
                update("1001", &[("a", "1")]),
                update("abc", &[("a", "1")]),
            ])
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(1), "id"));
    let e = expect_validation(leads.update_many(vec![update("1001", &[])]).await);
    assert_eq!((e.item, e.field.as_str()), (Some(0), "properties"));
    any.assert_calls_async(0).await;
}

fn by_key(id: &str, label: &str) -> RecordUpdate {
    update(id, &[("hs_lead_label", label)]).id_property("external_lead_key")
}

#[tokio::test]
async fn batch_upsert_reports_created_and_updated() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchUpsertWhen::new(when)
                .into_inner()
                .is_true(traced_body(json!({"inputs": [
                {"id": "ext-1", "idProperty": "external_lead_key", "properties": {"hs_lead_label": "WARM"}},
                {"id": "ext-2", "idProperty": "external_lead_key", "properties": {"hs_lead_label": "COLD"}}
            ]})));
            // The unique property's value is what ties each result to its input.
            BatchUpsertThen::new(then).success(200, &typed(json!({
                "status": "COMPLETE",
                "results": [
                    {"id": "1001", "new": false, "properties": {"hs_lead_label": "WARM", "external_lead_key": "ext-1"}, "createdAt": "2026-10-01T08:30:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false},
                    {"id": "1010", "new": true, "properties": {"hs_lead_label": "COLD", "hs_lead_name": null, "external_lead_key": "ext-2"}, "createdAt": "2026-11-26T10:00:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false}
                ],
                "startedAt": "2026-11-26T10:00:00.010Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            })));
        })
        .await;
    let result = client(&server)
        .leads()
        .upsert_many(vec![by_key("ext-1", "WARM"), by_key("ext-2", "COLD")])
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(result.outcomes.len(), 2);
    let updated = result.outcomes[0].succeeded().expect("ext-1 is confirmed");
    assert_eq!(updated.id, "1001");
    assert_eq!(updated.new, Some(false));
    let created = result.outcomes[1].succeeded().expect("ext-2 is confirmed");
    assert_eq!(created.id, "1010");
    assert_eq!(created.new, Some(true));
    assert_eq!(created.properties["hs_lead_name"], None);
    assert!(result.unmatched_results.is_empty());
    assert!(result.unmatched_errors.is_empty());
}

#[tokio::test]
async fn upsert_results_that_name_no_input_are_kept_but_confirm_nothing() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchUpsertWhen::new(when)
                .into_inner()
                .is_true(traced_body(json!({"inputs": [
                {"id": "ext-1", "idProperty": "external_lead_key", "properties": {"hs_lead_label": "WARM"}},
                {"id": "ext-2", "idProperty": "external_lead_key", "properties": {"hs_lead_label": "COLD"}}
            ]})));
            BatchUpsertThen::new(then).success(200, &typed(json!({
                "status": "COMPLETE",
                "results": [
                    {"id": "1001", "new": false, "properties": {"hs_lead_label": "WARM"}, "createdAt": "2026-10-01T08:30:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false},
                    {"id": "1010", "new": true, "properties": {"hs_lead_label": "COLD", "hs_lead_name": null}, "createdAt": "2026-11-26T10:00:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false}
                ],
                "startedAt": "2026-11-26T10:00:00.010Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            })));
        })
        .await;
    let result = client(&server)
        .leads()
        .upsert_many(vec![by_key("ext-1", "WARM"), by_key("ext-2", "COLD")])
        .await
        .unwrap();
    mock.assert_async().await;
    // Neither result echoes `external_lead_key`: neither can be tied to its input, so neither
    // input is reported done, and both records are kept with their `new` flag.
    assert_eq!(result.outcomes.len(), 2);
    for (index, outcome) in result.outcomes.iter().enumerate() {
        let failed = outcome.failed().expect("not confirmed");
        assert_eq!(failed.index, index);
        assert!(failed.may_have_been_applied());
        assert!(
            matches!(&failed.cause, FailureCause::NotConfirmed { unattributed_errors } if unattributed_errors.is_empty()),
            "{:?}",
            failed.cause
        );
    }
    let kept = &result.unmatched_results;
    assert_eq!(kept.len(), 2);
    assert_eq!((kept[0].id.as_str(), kept[0].new), ("1001", Some(false)));
    assert_eq!((kept[1].id.as_str(), kept[1].new), ("1010", Some(true)));
    assert_eq!(kept[1].properties["hs_lead_name"], None);
    assert!(result.unmatched_errors.is_empty());
}

#[tokio::test]
async fn upserts_without_a_unique_property_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let keyed = by_key("ext-1", "WARM");
    let e = expect_validation(
        leads
            .upsert_many(vec![
                keyed.clone(),
                update("1001", &[("hs_lead_label", "WARM")]),
            ])
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(1), "idProperty"));
    let mut blank_value = keyed.clone();
    blank_value.id = "  ".into();
    let e = expect_validation(leads.upsert_many(vec![blank_value]).await);
    assert_eq!((e.item, e.field.as_str()), (Some(0), "id"));
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn batch_archive_sends_ids() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchArchiveWhen::new(when)
                .body(&typed(json!({"inputs": [{"id": "1001"}, {"id": "1002"}]})));
            BatchArchiveThen::new(then).success(204);
        })
        .await;
    let result = client(&server)
        .leads()
        .archive_many(["1001", "1002"])
        .await
        .unwrap();
    mock.assert_async().await;
    let archived: Vec<&str> = result.succeeded().map(String::as_str).collect();
    assert_eq!(archived, ["1001", "1002"]);
    assert!(result.is_complete_success());
}

#[tokio::test]
async fn bad_batch_archives_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let e = expect_validation(leads.archive_many(["1001", "0"]).await);
    assert_eq!((e.item, e.field.as_str()), (Some(1), "id"));
    let e = expect_validation(leads.archive_many(["abc"]).await);
    assert_eq!((e.item, e.field.as_str()), (Some(0), "id"));
    any.assert_calls_async(0).await;
}

/// Records how many inputs each request to the batch operation `operation` matches (its typed
/// `When`) carried; answers with a result per input made by `result`, or, without one
/// (archives), with a 204.
async fn counting_mock<'a>(
    server: &'a MockServer,
    operation: fn(httpmock::When) -> httpmock::When,
    sizes: &Arc<Mutex<Vec<usize>>>,
    result: Option<fn(&Value) -> Value>,
) -> httpmock::Mock<'a> {
    let sizes = sizes.clone();
    server
        .mock_async(|when, then| {
            operation(when);
            // Raw: a result for each input the request carried.
            then.respond_with(move |req: &HttpMockRequest| {
                let body = request_json(req);
                let inputs = body["inputs"].as_array().unwrap();
                sizes.lock().unwrap().push(inputs.len());
                match result {
                    Some(result) => {
                        json_response(200, &batch_answer(inputs.iter().map(result).collect()))
                    }
                    None => HttpMockResponse::builder().status(204).build(),
                }
            });
        })
        .await
}

fn sorted(sizes: &Arc<Mutex<Vec<usize>>>) -> Vec<usize> {
    let mut sizes = sizes.lock().unwrap().clone();
    sizes.sort_unstable();
    sizes
}

#[tokio::test]
async fn over_a_hundred_inputs_are_sent_in_requests_of_at_most_100() {
    let server = MockServer::start_async().await;
    let client = client(&server);
    let leads = client.leads();

    let sizes = Arc::new(Mutex::new(Vec::new()));
    let creates = counting_mock(
        &server,
        |when| BatchCreateWhen::new(when).into_inner(),
        &sizes,
        Some(|input| {
            let trace = input["objectWriteTraceId"].as_str().unwrap();
            let n: u64 = trace.trim_start_matches("t-").parse().unwrap();
            let mut record = record_json(&(5000 + n).to_string(), input["properties"].clone());
            record["objectWriteTraceId"] = json!(trace);
            record
        }),
    )
    .await;
    let inputs: Vec<NewRecord> = (0..101)
        .map(|i| new_lead(&client, "ok", "51", &format!("t-{i}")))
        .collect();
    let result = leads.create_many(inputs).await.unwrap();
    creates.assert_calls_async(2).await;
    assert_eq!(sorted(&sizes), [1, 100]);
    assert_eq!(result.outcomes.len(), 101);
    for (i, outcome) in result.outcomes.iter().enumerate() {
        let record = outcome.succeeded().expect("created");
        assert_eq!(record.id, (5000 + i).to_string());
    }

    let sizes = Arc::new(Mutex::new(Vec::new()));
    let updates = counting_mock(
        &server,
        |when| BatchUpdateWhen::new(when).into_inner(),
        &sizes,
        Some(|input| record_json(input["id"].as_str().unwrap(), input["properties"].clone())),
    )
    .await;
    let changes = (1..=101)
        .map(|i| update(&i.to_string(), &[("a", "1")]))
        .collect();
    let result = leads.update_many(changes).await.unwrap();
    updates.assert_calls_async(2).await;
    assert_eq!(sorted(&sizes), [1, 100]);
    let ids: Vec<String> = result.succeeded().map(|r| r.id.clone()).collect();
    let expected: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected);

    let sizes = Arc::new(Mutex::new(Vec::new()));
    let upserts = counting_mock(
        &server,
        |when| BatchUpsertWhen::new(when).into_inner(),
        &sizes,
        Some(|input| {
            let key = input["id"].as_str().unwrap();
            let n: u64 = key.trim_start_matches("ext-").parse().unwrap();
            let mut record = record_json(
                &(7000 + n).to_string(),
                json!({"hs_lead_label": "WARM", "external_lead_key": key}),
            );
            record["new"] = json!(true);
            record
        }),
    )
    .await;
    let keyed = (0..101)
        .map(|i| by_key(&format!("ext-{i}"), "WARM"))
        .collect();
    let result = leads.upsert_many(keyed).await.unwrap();
    upserts.assert_calls_async(2).await;
    assert_eq!(sorted(&sizes), [1, 100]);
    assert_eq!(result.outcomes.len(), 101);
    for (i, outcome) in result.outcomes.iter().enumerate() {
        let record = outcome.succeeded().expect("upserted");
        assert_eq!(
            (record.id.clone(), record.new),
            ((7000 + i).to_string(), Some(true))
        );
    }

    let sizes = Arc::new(Mutex::new(Vec::new()));
    let archives = counting_mock(
        &server,
        |when| BatchArchiveWhen::new(when).into_inner(),
        &sizes,
        None,
    )
    .await;
    let ids: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let result = leads.archive_many(ids.clone()).await.unwrap();
    archives.assert_calls_async(2).await;
    assert_eq!(sorted(&sizes), [1, 100]);
    let archived: Vec<String> = result.succeeded().cloned().collect();
    assert_eq!(archived, ids);
    assert!(matches!(result.outcomes[100], ItemOutcome::Succeeded(ref id) if id == "101"));
}

#[tokio::test]
async fn associate_v3_puts_the_path_and_returns_associations() {
    let server = MockServer::start_async().await;
    let response: api::SimplePublicObjectWithAssociations = serde_json::from_value(json!({
        "id": "1001",
        "properties": {"hs_lead_name": "Acme", "hs_lead_label": null},
        "associations": {
            "contacts": {"results": [
                {"id": "51", "type": "lead_to_primary_contact"},
                {"id": "52", "type": "lead_to_contact"}
            ]}
        },
        "createdAt": "2026-10-01T08:30:00Z",
        "updatedAt": "2026-11-26T10:00:00Z",
        "archived": false
    }))
    .unwrap();
    let mock = server
        .mock_async(|when, then| {
            AssociateWhen::new(when)
                .lead_id("1001")
                .to_object_type("contacts")
                .to_object_id("52")
                .association_type_id(608)
                .into_inner()
                .path("/crm/v3/objects/leads/1001/associations/contacts/52/608")
                .query_param_count(".*", ".*", 0)
                .header("authorization", format!("Bearer {TOKEN}"))
                .body("");
            AssociateThen::new(then).success(200, &response);
        })
        .await;
    let lead = client(&server)
        .leads()
        .associate_v3("1001", "contacts", "52", 608)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.id, "1001");
    assert_eq!(lead.properties["hs_lead_label"], None);
    let contacts = &lead.associations["contacts"];
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[1].id, "52");
    assert_eq!(contacts[1].type_, "lead_to_contact");
}

#[tokio::test]
async fn associate_v3_takes_object_type_ids() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            AssociateWhen::new(when)
                .lead_id("1001")
                .to_object_type("0-2")
                .to_object_id("77")
                .association_type_id(610);
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            AssociateThen::new(then)
                .into_inner()
                .status(200)
                .json_body(record_json("1001", json!({})));
        })
        .await;
    let lead = client(&server)
        .leads()
        .associate_v3("1001", "0-2", "77", AssociationType::hubspot(610).type_id)
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(lead.associations.is_empty());
}

#[tokio::test]
async fn remove_association_v3_deletes_the_path() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            RemoveAssociationWhen::new(when)
                .lead_id("1001")
                .to_object_type("companies")
                .to_object_id("77")
                .association_type_id(610)
                .into_inner()
                .query_param_count(".*", ".*", 0);
            RemoveAssociationThen::new(then).success(204);
        })
        .await;
    client(&server)
        .leads()
        .remove_association_v3("1001", "companies", "77", 610)
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn association_errors_from_hubspot_are_typed() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            RemoveAssociationWhen::new(when).lead_id("1001");
            RemoveAssociationThen::new(then).client_error(
                404,
                json!({
                    "status": "error",
                    "message": "No LEAD with ID 1001 exists",
                    "correlationId": "aaaa0000-1111-2222-3333-444455556666",
                    "category": "OBJECT_NOT_FOUND"
                }),
            );
        })
        .await;
    let err = client(&server)
        .leads()
        .remove_association_v3("1001", "contacts", "51", 578)
        .await
        .unwrap_err();
    mock.assert_async().await;
    let api = err.api_error().expect("an API error");
    assert!(api.is_not_found());
    assert_eq!(
        api.correlation_id.as_deref(),
        Some("aaaa0000-1111-2222-3333-444455556666")
    );
}

#[tokio::test]
async fn malformed_association_paths_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let cases: [(&str, &str, &str, i32, &str); 7] = [
        ("abc", "contacts", "51", 608, "leadId"),
        ("0", "contacts", "51", 608, "leadId"),
        ("1001", "", "51", 608, "toObjectType"),
        ("1001", "contacts/../deals", "51", 608, "toObjectType"),
        ("1001", "contacts", "abc", 608, "toObjectId"),
        ("1001", "contacts", "51", 0, "associationTypeId"),
        ("1001", "contacts", "51", -578, "associationTypeId"),
    ];
    for (lead, kind, to, type_id, field) in cases {
        let e = expect_validation(leads.associate_v3(lead, kind, to, type_id).await);
        assert_eq!(e.field, field);
        let e = expect_validation(leads.remove_association_v3(lead, kind, to, type_id).await);
        assert_eq!(e.field, field);
    }
    any.assert_calls_async(0).await;
}
