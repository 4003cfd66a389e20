//! Any CRM object type through the generic routes: standard types by name or id, custom
//! objects by `2-<digits>` id, unknown types rejected, and the cap on custom types.

use std::time::Duration;

use hubspot_sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::common::{Api, assert_error};

/// One object type as the generic tests drive it.
struct Spec {
    /// Path segment used to create (a name, or the id for custom objects).
    name: &'static str,
    /// HubSpot object type id, also accepted in paths.
    type_id: &'static str,
    /// Properties of the `i`th object.
    props: fn(usize) -> Value,
    /// Property the objects are told apart by.
    label_prop: &'static str,
    /// A property HubSpot knows for the type that the tests never set.
    unset_prop: &'static str,
    /// Properties of a read that names none, sorted.
    defaults: &'static [&'static str],
    /// Search body, expected total and the label of the first hit.
    search: fn() -> (Value, u64, String),
}

fn deal_props(i: usize) -> Value {
    json!({"dealname": format!("Deal {i:03}"), "amount": i, "dealstage": "appointmentscheduled", "pipeline": "default"})
}

fn ticket_props(i: usize) -> Value {
    let priority = ["LOW", "MEDIUM", "HIGH", "URGENT"][i % 4];
    json!({"subject": format!("Ticket {i:03}"), "hs_pipeline": "0", "hs_pipeline_stage": (i % 4 + 1).to_string(), "hs_ticket_priority": priority})
}

fn widget_props(i: usize) -> Value {
    json!({"widget_name": format!("Widget {i:03}"), "size": i})
}

const DEALS: Spec = Spec {
    name: "deals",
    type_id: "0-3",
    props: deal_props,
    label_prop: "dealname",
    unset_prop: "closedate",
    defaults: &[
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ],
    // Objects 0..250 of the batches (amount = i): 200..=249 match, not the first (998).
    search: || {
        (
            json!({
                "filterGroups": [{"filters": [
                    {"propertyName": "amount", "operator": "GTE", "value": "200"},
                    {"propertyName": "amount", "operator": "LT", "value": 300},
                ]}],
                "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}],
            }),
            50,
            "Deal 249".into(),
        )
    },
};

const TICKETS: Spec = Spec {
    name: "tickets",
    type_id: "0-5",
    props: ticket_props,
    label_prop: "subject",
    unset_prop: "content",
    defaults: &[
        "content",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_priority",
        "subject",
    ],
    // Stage 4 is every fourth ticket: 3, 7, ..., 247 (the first, 998, is in stage 3).
    search: || {
        (
            json!({
                "filterGroups": [{"filters": [{"propertyName": "hs_pipeline_stage", "operator": "EQ", "value": "4"}]}],
                "sorts": [{"propertyName": "subject", "direction": "DESCENDING"}],
            }),
            62,
            "Ticket 247".into(),
        )
    },
};

