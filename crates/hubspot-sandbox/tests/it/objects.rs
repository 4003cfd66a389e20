//! Object CRUD, validation and batch behaviour.

use hubspot_sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::common::{self, Api, assert_error, lead_body};

#[tokio::test]
async fn create_contact_and_lead_then_read_with_nulls_history_and_associations() {
    let api = Api::start().await;
    let contact = api.contact("ada@example.com").await;
    let (status, lead) = api
        .post("/crm/v3/objects/leads", lead_body("Ada deal", &contact))
        .await;
    assert_eq!(status, 201, "{lead}");
    let id = lead["id"].as_str().unwrap();
    assert!(id.parse::<u64>().unwrap() > 100_000_000_000);
    assert_eq!(lead["archived"], false);
    assert_eq!(lead["properties"]["hs_lead_name"], "Ada deal");
    assert_eq!(lead["properties"]["hs_object_id"], id);
    let created = lead["createdAt"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");

    let (status, got) = api
        .get(&format!(
            "/crm/v3/objects/leads/{id}?properties=hs_lead_name,hs_lead_type,no_such_prop&propertiesWithHistory=hs_lead_name&associations=contacts"
        ))
        .await;
    assert_eq!(status, 200, "{got}");
    let props = &got["properties"];
    assert_eq!(props["hs_lead_name"], "Ada deal");
    assert_eq!(props["hs_lead_type"], Value::Null);
    assert!(props.get("hs_lead_type").is_some());
    assert!(props.get("no_such_prop").is_none());
    let hist = got["propertiesWithHistory"]["hs_lead_name"]
        .as_array()
        .unwrap();
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0]["value"], "Ada deal");
    assert_eq!(hist[0]["sourceType"], "API");
    let assoc = &got["associations"]["contacts"]["results"][0];
    assert_eq!(assoc["id"], contact.as_str());
    assert_eq!(assoc["type"], "lead_to_primary_contact");

    // Default property set, and the reverse association from the contact.
    let (_, plain) = api.get(&format!("/crm/v3/objects/leads/{id}")).await;
    let keys: Vec<&String> = plain["properties"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "{plain}");
    let (_, c) = api
        .get(&format!(
            "/crm/v3/objects/contacts/{contact}?associations=leads"
        ))
        .await;
    assert_eq!(c["associations"]["leads"]["results"][0]["id"], id);
    assert_eq!(c["properties"]["email"], "ada@example.com");
}

