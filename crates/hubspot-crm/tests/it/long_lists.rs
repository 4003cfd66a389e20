//! Reads whose property lists are too long for one URL: the GET carries the first names that
//! fit the client's query-string budget, batch reads the rest, and each record comes back
//! whole; reads that fit stay one GET. Exact query strings and bodies, HubSpot's answers.

use std::io::Write;
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use hubspot_crm::{ApiVersion, Client, Error, ReadOptions};
use serde_json::{Value, json};

use crate::support::{catch_all, client, client_with, expect_validation, record_json};

/// `n` property names of 40 characters, as accounts name theirs.
fn names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("account_property_{i:04}_{}", "x".repeat(18)))
        .collect()
}

/// A value for each of `names` on record `id`.
fn values(id: &str, names: &[String]) -> Value {
    names
        .iter()
        .map(|name| (name.clone(), json!(format!("{id}:{name}"))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// `base` with the properties HubSpot always returns added, `lastmodifieddate` as given.
fn with_always_returned(mut base: Value, id: &str, modified: &str) -> Value {
    base["hs_object_id"] = json!(id);
    base["createdate"] = json!("2026-11-20T08:00:00.000Z");
    base["lastmodifieddate"] = json!(modified);
    base
}

fn history() -> Value {
    json!([
        {"value": "WARM", "timestamp": "2026-11-20T16:45:12.345Z", "sourceType": "CRM_UI"},
        {"value": "COLD", "timestamp": "2026-10-01T08:30:00.000Z", "sourceType": "API"}
    ])
}

/// A client whose reads keep their query strings to 1,024 bytes.
fn small_budget(server: &MockServer) -> Client {
    client_with(server, |b| b.max_query_length(1_024))
}

#[tokio::test]
async fn a_get_whose_lists_fit_is_one_get_with_every_name() {
    let server = MockServer::start_async().await;
    // 100 names of 40 make a list of 4,297 bytes (commas sent as %2C): under 7,000.
    let names = names(100);
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/v3/objects/contacts/1001")
                .query_param("properties", names.join(","))
                .query_param("archived", "false")
                .query_param_count(".*", ".*", 2);
            then.status(200)
                .json_body(record_json("1001", values("1001", &names)));
        })
        .await;
    let other = catch_all(&server).await;
    let record = client(&server)
        .contacts()
        .get_with("1001", &ReadOptions::new().properties(names.clone()))
        .await
        .unwrap();
    get.assert_async().await;
    other.assert_calls_async(0).await;
    assert_eq!(record.properties.len(), 100);
}

#[tokio::test]
async fn a_get_past_the_budget_sends_what_fits_then_batch_reads_the_rest_into_one_record() {
    let server = MockServer::start_async().await;
    let names = names(60);
    let with_history = ["hs_lead_status".to_owned(), "lifecyclestage".to_owned()];
    // `archived=false&associations=companies&properties=` is 49 bytes; each name adds 43
    // (40 and a comma as %2C): 22 names make 992 bytes, a 23rd would pass 1,024, and the
    // history list has no room left.
    let (in_url, rest) = names.split_at(22);
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/v3/objects/contacts/1001")
                .query_param("properties", in_url.join(","))
                .query_param("associations", "companies")
                .query_param("archived", "false")
                .query_param_count(".*", ".*", 3);
            let mut record = record_json(
                "1001",
                with_always_returned(values("1001", in_url), "1001", "2026-11-26T10:00:00.000Z"),
            );
            record["associations"] =
                json!({"companies": {"results": [{"id": "77", "type": "contact_to_company"}]}});
            then.status(200).json_body(record);
        })
        .await;
    let batch = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/objects/contacts/batch/read")
                .query_param("archived", "false")
                .json_body(json!({
                    "inputs": [{"id": "1001"}],
                    "properties": rest,
                    "propertiesWithHistory": with_history,
                }));
            // Changed meanwhile: what both reads answer stays as the GET answered.
            let mut record = record_json(
                "1001",
                with_always_returned(values("1001", rest), "1001", "2026-11-26T10:05:00.000Z"),
            );
            record["properties"]["hs_lead_status"] = json!("WARM");
            record["propertiesWithHistory"] =
                json!({"hs_lead_status": history(), "lifecyclestage": []});
            record["updatedAt"] = json!("2026-11-26T10:05:00.000Z");
            then.status(200).json_body(json!({
                "status": "COMPLETE",
                "results": [record],
                "startedAt": "2026-11-26T10:05:00.100Z",
                "completedAt": "2026-11-26T10:05:00.150Z"
            }));
        })
        .await;
    let options = ReadOptions::new()
        .properties(names.clone())
        .properties_with_history(with_history.clone())
        .associations(["companies"]);
    let record = small_budget(&server)
        .contacts()
        .get_with("1001", &options)
        .await
        .unwrap();
    get.assert_async().await;
    batch.assert_async().await;
    for name in &names {
        assert_eq!(
            record.property(name),
            Some(format!("1001:{name}").as_str()),
            "{name}"
        );
    }
    assert_eq!(record.history("hs_lead_status").len(), 2);
    assert_eq!(record.history("hs_lead_status")[0].value, "WARM");
    assert!(
        record
            .properties_with_history
            .contains_key("lifecyclestage")
    );
    assert_eq!(
        record.associated_ids("companies").collect::<Vec<_>>(),
        ["77"]
    );
    assert_eq!(
        record.property("lastmodifieddate"),
        Some("2026-11-26T10:00:00.000Z")
    );
    assert_eq!(record.updated_at.to_rfc3339(), "2026-11-26T10:00:00+00:00");
}

