//! Batches HubSpot refuses whole (400 for a value, 409 for a taken unique value), answers
//! that confirm nothing, and inputs that fail the client's own checks.

use std::sync::{Arc, Mutex};

use crate::support::{
    catch_all, client, json_response, record_json, request_json, untraced_inputs,
};
use httpmock::prelude::*;
use hubspot_crm::{
    ApiError, BulkOptions, Contact, FailureCause, InvalidInputs, Lead, NewRecord, RecordUpdate,
};
use hubspot_crm_mock::leads::operations::{BatchCreateWhen, BatchUpdateWhen};
use hubspot_crm_mock::objects::operations::BatchUpsertWhen;
use serde_json::{Value, json};

/// HubSpot's whole-batch refusal of one value: the property is named, the input is not.
fn refused(property: &str, code: &str, message: &str) -> Value {
    let listed = json!([{"isValid": false, "message": message, "error": code, "name": property}]);
    json!({
        "status": "error",
        "message": format!("Property values were not valid: {listed}"),
        "correlationId": "0b6f2d0e-1111-4222-8333-444455556666",
        "category": "VALIDATION_ERROR"
    })
}

fn batch(results: Vec<Value>) -> Value {
    json!({"status": "COMPLETE", "results": results,
           "startedAt": "2026-12-01T10:00:00Z", "completedAt": "2026-12-01T10:00:01Z"})
}

fn inputs_of(req: &HttpMockRequest) -> Vec<Value> {
    request_json(req)["inputs"].as_array().unwrap().clone()
}

/// Answers batch updates as HubSpot does without per-input answers: any input whose
/// `hs_lead_label` is not an option refuses the whole request; otherwise every input is
/// updated. Logs each request's ids.
fn label_checked_updates(
    log: Arc<Mutex<Vec<Vec<String>>>>,
) -> impl Fn(&HttpMockRequest) -> httpmock::HttpMockResponse {
    move |req| {
        let inputs = inputs_of(req);
        let ids: Vec<String> = inputs
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        log.lock().unwrap().push(ids);
        if let Some(bad) = inputs
            .iter()
            .find(|i| i["properties"]["hs_lead_label"] == "LUKEWARM")
        {
            assert!(bad["objectWriteTraceId"].is_string());
            return json_response(
                400,
                &refused(
                    "hs_lead_label",
                    "INVALID_OPTION",
                    "LUKEWARM was not one of the allowed options",
                ),
            );
        }
        let results = inputs
            .iter()
            .map(|i| record_json(i["id"].as_str().unwrap(), i["properties"].clone()))
            .collect();
        json_response(200, &batch(results))
    }
}

fn label(id: u32, label: &str) -> RecordUpdate {
    RecordUpdate::new(id.to_string()).property("hs_lead_label", label)
}

#[tokio::test]
async fn an_update_batch_refused_for_one_value_writes_every_other_input_once() {
    let server = MockServer::start_async().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let endpoint = server
        .mock_async(|when, then| {
            BatchUpdateWhen::new(when);
            then.respond_with(label_checked_updates(log.clone()));
        })
        .await;
    let bad = [1007, 1063];
    let updates = (1001..=1100)
        .map(|id| label(id, if bad.contains(&id) { "LUKEWARM" } else { "HOT" }))
        .collect();

    let result = client(&server).leads().update_many(updates).await.unwrap();

    for (i, outcome) in result.outcomes.iter().enumerate() {
        let id = 1001 + i as u32;
        if bad.contains(&id) {
            let failure = outcome.failed().expect("the refused input fails");
            let FailureCause::Rejected(error) = &failure.cause else {
                panic!(
                    "HubSpot's refusal as {id}'s own error, got {:?}",
                    failure.cause
                );
            };
            assert_eq!(error.status, 400);
            assert_eq!(error.invalid_properties(), ["hs_lead_label"]);
            assert!(!failure.may_have_been_applied());
        } else {
            assert_eq!(outcome.succeeded().expect("written").id, id.to_string());
        }
    }
    // Each good input was accepted in exactly one request.
    let log = log.lock().unwrap().clone();
    let refused: Vec<&Vec<String>> = log
        .iter()
        .filter(|ids| bad.iter().any(|b| ids.contains(&b.to_string())))
        .collect();
    for id in 1001..=1100u32 {
        let accepted = log
            .iter()
            .filter(|ids| !refused.contains(ids) && ids.contains(&id.to_string()))
            .count();
        assert_eq!(accepted, usize::from(!bad.contains(&id)), "lead {id}");
    }
    // 2 bad inputs in 100: at most 1 + 2·2·⌈log2 100⌉ = 29 requests.
    let requests = log.len();
    assert!(requests <= 29, "{requests} requests");
    endpoint.assert_calls_async(requests).await;
}

