//! `update_many`, `upsert_many`, `read_many`, `archive_many`: chunking, tying HubSpot's answer
//! back by id or unique property, failed chunks, and validation before anything is sent.

use std::sync::{Arc, Mutex};

use crate::support::{
    catch_all, default_retry_client, json_response, record_json, request_json, traced_body,
    untraced_inputs,
};
use httpmock::prelude::*;
use hubspot_crm::{Contact, Error, FailureCause, ItemOutcome, Lead, ReadOptions, RecordUpdate};
use hubspot_crm_mock::leads::operations as leads_mock;
use hubspot_crm_mock::objects::operations as objects_mock;
use serde_json::{Value, json};

/// A generated type read from the JSON a test spells out.
fn typed<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).unwrap()
}

fn label(id: u64) -> RecordUpdate {
    RecordUpdate::new(id.to_string()).property("hs_lead_label", "WARM")
}

#[tokio::test]
async fn update_many_ties_results_and_one_error_naming_two_ids_back_by_id() {
    let server = MockServer::start_async().await;
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let endpoint = server
        .mock_async(|when, then| {
            leads_mock::BatchUpdateWhen::new(when)
                .into_inner()
                .header("content-type", "application/json");
            then.respond_with(move |req: &HttpMockRequest| {
                let body = request_json(req);
                seen.lock().unwrap().push(body.clone());
                let ids: Vec<&str> = body["inputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_str().unwrap())
                    .collect();
                let missing = ["1110", "1111"];
                let results: Vec<Value> = ids
                    .iter()
                    .rev()
                    .filter(|id| !missing.contains(id))
                    .map(|id| record_json(id, json!({"hs_lead_label": "WARM", "hs_lead_type": null})))
                    .collect();
                if !ids.contains(&"1110") {
                    return json_response(
                        200,
                        &json!({"status": "COMPLETE", "results": results,
                                "startedAt": "2026-11-26T10:00:00Z", "completedAt": "2026-11-26T10:00:01Z"}),
                    );
                }
                json_response(
                    207,
                    &json!({
                        "status": "COMPLETE",
                        "results": results,
                        "numErrors": 1,
                        "errors": [{
                            "status": "error",
                            "category": "OBJECT_NOT_FOUND",
                            "message": "Could not get some LEAD objects, they may be deleted or not exist. Check that ids are valid.",
                            "context": {"ids": ["1111", "1110"]}
                        }],
                        "startedAt": "2026-11-26T10:00:00Z",
                        "completedAt": "2026-11-26T10:00:01Z"
                    }),
                )
            });
        })
        .await;

    let result = default_retry_client(&server)
        .objects::<Lead>()
        .update_many((1001..=1250).map(label).collect())
        .await
        .unwrap();

    endpoint.assert_calls_async(3).await;
    let bodies = bodies.lock().unwrap();
    let first = bodies
        .iter()
        .find(|b| b["inputs"][0]["id"] == "1001")
        .unwrap();
    assert_eq!(first["inputs"].as_array().unwrap().len(), 100);
    assert_eq!(
        untraced_inputs(first)["inputs"][0],
        json!({"id": "1001", "properties": {"hs_lead_label": "WARM"}})
    );

    assert_eq!(result.outcomes.len(), 250);
    let failed: Vec<(usize, &str)> = result
        .failed()
        .map(|f| (f.index, f.input.id.as_str()))
        .collect();
    assert_eq!(failed, [(109, "1110"), (110, "1111")]);
    let errors: Vec<_> = result
        .failed()
        .map(|f| match &f.cause {
            FailureCause::Rejected(error) => error.clone(),
            other => panic!("expected HubSpot's rejection, got {other:?}"),
        })
        .collect();
    assert_eq!(errors[0].category.as_deref(), Some("OBJECT_NOT_FOUND"));
    assert!(Arc::ptr_eq(&errors[0], &errors[1]), "one error, shared");
    for (i, outcome) in result.outcomes.iter().enumerate() {
        if let ItemOutcome::Succeeded(record) = outcome {
            assert_eq!(record.id, (1001 + i).to_string());
            assert_eq!(record.property("hs_lead_label"), Some("WARM"));
            assert_eq!(record.properties["hs_lead_type"], None);
        }
    }
    assert!(result.unmatched_results.is_empty() && result.unmatched_errors.is_empty());
}

#[tokio::test]
async fn update_many_rejects_bad_input_before_sending() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let leads = default_retry_client(&server).objects::<Lead>();

    let mut duplicate: Vec<RecordUpdate> = (1..=300).map(label).collect();
    duplicate[250].id = "41".into();
    let Error::Validation(v) = leads.update_many(duplicate).await.unwrap_err() else {
        panic!("expected a validation error");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(250), "id"));
    assert!(v.reason.contains("item 40"), "{}", v.reason);

    let mut bad_id: Vec<RecordUpdate> = (1..=10).map(label).collect();
    bad_id[7].id = "12a".into();
    let Error::Validation(v) = leads.update_many(bad_id).await.unwrap_err() else {
        panic!("expected a validation error");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(7), "id"));

    let mut empty: Vec<RecordUpdate> = (1..=10).map(label).collect();
    empty[2].properties.clear();
    let Error::Validation(v) = leads.update_many(empty).await.unwrap_err() else {
        panic!("expected a validation error");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(2), "properties"));

    // An upsert addresses every input by a unique property; one value is blank.
    let mut blank_unique: Vec<RecordUpdate> = (1..=3)
        .map(|i| label(i).id_property("lead_external_id"))
        .collect();
    blank_unique[1].id = " ".into();
    let Error::Validation(v) = leads.upsert_many(blank_unique).await.unwrap_err() else {
        panic!("expected a validation error");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(1), "id"));

    let error = leads
        .bulk(hubspot_crm::BulkOptions::new().concurrency(0))
        .update((1..=3).map(label).collect())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Validation(ref v) if v.field == "concurrency"));

    anything.assert_calls_async(0).await;
}

