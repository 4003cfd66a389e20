//! `create_many`: chunking, input order, 207 partial failures tied back by
//! `objectWriteTraceId`, failed chunks, and validation before anything is sent.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::support::{TOKEN, catch_all, client, default_retry_client, json_response, request_json};
use httpmock::prelude::*;
use hubspot_crm::{
    AssociationType, BulkOptions, Error, FailureCause, ItemOutcome, Lead, NewRecord,
};
use hubspot_crm_mock::leads::operations::BatchCreateWhen;
use serde_json::{Value, json};

fn lead(i: usize) -> NewRecord {
    NewRecord::new()
        .property("hs_lead_name", format!("Lead {i}"))
        .property("hs_lead_type", "NEW BUSINESS")
        .associate("501", AssociationType::hubspot(578))
}

/// The index `i` of an input named `Lead {i}`.
fn lead_number(input: &Value) -> usize {
    input["properties"]["hs_lead_name"]
        .as_str()
        .and_then(|n| n.strip_prefix("Lead "))
        .and_then(|n| n.parse().ok())
        .expect("input named `Lead {i}`")
}

/// What HubSpot returns for a created lead: echoes the trace id, null for unset properties.
fn created(input: &Value) -> Value {
    let i = lead_number(input);
    json!({
        "id": (90_000 + i).to_string(),
        "properties": {
            "hs_lead_name": input["properties"]["hs_lead_name"],
            "hs_lead_label": null,
            "hs_object_id": (90_000 + i).to_string(),
            "hs_createdate": "2026-11-26T10:00:00.000Z"
        },
        "createdAt": "2026-11-26T10:00:00.000Z",
        "updatedAt": "2026-11-26T10:00:00.000Z",
        "archived": false,
        "objectWriteTraceId": input["objectWriteTraceId"]
    })
}

fn inputs_of(req: &HttpMockRequest) -> Vec<Value> {
    request_json(req)["inputs"].as_array().unwrap().clone()
}

/// A batch-create endpoint that creates every input, answering in reverse order, and records
/// the inputs of each request.
fn creating_endpoint(
    seen: Arc<Mutex<Vec<Vec<Value>>>>,
) -> impl Fn(&HttpMockRequest) -> HttpMockResponse {
    move |req| {
        let inputs = inputs_of(req);
        let results: Vec<Value> = inputs.iter().rev().map(created).collect();
        seen.lock().unwrap().push(inputs);
        json_response(
            201,
            &json!({
                "status": "COMPLETE",
                "results": results,
                "startedAt": "2026-11-26T10:00:00.000Z",
                "completedAt": "2026-11-26T10:00:01.000Z"
            }),
        )
    }
}

#[tokio::test]
async fn creates_1050_leads_in_11_requests_all_accounted_for_in_input_order() {
    let server = MockServer::start_async().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let endpoint = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when)
                .into_inner()
                .header("authorization", format!("Bearer {TOKEN}"));
            then.respond_with(creating_endpoint(seen.clone()));
        })
        .await;
    let mut inputs: Vec<NewRecord> = (0..1050).map(lead).collect();
    inputs[5].object_write_trace_id = Some("caller-trace-5".to_owned());

    let result = default_retry_client(&server)
        .objects::<Lead>()
        .create_many(inputs)
        .await
        .unwrap();

    endpoint.assert_calls_async(11).await;
    let requests = seen.lock().unwrap().clone();
    let mut sizes: Vec<usize> = requests.iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(
        sizes,
        [50, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
    );
    // Every input was sent exactly once, each with its own trace id; the caller's is kept.
    let sent: Vec<&Value> = requests.iter().flatten().collect();
    let names: HashSet<usize> = sent.iter().map(|i| lead_number(i)).collect();
    assert_eq!(names.len(), 1050);
    let traces: HashSet<&str> = sent
        .iter()
        .map(|i| {
            i["objectWriteTraceId"]
                .as_str()
                .expect("a trace id on every input")
        })
        .collect();
    assert_eq!(traces.len(), 1050);
    assert!(traces.contains("caller-trace-5"));
    // The body is what HubSpot expects.
    let first = sent.iter().find(|i| lead_number(i) == 5).unwrap();
    assert_eq!(
        **first,
        json!({
            "properties": {"hs_lead_name": "Lead 5", "hs_lead_type": "NEW BUSINESS"},
            "associations": [{
                "to": {"id": "501"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]
            }],
            "objectWriteTraceId": "caller-trace-5"
        })
    );

    assert!(result.is_complete_success());
    assert_eq!(result.outcomes.len(), 1050);
    assert!(result.unmatched_results.is_empty());
    for (i, outcome) in result.outcomes.iter().enumerate() {
        let record = outcome.succeeded().expect("every lead created");
        assert_eq!(record.id, (90_000 + i).to_string());
        assert_eq!(
            record.property("hs_lead_name"),
            Some(format!("Lead {i}").as_str())
        );
        assert_eq!(record.properties["hs_lead_label"], None);
    }
    assert_eq!(
        result.outcomes[5]
            .succeeded()
            .unwrap()
            .object_write_trace_id
            .as_deref(),
        Some("caller-trace-5")
    );
    let records = result.into_result().unwrap();
    assert_eq!(records.len(), 1050);
}

