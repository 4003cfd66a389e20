//! Batch writes as HubSpot answers them: refused whole unless trace ids opt in, conflicts
//! naming the first existing record, the empty 207 for missing ids, and property values
//! checked against their definitions; each reading switchable.

use hubspot_sandbox::{PartialSuccess, SandboxConfig};
use serde_json::{Value, json};

use crate::common::{Api, lead_body};

const V3: &str = "/crm/v3/objects";
const DATED: &str = "/crm/objects/2026-09";

/// The message HubSpot sends for one refused value, in its key order (built as text, so
/// that the order does not depend on serde_json's map).
fn refused_value_message(name: &str, message: &str, code: &str) -> String {
    let quoted = |s: &str| Value::String(s.to_string()).to_string();
    format!(
        "Property values were not valid: [{{\"isValid\":false,\"message\":{m},\"error\":{c},\"name\":{n},\"localizedErrorMessage\":{m}}}]",
        m = quoted(message),
        c = quoted(code),
        n = quoted(name),
    )
}

/// A batch refused whole: exactly `status`, `message`, `correlationId` and `category`.
fn assert_refused_whole(
    status: u16,
    body: &Value,
    want_status: u16,
    category: &str,
    message: &str,
) {
    assert_eq!(status, want_status, "{body}");
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("a JSON object: {body}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["category", "correlationId", "message", "status"],
        "{body}"
    );
    assert_eq!(body["status"], "error");
    assert_eq!(body["category"], category);
    assert_eq!(body["message"], message);
    let correlation = body["correlationId"].as_str().unwrap();
    assert_eq!(correlation.len(), 36, "a UUID: {correlation}");
}

fn invalid_email() -> String {
    refused_value_message(
        "email",
        "Email address x@y.invalid is invalid",
        "INVALID_EMAIL",
    )
}