fn by_email(email: &str, firstname: &str) -> RecordUpdate {
    RecordUpdate::new(email)
        .id_property("email")
        .property("firstname", firstname)
}

#[tokio::test]
async fn upsert_many_ties_results_by_the_unique_property_and_keeps_the_new_flag() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            objects_mock::BatchUpsertWhen::new(when)
                .object_type("contacts")
                .into_inner()
                .is_true(traced_body(json!({"inputs": [
                    {"id": "Alice@Example.com", "idProperty": "email", "properties": {"firstname": "Alice"}},
                    {"id": "bob@example.com", "idProperty": "email", "properties": {"firstname": "Bob"}},
                    {"id": "carol@example.com", "idProperty": "email", "properties": {"firstname": "Carol"}}
                ]})));
            // HubSpot lowercases emails; Carol's result does not echo hers.
            let mut bob = record_json("702", json!({"email": "bob@example.com", "firstname": "Bob"}));
            bob["new"] = json!(false);
            let mut carol = record_json("703", json!({"firstname": "Carol"}));
            carol["new"] = json!(true);
            let mut alice = record_json("701", json!({"email": "alice@example.com", "firstname": "Alice"}));
            alice["new"] = json!(true);
            objects_mock::BatchUpsertThen::new(then).success(
                200,
                &typed(json!({
                    "status": "COMPLETE",
                    "results": [bob, carol, alice],
                    "startedAt": "2026-11-26T10:00:00Z",
                    "completedAt": "2026-11-26T10:00:01Z"
                })),
            );
        })
        .await;

    let result = default_retry_client(&server)
        .objects::<Contact>()
        .upsert_many(vec![
            by_email("Alice@Example.com", "Alice"),
            by_email("bob@example.com", "Bob"),
            by_email("carol@example.com", "Carol"),
        ])
        .await
        .unwrap();

    endpoint.assert_calls_async(1).await;
    let records = result.into_result().unwrap();
    let got: Vec<(&str, Option<bool>)> = records.iter().map(|r| (r.id.as_str(), r.new)).collect();
    assert_eq!(
        got,
        [
            ("701", Some(true)),
            ("702", Some(false)),
            ("703", Some(true))
        ]
    );
}