#[tokio::test]
async fn a_207_ties_each_error_to_its_input_by_trace_id() {
    let server = MockServer::start_async().await;
    const FAILING: [usize; 3] = [120, 150, 199];
    let endpoint = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(|req: &HttpMockRequest| {
                let inputs = inputs_of(req);
                let (bad, good): (Vec<&Value>, Vec<&Value>) = inputs
                    .iter()
                    .partition(|i| FAILING.contains(&lead_number(i)));
                if bad.is_empty() {
                    let results: Vec<Value> = good.iter().map(|i| created(i)).collect();
                    return json_response(
                        201,
                        &json!({"status": "COMPLETE", "results": results,
                                "startedAt": "2026-11-26T10:00:00Z", "completedAt": "2026-11-26T10:00:01Z"}),
                    );
                }
                // Errors in another order than the inputs, each naming its input's trace id.
                let errors: Vec<Value> = bad
                    .iter()
                    .rev()
                    .map(|i| {
                        let n = lead_number(i);
                        json!({
                            "status": "error",
                            "category": "VALIDATION_ERROR",
                            "message": format!("Property values were not valid for Lead {n}"),
                            "context": {"objectWriteTraceId": [i["objectWriteTraceId"]]},
                            "errors": [{
                                "message": format!("{n} is not a valid option"),
                                "code": "INVALID_OPTION",
                                "context": {"propertyName": ["hs_lead_type"]}
                            }]
                        })
                    })
                    .collect();
                let results: Vec<Value> = good.iter().rev().map(|i| created(i)).collect();
                json_response(
                    207,
                    &json!({
                        "status": "COMPLETE",
                        "results": results,
                        "numErrors": errors.len(),
                        "errors": errors,
                        "startedAt": "2026-11-26T10:00:00Z",
                        "completedAt": "2026-11-26T10:00:01Z"
                    }),
                )
            });
        })
        .await;

    let result = default_retry_client(&server)
        .objects::<Lead>()
        .create_many((0..250).map(lead).collect())
        .await
        .unwrap();

    endpoint.assert_calls_async(3).await;
    assert_eq!(result.outcomes.len(), 250);
    let failed: Vec<usize> = result.failed().map(|f| f.index).collect();
    assert_eq!(failed, FAILING);
    for failure in result.failed() {
        let n = failure.index;
        assert_eq!(
            failure.input.properties["hs_lead_name"],
            format!("Lead {n}")
        );
        let FailureCause::Rejected(error) = &failure.cause else {
            panic!(
                "item {n}: expected HubSpot's rejection, got {:?}",
                failure.cause
            );
        };
        assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
        assert_eq!(
            error.message.as_deref(),
            Some(format!("Property values were not valid for Lead {n}").as_str())
        );
        assert_eq!(error.errors[0].code.as_deref(), Some("INVALID_OPTION"));
        assert_eq!(
            error.context["objectWriteTraceId"],
            [failure.input.object_write_trace_id.clone().unwrap()]
        );
        assert!(!failure.may_have_been_applied());
    }
    for (i, outcome) in result.outcomes.iter().enumerate() {
        if !FAILING.contains(&i) {
            assert_eq!(outcome.succeeded().unwrap().id, (90_000 + i).to_string());
        }
    }
    let error = result.into_result().unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("3 of 250 bulk inputs failed; first: item 120")
    );
}

/// Answers 201 for every chunk but the one starting at `Lead {failing_first}`, which gets
/// `status` and `body`.
fn one_chunk_fails(
    failing_first: usize,
    status: u16,
    content_type: &'static str,
    body: &'static str,
) -> impl Fn(&HttpMockRequest) -> HttpMockResponse {
    move |req| {
        let inputs = inputs_of(req);
        if lead_number(&inputs[0]) == failing_first {
            return HttpMockResponse::builder()
                .status(status)
                .header("content-type", content_type)
                .body(body)
                .build();
        }
        let results: Vec<Value> = inputs.iter().map(created).collect();
        json_response(
            201,
            &json!({"status": "COMPLETE", "results": results,
                    "startedAt": "2026-11-26T10:00:00Z", "completedAt": "2026-11-26T10:00:01Z"}),
        )
    }
}