#[tokio::test]
async fn with_splitting_off_a_refused_update_batch_fails_its_inputs_with_the_requests_error() {
    let server = MockServer::start_async().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let endpoint = server
        .mock_async(|when, then| {
            BatchUpdateWhen::new(when);
            then.respond_with(label_checked_updates(log.clone()));
        })
        .await;
    let updates = vec![label(1001, "HOT"), label(1002, "LUKEWARM")];

    let result = client(&server)
        .leads()
        .bulk(BulkOptions::new().split_refused(false))
        .update(updates)
        .await
        .unwrap();

    endpoint.assert_calls_async(1).await;
    for failure in result.failed() {
        assert!(matches!(failure.cause, FailureCause::RequestFailed(_)));
    }
    assert_eq!(result.failed().count(), 2);
}

#[tokio::test]
async fn an_upsert_batch_refused_with_a_409_is_halved_and_the_holder_of_the_value_is_named() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            BatchUpsertWhen::new(when).object_type("contacts");
            then.respond_with(|req: &HttpMockRequest| {
                let inputs = inputs_of(req);
                if inputs
                    .iter()
                    .any(|i| i["properties"]["phone_key"] == "taken")
                {
                    return json_response(
                        409,
                        &json!({"status": "error", "category": "CONFLICT",
                                "message": "Contact already exists. Existing ID: 12345",
                                "correlationId": "5d7c9e0f-0000-4000-8000-000000000409"}),
                    );
                }
                let results = inputs
                    .iter()
                    .enumerate()
                    .map(|(n, i)| {
                        let mut r = record_json(&format!("70{n}"), json!({"email": i["id"]}));
                        r["new"] = json!(true);
                        r
                    })
                    .collect();
                json_response(200, &batch(results))
            });
        })
        .await;
    let upsert = |email: &str, key: &str| {
        RecordUpdate::new(email)
            .id_property("email")
            .property("phone_key", key)
    };
    let inputs = vec![
        upsert("a@example.com", "a"),
        upsert("b@example.com", "taken"),
        upsert("c@example.com", "c"),
        upsert("d@example.com", "d"),
    ];

    let result = client(&server)
        .objects::<Contact>()
        .upsert_many(inputs)
        .await
        .unwrap();

    let failure = result.failed().next().expect("b@ fails");
    assert_eq!(failure.index, 1);
    let FailureCause::Rejected(error) = &failure.cause else {
        panic!("the 409 as b@'s own error, got {:?}", failure.cause);
    };
    assert!(error.is_conflict());
    assert_eq!(error.existing_id(), Some("12345"));
    assert_eq!(result.succeeded().count(), 3);
    // [a b c d] refused, [a b] refused, [a] and [b] alone, [c d]: 5 requests.
    endpoint.assert_calls_async(5).await;
}

#[tokio::test]
async fn an_empty_answer_to_a_batch_update_confirms_none_of_its_inputs() {
    let server = MockServer::start_async().await;
    // As HubSpot has answered updates naming ids that do not exist: nothing was written.
    let endpoint = server
        .mock_async(|when, then| {
            BatchUpdateWhen::new(when);
            then.status(207)
                .header("content-type", "application/json")
                .json_body(batch(vec![]));
        })
        .await;

    let result = client(&server)
        .leads()
        .update_many(vec![label(1001, "HOT"), label(1002, "HOT")])
        .await
        .unwrap();

    endpoint.assert_calls_async(1).await;
    assert_eq!(result.failed().count(), 2);
    for failure in result.failed() {
        assert!(matches!(failure.cause, FailureCause::NotConfirmed { .. }));
        assert!(failure.may_have_been_applied());
    }
}

