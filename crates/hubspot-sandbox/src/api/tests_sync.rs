//! What a sync relies on: configured unique properties, `hs_lastmodifieddate` on every
//! write (ordered, searchable), errors after the work was done, and the search index lag.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::{Sandbox, SandboxConfig, lock};

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

    /// Status, body (JSON, else the text as a string) and `Content-Type`.
    async fn send_full(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, String) {
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
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body, content_type)
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, body, _) = self.send_full(method, path, body).await;
        (status, body)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("PATCH", path, Some(body)).await
    }

    /// Creates an object and returns its id.
    async fn create(&self, path: &str, properties: Value) -> String {
        let (status, body) = self.post(path, json!({"properties": properties})).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// The stored `hs_lastmodifieddate` of an object.
    fn last_modified(&self, otype: &str, id: &str) -> DateTime<Utc> {
        let store = lock(&self.sandbox.shared.store);
        let obj = store.get(otype, id.parse().unwrap()).unwrap();
        parse_time(obj.get("hs_lastmodifieddate").unwrap())
    }

    /// How many live objects of a type the store has.
    fn live_count(&self, otype: &str) -> usize {
        let store = lock(&self.sandbox.shared.store);
        store.type_store_ref(otype).map_or(0, |ts| {
            ts.objects.values().filter(|o| !o.archived()).count()
        })
    }
}

fn parse_time(v: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v).unwrap().with_timezone(&Utc)
}

const V3: &str = "/crm/v3/objects";
const DATED: &str = "/crm/objects/2026-09";
const MACHINES: &str = "/crm/v3/objects/2-777";

fn machines() -> SandboxConfig {
    SandboxConfig::new()
        .custom_object_type("2-777", "machines")
        .unique_property("machines", "serial")
}

/// HubSpot's 409 for a single write taking a unique value `existing` holds, with the
/// sandbox's `context.id`.
fn assert_conflict(body: &Value, existing: &str) {
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["category"], "CONFLICT", "{body}");
    assert_eq!(
        body["message"],
        format!("Record already exists. Existing ID: {existing}"),
        "{body}"
    );
    assert_eq!(body["context"]["id"], json!([existing]), "{body}");
    assert!(body["correlationId"].is_string());
}

/// HubSpot's 409 refusing a whole batch: the message names the first existing record, and
/// the body has nothing else.
fn assert_batch_conflict(body: &Value, existing: &str) {
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        4,
        "status, message, correlationId, category: {body}"
    );
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["category"], "CONFLICT", "{body}");
    assert_eq!(
        body["message"],
        format!("Record already exists. Existing ID: {existing}"),
        "{body}"
    );
    assert_eq!(body["correlationId"].as_str().unwrap().len(), 36, "{body}");
}