#[tokio::test]
async fn a_get_whose_record_is_archived_before_the_rest_is_read_is_a_404() {
    let server = MockServer::start_async().await;
    let names = names(30);
    server
        .mock_async(|when, then| {
            when.method(GET).path("/crm/v3/objects/contacts/1001");
            then.status(200)
                .json_body(record_json("1001", values("1001", &names[..22])));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/crm/v3/objects/contacts/batch/read");
            then.status(207).json_body(json!({
                "status": "COMPLETE",
                "results": [],
                "numErrors": 1,
                "errors": [{
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": ["1001"]}
                }],
                "startedAt": "2026-11-26T10:05:00.100Z",
                "completedAt": "2026-11-26T10:05:00.150Z"
            }));
        })
        .await;
    let result = small_budget(&server)
        .contacts()
        .get_with("1001", &ReadOptions::new().properties(names))
        .await;
    let Err(Error::Api(error)) = result else {
        panic!("expected a 404, got {result:?}");
    };
    assert_eq!(error.status, 404);
    assert_eq!(error.category.as_deref(), Some("OBJECT_NOT_FOUND"));
    assert_eq!(error.context["ids"], ["1001"]);
}

/// A page of records `ids` with `names` set, and HubSpot's cursor `next`.
fn page(ids: &[u64], names: &[String], next: &str) -> Value {
    let results: Vec<Value> = ids
        .iter()
        .map(|id| record_json(&id.to_string(), values(&id.to_string(), names)))
        .collect();
    json!({"results": results, "paging": {"next": {"after": next}}})
}

/// Everything logged at WARN and above while it is alive, on this thread.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<u8>>>);