#[tokio::test]
async fn lead_validation_errors_have_hubspot_shape() {
    let api = Api::start().await;
    let contact = api.contact("bob@example.com").await;

    let (status, body) = api
        .post(
            "/crm/v3/objects/leads",
            json!({"properties": {"hs_lead_name": "Lonely"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&body, "VALIDATION_ERROR");

    let mut blank = lead_body("  ", &contact);
    blank["properties"]["hs_lead_name"] = json!(" ");
    let (status, body) = api.post("/crm/v3/objects/leads", blank).await;
    assert_eq!(status, 400);
    assert_error(&body, "VALIDATION_ERROR");

    let mut unknown = lead_body("x", &contact);
    unknown["properties"]["favourite_colour"] = json!("blue");
    let (status, body) = api.post("/crm/v3/objects/leads", unknown).await;
    assert_eq!(status, 400);
    assert_error(&body, "VALIDATION_ERROR");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Property values were not valid")
    );
    assert_eq!(body["errors"][0]["code"], "PROPERTY_DOESNT_EXIST");
    assert_eq!(
        body["errors"][0]["context"]["propertyName"][0],
        "favourite_colour"
    );

    let mut read_only = lead_body("x", &contact);
    read_only["properties"]["hs_object_id"] = json!("5");
    let (_, body) = api.post("/crm/v3/objects/leads", read_only).await;
    assert_eq!(body["errors"][0]["code"], "READ_ONLY_VALUE");

    let mut option = lead_body("x", &contact);
    option["properties"]["hs_lead_type"] = json!("FREE_LUNCH");
    let (_, body) = api.post("/crm/v3/objects/leads", option).await;
    assert_eq!(body["errors"][0]["code"], "INVALID_OPTION");

    // Association to a missing object, and a type that does not fit the pair.
    let (status, body) = api
        .post("/crm/v3/objects/leads", lead_body("x", "999"))
        .await;
    assert_eq!(status, 400);
    assert_error(&body, "VALIDATION_ERROR");
    let mut wrong_type = lead_body("x", &contact);
    wrong_type["associations"][0]["types"][0]["associationTypeId"] = json!(1);
    let (status, _) = api.post("/crm/v3/objects/leads", wrong_type).await;
    assert_eq!(status, 400);

    // A 608 (non-primary contact) association is enough.
    let mut secondary = lead_body("ok", &contact);
    secondary["associations"][0]["types"][0]["associationTypeId"] = json!(608);
    let (status, _) = api.post("/crm/v3/objects/leads", secondary).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn bad_requests_never_crash() {
    let api = Api::start().await;
    let resp = api
        .http
        .post(api.url("/crm/v3/objects/leads"))
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_error(&body, "VALIDATION_ERROR");

    let (status, body) = api.send("POST", "/crm/v3/objects/leads", None).await;
    assert_eq!(status, 400);
    assert_error(&body, "VALIDATION_ERROR");

    let (status, body) = api.post("/crm/v3/objects/leads", json!([1, 2])).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api
        .post("/crm/v3/objects/contacts", json!({"properties": "nope"}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api.get("/crm/v3/nothing/here").await;
    assert_eq!(status, 404);
    assert_error(&body, "OBJECT_NOT_FOUND");
    let (status, body) = api.get("/crm/v3/objects/leads/abc").await;
    assert_eq!(status, 404);
    assert_eq!(
        body["message"],
        "Object not found.  objectId are usually numeric."
    );
    let (status, _) = api.get("/crm/v3/objects/leads?limit=ten").await;
    assert_eq!(status, 400);
    let (status, _) = api
        .post("/crm/v3/objects/leads/search", json!({"filterGroups": "x"}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn update_clear_archive_and_id_property() {
    let api = Api::start().await;
    let contact = api.contact("cy@example.com").await;
    let mut body = lead_body("First", &contact);
    body["properties"]["external_lead_id"] = json!("ext-1");
    body["properties"]["hs_lead_label"] = json!("WARM");
    let (_, lead) = api.post("/crm/v3/objects/leads", body).await;
    let id = lead["id"].as_str().unwrap().to_string();

    let (status, patched) = api
        .send(
            "PATCH",
            &format!("/crm/v3/objects/leads/{id}"),
            Some(json!({"properties": {"hs_lead_name": "Second", "hs_lead_label": ""}})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["properties"]["hs_lead_name"], "Second");
    assert_eq!(patched["properties"]["hs_lead_label"], "");

    let (_, got) = api
        .get(
            "/crm/v3/objects/leads/ext-1?idProperty=external_lead_id&properties=hs_lead_label&propertiesWithHistory=hs_lead_name",
        )
        .await;
    assert_eq!(got["id"], id.as_str());
    let hist = got["propertiesWithHistory"]["hs_lead_name"]
        .as_array()
        .unwrap();
    assert_eq!(hist[0]["value"], "Second");
    assert_eq!(hist[1]["value"], "First");

    let (status, body) = api
        .send(
            "PATCH",
            &format!("/crm/v3/objects/leads/{id}"),
            Some(json!({"properties": {"hs_createdate": "2020-01-01"}})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "READ_ONLY_VALUE");

    let (status, _) = api
        .send("DELETE", &format!("/crm/v3/objects/leads/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = api.get(&format!("/crm/v3/objects/leads/{id}")).await;
    assert_eq!(status, 404);
    let (status, got) = api
        .get(&format!("/crm/v3/objects/leads/{id}?archived=true"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["archived"], true);
    assert!(got["archivedAt"].is_string());
    let (_, listed) = api.get("/crm/v3/objects/leads?archived=true").await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 1);
    let (_, listed) = api.get("/crm/v3/objects/leads").await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn list_pages_in_id_order() {
    let api = Api::start().await;
    let contact = api.sandbox.seed_contact(json!({"email": "p@example.com"}));
    let ids = api.sandbox.seed_leads(&contact, 25);
    let mut seen = Vec::new();
    let mut path = "/crm/v3/objects/leads?limit=10&properties=hs_lead_name".to_string();
    loop {
        let (status, page) = api.get(&path).await;
        assert_eq!(status, 200, "{page}");
        for r in page["results"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_string());
        }
        match page["paging"]["next"]["after"].as_str() {
            Some(after) => {
                assert!(
                    page["paging"]["next"]["link"]
                        .as_str()
                        .unwrap()
                        .contains(after)
                );
                path = format!("/crm/v3/objects/leads?limit=10&after={after}");
            }
            None => break,
        }
    }
    assert_eq!(seen, ids);
    let (_, big) = api.get("/crm/v3/objects/leads?limit=1000").await;
    assert_eq!(big["results"].as_array().unwrap().len(), 25);
}

#[tokio::test]
async fn batch_create_partial_failure_echoes_trace_ids() {
    let api = Api::start().await;
    let contact = api.contact("batch@example.com").await;
    let mut inputs: Vec<Value> = (0..3)
        .map(|i| {
            let mut b = lead_body(&format!("Batch {i}"), &contact);
            b["objectWriteTraceId"] = json!(format!("trace-{i}"));
            b
        })
        .collect();
    inputs[1]["properties"]["bogus"] = json!("x");
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/create",
            json!({"inputs": inputs}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["status"], "COMPLETE");
    assert_eq!(body["results"].as_array().unwrap().len(), 2);
    assert_eq!(body["numErrors"], 1);
    let err = &body["errors"][0];
    assert_eq!(err["status"], "error");
    assert_eq!(err["category"], "VALIDATION_ERROR");
    assert_eq!(err["context"]["objectWriteTraceId"], json!(["trace-1"]));
    assert!(body["startedAt"].is_string() && body["completedAt"].is_string());

    let ok: Vec<Value> = (0..2)
        .map(|i| lead_body(&format!("Ok {i}"), &contact))
        .collect();
    let (status, body) = api
        .post("/crm/v3/objects/leads/batch/create", json!({"inputs": ok}))
        .await;
    assert_eq!(status, 201, "{body}");

    let too_many: Vec<Value> = (0..101).map(|i| json!({"id": i.to_string()})).collect();
    for op in ["read", "create", "update", "upsert", "archive"] {
        let (status, body) = api
            .post(
                &format!("/crm/v3/objects/leads/batch/{op}"),
                json!({"inputs": too_many}),
            )
            .await;
        assert_eq!(status, 400, "{op}: {body}");
        assert_error(&body, "VALIDATION_ERROR");
    }
}

#[tokio::test]
async fn batch_read_update_upsert_archive() {
    let api = Api::start().await;
    let contact = api.contact("b2@example.com").await;
    let ids = api.sandbox.seed_leads(&contact, 3);

    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/read",
            json!({"inputs": [{"id": ids[0]}, {"id": ids[1]}], "properties": ["hs_lead_name", "hs_lead_type"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["properties"]["hs_lead_type"],
        Value::Null
    );
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/read",
            json!({"inputs": [{"id": ids[0]}, {"id": "1"}, {"id": "2"}]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["errors"][0]["category"], "OBJECT_NOT_FOUND");
    assert_eq!(body["errors"][0]["context"]["ids"], json!(["1", "2"]));

    // One refused value refuses the whole update: nothing is written.
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/update",
            json!({"inputs": [
                {"id": ids[0], "properties": {"hs_lead_label": "HOT"}},
                {"id": "42", "properties": {"hs_lead_label": "HOT"}},
                {"id": ids[1], "properties": {"hs_lead_label": "LUKEWARM"}}
            ]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["category"], "VALIDATION_ERROR");
    assert!(body.get("errors").is_none(), "{body}");
    let (_, read) = api
        .get(&format!(
            "/crm/v3/objects/leads/{}?properties=hs_lead_label",
            ids[0]
        ))
        .await;
    assert_eq!(read["properties"]["hs_lead_label"], Value::Null);
    // A record id that does not exist fails its input alone.
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/update",
            json!({"inputs": [
                {"id": ids[0], "properties": {"hs_lead_label": "HOT"}},
                {"id": "42", "properties": {"hs_lead_label": "HOT"}}
            ]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"][0]["properties"]["hs_lead_label"], "HOT");
    assert_eq!(body["numErrors"], 1);
    assert_eq!(body["errors"][0]["category"], "OBJECT_NOT_FOUND");
    assert_eq!(body["errors"][0]["context"]["ids"], json!(["42"]));

    // Upsert by a unique property: existing -> update, unknown -> create.
    api.send(
        "PATCH",
        &format!("/crm/v3/objects/leads/{}", ids[2]),
        Some(json!({"properties": {"external_lead_id": "E-3"}})),
    )
    .await;
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/upsert",
            json!({"inputs": [
                {"id": "E-3", "idProperty": "external_lead_id", "properties": {"hs_lead_name": "Renamed"}},
                {"id": "E-4", "idProperty": "external_lead_id", "properties": {"hs_lead_name": "New one"},
                 "associations": [{"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["new"], false);
    assert_eq!(body["results"][0]["id"], ids[2].as_str());
    assert_eq!(body["results"][1]["new"], true);
    assert_eq!(body["results"][1]["properties"]["external_lead_id"], "E-4");
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/upsert",
            json!({"inputs": [{"id": "x", "idProperty": "hs_lead_name", "properties": {}}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "VALIDATION_ERROR");

    let (status, _) = api
        .post(
            "/crm/v3/objects/leads/batch/archive",
            json!({"inputs": [{"id": ids[0]}, {"id": "12345"}]}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = api.get(&format!("/crm/v3/objects/leads/{}", ids[0])).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn properties_api_describes_leads() {
    let api = Api::start().await;
    let (status, body) = api.get("/crm/v3/properties/leads").await;
    assert_eq!(status, 200);
    let props = body["results"].as_array().unwrap();
    let find = |n: &str| props.iter().find(|p| p["name"] == n).unwrap().clone();
    let lead_type = find("hs_lead_type");
    assert_eq!(lead_type["type"], "enumeration");
    assert_eq!(lead_type["fieldType"], "select");
    assert_eq!(lead_type["options"][0]["value"], "NEW_BUSINESS");
    assert_eq!(lead_type["options"][0]["label"], "New Business");
    assert_eq!(
        find("hs_object_id")["modificationMetadata"]["readOnlyValue"],
        true
    );
    assert_eq!(find("external_lead_id")["hasUniqueValue"], true);
    assert!(props.iter().any(|p| p["calculated"] == true));
    let (status, one) = api.get("/crm/v3/properties/0-136/hs_lead_label").await;
    assert_eq!(status, 200);
    assert!(
        one["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["value"] == "WARM")
    );
    let (status, _) = api.get("/crm/v3/properties/leads/nope").await;
    assert_eq!(status, 404);
    let (_, contacts) = api.get("/crm/v3/properties/contacts").await;
    assert!(
        contacts["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "email")
    );
}

/// How often `needle` occurs in `haystack`.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn repeated_property_names_are_answered_once_each() {
    common::run_with_hang_guard("reads naming 10,000 properties or more", async {
        // URLs of up to 64 KiB, past HubSpot's limit (a 414 by default), to time their reading.
        let api = Api::with(SandboxConfig::new().max_request_line(64 * 1024)).await;
        let mut contacts = Vec::new();
        for i in 0..100 {
            contacts.push(api.sandbox.seed_contact(
                json!({"email": format!("r{i}@example.com"), "firstname": format!("R{i}")}),
            ));
        }
        // 10,000 names (a URI holds at most 64 KiB): "email" and "firstname" 500 times each,
        // and 1,000 unknown names 9 times each.
        let mut names = Vec::new();
        for i in 0..9_000 {
            names.push(format!("q{}", i % 1_000));
            if i % 9 == 0 {
                names.push(if i % 2 == 0 { "email" } else { "firstname" }.to_string());
            }
        }
        assert_eq!(names.len(), 10_000);
        let list = names.join(",");
        let check = |text: &str, n: usize| {
            assert_eq!(count(text, "\"email\":\""), n, "email once per object");
            assert_eq!(
                count(text, "\"firstname\":\"R"),
                n,
                "firstname once per object"
            );
            assert_eq!(count(text, "\"hs_object_id\":\""), n, "always-read once");
            assert_eq!(count(text, "\"q1\""), 0, "unknown names are dropped");
            assert_eq!(count(text, "\"y1\""), 0, "unknown names are dropped");
            let v: Value = serde_json::from_str(text).unwrap();
            let results = v["results"].as_array().unwrap();
            assert_eq!(results.len(), n);
            for r in results {
                assert!(
                    r["properties"]["email"]
                        .as_str()
                        .unwrap()
                        .ends_with("@example.com")
                );
            }
        };

        let (status, text) = api
            .send_text(
                "GET",
                &format!("/crm/v3/objects/contacts?limit=100&properties={list}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{text}");
        check(&text, 100);
        let (status, text) = api
            .send_text(
                "GET",
                &format!(
                    "/crm/v3/objects/contacts?limit=100&properties=email&propertiesWithHistory={}",
                    vec!["email"; 10_000].join(",")
                ),
                None,
            )
            .await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(count(&text, "\"email\":[{"), 100, "history once per object");

        // Search takes the names in its body, so it can be given many more.
        let mut many: Vec<String> = (0..50_000).map(|i| format!("y{i}")).collect();
        many.extend((0..50_000).map(|i| format!("y{i}")));
        many.insert(0, "email".into());
        many.push("firstname".into());
        many.push("email".into());
        let (status, text) = api
            .send_text(
                "POST",
                "/crm/v3/objects/contacts/search",
                Some(json!({"limit": 200, "properties": many})),
            )
            .await;
        assert_eq!(status, 200, "{text}");
        check(&text, 100);

        let (status, text) = api
            .send_text(
                "POST",
                "/crm/v3/objects/contacts/batch/read",
                Some(json!({
                    "inputs": contacts.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
                    "properties": names,
                })),
            )
            .await;
        assert_eq!(status, 200, "{text}");
        check(&text, 100);

        // Free-form types answer every name asked for: still once each.
        for i in 0..10 {
            api.sandbox
                .seed_object("tickets", json!({"subject": format!("s{i}")}));
        }
        let repeated: Vec<String> = (0..10_000).map(|i| format!("z{}", i % 2_000)).collect();
        let (status, text) = api
            .send_text(
                "GET",
                &format!(
                    "/crm/v3/objects/tickets?limit=100&properties={}",
                    repeated.join(",")
                ),
                None,
            )
            .await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(count(&text, "\"z7\":null"), 10);
        assert_eq!(count(&text, "\"z1999\":null"), 10);

        // And associations named 10,000 times are listed once.
        let lead = api.lead("Assoc", &contacts[0]).await;
        let (status, text) = api
            .send_text(
                "GET",
                &format!(
                    "/crm/v3/objects/leads?associations={}",
                    vec!["0-1"; 10_000].join(",")
                ),
                None,
            )
            .await;
        assert_eq!(status, 200, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["results"][0]["id"], lead.as_str());
        assert_eq!(
            v["results"][0]["associations"]["contacts"]["results"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "{text}"
        );
    });
}

#[tokio::test]
async fn property_history_keeps_the_newest_values_up_to_the_cap() {
    let api = Api::start().await;
    let id = api
        .sandbox
        .seed_object("tickets", json!({"subject": "history"}));
    for i in 0..150 {
        let (status, body) = api
            .send(
                "PATCH",
                &format!("/crm/v3/objects/tickets/{id}"),
                Some(json!({"properties": {"note": format!("v{i}")}})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = api
        .get(&format!(
            "/crm/v3/objects/tickets/{id}?properties=note&propertiesWithHistory=note,hs_lastmodifieddate"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["properties"]["note"], "v149");
    let history: Vec<&str> = body["propertiesWithHistory"]["note"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (50..150).rev().map(|i| format!("v{i}")).collect();
    assert_eq!(history, want, "the newest 100 values, newest first");
    assert_eq!(
        hubspot_sandbox::PROPERTY_HISTORY_CAPACITY,
        100,
        "the documented cap"
    );
    let modified = body["propertiesWithHistory"]["hs_lastmodifieddate"]
        .as_array()
        .unwrap();
    assert_eq!(modified.len(), 100, "every property is capped");
}

/// Leads found by a search on their name prefix.
async fn leads_named(api: &Api, prefix: &str) -> u64 {
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/search",
            json!({"filterGroups": [{"filters": [
                {"propertyName": "hs_lead_name", "operator": "CONTAINS_TOKEN", "value": format!("{prefix}*")}
            ]}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["total"].as_u64().unwrap()
}

#[tokio::test]
async fn batch_create_with_unique_trace_ids_reports_each_failure_with_207() {
    let api = Api::start().await;
    let contact = api.contact("trace@example.com").await;
    let mut inputs: Vec<Value> = (0..4)
        .map(|i| {
            let mut b = lead_body(&format!("Traced{i}"), &contact);
            b["objectWriteTraceId"] = json!(format!("t-{i}"));
            b
        })
        .collect();
    inputs[1]["properties"]["bogus"] = json!("x");
    inputs[3]["properties"]["hs_lead_name"] = json!("");
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/create",
            json!({"inputs": inputs}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["numErrors"], 2);
    let traces: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["objectWriteTraceId"])
        .collect();
    assert_eq!(traces, [&json!("t-0"), &json!("t-2")]);
    assert_eq!(
        body["errors"][0]["context"]["objectWriteTraceId"],
        json!(["t-1"])
    );
    assert_eq!(
        body["errors"][1]["context"]["objectWriteTraceId"],
        json!(["t-3"])
    );
    assert_eq!(body["errors"][0]["category"], "VALIDATION_ERROR");
    assert_eq!(leads_named(&api, "Traced").await, 2);
}

#[tokio::test]
async fn batch_create_without_unique_trace_ids_rejects_the_whole_batch() {
    let api = Api::start().await;
    let contact = api.contact("whole@example.com").await;
    let input = |name: &str, trace: Option<&str>, bogus: bool| {
        let mut b = lead_body(name, &contact);
        if let Some(t) = trace {
            b["objectWriteTraceId"] = json!(t);
        }
        if bogus {
            b["properties"]["bogus"] = json!("x");
        }
        b
    };
    let no_name = {
        let mut b = lead_body("Whole", &contact);
        b["properties"]["hs_lead_name"] = json!("");
        b
    };
    let cases = [
        (
            "no trace ids",
            vec![
                input("Whole A", None, false),
                input("Whole B", None, true),
                no_name.clone(),
            ],
        ),
        (
            "duplicate trace ids",
            vec![
                input("Whole A", Some("t-0"), false),
                input("Whole B", Some("t-0"), true),
            ],
        ),
        (
            "a missing trace id",
            vec![
                input("Whole A", Some("t-0"), false),
                input("Whole B", None, true),
                input("Whole C", Some("t-2"), false),
            ],
        ),
    ];
    for (what, inputs) in cases {
        let (status, body) = api
            .post(
                "/crm/v3/objects/leads/batch/create",
                json!({"inputs": inputs}),
            )
            .await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_error(&body, "VALIDATION_ERROR");
        assert!(
            body["message"].as_str().unwrap().contains("bogus"),
            "{what}: the first error is answered: {body}"
        );
        assert!(body.get("results").is_none(), "{what}: {body}");
        assert_eq!(
            leads_named(&api, "Whole").await,
            0,
            "{what}: nothing created"
        );
    }
    // The contact did not keep associations to leads that were never created.
    let (status, body) = api
        .get(&format!(
            "/crm/v4/objects/contacts/{contact}/associations/leads"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"], json!([]), "{body}");

    // A conflict inside the batch: the first error is the conflict, and the first contact
    // is not kept either.
    let (status, body) = api
        .post(
            "/crm/v3/objects/contacts/batch/create",
            json!({"inputs": [
                {"properties": {"email": "twice@example.com"}},
                {"properties": {"email": "twice@example.com"}}
            ]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_error(&body, "CONFLICT");
    let (status, body) = api
        .get("/crm/v3/objects/contacts/twice@example.com?idProperty=email")
        .await;
    assert_eq!(status, 404, "{body}");

    // Without failures, trace ids are not needed.
    let (status, body) = api
        .post(
            "/crm/v3/objects/leads/batch/create",
            json!({"inputs": [input("Whole A", None, false), input("Whole B", None, false)]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(leads_named(&api, "Whole").await, 2);
}
