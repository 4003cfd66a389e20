//! The 2026-09 paths: one store with v3/v4, their own answer shapes, validation rules, and
//! recorded request bodies.

use serde_json::{Value, json};

use crate::{Sandbox, SandboxConfig, ValidationRule};

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

    // Updates and upserts fail per input.
    let typed = api
        .lead(
            V3,
            json!({"hs_lead_name": "Typed", "hs_lead_type": "UPSELL"}),
        )
        .await;
    let untyped = api.lead(V3, json!({"hs_lead_name": "Untyped"})).await;
    for op in ["update", "upsert"] {
        let (status, body) = api
            .post(
                &format!("{DATED}/leads/batch/{op}"),
                json!({"inputs": [
                    {"id": typed, "properties": {"hs_lead_label": "WARM"}},
                    {"id": untyped, "properties": {"hs_lead_label": "WARM"}},
                ]}),
            )
            .await;
        assert_eq!(status, 207, "{op}: {body}");
        assert_eq!(body["results"].as_array().unwrap().len(), 1);
        assert_eq!(body["results"][0]["id"], typed.as_str());
        assert_eq!(body["errors"][0]["context"], json!({"ids": [untyped]}));
        assert_eq!(
            body["errors"][0]["errors"][0]["context"],
            json!({"propertyName": ["hs_lead_type"]})
        );
    }
    let (status, _) = api
        .post(
            &format!("{V3}/leads/batch/update"),
            json!({"inputs": [{"id": untyped, "properties": {"hs_lead_label": "WARM"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    api.sandbox.shutdown().await;
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
    // Refused requests are logged with their bodies too.
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
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].path, "/crm/objects/2026-09/tickets");
    assert_eq!(log[0].body.as_deref(), Some(sent));
    assert_eq!(log[1].body.as_deref(), Some("{\u{fffd}}"));
    assert_eq!(log[2].method, "GET");
    assert_eq!(log[2].body, None);
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