/// A contact's property as stored.
async fn contact_property(api: &Api, id: &str, name: &str) -> Value {
    let (status, body) = api
        .get(&format!("{V3}/contacts/{id}?properties={name}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["properties"][name].clone()
}

/// Two new contacts (`a-{tag}@example.com`, `b-{tag}@example.com`) and a batch update
/// renaming the first and giving the second an invalid email, each input with a trace id
/// when `traced`.
async fn two_contacts_and_a_bad_update(
    api: &Api,
    tag: &str,
    traced: bool,
) -> (String, String, Value) {
    let a = api.contact(&format!("a-{tag}@example.com")).await;
    let b = api.contact(&format!("b-{tag}@example.com")).await;
    let mut inputs = json!([
        {"id": a, "properties": {"firstname": "Renamed"}},
        {"id": b, "properties": {"email": "x@y.invalid"}},
    ]);
    if traced {
        inputs[0]["objectWriteTraceId"] = json!("t-a");
        inputs[1]["objectWriteTraceId"] = json!("t-b");
    }
    (a, b, json!({ "inputs": inputs }))
}

#[tokio::test]
async fn a_refused_value_refuses_a_batch_update_or_upsert_whole_on_both_lines() {
    let api = Api::start().await;
    for prefix in [V3, DATED] {
        for op in ["update", "upsert"] {
            // Trace ids opt creates in, not updates and upserts (the default reading).
            for traced in [false, true] {
                let tag = format!("{}-{op}-{traced}", prefix.len());
                let (a, b, batch) = two_contacts_and_a_bad_update(&api, &tag, traced).await;
                let before = api.sandbox.live_count("contacts");
                let (status, body) = api
                    .post(&format!("{prefix}/contacts/batch/{op}"), batch)
                    .await;
                assert_refused_whole(status, &body, 400, "VALIDATION_ERROR", &invalid_email());
                assert_eq!(api.sandbox.live_count("contacts"), before);
                assert_eq!(contact_property(&api, &a, "firstname").await, "Ada");
                let email = format!("b-{tag}@example.com");
                assert_eq!(contact_property(&api, &b, "email").await, email.as_str());
            }
        }
    }
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refused_value_refuses_an_untraced_batch_create_whole() {
    let api = Api::start().await;
    let contact = api.contact("owner@example.com").await;
    for prefix in [V3, DATED] {
        let mut bad = lead_body("Bad", &contact);
        bad["properties"]["hs_lead_label"] = json!("LUKEWARM");
        let inputs = json!([lead_body("Good", &contact), bad]);
        let before = api.sandbox.live_count("leads");
        let (status, body) = api
            .post(
                &format!("{prefix}/leads/batch/create"),
                json!({ "inputs": inputs }),
            )
            .await;
        let message = refused_value_message(
            "hs_lead_label",
            "LUKEWARM was not one of the allowed options: [NEW, ATTEMPTING, CONNECTED, QUALIFIED, UNQUALIFIED, HOT, WARM, COLD]",
            "INVALID_OPTION",
        );
        assert_refused_whole(status, &body, 400, "VALIDATION_ERROR", &message);
        assert_eq!(api.sandbox.live_count("leads"), before, "nothing created");
    }
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn traced_writes_answer_updates_and_upserts_per_input() {
    let api = Api::with(SandboxConfig::new().partial_success(PartialSuccess::TracedWrites)).await;
    for op in ["update", "upsert"] {
        let (a, b, batch) = two_contacts_and_a_bad_update(&api, op, true).await;
        let (status, body) = api.post(&format!("{V3}/contacts/batch/{op}"), batch).await;
        assert_eq!(status, 207, "{op}: {body}");
        assert_eq!(body["status"], "COMPLETE");
        assert_eq!(body["numErrors"], 1);
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "{body}");
        assert_eq!(results[0]["id"], a.as_str());
        assert_eq!(results[0]["properties"]["firstname"], "Renamed");
        let error = &body["errors"][0];
        assert_eq!(error["status"], "error");
        assert_eq!(error["category"], "VALIDATION_ERROR");
        assert_eq!(error["message"], invalid_email());
        assert_eq!(
            error["context"],
            json!({"ids": [b], "objectWriteTraceId": ["t-b"]})
        );
        assert_eq!(error["errors"][0]["code"], "INVALID_EMAIL");
        assert_eq!(contact_property(&api, &a, "firstname").await, "Renamed");
        let email = format!("b-{op}@example.com");
        assert_eq!(contact_property(&api, &b, "email").await, email.as_str());
    }
    // Without a trace id on every input they are still refused whole.
    let (_, _, batch) = two_contacts_and_a_bad_update(&api, "untraced", false).await;
    let (status, body) = api
        .post(&format!("{V3}/contacts/batch/update"), batch)
        .await;
    assert_refused_whole(status, &body, 400, "VALIDATION_ERROR", &invalid_email());
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn never_refuses_even_a_traced_batch_create_whole() {
    let api = Api::with(SandboxConfig::new().partial_success(PartialSuccess::Never)).await;
    let inputs = json!([
        {"properties": {"email": "new@example.com"}, "objectWriteTraceId": "t-1"},
        {"properties": {"email": "x@y.invalid"}, "objectWriteTraceId": "t-2"},
    ]);
    let (status, body) = api
        .post(
            &format!("{V3}/contacts/batch/create"),
            json!({ "inputs": inputs }),
        )
        .await;
    assert_refused_whole(status, &body, 400, "VALIDATION_ERROR", &invalid_email());
    assert_eq!(api.sandbox.live_count("contacts"), 0, "nothing created");

    // The default answers the same batch per input.
    let opted_in = Api::start().await;
    let (status, body) = opted_in
        .post(
            &format!("{V3}/contacts/batch/create"),
            json!({ "inputs": inputs }),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"][0]["objectWriteTraceId"], "t-1");
    assert_eq!(
        body["errors"][0]["context"],
        json!({"objectWriteTraceId": ["t-2"]})
    );
    assert_eq!(opted_in.sandbox.live_count("contacts"), 1);
    api.sandbox.shutdown().await;
    opted_in.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_unique_conflict_refuses_a_batch_whole_naming_the_first_existing_record() {
    let api = Api::start().await;
    let first = api.contact("first@example.com").await;
    let second = api.contact("second@example.com").await;
    let create = |traced: bool| {
        let mut inputs = json!([
            {"properties": {"email": "fresh@example.com"}},
            {"properties": {"email": "FIRST@example.com"}},
            {"properties": {"email": "second@example.com"}},
        ]);
        if traced {
            for (i, input) in inputs.as_array_mut().unwrap().iter_mut().enumerate() {
                input["objectWriteTraceId"] = json!(format!("t-{i}"));
            }
        }
        json!({ "inputs": inputs })
    };
    let (status, body) = api
        .post(&format!("{V3}/contacts/batch/create"), create(false))
        .await;
    let message = format!("Contact already exists. Existing ID: {first}");
    assert_refused_whole(status, &body, 409, "CONFLICT", &message);
    assert_eq!(api.sandbox.live_count("contacts"), 2, "nothing created");

    // Answered per input, each conflict names its own existing record.
    let (status, body) = api
        .post(&format!("{V3}/contacts/batch/create"), create(true))
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"][0]["objectWriteTraceId"], "t-0");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    for (error, (existing, trace)) in errors.iter().zip([(&first, "t-1"), (&second, "t-2")]) {
        assert_eq!(error["category"], "CONFLICT");
        assert_eq!(
            error["message"],
            format!("Contact already exists. Existing ID: {existing}")
        );
        assert_eq!(
            error["context"],
            json!({"id": [existing], "objectWriteTraceId": [trace]})
        );
    }
    assert_eq!(api.sandbox.live_count("contacts"), 3);

    // An update taking another record's value, and a single create, say the same.
    let (status, body) = api
        .post(
            &format!("{DATED}/contacts/batch/update"),
            json!({"inputs": [{"id": second, "properties": {"email": "first@example.com"}}]}),
        )
        .await;
    assert_refused_whole(status, &body, 409, "CONFLICT", &message);
    assert_eq!(
        contact_property(&api, &second, "email").await,
        "second@example.com"
    );
    let (status, body) = api
        .post(
            &format!("{V3}/contacts"),
            json!({"properties": {"email": "first@example.com"}}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["message"], message);
    assert_eq!(body["context"]["id"], json!([first]));
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refused_upsert_takes_back_its_creates_updates_and_unique_values() {
    let api = Api::with(SandboxConfig::new().unique_property("deals", "external_id")).await;
    let existing = api
        .sandbox
        .seed_object("deals", json!({"dealname": "Old", "external_id": "E-1"}));
    let upsert = |amount: &str| {
        json!({"inputs": [
            {"id": "E-1", "idProperty": "external_id",
             "properties": {"dealname": "Renamed", "external_id": "E-9"}},
            {"id": "E-2", "idProperty": "external_id", "properties": {"dealname": "New"}},
            // Updates what the input before created.
            {"id": "E-2", "idProperty": "external_id", "properties": {"dealname": "Newer"}},
            {"id": "E-3", "idProperty": "external_id", "properties": {"dealname": "Third", "amount": amount}},
        ]})
    };
    let (status, body) = api
        .post(&format!("{V3}/deals/batch/upsert"), upsert("ten"))
        .await;
    let message = refused_value_message("amount", "ten was not a valid number.", "INVALID_DECIMAL");
    assert_refused_whole(status, &body, 400, "VALIDATION_ERROR", &message);
    assert_eq!(api.sandbox.live_count("deals"), 1, "nothing created");
    // The update is taken back with its unique value: E-1 still names the record, E-9 and
    // E-2 name nothing.
    let (status, body) = api
        .get(&format!(
            "{V3}/deals/E-1?idProperty=external_id&properties=dealname"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], existing.as_str());
    assert_eq!(body["properties"]["dealname"], "Old");
    for free in ["E-9", "E-2"] {
        let (status, _) = api
            .get(&format!("{V3}/deals/{free}?idProperty=external_id"))
            .await;
        assert_eq!(status, 404, "{free}");
    }
    // The same batch with a valid amount goes through whole.
    let (status, body) = api
        .post(&format!("{V3}/deals/batch/upsert"), upsert("10.5"))
        .await;
    assert_eq!(status, 200, "{body}");
    let news: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["new"])
        .collect();
    assert_eq!(
        news,
        [&json!(false), &json!(true), &json!(false), &json!(true)]
    );
    assert_eq!(api.sandbox.live_count("deals"), 3);
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn missing_ids_fail_their_inputs_alone_by_default() {
    let api = Api::start().await;
    let a = api.contact("a@example.com").await;
    let (status, body) = api
        .post(
            &format!("{V3}/contacts/batch/update"),
            json!({"inputs": [
                {"id": a, "properties": {"firstname": "Renamed"}},
                {"id": "999999", "properties": {"firstname": "Ghost"}, "objectWriteTraceId": "t-ghost"},
            ]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"][0]["properties"]["firstname"], "Renamed");
    assert_eq!(body["numErrors"], 1);
    assert_eq!(
        body["errors"][0],
        json!({
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
            "context": {"ids": ["999999"], "objectWriteTraceId": ["t-ghost"]},
        })
    );
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn missing_ids_can_answer_an_empty_207() {
    let api = Api::with(SandboxConfig::new().empty_answer_for_missing_ids(true)).await;
    let a = api.contact("a@example.com").await;
    for prefix in [V3, DATED] {
        // Only missing records: nothing written, nothing confirmed, no errors.
        let (status, body) = api
            .post(
                &format!("{prefix}/contacts/batch/update"),
                json!({"inputs": [
                    {"id": "999999", "properties": {"firstname": "Ghost"}},
                    {"id": "nobody@example.com", "idProperty": "email", "properties": {"firstname": "Ghost"}},
                ]}),
            )
            .await;
        assert_eq!(status, 207, "{body}");
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["completedAt", "results", "startedAt", "status"]);
        assert_eq!(body["status"], "COMPLETE");
        assert_eq!(body["results"], json!([]));
        assert_eq!(api.sandbox.live_count("contacts"), 1);

        // Existing records are updated and returned; the missing one is simply absent.
        let (status, body) = api
            .post(
                &format!("{prefix}/contacts/batch/update"),
                json!({"inputs": [
                    {"id": "999999", "properties": {"firstname": "Ghost"}},
                    {"id": a, "properties": {"firstname": prefix}},
                ]}),
            )
            .await;
        assert_eq!(status, 207, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["id"], a.as_str());
        assert_eq!(contact_property(&api, &a, "firstname").await, prefix);
    }
    // A refused value elsewhere still refuses the batch whole.
    let (status, body) = api
        .post(
            &format!("{V3}/contacts/batch/update"),
            json!({"inputs": [
                {"id": "999999", "properties": {"firstname": "Ghost"}},
                {"id": a, "properties": {"email": "x@y.invalid"}},
            ]}),
        )
        .await;
    assert_refused_whole(status, &body, 400, "VALIDATION_ERROR", &invalid_email());
    assert_eq!(contact_property(&api, &a, "email").await, "a@example.com");
    // Only updates: a batch read still names what it did not find.
    let (status, body) = api
        .post(
            &format!("{V3}/contacts/batch/read"),
            json!({"inputs": [{"id": "999999"}]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["errors"][0]["context"]["ids"], json!(["999999"]));
    api.sandbox.shutdown().await;
}

/// Writes `properties` to a new record of `otype` and to `id` of that type, on both lines;
/// returns the (status, error code in the message) of each write.
async fn refusals(api: &Api, otype: &str, id: &str, properties: Value) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    for prefix in [V3, DATED] {
        for (method, path) in [
            ("POST", format!("{prefix}/{otype}")),
            ("PATCH", format!("{prefix}/{otype}/{id}")),
        ] {
            let (status, body) = api
                .send(method, &path, Some(json!({ "properties": properties })))
                .await;
            let message = body["message"].as_str().unwrap_or_default();
            let code = message
                .split("\"error\":\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default()
                .to_string();
            out.push((status, code));
        }
    }
    out
}

#[tokio::test]
async fn single_writes_check_values_against_the_definitions_on_both_lines() {
    let api = Api::start().await;
    let deal = api.sandbox.seed_object("deals", json!({"dealname": "D"}));
    let company = api.sandbox.seed_object("companies", json!({"name": "C"}));
    let contact = api.contact("c@example.com").await;
    let ticket = api.sandbox.seed_object("tickets", json!({"subject": "T"}));
    let cases = [
        (
            "deals",
            &deal,
            json!({"amount": "1,000"}),
            "INVALID_DECIMAL",
        ),
        (
            "deals",
            &deal,
            json!({"closedate": "tomorrow"}),
            "INVALID_LONG",
        ),
        (
            "deals",
            &deal,
            json!({"dealstage": "won"}),
            "INVALID_OPTION",
        ),
        (
            "companies",
            &company,
            json!({"is_public": "yes"}),
            "INVALID_BOOLEAN",
        ),
        (
            "contacts",
            &contact,
            json!({"email": "nobody"}),
            "INVALID_EMAIL",
        ),
        (
            "contacts",
            &contact,
            json!({"num_associated_deals": "3"}),
            "READ_ONLY_VALUE",
        ),
        (
            "contacts",
            &contact,
            json!({"hs_object_id": ""}),
            "READ_ONLY_VALUE",
        ),
        // Free-form types check the definitions they have.
        (
            "tickets",
            &ticket,
            json!({"hs_ticket_priority": "SOON"}),
            "INVALID_OPTION",
        ),
    ];
    for (otype, id, properties, code) in cases {
        let before = api.sandbox.live_count(otype);
        let answers = refusals(&api, otype, id, properties.clone()).await;
        assert_eq!(
            answers,
            vec![(400, code.to_string()); 4],
            "{otype} {properties}"
        );
        assert_eq!(
            api.sandbox.live_count(otype),
            before,
            "{otype}: nothing created"
        );
    }
    // Valid values, and the empty string clearing a writable property, are taken.
    let valid = [
        (
            "deals",
            &deal,
            json!({"amount": "1000.50", "closedate": "2026-09-08T10:00:00Z", "dealstage": "closedwon"}),
        ),
        ("deals", &deal, json!({"amount": "", "closedate": ""})),
        ("companies", &company, json!({"is_public": true})),
        (
            "tickets",
            &ticket,
            json!({"hs_ticket_priority": "HIGH", "anything": "goes"}),
        ),
    ];
    for (otype, id, properties) in valid {
        for prefix in [V3, DATED] {
            let path = format!("{prefix}/{otype}/{id}");
            let (status, body) = api
                .send("PATCH", &path, Some(json!({ "properties": properties })))
                .await;
            assert_eq!(status, 200, "{path} {properties}: {body}");
        }
    }
    let (_, body) = api
        .get(&format!("{V3}/deals/{deal}?properties=amount"))
        .await;
    assert_eq!(body["properties"]["amount"], "");
    api.sandbox.shutdown().await;
}
