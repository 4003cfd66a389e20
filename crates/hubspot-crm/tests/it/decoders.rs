//! Property-based tests: no answer a server can send makes a decoder or the error classifier
//! panic. Arbitrary JSON, HubSpot's own answers with one field replaced by arbitrary JSON,
//! truncated bodies and random bytes, under any status, go through the client's real read
//! paths; each call ends in a value or a typed error, and a bulk call accounts for its input.
//! The case count is fixed so that CI runs the same amount of work every time.

use std::sync::{Arc, Mutex, OnceLock};

use crate::support::{client, lead_json, new_lead};
use httpmock::prelude::*;
use hubspot_crm::{ApiError, Client, Error, ReadOptions, SearchRequest};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

/// Cases per property: enough to find shape bugs, few enough for a quick CI run.
const CASES: u32 = 96;

fn config() -> Config {
    Config {
        cases: CASES,
        // Failures are reported, not written to a file in the repository.
        failure_persistence: None,
        ..Config::default()
    }
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// HubSpot-shaped answers of the calls under test: a record, a list page, a 207 batch, a
/// search page, an error body, association and property lists.
fn hubspot_answers() -> Vec<Value> {
    vec![
        lead_json("1"),
        json!({"results": [lead_json("1"), lead_json("2")], "paging": {"next": {"after": "3"}}}),
        json!({
            "status": "COMPLETE",
            "results": [lead_json("7")],
            "numErrors": 1,
            "errors": [{
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": "Property values were not valid",
                "context": {"objectWriteTraceId": ["t-0"]},
                "errors": [{"message": "bad", "code": "INVALID_OPTION", "in": "hs_lead_label"}]
            }],
            "startedAt": "2026-11-26T10:00:00.000Z",
            "completedAt": "2026-11-26T10:00:01.000Z"
        }),
        json!({"total": 2, "results": [lead_json("1"), lead_json("2")]}),
        json!({
            "status": "error",
            "message": "m",
            "correlationId": "c",
            "category": "VALIDATION_ERROR",
            "errors": [{"message": "x", "context": {"propertyName": ["p"]}}]
        }),
        json!({"results": [{"toObjectId": 51, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 578, "label": null}]}]}),
        json!({"results": [{"name": "hs_lead_label", "label": "Label", "type": "enumeration", "fieldType": "select", "groupName": "g", "options": [{"label": "Warm", "value": "WARM", "hidden": false}]}]}),
    ]
}

/// A HubSpot answer with the value at one place (chosen by `path`) replaced by `with`.
fn replace_somewhere(mut value: Value, path: &[usize], with: Value) -> Value {
    fn walk(value: &mut Value, path: &[usize], with: Value) {
        let Some((&first, rest)) = path.split_first() else {
            *value = with;
            return;
        };
        match value {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(first % map.len()).unwrap().clone();
                walk(map.get_mut(&key).unwrap(), rest, with);
            }
            Value::Array(items) if !items.is_empty() => {
                let i = first % items.len();
                walk(&mut items[i], rest, with);
            }
            other => *other = with,
        }
    }
    walk(&mut value, path, with);
    value
}

/// A body a server or a proxy might send.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let answers = hubspot_answers();
    let n = answers.len();
    prop_oneof![
        // HubSpot's shapes with one field of any type.
        (
            0..n,
            prop::collection::vec(any::<usize>(), 0..5),
            json_value()
        )
            .prop_map(move |(i, path, with)| {
                serde_json::to_vec(&replace_somewhere(answers[i].clone(), &path, with)).unwrap()
            }),
        // Any JSON at all.
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        // A HubSpot answer cut short.
        (0..n, any::<prop::sample::Index>()).prop_map(|(i, at)| {
            let bytes = serde_json::to_vec(&hubspot_answers()[i]).unwrap();
            let cut = at.index(bytes.len().max(1));
            bytes[..cut].to_vec()
        }),
        // Random bytes and proxy pages.
        prop::collection::vec(any::<u8>(), 0..64),
        Just(b"<html><body>502 Bad Gateway</body></html>".to_vec()),
    ]
}

/// A status a server or a proxy might answer with; mostly the ones the client handles.
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        2 => Just(207u16),
        1 => Just(201u16),
        1 => Just(204u16),
        1 => prop::sample::select(vec![400u16, 401, 403, 404, 409, 423, 429, 477, 500, 502, 503, 504, 524]),
        1 => 100u16..600,
    ]
}

/// One server for every case: each case sets what it answers next.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: MockServer,
    answer: Arc<Mutex<(u16, Vec<u8>)>>,
    client: Client,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let answer = Arc::new(Mutex::new((200u16, Vec::new())));
        let server = runtime.block_on(async {
            let server = MockServer::start_async().await;
            let shared = answer.clone();
            server
                .mock_async(move |when, then| {
                    when.any_request();
                    then.respond_with(move |_req: &HttpMockRequest| {
                        let (status, body) = shared.lock().unwrap().clone();
                        HttpMockResponse::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(body)
                            .build()
                    });
                })
                .await;
            server
        });
        let client = client(&server);
        Fixture {
            runtime,
            server,
            answer,
            client,
        }
    })
}