#[tokio::test]
async fn an_empty_answer_to_a_batch_create_leaves_every_input_unknown_and_is_not_resent() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.status(201)
                .header("content-type", "application/json")
                .json_body(batch(vec![]));
        })
        .await;
    let input = |name: &str| {
        NewRecord::new()
            .property("hs_lead_name", name)
            .associate("51", hubspot_crm::AssociationType::hubspot(578))
    };

    let result = client(&server)
        .leads()
        .create_many(vec![input("A"), input("B")])
        .await
        .unwrap();

    endpoint.assert_calls_async(1).await;
    for failure in result.failed() {
        assert!(matches!(failure.cause, FailureCause::NotConfirmed { .. }));
        assert!(
            failure.may_have_been_applied(),
            "a create may have been done"
        );
    }
    assert_eq!(result.failed().count(), 2);
}

#[tokio::test]
async fn a_server_error_on_a_batch_create_is_never_halved_and_resent() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.status(500)
                .header("content-type", "application/json")
                .json_body(json!({"status": "error", "category": "INTERNAL_ERROR",
                                  "message": "internal error", "correlationId": "c0"}));
        })
        .await;
    let inputs = (0..4)
        .map(|i| {
            NewRecord::new()
                .property("hs_lead_name", format!("Lead {i}"))
                .associate("51", hubspot_crm::AssociationType::hubspot(578))
        })
        .collect();

    let result = client(&server).leads().create_many(inputs).await.unwrap();

    endpoint.assert_calls_async(1).await;
    assert!(result.failed().all(|f| f.may_have_been_applied()));
}

#[tokio::test]
async fn invalid_inputs_can_fail_on_their_own_while_the_rest_is_sent() {
    let server = MockServer::start_async().await;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    let endpoint = server
        .mock_async(|when, then| {
            BatchUpdateWhen::new(when);
            then.respond_with(move |req: &HttpMockRequest| {
                let body = untraced_inputs(&request_json(req));
                log.lock().unwrap().push(body.clone());
                let results = body["inputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| record_json(i["id"].as_str().unwrap(), i["properties"].clone()))
                    .collect();
                json_response(200, &batch(results))
            });
        })
        .await;
    let updates = vec![
        label(1001, "HOT"),
        RecordUpdate::new("not-a-number").property("hs_lead_label", "HOT"),
        RecordUpdate::new("1003"),
        label(1001, "WARM"),
        label(1005, "HOT"),
    ];

    let result = client(&server)
        .leads()
        .bulk(BulkOptions::new().invalid_inputs(InvalidInputs::Reject))
        .update(updates)
        .await
        .unwrap();

    endpoint.assert_calls_async(1).await;
    assert_eq!(
        sent.lock().unwrap()[0],
        json!({"inputs": [
            {"id": "1001", "properties": {"hs_lead_label": "HOT"}},
            {"id": "1005", "properties": {"hs_lead_label": "HOT"}}
        ]})
    );
    let rejected: Vec<(usize, String, Option<usize>)> = result
        .failed()
        .map(|f| match &f.cause {
            FailureCause::Invalid(e) => (f.index, e.field.clone(), e.item),
            other => panic!("item {} rejected unsent, got {other:?}", f.index),
        })
        .collect();
    assert_eq!(
        rejected,
        [
            (1, "id".to_owned(), Some(1)),
            (2, "properties".to_owned(), Some(2)),
            (3, "id".to_owned(), Some(3)),
        ]
    );
    assert!(result.failed().all(|f| !f.may_have_been_applied()));
    let written: Vec<&str> = result.succeeded().map(|r| r.id.as_str()).collect();
    assert_eq!(written, ["1001", "1005"]);
}

#[tokio::test]
async fn by_default_one_invalid_input_fails_the_call_before_any_request() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let error = client(&server)
        .objects::<Lead>()
        .update_many(vec![label(1001, "HOT"), RecordUpdate::new("1002")])
        .await
        .unwrap_err();
    let hubspot_crm::Error::Validation(error) = error else {
        panic!("a validation error, got {error:?}");
    };
    assert_eq!((error.item, error.field.as_str()), (Some(1), "properties"));
    any.assert_calls_async(0).await;
}