impl Write for Warnings {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Warnings {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn a_list_page_past_the_budget_batch_reads_its_ids_and_leaves_out_one_archived_meanwhile() {
    let server = MockServer::start_async().await;
    let names = names(40);
    // `after=11&archived=false&limit=3&properties=` is 43 bytes: 22 names make 986.
    let (in_url, rest) = names.split_at(22);
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/objects/2026-09/companies")
                .query_param("properties", in_url.join(","))
                .query_param("after", "11")
                .query_param("limit", "3")
                .query_param("archived", "false")
                .query_param_count(".*", ".*", 4);
            then.status(200)
                .json_body(page(&[21, 22, 23], in_url, "24"));
        })
        .await;
    let batch = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/objects/2026-09/companies/batch/read")
                .query_param("archived", "false")
                .json_body(json!({
                    "inputs": [{"id": "21"}, {"id": "22"}, {"id": "23"}],
                    "properties": rest,
                }));
            let results: Vec<Value> = ["21", "23"]
                .iter()
                .map(|id| record_json(id, values(id, rest)))
                .collect();
            then.status(207).json_body(json!({
                "status": "COMPLETE",
                "results": results,
                "numErrors": 1,
                "errors": [{
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some COMPANY objects, they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": ["22"]}
                }],
                "startedAt": "2026-11-26T10:05:00.100Z",
                "completedAt": "2026-11-26T10:05:00.150Z"
            }));
        })
        .await;
    let client = client_with(&server, |b| {
        b.max_query_length(1_024).api_version(ApiVersion::V2026_09)
    });
    let warnings = Warnings::default();
    let guard = warnings.capture();
    let page = client
        .companies()
        .list_page(
            &ReadOptions::new().properties(names.clone()),
            Some(3),
            Some("11"),
        )
        .await
        .unwrap();
    drop(guard);
    list.assert_async().await;
    batch.assert_async().await;
    let ids: Vec<&str> = page.results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["21", "23"]);
    for record in &page.results {
        assert_eq!(record.properties.len(), 40, "{}", record.id);
        for name in &names {
            let expected = format!("{}:{name}", record.id);
            assert_eq!(record.property(name), Some(expected.as_str()));
        }
    }
    assert_eq!(page.next_after.as_deref(), Some("24"));
    let logged = warnings.text();
    assert!(
        logged.contains("WARN") && logged.contains("id=22") && logged.contains("left out"),
        "{logged}"
    );
}

#[tokio::test]
async fn a_page_whose_rest_has_history_is_batch_read_50_ids_a_request() {
    let server = MockServer::start_async().await;
    let names = names(23);
    let with_history = names[..3].to_vec();
    let ids: Vec<u64> = (101..=200).collect();
    // `archived=false&limit=100&properties=` is 36 bytes and the 23 names 986 more: 1,022,
    // which leaves no room for the history list.
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/v3/objects/companies")
                .query_param("properties", names.join(","))
                .query_param_count(".*", ".*", 3);
            then.status(200).json_body(page(&ids, &names, "201"));
        })
        .await;
    let mut batches = Vec::new();
    for chunk in ids.chunks(50) {
        let inputs: Vec<Value> = chunk
            .iter()
            .map(|id| json!({"id": id.to_string()}))
            .collect();
        let results: Vec<Value> = chunk
            .iter()
            .map(|id| {
                let mut record =
                    record_json(&id.to_string(), json!({"hs_object_id": id.to_string()}));
                record["propertiesWithHistory"][&names[0]] = json!([
                    {"value": "v", "timestamp": "2026-11-20T16:45:12.345Z", "sourceType": "API"}
                ]);
                record
            })
            .collect();
        let mock = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/crm/v3/objects/companies/batch/read")
                    .json_body(json!({
                        "inputs": inputs,
                        "properties": ["hs_object_id"],
                        "propertiesWithHistory": with_history,
                    }));
                then.status(200).json_body(json!({
                    "status": "COMPLETE",
                    "results": results,
                    "startedAt": "2026-11-26T10:05:00.100Z",
                    "completedAt": "2026-11-26T10:05:00.150Z"
                }));
            })
            .await;
        batches.push(mock);
    }
    let options = ReadOptions::new()
        .properties(names.clone())
        .properties_with_history(with_history.clone());
    let client = client_with(&server, |b| b.max_query_length(1_024));
    let page = client
        .companies()
        .list_page(&options, Some(100), None)
        .await
        .unwrap();
    for batch in &batches {
        batch.assert_async().await;
    }
    assert_eq!(page.results.len(), 100);
    for record in &page.results {
        assert_eq!(record.history(&names[0]).len(), 1);
        assert_eq!(
            record.property(&names[4]),
            Some(format!("{}:{}", record.id, names[4]).as_str())
        );
    }
}