/// Every read path of the client against one answer; panics only if the client does.
fn read_everything(status: u16, body: Vec<u8>) {
    let f = fixture();
    let _ = &f.server;
    *f.answer.lock().unwrap() = (status, body);
    f.runtime.block_on(async {
        let leads = f.client.leads();
        let _ = leads.get("1").await;
        let _ = leads.list_page(&ReadOptions::new(), Some(2), None).await;
        let _ = leads.search_page(&SearchRequest::new()).await;
        let _ = f.client.objects_of("2-77").unwrap().get("1").await;
        let _ = f
            .client
            .associations()
            .list_page("leads", "1", "contacts", None, None)
            .await;
        let _ = f.client.properties().list("leads").await;
        // Bulk calls account for every input, whatever the answer.
        let created = leads
            .create_many(vec![new_lead("a", Some("t-0")), new_lead("b", Some("t-1"))])
            .await
            .unwrap();
        assert_eq!(created.outcomes.len(), 2);
        let read = leads
            .read_many(["1", "2", "3"], &ReadOptions::new())
            .await
            .unwrap();
        assert_eq!(read.outcomes.len(), 3);
    });
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_answer_makes_a_read_path_panic(status in status(), body in body()) {
        read_everything(status, body);
    }

    #[test]
    fn error_bodies_always_classify(status in 100u16..600, body in body()) {
        let error = ApiError::from_response(status, &body, None);
        prop_assert_eq!(error.status, status);
        let parsed = serde_json::from_slice::<Value>(&body).ok();
        let is_object = parsed.as_ref().is_some_and(Value::is_object);
        if !is_object {
            // Not a HubSpot error object: the body is kept for the caller to read.
            prop_assert!(error.raw_body.is_some());
        }
        // Display and the typed error never panic either.
        let _ = error.to_string();
        let _ = Error::from(error).to_string();
    }

    #[test]
    fn error_objects_keep_what_they_carry_whatever_else_they_hold(
        message in ".{1,40}",
        extra in json_value(),
    ) {
        let mut body = json!({"message": message.clone(), "category": "VALIDATION_ERROR"});
        body["context"] = extra.clone();
        body["errors"] = extra;
        let error = ApiError::from_json(400, &body);
        prop_assert_eq!(error.message.as_deref(), Some(message.as_str()));
        prop_assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
    }
}

/// One odd field in one failed item of a 207 never costs the records the answer confirms.
#[tokio::test]
async fn a_single_string_context_in_one_207_error_keeps_the_confirmed_records() {
    use hubspot_crm::FailureCause;
    use hubspot_crm_mock::leads::operations::{BatchCreateThen, BatchCreateWhen};

    let server = MockServer::start_async().await;
    let mut confirmed = lead_json("7001");
    confirmed["objectWriteTraceId"] = json!("t-0");
    let batch = server
        .mock_async(|when, then| {
            BatchCreateWhen::new(when);
            // HubSpot's spec says context values are lists; this one is a bare string, and
            // the other error's `errors` is not even a list.
            BatchCreateThen::new(then)
                .into_inner()
                .status(207)
                .json_body(json!({
                    "status": "COMPLETE",
                    "results": [confirmed],
                    "numErrors": 2,
                    "errors": [
                        {
                            "status": "error",
                            "category": "VALIDATION_ERROR",
                            "message": "Property values were not valid",
                            "context": {"objectWriteTraceId": "t-1"}
                        },
                        {
                            "status": "error",
                            "category": "VALIDATION_ERROR",
                            "message": "bad label",
                            "context": {"objectWriteTraceId": ["t-2"]},
                            "errors": "not a list"
                        }
                    ],
                    "startedAt": "2026-11-26T10:00:00.000Z",
                    "completedAt": "2026-11-26T10:00:01.000Z"
                }));
        })
        .await;

    let result = client(&server)
        .leads()
        .create_many(vec![
            new_lead("a", Some("t-0")),
            new_lead("b", Some("t-1")),
            new_lead("c", Some("t-2")),
        ])
        .await
        .unwrap();

    batch.assert_calls_async(1).await;
    assert_eq!(result.outcomes[0].succeeded().unwrap().id, "7001");
    for (i, trace) in [(1, "t-1"), (2, "t-2")] {
        let failure = result.outcomes[i].failed().expect("rejected");
        let FailureCause::Rejected(error) = &failure.cause else {
            panic!("expected HubSpot's rejection, got {:?}", failure.cause);
        };
        assert_eq!(error.status, 207);
        assert_eq!(error.context["objectWriteTraceId"], [trace]);
        assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
    }
    assert_eq!(
        result.outcomes[2]
            .failed()
            .unwrap()
            .input
            .object_write_trace_id
            .as_deref(),
        Some("t-2")
    );
}