#[test]
fn a_whole_batch_refusal_names_its_values_and_a_proxy_page_is_no_refusal() {
    let body = refused(
        "email",
        "INVALID_EMAIL",
        "Email address x@y.invalid is invalid",
    );
    let error = ApiError::from_response(400, body.to_string().as_bytes(), None);
    assert!(error.refused_whole());
    assert_eq!(error.invalid_properties(), ["email"]);
    assert_eq!(error.refused_values.len(), 1);
    assert_eq!(
        error.refused_values[0].message.as_deref(),
        Some("Email address x@y.invalid is invalid")
    );
    let html = ApiError::from_response(400, b"<html><body>400 Bad Request</body></html>", None);
    assert!(!html.refused_whole());
    let garbled = json!({"status": "error", "category": "VALIDATION_ERROR",
                         "message": "Property values were not valid: [{\"name\": tru"});
    let garbled = ApiError::from_response(400, garbled.to_string().as_bytes(), None);
    assert!(garbled.refused_values.is_empty());
    assert!(garbled.refused_whole());
}

#[test]
fn a_conflict_names_the_existing_record_only_when_it_says_so() {
    let conflict = |message: &str| {
        let body = json!({"status": "error", "category": "CONFLICT", "message": message});
        ApiError::from_response(409, body.to_string().as_bytes(), None)
    };
    assert_eq!(
        conflict("Contact already exists. Existing ID: 12345").existing_id(),
        Some("12345")
    );
    assert_eq!(
        conflict("A lead with external_id \"x\" already exists. Existing ID: 777.").existing_id(),
        Some("777")
    );
    assert_eq!(conflict("Contact already exists.").existing_id(), None);
    assert_eq!(conflict("Existing ID: ").existing_id(), None);
    let not_found = ApiError::from_response(
        404,
        br#"{"status":"error","category":"OBJECT_NOT_FOUND","message":"Existing ID: 5"}"#,
        None,
    );
    assert_eq!(not_found.existing_id(), None);
}

#[tokio::test]
async fn an_input_rejected_unsent_leaves_its_trace_id_to_the_next_input() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            BatchUpdateWhen::new(when);
            then.respond_with(label_checked_updates(Arc::new(Mutex::new(Vec::new()))));
        })
        .await;
    let updates = vec![
        label(1001, "HOT"),
        // Repeats item 0's record: rejected unsent, so its trace id is nobody's.
        label(1001, "WARM").trace_id("t-1"),
        label(1003, "HOT").trace_id("t-1"),
    ];

    let result = client(&server)
        .leads()
        .bulk(BulkOptions::new().invalid_inputs(InvalidInputs::Reject))
        .update(updates)
        .await
        .unwrap();

    endpoint.assert_calls_async(1).await;
    let rejected: Vec<usize> = result.failed().map(|f| f.index).collect();
    assert_eq!(rejected, [1]);
    assert_eq!(result.succeeded().count(), 2);
}

#[tokio::test]
async fn hs_object_id_as_id_property_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let error = client(&server)
        .objects::<Contact>()
        .upsert_many(vec![
            RecordUpdate::new("501")
                .id_property("hs_object_id")
                .property("firstname", "Ada"),
        ])
        .await
        .unwrap_err();
    let hubspot_crm::Error::Validation(error) = error else {
        panic!("a validation error, got {error:?}");
    };
    assert_eq!((error.item, error.field.as_str()), (Some(0), "idProperty"));
    any.assert_calls_async(0).await;
}