#[tokio::test]
async fn configured_unique_property_is_described_on_both_versions() {
    let api = Api::with(machines().unique_property("0-3", "external_id")).await;
    for path in [
        "/crm/v3/properties/2-777",
        "/crm/properties/2026-09/machines",
        "/crm/v3/properties/p_machines",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let serial = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "serial")
            .unwrap_or_else(|| panic!("{path}: {body}"));
        assert_eq!(serial["hasUniqueValue"], true);
        assert_eq!(serial["type"], "string");
        assert_eq!(serial["hubspotDefined"], false);
        assert_eq!(serial["modificationMetadata"]["readOnlyValue"], false);
        // Standard ones stay as they are.
        let id = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "hs_object_id")
            .unwrap();
        assert_eq!(id["hasUniqueValue"], false);
    }
    let (status, body) = api.get("/crm/properties/2026-09/deals/external_id").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["hasUniqueValue"], true);
    // Types without the property are unchanged.
    let (_, body) = api.get("/crm/v3/properties/2-778").await;
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["hasUniqueValue"] == false),
        "{body}"
    );
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unknown_type_for_a_unique_property_fails_the_start() {
    let err = Sandbox::start(SandboxConfig::new().unique_property("widgets", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("widgets"), "{err}");
}

#[tokio::test]
async fn configured_unique_property_conflicts_on_single_writes() {
    let api = Api::with(machines()).await;
    let a = api.create(MACHINES, json!({"serial": "A"})).await;
    let b = api.create(MACHINES, json!({"serial": "B"})).await;

    // Create, on both versions and by the type's name.
    for path in [MACHINES.to_string(), format!("{DATED}/machines")] {
        let (status, body) = api
            .post(&path, json!({"properties": {"serial": "A"}}))
            .await;
        assert_eq!(status, 409, "{path}: {body}");
        assert_conflict(&body, &a);
    }
    // Values compare exactly; empty values are not unique.
    api.create(MACHINES, json!({"serial": "a"})).await;
    api.create(MACHINES, json!({"serial": ""})).await;
    api.create(MACHINES, json!({"serial": ""})).await;

    // Update to a taken value; keeping one's own value is fine.
    let (status, body) = api
        .patch(
            &format!("{MACHINES}/{b}"),
            json!({"properties": {"serial": "A"}}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_conflict(&body, &a);
    let (status, body) = api
        .patch(
            &format!("{MACHINES}/{b}"),
            json!({"properties": {"serial": "B", "colour": "red"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The property addresses records.
    let (status, body) = api
        .get(&format!("{MACHINES}/B?idProperty=serial&properties=colour"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], b.as_str());
    assert_eq!(body["properties"]["colour"], "red");
    let (status, body) = api
        .patch(
            &format!("{DATED}/2-777/A?idProperty=serial"),
            json!({"properties": {"colour": "blue"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], a.as_str());
    let (status, _) = api.get(&format!("{MACHINES}/Z?idProperty=serial")).await;
    assert_eq!(status, 404);

    // Archiving releases the value; the archived record cannot come back while it is taken.
    let (status, _) = api.send("DELETE", &format!("{MACHINES}/{a}"), None).await;
    assert_eq!(status, 204);
    let again = api.create(MACHINES, json!({"serial": "A"})).await;
    assert!(!api.sandbox.restore("machines", &a));
    let (status, _) = api
        .send("DELETE", &format!("{MACHINES}/{again}"), None)
        .await;
    assert_eq!(status, 204);
    assert!(api.sandbox.restore("2-777", &a));
    let (status, body) = api.get(&format!("{MACHINES}/A?idProperty=serial")).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], a.as_str());
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn configured_unique_property_on_a_validated_type() {
    let api = Api::with(SandboxConfig::new().unique_property("deals", "external_id")).await;
    let first = api
        .create(
            &format!("{V3}/deals"),
            json!({"dealname": "One", "external_id": "ext-1"}),
        )
        .await;
    let (status, body) = api
        .post(
            &format!("{DATED}/0-3"),
            json!({"properties": {"dealname": "Two", "external_id": "ext-1"}}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["message"],
        format!("Deal already exists. Existing ID: {first}")
    );
    assert_eq!(body["context"]["id"], json!([first]));
    // Other unknown properties are still refused on a validated type.
    let (status, _) = api
        .post(
            &format!("{V3}/deals"),
            json!({"properties": {"dealname": "Three", "nope": "x"}}),
        )
        .await;
    assert_eq!(status, 400);
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn configured_unique_property_in_batches() {
    let api = Api::with(machines()).await;
    let a = api.create(MACHINES, json!({"serial": "A"})).await;
    let batch = |op: &str| format!("{MACHINES}/batch/{op}");

    // A conflict with a stored record fails a batch without trace ids whole.
    let (status, body) = api
        .post(
            &batch("create"),
            json!({"inputs": [
                {"properties": {"serial": "C"}},
                {"properties": {"serial": "A"}},
            ]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_batch_conflict(&body, &a);
    assert_eq!(
        api.live_count("2-777"),
        1,
        "nothing of the batch was created"
    );

    // A value repeated within one batch is a conflict too, trace ids or not, and nothing
    // of that batch is created.
    for traced in [false, true] {
        let input = |t: &str| {
            let mut i = json!({"properties": {"serial": "D"}});
            if traced {
                i["objectWriteTraceId"] = json!(t);
            }
            i
        };
        let (status, body) = api
            .post(
                &batch("create"),
                json!({"inputs": [
                    {"properties": {"serial": "X"}, "objectWriteTraceId": "tx"},
                    input("t1"),
                    input("t2"),
                ]}),
            )
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["category"], "CONFLICT");
        assert_eq!(
            body["message"],
            "A 2-777 record with serial \"D\" is in more than one input of this batch."
        );
        assert_eq!(body["context"]["propertyName"], json!(["serial"]));
        assert_eq!(
            api.live_count("2-777"),
            1,
            "nothing of the batch was created"
        );
    }

    // With a trace id on every input, the conflict fails only its input (207), tied by the
    // trace id and naming the existing record.
    let (status, body) = api
        .post(
            &batch("create"),
            json!({"inputs": [
                {"properties": {"serial": "E"}, "objectWriteTraceId": "e"},
                {"properties": {"serial": "A"}, "objectWriteTraceId": "a"},
            ]}),
        )
        .await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["results"][0]["properties"]["serial"], "E");
    let e = body["results"][0]["id"].as_str().unwrap().to_string();
    let error = &body["errors"][0];
    assert_eq!(error["category"], "CONFLICT");
    assert_eq!(
        error["message"],
        format!("Record already exists. Existing ID: {a}")
    );
    assert_eq!(error["context"]["objectWriteTraceId"], json!(["a"]));
    assert_eq!(error["context"]["id"], json!([a]));

    // Batch update without opting in: the input taking a used value refuses the batch, and
    // the other input's change is not kept.
    let (status, body) = api
        .post(
            &batch("update"),
            json!({"inputs": [
                {"id": "A", "idProperty": "serial", "properties": {"colour": "green"}},
                {"id": e, "properties": {"serial": "A"}},
            ]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_batch_conflict(&body, &a);
    let (_, read) = api.get(&format!("{MACHINES}/{a}?properties=colour")).await;
    assert_eq!(read["properties"]["colour"], Value::Null, "{read}");

    // Batch upsert by the property: updates what exists, creates the rest.
    let (status, body) = api
        .post(
            &batch("upsert"),
            json!({"inputs": [
                {"id": "A", "idProperty": "serial", "properties": {"colour": "black"}},
                {"id": "F", "idProperty": "serial", "properties": {"colour": "white"}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["id"], a.as_str());
    assert_eq!(body["results"][0]["new"], false);
    assert_eq!(body["results"][1]["new"], true);
    assert_eq!(body["results"][1]["properties"]["serial"], "F");
    // Upsert setting another record's value refuses the batch.
    let (status, body) = api
        .post(
            &batch("upsert"),
            json!({"inputs": [
                {"id": "F", "idProperty": "serial", "properties": {"serial": "A"}},
            ]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_batch_conflict(&body, &a);

    // Batch read by the property, on both versions.
    for prefix in [MACHINES.to_string(), format!("{DATED}/machines")] {
        let (status, body) = api
            .post(
                &format!("{prefix}/batch/read"),
                json!({
                    "idProperty": "serial",
                    "inputs": [{"id": "A"}, {"id": "F"}, {"id": "nope"}],
                    "properties": ["serial", "colour"],
                }),
            )
            .await;
        assert_eq!(status, 207, "{prefix}: {body}");
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["properties"]["colour"], "black");
        assert_eq!(results[1]["properties"]["serial"], "F");
        assert_eq!(body["errors"][0]["context"]["ids"], json!(["nope"]));
    }
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn every_write_stamps_hs_lastmodifieddate_in_milliseconds() {
    let api = Api::with(machines()).await;
    let contact = api.sandbox.seed_contact(json!({"email": "a@example.com"}));
    let id = api.create(MACHINES, json!({"serial": "S"})).await;
    let (_, created) = api.get(&format!("{MACHINES}/{id}")).await;
    let props = &created["properties"];
    assert_eq!(props["hs_lastmodifieddate"], props["hs_createdate"]);
    assert_eq!(created["updatedAt"], props["hs_lastmodifieddate"]);
    let mut last = api.last_modified("2-777", &id);
    assert_eq!(last.timestamp_subsec_nanos() % 1_000_000, 0, "milliseconds");

    // Each write moves it forward (or keeps it, within one millisecond).
    let step = |what: &str, last: &mut DateTime<Utc>| {
        let now = api.last_modified("2-777", &id);
        assert!(now >= *last, "{what}: {now} < {last}");
        *last = now;
        now
    };
    let pause = || tokio::time::sleep(Duration::from_millis(3));
    pause().await;
    api.patch(
        &format!("{MACHINES}/{id}"),
        json!({"properties": {"colour": "red"}}),
    )
    .await;
    let after_update = step("update", &mut last);
    assert!(after_update > parse_time(props["hs_createdate"].as_str().unwrap()));
    pause().await;
    let (status, _) = api
        .post(
            &format!("{MACHINES}/batch/update"),
            json!({"inputs": [{"id": id, "properties": {"colour": "blue"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(step("batch update", &mut last) > after_update);
    pause().await;
    let before = last;
    api.post(
        &format!("{MACHINES}/batch/upsert"),
        json!({"inputs": [{"id": "S", "idProperty": "serial", "properties": {"colour": "x"}}]}),
    )
    .await;
    assert!(step("upsert", &mut last) > before);

    // Association changes leave it alone.
    let before = last;
    let (status, body) = api
        .send(
            "PUT",
            &format!("/crm/v4/objects/2-777/{id}/associations/contacts/{contact}"),
            Some(json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 9000}])),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(step("association", &mut last), before);

    // Archive and restore stamp it; the archived record reads back with it.
    pause().await;
    let before = last;
    api.send("DELETE", &format!("{MACHINES}/{id}"), None).await;
    let archived_at = step("archive", &mut last);
    assert!(archived_at > before);
    let (_, body) = api.get(&format!("{MACHINES}/{id}?archived=true")).await;
    assert_eq!(
        body["archivedAt"],
        body["properties"]["hs_lastmodifieddate"]
    );
    pause().await;
    assert!(api.sandbox.restore("2-777", &id));
    assert!(step("restore", &mut last) > archived_at);
    let (status, body) = api.get(&format!("{MACHINES}/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["archived"], false);

    // Contacts keep `lastmodifieddate` alongside.
    let (_, body) = api
        .patch(
            &format!("{V3}/contacts/{contact}"),
            json!({"properties": {"firstname": "Ada"}}),
        )
        .await;
    assert_eq!(
        body["properties"]["lastmodifieddate"],
        body["properties"]["hs_lastmodifieddate"]
    );
    api.sandbox.shutdown().await;
}

#[test]
fn write_stamps_follow_the_order_of_writes_even_if_the_clock_steps_back() {
    let mut store = crate::store::Store::default();
    let mut stamps = Vec::new();
    for i in 0..2_000 {
        let id = store.insert("tickets", vec![("subject".into(), format!("t{i}"))]);
        stamps.push(store.get("tickets", id).unwrap().updated_at);
        if i % 3 == 0 {
            store.update("tickets", id, vec![("subject".into(), "u".into())]);
            stamps.push(store.get("tickets", id).unwrap().updated_at);
        }
    }
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    // A clock stepping back (here: a write stamped an hour ahead) never yields an earlier
    // stamp than one already handed out.
    let ahead = store.now() + chrono::Duration::hours(1);
    store.clock_at_least(ahead);
    let id = store.insert("tickets", Vec::new());
    let obj = store.get("tickets", id).unwrap();
    assert_eq!(obj.updated_at, ahead);
    assert_eq!(
        obj.get("hs_lastmodifieddate"),
        Some(crate::store::fmt_time(ahead).as_str())
    );
}

/// Search by `hs_lastmodifieddate`, ascending, from `value` with `operator`.
fn changes_since(operator: &str, value: Value, limit: u64) -> Value {
    json!({
        "filterGroups": [{"filters": [
            {"propertyName": "hs_lastmodifieddate", "operator": operator, "value": value}
        ]}],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["hs_lastmodifieddate"],
        "limit": limit,
    })
}

fn ids(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn hs_lastmodifieddate_is_searchable_and_sortable_as_a_datetime() {
    let api = Api::with(machines()).await;
    for otype in ["2-777", "leads", "contacts", "tickets"] {
        let path = format!("{V3}/{otype}/search");
        let contact = api.sandbox.seed_contact(json!({}));
        let property = match otype {
            "leads" => "hs_lead_name",
            "contacts" => "firstname",
            "tickets" => "subject",
            _ => "n",
        };
        // Three records a few milliseconds apart, then the first updated last.
        let mut made = Vec::new();
        for n in 0..3 {
            let id = match otype {
                "leads" => api.sandbox.seed_leads(&contact, 1).remove(0),
                _ => api
                    .sandbox
                    .seed_object(otype, json!({property: n.to_string()})),
            };
            made.push(id);
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        let update = json!({"properties": {property: "changed"}});
        let (status, _) = api
            .patch(&format!("{V3}/{otype}/{}", made[0]), update)
            .await;
        assert_eq!(status, 200);
        let stamp = |id: &str| api.last_modified(otype, id);
        let second = stamp(&made[1]);
        let millis = second.timestamp_millis();

        // GTE with epoch milliseconds (as a string or a number) or an ISO instant.
        for value in [
            json!(millis.to_string()),
            json!(millis),
            json!(crate::store::fmt_time(second)),
        ] {
            let (status, body) = api.post(&path, changes_since("GTE", value, 10)).await;
            assert_eq!(status, 200, "{otype}: {body}");
            assert_eq!(
                ids(&body),
                vec![made[1].clone(), made[2].clone(), made[0].clone()],
                "{otype}"
            );
        }
        let (_, body) = api
            .post(&path, changes_since("GT", json!(millis), 10))
            .await;
        assert_eq!(ids(&body), vec![made[2].clone(), made[0].clone()]);
        let (_, body) = api
            .post(&path, changes_since("EQ", json!(millis), 10))
            .await;
        assert_eq!(ids(&body), vec![made[1].clone()]);
        let (_, body) = api
            .post(&path, changes_since("LT", json!(millis), 10))
            .await;
        assert!(!ids(&body).contains(&made[1]), "{otype}: {body}");
        let mut desc = changes_since("GTE", json!(millis), 10);
        desc["sorts"][0]["direction"] = json!("DESCENDING");
        let (_, body) = api.post(&path, desc).await;
        assert_eq!(
            ids(&body),
            vec![made[0].clone(), made[2].clone(), made[1].clone()]
        );
    }
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn equal_stamps_sort_by_id_and_keyset_paging_reads_past_10000() {
    let api = Api::with(SandboxConfig::new()).await;
    // Seeded in one go: many records share each millisecond.
    let total = 10_050;
    {
        let mut store = lock(&api.sandbox.shared.store);
        for i in 0..total {
            store.insert("tickets", vec![("subject".into(), format!("t{i}"))]);
        }
    }
    let path = format!("{V3}/tickets/search");
    // Keyset: (stamp > last) or (stamp = last and id > last id), sorted by stamp; equal
    // stamps come in id order, so no record is skipped or repeated.
    let mut seen: Vec<(i64, u64)> = Vec::new();
    let mut cursor: Option<(i64, u64)> = None;
    loop {
        let mut body = changes_since("GTE", json!(0), 200);
        if let Some((ms, id)) = cursor {
            body["filterGroups"] = json!([
                {"filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": ms.to_string()}
                ]},
                {"filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "EQ", "value": ms.to_string()},
                    {"propertyName": "hs_object_id", "operator": "GT", "value": id.to_string()},
                ]},
            ]);
        }
        let (status, page) = api.post(&path, body).await;
        assert_eq!(status, 200, "{page}");
        let results = page["results"].as_array().unwrap();
        if results.is_empty() {
            break;
        }
        for r in results {
            let ms = parse_time(r["properties"]["hs_lastmodifieddate"].as_str().unwrap())
                .timestamp_millis();
            seen.push((ms, r["id"].as_str().unwrap().parse().unwrap()));
        }
        cursor = seen.last().copied();
    }
    assert_eq!(seen.len(), total);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ordered, no repeats");
    api.sandbox.shutdown().await;
}

#[tokio::test]
async fn fail_after_work_answers_502_after_the_write_happened() {
    async fn run(seed: u64) -> (Vec<u16>, Vec<String>, usize) {
        let api = Api::with(SandboxConfig::new().fail_after_work_rate(0.5, seed)).await;
        let mut statuses = Vec::new();
        let mut kinds = Vec::new();
        for i in 0..40 {
            let (status, body, content_type) = api
                .send_full(
                    "POST",
                    &format!("{V3}/tickets"),
                    Some(json!({"properties": {"subject": format!("t{i}")}})),
                )
                .await;
            statuses.push(status);
            match status {
                201 => {}
                502 if content_type.starts_with("application/json") => {
                    assert_eq!(body["status"], "error", "{body}");
                    assert_eq!(body["message"], "Bad Gateway");
                    assert_eq!(body["category"], "BAD_GATEWAY");
                    assert!(body["correlationId"].is_string());
                    kinds.push("json".to_string());
                }
                502 => {
                    assert!(content_type.starts_with("text/html"), "{content_type}");
                    let html = body.as_str().unwrap();
                    assert!(html.contains("<h1>502 Bad Gateway</h1>"), "{html}");
                    kinds.push("html".to_string());
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        // Every create happened, answered or not.
        let created = api.live_count("tickets");
        api.sandbox.shutdown().await;
        (statuses, kinds, created)
    }
    let (statuses, kinds, created) = run(7).await;
    assert_eq!(created, 40);
    let failed = statuses.iter().filter(|s| **s == 502).count();
    assert!((5..=35).contains(&failed), "{statuses:?}");
    assert!(kinds.iter().any(|k| k == "json") && kinds.iter().any(|k| k == "html"));
    // Reproducible for a seed.
    assert_eq!(run(7).await, (statuses, kinds, created));
}

#[tokio::test]
async fn index_delay_hides_recent_writes_from_search_and_id_property_reads() {
    let delay = Duration::from_millis(600);
    let api = Api::with(machines().index_delay(delay)).await;
    let old = api.create(MACHINES, json!({"serial": "OLD"})).await;
    tokio::time::sleep(delay + Duration::from_millis(50)).await;
    let id = api.create(MACHINES, json!({"serial": "NEW"})).await;
    let (search_path, read_path) = (
        format!("{MACHINES}/search"),
        format!("{MACHINES}/batch/read"),
    );
    let search = || {
        api.post(
            &search_path,
            json!({"filterGroups": [{"filters": [
                {"propertyName": "serial", "operator": "HAS_PROPERTY"}
            ]}]}),
        )
    };
    let by_serial = || {
        api.post(
            &read_path,
            json!({"idProperty": "serial", "inputs": [{"id": "OLD"}, {"id": "NEW"}]}),
        )
    };

    // Not indexed yet: search and batch read by the property miss it...
    let (_, body) = search().await;
    assert_eq!(ids(&body), vec![old.clone()], "{body}");
    let (status, body) = by_serial().await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(ids(&body), vec![old.clone()]);
    assert_eq!(body["errors"][0]["context"]["ids"], json!(["NEW"]));
    // ...reads by id see it, and uniqueness holds at once.
    let (status, _) = api.get(&format!("{MACHINES}/{id}")).await;
    assert_eq!(status, 200);
    let (status, body) = api
        .post(
            &format!("{MACHINES}/batch/read"),
            json!({"inputs": [{"id": id}]}),
        )
        .await;
    assert_eq!((status, ids(&body)), (200, vec![id.clone()]));
    let (status, _) = api.get(&format!("{MACHINES}/NEW?idProperty=serial")).await;
    assert_eq!(status, 200);
    let (status, body) = api
        .post(MACHINES, json!({"properties": {"serial": "NEW"}}))
        .await;
    assert_eq!(status, 409, "{body}");

    tokio::time::sleep(delay + Duration::from_millis(50)).await;
    let (_, body) = search().await;
    assert_eq!(ids(&body), vec![old.clone(), id.clone()]);
    let (status, body) = by_serial().await;
    assert_eq!((status, ids(&body)), (200, vec![old.clone(), id.clone()]));

    // A new write hides the record again until it is indexed.
    api.patch(
        &format!("{MACHINES}/{old}"),
        json!({"properties": {"colour": "red"}}),
    )
    .await;
    let (_, body) = search().await;
    assert_eq!(ids(&body), vec![id.clone()]);
    api.sandbox.shutdown().await;
}
