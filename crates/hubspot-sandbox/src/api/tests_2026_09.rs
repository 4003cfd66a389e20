//! The 2026-09 paths: one store with v3/v4, their own answer shapes, validation rules, and
//! recorded request bodies.

use serde_json::{Value, json};

use crate::{PartialSuccess, Sandbox, SandboxConfig, ValidationRule};

struct Api {
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Api {
    async fn with(config: SandboxConfig) -> Api {
        Api {
            sandbox: Sandbox::start(config).await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    async fn start() -> Api {
        Self::with(SandboxConfig::new()).await
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sandbox.base_url()))
            .bearer_auth("t");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(body)).await
    }

    /// A lead created on `prefix` with `properties`, associated with a new contact.
    async fn lead(&self, prefix: &str, properties: Value) -> String {
        let contact = self.sandbox.seed_contact(json!({}));
        let (status, body) = self
            .post(
                &format!("{prefix}/leads"),
                json!({
                    "properties": properties,
                    "associations": [{"to": {"id": contact}, "types": [
                        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}
                    ]}],
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }
}

const V3: &str = "/crm/v3/objects";
const DATED: &str = "/crm/objects/2026-09";

#[tokio::test]
async fn both_versions_read_and_write_one_store() {
    let api = Api::start().await;
    let on_v3 = api
        .lead(
            V3,
            json!({"hs_lead_name": "Made on v3", "hs_lead_label": "WARM"}),
        )
        .await;
    let on_dated = api
        .lead(DATED, json!({"hs_lead_name": "Made on 2026-09"}))
        .await;

    for (path, name) in [
        (format!("{DATED}/leads/{on_v3}"), "Made on v3"),
        (format!("{DATED}/0-136/{on_v3}"), "Made on v3"),
        (format!("{V3}/leads/{on_dated}"), "Made on 2026-09"),
    ] {
        let (status, body) = api.get(&format!("{path}?properties=hs_lead_name")).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["properties"]["hs_lead_name"], name);
        assert!(body.get("warnings").is_none());
    }
    let (_, body) = api
        .get(&format!("{DATED}/leads/{on_v3}?associations=contacts"))
        .await;
    assert_eq!(
        body["associations"]["contacts"]["results"][0]["type"],
        "lead_to_primary_contact"
    );

    // An update on one line reads back on the other.
    let (status, _) = api
        .send(
            "PATCH",
            &format!("{DATED}/leads/{on_v3}"),
            Some(json!({"properties": {"hs_lead_label": "HOT"}})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = api
        .get(&format!("{V3}/leads/{on_v3}?properties=hs_lead_label"))
        .await;
    assert_eq!(body["properties"]["hs_lead_label"], "HOT");

    // Batch read, list and search see both leads.
    let (status, body) = api
        .post(
            &format!("{DATED}/leads/batch/read"),
            json!({"inputs": [{"id": on_v3}, {"id": on_dated}], "properties": ["hs_lead_name"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "COMPLETE");
    assert_eq!(body["results"].as_array().unwrap().len(), 2);
    assert!(body["startedAt"].is_string() && body["completedAt"].is_string());
    let (_, body) = api.get(&format!("{DATED}/leads?limit=1")).await;
    assert_eq!(body["results"][0]["id"], on_v3.as_str());
    let link = body["paging"]["next"]["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}{DATED}/leads?after=", api.sandbox.base_url())),
        "{link}"
    );
    let (status, body) = api
        .post(&format!("{DATED}/leads/search"), json!({"query": "Made"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 2);

    // Properties are the same definitions.
    let (status, dated) = api.get("/crm/properties/2026-09/leads").await;
    assert_eq!(status, 200);
    let (_, v3) = api.get("/crm/v3/properties/leads").await;
    let names = |v: &Value| -> Vec<Value> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].clone())
            .collect()
    };
    assert_eq!(names(&dated), names(&v3));
    let (status, body) = api.get("/crm/properties/2026-09/0-136/hs_lead_name").await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "hs_lead_name");

    // Archived on 2026-09, gone on v3.
    let (status, _) = api
        .send("DELETE", &format!("{DATED}/leads/{on_dated}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = api.get(&format!("{V3}/leads/{on_dated}")).await;
    assert_eq!(status, 404);
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn dated_paths_answer_unknown_routes_and_types_like_the_legacy_ones() {
    let api = Api::start().await;
    let lead = api.lead(DATED, json!({"hs_lead_name": "L"})).await;
    // 2026-09 has no per-object list of associations.
    let (status, body) = api
        .get(&format!("{DATED}/leads/{lead}/associations/contacts"))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["category"], "OBJECT_NOT_FOUND");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Unable to find a route for GET"),
        "{body}"
    );
    for path in [
        "/crm/objects/2026-09//1",
        "/crm/properties/2026-09/",
        "/crm/associations/2026-09//contacts/labels",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["message"], "Unable to infer object type from: ");
    }
    let (status, body) = api.get("/crm/objects/2026-09/widgets").await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Unable to infer object type from: widgets");
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn dated_association_put_delete_default_and_labels() {
    let api = Api::start().await;
    let lead = api.lead(V3, json!({"hs_lead_name": "L"})).await;
    let company = api
        .sandbox
        .seed_object("companies", json!({"name": "Acme"}));
    let path = format!("{DATED}/leads/{lead}/associations/companies/{company}");
    let (status, body) = api
        .send(
            "PUT",
            &path,
            Some(json!([
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 580}
            ])),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["fromObjectTypeId"], "0-136");
    assert_eq!(body["toObjectTypeId"], "0-2");
    assert_eq!(body["labels"], json!(["Primary"]));
    // The v4 list reads the same store.
    let (_, listed) = api
        .get(&format!(
            "/crm/v4/objects/leads/{lead}/associations/companies"
        ))
        .await;
    assert_eq!(listed["results"][0]["associationTypes"][0]["typeId"], 580);

    let (status, _) = api.send("DELETE", &path, None).await;
    assert_eq!(status, 204);
    let (_, listed) = api
        .get(&format!(
            "/crm/v4/objects/leads/{lead}/associations/companies"
        ))
        .await;
    assert_eq!(listed["results"], json!([]));

    let (status, body) = api
        .send(
            "PUT",
            &format!("{DATED}/leads/{lead}/associations/default/companies/{company}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "COMPLETE");
    assert_eq!(
        body["results"][0]["associationSpec"],
        json!({"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 610})
    );

    // Labels: {category, typeId, label} and nothing else.
    let (status, body) = api
        .get("/crm/associations/2026-09/leads/contacts/labels")
        .await;
    assert_eq!(status, 200);
    let results = body["results"].as_array().unwrap();
    let primary = results.iter().find(|r| r["typeId"] == 578).unwrap();
    assert_eq!(
        primary,
        &json!({"category": "HUBSPOT_DEFINED", "typeId": 578, "label": "Primary"})
    );
    assert!(results.iter().all(|r| r.as_object().unwrap().len() == 3));
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn dated_association_batches_page_reads_and_answer_archives_with_a_body() {
    let api = Api::start().await;
    let contact = api
        .sandbox
        .seed_contact(json!({"email": "many@example.com"}));
    let total = crate::ASSOCIATION_BATCH_READ_PAGE + 1;
    let companies: Vec<String> = (0..total)
        .map(|i| {
            let c = api
                .sandbox
                .seed_object("companies", json!({"name": format!("Co {i}")}));
            api.sandbox.seed_association(&contact, &c, 279);
            c
        })
        .collect();
    let read = "/crm/associations/2026-09/contacts/companies/batch/read";
    let (status, body) = api
        .post(read, json!({"inputs": [{"id": contact}, {"id": "999"}]}))
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["numErrors"], 1);
    let first = &body["results"][0];
    assert_eq!(first["from"]["id"], contact.as_str());
    let page = first["to"].as_array().unwrap();
    assert_eq!(page.len(), crate::ASSOCIATION_BATCH_READ_PAGE);
    assert_eq!(page[0]["toObjectId"].to_string(), companies[0]);
    let after = first["paging"]["next"]["after"].as_str().unwrap();
    assert_eq!(after, companies[total - 1]);

    let (status, body) = api
        .post(read, json!({"inputs": [{"id": contact, "after": after}]}))
        .await;
    assert_eq!(status, 200);
    let rest = &body["results"][0];
    assert_eq!(rest["to"].as_array().unwrap().len(), 1);
    assert_eq!(
        rest["to"][0]["toObjectId"].to_string(),
        companies[total - 1]
    );
    assert!(rest.get("paging").is_none());
    let (status, body) = api
        .post(
            read,
            json!({"inputs": [{"id": contact, "after": "not-a-cursor"}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // v4 keeps answering every target at once.
    let (_, body) = api
        .post(
            "/crm/v4/associations/contacts/companies/batch/read",
            json!({"inputs": [{"id": contact}]}),
        )
        .await;
    assert_eq!(body["results"][0]["to"].as_array().unwrap().len(), total);
    assert!(body["results"][0].get("paging").is_none());

    // Create answers 200 on 2026-09.
    let extra = api
        .sandbox
        .seed_object("companies", json!({"name": "Extra"}));
    let (status, body) = api
        .post(
            "/crm/associations/2026-09/contacts/companies/batch/create",
            json!({"inputs": [{"from": {"id": contact}, "to": {"id": extra}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}
            ]}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["labels"], json!(["Primary"]));

    // Archives answer 200 with an empty batch result, where v4 answers 204.
    let (status, body) = api
        .post(
            "/crm/associations/2026-09/contacts/companies/batch/labels/archive",
            json!({"inputs": [{"from": {"id": contact}, "to": {"id": extra}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}
            ]}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "COMPLETE");
    assert_eq!(body["results"], json!([]));
    let (status, body) = api
        .post(
            "/crm/associations/2026-09/contacts/companies/batch/archive",
            json!({"inputs": [{"from": {"id": contact}, "to": [{"id": companies[0]}]}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Sorted: serde_json keeps insertion order when another crate turns `preserve_order` on.
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["completedAt", "results", "startedAt", "status"]);
    let (status, _) = api
        .post(
            "/crm/v4/associations/contacts/companies/batch/archive",
            json!({"inputs": [{"from": {"id": contact}, "to": [{"id": companies[1]}]}]}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, body) = api.post(read, json!({"inputs": [{"id": contact}]})).await;
    let page = body["results"][0]["to"].as_array().unwrap();
    assert_eq!(
        page.len(),
        total - 2,
        "two archived; the created one lost its only label"
    );
    api.sandbox.shutdown().await;
}

fn rules_config() -> SandboxConfig {
    SandboxConfig::new()
        .validation_rule(ValidationRule::required_when(
            "leads",
            "hs_lead_type",
            "hs_lead_label",
            "WARM",
        ))
        .validation_rule(ValidationRule::required_on_create(
            "0-5",
            "hs_ticket_priority",
        ))
}

/// Asserts the exact error body of a broken rule, for one required property.
fn assert_rule_error(body: &Value, property: &str, detail: &str) {
    // Sorted: serde_json keeps insertion order when another crate turns `preserve_order` on.
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["category", "correlationId", "errors", "message", "status"],
        "{body}"
    );
    assert_eq!(body["status"], "error");
    assert_eq!(body["category"], "VALIDATION_ERROR");
    assert_eq!(
        body["message"],
        format!("Property values were not valid: {detail}")
    );
    uuid::Uuid::parse_str(body["correlationId"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["errors"],
        json!([{
            "message": detail,
            "code": "REQUIRED_FIELD",
            "context": {"propertyName": [property]},
        }])
    );
}

const WARM_NEEDS_TYPE: &str =
    "Property \"hs_lead_type\" is required when \"hs_lead_label\" is \"WARM\"";
const TICKET_NEEDS_PRIORITY: &str =
    "Property \"hs_ticket_priority\" is required to create a ticket";

#[tokio::test]
async fn validation_rules_apply_to_dated_writes_only() {
    let api = Api::with(rules_config()).await;
    let contact = api.sandbox.seed_contact(json!({}));
    let warm = json!({
        "properties": {"hs_lead_name": "Warm", "hs_lead_label": "WARM"},
        "associations": [{"to": {"id": contact}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}
        ]}],
    });
    let (status, body) = api.post(&format!("{DATED}/leads"), warm.clone()).await;
    assert_eq!(status, 400);
    assert_rule_error(&body, "hs_lead_type", WARM_NEEDS_TYPE);
    // v3 does not apply the account's rules.
    let (status, body) = api.post(&format!("{V3}/leads"), warm).await;
    assert_eq!(status, 201, "{body}");
    let lead = body["id"].as_str().unwrap().to_string();

    // A conditional rule checks the object as the write leaves it.
    let path = format!("{DATED}/leads/{lead}");
    let patch = |props: Value| {
        let (api, path) = (&api, &path);
        async move {
            api.send("PATCH", path, Some(json!({"properties": props})))
                .await
        }
    };
    let (status, body) = patch(json!({"hs_lead_source": "web"})).await;
    assert_eq!(status, 400);
    assert_rule_error(&body, "hs_lead_type", WARM_NEEDS_TYPE);
    let (status, _) = patch(json!({"hs_lead_type": "NEW_BUSINESS"})).await;
    assert_eq!(status, 200);
    let (status, body) = patch(json!({"hs_lead_type": ""})).await;
    assert_eq!(status, 400, "clearing a required value: {body}");
    let (status, _) = patch(json!({"hs_lead_type": "", "hs_lead_label": "COLD"})).await;
    assert_eq!(status, 200);
    let (status, _) = api
        .send(
            "PATCH",
            &format!("{V3}/leads/{lead}"),
            Some(json!({"properties": {"hs_lead_label": "WARM"}})),
        )
        .await;
    assert_eq!(status, 200, "v3 updates are not checked");

    // A create-form rule: creates only, for the type named by id or name.
    let (status, body) = api
        .post(
            &format!("{DATED}/tickets"),
            json!({"properties": {"subject": "No priority"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_rule_error(&body, "hs_ticket_priority", TICKET_NEEDS_PRIORITY);
    let (status, body) = api
        .post(
            &format!("{DATED}/0-5"),
            json!({"properties": {"subject": "Urgent", "hs_ticket_priority": "HIGH"}}),
        )
        .await;
    assert_eq!(status, 201);
    let ticket = body["id"].as_str().unwrap();
    let (status, _) = api
        .send(
            "PATCH",
            &format!("{DATED}/tickets/{ticket}"),
            Some(json!({"properties": {"subject": "Renamed"}})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .post(
            &format!("{V3}/tickets"),
            json!({"properties": {"subject": "No priority"}}),
        )
        .await;
    assert_eq!(status, 201);
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn validation_rules_fail_only_the_breaking_inputs_of_a_batch() {
    let api = Api::with(rules_config()).await;
    let ticket = |subject: &str, priority: Option<&str>, trace: Option<&str>| {
        let mut input = json!({"properties": {"subject": subject}});
        if let Some(p) = priority {
            input["properties"]["hs_ticket_priority"] = json!(p);
        }
        if let Some(t) = trace {
            input["objectWriteTraceId"] = json!(t);
        }
        input
    };
    let create = format!("{DATED}/tickets/batch/create");
    let (status, body) = api
        .post(
            &create,
            json!({"inputs": [
                ticket("ok", Some("LOW"), Some("t-1")),
                ticket("broken", None, Some("t-2")),
            ]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["results"][0]["objectWriteTraceId"], "t-1");
    assert_eq!(body["numErrors"], 1);
    let error = &body["errors"][0];
    assert_eq!(error["status"], "error");
    assert_eq!(error["category"], "VALIDATION_ERROR");
    assert_eq!(error["context"], json!({"objectWriteTraceId": ["t-2"]}));
    assert_eq!(error["errors"][0]["code"], "REQUIRED_FIELD");
    assert_eq!(
        error["errors"][0]["context"],
        json!({"propertyName": ["hs_ticket_priority"]})
    );
    // Without unique trace ids the whole batch fails and nothing is created.
    let (status, body) = api
        .post(
            &create,
            json!({"inputs": [ticket("ok", Some("LOW"), None), ticket("broken", None, None)]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_rule_error(&body, "hs_ticket_priority", TICKET_NEEDS_PRIORITY);
    let (_, listed) = api.get(&format!("{DATED}/tickets")).await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 1);
    // The same batch on v3 is accepted whole.
    let (status, body) = api
        .post(
            &format!("{V3}/tickets/batch/create"),
            json!({"inputs": [ticket("ok", Some("LOW"), None), ticket("broken", None, None)]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // Updates and upserts without opting in are refused whole, naming the property only,
    // and write nothing.
    let typed = api
        .lead(
            V3,
            json!({"hs_lead_name": "Typed", "hs_lead_type": "UPSELL"}),
        )
        .await;
    let untyped = api.lead(V3, json!({"hs_lead_name": "Untyped"})).await;
    let warm_both = |traced: bool| {
        let mut inputs = json!([
            {"id": typed, "properties": {"hs_lead_label": "WARM"}},
            {"id": untyped, "properties": {"hs_lead_label": "WARM"}},
        ]);
        if traced {
            inputs[0]["objectWriteTraceId"] = json!("t-typed");
            inputs[1]["objectWriteTraceId"] = json!("t-untyped");
        }
        json!({ "inputs": inputs })
    };
    let typed_label = format!("{V3}/leads/{typed}?properties=hs_lead_label");
    for op in ["update", "upsert"] {
        for traced in [false, true] {
            let (status, body) = api
                .post(&format!("{DATED}/leads/batch/{op}"), warm_both(traced))
                .await;
            assert_eq!(status, 400, "{op}: {body}");
            assert_rule_error(&body, "hs_lead_type", WARM_NEEDS_TYPE);
            let (_, read) = api.get(&typed_label).await;
            assert_eq!(
                read["properties"]["hs_lead_label"],
                Value::Null,
                "{op}: nothing written"
            );
        }
    }
    // v3 does not apply the rules.
    let (status, _) = api
        .post(
            &format!("{V3}/leads/batch/update"),
            json!({"inputs": [{"id": untyped, "properties": {"hs_lead_label": "WARM"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    api.sandbox.shutdown().await;

    // Where trace ids opt updates and upserts in, they fail per input.
    let opted = Api::with(rules_config().partial_success(PartialSuccess::TracedWrites)).await;
    let typed = opted
        .lead(
            V3,
            json!({"hs_lead_name": "Typed", "hs_lead_type": "UPSELL"}),
        )
        .await;
    let untyped = opted.lead(V3, json!({"hs_lead_name": "Untyped"})).await;
    for op in ["update", "upsert"] {
        let (status, body) = opted
            .post(
                &format!("{DATED}/leads/batch/{op}"),
                json!({"inputs": [
                    {"id": typed, "properties": {"hs_lead_label": "WARM"}, "objectWriteTraceId": "a"},
                    {"id": untyped, "properties": {"hs_lead_label": "WARM"}, "objectWriteTraceId": "b"},
                ]}),
            )
            .await;
        assert_eq!(status, 207, "{op}: {body}");
        assert_eq!(body["results"].as_array().unwrap().len(), 1);
        assert_eq!(body["results"][0]["id"], typed.as_str());
        assert_eq!(
            body["errors"][0]["context"],
            json!({"ids": [untyped], "objectWriteTraceId": ["b"]})
        );
        assert_eq!(
            body["errors"][0]["errors"][0]["context"],
            json!({"propertyName": ["hs_lead_type"]})
        );
    }
    opted.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_request_log_keeps_bodies_as_sent() {
    let api = Api::start().await;
    let url = |path: &str| format!("{}{path}", api.sandbox.base_url());
    let sent = r#"{"properties": {"subject": "Exact  spacing", "content": "é"}}"#;
    let resp = api
        .http
        .post(url("/crm/objects/2026-09/tickets"))
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body(sent)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    // Invalid UTF-8 is logged replaced.
    let resp = api
        .http
        .post(url("/crm/v3/objects/tickets"))
        .bearer_auth("t")
        .body(vec![b'{', 0xff, b'}'])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // A refused request is logged, without its body: it was never read.
    let resp = api
        .http
        .post(url("/crm/v3/objects/tickets"))
        .body(vec![b'{', 0xff, b'}'])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    api.get("/crm/v3/objects/tickets").await;

    let log = api.sandbox.request_log();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].path, "/crm/objects/2026-09/tickets");
    assert_eq!(log[0].body.as_deref(), Some(sent));
    assert_eq!(log[1].body.as_deref(), Some("{\u{fffd}}"));
    assert_eq!(log[2].path, "/crm/v3/objects/tickets");
    assert_eq!(log[2].body, None);
    assert_eq!(log[3].method, "GET");
    assert_eq!(log[3].body, None);
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn dated_searches_share_the_search_rate_limit() {
    let api = Api::with(SandboxConfig::new().search_rate_limit(1)).await;
    let (status, _) = api.post(&format!("{V3}/leads/search"), json!({})).await;
    assert_eq!(status, 200);
    let (status, body) = api.post(&format!("{DATED}/leads/search"), json!({})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["policyName"], "SECONDLY");
    api.sandbox.shutdown().await;
}

/// Sorted keys of a JSON object (serde_json keeps insertion order when another crate turns
/// `preserve_order` on).
fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    keys
}

/// Ids of the companies associated with `contact`, read on v4.
async fn companies_of(api: &Api, contact: &str) -> Vec<String> {
    let (_, body) = api
        .get(&format!(
            "/crm/v4/objects/contacts/{contact}/associations/companies"
        ))
        .await;
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["toObjectId"].to_string())
        .collect()
}

#[tokio::test]
async fn association_batch_archives_carry_out_valid_inputs_and_report_the_others() {
    let api = Api::start().await;
    let contact = api.sandbox.seed_contact(json!({}));
    let companies: Vec<String> = (0..6)
        .map(|i| {
            let c = api
                .sandbox
                .seed_object("companies", json!({"name": format!("Co {i}")}));
            api.sandbox.seed_association(&contact, &c, 279);
            c
        })
        .collect();
    let archived_contact = api.sandbox.seed_contact(json!({}));
    assert_eq!(
        api.send("DELETE", &format!("{V3}/contacts/{archived_contact}"), None)
            .await
            .0,
        204
    );

    for (line, prefix, ok) in [
        ("v4", "/crm/v4/associations", 204),
        ("2026-09", "/crm/associations/2026-09", 200),
    ] {
        let (kept, removed) = match line {
            "v4" => (&companies[0], &companies[1]),
            _ => (&companies[2], &companies[3]),
        };
        // A missing from-record, an archived one, a missing target next to a valid one.
        let (status, body) = api
            .post(
                &format!("{prefix}/contacts/companies/batch/archive"),
                json!({"inputs": [
                    {"from": {"id": "999999"}, "to": [{"id": kept}]},
                    {"from": {"id": archived_contact}, "to": [{"id": kept}]},
                    {"from": {"id": contact}, "to": [{"id": removed}, {"id": "888888"}]},
                ]}),
            )
            .await;
        assert_eq!(status, 207, "{line}: {body}");
        assert_eq!(
            keys(&body),
            [
                "completedAt",
                "errors",
                "numErrors",
                "results",
                "startedAt",
                "status"
            ],
            "{line}"
        );
        assert_eq!(body["status"], "COMPLETE");
        assert_eq!(body["results"], json!([]));
        assert_eq!(body["numErrors"], 3, "{line}: {body}");
        let errors = body["errors"].as_array().unwrap();
        for e in errors {
            assert_eq!(e["status"], "error");
            assert_eq!(e["category"], "OBJECT_NOT_FOUND", "{line}: {e}");
        }
        assert_eq!(errors[0]["message"], "No contact with id 999999 exists.");
        assert_eq!(errors[0]["context"], json!({"fromObjectId": ["999999"]}));
        assert_eq!(
            errors[1]["context"],
            json!({"fromObjectId": [archived_contact]})
        );
        assert_eq!(errors[2]["message"], "No company with id 888888 exists.");
        assert_eq!(
            errors[2]["context"],
            json!({"fromObjectId": [contact], "toObjectId": ["888888"]})
        );
        // The valid pair was removed; the others were left alone.
        let now = companies_of(&api, &contact).await;
        assert!(!now.contains(removed), "{line}: {now:?}");
        assert!(now.contains(kept), "{line}: {now:?}");

        // Removing it again is no failure, nor is a pair that was never associated.
        let stranger = api.sandbox.seed_object("companies", json!({}));
        let (status, body) = api
            .post(
                &format!("{prefix}/contacts/companies/batch/archive"),
                json!({"inputs": [{"from": {"id": contact}, "to": [{"id": removed}, {"id": stranger}]}]}),
            )
            .await;
        assert_eq!(status, ok, "{line}: {body}");
        if ok == 204 {
            assert_eq!(body, Value::String(String::new()));
        } else {
            assert_eq!(
                keys(&body),
                ["completedAt", "results", "startedAt", "status"]
            );
        }
    }

    // Labels: an unknown type for the pair, a missing record, and a valid removal.
    for (line, prefix, ok) in [
        ("v4", "/crm/v4/associations", 204),
        ("2026-09", "/crm/associations/2026-09", 200),
    ] {
        let target = match line {
            "v4" => &companies[4],
            _ => &companies[5],
        };
        let spec = |tid: u32| json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": tid}]);
        let path = format!("{prefix}/contacts/companies/batch/labels/archive");
        let (status, body) = api
            .post(
                &path,
                json!({"inputs": [
                    {"from": {"id": contact}, "to": {"id": companies[0]}, "types": spec(578)},
                    {"from": {"id": "999999"}, "to": {"id": companies[0]}, "types": spec(279)},
                    {"from": {"id": contact}, "to": {"id": "777777"}, "types": spec(279)},
                    {"from": {"id": contact}, "to": {"id": target}, "types": spec(279)},
                ]}),
            )
            .await;
        assert_eq!(status, 207, "{line}: {body}");
        assert_eq!(
            keys(&body),
            [
                "completedAt",
                "errors",
                "numErrors",
                "results",
                "startedAt",
                "status"
            ]
        );
        assert_eq!(body["results"], json!([]));
        assert_eq!(body["numErrors"], 3, "{line}: {body}");
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors[0]["status"], "error");
        assert_eq!(errors[0]["category"], "VALIDATION_ERROR", "{line}: {body}");
        assert_eq!(
            errors[0]["message"],
            "HUBSPOT_DEFINED 578 is not a valid association type between contact and company."
        );
        assert_eq!(errors[0]["errors"][0]["code"], "INVALID_ASSOCIATION_TYPE");
        assert_eq!(
            errors[0]["context"],
            json!({"fromObjectId": [contact], "toObjectId": [companies[0]]})
        );
        assert_eq!(errors[1]["category"], "OBJECT_NOT_FOUND");
        assert_eq!(errors[1]["message"], "No contact with id 999999 exists.");
        assert_eq!(
            errors[1]["context"],
            json!({"fromObjectId": ["999999"], "toObjectId": [companies[0]]})
        );
        assert_eq!(errors[2]["category"], "OBJECT_NOT_FOUND");
        assert_eq!(errors[2]["message"], "No company with id 777777 exists.");
        assert_eq!(errors[2]["context"]["toObjectId"], json!(["777777"]));
        let now = companies_of(&api, &contact).await;
        assert!(
            !now.contains(target),
            "{line}: the valid input was carried out"
        );
        assert!(now.contains(&companies[0]), "{line}: {now:?}");

        // The same removal again is no failure.
        let (status, body) = api
            .post(
                &path,
                json!({"inputs": [{"from": {"id": contact}, "to": {"id": target}, "types": spec(279)}]}),
            )
            .await;
        assert_eq!(status, ok, "{line}: {body}");
    }
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_association_batch_read_page_size_is_configurable() {
    let api = Api::with(SandboxConfig::new().association_page_size(2)).await;
    let contact = api.sandbox.seed_contact(json!({}));
    let lonely = api.sandbox.seed_contact(json!({}));
    let companies: Vec<String> = (0..5)
        .map(|i| {
            let c = api
                .sandbox
                .seed_object("companies", json!({"name": format!("Co {i}")}));
            api.sandbox.seed_association(&contact, &c, 279);
            c
        })
        .collect();
    api.sandbox.seed_association(&lonely, &companies[0], 279);
    let read = "/crm/associations/2026-09/contacts/companies/batch/read";

    // Pages of two, whatever the client would have liked, each input paged on its own.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut input = json!({"id": contact});
        if let Some(a) = &after {
            input["after"] = json!(a);
        }
        let (status, body) = api
            .post(read, json!({"inputs": [input, {"id": lonely}]}))
            .await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        let results = body["results"].as_array().unwrap();
        let mine = results
            .iter()
            .find(|r| r["from"]["id"] == contact.as_str())
            .unwrap();
        let other = results
            .iter()
            .find(|r| r["from"]["id"] == lonely.as_str())
            .unwrap();
        assert_eq!(other["to"].as_array().unwrap().len(), 1);
        assert!(other.get("paging").is_none());
        let page = mine["to"].as_array().unwrap();
        assert!(page.len() <= 2, "{body}");
        seen.extend(page.iter().map(|t| t["toObjectId"].to_string()));
        match mine["paging"]["next"]["after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, companies);

    // v4 does not page.
    let (_, body) = api
        .post(
            "/crm/v4/associations/contacts/companies/batch/read",
            json!({"inputs": [{"id": contact}]}),
        )
        .await;
    assert_eq!(body["results"][0]["to"].as_array().unwrap().len(), 5);
    assert!(body["results"][0].get("paging").is_none());
    api.sandbox.shutdown().await;

    // Zero is taken as one.
    let api = Api::with(SandboxConfig::new().association_page_size(0)).await;
    let contact = api.sandbox.seed_contact(json!({}));
    for _ in 0..2 {
        let c = api.sandbox.seed_object("companies", json!({}));
        api.sandbox.seed_association(&contact, &c, 279);
    }
    let (status, body) = api.post(read, json!({"inputs": [{"id": contact}]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["to"].as_array().unwrap().len(), 1);
    assert!(body["results"][0]["paging"]["next"]["after"].is_string());
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn refused_requests_are_answered_without_reading_their_bodies() {
    use std::io::{Read, Write};

    let api = Api::with(
        SandboxConfig::new()
            .access_token("right")
            .search_rate_limit(1),
    )
    .await;
    let url = |path: &str| format!("{}{path}", api.sandbox.base_url());

    // A 401 comes before the body is sent: the sandbox does not wait for it.
    let announced = 10 * 1024 * 1024;
    let addr = api.sandbox.addr();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        write!(
            s,
            "POST /crm/v3/objects/tickets HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer wrong\r\n\
             Content-Type: application/json\r\nContent-Length: {announced}\r\n\r\n{{\"properties\":"
        )
        .unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    })
    .await
    .unwrap();
    assert_eq!(answer, "HTTP/1.1 401");

    // The refused body is read out and forgotten, so the connection can carry the next
    // request (keep-alive), as it can after an accepted one.
    let answers = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let body = "x".repeat(2 * 1024 * 1024);
        write!(
            s,
            "POST /crm/v3/objects/tickets HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer wrong\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}\
             GET /crm/v3/objects/tickets HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer right\r\n\
             Connection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        let mut all = String::new();
        let _ = s.read_to_string(&mut all);
        let statuses: Vec<String> = all
            .split("HTTP/1.1 ")
            .skip(1)
            .map(|a| a.chars().take(3).collect())
            .collect();
        statuses
    })
    .await
    .unwrap();
    assert_eq!(answers, ["401", "200"], "two answers on one connection");

    // A big refused body still lets the connection be used again, and the answer is the 401
    // rather than a reset connection.
    let http = reqwest::Client::new();
    let big = format!(
        r#"{{"properties": {{"subject": "{}"}}}}"#,
        "x".repeat(4 * 1024 * 1024)
    );
    for _ in 0..2 {
        let resp = http
            .post(url("/crm/v3/objects/tickets"))
            .bearer_auth("wrong")
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    let small = r#"{"properties": {"subject": "fine"}}"#;
    let resp = http
        .post(url("/crm/v3/objects/tickets"))
        .bearer_auth("right")
        .header("content-type", "application/json")
        .body(small)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    // A 429 does not read the body either.
    let search = |body: &'static str| {
        http.post(url("/crm/v3/objects/tickets/search"))
            .bearer_auth("right")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(search(r#"{"query": "one"}"#).await.unwrap().status(), 200);
    assert_eq!(search(r#"{"query": "two"}"#).await.unwrap().status(), 429);

    let log = api.sandbox.request_log();
    let bodies: Vec<(&str, Option<&str>)> = log
        .iter()
        .map(|r| (r.path.as_str(), r.body.as_deref()))
        .collect();
    assert_eq!(
        bodies,
        [
            ("/crm/v3/objects/tickets", None),
            ("/crm/v3/objects/tickets", None),
            ("/crm/v3/objects/tickets", None),
            ("/crm/v3/objects/tickets", None),
            ("/crm/v3/objects/tickets", None),
            ("/crm/v3/objects/tickets", Some(small)),
            (
                "/crm/v3/objects/tickets/search",
                Some(r#"{"query": "one"}"#)
            ),
            ("/crm/v3/objects/tickets/search", None),
        ]
    );
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn dropped_and_proxy_failed_requests_are_logged_without_bodies() {
    for config in [
        SandboxConfig::new().drop_rate(1.0, 1),
        SandboxConfig::new().fail_rate(1.0, 1),
    ] {
        let api = Api::with(config).await;
        let sent = api
            .http
            .post(format!("{}/crm/v3/objects/tickets", api.sandbox.base_url()))
            .bearer_auth("t")
            .json(&json!({"properties": {"subject": "lost"}}))
            .send()
            .await;
        match sent {
            Ok(resp) => assert!(resp.status().is_server_error(), "{}", resp.status()),
            Err(e) => assert!(!e.is_connect(), "{e}"),
        }
        let log = api.sandbox.request_log();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].body, None);
        api.sandbox.shutdown().await;
    }
}