#[tokio::test]
async fn read_many_sends_100_per_request_and_reports_missing_records_as_failed() {
    let server = MockServer::start_async().await;
    let responder = |req: &HttpMockRequest| {
        let body = request_json(req);
        let results: Vec<Value> = body["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .filter(|id| !["3003", "3007"].contains(id))
            .map(|id| {
                record_json(
                    id,
                    json!({"hs_lead_name": format!("Lead {id}"), "hs_lead_label": null}),
                )
            })
            .collect();
        if results.len() == 100 || results.len() == 50 {
            return json_response(
                200,
                &json!({"status": "COMPLETE", "results": results,
                "startedAt": "2026-11-26T10:00:00Z", "completedAt": "2026-11-26T10:00:01Z"}),
            );
        }
        json_response(
            207,
            &json!({
                "status": "COMPLETE",
                "results": results,
                "numErrors": 1,
                "errors": [{
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some LEAD objects, they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": ["3003", "3007"]}
                }],
                "startedAt": "2026-11-26T10:00:00Z",
                "completedAt": "2026-11-26T10:00:01Z"
            }),
        )
    };
    let second = server
        .mock_async(|when, then| {
            leads_mock::BatchReadWhen::new(when)
                .archived(false)
                .body(&typed(json!({
                    "inputs": (3101..=3150).map(|id| json!({"id": id.to_string()})).collect::<Vec<_>>(),
                    "properties": ["hs_lead_name", "hs_lead_label"]
                })));
            then.respond_with(responder);
        })
        .await;
    let first = server
        .mock_async(|when, then| {
            leads_mock::BatchReadWhen::new(when)
                .archived(false)
                .into_inner()
                .json_body_includes(r#"{"inputs": [{"id": "3001"}]}"#);
            then.respond_with(responder);
        })
        .await;

    // Without history: with it, HubSpot takes 50 per request (see hardening_input).
    let options = ReadOptions::new().properties(["hs_lead_name", "hs_lead_label"]);
    let ids: Vec<String> = (3001..=3150).map(|id| id.to_string()).collect();
    let result = default_retry_client(&server)
        .objects::<Lead>()
        .read_many(ids, &options)
        .await
        .unwrap();

    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    assert_eq!(result.outcomes.len(), 150);
    let failed: Vec<(usize, &str)> = result
        .failed()
        .map(|f| (f.index, f.input.as_str()))
        .collect();
    assert_eq!(failed, [(2, "3003"), (6, "3007")]);
    for failure in result.failed() {
        let FailureCause::Rejected(error) = &failure.cause else {
            panic!("expected HubSpot's rejection");
        };
        assert_eq!(error.category.as_deref(), Some("OBJECT_NOT_FOUND"));
    }
    for (i, outcome) in result.outcomes.iter().enumerate() {
        if let Some(record) = outcome.succeeded() {
            assert_eq!(record.id, (3001 + i).to_string());
            assert_eq!(record.properties["hs_lead_label"], None);
        }
    }
}

#[tokio::test]
async fn read_many_by_unique_property_asks_for_it_and_ties_by_it() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            objects_mock::BatchReadWhen::new(when)
                .object_type("contacts")
                .body(&typed(json!({
                    "idProperty": "email",
                    "inputs": [{"id": "b@example.com"}, {"id": "a@example.com"}],
                    "properties": ["firstname", "email"]
                })));
            objects_mock::BatchReadThen::new(then).success(
                200,
                &typed(json!({
                    "status": "COMPLETE",
                    "results": [
                        record_json("11", json!({"email": "a@example.com", "firstname": "Ann"})),
                        record_json("12", json!({"email": "b@example.com", "firstname": "Ben"}))
                    ],
                    "startedAt": "2026-11-26T10:00:00Z",
                    "completedAt": "2026-11-26T10:00:01Z"
                })),
            );
        })
        .await;

    let records = default_retry_client(&server)
        .objects::<Contact>()
        .read_many(
            ["b@example.com", "a@example.com"],
            &ReadOptions::new()
                .properties(["firstname"])
                .id_property("email"),
        )
        .await
        .unwrap()
        .into_result()
        .unwrap();

    endpoint.assert_calls_async(1).await;
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["12", "11"]);
}