/// HubSpot's whole-batch refusal of one bad value: it names the property, not the input.
const REFUSED_EMAIL: &str = r#"{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Email address x@y.invalid is invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]","correlationId":"4b1c2e0e-aaaa-bbbb-cccc-0123456789ab","category":"VALIDATION_ERROR"}"#;

#[tokio::test]
async fn a_batch_refused_whole_is_halved_until_its_one_bad_input_alone_is_refused() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(|req: &HttpMockRequest| {
                let inputs = inputs_of(req);
                // As HubSpot does: one bad value and nothing of the batch is written.
                if inputs.iter().any(|i| lead_number(i) == 137) {
                    return json_response(400, &serde_json::from_str(REFUSED_EMAIL).unwrap());
                }
                let results: Vec<Value> = inputs.iter().map(created).collect();
                json_response(
                    201,
                    &json!({"status": "COMPLETE", "results": results,
                            "startedAt": "2026-11-26T10:00:00Z", "completedAt": "2026-11-26T10:00:01Z"}),
                )
            });
        })
        .await;

    let result = default_retry_client(&server)
        .objects::<Lead>()
        .create_many((0..300).map(lead).collect())
        .await
        .unwrap();

    // Two good chunks; the bad one's requests of 100, 50, 25, 13, 6 and 3 inputs are
    // refused and halved, then it goes alone: 1 + 2·6 = 13 requests, within the bound of
    // 1 + 2·k·⌈log2 100⌉ = 15 for k = 1.
    endpoint.assert_calls_async(2 + 13).await;
    assert_eq!(result.outcomes.len(), 300);
    for (i, outcome) in result.outcomes.iter().enumerate() {
        if i == 137 {
            let failure = outcome.failed().expect("the bad input fails");
            assert_eq!(failure.index, 137);
            let FailureCause::Rejected(error) = &failure.cause else {
                panic!(
                    "expected HubSpot's refusal as the input's own, got {:?}",
                    failure.cause
                );
            };
            assert_eq!(error.status, 400);
            assert_eq!(error.invalid_properties(), ["email"]);
            assert_eq!(
                error.refused_values[0].error.as_deref(),
                Some("INVALID_EMAIL")
            );
            assert!(!failure.may_have_been_applied());
        } else {
            let record = outcome
                .succeeded()
                .unwrap_or_else(|| panic!("input {i} is written: {:?}", outcome.failed()));
            assert_eq!(record.id, (90_000 + i).to_string());
        }
    }
}

#[tokio::test]
async fn a_chunk_rejected_with_400_fails_only_its_own_inputs_when_splitting_is_off() {
    let server = MockServer::start_async().await;
    let body = r#"{"status":"error","message":"Invalid input JSON on line 1","correlationId":"4b1c2e0e-aaaa-bbbb-cccc-0123456789ab","category":"VALIDATION_ERROR"}"#;
    let endpoint = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(one_chunk_fails(100, 400, "application/json", body));
        })
        .await;

    let result = default_retry_client(&server)
        .objects::<Lead>()
        .bulk(BulkOptions::new().split_refused(false))
        .create((0..300).map(lead).collect())
        .await
        .unwrap();

    endpoint.assert_calls_async(3).await;
    assert_eq!(result.outcomes.len(), 300);
    let mut shared = None;
    for (i, outcome) in result.outcomes.iter().enumerate() {
        if (100..200).contains(&i) {
            let failure = outcome.failed().expect("the rejected chunk's inputs fail");
            assert_eq!(failure.index, i);
            assert_eq!(
                failure.input.properties["hs_lead_name"],
                format!("Lead {i}")
            );
            let FailureCause::RequestFailed(error) = &failure.cause else {
                panic!("expected the request's error, got {:?}", failure.cause);
            };
            let api = error.api_error().expect("HubSpot's error");
            assert_eq!(api.status, 400);
            assert_eq!(api.category.as_deref(), Some("VALIDATION_ERROR"));
            assert_eq!(
                api.correlation_id.as_deref(),
                Some("4b1c2e0e-aaaa-bbbb-cccc-0123456789ab")
            );
            assert!(!failure.may_have_been_applied());
            // One error shared by the chunk's inputs, not copied.
            let first = shared.get_or_insert_with(|| error.clone());
            assert!(Arc::ptr_eq(first, error));
        } else {
            assert_eq!(
                outcome.succeeded().expect("other chunks succeed").id,
                (90_000 + i).to_string()
            );
        }
    }
}