#[tokio::test]
async fn a_failed_batch_read_of_the_rest_fails_the_page() {
    let server = MockServer::start_async().await;
    let names = names(30);
    server
        .mock_async(|when, then| {
            when.method(GET).path("/crm/v3/objects/companies");
            then.status(200).json_body(page(&[21], &names[..22], "22"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/objects/companies/batch/read");
            then.status(403).json_body(json!({
                "status": "error",
                "message": "This app hasn't been granted all required scopes to make this call.",
                "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf",
                "category": "MISSING_SCOPES"
            }));
        })
        .await;
    let result = small_budget(&server)
        .companies()
        .list_page(&ReadOptions::new().properties(names), None, None)
        .await;
    let Err(Error::Api(error)) = result else {
        panic!("expected the batch read's 403, got {result:?}");
    };
    assert_eq!(error.status, 403);
    assert_eq!(error.category.as_deref(), Some("MISSING_SCOPES"));
}

#[tokio::test]
async fn all_properties_reads_every_defined_name_from_definitions_read_once() {
    let server = MockServer::start_async().await;
    let definition = |name: &str| {
        json!({"name": name, "label": name, "type": "string", "fieldType": "text",
               "groupName": "companyinformation", "options": [], "hidden": false,
               "calculated": false, "hasUniqueValue": false, "formField": true})
    };
    let definitions = server
        .mock_async(|when, then| {
            when.method(GET).path("/crm/v3/properties/companies");
            then.status(200).json_body(json!({"results": [
                definition("name"), definition("domain"), definition("annualrevenue")
            ]}));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/crm/v3/objects/companies/42")
                // By name, then the caller's names the account does not define.
                .query_param("properties", "annualrevenue,domain,name,not_defined")
                .query_param("archived", "false")
                .query_param_count(".*", ".*", 2);
            then.status(200).json_body(record_json(
                "42",
                json!({"name": "Acme", "domain": "acme.example", "annualrevenue": null}),
            ));
        })
        .await;
    let companies = client(&server).companies();
    let options = ReadOptions::new()
        .properties(["name", "not_defined"])
        .all_properties();
    for _ in 0..2 {
        let company = companies.get_with("42", &options).await.unwrap();
        assert_eq!(company.property("domain"), Some("acme.example"));
    }
    definitions.assert_calls_async(1).await;
    get.assert_calls_async(2).await;
}

#[tokio::test]
async fn the_query_budget_is_checked_when_the_client_is_built() {
    for bytes in [0, 1_023, 16_385, usize::MAX] {
        let result = Client::builder()
            .access_token("pat-na1-test")
            .max_query_length(bytes)
            .build();
        let error = expect_validation(result);
        assert_eq!(error.field, "max_query_length");
        assert!(error.reason.contains(&format!("{bytes} bytes")), "{error}");
    }
    for bytes in [1_024, 16_384] {
        let client = Client::builder()
            .access_token("pat-na1-test")
            .max_query_length(bytes)
            .build()
            .unwrap();
        assert_eq!(client.max_query_length(), bytes);
    }
    let default = Client::builder()
        .access_token("pat-na1-test")
        .build()
        .unwrap();
    assert_eq!(
        default.max_query_length(),
        hubspot_crm::DEFAULT_MAX_QUERY_LENGTH
    );
}

#[tokio::test]
async fn associations_that_fill_the_budget_alone_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let other = catch_all(&server).await;
    // 150 custom object types of 9 characters make a list of 1,797 bytes.
    let types: Vec<String> = (0..150).map(|i| format!("2-{}", 1_000_000 + i)).collect();
    let options = ReadOptions::new().properties(["name"]).associations(types);
    let error = expect_validation(
        small_budget(&server)
            .companies()
            .get_with("1001", &options)
            .await,
    );
    assert_eq!(error.field, "associations");
    assert!(error.reason.contains("max_query_length of 1024"), "{error}");
    other.assert_calls_async(0).await;
}