#[tokio::test]
async fn read_many_refuses_what_it_could_not_answer_faithfully() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let contacts = default_retry_client(&server).objects::<Contact>();

    let no_properties = ReadOptions::new().id_property("email");
    let Error::Validation(v) = contacts
        .read_many(["a@example.com"], &no_properties)
        .await
        .unwrap_err()
    else {
        panic!("expected a validation error");
    };
    assert_eq!(v.field, "properties");

    let associations = ReadOptions::new().associations(["leads"]);
    let Error::Validation(v) = contacts.read_many(["1"], &associations).await.unwrap_err() else {
        panic!("expected a validation error");
    };
    assert_eq!(v.field, "associations");

    let Error::Validation(v) = contacts
        .read_many(["1", "2", "1"], &ReadOptions::new())
        .await
        .unwrap_err()
    else {
        panic!("expected a validation error");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(2), "id"));
    assert!(v.reason.contains("item 0"));

    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn archive_many_reports_each_id_and_a_refused_chunk_fails_only_its_ids() {
    let server = MockServer::start_async().await;
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let endpoint = server
        .mock_async(|when, then| {
            leads_mock::BatchArchiveWhen::new(when);
            then.respond_with(move |req: &HttpMockRequest| {
                let body = request_json(req);
                seen.lock().unwrap().push(body.clone());
                if body["inputs"][0]["id"] == "2101" {
                    return json_response(
                        403,
                        &json!({
                            "status": "error",
                            "message": "This app hasn't been granted all required scopes to make this call.",
                            "correlationId": "0f3c1d2e-1111-2222-3333-444455556666",
                            "category": "MISSING_SCOPES",
                            "errors": [{"message": "One or more of the following scopes are required.",
                                        "context": {"requiredGranularScopes": ["crm.objects.leads.write"]}}]
                        }),
                    );
                }
                HttpMockResponse::builder().status(204).build()
            });
        })
        .await;

    let ids: Vec<String> = (2001..=2250).map(|id| id.to_string()).collect();
    let result = default_retry_client(&server)
        .objects::<Lead>()
        .archive_many(ids)
        .await
        .unwrap();

    endpoint.assert_calls_async(3).await;
    let first = bodies
        .lock()
        .unwrap()
        .iter()
        .find(|b| b["inputs"][0]["id"] == "2001")
        .cloned()
        .unwrap();
    assert_eq!(
        first,
        json!({"inputs": (2001..=2100).map(|id| json!({"id": id.to_string()})).collect::<Vec<_>>()})
    );
    assert_eq!(result.outcomes.len(), 250);
    for (i, outcome) in result.outcomes.iter().enumerate() {
        let id = (2001 + i).to_string();
        match outcome {
            ItemOutcome::Succeeded(archived) if !(100..200).contains(&i) => {
                assert_eq!(*archived, id)
            }
            ItemOutcome::Failed(failure) if (100..200).contains(&i) => {
                assert_eq!(failure.input, id);
                let FailureCause::RequestFailed(error) = &failure.cause else {
                    panic!("expected the request's error");
                };
                assert_eq!(error.status(), Some(403));
                assert_eq!(
                    error.api_error().unwrap().category.as_deref(),
                    Some("MISSING_SCOPES")
                );
            }
            other => panic!("item {i}: unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn archive_many_rejects_bad_and_repeated_ids_before_sending() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let leads = default_retry_client(&server).objects::<Lead>();

    let Error::Validation(v) = leads.archive_many(["1", "0", "3"]).await.unwrap_err() else {
        panic!("expected a validation error");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(1), "id"));

    let Error::Validation(v) = leads.archive_many(["5", "6", "5"]).await.unwrap_err() else {
        panic!("expected a validation error");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(2), "id"));
    assert!(v.reason.contains("item 0"));

    anything.assert_calls_async(0).await;
}