#[tokio::test]
async fn an_html_502_fails_its_chunk_as_outcome_unknown_and_is_not_resent() {
    let server = MockServer::start_async().await;
    let html = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>";
    let endpoint = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(one_chunk_fails(200, 502, "text/html", html));
        })
        .await;
    let client = client(&server);

    let result = client
        .objects::<Lead>()
        .create_many((0..250).map(lead).collect())
        .await
        .unwrap();

    endpoint.assert_calls_async(3).await;
    assert_eq!(result.succeeded().count(), 200);
    for (i, outcome) in result.outcomes.iter().enumerate() {
        match outcome {
            ItemOutcome::Succeeded(record) if i < 200 => {
                assert_eq!(record.id, (90_000 + i).to_string())
            }
            ItemOutcome::Failed(failure) if i >= 200 => {
                let FailureCause::RequestFailed(error) = &failure.cause else {
                    panic!("expected the request's error, got {:?}", failure.cause);
                };
                let Error::OutcomeUnknown {
                    operation,
                    inputs,
                    cause,
                } = error.as_ref()
                else {
                    panic!("a create answered 502 may have happened: {error:?}");
                };
                assert_eq!(operation, "objects.batch_create");
                assert_eq!(inputs.len(), 50);
                assert!(cause.contains("502"), "{cause}");
                assert!(cause.contains("502 Bad Gateway"), "{cause}");
                assert!(failure.may_have_been_applied());
                let trace = failure.input.object_write_trace_id.as_deref().unwrap();
                assert!(inputs.iter().any(|label| label.contains(trace)));
            }
            other => panic!("item {i}: unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_invalid_item_734_of_5000_is_named_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let mut inputs: Vec<NewRecord> = (0..5000).map(lead).collect();
    inputs[734]
        .properties
        .insert("hs_lead_name".into(), "  ".into());

    let error = default_retry_client(&server)
        .objects::<Lead>()
        .create_many(inputs)
        .await
        .unwrap_err();

    let Error::Validation(v) = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(v.item, Some(734));
    assert_eq!(v.field, "hs_lead_name");
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_lead_without_a_contact_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let mut inputs: Vec<NewRecord> = (0..3).map(lead).collect();
    inputs[2].associations.clear();

    let error = default_retry_client(&server)
        .objects::<Lead>()
        .create_many(inputs)
        .await
        .unwrap_err();

    let Error::Validation(v) = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(2), "associations"));
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_repeated_trace_id_names_both_items_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let mut inputs: Vec<NewRecord> = (0..10).map(lead).collect();
    inputs[3].object_write_trace_id = Some("import-17".into());
    inputs[9].object_write_trace_id = Some("import-17".into());

    let error = default_retry_client(&server)
        .objects::<Lead>()
        .create_many(inputs)
        .await
        .unwrap_err();

    let Error::Validation(v) = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!((v.item, v.field.as_str()), (Some(9), "objectWriteTraceId"));
    assert!(v.reason.contains("item 3"), "{}", v.reason);
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn what_hubspot_did_not_confirm_is_not_reported_done_and_nothing_is_duplicated() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            then.respond_with(|req: &HttpMockRequest| {
                let inputs = inputs_of(req);
                // Lead 0 twice, Lead 1 once, Lead 2 and 3 not at all, and a stranger.
                let mut stranger = created(&inputs[1]);
                stranger["id"] = json!("777");
                stranger["objectWriteTraceId"] = json!("somebody-else");
                let results = vec![
                    created(&inputs[0]),
                    created(&inputs[1]),
                    created(&inputs[0]),
                    stranger,
                ];
                json_response(
                    200,
                    &json!({"status": "COMPLETE", "results": results,
                            "startedAt": "2026-11-26T10:00:00Z", "completedAt": "2026-11-26T10:00:01Z"}),
                )
            });
        })
        .await;

    let result = default_retry_client(&server)
        .objects::<Lead>()
        .create_many((0..4).map(lead).collect())
        .await
        .unwrap();

    endpoint.assert_calls_async(1).await;
    assert_eq!(result.outcomes.len(), 4);
    assert_eq!(result.outcomes[0].succeeded().unwrap().id, "90000");
    assert_eq!(result.outcomes[1].succeeded().unwrap().id, "90001");
    for i in [2, 3] {
        let failure = result.outcomes[i].failed().expect("not confirmed");
        assert!(matches!(
            failure.cause,
            FailureCause::NotConfirmed { ref unattributed_errors } if unattributed_errors.is_empty()
        ));
        assert!(failure.may_have_been_applied());
        assert!(failure.to_string().contains("not confirmed by HubSpot"));
    }
    // The repeat and the stranger are kept aside, not counted as anyone's success.
    let aside: Vec<&str> = result
        .unmatched_results
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(aside, ["90000", "777"]);
}

#[tokio::test]
async fn no_inputs_send_nothing() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let result = default_retry_client(&server)
        .objects::<Lead>()
        .create_many(Vec::new())
        .await
        .unwrap();
    assert!(result.outcomes.is_empty());
    assert!(result.is_complete_success());
    anything.assert_calls_async(0).await;
}