const WIDGETS: Spec = Spec {
    name: "2-1234567",
    type_id: "2-1234567",
    props: widget_props,
    label_prop: "widget_name",
    unset_prop: "colour",
    defaults: &["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
    search: || {
        (
            json!({
                "filterGroups": [{"filters": [{"propertyName": "size", "operator": "BETWEEN", "value": "100", "highValue": 109}]}],
                "sorts": ["-size"],
            }),
            10,
            "Widget 109".into(),
        )
    },
};

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// Create, read by name and id, update, batch create 250, list, search and archive.
async fn exercise(spec: &Spec) {
    let api = Api::start().await;
    let t = spec.name;
    let base = format!("/crm/v3/objects/{t}");

    // Create.
    let (status, created) = api
        .post(&base, json!({"properties": (spec.props)(998)}))
        .await;
    assert_eq!(status, 201, "{t}: {created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.parse::<u64>().unwrap() > 100_000_000_000);
    assert_eq!(created["archived"], false, "{t}");
    assert_eq!(created["properties"]["hs_object_id"], id.as_str(), "{t}");
    assert_eq!(
        created["properties"][spec.label_prop],
        format!("{} 998", label_word(spec)),
        "{t}"
    );
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));

    // Read by name and by type id: the same object, HubSpot's default properties.
    for segment in [spec.name, spec.type_id] {
        let (status, got) = api.get(&format!("/crm/v3/objects/{segment}/{id}")).await;
        assert_eq!(status, 200, "{segment}: {got}");
        assert_eq!(got["id"], id.as_str());
        assert_eq!(sorted_keys(&got["properties"]), spec.defaults, "{segment}");
        assert_eq!(got["properties"]["hs_object_id"], id.as_str());
    }
    let (status, got) = api
        .get(&format!(
            "/crm/v3/objects/{}/{id}?properties={},{}",
            spec.type_id, spec.label_prop, spec.unset_prop
        ))
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["properties"][spec.unset_prop], Value::Null, "{t}");
    assert!(got["properties"].get(spec.unset_prop).is_some(), "{t}");
    assert!(got["properties"].get("hs_object_id").is_some(), "{t}");

    // Update.
    let (status, patched) = api
        .send(
            "PATCH",
            &format!("/crm/v3/objects/{}/{id}", spec.type_id),
            Some(json!({"properties": {spec.label_prop: "Renamed"}})),
        )
        .await;
    assert_eq!(status, 200, "{t}: {patched}");
    assert_eq!(patched["properties"][spec.label_prop], "Renamed");
    let (_, got) = api
        .get(&format!(
            "{base}/{id}?propertiesWithHistory={}",
            spec.label_prop
        ))
        .await;
    let hist = got["propertiesWithHistory"][spec.label_prop]
        .as_array()
        .unwrap();
    assert_eq!(hist.len(), 2, "{t}: {got}");
    assert_eq!(hist[0]["value"], "Renamed");

    // Batch create 250 inputs in three requests of at most 100.
    let inputs: Vec<Value> = (0..250)
        .map(|i| json!({"properties": (spec.props)(i)}))
        .collect();
    let mut batch_ids = Vec::new();
    for chunk in inputs.chunks(100) {
        let (status, body) = api
            .post(&format!("{base}/batch/create"), json!({"inputs": chunk}))
            .await;
        assert_eq!(status, 201, "{t}: {body}");
        assert_eq!(body["status"], "COMPLETE");
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), chunk.len());
        batch_ids.extend(
            results
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(batch_ids.len(), 250);
    let too_many: Vec<Value> = (0..101).map(|i| json!({"id": i.to_string()})).collect();
    for op in ["read", "create", "update", "upsert", "archive"] {
        let (status, body) = api
            .post(
                &format!("/crm/v3/objects/{}/batch/{op}", spec.type_id),
                json!({"inputs": too_many}),
            )
            .await;
        assert_eq!(status, 400, "{t} {op}: {body}");
        assert_error(&body, "VALIDATION_ERROR");
    }

    // Batch read, with a missing id reported.
    let (status, body) = api
        .post(
            &format!("{base}/batch/read"),
            json!({"inputs": [{"id": batch_ids[0]}, {"id": "1"}], "properties": [spec.label_prop]}),
        )
        .await;
    assert_eq!(status, 207, "{t}: {body}");
    assert_eq!(
        body["results"][0]["properties"][spec.label_prop],
        format!("{} 000", label_word(spec))
    );
    assert_eq!(body["errors"][0]["context"]["ids"], json!(["1"]));

    // List in pages of 100 following `after`: 251 objects, in id order.
    let mut seen = Vec::new();
    let mut path = format!("/crm/v3/objects/{}?limit=100", spec.type_id);
    let mut pages = 0;
    loop {
        let (status, page) = api.get(&path).await;
        assert_eq!(status, 200, "{t}: {page}");
        pages += 1;
        for r in page["results"].as_array().unwrap() {
            assert_eq!(sorted_keys(&r["properties"]), spec.defaults);
            seen.push(r["id"].as_str().unwrap().to_string());
        }
        match page["paging"]["next"]["after"].as_str() {
            Some(after) => {
                let link = page["paging"]["next"]["link"].as_str().unwrap();
                assert!(link.ends_with(&format!("?after={after}")), "{link}");
                path = format!("{base}?limit=100&after={after}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 3, "{t}");
    let mut expected = vec![id.clone()];
    expected.extend(batch_ids.iter().cloned());
    assert_eq!(seen, expected, "{t}");

    // Search with a filter and a sort; requested unset properties come back as null.
    let (mut body, total, first) = (spec.search)();
    body["properties"] = json!([spec.label_prop, spec.unset_prop]);
    body["limit"] = json!(5);
    let (status, found) = api.post(&format!("{base}/search"), body.clone()).await;
    assert_eq!(status, 200, "{t}: {found}");
    assert_eq!(found["total"], total, "{t}: {found}");
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["properties"][spec.label_prop], first.as_str());
    assert_eq!(results[0]["properties"][spec.unset_prop], Value::Null);
    assert!(results[0]["properties"].get("hs_object_id").is_some());
    assert_eq!(found["paging"]["next"]["after"], "5");
    let (status, by_id) = api
        .post(&format!("/crm/v3/objects/{}/search", spec.type_id), body)
        .await;
    assert_eq!(status, 200);
    assert_eq!(by_id["total"], total);

    // Archive one, then batch archive two more; reads, lists and search follow.
    let (status, _) = api
        .send("DELETE", &format!("{base}/{}", batch_ids[0]), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = api.get(&format!("{base}/{}", batch_ids[0])).await;
    assert_eq!(status, 404, "{body}");
    assert_error(&body, "OBJECT_NOT_FOUND");
    let (status, got) = api
        .get(&format!(
            "/crm/v3/objects/{}/{}?archived=true",
            spec.type_id, batch_ids[0]
        ))
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["archived"], true);
    assert!(got["archivedAt"].is_string());
    let (status, _) = api
        .post(
            &format!("{base}/batch/archive"),
            json!({"inputs": [{"id": batch_ids[1]}, {"id": batch_ids[2]}, {"id": "12345"}]}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, archived) = api.get(&format!("{base}?archived=true&limit=100")).await;
    let archived: Vec<&str> = archived["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(archived, [&batch_ids[0], &batch_ids[1], &batch_ids[2]]);
    let (_, all) = api.post(&format!("{base}/search"), json!({})).await;
    assert_eq!(all["total"], 248, "{t}");
}

/// The word the `label_prop` values start with.
fn label_word(spec: &Spec) -> &'static str {
    match spec.name {
        "deals" => "Deal",
        "tickets" => "Ticket",
        _ => "Widget",
    }
}

#[tokio::test]
async fn deals_through_the_generic_routes() {
    exercise(&DEALS).await;
}

#[tokio::test]
async fn tickets_through_the_generic_routes() {
    exercise(&TICKETS).await;
}

#[tokio::test]
async fn custom_objects_through_the_generic_routes() {
    exercise(&WIDGETS).await;
}

#[tokio::test]
async fn names_and_ids_share_one_store_per_type() {
    let api = Api::start().await;
    let (status, deal) = api
        .post(
            "/crm/v3/objects/deals",
            json!({"properties": {"dealname": "Big"}}),
        )
        .await;
    assert_eq!(status, 201, "{deal}");
    let id = deal["id"].as_str().unwrap();
    for segment in ["deals", "0-3", "deal", "DEALS"] {
        let (status, got) = api.get(&format!("/crm/v3/objects/{segment}/{id}")).await;
        assert_eq!(status, 200, "{segment}: {got}");
        assert_eq!(got["properties"]["dealname"], "Big");
    }
    // An id of another type is not found.
    let (status, _) = api.get(&format!("/crm/v3/objects/tickets/{id}")).await;
    assert_eq!(status, 404);

    let (status, ticket) = api
        .post(
            "/crm/v3/objects/0-5",
            json!({"properties": {"subject": "Broken", "my_free_form_field": "yes"}}),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["properties"]["my_free_form_field"], "yes");
    let tid = ticket["id"].as_str().unwrap();
    let (status, got) = api.get(&format!("/crm/v3/objects/ticket/{tid}")).await;
    assert_eq!(status, 200);
    assert_eq!(got["properties"]["subject"], "Broken");

    // Each custom type has its own store; leading zeros name the same type.
    let (status, a) = api
        .post("/crm/v3/objects/2-1", json!({"properties": {"x": "1"}}))
        .await;
    assert_eq!(status, 201, "{a}");
    let aid = a["id"].as_str().unwrap();
    let (status, _) = api.get(&format!("/crm/v3/objects/2-001/{aid}")).await;
    assert_eq!(status, 200);
    let (status, _) = api.get(&format!("/crm/v3/objects/2-2/{aid}")).await;
    assert_eq!(status, 404);
    let (status, list) = api.get("/crm/v3/objects/2-2").await;
    assert_eq!(status, 200);
    assert_eq!(list["results"], json!([]));
    assert!(list.get("paging").is_none());

    // Standard types not listed before work too.
    let (status, _) = api
        .post(
            "/crm/v3/objects/0-7",
            json!({"properties": {"name": "Gadget"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, products) = api.get("/crm/v3/objects/products").await;
    assert_eq!(status, 200);
    assert_eq!(products["results"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_types_are_validation_errors() {
    let api = Api::start().await;
    for raw in [
        "foo",
        "0-abc",
        "0-9999",
        "2-",
        "2-abc",
        "2-0",
        "3-1",
        "p_widgets",
        "%20",
    ] {
        let decoded = if raw == "%20" { " " } else { raw };
        let expected = format!("Unable to infer object type from: {decoded}");
        let paths = [
            ("GET", format!("/crm/v3/objects/{raw}")),
            ("POST", format!("/crm/v3/objects/{raw}")),
            ("GET", format!("/crm/v3/objects/{raw}/123")),
            ("PATCH", format!("/crm/v3/objects/{raw}/123")),
            ("DELETE", format!("/crm/v3/objects/{raw}/123")),
            ("POST", format!("/crm/v3/objects/{raw}/search")),
            ("POST", format!("/crm/v3/objects/{raw}/batch/read")),
            ("POST", format!("/crm/v3/objects/{raw}/batch/create")),
            ("GET", format!("/crm/v3/properties/{raw}")),
            ("GET", format!("/crm/v3/properties/{raw}/hs_object_id")),
            (
                "GET",
                format!("/crm/v4/objects/contacts/1/associations/{raw}"),
            ),
            ("GET", format!("/crm/v4/associations/{raw}/contacts/labels")),
        ];
        for (method, path) in paths {
            let body = (method != "GET" && method != "DELETE").then(|| json!({"inputs": []}));
            let (status, resp) = api.send(method, &path, body).await;
            assert_eq!(status, 400, "{method} {path}: {resp}");
            assert_error(&resp, "VALIDATION_ERROR");
            assert_eq!(resp["message"], expected.as_str(), "{method} {path}");
        }
    }
    // `..` only reaches the server unnormalised on a raw connection.
    let raw = raw_request(&api, "GET /crm/v3/objects/../123").await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(
        raw.contains("Unable to infer object type from: .."),
        "{raw}"
    );
    // An empty type segment.
    for path in [
        "/crm/v3/objects/",
        "/crm/v3/objects//123",
        "/crm/v3/properties/",
    ] {
        let (status, resp) = api.get(path).await;
        assert_eq!(status, 400, "{path}: {resp}");
        assert_error(&resp, "VALIDATION_ERROR");
        assert_eq!(resp["message"], "Unable to infer object type from: ");
    }
    // Unknown types did not use up custom type slots.
    let (status, _) = api.get("/crm/v3/objects/2-5").await;
    assert_eq!(status, 200);
}

/// Sends `request_line` as is (no URL normalisation) and returns the whole answer.
async fn raw_request(api: &Api, request_line: &str) -> String {
    use std::io::{Read, Write};
    let addr = api.sandbox.addr();
    let request = format!(
        "{request_line} HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n"
    );
    // Blocking I/O off the runtime thread, which serves the sandbox.
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn custom_types_are_capped() {
    // The default cap: 64 unregistered custom types.
    let api = Api::start().await;
    for n in 1..=64 {
        let (status, body) = api.get(&format!("/crm/v3/objects/2-{n}")).await;
        assert_eq!(status, 200, "2-{n}: {body}");
    }
    let (status, body) = api
        .post("/crm/v3/objects/2-65", json!({"properties": {"a": "b"}}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "VALIDATION_ERROR");
    assert_eq!(
        body["message"],
        "Unable to use object type 2-65: this sandbox serves at most 64 custom object types that were not registered, and 64 are in use already."
    );
    assert_eq!(body["context"]["limit"], json!(["64"]));
    // Types in use keep working, standard types are not capped.
    let (status, _) = api
        .post("/crm/v3/objects/2-64", json!({"properties": {"a": "b"}}))
        .await;
    assert_eq!(status, 201);
    let (status, _) = api.get("/crm/v3/objects/tickets").await;
    assert_eq!(status, 200);
    let (status, _) = api.get("/crm/v3/properties/2-66").await;
    assert_eq!(status, 400);

    // A configured cap; registered types do not count against it.
    let api = Api::with(
        SandboxConfig::new()
            .max_custom_object_types(2)
            .custom_object_type("2-900", "cars"),
    )
    .await;
    for t in ["2-1", "2-2"] {
        let (status, _) = api
            .post(
                &format!("/crm/v3/objects/{t}"),
                json!({"properties": {"a": "b"}}),
            )
            .await;
        assert_eq!(status, 201, "{t}");
    }
    let (status, body) = api.post("/crm/v3/objects/2-3/search", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["context"]["limit"], json!(["2"]));
    let (status, body) = api
        .post(
            "/crm/v3/objects/2-900",
            json!({"properties": {"model": "T"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn registered_custom_objects_answer_to_their_name() {
    let api = Api::with(SandboxConfig::new().custom_object_type("2-4242", "cars")).await;
    let (status, car) = api
        .post(
            "/crm/v3/objects/cars",
            json!({"properties": {"model": "T"}}),
        )
        .await;
    assert_eq!(status, 201, "{car}");
    let id = car["id"].as_str().unwrap();
    for segment in ["cars", "CARS", "p_cars", "p1234567_cars", "2-4242"] {
        let (status, got) = api
            .get(&format!("/crm/v3/objects/{segment}/{id}?properties=model"))
            .await;
        assert_eq!(status, 200, "{segment}: {got}");
        assert_eq!(got["properties"]["model"], "T");
    }
    let (status, _) = api.get("/crm/v3/objects/p_boats").await;
    assert_eq!(status, 400);
    // Seeding takes the name as well.
    let seeded = api.sandbox.seed_object("cars", json!({"model": "S"}));
    let (status, got) = api
        .get(&format!("/crm/v3/objects/2-4242/{seeded}?properties=model"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["properties"]["model"], "S");
}

#[tokio::test]
async fn free_form_types_refuse_read_only_properties_and_deals_keep_their_schema() {
    let api = Api::start().await;
    for t in ["tickets", "2-77"] {
        let (status, body) = api
            .post(
                &format!("/crm/v3/objects/{t}"),
                json!({"properties": {"hs_object_id": "5", "anything": "goes"}}),
            )
            .await;
        assert_eq!(status, 400, "{t}: {body}");
        assert_eq!(body["errors"][0]["code"], "READ_ONLY_VALUE");
        let (status, body) = api
            .post(
                &format!("/crm/v3/objects/{t}"),
                json!({"properties": {"anything": "goes", "n": 3, "flag": true}}),
            )
            .await;
        assert_eq!(status, 201, "{t}: {body}");
        assert_eq!(body["properties"]["n"], "3");
        assert_eq!(body["properties"]["flag"], "true");
    }
    let (status, body) = api
        .post(
            "/crm/v3/objects/deals",
            json!({"properties": {"dealname": "x", "favourite_colour": "blue"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["code"], "PROPERTY_DOESNT_EXIST");
    // No required properties outside leads, and no required association.
    for t in ["deals", "tickets", "2-77"] {
        let (status, body) = api.post(&format!("/crm/v3/objects/{t}"), json!({})).await;
        assert_eq!(status, 201, "{t}: {body}");
    }
}

#[tokio::test]
async fn properties_api_describes_any_type() {
    let api = Api::start().await;
    let cases: [(&str, &[&str]); 4] = [
        ("deals", DEALS.defaults),
        ("0-5", TICKETS.defaults),
        ("2-1234567", WIDGETS.defaults),
        (
            "calls",
            &["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
        ),
    ];
    for (t, expected) in cases {
        let (status, body) = api.get(&format!("/crm/v3/properties/{t}")).await;
        assert_eq!(status, 200, "{t}: {body}");
        let props = body["results"].as_array().unwrap();
        for name in expected.iter().chain(&["hs_createdate"]) {
            let p = props
                .iter()
                .find(|p| p["name"] == *name)
                .unwrap_or_else(|| panic!("{t} lacks {name}: {body}"));
            for key in ["label", "type", "fieldType", "groupName", "options"] {
                assert!(p.get(key).is_some(), "{t} {name} lacks {key}");
            }
        }
        let (status, one) = api
            .get(&format!("/crm/v3/properties/{t}/hs_lastmodifieddate"))
            .await;
        assert_eq!(status, 200, "{t}: {one}");
        assert_eq!(one["type"], "datetime");
        assert_eq!(one["modificationMetadata"]["readOnlyValue"], true);
        let (status, body) = api.get(&format!("/crm/v3/properties/{t}/nope")).await;
        assert_eq!(status, 404, "{t}: {body}");
        assert_error(&body, "OBJECT_NOT_FOUND");
    }
    let (_, one) = api
        .get("/crm/v3/properties/tickets/hs_pipeline_stage")
        .await;
    assert_eq!(one["type"], "enumeration");
    assert_eq!(one["options"][0]["value"], "1");
    let (_, one) = api.get("/crm/v3/properties/2-1234567/hs_object_id").await;
    assert_eq!(one["type"], "number");
}

/// Default association between two new objects, checked from both ends.
async fn default_pair(api: &Api, from: (&str, &str), to: (&str, &str), ids: (u64, u64)) {
    let (status, body) = api
        .send(
            "PUT",
            &format!(
                "/crm/v4/objects/{}/{}/associations/default/{}/{}",
                from.0, from.1, to.0, to.1
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["associationSpec"]["associationTypeId"],
        ids.0
    );
    let (status, list) = api
        .get(&format!(
            "/crm/v4/objects/{}/{}/associations/{}",
            from.0, from.1, to.0
        ))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["results"][0]["toObjectId"].to_string(), to.1);
    assert_eq!(list["results"][0]["associationTypes"][0]["typeId"], ids.0);
    let (status, list) = api
        .get(&format!(
            "/crm/v4/objects/{}/{}/associations/{}",
            to.0, to.1, from.0
        ))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["results"][0]["toObjectId"].to_string(), from.1);
    assert_eq!(
        list["results"][0]["associationTypes"][0]["typeId"], ids.1,
        "{list}"
    );
}

#[tokio::test]
async fn associations_between_any_types() {
    let api = Api::start().await;
    let contact = api.contact("assoc@example.com").await;
    let company = api
        .sandbox
        .seed_object("companies", json!({"name": "Acme"}));
    let deal = api.sandbox.seed_object("0-3", json!({"dealname": "D"}));
    let ticket = api.sandbox.seed_object("tickets", json!({"subject": "T"}));
    let widget = api.sandbox.seed_object("2-1234567", json!({"size": "1"}));

    let pairs = [
        (("deals", &deal), ("contacts", &contact), (3, 4)),
        (("0-3", &deal), ("0-2", &company), (341, 342)),
        (("tickets", &ticket), ("contacts", &contact), (16, 15)),
        (("tickets", &ticket), ("companies", &company), (339, 340)),
        (("2-1234567", &widget), ("contacts", &contact), (9000, 9000)),
    ];
    for ((ft, f), (tt, t), ids) in pairs {
        default_pair(&api, (ft, f), (tt, t), ids).await;
    }

    // Labels of a pair with a table, and the default of a pair without one.
    let (_, labels) = api.get("/crm/v4/associations/0-5/0-1/labels").await;
    assert_eq!(
        labels["results"],
        json!([{"category": "HUBSPOT_DEFINED", "typeId": 16, "label": null}])
    );
    let (status, labels) = api.get("/crm/v4/associations/2-1234567/deals/labels").await;
    assert_eq!(status, 200);
    assert_eq!(
        labels["results"],
        json!([{"category": "HUBSPOT_DEFINED", "typeId": 9000, "label": null}])
    );

    // Create-time associations for new types; a wrong type id for a defined pair is refused.
    let (status, body) = api
        .post(
            "/crm/v3/objects/tickets",
            json!({"properties": {"subject": "With contact"}, "associations": [{
                "to": {"id": contact},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 16}]
            }]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let new_ticket = body["id"].as_str().unwrap();
    let (_, got) = api
        .get(&format!(
            "/crm/v3/objects/tickets/{new_ticket}?associations=contacts"
        ))
        .await;
    assert_eq!(
        got["associations"]["contacts"]["results"][0]["type"],
        "ticket_to_contact"
    );
    let (status, body) = api
        .post(
            "/crm/v3/objects/tickets",
            json!({"associations": [{
                "to": {"id": contact},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]
            }]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api
        .post(
            "/crm/v3/objects/2-1234567",
            json!({"properties": {"size": "2"}, "associations": [{
                "to": {"id": deal},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 9000}]
            }]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // v4 batch default between a custom type and deals.
    let (status, body) = api
        .post(
            "/crm/v4/associations/2-1234567/0-3/batch/associate/default",
            json!({"inputs": [{"from": {"id": widget}, "to": {"id": deal}}, {"from": {"id": "1"}, "to": {"id": deal}}]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    let (status, body) = api
        .post(
            "/crm/v4/associations/deals/2-1234567/batch/read",
            json!({"inputs": [{"id": deal}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["to"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn limits_and_faults_apply_to_any_type() {
    let api = Api::with(
        SandboxConfig::new()
            .rate_limit(3, Duration::from_secs(10))
            .search_rate_limit(1),
    )
    .await;
    for _ in 0..3 {
        let (status, _) = api.get("/crm/v3/objects/2-1234567").await;
        assert_eq!(status, 200);
    }
    let (status, body) = api.get("/crm/v3/objects/0-3").await;
    assert_eq!(status, 429);
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    let (status, _) = api.post("/crm/v3/objects/tickets/search", json!({})).await;
    assert_eq!(status, 200);
    let (status, body) = api.post("/crm/v3/objects/2-9/search", json!({})).await;
    assert_eq!(status, 429);
    assert_eq!(body["policyName"], "SECONDLY");

    let api = Api::with(SandboxConfig::new().fail_rate(1.0, 7)).await;
    let (status, _) = api.get("/crm/v3/objects/2-1234567").await;
    assert!([502, 503, 504].contains(&status), "{status}");
}

#[tokio::test]
async fn search_cap_applies_to_custom_objects() {
    let api = Api::start().await;
    for i in 0..10_050 {
        api.sandbox
            .seed_object("2-1234567", json!({"n": i.to_string()}));
    }
    let (status, page) = api
        .post(
            "/crm/v3/objects/2-1234567/search",
            json!({"after": 9_900, "limit": 200}),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 10_050);
    assert_eq!(page["results"].as_array().unwrap().len(), 100);
    assert_eq!(page["paging"]["next"]["after"], "10000", "{page}");
    let (status, body) = api
        .post("/crm/v3/objects/2-1234567/search", json!({"after": 10_000}))
        .await;
    assert_eq!(status, 400);
    assert_error(&body, "VALIDATION_ERROR");
}
